#include "store/store_util.hpp"

#include <fmt/format.h>

#include <charconv>
#include <memory>
#include <stdexcept>

#include "domain/json_string.hpp"

namespace rallyuxr::store {


const char* to_string(JobKind k) {
  switch (k) {
    case JobKind::kAnalyze: return "analyze";
    case JobKind::kDeliverWebhook: return "deliver_webhook";
    case JobKind::kGenerateResults: break;
  }
  return "generate_results";
}

const char* to_string(JobStatus s) {
  switch (s) {
    case JobStatus::kQueued: return "queued";
    case JobStatus::kRunning: return "running";
    case JobStatus::kDone: return "done";
    case JobStatus::kFailed: return "failed";
  }
  return "queued";
}

JobKind parse_job_kind(const std::string& s) {
  if (s == "analyze") return JobKind::kAnalyze;
  if (s == "deliver_webhook") return JobKind::kDeliverWebhook;
  return JobKind::kGenerateResults;
}

JobStatus parse_job_status(const std::string& s) {
  if (s == "running") return JobStatus::kRunning;
  if (s == "done") return JobStatus::kDone;
  if (s == "failed") return JobStatus::kFailed;
  return JobStatus::kQueued;
}

std::string encode_lifts(const std::map<std::string, double>& lifts) {
  std::string out;
  for (const auto& [id, lift] : lifts) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", id, lift);  // fmt prints the shortest exact representation
  }
  return out;
}

std::map<std::string, double> decode_lifts(const std::string& text) {
  std::map<std::string, double> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    auto item = text.substr(pos, end - pos);
    auto colon = item.find(':');
    if (colon != std::string::npos) out[item.substr(0, colon)] = std::stod(item.substr(colon + 1));
    pos = end + 1;
  }
  return out;
}

std::string json_quote(const std::string& s) {
  std::string out;
  domain::append_json_string(out, s);
  return out;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.emplace_back(text, start, comma - start);
    start = comma + 1;
  }
  return out;
}

std::string redact_database_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  auto at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace rallyuxr::store
