// The PostgreSQL write transaction: row-level primitives that bind SQL and nothing more. Rows a
// workflow decides on are read with SELECT ... FOR UPDATE, so that concurrent transactions of
// other nodes queue behind it; the workflows are in pipeline/.
#include <spdlog/spdlog.h>

#include <unordered_map>
#include <unordered_set>

#include "store/postgres/internal.hpp"
#include "store/row_mapping.hpp"
#include "store/series_blob.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::postgres {
namespace {

using domain::UnixSeconds;
using namespace sql;

class PgTransaction final : public store::Transaction {
 public:
  PgTransaction(Pool& pool, const std::string& tag, std::function<void(bool)> on_commit)
      : lease_(pool.acquire()), tx_(*lease_), tag_(tag), on_commit_(std::move(on_commit)) {}

  void insert_experiment(const domain::Experiment& e) override {
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
    p.add(domain::to_string(e.analysis_design)).add(join_ids(e.guardrail_metrics)).add(e.plan);
    c().exec(kInsertExperiment, p);
    if (!e.metrics.empty()) c().exec(kInsertExperimentMetrics, Params().add(e.id).add(text_array(e.metrics)));
  }

  std::optional<domain::Experiment> lock_experiment(const std::string& id) override {
    auto r = c().exec(kLockExperiment, Params().add(id));
    if (r.rows() == 0) return std::nullopt;
    auto e = read_experiment(Row(r, 0), nullptr);
    load_metrics(c(), {&e});
    return e;
  }

  bool compare_and_set_status(const std::string& id, domain::ExperimentStatus expected,
                              domain::ExperimentStatus next, UnixSeconds now) override {
    return c().exec(kCompareAndSetStatus,
                    Params::of(id, domain::to_string(expected), domain::to_string(next), now))
               .affected() > 0;
  }

  void set_economic_impact(const std::string& id, std::optional<double> impact, UnixSeconds now) override {
    c().exec(kSetEconomicImpact, Params().add(id).add(impact).add(now));
  }

  std::optional<ResultsMeta> results_meta(const std::string& experiment_id) override {
    return read_results_meta(c(), experiment_id);
  }

  std::int64_t bump_results_version(const std::string& experiment_id, UnixSeconds now,
                                    const std::optional<domain::UniqueUsers>& uu) override {
    Params p;
    p.add(experiment_id).add(now);
    if (uu)
      p.add(uu->treatment).add(uu->control);
    else
      p.add_null().add_null();
    return c().exec(kUpsertResultsMeta, p).int64(0, 0);
  }

  void delete_points(const std::string& experiment_id) override {
    c().exec(kDeletePoints, Params().add(experiment_id));
    written_since_delete_[experiment_id].clear();
  }

  // Each metric's series is one row (store/series_blob.hpp): after delete_points in this
  // transaction (a replacing upload) it is written without a read; otherwise (a merge) the stored
  // row is read FOR UPDATE, merged and written back.
  void upsert_points(const std::string& experiment_id, const std::vector<domain::MetricSeries>& metrics) override {
    auto fresh = written_since_delete_.find(experiment_id);
    for_each_metric(metrics, [&](const std::string& metric_id, const std::vector<domain::HourlyPoint>& points) {
      if (points.empty()) return;
      if (fresh != written_since_delete_.end() && !fresh->second.contains(metric_id)) {
        write_series(c(), experiment_id, metric_id, points);
        fresh->second.insert(metric_id);
        return;
      }
      auto stored = lock_one_series(c(), experiment_id, metric_id);
      if (stored.empty())
        write_series(c(), experiment_id, metric_id, points);
      else
        write_series(c(), experiment_id, metric_id, merge_points(stored, points));
    });
  }

  domain::Segments read_segments(const std::string& experiment_id) override {
    return read_segment_rows(c(), experiment_id, std::nullopt);
  }

  void replace_segments(const std::string& experiment_id, const domain::Segments& segments) override {
    write_segment_rows(c(), experiment_id, segments);
  }

  ResultsInfo refresh_results_info(const std::string& experiment_id) override {
    auto info = compute_results_info(c(), experiment_id).value_or(ResultsInfo{});
    auto r = c().exec(kUpdateResultsStats,
                      Params::of(experiment_id, info.points, info.participants, info.last_timestamp));
    if (r.rows() > 0) info.version = r.int64(0, 0);
    return info;
  }

  void insert_event(const Event& e) override {
    c().exec(kInsertEvent, Params::of(e.event_id, e.experiment_id, e.event_type, e.payload, e.created_at));
  }

  void insert_decision(const domain::Decision& d) override {
    c().exec(kInsertDecision,
             Params::of(d.decision_id, d.experiment_id, d.decision, d.reason, d.decided_by, d.decided_at));
  }

  void insert_audit(const AuditEntry& a) override {
    c().exec(kInsertAudit,
             Params::of(a.audit_id, a.at, a.actor, a.action, a.entity, a.entity_id, a.changes, a.summary));
  }

  bool insert_token(const AccessToken& t) override {
    return c().exec(kInsertToken, Params::of(t.token_id, t.name, t.role, t.hash, t.created_at, t.created_by))
               .affected() > 0;
  }

  bool revoke_token(const std::string& name, UnixSeconds now) override {
    return c().exec(kRevokeToken, Params().add(name).add(now)).affected() > 0;
  }

  void insert_webhook(const Webhook& w) override {
    c().exec(kInsertWebhook,
             Params::of(w.webhook_id, w.url, join_ids(w.events), w.secret, w.format, w.created_at, w.created_by));
  }

