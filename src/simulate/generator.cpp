#include "simulate/generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulate/metric_profiles.hpp"
#include "simulate/random.hpp"

// The model, per hour t (UTC); docs/statistics.md ("The simulator") describes the knobs.
//   traffic   N_t ~ Poisson(daily * weekday_factor(t) * hour_share(t) * day_noise * hour_noise),
//             treatment n_t ~ Binomial(N_t, share_day), control N_t - n_t; shared by all metrics
//             (the same users see every metric), drawn from its own stream. With returning users
//             the people are split once (U ~ Poisson(expected post user-hours / user_hours_per_user),
//             U_T ~ Binomial(U, split)), and share_day = U_T / U plus the extra day-to-day spread of
//             a split of people who each visit several hours a day (its own stream).
//   level     L_t = base * (1 + amp * cos(2 pi (hour - peak) / 24)) * week(t): a daily and weekly
//             cycle shared by both groups, averaging to `base` over a week.
//   groups    control    L_t (1 + c_d - e_d / 2) - x_t / 2
//             treatment  L_t (1 + gap) (1 + lift_t) (1 + c_d + e_d / 2) + x_t / 2
//             with lift_t = 0 before the start and lift (1 + boost exp(-days / decay)) after it,
//             c_d, e_d the day's common and differential shocks, x_t the hourly AR(1) component.
//   values    rates: successes ~ Binomial(n, p) with p clamped to [0, 1], value = successes / n;
//             continuous: value = level + Normal(0, (cv * level) / sqrt(n)), clamped at 0;
//             money with heavy tails: payers ~ Binomial(n, pay_share), each paying a lognormal
//             amount, value = sum / n. An hour without users in a group stores that group's level.
// Every metric draws from its own streams keyed by (seed, metric id), so adding, removing or
// reordering metrics leaves the other metrics' data unchanged. A knob at its "off" value draws
// nothing and multiplies by exactly 1, so independent_hours() reproduces the earlier bytes.

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
  std::int64_t day = 0;  // calendar day (UTC) since the epoch
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

// A knob as used: finite and inside its range, else its off value.
double knob(double v, double lo, double hi, double off) {
  if (!std::isfinite(v)) return off;
  return std::clamp(v, lo, hi);
}

// The knobs, sanitised once.
struct Knobs {
  double user_hours_per_user = 1;
  double active_hours_per_user_day = 1;
  double day_shock_common = 0;
  double day_shock_difference = 0;
  double hourly_ar = 0;
  double hourly_ar_scale = 0;
  double weekly_amplitude = 0;
  double daily_cycle_scale = 1;
  double novelty_boost = 0;
  double novelty_decay_days = 1;
  double revenue_lognormal_sigma = 0;
  double pre_gap = 0;

  bool returning_users() const { return user_hours_per_user > 1.0; }
  bool day_shocks() const { return day_shock_common > 0 || day_shock_difference > 0; }
  bool hourly_ar_on() const { return hourly_ar_scale > 0; }
};

Knobs sanitise(const SimulationKnobs& k) {
  Knobs o;
  o.user_hours_per_user = knob(k.user_hours_per_user, 1.0, 1e6, 1.0);
  o.active_hours_per_user_day = knob(k.active_hours_per_user_day, 1.0, 24.0, 1.0);
  o.day_shock_common = knob(k.day_shock_common, 0.0, 1.0, 0.0);
  o.day_shock_difference = knob(k.day_shock_difference, 0.0, 1.0, 0.0);
  o.hourly_ar = knob(k.hourly_ar, -0.99, 0.99, 0.0);
  o.hourly_ar_scale = knob(k.hourly_ar_scale, 0.0, 100.0, 0.0);
  o.weekly_amplitude = knob(k.weekly_amplitude, -0.9, 0.9, 0.0);
  o.daily_cycle_scale = knob(k.daily_cycle_scale, 0.0, 10.0, 1.0);
  o.novelty_boost = knob(k.novelty_boost, -1.0, 100.0, 0.0);
  o.novelty_decay_days = knob(k.novelty_decay_days, 0.01, 1e4, 1.0);
  o.revenue_lognormal_sigma = knob(k.revenue_lognormal_sigma, 0.0, 4.0, 0.0);
  o.pre_gap = knob(k.pre_gap, -0.9, 10.0, 0.0);
  return o;
}

