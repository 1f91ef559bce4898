// The pipeline's message payloads (JSON text): the contract's stream events, the analyze job's
// payload and the metric-change event; and the error text of a failed analysis for its job.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/types.hpp"

namespace rallyuxr::pipeline {

// The contract's "DynamoDB Stream -> Analysis Processor" stream event for a results write.
// `by` (a named token's name) is added as `by_key` ("uploadedBy" on results events, "requestedBy"
// on a requested analysis) when given.
std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::optional<std::string>& by = std::nullopt,
                                 const char* by_key = "uploadedBy");
// An analyze job: the stream event plus the analysis row it fills and any extra options
// (`extra_json` is the inside of an object, e.g. "\"correction\":\"fdr_bh\"", or empty).
std::string analysis_job_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::string& analysis_id,
                                 const std::string& extra_json);
std::string metric_change_payload(const std::string& experiment_id, const std::string& metric_id,
                                  std::int64_t metric_version);

// The EXPERIMENT_DECIDED event: the decision as recorded.
std::string decision_event_payload(const domain::Decision& d);

// The `error` field of a failed analysis document, for the job's last_error.
std::string failed_error_text(const std::string& document);

}  // namespace rallyuxr::pipeline
