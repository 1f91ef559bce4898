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

}  // namespace rallyuxr::codec
