#include "pipeline/payloads.hpp"

#include "codec/events_json.hpp"

namespace rallyuxr::pipeline {

// The payloads are written by codec/events_json (one writer per shape).
std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name) {
  return codec::stream_event_payload(experiment_id, results_version, event_name);
}

std::string analysis_job_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::string& analysis_id,
                                 const std::string& extra_json) {
  return codec::analysis_job_payload(experiment_id, results_version, event_name, analysis_id, extra_json);
}

std::string metric_change_payload(const std::string& experiment_id, const std::string& metric_id,
                                  std::int64_t metric_version) {
  return codec::metric_change_payload(experiment_id, metric_id, metric_version);
}

std::string failed_error_text(const std::string& document) {
  // Documents of failed analyses are {"status":"failed","error":"...",...}; keep the raw text
  // short and free of JSON parsing here.
  auto pos = document.find("\"error\":\"");
  if (pos == std::string::npos) return "analysis failed";
  pos += 9;
  std::string out;
  for (std::size_t i = pos; i < document.size() && document[i] != '"'; ++i) {
    if (document[i] == '\\' && i + 1 < document.size()) ++i;
    out += document[i];
  }
  return out;
}

}  // namespace rallyuxr::pipeline
