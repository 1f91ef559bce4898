// stats::analyze against the SciPy/statsmodels reference fixtures of tests/data/stats (written by
// tests/data/stats/make_reference.py), plus the JSON form of the result.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "codec/analysis_json.hpp"
#include "domain/types.hpp"
#include "stats/analysis.hpp"
#include "stats/multiple_testing.hpp"
#include "reference_compare.hpp"
#include "reference_json.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using rallyuxr::codec::analysis_output_to_json;
using rallyuxr::domain::Correction;
using rallyuxr::domain::Direction;
using rallyuxr::domain::HourlyPoint;
using rallyuxr::domain::MetricPricing;
using rallyuxr::domain::MetricSeries;
using rallyuxr::stats::AnalysisInput;
using rallyuxr::stats::AnalysisOutput;
using rallyuxr::stats::analyze;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using rallyuxr::testing::as_double;
using rallyuxr::testing::as_int;
using rallyuxr::testing::data_dir;
using rallyuxr::testing::load_json;
using rallyuxr::testing::close;
using rallyuxr::testing::compare;
using rallyuxr::testing::g_max_rel_error;
using rallyuxr::testing::g_max_rel_error_at;
using rallyuxr::testing::kPAbsTol;
using rallyuxr::testing::kRelTol;
using rallyuxr::testing::lower;
using rallyuxr::testing::note_error;
using rallyuxr::testing::parse_input;

// Every number in the document is finite.
void expect_all_finite(const json::value& v, const std::string& path, int& numbers) {
  if (v.is_double()) {
    ++numbers;
    EXPECT_TRUE(std::isfinite(v.get_double())) << path;
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      expect_all_finite(v.get_array()[i], path + "[" + std::to_string(i) + "]", numbers);
    }
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.get_object()) expect_all_finite(x, path + "." + std::string(k), numbers);
  }
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir(), ec)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.rfind("multitest", 0) != 0 &&
        name.rfind("sequential_vectors", 0) != 0) {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------------------------------------
// Reference fixtures

class ReferenceFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    doc_ = load_json(data_dir() / (GetParam() + ".json"));
    input_ = parse_input(doc_.at("input").as_object());
    expected_ = doc_.at("expected");
  }
  json::value doc_;
  AnalysisInput input_;
  json::value expected_;
};

TEST_P(ReferenceFixture, EveryFigureMatchesScipy) {
  const AnalysisOutput out = analyze(input_);
  const json::value actual = analysis_output_to_json(out);
  int figures = 0;
  compare(expected_, actual, GetParam(), "", figures);
  EXPECT_GT(figures, 40) << "the fixture compares too few figures";
  std::printf("%s: %d figures; largest relative error so far %.3g (%s)\n", GetParam().c_str(), figures,
              g_max_rel_error, g_max_rel_error_at.c_str());
}

// The same figures read from the structs directly, so a fault of the JSON layer cannot hide one
// of the analysis (and vice versa).
TEST_P(ReferenceFixture, StructsMatchScipy) {
  const AnalysisOutput out = analyze(input_);
  const auto& did = expected_.at("didResults").as_object();
  ASSERT_EQ(did.size(), out.did_results.size());
  auto check = [](const json::value& e, const std::optional<double>& a, const std::string& what, bool p) {
    if (e.is_null()) {
      EXPECT_FALSE(a.has_value()) << what << " should be null, is " << *a;
    } else {
      ASSERT_TRUE(a.has_value()) << what << " should be " << as_double(e);
      EXPECT_TRUE(close(as_double(e), *a, p)) << what << ": expected " << as_double(e) << ", got " << *a;
    }
  };
  for (const auto& [id, ev] : did) {
    const std::string mid(id);
    ASSERT_TRUE(out.did_results.count(mid)) << mid;
    const auto& r = out.did_results.at(mid);
    const auto& e = ev.as_object();
    check(e.at("absoluteDifference"), r.absolute_difference, mid + " delta", false);
    check(e.at("standardError"), r.standard_error, mid + " se", false);
    check(e.at("degreesOfFreedom"), r.degrees_of_freedom, mid + " df", false);
    check(e.at("tStatistic"), r.t_statistic, mid + " t", false);
    check(e.at("pValue"), r.p_value, mid + " p", true);
    check(e.at("adjustedPValue"), r.adjusted_p_value, mid + " adjusted p", true);
    check(e.at("effectSize"), r.effect_size, mid + " d", false);
    check(e.at("minimumDetectableEffect"), r.minimum_detectable_effect, mid + " mde", false);
    check(e.at("probabilityOfImprovement"), r.probability_of_improvement, mid + " P(improvement)", false);
    EXPECT_EQ(e.at("verdict").as_string(), r.verdict) << mid;
    EXPECT_EQ(as_int(e.at("postBlocks")), r.post_blocks) << mid;
    EXPECT_EQ(as_int(e.at("preBlocks")), r.pre_blocks) << mid;
    if (e.at("sequential").is_null()) {
      EXPECT_FALSE(r.sequential) << mid;
    } else {
      ASSERT_TRUE(r.sequential) << mid;
      check(e.at("sequential").at("pValue"), r.sequential->p_value, mid + " sequential p", true);
      EXPECT_EQ(as_int(e.at("sequential").at("looks")), r.sequential->looks) << mid;
      EXPECT_EQ(as_int(e.at("sequential").at("plannedBlocks")), r.sequential->planned_blocks) << mid;
    }
    EXPECT_EQ(e.at("significant").as_bool(), r.significant) << mid;
    EXPECT_EQ(e.at("method").as_string(), r.method) << mid;
    EXPECT_EQ(as_int(e.at("postHours")), r.post_hours) << mid;
    EXPECT_EQ(as_int(e.at("preHours")), r.pre_hours) << mid;
    EXPECT_EQ(as_int(e.at("excludedHours")), r.excluded_hours) << mid;
    EXPECT_EQ(as_int(e.at("sampleSizeTreatment")), r.sample_size_treatment) << mid;
    if (e.at("confidenceInterval").is_null()) {
      EXPECT_FALSE(r.confidence_interval) << mid;
    } else {
      ASSERT_TRUE(r.confidence_interval) << mid;
      EXPECT_TRUE(close(as_double(e.at("confidenceInterval").at("lower")), r.confidence_interval->lower, false));
      EXPECT_TRUE(close(as_double(e.at("confidenceInterval").at("upper")), r.confidence_interval->upper, false));
    }
  }
  const auto& econ = expected_.at("economicImpact").as_object();
  check(econ.at("totalImpact"), out.economic_impact.total_impact, "totalImpact", false);
  check(econ.at("annualizedImpact"), out.economic_impact.annualized_impact, "annualizedImpact", false);
  EXPECT_EQ(econ.at("totalVerdict").as_string(), out.economic_impact.total_verdict);
  EXPECT_EQ(expected_.at("recommendation").as_string(), out.recommendation);
  EXPECT_TRUE(close(as_double(econ.at("durationDays")), out.duration_days, false));
  check(econ.at("probabilityOfPositiveImpact"), out.economic_impact.probability_of_positive_impact,
        "probabilityOfPositiveImpact", false);
  check(expected_.at("srm").at("pValue"), out.srm.p_value, "srm p", true);
  EXPECT_TRUE(close(as_double(expected_.at("alpha")), out.alpha, false));
}

