// JSON payloads of the pipeline's events (the contract's message section), written once here for
// whoever records the event (today api/, later pipeline/). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace rallyuxr::codec {

// EXPERIMENT_CREATED: {eventType, experimentId, experiment, timestamp (created_at), requestId}.
std::string experiment_created_payload(const domain::Experiment& e, std::string_view request_id);

// The contract's "DynamoDB Stream -> Analysis Processor" stream event for a results write:
// {eventName, dynamodb: {Keys: {experimentId: {S}, metricTimepoint: {S: "v<version>"}},
//  NewImage: {experimentId: {S}, resultsVersion: {N: "<version>"}}}, eventSourceARN}.
std::string stream_event_payload(std::string_view experiment_id, std::int64_t results_version,
                                 std::string_view event_name);

// An analyze job: {streamEvent, analysisId, resultsVersion, ...extra}; `extra_json` is the inside
// of an object written by JsonWriter (e.g. "\"correction\":\"fdr_bh\""), or empty.
std::string analysis_job_payload(std::string_view experiment_id, std::int64_t results_version,
                                 std::string_view event_name, std::string_view analysis_id,
                                 std::string_view extra_json);

// {experimentId, reason: "METRIC_VALUE_UPDATED", metricId, metricVersion}.
std::string metric_change_payload(std::string_view experiment_id, std::string_view metric_id,
                                  std::int64_t metric_version);

}  // namespace rallyuxr::codec
