// The workflows of the product, each written once over a store transaction (store::Transaction):
// create, archive, import results (replace, merge), store generated results, request and finish
// analyses, create and update metric values. Each decides a status with the lifecycle
// (domain/lifecycle.hpp) inside the transaction that writes it, and writes it with a
// compare-and-set; every rule that guards a write is read in that same transaction. Handlers
// (api/) and job processors (jobs/) call these; nothing else decides a status.
// docs/architecture.md describes the transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.hpp"
#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::pipeline {

// Runs fn(tx) in a new transaction and returns what it returns; fn commits (or not). When the
// database reports a lost race (store::TransactionConflict) nothing was written and the whole
// transaction runs again, up to kMaxAttempts times. fn must have no effect outside the database.
inline constexpr int kMaxAttempts = 6;
template <class F>
auto with_transaction(store::Store& s, F&& fn) -> decltype(fn(std::declval<store::Transaction&>()));

// ---- catalogue
// Seeds the catalogue when it is empty; true when it seeded.
bool seed_catalogue(store::Store& s, const std::vector<domain::MetricValue>& catalogue);
// Inserts version 1 and its history row; false when the id exists.
bool create_metric_value(store::Store& s, const domain::MetricValue& m);

struct MetricUpdateOutcome {
  enum class Kind { kUpdated, kNotFound, kInvalid, kStale, kRetired } kind = Kind::kUpdated;
  store::MetricValueUpdated updated;
  std::vector<domain::FieldIssue> issues;  // kInvalid: the value breaks the rules in force
  std::int64_t current_version = 0;        // kStale: the version stored now
};
// Checks the value against the validation rules in force (the update's, else the stored ones,
// read under the row lock), writes the next version with the list of changed fields, and queues a
// re-analysis of every draft or running experiment that tracks the metric and has results.
MetricUpdateOutcome update_metric_value(store::Store& s, const std::string& id, const store::MetricValueUpdate& u,
                                        domain::UnixSeconds now);
struct RetireOutcome {
  enum class Kind { kRetired, kNotFound, kInUse } kind = Kind::kRetired;
  domain::MetricValue metric;             // kRetired: as stored after the transaction
  bool already_retired = false;           // kRetired: nothing was written
  std::vector<std::string> in_use_by;     // kInUse: draft or running experiments that track it
};
// Retires a metric value (DELETE /metric-values/{id}): a new version with retired_at set and a
// history entry "retired: false -> true"; refused while a draft or running experiment tracks it
// (read under the row lock, in the same transaction). Retiring twice writes nothing.
RetireOutcome retire_metric_value(store::Store& s, const std::string& id, const std::optional<std::string>& by,
                                  domain::UnixSeconds now);

// The problems of `value` under `rules` (messages as the API gives them).
std::vector<domain::FieldIssue> rule_violations(double value, const std::optional<domain::ValidationRules>& rules);

// ---- experiments
// Inserts the experiment, its EXPERIMENT_CREATED event and (optionally) its first job. Returns
// the first of its metrics that is retired (nothing written then), read in the same transaction
// so that a create racing a retirement cannot use a retired metric; nullopt when written.
std::optional<std::string> create_experiment(store::Store& s, const domain::Experiment& e, const store::Event& created,
                       const std::optional<store::NewJob>& job);

struct ArchiveOutcome {
  enum class Kind { kArchived, kNotFound, kConflict } kind = Kind::kArchived;
  domain::Experiment experiment;  // as stored after the transaction
  std::string reason;             // kConflict
};
ArchiveOutcome archive_experiment(store::Store& s, const std::string& id, domain::UnixSeconds now,
                                  const std::optional<std::string>& actor = std::nullopt);

// ---- decisions
struct DecideOutcome {
  enum class Kind { kDecided, kNotFound, kConflict } kind = Kind::kDecided;
  domain::Decision decision;  // kDecided: as stored
  std::string reason;         // kConflict
};
// Records a decision (ship | rollback | iterate) on a complete or archived experiment with its
// EXPERIMENT_DECIDED event, in one transaction over the experiment's lock; a draft or running
// experiment is refused (kConflict). An earlier decision stays in the history.
DecideOutcome decide_experiment(store::Store& s, const domain::Decision& d);

// ---- results
struct ResultsWrite {
  std::string experiment_id;
  store::WriteMode mode = store::WriteMode::kReplace;
  std::vector<domain::MetricSeries> metrics;
  std::optional<domain::UniqueUsers> unique_users;  // replace: as given; merge: kept unless given
  // Segments (issue 17), in the same transaction and results version: a replace replaces all of
  // them (none given: none left); a merge upserts per (dimension, segment, metric, hour) and keeps
  // a segment's unique users unless given.
  domain::Segments segments;
  domain::UnixSeconds now = 0;
  std::string request_id;
  std::optional<std::string> actor;  // who uploaded (the audit log's entry for this version)
};

