#include "codec/results_io.hpp"

#include <boost/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <type_traits>
#include <unordered_set>

#include "codec/csv_reader.hpp"
#include "codec/json_text.hpp"
#include "codec/upload_collector.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace json = boost::json;
using namespace upload;  // the Collector and its checks (upload_collector.hpp)

ParsedUpload parse_results_csv(std::string_view text, const UploadRules& rules) {
  ParsedUpload out;
  Collector col(rules, out);
  CsvReader csv(text);  // fields in place, by header name (it skips the byte order mark itself)
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  if (trim(text).find_first_not_of("\r\n") == std::string_view::npos) {
    col.issue("line 1", std::string("Empty upload; expected the header ") + kResultsCsvHeader);
    col.finish();
    return out;
  }
  int idx[6] = {-1, -1, -1, -1, -1, -1};
  static const char* kColumns[6] = {"metricId", "timestamp", "treatmentValue", "controlValue",
                                    "treatmentSampleSize", "controlSampleSize"};
  std::size_t columns = 0;
  int uu_idx[2] = {-1, -1};  // optional uniqueUsersTreatment, uniqueUsersControl
  int seg_idx[2] = {-1, -1};  // optional dimension, segment
  col.csv_rows();
  std::optional<std::int64_t> uu_val[2];
  bool uu_bad = false;
  std::string uu_path[2] = {"line 1: uniqueUsersTreatment", "line 1: uniqueUsersControl"};
  while (csv.next_line()) {
    const std::size_t line_no = csv.line_number();
    if (line_no == 1) {
      if (!csv.split()) {
        col.issue("line 1", "Malformed header");
        break;
      }
      csv.take_header();
      const std::vector<std::string>& fields = csv.header();
      columns = fields.size();
      for (std::size_t i = 0; i < fields.size(); ++i)
        for (int c = 0; c < 6; ++c)
          if (fields[i] == kColumns[c]) idx[c] = static_cast<int>(i);
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == kUniqueUsersTreatmentColumn) uu_idx[0] = static_cast<int>(i);
        if (fields[i] == kUniqueUsersControlColumn) uu_idx[1] = static_cast<int>(i);
        if (fields[i] == kDimensionColumn) seg_idx[0] = static_cast<int>(i);
        if (fields[i] == kSegmentColumn) seg_idx[1] = static_cast<int>(i);
      }
      if ((seg_idx[0] < 0) != (seg_idx[1] < 0))
        col.issue("line 1", std::string("Column '") + (seg_idx[0] < 0 ? kSegmentColumn : kDimensionColumn) +
                                "' needs column '" + (seg_idx[0] < 0 ? kDimensionColumn : kSegmentColumn) +
                                "': segment rows name both");
      // A file with segments has no unknown columns (a misnamed dimension column would otherwise
      // be ignored and its rows taken as overall rows).
      if (seg_idx[0] >= 0 || seg_idx[1] >= 0)
        for (const auto& f : fields) {
          bool known = f == "period" || f == kUniqueUsersTreatmentColumn || f == kUniqueUsersControlColumn ||
                       f == kDimensionColumn || f == kSegmentColumn;
          for (int c = 0; c < 6; ++c) known = known || f == kColumns[c];
          if (!known)
            col.issue("line 1", "Unknown column '" + f.substr(0, 64) + "'; a file with segments has the columns " +
                                    kResultsCsvHeader + ",dimension,segment and optionally period, " +
                                    kUniqueUsersTreatmentColumn + ", " + kUniqueUsersControlColumn);
        }
      for (int c = 0; c < 6; ++c)
        if (idx[c] < 0) col.issue("line 1", std::string("Missing column '") + kColumns[c] + "'; expected header " + kResultsCsvHeader);
      if (!out.issues.empty()) break;
      continue;
    }
    if (csv.blank()) continue;
    ++out.rows;
    std::string where = "line " + std::to_string(line_no);
    if (!csv.split()) {
      col.issue(where, "Unterminated quoted field");
      continue;
    }
    if (csv.size() != columns) {
      col.issue(where, "Expected " + std::to_string(columns) + " fields, found " + std::to_string(csv.size()));
      continue;
    }
    const std::string_view metric = csv[idx[0]];
    domain::HourlyPoint p;
    bool good = col.check_metric([&] { return where + ": metricId"; }, metric);
    good = col.check_timestamp([&] { return where + ": timestamp"; }, csv[idx[1]], p.timestamp) && good;
    if (!parse_double(csv[idx[2]], p.treatment_value)) {
      col.issue(where + ": treatmentValue", "Must be a finite number");
      good = false;
    }
    if (!parse_double(csv[idx[3]], p.control_value)) {
      col.issue(where + ": controlValue", "Must be a finite number");
      good = false;
    }
    if (!parse_count(csv[idx[4]], p.treatment_sample_size)) {
      col.issue(where + ": treatmentSampleSize", "Must be an integer from 0 to 10^12");
      good = false;
    }
    if (!parse_count(csv[idx[5]], p.control_sample_size)) {
      col.issue(where + ": controlSampleSize", "Must be an integer from 0 to 10^12");
      good = false;
    }
    std::string_view dimension = seg_idx[0] >= 0 ? csv[seg_idx[0]] : std::string_view();
    std::string_view segment = seg_idx[1] >= 0 ? csv[seg_idx[1]] : std::string_view();
    good = col.check_segment(where, ": dimension", dimension, segment) && good;
    for (int g = 0; g < 2; ++g) {
      if (uu_idx[g] < 0 || csv[uu_idx[g]].empty()) continue;
      if (!dimension.empty() || !segment.empty()) {
        col.issue(where + ": " + (g == 0 ? kUniqueUsersTreatmentColumn : kUniqueUsersControlColumn),
                  "Unique users in CSV are the overall figures; leave the cell empty on segment rows");
        good = false;
        continue;
      }
      const char* name = g == 0 ? kUniqueUsersTreatmentColumn : kUniqueUsersControlColumn;
      std::int64_t v = 0;
      if (!parse_count(csv[uu_idx[g]], v)) {
        col.issue(where + ": " + name, "Must be a non-negative integer");
        good = false;
        uu_bad = true;
      } else if (uu_val[g] && *uu_val[g] != v) {
        col.issue(where + ": " + name, "Differs from the value given earlier (" + std::to_string(*uu_val[g]) +
                                           "); give the upload's unique users once");
        good = false;
        uu_bad = true;
      } else if (!uu_val[g]) {
        uu_val[g] = v;
        uu_path[g] = where + ": " + name;
      }
    }
    if (good) col.add(static_cast<std::uint32_t>(line_no), dimension, segment, metric, p);
  }
  if (out.rows == 0 && out.issues.empty())
    col.issue("line 2", "The upload holds no hourly points (only a header)");
  col.finish();
  check_unique_users(out, rules, uu_bad, uu_path[0], uu_path[1], uu_val[0], uu_val[1]);
  return out;
}

