#include "pipeline/payloads.hpp"

#include <fmt/format.h>

#include "store/store_util.hpp"

namespace rallyuxr::pipeline {

using store::json_quote;

std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::optional<std::string>& by,
                                 const char* by_key) {
  return fmt::format(
      R"({{"eventName":{},"dynamodb":{{"Keys":{{"experimentId":{{"S":{}}},"metricTimepoint":{{"S":"v{}"}}}},)"
      R"("NewImage":{{"experimentId":{{"S":{}}},"resultsVersion":{{"N":"{}"}}}}}},"eventSourceARN":"rallyuxr:experiment_results"{}}})",
      json_quote(event_name), json_quote(experiment_id), results_version, json_quote(experiment_id),
      results_version, by ? fmt::format(",\"{}\":{}", by_key, json_quote(*by)) : std::string());
}

std::string analysis_job_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::string& analysis_id,
                                 const std::string& extra_json) {
  return fmt::format(R"({{"streamEvent":{},"analysisId":{},"resultsVersion":{}{}{}}})",
                     stream_event_payload(experiment_id, results_version, event_name),
                     json_quote(analysis_id), results_version, extra_json.empty() ? "" : ",",
                     extra_json);
}

std::string metric_change_payload(const std::string& experiment_id, const std::string& metric_id,
                                  std::int64_t metric_version) {
  return fmt::format(R"({{"experimentId":{},"reason":"METRIC_VALUE_UPDATED","metricId":{},"metricVersion":{}}})",
                     json_quote(experiment_id), json_quote(metric_id), metric_version);
}

std::string decision_event_payload(const domain::Decision& d) {
  return fmt::format(
      R"({{"eventType":"EXPERIMENT_DECIDED","experimentId":{},"decisionId":{},"decision":{},"reason":{},"decidedBy":{},"decidedAt":{}}})",
      json_quote(d.experiment_id), json_quote(d.decision_id), json_quote(d.decision), json_quote(d.reason),
      d.decided_by ? json_quote(*d.decided_by) : std::string("null"), d.decided_at);
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
