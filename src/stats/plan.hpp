// The planner (issue 15): before an experiment starts, how small an effect (in metric units and in
// dollars) it can tell from zero after 7..56 days, and how long it must run to detect a target.
//
// The variance comes from the analysis's own block estimator (analysis.hpp): daily block means of
// d_t = treatment - control over hours in which neither group was treated, their sample variance
// s^2, and the analysis's se/df for a run of D post blocks (and, for did, a pre period of
// `pre_days` blocks of the same variance). So the MDE at D days is exactly the analysis's
// `minimumDetectableEffect` on data of that length with that block variance, at the requested power
// and the per-metric level after the multiple-testing correction. See docs/statistics.md, "Planning".
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::stats {

inline constexpr int kPlanMinDays = 7;      // default durations: 7..56 days
inline constexpr int kPlanMaxDays = 56;
inline constexpr std::int64_t kPlanMinHistoryDays = 7;  // fewer daily blocks: no trustworthy variance
inline constexpr std::int64_t kPlanWellEstimatedDays = 56;  // fewer: a warning on the power reached

struct PlanInput {
  // Hourly data of both groups, one series per metric, in the plan's order.
  std::vector<domain::MetricSeries> metrics;
  std::map<std::string, domain::MetricPricing> pricing;        // metrics without one get no dollars
  std::map<std::string, std::string> value_groups;             // first metric of a group counts in the total
  // Blocks are days counted from `origin` (floor((t - origin) / 1 day), as the analysis does from
  // startDate); hours at or after `end` are ignored. Blocks before and after `origin` are treated as
  // two periods and their variances pooled (an effect that shifts the later period cancels).
  domain::UnixSeconds origin = 0;
  domain::UnixSeconds end = 0;
  double confidence_level = 95;
  // The analysis's correction the plan sizes for; nullopt: none (each metric at alpha).
  std::optional<domain::Correction> correction = domain::Correction::kHolm;
  double power = 0.8;
  std::optional<double> traffic_split;  // planned treatment share; unset: the history's own
  domain::AnalysisDesign design = domain::AnalysisDesign::kDid;
  int pre_days = 14;                    // did: the planned pre period (at least 2 days)
  std::vector<int> durations;           // empty: 7..56
  std::optional<double> target_daily_dollar_impact;  // dollars per day (> 0)
  std::map<std::string, double> target_effects;      // metric id -> effect in stored units (!= 0)
};

// What the history says about one series (a metric's d_t, or the dollar series z_t).
struct PlanVariance {
  std::int64_t blocks = 0;          // counted daily blocks
  std::int64_t pre_blocks = 0;      // before origin
  std::int64_t post_blocks = 0;     // from origin on
  std::int64_t usable_hours = 0;
  std::int64_t excluded_hours = 0;
  std::int64_t partial_blocks = 0;
  std::optional<double> block_variance;    // pooled sample variance of the daily block means
  std::optional<double> history_share;     // treatment share of the history's sample sizes
  double variance_factor = 1;              // for the planned split (1 when unchanged)
  std::optional<double> planning_variance; // block_variance * variance_factor
  std::optional<double> baseline;          // mean control value (metrics only)
};

struct MetricPlan {
  std::optional<double> mde;                // stored units
  std::optional<double> relative_mde;       // mde / |baseline|
  std::optional<double> daily_dollar_mde;   // mde / unitSize * dollarsPerUnit
  std::optional<double> period_dollar_mde;  // daily * days
  std::optional<double> standard_error;
  std::optional<double> degrees_of_freedom;
  std::optional<double> power;              // against the metric's target effect, when given
};

struct DurationPlan {
  int days = 0;
  std::vector<std::pair<std::string, MetricPlan>> metrics;  // in the plan's order
  std::optional<double> total_daily_dollar_mde;
  std::optional<double> total_period_dollar_mde;
  std::optional<double> total_standard_error;
  std::optional<double> total_degrees_of_freedom;
  std::optional<double> total_power;        // against targetDailyDollarImpact, when given
};

struct PlanTarget {
  std::optional<int> reached_at_days;  // the shortest duration reaching the power; none: not within
  std::string message;
};

struct PlanOutput {
  std::vector<DurationPlan> durations;
  std::optional<PlanTarget> target;
  std::vector<std::pair<std::string, PlanVariance>> variance;  // per metric, in the plan's order
  std::optional<PlanVariance> total_variance;                  // the dollar series (null: nothing priced)
  std::vector<std::string> counted_in_total;                   // metrics whose dollars are in the total
  double alpha = 0.05;          // 1 - confidence level; the total's level
  double metric_alpha = 0.05;   // per metric after the correction (alpha / m for holm and fdr_bh)
  std::int64_t corrected_metrics = 1;
  double power = 0.8;
  std::vector<std::string> warnings;
};

PlanOutput plan(const PlanInput& input);

}  // namespace rallyuxr::stats