ParsedUpload parse_results_json(const json::object& body, const UploadRules& rules) {
  ParsedUpload out;
  Collector col(rules, out);
  auto mit = body.find("metrics");
  auto sit = body.find("segments");
  const bool has_segments = sit != body.end() && !sit->value().is_null();
  if (!has_segments && (mit == body.end() || !mit->value().is_object())) {
    col.issue("metrics", "Required: an object of metric id -> {timeSeries: [...]}");
    col.finish();
    return out;
  }
  // The metrics of the overall figures (prefix "metrics.") or of one segment.
  auto read_metrics = [&](const json::object& metrics, const std::string& prefix, const std::string& dimension,
                          const std::string& segment) {
  for (const auto& kv : metrics) {
    std::string id(kv.key());
    std::string base = prefix + id;
    if (!col.check_metric(base, id)) continue;
    if (!kv.value().is_object()) {
      col.issue(base, "Expected an object with timeSeries");
      continue;
    }
    const auto& m = kv.value().get_object();
    auto tit = m.find("timeSeries");
    if (tit == m.end() || !tit->value().is_array()) {
      col.issue(base + ".timeSeries", "Required: an array of hourly points");
      continue;
    }
    const auto& arr = tit->value().get_array();
    col.begin_block(base + ".timeSeries.");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      ++out.rows;
      const std::uint32_t row = col.take_row();
      std::string where = base + ".timeSeries." + std::to_string(i);
      if (!arr[i].is_object()) {
        col.issue(where, "Expected an object");
        continue;
      }
      const auto& pt = arr[i].get_object();
      domain::HourlyPoint p;
      bool good = true;
      auto ts = pt.find("timestamp");
      if (ts == pt.end() || !ts->value().is_string()) {
        col.issue(where + ".timestamp", "Required: an ISO-8601 string");
        good = false;
      } else {
        good = col.check_timestamp(where + ".timestamp", ts->value().get_string(), p.timestamp);
      }
      auto number = [&](const char* key, double& v) {
        auto it = pt.find(key);
        if (it != pt.end() && it->value().is_number()) {
          v = it->value().to_number<double>();
          if (std::isfinite(v)) return true;
        }
        col.issue(where + "." + key, "Must be a finite number");
        return false;
      };
      auto count = [&](const char* key, std::int64_t& v) {
        auto it = pt.find(key);
        if (it != pt.end()) {
          const auto& x = it->value();
          if (x.is_int64() && x.get_int64() >= 0 && x.get_int64() <= domain::kMaxSampleSize) {
            v = x.get_int64();
            return true;
          }
          if (x.is_uint64() && x.get_uint64() <= static_cast<std::uint64_t>(domain::kMaxSampleSize)) {
            v = static_cast<std::int64_t>(x.get_uint64());
            return true;
          }
          if (x.is_double() && x.get_double() >= 0 && x.get_double() == std::floor(x.get_double()) &&
              x.get_double() <= static_cast<double>(domain::kMaxSampleSize)) {
            v = static_cast<std::int64_t>(x.get_double());
            return true;
          }
        }
        col.issue(where + "." + key, "Must be an integer from 0 to 10^12");
        return false;
      };
      good = number("treatmentValue", p.treatment_value) && good;
      good = number("controlValue", p.control_value) && good;
      good = count("treatmentSampleSize", p.treatment_sample_size) && good;
      good = count("controlSampleSize", p.control_sample_size) && good;
      if (good) col.add(row, dimension, segment, id, p);
    }
  }
  };
  // uniqueUsers {treatment, control} at `path` into uu.
  auto read_users = [&](const json::value& v, const std::string& path, std::optional<std::int64_t> (&uu)[2]) {
    if (!v.is_object()) {
      col.issue(path, "Expected an object {treatment, control} of distinct users per group");
      return;
    }
    const auto& o = v.get_object();
    const char* keys[2] = {"treatment", "control"};
    for (int g = 0; g < 2; ++g) {
      auto it = o.find(keys[g]);
      if (it == o.end() || it->value().is_null()) continue;
      const auto& x = it->value();
      if (x.is_int64() && x.get_int64() >= 0) uu[g] = x.get_int64();
      else if (x.is_uint64() && x.get_uint64() <= 9'000'000'000'000'000ULL) uu[g] = static_cast<std::int64_t>(x.get_uint64());
      else if (x.is_double() && x.get_double() >= 0 && x.get_double() == std::floor(x.get_double()) && x.get_double() < 9e15)
        uu[g] = static_cast<std::int64_t>(x.get_double());
      else col.issue(path + "." + keys[g], "Must be a non-negative integer");
    }
    for (const auto& kv : o)
      if (kv.key() != "treatment" && kv.key() != "control")
        col.issue(path + "." + std::string(kv.key()), "Unknown field; expected treatment and control");
    if (!uu[0] && !uu[1] && o.empty()) col.issue(path, "Expected treatment and control");
  };
  if (mit != body.end() && mit->value().is_object()) read_metrics(mit->value().get_object(), "metrics.", {}, {});
  else if (mit != body.end() && !mit->value().is_null())
    col.issue("metrics", "Expected an object of metric id -> {timeSeries: [...]}");
  if (has_segments) {
    // {dimension: {segment: {metrics: {...}, uniqueUsers?}}}
    if (!sit->value().is_object()) {
      col.issue("segments", "Expected an object of dimension -> segment -> {metrics: {...}}");
    } else {
      for (const auto& d : sit->value().get_object()) {
        std::string dimension(d.key());
        std::string dpath = "segments." + dimension;
        if (!d.value().is_object()) {
          col.issue(dpath, "Expected an object of segment -> {metrics: {...}}");
          continue;
        }
        for (const auto& sg : d.value().get_object()) {
          std::string segment(sg.key());
          std::string spath = dpath + "." + segment;
          if (!col.check_segment(spath, {}, dimension, segment)) continue;
          if (!sg.value().is_object()) {
            col.issue(spath, "Expected an object {metrics: {...}}");
            continue;
          }
          const auto& so = sg.value().get_object();
          auto smit = so.find("metrics");
          if (smit == so.end() || !smit->value().is_object()) {
            col.issue(spath + ".metrics", "Required: an object of metric id -> {timeSeries: [...]}");
            continue;
          }
          for (const auto& kv : so)
            if (kv.key() != "metrics" && kv.key() != "uniqueUsers")
              col.issue(spath + "." + std::string(kv.key()), "Unknown field; a segment has metrics and uniqueUsers");
          read_metrics(smit->value().get_object(), spath + ".metrics.", dimension, segment);
          if (auto uit = so.find("uniqueUsers"); uit != so.end() && !uit->value().is_null()) {
            std::optional<std::int64_t> su[2];
            const std::size_t before = out.issues.size();
            read_users(uit->value(), spath + ".uniqueUsers", su);
            if (out.issues.size() == before) {
              if (!su[0] || !su[1])
                col.issue(spath + ".uniqueUsers", "uniqueUsers must be given for both groups (treatment and control) or not at all");
              else
                col.segment_users(dimension, segment, domain::UniqueUsers{*su[0], *su[1]});
            }
          }
        }
      }
    }
  }
  if (out.rows == 0 && out.issues.empty()) col.issue("metrics", "The upload holds no hourly points");
  std::optional<std::int64_t> uu[2];
  const std::size_t issues_before = out.issues.size();
  if (auto uit = body.find("uniqueUsers"); uit != body.end() && !uit->value().is_null())
    read_users(uit->value(), "uniqueUsers", uu);
  const bool uu_bad = out.issues.size() != issues_before;
  col.finish();
  check_unique_users(out, rules, uu_bad, "uniqueUsers.treatment", "uniqueUsers.control", uu[0], uu[1]);
  return out;
}

