#include "pipeline/pipeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "codec/events_json.hpp"
#include "codec/json_text.hpp"
#include "codec/json_writer.hpp"
#include "domain/ids.hpp"
#include "domain/lifecycle.hpp"
#include "pipeline/metric_update.hpp"
#include "pipeline/payloads.hpp"
#include "pipeline/webhooks.hpp"

namespace rallyuxr::pipeline {
namespace {

using domain::ExperimentStatus;
using domain::LifecycleEvent;
using domain::UnixSeconds;
using store::Transaction;

std::string fmt_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// JSON text of values for the history's list of changes (codec's writer: shortest exact numbers).
std::string json_number(double v) {
  std::string out;
  codec::append_json_number(out, v);
  return out;
}
std::string json_string(const std::string& s) {
  std::string out;
  codec::append_json_string(out, s);
  return out;
}
std::string json_opt_string(const std::optional<std::string>& s) { return s ? json_string(*s) : "null"; }
std::string json_rules(const std::optional<domain::ValidationRules>& r) {
  if (!r) return "null";
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  if (r->min_value) w.key("minValue").number(*r->min_value);
  if (r->max_value) w.key("maxValue").number(*r->max_value);
  if (r->decimal_places) w.key("decimalPlaces").integer(*r->decimal_places);
  w.end_object();
  return out;
}

bool same_rules(const std::optional<domain::ValidationRules>& a, const std::optional<domain::ValidationRules>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->min_value == b->min_value && a->max_value == b->max_value && a->decimal_places == b->decimal_places;
}

}  // namespace

domain::MetricValue apply_update(const domain::MetricValue& current, const store::MetricValueUpdate& u,
                                 UnixSeconds now) {
  domain::MetricValue m = current;
  m.dollars_per_unit = u.dollars_per_unit;
  if (u.description) m.description = *u.description;
  if (u.name) m.name = *u.name;
  if (u.unit) m.unit = *u.unit;
  if (u.category) m.category = *u.category;
  if (u.improvement_direction) m.improvement_direction = *u.improvement_direction;
  if (u.unit_size) m.unit_size = *u.unit_size;
  if (u.validation_rules) m.validation_rules = u.validation_rules;
  if (u.value_group) m.value_group = u.value_group;
  m.updated_by = u.updated_by;  // who made this version; none when the request named nobody
  m.last_updated = now;
  m.version = current.version + 1;
  return m;
}

namespace {

// Every field whose value differs between two versions, in the contract's names.
std::vector<domain::FieldChange> changes_between(const domain::MetricValue& a, const domain::MetricValue& b) {
  std::vector<domain::FieldChange> out;
  auto add = [&out](const char* field, std::string from, std::string to) {
    if (from != to) out.push_back(domain::FieldChange{field, std::move(from), std::move(to)});
  };
  if (a.dollars_per_unit != b.dollars_per_unit)
    out.push_back({"dollarsPerUnit", json_number(a.dollars_per_unit), json_number(b.dollars_per_unit)});
  if (a.unit_size != b.unit_size) out.push_back({"unitSize", json_number(a.unit_size), json_number(b.unit_size)});
  add("improvementDirection", json_string(domain::to_string(a.improvement_direction)),
      json_string(domain::to_string(b.improvement_direction)));
  add("unit", json_string(a.unit), json_string(b.unit));
  add("name", json_string(a.name), json_string(b.name));
  add("description", json_string(a.description), json_string(b.description));
  add("category", json_string(a.category), json_string(b.category));
  if (!same_rules(a.validation_rules, b.validation_rules))
    out.push_back({"validationRules", json_rules(a.validation_rules), json_rules(b.validation_rules)});
  add("valueGroup", json_opt_string(a.value_group), json_opt_string(b.value_group));
  return out;
}

domain::MetricValueHistoryEntry history_of(const domain::MetricValue& m, const std::optional<std::string>& reason,
                                           std::vector<domain::FieldChange> changes) {
  domain::MetricValueHistoryEntry h;
  h.version = m.version;
  h.dollars_per_unit = m.dollars_per_unit;
  h.updated_at = m.last_updated;
  h.updated_by = m.updated_by;
  h.change_reason = reason;
  h.changes = std::move(changes);
  return h;
}

bool insert_metric(Transaction& tx, const domain::MetricValue& m) {
  if (!tx.insert_metric_value(m)) return false;
  tx.insert_history(m.metric_id, history_of(m, std::nullopt, {}));
  return true;
}

// Queues an analysis of the given results version: a processing row and its job.
std::string queue_analysis(Transaction& tx, const std::string& exp_id, std::int64_t version,
                           const std::string& event_name, const std::string& extra_json, UnixSeconds now) {
  store::StoredAnalysis a;
  a.analysis_id = domain::new_uuid_v7();
  a.experiment_id = exp_id;
  a.status = "processing";
  a.results_version = version;
  a.document = "{}";
  a.created_at = a.updated_at = now;
  tx.insert_analysis(a);
  tx.insert_job(domain::new_uuid_v7(), exp_id, store::JobKind::kAnalyze,
                codec::analysis_job_payload(exp_id, version, event_name, a.analysis_id, extra_json), now);
  return a.analysis_id;
}

// Moves the experiment as the lifecycle says for `event`, with a compare-and-set over the status
// this transaction read under its lock. Returns the status after it, or nullopt on a conflict.
std::optional<ExperimentStatus> apply_event(Transaction& tx, const domain::Experiment& e, LifecycleEvent event,
                                            UnixSeconds now) {
  auto t = domain::next_status(e.status, event);
  if (t.conflict()) return std::nullopt;
  if (*t.next != e.status && !tx.compare_and_set_status(e.id, e.status, *t.next, now))
    throw store::TransactionConflict("the status of " + e.id + " changed under its lock");
  return t.next;
}

// Writes a results version (replace or merge), its event and its analysis; the caller has
// checked the experiment under its lock. Returns the figures this transaction committed.
store::ResultsInfo write_results(Transaction& tx, const std::string& exp_id, store::WriteMode mode,
                                 const std::vector<domain::MetricSeries>& metrics,
                                 std::optional<domain::UniqueUsers> unique_users, UnixSeconds now,
                                 const std::optional<std::string>& uploaded_by = std::nullopt,
                                 const domain::Segments& segments = {}, bool segments_merged = false) {
  auto before = tx.results_meta(exp_id);
  if (mode == store::WriteMode::kMerge && !unique_users && before) unique_users = before->unique_users;
  auto version = tx.bump_results_version(exp_id, now, unique_users);
  if (mode == store::WriteMode::kReplace) tx.delete_points(exp_id);
  tx.upsert_points(exp_id, metrics);
  // Segments share the version: replaced with the overall series, or merged into the stored ones.
  if (mode == store::WriteMode::kReplace || segments_merged)
    tx.replace_segments(exp_id, segments);
  else if (!segments.empty())
    tx.replace_segments(exp_id, merge_segments(tx.read_segments(exp_id), segments));
  auto info = tx.refresh_results_info(exp_id);
  info.version = version;
  std::string event_name = before ? "MODIFY" : "INSERT";
  tx.insert_event(store::Event{domain::new_uuid_v7(), exp_id, before ? "RESULTS_MODIFY" : "RESULTS_INSERT",
                               stream_event_payload(exp_id, version, event_name, uploaded_by), now});
  // The analysis an upload starts is requested by its uploader (the analysis document says so).
  queue_analysis(tx, exp_id, version, event_name,
                 uploaded_by ? "\"requestedBy\":" + json_string(*uploaded_by) : std::string(), now);
  return info;
}

// The two steps of a generation job start alike: the job under its lock (nullopt when another
// worker finished it after this one's lease expired), then its experiment under its lock.
std::optional<domain::Experiment> lock_generation(Transaction& tx, const store::Job& job) {
  auto j = tx.lock_job(job.job_id);
  if (j && j->status == store::JobStatus::kDone) return std::nullopt;
  auto e = tx.lock_experiment(job.experiment_id);
  if (!e) throw std::runtime_error("experiment " + job.experiment_id + " does not exist");
  return e;
}

JobStep skipped(std::string why) { return JobStep{JobStep::Kind::kSkipped, {}, std::move(why)}; }

// A generation job that has nothing to store (archived, or imported data): done, without a result.
JobStep complete_without_data(Transaction& tx, const store::Job& job, UnixSeconds now, std::string why) {
  tx.mark_job_done(job.job_id, std::nullopt, now);
  tx.commit();
  return skipped(std::move(why));
}

}  // namespace

void write_audit(Transaction& tx, UnixSeconds at, const std::optional<std::string>& actor, const std::string& action,
                 const std::string& entity, const std::string& entity_id, const std::string& summary,
                 const std::vector<domain::FieldChange>& changes) {
  store::AuditEntry a;
  a.audit_id = domain::new_uuid_v7();
  a.at = at;
  a.actor = actor;
  a.action = action;
  a.entity = entity;
  a.entity_id = entity_id;
  a.summary = summary;
  a.changes = "[";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    if (i) a.changes += ',';
    a.changes += fmt::format(R"({{"field":{},"from":{},"to":{}}})", json_string(changes[i].field),
                             changes[i].from, changes[i].to);
  }
  a.changes += ']';
  tx.insert_audit(a);
}

