// The storage interface every handler and worker uses; one implementation per backend
// (sqlite/ today, postgres/ later), chosen by make_store(url). Implementations are thread-safe:
// every method may be called from any thread at once. Each mutating method is one transaction.
// Methods throw StoreUnavailable when the database cannot be reached and std::runtime_error on
// anything else unexpected; expected outcomes (absent rows, conflicts) are return values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::store {

class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A pipeline event (the contract's message section), kept for the events endpoint.
struct Event {
  std::string event_id;
  std::string experiment_id;
  std::string event_type;  // EXPERIMENT_CREATED | RESULTS_INSERT | RESULTS_MODIFY | ANALYSIS_REQUESTED
  std::string payload;     // JSON text, the contract's message shape
  domain::UnixSeconds created_at = 0;
};

enum class JobKind { kGenerateResults, kAnalyze };
enum class JobStatus { kQueued, kRunning, kDone, kFailed };
const char* to_string(JobKind k);
const char* to_string(JobStatus s);

struct Job {
  std::string job_id;
  std::string experiment_id;
  JobKind kind = JobKind::kGenerateResults;
  JobStatus status = JobStatus::kQueued;
  std::string payload;              // JSON text
  int attempts = 0;                 // attempts started so far
  std::optional<std::string> last_error;
  std::optional<std::string> result;  // JSON text, e.g. the Results Generator Response
  domain::UnixSeconds created_at = 0;
  domain::UnixSeconds updated_at = 0;
  double run_after = 0;             // unix seconds (fractional) before which it is not leased
};

// A job to enqueue with an event, written in the same transaction.
struct NewJob {
  JobKind kind = JobKind::kGenerateResults;
  std::string payload;
};

struct ExperimentListQuery {
  std::optional<domain::ExperimentStatus> status;  // none: every status but archived
  std::optional<std::string> name_contains;        // case-insensitive
  int limit = 20;
  std::int64_t offset = 0;
};

struct ExperimentRow {
  domain::Experiment experiment;
  std::optional<double> economic_impact;  // totalImpact of the newest complete analysis
};

struct ExperimentPage {
  std::vector<ExperimentRow> experiments;
  std::int64_t total = 0;  // matching the query's filters
};

struct Summary {
  std::int64_t total_experiments = 0;      // all but archived
  std::int64_t completed_experiments = 0;
  double total_economic_impact = 0;        // over all but archived
};

struct StoredResults {
  std::vector<domain::MetricSeries> metrics;  // experiment's metric order, points sorted
  domain::UnixSeconds generated_at = 0;
  std::int64_t version = 0;                   // bumped by every write of results
};

struct ResultsInfo {
  std::int64_t version = 0;
  std::int64_t points = 0;
  std::int64_t participants = 0;             // post-period sample sizes of the first metric
  std::optional<domain::UnixSeconds> last_timestamp;  // newest hour over all metrics (min over metrics)
};

struct StoredAnalysis {
  std::string analysis_id;
  std::string experiment_id;
  std::string status;                 // processing | complete | failed
  std::int64_t results_version = 0;
  std::string document;               // the ExperimentAnalysis JSON (complete/failed) or "{}"
  std::optional<double> total_impact;
  domain::UnixSeconds created_at = 0;
  domain::UnixSeconds updated_at = 0;
};

enum class WriteMode { kReplace, kMerge };

struct MetricValueUpdate {
  double dollars_per_unit = 0;
  std::optional<std::string> description;
  std::optional<std::string> name;
  std::optional<std::string> unit;
  std::optional<std::string> category;
  std::optional<domain::Direction> improvement_direction;
  std::optional<double> unit_size;
  std::optional<domain::ValidationRules> validation_rules;
  std::optional<std::string> change_reason;
  std::optional<std::string> updated_by;
};

struct MetricValueUpdated {
  domain::MetricValue metric;
  double previous_value = 0;
  std::int64_t impacted_experiments = 0;
};

// What the backend knows about its own health beyond a round trip (see Store::health).
struct HealthReport {
  enum class Level { kHealthy, kDegraded, kDown };
  Level level = Level::kHealthy;
  std::vector<std::string> reasons;  // why it is not healthy
};

class Store {
 public:
  virtual ~Store() = default;

  // Called after the commit of every transaction that queued a job (from the committing thread,
  // or from a backend's own notification thread, e.g. PostgreSQL's LISTEN), so that idle workers
  // wake at once. Set once, before the store is shared; what it captures must outlive the store.
  void set_job_listener(std::function<void()> listener) { job_listener_ = std::move(listener); }

  // Health: a real round trip to the database.
  virtual bool ping() = 0;
  // Problems seen since start (a damaged file, a deleted WAL, writes failing); no I/O.
  virtual HealthReport health() { return {}; }

  // Seeds the catalogue when it is empty. Returns true when it seeded.
  virtual bool seed_metric_values(const std::vector<domain::MetricValue>& catalogue) = 0;

  // ---- experiments
  // Inserts the experiment, its EXPERIMENT_CREATED event and (optionally) its first job.
  virtual void create_experiment(const domain::Experiment& e, const Event& created,
                                 const std::optional<NewJob>& job) = 0;
  virtual std::optional<domain::Experiment> get_experiment(const std::string& id) = 0;
  virtual ExperimentPage list_experiments(const ExperimentListQuery& q) = 0;
  virtual Summary summary() = 0;
  // Sets the status (and updated_at); returns false if the experiment does not exist.
  virtual bool set_experiment_status(const std::string& id, domain::ExperimentStatus status,
                                     domain::UnixSeconds now) = 0;

  // ---- metric values
  virtual std::vector<domain::MetricValue> list_metric_values() = 0;
  virtual std::optional<domain::MetricValue> get_metric_value(const std::string& id) = 0;
  // Inserts version 1 and its history row; false when the id exists.
  virtual bool create_metric_value(const domain::MetricValue& m) = 0;
  // Bumps the version, writes a history row, and enqueues an analyze job (with a processing
  // analysis) for every draft or running experiment that tracks the metric and has results.
  // nullopt when the metric does not exist.
  virtual std::optional<MetricValueUpdated> update_metric_value(const std::string& id,
                                                                const MetricValueUpdate& u,
                                                                domain::UnixSeconds now) = 0;
  virtual std::vector<domain::MetricValueHistoryEntry> metric_value_history(
      const std::string& id) = 0;

  // ---- results
  // Writes results (replacing all, or merging by (metric, hour)), bumps the results version,
  // records a RESULTS_INSERT (first write) or RESULTS_MODIFY event and queues an analyze job with a
  // processing analysis row, all in one transaction. When `completing_job` is set, that job is
  // marked done with `job_result` in the same transaction (exactly-once effect of a job).
  // Returns the new results version.
  struct ResultsWrite {
    std::string experiment_id;
    WriteMode mode = WriteMode::kReplace;
    std::vector<domain::MetricSeries> metrics;
    domain::UnixSeconds now = 0;
    std::string request_id;
    std::optional<std::string> completing_job;
    std::optional<std::string> job_result;
    std::optional<domain::ExperimentStatus> set_status;  // e.g. running
  };
  virtual std::int64_t write_results(const ResultsWrite& w) = 0;
  virtual std::optional<StoredResults> get_results(const std::string& experiment_id) = 0;
  virtual std::optional<ResultsInfo> results_info(const std::string& experiment_id) = 0;

  // ---- analyses
  // Queues a re-analysis of the current results (ANALYSIS_REQUESTED event, processing row, job).
  // Returns the analysis id, or nullopt when the experiment has no results.
  virtual std::optional<std::string> request_analysis(const std::string& experiment_id,
                                                      const std::string& payload_extra_json,
                                                      domain::UnixSeconds now) = 0;
  // Completes (or fails) an analysis, marks its job done (or failed) and, for a complete one,
  // updates the experiment's economic impact and status, in one transaction.
  struct AnalysisFinish {
    std::string analysis_id;
    std::string job_id;          // empty: no job (e.g. seeding)
    bool ok = true;
    std::string document;
    std::optional<double> total_impact;
    std::optional<domain::ExperimentStatus> experiment_status;
    domain::UnixSeconds now = 0;
    std::string experiment_id;   // used when neither the analysis row nor the job names it
  };
  virtual void finish_analysis(const AnalysisFinish& f) = 0;
  virtual std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) = 0;
  virtual std::optional<StoredAnalysis> latest_complete_analysis(const std::string& exp_id) = 0;
  // Newest analysis of any status (to show a failure or progress).
  virtual std::optional<StoredAnalysis> latest_analysis(const std::string& exp_id) = 0;
  virtual std::vector<StoredAnalysis> list_analyses(const std::string& exp_id) = 0;

  // ---- jobs
  // Leases the oldest runnable job (queued and due, or running with an expired lease), sets it
  // running with attempts+1 and a lease until now+lease_seconds.
  virtual std::optional<Job> lease_job(const std::string& worker_id, double now,
                                       double lease_seconds) = 0;
  // Puts a failed attempt back in the queue to run after `retry_at`, or marks it failed for good.
  virtual void retry_job(const std::string& job_id, const std::string& error, double retry_at) = 0;
  virtual void fail_job(const std::string& job_id, const std::string& error) = 0;
  virtual void complete_job(const std::string& job_id, const std::optional<std::string>& result) = 0;
  virtual std::optional<Job> get_job(const std::string& job_id) = 0;
  // Seconds until a job may next be leased: the next queued job's due time or the earliest
  // running lease's expiry (0 if one is due now); nullopt when no job is queued or running.
  virtual std::optional<double> next_job_due_in(double now) = 0;
  virtual std::vector<Event> list_events(const std::string& exp_id) = 0;
  virtual std::vector<Job> list_jobs(const std::string& exp_id) = 0;
  struct QueueStats {
    std::int64_t queued = 0;
    std::int64_t running = 0;
    std::int64_t failed = 0;
    std::optional<double> oldest_queued_age_seconds;
  };
  virtual QueueStats queue_stats(double now) = 0;

 protected:
  void notify_job_queued() {
    if (job_listener_) job_listener_();
  }

 private:
  std::function<void()> job_listener_;
};

// "sqlite:PATH" (PATH may be relative) or "postgresql://..." (when built with libpq).
// Applies migrations. Throws std::invalid_argument on a bad URL.
std::unique_ptr<Store> make_store(const std::string& url, int pool_size);

}  // namespace rallyuxr::store
