// stats::analyze_segments against the SciPy/statsmodels reference fixtures of
// tests/data/stats/segments (written by tests/data/stats/make_segments_reference.py): every figure
// of every segment (estimates, p-values, corrected p-values and intervals, dollars, SRM) and
// Cochran's Q with its p-value (and Welch's version), to the tolerance of statistics.md (1e-9 relative; p-values 1e-12
// absolute or 1e-9 relative).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "codec/analysis_json.hpp"
#include "domain/types.hpp"
#include "reference_compare.hpp"
#include "reference_json.hpp"
#include "stats/segments.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using rallyuxr::testing::as_double;
using rallyuxr::testing::as_int;
using rallyuxr::testing::close;
using rallyuxr::testing::compare;
using rallyuxr::testing::data_dir;
using rallyuxr::testing::load_json;
using rallyuxr::testing::parse_input;

std::vector<std::string> segment_fixtures() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir() / "segments", ec))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

rallyuxr::domain::Segments parse_segments(const json::object& in) {
  rallyuxr::domain::Segments out;
  for (const auto& [dim, segs] : in.at("segments").as_object()) {
    auto& d = out[std::string(dim)];
    for (const auto& [name, seg] : segs.as_object()) {
      rallyuxr::domain::SegmentSeries s;
      for (const auto& m : seg.at("metrics").as_array()) {
        rallyuxr::domain::MetricSeries ms;
        ms.metric_id = std::string(m.at("metricId").as_string());
        for (const auto& row : m.at("points").as_array()) {
          const auto& r = row.as_array();
          ms.points.push_back({as_int(r.at(0)), as_double(r.at(1)), as_double(r.at(2)), as_int(r.at(3)), as_int(r.at(4))});
        }
        s.series.push_back(std::move(ms));
      }
      if (const auto* uu = seg.as_object().if_contains("uniqueUsers"); uu && !uu->is_null())
        s.unique_users = rallyuxr::domain::UniqueUsers{as_int(uu->at("treatment")), as_int(uu->at("control"))};
      d[std::string(name)] = std::move(s);
    }
  }
  return out;
}

class SegmentsReference : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    doc_ = load_json(data_dir() / "segments" / (GetParam() + ".json"));
    const auto& in = doc_.at("input").as_object();
    input_ = parse_input(in);
    segments_ = parse_segments(in);
    expected_ = doc_.at("expected");
  }
  json::value doc_;
  rallyuxr::stats::AnalysisInput input_;
  rallyuxr::domain::Segments segments_;
  json::value expected_;
};

TEST_P(SegmentsReference, EveryFigureMatchesScipy) {
  const auto out = rallyuxr::stats::analyze_segments(input_, segments_);
  const json::value actual = json::object{{"segments", rallyuxr::codec::segments_to_json(out)},
                                          {"heterogeneity", rallyuxr::codec::heterogeneity_to_json(out)}};
  int figures = 0;
  compare(expected_, actual, GetParam(), "", figures);
  EXPECT_GT(figures, 200) << "the fixture compares too few figures";
  std::printf("%s: %d figures; largest relative error so far %.3g (%s)\n", GetParam().c_str(), figures,
              rallyuxr::testing::g_max_rel_error, rallyuxr::testing::g_max_rel_error_at.c_str());
}

// The headline figures read from the structs, so that a fault of the JSON layer cannot hide one.
TEST_P(SegmentsReference, EstimatesPValuesAndQFromTheStructs) {
  const auto out = rallyuxr::stats::analyze_segments(input_, segments_);
  auto check = [](const json::value& e, const std::optional<double>& a, const std::string& what, bool p) {
    if (e.is_null()) {
      EXPECT_FALSE(a.has_value()) << what;
    } else {
      ASSERT_TRUE(a.has_value()) << what;
      EXPECT_TRUE(close(as_double(e), *a, p)) << what << ": expected " << as_double(e) << ", got " << *a;
    }
  };
  const auto& es = expected_.at("segments").as_object();
  ASSERT_EQ(es.size(), out.segments.size());
  int segments = 0;
  for (const auto& [dim, segs] : es) {
    const auto& od = out.segments.at(std::string(dim));
    ASSERT_EQ(segs.as_object().size(), od.size());
    for (const auto& [name, seg] : segs.as_object()) {
      const auto& r = od.at(std::string(name));
      const std::string at = std::string(dim) + "/" + std::string(name);
      ++segments;
      EXPECT_TRUE(close(as_double(seg.at("trafficShare")), r.traffic_share, false)) << at;
      for (const auto& [id, m] : seg.at("didResults").as_object()) {
        const auto& a = r.did_results.at(std::string(id));
        const std::string w = at + " " + std::string(id);
        check(m.at("absoluteDifference"), a.absolute_difference, w + " delta", false);
        check(m.at("standardError"), a.standard_error, w + " se", false);
        check(m.at("pValue"), a.p_value, w + " p", true);
        check(m.at("adjustedPValue"), a.adjusted_p_value, w + " adjusted p", true);
        EXPECT_EQ(m.at("verdict").as_string(), a.verdict) << w;
      }
      check(seg.at("economicImpact").at("totalImpact"), r.economic_impact.total_impact, at + " totalImpact", false);
      check(seg.at("srm").at("pValue"), r.srm.p_value, at + " srm p", true);
    }
  }
  EXPECT_GE(segments, 3);
  for (const auto& [dim, metrics] : expected_.at("heterogeneity").as_object()) {
    for (const auto& [id, h] : metrics.as_object()) {
      const auto& a = out.heterogeneity.at(std::string(dim)).at(std::string(id));
      const std::string w = std::string(dim) + " " + std::string(id);
      EXPECT_TRUE(close(as_double(h.at("q")), a.q, false) || (as_double(h.at("q")) == 0 && a.q == 0)) << w << " Q";
      EXPECT_EQ(as_int(h.at("df")), a.df) << w;
      if (h.at("pValue").is_null()) {
        EXPECT_EQ(a.df, 0) << w;
      } else {
        EXPECT_TRUE(close(as_double(h.at("pValue")), a.p_value, true)) << w << " Q p: expected "
                                                                        << as_double(h.at("pValue")) << ", got " << a.p_value;
      }
      EXPECT_EQ(h.at("significant").as_bool(), a.significant) << w;
      if (h.at("welch").is_null()) {
        EXPECT_FALSE(a.welch) << w;
      } else {
        ASSERT_TRUE(a.welch) << w;
        const auto& ew = h.at("welch");
        EXPECT_TRUE(close(as_double(ew.at("f")), a.welch->f, false)) << w << " Welch F";
        EXPECT_TRUE(close(as_double(ew.at("df2")), a.welch->df2, false)) << w << " Welch df2";
        EXPECT_TRUE(close(as_double(ew.at("pValue")), a.welch->p_value, true))
            << w << " Welch p: expected " << as_double(ew.at("pValue")) << ", got " << a.welch->p_value;
      }
      EXPECT_EQ(static_cast<std::size_t>(as_int(h.at("segments"))), a.segments) << w;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stats, SegmentsReference, ::testing::ValuesIn(segment_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(SegmentsFixtures, AllCasesArePresent) {
  const auto names = segment_fixtures();
  for (const char* name : {"seg_device_did", "seg_two_dims_paired", "seg_many_segments"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

}  // namespace
