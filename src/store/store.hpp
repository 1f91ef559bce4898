// The storage interface every handler and worker uses; one implementation per backend
// (sqlite/, postgres/), chosen by make_store(url). Implementations are thread-safe: every method
// may be called from any thread at once. Writes go through begin(): a Transaction of row-level
// primitives; the workflows over them live in pipeline/, written once for every backend.
// Methods throw StoreUnavailable when the database cannot be reached and std::runtime_error on
// anything else unexpected; expected outcomes (absent rows, conflicts) are return values.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
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

enum class JobKind { kGenerateResults, kAnalyze, kDeliverWebhook };
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
  std::optional<domain::UniqueUsers> unique_users;  // as last uploaded (kept by a merge without one)
};

// An experiment's stored segments (issue 17) and the results version they belong to (read in one
// snapshot with it); version 0 and no segments when the experiment has no results.
struct StoredSegments {
  std::int64_t version = 0;
  domain::Segments segments;
};
// Dimension -> its segment names, sorted.
using SegmentNames = std::map<std::string, std::vector<std::string>>;

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

// What a PUT /metric-values/{id} asks for (parsed by the API, applied by the pipeline).
struct MetricValueUpdate {
  double dollars_per_unit = 0;
  std::optional<std::string> description;
  std::optional<std::string> name;
  std::optional<std::string> unit;
  std::optional<std::string> category;
  std::optional<domain::Direction> improvement_direction;
  std::optional<double> unit_size;
  std::optional<domain::ValidationRules> validation_rules;
  std::optional<std::string> value_group;
  std::optional<std::string> change_reason;
  std::optional<std::string> updated_by;
  // The version the client read (the whole-object PUT of the seed frontend); a different stored
  // version answers 409. nullopt: no check.
  std::optional<std::int64_t> expected_version;
};

struct MetricValueUpdated {
  domain::MetricValue metric;
  double previous_value = 0;
  std::int64_t impacted_experiments = 0;
};

// The results_meta row of an experiment.
struct ResultsMeta {
  std::int64_t version = 0;
  domain::UnixSeconds generated_at = 0;
  std::optional<domain::UniqueUsers> unique_users;
};

// An experiment tracking a metric, for re-analysis after the metric's value changed.
struct TrackingExperiment {
  std::string experiment_id;
  domain::ExperimentStatus status = domain::ExperimentStatus::kDraft;
  std::optional<std::int64_t> results_version;  // none: no results yet
};

// One change, for GET /audit (issue 16): written by the pipeline in the transaction of the change.
struct AuditEntry {
  std::string audit_id;
  domain::UnixSeconds at = 0;
  std::optional<std::string> actor;  // the named token's name; none: an unnamed token or none
  std::string action;                // e.g. experiment.created, metric_value.updated
  std::string entity;                // experiment | metric_value | token
  std::string entity_id;
  std::string changes;               // JSON array of {field, from, to} (values as JSON), or "[]"
  std::string summary;               // one line for people
};

struct AuditQuery {
  int limit = 20;
  std::int64_t offset = 0;
  std::optional<std::string> entity;
  std::optional<std::string> actor;
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::int64_t total = 0;
};

// A named access token as stored: its SHA-256 (hex), never its text.
struct AccessToken {
  std::string token_id;
  std::string name;
  std::string role;  // read | write | admin
  std::string hash;
  domain::UnixSeconds created_at = 0;
  std::optional<std::string> created_by;
  std::optional<domain::UnixSeconds> revoked_at;
};

// A webhook (issue 16): where to POST which events, signed with its secret (kept as given: it
// is needed to sign; never shown after creation). A deleted webhook keeps its row (and its
// delivery log) with deleted_at set and receives nothing more.
struct Webhook {
  std::string webhook_id;
  std::string url;
  std::vector<std::string> events;  // e.g. analysis.completed
  std::string secret;
  std::string format;               // json | slack
  domain::UnixSeconds created_at = 0;
  std::optional<std::string> created_by;
  std::optional<domain::UnixSeconds> deleted_at;
};

// One event for one webhook: the body is fixed when the event happens, so that every attempt
// sends the same bytes under the same delivery id.
struct WebhookDelivery {
  std::string delivery_id;
  std::string webhook_id;
  std::string event;
  std::string event_id;
  std::string body;
  std::string status;  // pending | retrying | delivered | failed
  int attempts = 0;
  std::optional<std::int64_t> last_status_code;
  std::optional<std::string> last_error;
  domain::UnixSeconds created_at = 0;
  domain::UnixSeconds updated_at = 0;
  std::optional<domain::UnixSeconds> delivered_at;
};

