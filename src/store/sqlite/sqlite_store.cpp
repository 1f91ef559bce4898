// The SQLite backend: one database file in WAL mode, a pool of connections, writes serialized by
// BEGIN IMMEDIATE. SQL lives in named constants; every value is a bound parameter.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "domain/ids.hpp"
#include "store/sqlite/connection.hpp"
#include "domain/deadline.hpp"
#include "store/row_mapping.hpp"
#include "store/sqlite/health_monitor.hpp"
#include "store/sqlite/schema.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::sqlite {
namespace {

using domain::UnixSeconds;

// ---- SQL
constexpr const char* kExperimentColumns =
    "id, name, description, status, start_date, end_date, expected_outcome, created_at, updated_at, "
    "created_by, implementation_cost, confidence_level, traffic_split, data_source, sim_present, "
    "sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids";

constexpr const char* kInsertExperiment =
    "INSERT INTO experiments (id, name, description, status, start_date, end_date, expected_outcome, "
    "created_at, updated_at, created_by, implementation_cost, confidence_level, traffic_split, "
    "data_source, sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, metric_ids) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)";
constexpr const char* kInsertExperimentMetric =
    "INSERT INTO experiment_metrics (experiment_id, position, metric_id) VALUES (?1,?2,?3)";
constexpr const char* kSelectExperimentMetrics =
    "SELECT metric_id FROM experiment_metrics WHERE experiment_id = ?1 ORDER BY position";
constexpr const char* kSelectExperiment =
    "SELECT id, name, description, status, start_date, end_date, expected_outcome, created_at, "
    "updated_at, created_by, implementation_cost, confidence_level, traffic_split, data_source, "
    "sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids "
    "FROM experiments WHERE id = ?1";
constexpr const char* kUpdateExperimentStatus =
    "UPDATE experiments SET status = ?2, updated_at = ?3 WHERE id = ?1";
constexpr const char* kListActive =
    "SELECT id, name, description, status, start_date, end_date, expected_outcome, created_at, "
    "updated_at, created_by, implementation_cost, confidence_level, traffic_split, data_source, "
    "sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids "
    "FROM experiments WHERE status <> 'archived' AND (?3 IS NULL OR instr(lower(name), lower(?3)) > 0) "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?2";
constexpr const char* kListByStatus =
    "SELECT id, name, description, status, start_date, end_date, expected_outcome, created_at, "
    "updated_at, created_by, implementation_cost, confidence_level, traffic_split, data_source, "
    "sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids "
    "FROM experiments WHERE status = ?4 AND (?3 IS NULL OR instr(lower(name), lower(?3)) > 0) "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?2";
// Keyset pages (migration 2): the experiment_blocks counters locate the block holding the row at
// the requested offset; the page then starts below that block's upper seq and skips < 64 rows.
// ?1: a status, or '*' for every status but archived.
constexpr const char* kBlocksLevel1 =
    "SELECT block, n FROM experiment_blocks WHERE level = 1 AND status = ?1 ORDER BY block DESC";
constexpr const char* kBlocksLevel0 =
    "SELECT block, n FROM experiment_blocks WHERE level = 0 AND status = ?1 AND block >= ?2 AND block < ?3 "
    "ORDER BY block DESC";
constexpr int kBlockBits0 = 6;   // as in the migration: seq >> 6 and seq >> 12
constexpr int kBlockBits1 = 12;
constexpr const char* kListActiveBelow =
    "SELECT id, name, description, status, start_date, end_date, expected_outcome, created_at, "
    "updated_at, created_by, implementation_cost, confidence_level, traffic_split, data_source, "
    "sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids "
    "FROM experiments WHERE seq < ?2 AND status <> 'archived' ORDER BY seq DESC LIMIT ?1 OFFSET ?3";
constexpr const char* kListByStatusBelow =
    "SELECT id, name, description, status, start_date, end_date, expected_outcome, created_at, "
    "updated_at, created_by, implementation_cost, confidence_level, traffic_split, data_source, "
    "sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact, seq, metric_ids "
    "FROM experiments WHERE seq < ?2 AND status = ?4 ORDER BY seq DESC LIMIT ?1 OFFSET ?3";
// The metrics of a whole page in one statement (?1: JSON array of experiment ids).
constexpr const char* kSelectMetricsOfMany =
    "SELECT experiment_id, position, metric_id FROM experiment_metrics "
    "WHERE experiment_id IN (SELECT value FROM json_each(?1))";
constexpr const char* kBeginRead = "BEGIN";
constexpr const char* kCommitRead = "COMMIT";
constexpr const char* kCountActiveNamed =
    "SELECT count(*) FROM experiments WHERE status <> 'archived' AND instr(lower(name), lower(?1)) > 0";
constexpr const char* kCountStatusNamed =
    "SELECT count(*) FROM experiments WHERE status = ?2 AND instr(lower(name), lower(?1)) > 0";
constexpr const char* kCounts = "SELECT status, n, impact FROM experiment_counts";
constexpr const char* kSetEconomicImpact =
    "UPDATE experiments SET economic_impact = ?2, updated_at = ?3 WHERE id = ?1";

constexpr const char* kMetricColumns =
    "metric_id, name, description, unit, category, dollars_per_unit, improvement_direction, "
    "unit_size, last_updated, updated_by, version, has_rules, min_value, max_value, decimal_places";
constexpr const char* kListMetrics =
    "SELECT metric_id, name, description, unit, category, dollars_per_unit, improvement_direction, "
    "unit_size, last_updated, updated_by, version, has_rules, min_value, max_value, decimal_places "
    "FROM metric_values ORDER BY metric_id";
constexpr const char* kGetMetric =
    "SELECT metric_id, name, description, unit, category, dollars_per_unit, improvement_direction, "
    "unit_size, last_updated, updated_by, version, has_rules, min_value, max_value, decimal_places "
    "FROM metric_values WHERE metric_id = ?1";
constexpr const char* kCountMetrics = "SELECT count(*) FROM metric_values";
constexpr const char* kInsertMetric =
    "INSERT OR IGNORE INTO metric_values (metric_id, name, description, unit, category, "
    "dollars_per_unit, improvement_direction, unit_size, last_updated, updated_by, version, "
    "has_rules, min_value, max_value, decimal_places) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)";
constexpr const char* kUpdateMetric =
    "UPDATE metric_values SET name=?2, description=?3, unit=?4, category=?5, dollars_per_unit=?6, "
    "improvement_direction=?7, unit_size=?8, last_updated=?9, updated_by=?10, version=?11, "
    "has_rules=?12, min_value=?13, max_value=?14, decimal_places=?15 WHERE metric_id=?1";
constexpr const char* kInsertHistory =
    "INSERT INTO metric_value_history (metric_id, version, dollars_per_unit, updated_at, "
    "updated_by, change_reason) VALUES (?1,?2,?3,?4,?5,?6)";
constexpr const char* kSelectHistory =
    "SELECT version, dollars_per_unit, updated_at, updated_by, change_reason "
    "FROM metric_value_history WHERE metric_id = ?1 ORDER BY version DESC";
constexpr const char* kImpactedExperiments =
    "SELECT e.id, (SELECT 1 FROM results_meta r WHERE r.experiment_id = e.id) FROM experiments e "
    "WHERE e.status IN ('draft','running') AND EXISTS (SELECT 1 FROM experiment_metrics m "
    "WHERE m.experiment_id = e.id AND m.metric_id = ?1) ORDER BY e.seq";

constexpr const char* kDeletePoints = "DELETE FROM result_points WHERE experiment_id = ?1";
constexpr const char* kUpsertPoint =
    "INSERT INTO result_points (experiment_id, metric_id, ts, tv, cv, tn, cn) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7) ON CONFLICT (experiment_id, metric_id, ts) DO UPDATE SET "
    "tv = excluded.tv, cv = excluded.cv, tn = excluded.tn, cn = excluded.cn";
// The same upsert for kPointsPerInsert rows at once (?1 experiment, ?2 metric, then 5 per row):
// a results write binds the ids and steps once per 64 hours instead of once per hour.
constexpr int kPointsPerInsert = 64;
const char* upsert_points_sql() {
  static const std::string sql = [] {
    std::string q = "INSERT INTO result_points (experiment_id, metric_id, ts, tv, cv, tn, cn) VALUES ";
    for (int i = 0; i < kPointsPerInsert; ++i) {
      int b = 3 + 5 * i;
      q += fmt::format("{}(?1,?2,?{},?{},?{},?{},?{})", i ? "," : "", b, b + 1, b + 2, b + 3, b + 4);
    }
    q += " ON CONFLICT (experiment_id, metric_id, ts) DO UPDATE SET "
         "tv = excluded.tv, cv = excluded.cv, tn = excluded.tn, cn = excluded.cn";
    return q;
  }();
  return sql.c_str();
}
constexpr const char* kSelectPoints =
    "SELECT metric_id, ts, tv, cv, tn, cn FROM result_points WHERE experiment_id = ?1 "
    "ORDER BY metric_id, ts";
constexpr const char* kSelectResultsMeta =
    "SELECT version, generated_at FROM results_meta WHERE experiment_id = ?1";
constexpr const char* kUpsertResultsMeta =
    "INSERT INTO results_meta (experiment_id, version, generated_at) VALUES (?1, 1, ?2) "
    "ON CONFLICT (experiment_id) DO UPDATE SET version = version + 1, generated_at = excluded.generated_at "
    "RETURNING version";
constexpr const char* kSelectResultsStats =
    "SELECT version, stats_version, points, participants, last_ts FROM results_meta WHERE experiment_id = ?1";
constexpr const char* kUpdateResultsStats =
    "UPDATE results_meta SET stats_version = version, points = ?2, participants = ?3, last_ts = ?4 "
    "WHERE experiment_id = ?1";
constexpr const char* kExperimentPeriod =
    "SELECT e.start_date, e.end_date, (SELECT metric_id FROM experiment_metrics m "
    "WHERE m.experiment_id = e.id ORDER BY position LIMIT 1) FROM experiments e WHERE e.id = ?1";
constexpr const char* kPointStats =
    "SELECT metric_id, count(*), max(ts) FROM result_points WHERE experiment_id = ?1 GROUP BY metric_id";
constexpr const char* kParticipants =
    "SELECT coalesce(sum(tn + cn), 0) FROM result_points WHERE experiment_id = ?1 AND metric_id = ?2 "
    "AND ts >= ?3 AND ts < ?4";

constexpr const char* kInsertEvent =
    "INSERT INTO events (event_id, experiment_id, event_type, payload, created_at) VALUES (?1,?2,?3,?4,?5)";
constexpr const char* kSelectEvents =
    "SELECT event_id, experiment_id, event_type, payload, created_at FROM events "
    "WHERE experiment_id = ?1 ORDER BY seq";

constexpr const char* kInsertJob =
    "INSERT INTO jobs (job_id, experiment_id, kind, status, payload, attempts, created_at, updated_at, "
    "run_after) VALUES (?1,?2,?3,'queued',?4,0,?5,?5,?6)";
constexpr const char* kJobColumns =
    "job_id, experiment_id, kind, status, payload, attempts, last_error, result, created_at, "
    "updated_at, run_after";
// The oldest runnable job: the oldest due queued job or the oldest running job whose lease has
// expired, whichever came first. Two statements, each walking jobs_by_status (migration 2) in seq
// order and stopping at the first match; the single OR query sorted every queued job on each
// lease, which under a backlog made leasing (inside the write lock) the pipeline's bottleneck.
// `+run_after` keeps the planner off jobs_runnable, whose order is not seq's.
constexpr const char* kNextQueued =
    "SELECT job_id, seq FROM jobs WHERE status = 'queued' AND +run_after <= ?1 ORDER BY seq LIMIT 1";
constexpr const char* kNextExpired =
    "SELECT job_id, seq FROM jobs WHERE status = 'running' AND +lease_until < ?1 ORDER BY seq LIMIT 1";
constexpr const char* kLeaseJob =
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?2, lease_until = ?3, "
    "updated_at = ?4 WHERE job_id = ?1 RETURNING job_id, experiment_id, kind, status, payload, "
    "attempts, last_error, result, created_at, updated_at, run_after";
constexpr const char* kSelectJob =
    "SELECT job_id, experiment_id, kind, status, payload, attempts, last_error, result, created_at, "
    "updated_at, run_after FROM jobs WHERE job_id = ?1";
constexpr const char* kSelectJobs =
    "SELECT job_id, experiment_id, kind, status, payload, attempts, last_error, result, created_at, "
    "updated_at, run_after FROM jobs WHERE experiment_id = ?1 ORDER BY seq";
constexpr const char* kRetryJob =
    "UPDATE jobs SET status = 'queued', last_error = ?2, run_after = ?3, lease_owner = NULL, "
    "lease_until = NULL, updated_at = ?4 WHERE job_id = ?1";
constexpr const char* kFailJob =
    "UPDATE jobs SET status = 'failed', last_error = ?2, lease_owner = NULL, lease_until = NULL, "
    "updated_at = ?3 WHERE job_id = ?1";
constexpr const char* kCompleteJob =
    "UPDATE jobs SET status = 'done', result = coalesce(?2, result), lease_owner = NULL, "
    "lease_until = NULL, updated_at = ?3 WHERE job_id = ?1";
constexpr const char* kNextDue =
    "SELECT min(run_after) FROM jobs WHERE status = 'queued'";
constexpr const char* kNextLeaseExpiry =
    "SELECT min(lease_until) FROM jobs WHERE status = 'running'";
constexpr const char* kQueueStats =
    "SELECT status, count(*), min(created_at) FROM jobs WHERE status IN ('queued','running','failed') "
    "GROUP BY status";
constexpr const char* kRequeueOrphans =
    "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, run_after = 0 "
    "WHERE status = 'running'";

constexpr const char* kInsertAnalysis =
    "INSERT INTO analyses (analysis_id, experiment_id, status, results_version, document, "
    "total_impact, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?7)";
constexpr const char* kFinishAnalysis =
    "UPDATE analyses SET status = ?2, document = ?3, total_impact = ?4, updated_at = ?5 "
    "WHERE analysis_id = ?1";
constexpr const char* kAnalysisColumns =
    "analysis_id, experiment_id, status, results_version, document, total_impact, created_at, updated_at";
constexpr const char* kGetAnalysis =
    "SELECT analysis_id, experiment_id, status, results_version, document, total_impact, created_at, "
    "updated_at FROM analyses WHERE analysis_id = ?1";
constexpr const char* kLatestComplete =
    "SELECT analysis_id, experiment_id, status, results_version, document, total_impact, created_at, "
    "updated_at FROM analyses WHERE experiment_id = ?1 AND status = 'complete' ORDER BY seq DESC LIMIT 1";
constexpr const char* kLatestAny =
    "SELECT analysis_id, experiment_id, status, results_version, document, total_impact, created_at, "
    "updated_at FROM analyses WHERE experiment_id = ?1 ORDER BY seq DESC LIMIT 1";
constexpr const char* kListAnalyses =
    "SELECT analysis_id, experiment_id, status, results_version, document, total_impact, created_at, "
    "updated_at FROM analyses WHERE experiment_id = ?1 ORDER BY seq DESC";
constexpr const char* kNewestCompleteImpact =
    "SELECT total_impact FROM analyses WHERE experiment_id = ?1 AND status = 'complete' "
    "ORDER BY seq DESC LIMIT 1";

// A read transaction (BEGIN DEFERRED): the statements inside see one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& c) : c_(c) { c_.prepare(kBeginRead).run(); }
  ~ReadTransaction() {
    try {
      c_.prepare(kCommitRead).run();
    } catch (...) {
    }
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& c_;
};

// A write transaction of this process. Writers take turns on a mutex before BEGIN IMMEDIATE:
// while another connection holds SQLite's write lock, its busy handler sleeps in steps of up to
// 100 ms, so under load writers idled while the lock was free; the mutex hands it over at once
// (docs/performance.md). Other processes on the same file still meet at the database's lock.
// Both waits (the mutex, then SQLite's busy handler) share one budget: 10 s, or less when the
// request's deadline is nearer (domain/deadline.hpp); past it the write fails with StoreUnavailable.
class WriteTransaction {
 public:
  WriteTransaction(std::timed_mutex& mu, Connection& c) : lock_(acquire(mu)), tx_(begin_within_budget(c)) {
    sqlite3_busy_timeout(c.handle(), 10000);
  }
  void commit() {
    tx_.commit();
    record_write_ok();
    lock_.unlock();
  }

