// Analysis per segment (stats/segments.hpp) and its JSON (codec/analysis_json.hpp): the segment
// figures are analyze()'s on the segment's series, the dollars are split by traffic share and add up,
// the correction runs across the segments of a dimension, Cochran's Q skips segments without an
// estimate, and the document's `segments` / `heterogeneity` parse back to the same figures.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "codec/analysis_json.hpp"
#include "domain/types.hpp"
#include "stats/analysis.hpp"
#include "stats/multiple_testing.hpp"
#include "stats/segments.hpp"

namespace {

namespace json = boost::json;
namespace d = rallyuxr::domain;
namespace s = rallyuxr::stats;

constexpr d::UnixSeconds kStart = 1736899200;  // 2025-01-15T00:00:00Z
constexpr int kPreDays = 7;
constexpr int kPostDays = 14;

struct SegSpec {
  std::string name;
  std::int64_t size;  // per group and hour (fixed, so that every hour has the same traffic split)
  double lift;        // absolute, on metric "conv"
  double level;
};

// One dimension of segments with fixed hourly sample sizes, and the overall series as their
// per-hour sum (sample sizes added, values weighted by sample size).
struct Data {
  s::AnalysisInput overall;
  d::Segments segments;
};

Data make_data(const std::vector<SegSpec>& specs, std::uint64_t seed, bool with_users = false) {
  Data out;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const std::vector<std::string> metrics = {"conv", "revenue"};
  std::map<std::string, d::MetricSeries> overall;
  for (const auto& id : metrics) overall[id].metric_id = id;
  auto& dim = out.segments["device"];
  const int hours = (kPreDays + kPostDays) * 24;
  for (const auto& sp : specs) {
    d::SegmentSeries seg;
    for (const auto& id : metrics) {
      d::MetricSeries ms;
      ms.metric_id = id;
      const double scale = id == "conv" ? 0.01 : 1.0;
      for (int h = 0; h < hours; ++h) {
        const d::UnixSeconds ts = kStart - kPreDays * d::kSecondsPerDay + h * 3600;
        const bool post = ts >= kStart;
        const double se = scale * 3 / std::sqrt(static_cast<double>(sp.size));
        d::HourlyPoint p;
        p.timestamp = ts;
        p.control_value = sp.level * (id == "conv" ? 1.0 : 40.0) + se * noise(rng);
        p.treatment_value = sp.level * (id == "conv" ? 1.0 : 40.0) + (post ? sp.lift * (id == "conv" ? 1 : 30) : 0) +
                            se * noise(rng);
        p.treatment_sample_size = sp.size;
        p.control_sample_size = sp.size;
        ms.points.push_back(p);
      }
      seg.series.push_back(ms);
    }
    if (with_users) seg.unique_users = d::UniqueUsers{sp.size * 10, sp.size * 10 + 3};
    dim[sp.name] = seg;
  }
  // The overall series: per hour, sample sizes added, values weighted by sample size.
  for (std::size_t mi = 0; mi < metrics.size(); ++mi) {
    auto& o = overall[metrics[mi]];
    for (int h = 0; h < hours; ++h) {
      d::HourlyPoint p;
      double st = 0, sc = 0;
      for (const auto& [name, seg] : dim) {
        const auto& q = seg.series[mi].points[h];
        p.timestamp = q.timestamp;
        p.treatment_sample_size += q.treatment_sample_size;
        p.control_sample_size += q.control_sample_size;
        st += q.treatment_value * static_cast<double>(q.treatment_sample_size);
        sc += q.control_value * static_cast<double>(q.control_sample_size);
      }
      p.treatment_value = st / static_cast<double>(p.treatment_sample_size);
      p.control_value = sc / static_cast<double>(p.control_sample_size);
      o.points.push_back(p);
    }
  }
  auto& in = out.overall;
  in.start_date = kStart;
  in.end_date = kStart + kPostDays * d::kSecondsPerDay;
  for (const auto& id : metrics) in.metrics.push_back(overall[id]);
  in.pricing["conv"] = d::MetricPricing{5000, 0.01, d::Direction::kIncrease};
  in.pricing["revenue"] = d::MetricPricing{300, 1, d::Direction::kIncrease};
  in.implementation_cost = 10000;
  return out;
}

const std::vector<SegSpec> kDevices = {
    {"desktop", 550, 0.004, 0.05}, {"mobile", 350, 0.001, 0.03}, {"tablet", 100, 0.0, 0.04}};

json::object roundtrip(const json::object& o) { return json::parse(json::serialize(o)).as_object(); }

bool close(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

TEST(Segments, EachSegmentIsTheOverallEstimatorOnItsSeries) {
  const Data data = make_data(kDevices, 1);
  const auto out = s::analyze_segments(data.overall, data.segments);
  ASSERT_EQ(out.segments.size(), 1u);
  ASSERT_EQ(out.segments.at("device").size(), 3u);
  for (const auto& [name, seg] : data.segments.at("device")) {
    s::AnalysisInput in = data.overall;
    in.metrics = seg.series;
    const auto direct = s::analyze(in);
    const auto& r = out.segments.at("device").at(name);
    for (const auto& [id, m] : direct.did_results) {
      const auto& got = r.did_results.at(id);
      // The estimator's figures are the same numbers exactly: the same code on the same series.
      EXPECT_EQ(*m.absolute_difference, *got.absolute_difference) << name << " " << id;
      EXPECT_EQ(*m.standard_error, *got.standard_error) << name << " " << id;
      EXPECT_EQ(*m.p_value, *got.p_value) << name << " " << id;
      EXPECT_EQ(m.confidence_interval->lower, got.confidence_interval->lower);
      EXPECT_EQ(m.method, got.method);
      EXPECT_EQ(m.sample_size_treatment, got.sample_size_treatment);
    }
    EXPECT_EQ(direct.srm.method, r.srm.method);
    // Compared as optionals: equal group sizes every hour leave the daily shares without spread, so
    // neither has a p-value here (dereferencing the empty one read stale memory).
    EXPECT_EQ(direct.srm.p_value, r.srm.p_value);
    EXPECT_EQ(direct.srm.observed_treatment_share, r.srm.observed_treatment_share);
  }
}

TEST(Segments, TrafficSharesAreSampleSizeShares) {
  const Data data = make_data(kDevices, 2);
  const auto out = s::analyze_segments(data.overall, data.segments);
  const auto& dev = out.segments.at("device");
  EXPECT_DOUBLE_EQ(dev.at("desktop").traffic_share, 0.55);
  EXPECT_DOUBLE_EQ(dev.at("mobile").traffic_share, 0.35);
  EXPECT_DOUBLE_EQ(dev.at("tablet").traffic_share, 0.10);
  // The segment's share is the one its own results show.
  double total = 0;
  for (const auto& [n, r] : dev)
    total += static_cast<double>(r.did_results.at("conv").sample_size_treatment + r.did_results.at("conv").sample_size_control);
  for (const auto& [n, r] : dev) {
    const auto& c = r.did_results.at("conv");
    EXPECT_DOUBLE_EQ(r.traffic_share, static_cast<double>(c.sample_size_treatment + c.sample_size_control) / total);
  }
}

TEST(Segments, DollarsAddUpToTheOverallFigure) {
  // Every hour splits its traffic 55/35/10 in both groups, so the overall d_t is the share-weighted
  // sum of the segments' d_t and the segment dollars add up to the overall ones.
  const Data data = make_data(kDevices, 3);
  const auto overall = s::analyze(data.overall);
  const auto out = s::analyze_segments(data.overall, data.segments);
  double total = 0, annual = 0, lo_sum = 0;
  std::map<std::string, double> per_metric;
  for (const auto& [n, r] : out.segments.at("device")) {
    ASSERT_TRUE(r.economic_impact.total_impact);
    total += *r.economic_impact.total_impact;
    annual += *r.economic_impact.annualized_impact;
    lo_sum += r.economic_impact.total_impact_interval->lower;
    for (const auto& [id, mi] : r.economic_impact.metric_breakdown) per_metric[id] += *mi.dollar_impact;
    // The segment's price is its share of the overall one.
    EXPECT_DOUBLE_EQ(r.economic_impact.metric_breakdown.at("conv").metric_value_used, 5000 * r.traffic_share);
  }
  EXPECT_TRUE(close(total, *overall.economic_impact.total_impact, 1e-9)) << total << " vs " << *overall.economic_impact.total_impact;
  EXPECT_TRUE(close(annual, *overall.economic_impact.annualized_impact, 1e-9));
  for (const auto& [id, v] : per_metric)
    EXPECT_TRUE(close(v, *overall.economic_impact.metric_breakdown.at(id).dollar_impact, 1e-9)) << id;
  // Intervals do not add up (the segments' noise is independent): the sum of the lower bounds is
  // below the overall's lower bound.
  EXPECT_LT(lo_sum, overall.economic_impact.total_impact_interval->lower);
}

TEST(Segments, CorrectionRunsAcrossTheSegmentsOfADimension) {
  Data data = make_data(kDevices, 4);
  for (auto corr : {d::Correction::kHolm, d::Correction::kFdrBh}) {
    data.overall.correction = corr;
    const auto out = s::analyze_segments(data.overall, data.segments);
    for (const std::string id : {"conv", "revenue"}) {
      std::vector<double> p;
      std::vector<const s::MetricResult*> rs;
      for (const auto& [n, r] : out.segments.at("device")) {
        rs.push_back(&r.did_results.at(id));
        p.push_back(*rs.back()->p_value);
      }
      const auto adj = s::adjust_p_values(p, corr);
      for (std::size_t i = 0; i < rs.size(); ++i) {
        EXPECT_EQ(*rs[i]->adjusted_p_value, adj[i]);
        EXPECT_EQ(rs[i]->significant, adj[i] < 0.05);
        // The adjusted interval excludes zero exactly when the result is significant.
        const auto& ci = *rs[i]->adjusted_confidence_interval;
        EXPECT_EQ(rs[i]->significant, ci.lower > 0 || ci.upper < 0) << id << " " << i;
        EXPECT_EQ(rs[i]->verdict, rs[i]->significant ? (*rs[i]->absolute_difference > 0 ? "win" : "loss") : "inconclusive");
      }
    }
  }
}

TEST(Segments, HeterogeneityIsCochransQ) {
  const Data data = make_data(kDevices, 5);
  const auto out = s::analyze_segments(data.overall, data.segments);
  const auto& h = out.heterogeneity.at("device").at("conv");
  std::vector<double> dd, w;
  for (const auto& [n, r] : out.segments.at("device")) {
    dd.push_back(*r.did_results.at("conv").absolute_difference);
    w.push_back(1 / std::pow(*r.did_results.at("conv").standard_error, 2));
  }
  double sw = 0, swd = 0;
  for (std::size_t i = 0; i < dd.size(); ++i) sw += w[i], swd += w[i] * dd[i];
  double q = 0;
  for (std::size_t i = 0; i < dd.size(); ++i) q += w[i] * std::pow(dd[i] - swd / sw, 2);
  EXPECT_TRUE(close(h.q, q, 1e-12));
  EXPECT_EQ(h.df, 2);
  EXPECT_EQ(h.segments, 3u);
  EXPECT_TRUE(h.skipped.empty());
  // chi2 with 2 df: survival exp(-q/2).
  EXPECT_TRUE(close(h.p_value, std::exp(-q / 2), 1e-12));
  // Welch's version with the segments' degrees of freedom; `significant` follows it.
  ASSERT_TRUE(h.welch);
  EXPECT_EQ(h.significant, h.welch->p_value < 0.05);
  double a = 0;
  std::size_t i = 0;
  for (const auto& [n, r] : out.segments.at("device")) {
    a += std::pow(1 - w[i] / sw, 2) / *r.did_results.at("conv").degrees_of_freedom;
    ++i;
  }
  EXPECT_TRUE(close(h.welch->df2, 8 / (3 * a), 1e-12));
  EXPECT_TRUE(close(h.welch->f, (q / 2) / (1 + 2 * a / 8), 1e-12));
  EXPECT_EQ(h.welch->df1, 2);
  EXPECT_GT(h.welch->p_value, 0);
  EXPECT_LT(h.welch->p_value, 1);
}

TEST(Segments, SegmentsWithoutAnEstimateAreSkippedAndNamed) {
  Data data = make_data(kDevices, 6);
  // tablet: only one post day with usable hours.
  auto& tablet = data.segments.at("device").at("tablet");
  for (auto& ms : tablet.series)
    for (auto& p : ms.points)
      if (p.timestamp >= kStart + d::kSecondsPerDay) p.treatment_sample_size = 0;
  const auto out = s::analyze_segments(data.overall, data.segments);
  const auto& h = out.heterogeneity.at("device").at("conv");
  EXPECT_EQ(h.segments, 2u);
  EXPECT_EQ(h.df, 1);
  ASSERT_EQ(h.skipped.size(), 1u);
  EXPECT_EQ(h.skipped[0], "tablet");
  const auto& t = out.segments.at("device").at("tablet").did_results.at("conv");
  EXPECT_FALSE(t.p_value);
  EXPECT_EQ(t.verdict, "insufficient-data");
  EXPECT_FALSE(t.adjusted_p_value);
  // The other two are corrected between themselves.
  const auto& dk = out.segments.at("device").at("desktop").did_results.at("conv");
  const auto& mb = out.segments.at("device").at("mobile").did_results.at("conv");
  const auto adj = s::adjust_p_values({*dk.p_value, *mb.p_value}, d::Correction::kHolm);
  EXPECT_EQ(*dk.adjusted_p_value, adj[0]);
  EXPECT_EQ(*mb.adjusted_p_value, adj[1]);

  // A lone estimate: no test.
  const auto one = s::cochran_q({0.1}, {0.05}, 0.05);
  EXPECT_EQ(one.df, 0);
  EXPECT_EQ(one.p_value, 1);
  EXPECT_FALSE(one.significant);
  EXPECT_FALSE(s::cochran_q({0.1}, {0.05}, {9.0}, 0.05).welch);
  // Without degrees of freedom (or with one that is not finite) there is no Welch version.
  EXPECT_FALSE(s::cochran_q({0.1, 0.3}, {0.05, 0.1}, 0.05).welch);
  EXPECT_FALSE(s::cochran_q({0.1, 0.3}, {0.05, 0.1}, {9.0, std::nan("")}, 0.05).welch);
  EXPECT_TRUE(s::cochran_q({0.1, 0.3}, {0.05, 0.1}, {9.0, 12.0}, 0.05).welch);
}

TEST(Segments, SrmPerSegmentUsesItsUniqueUsers) {
  const Data data = make_data(kDevices, 7, /*with_users=*/true);
  const auto out = s::analyze_segments(data.overall, data.segments);
  for (const auto& [n, r] : out.segments.at("device")) {
    EXPECT_EQ(r.srm.method, "users") << n;
    ASSERT_TRUE(r.srm.p_value);
    const double t = static_cast<double>(data.segments.at("device").at(n).unique_users->treatment);
    const double c = static_cast<double>(data.segments.at("device").at(n).unique_users->control);
    const double e = (t + c) / 2;
    EXPECT_TRUE(close(*r.srm.statistic, ((t - e) * (t - e) + (c - e) * (c - e)) / e, 1e-12));
  }
  const auto plain = s::analyze_segments(make_data(kDevices, 7).overall, make_data(kDevices, 7).segments);
  EXPECT_EQ(plain.segments.at("device").at("mobile").srm.method, "daily-share");
}

TEST(Segments, NoSegmentsGiveEmptyOutput) {
  const Data data = make_data(kDevices, 8);
  const auto out = s::analyze_segments(data.overall, {});
  EXPECT_TRUE(out.segments.empty());
  EXPECT_TRUE(out.heterogeneity.empty());
}

TEST(SegmentsJson, AlwaysPresentAndEmptyWithoutSegments) {
  const Data data = make_data(kDevices, 9);
  const auto overall = s::analyze(data.overall);
  const json::value v = json::parse(json::serialize(rallyuxr::codec::analysis_output_to_json(overall)));
  ASSERT_TRUE(v.as_object().at("segments").is_object());
  EXPECT_TRUE(v.as_object().at("segments").as_object().empty());
  EXPECT_TRUE(v.as_object().at("heterogeneity").as_object().empty());
  const json::value w =
      json::parse(json::serialize(rallyuxr::codec::analysis_output_to_json(overall, s::analyze_segments(data.overall, {}))));
  EXPECT_TRUE(w.as_object().at("segments").as_object().empty());
  EXPECT_TRUE(w.as_object().at("heterogeneity").as_object().empty());
}

TEST(SegmentsJson, ParsesBackToTheSameFigures) {
  Data data = make_data(kDevices, 10);
  auto& tablet = data.segments.at("device").at("tablet");
  for (auto& ms : tablet.series)
    for (auto& p : ms.points)
      if (p.timestamp >= kStart + d::kSecondsPerDay) p.control_sample_size = 0;
  const auto overall = s::analyze(data.overall);
  const auto segs = s::analyze_segments(data.overall, data.segments);
  const std::string text = json::serialize(rallyuxr::codec::analysis_output_to_json(overall, segs));
  const json::object doc = json::parse(text).as_object();
  // The overall part is unchanged.
  EXPECT_EQ(doc.at("didResults").as_object().size(), 2u);
  const auto& dev = doc.at("segments").at("device").as_object();
  ASSERT_EQ(dev.size(), 3u);
  for (const auto& [name, r] : segs.segments.at("device")) {
    const auto& o = dev.at(name).as_object();
    EXPECT_DOUBLE_EQ(o.at("trafficShare").as_double(), r.traffic_share);
    for (const auto& [id, m] : r.did_results) {
      const auto& mo = o.at("didResults").at(id).as_object();
      // The very object the overall didResults use (both through the same text round trip).
      EXPECT_EQ(mo, roundtrip(rallyuxr::codec::metric_result_to_json(m))) << name << " " << id;
      if (m.adjusted_p_value) {
        EXPECT_DOUBLE_EQ(mo.at("adjustedPValue").as_double(), *m.adjusted_p_value);
      } else {
        EXPECT_TRUE(mo.at("adjustedPValue").is_null());
      }
    }
    EXPECT_EQ(o.at("economicImpact").as_object(), roundtrip(rallyuxr::codec::economic_impact_to_json(r.economic_impact)));
    EXPECT_EQ(o.at("srm").as_object(), roundtrip(rallyuxr::codec::srm_to_json(r.srm)));
  }
  const auto& het = doc.at("heterogeneity").at("device").as_object();
  for (const auto& [id, h] : segs.heterogeneity.at("device")) {
    const auto& o = het.at(id).as_object();
    EXPECT_DOUBLE_EQ(o.at("q").as_double(), h.q);
    EXPECT_EQ(o.at("df").as_int64(), h.df);
    EXPECT_DOUBLE_EQ(o.at("pValue").as_double(), h.p_value);
    EXPECT_EQ(o.at("significant").as_bool(), h.significant);
    EXPECT_EQ(o.at("segments").to_number<std::int64_t>(), 2);
    ASSERT_TRUE(h.welch);
    EXPECT_DOUBLE_EQ(o.at("welch").at("pValue").as_double(), h.welch->p_value);
    EXPECT_DOUBLE_EQ(o.at("welch").at("f").as_double(), h.welch->f);
    ASSERT_EQ(o.at("skippedSegments").as_array().size(), 1u);
    EXPECT_EQ(o.at("skippedSegments").as_array()[0].as_string(), "tablet");
  }
  // One estimate only: df 0 and a null p-value (nothing to compare).
  s::SegmentsOutput lone;
  lone.heterogeneity["device"]["conv"] = s::cochran_q({0.1}, {0.2}, 0.05);
  const auto lj = json::parse(json::serialize(rallyuxr::codec::heterogeneity_to_json(lone)));
  EXPECT_TRUE(lj.at("device").at("conv").at("pValue").is_null());
  EXPECT_EQ(lj.at("device").at("conv").at("df").as_int64(), 0);
  EXPECT_TRUE(lj.at("device").at("conv").at("welch").is_null());
}

}  // namespace
