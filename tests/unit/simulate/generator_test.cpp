// The results generator's base model (SimulationKnobs::independent_hours(), the generator before
// method version 2, byte for byte): determinism (golden values), the shape and realism of the data,
// the treatment effect's size and sign, speed, and - through stats::analyze - that the analysis
// recovers the effect with nominal confidence-interval coverage. The realistic knobs (returning
// users, shocks, autocorrelation, ...) are tested in knobs_test.cpp.
#include "simulate/generator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "simulate/metric_profiles.hpp"
#include "simulate/random.hpp"
#include "stats/analysis.hpp"

namespace rallyuxr::simulate {
namespace {

using domain::Direction;
using domain::ExpectedOutcome;
using domain::HourlyPoint;
using domain::kSecondsPerDay;
using domain::kSecondsPerHour;
using domain::MetricSeries;

constexpr domain::UnixSeconds kJan15_2025 = 1736899200;  // 2025-01-15T00:00:00Z, a Wednesday

GeneratorMetric conversion() { return {"conversion_rate", "%", Direction::kIncrease}; }
GeneratorMetric bounce() { return {"bounce_rate", "%", Direction::kDecrease}; }
GeneratorMetric time_on_page() { return {"time_on_page", "seconds", Direction::kIncrease}; }
GeneratorMetric revenue() { return {"revenue_per_user", "$", Direction::kIncrease}; }

std::vector<GeneratorMetric> default_catalogue() {
  return {
      {"conversion_rate", "%", Direction::kIncrease},
      {"click_through_rate", "%", Direction::kIncrease},
      {"bounce_rate", "%", Direction::kDecrease},
      {"form_completion_rate", "%", Direction::kIncrease},
      {"cart_abandonment_rate", "%", Direction::kDecrease},
      {"revenue_per_user", "$", Direction::kIncrease},
      {"average_order_value", "$", Direction::kIncrease},
      {"time_on_page", "seconds", Direction::kIncrease},
      {"engagement_score", "points", Direction::kIncrease},
      {"page_load_time", "seconds", Direction::kDecrease},
      {"customer_lifetime_value", "$", Direction::kIncrease},
  };
}

GeneratorInput two_week_input(std::uint64_t seed = 42) {
  GeneratorInput in;
  in.start_date = kJan15_2025;
  in.end_date = kJan15_2025 + 14 * kSecondsPerDay;
  in.seed = seed;
  in.pre_period_days = 7;
  in.knobs = SimulationKnobs::independent_hours();
  in.expected_outcome = ExpectedOutcome::kPositive;
  in.metrics = {conversion(), bounce(), time_on_page(), revenue()};
  return in;
}

bool same_points(const std::vector<HourlyPoint>& a, const std::vector<HourlyPoint>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].timestamp != b[i].timestamp ||
        std::bit_cast<std::uint64_t>(a[i].treatment_value) != std::bit_cast<std::uint64_t>(b[i].treatment_value) ||
        std::bit_cast<std::uint64_t>(a[i].control_value) != std::bit_cast<std::uint64_t>(b[i].control_value) ||
        a[i].treatment_sample_size != b[i].treatment_sample_size ||
        a[i].control_sample_size != b[i].control_sample_size) {
      return false;
    }
  }
  return true;
}

int hour_of_day(domain::UnixSeconds t) { return static_cast<int>((t % kSecondsPerDay) / kSecondsPerHour); }
int weekday(domain::UnixSeconds t) { return static_cast<int>((t / kSecondsPerDay + 4) % 7); }  // 0 = Sunday

struct Means {
  double treatment = 0, control = 0;
  std::int64_t n_treatment = 0, n_control = 0;
  int hours = 0;
};

Means means(const MetricSeries& s, domain::UnixSeconds from, domain::UnixSeconds to) {
  Means m;
  for (const auto& p : s.points) {
    if (p.timestamp < from || p.timestamp >= to) continue;
    m.treatment += p.treatment_value;
    m.control += p.control_value;
    m.n_treatment += p.treatment_sample_size;
    m.n_control += p.control_sample_size;
    ++m.hours;
  }
  if (m.hours > 0) {
    m.treatment /= m.hours;
    m.control /= m.hours;
  }
  return m;
}

