// JSON writer of the contract's ExperimentResult: the hourly time series of every metric (with
// the pre-period hours) and a per-metric summary. Text only (no DOM); the largest document the
// API sends (about 150 bytes an hour and metric), so written hour by hour into a stack buffer
// (docs/performance.md). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::codec {

// `metrics` in the experiment's metric order, points sorted by hour. A metric id given twice keeps
// its first place with the last series' content (as a JSON object's member assignment would).
void append_results_json(std::string& out, const domain::Experiment& e,
                         const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds generated_at,
                         std::int64_t version);

}  // namespace rallyuxr::codec