struct DeliveryPage {
  std::vector<WebhookDelivery> deliveries;  // newest first
  std::int64_t total = 0;
};

// What the backend knows about its own health beyond a round trip (see Store::health).
struct HealthReport {
  enum class Level { kHealthy, kDegraded, kDown };
  Level level = Level::kHealthy;
  std::vector<std::string> reasons;  // why it is not healthy
};

// Thrown when a transaction lost a race the database detected (deadlock, serialization failure);
// nothing was written and the whole transaction may run again (pipeline::with_transaction does).
class TransactionConflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One database transaction with row-level primitives and no workflow: the pipeline decides, the
// transaction binds SQL. Rolled back when destroyed uncommitted. Used by one thread. While it is
// open the thread must not start another transaction on the same store (SQLite has one writer).
class Transaction {
 public:
  virtual ~Transaction() = default;

  // ---- experiments
  virtual void insert_experiment(const domain::Experiment& e) = 0;
  // Reads the experiment and holds it until the end of the transaction (SQLite: the write lock of
  // BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE).
  virtual std::optional<domain::Experiment> lock_experiment(const std::string& id) = 0;
  // UPDATE ... SET status = next WHERE id = ? AND status = expected; true when it applied.
  virtual bool compare_and_set_status(const std::string& id, domain::ExperimentStatus expected,
                                      domain::ExperimentStatus next, domain::UnixSeconds now) = 0;
  virtual void set_economic_impact(const std::string& id, std::optional<double> impact,
                                   domain::UnixSeconds now) = 0;

  // ---- results
  virtual std::optional<ResultsMeta> results_meta(const std::string& experiment_id) = 0;
  // Bumps (or starts at 1) the results version and sets generated_at and the unique users;
  // returns the new version.
  virtual std::int64_t bump_results_version(const std::string& experiment_id, domain::UnixSeconds now,
                                            const std::optional<domain::UniqueUsers>& unique_users) = 0;
  virtual void delete_points(const std::string& experiment_id) = 0;
  // Inserts points, replacing any of the same (metric, hour); a (metric, hour) given twice keeps
  // its last occurrence.
  virtual void upsert_points(const std::string& experiment_id, const std::vector<domain::MetricSeries>& metrics) = 0;
  // Segments (issue 17): every stored segment series of the experiment, as this transaction sees
  // them (for a merge); and a replacement of all of them (empty: none is left). A segment's
  // unique users are written as given.
  virtual domain::Segments read_segments(const std::string& experiment_id) = 0;
  virtual void replace_segments(const std::string& experiment_id, const domain::Segments& segments) = 0;
  // Computes the figures of ResultsInfo from the stored points (as this transaction sees them) and
  // keeps them with the current version (bump_results_version came first in the transaction).
  virtual ResultsInfo refresh_results_info(const std::string& experiment_id) = 0;