TEST_P(ReferenceFixture, JsonHasNoNonFiniteNumber) {
  const json::value actual = analysis_output_to_json(analyze(input_));
  int numbers = 0;
  expect_all_finite(actual, GetParam(), numbers);
  EXPECT_GT(numbers, 0);
}

INSTANTIATE_TEST_SUITE_P(Stats, ReferenceFixture, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) { return param_info.param; });

TEST(StatsFixtures, AllCasesArePresent) {
  const auto names = fixture_names();
  for (const char* name : {"did_3metrics", "paired", "did_fallback", "confidence_90", "confidence_99", "fdr_bh",
                           "drifting_pre", "srm_users", "srm_daily", "tiny_pvalues", "one_block", "zero_variance",
                           "zero_baseline", "excluded_hours", "partial_days", "running", "short_running",
                           "guardrails", "value_groups", "sequential_overlap", "ties"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

// Spot checks of what the fixtures are meant to show, so a regenerated fixture cannot quietly
// stop covering a case.
TEST(StatsFixtures, CasesShowWhatTheyAreFor) {
  auto run = [](const std::string& name) {
    return analyze(parse_input(load_json(data_dir() / (name + ".json")).at("input").as_object()));
  };
  auto has_warning = [](const rallyuxr::stats::MetricResult& r, const std::string& phrase) {
    return std::any_of(r.warnings.begin(), r.warnings.end(),
                       [&](const std::string& w) { return lower(w).find(phrase) != std::string::npos; });
  };
  {
    const auto out = run("tiny_pvalues");
    for (const auto& [id, r] : out.did_results) {
      ASSERT_TRUE(r.p_value) << id;
      EXPECT_LT(*r.p_value, 1e-30) << id;
      EXPECT_GT(*r.p_value, 0) << id;
      ASSERT_TRUE(r.sequential);
      EXPECT_TRUE(r.sequential->decisive);
      EXPECT_EQ(r.sequential->looks, 28 - 7 + 1);
    }
    EXPECT_EQ(out.recommendation, "ship");
  }
  {
    const auto out = run("drifting_pre");
    const auto& r = out.did_results.at("conversion_rate");
    ASSERT_TRUE(r.parallel_trends);
    EXPECT_TRUE(r.parallel_trends->violated);
    EXPECT_EQ(r.method, "did");
    ASSERT_TRUE(out.did_results.at("aov").effect_trend);
    EXPECT_TRUE(out.did_results.at("aov").effect_trend->changing);
  }
  {
    const auto users = run("srm_users");
    EXPECT_EQ(users.srm.method, "users");
    EXPECT_TRUE(users.srm.detected);
    EXPECT_LT(*users.srm.p_value, 0.001);
    EXPECT_EQ(users.srm.chi_square, users.srm.statistic);
    const auto daily = run("srm_daily");
    EXPECT_EQ(daily.srm.method, "daily-share");
    EXPECT_TRUE(daily.srm.detected);
    EXPECT_LT(*daily.srm.p_value, 0.001);
    EXPECT_FALSE(daily.srm.chi_square);
  }
  {
    const auto out = run("did_fallback");
    EXPECT_EQ(out.did_results.at("conversion_rate").method, "paired");
    EXPECT_TRUE(has_warning(out.did_results.at("conversion_rate"), "fell back"));
    EXPECT_EQ(out.did_results.at("aov").method, "paired");
    EXPECT_EQ(out.did_results.at("ctr").method, "did");
    EXPECT_EQ(out.did_results.at("ctr").pre_blocks, 2);
  }
  {
    const auto out = run("paired");
    EXPECT_EQ(out.did_results.at("aov").method, "paired");
    EXPECT_TRUE(out.did_results.at("aov").pre_treatment_mean);
    EXPECT_FALSE(out.economic_impact.roi_percentage);  // no implementation cost
    EXPECT_FALSE(has_warning(out.did_results.at("aov"), "fell back"));
  }
  {
    const auto out = run("zero_variance");
    const auto& paired = out.did_results.at("conversion_rate");
    EXPECT_EQ(paired.method, "paired");  // no pre period
    EXPECT_EQ(*paired.standard_error, 0.0);
    EXPECT_FALSE(paired.p_value);
    EXPECT_FALSE(paired.confidence_interval);
    EXPECT_FALSE(paired.adjusted_p_value);
    EXPECT_FALSE(paired.significant);
    EXPECT_EQ(paired.verdict, "insufficient-data");
    const auto& did = out.did_results.at("aov");
    EXPECT_EQ(did.method, "did");
    EXPECT_EQ(*did.absolute_difference, 0.125);
    EXPECT_EQ(*did.standard_error, 0.0);
    EXPECT_FALSE(did.degrees_of_freedom);
    // Only ctr has a p-value, so its adjusted p-value and interval are its own.
    const auto& ctr = out.did_results.at("ctr");
    EXPECT_EQ(*ctr.adjusted_p_value, *ctr.p_value);
    EXPECT_EQ(ctr.adjusted_confidence_interval->lower, ctr.confidence_interval->lower);
    EXPECT_EQ(ctr.adjusted_confidence_interval->upper, ctr.confidence_interval->upper);
  }
  {
    const auto out = run("zero_baseline");
    EXPECT_FALSE(out.did_results.at("aov").relative_difference);
    EXPECT_FALSE(out.did_results.at("aov").relative_confidence_interval);
    EXPECT_TRUE(out.did_results.at("aov").p_value);
  }
  {
    const auto out = run("one_block");
    EXPECT_TRUE(out.did_results.at("conversion_rate").absolute_difference);
    EXPECT_FALSE(out.did_results.at("conversion_rate").p_value);
    EXPECT_FALSE(out.did_results.at("conversion_rate").sequential);
    EXPECT_FALSE(out.did_results.at("aov").absolute_difference);
    EXPECT_EQ(out.did_results.at("aov").excluded_hours, 24);
    EXPECT_FALSE(out.economic_impact.total_impact_interval);
    EXPECT_DOUBLE_EQ(out.duration_days, 1.0);
  }
  {
    const auto out = run("excluded_hours");
    EXPECT_EQ(out.did_results.at("conversion_rate").excluded_hours, 7);
    EXPECT_TRUE(has_warning(out.did_results.at("aov"), "partial day"));
    EXPECT_FALSE(out.economic_impact.metric_breakdown.count("engagement_score"));
    EXPECT_TRUE(out.economic_impact.roi_percentage);
  }
  {
    const auto out = run("partial_days");
    EXPECT_EQ(out.did_results.at("ctr").post_blocks, 10);  // 9 days and 6 hours
    EXPECT_EQ(out.did_results.at("ctr").pre_blocks, 4);    // 3 days and 5 hours
    EXPECT_EQ(out.did_results.at("ctr").sequential->planned_blocks, 10 + 4);
    EXPECT_DOUBLE_EQ(out.duration_days, 9.25);  // a period that is not whole days keeps its fraction
  }
  {
    const auto out = run("running");
    EXPECT_EQ(out.recommendation, "keep-running");
    EXPECT_EQ(out.did_results.at("aov").sequential->planned_blocks, 28 + 7);
    EXPECT_EQ(out.did_results.at("aov").sequential->looks, 10 - 7 + 1);
  }
  {
    const auto out = run("short_running");
    const auto& s = *out.did_results.at("conversion_rate").sequential;
    EXPECT_EQ(s.looks, 3);  // k = 2, 3, 4
    EXPECT_FALSE(s.decisive);
  }
  {
    const auto out = run("guardrails");
    EXPECT_EQ(out.guardrails.at("page_load_time"), "breached");
    EXPECT_EQ(out.guardrails.at("bounce_rate"), "at-risk");
    EXPECT_EQ(out.guardrails.at("ctr"), "ok");
    EXPECT_EQ(out.did_results.at("page_load_time").verdict, "loss");
    EXPECT_EQ(out.recommendation, "do-not-ship");
  }
  {
    const auto out = run("value_groups");
    const auto& b = out.economic_impact.metric_breakdown;
    EXPECT_TRUE(b.at("ctr").counted_in_total);
    EXPECT_TRUE(b.at("revenue_per_user").counted_in_total);
    EXPECT_FALSE(b.at("conversion_rate").counted_in_total);
    EXPECT_FALSE(b.at("aov").counted_in_total);
    EXPECT_EQ(*b.at("aov").value_group, "orders");
    EXPECT_TRUE(has_warning(out.did_results.at("conversion_rate"), "revenue_per_user"));
    // Every hour usable for every counted metric: the total is the sum of the counted dollar impacts.
    EXPECT_NEAR(*out.economic_impact.total_impact, *b.at("ctr").dollar_impact + *b.at("revenue_per_user").dollar_impact,
                1e-9 * std::fabs(*out.economic_impact.total_impact));
  }
  {
    const auto out = run("sequential_overlap");
    EXPECT_TRUE(has_warning(out.did_results.at("ctr"), "did not overlap"));
  }
  {
    const auto out = run("confidence_90");
    EXPECT_FALSE(out.economic_impact.roi_percentage);  // implementation cost 0
    EXPECT_NEAR(out.alpha, 0.1, 1e-15);
  }
  // Wherever there is an adjusted interval, it excludes zero exactly when the metric is significant.
  for (const auto& name : fixture_names()) {
    const auto out = run(name);
    for (const auto& [id, r] : out.did_results) {
      if (!r.adjusted_confidence_interval) continue;
      const bool excludes = r.adjusted_confidence_interval->lower > 0 || r.adjusted_confidence_interval->upper < 0;
      EXPECT_EQ(excludes, r.significant) << name << " " << id;
    }
    if (out.economic_impact.total_impact && out.economic_impact.total_impact_interval) {
      // The total is the centre of its own interval.
      const auto& iv = *out.economic_impact.total_impact_interval;
      EXPECT_NEAR((iv.lower + iv.upper) / 2, *out.economic_impact.total_impact,
                  1e-9 * (std::fabs(iv.lower) + std::fabs(iv.upper)))
          << name;
    }
  }
}

// The spec's test vectors for the sequential interval, and a grid computed in mpmath.
TEST(StatsSequential, SpecTestVectors) {
  EXPECT_NEAR(rallyuxr::stats::sequential_half_width(0.0012, 21, 35, 0.05), 0.0036730066038058845,
              1e-12 * 0.0036730066038058845);
  EXPECT_NEAR(rallyuxr::stats::sequential_p_value(0.003, 0.0012, 21, 35, 0.05), 0.18140756924313682,
              1e-12 * 0.18140756924313682);
  const json::value doc = load_json(data_dir() / "sequential_vectors.json");
  int compared = 0;
  for (const auto& v : doc.at("vectors").as_array()) {
    const double se = as_double(v.at("se"));
    const double n = as_double(v.at("n"));
    const double n_star = as_double(v.at("nStar"));
    const double alpha = as_double(v.at("alpha"));
    const double delta = as_double(v.at("delta"));
    const double h = rallyuxr::stats::sequential_half_width(se, n, n_star, alpha);
    const double p = rallyuxr::stats::sequential_p_value(delta, se, n, n_star, alpha);
    EXPECT_TRUE(close(as_double(v.at("h")), h, false)) << json::serialize(v) << " h=" << h;
    EXPECT_TRUE(close(as_double(v.at("p")), p, true)) << json::serialize(v) << " p=" << p;
    note_error(as_double(v.at("h")), h, "sequential h");
    if (as_double(v.at("p")) > 1e-3) note_error(as_double(v.at("p")), p, "sequential p");
    compared += 2;
  }
  EXPECT_GT(compared, 1000);
}

// ---------------------------------------------------------------------------------------------
// Multiple testing against statsmodels

TEST(MultipleTesting, MatchesStatsmodels) {
  const json::value doc = load_json(data_dir() / "multitest_reference.json");
  int compared = 0;
  for (const auto& c : doc.at("cases").as_array()) {
    std::vector<double> p;
    for (const auto& v : c.at("p").as_array()) p.push_back(as_double(v));
    for (auto [name, method] : {std::pair{"holm", Correction::kHolm}, std::pair{"fdr_bh", Correction::kFdrBh}}) {
      const auto adj = rallyuxr::stats::adjust_p_values(p, method);
      const auto& expected = c.at(name).as_array();
      ASSERT_EQ(adj.size(), expected.size());
      for (std::size_t i = 0; i < adj.size(); ++i, ++compared) {
        EXPECT_TRUE(close(as_double(expected[i]), adj[i], true))
            << name << " case " << json::serialize(c.at("p")) << "[" << i << "]: expected " << expected[i]
            << ", got " << adj[i];
      }
    }
  }
  EXPECT_GE(compared, 40);
}

TEST(MultipleTesting, HandWorkedExample) {
  // Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04; running max.
  const auto holm = rallyuxr::stats::adjust_p_values({0.01, 0.04, 0.03, 0.005}, Correction::kHolm);
  EXPECT_DOUBLE_EQ(holm[0], 0.03);
  EXPECT_DOUBLE_EQ(holm[1], 0.06);
  EXPECT_DOUBLE_EQ(holm[2], 0.06);
  EXPECT_DOUBLE_EQ(holm[3], 0.02);
  const auto bh = rallyuxr::stats::adjust_p_values({0.01, 0.04, 0.03, 0.005}, Correction::kFdrBh);
  EXPECT_DOUBLE_EQ(bh[0], 0.02);
  EXPECT_DOUBLE_EQ(bh[1], 0.04);
  EXPECT_DOUBLE_EQ(bh[2], 0.04);
  EXPECT_DOUBLE_EQ(bh[3], 0.02);
  EXPECT_TRUE(rallyuxr::stats::adjust_p_values({}, Correction::kHolm).empty());
  EXPECT_EQ(rallyuxr::stats::adjust_p_values({0.7, 0.8}, Correction::kHolm), (std::vector<double>{1.0, 1.0}));
}

// ---------------------------------------------------------------------------------------------
// Degenerate inputs: answered, never crashed on, never NaN.

AnalysisInput small_input() {
  AnalysisInput in;
  in.start_date = 1736899200;
  in.end_date = in.start_date + 2 * 86400;
  in.pricing["m"] = MetricPricing{100, 1, Direction::kIncrease};
  return in;
}

MetricSeries series(const std::string& id, std::int64_t start, int pre, int post, double tv, double cv,
                    double step = 0.001) {
  MetricSeries s;
  s.metric_id = id;
  for (int i = -pre; i < post; ++i) {
    const double wobble = step * ((i * 7919) % 13);
    s.points.push_back({start + i * 3600, tv + wobble, cv + 0.5 * wobble * ((i % 2) ? 1 : -1), 100, 100});
  }
  return s;
}

void expect_clean_json(const AnalysisOutput& out) {
  const json::value v = analysis_output_to_json(out);
  int numbers = 0;
  expect_all_finite(v, "", numbers);
  const std::string text = json::serialize(v);
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
  EXPECT_EQ(text.find("inf"), std::string::npos) << text;
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_EQ(text.find("Infinity"), std::string::npos) << text;
}

TEST(AnalyzeDegenerate, NoMetrics) {
  AnalysisInput in = small_input();
  const auto out = analyze(in);
  EXPECT_TRUE(out.did_results.empty());
  EXPECT_FALSE(out.srm.p_value);
  EXPECT_FALSE(out.srm.chi_square);
  EXPECT_FALSE(out.srm.detected);
  EXPECT_FALSE(out.economic_impact.total_impact);
  EXPECT_FALSE(out.economic_impact.total_impact_interval);
  EXPECT_EQ(out.economic_impact.total_verdict, "insufficient-data");
  EXPECT_EQ(out.recommendation, "inconclusive");
  EXPECT_DOUBLE_EQ(out.duration_days, 2.0);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, NoPointsAtAll) {
  AnalysisInput in = small_input();
  in.metrics.push_back(MetricSeries{"m", {}});
  const auto out = analyze(in);
  const auto& r = out.did_results.at("m");
  EXPECT_FALSE(r.treatment_mean);
  EXPECT_FALSE(r.absolute_difference);
  EXPECT_FALSE(r.p_value);
  EXPECT_EQ(r.post_hours, 0);
  EXPECT_FALSE(r.warnings.empty());
  EXPECT_FALSE(out.economic_impact.metric_breakdown.at("m").dollar_impact);
  EXPECT_FALSE(out.srm.p_value);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, AllHoursUnusable) {
  AnalysisInput in = small_input();
  MetricSeries s = series("m", in.start_date, 5, 10, 0.1, 0.1);
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    if (i % 3 == 0) s.points[i].treatment_sample_size = 0;
    if (i % 3 == 1) s.points[i].control_value = kNaN;
    if (i % 3 == 2) s.points[i].treatment_value = kInf;
  }
  in.metrics.push_back(s);
  const auto out = analyze(in);
  const auto& r = out.did_results.at("m");
  EXPECT_EQ(r.excluded_hours, 15);
  EXPECT_EQ(r.post_hours, 0);
  EXPECT_EQ(r.pre_hours, 0);
  EXPECT_FALSE(r.absolute_difference);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, HugeValuesGiveNullNotInfinity) {
  AnalysisInput in = small_input();
  in.metrics.push_back(series("m", in.start_date, 5, 10, 1e308, -1e308, 1e306));
  in.metrics.push_back(series("n", in.start_date, 0, 10, 1e300, 1e300, 1e299));
  in.pricing["n"] = MetricPricing{1e300, 1e-300, Direction::kDecrease};
  in.implementation_cost = 1e-300;
  const auto out = analyze(in);
  const auto& r = out.did_results.at("m");
  EXPECT_FALSE(r.absolute_difference);  // 1e308 - (-1e308) overflows
  EXPECT_FALSE(r.warnings.empty());
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, InvalidConfidenceLevelAndPricing) {
  AnalysisInput in = small_input();
  in.confidence_level = 250;
  in.expected_treatment_share = 1.5;
  in.metrics.push_back(series("m", in.start_date, 24, 48, 0.1, 0.1));
  in.pricing["m"] = MetricPricing{100, 0, Direction::kIncrease};  // unit size 0
  const auto out = analyze(in);
  const auto& r = out.did_results.at("m");
  EXPECT_NEAR(out.alpha, 0.05, 1e-15);
  EXPECT_EQ(r.confidence_level, 95);
  EXPECT_TRUE(r.p_value);
  EXPECT_FALSE(out.economic_impact.metric_breakdown.count("m"));
  EXPECT_FALSE(out.srm.p_value);
  EXPECT_TRUE(out.srm.observed_treatment_share);
  EXPECT_GE(r.warnings.size(), 2u);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, EndBeforeStart) {
  AnalysisInput in = small_input();
  in.end_date = in.start_date - 86400;
  in.metrics.push_back(series("m", in.start_date, 24, 48, 0.1, 0.1));
  const auto out = analyze(in);
  EXPECT_EQ(out.duration_days, 0);
  EXPECT_EQ(out.did_results.at("m").post_hours, 0);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, DuplicateMetricIdsUseTheFirst) {
  AnalysisInput in = small_input();
  in.metrics.push_back(series("m", in.start_date, 0, 10, 0.2, 0.1));
  in.metrics.push_back(series("m", in.start_date, 0, 10, 0.5, 0.1));
  const auto out = analyze(in);
  ASSERT_EQ(out.did_results.size(), 1u);
  EXPECT_NEAR(*out.did_results.at("m").treatment_mean, 0.2, 0.02);
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, MethodTwoInputsAtTheirEdges) {
  AnalysisInput in = small_input();
  in.metrics.push_back(series("m", in.start_date, 72, 48, 0.12, 0.1));
  in.unique_users = rallyuxr::domain::UniqueUsers{0, 0};
  in.guardrail_metrics = {"not_a_metric", "m", "m"};
  in.value_groups["m"] = "";
  in.running = true;
  const auto out = analyze(in);
  EXPECT_EQ(out.srm.method, "users");
  EXPECT_FALSE(out.srm.p_value);
  EXPECT_FALSE(out.srm.observed_treatment_share);
  EXPECT_EQ(out.guardrails.size(), 1u);  // unknown ids ignored, each metric once
  EXPECT_TRUE(out.economic_impact.metric_breakdown.at("m").counted_in_total);
  EXPECT_FALSE(out.economic_impact.metric_breakdown.at("m").value_group);
  // Two post days: the sequential interval has one look and can never be decisive.
  ASSERT_TRUE(out.economic_impact.total_sequential);
  EXPECT_FALSE(out.economic_impact.total_sequential->decisive);
  if (out.economic_impact.total_verdict == "inconclusive") EXPECT_EQ(out.recommendation, "keep-running");
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, ConstantDaysGiveNullSequential) {
  AnalysisInput in = small_input();
  in.end_date = in.start_date + 10 * 86400;
  in.design = rallyuxr::domain::AnalysisDesign::kPaired;
  MetricSeries s;
  s.metric_id = "m";
  for (int h = 0; h < 240; ++h) s.points.push_back({in.start_date + h * 3600, 0.25 + (h % 2) * 0.5, 0.25, 10, 10});
  in.metrics.push_back(s);
  const auto out = analyze(in);
  const auto& r = out.did_results.at("m");
  EXPECT_EQ(r.method, "paired");
  EXPECT_EQ(*r.standard_error, 0.0);  // every day has the same mean
  EXPECT_FALSE(r.p_value);
  EXPECT_EQ(r.verdict, "insufficient-data");
  ASSERT_TRUE(r.sequential);
  EXPECT_EQ(r.sequential->looks, 0);
  EXPECT_FALSE(r.sequential->interval);
  EXPECT_FALSE(r.sequential->p_value);
  ASSERT_TRUE(r.effect_trend);
  EXPECT_EQ(r.effect_trend->slope, 0.0);
  EXPECT_EQ(*r.effect_trend->p_value, 1.0);
  ASSERT_TRUE(r.effect_size);  // the hours vary within days
  expect_clean_json(out);
}

TEST(AnalyzeDegenerate, PairedDesignWithPrePeriodHasNoFallbackWarning) {
  AnalysisInput in = small_input();
  in.design = rallyuxr::domain::AnalysisDesign::kPaired;
  in.metrics.push_back(series("m", in.start_date, 0, 48, 0.12, 0.1));
  const auto out = analyze(in);
  for (const auto& w : out.did_results.at("m").warnings) EXPECT_EQ(w.find("fell back"), std::string::npos) << w;
  in.design = rallyuxr::domain::AnalysisDesign::kDid;
  const auto did = analyze(in);
  const auto& w = did.did_results.at("m").warnings;
  EXPECT_TRUE(std::any_of(w.begin(), w.end(), [](const std::string& x) { return x.find("fell back") != x.npos; }));
}

// The dollar series uses only the hours present and usable in every priced metric; with one
// priced metric its interval is that metric's dollar interval.
TEST(AnalyzeEconomics, SinglePricedMetricTotalsEqualItsOwn) {
  AnalysisInput in = small_input();
  in.metrics.push_back(series("m", in.start_date, 72, 48, 0.12, 0.1));
  in.metrics.push_back(series("unpriced", in.start_date, 72, 48, 0.3, 0.1));
  in.implementation_cost = 1000;
  const auto out = analyze(in);
  const auto& mi = out.economic_impact.metric_breakdown.at("m");
  ASSERT_TRUE(mi.dollar_impact_interval);
  ASSERT_TRUE(out.economic_impact.total_impact_interval);
  EXPECT_NEAR(out.economic_impact.total_impact_interval->lower, mi.dollar_impact_interval->lower,
              1e-9 * std::fabs(mi.dollar_impact_interval->lower));
  EXPECT_NEAR(out.economic_impact.total_impact_interval->upper, mi.dollar_impact_interval->upper,
              1e-9 * std::fabs(mi.dollar_impact_interval->upper));
  EXPECT_DOUBLE_EQ(*out.economic_impact.total_impact, *mi.dollar_impact);
  EXPECT_DOUBLE_EQ(*out.economic_impact.annualized_impact, *mi.daily_dollar_impact * 365);
  EXPECT_DOUBLE_EQ(*out.economic_impact.roi_percentage,
                   (*out.economic_impact.annualized_impact - 1000) / 1000 * 100);
  ASSERT_TRUE(out.economic_impact.roi_interval);
  EXPECT_NEAR(out.economic_impact.roi_interval->lower,
              (out.economic_impact.annualized_impact_interval->lower - 1000) / 1000 * 100,
              1e-9 * std::fabs(out.economic_impact.roi_interval->lower));
  EXPECT_EQ(out.economic_impact.metric_breakdown.count("unpriced"), 0u);
  const auto& w = out.did_results.at("unpriced").warnings;
  EXPECT_TRUE(std::any_of(w.begin(), w.end(), [](const std::string& s) { return s.find("dollar") != s.npos; }));
}

// ---------------------------------------------------------------------------------------------
// JSON field names

std::set<std::string> keys(const json::value& v) {
  std::set<std::string> k;
  for (const auto& [key, x] : v.as_object()) k.insert(std::string(key));
  return k;
}

TEST(AnalysisJson, FieldNames) {
  AnalysisInput in = small_input();
  in.metrics.push_back(series("m", in.start_date, 72, 48, 0.12, 0.1));
  in.implementation_cost = 500;
  in.guardrail_metrics = {"m"};
  in.value_groups["m"] = "orders";
  const json::value v = analysis_output_to_json(analyze(in));
  EXPECT_EQ(keys(v), (std::set<std::string>{"didResults", "economicImpact", "srm", "correction", "alpha", "design",
                                            "guardrails", "recommendation", "version", "segments",
                                            "heterogeneity"}));
  // The analysis per segment is always present, empty without segments (issue 17).
  EXPECT_TRUE(v.at("segments").as_object().empty());
  EXPECT_TRUE(v.at("heterogeneity").as_object().empty());
  const auto& m = v.at("didResults").at("m");
  EXPECT_EQ(keys(m), (std::set<std::string>{
                         "treatmentMean", "controlMean", "absoluteDifference", "relativeDifference", "pValue",
                         "confidenceLevel", "confidenceInterval", "sampleSizeControl", "sampleSizeTreatment",
                         "effectSize", "method", "preTreatmentMean", "preControlMean", "standardError",
                         "degreesOfFreedom", "tStatistic", "relativeConfidenceInterval", "adjustedPValue",
                         "adjustedConfidenceInterval", "significant", "verdict", "probabilityOfImprovement",
                         "minimumDetectableEffect", "postHours", "preHours", "excludedHours", "postBlocks",
                         "preBlocks", "parallelTrends", "effectTrend", "sequential", "warnings"}));
  EXPECT_EQ(keys(m.at("confidenceInterval")), (std::set<std::string>{"lower", "upper"}));
  EXPECT_EQ(keys(m.at("relativeConfidenceInterval")), (std::set<std::string>{"lower", "upper"}));
  EXPECT_EQ(keys(m.at("adjustedConfidenceInterval")), (std::set<std::string>{"lower", "upper"}));
  EXPECT_EQ(keys(m.at("parallelTrends")), (std::set<std::string>{"slope", "pValue", "violated"}));
  EXPECT_TRUE(m.at("effectTrend").is_null());  // 2 post blocks: the trend needs 3
  EXPECT_EQ(keys(m.at("sequential")), (std::set<std::string>{"interval", "pValue", "decisive", "looks",
                                                             "plannedBlocks"}));
  EXPECT_EQ(m.at("sequential").at("plannedBlocks").as_int64(), 2 + 3);
  EXPECT_EQ(m.at("sequential").at("looks").as_int64(), 1);
  EXPECT_TRUE(m.at("warnings").is_array());
  EXPECT_TRUE(m.at("sampleSizeControl").is_int64());
  EXPECT_EQ(m.at("sampleSizeControl").as_int64(), 48 * 100);
  EXPECT_EQ(m.at("postHours").as_int64(), 48);
  EXPECT_EQ(m.at("preHours").as_int64(), 72);
  EXPECT_EQ(m.at("postBlocks").as_int64(), 2);
  EXPECT_EQ(m.at("preBlocks").as_int64(), 3);
  EXPECT_EQ(m.at("method").as_string(), "did");
  EXPECT_EQ(m.at("confidenceLevel").as_double(), 95.0);
  const auto& e = v.at("economicImpact");
  EXPECT_EQ(keys(e), (std::set<std::string>{"totalImpact", "annualizedImpact", "roiPercentage", "metricBreakdown",
                                            "totalImpactInterval", "probabilityOfPositiveImpact", "totalVerdict",
                                            "totalSequential", "annualizedImpactInterval", "roiInterval",
                                            "significantImpact", "durationDays"}));
  EXPECT_EQ(keys(e.at("metricBreakdown").at("m")),
            (std::set<std::string>{"dollarImpact", "metricValueUsed", "metricChange", "dailyDollarImpact",
                                   "dollarImpactInterval", "unitSize", "improvementDirection", "valueGroup",
                                   "countedInTotal"}));
  EXPECT_EQ(e.at("metricBreakdown").at("m").at("improvementDirection").as_string(), "increase");
  EXPECT_EQ(e.at("metricBreakdown").at("m").at("metricValueUsed").as_double(), 100.0);
  EXPECT_EQ(e.at("metricBreakdown").at("m").at("valueGroup").as_string(), "orders");
  EXPECT_TRUE(e.at("metricBreakdown").at("m").at("countedInTotal").as_bool());
  EXPECT_EQ(keys(e.at("totalImpactInterval")), (std::set<std::string>{"lower", "upper"}));
  EXPECT_EQ(keys(e.at("totalSequential")), (std::set<std::string>{"interval", "pValue", "decisive", "looks",
                                                                  "plannedBlocks"}));
  EXPECT_EQ(e.at("durationDays").as_double(), 2.0);
  EXPECT_EQ(keys(v.at("srm")), (std::set<std::string>{"method", "statistic", "chiSquare", "pValue", "detected",
                                                      "expectedTreatmentShare", "observedTreatmentShare"}));
  EXPECT_EQ(v.at("srm").at("method").as_string(), "daily-share");
  EXPECT_EQ(v.at("correction").as_string(), "holm");
  EXPECT_EQ(v.at("design").as_string(), "did");
  EXPECT_EQ(keys(v.at("guardrails")), (std::set<std::string>{"m"}));
  EXPECT_EQ(v.at("version").as_string(), "did-2.0.0");
  EXPECT_NEAR(v.at("alpha").as_double(), 0.05, 1e-15);
}

TEST(AnalysisJson, NullsAndNonFiniteBecomeNull) {
  AnalysisOutput out;
  auto& r = out.did_results["m"];
  r.method = "paired";
  r.treatment_mean = kNaN;
  r.control_mean = kInf;
  r.absolute_difference = -kInf;
  r.p_value = std::nullopt;
  r.confidence_level = kNaN;
  r.confidence_interval = rallyuxr::stats::Interval{kNaN, 1};
  r.parallel_trends = rallyuxr::stats::ParallelTrends{kInf, kNaN, false};
  r.warnings = {"w"};
  out.economic_impact.total_impact = kNaN;
  out.economic_impact.annualized_impact = kInf;
  out.economic_impact.duration_days = -kInf;
  out.economic_impact.metric_breakdown["m"].metric_value_used = kNaN;
  out.economic_impact.metric_breakdown["m"].dollar_impact_interval = rallyuxr::stats::Interval{1, kInf};
  out.srm.expected_treatment_share = kNaN;
  out.alpha = kNaN;
  out.correction = Correction::kFdrBh;
  const json::value v = analysis_output_to_json(out);
  const auto& m = v.at("didResults").at("m");
  for (const char* k : {"treatmentMean", "controlMean", "absoluteDifference", "pValue", "confidenceLevel",
                        "confidenceInterval", "relativeDifference", "adjustedPValue", "effectSize"}) {
    EXPECT_TRUE(m.at(k).is_null()) << k;
  }
  EXPECT_TRUE(m.at("parallelTrends").at("slope").is_null());
  EXPECT_TRUE(m.at("parallelTrends").at("pValue").is_null());
  EXPECT_EQ(m.at("warnings").as_array().size(), 1u);
  EXPECT_TRUE(v.at("economicImpact").at("totalImpact").is_null());
  EXPECT_TRUE(v.at("economicImpact").at("annualizedImpact").is_null());
  EXPECT_TRUE(v.at("economicImpact").at("durationDays").is_null());
  EXPECT_TRUE(v.at("economicImpact").at("roiPercentage").is_null());
  EXPECT_TRUE(v.at("economicImpact").at("metricBreakdown").at("m").at("metricValueUsed").is_null());
  EXPECT_TRUE(v.at("economicImpact").at("metricBreakdown").at("m").at("dollarImpactInterval").is_null());
  EXPECT_TRUE(v.at("srm").at("expectedTreatmentShare").is_null());
  EXPECT_TRUE(v.at("alpha").is_null());
  EXPECT_EQ(v.at("correction").as_string(), "fdr_bh");
  const std::string text = json::serialize(v);
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
  EXPECT_EQ(text.find("inf"), std::string::npos) << text;
  EXPECT_EQ(text.find("e999"), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------
// A year of hourly data for 10 metrics (the largest analysis the API accepts) completes with every
// figure present. Speed is measured by the benchmarks, not asserted here.
TEST(AnalyzeLarge, TenMetricsOneYear) {
  AnalysisInput in;
  in.start_date = 1736899200;
  in.end_date = in.start_date + 300 * 86400;
  std::uint64_t state = 12345;
  auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (int m = 0; m < 10; ++m) {
    MetricSeries s;
    s.metric_id = "metric_" + std::to_string(m);
    for (int h = 0; h < 8760; ++h) {
      const std::int64_t ts = in.start_date - 65LL * 86400 + h * 3600LL;
      s.points.push_back({ts, 0.05 + 0.01 * uniform(), 0.05 + 0.01 * uniform(), 1000, 1000});
    }
    if (m < 8) in.pricing[s.metric_id] = MetricPricing{100.0 * (m + 1), 0.01, Direction::kIncrease};
    in.metrics.push_back(std::move(s));
  }
  const auto out = analyze(in);
  ASSERT_EQ(out.did_results.size(), 10u);
  ASSERT_TRUE(out.economic_impact.total_impact_interval);
  for (const auto& [id, r] : out.did_results) {
    EXPECT_EQ(r.post_blocks, 300) << id;
    EXPECT_EQ(r.pre_blocks, 65) << id;
    ASSERT_TRUE(r.sequential) << id;
    EXPECT_EQ(r.sequential->looks, 300 - 7 + 1) << id;
    EXPECT_TRUE(r.p_value) << id;
  }
  expect_clean_json(out);
}

}  // namespace
