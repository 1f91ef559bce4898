// Segments in the import formats (issue 17): rows per dimension and segment, the overall series
// derived from them, the sums against the overall rows, the limits; and the pipeline's merge.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "codec/results_io.hpp"
#include "pipeline/pipeline.hpp"

namespace {

using rallyuxr::codec::parse_results_csv;
using rallyuxr::codec::parse_results_json;
using rallyuxr::codec::UploadRules;
namespace domain = rallyuxr::domain;

const std::string kHeader =
    "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,dimension,segment\n";

bool has_issue(const rallyuxr::codec::ParsedUpload& p, const std::string& path, const std::string& fragment) {
  for (const auto& i : p.issues)
    if (i.path == path && i.message.find(fragment) != std::string::npos) return true;
  return false;
}

std::string dump(const rallyuxr::codec::ParsedUpload& p) {
  std::string s;
  for (const auto& i : p.issues) s += i.path + ": " + i.message + "\n";
  return s;
}

TEST(ResultsSegments, CsvSegmentsOnlyDeriveTheOverallSum) {
  const std::string text = kHeader +
                           "cr,2025-01-15T00:00:00Z,0.5,0.25,10,20,device,desktop\n"
                           "cr,2025-01-15T00:00:00Z,0.25,0.5,30,20,device,mobile\n"
                           "cr,2025-01-15T01:00:00Z,1,1,1,1,device,desktop\n"
                           "cr,2025-01-15T01:00:00Z,3,0,3,0,device,mobile\n";
  auto p = parse_results_csv(text, UploadRules{});
  ASSERT_TRUE(p.issues.empty()) << dump(p);
  EXPECT_EQ(p.derived_overall_points, 2u);
  ASSERT_EQ(p.metrics.size(), 1u);
  ASSERT_EQ(p.metrics[0].points.size(), 2u);
  const auto& h0 = p.metrics[0].points[0];
  EXPECT_EQ(h0.treatment_sample_size, 40);
  EXPECT_EQ(h0.control_sample_size, 40);
  EXPECT_DOUBLE_EQ(h0.treatment_value, (0.5 * 10 + 0.25 * 30) / 40);
  EXPECT_DOUBLE_EQ(h0.control_value, (0.25 * 20 + 0.5 * 20) / 40);
  const auto& h1 = p.metrics[0].points[1];
  EXPECT_DOUBLE_EQ(h1.treatment_value, (1.0 * 1 + 3.0 * 3) / 4);
  EXPECT_EQ(h1.control_sample_size, 1);
  EXPECT_DOUBLE_EQ(h1.control_value, 1.0);  // the mobile control group is empty that hour
  ASSERT_EQ(p.segments.size(), 1u);
  ASSERT_EQ(p.segments["device"].size(), 2u);
  EXPECT_EQ(p.segments["device"]["mobile"].series[0].points.size(), 2u);
}

TEST(ResultsSegments, OverallRowsMustMatchTheirSegments) {
  const std::string rows =
      "cr,2025-01-15T00:00:00Z,0.5,0.25,10,20,device,desktop\n"
      "cr,2025-01-15T00:00:00Z,0.25,0.5,30,20,device,mobile\n"
      "cr,2025-01-15T01:00:00Z,1,1,1,1,device,desktop\n"
      "cr,2025-01-15T01:00:00Z,3,1,3,1,device,mobile\n";
  // Exact overall rows (the weighted means of the rows above): accepted, nothing derived.
  auto ok = parse_results_csv(kHeader + "cr,2025-01-15T00:00:00Z,0.3125,0.375,40,40,,\n" +
                                  "cr,2025-01-15T01:00:00Z,2.5,1,4,2,,\n" + rows,
                              UploadRules{});
  EXPECT_TRUE(ok.issues.empty()) << dump(ok);
  EXPECT_EQ(ok.derived_overall_points, 0u);
  // A value off by more than 1e-9 relative, and a sample size off by one: each at its overall row.
  auto bad = parse_results_csv(kHeader + "cr,2025-01-15T00:00:00Z,0.3125000004,0.375,40,40,,\n" +
                                   "cr,2025-01-15T01:00:00Z,2.5,1,5,2,,\n" + rows,
                               UploadRules{});
  EXPECT_TRUE(has_issue(bad, "line 2", "Conflicts with the segments of dimension 'device' (line 4)")) << dump(bad);
  EXPECT_TRUE(has_issue(bad, "line 3", "Conflicts with the segments")) << dump(bad);
  EXPECT_TRUE(bad.metrics.empty());
  EXPECT_TRUE(bad.segments.empty());
  // Within 1e-9 relative: accepted.
  auto close = parse_results_csv(kHeader + "cr,2025-01-15T00:00:00Z,0.31250000001,0.375,40,40,,\n" +
                                     "cr,2025-01-15T01:00:00Z,2.5,1,4,2,,\n" + rows,
                                 UploadRules{});
  EXPECT_TRUE(close.issues.empty()) << dump(close);
}

TEST(ResultsSegments, RowsAndHeadersThatBreakTheRules) {
  auto p = parse_results_csv(kHeader +
                                 "cr,2025-01-15T00:00:00Z,1,1,1,1,device,\n"
                                 "cr,2025-01-15T00:00:00Z,1,1,1,1,,mobile\n"
                                 "cr,2025-01-15T00:00:00Z,1,1,1,1,dev ice,mobile\n"
                                 "cr,2025-01-15T00:00:00Z,1,1,1,1,device,tablet\n"
                                 "cr,2025-01-15T00:00:00Z,1,1,1,1,device,tablet\n",
                             UploadRules{});
  EXPECT_TRUE(has_issue(p, "line 2: dimension", "needs its segment")) << dump(p);
  EXPECT_TRUE(has_issue(p, "line 3: dimension", "needs its dimension")) << dump(p);
  EXPECT_TRUE(has_issue(p, "line 4: dimension", "Invalid dimension")) << dump(p);
  EXPECT_TRUE(has_issue(p, "line 6", "Duplicate hour 2025-01-15T00:00:00Z for metric 'cr', segment 'tablet'")) << dump(p);

  auto extra = parse_results_csv(
      "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,dimension,segment,device\n"
      "cr,2025-01-15T00:00:00Z,1,1,1,1,,,x\n",
      UploadRules{});
  EXPECT_TRUE(has_issue(extra, "line 1", "Unknown column 'device'")) << dump(extra);
  // Without segment columns an extra column is still ignored, as documented before segments.
  auto plain = parse_results_csv(
      "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,device\n"
      "cr,2025-01-15T00:00:00Z,1,1,1,1,x\n",
      UploadRules{});
  EXPECT_TRUE(plain.issues.empty()) << dump(plain);
}

TEST(ResultsSegments, OneHourSegmentsAndLimitsCountTheStoredOnesInAMerge) {
  const std::string one_hour = kHeader + "cr,2025-01-15T00:00:00Z,1,1,1,1,device,watch\n";
  auto fresh = parse_results_csv(one_hour, UploadRules{});
  EXPECT_TRUE(has_issue(fresh, "line 2", "has a single hour of metric 'cr'")) << dump(fresh);
  UploadRules merge;
  merge.stored_segments["device"] = {"watch"};
  EXPECT_TRUE(parse_results_csv(one_hour, merge).issues.empty());

  merge.stored_segments = {{"a", {"x"}}, {"b", {"x"}}, {"c", {"x"}}};
  auto fourth = parse_results_csv(kHeader + "cr,2025-01-15T00:00:00Z,1,1,1,1,d,x\n"
                                            "cr,2025-01-15T01:00:00Z,1,1,1,1,d,x\n",
                                  merge);
  EXPECT_TRUE(has_issue(fourth, "line 2", "Too many dimensions: at most 3 per experiment")) << dump(fourth);
}

TEST(ResultsSegments, JsonSegmentsWithUniqueUsers) {
  auto body = boost::json::parse(R"({"segments": {"device": {
      "desktop": {"metrics": {"cr": {"timeSeries": [
        {"timestamp": "2025-01-15T00:00:00Z", "treatmentValue": 1, "controlValue": 2, "treatmentSampleSize": 3, "controlSampleSize": 4},
        {"timestamp": "2025-01-15T01:00:00Z", "treatmentValue": 1, "controlValue": 2, "treatmentSampleSize": 3, "controlSampleSize": 4}]}},
        "uniqueUsers": {"treatment": 5, "control": 6}},
      "mobile": {"metrics": {"cr": {"timeSeries": [
        {"timestamp": "2025-01-15T00:00:00Z", "treatmentValue": 1, "controlValue": 2, "treatmentSampleSize": 3, "controlSampleSize": 4}]}}}}}})")
                  .as_object();
  auto p = parse_results_json(body, UploadRules{});
  EXPECT_TRUE(has_issue(p, "segments.device.mobile.metrics.cr.timeSeries.0", "single hour")) << dump(p);
  body["segments"].as_object()["device"].as_object().erase("mobile");
  p = parse_results_json(body, UploadRules{});
  ASSERT_TRUE(p.issues.empty()) << dump(p);
  ASSERT_TRUE(p.segments["device"]["desktop"].unique_users.has_value());
  EXPECT_EQ(p.segments["device"]["desktop"].unique_users->treatment, 5);
  EXPECT_EQ(p.derived_overall_points, 2u);
}