double weekday_level(const Knobs& k, std::int64_t day) {
  const std::int64_t weekday = floor_mod(day + 4, 7);  // 1970-01-01 was a Thursday; 0 = Sunday
  const bool weekend = weekday == 0 || weekday == 6;
  return weekend ? 1.0 - k.weekly_amplitude : 1.0 + 0.4 * k.weekly_amplitude;
}

// Returning users: the post period's distinct users per group and the treatment share of the people.
struct People {
  double share = 0.5;            // treatment share of the people (U_T / U)
  std::optional<domain::UniqueUsers> users;  // set when users return
};

constexpr std::uint64_t kUsersStreamKey = rng::fnv1a64("\x02rallyuxr:users");

People split_people(const GeneratorInput& input, const Knobs& k, const Plan& plan, rng::Rng& rng) {
  People people;
  people.share = treatment_share(input);
  if (!k.returning_users()) return people;
  const double expected_user_hours = daily_traffic(input) * static_cast<double>(plan.post_hours) / 24.0;
  const std::int64_t u = rng.poisson(expected_user_hours / k.user_hours_per_user);
  const std::int64_t ut = rng.binomial(u, people.share);
  if (u > 0) people.share = static_cast<double>(ut) / static_cast<double>(u);
  people.users = domain::UniqueUsers{ut, u - ut};
  return people;
}

std::vector<HourTraffic> simulate_traffic(const GeneratorInput& input, const Knobs& k, const Plan& plan,
                                          const People& people, rng::Rng& users_rng) {
  std::vector<HourTraffic> traffic;
  traffic.resize(static_cast<std::size_t>(plan.total()));
  const double daily = daily_traffic(input);
  auto rng = rng::Rng::stream(input.seed, kTrafficStreamKey);

  const double day_bias = -0.5 * kDayNoiseSd * kDayNoiseSd;  // mean-one log-normal factors
  const double hour_bias = -0.5 * kHourNoiseSd * kHourNoiseSd;
  // A person active on a day visits in a geometric number of hours with mean a: the share of a
  // day's user-hours then has (2a - 1) times the variance of a split of independent user-hours,
  // of which the hourly binomial draws supply one part.
  const double cluster_excess = 2.0 * k.active_hours_per_user_day - 2.0;
  std::int64_t current_day = INT64_MIN;
  double day_level = 0;
  double day_share = people.share;
  for (std::int64_t i = 0; i < plan.total(); ++i) {
    const UnixSeconds t = plan.first_hour + i * kSecondsPerHour;
    const std::int64_t day = floor_div(t, kSecondsPerDay);
    const int hour = static_cast<int>(floor_mod(t, kSecondsPerDay) / kSecondsPerHour);
    if (day != current_day) {
      current_day = day;
      const std::int64_t weekday = floor_mod(day + 4, 7);  // 1970-01-01 was a Thursday; 0 = Sunday
      const double week = (weekday == 0 || weekday == 6) ? kWeekendFactor : kWeekdayFactor;
      day_level = daily * week * rng::det_exp(kDayNoiseSd * rng.normal() + day_bias);
      if (k.returning_users() && cluster_excess > 0 && day_level > 0) {
        const double s = people.share;
        const double sd = std::sqrt(s * (1.0 - s) * cluster_excess / day_level);
        day_share = std::clamp(s + sd * users_rng.normal(), 0.0, 1.0);
      }
    }
    const double mu =
        day_level * kHourShare[static_cast<std::size_t>(hour)] *
        rng::det_exp(kHourNoiseSd * rng.normal() + hour_bias);
    const std::int64_t users = rng.poisson(mu);
    auto& slot = traffic[static_cast<std::size_t>(i)];
    slot.treatment = rng.binomial(users, day_share);
    slot.control = users - slot.treatment;
    slot.hour_of_day = hour;
    slot.day = day;
  }
  return traffic;
}

// The hour-of-day level of a metric (both groups, before the week, shocks and treatment).
std::array<double, 24> hour_levels(const MetricProfile& profile, const Knobs& k) {
  std::array<double, 24> level{};
  const double amp = profile.season_amp * k.daily_cycle_scale;
  for (int h = 0; h < 24; ++h) {
    const auto c = static_cast<std::size_t>(((h - profile.peak_hour) % 24 + 24) % 24);
    level[static_cast<std::size_t>(h)] = profile.base * (1.0 + amp * kCos24[c]);
  }
  return level;
}

double clamp_level(const MetricProfile& profile, double v) {
  return profile.is_rate ? std::clamp(v, 0.0, 1.0) : std::max(v, 0.0);
}

