// The upload readers of issue 18: the CSV reader (codec/csv_reader.hpp: fields in place, columns
// by header name) and the fast path for JSON uploads (parse_results_json_fast: the one-pass strict
// tier, then simdjson's), which must give every number bit for bit as the general path
// (parse_json_exact + parse_results_json) does, and decline whatever the general path has to report.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <algorithm>
#include <optional>
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

// ============================================================================ the strict tier

// parse_results_json_strict (the one-pass tier of parse_results_json_fast) on its own: it either
// declines or gives exactly what the general path gives, and it accepts the plain uploads it is for.
std::optional<ParsedUpload> strict(const std::string& text, const UploadRules& rules = {}, bool envelope = false) {
  return parse_results_json_strict(text, rules, envelope);
}

// Everything both paths return for an accepted upload, compared.
void expect_same_upload(const ParsedUpload& f, const ParsedUpload& g, const std::string& text) {
  SCOPED_TRACE(text.substr(0, 400));
  ASSERT_TRUE(g.issues.empty()) << "the general path rejects what the strict one accepted: " << g.issues[0].path << ": "
                                << g.issues[0].message;
  EXPECT_EQ(f.rows, g.rows);
  EXPECT_EQ(f.derived_overall_points, g.derived_overall_points);
  expect_same_series(f.metrics, g.metrics);
  ASSERT_EQ(f.unique_users.has_value(), g.unique_users.has_value());
  if (f.unique_users) {
    EXPECT_EQ(f.unique_users->treatment, g.unique_users->treatment);
    EXPECT_EQ(f.unique_users->control, g.unique_users->control);
  }
  ASSERT_EQ(f.segments.size(), g.segments.size());
  for (const auto& [dimension, segs] : g.segments) {
    ASSERT_TRUE(f.segments.count(dimension)) << dimension;
    ASSERT_EQ(f.segments.at(dimension).size(), segs.size()) << dimension;
    for (const auto& [name, seg] : segs) {
      ASSERT_TRUE(f.segments.at(dimension).count(name)) << name;
      const auto& fs = f.segments.at(dimension).at(name);
      expect_same_series(fs.series, seg.series);
      ASSERT_EQ(fs.unique_users.has_value(), seg.unique_users.has_value()) << name;
      if (fs.unique_users) EXPECT_EQ(fs.unique_users->treatment, seg.unique_users->treatment);
    }
  }
}

// The strict tier on `text`: declined, or the general path's result. Returns whether it accepted.
bool expect_strict_same(const std::string& text, const UploadRules& rules = {}) {
  auto f = strict(text, rules);
  if (!f) return false;
  expect_same_upload(*f, general(text, rules), text);
  return true;
}

TEST(JsonUploadStrict, NumbersComeOutBitForBitAsTheGeneralPathGivesThem) {
  // Every JSON number the strict tier reads: integers (int64, uint64 and beyond 64 bits), -0 (the
  // integer 0, so +0.0) and -0.0, subnormals, the extremes, 17 and more digits, exponents.
  for (const char* n : {"0", "-0", "-0.0", "0.0", "0e0", "-0e-5", "0.1", "0.30000000000000004", "1e308",
                        "1.7976931348623157e308", "-1.7976931348623157e308", "2.2250738585072014e-308",
                        "2.2250738585072011e-308", "4.9406564584124654e-324", "5e-324", "-5e-324", "1e-320",
                        "2.4703282292062328e-324", "1.0000000000000002", "0.99999999999999989", "9007199254740992",
                        "9007199254740993", "-9007199254740993", "9007199254740993.0", "9223372036854775807",
                        "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
                        "18446744073709551616", "123456789012345678901234567890", "-123456789012345678901234567890",
                        "123456789012345678", "3.141592653589793", "48353.12914611297", "1E5", "1e+5", "1E-5",
                        "7.2057594037927933e16", "1.23456789012345678901234567890", "0.0000000000000000000001234",
                        "1234567890123456789e-19", "1e22", "1e23", "9007199254740993e-22", "4503599627370497.5",
                        "0.05941715404680665", "0.09876543210987654", "100000000000000000000000e-24"}) {
    const std::string text = upload_with(n);
    ASSERT_TRUE(strict(text)) << n;
    expect_strict_same(text);
  }
  // Out of from_chars' range: the tiers behind decide (the general path keeps Boost's value for an
  // underflow, and rejects an overflow).
  for (const char* n : {"1e-400", "-1e-400", "1e400", "-1e400"}) EXPECT_FALSE(strict(upload_with(n))) << n;
}