TEST(ResultsSegments, CsvExportWritesTheSegmentColumnsAndReadsBack) {
  domain::Segments segs;
  segs["device"]["mo,bile"].series = {{"cr", {{3600 * 24 * 40, 0.1, 0.2, 3, 4}, {3600 * 24 * 40 + 3600, 0.3, 0.4, 5, 6}}}};
  std::vector<domain::MetricSeries> overall = {
      {"cr", {{3600 * 24 * 40, 0.1, 0.2, 3, 4}, {3600 * 24 * 40 + 3600, 0.3, 0.4, 5, 6}}}};
  auto text = rallyuxr::codec::results_to_csv(overall, 3600 * 24 * 40, segs);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            std::string(rallyuxr::codec::kResultsCsvHeader) + ",period,dimension,segment");
  auto back = parse_results_csv(text, UploadRules{});
  ASSERT_TRUE(back.issues.empty()) << dump(back);
  ASSERT_EQ(back.segments["device"]["mo,bile"].series.size(), 1u);
  EXPECT_EQ(back.segments["device"]["mo,bile"].series[0].points.size(), 2u);
  EXPECT_EQ(rallyuxr::codec::results_to_csv(back.metrics, 3600 * 24 * 40, back.segments), text);
}

TEST(PipelineSegments, MergeUpsertsPerHourAndKeepsUniqueUsersUnlessGiven) {
  domain::Segments stored;
  stored["device"]["desktop"].series = {{"cr", {{0, 1, 1, 1, 1}, {3600, 2, 2, 2, 2}}}};
  stored["device"]["desktop"].unique_users = domain::UniqueUsers{7, 8};
  domain::Segments up;
  up["device"]["desktop"].series = {{"cr", {{3600, 9, 9, 9, 9}, {7200, 3, 3, 3, 3}}}, {"aov", {{0, 5, 5, 5, 5}}}};
  up["device"]["tablet"].series = {{"cr", {{0, 4, 4, 4, 4}}}};
  auto merged = rallyuxr::pipeline::merge_segments(stored, up);
  const auto& cr = merged["device"]["desktop"].series[0].points;
  ASSERT_EQ(cr.size(), 3u);
  EXPECT_EQ(cr[0].treatment_value, 1);
  EXPECT_EQ(cr[1].treatment_value, 9);  // the upload wins the hour
  EXPECT_EQ(cr[2].timestamp, 7200);
  EXPECT_EQ(merged["device"]["desktop"].series.size(), 2u);
  ASSERT_TRUE(merged["device"]["desktop"].unique_users.has_value());
  EXPECT_EQ(merged["device"]["desktop"].unique_users->treatment, 7);
  EXPECT_EQ(merged["device"].size(), 2u);
}

}  // namespace
