#include "http/metrics.hpp"

#include "http/access_log.hpp"

#include <fmt/format.h>

namespace rallyuxr::http {
namespace {

std::string escape_label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Methods outside the known set share one label, so that made-up methods cannot add series.
const std::string& method_label(const std::string& method) {
  static const std::string known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static const std::string other = "OTHER";
  for (const auto& k : known)
    if (method == k) return k;
  return other;
}

}  // namespace

void Metrics::observe(const std::string& route, const std::string& method, int status, double seconds) {
  if (status < 100 || status > 599) status = 599;
  std::lock_guard lock(mu_);
  std::tuple<std::string, std::string, int> key{route.size() > 200 ? std::string("other") : route,
                                                method_label(method), status};
  auto it = series_.find(key);
  if (it == series_.end() && series_.size() >= kMaxSeries) key = {"overflow", "OTHER", 599};
  auto& s = series_[key];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  ++s.count;
  s.sum += seconds;
}

void Metrics::connection_rejected() {
  std::lock_guard lock(mu_);
  ++rejected_connections_;
}

std::string Metrics::render(std::size_t open_connections) const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP rallyuxr_http_requests_total HTTP requests answered, by route pattern, method and status.\n";
    out += "# TYPE rallyuxr_http_requests_total counter\n";
    for (const auto& [key, s] : series_) {
      const auto& [route, method, status] = key;
      out += fmt::format("rallyuxr_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                         escape_label(route), escape_label(method), status, s.count);
    }
    out += "# HELP rallyuxr_http_request_duration_seconds Time from a whole request to its response being built.\n";
    out += "# TYPE rallyuxr_http_request_duration_seconds histogram\n";
    for (const auto& [key, s] : series_) {
      const auto& [route, method, status] = key;
      std::string labels = fmt::format("route=\"{}\",method=\"{}\",status=\"{}\"", escape_label(route),
                                       escape_label(method), status);
      for (std::size_t i = 0; i < kBuckets.size(); ++i)
        out += fmt::format("rallyuxr_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                           kBuckets[i], s.buckets[i]);
      out += fmt::format("rallyuxr_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, s.count);
      out += fmt::format("rallyuxr_http_request_duration_seconds_sum{{{}}} {}\n", labels, s.sum);
      out += fmt::format("rallyuxr_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
    }
    out += "# HELP rallyuxr_http_connections_rejected_total Connections refused because the connection cap was reached.\n";
    out += "# TYPE rallyuxr_http_connections_rejected_total counter\n";
    out += fmt::format("rallyuxr_http_connections_rejected_total {}\n", rejected_connections_);
  }
  out += "# HELP rallyuxr_http_open_connections Connections open now.\n";
  out += "# TYPE rallyuxr_http_open_connections gauge\n";
  out += fmt::format("rallyuxr_http_open_connections {}\n", open_connections);
  if (access_log_) {
    out += "# HELP rallyuxr_access_log_dropped_total Access log lines dropped because the log's queue was full.\n";
    out += "# TYPE rallyuxr_access_log_dropped_total counter\n";
    out += fmt::format("rallyuxr_access_log_dropped_total {}\n", access_log_->dropped());
  }
  if (extra_) out += extra_();
  return out;
}

}  // namespace rallyuxr::http
