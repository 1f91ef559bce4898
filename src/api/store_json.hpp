// The store's records as codec's record writers take them (codec knows no store).
#pragma once

#include <string>

#include "codec/records_json.hpp"
#include "codec/results_json.hpp"
#include "store/store.hpp"

namespace rallyuxr::api {

inline void append_event_json(std::string& out, const store::Event& e) {
  codec::append_event_json(out, {e.event_id, e.event_type, e.created_at, e.payload});
}

inline void append_job_json(std::string& out, const store::Job& j) {
  codec::JobFields f;
  f.job_id = j.job_id;
  f.kind = store::to_string(j.kind);
  f.status = store::to_string(j.status);
  f.attempts = j.attempts;
  if (j.last_error) f.last_error = *j.last_error;
  f.created_at = j.created_at;
  f.updated_at = j.updated_at;
  if (j.result) f.result = *j.result;
  codec::append_job_json(out, f);
}

inline void append_analysis_json(std::string& out, const store::StoredAnalysis& a) {
  codec::append_analysis_record_json(
      out, {a.analysis_id, a.experiment_id, a.status, a.results_version, a.document, a.updated_at});
}

inline void append_results_json(std::string& out, const domain::Experiment& e, const store::StoredResults& r) {
  codec::append_results_json(out, e, r.metrics, r.generated_at, r.version);
}

}  // namespace rallyuxr::api