// The novelty factor of a post-period hour: 1 + boost * exp(-days / decay).
double novelty_factor(const Knobs& k, UnixSeconds t, UnixSeconds start) {
  if (k.novelty_boost == 0.0) return 1.0;
  const double days = static_cast<double>(t - start) / static_cast<double>(kSecondsPerDay);
  return 1.0 + k.novelty_boost * rng::det_exp(-std::max(days, 0.0) / k.novelty_decay_days);
}

// The relative lift on a post-period hour, novelty included.
double lift_at(double lift, const Knobs& k, UnixSeconds t, UnixSeconds start) {
  if (k.novelty_boost == 0.0) return lift;
  return lift * novelty_factor(k, t, start);
}

bool heavy_tailed(const MetricProfile& profile, const GeneratorMetric& metric, const Knobs& k) {
  return !profile.is_rate && k.revenue_lognormal_sigma > 0 && metric.unit == "$";
}

// The per-user variance of a group whose expected value is `level`, as level^2 * factor for
// continuous metrics (factor = cv^2, or exp(sigma^2) / pay_share - 1 with heavy tails).
double user_variance_factor(const MetricProfile& profile, bool heavy, const Knobs& k) {
  if (heavy) {
    const double s2 = k.revenue_lognormal_sigma * k.revenue_lognormal_sigma;
    return rng::det_exp(s2) / profile.pay_share - 1.0;
  }
  return profile.user_cv * profile.user_cv;
}

double user_variance(const MetricProfile& profile, bool heavy, double factor, double level) {
  if (profile.is_rate) return level * (1.0 - level);
  return heavy ? level * level * factor : factor * level * level;
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

// Money with heavy tails: payers ~ Binomial(n, pay_share), each paying LogNormal with mean
// level / pay_share; the hour's value is the total over the n users. Above kExactPayers payers the
// total is one lognormal draw with the sum's mean and variance (Fenton-Wilkinson), which keeps it
// skewed and positive at the cost of one exp instead of one per payer.
constexpr std::int64_t kExactPayers = 32;

double heavy_value(rng::Rng& rng, std::int64_t n, double level, double pay_share, double sigma) {
  if (n <= 0 || level <= 0) return std::max(level, 0.0);
  const std::int64_t payers = rng.binomial(n, pay_share);
  const double mean_amount = level / pay_share;
  const double s2 = sigma * sigma;
  double total = 0;
  if (payers <= kExactPayers) {
    const double mu = -0.5 * s2;  // amount = mean_amount * exp(mu + sigma z), mean mean_amount
    for (std::int64_t i = 0; i < payers; ++i) total += mean_amount * rng::det_exp(mu + sigma * rng.normal());
  } else {
    const double p = static_cast<double>(payers);
    const double sum_s2 = rng::det_log(1.0 + (rng::det_exp(s2) - 1.0) / p);
    total = p * mean_amount * rng::det_exp(-0.5 * sum_s2 + std::sqrt(sum_s2) * rng.normal());
  }
  return total / static_cast<double>(n);
}

std::uint64_t metric_key(const char* prefix, const std::string& id) {
  return rng::fnv1a64(std::string(prefix) + id);
}

}  // namespace

SimulationKnobs SimulationKnobs::independent_hours() {
  SimulationKnobs k;
  k.user_hours_per_user = 1.0;
  k.active_hours_per_user_day = 1.0;
  k.day_shock_common = 0.0;
  k.day_shock_difference = 0.0;
  k.hourly_ar = 0.0;
  k.hourly_ar_scale = 0.0;
  k.weekly_amplitude = 0.0;
  k.daily_cycle_scale = 1.0;
  k.novelty_boost = 0.0;
  k.novelty_decay_days = 3.0;
  k.revenue_lognormal_sigma = 0.0;
  k.pre_gap = 0.0;
  return k;
}

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

double true_effect(const GeneratorInput& input, const GeneratorMetric& metric) {
  const Plan plan = plan_hours(input);
  if (plan.post_hours <= 0) return 0.0;
  const Knobs k = sanitise(input.knobs);
  const MetricProfile profile = metric_profile(metric.metric_id, metric.unit);
  const auto levels = hour_levels(profile, k);
  const double lift = applied_relative_lift(input, metric);
  const UnixSeconds first_post = plan.first_hour + plan.pre_hours * kSecondsPerHour;
  double sum = 0;
  for (std::int64_t i = 0; i < plan.post_hours; ++i) {
    const UnixSeconds t = first_post + i * kSecondsPerHour;
    const auto h = static_cast<std::size_t>(floor_mod(t, kSecondsPerDay) / kSecondsPerHour);
    const double counterfactual = levels[h] * weekday_level(k, floor_div(t, kSecondsPerDay)) * (1.0 + k.pre_gap);
    const double treated = counterfactual * (1.0 + lift_at(lift, k, t, input.start_date));
    sum += clamp_level(profile, treated) - clamp_level(profile, counterfactual);
  }
  return sum / static_cast<double>(plan.post_hours);
}

