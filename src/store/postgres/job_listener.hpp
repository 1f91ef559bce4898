// A thread holding its own connection with LISTEN rallyuxr_jobs; it calls `on_notify` whenever a
// transaction that queued a job commits on another node (every such transaction runs
// pg_notify('rallyuxr_jobs', <tag of its store>); notifications carrying `own_tag` are skipped, the
// store signalled those itself), so idle workers everywhere wake at once. When the connection
// drops it reconnects with backoff and, once listening again, calls `on_notify` once, since
// notifications sent meanwhile are lost. start() once; the destructor stops and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "store/postgres/connection.hpp"

namespace rallyuxr::store::postgres {

inline constexpr const char* kJobsChannel = "rallyuxr_jobs";

class JobListener {
 public:
  JobListener(const ConnectOptions& options, std::string own_tag, std::function<void()> on_notify);
  ~JobListener();
  JobListener(const JobListener&) = delete;
  JobListener& operator=(const JobListener&) = delete;

  void start();
  void stop();

 private:
  void run();
  bool sleep_for(std::chrono::milliseconds d);  // false when stopping

  const ConnectOptions& options_;
  std::string own_tag_;
  std::function<void()> on_notify_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace rallyuxr::store::postgres
