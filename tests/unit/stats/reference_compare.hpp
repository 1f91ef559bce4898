// The comparison of an analysis against a SciPy/statsmodels reference fixture (tests/data/stats):
// the input format of make_reference.py, and the walker that holds every figure of the expected JSON
// to the tolerance of statistics.md. Shared by the overall and the per-segment reference tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "domain/types.hpp"
#include "reference_json.hpp"
#include "stats/analysis.hpp"

namespace rallyuxr::testing {

inline constexpr double kRelTol = 1e-9;
inline constexpr double kPAbsTol = 1e-12;

inline rallyuxr::stats::AnalysisInput parse_input(const boost::json::object& in) {
  rallyuxr::stats::AnalysisInput a;
  a.start_date = as_int(in.at("startDate"));
  a.end_date = as_int(in.at("endDate"));
  a.confidence_level = as_double(in.at("confidenceLevel"));
  a.expected_treatment_share = as_double(in.at("expectedTreatmentShare"));
  a.correction = *rallyuxr::domain::parse_correction(in.at("correction").as_string());
  if (!in.at("implementationCost").is_null()) a.implementation_cost = as_double(in.at("implementationCost"));
  a.design = *rallyuxr::domain::parse_analysis_design(in.at("design").as_string());
  for (const auto& g : in.at("guardrailMetrics").as_array()) a.guardrail_metrics.emplace_back(g.as_string());
  if (!in.at("uniqueUsers").is_null()) {
    a.unique_users = rallyuxr::domain::UniqueUsers{as_int(in.at("uniqueUsers").at("treatment")),
                                                   as_int(in.at("uniqueUsers").at("control"))};
  }
  a.running = in.at("running").as_bool();
  for (const auto& [id, g] : in.at("valueGroups").as_object()) a.value_groups[std::string(id)] = std::string(g.as_string());
  for (const auto& m : in.at("metrics").as_array()) {
    rallyuxr::domain::MetricSeries s;
    s.metric_id = boost::json::value_to<std::string>(m.at("metricId"));
    for (const auto& row : m.at("points").as_array()) {
      const auto& r = row.as_array();
      s.points.push_back(rallyuxr::domain::HourlyPoint{as_int(r.at(0)), as_double(r.at(1)), as_double(r.at(2)), as_int(r.at(3)),
                                     as_int(r.at(4))});
    }
    a.metrics.push_back(std::move(s));
  }
  for (const auto& [id, p] : in.at("pricing").as_object()) {
    rallyuxr::domain::MetricPricing pr;
    pr.dollars_per_unit = as_double(p.at("dollarsPerUnit"));
    pr.unit_size = as_double(p.at("unitSize"));
    pr.direction = *rallyuxr::domain::parse_direction(p.at("direction").as_string());
    a.pricing[std::string(id)] = pr;
  }
  return a;
}

inline bool is_number(const boost::json::value& v) { return v.is_double() || v.is_int64() || v.is_uint64(); }

inline bool is_p_value_key(std::string_view key) { return key == "pValue" || key == "adjustedPValue"; }

// The largest relative error seen against the reference (p-values within 1e-12 absolute excluded),
// printed at the end of the fixture tests for the record.
inline double g_max_rel_error = 0;
inline std::string g_max_rel_error_at;

inline void note_error(double expected, double actual, const std::string& where) {
  const double scale = std::max(std::fabs(expected), std::fabs(actual));
  if (scale == 0) return;
  const double rel = std::fabs(expected - actual) / scale;
  if (rel > g_max_rel_error) {
    g_max_rel_error = rel;
    g_max_rel_error_at = where;
  }
}

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

inline bool close(double expected, double actual, bool p_value) {
  const double diff = std::fabs(expected - actual);
  if (diff <= kRelTol * std::max(std::fabs(expected), std::fabs(actual))) return true;
  return p_value && diff <= kPAbsTol;
}

// Expected warnings are key phrases: each must occur in its own warning, and the counts must match.
inline void compare_warnings(const boost::json::array& expected, const boost::json::value& actual_v, const std::string& path) {
  ASSERT_TRUE(actual_v.is_array()) << path;
  const auto& actual = actual_v.as_array();
  std::string all;
  for (const auto& w : actual) all += "\n  " + std::string(w.as_string());
  EXPECT_EQ(expected.size(), actual.size()) << path << ": warnings were" << all;
  std::vector<bool> used(actual.size(), false);
  for (const auto& phrase_v : expected) {
    const std::string phrase = lower(std::string(phrase_v.as_string()));
    bool found = false;
    for (std::size_t i = 0; i < actual.size() && !found; ++i) {
      if (!used[i] && lower(std::string(actual[i].as_string())).find(phrase) != std::string::npos) {
        used[i] = found = true;
      }
    }
    EXPECT_TRUE(found) << path << ": no warning mentions \"" << phrase << "\"; warnings were" << all;
  }
}

// Walks the expected JSON; every figure must match (same keys, nulls where expected, numbers to
// the tolerance of statistics.md).
inline void compare(const boost::json::value& expected, const boost::json::value& actual, const std::string& path, std::string_view key,
             int& figures) {
  if (expected.is_null()) {
    EXPECT_TRUE(actual.is_null()) << path << ": expected null, got " << boost::json::serialize(actual);
    return;
  }
  if (is_number(expected)) {
    ASSERT_TRUE(is_number(actual)) << path << ": expected " << boost::json::serialize(expected) << ", got "
                                   << boost::json::serialize(actual);
    ++figures;
    if (!expected.is_double() && !actual.is_double()) {
      EXPECT_EQ(as_int(expected), as_int(actual)) << path;
      return;
    }
    const double e = as_double(expected);
    const double a = as_double(actual);
    if (!(is_p_value_key(key) && std::fabs(e - a) <= kPAbsTol && std::max(std::fabs(e), std::fabs(a)) < 1e-3)) {
      note_error(e, a, path);
    }
    EXPECT_TRUE(close(e, a, is_p_value_key(key)))
        << path << ": expected " << boost::json::serialize(expected) << ", got " << boost::json::serialize(actual)
        << " (relative error " << std::fabs(e - a) / std::max(std::fabs(e), std::fabs(a)) << ")";
    return;
  }
  if (expected.is_bool()) {
    ASSERT_TRUE(actual.is_bool()) << path;
    ++figures;
    EXPECT_EQ(expected.get_bool(), actual.get_bool()) << path;
    return;
  }
  if (expected.is_string()) {
    ASSERT_TRUE(actual.is_string()) << path;
    EXPECT_EQ(expected.get_string(), actual.get_string()) << path;
    return;
  }
  if (expected.is_array()) {
    if (key == "warnings") {
      compare_warnings(expected.get_array(), actual, path);
      return;
    }
    ASSERT_TRUE(actual.is_array()) << path;
    ASSERT_EQ(expected.get_array().size(), actual.get_array().size()) << path;
    for (std::size_t i = 0; i < expected.get_array().size(); ++i) {
      compare(expected.get_array()[i], actual.get_array()[i], path + "[" + std::to_string(i) + "]", key, figures);
    }
    return;
  }
  ASSERT_TRUE(actual.is_object()) << path << ": expected an object, got " << boost::json::serialize(actual);
  const auto& eo = expected.get_object();
  const auto& ao = actual.get_object();
  for (const auto& [k, v] : eo) {
    const auto* av = ao.if_contains(k);
    if (!av) {
      ADD_FAILURE() << path << ": missing key \"" << std::string(k) << "\"";
      continue;
    }
    compare(v, *av, path + "." + std::string(k), k, figures);
  }
  for (const auto& [k, v] : ao) {
    EXPECT_TRUE(eo.contains(k)) << path << ": unexpected key \"" << std::string(k) << "\"";
  }
}

}  // namespace rallyuxr::testing
