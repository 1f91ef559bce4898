// The SQLite backend: one database file in WAL mode, a pool of connections, writes serialized by
// BEGIN IMMEDIATE (transaction.cpp). This file: opening and migrating, the reads, the job queue
// and the results cache. SQL lives in sql.hpp; every value is a bound parameter.
#include <algorithm>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/health_monitor.hpp"
#include "store/sqlite/internal.hpp"
#include "store/row_mapping.hpp"
#include "store/sqlite/schema.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::sqlite {
namespace {

using domain::UnixSeconds;

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, int pool_size, std::uint64_t integrity_check_bytes) {
    if (path != ":memory:") {
      auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) std::filesystem::create_directories(parent);
    }
    // Refuse a damaged file before touching it; a large one is checked whole in the background.
    bool checked_whole = check_integrity_at_start(path, integrity_check_bytes);
    {
      Connection c(path);  // migrate on a connection of its own, before the pool opens
      migrate(c);
      c.exec(kRequeueOrphans);  // one node per SQLite file: a running job at start is orphaned
    }
    if (path != ":memory:") checkpointer_ = std::make_unique<Checkpointer>(path);
    pool_ = std::make_unique<Pool>(path, pool_size, [this](Connection& c) {
      if (checkpointer_) checkpointer_->attach(c);
    });
    monitor_ = std::make_unique<HealthMonitor>(path, !checked_whole);
  }

  HealthReport health() override { return monitor_->report(); }

  std::unique_ptr<store::Transaction> begin() override {
    return make_transaction(*pool_, write_mu_, [this](const CommitEffects& fx) {
      note_commit();
      for (const auto& id : fx.results_changed) forget_results(id);
      if (fx.queued_job) notify_job_queued();
    });
  }

  bool ping() override {
    auto c = pool_->acquire();
    auto s = c->prepare(kCountMetrics);
    return s.step();
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
      if (st == "complete") sum.completed_experiments = s.int64(1);
    }
    auto t = c->prepare(kTotalImpact);
    if (t.step()) sum.total_economic_impact = t.real(0);
    return sum;
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



  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);
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
    auto ch = c->prepare(kSelectChanges);
    ch.bind(1, id);
    while (ch.step()) {
      auto version = ch.int64(0);
      for (auto& h : out)
        if (h.version == version) h.changes.push_back(domain::FieldChange{ch.text(1), ch.text(2), ch.text(3)});
    }
    return out;
  }


  std::optional<StoredResults> get_results(const std::string& experiment_id) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);  // the version and the points from one snapshot
    StoredResults r;
    {
      auto meta = read_results_meta(*c, experiment_id);
      if (!meta) return std::nullopt;
      r.version = meta->version;
      r.generated_at = meta->generated_at;
      r.unique_users = meta->unique_users;
    }
    if (auto hit = cached_results(experiment_id, r.version, r.generated_at)) return *hit;
    std::vector<std::string> order;
    {
      auto s = c->prepare(kSelectExperimentMetrics);
      s.bind(1, experiment_id);
      while (s.step()) order.push_back(s.text(0));
    }
    for (const auto& id : order) r.metrics.push_back(domain::MetricSeries{id, {}});
    read_result_series(*c, experiment_id, r.metrics);
    cache_results(experiment_id, r);
    return r;
  }

  StoredSegments get_segments(const std::string& experiment_id, const std::optional<std::string>& dimension) override {
    auto c = pool_->acquire();
    ReadTransaction rt(*c);  // the version and the segments from one snapshot
    StoredSegments out;
    auto meta = read_results_meta(*c, experiment_id);
    if (!meta) return out;
    out.version = meta->version;
    out.segments = read_segment_rows(*c, experiment_id, dimension);
    return out;
  }

  SegmentNames segment_names(const std::string& experiment_id) override {
    auto c = pool_->acquire();
    SegmentNames out;
    auto s = c->prepare(kSelectSegmentMeta);
    s.bind(1, experiment_id);
    while (s.step()) out[s.text(0)].push_back(s.text(1));
    return out;
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



  std::optional<StoredAnalysis> find_analysis(AnalysisLookup which, const std::string& key) override {
    static constexpr const char* kQuery[] = {kGetAnalysis, kLatestComplete, kLatestAny, kLatestCompleteStamp,
                                             kLatestAnyStamp};  // AnalysisLookup's order
    return one_analysis(kQuery[static_cast<int>(which)], key);
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
    c->prepare(kRetryJob).bind_all(job_id, error, retry_at, domain::now_seconds()).run();
    tx.commit();
    notify_job_queued();
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
    while (s.step()) out.push_back(event_from_row(s));
    return out;
  }

  std::vector<domain::Decision> list_decisions(const std::string& exp_id) override {
    auto c = pool_->acquire();
    std::vector<domain::Decision> out;
    auto s = c->prepare(kSelectDecisions);
    s.bind(1, exp_id);
    while (s.step()) out.push_back(decision_from_row(s));
    return out;
  }

  std::optional<domain::Decision> latest_decision(const std::string& exp_id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kLatestDecision);
    s.bind(1, exp_id);
    if (!s.step()) return std::nullopt;
    return decision_from_row(s);
  }

  std::optional<AccessToken> find_active_token(const std::string& hash) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kFindActiveToken);
    s.bind(1, hash);
    if (!s.step()) return std::nullopt;
    return token_from_row(s);
  }

  std::vector<AccessToken> list_tokens() override {
    auto c = pool_->acquire();
    std::vector<AccessToken> out;
    auto s = c->prepare(kListTokens);
    while (s.step()) out.push_back(token_from_row(s));
    return out;
  }

  AuditPage list_audit(const AuditQuery& q) override {
    auto c = pool_->acquire();
    AuditPage page;
    auto s = c->prepare(kListAudit);
    s.bind(1, q.entity).bind(2, q.actor).bind(3, static_cast<std::int64_t>(q.limit)).bind(4, q.offset);
    while (s.step()) page.entries.push_back(audit_from_row(s));
    auto n = c->prepare(kCountAudit);
    n.bind(1, q.entity).bind(2, q.actor);
    page.total = n.step() ? n.int64(0) : 0;
    return page;
  }

  bool any_active_token() override {
    auto c = pool_->acquire();
    auto s = c->prepare(kAnyActiveToken);
    return s.step() && s.int64(0) != 0;
  }

  std::vector<Webhook> list_webhooks() override {
    auto c = pool_->acquire();
    std::vector<Webhook> out;
    auto s = c->prepare(kActiveWebhooks);
    while (s.step()) out.push_back(webhook_from_row(s));
    return out;
  }

  std::optional<Webhook> get_webhook(const std::string& webhook_id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kGetWebhook);
    s.bind(1, webhook_id);
    if (!s.step()) return std::nullopt;
    return webhook_from_row(s);
  }

  std::optional<WebhookDelivery> get_delivery(const std::string& delivery_id) override {
    auto c = pool_->acquire();
    auto s = c->prepare(kGetDelivery);
    s.bind(1, delivery_id);
    if (!s.step()) return std::nullopt;
    return delivery_from_row(s);
  }

  DeliveryPage list_deliveries(const std::string& webhook_id, int limit, std::int64_t offset) override {
    auto c = pool_->acquire();
    DeliveryPage page;
    auto s = c->prepare(kListDeliveries);
    s.bind(1, webhook_id).bind(2, static_cast<std::int64_t>(limit)).bind(3, offset);
    while (s.step()) page.deliveries.push_back(delivery_from_row(s));
    auto n = c->prepare(kCountDeliveries);
    n.bind(1, webhook_id);
    page.total = n.step() ? n.int64(0) : 0;
    return page;
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
      if (i + 1 == kPackPointsMigration) {
        pack_result_points(c);
        c.exec(kDropResultPoints);
      }
      c.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)")
          .bind(1, static_cast<std::int64_t>(i + 1))
          .bind(2, domain::now_seconds())
          .run();
    }
    tx.commit();
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

  std::unique_ptr<Checkpointer> checkpointer_;  // before pool_: its connections report to it
  std::unique_ptr<Pool> pool_;
  std::timed_mutex write_mu_;  // see WriteTransaction
  std::unique_ptr<HealthMonitor> monitor_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedResults> cache_;
  std::list<std::string> lru_;  // most recently used first
  std::size_t cache_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(const std::string& path, int pool_size, std::uint64_t integrity_check_bytes) {
  return std::make_unique<SqliteStore>(path, pool_size, integrity_check_bytes);
}

}  // namespace rallyuxr::store::sqlite
