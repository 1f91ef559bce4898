#include "api/response_cache.hpp"

#include "http/representation.hpp"

namespace rallyuxr::api {

namespace {
// What an entry costs beyond its bytes (the list node, the index, the strings' headers).
constexpr std::size_t kEntryOverhead = 256;
// The level of gzip bytes that are kept: made once per version, sent many times.
constexpr int kKeptGzipLevel = 6;
}  // namespace

ResponseCache::ResponseCache(std::size_t max_bytes, bool cache_list_pages)
    : max_bytes_(max_bytes), cache_list_pages_(cache_list_pages) {}

http::Response ResponseCache::get_or_make(const std::string& key, const std::function<http::Response()>& make) {
  if (!enabled()) {
    auto r = make();
    r.etag_from_body = true;
    return r;
  }
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      auto e = *it->second;
      return respond(e);
    }
    ++misses_;
  }
  auto r = make();
  if (r.status != 200) return r;  // errors are made again: they are cheap and may pass
  auto e = std::make_shared<Entry>();
  e->key = key;
  e->status = r.status;
  e->content_type = r.content_type;
  e->headers = r.headers;
  e->etag = http::etag_of(r.body);
  e->body = std::make_shared<const std::string>(std::move(r.body));
  auto out = respond(e);
  std::size_t cost = key.size() + e->body->size() + e->content_type.size() + kEntryOverhead;
  if (cost > max_bytes_ / 4) return out;  // one response may not push out most of the others
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) return out;  // another request made it meanwhile
  lru_.push_front(e);
  index_.emplace(key, lru_.begin());
  charge(e, cost);
  evict_to_bound();
  return out;
}

std::optional<http::Response> ResponseCache::peek(const std::string& key, bool wants_gzip) {
  if (!enabled()) return std::nullopt;
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    e = *it->second;
    // gzip bytes not made yet are made on a request thread, not here.
    if (wants_gzip && e->body->size() >= http::kCompressMinBytes && !e->gzip_ready.load(std::memory_order_acquire))
      return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    ++hits_;
  }
  return respond(e);
}

http::Response ResponseCache::respond(const std::shared_ptr<Entry>& e) {
  http::Response r;
  r.status = e->status;
  r.content_type = e->content_type;
  r.headers = e->headers;
  r.body = *e->body;
  r.etag = e->etag;
  r.gzip_body = [this, e] { return gzip_of(e); };
  return r;
}

std::shared_ptr<const std::string> ResponseCache::gzip_of(const std::shared_ptr<Entry>& e) {
  std::shared_ptr<const std::string> z;
  {
    std::lock_guard gz(e->gzip_mutex);  // never held with mu_ (peek takes mu_ alone)
    if (e->gzip) return e->gzip;
    z = std::make_shared<const std::string>(http::gzip_compress(*e->body, kKeptGzipLevel));
    e->gzip = z;
    e->gzip_ready.store(true, std::memory_order_release);
  }
  std::lock_guard lock(mu_);
  auto it = index_.find(e->key);
  if (it != index_.end() && *it->second == e) {  // still kept: its gzip bytes count too
    charge(e, z->size());
    evict_to_bound();
  }
  return z;
}

void ResponseCache::charge(const std::shared_ptr<Entry>& e, std::size_t bytes) {
  e->charged += bytes;
  bytes_ += bytes;
}

void ResponseCache::evict_to_bound() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto victim = lru_.back();
    bytes_ -= victim->charged;
    index_.erase(victim->key);
    lru_.pop_back();
    ++evictions_;
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard lock(mu_);
  return Stats{hits_, misses_, evictions_, bytes_, lru_.size()};
}

std::string query_key(const http::Request& req) {
  std::string out;
  for (const auto& [k, v] : req.query) {
    if (!out.empty()) out += '&';
    // Lengths first, so that no two queries give the same key ("a=b&c" vs "a" = "b&c").
    out += std::to_string(k.size()) + ':' + k + '=' + std::to_string(v.size()) + ':' + v;
  }
  return out;
}

