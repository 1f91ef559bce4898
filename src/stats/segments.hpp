// Analysis per segment (issue 17, docs/statistics.md "Segments"): for every dimension and segment
// the overall analysis's own estimator (analyze() on the segment's series and unique users), its
// SRM check, dollars scaled by the segment's traffic share, the multiple-testing correction across
// the segments of a dimension for each metric, and Cochran's Q heterogeneity test per metric and
// dimension. Pure functions over plain data; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"
#include "stats/analysis.hpp"

namespace rallyuxr::stats {

struct SegmentResult {
  // The same estimator as the overall analysis, one entry per metric of the experiment that the
  // segment has a series for. adjustedPValue, adjustedConfidenceInterval, significant and verdict
  // are corrected across the segments of the dimension (for each metric), not across metrics.
  std::map<std::string, MetricResult> did_results;
  // Dollars scaled by the segment's traffic share: the overall dollars per unit (and the
  // implementation cost) times traffic_share, so metricValueUsed is the segment's share of it.
  EconomicImpact economic_impact;
  Srm srm;
  // The segment's share of the total sample size (treatment + control, usable hours of the post
  // period, the experiment's first metric) across the segments of its dimension; 0 when the
  // dimension has no such traffic at all.
  double traffic_share = 0;
};

// Cochran's Q over the segment estimates of one metric: Q = sum w_i (d_i - d_bar)^2, w_i = 1/se_i^2,
// d_bar = sum w_i d_i / sum w_i, df = k - 1, p = chi-square survival function of Q on df.
struct Heterogeneity {
  double q = 0;
  int df = 0;
  double p_value = 1;        // 1 (JSON null) when fewer than 2 segments have an estimate
  bool significant = false;  // p < alpha (the experiment's)
  std::size_t segments = 0;  // segments with an estimate (k)
  // Segments left out of Q because they have no estimate (no p-value: too few data, or a standard
  // error of zero), by name.
  std::vector<std::string> skipped;
  // Welch's small-sample version of the same comparison (Welch 1951: equal means under unequal,
  // estimated variances), which also uses each segment's degrees of freedom nu_i:
  // A = sum (1 - w_i/W)^2 / nu_i, F = (Q/(k-1)) / (1 + 2(k-2)A/(k^2-1)), df1 = k-1,
  // df2 = (k^2-1)/(3A), p = F survival function. Q treats each se_i as known; with se_i estimated from
  // a few daily blocks its chi-square p-value is too small (docs/statistics.md, calibration), and this
  // one is the better calibrated. Set when k >= 2 and every nu_i is finite and > 0.
  struct Welch {
    double f = 0;
    double df1 = 0;
    double df2 = 0;
    double p_value = 1;
  };
  std::optional<Welch> welch;
};

struct SegmentsOutput {
  std::map<std::string, std::map<std::string, SegmentResult>> segments;       // dimension -> segment
  std::map<std::string, std::map<std::string, Heterogeneity>> heterogeneity;  // dimension -> metric id
};

// `overall` is the input of the overall analysis (its series are the overall figures); its dates,
// confidence level, split, correction, design, pricing, value groups and running flag apply to
// every segment.
SegmentsOutput analyze_segments(const AnalysisInput& overall, const domain::Segments& segments);

// The traffic shares of one dimension's segments as analyze_segments computes them.
std::map<std::string, double> traffic_shares(const AnalysisInput& overall, const domain::DimensionSegments& dimension);

// Cochran's Q on estimates d_i with standard errors se_i (all finite, se_i > 0), at level alpha;
// with the segments' degrees of freedom `df` (same length) also Welch's version.
Heterogeneity cochran_q(const std::vector<double>& d, const std::vector<double>& se, double alpha);
Heterogeneity cochran_q(const std::vector<double>& d, const std::vector<double>& se, const std::vector<double>& df,
                        double alpha);

}  // namespace rallyuxr::stats