 private:
  static std::unique_lock<std::timed_mutex> acquire(std::timed_mutex& mu) {
    std::unique_lock<std::timed_mutex> lock(mu, std::defer_lock);
    if (!lock.try_lock_for(domain::wait_budget(std::chrono::seconds(10))))
      throw StoreUnavailable("the database is busy: another write held it past the deadline");
    return lock;
  }
  static Connection& begin_within_budget(Connection& c) {
    sqlite3_busy_timeout(c.handle(), static_cast<int>(domain::wait_budget(std::chrono::seconds(10)).count()));
    return c;
  }
  std::unique_lock<std::timed_mutex> lock_;  // held until tx_ commits or rolls back
  Transaction tx_;
};

// ---- row mapping
// experiments.metric_ids: "a,b,c" (NULL: see experiment_metrics).
std::optional<std::string> join_metric_ids(const std::vector<std::string>& ids) {
  if (ids.empty() || ids.size() > 10) return std::nullopt;
  std::string out;
  for (const auto& id : ids) {
    if (id.empty() || id.find(',') != std::string::npos) return std::nullopt;
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> split_metric_ids(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.emplace_back(text, start, comma - start);
    start = comma + 1;
  }
  return out;
}

// The experiments row; its metrics come from metric_ids when set (*has_metrics), else the caller
// reads experiment_metrics (load_metrics).
domain::Experiment read_experiment_row(Statement& s, std::optional<double>* impact, bool* has_metrics = nullptr) {
  domain::Experiment e = experiment_from_row(s, impact);
  if (has_metrics) *has_metrics = !s.is_null(21);
  if (!s.is_null(21)) e.metrics = split_metric_ids(s.text(21));
  return e;
}

domain::Experiment read_experiment(Statement& s, Connection& c, std::optional<double>* impact) {
  bool has_metrics = false;
  domain::Experiment e = read_experiment_row(s, impact, &has_metrics);
  if (has_metrics) return e;
  auto m = c.prepare(kSelectExperimentMetrics);
  m.bind(1, e.id);
  while (m.step()) e.metrics.push_back(m.text(0));
  return e;
}

// The metrics of the experiments of a page that have no metric_ids, with one statement.
void load_metrics(Connection& c, std::vector<ExperimentRow>& rows, const std::vector<bool>& has_metrics) {
  std::string ids = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (has_metrics[i]) continue;
    if (ids.size() > 1) ids += ',';
    ids += json_quote(rows[i].experiment.id);
  }
  if (ids.size() == 1) return;
  ids += ']';
  std::vector<std::vector<std::pair<std::int64_t, std::string>>> found(rows.size());
  auto s = c.prepare(kSelectMetricsOfMany);
  s.bind(1, ids);
  while (s.step()) {
    std::string id = s.text(0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!has_metrics[i] && rows[i].experiment.id == id) {
        found[i].emplace_back(s.int64(1), s.text(2));
        break;
      }
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::sort(found[i].begin(), found[i].end());
    for (auto& [position, metric] : found[i]) rows[i].experiment.metrics.push_back(std::move(metric));
  }
}

// Where the page starting at `offset` (in seq DESC order, among the experiments with `status`, or
// '*': every status but archived) begins: rows with seq < first, skipping `second` of them. {0, 0}
// (an empty page) past the end; nullopt if the counters do not add up (the caller then steps
// over the rows, as without the index).
std::optional<std::pair<std::int64_t, std::int64_t>> locate_page(Connection& c, const std::string& status,
                                                                 std::int64_t offset) {
  std::int64_t remaining = offset;
  std::optional<std::int64_t> top;
  {
    auto s = c.prepare(kBlocksLevel1);
    s.bind(1, status);
    while (s.step()) {
      std::int64_t n = s.int64(1);
      if (remaining < n) {
        top = s.int64(0);
        break;
      }
      remaining -= n;
    }
  }
  if (!top) return std::pair<std::int64_t, std::int64_t>{0, 0};
  constexpr int kShift = kBlockBits1 - kBlockBits0;
  auto s = c.prepare(kBlocksLevel0);
  s.bind(1, status).bind(2, *top << kShift).bind(3, (*top + 1) << kShift);
  while (s.step()) {
    std::int64_t n = s.int64(1);
    if (remaining < n) return std::pair<std::int64_t, std::int64_t>{(s.int64(0) + 1) << kBlockBits0, remaining};
    remaining -= n;
  }
  return std::nullopt;
}

// The figures of ResultsInfo from the points themselves (info.version already set).
void compute_results_stats(Connection& c, const std::string& experiment_id, ResultsInfo& info) {
  info.points = 0;
  info.participants = 0;
  std::optional<domain::UnixSeconds> min_last;
  {
    auto s = c.prepare(kPointStats);
    s.bind(1, experiment_id);
    while (s.step()) {
      info.points += s.int64(1);
      auto last = s.int64(2);
      if (!min_last || last < *min_last) min_last = last;
    }
  }
  info.last_timestamp = min_last;
  auto e = c.prepare(kExperimentPeriod);
  e.bind(1, experiment_id);
  if (e.step() && !e.is_null(2)) {
    auto s = c.prepare(kParticipants);
    s.bind(1, experiment_id).bind(2, e.text(2)).bind(3, e.int64(0)).bind(4, e.int64(1));
    if (s.step()) info.participants = s.int64(0);
  }
}

domain::MetricValue read_metric(Statement& s) { return metric_value_from_row(s); }

void bind_metric(Statement& s, const domain::MetricValue& m) {
  s.bind(1, m.metric_id).bind(2, m.name).bind(3, m.description).bind(4, m.unit).bind(5, m.category);
  s.bind(6, m.dollars_per_unit).bind(7, domain::to_string(m.improvement_direction));
  s.bind(8, m.unit_size).bind(9, m.last_updated).bind(10, m.updated_by).bind(11, m.version);
  s.bind(12, m.validation_rules ? 1 : 0);
  if (m.validation_rules) {
    s.bind(13, m.validation_rules->min_value).bind(14, m.validation_rules->max_value);
    if (m.validation_rules->decimal_places)
      s.bind(15, static_cast<std::int64_t>(*m.validation_rules->decimal_places));
    else
      s.bind_null(15);
  } else {
    s.bind_null(13).bind_null(14).bind_null(15);
  }
}

Job read_job(Statement& s) { return job_from_row(s); }

StoredAnalysis read_analysis(Statement& s) { return analysis_from_row(s); }

void insert_event(Connection& c, const Event& e) {
  c.prepare(kInsertEvent)
      .bind(1, e.event_id)
      .bind(2, e.experiment_id)
      .bind(3, e.event_type)
      .bind(4, e.payload)
      .bind(5, e.created_at)
      .run();
}

void insert_job(Connection& c, const std::string& job_id, const std::string& exp_id, JobKind kind,
                const std::string& payload, UnixSeconds now) {
  c.prepare(kInsertJob)
      .bind(1, job_id)
      .bind(2, exp_id)
      .bind(3, to_string(kind))
      .bind(4, payload)
      .bind(5, now)
      .bind(6, 0.0)
      .run();
}

// Queues an analysis of the given results version: a processing row and its job.
std::string queue_analysis(Connection& c, const std::string& exp_id, std::int64_t version,
                           const std::string& event_name, const std::string& extra_json,
                           UnixSeconds now) {
  std::string analysis_id = domain::new_uuid_v7();
  std::string job_id = domain::new_uuid_v7();
  c.prepare(kInsertAnalysis)
      .bind(1, analysis_id)
      .bind(2, exp_id)
      .bind(3, "processing")
      .bind(4, version)
      .bind(5, "{}")
      .bind_null(6)
      .bind(7, now)
      .run();
  insert_job(c, job_id, exp_id, JobKind::kAnalyze,
             analysis_job_payload(exp_id, version, event_name, analysis_id, extra_json), now);
  return analysis_id;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, int pool_size) {
    if (path != ":memory:") {
      auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    check_integrity(path);  // refuse a damaged file before touching it
    {
      Connection c(path);  // migrate on a connection of its own, before the pool opens
      migrate(c);
      c.exec(kRequeueOrphans);  // one node per SQLite file: a running job at start is orphaned
    }
    pool_ = std::make_unique<Pool>(path, pool_size);
    monitor_ = std::make_unique<HealthMonitor>(path);
  }

  HealthReport health() override { return monitor_->report(); }

  bool ping() override {
    auto c = pool_->acquire();
    auto s = c->prepare(kCountMetrics);
    return s.step();
  }

  bool seed_metric_values(const std::vector<domain::MetricValue>& catalogue) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    {
      auto s = c->prepare(kCountMetrics);
      s.step();
      if (s.int64(0) > 0) return false;
    }
    for (const auto& m : catalogue) insert_metric(*c, m);
    tx.commit();
    return true;
  }