TEST(JsonUploadStrict, RandomDoublesRoundTripExactly) {
  std::mt19937_64 rng(1818);
  for (int i = 0; i < 50000; ++i) {
    double d = std::bit_cast<double>(rng());
    if (i % 3 == 0) d = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80));  // moderate
    if (!std::isfinite(d)) continue;
    char buf[64];
    for (auto text : {std::string(buf, std::to_chars(buf, buf + sizeof buf, d).ptr),
                      std::string(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific, 16).ptr),
                      std::string(buf, std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific, 20).ptr)}) {
      auto f = strict(upload_with(text));
      ASSERT_TRUE(f) << text;
      if (text.find_first_of(".eE") != std::string::npos || text.size() < 20 || i % 50 == 0)
        expect_same_bits(text, true);
      if (text.size() < 25) {  // the shortest form and 17 significant digits identify the double
        EXPECT_EQ(bits(f->metrics[0].points[0].treatment_value), bits(d)) << text;
      }
    }
  }
}

// Decimals of up to 19 digits over 10^1..10^19 (the strict tier divides them exactly instead of
// calling from_chars), ties to even included: std::from_chars' bits, which are the general path's.
TEST(JsonUploadStrict, ExactDivisionGivesFromCharsBits) {
  std::mt19937_64 rng(1919);
  auto check = [](const std::string& text) {
    double want = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), want);
    ASSERT_TRUE(ec == std::errc() && end == text.data() + text.size()) << text;
    auto f = strict(upload_with(text));
    ASSERT_TRUE(f) << text;
    ASSERT_EQ(bits(f->metrics[0].points[0].treatment_value), bits(want)) << text;
  };
  for (int i = 0; i < 200000; ++i) {
    const int ndigits = 1 + static_cast<int>(rng() % 19);
    std::uint64_t digits = rng() % 10;
    for (int k = 1; k < ndigits; ++k) digits = digits * 10 + rng() % 10;
    if (digits == 0) digits = 1 + rng() % 9;
    const int q = 1 + static_cast<int>(rng() % 19);
    check(std::to_string(digits) + "e-" + std::to_string(q));
    std::string s = std::to_string(digits);  // the same as a decimal fraction, when it has enough digits
    if (static_cast<int>(s.size()) > q) check((i % 2 ? "-" : "") + s.substr(0, s.size() - q) + "." + s.substr(s.size() - q));
  }
  // Exact halfway cases: (2k + 1) / 2^t with 53 bits in k, written as (2k + 1) * 5^t / 10^t.
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t k = (std::uint64_t{1} << 52) + (rng() >> 12);
    const int t = 1 + static_cast<int>(rng() % 4);
    std::uint64_t digits = 2 * k + 1;
    for (int j = 0; j < t; ++j) digits *= 5;
    check(std::to_string(digits) + "e-" + std::to_string(t));
    check(std::to_string(digits - 1) + "e-" + std::to_string(t));
    check(std::to_string(digits + 1) + "e-" + std::to_string(t));
  }
}

