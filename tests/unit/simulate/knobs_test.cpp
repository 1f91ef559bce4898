// The simulator's realistic knobs (SimulationKnobs): each one is really there and has the size it is
// configured to have, the defaults are not independent hours, the output stays deterministic, and
// the means match the configured lift (true_effect). The base model is tested in generator_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "simulate/generator.hpp"

namespace rallyuxr::simulate {
namespace {

using domain::Direction;
using domain::kSecondsPerDay;
using domain::kSecondsPerHour;
using domain::MetricSeries;
using domain::UnixSeconds;

constexpr UnixSeconds kMonday = 1736121600;  // 2025-01-06T00:00:00Z

GeneratorMetric conversion() { return {"conversion_rate", "%", Direction::kIncrease}; }
GeneratorMetric revenue() { return {"revenue_per_user", "$", Direction::kIncrease}; }
GeneratorMetric time_on_page() { return {"time_on_page", "seconds", Direction::kIncrease}; }

GeneratorInput input(std::uint64_t seed, const SimulationKnobs& knobs, int post_days = 28) {
  GeneratorInput in;
  in.start_date = kMonday;
  in.end_date = kMonday + post_days * kSecondsPerDay;
  in.pre_period_days = 7;
  in.seed = seed;
  in.knobs = knobs;
  in.metrics = {conversion(), revenue(), time_on_page()};
  return in;
}

SimulationKnobs independent() { return SimulationKnobs::independent_hours(); }

// The first metric's points, by value (a reference into generate()'s temporary would dangle).
std::vector<domain::HourlyPoint> first_points(const GeneratorInput& in) { return generate(in)[0].points; }

// Post-period hourly differences (all hours have users at the default traffic).
std::vector<double> post_differences(const MetricSeries& s, UnixSeconds start) {
  std::vector<double> d;
  for (const auto& p : s.points) {
    if (p.timestamp >= start) d.push_back(p.treatment_value - p.control_value);
  }
  return d;
}

double mean(const std::vector<double>& x) {
  double s = 0;
  for (double v : x) s += v;
  return x.empty() ? 0 : s / static_cast<double>(x.size());
}

double acf(const std::vector<double>& x, std::size_t lag) {
  const double m = mean(x);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - m) * (x[i] - m);
    if (i >= lag) num += (x[i] - m) * (x[i - lag] - m);
  }
  return num / den;
}

// The lag-`lag` autocorrelation of conversion's post-period hourly difference, averaged over seeds.
double mean_acf(const SimulationKnobs& knobs, std::size_t lag, int seeds = 20) {
  double s = 0;
  for (int i = 0; i < seeds; ++i) {
    const auto in = input(1000 + static_cast<std::uint64_t>(i), knobs);
    s += acf(post_differences(generate(in)[0], in.start_date), lag);
  }
  return s / seeds;
}

bool same_bytes(const std::vector<MetricSeries>& a, const std::vector<MetricSeries>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t m = 0; m < a.size(); ++m) {
    if (a[m].metric_id != b[m].metric_id || a[m].points.size() != b[m].points.size()) return false;
    for (std::size_t i = 0; i < a[m].points.size(); ++i) {
      const auto& p = a[m].points[i];
      const auto& q = b[m].points[i];
      if (p.timestamp != q.timestamp || p.treatment_sample_size != q.treatment_sample_size ||
          p.control_sample_size != q.control_sample_size ||
          std::bit_cast<std::uint64_t>(p.treatment_value) != std::bit_cast<std::uint64_t>(q.treatment_value) ||
          std::bit_cast<std::uint64_t>(p.control_value) != std::bit_cast<std::uint64_t>(q.control_value)) {
        return false;
      }
    }
  }
  return true;
}

// ---- Determinism ----------------------------------------------------------------------------

