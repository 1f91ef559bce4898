// The PostgreSQL backend: the same tables and semantics as the SQLite backend, for several
// stateless nodes sharing one database. What differs, and why:
//  - Concurrency comes from row locks instead of one writer: the transactions (transaction.cpp)
//    read the rows a workflow decides on with SELECT ... FOR UPDATE (the experiment, the metric
//    value, the job), so concurrent workflows of one row queue across nodes.
//  - Jobs are leased with FOR UPDATE SKIP LOCKED; expired leases are leased again (no requeue at
//    start: other nodes may be running those jobs). Every transaction that queues a job runs
//    pg_notify('rallyuxr_jobs', <store tag>); a listener thread per store wakes this node's workers
//    for other stores' notifications (its own commits call notify_job_queued() directly).
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
#include "store/postgres/internal.hpp"
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
constexpr int kMaxConflictRetries = 5;
constexpr const char* kReadSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

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

  std::unique_ptr<store::Transaction> begin() override {
    return make_transaction(*pool_, tag_, [this](bool queued_job) {
      note_commit();
      if (queued_job) notify_job_queued();
    });
  }

  bool ping() override {
    return run([](Connection& c) { return c.exec(kPing).rows() == 1; });
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
        if (st == "complete") sum.completed_experiments = r.int64(i, 1);
      }
      sum.total_economic_impact = c.exec(kTotalImpact).real(0, 0);
      return sum;
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



  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override {
    return run([&](Connection& c) {
      Transaction tx(c, kReadSnapshot);  // the versions and their changes from one snapshot
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
      auto ch = c.exec(kSelectChanges, Params().add(id));
      for (int i = 0; i < ch.rows(); ++i)
        for (auto& h : out)
          if (h.version == ch.int64(i, 0))
            h.changes.push_back(domain::FieldChange{ch.text(i, 1), ch.text(i, 2), ch.text(i, 3)});
      tx.commit();
      return out;
    });
  }


  std::optional<StoredResults> get_results(const std::string& experiment_id) override {
    return run([&](Connection& c) -> std::optional<StoredResults> {
      Transaction tx(c, kReadSnapshot);  // the version and the points from one snapshot
      StoredResults r;
      {
        auto meta = read_results_meta(c, experiment_id);
        if (!meta) return std::nullopt;
        r.version = meta->version;
        r.generated_at = meta->generated_at;
        r.unique_users = meta->unique_users;
      }
      {
        auto order = c.exec(kSelectExperimentMetrics, Params().add(experiment_id));
        for (int i = 0; i < order.rows(); ++i) r.metrics.push_back(domain::MetricSeries{order.text(i, 0), {}});
      }
      read_result_series(c, experiment_id, r.metrics);
      tx.commit();
      return r;
    });
  }

  StoredSegments get_segments(const std::string& experiment_id, const std::optional<std::string>& dimension) override {
    return run([&](Connection& c) {
      Transaction tx(c, kReadSnapshot);  // the version and the segments from one snapshot
      StoredSegments out;
      auto meta = read_results_meta(c, experiment_id);
      if (meta) {
        out.version = meta->version;
        out.segments = read_segment_rows(c, experiment_id, dimension);
      }
      tx.commit();
      return out;
    });
  }

  SegmentNames segment_names(const std::string& experiment_id) override {
    return run([&](Connection& c) {
      SegmentNames out;
      auto r = c.exec(kSelectSegmentMeta, Params().add(experiment_id));
      for (int i = 0; i < r.rows(); ++i) out[r.text(i, 0)].push_back(r.text(i, 1));
      return out;
    });
  }

  std::optional<ResultsInfo> results_info(const std::string& experiment_id) override {
    return run([&](Connection& c) -> std::optional<ResultsInfo> {
      Transaction tx(c, kReadSnapshot);  // the version and the points from one snapshot
      auto kept = c.exec(kSelectResultsStats, Params().add(experiment_id));
      if (kept.rows() == 0) return std::optional<ResultsInfo>();
      if (!kept.is_null(0, 1) && kept.int64(0, 1) == kept.int64(0, 0)) {  // kept by write_results
        ResultsInfo info;
        info.version = kept.int64(0, 0);
        info.points = kept.int64(0, 2);
        info.participants = kept.int64(0, 3);
        info.last_timestamp = kept.opt_int64(0, 4);
        tx.commit();
        return std::optional<ResultsInfo>(info);
      }
      auto info = compute_results_info(c, experiment_id);
      tx.commit();
      return info;
    });
  }

  std::optional<StoredAnalysis> find_analysis(AnalysisLookup which, const std::string& key) override {
    static constexpr Sql kQuery[] = {kGetAnalysis, kLatestComplete, kLatestAny, kLatestCompleteStamp,
                                     kLatestAnyStamp};  // AnalysisLookup's order
    return one_analysis(kQuery[static_cast<int>(which)], key);
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
      auto r = c.exec(kLeaseJob, Params::of(now, worker_id, now + lease_seconds, static_cast<std::int64_t>(now)));
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
      for (int i = 0; i < r.rows(); ++i) out.push_back(event_from_row(Row(r, i)));
      return out;
    });
  }

  std::vector<domain::Decision> list_decisions(const std::string& exp_id) override {
    return run([&](Connection& c) {
      std::vector<domain::Decision> out;
      auto r = c.exec(kSelectDecisions, Params().add(exp_id));
      for (int i = 0; i < r.rows(); ++i) out.push_back(decision_from_row(Row(r, i)));
      return out;
    });
  }

  std::vector<domain::Decision> latest_decisions(const std::vector<std::string>& exp_ids) override {
    if (exp_ids.empty()) return {};
    return run([&](Connection& c) {
      std::vector<domain::Decision> out;
      auto r = c.exec(kLatestDecisions, Params().add(text_array(exp_ids)));
      for (int i = 0; i < r.rows(); ++i) out.push_back(decision_from_row(Row(r, i)));
      return out;
    });
  }

  std::optional<domain::Decision> latest_decision(const std::string& exp_id) override {
    return run([&](Connection& c) -> std::optional<domain::Decision> {
      auto r = c.exec(kLatestDecision, Params().add(exp_id));
      if (r.rows() == 0) return std::nullopt;
      return decision_from_row(Row(r, 0));
    });
  }

  std::optional<AccessToken> find_active_token(const std::string& hash) override {
    return run([&](Connection& c) -> std::optional<AccessToken> {
      auto r = c.exec(kFindActiveToken, Params().add(hash));
      if (r.rows() == 0) return std::nullopt;
      return token_from_row(Row(r, 0));
    });
  }

  std::vector<AccessToken> list_tokens() override {
    return run([&](Connection& c) {
      std::vector<AccessToken> out;
      auto r = c.exec(kListTokens, Params());
      for (int i = 0; i < r.rows(); ++i) out.push_back(token_from_row(Row(r, i)));
      return out;
    });
  }

  AuditPage list_audit(const AuditQuery& q) override {
    return run([&](Connection& c) {
      AuditPage page;
      auto r = c.exec(kListAudit, Params().add(q.entity).add(q.actor).add(static_cast<std::int64_t>(q.limit)).add(q.offset));
      for (int i = 0; i < r.rows(); ++i) page.entries.push_back(audit_from_row(Row(r, i)));
      page.total = c.exec(kCountAudit, Params().add(q.entity).add(q.actor)).int64(0, 0);
      return page;
    });
  }

  std::vector<Webhook> list_webhooks() override {
    return run([&](Connection& c) {
      std::vector<Webhook> out;
      auto r = c.exec(kActiveWebhooks, Params());
      for (int i = 0; i < r.rows(); ++i) out.push_back(webhook_from_row(Row(r, i)));
      return out;
    });
  }

  std::optional<Webhook> get_webhook(const std::string& webhook_id) override {
    return run([&](Connection& c) -> std::optional<Webhook> {
      auto r = c.exec(kGetWebhook, Params().add(webhook_id));
      if (r.rows() == 0) return std::nullopt;
      return webhook_from_row(Row(r, 0));
    });
  }

  std::optional<WebhookDelivery> get_delivery(const std::string& delivery_id) override {
    return run([&](Connection& c) -> std::optional<WebhookDelivery> {
      auto r = c.exec(kGetDelivery, Params().add(delivery_id));
      if (r.rows() == 0) return std::nullopt;
      return delivery_from_row(Row(r, 0));
    });
  }

  DeliveryPage list_deliveries(const std::string& webhook_id, int limit, std::int64_t offset) override {
    return run([&](Connection& c) {
      DeliveryPage page;
      auto r = c.exec(kListDeliveries, Params().add(webhook_id).add(static_cast<std::int64_t>(limit)).add(offset));
      for (int i = 0; i < r.rows(); ++i) page.deliveries.push_back(delivery_from_row(Row(r, i)));
      page.total = c.exec(kCountDeliveries, Params().add(webhook_id)).int64(0, 0);
      return page;
    });
  }

  bool any_active_token() override {
    return run([&](Connection& c) { return c.exec(kAnyActiveToken, Params()).int64(0, 0) != 0; });
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
