// The SQLite backend's internals shared by its files: the transaction guards, row mapping and
// binding helpers, and the two classes (the store in sqlite_store.cpp, its write transaction in
// transaction.cpp).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/deadline.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/health_monitor.hpp"
#include "store/sqlite/sql.hpp"
#include "store/store.hpp"

namespace rallyuxr::store::sqlite {

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


std::optional<std::string> join_metric_ids(const std::vector<std::string>& ids);
// The experiments row; its metrics come from metric_ids when set (*has_metrics), else the caller
// reads experiment_metrics (load_metrics).
domain::Experiment read_experiment_row(Statement& s, std::optional<double>* impact, bool* has_metrics = nullptr);
domain::Experiment read_experiment(Statement& s, Connection& c, std::optional<double>* impact);
void load_metrics(Connection& c, std::vector<ExperimentRow>& rows, const std::vector<bool>& has_metrics);
std::optional<std::pair<std::int64_t, std::int64_t>> locate_page(Connection& c, const std::string& status,
                                                                 std::int64_t offset);
// The figures of ResultsInfo from the stored series (all but the version).
void compute_results_stats(Connection& c, const std::string& experiment_id, ResultsInfo& info);
// The overall series (result_series, store/series_blob.hpp): all of an experiment's into `metrics`
// (the experiment's metrics first, see SeriesCollector); one metric's (empty when none); and a
// write of one metric's packed series, replacing it.
void read_result_series(Connection& c, const std::string& experiment_id, std::vector<domain::MetricSeries>& metrics);
std::vector<domain::HourlyPoint> read_one_series(Connection& c, const std::string& experiment_id,
                                                 const std::string& metric_id);
void write_series(Connection& c, const std::string& experiment_id, const std::string& metric_id,
                  std::string_view packed);
// Migration 11: every result_points row into result_series, one packed value per experiment and
// metric, read in the table's key order (one series in memory at a time).
void pack_result_points(Connection& c);
domain::MetricValue read_metric(Statement& s);
void bind_metric(Statement& s, const domain::MetricValue& m);
Job read_job(Statement& s);
StoredAnalysis read_analysis(Statement& s);
std::optional<ResultsMeta> read_results_meta(Connection& c, const std::string& experiment_id);
// Segments (issue 17): all of an experiment's, or one dimension's; and a replacement of all.
domain::Segments read_segment_rows(Connection& c, const std::string& experiment_id,
                                   const std::optional<std::string>& dimension);
void write_segment_rows(Connection& c, const std::string& experiment_id, const domain::Segments& segments);

// A write transaction of the SQLite store (transaction.cpp). `on_commit` runs after COMMIT with
// whether a job was queued and which experiments' results changed.
struct CommitEffects {
  bool queued_job = false;
  std::vector<std::string> results_changed;
};
std::unique_ptr<store::Transaction> make_transaction(Pool& pool, std::timed_mutex& write_mu,
                                                     std::function<void(const CommitEffects&)> on_commit);

}  // namespace rallyuxr::store::sqlite