TEST(SimulateKnobs, SameSeedGivesTheSameBytesAndUsers) {
  const auto in = input(7, SimulationKnobs{});
  const auto a = generate_with_users(in);
  const auto b = generate_with_users(in);
  EXPECT_TRUE(same_bytes(a.metrics, b.metrics));
  EXPECT_EQ(a.unique_users.treatment, b.unique_users.treatment);
  EXPECT_EQ(a.unique_users.control, b.unique_users.control);
  EXPECT_TRUE(same_bytes(a.metrics, generate(in)));  // generate() is the same data
  const auto c = generate_with_users(input(8, SimulationKnobs{}));
  EXPECT_FALSE(same_bytes(a.metrics, c.metrics));
  EXPECT_NE(a.unique_users.treatment, c.unique_users.treatment);
}

TEST(SimulateKnobs, GoldenValuesOfTheDefaults) {
  // Pinned on purpose: a change here changes every demo and simulated experiment's data.
  const auto out = generate_with_users(input(42, SimulationKnobs{}, 14));
  ASSERT_EQ(out.metrics.size(), 3u);
  const auto& conv = out.metrics[0].points;
  const auto& rev = out.metrics[1].points;
  ASSERT_EQ(conv.size(), 21u * 24);
  EXPECT_EQ(conv[0].treatment_sample_size, 290);
  EXPECT_EQ(conv[0].control_sample_size, 276);
  EXPECT_EQ(conv[200].treatment_value, 20.0 / 444);
  EXPECT_EQ(rev[300].treatment_value, 2.6557546309088953);
  EXPECT_EQ(out.unique_users.treatment, 46572);
  EXPECT_EQ(out.unique_users.control, 46401);
}

// ---- Hourly autocorrelation and day shocks --------------------------------------------------

TEST(SimulateKnobs, TheDefaultsAreNotIndependentHours) {
  // Measured on the generator before the knobs: -0.003 at lags 1 and 24.
  const double independent_lag1 = mean_acf(independent(), 1);
  const double default_lag1 = mean_acf(SimulationKnobs{}, 1);
  std::printf("[ knobs ] lag-1 ACF of the hourly difference: independent %.3f, defaults %.3f\n", independent_lag1,
              default_lag1);
  EXPECT_LT(std::fabs(independent_lag1), 0.03);
  // phi 0.5 at scale 1 gives 0.25, plus the day shocks' share.
  EXPECT_GT(default_lag1, 0.18);
  EXPECT_LT(default_lag1, 0.35);
}

TEST(SimulateKnobs, HourlyAutocorrelationFollowsTheKnob) {
  double previous = -1;
  for (double phi : {0.3, 0.5, 0.7}) {
    SimulationKnobs k = independent();
    k.hourly_ar = phi;
    k.hourly_ar_scale = 3.0;
    const double expected = phi * 9.0 / 10.0;  // phi scale^2 / (1 + scale^2)
    const double lag1 = mean_acf(k, 1);
    const double lag2 = mean_acf(k, 2);
    std::printf("[ knobs ] phi %.1f: lag-1 ACF %.3f (about %.3f), lag-2 %.3f\n", phi, lag1, expected, lag2);
    EXPECT_NEAR(lag1, expected, 0.07) << phi;
    EXPECT_NEAR(lag2, phi * expected, 0.07) << phi;  // an AR(1): geometric decay
    EXPECT_GT(lag1, previous);
    previous = lag1;
  }
}

// The share of the variance of daily means of the hourly difference that the day shocks add:
// 1 - (within-day variance / 24) / (variance of the daily means).
double day_shock_share(const SimulationKnobs& knobs, double* expected) {
  double between_sum = 0, within_sum = 0, shock_var = 0;
  constexpr int kSeeds = 30;
  for (int s = 0; s < kSeeds; ++s) {
    const auto in = input(500 + static_cast<std::uint64_t>(s), knobs);
    const auto d = post_differences(generate(in)[0], in.start_date);
    std::vector<double> day_means;
    double within = 0;
    for (std::size_t b = 0; b + 24 <= d.size(); b += 24) {
      const std::vector<double> day(d.begin() + static_cast<long>(b), d.begin() + static_cast<long>(b + 24));
      const double m = mean(day);
      day_means.push_back(m);
      for (double v : day) within += (v - m) * (v - m) / 23;
    }
    within /= static_cast<double>(day_means.size());
    const double m = mean(day_means);
    double between = 0;
    for (double v : day_means) between += (v - m) * (v - m) / static_cast<double>(day_means.size() - 1);
    between_sum += between;
    within_sum += within / 24;
  }
  const double level = 0.032;  // conversion's level: the difference shock is relative to it
  shock_var = knobs.day_shock_difference * level * knobs.day_shock_difference * level;
  *expected = shock_var / (shock_var + within_sum / kSeeds);
  return 1.0 - (within_sum / kSeeds) / (between_sum / kSeeds);
}

