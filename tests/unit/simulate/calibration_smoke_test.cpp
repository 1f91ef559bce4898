// A small, fast version of the calibration benchmark (bench/calibration.cpp, `make bench-stats`):
// 200 A/A and 200 lifted replications of two simulator families, with bounds loose enough for that
// many replications (a coverage's sd is about 1.1 points over 400 runs, a false-positive rate's
// about 1.5 points over 200) but tight enough to catch an analysis that treats hours as independent.
// The harness is compiled into this test from bench/ (the unit-test target takes tests/unit/**; the
// harness stays with the benchmark because simulate must not depend on stats).
#include "../../../bench/calibration_harness.cpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace rallyuxr::calibration {
namespace {

constexpr int kReplications = 200;

struct Scores {
  double coverage[kMetrics];
  double coverage_total;
  double false_positives;
  double false_positives_total;
  double peeking;
  double power;
};

Scores score(const std::string& family, Method method, int post_days = 14) {
  const Family* f = find_family(family);
  EXPECT_NE(f, nullptr) << family;
  const Summary aa = run_cell({f, post_days, 7, 0.0}, method, kReplications, 2);
  const Summary lift = run_cell({f, post_days, 7, 0.05}, method, kReplications, 2);
  Scores s{};
  const double runs = aa.runs + lift.runs;
  for (int m = 0; m < kMetrics; ++m) s.coverage[m] = 100.0 * (aa.covered[m] + lift.covered[m]) / runs;
  s.coverage_total = 100.0 * (aa.total_covered + lift.total_covered) / runs;
  s.false_positives = 100.0 * aa.excludes_zero[0] / aa.runs;
  s.false_positives_total = 100.0 * aa.total_excludes_zero / aa.runs;
  s.peeking = aa.peeking_runs > 0 ? 100.0 * aa.peeking_positive / aa.peeking_runs : -1;
  s.power = 100.0 * lift.right_side[0] / lift.runs;
  std::printf("[ calibration ] %-12s %-8s coverage %.1f%% / %.1f%% / $ %.1f%%, A/A false positives %.1f%% / $ %.1f%%, "
              "daily peeking %.1f%%, power %.1f%%\n",
              family.c_str(), to_string(method), s.coverage[0], s.coverage[1], s.coverage_total, s.false_positives,
              s.false_positives_total, s.peeking, s.power);
  return s;
}

void expect_calibrated(const Scores& s, const std::string& what) {
  for (int m = 0; m < kMetrics; ++m) {
    EXPECT_GE(s.coverage[m], 91.0) << what << " " << kMetricIds[m];
    EXPECT_LE(s.coverage[m], 99.0) << what << " " << kMetricIds[m];
  }
  EXPECT_GE(s.coverage_total, 91.0) << what;
  EXPECT_LE(s.coverage_total, 99.0) << what;
  EXPECT_LE(s.false_positives, 10.0) << what;
  EXPECT_LE(s.false_positives_total, 10.0) << what;
}

TEST(CalibrationSmoke, ResultsDoNotDependOnTheThreadCount) {
  const Cell cell{find_family("realistic"), 14, 7, 0.05};
  const Summary one = run_cell(cell, Method::kBlocks, 40, 1);
  const Summary two = run_cell(cell, Method::kBlocks, 40, 2);
  EXPECT_EQ(one.runs, 40);
  for (int m = 0; m < kMetrics; ++m) {
    EXPECT_EQ(one.covered[m], two.covered[m]);
    EXPECT_EQ(one.mean_width[m], two.mean_width[m]);
  }
  EXPECT_EQ(one.total_covered, two.total_covered);
  EXPECT_EQ(one.peeking_positive, two.peeking_positive);
  EXPECT_EQ(one.mean_lag1_acf, two.mean_lag1_acf);
  EXPECT_NE(replication_seed(cell, 0), replication_seed(cell, 1));
}

TEST(CalibrationSmoke, TheSimulatorIsHardEnoughToDefeatHourlyInference) {
  // Method 1 (every hour an observation) is right on independent hours and wrong on realistic ones:
  // the benchmark can tell a calibrated analysis from one that is not.
  const Scores independent = score("independent", Method::kHourly);
  expect_calibrated(independent, "hourly on independent hours");
  const Scores realistic = score("realistic", Method::kHourly);
  EXPECT_LT(realistic.coverage[0], 89.0);
  EXPECT_GT(realistic.false_positives, 10.0);
  EXPECT_GT(realistic.peeking, 25.0);  // p < 0.05 at some daily look
}

TEST(CalibrationSmoke, TheAnalysisIsCalibratedOnIndependentAndRealisticData) {
  for (const char* family : {"independent", "realistic"}) {
    const Scores s = score(family, Method::kAnalyze);
    expect_calibrated(s, std::string("stats::analyze on ") + family);
    EXPECT_GE(s.peeking, 0.0) << family;  // the analysis has a sequential interval
    EXPECT_LE(s.peeking, 8.0) << family;  // decisive at some daily look in an A/A test
  }
}

TEST(CalibrationSmoke, TheAnalysisAgreesWithTheSpecRestatedOnSimulatedData) {
  // The harness restates method 2 from the spec (daily blocks, Welch or one-sample t, the sequential
  // interval); on realistic simulated data stats::analyze gives the same intervals and decisions.
  int compared = 0;
  for (const char* family : {"realistic", "low-traffic"}) {
    for (auto design : {domain::AnalysisDesign::kDid, domain::AnalysisDesign::kPaired}) {
      const Cell cell{find_family(family), 14, 7, 0.05, design};
      for (int r = 0; r < 10; ++r) {
        const auto seed = replication_seed(cell, r);
        const Replication a = run_replication(cell, Method::kAnalyze, seed);
        const Replication b = run_replication(cell, Method::kBlocks, seed);
        for (int m = 0; m < kMetrics; ++m) {
          ASSERT_EQ(a.interval[m], b.interval[m]) << family << " " << r;
          if (!a.interval[m]) continue;
          EXPECT_NEAR(a.lower[m], b.lower[m], 1e-9 * a.width[m]) << family << " " << r;
          EXPECT_NEAR(a.upper[m], b.upper[m], 1e-9 * a.width[m]) << family << " " << r;
          ++compared;
        }
        EXPECT_EQ(a.total_covered, b.total_covered) << family << " " << r;
        EXPECT_EQ(a.peeking_positive, b.peeking_positive) << family << " " << r;
        EXPECT_NEAR(a.sequential_width, b.sequential_width, 1e-9 * b.sequential_width) << family << " " << r;
      }
    }
  }
  EXPECT_EQ(compared, 2 * 2 * 10 * kMetrics);
}

}  // namespace
}  // namespace rallyuxr::calibration