  void create_experiment(const domain::Experiment& e, const Event& created,
                         const std::optional<NewJob>& job) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    auto s = c->prepare(kInsertExperiment);
    s.bind(1, e.id).bind(2, e.name).bind(3, e.description).bind(4, domain::to_string(e.status));
    s.bind(5, e.start_date).bind(6, e.end_date).bind(7, domain::to_string(e.expected_outcome));
    s.bind(8, e.created_at).bind(9, e.updated_at).bind(10, e.created_by);
    s.bind(11, e.implementation_cost).bind(12, e.confidence_level).bind(13, e.traffic_split);
    s.bind(14, domain::to_string(e.data_source)).bind(15, e.simulation ? 1 : 0);
    if (e.simulation && e.simulation->seed)
      s.bind(16, static_cast<std::int64_t>(*e.simulation->seed));
    else
      s.bind_null(16);
    if (e.simulation) {
      s.bind(17, e.simulation->pre_period_days).bind(18, e.simulation->daily_traffic);
      s.bind(19, encode_lifts(e.simulation->true_lift));
    } else {
      s.bind_null(17).bind_null(18).bind_null(19);
    }
    s.bind(20, join_metric_ids(e.metrics));
    s.run();
    for (std::size_t i = 0; i < e.metrics.size(); ++i)
      c->prepare(kInsertExperimentMetric)
          .bind(1, e.id)
          .bind(2, static_cast<std::int64_t>(i))
          .bind(3, e.metrics[i])
          .run();
    insert_event(*c, created);
    if (job) insert_job(*c, domain::new_uuid_v7(), e.id, job->kind, job->payload, e.created_at);
    tx.commit();
    if (job) notify_job_queued();
  }

  std::optional<domain::Experiment> get_experiment(const std::string& id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kSelectExperiment);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_experiment(s, *c, nullptr);
  }

  ExperimentPage list_experiments(const ExperimentListQuery& q) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);  // the page and its total from one snapshot
    ExperimentPage page;
    std::vector<bool> has_metrics;
    auto read_rows = [&page, &has_metrics](Statement& s) {
      while (s.step()) {
        ExperimentRow row;
        bool has = false;
        row.experiment = read_experiment_row(s, &row.economic_impact, &has);
        page.experiments.push_back(std::move(row));
        has_metrics.push_back(has);
      }
    };
    std::optional<std::string> status;
    if (q.status) status = domain::to_string(*q.status);
    std::optional<std::pair<std::int64_t, std::int64_t>> start;
    if (!q.name_contains) start = locate_page(*c, status ? *status : std::string("*"), q.offset);
    if (start) {
      if (start->first > 0) {
        auto s = c->prepare(q.status ? kListByStatusBelow : kListActiveBelow);
        s.bind(1, static_cast<std::int64_t>(q.limit)).bind(2, start->first).bind(3, start->second);
        if (status) s.bind(4, *status);
        read_rows(s);
      }
    } else {  // a name filter: the rows are stepped over, as the filter must look at each
      auto s = c->prepare(q.status ? kListByStatus : kListActive);
      s.bind(1, static_cast<std::int64_t>(q.limit)).bind(2, q.offset).bind(3, q.name_contains);
      if (status) s.bind(4, *status);
      read_rows(s);
    }
    load_metrics(*c, page.experiments, has_metrics);
    if (q.name_contains) {
      auto s = c->prepare(q.status ? kCountStatusNamed : kCountActiveNamed);
      s.bind(1, *q.name_contains);
      if (q.status) s.bind(2, domain::to_string(*q.status));
      s.step();
      page.total = s.int64(0);
    } else {
      auto s = c->prepare(kCounts);
      while (s.step()) {
        auto st = s.text(0);
        if (q.status ? st == domain::to_string(*q.status) : st != "archived") page.total += s.int64(1);
      }
    }
    return page;
  }

  Summary summary() override {
    auto c = pool_->acquire();
    Summary sum;
    auto s = c->prepare(kCounts);
    while (s.step()) {
      auto st = s.text(0);
      if (st == "archived") continue;
      sum.total_experiments += s.int64(1);
      sum.total_economic_impact += s.real(2);
      if (st == "complete") sum.completed_experiments = s.int64(1);
    }
    return sum;
  }

  bool set_experiment_status(const std::string& id, domain::ExperimentStatus status,
                             UnixSeconds now) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    c->prepare(kUpdateExperimentStatus).bind(1, id).bind(2, domain::to_string(status)).bind(3, now).run();
    bool changed = c->changes() > 0;
    tx.commit();
    return changed;
  }

  std::vector<domain::MetricValue> list_metric_values() override {
    auto c = pool_->acquire();
    std::vector<domain::MetricValue> out;
    auto s = c->prepare(kListMetrics);
    while (s.step()) out.push_back(read_metric(s));
    return out;
  }

  std::optional<domain::MetricValue> get_metric_value(const std::string& id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kGetMetric);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_metric(s);
  }

  bool create_metric_value(const domain::MetricValue& m) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    if (!insert_metric(*c, m)) return false;
    tx.commit();
    return true;
  }

  std::optional<MetricValueUpdated> update_metric_value(const std::string& id,
                                                        const MetricValueUpdate& u,
                                                        UnixSeconds now) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    std::optional<domain::MetricValue> current;
    {
      auto s = c->prepare(kGetMetric);
      s.bind(1, id);
      if (s.step()) current = read_metric(s);
    }
    if (!current) return std::nullopt;
    MetricValueUpdated out;
    out.previous_value = current->dollars_per_unit;
    domain::MetricValue m = apply_update(*current, u, now);
    {
      auto s = c->prepare(kUpdateMetric);
      bind_metric(s, m);
      s.run();
    }
    c->prepare(kInsertHistory)
        .bind(1, m.metric_id)
        .bind(2, m.version)
        .bind(3, m.dollars_per_unit)
        .bind(4, now)
        .bind(5, m.updated_by)
        .bind(6, u.change_reason)
        .run();
    std::vector<std::pair<std::string, bool>> impacted;
    {
      auto s = c->prepare(kImpactedExperiments);
      s.bind(1, id);
      while (s.step()) impacted.emplace_back(s.text(0), !s.is_null(1));
    }
    bool queued = false;
    for (const auto& [exp_id, has_results] : impacted) {
      if (!has_results) continue;  // its first analysis will read the new value anyway
      auto meta = c->prepare(kSelectResultsMeta);
      meta.bind(1, exp_id);
      if (!meta.step()) continue;
      std::int64_t version = meta.int64(0);
      insert_event(*c, Event{domain::new_uuid_v7(), exp_id, "ANALYSIS_REQUESTED",
                             metric_change_payload(exp_id, id, m.version), now});
      queue_analysis(*c, exp_id, version, "MODIFY", "", now);
      queued = true;
    }
    tx.commit();
    if (queued) notify_job_queued();
    out.metric = m;
    out.impacted_experiments = static_cast<std::int64_t>(impacted.size());
    return out;
  }

  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override {
    auto c = pool_->acquire();
    std::vector<domain::MetricValueHistoryEntry> out;
    auto s = c->prepare(kSelectHistory);
    s.bind(1, id);
    while (s.step()) {
      domain::MetricValueHistoryEntry h;
      h.version = s.int64(0);
      h.dollars_per_unit = s.real(1);
      h.updated_at = s.int64(2);
      h.updated_by = s.opt_text(3);
      h.change_reason = s.opt_text(4);
      out.push_back(std::move(h));
    }
    return out;
  }

  std::int64_t write_results(const ResultsWrite& w) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    bool existed = false;
    {
      auto s = c->prepare(kSelectResultsMeta);
      s.bind(1, w.experiment_id);
      existed = s.step();
    }
    if (w.mode == WriteMode::kReplace) c->prepare(kDeletePoints).bind(1, w.experiment_id).run();
    for (const auto& series : w.metrics) {
      const auto& points = series.points;
      std::size_t i = 0;
      for (; i + kPointsPerInsert <= points.size(); i += kPointsPerInsert) {
        auto s = c->prepare(upsert_points_sql());
        s.bind(1, w.experiment_id).bind(2, series.metric_id);
        for (int k = 0; k < kPointsPerInsert; ++k) {
          const auto& p = points[i + static_cast<std::size_t>(k)];
          int b = 3 + 5 * k;
          s.bind(b, p.timestamp)
              .bind(b + 1, p.treatment_value)
              .bind(b + 2, p.control_value)
              .bind(b + 3, p.treatment_sample_size)
              .bind(b + 4, p.control_sample_size);
        }
        s.run();
      }
      for (; i < points.size(); ++i) {
        const auto& p = points[i];
        c->prepare(kUpsertPoint)
            .bind(1, w.experiment_id)
            .bind(2, series.metric_id)
            .bind(3, p.timestamp)
            .bind(4, p.treatment_value)
            .bind(5, p.control_value)
            .bind(6, p.treatment_sample_size)
            .bind(7, p.control_sample_size)
            .run();
      }
    }
    std::int64_t version = 0;
    {
      auto s = c->prepare(kUpsertResultsMeta);
      s.bind(1, w.experiment_id).bind(2, w.now);
      if (s.step()) version = s.int64(0);
    }
    {
      ResultsInfo info;
      compute_results_stats(*c, w.experiment_id, info);
      c->prepare(kUpdateResultsStats)
          .bind(1, w.experiment_id)
          .bind(2, info.points)
          .bind(3, info.participants)
          .bind(4, info.last_timestamp)
          .run();
    }
    std::string event_name = existed ? "MODIFY" : "INSERT";
    insert_event(*c, Event{domain::new_uuid_v7(), w.experiment_id,
                           existed ? "RESULTS_MODIFY" : "RESULTS_INSERT",
                           stream_event_payload(w.experiment_id, version, event_name), w.now});
    queue_analysis(*c, w.experiment_id, version, event_name, "", w.now);
    if (w.set_status)
      c->prepare(kUpdateExperimentStatus)
          .bind(1, w.experiment_id)
          .bind(2, domain::to_string(*w.set_status))
          .bind(3, w.now)
          .run();
    if (w.completing_job)
      c->prepare(kCompleteJob).bind(1, *w.completing_job).bind(2, w.job_result).bind(3, w.now).run();
    tx.commit();
    forget_results(w.experiment_id);
    notify_job_queued();
    return version;
  }

  std::optional<StoredResults> get_results(const std::string& experiment_id) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);  // the version and the points from one snapshot
    StoredResults r;
    {
      auto s = c->prepare(kSelectResultsMeta);
      s.bind(1, experiment_id);
      if (!s.step()) return std::nullopt;
      r.version = s.int64(0);
      r.generated_at = s.int64(1);
    }
    if (auto hit = cached_results(experiment_id, r.version, r.generated_at)) return *hit;
    std::vector<std::string> order;
    {
      auto s = c->prepare(kSelectExperimentMetrics);
      s.bind(1, experiment_id);
      while (s.step()) order.push_back(s.text(0));
    }
    for (const auto& id : order) r.metrics.push_back(domain::MetricSeries{id, {}});
    auto s = c->prepare(kSelectPoints);
    s.bind(1, experiment_id);
    domain::MetricSeries* current = nullptr;
    std::string current_id;
    while (s.step()) {
      std::string id = s.text(0);
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
      current->points.push_back(domain::HourlyPoint{s.int64(1), s.real(2), s.real(3), s.int64(4), s.int64(5)});
    }
    cache_results(experiment_id, r);
    return r;
  }

  std::optional<ResultsInfo> results_info(const std::string& experiment_id) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);
    ResultsInfo info;
    auto s = c->prepare(kSelectResultsStats);
    s.bind(1, experiment_id);
    if (!s.step()) return std::nullopt;
    info.version = s.int64(0);
    if (!s.is_null(1) && s.int64(1) == info.version) {  // kept by write_results
      info.points = s.int64(2);
      info.participants = s.int64(3);
      if (!s.is_null(4)) info.last_timestamp = s.int64(4);
      return info;
    }
    compute_results_stats(*c, experiment_id, info);
    return info;
  }

  std::optional<std::string> request_analysis(const std::string& experiment_id,
                                              const std::string& payload_extra_json,
                                              UnixSeconds now) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    std::int64_t version = 0;
    {
      auto s = c->prepare(kSelectResultsMeta);
      s.bind(1, experiment_id);
      if (!s.step()) return std::nullopt;
      version = s.int64(0);
    }
    insert_event(*c, Event{domain::new_uuid_v7(), experiment_id, "ANALYSIS_REQUESTED",
                           stream_event_payload(experiment_id, version, "MODIFY"), now});
    auto id = queue_analysis(*c, experiment_id, version, "MODIFY", payload_extra_json, now);
    tx.commit();
    notify_job_queued();
    return id;
  }

  void finish_analysis(const AnalysisFinish& f) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    std::optional<StoredAnalysis> a;
    {
      auto s = c->prepare(kGetAnalysis);
      s.bind(1, f.analysis_id);
      if (s.step()) a = read_analysis(s);
    }
    std::optional<Job> job;
    if (!f.job_id.empty()) {
      auto s = c->prepare(kSelectJob);
      s.bind(1, f.job_id);
      if (s.step()) job = read_job(s);
    }
    std::string exp_id = a ? a->experiment_id : (job ? job->experiment_id : f.experiment_id);
    if (!a) {
      std::int64_t version = 0;
      auto s = c->prepare(kSelectResultsMeta);
      s.bind(1, exp_id);
      if (s.step()) version = s.int64(0);
      c->prepare(kInsertAnalysis)
          .bind(1, f.analysis_id)
          .bind(2, exp_id)
          .bind(3, "processing")
          .bind(4, version)
          .bind(5, "{}")
          .bind_null(6)
          .bind(7, f.now)
          .run();
    }
    c->prepare(kFinishAnalysis)
        .bind(1, f.analysis_id)
        .bind(2, f.ok ? "complete" : "failed")
        .bind(3, f.document)
        .bind(4, f.total_impact)
        .bind(5, f.now)
        .run();
    if (f.ok && !exp_id.empty()) {
      // The experiment's impact is that of its newest complete analysis (by creation order).
      std::optional<double> impact;
      {
        auto s = c->prepare(kNewestCompleteImpact);
        s.bind(1, exp_id);
        if (s.step()) impact = s.opt_real(0);
      }
      c->prepare(kSetEconomicImpact).bind(1, exp_id).bind(2, impact).bind(3, f.now).run();
      if (f.experiment_status)
        c->prepare(kUpdateExperimentStatus)
            .bind(1, exp_id)
            .bind(2, domain::to_string(*f.experiment_status))
            .bind(3, f.now)
            .run();
    }
    if (job) {
      if (f.ok)
        c->prepare(kCompleteJob).bind(1, f.job_id).bind_null(2).bind(3, f.now).run();
      else
        c->prepare(kFailJob).bind(1, f.job_id).bind(2, failed_error_text(f.document)).bind(3, f.now).run();
    }
    tx.commit();
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
    auto c = pool_->acquire();
    std::vector<StoredAnalysis> out;
    auto s = c->prepare(kListAnalyses);
    s.bind(1, exp_id);
    while (s.step()) out.push_back(read_analysis(s));
    return out;
  }

  std::optional<Job> lease_job(const std::string& worker_id, double now, double lease_seconds) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    std::string job_id;
    std::int64_t job_seq = 0;
    {
      auto s = c->prepare(kNextQueued);
      s.bind(1, now);
      if (s.step()) {
        job_id = s.text(0);
        job_seq = s.int64(1);
      }
    }
    {
      auto s = c->prepare(kNextExpired);
      s.bind(1, now);
      if (s.step() && (job_id.empty() || s.int64(1) < job_seq)) job_id = s.text(0);
    }
    if (job_id.empty()) return std::nullopt;
    Job job;
    {
      auto s = c->prepare(kLeaseJob);
      s.bind(1, job_id).bind(2, worker_id).bind(3, now + lease_seconds).bind(4, static_cast<std::int64_t>(now));
      if (!s.step()) return std::nullopt;
      job = read_job(s);
    }
    tx.commit();
    return job;
  }

  void retry_job(const std::string& job_id, const std::string& error, double retry_at) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    c->prepare(kRetryJob).bind(1, job_id).bind(2, error).bind(3, retry_at).bind(4, domain::now_seconds()).run();
    tx.commit();
    notify_job_queued();
  }

  void fail_job(const std::string& job_id, const std::string& error) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    c->prepare(kFailJob).bind(1, job_id).bind(2, error).bind(3, domain::now_seconds()).run();
    tx.commit();
  }

  void complete_job(const std::string& job_id, const std::optional<std::string>& result) override {
    auto c = pool_->acquire();
    WriteTransaction tx(write_mu_, *c);
    c->prepare(kCompleteJob).bind(1, job_id).bind(2, result).bind(3, domain::now_seconds()).run();
    tx.commit();
  }

  std::optional<Job> get_job(const std::string& job_id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kSelectJob);
    s.bind(1, job_id);
    if (!s.step()) return std::nullopt;
    return read_job(s);
  }

  std::optional<double> next_job_due_in(double now) override {
    auto c = pool_->acquire();
    std::optional<double> due;
    {
      auto s = c->prepare(kNextDue);
      if (s.step() && !s.is_null(0)) due = s.real(0);
    }
    {
      auto s = c->prepare(kNextLeaseExpiry);
      if (s.step() && !s.is_null(0)) {
        double t = s.real(0);
        if (!due || t < *due) due = t;
      }
    }
    if (!due) return std::nullopt;
    return std::max(0.0, *due - now);
  }

  std::vector<Event> list_events(const std::string& exp_id) override {
    auto c = pool_->acquire();
    std::vector<Event> out;
    auto s = c->prepare(kSelectEvents);
    s.bind(1, exp_id);
    while (s.step()) out.push_back(Event{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4)});
    return out;
  }

  std::vector<Job> list_jobs(const std::string& exp_id) override {
    auto c = pool_->acquire();
    std::vector<Job> out;
    auto s = c->prepare(kSelectJobs);
    s.bind(1, exp_id);
    while (s.step()) out.push_back(read_job(s));
    return out;
  }

  QueueStats queue_stats(double now) override {
    auto c = pool_->acquire();
    QueueStats q;
    auto s = c->prepare(kQueueStats);
    while (s.step()) {
      auto st = s.text(0);
      if (st == "queued") {
        q.queued = s.int64(1);
        q.oldest_queued_age_seconds = std::max(0.0, now - s.real(2));
      } else if (st == "running") {
        q.running = s.int64(1);
      } else {
        q.failed = s.int64(1);
      }
    }
    return q;
  }

 private:
  static void migrate(Connection& c) {
    c.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    Transaction tx(c);
    std::int64_t applied = 0;
    {
      auto s = c.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
      s.step();
      applied = s.int64(0);
    }
    for (std::size_t i = static_cast<std::size_t>(applied); i < kMigrations.size(); ++i) {
      c.exec(kMigrations[i]);
      c.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)")
          .bind(1, static_cast<std::int64_t>(i + 1))
          .bind(2, domain::now_seconds())
          .run();
    }
    tx.commit();
  }

  static bool insert_metric(Connection& c, const domain::MetricValue& m) {
    auto s = c.prepare(kInsertMetric);
    bind_metric(s, m);
    s.run();
    if (c.changes() == 0) return false;
    c.prepare(kInsertHistory)
        .bind(1, m.metric_id)
        .bind(2, m.version)
        .bind(3, m.dollars_per_unit)
        .bind(4, m.last_updated)
        .bind(5, m.updated_by)
        .bind_null(6)
        .run();
    return true;
  }

  std::optional<StoredAnalysis> one_analysis(const char* sql, const std::string& key) {
    auto c = pool_->acquire();
    auto s = c->prepare(sql);
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return read_analysis(s);
  }

  // ---- the results cache: the hourly rows of an experiment are read (dashboards, the analysis
  // job) far more often than written, and reading them is most of GET .../results (see
  // docs/performance.md). An entry is used only for the exact results version (and generation
  // time) that the database shows in the same read transaction, so it is never stale, also when
  // another process writes. Least recently used entries go beyond kResultsCacheBytes.
  static constexpr std::size_t kResultsCacheBytes = 16u << 20;

  struct CachedResults {
    std::shared_ptr<const StoredResults> results;
    std::size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };

  static std::size_t results_bytes(const StoredResults& r) {
    std::size_t n = sizeof(StoredResults);
    for (const auto& m : r.metrics) n += sizeof(m) + m.metric_id.size() + m.points.size() * sizeof(domain::HourlyPoint);
    return n;
  }

  std::shared_ptr<const StoredResults> cached_results(const std::string& id, std::int64_t version,
                                                      UnixSeconds generated_at) {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(id);
    if (it == cache_.end()) return nullptr;
    if (it->second.results->version != version || it->second.results->generated_at != generated_at) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.results;
  }

  void cache_results(const std::string& id, const StoredResults& r) {
    std::size_t bytes = results_bytes(r);
    if (bytes > kResultsCacheBytes / 4) return;
    auto copy = std::make_shared<const StoredResults>(r);
    std::lock_guard lock(cache_mu_);
    erase_cached(id);
    lru_.push_front(id);
    cache_.emplace(id, CachedResults{std::move(copy), bytes, lru_.begin()});
    cache_bytes_ += bytes;
    while (cache_bytes_ > kResultsCacheBytes && !lru_.empty()) erase_cached(lru_.back());
  }

  void forget_results(const std::string& id) {
    std::lock_guard lock(cache_mu_);
    erase_cached(id);
  }

  void erase_cached(const std::string& id) {  // with cache_mu_ held
    auto it = cache_.find(id);
    if (it == cache_.end()) return;
    cache_bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    cache_.erase(it);
  }

  std::unique_ptr<Pool> pool_;
  std::timed_mutex write_mu_;  // see WriteTransaction
  std::unique_ptr<HealthMonitor> monitor_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedResults> cache_;
  std::list<std::string> lru_;  // most recently used first
  std::size_t cache_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(const std::string& path, int pool_size) {
  return std::make_unique<SqliteStore>(path, pool_size);
}

}  // namespace rallyuxr::store::sqlite
