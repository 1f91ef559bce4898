// The SQLite write transaction: BEGIN IMMEDIATE (taken after this process's writer mutex) gives
// the whole database to one writer, so every read inside it is already "locked"; the primitives
// bind SQL and nothing more. The workflows over them are in pipeline/.
#include <fmt/format.h>

#include "domain/ids.hpp"
#include "store/sqlite/internal.hpp"
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
      c.prepare(kInsertExperimentMetric).bind(1, e.id).bind(2, static_cast<std::int64_t>(i)).bind(3, e.metrics[i]).run();
  }

  std::optional<domain::Experiment> lock_experiment(const std::string& id) override {
    auto s = lease_->prepare(kSelectExperiment);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_experiment(s, *lease_, nullptr);
  }

  bool compare_and_set_status(const std::string& id, domain::ExperimentStatus expected,
                              domain::ExperimentStatus next, UnixSeconds now) override {
    lease_->prepare(kCompareAndSetStatus)
        .bind(1, id)
        .bind(2, domain::to_string(expected))
        .bind(3, domain::to_string(next))
        .bind(4, now)
        .run();
    return lease_->changes() > 0;
  }

  void set_economic_impact(const std::string& id, std::optional<double> impact, UnixSeconds now) override {
    lease_->prepare(kSetEconomicImpact).bind(1, id).bind(2, impact).bind(3, now).run();
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
    lease_->prepare(kDeletePoints).bind(1, experiment_id).run();
    effects_.results_changed.push_back(experiment_id);
  }

  void upsert_points(const std::string& experiment_id, const std::vector<domain::MetricSeries>& metrics) override {
    auto& c = *lease_;
    for (const auto& series : metrics) {
      const auto& points = series.points;
      std::size_t i = 0;
      // A (metric, hour) twice inside one multi-row INSERT would be an error: rows go one by one
      // when the batch is not strictly increasing in time.
      for (; i + kPointsPerInsert <= points.size(); i += kPointsPerInsert) {
        bool increasing = true;
        for (int k = 1; k < kPointsPerInsert && increasing; ++k)
          increasing = points[i + k].timestamp > points[i + k - 1].timestamp;
        if (!increasing) break;
        auto s = c.prepare(upsert_points_sql());
        s.bind(1, experiment_id).bind(2, series.metric_id);
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
        c.prepare(kUpsertPoint)
            .bind(1, experiment_id)
            .bind(2, series.metric_id)
            .bind(3, p.timestamp)
            .bind(4, p.treatment_value)
            .bind(5, p.control_value)
            .bind(6, p.treatment_sample_size)
            .bind(7, p.control_sample_size)
            .run();
      }
    }
    effects_.results_changed.push_back(experiment_id);
  }

  ResultsInfo refresh_results_info(const std::string& experiment_id) override {
    ResultsInfo info;
    compute_results_stats(*lease_, experiment_id, info);
    auto s = lease_->prepare(kUpdateResultsStats);
    s.bind(1, experiment_id).bind(2, info.points).bind(3, info.participants).bind(4, info.last_timestamp);
    if (s.step()) info.version = s.int64(0);
    return info;
  }

  void insert_event(const Event& e) override {
    lease_->prepare(kInsertEvent)
        .bind(1, e.event_id)
        .bind(2, e.experiment_id)
        .bind(3, e.event_type)
        .bind(4, e.payload)
        .bind(5, e.created_at)
        .run();
  }

  void insert_decision(const domain::Decision& d) override {
    lease_->prepare(kInsertDecision)
        .bind(1, d.decision_id)
        .bind(2, d.experiment_id)
        .bind(3, d.decision)
        .bind(4, d.reason)
        .bind(5, d.decided_by)
        .bind(6, d.decided_at)
        .run();
  }

  void insert_audit(const AuditEntry& a) override {
    lease_->prepare(kInsertAudit)
        .bind(1, a.audit_id)
        .bind(2, a.at)
        .bind(3, a.actor)
        .bind(4, a.action)
        .bind(5, a.entity)
        .bind(6, a.entity_id)
        .bind(7, a.changes)
        .bind(8, a.summary)
        .run();
  }

  bool insert_token(const AccessToken& t) override {
    lease_->prepare(kInsertToken)
        .bind(1, t.token_id)
        .bind(2, t.name)
        .bind(3, t.role)
        .bind(4, t.hash)
        .bind(5, t.created_at)
        .bind(6, t.created_by)
        .run();
    return lease_->changes() > 0;
  }

  bool revoke_token(const std::string& name, UnixSeconds now) override {
    lease_->prepare(kRevokeToken).bind(1, name).bind(2, now).run();
    return lease_->changes() > 0;
  }

  void insert_job(const std::string& job_id, const std::string& experiment_id, JobKind kind,
                  const std::string& payload, UnixSeconds now) override {
    lease_->prepare(kInsertJob)
        .bind(1, job_id)
        .bind(2, experiment_id)
        .bind(3, to_string(kind))
        .bind(4, payload)
        .bind(5, now)
        .bind(6, 0.0)
        .run();
    effects_.queued_job = true;
  }

  std::optional<Job> lock_job(const std::string& job_id) override {
    auto s = lease_->prepare(kSelectJob);
    s.bind(1, job_id);
    if (!s.step()) return std::nullopt;
    return read_job(s);
  }

  void mark_job_done(const std::string& job_id, const std::optional<std::string>& result, UnixSeconds now) override {
    lease_->prepare(kCompleteJob).bind(1, job_id).bind(2, result).bind(3, now).run();
  }

  void mark_job_failed(const std::string& job_id, const std::string& error, UnixSeconds now) override {
    lease_->prepare(kFailJob).bind(1, job_id).bind(2, error).bind(3, now).run();
  }

  void insert_analysis(const StoredAnalysis& a) override {
    lease_->prepare(kInsertAnalysis)
        .bind(1, a.analysis_id)
        .bind(2, a.experiment_id)
        .bind(3, a.status)
        .bind(4, a.results_version)
        .bind(5, a.document)
        .bind(6, a.total_impact)
        .bind(7, a.created_at)
        .run();
  }

  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) override {
    auto s = lease_->prepare(kGetAnalysis);
    s.bind(1, analysis_id);
    if (!s.step()) return std::nullopt;
    return read_analysis(s);
  }

  void update_analysis(const std::string& analysis_id, const std::string& status, const std::string& document,
                       std::optional<double> total_impact, UnixSeconds now) override {
    lease_->prepare(kUpdateAnalysis)
        .bind(1, analysis_id)
        .bind(2, status)
        .bind(3, document)
        .bind(4, total_impact)
        .bind(5, now)
        .run();
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
    lease_->prepare(kInsertHistory)
        .bind(1, metric_id)
        .bind(2, h.version)
        .bind(3, h.dollars_per_unit)
        .bind(4, h.updated_at)
        .bind(5, h.updated_by)
        .bind(6, h.change_reason)
        .run();
    for (std::size_t i = 0; i < h.changes.size(); ++i)
      lease_->prepare(kInsertChange)
          .bind(1, metric_id)
          .bind(2, h.version)
          .bind(3, static_cast<std::int64_t>(i))
          .bind(4, h.changes[i].field)
          .bind(5, h.changes[i].from)
          .bind(6, h.changes[i].to)
          .run();
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
    committed_ = true;
    if (on_commit_) on_commit_(effects_);
  }

 private:
  Pool::Lease lease_;
  WriteTransaction tx_;
  std::function<void(const CommitEffects&)> on_commit_;
  CommitEffects effects_;
  bool committed_ = false;
};

}  // namespace

std::unique_ptr<store::Transaction> make_transaction(Pool& pool, std::timed_mutex& write_mu,
                                                     std::function<void(const CommitEffects&)> on_commit) {
  return std::make_unique<SqliteTransaction>(pool, write_mu, std::move(on_commit));
}

}  // namespace rallyuxr::store::sqlite
