// Plain domain types shared by every module. No I/O, no Boost.Asio/Beast, no JSON.
// Value types only; safe to copy between threads.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rallyuxr::domain {

// Seconds since the Unix epoch, UTC. Hourly points sit on whole hours.
using UnixSeconds = std::int64_t;
inline constexpr UnixSeconds kSecondsPerHour = 3600;
inline constexpr UnixSeconds kSecondsPerDay = 86400;

enum class Direction { kIncrease, kDecrease };
enum class Correction { kHolm, kFdrBh };
enum class ExpectedOutcome { kPositive, kNegative, kNeutral };
enum class ExperimentStatus { kDraft, kRunning, kComplete, kArchived };
enum class DataSource { kSimulated, kImported };
// Pre-registered analysis design (statistics.md, method 2): difference-in-differences or paired.
enum class AnalysisDesign { kDid, kPaired };

// One hour of one metric: the contract's timeSeries element.
// Bounds that keep sums exact and every stored figure writable back (docs/api.md, "Limits").
// A sample size per metric, hour and arm: at most 10^12 (sums over 366 days + 30 days of hours,
// both arms, stay far below 2^63).
inline constexpr std::int64_t kMaxSampleSize = 1'000'000'000'000;
// Dollars per unit of a metric value: above 0, at most 10^9 (sums over any portfolio stay finite).
inline constexpr double kMaxDollarsPerUnit = 1e9;
// Dates are accepted in the years 1970-9999; an experiment starts at least 30 days after
// 1970-01-01 so that its pre period (up to 30 days) stays in range.
inline constexpr UnixSeconds kEarliestStartDate = 30 * 86400;

struct HourlyPoint {
  UnixSeconds timestamp = 0;
  double treatment_value = 0;
  double control_value = 0;
  std::int64_t treatment_sample_size = 0;
  std::int64_t control_sample_size = 0;
};

// Every hour of one metric, pre period and post period together, sorted by timestamp.
struct MetricSeries {
  std::string metric_id;
  std::vector<HourlyPoint> points;
};

// How a metric is priced: the parts of a MetricValue the economic impact needs.
struct MetricPricing {
  double dollars_per_unit = 0;  // dollars per day for a sustained one-unit change
  double unit_size = 1;         // stored value of one priced unit (0.01 for '%')
  Direction direction = Direction::kIncrease;
};

struct ValidationRules {
  std::optional<double> min_value;
  std::optional<double> max_value;
  std::optional<int> decimal_places;
};

struct MetricValue {
  std::string metric_id;
  std::string name;
  std::string description;
  std::string unit;
  std::string category;
  double dollars_per_unit = 0;
  Direction improvement_direction = Direction::kIncrease;
  double unit_size = 1;
  UnixSeconds last_updated = 0;
  std::optional<std::string> updated_by;
  std::int64_t version = 1;
  std::optional<ValidationRules> validation_rules;
  // Metrics that price the same money share a group; only the first of a group in an experiment's
  // metric order counts toward its totals (statistics.md, economic impact).
  std::optional<std::string> value_group;
  // When DELETE /metric-values/{id} retired it: hidden from the catalogue and refused for new
  // experiments; its history and the analyses that used it stay.
  std::optional<UnixSeconds> retired_at;

  MetricPricing pricing() const { return {dollars_per_unit, unit_size, improvement_direction}; }
};

// One field of a metric value that a version changed; `from` and `to` are JSON values as text.
struct FieldChange {
  std::string field;  // the contract's name: dollarsPerUnit, unitSize, validationRules, ...
  std::string from;
  std::string to;
};

struct MetricValueHistoryEntry {
  std::int64_t version = 1;
  double dollars_per_unit = 0;
  UnixSeconds updated_at = 0;
  std::optional<std::string> updated_by;
  std::optional<std::string> change_reason;
  std::vector<FieldChange> changes;  // what this version changed (none for version 1)
};

// Optional knobs of the results generator, given on create.
struct SimulationConfig {
  std::optional<std::uint64_t> seed;
  int pre_period_days = 7;
  std::optional<double> daily_traffic;
  std::map<std::string, double> true_lift;  // relative lift per metric id
  // Every simulated experiment also gets device segments (issue 17; jobs/processors.cpp).
};

// A decision recorded on a finished experiment (issue 16): ship, rollback or iterate, with who,
// when and why. Revisable: every decision is kept, the newest is the current one.
// The role of an access token (issue 16): read < write < admin.
enum class Role { kRead = 0, kWrite = 1, kAdmin = 2 };
const char* to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

struct Decision {
  std::string decision_id;
  std::string experiment_id;
  std::string decision;  // ship | rollback | iterate
  std::string reason;
  std::optional<std::string> decided_by;  // the token's name; none for an unnamed token
  UnixSeconds decided_at = 0;
};

struct Experiment {
  std::string id;
  std::string name;
  std::string description;
  ExperimentStatus status = ExperimentStatus::kDraft;
  std::vector<std::string> metrics;
  UnixSeconds start_date = 0;
  UnixSeconds end_date = 0;
  ExpectedOutcome expected_outcome = ExpectedOutcome::kNeutral;
  UnixSeconds created_at = 0;
  UnixSeconds updated_at = 0;
  std::optional<std::string> created_by;
  // The current decision (newest), filled by the API from the decisions table; not a column.
  std::optional<Decision> decision;
  std::optional<double> implementation_cost;
  double confidence_level = 95;
  double traffic_split = 0.5;
  DataSource data_source = DataSource::kSimulated;
  std::optional<SimulationConfig> simulation;
  AnalysisDesign analysis_design = AnalysisDesign::kDid;
  std::vector<std::string> guardrail_metrics;  // a subset of `metrics` that must not get worse
  // The plan promised at creation (POST /plans, issue 15), as the canonical JSON text the API
  // validated and wrote; returned as `plan`. Unset: created without one.
  std::optional<std::string> plan;
};

// Distinct users per group over the post period, an optional part of a results upload; the
// sample ratio mismatch check uses it when present (statistics.md).
struct UniqueUsers {
  std::int64_t treatment = 0;
  std::int64_t control = 0;
};

// Segments (issue 17): the same hourly series per segment of a dimension that the warehouse has,
// e.g. segments["device"]["mobile"]. Rows without a dimension are the overall figures.
struct SegmentSeries {
  std::vector<MetricSeries> series;  // one per metric, like the overall results
  std::optional<UniqueUsers> unique_users;
};
using DimensionSegments = std::map<std::string, SegmentSeries>;  // segment name -> its series
using Segments = std::map<std::string, DimensionSegments>;       // dimension name -> its segments
inline constexpr std::size_t kMaxDimensions = 3;
inline constexpr std::size_t kMaxSegmentsPerDimension = 50;

const char* to_string(Direction d);
const char* to_string(Correction c);
const char* to_string(ExpectedOutcome o);
const char* to_string(ExperimentStatus s);
const char* to_string(DataSource s);
const char* to_string(AnalysisDesign d);
std::optional<Direction> parse_direction(std::string_view s);
std::optional<Correction> parse_correction(std::string_view s);
std::optional<ExpectedOutcome> parse_expected_outcome(std::string_view s);
std::optional<ExperimentStatus> parse_experiment_status(std::string_view s);
std::optional<DataSource> parse_data_source(std::string_view s);
std::optional<AnalysisDesign> parse_analysis_design(std::string_view s);

}  // namespace rallyuxr::domain