TEST(SimulateKnobs, DayShocksCarryTheirShareOfTheVariance) {
  double expected = 0;
  const double none = day_shock_share(independent(), &expected);
  EXPECT_EQ(expected, 0.0);
  SimulationKnobs k = independent();
  k.day_shock_common = 0.05;
  k.day_shock_difference = 0.08;
  const double shocked = day_shock_share(k, &expected);
  std::printf("[ knobs ] share of the daily means' variance from day shocks: none %.3f, shocks %.3f (expected %.3f)\n",
              none, shocked, expected);
  EXPECT_LT(std::fabs(none), 0.12);
  EXPECT_GT(expected, 0.3);
  EXPECT_NEAR(shocked, expected, 0.12);
  // The common shock moves both groups: control's daily level varies by about 5%.
  const auto in = input(3, k);
  const auto pts = first_points(in);
  std::vector<double> day_control;
  for (std::size_t b = 0; b + 24 <= pts.size(); b += 24) {
    double s = 0;
    for (std::size_t i = b; i < b + 24; ++i) s += pts[i].control_value;
    day_control.push_back(s / 24 / 0.032);
  }
  const double m = mean(day_control);
  double v = 0;
  for (double x : day_control) v += (x - m) * (x - m) / static_cast<double>(day_control.size() - 1);
  EXPECT_GT(std::sqrt(v), 0.05);  // sampling noise of a day's control mean alone is ~0.04
}

// ---- The effect ------------------------------------------------------------------------------

TEST(SimulateKnobs, TrueEffectIsTheConfiguredLiftOverWholeWeeks) {
  GeneratorInput in = input(1, SimulationKnobs{});
  in.knobs.novelty_boost = 0;
  in.true_lift["conversion_rate"] = 0.05;
  in.true_lift["revenue_per_user"] = -0.1;
  EXPECT_NEAR(true_effect(in, conversion()), 0.05 * 0.032, 1e-15);
  EXPECT_NEAR(true_effect(in, revenue()), -0.1 * 2.80, 1e-13);
  EXPECT_EQ(true_effect(in, time_on_page()), 0.0);  // neutral outcome, no override
  in.knobs.pre_gap = 0.05;  // the counterfactual includes the gap
  EXPECT_NEAR(true_effect(in, conversion()), 0.05 * 0.032 * 1.05, 1e-15);
  in.knobs.pre_gap = 0;
  in.knobs.novelty_boost = 1.0;
  in.knobs.novelty_decay_days = 3.0;
  in.knobs.daily_cycle_scale = 0;  // a flat level, so that the mean lift is the mean of the decay
  in.knobs.weekly_amplitude = 0;
  // Mean of 1 + exp(-x / 3) over 28 days of hours.
  double s = 0;
  for (int h = 0; h < 28 * 24; ++h) s += 1.0 + std::exp(-(h / 24.0) / 3.0);
  EXPECT_NEAR(true_effect(in, conversion()), 0.05 * 0.032 * s / (28 * 24), 1e-12);
}

