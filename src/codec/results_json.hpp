// JSON writer of the contract's ExperimentResult: the hourly time series of every metric (with
// the pre-period hours) and a per-metric summary. Text only (no DOM); the largest document the
// API sends (about 150 bytes an hour and metric), so written hour by hour into a stack buffer
// (docs/performance.md). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::codec {

// `metrics` in the experiment's metric order, points sorted by hour. A metric id given twice keeps
// its first place with the last series' content (as a JSON object's member assignment would).
// With `dimensions` (dimension -> segment names), the object ends with
// "dimensions": {"device": ["desktop", "mobile"]} (issue 17).
void append_results_json(std::string& out, const domain::Experiment& e,
                         const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds generated_at,
                         std::int64_t version,
                         const std::map<std::string, std::vector<std::string>>* dimensions = nullptr);

// One dimension's segments for GET /results?dimension=: {"mobile": {"metrics": {id: {"timeSeries":
// [...]}}, "uniqueUsers"?}}, metrics in the experiment's order, points as in the results.
void append_segments_json(std::string& out, const domain::Experiment& e, const domain::DimensionSegments& segments);

// The JSON export (GET /experiments/{id}/results.json): the upload format, {"metrics": {...},
// "uniqueUsers"?, "segments"?: {dimension: {segment: {"metrics": {...}, "uniqueUsers"?}}}}, so
// that it uploads again to the same stored series.
void append_results_export_json(std::string& out, const domain::Experiment& e,
                                const std::vector<domain::MetricSeries>& metrics,
                                const std::optional<domain::UniqueUsers>& unique_users, const domain::Segments& segments);

}  // namespace rallyuxr::codec