std::vector<GeneratorSegment> device_segments() {
  return {{"desktop", 0.55, 1.3}, {"mobile", 0.35, 0.8}, {"tablet", 0.10, 0.05}};
}

GeneratorInput segment_input(const GeneratorInput& input, const GeneratorSegment& segment) {
  GeneratorInput si = input;
  si.segments.clear();
  const double share = std::isfinite(segment.traffic_share) ? std::clamp(segment.traffic_share, 0.0, 1.0) : 0.0;
  si.daily_traffic = daily_traffic(input) * share;
  si.seed = rng::mix64(input.seed ^ rng::fnv1a64("\x03segment:" + input.segment_dimension + ":" + segment.name));
  const double mult = std::isfinite(segment.lift_multiplier) ? segment.lift_multiplier : 1.0;
  for (const auto& m : input.metrics) si.true_lift[m.metric_id] = applied_relative_lift(input, m) * mult;
  return si;
}

namespace {

// Every segment on its own, then the overall series as their per-hour sum.
GeneratorOutput generate_segmented(const GeneratorInput& input) {
  GeneratorOutput result;
  auto& dim = result.segments[input.segment_dimension];
  std::vector<const std::vector<domain::MetricSeries>*> parts;
  for (const auto& seg : input.segments) {
    GeneratorOutput one = generate_with_users(segment_input(input, seg));
    domain::SegmentSeries ss;
    ss.series = std::move(one.metrics);
    ss.unique_users = one.unique_users;
    result.unique_users.treatment += one.unique_users.treatment;
    result.unique_users.control += one.unique_users.control;
    dim[seg.name] = std::move(ss);  // a repeated name keeps the last
  }
  for (std::size_t m = 0; m < input.metrics.size(); ++m) {
    auto& series = result.metrics.emplace_back();
    series.metric_id = input.metrics[m].metric_id;
    const std::size_t hours = dim.empty() ? 0 : dim.begin()->second.series[m].points.size();
    series.points.resize(hours);
    std::vector<double> st(hours, 0.0), sc(hours, 0.0);
    for (const auto& [name, ss] : dim) {
      const auto& pts = ss.series[m].points;
      for (std::size_t i = 0; i < hours; ++i) {
        auto& p = series.points[i];
        p.timestamp = pts[i].timestamp;
        p.treatment_sample_size += pts[i].treatment_sample_size;
        p.control_sample_size += pts[i].control_sample_size;
        st[i] += pts[i].treatment_value * static_cast<double>(pts[i].treatment_sample_size);
        sc[i] += pts[i].control_value * static_cast<double>(pts[i].control_sample_size);
      }
    }
    for (std::size_t i = 0; i < hours; ++i) {
      auto& p = series.points[i];
      p.treatment_value = p.treatment_sample_size > 0 ? st[i] / static_cast<double>(p.treatment_sample_size) : 0.0;
      p.control_value = p.control_sample_size > 0 ? sc[i] / static_cast<double>(p.control_sample_size) : 0.0;
    }
  }
  return result;
}

}  // namespace

