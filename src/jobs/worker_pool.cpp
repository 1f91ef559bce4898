#include "jobs/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "domain/ids.hpp"

namespace rallyuxr::jobs {
namespace {

double now_fractional() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

WorkerPool::WorkerPool(store::Store& store, WorkerOptions options)
    : store_(store), options_(std::move(options)), node_id_(domain::new_uuid_v7()) {}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this, i] { loop(i); });
}

void WorkerPool::stop() {
  stopping_ = true;
  notify();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WorkerPool::notify() {
  {
    std::lock_guard lock(mu_);
    ++signals_;
  }
  cv_.notify_all();
}

void WorkerPool::loop(int index) {
  ++live_;
  std::string worker_id = node_id_ + "/" + std::to_string(index);
  while (!stopping_) {
    std::uint64_t seen;
    {
      std::lock_guard lock(mu_);
      seen = signals_;
    }
    double wait_seconds = 1.0;
    try {
      auto job = store_.lease_job(worker_id, now_fractional(), options_.lease_seconds);
      if (job) {
        run_one(*job);
        continue;
      }
      if (auto due = store_.next_job_due_in(now_fractional())) wait_seconds = std::min(wait_seconds, *due);
    } catch (const std::exception& e) {
      spdlog::warn("worker {}: queue unavailable: {}", index, e.what());
      wait_seconds = 1.0;
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::duration<double>(std::max(wait_seconds, 0.001)),
                 [&] { return stopping_ || signals_ != seen; });
  }
  --live_;
}

void WorkerPool::run_one(const store::Job& job) {
  auto started = std::chrono::steady_clock::now();
  try {
    if (job.kind == store::JobKind::kGenerateResults)
      run_generate_results(store_, job);
    else if (job.kind == store::JobKind::kDeliverWebhook)
      run_webhook_delivery(store_, job, options_.webhook_sender, options_.webhook_timeout_seconds);
    else
      run_analysis(store_, job);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    spdlog::debug("job {} {} for {} done in {:.1f} ms", store::to_string(job.kind), job.job_id, job.experiment_id, ms);
  } catch (const std::exception& e) {
    ++failed_attempts_;
    std::string error = e.what();
    try {
      const bool delivery = job.kind == store::JobKind::kDeliverWebhook;
      const int max_attempts = delivery ? options_.webhook_max_attempts : options_.max_attempts;
      const double base = delivery ? options_.webhook_retry_base_seconds : options_.retry_base_seconds;
      if (job.attempts >= max_attempts) {
        spdlog::error("job {} {} for {} failed for good after {} attempts: {}", store::to_string(job.kind),
                      job.job_id, job.experiment_id, job.attempts, error);
        if (delivery)
          record_final_delivery_failure(store_, job, error);
        else
          record_final_failure(store_, job, error);
      } else {
        double delay = std::min(options_.retry_max_seconds, base * std::pow(2.0, job.attempts - 1));
        spdlog::warn("job {} {} for {} failed (attempt {} of {}), retrying in {:.1f}s: {}",
                     store::to_string(job.kind), job.job_id, job.experiment_id, job.attempts,
                     max_attempts, delay, error);
        store_.retry_job(job.job_id, error, now_fractional() + delay);
      }
    } catch (const std::exception& e2) {
      // The store itself is failing; the lease expires and the job is picked up again.
      spdlog::error("job {}: could not record the failure: {}", job.job_id, e2.what());
    }
  }
}

}  // namespace rallyuxr::jobs
