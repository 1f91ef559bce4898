// JSON writers of the pipeline's records as the API lists them: events, jobs and analyses. The
// records are stored with JSON text inside (an event's payload, a job's result, an analysis
// document); that text is parsed (exactly, json_parse.hpp) and written again, and text that does
// not parse is written as null. codec knows no store: callers pass the fields. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace rallyuxr::codec {

struct EventFields {
  std::string_view event_id;
  std::string_view event_type;
  domain::UnixSeconds created_at = 0;
  std::string_view payload;  // JSON text
};
// {eventId, eventType, createdAt, payload}
void append_event_json(std::string& out, const EventFields& e);

struct JobFields {
  std::string_view job_id;
  std::string_view kind;    // generate_results | analyze
  std::string_view status;  // queued | running | done | failed
  int attempts = 0;
  std::optional<std::string_view> last_error;
  domain::UnixSeconds created_at = 0;
  domain::UnixSeconds updated_at = 0;
  std::optional<std::string_view> result;  // JSON text
};
// {jobId, kind, status, attempts, lastError (string or null), createdAt, updatedAt[, result]}
void append_job_json(std::string& out, const JobFields& j);

struct AnalysisFields {
  std::string_view analysis_id;
  std::string_view experiment_id;
  std::string_view status;  // processing | complete | failed
  std::int64_t results_version = 0;
  std::string_view document;  // the ExperimentAnalysis JSON text, or "{}"
  domain::UnixSeconds updated_at = 0;
};
// The stored analysis document's members, with analysisId, experimentId, status and
// resultsVersion taken from the record (in place when the document has them, else at the end),
// and analysisTimestamp (the record's updated_at) when the document has none.
void append_analysis_record_json(std::string& out, const AnalysisFields& a);

}  // namespace rallyuxr::codec