TEST(JsonUploadStrict, CountsAreReadAsTheGeneralPathReadsThem) {
  auto with_size = [](const std::string& n) {
    return R"({"metrics":{"ctr":{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.5,"controlValue":0.5,"treatmentSampleSize":)" +
           n + R"(,"controlSampleSize":3}]}}})";
  };
  for (const char* n : {"0", "-0", "-0.0", "10", "1e3", "1000.0", "1E+2", "1000000000000", "1e12", "999999999999.99999999"}) {
    ASSERT_TRUE(strict(with_size(n))) << n;
    expect_strict_same(with_size(n));
  }
  for (const char* n : {"-1", "10.5", "1000000000001", "1e13", "18446744073709551616", "-0.5", "1e400", "\"5\"", "null",
                        "true"}) {
    EXPECT_FALSE(strict(with_size(n))) << n;
    EXPECT_FALSE(general(with_size(n)).issues.empty()) << n;
  }
  auto with_users = [](const std::string& t) {
    return R"({"uniqueUsers":{"treatment":)" + t +
           R"(,"control":5},"metrics":{"ctr":{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.5,"controlValue":0.5,"treatmentSampleSize":10,"controlSampleSize":10}]}}})";
  };
  for (const char* n : {"0", "-0", "7", "7.0", "1e1"}) {
    ASSERT_TRUE(strict(with_users(n))) << n;
    expect_strict_same(with_users(n));
  }
}

TEST(JsonUploadStrict, DeclinesWhatIsNotJsonsNumberGrammar) {
  // std::from_chars takes these; JSON does not, and the general path reports them as malformed.
  for (const char* n : {"01", "-01", "00", "1.", ".5", "+1", "-", "1e", "1e+", "1.e5", "-.5", "inf", "-inf", "nan",
                        "Infinity", "NaN", "0x10", "1_000", "1,5", "--1", "1e5.5", "0.5.5"}) {
    const std::string text = upload_with(n);
    EXPECT_FALSE(strict(text)) << n;
    EXPECT_FALSE(fast(text)) << n;
    EXPECT_FALSE(general(text).issues.empty()) << n;
  }
}

TEST(JsonUploadStrict, DeclinesStringsWithEscapesControlsOrNonAscii) {
  const std::string ok = upload_with("0.5");
  ASSERT_TRUE(strict(ok));
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  // Valid JSON the simdjson tier reads: the strict one leaves it to that tier, which gives the same.
  for (const std::string& t : {replace("\"controlSampleSize\"", "\"note\":\"a\\\"b\",\"controlSampleSize\""),
                               replace("\"controlSampleSize\"", "\"note\":\"caf\xC3\xA9\",\"controlSampleSize\""),
                               replace("\"controlSampleSize\"", "\"n\\u006Fte\":1,\"controlSampleSize\""),
                               replace("\"timestamp\"", "\"timest\\u0061mp\"")}) {
    EXPECT_FALSE(strict(t)) << t;
    auto f = fast(t);
    ASSERT_TRUE(f) << t;
    auto g = general(t);
    ASSERT_TRUE(g.issues.empty()) << t;
    expect_same_series(f->metrics, g.metrics);
  }
  // Not JSON at all: a raw control character or tab in a string, invalid UTF-8.
  for (const std::string& t : {replace("2025-01-15T00:00:00Z", "2025-01-15T00:00:00Z\t"),
                               replace("\"controlSampleSize\"", "\"note\":\"a\nb\",\"controlSampleSize\""),
                               replace("\"controlSampleSize\"", "\"note\":\"\xFF\",\"controlSampleSize\"")}) {
    EXPECT_FALSE(strict(t)) << t;
    EXPECT_FALSE(general(t).issues.empty()) << t;
  }
}