// ---- The PRNG and samplers ------------------------------------------------------------------

TEST(SimulateRandom, SplitMix64MatchesTheReferenceSequence) {
  // Vigna's splitmix64.c from state 0: the first outputs.
  std::uint64_t state = 0;
  EXPECT_EQ(rng::splitmix64_next(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng::splitmix64_next(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng::splitmix64_next(state), 0x06c45d188009454fULL);
}

TEST(SimulateRandom, Xoshiro256StarStarMatchesTheReferenceAlgorithm) {
  // xoshiro256** seeded by splitmix64(0): state {e220a839..., 6e789e6a..., 06c45d18..., f88bb8a8...}.
  // First output = rotl(s1 * 5, 7) * 9.
  rng::Rng r(0);
  const std::uint64_t s1 = 0x6e789e6aa1b965f4ULL;
  const std::uint64_t x = s1 * 5;
  EXPECT_EQ(r.next(), ((x << 7) | (x >> 57)) * 9);
  rng::Rng a(123), b(123), c(124);
  bool all_same = true, any_differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next(), vb = b.next(), vc = c.next();
    all_same = all_same && va == vb;
    any_differs = any_differs || va != vc;
  }
  EXPECT_TRUE(all_same);
  EXPECT_TRUE(any_differs);
}

TEST(SimulateRandom, FnvHashIsTheStandardFnv1a) {
  EXPECT_EQ(rng::fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(rng::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(SimulateRandom, OwnLogAndExpAgreeWithLibmToAnUlpOrTwo) {
  for (double x : {1e-300, 2.2e-16, 1e-5, 0.1, 0.5, 0.70710678, 0.9999999, 1.0, 1.0000001, 1.41421357,
                   2.0, 3.0, 10.0, 12345.678, 1e300}) {
    EXPECT_NEAR(rng::det_log(x), std::log(x), 4e-16 * std::max(1.0, std::fabs(std::log(x)))) << x;
  }
  EXPECT_EQ(rng::det_log(1.0), 0.0);
  for (double x : {-700.0, -300.5, -30.0, -1.0, -1e-9, 0.0, 1e-9, 0.3465, 1.0, 2.5, 88.7, 700.0}) {
    EXPECT_NEAR(rng::det_exp(x), std::exp(x), 4e-16 * std::exp(x)) << x;
  }
  EXPECT_EQ(rng::det_exp(0.0), 1.0);
  EXPECT_EQ(rng::det_ipow(0.5, 10), 1.0 / 1024);
  EXPECT_EQ(rng::det_ipow(3.0, 0), 1.0);
}

TEST(SimulateRandom, UniformAndNormalHaveTheRightMoments) {
  rng::Rng r(2024);
  constexpr int kN = 400000;
  double su = 0, sn = 0, sn2 = 0, sn4 = 0;
  int beyond_2 = 0, below_0 = 0;
  for (int i = 0; i < kN; ++i) {
    const double u = r.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    sn4 += z * z * z * z;
    beyond_2 += std::fabs(z) > 1.959963984540054;
    below_0 += z < 0;
  }
  EXPECT_NEAR(su / kN, 0.5, 0.002);
  EXPECT_NEAR(sn / kN, 0.0, 0.008);
  EXPECT_NEAR(sn2 / kN, 1.0, 0.01);
  EXPECT_NEAR(sn4 / kN, 3.0, 0.06);
  EXPECT_NEAR(static_cast<double>(beyond_2) / kN, 0.05, 0.0025);
  EXPECT_NEAR(static_cast<double>(below_0) / kN, 0.5, 0.0025);
}

void expect_binomial_moments(std::int64_t n, double p) {
  rng::Rng r(static_cast<std::uint64_t>(n) * 1000003 + static_cast<std::uint64_t>(p * 1e6));
  constexpr int kN = 100000;
  double s = 0, s2 = 0;
  for (int i = 0; i < kN; ++i) {
    const auto x = r.binomial(n, p);
    ASSERT_GE(x, 0);
    ASSERT_LE(x, n);
    s += static_cast<double>(x);
    s2 += static_cast<double>(x) * static_cast<double>(x);
  }
  const double mean = s / kN, var = s2 / kN - mean * mean;
  const double true_mean = static_cast<double>(n) * p, true_var = true_mean * (1 - p);
  EXPECT_NEAR(mean, true_mean, 5 * std::sqrt(true_var / kN) + 1e-12) << "n=" << n << " p=" << p;
  EXPECT_NEAR(var, true_var, 0.04 * true_var + 1e-12) << "n=" << n << " p=" << p;
}

TEST(SimulateRandom, BinomialHasTheRightMomentsInBothRegimes) {
  expect_binomial_moments(10, 0.3);      // exact
  expect_binomial_moments(400, 0.032);   // exact (n p = 12.8)
  expect_binomial_moments(400, 0.968);   // exact through the symmetry
  expect_binomial_moments(400, 0.42);    // normal approximation
  expect_binomial_moments(100000, 0.5);  // normal approximation
  rng::Rng r(1);
  EXPECT_EQ(r.binomial(0, 0.5), 0);
  EXPECT_EQ(r.binomial(50, 0.0), 0);
  EXPECT_EQ(r.binomial(50, 1.0), 50);
  EXPECT_EQ(r.binomial(-3, 0.5), 0);
}

TEST(SimulateRandom, PoissonHasTheRightMomentsInBothRegimes) {
  for (double mu : {0.7, 12.0, 29.0, 450.0}) {
    rng::Rng r(static_cast<std::uint64_t>(mu * 1000));
    constexpr int kN = 100000;
    double s = 0, s2 = 0;
    for (int i = 0; i < kN; ++i) {
      const auto x = static_cast<double>(r.poisson(mu));
      s += x;
      s2 += x * x;
    }
    const double mean = s / kN, var = s2 / kN - mean * mean;
    EXPECT_NEAR(mean, mu, 5 * std::sqrt(mu / kN)) << mu;
    EXPECT_NEAR(var, mu, 0.04 * mu) << mu;
  }
}

// ---- Determinism ----------------------------------------------------------------------------

TEST(SimulateGenerator, SameInputGivesIdenticalOutput) {
  const auto in = two_week_input(7);
  const auto a = generate(in);
  const auto b = generate(in);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t m = 0; m < a.size(); ++m) {
    EXPECT_EQ(a[m].metric_id, b[m].metric_id);
    EXPECT_TRUE(same_points(a[m].points, b[m].points)) << a[m].metric_id;
  }
}

TEST(SimulateGenerator, DifferentSeedGivesDifferentOutput) {
  const auto a = generate(two_week_input(7));
  const auto b = generate(two_week_input(8));
  for (std::size_t m = 0; m < a.size(); ++m) {
    EXPECT_FALSE(same_points(a[m].points, b[m].points)) << a[m].metric_id;
  }
  // ...and not just somewhere: most hours differ.
  int differing = 0;
  for (std::size_t i = 0; i < a[0].points.size(); ++i) {
    differing += a[0].points[i].treatment_sample_size != b[0].points[i].treatment_sample_size;
  }
  EXPECT_GT(differing, static_cast<int>(a[0].points.size()) * 9 / 10);
}

TEST(SimulateGenerator, GoldenValuesOfAFixedSeed) {
  // Pinned on purpose: a change here means every stored simulation would come out differently.
  const auto out = generate(two_week_input(42));
  ASSERT_EQ(out.size(), 4u);
  const auto& conv = out[0].points;
  const auto& tp = out[2].points;
  ASSERT_EQ(conv.size(), 504u);
  // The first pre-period hour (2025-01-08T00:00Z) and the first post-period hour.
  EXPECT_EQ(conv[0].timestamp, kJan15_2025 - 7 * kSecondsPerDay);
  EXPECT_EQ(conv[0].treatment_sample_size, 278);
  EXPECT_EQ(conv[0].control_sample_size, 288);
  EXPECT_EQ(conv[0].treatment_value, 14.0 / 278);
  EXPECT_EQ(conv[0].control_value, 14.0 / 288);
  EXPECT_EQ(conv[168].timestamp, kJan15_2025);
  EXPECT_EQ(conv[168].treatment_sample_size, 258);
  EXPECT_EQ(conv[168].treatment_value, 5.0 / 258);
  EXPECT_EQ(tp[300].treatment_value, 96.713232444587334);
  EXPECT_EQ(tp[300].control_value, 90.841689117927203);
  EXPECT_EQ(out[1].points[503].control_sample_size, 361);
  EXPECT_EQ(out[1].points[503].control_value, 159.0 / 361);
}

TEST(SimulateGenerator, EachMetricHasItsOwnStream) {
  auto in = two_week_input(99);
  in.metrics = {conversion()};
  const auto alone = generate(in);
  in.metrics = {time_on_page(), bounce(), conversion(), {"brand_new_metric", "%", Direction::kIncrease}};
  const auto together = generate(in);
  EXPECT_TRUE(same_points(alone[0].points, together[2].points));
  // Sample sizes are shared by all metrics of an experiment: the same users see every metric.
  for (std::size_t i = 0; i < together[0].points.size(); ++i) {
    ASSERT_EQ(together[0].points[i].treatment_sample_size, together[3].points[i].treatment_sample_size);
    ASSERT_EQ(together[0].points[i].control_sample_size, together[3].points[i].control_sample_size);
  }
}

// ---- Shape ----------------------------------------------------------------------------------

TEST(SimulateGenerator, HoursAreHourlySortedAndSplitIntoPreAndPost) {
  auto in = two_week_input();
  in.pre_period_days = 5;
  in.end_date = in.start_date + 10 * kSecondsPerDay + 5 * kSecondsPerHour + 1;  // 246 post hours
  const auto out = generate(in);
  ASSERT_EQ(out.size(), in.metrics.size());
  for (std::size_t m = 0; m < out.size(); ++m) {
    EXPECT_EQ(out[m].metric_id, in.metrics[m].metric_id);
    const auto& pts = out[m].points;
    ASSERT_EQ(pts.size(), 5u * 24 + 246);
    EXPECT_EQ(pts.front().timestamp, in.start_date - 5 * kSecondsPerDay);
    for (std::size_t i = 1; i < pts.size(); ++i) {
      ASSERT_EQ(pts[i].timestamp - pts[i - 1].timestamp, kSecondsPerHour);
    }
    EXPECT_EQ(pts[120].timestamp, in.start_date);
    EXPECT_LT(pts.back().timestamp, in.end_date);
  }
}

TEST(SimulateGenerator, UnalignedDatesUseTheWholeHoursInsideThePostPeriod) {
  auto in = two_week_input();
  in.start_date = kJan15_2025 + 1800;  // 00:30
  in.end_date = kJan15_2025 + 3 * kSecondsPerHour;  // 03:00: post hours 01:00 and 02:00
  in.pre_period_days = 1;
  const auto pts = generate(in)[0].points;
  ASSERT_EQ(pts.size(), 24u + 2);
  EXPECT_EQ(pts[24].timestamp, kJan15_2025 + kSecondsPerHour);
  EXPECT_LT(pts[23].timestamp, in.start_date);
  EXPECT_EQ(pts[0].timestamp % kSecondsPerHour, 0);
}

TEST(SimulateGenerator, EmptyPeriodsAreHandled) {
  auto in = two_week_input();
  in.pre_period_days = 0;
  EXPECT_EQ(generate(in)[0].points.size(), 14u * 24);
  EXPECT_EQ(generate(in)[0].points.front().timestamp, in.start_date);
  in.end_date = in.start_date;  // no post period
  EXPECT_TRUE(generate(in)[0].points.empty());
  in.pre_period_days = -4;  // treated as 0
  EXPECT_TRUE(generate(in)[0].points.empty());
  in.pre_period_days = 2;
  EXPECT_EQ(generate(in)[0].points.size(), 48u);
  in.metrics.clear();
  EXPECT_TRUE(generate(in).empty());
}

TEST(SimulateGenerator, TrafficIsAboutTwentyThousandADayAndFollowsTheSplit) {
  auto in = two_week_input(5);
  in.pre_period_days = 0;
  in.end_date = in.start_date + 28 * kSecondsPerDay;
  const auto s = generate(in)[0];
  const Means m = means(s, in.start_date, in.end_date);
  const double per_day = static_cast<double>(m.n_treatment + m.n_control) / 28;
  EXPECT_NEAR(per_day, 20000, 1000);
  EXPECT_NEAR(static_cast<double>(m.n_treatment) / static_cast<double>(m.n_treatment + m.n_control), 0.5, 0.004);

  in.traffic_split = 0.3;
  in.daily_traffic = 5000;
  const auto s2 = generate(in)[0];
  const Means m2 = means(s2, in.start_date, in.end_date);
  EXPECT_NEAR(static_cast<double>(m2.n_treatment + m2.n_control) / 28, 5000, 300);
  const double share = static_cast<double>(m2.n_treatment) / static_cast<double>(m2.n_treatment + m2.n_control);
  EXPECT_NEAR(share, 0.3, 0.006);
  // Integer sample sizes that vary from hour to hour, and a treatment share that does too.
  int changes = 0, share_changes = 0;
  for (std::size_t i = 1; i < s2.points.size(); ++i) {
    const auto& a = s2.points[i - 1];
    const auto& b = s2.points[i];
    changes += a.treatment_sample_size + a.control_sample_size != b.treatment_sample_size + b.control_sample_size;
    share_changes += a.treatment_sample_size * b.control_sample_size != b.treatment_sample_size * a.control_sample_size;
  }
  EXPECT_GT(changes, static_cast<int>(s2.points.size()) * 9 / 10);
  EXPECT_GT(share_changes, static_cast<int>(s2.points.size()) * 9 / 10);
}

TEST(SimulateGenerator, TrafficHasADailyAndAWeeklyRhythm) {
  auto in = two_week_input(11);
  in.end_date = in.start_date + 28 * kSecondsPerDay;
  const auto s = generate(in)[0];
  std::map<int, double> by_hour;
  double weekday_total = 0, weekend_total = 0;
  int weekday_hours = 0, weekend_hours = 0;
  for (const auto& p : s.points) {
    const double n = static_cast<double>(p.treatment_sample_size + p.control_sample_size);
    by_hour[hour_of_day(p.timestamp)] += n;
    const int wd = weekday(p.timestamp);
    if (wd == 0 || wd == 6) {
      weekend_total += n;
      ++weekend_hours;
    } else {
      weekday_total += n;
      ++weekday_hours;
    }
  }
  EXPECT_LT(by_hour[3] * 3, by_hour[15]);   // night is far quieter than the afternoon
  EXPECT_LT(by_hour[4], by_hour[9]);
  EXPECT_LT(by_hour[9], by_hour[19]);       // the peak is in the evening
  const auto peak = std::max_element(by_hour.begin(), by_hour.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_GE(peak->first, 14);
  EXPECT_LE(peak->first, 21);
  EXPECT_GT(weekday_total / weekday_hours, 1.2 * (weekend_total / weekend_hours));
}

TEST(SimulateGenerator, ValuesHaveTheCatalogueLevelsAndStayInRange) {
  auto in = two_week_input(3);
  in.expected_outcome = ExpectedOutcome::kNeutral;
  in.metrics = default_catalogue();
  in.metrics.push_back({"some_new_rate", "%", Direction::kIncrease});
  in.metrics.push_back({"some_new_amount", "$", Direction::kIncrease});
  const std::map<std::string, double> expected{
      {"conversion_rate", 0.032},     {"click_through_rate", 0.045},  {"bounce_rate", 0.42},
      {"form_completion_rate", 0.65}, {"cart_abandonment_rate", 0.70}, {"revenue_per_user", 2.80},
      {"average_order_value", 85},    {"time_on_page", 95},           {"engagement_score", 62},
      {"page_load_time", 2.4},        {"customer_lifetime_value", 240}, {"some_new_rate", 0.10},
      {"some_new_amount", 100}};
  const auto out = generate(in);
  for (std::size_t m = 0; m < out.size(); ++m) {
    const auto& id = out[m].metric_id;
    const bool rate = in.metrics[m].unit == "%";
    EXPECT_EQ(baseline_level(in.metrics[m]), expected.at(id)) << id;
    EXPECT_EQ(metric_profile(id, in.metrics[m].unit).is_rate, rate) << id;
    for (const auto& p : out[m].points) {
      ASSERT_TRUE(std::isfinite(p.treatment_value) && std::isfinite(p.control_value)) << id;
      ASSERT_GE(p.treatment_value, 0.0) << id;
      ASSERT_GE(p.control_value, 0.0) << id;
      if (rate) {
        ASSERT_LE(p.treatment_value, 1.0) << id;
        ASSERT_LE(p.control_value, 1.0) << id;
        // successes / n: the value times n is a whole number.
        const double k = p.control_value * static_cast<double>(p.control_sample_size);
        ASSERT_NEAR(k, std::round(k), 1e-6) << id;
      }
    }
    const Means all = means(out[m], in.start_date - 7 * kSecondsPerDay, in.end_date);
    EXPECT_NEAR(all.control, expected.at(id), 0.03 * expected.at(id)) << id;
    EXPECT_NEAR(all.treatment, expected.at(id), 0.03 * expected.at(id)) << id;
  }
}

TEST(SimulateGenerator, BothGroupsShareAnHourOfDayCycle) {
  auto in = two_week_input(17);
  in.expected_outcome = ExpectedOutcome::kNeutral;
  in.daily_traffic = 2e6;  // little noise
  in.metrics = {conversion()};
  const auto s = generate(in)[0];
  double at[24][2] = {};
  for (const auto& p : s.points) {
    at[hour_of_day(p.timestamp)][0] += p.treatment_value;
    at[hour_of_day(p.timestamp)][1] += p.control_value;
  }
  // conversion peaks at 20:00 UTC and bottoms out at 08:00 in both groups.
  EXPECT_GT(at[20][0], at[8][0] * 1.1);
  EXPECT_GT(at[20][1], at[8][1] * 1.1);
}

// ---- The treatment effect -------------------------------------------------------------------

TEST(SimulateGenerator, AppliedLiftFollowsOutcomeDirectionAndOverrides) {
  GeneratorInput in;
  const GeneratorMetric up = conversion(), down = bounce();
  in.expected_outcome = ExpectedOutcome::kPositive;
  EXPECT_DOUBLE_EQ(applied_relative_lift(in, up), 0.05);
  EXPECT_DOUBLE_EQ(applied_relative_lift(in, down), -0.05);
  in.expected_outcome = ExpectedOutcome::kNegative;
  EXPECT_DOUBLE_EQ(applied_relative_lift(in, up), -0.05);
  EXPECT_DOUBLE_EQ(applied_relative_lift(in, down), 0.05);
  in.expected_outcome = ExpectedOutcome::kNeutral;
  EXPECT_EQ(applied_relative_lift(in, up), 0.0);
  EXPECT_EQ(applied_relative_lift(in, down), 0.0);
  in.true_lift["bounce_rate"] = 0.12;  // taken as is, sign included
  in.true_lift["conversion_rate"] = -0.2;
  EXPECT_EQ(applied_relative_lift(in, down), 0.12);
  EXPECT_EQ(applied_relative_lift(in, up), -0.2);
  in.expected_outcome = ExpectedOutcome::kPositive;
  EXPECT_EQ(applied_relative_lift(in, down), 0.12);
}

TEST(SimulateGenerator, TheLiftAppearsOnlyInThePostPeriod) {
  auto in = two_week_input(21);
  in.daily_traffic = 4e6;  // enough users that the means sit close to their expectations
  in.metrics = {conversion(), bounce(), time_on_page(), revenue()};
  in.true_lift["time_on_page"] = -0.08;
  const auto out = generate(in);
  const double expected_lift[] = {0.05, -0.05, -0.08, 0.05};
  for (std::size_t m = 0; m < out.size(); ++m) {
    const Means pre = means(out[m], in.start_date - 7 * kSecondsPerDay, in.start_date);
    const Means post = means(out[m], in.start_date, in.end_date);
    EXPECT_NEAR(pre.treatment / pre.control, 1.0, 0.004) << out[m].metric_id;
    EXPECT_NEAR(post.treatment / post.control, 1.0 + expected_lift[m], 0.004) << out[m].metric_id;
    EXPECT_NEAR(post.control, baseline_level(in.metrics[m]), 0.003 * baseline_level(in.metrics[m]))
        << out[m].metric_id;
  }
}

TEST(SimulateGenerator, RatesAreClampedToTheUnitInterval) {
  auto in = two_week_input(4);
  in.metrics = {{"cart_abandonment_rate", "%", Direction::kDecrease}, conversion()};
  in.true_lift["cart_abandonment_rate"] = 0.9;  // 0.70 * 1.9 > 1
  in.true_lift["conversion_rate"] = -3.0;         // below 0
  const auto out = generate(in);
  for (const auto& p : out[0].points) {
    if (p.timestamp >= in.start_date) {
      ASSERT_EQ(p.treatment_value, 1.0);
    }
  }
  for (const auto& p : out[1].points) {
    if (p.timestamp >= in.start_date) {
      ASSERT_EQ(p.treatment_value, 0.0);
    }
  }
}

TEST(SimulateGenerator, DegenerateTrafficStaysFinite) {
  auto in = two_week_input(8);
  in.traffic_split = 0.0;
  for (const auto& s : generate(in)) {
    for (const auto& p : s.points) {
      ASSERT_EQ(p.treatment_sample_size, 0);
      ASSERT_TRUE(std::isfinite(p.treatment_value));
    }
  }
  in.traffic_split = 0.5;
  in.daily_traffic = 0.0;
  for (const auto& s : generate(in)) {
    for (const auto& p : s.points) {
      ASSERT_EQ(p.treatment_sample_size + p.control_sample_size, 0);
      ASSERT_TRUE(std::isfinite(p.treatment_value) && std::isfinite(p.control_value));
    }
  }
  in.daily_traffic = 48.0;  // about one user an hour: the exact samplers
  for (const auto& s : generate(in)) {
    for (const auto& p : s.points) {
      ASSERT_GE(p.treatment_sample_size, 0);
      ASSERT_TRUE(std::isfinite(p.treatment_value) && std::isfinite(p.control_value));
    }
  }
}

// ---- Speed ----------------------------------------------------------------------------------

TEST(SimulateGenerator, TenMetricsForAYearOfHoursReportsItsSpeed) {
  GeneratorInput in;
  in.seed = 1;
  in.pre_period_days = 7;
  in.knobs = SimulationKnobs::independent_hours();
  in.start_date = kJan15_2025;
  in.end_date = kJan15_2025 + (365 - 7) * kSecondsPerDay;  // 8,760 hours with the pre period
  in.expected_outcome = ExpectedOutcome::kPositive;
  in.metrics = default_catalogue();
  in.metrics.resize(10);
  // The best of at least 15 runs (more, up to 60, while a busy machine keeps it above the bound).
  double best_ms = 1e9;
  int runs = 0;
  for (; runs < 60 && (runs < 15 || best_ms >= 5.0); ++runs) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = generate(in);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(out.size(), 10u);
    ASSERT_EQ(out[9].points.size(), 8760u);
    best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  // Reported only: the machine running the tests is shared and noisy, so speed bounds live in the
  // benchmarks (bench/bench_stats.cpp, BM_Generate; docs/performance.md).
  std::printf("[ generator ] 10 metrics x 8760 hours: best of %d runs %.3f ms\n", runs, best_ms);
}

// ---- Recovery by the analysis ---------------------------------------------------------------

struct Recovery {
  int runs = 0;
  int covered = 0;
  int right_sign = 0;
  int significant = 0;
  int trend_flagged = 0;
};

TEST(SimulateGenerator, TheAnalysisRecoversTheEffectWithNominalCoverage) {
  // 3,000 simulated experiments (different seeds and start days; 7 days before, 14 days after)
  // with known lifts. Every metric draws from its own stream, so each metric of each experiment is
  // an independent trial, and the coverage of the 95% interval must be 93%..97% for each metric.
  // (With 3,000 trials the coverage's sd is 0.4 points, so a correct generator and analysis stay
  // inside that band for any seeds; 20,000 trials measured 94.9..95.2% for six metrics.)
  constexpr int kExperiments = 3000;
  const std::vector<GeneratorMetric> metrics{conversion(), bounce(), time_on_page(), revenue()};
  const std::map<std::string, double> lift{
      {"conversion_rate", 0.20}, {"bounce_rate", -0.05}, {"time_on_page", 0.03}, {"revenue_per_user", 0.0}};
  std::map<std::string, Recovery> rec;
  int srm_detected = 0;
  for (int e = 0; e < kExperiments; ++e) {
    GeneratorInput in;
    in.knobs = SimulationKnobs::independent_hours();
    in.start_date = kJan15_2025 + e * kSecondsPerDay;  // different weekdays too
    in.end_date = in.start_date + 14 * kSecondsPerDay;
    in.pre_period_days = 7;
    in.seed = 0x5eed0000ULL + static_cast<std::uint64_t>(e);
    in.metrics = metrics;
    in.true_lift = lift;
    stats::AnalysisInput ain;
    ain.start_date = in.start_date;
    ain.end_date = in.end_date;
    ain.metrics = generate(in);
    const auto result = stats::analyze(ain);
    for (const auto& metric : metrics) {
      const auto& r = result.did_results.at(metric.metric_id);
      ASSERT_EQ(r.method, "did");
      ASSERT_TRUE(r.confidence_interval && r.absolute_difference) << metric.metric_id;
      const double truth = applied_relative_lift(in, metric) * baseline_level(metric);
      auto& k = rec[metric.metric_id];
      ++k.runs;
      k.covered += r.confidence_interval->lower <= truth && truth <= r.confidence_interval->upper;
      k.right_sign += truth != 0 && (*r.absolute_difference > 0) == (truth > 0);
      k.significant += r.confidence_interval->lower > 0 || r.confidence_interval->upper < 0;
      k.trend_flagged += r.parallel_trends && r.parallel_trends->violated;
    }
    srm_detected += result.srm.detected;
  }
  for (const auto& [id, k] : rec) {
    const double coverage = 100.0 * k.covered / k.runs;
    const double flagged = 100.0 * k.trend_flagged / k.runs;
    std::printf("[ generator ] %-16s coverage %.1f%%  right sign %.1f%%  significant %.1f%%  "
                "parallel trends flagged %.1f%%\n",
                id.c_str(), coverage, 100.0 * k.right_sign / k.runs, 100.0 * k.significant / k.runs, flagged);
    EXPECT_GE(coverage, 93.0) << id;
    EXPECT_LE(coverage, 97.0) << id;
    // The pre period has no drift between the groups: the trend test fires at its 5% level.
    EXPECT_GE(flagged, 3.0) << id;
    EXPECT_LE(flagged, 7.0) << id;
  }
  // The split is honest: a sample ratio mismatch (p < 0.001) is rare.
  std::printf("[ generator ] sample ratio mismatch flagged in %d of %d experiments\n", srm_detected, kExperiments);
  EXPECT_LE(srm_detected, kExperiments / 200);
  // A clearly nonzero lift: the sign comes out right essentially always.
  EXPECT_GE(rec["conversion_rate"].right_sign, kExperiments * 99 / 100);
  EXPECT_GE(rec["bounce_rate"].right_sign, kExperiments * 99 / 100);
  EXPECT_GE(rec["time_on_page"].right_sign, kExperiments * 99 / 100);
  // No effect: significant about 5% of the time, as a 95% interval should be.
  EXPECT_LE(rec["revenue_per_user"].significant, kExperiments * 7 / 100);
}

TEST(SimulateGenerator, TheDefaultPositiveOutcomeImprovesEveryMetric) {
  // expected_outcome = positive without true_lift: increase metrics rise, decrease metrics fall.
  auto in = two_week_input(77);
  in.daily_traffic = 200000;
  in.metrics = default_catalogue();
  stats::AnalysisInput ain;
  ain.start_date = in.start_date;
  ain.end_date = in.end_date;
  ain.metrics = generate(in);
  const auto result = stats::analyze(ain);
  for (const auto& metric : in.metrics) {
    const auto& r = result.did_results.at(metric.metric_id);
    ASSERT_TRUE(r.absolute_difference) << metric.metric_id;
    if (metric.direction == Direction::kIncrease) {
      EXPECT_GT(*r.absolute_difference, 0) << metric.metric_id;
    } else {
      EXPECT_LT(*r.absolute_difference, 0) << metric.metric_id;
    }
    ASSERT_TRUE(r.relative_difference) << metric.metric_id;
    EXPECT_NEAR(*r.relative_difference, applied_relative_lift(in, metric), 0.02) << metric.metric_id;
  }
  EXPECT_FALSE(result.srm.detected);
}

}  // namespace
}  // namespace rallyuxr::simulate