std::vector<domain::FieldIssue> rule_violations(double value, const std::optional<domain::ValidationRules>& rules) {
  std::vector<domain::FieldIssue> out;
  if (!rules) return out;
  if (rules->min_value && value < *rules->min_value)
    out.push_back({"dollarsPerUnit", "Must be at least " + fmt_number(*rules->min_value)});
  if (rules->max_value && value > *rules->max_value)
    out.push_back({"dollarsPerUnit", "Must be at most " + fmt_number(*rules->max_value)});
  if (rules->decimal_places) {
    double scaled = value * std::pow(10.0, *rules->decimal_places);
    if (std::fabs(scaled - std::round(scaled)) > 1e-6 * std::max(1.0, std::fabs(scaled)))
      out.push_back({"dollarsPerUnit", "Must have at most " + std::to_string(*rules->decimal_places) + " decimal places"});
  }
  return out;
}

bool seed_catalogue(store::Store& s, const std::vector<domain::MetricValue>& catalogue) {
  return with_transaction(s, [&](Transaction& tx) {
    if (tx.count_metric_values() > 0) return false;
    for (const auto& m : catalogue) insert_metric(tx, m);
    tx.commit();
    return true;
  });
}

bool create_metric_value(store::Store& s, const domain::MetricValue& m) {
  return with_transaction(s, [&](Transaction& tx) {
    if (!insert_metric(tx, m)) return false;
    write_audit(tx, m.last_updated, m.updated_by, "metric_value.created", "metric_value", m.metric_id,
                fmt::format("Created {} at {} per unit", m.metric_id, json_number(m.dollars_per_unit)),
                {{"dollarsPerUnit", "null", json_number(m.dollars_per_unit)}});
    tx.commit();
    return true;
  });
}

