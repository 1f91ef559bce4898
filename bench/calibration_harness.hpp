// The calibration harness: simulated experiments with a known truth, analysed, and scored for the
// coverage of the 95% interval, false positives, power and the false positives of daily peeking.
// bench/calibration.cpp (`make bench-stats`) runs it on every simulator family at 1,000+
// replications; tests/unit/simulate/calibration_smoke_test.cpp runs a small version of it.
// Deterministic: replication r of a cell has its own seed, and results do not depend on the number
// of threads. It lives with the benchmarks because it joins two modules that must not depend on
// each other (simulate and stats).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulate/generator.hpp"

namespace rallyuxr::calibration {

using simulate::GeneratorInput;
using simulate::SimulationKnobs;

// A simulator family: knobs (and traffic) describing one way real data are hard.
struct Family {
  std::string id;
  std::string description;
  SimulationKnobs knobs;
  std::optional<double> daily_traffic;  // user-hours per day; the generator's default when unset
};

// The benchmark's families, in table order: independent hours, hourly AR(1) 0.3 / 0.5 / 0.7,
// day shocks, heavy tails, low traffic, novelty, the realistic mix (the generator's defaults) and a
// persistent pre-period gap.
std::vector<Family> families();
const Family* find_family(const std::string& id);

// Which estimator scores the replications.
enum class Method {
  kAnalyze,  // stats::analyze as built (the product's method)
  kHourly,   // method 1: every hour an observation (Welch on hourly differences), restated here
  kBlocks,   // method 2 from the spec (daily blocks, Welch, the sequential interval), restated here
};
const char* to_string(Method m);
std::optional<Method> parse_method(const std::string& s);

struct Cell {
  const Family* family = nullptr;
  int post_days = 14;
  int pre_days = 7;
  double lift = 0.0;  // relative lift applied to both metrics (0 = A/A)
  // The pre-registered design (method 2; method 1 always subtracts a pre period of >= 2 hours).
  domain::AnalysisDesign design = domain::AnalysisDesign::kDid;
};

// The two metrics every replication analyses: conversion rate (a rate) and revenue per user
// (money; heavy-tailed when the family says so), both priced, so that the dollar total has a truth.
inline constexpr int kMetrics = 2;
inline const char* const kMetricIds[kMetrics] = {"conversion_rate", "revenue_per_user"};

struct Replication {
  bool interval[kMetrics] = {};        // the metric's 95% interval exists
  bool covered[kMetrics] = {};         // ... and contains the true effect
  bool excludes_zero[kMetrics] = {};   // ... and excludes 0
  bool right_side[kMetrics] = {};      // ... and lies entirely on the true effect's side of 0
  double width[kMetrics] = {};
  double lower[kMetrics] = {};         // the interval itself (for cross-checks between methods)
  double upper[kMetrics] = {};
  bool total_interval = false;         // the dollar total's interval exists
  bool total_covered = false;
  bool total_excludes_zero = false;
  std::optional<bool> peeking_positive;  // conversion: "significant" at some daily look
  double sequential_width = 0;         // conversion's sequential interval width (0 when none)
  bool srm_detected = false;
  double lag1_acf = 0;                 // of conversion's post-period hourly difference
  double lag24_acf = 0;
};

// One replication: generate with seed `seed`, analyse, score against the truth.
Replication run_replication(const Cell& cell, Method method, std::uint64_t seed);

// A cell's seed for replication r (stable across runs and thread counts).
std::uint64_t replication_seed(const Cell& cell, int r);

struct Summary {
  int runs = 0;
  int interval[kMetrics] = {};
  int covered[kMetrics] = {};
  int excludes_zero[kMetrics] = {};
  int right_side[kMetrics] = {};
  double mean_width[kMetrics] = {};
  int total_interval = 0;
  int total_covered = 0;
  int total_excludes_zero = 0;
  int peeking_runs = 0;
  int peeking_positive = 0;
  double mean_sequential_width = 0;
  int srm_detected = 0;
  double mean_lag1_acf = 0;
  double mean_lag24_acf = 0;
  void add(const Replication& r);
  void finish();  // means from sums
};

// Runs `replications` replications of a cell on `threads` threads (>= 1).
Summary run_cell(const Cell& cell, Method method, int replications, int threads);

// ---- Segments (issue 17) ----
// Device segments at the preset's traffic shares (55 / 35 / 10%), analysed by
// stats::analyze_segments. `heterogeneous`: each segment's lift is the cell's times the preset's
// multiplier (1.3 / 0.8 / 0.05); otherwise every segment has the cell's lift (no heterogeneity, so
// Cochran's Q should flag about alpha = 5% of the experiments).
struct SegmentCell {
  const Family* family = nullptr;
  int post_days = 14;
  int pre_days = 7;
  double lift = 0.05;
  bool heterogeneous = false;
};

struct SegmentReplication {
  int intervals = 0;                 // segment x metric 95% intervals that exist
  int covered = 0;                   // ... and contain the segment's true effect
  int q_tests[kMetrics] = {};        // Cochran's Q was computed (>= 2 segments with an estimate)
  int q_significant[kMetrics] = {};  // ... and p < 0.05
  int welch_tests[kMetrics] = {};    // Welch's version was computed
  int welch_significant[kMetrics] = {};
  bool split = false;                // the overall and every segment have a dollar total
  double split_gap = 0;              // |sum of segment totals - overall total| / overall interval width
};

struct SegmentSummary {
  int runs = 0;
  long intervals = 0;
  long covered = 0;
  int q_tests[kMetrics] = {};
  int q_significant[kMetrics] = {};
  int welch_tests[kMetrics] = {};
  int welch_significant[kMetrics] = {};
  int splits = 0;
  double mean_split_gap = 0;
  double max_split_gap = 0;
};

std::uint64_t segment_replication_seed(const SegmentCell& cell, int r);
SegmentReplication run_segment_replication(const SegmentCell& cell, std::uint64_t seed);
SegmentSummary run_segment_cell(const SegmentCell& cell, int replications, int threads);

}  // namespace rallyuxr::calibration