TEST(JsonUploadStrict, DeclinesRepeatedAndUnknownKeys) {
  const std::string ok = R"({"uniqueUsers":{"treatment":10,"control":10},"metrics":{"ctr":{"summary":{"x":1},"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.5,"controlValue":0.5,"treatmentSampleSize":10,"controlSampleSize":10}]}}})";
  ASSERT_TRUE(strict(ok));
  expect_strict_same(ok);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  for (const std::string& t : {
           replace(R"({"uniqueUsers")", R"({"metrics":{},"uniqueUsers")"),
           replace(R"({"uniqueUsers")", R"({"version":1,"version":2,"uniqueUsers")"),
           replace(R"("control":10})", R"("control":10,"control":10})"),
           replace(R"({"summary")", R"({"timeSeries":[],"summary")"),
           replace(R"({"summary":{"x":1})", R"({"summary":{"x":1},"summary":{})"),
           replace(R"("ctr":{)", R"("ctr":{"timeSeries":[]},"ctr":{)"),
           replace(R"("controlValue":0.5)", R"("controlValue":0.5,"controlValue":0.5)"),
           replace(R"("timestamp":"2025-01-15T00:00:00Z")", R"("timestamp":"2025-01-15T00:00:00Z","timestamp":"2025-01-15T00:00:00Z")"),
           replace(R"({"uniqueUsers")", R"({"segmentz":{},"uniqueUsers")"),
           replace(R"({"summary")", R"({"unit":"%","summary")"),
           replace(R"("control":10})", R"("control":10,"all":20})"),
           replace(R"({"treatment":10,"control":10})", R"({})"),
       }) {
    EXPECT_FALSE(strict(t)) << t;
  }
  // A point's unknown fields are skipped (checked as JSON), repeated or not.
  for (const std::string& t : {replace(R"("controlSampleSize")", R"("note":[1,{"x":null,"y":[true,false,-1.5e3]}],"controlSampleSize")"),
                               replace(R"("controlSampleSize")", R"("note":1,"note":2,"controlSampleSize")")}) {
    ASSERT_TRUE(strict(t)) << t;
    expect_strict_same(t);
  }
  // ... but not malformed ones, nor ones nested deeper than the strict tier follows.
  for (const std::string& t : {replace(R"("controlSampleSize")", R"("note":[1,],"controlSampleSize")"),
                               replace(R"("controlSampleSize")", R"("note":{"a"},"controlSampleSize")"),
                               replace(R"("controlSampleSize")", R"("note":tru,"controlSampleSize")"),
                               replace(R"("controlSampleSize")", "\"note\":" + std::string(30, '[') + std::string(30, ']') + ",\"controlSampleSize\"")}) {
    EXPECT_FALSE(strict(t)) << t;
  }
}

TEST(JsonUploadStrict, ManyNamesAreCheckedForRepeatsToo) {
  // Past a handful, names are kept in a hash set: a repeat among thousands still declines.
  auto upload = [](int n, bool repeat) {
    std::string s = R"({"metrics":{)";
    for (int i = 0; i < n; ++i) {
      std::string id = "m";
      for (int k = i; k > 0; k /= 26) id += static_cast<char>('a' + k % 26);
      if (repeat && i == n - 1) id = "mb";
      s += (i ? "," : "") + ("\"" + id + "\"") +
           R"(:{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.5,"controlValue":0.5,"treatmentSampleSize":1,"controlSampleSize":1}]})";
    }
    return s + "}}";
  };
  ASSERT_TRUE(expect_strict_same(upload(2000, false)));
  EXPECT_FALSE(strict(upload(2000, true)));
  EXPECT_FALSE(strict(upload(10, true)));
}

