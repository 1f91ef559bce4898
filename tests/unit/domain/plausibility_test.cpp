// Plausibility warnings of uploaded results (domain/plausibility.hpp): rates above 1 or below 0 for
// a '%' metric, and experiment-period values 100x away from the pre period, for replace and merge.
#include "domain/plausibility.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace rallyuxr::domain {
namespace {

constexpr UnixSeconds kStart = 1'735'689'600;  // 2025-01-01T00:00:00Z

// `hours` hourly points from `from` (hours relative to kStart), treatment and control both `v`.
MetricSeries series(const std::string& id, int from, int hours, double v) {
  MetricSeries s{id, {}};
  for (int i = 0; i < hours; ++i) {
    s.points.push_back({kStart + (from + i) * kSecondsPerHour, v, v * 0.98, 500, 500});
  }
  return s;
}

MetricSeries concat(MetricSeries a, const MetricSeries& b) {
  a.points.insert(a.points.end(), b.points.begin(), b.points.end());
  return a;
}

const std::map<std::string, std::string> kUnits = {
    {"conversion_rate", "%"}, {"average_order_value", "$"}, {"time_on_page", "seconds"}};

TEST(Plausibility, PlausibleDataGivesNoWarning) {
  auto cr = concat(series("conversion_rate", -168, 168, 0.0307), series("conversion_rate", 0, 336, 0.031));
  auto aov = concat(series("average_order_value", -168, 168, 82.5), series("average_order_value", 0, 336, 84.0));
  EXPECT_TRUE(plausibility_warnings(kUnits, {cr, aov}, {}, kStart).empty());
}

TEST(Plausibility, RateUploadedInPercentIsNamed) {
  // The issue's case: conversion_rate in percent (3.07 instead of 0.0307).
  auto cr = series("conversion_rate", 0, 24, 3.07);
  auto w = plausibility_warnings(kUnits, {cr}, {}, kStart);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("conversion_rate: 48 values are above 1 (up to 3.07)"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("in percent"), std::string::npos) << w[0];
}

TEST(Plausibility, OneRateAboveOneAndNegativeRates) {
  auto cr = series("conversion_rate", 0, 24, 0.03);
  cr.points[5].treatment_value = 1.5;
  cr.points[6].control_value = -0.2;
  cr.points[7].control_value = -0.4;
  auto w = plausibility_warnings(kUnits, {cr}, {}, kStart);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].find("1 value is above 1 (up to 1.5)"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("2 values are below 0 (down to -0.4)"), std::string::npos) << w[1];
}

TEST(Plausibility, RateOfExactlyOneIsFine) {
  auto cr = series("conversion_rate", 0, 24, 1.0);
  EXPECT_TRUE(plausibility_warnings(kUnits, {cr}, {}, kStart).empty());
}

TEST(Plausibility, NonPercentUnitsMayExceedOne) {
  auto t = series("time_on_page", 0, 24, 45.2);
  EXPECT_TRUE(plausibility_warnings(kUnits, {t}, {}, kStart).empty());
}

TEST(Plausibility, HundredTimesThePrePeriodInTheSameUpload) {
  auto aov = concat(series("average_order_value", -48, 48, 82.5), series("average_order_value", 0, 48, 8300.0));
  auto w = plausibility_warnings(kUnits, {aov}, {}, kStart);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("average_order_value: the uploaded experiment-period values (48 hours"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("100.6 times larger"), std::string::npos) << w[0];
}

TEST(Plausibility, JustUnderHundredTimesIsNotFlagged) {
  auto aov = concat(series("average_order_value", -48, 48, 1.0), series("average_order_value", 0, 48, 99.0));
  EXPECT_TRUE(plausibility_warnings(kUnits, {aov}, {}, kStart).empty());
}

TEST(Plausibility, MergeComparesWithTheStoredPrePeriod) {
  // A day of post-period data in cents merged into data stored in dollars.
  auto stored = concat(series("average_order_value", -168, 168, 82.5), series("average_order_value", 0, 24, 83.0));
  auto day = series("average_order_value", 24, 24, 8400.0);
  auto merged = plausibility_warnings(kUnits, {day}, {stored}, kStart);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_NE(merged[0].find("101.8 times larger"), std::string::npos) << merged[0];
  // Replaced (nothing stored stays): no pre period to compare with, no scale warning.
  EXPECT_TRUE(plausibility_warnings(kUnits, {day}, {}, kStart).empty());
}

TEST(Plausibility, UploadedPreHoursReplaceTheStoredOnes) {
  // The stored pre period was in cents; the upload corrects it and brings the post period.
  auto stored = series("average_order_value", -24, 24, 8250.0);
  auto fixed = concat(series("average_order_value", -24, 24, 82.5), series("average_order_value", 0, 24, 83.0));
  EXPECT_TRUE(plausibility_warnings(kUnits, {fixed}, {stored}, kStart).empty());
}

TEST(Plausibility, HundredTimesSmallerIsFlaggedToo) {
  auto cr = concat(series("conversion_rate", -24, 24, 0.5), series("conversion_rate", 0, 24, 0.004));
  auto w = plausibility_warnings(kUnits, {cr}, {}, kStart);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("125 times smaller"), std::string::npos) << w[0];
}

TEST(Plausibility, UnknownMetricGetsOnlyTheScaleCheck) {
  auto x = concat(series("mystery", -24, 24, 2.0), series("mystery", 0, 24, 3.0));
  EXPECT_TRUE(plausibility_warnings(kUnits, {x}, {}, kStart).empty());
  auto y = concat(series("mystery", -24, 24, 2.0), series("mystery", 0, 24, 300.0));
  EXPECT_EQ(plausibility_warnings(kUnits, {y}, {}, kStart).size(), 1u);
}

TEST(Plausibility, NonFiniteValuesAndZeroBaselineAreIgnored) {
  auto cr = concat(series("conversion_rate", -24, 24, 0.0), series("conversion_rate", 0, 24, 0.03));
  cr.points.back().treatment_value = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(plausibility_warnings(kUnits, {cr}, {}, kStart).empty());
}

TEST(Plausibility, WarningsAreOrderedByMetric) {
  auto a = series("conversion_rate", 0, 2, 5.0);
  auto b = concat(series("average_order_value", -2, 2, 1.0), series("average_order_value", 0, 2, 1000.0));
  auto w = plausibility_warnings(kUnits, {a, b}, {}, kStart);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].rfind("average_order_value:", 0), 0u) << w[0];
  EXPECT_EQ(w[1].rfind("conversion_rate:", 0), 0u) << w[1];
}

}  // namespace
}  // namespace rallyuxr::domain