struct ImportOutcome {
  enum class Kind { kStored, kNotFound, kConflict } kind = Kind::kStored;
  std::string reason;          // kConflict: e.g. "The experiment is archived"
  store::ResultsInfo info;     // kStored: version and totals as this transaction committed them
  domain::ExperimentStatus status = domain::ExperimentStatus::kDraft;  // after the write
};
// An upload (PUT replaces, POST merges) to an imported experiment: the archive state and the data
// source are checked under the experiment's lock, so an upload that races an archive is refused.
ImportOutcome import_results(store::Store& s, const ResultsWrite& w);

struct JobStep {
  enum class Kind { kGo, kSkipped } kind = Kind::kGo;
  domain::Experiment experiment;  // kGo
  std::string why;                // kSkipped: job already done, archived, not simulated
};
// Before the generator runs: skips a job already done, completes the job of an archived or
// non-simulated experiment without data, and moves a draft to running.
JobStep begin_generation(store::Store& s, const store::Job& job, domain::UnixSeconds now);
// Stores the generator's data, queues their analysis and completes the job, in one transaction;
// does nothing when the job is already done (another worker finished it after this one's lease
// expired), and completes the job without data when the experiment was archived meanwhile.
// `unique_users`: the simulator's distinct users per group, kept with the results for the SRM check.
// `segments`: the simulator's segments, stored like uploaded ones (replacing any).
JobStep store_generated_results(store::Store& s, const store::Job& job, std::vector<domain::MetricSeries> metrics,
                                const std::string& job_result, domain::UnixSeconds now,
                                const std::optional<domain::UniqueUsers>& unique_users = std::nullopt,
                                const domain::Segments& segments = {});

// A merge of segments: the uploaded hours replace stored ones of the same (dimension, segment,
// metric, hour); a segment's unique users are kept unless uploaded. Pure.
domain::Segments merge_segments(domain::Segments stored, const domain::Segments& uploaded);

// ---- analyses
struct RequestOutcome {
  enum class Kind { kQueued, kNotFound, kArchived, kNoResults } kind = Kind::kQueued;
  std::string analysis_id;
};
// `extra_json` is the inside of a JSON object (e.g. "\"correction\":\"fdr_bh\"") or empty.
RequestOutcome request_analysis(store::Store& s, const std::string& experiment_id, const std::string& extra_json,
                                domain::UnixSeconds now, const std::optional<std::string>& actor = std::nullopt);

// ---- audit
// Every change made through the API or the CLI writes one entry in its own transaction (see
// store::AuditEntry); work the pipeline does by itself (generated data, finished analyses) is in
// the events instead. Exposed for the token workflows (pipeline/tokens.cpp).
void write_audit(store::Transaction& tx, domain::UnixSeconds at, const std::optional<std::string>& actor,
                 const std::string& action, const std::string& entity, const std::string& entity_id,
                 const std::string& summary, const std::vector<domain::FieldChange>& changes = {});

struct AnalysisFinish {
  std::string analysis_id;
  std::string job_id;           // empty: no job (seeding)
  std::string experiment_id;    // used when neither the analysis row nor the job names it
  bool ok = true;
  std::string document;
  std::string error;            // !ok: the failure, kept as the job's last error
  std::optional<double> total_impact;
  bool covers_end = false;      // the analysed data reach the end of the period
  // The results version the analysis read; only an analysis of the current version moves the
  // status. nullopt: the current one (seeding).
  std::optional<std::int64_t> analysed_version;
  domain::UnixSeconds now = 0;
  // The analysis' SRM check (a complete analysis), for the srm.detected webhook event.
  std::optional<bool> srm_detected;
  std::optional<double> srm_p_value;
  std::optional<double> srm_observed_share;
  double srm_expected_share = 0.5;
};
struct FinishOutcome {
  bool skipped = false;  // its job was already done: nothing written
  std::optional<domain::ExperimentStatus> status;  // the experiment's status after the transaction
};
// Records the analysis (complete or failed) and its job's end; for a complete analysis of the
// current results, sets the impact and moves the status as the lifecycle says. An analysis that
// lost a race to an archive is recorded and leaves the status archived.
FinishOutcome finish_analysis(store::Store& s, const AnalysisFinish& f);

// ---- implementation of with_transaction
template <class F>
auto with_transaction(store::Store& s, F&& fn) -> decltype(fn(std::declval<store::Transaction&>())) {
  for (int attempt = 1;; ++attempt) {
    try {
      auto tx = s.begin();
      return fn(*tx);
    } catch (const store::TransactionConflict&) {
      if (attempt >= kMaxAttempts) throw;
    }
  }
}

}  // namespace rallyuxr::pipeline