MetricUpdateOutcome update_metric_value(store::Store& s, const std::string& id, const store::MetricValueUpdate& u,
                                        UnixSeconds now) {
  return with_transaction(s, [&](Transaction& tx) {
    MetricUpdateOutcome out;
    auto current = tx.lock_metric_value(id);
    if (!current) {
      out.kind = MetricUpdateOutcome::Kind::kNotFound;
      return out;
    }
    if (u.expected_version && *u.expected_version != current->version) {
      out.kind = MetricUpdateOutcome::Kind::kStale;
      out.current_version = current->version;
      return out;
    }
    if (current->retired_at) {
      out.kind = MetricUpdateOutcome::Kind::kRetired;
      return out;
    }
    // The rules in force, read under the row lock: a concurrent update cannot slip past them.
    out.issues = rule_violations(u.dollars_per_unit, u.validation_rules ? u.validation_rules : current->validation_rules);
    if (!out.issues.empty()) {
      out.kind = MetricUpdateOutcome::Kind::kInvalid;
      return out;
    }
    domain::MetricValue m = apply_update(*current, u, now);
    tx.update_metric_value(m);
    auto changes = changes_between(*current, m);
    tx.insert_history(m.metric_id, history_of(m, u.change_reason, changes));
    write_audit(tx, now, m.updated_by, "metric_value.updated", "metric_value", m.metric_id,
                fmt::format("Version {}{}", m.version, u.change_reason ? ": " + *u.change_reason : std::string()),
                changes);
    std::int64_t impacted = 0;
    for (const auto& t : tx.experiments_tracking(id)) {
      if (t.status != ExperimentStatus::kDraft && t.status != ExperimentStatus::kRunning) continue;
      ++impacted;
      if (!t.results_version) continue;  // its first analysis will read the new value anyway
      tx.insert_event(store::Event{domain::new_uuid_v7(), t.experiment_id, "ANALYSIS_REQUESTED",
                                   codec::metric_change_payload(t.experiment_id, id, m.version), now});
      queue_analysis(tx, t.experiment_id, *t.results_version, "MODIFY", "", now);
    }
    queue_metric_value_event(tx, m, current->dollars_per_unit, u.change_reason, now);
    tx.commit();
    out.updated.metric = m;
    out.updated.previous_value = current->dollars_per_unit;
    out.updated.impacted_experiments = impacted;
    return out;
  });
}

