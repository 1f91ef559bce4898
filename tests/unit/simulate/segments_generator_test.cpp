// The generator's segments (issue 17): device segments with their traffic shares and lifts, each
// generated on its own streams, and the overall series as their exact per-hour sum; then
// stats::analyze_segments on the result.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/types.hpp"
#include "simulate/generator.hpp"
#include "stats/analysis.hpp"
#include "stats/segments.hpp"

namespace rallyuxr::simulate {
namespace {

constexpr domain::UnixSeconds kStart = 1736899200;  // 2025-01-15T00:00:00Z

GeneratorInput segmented(std::uint64_t seed = 7) {
  GeneratorInput in;
  in.start_date = kStart;
  in.end_date = kStart + 14 * domain::kSecondsPerDay;
  in.expected_outcome = domain::ExpectedOutcome::kPositive;
  in.metrics = {{"conversion_rate", "%", domain::Direction::kIncrease},
                {"revenue_per_user", "$", domain::Direction::kIncrease},
                {"bounce_rate", "%", domain::Direction::kDecrease}};
  in.seed = seed;
  in.pre_period_days = 7;
  in.daily_traffic = 20000;
  in.segments = device_segments();
  return in;
}

TEST(SimulateSegments, DevicePresetAveragesToTheExperimentsLift) {
  const auto segs = device_segments();
  ASSERT_EQ(segs.size(), 3u);
  double share = 0, lift = 0;
  for (const auto& s : segs) {
    share += s.traffic_share;
    lift += s.traffic_share * s.lift_multiplier;
  }
  EXPECT_NEAR(share, 1.0, 1e-12);
  EXPECT_NEAR(lift, 1.0, 1e-12);
  EXPECT_EQ(segs[0].name, "desktop");
  EXPECT_EQ(segs[1].name, "mobile");
  EXPECT_EQ(segs[2].name, "tablet");
}

TEST(SimulateSegments, OverallIsTheExactPerHourSumOfTheSegments) {
  const GeneratorInput in = segmented();
  const GeneratorOutput out = generate_with_users(in);
  ASSERT_EQ(out.segments.size(), 1u);
  const auto& dim = out.segments.at("device");
  ASSERT_EQ(dim.size(), 3u);
  ASSERT_EQ(out.metrics.size(), 3u);
  std::int64_t ut = 0, uc = 0;
  for (const auto& [n, s] : dim) {
    ASSERT_TRUE(s.unique_users);
    ut += s.unique_users->treatment;
    uc += s.unique_users->control;
  }
  EXPECT_EQ(out.unique_users.treatment, ut);
  EXPECT_EQ(out.unique_users.control, uc);
  for (std::size_t m = 0; m < out.metrics.size(); ++m) {
    const auto& o = out.metrics[m];
    EXPECT_EQ(o.metric_id, in.metrics[m].metric_id);
    ASSERT_EQ(o.points.size(), static_cast<std::size_t>(21 * 24));
    for (std::size_t i = 0; i < o.points.size(); ++i) {
      std::int64_t nt = 0, nc = 0;
      double st = 0, sc = 0;
      for (const auto& [n, s] : dim) {
        const auto& p = s.series[m].points[i];
        ASSERT_EQ(p.timestamp, o.points[i].timestamp);
        nt += p.treatment_sample_size;
        nc += p.control_sample_size;
        st += p.treatment_value * static_cast<double>(p.treatment_sample_size);
        sc += p.control_value * static_cast<double>(p.control_sample_size);
      }
      EXPECT_EQ(o.points[i].treatment_sample_size, nt);
      EXPECT_EQ(o.points[i].control_sample_size, nc);
      EXPECT_DOUBLE_EQ(o.points[i].treatment_value, st / static_cast<double>(nt));
      EXPECT_DOUBLE_EQ(o.points[i].control_value, sc / static_cast<double>(nc));
    }
  }
}

TEST(SimulateSegments, SharesLiftsAndDeterminism) {
  const GeneratorInput in = segmented();
  const GeneratorOutput a = generate_with_users(in);
  const GeneratorOutput b = generate_with_users(in);
  for (const auto& [n, s] : a.segments.at("device")) {
    const auto& t = b.segments.at("device").at(n);
    for (std::size_t m = 0; m < s.series.size(); ++m)
      for (std::size_t i = 0; i < s.series[m].points.size(); ++i) {
        EXPECT_EQ(s.series[m].points[i].treatment_value, t.series[m].points[i].treatment_value);
        EXPECT_EQ(s.series[m].points[i].control_sample_size, t.series[m].points[i].control_sample_size);
      }
  }
  // Traffic shares near 55 / 35 / 10%.
  stats::AnalysisInput ain;
  ain.start_date = in.start_date;
  ain.end_date = in.end_date;
  ain.metrics = a.metrics;
  const auto shares = stats::traffic_shares(ain, a.segments.at("device"));
  EXPECT_NEAR(shares.at("desktop"), 0.55, 0.01);
  EXPECT_NEAR(shares.at("mobile"), 0.35, 0.01);
  EXPECT_NEAR(shares.at("tablet"), 0.10, 0.01);
  // True lifts: the metric's lift times the segment's multiplier.
  for (const auto& s : in.segments) {
    const GeneratorInput si = segment_input(in, s);
    for (const auto& m : in.metrics) {
      EXPECT_DOUBLE_EQ(applied_relative_lift(si, m), applied_relative_lift(in, m) * s.lift_multiplier);
    }
    EXPECT_DOUBLE_EQ(*si.daily_traffic, 20000 * s.traffic_share);
    EXPECT_NE(si.seed, in.seed);
  }
  // A different seed gives different data; no segments give the plain generator's output.
  const GeneratorOutput c = generate_with_users(segmented(8));
  EXPECT_NE(c.metrics[0].points[200].treatment_value, a.metrics[0].points[200].treatment_value);
  GeneratorInput plain = in;
  plain.segments.clear();
  const GeneratorOutput p = generate_with_users(plain);
  EXPECT_TRUE(p.segments.empty());
}

TEST(SimulateSegments, TheAnalysisPerSegmentRunsOnTheSimulatorsOutput) {
  const GeneratorInput in = segmented(11);
  const GeneratorOutput out = generate_with_users(in);
  stats::AnalysisInput ain;
  ain.start_date = in.start_date;
  ain.end_date = in.end_date;
  ain.metrics = out.metrics;
  ain.unique_users = out.unique_users;
  ain.pricing["conversion_rate"] = {1500, 0.01, domain::Direction::kIncrease};
  const auto overall = stats::analyze(ain);
  const auto segs = stats::analyze_segments(ain, out.segments);
  const auto& dev = segs.segments.at("device");
  ASSERT_EQ(dev.size(), 3u);
  double dollars = 0;
  for (const auto& [n, r] : dev) {
    EXPECT_EQ(r.srm.method, "users") << n;
    EXPECT_EQ(r.did_results.size(), 3u);
    ASSERT_TRUE(r.economic_impact.total_impact) << n;
    dollars += *r.economic_impact.total_impact;
  }
  // Hourly shares vary a little around the segment's share, so the split is close, not exact.
  ASSERT_TRUE(overall.economic_impact.total_impact);
  const double overall_dollars = *overall.economic_impact.total_impact;
  const double width = overall.economic_impact.total_impact_interval->upper - overall.economic_impact.total_impact_interval->lower;
  EXPECT_LT(std::fabs(dollars - overall_dollars), 0.05 * width) << dollars << " vs " << overall_dollars;
  EXPECT_EQ(segs.heterogeneity.at("device").at("conversion_rate").segments, 3u);
}

}  // namespace
}  // namespace rallyuxr::simulate