namespace {

using namespace store;  // NOLINT: the decorator repeats the interface's signatures

class CountingTransaction final : public Transaction {
 public:
  CountingTransaction(std::unique_ptr<Transaction> inner, ResponseCache& cache) : inner_(std::move(inner)), cache_(cache) {}
  void commit() override {
    inner_->commit();
    cache_.bump_generation();
  }
  void insert_experiment(const domain::Experiment& e) override { return inner_->insert_experiment(e); }
  std::optional<domain::Experiment> lock_experiment(const std::string& id) override { return inner_->lock_experiment(id); }
  bool compare_and_set_status(const std::string& id, domain::ExperimentStatus expected, domain::ExperimentStatus next, domain::UnixSeconds now) override { return inner_->compare_and_set_status(id, expected, next, now); }
  void set_economic_impact(const std::string& id, std::optional<double> impact, domain::UnixSeconds now) override { return inner_->set_economic_impact(id, impact, now); }
  std::optional<ResultsMeta> results_meta(const std::string& experiment_id) override { return inner_->results_meta(experiment_id); }
  std::int64_t bump_results_version(const std::string& experiment_id, domain::UnixSeconds now, const std::optional<domain::UniqueUsers>& unique_users) override { return inner_->bump_results_version(experiment_id, now, unique_users); }
  void delete_points(const std::string& experiment_id) override { return inner_->delete_points(experiment_id); }
  void upsert_points(const std::string& experiment_id, const std::vector<domain::MetricSeries>& metrics) override { return inner_->upsert_points(experiment_id, metrics); }
  ResultsInfo refresh_results_info(const std::string& experiment_id) override { return inner_->refresh_results_info(experiment_id); }
  void insert_event(const Event& e) override { return inner_->insert_event(e); }
  void insert_decision(const domain::Decision& d) override { return inner_->insert_decision(d); }
  bool insert_token(const AccessToken& t) override { return inner_->insert_token(t); }
  void insert_audit(const AuditEntry& a) override { return inner_->insert_audit(a); }
  bool revoke_token(const std::string& name, domain::UnixSeconds now) override { return inner_->revoke_token(name, now); }
  void insert_job(const std::string& job_id, const std::string& experiment_id, JobKind kind, const std::string& payload, domain::UnixSeconds now) override { return inner_->insert_job(job_id, experiment_id, kind, payload, now); }
  std::optional<Job> lock_job(const std::string& job_id) override { return inner_->lock_job(job_id); }
  void mark_job_done(const std::string& job_id, const std::optional<std::string>& result, domain::UnixSeconds now) override { return inner_->mark_job_done(job_id, result, now); }
  void mark_job_failed(const std::string& job_id, const std::string& error, domain::UnixSeconds now) override { return inner_->mark_job_failed(job_id, error, now); }
  void insert_analysis(const StoredAnalysis& a) override { return inner_->insert_analysis(a); }
  std::optional<StoredAnalysis> get_analysis(const std::string& analysis_id) override { return inner_->get_analysis(analysis_id); }
  void update_analysis(const std::string& analysis_id, const std::string& status, const std::string& document, std::optional<double> total_impact, domain::UnixSeconds now) override { return inner_->update_analysis(analysis_id, status, document, total_impact, now); }
  std::optional<std::optional<double>> newest_complete_impact(const std::string& experiment_id) override { return inner_->newest_complete_impact(experiment_id); }
  std::int64_t count_metric_values() override { return inner_->count_metric_values(); }
  std::optional<domain::MetricValue> lock_metric_value(const std::string& id) override { return inner_->lock_metric_value(id); }
  bool insert_metric_value(const domain::MetricValue& m) override { return inner_->insert_metric_value(m); }
  void update_metric_value(const domain::MetricValue& m) override { return inner_->update_metric_value(m); }
  void insert_history(const std::string& metric_id, const domain::MetricValueHistoryEntry& h) override { return inner_->insert_history(metric_id, h); }
  std::vector<TrackingExperiment> experiments_tracking(const std::string& metric_id) override { return inner_->experiments_tracking(metric_id); }

 private:
  std::unique_ptr<Transaction> inner_;
  ResponseCache& cache_;
};

class CountingStore final : public Store {
 public:
  CountingStore(Store& inner, ResponseCache& cache) : inner_(inner), cache_(cache) {}
  std::unique_ptr<Transaction> begin() override {
    return std::make_unique<CountingTransaction>(inner_.begin(), cache_);
  }
  std::optional<Job> lease_job(const std::string& worker_id, double now, double lease_seconds) override { return inner_.lease_job(worker_id, now, lease_seconds); }
  void retry_job(const std::string& job_id, const std::string& error, double retry_at) override { return inner_.retry_job(job_id, error, retry_at); }
  std::optional<Job> get_job(const std::string& job_id) override { return inner_.get_job(job_id); }
  std::optional<double> next_job_due_in(double now) override { return inner_.next_job_due_in(now); }
  QueueStats queue_stats(double now) override { return inner_.queue_stats(now); }
  bool ping() override { return inner_.ping(); }
  HealthReport health() override { return inner_.health(); }
  std::optional<domain::Experiment> get_experiment(const std::string& id) override { return inner_.get_experiment(id); }
  ExperimentPage list_experiments(const ExperimentListQuery& q) override { return inner_.list_experiments(q); }
  Summary summary() override { return inner_.summary(); }
  std::vector<domain::MetricValue> list_metric_values() override { return inner_.list_metric_values(); }
  std::optional<domain::MetricValue> get_metric_value(const std::string& id) override { return inner_.get_metric_value(id); }
  std::vector<domain::MetricValueHistoryEntry> metric_value_history(const std::string& id) override { return inner_.metric_value_history(id); }
  std::optional<StoredResults> get_results(const std::string& experiment_id) override { return inner_.get_results(experiment_id); }
  std::optional<ResultsInfo> results_info(const std::string& experiment_id) override { return inner_.results_info(experiment_id); }
  std::optional<StoredAnalysis> find_analysis(AnalysisLookup which, const std::string& key) override { return inner_.find_analysis(which, key); }
  std::vector<StoredAnalysis> list_analyses(const std::string& exp_id) override { return inner_.list_analyses(exp_id); }
  std::vector<Event> list_events(const std::string& exp_id) override { return inner_.list_events(exp_id); }
  std::vector<domain::Decision> list_decisions(const std::string& exp_id) override { return inner_.list_decisions(exp_id); }
  std::optional<domain::Decision> latest_decision(const std::string& exp_id) override { return inner_.latest_decision(exp_id); }
  std::vector<domain::Decision> latest_decisions(const std::vector<std::string>& exp_ids) override { return inner_.latest_decisions(exp_ids); }
  std::optional<AccessToken> find_active_token(const std::string& hash) override { return inner_.find_active_token(hash); }
  std::vector<AccessToken> list_tokens() override { return inner_.list_tokens(); }
  bool any_active_token() override { return inner_.any_active_token(); }
  AuditPage list_audit(const AuditQuery& q) override { return inner_.list_audit(q); }
  std::vector<Job> list_jobs(const std::string& exp_id) override { return inner_.list_jobs(exp_id); }

 private:
  Store& inner_;
  ResponseCache& cache_;
};

}  // namespace

std::unique_ptr<store::Store> count_writes(store::Store& inner, ResponseCache& cache) {
  return std::make_unique<CountingStore>(inner, cache);
}

}  // namespace rallyuxr::api