GeneratorOutput generate_with_users(const GeneratorInput& input) {
  if (!input.segments.empty()) return generate_segmented(input);
  const Plan plan = plan_hours(input);
  const Knobs k = sanitise(input.knobs);
  auto users_rng = rng::Rng::stream(input.seed, kUsersStreamKey);
  const People people = split_people(input, k, plan, users_rng);
  const std::vector<HourTraffic> traffic = simulate_traffic(input, k, plan, people, users_rng);

  GeneratorOutput result;
  // Distinct users: with returning users the people split above (never more than the group's
  // user-hours); otherwise every user-hour is a person.
  std::int64_t post_t = 0, post_c = 0;
  for (std::size_t i = static_cast<std::size_t>(plan.pre_hours); i < traffic.size(); ++i) {
    post_t += traffic[i].treatment;
    post_c += traffic[i].control;
  }
  result.unique_users = {post_t, post_c};
  if (people.users) {
    result.unique_users.treatment = std::min(people.users->treatment, post_t);
    result.unique_users.control = std::min(people.users->control, post_c);
  }

  const UnixSeconds first_post = plan.first_hour + plan.pre_hours * kSecondsPerHour;
  // The novelty factor of every post hour, shared by the metrics.
  std::vector<double> novelty;
  if (k.novelty_boost != 0.0) {
    novelty.resize(static_cast<std::size_t>(plan.post_hours));
    for (std::int64_t i = 0; i < plan.post_hours; ++i) {
      novelty[static_cast<std::size_t>(i)] = novelty_factor(k, first_post + i * kSecondsPerHour, input.start_date);
    }
  }
  auto& out = result.metrics;
  out.reserve(input.metrics.size());
  for (const auto& metric : input.metrics) {
    const MetricProfile profile = metric_profile(metric.metric_id, metric.unit);
    const auto levels = hour_levels(profile, k);
    const double lift = applied_relative_lift(input, metric);
    const bool heavy = heavy_tailed(profile, metric, k);
    const double variance_factor = user_variance_factor(profile, heavy, k);
    auto rng = rng::Rng::stream(input.seed, rng::fnv1a64(metric.metric_id));
    auto shock_rng = rng::Rng::stream(input.seed, metric_key("\x02shock:", metric.metric_id));
    auto ar_rng = rng::Rng::stream(input.seed, metric_key("\x02ar:", metric.metric_id));
    const double ar_innovation = std::sqrt(1.0 - k.hourly_ar * k.hourly_ar);
    double u = k.hourly_ar_on() ? ar_rng.normal() : 0.0;  // stationary start

    auto& series = out.emplace_back();
    series.metric_id = metric.metric_id;
    series.points.reserve(traffic.size());
    std::int64_t current_day = INT64_MIN;
    double week = 1.0, common = 0.0, difference = 0.0;
    for (std::size_t i = 0; i < traffic.size(); ++i) {
      const HourTraffic& hour = traffic[i];
      const UnixSeconds t = plan.first_hour + static_cast<std::int64_t>(i) * kSecondsPerHour;
      if (hour.day != current_day) {
        current_day = hour.day;
        week = weekday_level(k, hour.day);
        if (k.day_shocks()) {
          common = k.day_shock_common * shock_rng.normal();
          difference = k.day_shock_difference * shock_rng.normal();
        }
      }
      const auto h = static_cast<std::size_t>(hour.hour_of_day);
      const bool post = t >= first_post;
      const double level = levels[h] * week;
      double lift_t = 0.0;
      if (post) {
        lift_t = novelty.empty() ? lift
                                 : lift * novelty[static_cast<std::size_t>(static_cast<std::int64_t>(i) - plan.pre_hours)];
      }
      double control = level * (1.0 + common - 0.5 * difference);
      double treated = level * (1.0 + k.pre_gap) * (1.0 + lift_t) * (1.0 + common + 0.5 * difference);
      if (k.hourly_ar_on()) {
        if (i > 0) u = k.hourly_ar * u + ar_innovation * ar_rng.normal();
        if (hour.treatment > 0 && hour.control > 0) {
          const double v = user_variance(profile, heavy, variance_factor, clamp_level(profile, level));
          const double sd = std::sqrt(v / static_cast<double>(hour.treatment) + v / static_cast<double>(hour.control));
          const double x = k.hourly_ar_scale * sd * u;
          control -= 0.5 * x;
          treated += 0.5 * x;
        }
      }
      control = clamp_level(profile, control);
      treated = clamp_level(profile, treated);

      domain::HourlyPoint p;
      p.timestamp = t;
      p.treatment_sample_size = hour.treatment;
      p.control_sample_size = hour.control;
      if (profile.is_rate) {
        p.treatment_value = rate_value(rng, hour.treatment, treated);
        p.control_value = rate_value(rng, hour.control, control);
      } else if (heavy) {
        p.treatment_value = heavy_value(rng, hour.treatment, treated, profile.pay_share, k.revenue_lognormal_sigma);
        p.control_value = heavy_value(rng, hour.control, control, profile.pay_share, k.revenue_lognormal_sigma);
      } else {
        p.treatment_value = continuous_value(rng, hour.treatment, treated, profile.user_cv * treated);
        p.control_value = continuous_value(rng, hour.control, control, profile.user_cv * control);
      }
      series.points.push_back(p);
    }
  }
  return result;
}

std::vector<domain::MetricSeries> generate(const GeneratorInput& input) {
  return generate_with_users(input).metrics;
}

}  // namespace rallyuxr::simulate
