// Results in and out: the import formats (JSON in the contract's ExperimentResult.metrics shape,
// and CSV) parsed and validated whole, and the CSV exports. Pure; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/error.hpp"
#include "domain/types.hpp"

namespace rallyuxr::codec {

inline constexpr const char* kResultsCsvHeader =
    "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize";
inline constexpr std::size_t kMaxReportedIssues = 100;

struct UploadRules {
  // Hours must lie in [earliest, end); unset: no window check (offline analysis).
  std::optional<domain::UnixSeconds> earliest;
  std::optional<domain::UnixSeconds> end;
  // Metric ids an upload may carry; empty: any id of lower-case letters and underscores.
  std::set<std::string> metrics;
  // Start of the post period, for the uniqueUsers check (at most the post-period user-hours);
  // unset: every hour counts.
  std::optional<domain::UnixSeconds> start;
  // For a merge: the results already stored. The uniqueUsers bound then applies to the merged
  // series (stored hours, replaced by uploaded ones at the same hour), so that cumulative unique
  // users sent with a daily increment are not rejected. Not owned; may be null.
  const std::vector<domain::MetricSeries>* merge_with = nullptr;
  // For a merge: the segments already stored (dimension -> segment names). The limits
  // (domain::kMaxDimensions, kMaxSegmentsPerDimension) count them with the uploaded ones, and a
  // segment already stored may receive a single hour.
  std::map<std::string, std::set<std::string>> stored_segments;
};

struct ParsedUpload {
  std::vector<domain::MetricSeries> metrics;  // sorted by timestamp within each metric
  std::vector<domain::FieldIssue> issues;     // at most kMaxReportedIssues (then a last "..." issue)
  std::size_t rows = 0;
  // Distinct users per group over the post period, when the upload carries them (statistics.md,
  // SRM): JSON `uniqueUsers {treatment, control}` beside `metrics`; CSV optional columns
  // `uniqueUsersTreatment,uniqueUsersControl`.
  std::optional<domain::UniqueUsers> unique_users;
  // Segments (issue 17): CSV rows with `dimension` and `segment` cells, JSON
  // `segments {dimension: {segment: {metrics: {...}, uniqueUsers?}}}`.
  domain::Segments segments;
  // Overall hours that were not sent and were derived from the segments (their sum per hour:
  // sample sizes added, values weighted by sample size); 0 when every overall hour was sent.
  std::size_t derived_overall_points = 0;
};

// Optional CSV columns naming a row's segment; a row with both empty is an overall row.
inline constexpr const char* kDimensionColumn = "dimension";
inline constexpr const char* kSegmentColumn = "segment";
// When an upload carries both the overall row and a dimension's segment rows for a metric and
// hour, the segments' sample sizes must add up to the overall's, and their values weighted by
// sample size must equal the overall value within this relative tolerance.
inline constexpr double kSegmentSumTolerance = 1e-9;

// Optional CSV columns carrying the upload's unique users: one value per column for the whole
// upload, on any row (typically the first), the same value wherever repeated, empty elsewhere.
inline constexpr const char* kUniqueUsersTreatmentColumn = "uniqueUsersTreatment";
inline constexpr const char* kUniqueUsersControlColumn = "uniqueUsersControl";

// CSV with the header above (an extra `period` column, as the export writes, is accepted and
// ignored; the optional unique-users columns above are read; with the optional `dimension` and
// `segment` columns, any other unknown column is an issue). Issue paths are "line N" (the header is line 1), or "line N: column".
ParsedUpload parse_results_csv(std::string_view text, const UploadRules& rules);

// {"metrics": {id: {"timeSeries": [{timestamp, treatmentValue, ...}, ...]}},
//  "uniqueUsers": {"treatment": N, "control": N} (optional),
//  "segments": {dimension: {segment: {"metrics": {...}, "uniqueUsers": {...}}}} (optional)}; issue paths are
// JSON paths such as "metrics.conversion_rate.timeSeries.12.timestamp".
ParsedUpload parse_results_json(const boost::json::object& body, const UploadRules& rules);

// The same from the JSON text, the fast way (parse_results_json_strict, then simdjson's DOM; no
// JSON tree), for an upload that is valid
// as it stands: numbers come out bit for bit as parse_json_exact gives them. Anything else
// (malformed JSON, a problem to report, a repeated key, nesting deeper than 32) gives nullopt: the
// caller then takes parse_json_exact + parse_results_json, which report every problem with its
// path. It also declines keys it does not know at the top (beyond metrics and uniqueUsers, and the
// fields of a GET .../results response) and in a metric (beyond timeSeries and summary): a field
// added to the general parser (segments, say) then takes the general path until it is read here
// too. Unknown fields of a point are ignored, as parse_results_json ignores them. `capacity`: the bytes allocated behind text.data() (std::string::capacity()); with
// simdjson::SIMDJSON_PADDING (64) to spare, the text is not copied. `envelope`: a
// {"data": {"results": {...}}} document (a GET .../results response) is read at its results.
std::optional<ParsedUpload> parse_results_json_fast(std::string_view text, std::size_t capacity,
                                                    const UploadRules& rules, bool envelope = false);

// parse_results_json_fast's first tier (results_json_strict.cpp): one pass over the text without a
// DOM, for the upload's shape in plain ASCII (no escapes), the same points bit for bit. It declines
// more than the simdjson tier (any escape or byte >= 0x80 in a string, say); nullopt then means
// "ask the next tier", never "invalid". Needs no padding behind the text.
std::optional<ParsedUpload> parse_results_json_strict(std::string_view text, const UploadRules& rules,
                                                      bool envelope = false);

// Every hourly point, in the import format plus a `period` column (pre/post), numbers in their
// shortest exact form so that export -> import round-trips exactly.
// With segments, two more columns `dimension,segment` (empty on the overall rows) and the
// segment rows after the overall ones.
std::string results_to_csv(const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds start_date,
                           const domain::Segments& segments = {});

// One row per metric with every figure of a stored analysis document (didResults and the
// economic impact's metricBreakdown). With a `data_source` ("simulated" or "imported"), a column
// `dataSource` after `warnings` says on every row where the figures came from, so that a simulated
// experiment's export cannot pass for measured results. `extra` columns (name, value) follow, the
// same value on every row (the experiment's decision: the API passes decision, decisionReason,
// decidedBy, decidedAt).
std::string analysis_to_csv(const boost::json::object& analysis, std::string_view data_source = {},
                            const std::vector<std::pair<std::string, std::string>>& extra = {});

}  // namespace rallyuxr::codec