RetireOutcome retire_metric_value(store::Store& s, const std::string& id, const std::optional<std::string>& by,
                                  UnixSeconds now) {
  return with_transaction(s, [&](Transaction& tx) {
    RetireOutcome out;
    auto current = tx.lock_metric_value(id);
    if (!current) {
      out.kind = RetireOutcome::Kind::kNotFound;
      return out;
    }
    if (current->retired_at) {
      out.metric = *current;
      out.already_retired = true;
      return out;
    }
    for (const auto& t : tx.experiments_tracking(id))
      if (t.status == ExperimentStatus::kDraft || t.status == ExperimentStatus::kRunning)
        out.in_use_by.push_back(t.experiment_id);
    if (!out.in_use_by.empty()) {
      out.kind = RetireOutcome::Kind::kInUse;
      return out;
    }
    domain::MetricValue m = *current;
    m.retired_at = now;
    m.updated_by = by;
    m.last_updated = now;
    m.version = current->version + 1;
    tx.update_metric_value(m);
    tx.insert_history(m.metric_id, history_of(m, std::string("Retired"), {{"retired", "false", "true"}}));
    write_audit(tx, now, by, "metric_value.retired", "metric_value", m.metric_id,
                fmt::format("Retired {} (version {})", m.metric_id, m.version), {{"retired", "false", "true"}});
    tx.commit();
    out.metric = m;
    return out;
  });
}

std::optional<std::string> create_experiment(store::Store& s, const domain::Experiment& e,
                                             const store::Event& created, const std::optional<store::NewJob>& job) {
  return with_transaction(s, [&](Transaction& tx) -> std::optional<std::string> {
    for (const auto& id : e.metrics) {
      auto m = tx.lock_metric_value(id);
      if (m && m->retired_at) return id;
    }
    tx.insert_experiment(e);
    tx.insert_event(created);
    write_audit(tx, e.created_at, e.created_by, "experiment.created", "experiment", e.id, "Created \"" + e.name + "\"");
    if (job) tx.insert_job(domain::new_uuid_v7(), e.id, job->kind, job->payload, e.created_at);
    tx.commit();
    return std::nullopt;
  });
}

