#include "pipeline/payloads.hpp"

#include "codec/events_json.hpp"
#include "codec/json_writer.hpp"

namespace rallyuxr::pipeline {

std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::optional<std::string>& by,
                                 const char* by_key) {
  std::string out = codec::stream_event_payload(experiment_id, results_version, event_name);
  if (by && !out.empty() && out.back() == '}') {  // one more member: who uploaded / requested
    out.pop_back();
    out += ',';
    codec::append_json_string(out, by_key);
    out += ':';
    codec::append_json_string(out, *by);
    out += '}';
  }
  return out;
}

std::string decision_event_payload(const domain::Decision& d) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("eventType").string("EXPERIMENT_DECIDED");
  w.key("experimentId").string(d.experiment_id);
  w.key("decisionId").string(d.decision_id);
  w.key("decision").string(d.decision);
  w.key("reason").string(d.reason);
  w.key("decidedBy");
  if (d.decided_by)
    w.string(*d.decided_by);
  else
    w.null();
  w.key("decidedAt").integer(d.decided_at);
  w.end_object();
  return out;
}

}  // namespace rallyuxr::pipeline
