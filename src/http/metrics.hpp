// Request metrics for GET /metrics in the Prometheus text format: counts and latency histograms by
// route pattern, method and status. Cardinality is bounded: routes are patterns (never raw paths),
// methods outside GET/HEAD/POST/PUT/DELETE/PATCH/OPTIONS are "OTHER", and past kMaxSeries label
// sets further ones are counted under route="overflow". Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace rallyuxr::http {

class AccessLog;

class Metrics {
 public:
  static constexpr std::array<double, 13> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5};
  static constexpr std::size_t kMaxSeries = 2000;
  void observe(const std::string& route, const std::string& method, int status, double seconds);
  void connection_rejected();
  // Appends more families (queue depth, job failures, ...) from outside http/.
  void set_extra(std::function<std::string()> extra) { extra_ = std::move(extra); }
  // The access log whose dropped lines are counted (set by the server).
  void set_access_log(const AccessLog* log) { access_log_ = log; }
  std::string render(std::size_t open_connections) const;

 private:
  struct Series {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, Series> series_;
  std::uint64_t rejected_connections_ = 0;
  std::function<std::string()> extra_;
  const AccessLog* access_log_ = nullptr;
};

}  // namespace rallyuxr::http
