// The upload readers of issue 18: the CSV reader (codec/csv_reader.hpp: fields in place, columns
// by header name) and the simdjson path for JSON uploads (parse_results_json_fast), which must give
// every number bit for bit as the general path (parse_json_exact + parse_results_json) does, and
// decline whatever the general path has to report.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codec/csv_reader.hpp"
#include "codec/json_parse.hpp"
#include "codec/results_io.hpp"

namespace rallyuxr::codec {
namespace {

// ============================================================================ CsvReader

TEST(CsvReader, FieldsPointIntoTheBufferAndColumnsAreFoundByName) {
  const std::string text = "metricId, timestamp ,value\nctr,2025-01-15T00:00:00Z, 0.5 \n";
  CsvReader r(text);
  ASSERT_TRUE(r.next_line());
  ASSERT_TRUE(r.split());
  r.take_header();
  EXPECT_EQ(r.column("metricId"), 0);
  EXPECT_EQ(r.column("timestamp"), 1);
  EXPECT_EQ(r.column("value"), 2);
  EXPECT_EQ(r.column("segment"), -1);
  ASSERT_TRUE(r.next_line());
  EXPECT_EQ(r.line_number(), 2u);
  ASSERT_TRUE(r.split());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.field(r.column("value")), "0.5");
  EXPECT_EQ(r.field(-1), "");
  EXPECT_EQ(r.field(7), "");
  // No copy: the field is a view of the upload's own bytes.
  EXPECT_GE(r.field(2).data(), text.data());
  EXPECT_LT(r.field(2).data(), text.data() + text.size());
  ASSERT_TRUE(r.next_line());  // the text after the last newline: a blank line 3
  EXPECT_TRUE(r.blank());
  EXPECT_EQ(r.line_number(), 3u);
  EXPECT_FALSE(r.next_line());
}

TEST(CsvReader, QuotesByteOrderMarkAndCrlf) {
  const std::string text = "\xEF\xBB\xBF" "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\", \"q\"tail\r\n\"open,2\r\n  \t\r\n";
  CsvReader r(text);
  ASSERT_TRUE(r.next_line());
  ASSERT_TRUE(r.split());
  r.take_header();
  EXPECT_EQ(r.header(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(r.next_line());
  ASSERT_TRUE(r.split());
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], "x,1");
  EXPECT_EQ(r[1], "say \"hi\"");
  EXPECT_EQ(r[2], "qtail");
  ASSERT_TRUE(r.next_line());
  EXPECT_FALSE(r.split()) << "unterminated quoted field";
  ASSERT_TRUE(r.next_line());
  EXPECT_TRUE(r.blank());
  EXPECT_EQ(r.line_number(), 4u);
}

// ============================================================================ numbers

std::string upload_with(const std::string& number_text) {
  return R"({"metrics":{"conversion_rate":{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":)" +
         number_text + R"(,"controlValue":0.5,"treatmentSampleSize":10,"controlSampleSize":10}]}}})";
}

ParsedUpload general(const std::string& text, const UploadRules& rules = {}) {
  boost::system::error_code ec;
  auto v = parse_json_exact(text, ec);
  if (ec || !v.is_object()) return ParsedUpload{{}, {{"", "malformed"}}, 0, std::nullopt};
  return parse_results_json(v.get_object(), rules);
}