DecideOutcome decide_experiment(store::Store& s, const domain::Decision& d) {
  return with_transaction(s, [&](Transaction& tx) {
    DecideOutcome out;
    auto e = tx.lock_experiment(d.experiment_id);
    if (!e) {
      out.kind = DecideOutcome::Kind::kNotFound;
      return out;
    }
    if (e->status != ExperimentStatus::kComplete && e->status != ExperimentStatus::kArchived) {
      out.kind = DecideOutcome::Kind::kConflict;
      out.reason = std::string("Only complete or archived experiments can be decided; this one is ") +
                   domain::to_string(e->status);
      return out;
    }
    tx.insert_decision(d);
    write_audit(tx, d.decided_at, d.decided_by, "experiment.decided", "experiment", d.experiment_id,
                d.decision + ": " + d.reason, {{"decision", "null", json_string(d.decision)}});
    tx.insert_event(store::Event{domain::new_uuid_v7(), d.experiment_id, "EXPERIMENT_DECIDED",
                                 decision_event_payload(d), d.decided_at});
    queue_decision_event(tx, d, e->name);
    tx.commit();
    out.decision = d;
    return out;
  });
}

ArchiveOutcome archive_experiment(store::Store& s, const std::string& id, UnixSeconds now,
                                  const std::optional<std::string>& actor) {
  return with_transaction(s, [&](Transaction& tx) {
    ArchiveOutcome out;
    auto e = tx.lock_experiment(id);
    if (!e) {
      out.kind = ArchiveOutcome::Kind::kNotFound;
      return out;
    }
    out.experiment = *e;
    if (domain::next_status(e->status, LifecycleEvent::kArchive).conflict()) {
      out.kind = ArchiveOutcome::Kind::kConflict;
      out.reason = std::string("Only draft or complete experiments can be archived; this one is ") +
                   domain::to_string(e->status);
      return out;
    }
    out.experiment.status = *apply_event(tx, *e, LifecycleEvent::kArchive, now);
    out.experiment.updated_at = now;
    write_audit(tx, now, actor, "experiment.archived", "experiment", id, "Archived",
                {{"status", json_string(domain::to_string(e->status)), "\"archived\""}});
    tx.commit();
    return out;
  });
}

ImportOutcome import_results(store::Store& s, const ResultsWrite& w) {
  return with_transaction(s, [&](Transaction& tx) {
    ImportOutcome out;
    auto e = tx.lock_experiment(w.experiment_id);
    if (!e) {
      out.kind = ImportOutcome::Kind::kNotFound;
      return out;
    }
    if (e->data_source != domain::DataSource::kImported) {
      out.kind = ImportOutcome::Kind::kConflict;
      out.reason = "This experiment's data is simulated; create it with dataSource 'imported' to upload data";
      return out;
    }
    auto t = domain::next_status(e->status, LifecycleEvent::kResultsStored);
    if (t.conflict()) {
      out.kind = ImportOutcome::Kind::kConflict;
      out.reason = t.reason;
      return out;
    }
    // A merge's segment limits, checked again under the lock with the stored segments as this
    // transaction sees them (the upload was checked against a read made before it).
    std::optional<domain::Segments> merged;
    if (w.mode == store::WriteMode::kMerge && !w.segments.empty()) {
      merged = merge_segments(tx.read_segments(e->id), w.segments);
      std::string over;
      if (merged->size() > domain::kMaxDimensions)
        over = "at most " + std::to_string(domain::kMaxDimensions) + " dimensions per experiment";
      for (const auto& [dimension, segs] : *merged)
        if (segs.size() > domain::kMaxSegmentsPerDimension)
          over = "at most " + std::to_string(domain::kMaxSegmentsPerDimension) + " segments per dimension ('" +
                 dimension + "')";
      if (!over.empty()) {
        out.kind = ImportOutcome::Kind::kConflict;
        out.reason = "Another upload added segments meanwhile; with them this merge would exceed the limit of " + over;
        return out;
      }
    }
    out.info = write_results(tx, e->id, w.mode, w.metrics, w.unique_users, w.now, w.actor,
                             merged ? *merged : w.segments, merged.has_value());
    out.status = *apply_event(tx, *e, LifecycleEvent::kResultsStored, w.now);
    write_audit(tx, w.now, w.actor, "results.uploaded", "experiment", e->id,
                fmt::format("Results version {} ({}), {} points stored", out.info.version,
                            w.mode == store::WriteMode::kMerge ? "merge" : "replace", out.info.points),
                {{"resultsVersion", out.info.version > 1 ? std::to_string(out.info.version - 1) : "null",
                  std::to_string(out.info.version)}});
    tx.commit();
    return out;
  });
}