TEST(SimulateKnobs, MeansMatchTheConfiguredLift) {
  // The defaults (novelty included) at high traffic: the difference-in-differences of the means,
  // averaged over 40 experiments, lands on true_effect within 4 of its standard errors.
  constexpr int kSeeds = 40;
  for (const auto& metric : {conversion(), revenue(), time_on_page()}) {
    std::vector<double> dids;
    double truth = 0;
    for (int s = 0; s < kSeeds; ++s) {
      GeneratorInput in = input(9000 + static_cast<std::uint64_t>(s), SimulationKnobs{});
      in.daily_traffic = 400000;
      in.metrics = {metric};
      in.true_lift[metric.metric_id] = 0.05;
      truth = true_effect(in, metric);
      const auto pts = first_points(in);
      double post = 0, pre = 0;
      int np = 0, n0 = 0;
      for (const auto& p : pts) {
        const double d = p.treatment_value - p.control_value;
        if (p.timestamp >= in.start_date) {
          post += d;
          ++np;
        } else {
          pre += d;
          ++n0;
        }
      }
      dids.push_back(post / np - pre / n0);
    }
    const double m = mean(dids);
    double v = 0;
    for (double x : dids) v += (x - m) * (x - m) / (kSeeds - 1);
    const double se = std::sqrt(v / kSeeds);
    std::printf("[ knobs ] %-16s mean DiD %.6g, true effect %.6g (5%% lift with novelty), se %.2g\n",
                metric.metric_id.c_str(), m, truth, se);
    EXPECT_NEAR(m, truth, 4 * se) << metric.metric_id;
    EXPECT_GT(truth, 0.05 * baseline_level(metric));  // novelty adds to the settled lift
    EXPECT_LT(truth, 0.06 * baseline_level(metric));
  }
}

TEST(SimulateKnobs, NoveltyWearsOff) {
  SimulationKnobs k = independent();
  k.novelty_boost = 1.0;
  k.novelty_decay_days = 3.0;
  GeneratorInput in = input(31, k);
  in.daily_traffic = 4e6;
  in.metrics = {conversion()};
  in.true_lift["conversion_rate"] = 0.10;
  const auto pts = first_points(in);
  auto ratio = [&](int from_day, int to_day) {
    double t = 0, c = 0;
    for (const auto& p : pts) {
      const auto day = (p.timestamp - in.start_date) / kSecondsPerDay;
      if (p.timestamp >= in.start_date && day >= from_day && day < to_day) {
        t += p.treatment_value;
        c += p.control_value;
      }
    }
    return t / c;
  };
  EXPECT_GT(ratio(0, 1), 1.17);            // about 1 + 0.1 (1 + 0.85)
  EXPECT_NEAR(ratio(21, 28), 1.10, 0.01);  // settled
}

// ---- Returning users --------------------------------------------------------------------------

TEST(SimulateKnobs, UniqueUsersCountPeopleNotUserHours) {
  int flagged = 0;
  constexpr int kExperiments = 300;
  for (int e = 0; e < kExperiments; ++e) {
    GeneratorInput in = input(70000 + static_cast<std::uint64_t>(e), SimulationKnobs{});
    in.metrics = {conversion()};
    const auto out = generate_with_users(in);
    std::int64_t ht = 0, hc = 0;
    for (const auto& p : out.metrics[0].points) {
      if (p.timestamp < in.start_date) continue;
      ht += p.treatment_sample_size;
      hc += p.control_sample_size;
    }
    const auto& u = out.unique_users;
    ASSERT_LE(u.treatment, ht);
    ASSERT_LE(u.control, hc);
    if (e < 5) {
      // About a third of the user-hours (3 user-hours per person).
      EXPECT_NEAR(static_cast<double>(u.treatment + u.control) / static_cast<double>(ht + hc), 1.0 / 3, 0.02);
      EXPECT_NEAR(static_cast<double>(u.treatment) / static_cast<double>(u.treatment + u.control), 0.5, 0.01);
    }
    // Pearson chi-square against 50/50 on the people: a correctly randomised test (p < 0.001 is
    // chi-square > 10.828).
    const double n = static_cast<double>(u.treatment + u.control);
    const double dt = static_cast<double>(u.treatment) - n / 2;
    flagged += 4 * dt * dt / n > 10.828;
  }
  EXPECT_LE(flagged, 3);  // expected 0.3 of 300
  // Every user-hour a new person: unique users are the user-hours.
  const auto ind = generate_with_users(input(5, independent()));
  std::int64_t ht = 0;
  for (const auto& p : ind.metrics[0].points) {
    if (p.timestamp >= kMonday) ht += p.treatment_sample_size;
  }
  EXPECT_EQ(ind.unique_users.treatment, ht);
}