  // ---- events, jobs, analyses
  virtual void insert_event(const Event& e) = 0;
  virtual void insert_decision(const domain::Decision& d) = 0;
  // false when an active token has that name (or the hash exists).
  virtual bool insert_token(const AccessToken& t) = 0;
  virtual void insert_audit(const AuditEntry& a) = 0;
  // Sets revoked_at on the active token of that name; false when there is none.
  virtual bool revoke_token(const std::string& name, domain::UnixSeconds now) = 0;
  // ---- webhooks (issue 16)
  virtual void insert_webhook(const Webhook& w) = 0;
  // Sets deleted_at on the webhook; false when there is none (or it is deleted already).
  virtual bool delete_webhook(const std::string& webhook_id, domain::UnixSeconds now) = 0;
  // The webhooks not deleted, in creation order (to queue an event's deliveries with the change).
  virtual std::vector<Webhook> active_webhooks() = 0;
  virtual void insert_delivery(const WebhookDelivery& d) = 0;
  // Writes status, attempts, last status code and error, updated_at and delivered_at.
  virtual void update_delivery(const WebhookDelivery& d) = 0;
  // Queues a job (due at once); the store wakes its workers after the commit.
  virtual void insert_job(const std::string& job_id, const std::string& experiment_id, JobKind kind,
                          const std::string& payload, domain::UnixSeconds now) = 0;
  // Reads the job and holds it until the end of the transaction.
  virtual std::optional<Job> lock_job(const std::string& job_id) = 0;
  virtual void mark_job_done(const std::string& job_id, const std::optional<std::string>& result,
                             domain::UnixSeconds now) = 0;
  virtual void mark_job_failed(const std::string& job_id, const std::string& error, domain::UnixSeconds now) = 0;
  virtual void insert_analysis(const StoredAnalysis& a) = 0;
  virtual std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) = 0;
  virtual void update_analysis(const std::string& analysis_id, const std::string& status,
                               const std::string& document, std::optional<double> total_impact,
                               domain::UnixSeconds now) = 0;
  // total_impact of the experiment's newest complete analysis (creation order); nullopt: none.
  virtual std::optional<std::optional<double>> newest_complete_impact(const std::string& experiment_id) = 0;

  // ---- metric values
  virtual std::int64_t count_metric_values() = 0;
  // Reads the metric value and holds it until the end of the transaction.
  virtual std::optional<domain::MetricValue> lock_metric_value(const std::string& id) = 0;
  // false when the id exists.
  virtual bool insert_metric_value(const domain::MetricValue& m) = 0;
  virtual void update_metric_value(const domain::MetricValue& m) = 0;
  virtual void insert_history(const std::string& metric_id, const domain::MetricValueHistoryEntry& h) = 0;
  // Experiments that track the metric, in creation order.
  virtual std::vector<TrackingExperiment> experiments_tracking(const std::string& metric_id) = 0;

  // Commits; afterwards the transaction is inert. Throws on failure (then nothing was written).
  virtual void commit() = 0;
};

// The durable job queue: leasing, retries and failure stay backend-specific (SQLite serializes
// on its write lock and requeues orphans at start; PostgreSQL leases with SKIP LOCKED and lets
// expired leases run again). Thread-safe.
class JobQueue {
 public:
  virtual ~JobQueue() = default;
  // Leases the oldest runnable job (queued and due, or running with an expired lease), sets it
  // running with attempts+1 and a lease until now+lease_seconds.
  virtual std::optional<Job> lease_job(const std::string& worker_id, double now, double lease_seconds) = 0;
  // Puts a failed attempt back in the queue to run after `retry_at`. A job ends (done, or failed
  // for good) in the transaction of its work: Transaction::mark_job_done / mark_job_failed.
  virtual void retry_job(const std::string& job_id, const std::string& error, double retry_at) = 0;
  virtual std::optional<Job> get_job(const std::string& job_id) = 0;
  // Seconds until a job may next be leased: the next queued job's due time or the earliest
  // running lease's expiry (0 if one is due now); nullopt when no job is queued or running.
  virtual std::optional<double> next_job_due_in(double now) = 0;
  struct QueueStats {
    std::int64_t queued = 0;
    std::int64_t running = 0;
    std::int64_t failed = 0;
    std::optional<double> oldest_queued_age_seconds;
  };
  virtual QueueStats queue_stats(double now) = 0;
};

class Store : public JobQueue {
 public:
  ~Store() override = default;

  // Called after the commit of every transaction that queued a job (from the committing thread,
  // or from a backend's own notification thread, e.g. PostgreSQL's LISTEN), so that idle workers
  // wake at once. Set once, before the store is shared; what it captures must outlive the store.
  void set_job_listener(std::function<void()> listener) { job_listener_ = std::move(listener); }

  // A write transaction (see Transaction). Throws StoreUnavailable when the database cannot be
  // reached.
  virtual std::unique_ptr<Transaction> begin() = 0;

  // Health: a real round trip to the database.
  virtual bool ping() = 0;
  // Problems seen since start (a damaged file, a deleted WAL, writes failing); no I/O.
  virtual HealthReport health() { return {}; }

