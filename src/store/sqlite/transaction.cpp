// The SQLite write transaction: BEGIN IMMEDIATE (taken after this process's writer mutex) gives
// the whole database to one writer, so every read inside it is already "locked"; the primitives
// bind SQL and nothing more. The workflows over them are in pipeline/.
#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

#include "domain/ids.hpp"
#include "store/sqlite/internal.hpp"
#include "store/row_mapping.hpp"
#include "store/series_blob.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::sqlite {
namespace {

using domain::UnixSeconds;

class SqliteTransaction final : public store::Transaction {
 public:
  SqliteTransaction(Pool& pool, std::timed_mutex& write_mu, std::function<void(const CommitEffects&)> on_commit)
      : lease_(pool.acquire()), tx_(write_mu, *lease_), on_commit_(std::move(on_commit)) {}

  void insert_experiment(const domain::Experiment& e) override {
    auto& c = *lease_;
    auto s = c.prepare(kInsertExperiment);
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
    s.bind(21, domain::to_string(e.analysis_design)).bind(22, join_ids(e.guardrail_metrics)).bind(23, e.plan);
    s.run();
    for (std::size_t i = 0; i < e.metrics.size(); ++i)
      run(kInsertExperimentMetric, e.id, static_cast<std::int64_t>(i), e.metrics[i]);
  }

  std::optional<domain::Experiment> lock_experiment(const std::string& id) override {
    auto s = lease_->prepare(kSelectExperiment);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_experiment(s, *lease_, nullptr);
  }

  bool compare_and_set_status(const std::string& id, domain::ExperimentStatus expected,
                              domain::ExperimentStatus next, UnixSeconds now) override {
    run(kCompareAndSetStatus, id, domain::to_string(expected), domain::to_string(next), now);
    return lease_->changes() > 0;
  }

  void set_economic_impact(const std::string& id, std::optional<double> impact, UnixSeconds now) override {
    run(kSetEconomicImpact, id, impact, now);
  }

  std::optional<ResultsMeta> results_meta(const std::string& experiment_id) override {
    return read_results_meta(*lease_, experiment_id);
  }

  std::int64_t bump_results_version(const std::string& experiment_id, UnixSeconds now,
                                    const std::optional<domain::UniqueUsers>& uu) override {
    auto s = lease_->prepare(kUpsertResultsMeta);
    s.bind(1, experiment_id).bind(2, now);
    if (uu)
      s.bind(3, uu->treatment).bind(4, uu->control);
    else
      s.bind_null(3).bind_null(4);
    std::int64_t version = s.step() ? s.int64(0) : 0;
    effects_.results_changed.push_back(experiment_id);
    return version;
  }

  void delete_points(const std::string& experiment_id) override {
    run(kDeletePoints, experiment_id);
    written_since_delete_[experiment_id].clear();
    effects_.results_changed.push_back(experiment_id);
  }

  // Each metric's series is one row (store/series_blob.hpp): after delete_points in this
  // transaction (a replacing upload) it is written without a read; otherwise (a merge) the stored
  // row is read, merged and written back, all under this transaction's write lock.
  void upsert_points(const std::string& experiment_id, const std::vector<domain::MetricSeries>& metrics) override {
    auto& c = *lease_;
    auto fresh = written_since_delete_.find(experiment_id);
    for_each_metric(metrics, [&](const std::string& metric_id, const std::vector<domain::HourlyPoint>& points) {
      if (points.empty()) return;
      bool unread = fresh != written_since_delete_.end() && !fresh->second.contains(metric_id);
      if (unread) {
        packed_ = encode_points(points);
        fresh->second.insert(metric_id);
      } else {
        auto stored = read_one_series(c, experiment_id, metric_id);
        packed_ = stored.empty() ? encode_points(points) : encode_points(merge_points(stored, points));
      }
      write_series(c, experiment_id, metric_id, packed_);
    });
    effects_.results_changed.push_back(experiment_id);
  }

  domain::Segments read_segments(const std::string& experiment_id) override {
    return read_segment_rows(*lease_, experiment_id, std::nullopt);
  }

  void replace_segments(const std::string& experiment_id, const domain::Segments& segments) override {
    write_segment_rows(*lease_, experiment_id, segments);
  }

  ResultsInfo refresh_results_info(const std::string& experiment_id) override {
    ResultsInfo info;
    compute_results_stats(*lease_, experiment_id, info);
    auto s = lease_->prepare(kUpdateResultsStats);
    s.bind_all(experiment_id, info.points, info.participants, info.last_timestamp);
    if (s.step()) info.version = s.int64(0);
    return info;
  }

  void insert_event(const Event& e) override {
    run(kInsertEvent, e.event_id, e.experiment_id, e.event_type, e.payload, e.created_at);
  }

  void insert_decision(const domain::Decision& d) override {
    run(kInsertDecision, d.decision_id, d.experiment_id, d.decision, d.reason, d.decided_by, d.decided_at);
  }

  void insert_audit(const AuditEntry& a) override {
    run(kInsertAudit, a.audit_id, a.at, a.actor, a.action, a.entity, a.entity_id, a.changes, a.summary);
  }

  bool insert_token(const AccessToken& t) override {
    run(kInsertToken, t.token_id, t.name, t.role, t.hash, t.created_at, t.created_by);
    return lease_->changes() > 0;
  }

  bool revoke_token(const std::string& name, UnixSeconds now) override {
    run(kRevokeToken, name, now);
    return lease_->changes() > 0;
  }

