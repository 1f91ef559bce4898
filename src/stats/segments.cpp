// Analysis per segment; see segments.hpp and docs/statistics.md ("Segments").
//
// Every figure of a segment comes from analyze() itself, run on an AnalysisInput that is the
// overall one with the segment's series, its unique users and its share of the dollars; only the
// correction (across the segments of a dimension instead of across metrics) and Cochran's Q are
// added here.
#include "stats/segments.hpp"
#include "stats/math_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>

namespace rallyuxr::stats {
namespace {

namespace bm = boost::math;
using Policy = MathPolicy;
using ChiSquared = bm::chi_squared_distribution<double, Policy>;
using FisherF = bm::fisher_f_distribution<double, Policy>;

// The alpha analyze() uses for a confidence level (95 when the level is out of range).
double alpha_of(double confidence_level) {
  if (!(std::isfinite(confidence_level) && confidence_level > 0 && confidence_level < 100)) confidence_level = 95;
  return (100 - confidence_level) / 100;
}

// The experiment's metric ids in its order, each once (as analyze() takes them).
std::vector<std::string> metric_order(const AnalysisInput& overall) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (const auto& m : overall.metrics)
    if (seen.insert(m.metric_id).second) ids.push_back(m.metric_id);
  return ids;
}

const domain::MetricSeries* find_series(const domain::SegmentSeries& seg, const std::string& id) {
  for (const auto& s : seg.series)
    if (s.metric_id == id) return &s;
  return nullptr;
}

// Sample size (treatment + control) over the usable hours of the post period, as analyze() sums
// sampleSizeTreatment and sampleSizeControl.
double post_sample_size(const domain::MetricSeries& s, domain::UnixSeconds start, domain::UnixSeconds end) {
  double n = 0;
  for (const auto& p : s.points) {
    if (p.timestamp < start || p.timestamp >= end) continue;
    if (!(p.treatment_sample_size > 0 && p.control_sample_size > 0 && std::isfinite(p.treatment_value) &&
          std::isfinite(p.control_value)))
      continue;
    n += static_cast<double>(p.treatment_sample_size) + static_cast<double>(p.control_sample_size);
  }
  return n;
}

}  // namespace

Heterogeneity cochran_q(const std::vector<double>& d, const std::vector<double>& se, double alpha) {
  return cochran_q(d, se, {}, alpha);
}

Heterogeneity cochran_q(const std::vector<double>& d, const std::vector<double>& se, const std::vector<double>& df,
                        double alpha) {
  Heterogeneity h;
  const std::size_t k = std::min(d.size(), se.size());
  h.segments = k;
  if (k < 2) return h;
  // Two passes: the weighted mean, then the weighted squared deviations from it (exactly 0 when the
  // estimates are equal).
  double sw = 0, swd = 0;
  std::vector<double> w(k);
  for (std::size_t i = 0; i < k; ++i) {
    w[i] = 1 / (se[i] * se[i]);
    sw += w[i];
    swd += w[i] * d[i];
  }
  const double mean = swd / sw;
  double q = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double dev = d[i] - mean;
    q += w[i] * dev * dev;
  }
  h.df = static_cast<int>(k - 1);
  if (!std::isfinite(q)) {
    // An estimate too extreme to weigh: no test rather than a made-up one.
    h.q = 0;
    h.df = 0;
    return h;
  }
  h.q = q;
  const double p = bm::cdf(bm::complement(ChiSquared(static_cast<double>(h.df)), q));
  h.p_value = std::isfinite(p) ? p : 1.0;
  h.significant = h.p_value < alpha;
  if (df.size() == k) {
    double a = 0;
    bool ok = true;
    for (std::size_t i = 0; i < k; ++i) {
      ok = ok && std::isfinite(df[i]) && df[i] > 0;
      const double r = 1 - w[i] / sw;
      a += r * r / df[i];
    }
    const double kd = static_cast<double>(k);
    if (ok && a > 0 && std::isfinite(a)) {
      Heterogeneity::Welch wl;
      wl.df1 = kd - 1;
      wl.df2 = (kd * kd - 1) / (3 * a);
      wl.f = (q / wl.df1) / (1 + 2 * (kd - 2) * a / (kd * kd - 1));
      const double wp = bm::cdf(bm::complement(FisherF(wl.df1, wl.df2), wl.f));
      if (std::isfinite(wl.f) && std::isfinite(wl.df2) && std::isfinite(wp)) {
        wl.p_value = wp;
        h.welch = wl;
        // Q's chi-square flags 7-10% of experiments without any difference, since each segment's
        // standard error rests on a few days; Welch's test flags 4-6% (statistics.md, calibration).
        // So `significant` is Welch's wherever it can be computed, Q's only where it cannot.
        h.significant = wp < alpha;
      }
    }
  }
  return h;
}