namespace {

namespace dom = simdjson::dom;

// Deeper documents are left to the general parser (and its limit of 64); an upload is 5 deep.
constexpr std::size_t kFastMaxDepth = 32;

enum class Found { kNo, kYes, kTwice };

// The value of `key` in `o`; kTwice when the key repeats (the general path decides then).
Found find_once(const dom::object& o, std::string_view key, dom::element& out) {
  Found f = Found::kNo;
  for (auto field : o) {
    if (field.key != key) continue;
    if (f == Found::kYes) return Found::kTwice;
    out = field.value;
    f = Found::kYes;
  }
  return f;
}

// A finite number as parse_json_exact gives it: integers converted to the nearest double,
// decimals correctly rounded (simdjson rounds correctly; it refuses what does not fit).
bool fast_number(const dom::element& e, double& v) {
  switch (e.type()) {
    case dom::element_type::INT64: v = static_cast<double>(std::int64_t(e)); return true;
    case dom::element_type::UINT64: v = static_cast<double>(std::uint64_t(e)); return true;
    case dom::element_type::DOUBLE: v = double(e); return std::isfinite(v);
    default: return false;
  }
}

bool fast_count(const dom::element& e, std::int64_t& v, std::int64_t max, bool max_exclusive_double) {
  switch (e.type()) {
    case dom::element_type::INT64: v = std::int64_t(e); return v >= 0 && v <= max;
    case dom::element_type::UINT64: {
      std::uint64_t u = std::uint64_t(e);
      if (u > static_cast<std::uint64_t>(max)) return false;
      v = static_cast<std::int64_t>(u);
      return true;
    }
    case dom::element_type::DOUBLE: {
      double d = double(e);
      if (!(d >= 0) || d != std::floor(d)) return false;
      if (max_exclusive_double ? d >= 9e15 : d > static_cast<double>(max)) return false;
      v = static_cast<std::int64_t>(d);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::optional<ParsedUpload> parse_results_json_fast(std::string_view text, std::size_t capacity,
                                                    const UploadRules& rules, bool envelope) {
  // Plain uploads are read in one pass without a DOM; the rest (escapes, UTF-8 names, ...) here.
  if (auto strict = parse_results_json_strict(text, rules, envelope)) return strict;
  dom::parser parser;
  if (parser.allocate(text.size(), kFastMaxDepth) != simdjson::SUCCESS) return std::nullopt;
  dom::element doc;
  // Without a copy when the buffer has simdjson's padding behind the text.
  const bool padded = capacity >= text.size() + simdjson::SIMDJSON_PADDING;
  if (parser.parse(text.data(), text.size(), !padded).get(doc) != simdjson::SUCCESS) return std::nullopt;
  dom::object body;
  if (doc.get_object().get(body) != simdjson::SUCCESS) return std::nullopt;
  if (envelope) {  // the GET .../results envelope: {"data": {"results": {...}}}
    dom::element data, results;
    Found f = find_once(body, "data", data);
    if (f == Found::kTwice) return std::nullopt;
    dom::object data_obj, results_obj;
    if (f == Found::kYes && data.get_object().get(data_obj) == simdjson::SUCCESS) {
      Found r = find_once(data_obj, "results", results);
      if (r == Found::kTwice) return std::nullopt;
      if (r == Found::kYes && results.get_object().get(results_obj) == simdjson::SUCCESS) body = results_obj;
    }
  }

  // Keys this path reads, or may skip: the upload's, and those of a GET .../results response that
  // the offline analysis accepts. Any other key sends the upload the general way, so that a field
  // the general parser learns is never dropped here without notice.
  for (auto field : body)
    if (field.key != "metrics" && field.key != "segments" && field.key != "uniqueUsers" &&
        field.key != "experimentId" && field.key != "generatedAt" && field.key != "experimentPeriod" &&
        field.key != "version" && field.key != "dimensions")
      return std::nullopt;

  ParsedUpload out;
  Collector col(rules, out);
  // Any problem: nullopt, and the general path reports it with its path.
  // The metrics of the overall figures or of one segment: {metricId: {timeSeries: [...]}}.
  auto read_metrics = [&](const dom::object& metrics, std::string_view dimension, std::string_view segment) {
    std::unordered_set<std::string_view> ids;
    for (auto metric : metrics) {
      const std::string_view id = metric.key;
      if (!ids.insert(id).second) return false;
      dom::object m;
      if (!col.check_metric(std::string(), id) || metric.value.get_object().get(m) != simdjson::SUCCESS) return false;
      for (auto field : m)
        if (field.key != "timeSeries" && field.key != "summary") return false;
      dom::element series_el;
      dom::array series;
      if (find_once(m, "timeSeries", series_el) != Found::kYes || series_el.get_array().get(series) != simdjson::SUCCESS)
        return false;
      col.begin_block(std::string());
      for (dom::element point : series) {
        ++out.rows;
        dom::object fields;
        if (point.get_object().get(fields) != simdjson::SUCCESS) return false;
        // Each field once: timestamp, treatmentValue, controlValue, treatmentSampleSize, controlSampleSize.
        dom::element f[5];
        unsigned seen = 0;
        for (auto field : fields) {
          const std::string_view k = field.key;
          int i = k == "timestamp"             ? 0
                  : k == "treatmentValue"      ? 1
                  : k == "controlValue"        ? 2
                  : k == "treatmentSampleSize" ? 3
                  : k == "controlSampleSize"   ? 4
                                               : -1;
          if (i < 0) continue;
          if (seen & (1u << i)) return false;
          seen |= 1u << i;
          f[i] = field.value;
        }
        std::string_view ts;
        if (seen != 31u || f[0].get_string().get(ts) != simdjson::SUCCESS) return false;
        domain::HourlyPoint p;
        if (!col.check_timestamp(std::string(), ts, p.timestamp) ||
            !fast_number(f[1], p.treatment_value) || !fast_number(f[2], p.control_value) ||
            !fast_count(f[3], p.treatment_sample_size, domain::kMaxSampleSize, false) ||
            !fast_count(f[4], p.control_sample_size, domain::kMaxSampleSize, false))
          return false;
        col.add(col.take_row(), dimension, segment, id, p);
      }
    }
    return true;
  };
  // {treatment, control}, each an integer or null; an empty object goes the general way.
  auto read_users = [](const dom::element& e, std::optional<std::int64_t> (&uu)[2]) {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS || o.size() == 0) return false;
    unsigned seen = 0;
    for (auto field : o) {
      int g = field.key == "treatment" ? 0 : field.key == "control" ? 1 : -1;
      if (g < 0 || (seen & (1u << g))) return false;
      seen |= 1u << g;
      if (field.value.is_null()) continue;
      std::int64_t v = 0;
      if (!fast_count(field.value, v, 9'000'000'000'000'000LL, true)) return false;
      uu[g] = v;
    }
    return true;
  };

  dom::element metrics_el, segments_el;
  const Found mf = find_once(body, "metrics", metrics_el);
  const Found sf = find_once(body, "segments", segments_el);
  if (mf == Found::kTwice || sf == Found::kTwice) return std::nullopt;
  const bool has_segments = sf == Found::kYes && !segments_el.is_null();
  if (mf == Found::kYes && !metrics_el.is_null()) {
    dom::object metrics;
    if (metrics_el.get_object().get(metrics) != simdjson::SUCCESS || !read_metrics(metrics, {}, {})) return std::nullopt;
  } else if (!has_segments) {
    return std::nullopt;
  }
  if (has_segments) {
    // {dimension: {segment: {metrics: {...}, uniqueUsers?}}}
    dom::object dims;
    if (segments_el.get_object().get(dims) != simdjson::SUCCESS) return std::nullopt;
    std::unordered_set<std::string_view> dim_names;
    for (auto d : dims) {
      if (!dim_names.insert(d.key).second) return std::nullopt;
      dom::object segs;
      if (d.value.get_object().get(segs) != simdjson::SUCCESS) return std::nullopt;
      std::unordered_set<std::string_view> seg_names;
      for (auto sg : segs) {
        if (!seg_names.insert(sg.key).second) return std::nullopt;
        if (!col.check_segment(std::string(), {}, d.key, sg.key)) return std::nullopt;
        dom::object so;
        if (sg.value.get_object().get(so) != simdjson::SUCCESS) return std::nullopt;
        for (auto field : so)
          if (field.key != "metrics" && field.key != "uniqueUsers") return std::nullopt;
        dom::element sm_el, su_el;
        dom::object sm;
        if (find_once(so, "metrics", sm_el) != Found::kYes || sm_el.get_object().get(sm) != simdjson::SUCCESS ||
            !read_metrics(sm, d.key, sg.key))
          return std::nullopt;
        const Found uf = find_once(so, "uniqueUsers", su_el);
        if (uf == Found::kTwice) return std::nullopt;
        if (uf == Found::kYes && !su_el.is_null()) {
          std::optional<std::int64_t> su[2];
          if (!read_users(su_el, su) || !su[0] || !su[1]) return std::nullopt;
          col.segment_users(std::string(d.key), std::string(sg.key), domain::UniqueUsers{*su[0], *su[1]});
        }
      }
    }
  }
  if (out.rows == 0) return std::nullopt;
  std::optional<std::int64_t> uu[2];
  dom::element uu_el;
  Found uf = find_once(body, "uniqueUsers", uu_el);
  if (uf == Found::kTwice) return std::nullopt;
  if (uf == Found::kYes && !uu_el.is_null() && !read_users(uu_el, uu)) return std::nullopt;
  col.finish();
  if (!out.issues.empty()) return std::nullopt;
  check_unique_users(out, rules, false, "uniqueUsers.treatment", "uniqueUsers.control", uu[0], uu[1]);
  if (!out.issues.empty()) return std::nullopt;
  return out;
}

namespace {

// A CSV cell for a name: quoted when it holds a comma, a quote or leading/trailing spaces.
void csv_name(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"") == std::string_view::npos && trim(s).size() == s.size()) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csv_rows(std::string& out, const domain::MetricSeries& m, domain::UnixSeconds start_date,
              const std::string* segment_cells) {
  for (const auto& p : m.points) {
    out += m.metric_id;
    out += ',';
    out += domain::format_iso8601(p.timestamp);
    out += ',';
    append_json_number(out, p.treatment_value);
    out += ',';
    append_json_number(out, p.control_value);
    out += ',';
    append_json_int(out, p.treatment_sample_size);
    out += ',';
    append_json_int(out, p.control_sample_size);
    out += p.timestamp < start_date ? ",pre" : ",post";
    if (segment_cells) out += *segment_cells;
    out += '\n';
  }
}

}  // namespace

std::string results_to_csv(const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds start_date,
                           const domain::Segments& segments) {
  std::string out;
  std::size_t n = 0;
  for (const auto& m : metrics) n += m.points.size();
  for (const auto& [d, segs] : segments)
    for (const auto& [name, seg] : segs)
      for (const auto& m : seg.series) n += m.points.size();
  out.reserve(64 + n * 100);
  out += kResultsCsvHeader;
  out += ",period";
  const bool with_segments = !segments.empty();
  if (with_segments) out += ",dimension,segment";
  out += '\n';
  const std::string overall_cells = ",,";
  for (const auto& m : metrics) csv_rows(out, m, start_date, with_segments ? &overall_cells : nullptr);
  for (const auto& [d, segs] : segments)
    for (const auto& [name, seg] : segs) {
      std::string cells = ",";
      csv_name(cells, d);
      cells += ',';
      csv_name(cells, name);
      for (const auto& m : seg.series) csv_rows(out, m, start_date, &cells);
    }
  return out;
}

namespace {

void csv_cell(std::string& out, const json::value* v) {
  if (!v || v->is_null()) return;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    if (s.find_first_of(",\"\n") == std::string_view::npos) {
      out += s;
    } else {
      out += '"';
      for (char c : s) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    return;
  }
  if (v->is_bool()) {
    out += v->get_bool() ? "true" : "false";
    return;
  }
  append_json_text(out, *v);
}

// The value at `path` (keys of nested objects) below `o`; nullptr when any step is missing.
const json::value* at(const json::object* o, const std::vector<const char*>& path) {
  const json::value* v = nullptr;
  for (const char* key : path) {
    if (!o) return nullptr;
    auto it = o->find(key);
    if (it == o->end()) return nullptr;
    v = &it->value();
    o = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

}  // namespace

std::string analysis_to_csv(const json::object& analysis, std::string_view data_source,
                            const std::vector<std::pair<std::string, std::string>>& extra) {
  struct Column {
    const char* name;
    bool breakdown;  // from economicImpact.metricBreakdown[id] instead of didResults[id]
    std::vector<const char*> path;  // below didResults[id] or metricBreakdown[id]
  };
  static const std::vector<Column> kColumns = {
      {"method", false, {"method"}},
      {"treatmentMean", false, {"treatmentMean"}},
      {"controlMean", false, {"controlMean"}},
      {"preTreatmentMean", false, {"preTreatmentMean"}},
      {"preControlMean", false, {"preControlMean"}},
      {"absoluteDifference", false, {"absoluteDifference"}},
      {"relativeDifference", false, {"relativeDifference"}},
      {"confidenceLevel", false, {"confidenceLevel"}},
      {"confidenceIntervalLower", false, {"confidenceInterval", "lower"}},
      {"confidenceIntervalUpper", false, {"confidenceInterval", "upper"}},
      {"relativeConfidenceIntervalLower", false, {"relativeConfidenceInterval", "lower"}},
      {"relativeConfidenceIntervalUpper", false, {"relativeConfidenceInterval", "upper"}},
      {"standardError", false, {"standardError"}},
      {"degreesOfFreedom", false, {"degreesOfFreedom"}},
      {"tStatistic", false, {"tStatistic"}},
      {"pValue", false, {"pValue"}},
      {"adjustedPValue", false, {"adjustedPValue"}},
      {"significant", false, {"significant"}},
      {"effectSize", false, {"effectSize"}},
      {"probabilityOfImprovement", false, {"probabilityOfImprovement"}},
      {"minimumDetectableEffect", false, {"minimumDetectableEffect"}},
      {"sampleSizeTreatment", false, {"sampleSizeTreatment"}},
      {"sampleSizeControl", false, {"sampleSizeControl"}},
      {"postHours", false, {"postHours"}},
      {"preHours", false, {"preHours"}},
      {"excludedHours", false, {"excludedHours"}},
      {"parallelTrendsSlope", false, {"parallelTrends", "slope"}},
      {"parallelTrendsPValue", false, {"parallelTrends", "pValue"}},
      {"parallelTrendsViolated", false, {"parallelTrends", "violated"}},
      {"dollarsPerUnit", true, {"metricValueUsed"}},
      {"unitSize", true, {"unitSize"}},
      {"improvementDirection", true, {"improvementDirection"}},
      {"metricChange", true, {"metricChange"}},
      {"dailyDollarImpact", true, {"dailyDollarImpact"}},
      {"dollarImpact", true, {"dollarImpact"}},
      {"dollarImpactLower", true, {"dollarImpactInterval", "lower"}},
      {"dollarImpactUpper", true, {"dollarImpactInterval", "upper"}},
      // Method 2 (statistics.md); empty for analyses stored by method 1.
      {"verdict", false, {"verdict"}},
      {"adjustedConfidenceIntervalLower", false, {"adjustedConfidenceInterval", "lower"}},
      {"adjustedConfidenceIntervalUpper", false, {"adjustedConfidenceInterval", "upper"}},
      {"postBlocks", false, {"postBlocks"}},
      {"preBlocks", false, {"preBlocks"}},
      {"effectTrendSlope", false, {"effectTrend", "slope"}},
      {"effectTrendPValue", false, {"effectTrend", "pValue"}},
      {"effectTrendChanging", false, {"effectTrend", "changing"}},
      {"sequentialLower", false, {"sequential", "interval", "lower"}},
      {"sequentialUpper", false, {"sequential", "interval", "upper"}},
      {"sequentialPValue", false, {"sequential", "pValue"}},
      {"sequentialDecisive", false, {"sequential", "decisive"}},
      {"valueGroup", true, {"valueGroup"}},
      {"countedInTotal", true, {"countedInTotal"}},
  };
  std::string out = "metricId";
  for (const auto& c : kColumns) {
    out += ',';
    out += c.name;
  }
  out += data_source.empty() ? ",warnings" : ",warnings,dataSource";
  for (const auto& [name, value] : extra) {
    out += ',';
    out += name;
  }
  out += '\n';
  const json::value* did = at(&analysis, {"didResults"});
  const json::value* breakdown = at(&analysis, {"economicImpact", "metricBreakdown"});
  if (!did || !did->is_object()) return out;
  for (const auto& kv : did->get_object()) {
    const json::object* d = kv.value().is_object() ? &kv.value().get_object() : nullptr;
    const json::object* b = nullptr;
    if (breakdown && breakdown->is_object()) {
      auto it = breakdown->get_object().find(kv.key());
      if (it != breakdown->get_object().end() && it->value().is_object()) b = &it->value().get_object();
    }
    out += kv.key();
    for (const auto& c : kColumns) {
      out += ',';
      csv_cell(out, at(c.breakdown ? b : d, c.path));
    }
    out += ',';
    std::string warnings;
    if (const json::value* w = at(d, {"warnings"}); w && w->is_array())
      for (const auto& x : w->get_array())
        if (x.is_string()) warnings += (warnings.empty() ? "" : "; ") + std::string(x.get_string());
    json::value wv(warnings);
    csv_cell(out, warnings.empty() ? nullptr : &wv);
    if (!data_source.empty()) {
      out += ',';
      out += data_source;
    }
    for (const auto& [name, value] : extra) {
      out += ',';
      json::value ev(value);
      csv_cell(out, value.empty() ? nullptr : &ev);
    }
    out += '\n';
  }
  return out;
}

}  // namespace rallyuxr::codec
