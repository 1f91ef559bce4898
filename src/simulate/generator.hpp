// The results generator: realistic, seeded hourly treatment and control data for an experiment.
// Pure and deterministic: the same input gives bit-identical output on every machine (own PRNG and
// samplers, no std:: distributions, whose algorithms differ between standard libraries). Thread-safe.
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

struct GeneratorInput {
  domain::UnixSeconds start_date = 0;                // post period [start_date, end_date)
  domain::UnixSeconds end_date = 0;
  double traffic_split = 0.5;                        // treatment share of the traffic
  domain::ExpectedOutcome expected_outcome = domain::ExpectedOutcome::kNeutral;
  std::vector<GeneratorMetric> metrics;
  std::uint64_t seed = 0;                            // callers derive one from the experiment id when unset
  int pre_period_days = 7;                           // 0..30
  std::optional<double> daily_traffic;               // users per day, both groups together
  std::map<std::string, double> true_lift;           // relative lift per metric id, overrides the default
};

// The relative lift the generator applies to a metric in the post period (signed as stored:
// a positive outcome on a 'decrease' metric gives a negative lift).
double applied_relative_lift(const GeneratorInput& input, const GeneratorMetric& metric);

// The metric's untreated level as the generator defines it: the expected stored value of both
// groups in the pre period and of the control group throughout, averaged over the 24 hours of a
// day (a rate as a fraction). Over a post period of whole days the true absolute effect is
// applied_relative_lift(input, metric) * baseline_level(metric).
double baseline_level(const GeneratorMetric& metric);

// One series per metric, in input order, pre-period hours first, sorted by timestamp.
std::vector<domain::MetricSeries> generate(const GeneratorInput& input);

}  // namespace rallyuxr::simulate
