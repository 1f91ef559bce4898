// A store decorator that fails chosen transaction primitives on demand (as leveldb's EnvWrapper
// wraps an Env): everything else goes to the real store underneath. Tests arm a primitive by
// name with the exception to throw and how many calls to let through first.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "store/store.hpp"

namespace rallyuxr::testing {

enum class Fault { kUnavailable, kConflict, kCrash };

class FailingStore final : public store::Store {
 public:
  explicit FailingStore(store::Store& inner) : inner_(inner) {
    inner_.set_job_listener([this] { notify_job_queued(); });
  }

  // The next call of `primitive` after `pass` more calls throws; `times` calls fail in a row.
  void arm(const std::string& primitive, Fault fault, int pass = 0, int times = 1) {
    std::lock_guard lock(mu_);
    armed_[primitive] = Armed{fault, pass, times};
  }
  void disarm() {
    std::lock_guard lock(mu_);
    armed_.clear();
  }
  int failures() const { return failures_.load(); }

  // Called by the transaction wrapper before each primitive.
  void check(const std::string& primitive) {
    std::lock_guard lock(mu_);
    auto it = armed_.find(primitive);
    if (it == armed_.end()) return;
    if (it->second.pass > 0) {
      --it->second.pass;
      return;
    }
    Fault f = it->second.fault;
    if (--it->second.times <= 0) armed_.erase(it);
    ++failures_;
    switch (f) {
      case Fault::kUnavailable: throw store::StoreUnavailable("injected: " + primitive + " unavailable");
      case Fault::kConflict: throw store::TransactionConflict("injected: " + primitive + " lost a race");
      case Fault::kCrash: throw std::runtime_error("injected: crash at " + primitive);
    }
  }

  std::unique_ptr<store::Transaction> begin() override;

  bool ping() override { return inner_.ping(); }
  std::optional<domain::Experiment> get_experiment(const std::string& id) override { return inner_.get_experiment(id); }
  store::ExperimentPage list_experiments(const store::ExperimentListQuery& q) override { return inner_.list_experiments(q); }
  store::Summary summary() override { return inner_.summary(); }
  std::vector<domain::MetricValue> list_metric_values() override { return inner_.list_metric_values(); }
  std::optional<domain::MetricValue> get_metric_value(const std::string& id) override { return inner_.get_metric_value(id); }
  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override {
    return inner_.metric_value_history(id);
  }
  std::optional<store::StoredResults> get_results(const std::string& id) override { return inner_.get_results(id); }
  std::optional<store::ResultsInfo> results_info(const std::string& id) override { return inner_.results_info(id); }
  store::StoredSegments get_segments(const std::string& id, const std::optional<std::string>& dimension) override {
    return inner_.get_segments(id, dimension);
  }
  store::SegmentNames segment_names(const std::string& id) override { return inner_.segment_names(id); }
  std::optional<store::StoredAnalysis> find_analysis(AnalysisLookup which, const std::string& key) override {
    return inner_.find_analysis(which, key);
  }
  std::vector<store::StoredAnalysis> list_analyses(const std::string& id) override { return inner_.list_analyses(id); }
  std::vector<store::Event> list_events(const std::string& id) override { return inner_.list_events(id); }
  std::vector<store::Job> list_jobs(const std::string& id) override { return inner_.list_jobs(id); }
  std::vector<domain::Decision> list_decisions(const std::string& id) override { return inner_.list_decisions(id); }
  std::optional<domain::Decision> latest_decision(const std::string& id) override {
    return inner_.latest_decision(id);
  }
  std::vector<domain::Decision> latest_decisions(const std::vector<std::string>& ids) override {
    return inner_.latest_decisions(ids);
  }
  std::optional<store::AccessToken> find_active_token(const std::string& h) override {
    return inner_.find_active_token(h);
  }
  std::vector<store::AccessToken> list_tokens() override { return inner_.list_tokens(); }
  bool any_active_token() override { return inner_.any_active_token(); }
  store::AuditPage list_audit(const store::AuditQuery& q) override { return inner_.list_audit(q); }
  std::vector<store::Webhook> list_webhooks() override { return inner_.list_webhooks(); }
  std::optional<store::Webhook> get_webhook(const std::string& id) override { return inner_.get_webhook(id); }
  std::optional<store::WebhookDelivery> get_delivery(const std::string& id) override { return inner_.get_delivery(id); }
  store::DeliveryPage list_deliveries(const std::string& id, int limit, std::int64_t offset) override {
    return inner_.list_deliveries(id, limit, offset);
  }
  std::optional<store::Job> lease_job(const std::string& w, double now, double lease) override {
    check("lease_job");
    return inner_.lease_job(w, now, lease);
  }
  void retry_job(const std::string& id, const std::string& e, double at) override { inner_.retry_job(id, e, at); }
  std::optional<store::Job> get_job(const std::string& id) override { return inner_.get_job(id); }
  std::optional<double> next_job_due_in(double now) override { return inner_.next_job_due_in(now); }
  QueueStats queue_stats(double now) override { return inner_.queue_stats(now); }

