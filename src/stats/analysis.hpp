// The analysis method of shared/spec/statistics.md, method version 2: daily blocks, the
// pre-registered design (difference-in-differences or paired), Welch / one-sample t on block
// means, the always-valid sequential interval, SRM on unique users or daily shares, multiple-testing
// correction with agreeing adjusted intervals, verdicts, guardrails and the economic impact from
// one more run of the block estimator on the dollar series. Pure functions over plain data;
// thread-safe. Every figure that cannot be computed is std::nullopt (JSON null), never NaN or
// Infinity.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::stats {

// The `version` of a method-2 analysis document. Analyses stored by method 1 ("did-1.0.0") keep
// their figures and version; they are stored documents and are never recomputed on read.
inline constexpr const char* kMethodVersion = "did-2.0.0";

struct Interval {
  double lower = 0;
  double upper = 0;
};

// Least-squares slope of the daily block means on the block index (scipy.stats.linregress), over
// the pre blocks (parallel trends) or the post blocks (effect trend).
struct ParallelTrends {
  double slope = 0;                  // per day
  std::optional<double> p_value;     // two-sided
  bool violated = false;             // p < 0.05
};
struct EffectTrend {
  double slope = 0;                  // per day
  std::optional<double> p_value;     // two-sided
  bool changing = false;             // p < 0.05: e.g. a novelty effect wearing off
};

// The always-valid interval over the daily looks (statistics.md, "Sequential").
struct Sequential {
  std::optional<Interval> interval;  // running intersection over the looks
  std::optional<double> p_value;     // running minimum over the looks
  bool decisive = false;             // p <= alpha, and only when m1 >= 7
  std::int64_t looks = 0;
  std::int64_t planned_blocks = 0;   // N*
};

struct MetricResult {
  std::string method;                // "did" | "paired" (after the fallback)
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
  std::string verdict = "insufficient-data";  // "win" | "loss" | "inconclusive" | "insufficient-data"
  double confidence_level = 95;
  std::optional<Interval> confidence_interval;
  std::optional<Interval> adjusted_confidence_interval;
  std::optional<Interval> relative_confidence_interval;
  std::int64_t sample_size_control = 0;     // user-hours: a returning user counts once per hour
  std::int64_t sample_size_treatment = 0;
  std::optional<double> effect_size;        // Cohen's d on the per-user scale
  std::optional<double> probability_of_improvement;
  std::optional<double> minimum_detectable_effect;
  std::int64_t post_hours = 0;
  std::int64_t pre_hours = 0;
  std::int64_t excluded_hours = 0;
  std::int64_t post_blocks = 0;             // m1
  std::int64_t pre_blocks = 0;              // m0
  std::optional<ParallelTrends> parallel_trends;  // with at least 3 pre blocks
  std::optional<EffectTrend> effect_trend;        // with at least 3 post blocks
  std::optional<Sequential> sequential;
  std::vector<std::string> warnings;
};

struct Srm {
  std::string method = "daily-share";      // "users" | "daily-share"
  std::optional<double> statistic;         // chi-square (users) or t (daily-share)
  std::optional<double> chi_square;        // = statistic for "users", null for "daily-share"
  std::optional<double> p_value;
  bool detected = false;                   // p < 0.001
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
  std::optional<std::string> value_group;
  bool counted_in_total = true;
};

struct EconomicImpact {
  std::optional<double> total_impact;              // delta_z * durationDays
  std::optional<Interval> total_impact_interval;
  std::optional<double> probability_of_positive_impact;
  std::string total_verdict = "insufficient-data";
  std::optional<Sequential> total_sequential;      // on z, in dollars per day
  std::optional<double> annualized_impact;         // delta_z * 365
  std::optional<Interval> annualized_impact_interval;
  double significant_impact = 0;
  std::optional<double> roi_percentage;
  std::optional<Interval> roi_interval;
  double duration_days = 0;
  std::map<std::string, MetricImpact> metric_breakdown;
};

struct AnalysisInput {
  domain::UnixSeconds start_date = 0;   // post period is [start_date, end_date)
  domain::UnixSeconds end_date = 0;
  double confidence_level = 95;         // 80..99.9
  double expected_treatment_share = 0.5;  // the experiment's trafficSplit
  domain::Correction correction = domain::Correction::kHolm;
  domain::AnalysisDesign design = domain::AnalysisDesign::kDid;  // pre-registered
  std::optional<double> implementation_cost;
  // The experiment's metrics in its own order; the first one is used for the daily-share SRM check.
  std::vector<domain::MetricSeries> metrics;
  // Pricing per metric id; a metric without pricing gets statistics but no dollar figures.
  std::map<std::string, domain::MetricPricing> pricing;
  // Value group per metric id (metrics without one always count toward the totals).
  std::map<std::string, std::string> value_groups;
  // Metrics that must not get worse (a subset of `metrics`).
  std::vector<std::string> guardrail_metrics;
  // Distinct users per group over the post period, when the results carry them.
  std::optional<domain::UniqueUsers> unique_users;
  // True while the experiment runs (its data do not yet reach the end of the period): the
  // recommendation is then "keep-running" rather than "inconclusive".
  bool running = false;
};

