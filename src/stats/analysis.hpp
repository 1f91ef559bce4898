// The analysis method of shared/spec/statistics.md: difference-in-differences (or paired) per metric,
// SRM, multiple-testing correction and economic impact. Pure functions over plain data; thread-safe.
// Every figure that cannot be computed is std::nullopt (JSON null), never NaN or Infinity.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::stats {

struct Interval {
  double lower = 0;
  double upper = 0;
};

struct ParallelTrends {
  double slope = 0;                  // of d_t per day over the pre period
  std::optional<double> p_value;     // two-sided, as scipy.stats.linregress
  bool violated = false;             // p < 0.05
};

struct MetricResult {
  std::string method;                // "did" | "paired"
  std::optional<double> treatment_mean;
  std::optional<double> control_mean;
  std::optional<double> pre_treatment_mean;
  std::optional<double> pre_control_mean;
  std::optional<double> absolute_difference;  // delta
  std::optional<double> relative_difference;
  std::optional<double> standard_error;
  std::optional<double> degrees_of_freedom;
  std::optional<double> t_statistic;
  std::optional<double> p_value;
  std::optional<double> adjusted_p_value;
  bool significant = false;
  double confidence_level = 95;
  std::optional<Interval> confidence_interval;
  std::optional<Interval> relative_confidence_interval;
  std::int64_t sample_size_control = 0;
  std::int64_t sample_size_treatment = 0;
  std::optional<double> effect_size;  // Cohen's d
  std::optional<double> probability_of_improvement;
  std::optional<double> minimum_detectable_effect;
  std::int64_t post_hours = 0;
  std::int64_t pre_hours = 0;
  std::int64_t excluded_hours = 0;
  std::optional<ParallelTrends> parallel_trends;
  std::vector<std::string> warnings;
};

struct Srm {
  std::optional<double> chi_square;
  std::optional<double> p_value;
  bool detected = false;
  double expected_treatment_share = 0.5;
  std::optional<double> observed_treatment_share;
};

struct MetricImpact {
  std::optional<double> dollar_impact;
  std::optional<double> daily_dollar_impact;
  double metric_value_used = 0;      // dollarsPerUnit
  std::optional<double> metric_change;
  std::optional<Interval> dollar_impact_interval;
  double unit_size = 1;
  domain::Direction improvement_direction = domain::Direction::kIncrease;
};

struct EconomicImpact {
  double total_impact = 0;
  std::optional<Interval> total_impact_interval;
  std::optional<double> probability_of_positive_impact;
  double annualized_impact = 0;
  double significant_impact = 0;
  std::optional<double> roi_percentage;
  double duration_days = 0;
  std::map<std::string, MetricImpact> metric_breakdown;
};

struct AnalysisInput {
  domain::UnixSeconds start_date = 0;   // post period is [start_date, end_date)
  domain::UnixSeconds end_date = 0;
  double confidence_level = 95;         // 80..99.9
  double expected_treatment_share = 0.5;
  domain::Correction correction = domain::Correction::kHolm;
  std::optional<double> implementation_cost;
  // The experiment's metrics in its own order; the first one is used for the SRM check.
  std::vector<domain::MetricSeries> metrics;
  // Pricing per metric id; a metric without pricing gets statistics but no dollar figures.
  std::map<std::string, domain::MetricPricing> pricing;
};

struct AnalysisOutput {
  std::map<std::string, MetricResult> did_results;
  EconomicImpact economic_impact;
  Srm srm;
  domain::Correction correction = domain::Correction::kHolm;
  double alpha = 0.05;
  double duration_days = 0;
};

AnalysisOutput analyze(const AnalysisInput& input);

}  // namespace rallyuxr::stats