std::optional<ParsedUpload> fast(const std::string& text, const UploadRules& rules = {}) {
  return parse_results_json_fast(text, text.capacity(), rules);
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

// Both paths on the same number: the fast one either declines (the general one then answers) or
// gives the very same bits.
void expect_same_bits(const std::string& number, bool fast_must_accept) {
  const std::string text = upload_with(number);
  auto g = general(text);
  auto f = fast(text);
  if (fast_must_accept) ASSERT_TRUE(f.has_value()) << number;
  if (!f) return;
  ASSERT_TRUE(g.issues.empty()) << number << ": the general path rejects what the fast one accepted";
  ASSERT_EQ(f->metrics.size(), 1u);
  EXPECT_EQ(bits(f->metrics[0].points[0].treatment_value), bits(g.metrics[0].points[0].treatment_value))
      << number << ": " << f->metrics[0].points[0].treatment_value << " vs " << g.metrics[0].points[0].treatment_value;
}

TEST(JsonUploadFast, EdgeNumbersComeOutBitForBitAsTheGeneralPathGivesThem) {
  for (const char* n : {"0", "-0", "-0.0", "0.0", "0.1", "0.30000000000000004", "1e308", "1.7976931348623157e308",
                        "-1.7976931348623157e308", "2.2250738585072014e-308", "2.2250738585072011e-308",
                        "4.9406564584124654e-324", "5e-324", "2.4703282292062328e-324", "1e-320",
                        "1.0000000000000002", "0.99999999999999989", "9007199254740992", "9007199254740993",
                        "-9007199254740993", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
                        "123456789012345678", "3.141592653589793", "48353.12914611297", "1E5", "1e-400", "-1e-400",
                        "7.2057594037927933e16", "1.23456789012345678901234567890"})
    expect_same_bits(n, true);
  // Beyond 64-bit integers simdjson declines; the general path converts them correctly rounded.
  for (const char* n : {"18446744073709551616", "-9223372036854775809", "123456789012345678901234567890"})
    expect_same_bits(n, false);
}

TEST(JsonUploadFast, RandomSeventeenDigitAndShortestNumbersRoundTripExactly) {
  std::mt19937_64 rng(18);
  for (int i = 0; i < 20000; ++i) {
    double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    char buf[64];
    auto shortest = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, shortest.ptr);
    // A whole number beyond 64 bits written without an exponent is the general path's.
    const bool decimal = s.find_first_of(".eE") != std::string::npos || s.size() < 19;
    expect_same_bits(s, decimal);
    auto full = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific, 16);
    expect_same_bits(std::string(buf, full.ptr), true);
    // And the value itself survives: shortest text -> double -> the same bits.
    auto f = fast(upload_with(s));
    if (!decimal) continue;
    ASSERT_TRUE(f);
    EXPECT_EQ(bits(f->metrics[0].points[0].treatment_value), bits(d)) << s;
  }
}

TEST(CsvUpload, NumbersAreParsedInPlaceBitForBit) {
  std::mt19937_64 rng(7);
  std::string csv = std::string(kResultsCsvHeader) + "\n";
  std::vector<double> values;
  for (int h = 0; h < 500; ++h) {
    double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) d = 0.25;
    values.push_back(d);
    char buf[64];
    auto end = std::to_chars(buf, buf + sizeof buf, d);
    csv += "ctr,2025-01-" + std::string(h / 24 + 1 < 10 ? "0" : "") + std::to_string(h / 24 + 1) + "T" +
           (h % 24 < 10 ? "0" : "") + std::to_string(h % 24) + ":00:00Z," + std::string(buf, end.ptr) + ",-0.0,1,2\n";
  }
  auto parsed = parse_results_csv(csv, {});
  ASSERT_TRUE(parsed.issues.empty()) << parsed.issues[0].path << ": " << parsed.issues[0].message;
  ASSERT_EQ(parsed.metrics[0].points.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(bits(parsed.metrics[0].points[i].treatment_value), bits(values[i]));
    EXPECT_EQ(bits(parsed.metrics[0].points[i].control_value), bits(-0.0));
  }
}

// ============================================================================ shapes

// The same series from both paths: ids, hours, and every number bit for bit.
void expect_same_series(const std::vector<domain::MetricSeries>& a, const std::vector<domain::MetricSeries>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t m = 0; m < a.size(); ++m) {
    EXPECT_EQ(a[m].metric_id, b[m].metric_id);
    ASSERT_EQ(a[m].points.size(), b[m].points.size());
    for (std::size_t i = 0; i < a[m].points.size(); ++i) {
      const auto& x = a[m].points[i];
      const auto& y = b[m].points[i];
      EXPECT_EQ(x.timestamp, y.timestamp);
      EXPECT_EQ(bits(x.treatment_value), bits(y.treatment_value));
      EXPECT_EQ(bits(x.control_value), bits(y.control_value));
      EXPECT_EQ(x.treatment_sample_size, y.treatment_sample_size);
      EXPECT_EQ(x.control_sample_size, y.control_sample_size);
    }
  }
}

