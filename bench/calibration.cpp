// The calibration benchmark (`make bench-stats`): every simulator family, 14- and 28-day designs
// with a 7-day pre period, A/A and a 5% lift, N replications each; prints a markdown table of the
// coverage of the 95% intervals, false positives, power and the daily-peeking false positives.
//
//   rallyuxr_calibration [--replications N] [--threads T] [--method analyze|hourly|blocks]
//                        [--families id,id,...] [--days 14,28] [--design did|paired] [--check N]
//                        [--segments N] [--segment-families id,id,...] [--segments-only]
//
// --method analyze (the default) scores stats::analyze as built; hourly is method 1 (every hour an
// observation) and blocks is method 2 restated from the spec inside the harness. --check N compares
// the harness's restatement of method 2 with stats::analyze on N replications per family
// and exits non-zero when an interval differs by more than 1e-9 relative.
//
// Then the segments table (issue 17; --segments N replications per cell, default the same N, 0 to
// skip; --segment-families, default realistic,independent): device segments at 55 / 35 / 10% of the
// traffic analysed by stats::analyze_segments, with equal lifts (5% in every segment: Cochran's Q
// false positives) and with the device preset's different lifts (Q's power); coverage of the
// segments' 95% intervals of their own true effects, and how far the segments' dollar totals are from
// the overall total (as a share of the overall total's interval width).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "calibration_harness.hpp"

using namespace rallyuxr::calibration;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

double pct(int k, int n) { return n > 0 ? 100.0 * k / n : std::nan(""); }

std::string fmt_pct(double v, bool ok = true) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%%s", v, ok ? "" : " ✗");
  return b;
}

bool coverage_ok(double v) { return v >= 93.0 && v <= 97.0; }