JobStep begin_generation(store::Store& s, const store::Job& job, UnixSeconds now) {
  return with_transaction(s, [&](Transaction& tx) {
    auto e = lock_generation(tx, job);
    if (!e) return skipped("job already done");
    bool simulated = e->data_source == domain::DataSource::kSimulated;
    auto t = domain::next_status(e->status, LifecycleEvent::kGenerationStarted);
    if (!simulated || t.conflict()) return complete_without_data(tx, job, now, simulated ? t.reason : "data are imported");
    JobStep out{JobStep::Kind::kGo, *e, {}};
    out.experiment.status = *apply_event(tx, *e, LifecycleEvent::kGenerationStarted, now);
    tx.commit();
    return out;
  });
}

JobStep store_generated_results(store::Store& s, const store::Job& job, std::vector<domain::MetricSeries> metrics,
                                const std::string& job_result, UnixSeconds now,
                                const std::optional<domain::UniqueUsers>& unique_users,
                                const domain::Segments& segments) {
  return with_transaction(s, [&](Transaction& tx) {
    auto e = lock_generation(tx, job);
    if (!e) return skipped("job already done");
    auto t = domain::next_status(e->status, LifecycleEvent::kResultsStored);
    // Archived while the generator ran: archived is final, no new data.
    if (t.conflict()) return complete_without_data(tx, job, now, t.reason);
    write_results(tx, e->id, store::WriteMode::kReplace, metrics, unique_users, now, std::nullopt, segments);
    JobStep out{JobStep::Kind::kGo, *e, {}};
    out.experiment.status = *apply_event(tx, *e, LifecycleEvent::kResultsStored, now);
    tx.mark_job_done(job.job_id, job_result, now);
    tx.commit();
    return out;
  });
}

domain::Segments merge_segments(domain::Segments stored, const domain::Segments& uploaded) {
  for (const auto& [dimension, segs] : uploaded)
    for (const auto& [name, seg] : segs) {
      auto& into = stored[dimension][name];
      if (seg.unique_users) into.unique_users = seg.unique_users;
      for (const auto& series : seg.series) {
        auto it = std::find_if(into.series.begin(), into.series.end(),
                               [&](const domain::MetricSeries& m) { return m.metric_id == series.metric_id; });
        if (it == into.series.end()) {
          into.series.push_back(series);
          continue;
        }
        // Both sorted by hour: a merge of the two, the uploaded point winning a tie.
        std::vector<domain::HourlyPoint> merged;
        merged.reserve(it->points.size() + series.points.size());
        auto a = it->points.cbegin();
        auto b = series.points.cbegin();
        while (a != it->points.cend() || b != series.points.cend()) {
          if (b == series.points.cend() || (a != it->points.cend() && a->timestamp < b->timestamp)) {
            merged.push_back(*a++);
          } else {
            if (a != it->points.cend() && a->timestamp == b->timestamp) ++a;
            merged.push_back(*b++);
          }
        }
        it->points = std::move(merged);
      }
    }
  return stored;
}