TEST(SimulateKnobs, ReturningUsersSpreadTheDailyShareOfUserHours) {
  // The variance of the daily treatment share of user-hours, relative to a binomial split of
  // independent user-hours: about 1 + (2 a - 2) = 2.2 with a = 1.6 active hours per user and day.
  auto ratio = [](const SimulationKnobs& k) {
    double sum = 0;
    constexpr int kSeeds = 40;
    for (int s = 0; s < kSeeds; ++s) {
      GeneratorInput in = input(300 + static_cast<std::uint64_t>(s), k);
      in.metrics = {conversion()};
      const auto pts = first_points(in);
      std::vector<double> share, expected_var;
      for (std::size_t b = 0; b + 24 <= pts.size(); b += 24) {
        double t = 0, n = 0;
        for (std::size_t i = b; i < b + 24; ++i) {
          t += static_cast<double>(pts[i].treatment_sample_size);
          n += static_cast<double>(pts[i].treatment_sample_size + pts[i].control_sample_size);
        }
        share.push_back(t / n);
        expected_var.push_back(0.25 / n);
      }
      const double m = mean(share);
      double v = 0;
      for (double x : share) v += (x - m) * (x - m) / static_cast<double>(share.size() - 1);
      sum += v / mean(expected_var);
    }
    return sum / kSeeds;
  };
  const double independent_ratio = ratio(independent());
  const double returning_ratio = ratio(SimulationKnobs{});
  std::printf("[ knobs ] daily share variance / binomial: independent %.2f, returning users %.2f\n",
              independent_ratio, returning_ratio);
  EXPECT_NEAR(independent_ratio, 1.0, 0.25);
  EXPECT_NEAR(returning_ratio, 2.2, 0.5);
}

// ---- Level cycles, heavy tails, low traffic, gaps -------------------------------------------

TEST(SimulateKnobs, TheLevelFollowsTheWeek) {
  SimulationKnobs k = independent();
  k.weekly_amplitude = 0.10;
  GeneratorInput in = input(12, k);
  in.daily_traffic = 2e6;
  in.metrics = {conversion()};
  double weekend = 0, weekday = 0;
  int nw = 0, nd = 0;
  for (const auto& p : first_points(in)) {
    const auto wd = (p.timestamp / kSecondsPerDay + 4) % 7;  // 0 = Sunday
    if (wd == 0 || wd == 6) {
      weekend += p.control_value;
      ++nw;
    } else {
      weekday += p.control_value;
      ++nd;
    }
  }
  EXPECT_NEAR((weekend / nw) / (weekday / nd), 0.90 / 1.04, 0.01);
  k.daily_cycle_scale = 0.0;  // flat day
  in.knobs = k;
  double at8 = 0, at20 = 0;
  for (const auto& p : first_points(in)) {
    const auto h = (p.timestamp % kSecondsPerDay) / kSecondsPerHour;
    if (h == 8) at8 += p.control_value;
    if (h == 20) at20 += p.control_value;
  }
  EXPECT_NEAR(at20 / at8, 1.0, 0.03);
}