  bool delete_webhook(const std::string& webhook_id, UnixSeconds now) override {
    return c().exec(kDeleteWebhook, Params().add(webhook_id).add(now)).affected() > 0;
  }

  std::vector<Webhook> active_webhooks() override {
    std::vector<Webhook> out;
    auto r = c().exec(kActiveWebhooks, Params());
    for (int i = 0; i < r.rows(); ++i) out.push_back(webhook_from_row(Row(r, i)));
    return out;
  }

  void insert_delivery(const WebhookDelivery& d) override {
    c().exec(kInsertDelivery, Params::of(d.delivery_id, d.webhook_id, d.event, d.event_id, d.body, d.status,
                                         d.attempts, d.last_status_code, d.last_error, d.created_at, d.updated_at,
                                         d.delivered_at));
  }

  void update_delivery(const WebhookDelivery& d) override {
    c().exec(kUpdateDelivery, Params::of(d.delivery_id, d.status, d.attempts, d.last_status_code, d.last_error,
                                         d.updated_at, d.delivered_at));
  }

  void insert_job(const std::string& job_id, const std::string& experiment_id, JobKind kind,
                  const std::string& payload, UnixSeconds now) override {
    c().exec(kInsertJob, Params::of(job_id, experiment_id, to_string(kind), payload, now, 0.0));
    queued_job_ = true;
  }

  std::optional<Job> lock_job(const std::string& job_id) override {
    auto r = c().exec(kLockJob, Params().add(job_id));
    if (r.rows() == 0) return std::nullopt;
    return read_job(Row(r, 0));
  }

  void mark_job_done(const std::string& job_id, const std::optional<std::string>& result, UnixSeconds now) override {
    c().exec(kCompleteJob, Params().add(job_id).add(result).add(now));
  }

  void mark_job_failed(const std::string& job_id, const std::string& error, UnixSeconds now) override {
    c().exec(kFailJob, Params().add(job_id).add(error).add(now));
  }

  void insert_analysis(const StoredAnalysis& a) override {
    c().exec(kInsertAnalysis, Params::of(a.analysis_id, a.experiment_id, a.status, a.results_version, a.document,
                                         a.total_impact, a.created_at));
  }

  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) override {
    auto r = c().exec(kGetAnalysis, Params().add(analysis_id));
    if (r.rows() == 0) return std::nullopt;
    return read_analysis(Row(r, 0));
  }

  void update_analysis(const std::string& analysis_id, const std::string& status, const std::string& document,
                       std::optional<double> total_impact, UnixSeconds now) override {
    c().exec(kUpdateAnalysis, Params::of(analysis_id, status, document, total_impact, now));
  }

  std::optional<std::optional<double>> newest_complete_impact(const std::string& experiment_id) override {
    auto r = c().exec(kNewestCompleteImpact, Params().add(experiment_id));
    if (r.rows() == 0) return std::nullopt;
    return r.opt_real(0, 0);
  }

  std::int64_t count_metric_values() override { return c().exec(kCountMetrics).int64(0, 0); }

  std::optional<domain::MetricValue> lock_metric_value(const std::string& id) override {
    auto r = c().exec(kGetMetricForUpdate, Params().add(id));
    if (r.rows() == 0) return std::nullopt;
    return read_metric(Row(r, 0));
  }

  bool insert_metric_value(const domain::MetricValue& m) override {
    return c().exec(kInsertMetric, metric_params(m)).affected() > 0;
  }

  void update_metric_value(const domain::MetricValue& m) override { c().exec(kUpdateMetric, metric_params(m)); }

  void insert_history(const std::string& metric_id, const domain::MetricValueHistoryEntry& h) override {
    c().exec(kInsertHistory,
             Params::of(metric_id, h.version, h.dollars_per_unit, h.updated_at, h.updated_by, h.change_reason));
    for (std::size_t i = 0; i < h.changes.size(); ++i)
      c().exec(kInsertChange, Params::of(metric_id, h.version, static_cast<std::int64_t>(i), h.changes[i].field,
                                         h.changes[i].from, h.changes[i].to));
  }

  std::vector<TrackingExperiment> experiments_tracking(const std::string& metric_id) override {
    std::vector<TrackingExperiment> out;
    auto r = c().exec(kTrackingExperiments, Params().add(metric_id));
    for (int i = 0; i < r.rows(); ++i)
      out.push_back(TrackingExperiment{
          r.text(i, 0), domain::parse_experiment_status(r.text(i, 1)).value_or(domain::ExperimentStatus::kDraft),
          r.opt_int64(i, 2)});
    return out;
  }

  void commit() override {
    if (queued_job_) c().exec(kNotifyJobs, Params().add(tag_));
    tx_.commit();
    if (on_commit_) on_commit_(queued_job_);
  }

 private:
  Connection& c() { return *lease_; }

  Pool::Lease lease_;
  postgres::Transaction tx_;
  const std::string& tag_;
  std::function<void(bool)> on_commit_;
  bool queued_job_ = false;
  // Experiments whose points this transaction deleted -> the metrics it has written since.
  std::unordered_map<std::string, std::unordered_set<std::string>> written_since_delete_;
};

}  // namespace

std::unique_ptr<store::Transaction> make_transaction(Pool& pool, const std::string& tag,
                                                     std::function<void(bool)> on_commit) {
  for (int stale = 0;; ++stale) {
    try {
      return std::make_unique<PgTransaction>(pool, tag, on_commit);
    } catch (const StaleConnection& e) {
      pool.drop_idle();
      if (stale >= pool.size()) throw StoreUnavailable(e.what());
      spdlog::debug("postgres: stale pooled connection at BEGIN, retrying: {}", e.what());
    }
  }
}

}  // namespace rallyuxr::store::postgres