  void insert_webhook(const Webhook& w) override {
    run(kInsertWebhook, w.webhook_id, w.url, join_ids(w.events), w.secret, w.format, w.created_at, w.created_by);
  }

  bool delete_webhook(const std::string& webhook_id, UnixSeconds now) override {
    run(kDeleteWebhook, webhook_id, now);
    return lease_->changes() > 0;
  }

  std::vector<Webhook> active_webhooks() override {
    std::vector<Webhook> out;
    auto s = lease_->prepare(kActiveWebhooks);
    while (s.step()) out.push_back(webhook_from_row(s));
    return out;
  }

  void insert_delivery(const WebhookDelivery& d) override {
    run(kInsertDelivery, d.delivery_id, d.webhook_id, d.event, d.event_id, d.body, d.status,
        static_cast<std::int64_t>(d.attempts), d.last_status_code, d.last_error, d.created_at, d.updated_at,
        d.delivered_at);
  }

  void update_delivery(const WebhookDelivery& d) override {
    run(kUpdateDelivery, d.delivery_id, d.status, static_cast<std::int64_t>(d.attempts), d.last_status_code,
        d.last_error, d.updated_at, d.delivered_at);
  }

  void insert_job(const std::string& job_id, const std::string& experiment_id, JobKind kind,
                  const std::string& payload, UnixSeconds now) override {
    run(kInsertJob, job_id, experiment_id, to_string(kind), payload, now, 0.0);
    effects_.queued_job = true;
  }

  std::optional<Job> lock_job(const std::string& job_id) override {
    auto s = lease_->prepare(kSelectJob);
    s.bind(1, job_id);
    if (!s.step()) return std::nullopt;
    return read_job(s);
  }

  void mark_job_done(const std::string& job_id, const std::optional<std::string>& result, UnixSeconds now) override {
    run(kCompleteJob, job_id, result, now);
  }

  void mark_job_failed(const std::string& job_id, const std::string& error, UnixSeconds now) override {
    run(kFailJob, job_id, error, now);
  }

  void insert_analysis(const StoredAnalysis& a) override {
    run(kInsertAnalysis, a.analysis_id, a.experiment_id, a.status, a.results_version, a.document, a.total_impact,
        a.created_at);
  }

  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) override {
    auto s = lease_->prepare(kGetAnalysis);
    s.bind(1, analysis_id);
    if (!s.step()) return std::nullopt;
    return read_analysis(s);
  }

  void update_analysis(const std::string& analysis_id, const std::string& status, const std::string& document,
                       std::optional<double> total_impact, UnixSeconds now) override {
    run(kUpdateAnalysis, analysis_id, status, document, total_impact, now);
  }

  std::optional<std::optional<double>> newest_complete_impact(const std::string& experiment_id) override {
    auto s = lease_->prepare(kNewestCompleteImpact);
    s.bind(1, experiment_id);
    if (!s.step()) return std::nullopt;
    return s.opt_real(0);
  }

  std::int64_t count_metric_values() override {
    auto s = lease_->prepare(kCountMetrics);
    s.step();
    return s.int64(0);
  }

  std::optional<domain::MetricValue> lock_metric_value(const std::string& id) override {
    auto s = lease_->prepare(kGetMetric);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_metric(s);
  }

  bool insert_metric_value(const domain::MetricValue& m) override {
    auto s = lease_->prepare(kInsertMetric);
    bind_metric(s, m);
    s.run();
    return lease_->changes() > 0;
  }

  void update_metric_value(const domain::MetricValue& m) override {
    auto s = lease_->prepare(kUpdateMetric);
    bind_metric(s, m);
    s.run();
  }

  void insert_history(const std::string& metric_id, const domain::MetricValueHistoryEntry& h) override {
    run(kInsertHistory, metric_id, h.version, h.dollars_per_unit, h.updated_at, h.updated_by, h.change_reason);
    for (std::size_t i = 0; i < h.changes.size(); ++i)
      run(kInsertChange, metric_id, h.version, static_cast<std::int64_t>(i), h.changes[i].field, h.changes[i].from,
          h.changes[i].to);
  }

  std::vector<TrackingExperiment> experiments_tracking(const std::string& metric_id) override {
    std::vector<TrackingExperiment> out;
    auto s = lease_->prepare(kTrackingExperiments);
    s.bind(1, metric_id);
    while (s.step())
      out.push_back(TrackingExperiment{
          s.text(0), domain::parse_experiment_status(s.text(1)).value_or(domain::ExperimentStatus::kDraft),
          s.opt_int64(2)});
    return out;
  }

  void commit() override {
    tx_.commit();
    if (on_commit_) on_commit_(effects_);
  }

 private:
  // Runs a statement without rows, its parameters bound in order.
  template <class... T>
  void run(const char* sql, const T&... params) {
    lease_->prepare(sql).bind_all(params...).run();
  }

  Pool::Lease lease_;
  WriteTransaction tx_;
  // Experiments whose points this transaction deleted -> the metrics it has written since.
  std::unordered_map<std::string, std::unordered_set<std::string>> written_since_delete_;
  std::string packed_;  // the series being written, reused
  std::function<void(const CommitEffects&)> on_commit_;
  CommitEffects effects_;
};

}  // namespace

std::unique_ptr<store::Transaction> make_transaction(Pool& pool, std::timed_mutex& write_mu,
                                                     std::function<void(const CommitEffects&)> on_commit) {
  return std::make_unique<SqliteTransaction>(pool, write_mu, std::move(on_commit));
}

}  // namespace rallyuxr::store::sqlite
