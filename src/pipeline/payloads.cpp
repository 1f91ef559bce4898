#include "pipeline/payloads.hpp"

#include <fmt/format.h>

#include "codec/events_json.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::pipeline {

// The payloads are written by codec/events_json (one writer per shape).
std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::optional<std::string>& by,
                                 const char* by_key) {
  std::string out = codec::stream_event_payload(experiment_id, results_version, event_name);
  if (by && !out.empty() && out.back() == '}') {  // one more member: who uploaded / requested
    out.pop_back();
    out += fmt::format(",\"{}\":{}}}", by_key, store::json_quote(*by));
  }
  return out;
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

std::string decision_event_payload(const domain::Decision& d) {
  return fmt::format(
      R"({{"eventType":"EXPERIMENT_DECIDED","experimentId":{},"decisionId":{},"decision":{},"reason":{},"decidedBy":{},"decidedAt":{}}})",
      store::json_quote(d.experiment_id), store::json_quote(d.decision_id), store::json_quote(d.decision),
      store::json_quote(d.reason), d.decided_by ? store::json_quote(*d.decided_by) : std::string("null"), d.decided_at);
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