TEST(JsonUploadFast, AValidUploadGivesWhatTheGeneralPathGives) {
  const std::string text = R"({"uniqueUsers":{"treatment":15,"control":9},"version":3,
    "metrics":{
      "ctr":{"summary":{"preHours":0},"timeSeries":[
        {"timestamp":"2025-01-15T02:00:00Z","treatmentValue":0.1,"controlValue":0.2,"treatmentSampleSize":10,"controlSampleSize":9.0,"extra":"x"},
        {"timestamp":"2025-01-15T01:00:00+00:00","treatmentValue":1e-3,"controlValue":-2,"treatmentSampleSize":1000000000000,"controlSampleSize":0}]},
      "bounce_rate":{"timeSeries":[
        {"controlSampleSize":3,"treatmentSampleSize":4,"controlValue":0.25,"treatmentValue":0.75,"timestamp":"2025-01-15T00:00:00Z"}]}}})";
  UploadRules rules;
  auto g = general(text, rules);
  ASSERT_TRUE(g.issues.empty()) << g.issues[0].path << ": " << g.issues[0].message;
  auto f = fast(text, rules);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rows, g.rows);
  expect_same_series(f->metrics, g.metrics);
  EXPECT_EQ(f->metrics[0].points[0].timestamp + 3600, f->metrics[0].points[1].timestamp) << "sorted by time";
  ASSERT_TRUE(f->unique_users && g.unique_users);
  EXPECT_EQ(f->unique_users->treatment, 15);
  EXPECT_EQ(f->unique_users->control, 9);
}

// Segments through the fast path: the same series, segments and distinct users as the general
// path, and every bad segment upload left to the general path, which reports it.
TEST(JsonUploadFast, SegmentsGiveWhatTheGeneralPathGives) {
  auto point = [](const char* ts, double t, double c, int nt, int nc) {
    return std::string(R"({"timestamp":")") + ts + R"(","treatmentValue":)" + std::to_string(t) +
           R"(,"controlValue":)" + std::to_string(c) + R"(,"treatmentSampleSize":)" + std::to_string(nt) +
           R"(,"controlSampleSize":)" + std::to_string(nc) + "}";
  };
  auto series = [&](double t, int n) {
    return R"({"ctr":{"timeSeries":[)" + point("2025-01-15T00:00:00Z", t, 0.25, n, n) + "," +
           point("2025-01-15T01:00:00Z", t / 2, 0.125, n, n) + "]}}";
  };
  const std::string text = R"({"segments":{"device":{"desktop":{"metrics":)" + series(0.5, 30) +
                           R"(,"uniqueUsers":{"treatment":20,"control":21}},"mobile":{"metrics":)" + series(0.25, 10) +
                           R"(}}},"uniqueUsers":{"treatment":40,"control":41}})";
  UploadRules rules;
  auto g = general(text, rules);
  ASSERT_TRUE(g.issues.empty()) << g.issues[0].path << ": " << g.issues[0].message;
  auto f = fast(text, rules);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rows, g.rows);
  EXPECT_EQ(f->derived_overall_points, g.derived_overall_points);
  EXPECT_EQ(f->derived_overall_points, 2u);
  expect_same_series(f->metrics, g.metrics);
  ASSERT_EQ(f->segments.size(), 1u);
  ASSERT_EQ(g.segments.size(), 1u);
  const auto& fd = f->segments.at("device");
  const auto& gd = g.segments.at("device");
  ASSERT_EQ(fd.size(), 2u);
  for (const auto& [name, seg] : gd) {
    ASSERT_TRUE(fd.count(name)) << name;
    expect_same_series(fd.at(name).series, seg.series);
    EXPECT_EQ(fd.at(name).unique_users.has_value(), seg.unique_users.has_value()) << name;
  }
  ASSERT_TRUE(fd.at("desktop").unique_users);
  EXPECT_EQ(fd.at("desktop").unique_users->control, 21);
  ASSERT_TRUE(f->unique_users);
  EXPECT_EQ(f->unique_users->treatment, 40);

  // Bad segment uploads: declined here, reported there.
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = text;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::string> bad = {
      replace(R"("device":{)", R"("Device!":{)"), replace(R"("mobile")", R"("")"),
      replace(R"("segments":{"device":{)", R"("segments":{"device":[],"x":{)"),
      replace(R"(,"uniqueUsers":{"treatment":20,"control":21})", R"(,"uniqueUsers":{"treatment":20})"),
      replace(R"({"treatment":20,"control":21})", R"({"treatment":20,"control":21},"extra":1)"),
      replace(R"("mobile":{"metrics":)", R"("mobile":{"series":)"),
      replace("0.125", "\"x\""),
  };
  for (const auto& t : bad) {
    EXPECT_FALSE(fast(t, rules)) << t;
    EXPECT_FALSE(general(t, rules).issues.empty()) << "the general path reports it: " << t;
  }
}

