// How the generator models each metric: its untreated level, its noise and its hour-of-day shape.
// The default catalogue's metrics have their own profiles; any other metric gets a fallback by unit.
#pragma once

#include <string_view>

namespace rallyuxr::simulate {

struct MetricProfile {
  // A rate stored as a fraction: value = successes / n, successes ~ Binomial(n, p).
  // Otherwise continuous: value = hourly mean + Normal(0, user_sd / sqrt(n)).
  bool is_rate = false;
  double base = 0;        // untreated level, averaged over the 24 hours of a day
  double user_cv = 0;     // continuous only: user-level sd relative to the level
  double season_amp = 0;  // relative amplitude of the shared hour-of-day cycle
  int peak_hour = 0;      // UTC hour at which that cycle peaks
  // Continuous metrics in '$' with heavy tails on (SimulationKnobs::revenue_lognormal_sigma): the
  // share of users who pay anything in an hour (revenue per user: the conversion rate; 1 for
  // amounts every user has, such as an order value).
  double pay_share = 1.0;
};

// The profile of a metric id; ids outside the default catalogue fall back by unit:
// '%' -> a rate of 10%, otherwise a continuous level of 100 with a 10% relative user-level sd.
MetricProfile metric_profile(std::string_view metric_id, std::string_view unit);

}  // namespace rallyuxr::simulate