int run_check(const std::vector<const Family*>& fams, int n) {
  std::printf("cross-check: stats::analyze against the harness's %s restatement of method 2, %d replications "
              "per family, length, arm and design\n", to_string(Method::kBlocks), n);
  double worst = 0, worst_sequential = 0;
  long compared = 0, mismatched_existence = 0, decisions_differ = 0, totals_differ = 0;
  for (const Family* f : fams) {
    for (int days : {14, 28}) {
      for (int cell_index = 0; cell_index < 4; ++cell_index) {
        const double lift = cell_index % 2 == 0 ? 0.0 : 0.05;
        const auto design = cell_index < 2 ? rallyuxr::domain::AnalysisDesign::kDid
                                           : rallyuxr::domain::AnalysisDesign::kPaired;
        Cell cell{f, days, 7, lift, design};
        for (int r = 0; r < n; ++r) {
          const auto seed = replication_seed(cell, r);
          const Replication a = run_replication(cell, Method::kAnalyze, seed);
          const Replication b = run_replication(cell, Method::kBlocks, seed);
          // The sequential interval and its decision, and the dollar total's interval.
          const double scale = std::max({std::fabs(a.sequential_width), std::fabs(b.sequential_width), 1e-300});
          worst_sequential = std::max(worst_sequential, std::fabs(a.sequential_width - b.sequential_width) / scale);
          decisions_differ += a.peeking_positive != b.peeking_positive;
          totals_differ += a.total_interval != b.total_interval || a.total_covered != b.total_covered ||
                           a.total_excludes_zero != b.total_excludes_zero;
          for (int m = 0; m < kMetrics; ++m) {
            if (a.interval[m] != b.interval[m]) {
              ++mismatched_existence;
              continue;
            }
            if (!a.interval[m]) continue;
            for (auto [x, y] : {std::pair{a.lower[m], b.lower[m]}, std::pair{a.upper[m], b.upper[m]}}) {
              const double scale = std::max({std::fabs(x), std::fabs(y), std::fabs(a.width[m])});
              worst = std::max(worst, std::fabs(x - y) / scale);
            }
            ++compared;
          }
        }
      }
    }
  }
  std::printf("compared %ld intervals: largest difference %.3g relative to the interval's size; %ld "
              "disagreed on whether an interval exists; dollar totals scored differently: %ld\n", compared, worst,
              mismatched_existence, totals_differ);
  std::printf("sequential intervals (conversion): largest relative difference in width %.3g; decisions that "
              "differ: %ld\n", worst_sequential, decisions_differ);
  return worst <= 1e-9 && worst_sequential <= 1e-9 && mismatched_existence == 0 && decisions_differ == 0 &&
                 totals_differ == 0
             ? 0
             : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int replications = 1000;
  int threads = static_cast<int>(std::max(1u, std::min(2u, std::thread::hardware_concurrency())));
  Method method = Method::kAnalyze;
  std::vector<std::string> family_ids;
  std::vector<int> designs{14, 28};
  int check = 0;
  auto design = rallyuxr::domain::AnalysisDesign::kDid;
  int segment_replications = -1;
  bool segments_only = false;
  std::vector<std::string> segment_family_ids{"realistic", "independent"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--replications") replications = std::atoi(value().c_str());
    else if (a == "--threads") threads = std::atoi(value().c_str());
    else if (a == "--method") {
      const auto m = parse_method(value());
      if (!m) {
        std::fprintf(stderr, "--method: analyze, hourly or blocks\n");
        return 2;
      }
      method = *m;
    } else if (a == "--families") family_ids = split(value());
    else if (a == "--days") {
      designs.clear();
      for (const auto& d : split(value())) designs.push_back(std::atoi(d.c_str()));
    } else if (a == "--design") {
      const std::string d = value();
      if (d != "did" && d != "paired") {
        std::fprintf(stderr, "--design: did or paired\n");
        return 2;
      }
      design = d == "did" ? rallyuxr::domain::AnalysisDesign::kDid : rallyuxr::domain::AnalysisDesign::kPaired;
    } else if (a == "--check") check = std::atoi(value().c_str());
    else if (a == "--segments") segment_replications = std::atoi(value().c_str());
    else if (a == "--segment-families") segment_family_ids = split(value());
    else if (a == "--segments-only") segments_only = true;
    else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of bench/calibration.cpp)\n", a.c_str());
      return 2;
    }
  }
  if (replications < 1 || threads < 1) {
    std::fprintf(stderr, "--replications and --threads must be >= 1\n");
    return 2;
  }
  std::vector<const Family*> fams;
  static const std::vector<Family> all = families();
  if (family_ids.empty()) {
    for (const auto& f : all) fams.push_back(&f);
  } else {
    for (const auto& id : family_ids) {
      const Family* f = find_family(id);
      if (!f) {
        std::fprintf(stderr, "unknown family %s\n", id.c_str());
        return 2;
      }
      fams.push_back(f);
    }
  }
  if (check > 0) return run_check(fams, check);

  const bool method2 = method != Method::kHourly;
  const auto t0 = std::chrono::steady_clock::now();
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::printf("Calibration, %s: method %s (%s), design %s, %d replications per cell (A/A and a 5%% lift on both "
              "metrics), 7-day pre period, %d thread(s).\n\n",
              date, to_string(method), method2 ? "method 2: daily blocks" : "method 1: hourly observations",
              method2 ? (design == rallyuxr::domain::AnalysisDesign::kDid ? "did" : "paired") : "hourly did",
              replications, threads);
  if (!segments_only) {
    std::printf("| family | days | lag-1 ACF | coverage: conversion | coverage: revenue | coverage: $ total | "
                "A/A false positives: conversion | A/A false positives: $ total | power (5%% lift): conversion | "
                "power: $ total | daily peeking, A/A: %s | SRM flagged, A/A |\n",
                method2 ? "sequential decisive" : "p < 0.05 at some look");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  }
  int failures = 0;
  for (const Family* f : fams) {
    if (segments_only) break;
    for (int days : designs) {
      const Summary aa = run_cell({f, days, 7, 0.0, design}, method, replications, threads);
      const Summary lift = run_cell({f, days, 7, 0.05, design}, method, replications, threads);
      double cov[kMetrics];
      for (int m = 0; m < kMetrics; ++m) {
        cov[m] = pct(aa.covered[m] + lift.covered[m], aa.runs + lift.runs);
      }
      const double cov_total = pct(aa.total_covered + lift.total_covered, aa.runs + lift.runs);
      const double fp = pct(aa.excludes_zero[0], aa.runs);
      const double fp_total = pct(aa.total_excludes_zero, aa.runs);
      const double power = pct(lift.right_side[0], lift.runs);
      const double power_total = pct(lift.total_excludes_zero, lift.runs);  // truth > 0 in every family
      const double peek = pct(aa.peeking_positive, aa.peeking_runs);
      const double srm = pct(aa.srm_detected, aa.runs);
      const bool ok_cov0 = coverage_ok(cov[0]), ok_cov1 = coverage_ok(cov[1]), ok_covt = coverage_ok(cov_total);
      const bool ok_fp = fp <= 6.0, ok_fpt = fp_total <= 6.0;
      const bool ok_peek = !method2 || peek <= 5.0;
      failures += !ok_cov0 + !ok_cov1 + !ok_covt + !ok_fp + !ok_fpt + !ok_peek;
      std::printf("| %s | %d | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f->id.c_str(), days,
                  aa.mean_lag1_acf, fmt_pct(cov[0], ok_cov0).c_str(), fmt_pct(cov[1], ok_cov1).c_str(),
                  fmt_pct(cov_total, ok_covt).c_str(), fmt_pct(fp, ok_fp).c_str(), fmt_pct(fp_total, ok_fpt).c_str(),
                  fmt_pct(power).c_str(), fmt_pct(power_total).c_str(), fmt_pct(peek, ok_peek).c_str(),
                  fmt_pct(srm).c_str());
      std::fflush(stdout);
    }
  }
  if (segment_replications < 0) segment_replications = replications;
  if (segment_replications > 0) {
    std::printf("\nSegments: device desktop / mobile / tablet at 55 / 35 / 10%% of the traffic, a 5%% lift on both "
                "metrics, %d replications per row, design did, stats::analyze_segments.\n\n", segment_replications);
    std::printf("| family | days | segment lifts | coverage: segment intervals | Q flagged: conversion | "
                "Q flagged: revenue | Welch flagged: conversion | Welch flagged: revenue | "
                "$ split gap, mean / max (share of the overall interval) |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& id : segment_family_ids) {
      const Family* f = find_family(id);
      if (!f) {
        std::fprintf(stderr, "unknown family %s\n", id.c_str());
        return 2;
      }
      for (int days : designs) {
        for (bool het : {false, true}) {
          const SegmentSummary s = run_segment_cell({f, days, 7, 0.05, het}, segment_replications, threads);
          const double cov = s.intervals > 0 ? 100.0 * static_cast<double>(s.covered) / static_cast<double>(s.intervals)
                                             : std::nan("");
          const bool ok_cov = coverage_ok(cov);
          const double q0 = pct(s.q_significant[0], s.q_tests[0]);
          const double q1 = pct(s.q_significant[1], s.q_tests[1]);
          const bool ok_q0 = het || q0 <= 6.0, ok_q1 = het || q1 <= 6.0;
          const double w0 = pct(s.welch_significant[0], s.welch_tests[0]);
          const double w1 = pct(s.welch_significant[1], s.welch_tests[1]);
          const bool ok_w0 = het || w0 <= 6.0, ok_w1 = het || w1 <= 6.0;
          failures += !ok_cov + !ok_q0 + !ok_q1 + !ok_w0 + !ok_w1;
          std::printf("| %s | %d | %s | %s | %s | %s | %s | %s | %.3f / %.3f |\n", f->id.c_str(), days,
                      het ? "1.3 / 0.8 / 0.05 x 5%" : "equal (5%)", fmt_pct(cov, ok_cov).c_str(),
                      fmt_pct(q0, ok_q0).c_str(), fmt_pct(q1, ok_q1).c_str(), fmt_pct(w0, ok_w0).c_str(),
                      fmt_pct(w1, ok_w1).c_str(), s.mean_split_gap, s.max_split_gap);
          std::fflush(stdout);
        }
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n✗ marks a figure outside the goals (coverage 95%% +- 2%%, false positives <= 6%%, daily-peeking "
              "false positives of the sequential interval <= 5%%, Q false positives under equal lifts <= 6%%): %d. "
              "%.0f s.\n", failures, secs);
  return 0;
}
