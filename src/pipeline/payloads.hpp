// The pipeline's message payloads (JSON text) that codec/events_json.hpp does not write whole: the
// stream event with who caused it, and the decision event. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/types.hpp"

namespace rallyuxr::pipeline {

// The contract's "DynamoDB Stream -> Analysis Processor" stream event for a results write
// (codec::stream_event_payload). `by` (a named token's name) is added as `by_key` ("uploadedBy"
// on results events, "requestedBy" on a requested analysis) when given.
std::string stream_event_payload(const std::string& experiment_id, std::int64_t results_version,
                                 const std::string& event_name, const std::optional<std::string>& by = std::nullopt,
                                 const char* by_key = "uploadedBy");

// The EXPERIMENT_DECIDED event: the decision as recorded.
std::string decision_event_payload(const domain::Decision& d);

}  // namespace rallyuxr::pipeline
