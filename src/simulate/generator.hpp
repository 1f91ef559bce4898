// The results generator: realistic, seeded hourly treatment and control data for an experiment.
// Pure and deterministic: the same input gives bit-identical output on every machine (own PRNG and
// samplers, no std:: distributions, whose algorithms differ between standard libraries). Thread-safe.
//
// Real hourly aggregates are not independent hours: users return (an hourly sample size counts
// user-hours, not people), whole days go well or badly for one group, the difference between the
// groups moves slowly from hour to hour, the metric's level follows the day and the week, novelty
// wears off and revenue is heavy-tailed. SimulationKnobs turns each of these on and sets its size;
// the defaults are a realistic mix (docs/statistics.md, "The simulator"), and
// SimulationKnobs::independent_hours() is the old model in which every hour is independent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::simulate {

struct GeneratorMetric {
  std::string metric_id;
  std::string unit;                                  // '%' means a rate stored as a fraction
  domain::Direction direction = domain::Direction::kIncrease;
};

// What makes simulated hours as hard as real ones. Every knob at its "off" value (the
// independent_hours() preset) gives exactly the bytes of the earlier, independent-hours generator.
// Relative sizes are fractions of the metric's level (0.05 = 5% of it).
struct SimulationKnobs {
  // Returning users. Each person is assigned once, and over the post period visits in
  // `user_hours_per_user` different hours on average (>= 1; 1 = every user-hour is a new person).
  // On a day a person visits, they do so in `active_hours_per_user_day` hours on average, so a
  // day's treatment share of user-hours varies more than a binomial split of user-hours would.
  double user_hours_per_user = 3.0;
  double active_hours_per_user_day = 1.6;

  // Day-level shocks, per metric and calendar day (pre and post): the level of both groups moves by
  // a relative Normal(0, day_shock_common), and the treatment group's by a further
  // Normal(0, day_shock_difference) relative to control (half up for one group, half down for the
  // other): days that go better for one group than for the other.
  double day_shock_common = 0.04;
  double day_shock_difference = 0.02;

  // Hourly AR(1) of the group difference: a persistent component u_t = phi u_{t-1} +
  // sqrt(1 - phi^2) e_t (unit variance) moves the two groups' levels apart by
  // hourly_ar_scale * u_t times the hour's own sampling sd of the difference. The lag-1
  // autocorrelation of the hourly difference is then about phi * scale^2 / (1 + scale^2).
  double hourly_ar = 0.5;
  double hourly_ar_scale = 1.0;

  // Metric level over the week (both groups): weekend days at (1 - weekly_amplitude), weekdays at
  // (1 + 0.4 weekly_amplitude), so the week averages to 1. daily_cycle_scale multiplies the metric
  // profile's own hour-of-day cycle (1 = the profile's, 0 = flat).
  double weekly_amplitude = 0.05;
  double daily_cycle_scale = 1.0;

  // Novelty: the lift on post day x (fractional days since the start) is
  // lift * (1 + novelty_boost * exp(-x / novelty_decay_days)); 0 = a constant lift.
  double novelty_boost = 0.3;
  double novelty_decay_days = 3.0;

  // Heavy-tailed money: for continuous metrics in '$', each user pays with the profile's pay share
  // (revenue per user: the conversion rate) an amount drawn from a lognormal of this log-sd, with the
  // metric's level as the mean. 0 = the hourly mean is normal with the profile's user-level sd.
  double revenue_lognormal_sigma = 1.0;

  // A persistent gap between the groups that existed before the start: the treatment group's level
  // is (1 + pre_gap) times control's in the pre period and (without the treatment) in the post period.
  double pre_gap = 0.0;

  // Every hour independent given the hour of day: the generator before method version 2.
  static SimulationKnobs independent_hours();
};

// One segment of the simulated dimension (issue 17): its share of the traffic and how its true
// lift compares with the experiment's (the segment's relative lift is the metric's lift times
// lift_multiplier).
struct GeneratorSegment {
  std::string name;
  double traffic_share = 0;    // > 0; the shares of a dimension should add up to 1
  double lift_multiplier = 1;
};

// The demo dimension: device, desktop / mobile / tablet at 55 / 35 / 10% of the traffic with lift
// multipliers 1.3 / 0.8 / 0.05 (weighted by traffic they average 1, so the overall lift is the
// experiment's).
inline constexpr const char* kDeviceDimension = "device";
std::vector<GeneratorSegment> device_segments();

struct GeneratorInput {
  domain::UnixSeconds start_date = 0;                // post period [start_date, end_date)
  domain::UnixSeconds end_date = 0;
  double traffic_split = 0.5;                        // treatment share of the traffic
  domain::ExpectedOutcome expected_outcome = domain::ExpectedOutcome::kNeutral;
  std::vector<GeneratorMetric> metrics;
  std::uint64_t seed = 0;                            // callers derive one from the experiment id when unset
  int pre_period_days = 7;                           // 0..30
  std::optional<double> daily_traffic;               // user-hours per day, both groups together
  std::map<std::string, double> true_lift;           // relative lift per metric id, overrides the default
  SimulationKnobs knobs;                             // realistic by default
  // Segments of one dimension (empty: none). Each segment is generated as an experiment of its own
  // (its share of the daily traffic, its lift, its own random streams), and the overall series is
  // their exact per-hour sum: sample sizes added, values weighted by sample size.
  std::string segment_dimension = kDeviceDimension;
  std::vector<GeneratorSegment> segments;
};

// The series and the distinct users per group over the post period (what an upload's
// `uniqueUsers` carries; each at most the group's summed post-period sample sizes).
struct GeneratorOutput {
  std::vector<domain::MetricSeries> metrics;
  domain::UniqueUsers unique_users;
  // With GeneratorInput::segments: {segment_dimension: {name: its series and unique users}}; the
  // overall unique users are their sum (a person uses one device).
  domain::Segments segments;
};

// The input a segment is generated from: the experiment's with the segment's share of the daily
// traffic, its lift (applied_relative_lift times lift_multiplier, for every metric) and its own seed.
// true_effect(segment_input(in, s), metric) is the segment's true effect.
GeneratorInput segment_input(const GeneratorInput& input, const GeneratorSegment& segment);

// The relative lift the generator applies to a metric in the post period (signed as stored:
// a positive outcome on a 'decrease' metric gives a negative lift). With novelty it is the settled
// lift, reached once the novelty has worn off.
double applied_relative_lift(const GeneratorInput& input, const GeneratorMetric& metric);

// The metric's untreated level as the generator defines it: the expected stored value of both
// groups in the pre period and of the control group throughout, averaged over the 24 hours of a
// day and the 7 days of a week (a rate as a fraction).
double baseline_level(const GeneratorMetric& metric);

// The true effect the analysis estimates: the mean over the post period's hours of the expected
// treatment value minus what the treatment group would have shown without the change (the
// counterfactual includes any pre_gap). With a constant lift, no pre_gap and a post period of whole
// weeks it is applied_relative_lift * baseline_level.
double true_effect(const GeneratorInput& input, const GeneratorMetric& metric);

// One series per metric, in input order, pre-period hours first, sorted by timestamp.
std::vector<domain::MetricSeries> generate(const GeneratorInput& input);

// The same series (byte for byte) and the unique users.
GeneratorOutput generate_with_users(const GeneratorInput& input);

}  // namespace rallyuxr::simulate