  // ---- reads outside any workflow
  virtual std::optional<domain::Experiment> get_experiment(const std::string& id) = 0;
  virtual ExperimentPage list_experiments(const ExperimentListQuery& q) = 0;
  virtual Summary summary() = 0;
  virtual std::vector<domain::MetricValue> list_metric_values() = 0;
  virtual std::optional<domain::MetricValue> get_metric_value(const std::string& id) = 0;
  virtual std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) = 0;
  virtual std::optional<StoredResults> get_results(const std::string& experiment_id) = 0;
  virtual std::optional<ResultsInfo> results_info(const std::string& experiment_id) = 0;
  // The stored segments: every dimension, or only `dimension` (none when it has no segments).
  virtual StoredSegments get_segments(const std::string& experiment_id, const std::optional<std::string>& dimension) = 0;
  // The dimensions and segment names, without their points.
  virtual SegmentNames segment_names(const std::string& experiment_id) = 0;
  // One analysis row: by its id, or an experiment's newest complete one, or its newest of any
  // status (to show a failure or progress); the last two also without the document (an empty
  // one), when only which analysis and its state are needed. Backends implement find_analysis
  // once, with their SQL.
  enum class AnalysisLookup { kById, kLatestComplete, kLatest, kLatestCompleteStamp, kLatestStamp };
  virtual std::optional<StoredAnalysis> find_analysis(AnalysisLookup which, const std::string& key) = 0;
  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) {
    return find_analysis(AnalysisLookup::kById, analysis_id);
  }
  std::optional<StoredAnalysis> latest_complete_analysis(const std::string& exp_id) {
    return find_analysis(AnalysisLookup::kLatestComplete, exp_id);
  }
  std::optional<StoredAnalysis> latest_analysis(const std::string& exp_id) {
    return find_analysis(AnalysisLookup::kLatest, exp_id);
  }
  virtual std::vector<StoredAnalysis> list_analyses(const std::string& exp_id) = 0;
  virtual std::vector<Event> list_events(const std::string& exp_id) = 0;
  // Decisions on the experiment, newest (the current one) first.
  virtual std::vector<domain::Decision> list_decisions(const std::string& exp_id) = 0;
  virtual std::optional<domain::Decision> latest_decision(const std::string& exp_id) = 0;
  // The current decision of each of these experiments that has one (a list page at a time);
  // one query on PostgreSQL, a loop over latest_decision elsewhere.
  virtual std::vector<domain::Decision> latest_decisions(const std::vector<std::string>& exp_ids) {
    std::vector<domain::Decision> out;
    for (const auto& id : exp_ids)
      if (auto d = latest_decision(id)) out.push_back(std::move(*d));
    return out;
  }
  // Named access tokens: the active one with this hash; all of them (creation order); whether any
  // is active.
  virtual std::optional<AccessToken> find_active_token(const std::string& hash) = 0;
  virtual std::vector<AccessToken> list_tokens() = 0;
  virtual bool any_active_token() = 0;
  virtual AuditPage list_audit(const AuditQuery& q) = 0;
  virtual std::vector<Job> list_jobs(const std::string& exp_id) = 0;
  // Webhooks: those not deleted (creation order); one by id, deleted or not; a delivery; a
  // webhook's deliveries, newest first, a page at a time.
  virtual std::vector<Webhook> list_webhooks() = 0;
  virtual std::optional<Webhook> get_webhook(const std::string& webhook_id) = 0;
  virtual std::optional<WebhookDelivery> get_delivery(const std::string& delivery_id) = 0;
  virtual DeliveryPage list_deliveries(const std::string& webhook_id, int limit, std::int64_t offset) = 0;

  // Wakes the workers (the backends call it after commits that queued a job; decorators forward).
  void notify_job_queued() {
    if (job_listener_) job_listener_();
  }

  // How many of begin()'s transactions this process has committed (every write of data): a
  // cache of what was read may keep it until this changes (api/response_cache, issue 18).
  std::uint64_t commits() const { return commits_.load(std::memory_order_acquire); }

 protected:
  // The backends call it after each commit of begin()'s transactions.
  void note_commit() { commits_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::function<void()> job_listener_;
  std::atomic<std::uint64_t> commits_{0};
};

// SQLite files up to this size get the whole integrity check (PRAGMA quick_check, about 40 ms
// per 100 MB from the page cache) before the server opens them; larger ones get a check of the
// header and schema at start and the whole check on a background thread, so that start-up stays
// bounded (docs/operations.md, "Integrity at start").
inline constexpr std::uint64_t kDefaultIntegrityCheckBytes = 64ull << 20;

// "sqlite:PATH" (PATH may be relative) or "postgresql://..." (when built with libpq).
// Applies migrations. Throws std::invalid_argument on a bad URL.
std::unique_ptr<Store> make_store(const std::string& url, int pool_size,
                                  std::uint64_t integrity_check_bytes = kDefaultIntegrityCheckBytes);

}  // namespace rallyuxr::store