std::map<std::string, double> traffic_shares(const AnalysisInput& overall,
                                             const domain::DimensionSegments& dimension) {
  std::map<std::string, double> shares;
  const std::vector<std::string> ids = metric_order(overall);
  double total = 0;
  std::map<std::string, double> sizes;
  for (const auto& [name, seg] : dimension) {
    const domain::MetricSeries* s = ids.empty() ? nullptr : find_series(seg, ids.front());
    const double n = s ? post_sample_size(*s, overall.start_date, overall.end_date) : 0.0;
    sizes[name] = n;
    total += n;
  }
  for (const auto& [name, n] : sizes) shares[name] = total > 0 && std::isfinite(total) ? n / total : 0.0;
  return shares;
}

SegmentsOutput analyze_segments(const AnalysisInput& overall, const domain::Segments& segments) {
  SegmentsOutput out;
  if (segments.empty()) return out;
  const std::vector<std::string> ids = metric_order(overall);
  const double alpha = alpha_of(overall.confidence_level);

  // Everything of the overall input but its series (copied once, not per segment).
  AnalysisInput base = overall;
  base.metrics.clear();
  base.metrics.shrink_to_fit();

  std::map<std::string, domain::Direction> direction;
  for (const auto& [id, pr] : overall.pricing) direction[id] = pr.direction;

  for (const auto& [dim, dimension] : segments) {
    auto& dim_out = out.segments[dim];
    const std::map<std::string, double> shares = traffic_shares(overall, dimension);
    for (const auto& [name, seg] : dimension) {
      const double share = shares.at(name);
      AnalysisInput in = base;
      for (const auto& id : ids)
        if (const auto* s = find_series(seg, id)) in.metrics.push_back(*s);
      in.unique_users = seg.unique_users;
      for (auto& [id, pr] : in.pricing) pr.dollars_per_unit *= share;
      if (in.implementation_cost) *in.implementation_cost *= share;
      AnalysisOutput a = analyze(in);
      SegmentResult r;
      r.did_results = std::move(a.did_results);
      r.economic_impact = std::move(a.economic_impact);
      r.srm = std::move(a.srm);
      r.traffic_share = share;
      dim_out.emplace(name, std::move(r));
    }

    // The correction across the segments of this dimension, metric by metric.
    auto& het_out = out.heterogeneity[dim];
    for (const auto& id : ids) {
      std::vector<MetricResult*> results;
      std::vector<std::string> names;
      for (auto& [name, r] : dim_out) {
        if (auto it = r.did_results.find(id); it != r.did_results.end()) {
          results.push_back(&it->second);
          names.push_back(name);
        }
      }
      const auto dit = direction.find(id);
      const domain::Direction dir = dit == direction.end() ? domain::Direction::kIncrease : dit->second;
      correct_results(results, std::vector<domain::Direction>(results.size(), dir), overall.correction, alpha);

      // Cochran's Q over the segments with an estimate.
      std::vector<double> d, se, dfs;
      std::vector<std::string> skipped;
      for (auto& [name, r] : dim_out) {
        const auto it = r.did_results.find(id);
        const MetricResult* m = it == r.did_results.end() ? nullptr : &it->second;
        if (m && m->p_value && m->absolute_difference && m->standard_error && *m->standard_error > 0 &&
            std::isfinite(*m->standard_error)) {
          d.push_back(*m->absolute_difference);
          se.push_back(*m->standard_error);
          dfs.push_back(m->degrees_of_freedom.value_or(std::numeric_limits<double>::quiet_NaN()));
        } else {
          skipped.push_back(name);
        }
      }
      Heterogeneity h = cochran_q(d, se, dfs, alpha);
      h.skipped = std::move(skipped);
      het_out[id] = std::move(h);
    }

    // significantImpact follows the segment's own (corrected) verdicts.
    for (auto& [name, r] : dim_out) {
      double sig = 0;
      for (const auto& [id, mi] : r.economic_impact.metric_breakdown) {
        const auto it = r.did_results.find(id);
        if (mi.counted_in_total && mi.dollar_impact && it != r.did_results.end() && it->second.significant)
          sig += *mi.dollar_impact;
      }
      r.economic_impact.significant_impact = std::isfinite(sig) ? sig : 0;
    }
  }
  return out;
}

}  // namespace rallyuxr::stats