TEST(JsonUploadFast, TheResultsEnvelopeIsReadAtItsResults) {
  const std::string inner = upload_with("0.5");
  const std::string text = R"({"data":{"results":)" + inner + "}}";
  EXPECT_FALSE(parse_results_json_fast(text, text.capacity(), {}, false));
  auto f = parse_results_json_fast(text, text.capacity(), {}, true);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rows, 1u);
}

TEST(JsonUploadFast, DeclinesEverythingTheGeneralPathReports) {
  UploadRules rules;
  rules.metrics = {"conversion_rate"};
  rules.earliest = 1736899200 - 30 * 86400;  // 2025-01-15 minus 30 days
  rules.end = 1736899200 + 14 * 86400;
  const std::string ok = upload_with("0.5");
  ASSERT_TRUE(fast(ok, rules));
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::string> bad = {
      "", "{", "[]", "{}", ok + "x", R"({"metrics":[]})", R"({"metrics":{}})",
      replace("conversion_rate", "Conversion"), replace("conversion_rate", "bounce_rate"),
      replace("\"timeSeries\"", "\"series\""), replace("[{", "[1,{"),
      replace("2025-01-15T00:00:00Z", "2025-01-15T00:30:00Z"), replace("2025-01-15T00:00:00Z", "2025-01-15T00:00:00.5Z"),
      replace("2025-01-15T00:00:00Z", "2025-01-15"), replace("2025-01-15T00:00:00Z", "2024-01-15T00:00:00Z"),
      replace("2025-01-15T00:00:00Z", "2026-01-15T00:00:00Z"), replace("\"2025-01-15T00:00:00Z\"", "1736899200"),
      replace("0.5", "\"0.5\""), replace("0.5", "null"), replace("0.5", "1e400"), replace(":10,", ":-1,"),
      replace(":10,", ":10.5,"), replace(":10,", ":1000000000001,"), replace(",\"controlValue\":0.5", ""),
      replace("{\"metrics\"", "{\"uniqueUsers\":{\"treatment\":1000,\"control\":1},\"metrics\""),
      replace("{\"metrics\"", "{\"uniqueUsers\":{\"treatment\":1},\"metrics\""),
      replace("{\"metrics\"", "{\"uniqueUsers\":{\"all\":1},\"metrics\""),
      replace("{\"metrics\"", "{\"uniqueUsers\":[],\"metrics\""),
      replace("}]}}}", "},{\"timestamp\":\"2025-01-15T00:00:00Z\",\"treatmentValue\":1,\"controlValue\":1,"
                       "\"treatmentSampleSize\":1,\"controlSampleSize\":1}]}}}"),
      "{\"metrics\":" + std::string(40, '[') + std::string(40, ']') + "}",
  };
  // A key the fast path does not read, at the top or in a metric: the general path decides (a
  // field it learns later is never dropped unnoticed). Segments it reads (the test below).
  EXPECT_FALSE(fast(replace("{\"metrics\"", "{\"segmentz\":{},\"metrics\""), rules));
  EXPECT_FALSE(fast(replace("{\"metrics\"", "{\"segments\":{\"device\":{\"mobile\":{\"metrics\":{},\"note\":1}}},\"metrics\""), rules));
  EXPECT_FALSE(fast(replace("{\"timeSeries\"", "{\"unit\":\"%\",\"timeSeries\""), rules));
  EXPECT_TRUE(fast(replace("\"controlSampleSize\"", "\"note\":[1,{\"x\":null}],\"controlSampleSize\""), rules))
      << "unknown fields of a point are ignored, as the general path ignores them";
  // A repeated key: the general path's choice of value stands.
  EXPECT_FALSE(fast(replace(",\"controlValue\":0.5", ",\"controlValue\":0.5,\"controlValue\":0.5"), rules));
  EXPECT_FALSE(fast("{\"metrics\":{},\"metrics\":{}}", rules));
  for (const auto& text : bad) {
    EXPECT_FALSE(fast(text, rules)) << text;
    EXPECT_FALSE(general(text, rules).issues.empty()) << "the general path reports it: " << text;
  }
}

}  // namespace
}  // namespace rallyuxr::codec
