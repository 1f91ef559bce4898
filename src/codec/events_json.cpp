#include "codec/events_json.hpp"

#include "codec/json_writer.hpp"
#include "codec/resources_json.hpp"

namespace rallyuxr::codec {

std::string experiment_created_payload(const domain::Experiment& e, std::string_view request_id) {
  std::string msg;
  JsonWriter w(msg);
  w.begin_object();
  w.key("eventType").string("EXPERIMENT_CREATED");
  w.key("experimentId").string(e.id);
  w.key("experiment");
  append_experiment_json(w.slot(), e);
  w.key("timestamp").timestamp(e.created_at);
  w.key("requestId").string(request_id);
  w.end_object();
  return msg;
}

namespace {

void write_stream_event(JsonWriter& w, std::string_view experiment_id, std::int64_t results_version,
                        std::string_view event_name) {
  std::string version = std::to_string(results_version);
  w.begin_object();
  w.key("eventName").string(event_name);
  w.key("dynamodb").begin_object();
  w.key("Keys").begin_object();
  w.key("experimentId").begin_object().key("S").string(experiment_id).end_object();
  w.key("metricTimepoint").begin_object().key("S").string("v" + version).end_object();
  w.end_object();
  w.key("NewImage").begin_object();
  w.key("experimentId").begin_object().key("S").string(experiment_id).end_object();
  w.key("resultsVersion").begin_object().key("N").string(version).end_object();
  w.end_object();
  w.end_object();
  w.key("eventSourceARN").string("rallyuxr:experiment_results");
  w.end_object();
}

}  // namespace

std::string stream_event_payload(std::string_view experiment_id, std::int64_t results_version,
                                 std::string_view event_name) {
  std::string out;
  JsonWriter w(out);
  write_stream_event(w, experiment_id, results_version, event_name);
  return out;
}

std::string analysis_job_payload(std::string_view experiment_id, std::int64_t results_version,
                                 std::string_view event_name, std::string_view analysis_id,
                                 std::string_view extra_json) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("streamEvent");
  write_stream_event(w, experiment_id, results_version, event_name);
  w.key("analysisId").string(analysis_id);
  w.key("resultsVersion").integer(results_version);
  if (!extra_json.empty()) {
    out += ',';
    out += extra_json;
  }
  w.end_object();
  return out;
}

std::string metric_change_payload(std::string_view experiment_id, std::string_view metric_id,
                                  std::int64_t metric_version) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("experimentId").string(experiment_id);
  w.key("reason").string("METRIC_VALUE_UPDATED");
  w.key("metricId").string(metric_id);
  w.key("metricVersion").integer(metric_version);
  w.end_object();
  return out;
}

}  // namespace rallyuxr::codec