 private:
  struct Armed {
    Fault fault;
    int pass;
    int times;
  };
  store::Store& inner_;
  std::mutex mu_;
  std::map<std::string, Armed> armed_;
  std::atomic<int> failures_{0};
};

class FailingTransaction final : public store::Transaction {
 public:
  FailingTransaction(FailingStore& s, std::unique_ptr<store::Transaction> inner) : s_(s), in_(std::move(inner)) {}

#define RALLYUXR_FORWARD(name, ...) \
  s_.check(#name);                  \
  return in_->name(__VA_ARGS__)

  void insert_experiment(const domain::Experiment& e) override { RALLYUXR_FORWARD(insert_experiment, e); }
  std::optional<domain::Experiment> lock_experiment(const std::string& id) override { RALLYUXR_FORWARD(lock_experiment, id); }
  bool compare_and_set_status(const std::string& id, domain::ExperimentStatus a, domain::ExperimentStatus b,
                              domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(compare_and_set_status, id, a, b, now);
  }
  void set_economic_impact(const std::string& id, std::optional<double> v, domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(set_economic_impact, id, v, now);
  }
  std::optional<store::ResultsMeta> results_meta(const std::string& id) override { RALLYUXR_FORWARD(results_meta, id); }
  std::int64_t bump_results_version(const std::string& id, domain::UnixSeconds now,
                                    const std::optional<domain::UniqueUsers>& uu) override {
    RALLYUXR_FORWARD(bump_results_version, id, now, uu);
  }
  void delete_points(const std::string& id) override { RALLYUXR_FORWARD(delete_points, id); }
  void upsert_points(const std::string& id, const std::vector<domain::MetricSeries>& m) override {
    RALLYUXR_FORWARD(upsert_points, id, m);
  }
  domain::Segments read_segments(const std::string& id) override { RALLYUXR_FORWARD(read_segments, id); }
  void replace_segments(const std::string& id, const domain::Segments& s) override {
    RALLYUXR_FORWARD(replace_segments, id, s);
  }
  store::ResultsInfo refresh_results_info(const std::string& id) override { RALLYUXR_FORWARD(refresh_results_info, id); }
  void insert_event(const store::Event& e) override { RALLYUXR_FORWARD(insert_event, e); }
  void insert_decision(const domain::Decision& d) override { RALLYUXR_FORWARD(insert_decision, d); }
  bool insert_token(const store::AccessToken& t) override { RALLYUXR_FORWARD(insert_token, t); }
  void insert_audit(const store::AuditEntry& a) override { RALLYUXR_FORWARD(insert_audit, a); }
  bool revoke_token(const std::string& n, domain::UnixSeconds now) override { RALLYUXR_FORWARD(revoke_token, n, now); }
  void insert_webhook(const store::Webhook& w) override { RALLYUXR_FORWARD(insert_webhook, w); }
  bool delete_webhook(const std::string& id, domain::UnixSeconds now) override { RALLYUXR_FORWARD(delete_webhook, id, now); }
  std::vector<store::Webhook> active_webhooks() override { RALLYUXR_FORWARD(active_webhooks); }
  void insert_delivery(const store::WebhookDelivery& d) override { RALLYUXR_FORWARD(insert_delivery, d); }
  void update_delivery(const store::WebhookDelivery& d) override { RALLYUXR_FORWARD(update_delivery, d); }
  void insert_job(const std::string& job_id, const std::string& exp_id, store::JobKind k, const std::string& p,
                  domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(insert_job, job_id, exp_id, k, p, now);
  }
  std::optional<store::Job> lock_job(const std::string& id) override { RALLYUXR_FORWARD(lock_job, id); }
  void mark_job_done(const std::string& id, const std::optional<std::string>& r, domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(mark_job_done, id, r, now);
  }
  void mark_job_failed(const std::string& id, const std::string& e, domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(mark_job_failed, id, e, now);
  }
  void insert_analysis(const store::StoredAnalysis& a) override { RALLYUXR_FORWARD(insert_analysis, a); }
  std::optional<store::StoredAnalysis> get_analysis(const std::string& id) override { RALLYUXR_FORWARD(get_analysis, id); }
  void update_analysis(const std::string& id, const std::string& st, const std::string& doc, std::optional<double> t,
                       domain::UnixSeconds now) override {
    RALLYUXR_FORWARD(update_analysis, id, st, doc, t, now);
  }
  std::optional<std::optional<double>> newest_complete_impact(const std::string& id) override {
    RALLYUXR_FORWARD(newest_complete_impact, id);
  }
  std::int64_t count_metric_values() override { RALLYUXR_FORWARD(count_metric_values); }
  std::optional<domain::MetricValue> lock_metric_value(const std::string& id) override { RALLYUXR_FORWARD(lock_metric_value, id); }
  bool insert_metric_value(const domain::MetricValue& m) override { RALLYUXR_FORWARD(insert_metric_value, m); }
  void update_metric_value(const domain::MetricValue& m) override { RALLYUXR_FORWARD(update_metric_value, m); }
  void insert_history(const std::string& id, const domain::MetricValueHistoryEntry& h) override {
    RALLYUXR_FORWARD(insert_history, id, h);
  }
  std::vector<store::TrackingExperiment> experiments_tracking(const std::string& id) override {
    RALLYUXR_FORWARD(experiments_tracking, id);
  }
  void commit() override { RALLYUXR_FORWARD(commit); }
#undef RALLYUXR_FORWARD

 private:
  FailingStore& s_;
  std::unique_ptr<store::Transaction> in_;
};

inline std::unique_ptr<store::Transaction> FailingStore::begin() {
  check("begin");
  return std::make_unique<FailingTransaction>(*this, inner_.begin());
}

}  // namespace rallyuxr::testing