struct AnalysisOutput {
  std::map<std::string, MetricResult> did_results;
  EconomicImpact economic_impact;
  Srm srm;
  domain::Correction correction = domain::Correction::kHolm;
  domain::AnalysisDesign design = domain::AnalysisDesign::kDid;  // as asked (per metric: `method`)
  double alpha = 0.05;
  double duration_days = 0;
  std::map<std::string, std::string> guardrails;  // metricId -> "ok" | "at-risk" | "breached"
  std::string recommendation = "inconclusive";   // "ship" | "do-not-ship" | "keep-running" | "inconclusive"
  std::string version = kMethodVersion;
};

AnalysisOutput analyze(const AnalysisInput& input);

// The multiple-testing step of analyze(), for results that are corrected together (the metrics of
// one analysis; the segments of one dimension for one metric, stats/segments.hpp): sets
// adjustedPValue (adjust_p_values over the results that have a p-value), significant
// (adjustedPValue < alpha), adjustedConfidenceInterval (confidence 1 - gamma, gamma = alpha * p /
// adjustedP, alpha / m when p is 0, around absoluteDifference with standardError and
// degreesOfFreedom) and the verdict (by `directions[i]`, the improvement direction of results[i]).
void correct_results(const std::vector<MetricResult*>& results, const std::vector<domain::Direction>& directions,
                     domain::Correction correction, double alpha);

// The sequential half-width h(N) and p-value p(N) of statistics.md for one look (exposed for the
// spec's test vectors). NaN when an argument is out of range.
double sequential_half_width(double se, double n, double n_star, double alpha);
double sequential_p_value(double delta, double se, double n, double n_star, double alpha);

// ---- The block estimator's parts, shared with the planner (stats/plan.hpp) ----
// The planner must size experiments with the very estimator the analysis runs; these are the
// analysis's own functions (analyze() calls them too), not a second implementation.

// Daily blocks of one series as the analysis forms them: block index floor((t - start) / 1 day),
// usable hours only (both sample sizes > 0, both values finite), hours at or after `end` dropped.
struct BlockSeries {
  std::vector<double> pre;    // block means of d_t (or z_t) of the blocks before `start`, oldest first
  std::vector<double> post;   // block means of the blocks in [start, end)
  std::int64_t usable_hours = 0;
  std::int64_t excluded_hours = 0;
  std::int64_t partial_blocks = 0;            // counted blocks with fewer than 12 usable hours
  std::optional<double> control_mean;         // unweighted mean of controlValue over the usable hours
  std::optional<double> treatment_share;      // sum nT / sum (nT + nC) over the usable hours
};
BlockSeries metric_blocks(const domain::MetricSeries& series, domain::UnixSeconds start, domain::UnixSeconds end);
// The dollar series z_t = sum_m sign_m (dollarsPerUnit_m / unitSize_m) d_{m,t} over the hours usable
// for every one of `series` (the counted metrics), in blocks. `pricing[i]` prices `series[i]`.
BlockSeries dollar_blocks(const std::vector<const domain::MetricSeries*>& series,
                          const std::vector<domain::MetricPricing>& pricing, domain::UnixSeconds start,
                          domain::UnixSeconds end);

// Sample variance (n - 1) of block means, as the analysis computes it (two passes; exactly 0 for a
// constant series; NaN for fewer than 2 values).
double block_variance(const std::vector<double>& x);

// se and df of the block estimator for post blocks of variance var_post (m1 of them) and, for
// did, pre blocks of variance var_pre (m0 of them): statistics.md "Standard error and degrees of
// freedom" (Welch for did, m1 - 1 for paired). NaN when not computable.
struct StandardError {
  double se = 0;
  double df = 0;
};
StandardError block_standard_error(bool did, double var_post, double m1, double var_pre, double m0);

// (F_t^{-1}(1 - alpha/2; df) + F_t^{-1}(power; df)) * se: the analysis's minimumDetectableEffect
// (power 0.8, alpha of the confidence level). NaN when not computable.
double minimum_detectable_effect(double se, double df, double alpha, double power);
// The power the same test has against a true effect `effect` (> 0): F_t(effect / se - q; df), the
// inverse of minimum_detectable_effect (effect >= MDE exactly when power >= the MDE's power).
double detection_power(double effect, double se, double df, double alpha);

}  // namespace rallyuxr::stats
