#include "codec/records_json.hpp"

#include <boost/json/value.hpp>

#include "codec/json_parse.hpp"
#include "codec/json_writer.hpp"

namespace rallyuxr::codec {
namespace {

// Stored JSON text, parsed again; null when it does not parse.
void stored_json(JsonWriter& w, std::string_view text) {
  boost::system::error_code ec;
  auto v = parse_json_exact(text, ec);
  if (ec)
    w.null();
  else
    w.value(v);
}

}  // namespace

void append_event_json(std::string& out, const EventFields& e) {
  JsonWriter w(out);
  w.begin_object();
  w.key("eventId").string(e.event_id);
  w.key("eventType").string(e.event_type);
  w.key("createdAt").timestamp(e.created_at);
  w.key("payload");
  stored_json(w, e.payload);
  w.end_object();
}

void append_job_json(std::string& out, const JobFields& j) {
  JsonWriter w(out);
  w.begin_object();
  w.key("jobId").string(j.job_id);
  w.key("kind").string(j.kind);
  w.key("status").string(j.status);
  w.key("attempts").integer(j.attempts);
  w.key("lastError").string(j.last_error);
  w.key("createdAt").timestamp(j.created_at);
  w.key("updatedAt").timestamp(j.updated_at);
  if (j.result) {
    w.key("result");
    stored_json(w, *j.result);
  }
  w.end_object();
}

void append_analysis_record_json(std::string& out, const AnalysisFields& a) {
  boost::system::error_code ec;
  auto doc = parse_json_exact(a.document, ec);
  const boost::json::object* members = (!ec && doc.is_object()) ? &doc.get_object() : nullptr;

  enum Field { kAnalysisId, kExperimentId, kStatus, kResultsVersion, kFields };
  static constexpr std::string_view kKeys[kFields] = {"analysisId", "experimentId", "status", "resultsVersion"};
  bool written[kFields] = {};
  JsonWriter w(out);
  auto write_field = [&](int f) {
    w.key(kKeys[f]);
    switch (f) {
      case kAnalysisId: w.string(a.analysis_id); break;
      case kExperimentId: w.string(a.experiment_id); break;
      case kStatus: w.string(a.status); break;
      default: w.integer(a.results_version); break;
    }
    written[f] = true;
  };

  w.begin_object();
  bool has_timestamp = false;
  if (members) {
    for (const auto& kv : *members) {
      std::string_view k(kv.key().data(), kv.key().size());
      int f = 0;
      while (f < kFields && kKeys[f] != k) ++f;
      if (f < kFields) {
        write_field(f);
        continue;
      }
      if (k == "analysisTimestamp") has_timestamp = true;
      w.key(k).value(kv.value());
    }
  }
  for (int f = 0; f < kFields; ++f)
    if (!written[f]) write_field(f);
  if (!has_timestamp) w.key("analysisTimestamp").timestamp(a.updated_at);
  w.end_object();
}

}  // namespace rallyuxr::codec
