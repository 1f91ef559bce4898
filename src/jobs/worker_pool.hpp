// Worker threads that lease jobs from the store's durable queue and run the processors. Idle
// workers sleep on a condition variable that the store's job listener signals after every commit
// that queued a job, so a new job starts at once; a short fallback wait catches retries that come
// due and leases that expire. Failed attempts are retried with exponential backoff up to
// max_attempts, then recorded as failed. start()/stop() from one thread; notify() from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobs/processors.hpp"
#include "jobs/webhook_delivery.hpp"
#include "store/store.hpp"

namespace rallyuxr::jobs {

struct WorkerOptions {
  int workers = 2;
  int max_attempts = 5;
  double retry_base_seconds = 0.2;   // 0.2, 0.4, 0.8, ... capped at retry_max_seconds
  double retry_max_seconds = 30;
  double lease_seconds = 60;
  // Webhook deliveries (deliver_webhook jobs): their own attempts and back-off (receivers may be
  // down for minutes), the HTTP client (wired by app/) and its timeout per attempt.
  int webhook_max_attempts = 8;
  double webhook_retry_base_seconds = 1;  // 1, 2, 4, ... capped at retry_max_seconds
  double webhook_timeout_seconds = 10;
  WebhookSender webhook_sender;
};

class WorkerPool {
 public:
  WorkerPool(store::Store& store, WorkerOptions options);
  ~WorkerPool();

  void start();
  // Lets running jobs finish, then joins the threads.
  void stop();
  void notify();
  int live_workers() const { return live_.load(); }
  std::uint64_t failed_attempts() const { return failed_attempts_.load(); }

 private:
  void loop(int index);
  void run_one(const store::Job& job);

  store::Store& store_;
  WorkerOptions options_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t signals_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> live_{0};
  std::atomic<std::uint64_t> failed_attempts_{0};
  std::string node_id_;
};

}  // namespace rallyuxr::jobs
