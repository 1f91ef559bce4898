// JSON payloads of the pipeline's events (the contract's message section), written once here for
// whoever records the event (today api/, later pipeline/). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace rallyuxr::codec {

// EXPERIMENT_CREATED: {eventType, experimentId, experiment, timestamp (created_at), requestId}.
std::string experiment_created_payload(const domain::Experiment& e, std::string_view request_id);

}  // namespace rallyuxr::codec