RequestOutcome request_analysis(store::Store& s, const std::string& experiment_id, const std::string& extra_json,
                                UnixSeconds now, const std::optional<std::string>& actor) {
  return with_transaction(s, [&](Transaction& tx) {
    RequestOutcome out;
    auto e = tx.lock_experiment(experiment_id);
    if (!e) {
      out.kind = RequestOutcome::Kind::kNotFound;
      return out;
    }
    if (e->status == ExperimentStatus::kArchived) {
      out.kind = RequestOutcome::Kind::kArchived;
      return out;
    }
    auto meta = tx.results_meta(experiment_id);
    if (!meta) {
      out.kind = RequestOutcome::Kind::kNoResults;
      return out;
    }
    tx.insert_event(store::Event{domain::new_uuid_v7(), experiment_id, "ANALYSIS_REQUESTED",
                                 stream_event_payload(experiment_id, meta->version, "MODIFY", actor, "requestedBy"),
                                 now});
    std::string extra = extra_json;
    if (actor) extra += (extra.empty() ? "" : ",") + std::string("\"requestedBy\":") + json_string(*actor);
    out.analysis_id = queue_analysis(tx, experiment_id, meta->version, "MODIFY", extra, now);
    write_audit(tx, now, actor, "analysis.requested", "experiment", experiment_id,
                "Analysis " + out.analysis_id + " requested on results version " + std::to_string(meta->version));
    tx.commit();
    return out;
  });
}

FinishOutcome finish_analysis(store::Store& s, const AnalysisFinish& f) {
  return with_transaction(s, [&](Transaction& tx) {
    FinishOutcome out;
    std::optional<store::Job> job;
    if (!f.job_id.empty()) {
      job = tx.lock_job(f.job_id);
      if (job && job->status == store::JobStatus::kDone) {  // finished by another worker already
        out.skipped = true;
        return out;
      }
    }
    auto a = tx.get_analysis(f.analysis_id);
    std::string exp_id = a ? a->experiment_id : (job ? job->experiment_id : f.experiment_id);
    auto e = exp_id.empty() ? std::nullopt : tx.lock_experiment(exp_id);
    auto meta = exp_id.empty() ? std::nullopt : tx.results_meta(exp_id);
    if (!a) {
      store::StoredAnalysis row;
      row.analysis_id = f.analysis_id;
      row.experiment_id = exp_id;
      row.status = "processing";
      row.results_version = meta ? meta->version : 0;
      row.document = "{}";
      row.created_at = row.updated_at = f.now;
      tx.insert_analysis(row);
    }
    tx.update_analysis(f.analysis_id, f.ok ? "complete" : "failed", f.document, f.total_impact, f.now);
    if (e) out.status = e->status;
    if (f.ok && e) {
      // The experiment's impact is that of its newest complete analysis (by creation order).
      auto impact = tx.newest_complete_impact(e->id);
      tx.set_economic_impact(e->id, impact ? *impact : std::nullopt, f.now);
      // Only an analysis of the results as they are now decides the status; an archived
      // experiment keeps its status (the lifecycle answers with a conflict).
      bool current = !f.analysed_version || (meta && meta->version == *f.analysed_version);
      if (current)
        if (auto next = apply_event(tx, *e, domain::analysis_finished(f.covers_end), f.now)) out.status = next;
    }
    if (job) {
      if (f.ok)
        tx.mark_job_done(f.job_id, std::nullopt, f.now);
      else
        tx.mark_job_failed(f.job_id, f.error, f.now);
    }
    if (!exp_id.empty()) {  // webhooks: queued with the analysis, so that none is lost or sent twice
      AnalysisNotice n;
      n.experiment_id = exp_id;
      if (e) n.experiment_name = e->name;
      n.analysis_id = f.analysis_id;
      n.ok = f.ok;
      n.error = f.error;
      n.total_impact = f.total_impact;
      n.status = out.status;
      n.srm_detected = f.srm_detected;
      n.srm_p_value = f.srm_p_value;
      n.srm_observed_share = f.srm_observed_share;
      n.srm_expected_share = f.srm_expected_share;
      n.now = f.now;
      queue_analysis_events(tx, n);
    }
    tx.commit();
    return out;
  });
}

}  // namespace rallyuxr::pipeline
