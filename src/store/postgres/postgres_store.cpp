// The PostgreSQL backend: the same tables and semantics as the SQLite backend, for several
// stateless nodes sharing one database. What differs, and why:
//  - Concurrency comes from row locks instead of one writer: a metric update locks its row
//    (SELECT ... FOR UPDATE) so versions never skip or repeat across nodes; a results write bumps
//    results_meta first (an upsert that holds the row lock) so writes of one experiment queue;
//    finish_analysis locks the experiment row before it reads the newest complete analysis.
//  - Jobs are leased with FOR UPDATE SKIP LOCKED; expired leases are leased again (no requeue at
//    start: other nodes may be running those jobs). Every transaction that queues a job runs
//    pg_notify('rallyuxr_jobs', <store tag>); a listener thread per store wakes this node's workers
//    for other stores' notifications (its own commits call notify_job_queued() directly).
//  - A results write that completes a job does nothing when that job is already done (its lease
//    had expired and another worker finished it): a job's effect happens once.
//  - Transactions that hit a dead pooled connection on their first command, a deadlock or a
//    serialization failure run again; an unreachable server is StoreUnavailable.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "store/postgres/connection.hpp"
#include "store/row_mapping.hpp"
#include "store/postgres/job_listener.hpp"
#include "store/postgres/schema.hpp"
#include "store/postgres/sql.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::postgres {
namespace {

using domain::UnixSeconds;
using namespace sql;

// How long a request waits for a pooled connection before answering "unavailable".
constexpr auto kPoolWait = std::chrono::milliseconds(5000);
// Points per INSERT ... SELECT FROM unnest(...) statement.
constexpr std::size_t kPointsPerStatement = 5000;
constexpr int kMaxConflictRetries = 5;
constexpr const char* kReadSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// ---- row mapping (column order as in sql.hpp)
domain::Experiment read_experiment(const Row& s, std::optional<double>* impact) {
  return experiment_from_row(s, impact);
}

// Fills the metric lists of the given experiments (one round trip).
void load_metrics(Connection& c, std::vector<domain::Experiment*> experiments) {
  if (experiments.empty()) return;
  if (experiments.size() == 1) {
    auto r = c.exec(kSelectExperimentMetrics, Params().add(experiments.front()->id));
    for (int i = 0; i < r.rows(); ++i) experiments.front()->metrics.push_back(r.text(i, 0));
    return;
  }
  std::vector<std::string> ids;
  std::map<std::string, domain::Experiment*> by_id;
  for (auto* e : experiments) {
    ids.push_back(e->id);
    by_id[e->id] = e;
  }
  auto r = c.exec(kSelectMetricsOf, Params().add(text_array(ids)));
  for (int i = 0; i < r.rows(); ++i) {
    auto it = by_id.find(r.text(i, 0));
    if (it != by_id.end()) it->second->metrics.push_back(r.text(i, 1));
  }
}

domain::MetricValue read_metric(const Row& s) { return metric_value_from_row(s); }

Params metric_params(const domain::MetricValue& m) {
  Params p;
  p.add(m.metric_id).add(m.name).add(m.description).add(m.unit).add(m.category);
  p.add(m.dollars_per_unit).add(domain::to_string(m.improvement_direction));
  p.add(m.unit_size).add(m.last_updated).add(m.updated_by).add(m.version);
  p.add(m.validation_rules ? 1 : 0);
  if (m.validation_rules) {
    p.add(m.validation_rules->min_value).add(m.validation_rules->max_value);
    p.add(m.validation_rules->decimal_places);
  } else {
    p.add_null().add_null().add_null();
  }
  return p;
}

Job read_job(const Row& s) { return job_from_row(s); }

StoredAnalysis read_analysis(const Row& s) { return analysis_from_row(s); }

void insert_event(Connection& c, const Event& e) {
  c.exec(kInsertEvent,
         Params().add(e.event_id).add(e.experiment_id).add(e.event_type).add(e.payload).add(e.created_at));
}

void insert_job(Connection& c, const std::string& job_id, const std::string& exp_id, JobKind kind,
                const std::string& payload, UnixSeconds now) {
  c.exec(kInsertJob, Params().add(job_id).add(exp_id).add(to_string(kind)).add(payload).add(now).add(0.0));
}

// Queues an analysis of the given results version: a processing row and its job.
std::string queue_analysis(Connection& c, const std::string& exp_id, std::int64_t version,
                           const std::string& event_name, const std::string& extra_json, UnixSeconds now) {
  std::string analysis_id = domain::new_uuid_v7();
  std::string job_id = domain::new_uuid_v7();
  c.exec(kInsertAnalysis, Params()
                              .add(analysis_id)
                              .add(exp_id)
                              .add("processing")
                              .add(version)
                              .add("{}")
                              .add_null()
                              .add(now));
  insert_job(c, job_id, exp_id, JobKind::kAnalyze,
             analysis_job_payload(exp_id, version, event_name, analysis_id, extra_json), now);
  return analysis_id;
}

bool insert_metric(Connection& c, const domain::MetricValue& m) {
  if (c.exec(kInsertMetric, metric_params(m)).affected() == 0) return false;
  c.exec(kInsertHistory, Params()
                             .add(m.metric_id)
                             .add(m.version)
                             .add(m.dollars_per_unit)
                             .add(m.last_updated)
                             .add(m.updated_by)
                             .add_null());
  return true;
}

// Upserts points in a few statements of parallel arrays. A (metric, hour) given twice keeps its
// last occurrence, as row-by-row upserts would.
void write_points(Connection& c, const std::string& exp_id, const std::vector<domain::MetricSeries>& metrics) {
  std::map<std::pair<std::string_view, UnixSeconds>, const domain::HourlyPoint*> points;
  for (const auto& series : metrics)
    for (const auto& p : series.points) points[{series.metric_id, p.timestamp}] = &p;
  auto it = points.begin();
  while (it != points.end()) {
    std::vector<std::string> ids;
    std::string ts = "{", tv = "{", cv = "{", tn = "{", cn = "{";
    for (std::size_t n = 0; it != points.end() && n < kPointsPerStatement; ++it, ++n) {
      if (n) {
        ts += ',';
        tv += ',';
        cv += ',';
        tn += ',';
        cn += ',';
      }
      ids.emplace_back(it->first.first);
      const auto& p = *it->second;
      ts += std::to_string(p.timestamp);
      tv += format_double(p.treatment_value);
      cv += format_double(p.control_value);
      tn += std::to_string(p.treatment_sample_size);
      cn += std::to_string(p.control_sample_size);
    }
    c.exec(kUpsertPoints,
           Params().add(exp_id).add(text_array(ids)).add(ts + '}').add(tv + '}').add(cv + '}').add(tn + '}').add(cn + '}'));
  }
}

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, int pool_size) {
    ConnectOptions options;
    options.url = url;
    {
      Connection c(options);  // migrate on a connection of its own, before the pool opens
      c.connect();
      migrate(c);
    }
    pool_ = std::make_unique<Pool>(options, pool_size, kPoolWait);
    listener_ = std::make_unique<JobListener>(pool_->options(), tag_, [this] { notify_job_queued(); });
    spdlog::debug("PostgreSQL store at {} (pool of {} connections)", redact_url(url), pool_->size());
  }

  ~PostgresStore() override { listener_.reset(); }

  bool ping() override {
    return run([](Connection& c) { return c.exec(kPing).rows() == 1; });
  }

  bool seed_metric_values(const std::vector<domain::MetricValue>& catalogue) override {
    return run([&](Connection& c) {
      Transaction tx(c);
      c.exec(kAdvisoryXactLock, Params().add(kSeedLockKey));  // nodes starting together seed once
      if (c.exec(kCountMetrics).int64(0, 0) > 0) return false;
      for (const auto& m : catalogue) insert_metric(c, m);
      tx.commit();
      return true;
    });
  }

  void create_experiment(const domain::Experiment& e, const Event& created,
                         const std::optional<NewJob>& job) override {
    run([&](Connection& c) {
      Transaction tx(c);
      Params p;
      p.add(e.id).add(e.name).add(e.description).add(domain::to_string(e.status));
      p.add(e.start_date).add(e.end_date).add(domain::to_string(e.expected_outcome));
      p.add(e.created_at).add(e.updated_at).add(e.created_by);
      p.add(e.implementation_cost).add(e.confidence_level).add(e.traffic_split);
      p.add(domain::to_string(e.data_source)).add(e.simulation ? 1 : 0);
      if (e.simulation && e.simulation->seed)
        p.add(static_cast<std::int64_t>(*e.simulation->seed));
      else
        p.add_null();
      if (e.simulation) {
        p.add(e.simulation->pre_period_days).add(e.simulation->daily_traffic);
        p.add(encode_lifts(e.simulation->true_lift));
      } else {
        p.add_null().add_null().add_null();
      }
      c.exec(kInsertExperiment, p);
      if (!e.metrics.empty()) c.exec(kInsertExperimentMetrics, Params().add(e.id).add(text_array(e.metrics)));
      insert_event(c, created);
      if (job) {
        insert_job(c, domain::new_uuid_v7(), e.id, job->kind, job->payload, e.created_at);
        c.exec(kNotifyJobs, Params().add(tag_));
      }
      tx.commit();
    });
    if (job) notify_job_queued();
  }

  std::optional<domain::Experiment> get_experiment(const std::string& id) override {
    return run([&](Connection& c) -> std::optional<domain::Experiment> {
      auto r = c.exec(kSelectExperiment, Params().add(id));
      if (r.rows() == 0) return std::nullopt;
      auto e = read_experiment(Row(r, 0), nullptr);
      load_metrics(c, {&e});
      return e;
    });
  }

  ExperimentPage list_experiments(const ExperimentListQuery& q) override {
    return run([&](Connection& c) {
      ExperimentPage page;
      Params p;
      p.add(static_cast<std::int64_t>(q.limit)).add(q.offset).add(q.name_contains);
      if (q.status) p.add(domain::to_string(*q.status));
      auto r = c.exec(q.status ? kListByStatus : kListActive, p);
      for (int i = 0; i < r.rows(); ++i) {
        ExperimentRow row;
        row.experiment = read_experiment(Row(r, i), &row.economic_impact);
        page.experiments.push_back(std::move(row));
      }
      std::vector<domain::Experiment*> loaded;
      for (auto& row : page.experiments) loaded.push_back(&row.experiment);
      load_metrics(c, loaded);
      if (q.name_contains) {
        Params cp;
        cp.add(*q.name_contains);
        if (q.status) cp.add(domain::to_string(*q.status));
        page.total = c.exec(q.status ? kCountStatusNamed : kCountActiveNamed, cp).int64(0, 0);
      } else {
        auto counts = c.exec(kCounts);
        for (int i = 0; i < counts.rows(); ++i) {
          auto st = counts.text(i, 0);
          if (q.status ? st == domain::to_string(*q.status) : st != "archived") page.total += counts.int64(i, 1);
        }
      }
      return page;
    });
  }

  Summary summary() override {
    return run([](Connection& c) {
      Summary sum;
      auto r = c.exec(kCounts);
      for (int i = 0; i < r.rows(); ++i) {
        auto st = r.text(i, 0);
        if (st == "archived") continue;
        sum.total_experiments += r.int64(i, 1);
        sum.total_economic_impact += r.real(i, 2);
        if (st == "complete") sum.completed_experiments = r.int64(i, 1);
      }
      return sum;
    });
  }

  bool set_experiment_status(const std::string& id, domain::ExperimentStatus status,
                             UnixSeconds now) override {
    return run([&](Connection& c) {
      return c.exec(kUpdateExperimentStatus, Params().add(id).add(domain::to_string(status)).add(now)).affected() > 0;
    });
  }

  std::vector<domain::MetricValue> list_metric_values() override {
    return run([](Connection& c) {
      std::vector<domain::MetricValue> out;
      auto r = c.exec(kListMetrics);
      for (int i = 0; i < r.rows(); ++i) out.push_back(read_metric(Row(r, i)));
      return out;
    });
  }

  std::optional<domain::MetricValue> get_metric_value(const std::string& id) override {
    return run([&](Connection& c) -> std::optional<domain::MetricValue> {
      auto r = c.exec(kGetMetric, Params().add(id));
      if (r.rows() == 0) return std::nullopt;
      return read_metric(Row(r, 0));
    });
  }

  bool create_metric_value(const domain::MetricValue& m) override {
    return run([&](Connection& c) {
      Transaction tx(c);
      if (!insert_metric(c, m)) return false;
      tx.commit();
      return true;
    });
  }

  std::optional<MetricValueUpdated> update_metric_value(const std::string& id, const MetricValueUpdate& u,
                                                        UnixSeconds now) override {
    struct Outcome {
      std::optional<MetricValueUpdated> updated;
      bool queued = false;
    };
    auto outcome = run([&](Connection& c) {
      Outcome out;
      Transaction tx(c);
      auto r = c.exec(kGetMetricForUpdate, Params().add(id));  // waits for other nodes' updates
      if (r.rows() == 0) return out;
      auto current = read_metric(Row(r, 0));
      MetricValueUpdated updated;
      updated.previous_value = current.dollars_per_unit;
      domain::MetricValue m = apply_update(current, u, now);
      c.exec(kUpdateMetric, metric_params(m));
      c.exec(kInsertHistory, Params()
                                 .add(m.metric_id)
                                 .add(m.version)
                                 .add(m.dollars_per_unit)
                                 .add(now)
                                 .add(m.updated_by)
                                 .add(u.change_reason));
      auto impacted = c.exec(kImpactedExperiments, Params().add(id));
      for (int i = 0; i < impacted.rows(); ++i) {
        if (impacted.is_null(i, 1)) continue;  // no results yet: its first analysis reads the new value
        std::string exp_id = impacted.text(i, 0);
        std::int64_t version = impacted.int64(i, 1);
        insert_event(c, Event{domain::new_uuid_v7(), exp_id, "ANALYSIS_REQUESTED",
                              metric_change_payload(exp_id, id, m.version), now});
        queue_analysis(c, exp_id, version, "MODIFY", "", now);
        out.queued = true;
      }
      if (out.queued) c.exec(kNotifyJobs, Params().add(tag_));
      tx.commit();
      updated.metric = m;
      updated.impacted_experiments = impacted.rows();
      out.updated = std::move(updated);
      return out;
    });
    if (outcome.queued) notify_job_queued();
    return outcome.updated;
  }

  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override {
    return run([&](Connection& c) {
      std::vector<domain::MetricValueHistoryEntry> out;
      auto r = c.exec(kSelectHistory, Params().add(id));
      for (int i = 0; i < r.rows(); ++i) {
        domain::MetricValueHistoryEntry h;
        h.version = r.int64(i, 0);
        h.dollars_per_unit = r.real(i, 1);
        h.updated_at = r.int64(i, 2);
        h.updated_by = r.opt_text(i, 3);
        h.change_reason = r.opt_text(i, 4);
        out.push_back(std::move(h));
      }
      return out;
    });
  }

  std::int64_t write_results(const ResultsWrite& w) override {
    struct Outcome {
      std::int64_t version = 0;
      bool queued = false;
    };
    auto outcome = run([&](Connection& c) {
      Outcome out;
      Transaction tx(c);
      if (w.completing_job) {
        // Another worker may have finished this job after our lease expired: do nothing twice.
        auto j = c.exec(kLockJobStatus, Params().add(*w.completing_job));
        if (j.rows() > 0 && j.text(0, 0) == "done") {
          auto meta = c.exec(kSelectResultsMeta, Params().add(w.experiment_id));
          out.version = meta.rows() > 0 ? meta.int64(0, 0) : 0;
          return out;  // rolled back: nothing was written
        }
      }
      out.version = c.exec(kUpsertResultsMeta, Params().add(w.experiment_id).add(w.now)).int64(0, 0);
      bool existed = out.version > 1;
      if (w.mode == WriteMode::kReplace) c.exec(kDeletePoints, Params().add(w.experiment_id));
      write_points(c, w.experiment_id, w.metrics);
      std::string event_name = existed ? "MODIFY" : "INSERT";
      insert_event(c, Event{domain::new_uuid_v7(), w.experiment_id, existed ? "RESULTS_MODIFY" : "RESULTS_INSERT",
                            stream_event_payload(w.experiment_id, out.version, event_name), w.now});
      queue_analysis(c, w.experiment_id, out.version, event_name, "", w.now);
      if (w.set_status)
        c.exec(kUpdateExperimentStatus,
               Params().add(w.experiment_id).add(domain::to_string(*w.set_status)).add(w.now));
      if (w.completing_job) c.exec(kCompleteJob, Params().add(*w.completing_job).add(w.job_result).add(w.now));
      c.exec(kNotifyJobs, Params().add(tag_));
      tx.commit();
      out.queued = true;
      return out;
    });
    if (outcome.queued) notify_job_queued();
    return outcome.version;
  }

  std::optional<StoredResults> get_results(const std::string& experiment_id) override {
    return run([&](Connection& c) -> std::optional<StoredResults> {
      Transaction tx(c, kReadSnapshot);  // the version and the points from one snapshot
      StoredResults r;
      {
        auto meta = c.exec(kSelectResultsMeta, Params().add(experiment_id));
        if (meta.rows() == 0) return std::nullopt;
        r.version = meta.int64(0, 0);
        r.generated_at = meta.int64(0, 1);
      }
      {
        auto order = c.exec(kSelectExperimentMetrics, Params().add(experiment_id));
        for (int i = 0; i < order.rows(); ++i) r.metrics.push_back(domain::MetricSeries{order.text(i, 0), {}});
      }
      auto s = c.exec(kSelectPoints, Params().add(experiment_id));
      domain::MetricSeries* current = nullptr;
      std::string current_id;
      for (int i = 0; i < s.rows(); ++i) {
        std::string id = s.text(i, 0);
        if (!current || id != current_id) {
          current = nullptr;
          current_id = id;
          for (auto& m : r.metrics)
            if (m.metric_id == id) current = &m;
          if (!current) {  // data for a metric the experiment no longer lists: keep it visible
            r.metrics.push_back(domain::MetricSeries{id, {}});
            current = &r.metrics.back();
          }
        }
        current->points.push_back(
            domain::HourlyPoint{s.int64(i, 1), s.real(i, 2), s.real(i, 3), s.int64(i, 4), s.int64(i, 5)});
      }
      tx.commit();
      return r;
    });
  }

  std::optional<ResultsInfo> results_info(const std::string& experiment_id) override {
    return run([&](Connection& c) -> std::optional<ResultsInfo> {
      ResultsInfo info;
      {
        auto meta = c.exec(kSelectResultsMeta, Params().add(experiment_id));
        if (meta.rows() == 0) return std::nullopt;
        info.version = meta.int64(0, 0);
      }
      std::optional<UnixSeconds> min_last;
      {
        auto s = c.exec(kPointStats, Params().add(experiment_id));
        for (int i = 0; i < s.rows(); ++i) {
          info.points += s.int64(i, 1);
          auto last = s.int64(i, 2);
          if (!min_last || last < *min_last) min_last = last;
        }
      }
      info.last_timestamp = min_last;
      std::optional<domain::Experiment> e;
      {
        auto s = c.exec(kSelectExperiment, Params().add(experiment_id));
        if (s.rows() > 0) {
          e = read_experiment(Row(s, 0), nullptr);
          load_metrics(c, {&*e});
        }
      }
      if (e && !e->metrics.empty()) {
        auto s = c.exec(kParticipants,
                        Params().add(experiment_id).add(e->metrics.front()).add(e->start_date).add(e->end_date));
        if (s.rows() > 0) info.participants = s.int64(0, 0);
      }
      return info;
    });
  }

  std::optional<std::string> request_analysis(const std::string& experiment_id, const std::string& payload_extra_json,
                                              UnixSeconds now) override {
    auto id = run([&](Connection& c) -> std::optional<std::string> {
      Transaction tx(c);
      auto meta = c.exec(kSelectResultsMeta, Params().add(experiment_id));
      if (meta.rows() == 0) return std::nullopt;
      std::int64_t version = meta.int64(0, 0);
      insert_event(c, Event{domain::new_uuid_v7(), experiment_id, "ANALYSIS_REQUESTED",
                            stream_event_payload(experiment_id, version, "MODIFY"), now});
      auto analysis_id = queue_analysis(c, experiment_id, version, "MODIFY", payload_extra_json, now);
      c.exec(kNotifyJobs, Params().add(tag_));
      tx.commit();
      return analysis_id;
    });
    if (id) notify_job_queued();
    return id;
  }

  void finish_analysis(const AnalysisFinish& f) override {
    run([&](Connection& c) {
      Transaction tx(c);
      std::optional<StoredAnalysis> a;
      {
        auto r = c.exec(kGetAnalysis, Params().add(f.analysis_id));
        if (r.rows() > 0) a = read_analysis(Row(r, 0));
      }
      std::optional<Job> job;
      if (!f.job_id.empty()) {
        auto r = c.exec(kSelectJob, Params().add(f.job_id));
        if (r.rows() > 0) job = read_job(Row(r, 0));
      }
      std::string exp_id = a ? a->experiment_id : (job ? job->experiment_id : f.experiment_id);
      // Serializes finishes of one experiment's analyses, so that the newest complete one read
      // below is the newest committed one.
      if (!exp_id.empty()) c.exec(kLockExperiment, Params().add(exp_id));
      if (!a) {
        std::int64_t version = 0;
        auto meta = c.exec(kSelectResultsMeta, Params().add(exp_id));
        if (meta.rows() > 0) version = meta.int64(0, 0);
        c.exec(kInsertAnalysis,
               Params().add(f.analysis_id).add(exp_id).add("processing").add(version).add("{}").add_null().add(f.now));
      }
      c.exec(kFinishAnalysis, Params()
                                  .add(f.analysis_id)
                                  .add(f.ok ? "complete" : "failed")
                                  .add(f.document)
                                  .add(f.total_impact)
                                  .add(f.now));
      if (f.ok && !exp_id.empty()) {
        // The experiment's impact is that of its newest complete analysis (by creation order).
        std::optional<double> impact;
        {
          auto r = c.exec(kNewestCompleteImpact, Params().add(exp_id));
          if (r.rows() > 0) impact = r.opt_real(0, 0);
        }
        c.exec(kSetEconomicImpact, Params().add(exp_id).add(impact).add(f.now));
        if (f.experiment_status)
          c.exec(kUpdateExperimentStatus,
                 Params().add(exp_id).add(domain::to_string(*f.experiment_status)).add(f.now));
      }
      if (job) {
        if (f.ok)
          c.exec(kCompleteJob, Params().add(f.job_id).add_null().add(f.now));
        else
          c.exec(kFailJob, Params().add(f.job_id).add(failed_error_text(f.document)).add(f.now));
      }
      tx.commit();
    });
  }

  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) override {
    return one_analysis(kGetAnalysis, analysis_id);
  }
  std::optional<StoredAnalysis> latest_complete_analysis(const std::string& exp_id) override {
    return one_analysis(kLatestComplete, exp_id);
  }
  std::optional<StoredAnalysis> latest_analysis(const std::string& exp_id) override {
    return one_analysis(kLatestAny, exp_id);
  }
  std::vector<StoredAnalysis> list_analyses(const std::string& exp_id) override {
    return run([&](Connection& c) {
      std::vector<StoredAnalysis> out;
      auto r = c.exec(kListAnalyses, Params().add(exp_id));
      for (int i = 0; i < r.rows(); ++i) out.push_back(read_analysis(Row(r, i)));
      return out;
    });
  }

  std::optional<Job> lease_job(const std::string& worker_id, double now, double lease_seconds) override {
    ensure_listener();
    return run([&](Connection& c) -> std::optional<Job> {
      auto r = c.exec(kLeaseJob, Params()
                                     .add(now)
                                     .add(worker_id)
                                     .add(now + lease_seconds)
                                     .add(static_cast<std::int64_t>(now)));
      if (r.rows() == 0) return std::nullopt;
      return read_job(Row(r, 0));
    });
  }

  void retry_job(const std::string& job_id, const std::string& error, double retry_at) override {
    run([&](Connection& c) {
      c.exec(kRetryJob, Params().add(job_id).add(error).add(retry_at).add(domain::now_seconds()).add(tag_));
    });
    notify_job_queued();
  }

  void fail_job(const std::string& job_id, const std::string& error) override {
    run([&](Connection& c) {
      c.exec(kFailJob, Params().add(job_id).add(error).add(domain::now_seconds()));
    });
  }

  void complete_job(const std::string& job_id, const std::optional<std::string>& result) override {
    run([&](Connection& c) {
      c.exec(kCompleteJob, Params().add(job_id).add(result).add(domain::now_seconds()));
    });
  }

  std::optional<Job> get_job(const std::string& job_id) override {
    return run([&](Connection& c) -> std::optional<Job> {
      auto r = c.exec(kSelectJob, Params().add(job_id));
      if (r.rows() == 0) return std::nullopt;
      return read_job(Row(r, 0));
    });
  }

  std::optional<double> next_job_due_in(double now) override {
    ensure_listener();
    return run([&](Connection& c) -> std::optional<double> {
      auto r = c.exec(kNextDue);
      std::optional<double> due = r.opt_real(0, 0);
      if (auto lease = r.opt_real(0, 1); lease && (!due || *lease < *due)) due = lease;
      if (!due) return std::nullopt;
      return std::max(0.0, *due - now);
    });
  }

  std::vector<Event> list_events(const std::string& exp_id) override {
    return run([&](Connection& c) {
      std::vector<Event> out;
      auto r = c.exec(kSelectEvents, Params().add(exp_id));
      for (int i = 0; i < r.rows(); ++i)
        out.push_back(Event{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.int64(i, 4)});
      return out;
    });
  }

  std::vector<Job> list_jobs(const std::string& exp_id) override {
    return run([&](Connection& c) {
      std::vector<Job> out;
      auto r = c.exec(kSelectJobs, Params().add(exp_id));
      for (int i = 0; i < r.rows(); ++i) out.push_back(read_job(Row(r, i)));
      return out;
    });
  }

  QueueStats queue_stats(double now) override {
    return run([&](Connection& c) {
      QueueStats q;
      auto r = c.exec(kQueueStats);
      for (int i = 0; i < r.rows(); ++i) {
        auto st = r.text(i, 0);
        if (st == "queued") {
          q.queued = r.int64(i, 1);
          q.oldest_queued_age_seconds = std::max(0.0, now - r.real(i, 2));
        } else if (st == "running") {
          q.running = r.int64(i, 1);
        } else {
          q.failed = r.int64(i, 1);
        }
      }
      return q;
    });
  }

 private:
  // Runs `fn` on a pooled connection. Runs it again when the connection turned out dead on its
  // first command (the server restarted: drop the other idle connections too) or when the
  // transaction lost a deadlock or serialization race. `fn` must have no effect outside the
  // database before it returns.
  template <class F>
  auto run(F&& fn) -> decltype(fn(std::declval<Connection&>())) {
    int stale = 0;
    int conflicts = 0;
    for (;;) {
      auto c = pool_->acquire();
      try {
        return fn(*c);
      } catch (const StaleConnection& e) {
        pool_->drop_idle();
        if (++stale > pool_->size()) throw StoreUnavailable(e.what());
        spdlog::debug("postgres: stale pooled connection, retrying: {}", e.what());
      } catch (const TransientConflict& e) {
        if (++conflicts > kMaxConflictRetries) throw std::runtime_error(e.what());
        thread_local std::minstd_rand rng(std::random_device{}());
        std::this_thread::sleep_for(std::chrono::milliseconds(1 + rng() % (5 << conflicts)));
      }
    }
  }

  static void migrate(Connection& c) {
    Transaction tx(c);
    // Nodes starting together queue here; the first migrates, the others find nothing to do.
    c.exec(kAdvisoryXactLock, Params().add(kMigrationLockKey));
    c.exec_simple(kCreateMigrationsTable);
    std::int64_t applied = c.exec(kMigrationsApplied).int64(0, 0);
    for (std::size_t i = static_cast<std::size_t>(applied); i < kMigrations.size(); ++i) {
      c.exec_simple(kMigrations[i]);
      c.exec(kInsertMigration, Params().add(static_cast<std::int64_t>(i + 1)).add(domain::now_seconds()));
      spdlog::info("postgres: applied schema migration {}", i + 1);
    }
    tx.commit();
  }

  std::optional<StoredAnalysis> one_analysis(const Sql& q, const std::string& key) {
    return run([&](Connection& c) -> std::optional<StoredAnalysis> {
      auto r = c.exec(q, Params().add(key));
      if (r.rows() == 0) return std::nullopt;
      return read_analysis(Row(r, 0));
    });
  }

  // The listener starts with the first worker poll: by then the job listener callback has been
  // set (Store::set_job_listener comes before the store is shared), and a node without workers
  // needs no listening connection.
  void ensure_listener() {
    std::call_once(listener_started_, [this] { listener_->start(); });
  }

  // The payload of this store's notifications: its own commits already called notify_job_queued().
  const std::string tag_ = domain::new_uuid_v7();
  std::unique_ptr<Pool> pool_;
  std::unique_ptr<JobListener> listener_;
  std::once_flag listener_started_;
};

}  // namespace

std::unique_ptr<Store> make_postgres_store(const std::string& url, int pool_size) {
  return std::make_unique<PostgresStore>(url, pool_size);
}

}  // namespace rallyuxr::store::postgres
