#include "simulate/generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "simulate/metric_profiles.hpp"
#include "simulate/random.hpp"

// The model, per hour t (UTC):
//   traffic   N_t ~ Poisson(daily * weekday_factor(t) * hour_share(t) * day_noise * hour_noise),
//             treatment n_t ~ Binomial(N_t, traffic_split), control N_t - n_t; shared by all
//             metrics (the same users see every metric), drawn from its own stream.
//   level     L_t = base * (1 + amp * cos(2 pi (hour - peak) / 24)): a cycle shared by both groups
//             that averages to `base` over a day, so the difference-in-differences cancels it.
//   treatment in the post period its level is L_t * (1 + lift); in the pre period it is L_t.
//   values    rates: successes ~ Binomial(n, p) with p clamped to [0, 1], value = successes / n;
//             continuous: value = level + Normal(0, (cv * level) / sqrt(n)), clamped at 0.
//             An hour without users in a group stores that group's expected value.
// Every metric draws from its own stream keyed by (seed, metric id), so adding, removing or
// reordering metrics leaves the other metrics' data unchanged.

namespace rallyuxr::simulate {
namespace {

using domain::kSecondsPerDay;
using domain::kSecondsPerHour;
using domain::UnixSeconds;

constexpr double kDefaultDailyTraffic = 20000.0;
constexpr double kDefaultRelativeLift = 0.05;
constexpr double kMaxDailyTraffic = 1e12;  // keeps counts far from int64 overflow
constexpr double kDayNoiseSd = 0.05;       // log-sd of a calendar day's traffic
constexpr double kHourNoiseSd = 0.04;      // log-sd of an hour's traffic beyond Poisson

// Relative traffic by UTC hour: quiet at night, a morning ramp, the peak in the late afternoon and
// evening.
constexpr std::array<double, 24> kHourWeights{
    0.55, 0.40, 0.30, 0.25, 0.25, 0.30, 0.45, 0.65, 0.85, 1.00, 1.10, 1.15,
    1.20, 1.25, 1.30, 1.35, 1.35, 1.35, 1.40, 1.45, 1.40, 1.25, 1.00, 0.75};

constexpr std::array<double, 24> kHourShare = [] {
  double total = 0;
  for (double w : kHourWeights) total += w;
  std::array<double, 24> share{};
  for (std::size_t h = 0; h < 24; ++h) share[h] = kHourWeights[h] / total;
  return share;
}();

// Weekdays busier than weekends; the week averages to 1 so that `daily_traffic` is the mean.
constexpr double kWeekdayFactor = 1.08;
constexpr double kWeekendFactor = 0.80;

// cos(2 pi k / 24), k = 0..23, as literals (no libm: bit-identical everywhere).
constexpr std::array<double, 24> kCos24{
    1.0,
    0.96592582628906828675,
    0.86602540378443864676,
    0.70710678118654752440,
    0.5,
    0.25881904510252076235,
    0.0,
    -0.25881904510252076235,
    -0.5,
    -0.70710678118654752440,
    -0.86602540378443864676,
    -0.96592582628906828675,
    -1.0,
    -0.96592582628906828675,
    -0.86602540378443864676,
    -0.70710678118654752440,
    -0.5,
    -0.25881904510252076235,
    0.0,
    0.25881904510252076235,
    0.5,
    0.70710678118654752440,
    0.86602540378443864676,
    0.96592582628906828675};

constexpr std::uint64_t kTrafficStreamKey = rng::fnv1a64("\x01rallyuxr:traffic");

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

struct HourTraffic {
  std::int64_t treatment = 0;
  std::int64_t control = 0;
  int hour_of_day = 0;
};

struct Plan {
  UnixSeconds first_hour = 0;  // timestamp of the first (pre-period) hour
  std::int64_t pre_hours = 0;
  std::int64_t post_hours = 0;
  std::int64_t total() const { return pre_hours + post_hours; }
};

Plan plan_hours(const GeneratorInput& input) {
  Plan plan;
  // Post hours are the whole hours inside [start_date, end_date).
  const UnixSeconds first_post = -floor_div(-input.start_date, kSecondsPerHour) * kSecondsPerHour;
  if (input.end_date > first_post) {
    plan.post_hours = -floor_div(-(input.end_date - first_post), kSecondsPerHour);
  }
  plan.pre_hours = static_cast<std::int64_t>(std::max(0, input.pre_period_days)) * 24;
  plan.first_hour = first_post - plan.pre_hours * kSecondsPerHour;
  return plan;
}

double daily_traffic(const GeneratorInput& input) {
  if (!input.daily_traffic || !std::isfinite(*input.daily_traffic) || *input.daily_traffic < 0) {
    return kDefaultDailyTraffic;
  }
  return std::min(*input.daily_traffic, kMaxDailyTraffic);
}

double treatment_share(const GeneratorInput& input) {
  const double s = input.traffic_split;
  if (!std::isfinite(s)) return 0.5;
  return std::clamp(s, 0.0, 1.0);
}

std::vector<HourTraffic> simulate_traffic(const GeneratorInput& input, const Plan& plan) {
  std::vector<HourTraffic> traffic;
  traffic.resize(static_cast<std::size_t>(plan.total()));
  const double daily = daily_traffic(input);
  const double split = treatment_share(input);
  auto rng = rng::Rng::stream(input.seed, kTrafficStreamKey);

  const double day_bias = -0.5 * kDayNoiseSd * kDayNoiseSd;  // mean-one log-normal factors
  const double hour_bias = -0.5 * kHourNoiseSd * kHourNoiseSd;
  std::int64_t current_day = INT64_MIN;
  double day_level = 0;
  for (std::int64_t i = 0; i < plan.total(); ++i) {
    const UnixSeconds t = plan.first_hour + i * kSecondsPerHour;
    const std::int64_t day = floor_div(t, kSecondsPerDay);
    const int hour = static_cast<int>(floor_mod(t, kSecondsPerDay) / kSecondsPerHour);
    if (day != current_day) {
      current_day = day;
      const std::int64_t weekday = floor_mod(day + 4, 7);  // 1970-01-01 was a Thursday; 0 = Sunday
      const double week = (weekday == 0 || weekday == 6) ? kWeekendFactor : kWeekdayFactor;
      day_level = daily * week * rng::det_exp(kDayNoiseSd * rng.normal() + day_bias);
    }
    const double mu =
        day_level * kHourShare[static_cast<std::size_t>(hour)] *
        rng::det_exp(kHourNoiseSd * rng.normal() + hour_bias);
    const std::int64_t users = rng.poisson(mu);
    auto& slot = traffic[static_cast<std::size_t>(i)];
    slot.treatment = rng.binomial(users, split);
    slot.control = users - slot.treatment;
    slot.hour_of_day = hour;
  }
  return traffic;
}

// Per hour of day: the expected stored value of each group, and for continuous metrics the
// user-level sd of each group.
struct HourLevels {
  std::array<double, 24> control{};
  std::array<double, 24> treated{};  // in the post period
  std::array<double, 24> control_sd{};
  std::array<double, 24> treated_sd{};
};

HourLevels hour_levels(const MetricProfile& profile, double lift) {
  HourLevels levels;
  for (int h = 0; h < 24; ++h) {
    const auto k = static_cast<std::size_t>(((h - profile.peak_hour) % 24 + 24) % 24);
    const double level = profile.base * (1.0 + profile.season_amp * kCos24[k]);
    double treated = level * (1.0 + lift);
    double control = level;
    if (profile.is_rate) {
      control = std::clamp(control, 0.0, 1.0);
      treated = std::clamp(treated, 0.0, 1.0);
    } else {
      control = std::max(control, 0.0);
      treated = std::max(treated, 0.0);
    }
    const auto hi = static_cast<std::size_t>(h);
    levels.control[hi] = control;
    levels.treated[hi] = treated;
    levels.control_sd[hi] = profile.user_cv * control;
    levels.treated_sd[hi] = profile.user_cv * treated;
  }
  return levels;
}

double rate_value(rng::Rng& rng, std::int64_t n, double p) {
  if (n <= 0) return p;
  return static_cast<double>(rng.binomial(n, p)) / static_cast<double>(n);
}

double continuous_value(rng::Rng& rng, std::int64_t n, double level, double user_sd) {
  if (n <= 0) return level;
  const double v = level + user_sd / std::sqrt(static_cast<double>(n)) * rng.normal();
  return v > 0.0 ? v : 0.0;
}

}  // namespace

double applied_relative_lift(const GeneratorInput& input, const GeneratorMetric& metric) {
  if (auto it = input.true_lift.find(metric.metric_id);
      it != input.true_lift.end() && std::isfinite(it->second)) {
    return it->second;
  }
  const double improving =
      metric.direction == domain::Direction::kDecrease ? -kDefaultRelativeLift : kDefaultRelativeLift;
  switch (input.expected_outcome) {
    case domain::ExpectedOutcome::kPositive: return improving;
    case domain::ExpectedOutcome::kNegative: return -improving;
    case domain::ExpectedOutcome::kNeutral: return 0.0;
  }
  return 0.0;
}

double baseline_level(const GeneratorMetric& metric) {
  return metric_profile(metric.metric_id, metric.unit).base;
}

std::vector<domain::MetricSeries> generate(const GeneratorInput& input) {
  const Plan plan = plan_hours(input);
  const std::vector<HourTraffic> traffic = simulate_traffic(input, plan);

  std::vector<domain::MetricSeries> out;
  out.reserve(input.metrics.size());
  for (const auto& metric : input.metrics) {
    const MetricProfile profile = metric_profile(metric.metric_id, metric.unit);
    const HourLevels levels = hour_levels(profile, applied_relative_lift(input, metric));
    auto rng = rng::Rng::stream(input.seed, rng::fnv1a64(metric.metric_id));

    auto& series = out.emplace_back();
    series.metric_id = metric.metric_id;
    series.points.reserve(traffic.size());
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      const HourTraffic& hour = traffic[i];
      const auto h = static_cast<std::size_t>(hour.hour_of_day);
      const bool post = static_cast<std::int64_t>(i) >= plan.pre_hours;
      const double treated_level = post ? levels.treated[h] : levels.control[h];
      domain::HourlyPoint p;
      p.timestamp = plan.first_hour + static_cast<std::int64_t>(i) * kSecondsPerHour;
      p.treatment_sample_size = hour.treatment;
      p.control_sample_size = hour.control;
      if (profile.is_rate) {
        p.treatment_value = rate_value(rng, hour.treatment, treated_level);
        p.control_value = rate_value(rng, hour.control, levels.control[h]);
      } else {
        const double treated_sd = post ? levels.treated_sd[h] : levels.control_sd[h];
        p.treatment_value = continuous_value(rng, hour.treatment, treated_level, treated_sd);
        p.control_value = continuous_value(rng, hour.control, levels.control[h], levels.control_sd[h]);
      }
      series.points.push_back(p);
    }
  }
  return out;
}

}  // namespace rallyuxr::simulate