TEST(JsonUploadStrict, AnyKeyOrderAndWhitespaceGiveTheSamePoints) {
  // The fields in the contract's order without whitespace take the quick way; any other order,
  // whitespace or extra field the general way of the strict tier: the same points either way.
  const std::string a = R"({"metrics":{"ctr":{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.25,"controlValue":0.5,"treatmentSampleSize":10,"controlSampleSize":20},{"timestamp":"2025-01-15T01:00:00Z","treatmentValue":1e-3,"controlValue":-2,"treatmentSampleSize":1e2,"controlSampleSize":0}]}}})";
  const std::string b = " \n{ \"metrics\" : {\r\n\t\"ctr\":{ \"timeSeries\" : [ {\"controlSampleSize\" : 20, \"treatmentSampleSize\":10,"
                        "\"controlValue\":0.5 ,\"treatmentValue\":0.25,\"timestamp\":\"2025-01-15T00:00:00Z\"} ,\n"
                        "{ \"timestamp\":\"2025-01-15T01:00:00Z\",\"treatmentValue\":1e-3,\"controlValue\":-2,"
                        "\"treatmentSampleSize\":1e2,\"controlSampleSize\":0 } ] } } }\n ";
  auto fa = strict(a), fb = strict(b);
  ASSERT_TRUE(fa && fb);
  expect_same_series(fa->metrics, fb->metrics);
  expect_strict_same(a);
  expect_strict_same(b);
  ASSERT_EQ(fa->metrics[0].points.size(), 2u);
  EXPECT_EQ(fa->metrics[0].points[1].treatment_sample_size, 100);
}

TEST(JsonUploadStrict, TimestampsAsTheGeneralPathReadsThem) {
  auto with_times = [](const std::vector<std::string>& times) {
    std::string s = R"({"metrics":{"ctr":{"timeSeries":[)";
    for (std::size_t i = 0; i < times.size(); ++i)
      s += (i ? "," : "") + std::string(R"({"timestamp":")") + times[i] +
           R"(","treatmentValue":0.5,"controlValue":0.5,"treatmentSampleSize":10,"controlSampleSize":10})";
    return s + "]}}}";
  };
  // Days shared and not, month and year ends, a leap day, other accepted forms, out of order.
  for (const auto& times : std::vector<std::vector<std::string>>{
           {"2025-01-15T00:00:00Z", "2025-01-15T01:00:00Z", "2025-01-15T23:00:00Z", "2025-01-16T00:00:00Z"},
           {"2024-02-28T23:00:00Z", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z", "2024-12-31T23:00:00Z",
            "2025-01-01T00:00:00Z"},
           {"2025-01-15T02:00:00Z", "2025-01-15T01:00:00+00:00", "2025-01-15T05:00:00+02:00", "2025-01-15t06:00:00z",
            "2025-01-15T07:00:00.000Z", "2025-01-15T08:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z"}}) {
    ASSERT_TRUE(strict(with_times(times))) << with_times(times);
    expect_strict_same(with_times(times));
  }
  for (const auto& bad : {"2025-02-29T00:00:00Z", "2025-01-15T24:00:00Z", "2025-01-15T00:60:00Z", "2025-01-15T00:30:00Z",
                          "2025-01-15T00:00:01Z", "2025-01-15T23:59:60Z", "2025-01-15T00:00:00.5Z", "2025-01-15",
                          "2025-01-15T00:00:00", "2025-13-01T00:00:00Z", "2025-1-15T00:00:00Z", "2025-01-15 00:00:00Z",
                          "2025-01-15T0a:00:00Z"}) {
    const std::string t = with_times({"2025-01-15T03:00:00Z", bad});
    EXPECT_FALSE(strict(t)) << bad;
    EXPECT_FALSE(general(t).issues.empty()) << bad;
  }
  // The window of an experiment, and a duplicate hour.
  UploadRules rules;
  rules.earliest = 1736899200;  // 2025-01-15T00:00:00Z
  rules.end = 1736899200 + 86400;
  EXPECT_TRUE(strict(with_times({"2025-01-15T00:00:00Z", "2025-01-15T23:00:00Z"}), rules));
  EXPECT_FALSE(strict(with_times({"2025-01-14T23:00:00Z"}), rules));
  EXPECT_FALSE(strict(with_times({"2025-01-16T00:00:00Z"}), rules));
  EXPECT_FALSE(strict(with_times({"2025-01-15T01:00:00Z", "2025-01-15T01:00:00Z"})));
}

