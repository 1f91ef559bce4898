// The deadline of the work the current thread does for a request: the HTTP layer sets it before a
// handler runs, and waits below (a pooled connection, the database's write lock) end by it, so that
// a request that cannot get the database answers 503 at the documented time instead of queueing.
// Threads without a deadline (pipeline workers) use the caller's cap.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace rallyuxr::domain {

using SteadyTime = std::chrono::steady_clock::time_point;

inline thread_local std::optional<SteadyTime> t_request_deadline;

// Sets the thread's deadline for its lifetime, restoring the previous one after.
class ScopedDeadline {
 public:
  explicit ScopedDeadline(std::optional<SteadyTime> d) : previous_(t_request_deadline) { t_request_deadline = d; }
  ~ScopedDeadline() { t_request_deadline = previous_; }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  std::optional<SteadyTime> previous_;
};

// How long a wait may last: `cap`, shortened to the thread's deadline (never negative).
inline std::chrono::milliseconds wait_budget(std::chrono::milliseconds cap) {
  if (!t_request_deadline) return cap;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*t_request_deadline -
                                                                    std::chrono::steady_clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), cap);
}

}  // namespace rallyuxr::domain
