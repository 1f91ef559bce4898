// stats::plan against the SciPy reference (tests/data/stats/plan/reference.json, written by
// make_plan_reference.py), and the planner's promise: its MDE at D days equals the analysis's
// minimumDetectableEffect on data of D days with the same block variance.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "domain/types.hpp"
#include "stats/analysis.hpp"
#include "stats/plan.hpp"
#include "reference_json.hpp"

namespace {

namespace json = boost::json;
using rallyuxr::domain::AnalysisDesign;
using rallyuxr::domain::Direction;
using rallyuxr::domain::HourlyPoint;
using rallyuxr::domain::MetricPricing;
using rallyuxr::domain::MetricSeries;
using rallyuxr::domain::UnixSeconds;
namespace stats = rallyuxr::stats;

constexpr double kRelTol = 1e-9;
constexpr UnixSeconds kDay = 86400;
constexpr UnixSeconds kHour = 3600;

using rallyuxr::testing::as_double;

void expect_rel(double expected, const std::optional<double>& got, const std::string& what) {
  ASSERT_TRUE(got.has_value()) << what;
  EXPECT_LE(std::fabs(*got - expected), kRelTol * std::fabs(expected)) << what << ": " << *got << " vs " << expected;
}

json::value load_reference() { return rallyuxr::testing::load_json(rallyuxr::testing::data_dir() / "plan" / "reference.json"); }

stats::PlanInput input_of(const json::object& c) {
  const auto& in = c.at("input").as_object();
  stats::PlanInput p;
  for (const auto& m : in.at("metrics").as_array()) {
    MetricSeries s;
    s.metric_id = std::string(m.at("metricId").as_string());
    for (const auto& r : m.at("points").as_array()) {
      const auto& a = r.as_array();
      HourlyPoint h;
      h.timestamp = a[0].to_number<std::int64_t>();
      h.treatment_value = as_double(a[1]);
      h.control_value = as_double(a[2]);
      h.treatment_sample_size = a[3].to_number<std::int64_t>();
      h.control_sample_size = a[4].to_number<std::int64_t>();
      s.points.push_back(h);
    }
    p.metrics.push_back(std::move(s));
  }
  for (const auto& kv : c.at("pricing").as_object()) {
    const auto& o = kv.value().as_object();
    MetricPricing pr;
    pr.dollars_per_unit = as_double(o.at("dollarsPerUnit"));
    pr.unit_size = as_double(o.at("unitSize"));
    pr.direction = o.at("direction").as_string() == "decrease" ? Direction::kDecrease : Direction::kIncrease;
    p.pricing[std::string(kv.key())] = pr;
  }
  for (const auto& kv : c.at("valueGroups").as_object())
    p.value_groups[std::string(kv.key())] = std::string(kv.value().as_string());
  p.origin = in.at("origin").to_number<std::int64_t>();
  p.end = in.at("end").to_number<std::int64_t>();
  p.confidence_level = as_double(in.at("confidenceLevel"));
  const std::string corr(in.at("correction").as_string());
  if (corr == "none")
    p.correction.reset();
  else
    p.correction = *rallyuxr::domain::parse_correction(corr);
  p.power = as_double(in.at("power"));
  p.design = in.at("design").as_string() == "paired" ? AnalysisDesign::kPaired : AnalysisDesign::kDid;
  p.pre_days = static_cast<int>(in.at("preDays").to_number<std::int64_t>());
  if (auto it = in.find("trafficSplit"); it != in.end()) p.traffic_split = as_double(it->value());
  if (auto it = in.find("targetDailyDollarImpact"); it != in.end()) p.target_daily_dollar_impact = as_double(it->value());
  if (auto it = in.find("targetEffects"); it != in.end())
    for (const auto& kv : it->value().as_object()) p.target_effects[std::string(kv.key())] = as_double(kv.value());
  return p;
}

TEST(Plan, MatchesSciPyReference) {
  const json::value ref = load_reference();
  const auto& cases = ref.at("cases").as_array();
  ASSERT_EQ(cases.size(), 4u);
  for (const auto& cv : cases) {
    const auto& c = cv.as_object();
    const std::string name(c.at("case").as_string());
    SCOPED_TRACE(name);
    const stats::PlanInput in = input_of(c);
    const stats::PlanOutput out = stats::plan(in);
    const auto& ex = c.at("expected").as_object();
    expect_rel(as_double(ex.at("alpha")), out.alpha, "alpha");
    expect_rel(as_double(ex.at("metricAlpha")), out.metric_alpha, "metricAlpha");
    std::vector<std::string> counted;
    for (const auto& v : ex.at("countedInTotal").as_array()) counted.emplace_back(v.as_string());
    EXPECT_EQ(out.counted_in_total, counted);
    ASSERT_EQ(out.variance.size(), ex.at("variance").as_object().size());
    for (const auto& [id, v] : out.variance) {
      const auto& e = ex.at("variance").at(id).as_object();
      expect_rel(as_double(e.at("blockVariance")), v.block_variance, id + " blockVariance");
      expect_rel(as_double(e.at("planningVariance")), v.planning_variance, id + " planningVariance");
      expect_rel(as_double(e.at("historyShare")), v.history_share, id + " historyShare");
      expect_rel(as_double(e.at("baseline")), v.baseline, id + " baseline");
      EXPECT_EQ(v.blocks, e.at("blocks").to_number<std::int64_t>());
    }
    ASSERT_TRUE(out.total_variance);
    expect_rel(as_double(ex.at("totalVariance")), out.total_variance->planning_variance, "totalVariance");
    const auto& durations = ex.at("durations").as_array();
    ASSERT_EQ(out.durations.size(), durations.size());
    for (std::size_t i = 0; i < durations.size(); ++i) {
      const auto& e = durations[i].as_object();
      const auto& d = out.durations[i];
      const std::string at = " at " + std::to_string(d.days) + " days";
      ASSERT_EQ(d.days, e.at("days").to_number<int>());
      for (const auto& [id, mp] : d.metrics) {
        const auto& em = e.at("metrics").at(id).as_object();
        expect_rel(as_double(em.at("standardError")), mp.standard_error, id + " se" + at);
        expect_rel(as_double(em.at("degreesOfFreedom")), mp.degrees_of_freedom, id + " df" + at);
        expect_rel(as_double(em.at("mde")), mp.mde, id + " mde" + at);
        expect_rel(as_double(em.at("relativeMde")), mp.relative_mde, id + " relativeMde" + at);
        expect_rel(as_double(em.at("dailyDollarMde")), mp.daily_dollar_mde, id + " dailyDollarMde" + at);
        expect_rel(as_double(em.at("periodDollarMde")), mp.period_dollar_mde, id + " periodDollarMde" + at);
        if (auto p = em.find("power"); p != em.end())
          expect_rel(as_double(p->value()), mp.power, id + " power" + at);
        else
          EXPECT_FALSE(mp.power);
      }
      expect_rel(as_double(e.at("totalStandardError")), d.total_standard_error, "total se" + at);
      expect_rel(as_double(e.at("totalDegreesOfFreedom")), d.total_degrees_of_freedom, "total df" + at);
      expect_rel(as_double(e.at("totalDailyDollarMde")), d.total_daily_dollar_mde, "totalDailyDollarMde" + at);
      expect_rel(as_double(e.at("totalPeriodDollarMde")), d.total_period_dollar_mde, "totalPeriodDollarMde" + at);
      if (auto p = e.find("totalPower"); p != e.end()) expect_rel(as_double(p->value()), d.total_power, "totalPower" + at);
    }
    if (auto r = ex.find("reachedAtDays"); r != ex.end()) {
      ASSERT_TRUE(out.target);
      if (r->value().is_null()) {
        EXPECT_FALSE(out.target->reached_at_days);
        EXPECT_NE(out.target->message.find("Not within 56 days"), std::string::npos) << out.target->message;
      } else {
        ASSERT_TRUE(out.target->reached_at_days);
        EXPECT_EQ(*out.target->reached_at_days, r->value().to_number<int>());
      }
    } else {
      EXPECT_FALSE(out.target);
    }
  }
}

// Hourly data whose daily blocks are exactly `blocks` (every hour of a day carries the block's d).
MetricSeries series_from_blocks(const std::vector<double>& pre, const std::vector<double>& post, UnixSeconds start) {
  MetricSeries s{"aov", {}};
  auto add_day = [&](UnixSeconds day_start, double d) {
    for (int h = 0; h < 24; ++h) s.points.push_back({day_start + h * kHour, 50.0 + d, 50.0, 1000, 1000});
  };
  for (std::size_t i = 0; i < pre.size(); ++i)
    add_day(start - static_cast<UnixSeconds>(pre.size() - i) * kDay, pre[i]);
  for (std::size_t i = 0; i < post.size(); ++i) add_day(start + static_cast<UnixSeconds>(i) * kDay, post[i]);
  return s;
}

// n values with mean `shift` and sample variance exactly (to rounding) `var`.
std::vector<double> with_variance(std::mt19937_64& rng, std::size_t n, double var, double shift) {
  std::normal_distribution<double> z;
  std::vector<double> x(n);
  for (auto& v : x) v = z(rng);
  double m = 0;
  for (double v : x) m += v;
  m /= static_cast<double>(n);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  const double s = std::sqrt(ss / static_cast<double>(n - 1));
  for (auto& v : x) v = (v - m) / s * std::sqrt(var) + shift;
  return x;
}

// The promise of issue 15: the plan's MDE at D days is the analysis's minimumDetectableEffect on
// D days of data with the history's block variance (one metric, 80% power, no correction needed).
TEST(Plan, MdeEqualsAnalysisMinimumDetectableEffect) {
  std::mt19937_64 rng(15);
  const UnixSeconds start = 1736899200;
  for (const auto design : {AnalysisDesign::kDid, AnalysisDesign::kPaired}) {
    for (const double level : {90.0, 95.0, 99.0}) {
      // A 35-day history: its block variance is what the plan uses.
      const std::vector<double> hist = with_variance(rng, 35, 0.37, 0.0);
      stats::PlanInput pin;
      pin.metrics.push_back(series_from_blocks(hist, {}, start));
      pin.origin = start;
      pin.end = start;
      pin.confidence_level = level;
      pin.design = design;
      pin.pre_days = 10;
      pin.pricing["aov"] = MetricPricing{120.0, 1.0, Direction::kIncrease};
      const stats::PlanOutput plan = stats::plan(pin);
      ASSERT_TRUE(plan.variance.front().second.block_variance);
      const double var = *plan.variance.front().second.block_variance;
      for (const auto& dp : plan.durations) {
        // Data of that length with that block variance (and a pre period of pre_days for did).
        const auto post = with_variance(rng, static_cast<std::size_t>(dp.days), var, 0.9);
        const auto pre = with_variance(rng, static_cast<std::size_t>(pin.pre_days), var, 0.1);
        stats::AnalysisInput ain;
        ain.start_date = start;
        ain.end_date = start + dp.days * kDay;
        ain.confidence_level = level;
        ain.design = design;
        ain.metrics.push_back(series_from_blocks(pre, post, start));
        ain.pricing["aov"] = pin.pricing["aov"];
        const auto out = stats::analyze(ain);
        const auto& r = out.did_results.at("aov");
        ASSERT_EQ(r.method, design == AnalysisDesign::kDid ? "did" : "paired");
        ASSERT_EQ(r.post_blocks, dp.days);
        const std::string what = std::string(design == AnalysisDesign::kDid ? "did" : "paired") + " " +
                                 std::to_string(level) + "% at " + std::to_string(dp.days) + " days";
        ASSERT_TRUE(r.minimum_detectable_effect) << what;
        expect_rel(*r.minimum_detectable_effect, dp.metrics.front().second.mde, what);
        // The dollar series of one metric is that metric priced: the total matches too.
        expect_rel(*r.minimum_detectable_effect * 120.0, dp.total_daily_dollar_mde, what + " (dollars)");
      }
    }
  }
}

TEST(Plan, PowerAtTheMdeIsTheRequestedPower) {
  for (const double df : {6.0, 13.5, 40.0}) {
    for (const double power : {0.5, 0.8, 0.95}) {
      const double m = stats::minimum_detectable_effect(0.02, df, 0.05, power);
      EXPECT_NEAR(stats::detection_power(m, 0.02, df, 0.05), power, 1e-12);
    }
  }
}

TEST(Plan, TrafficSplitScalesTheVarianceAndTargetsAreFound) {
  std::mt19937_64 rng(7);
  const UnixSeconds start = 1736899200;
  stats::PlanInput pin;
  pin.metrics.push_back(series_from_blocks(with_variance(rng, 14, 1.0, 0), {}, start));
  pin.origin = pin.end = start;
  pin.design = AnalysisDesign::kPaired;
  pin.pricing["aov"] = MetricPricing{10.0, 1.0, Direction::kIncrease};
  pin.traffic_split = 0.2;  // the history is 50/50: var x 0.25 / 0.16
  pin.target_effects["aov"] = 1.0;
  const auto out = stats::plan(pin);
  EXPECT_NEAR(out.variance.front().second.variance_factor, 0.25 / 0.16, 1e-15);
  ASSERT_TRUE(out.target && out.target->reached_at_days);
  const int d = *out.target->reached_at_days;
  EXPECT_LE(*out.durations[static_cast<std::size_t>(d - 7)].metrics.front().second.mde, 1.0);
  if (d > 7) EXPECT_GT(*out.durations[static_cast<std::size_t>(d - 8)].metrics.front().second.mde, 1.0);
  EXPECT_GE(*out.durations[static_cast<std::size_t>(d - 7)].metrics.front().second.power, 0.8 - 1e-12);
}

}  // namespace