TEST(JsonUploadStrict, SegmentsUsersAndTheEnvelopeAsTheGeneralPathReadsThem) {
  const std::string series = R"({"ctr":{"timeSeries":[{"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.5,"controlValue":0.25,"treatmentSampleSize":30,"controlSampleSize":30},{"timestamp":"2025-01-15T01:00:00Z","treatmentValue":0.25,"controlValue":0.125,"treatmentSampleSize":30,"controlSampleSize":30}]}})";
  const std::string body = R"({"segments":{"device":{"desktop":{"uniqueUsers":{"treatment":20,"control":21},"metrics":)" + series +
                           R"(},"mobile":{"metrics":)" + series + R"(,"uniqueUsers":null}}},"uniqueUsers":{"treatment":40,"control":null},"metrics":null})";
  // Unique users need both groups: the general path reports the missing control.
  EXPECT_FALSE(strict(body));
  EXPECT_FALSE(general(body).issues.empty());
  std::string good = body;
  good.replace(good.find(R"("control":null)"), 14, R"("control":41)");
  ASSERT_TRUE(strict(good)) << good;
  expect_strict_same(good);
  EXPECT_EQ(strict(good)->derived_overall_points, 2u);

  // A GET .../results response: read at data.results, the rest checked and dropped.
  const std::string envelope = R"({"data":{"results":{"experimentId":"exp_1","generatedAt":"x","version":3,"experimentPeriod":{"startDate":"2025-01-15"},"dimensions":{"device":["desktop"]},"metrics":)" +
                               series + R"(}},"meta":{"requestId":"r"}})";
  ASSERT_TRUE(strict(envelope, {}, true));
  EXPECT_FALSE(strict(envelope, {}, false));
  EXPECT_EQ(strict(envelope, {}, true)->rows, 2u);
  // The whole response as the API sends it: "success" first, the experiment and analysis beside.
  const std::string response = R"({"success":true,"data":{"experiment":{"id":"e1","name":"Checkout test","metrics":["ctr"],"status":"running"},"results":{"experimentId":"e1","metrics":)" +
                               series + R"(,"version":1},"analysis":{"didResults":{"ctr":{"pValue":0.5,"ci":[-1.5e-3,2]}},"x":null}}})";
  ASSERT_TRUE(strict(response, {}, true)) << response;
  expect_same_series(strict(response, {}, true)->metrics, strict(envelope, {}, true)->metrics);
  // ... but a name with an escape in the experiment is the simdjson tier's, which reads it the same.
  std::string escaped = response;
  escaped.replace(escaped.find("Checkout test"), 13, "Checkout \\\"A\\\"");
  EXPECT_FALSE(strict(escaped, {}, true));
  auto f = parse_results_json_fast(escaped, escaped.capacity(), {}, true);
  ASSERT_TRUE(f) << escaped;
  expect_same_series(f->metrics, strict(envelope, {}, true)->metrics);
  for (const std::string& t : {std::string(R"({"data":{"result":{}}})"), std::string(R"({"data":[]})"),
                               std::string(R"({"success":true})"), std::string("{}"),
                               R"({"success":true,"data":{"results":{"metrics":)" + series + R"(},"results":{}}})",
                               R"({"data":{"results":{"metrics":)" + series + R"(}},"data":{}})"})
    EXPECT_FALSE(strict(t, {}, true)) << t;
  // An envelope is recognised by its first key not being the body's: "data" may come anywhere.
  const std::string meta_first = R"({"meta":1,"data":{"results":{"metrics":)" + series + "}}}";
  ASSERT_TRUE(strict(meta_first, {}, true));
  expect_same_series(strict(meta_first, {}, true)->metrics, strict(envelope, {}, true)->metrics);
}