TEST(SimulateKnobs, RevenueIsHeavyTailedWithTheSameMean) {
  auto stats = [](double sigma, double* kurtosis) {
    SimulationKnobs k = independent();
    k.revenue_lognormal_sigma = sigma;
    std::vector<double> v;
    for (int s = 0; s < 10; ++s) {
      GeneratorInput in = input(40 + static_cast<std::uint64_t>(s), k);
      in.daily_traffic = 4000;
      in.metrics = {revenue()};
      for (const auto& p : first_points(in)) v.push_back(p.control_value);
    }
    const double m = mean(v);
    double m2 = 0, m4 = 0;
    for (double x : v) {
      m2 += (x - m) * (x - m);
      m4 += (x - m) * (x - m) * (x - m) * (x - m);
    }
    m2 /= static_cast<double>(v.size());
    m4 /= static_cast<double>(v.size());
    *kurtosis = m4 / (m2 * m2) - 3;
    return m;
  };
  double k_normal = 0, k_heavy = 0;
  const double mean_normal = stats(0.0, &k_normal);
  const double mean_heavy = stats(1.5, &k_heavy);
  std::printf("[ knobs ] hourly revenue per user: excess kurtosis %.2f (normal) vs %.2f (lognormal 1.5)\n",
              k_normal, k_heavy);
  // The hour-of-day cycle of traffic makes even normal hourly means a little heavy-tailed.
  EXPECT_LT(std::fabs(k_normal), 2.5);
  EXPECT_GT(k_heavy, 20.0);
  EXPECT_NEAR(mean_normal, 2.80, 0.05);
  EXPECT_NEAR(mean_heavy, 2.80, 0.15);
}

TEST(SimulateKnobs, LowTrafficLeavesEmptyHoursAndStaysFinite) {
  GeneratorInput in = input(77, SimulationKnobs{});
  in.daily_traffic = 150;
  int empty = 0;
  for (const auto& s : generate(in)) {
    for (const auto& p : s.points) {
      ASSERT_TRUE(std::isfinite(p.treatment_value) && std::isfinite(p.control_value));
      ASSERT_GE(p.treatment_value, 0.0);
      if (s.metric_id == "conversion_rate") {
        ASSERT_LE(p.treatment_value, 1.0);
        ASSERT_LE(p.control_value, 1.0);
      }
      empty += p.treatment_sample_size == 0 || p.control_sample_size == 0;
    }
  }
  EXPECT_GT(empty, 30);
}

TEST(SimulateKnobs, APreStartGapPersists) {
  SimulationKnobs k = independent();
  k.pre_gap = 0.05;
  GeneratorInput in = input(88, k);
  in.daily_traffic = 4e6;
  in.metrics = {conversion()};
  in.true_lift["conversion_rate"] = 0.05;
  double pt = 0, pc = 0, qt = 0, qc = 0;
  for (const auto& p : first_points(in)) {
    (p.timestamp < in.start_date ? pt : qt) += p.treatment_value;
    (p.timestamp < in.start_date ? pc : qc) += p.control_value;
  }
  EXPECT_NEAR(pt / pc, 1.05, 0.006);
  EXPECT_NEAR(qt / qc, 1.05 * 1.05, 0.006);
}

TEST(SimulateKnobs, OutOfRangeKnobsAreSanitised) {
  SimulationKnobs k;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  k.user_hours_per_user = nan;
  k.active_hours_per_user_day = -5;
  k.day_shock_common = 1e9;
  k.day_shock_difference = -1;
  k.hourly_ar = 7;
  k.hourly_ar_scale = std::numeric_limits<double>::infinity();
  k.weekly_amplitude = -40;
  k.novelty_boost = nan;
  k.novelty_decay_days = 0;
  k.revenue_lognormal_sigma = 1e6;
  k.pre_gap = -3;
  GeneratorInput in = input(2, k);
  in.expected_outcome = domain::ExpectedOutcome::kPositive;
  const auto out = generate_with_users(in);
  for (const auto& s : out.metrics) {
    for (const auto& p : s.points) {
      ASSERT_TRUE(std::isfinite(p.treatment_value) && std::isfinite(p.control_value)) << s.metric_id;
      ASSERT_GE(p.control_value, 0.0);
    }
  }
  EXPECT_GE(out.unique_users.treatment, 0);
  EXPECT_TRUE(std::isfinite(true_effect(in, conversion())));
}

}  // namespace
}  // namespace rallyuxr::simulate