// Random uploads in many shapes: the strict tier declines or gives what the general path gives.
TEST(JsonUploadStrict, RandomUploadsGiveWhatTheGeneralPathGives) {
  std::mt19937_64 rng(2018);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::vector<std::string> numbers = {"0", "-0", "1", "10", "0.5", "-2.5e-3", "1e2", "12345678901234567890", "01",
                                            "1.", "NaN", "\"7\"", "null", "3.14159265358979323846", "1e400", "5e-324"};
  const std::vector<std::string> spaces = {"", "", "", " ", "\n", "\t "};
  int accepted = 0, valid = 0;
  for (int round = 0; round < 3000; ++round) {
    auto ws = [&] { return spaces[pick(spaces.size())]; };
    auto point = [&](int hour) {
      std::vector<std::string> fields = {
          "\"timestamp\":\"2025-01-15T" + std::string(hour < 10 ? "0" : "") + std::to_string(hour) + ":00:00Z\"",
          "\"treatmentValue\":" + (pick(8) ? std::to_string(static_cast<double>(rng() % 100000) / 997) : numbers[pick(numbers.size())]),
          "\"controlValue\":" + (pick(8) ? std::to_string(static_cast<double>(rng() % 1000)) : numbers[pick(numbers.size())]),
          "\"treatmentSampleSize\":" + (pick(8) ? std::to_string(rng() % 5000) : numbers[pick(numbers.size())]),
          "\"controlSampleSize\":" + (pick(8) ? std::to_string(rng() % 5000) : numbers[pick(numbers.size())])};
      if (pick(6) == 0) std::shuffle(fields.begin(), fields.end(), rng);
      if (pick(10) == 0) fields.push_back("\"extra\":" + ws() + "[" + numbers[pick(numbers.size())] + "]");
      if (pick(40) == 0) fields.erase(fields.begin() + static_cast<long>(pick(fields.size())));
      if (pick(40) == 0) fields.push_back(fields[pick(fields.size())]);
      std::string s = "{" + ws();
      for (std::size_t i = 0; i < fields.size(); ++i) s += (i ? "," + ws() : "") + fields[i] + ws();
      return s + "}";
    };
    auto metrics = [&] {
      std::string s = "{";
      const int n = 1 + static_cast<int>(pick(3));
      std::vector<std::string> ids = {"ctr", "bounce_rate", "x"};  // now and then one id twice: a repeated key
      std::shuffle(ids.begin(), ids.end(), rng);
      if (pick(20) == 0) ids[1] = ids[0];
      for (int m = 0; m < n; ++m) {
        s += (m ? "," : "") + ws() + "\"" + ids[static_cast<std::size_t>(m)] + "\":" + ws() +
             "{\"timeSeries\":[";
        const int hours = 1 + static_cast<int>(pick(4));
        for (int h = 0; h < hours; ++h) s += (h ? "," : "") + ws() + point(pick(12) ? h : static_cast<int>(pick(4)));
        s += "]" + std::string(pick(5) == 0 ? ",\"summary\":{\"n\":1}" : "") + "}";
      }
      return s + "}";
    };
    std::string text = "{" + ws() + "\"metrics\":" + metrics();
    if (pick(4) == 0) text += ",\"uniqueUsers\":{\"treatment\":" + std::to_string(rng() % 3) + ",\"control\":" + std::to_string(rng() % 3) + "}";
    if (pick(5) == 0)
      text += ",\"segments\":{\"device\":{\"mobile\":{\"metrics\":" + metrics() + "},\"desktop\":{\"metrics\":" + metrics() + "}}}";
    text += ws() + "}";
    if (expect_strict_same(text)) ++accepted;
    if (general(text).issues.empty()) ++valid;
  }
  // Valid uploads it declines: repeated keys (the general path keeps the last value).
  EXPECT_GE(accepted, valid * 8 / 10) << "the strict tier should take nearly every valid plain upload";
  EXPECT_GT(valid, 300);
}
}  // namespace
}  // namespace rallyuxr::codec
