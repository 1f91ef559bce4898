#include "codec/results_io.hpp"

#include <boost/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "codec/csv_reader.hpp"
#include "codec/json_text.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace json = boost::json;
namespace {

bool valid_metric_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// Collects points per metric and the upload-wide checks (window, on the hour, duplicates). Issue
// paths are callables that make the path's text, called only when there is an issue.
class Collector {
 public:
  Collector(const UploadRules& rules, ParsedUpload& out) : rules_(rules), out_(out) {}

  void issue(std::string path, std::string message) {
    if (out_.issues.size() < kMaxReportedIssues)
      out_.issues.push_back({std::move(path), std::move(message)});
    else
      truncated_ = true;
  }

  template <class Path>
  bool check_metric(const Path& path, std::string_view id) {
    if (!last_good_metric_.empty() && id == last_good_metric_) return true;  // the previous row's id
    if (!valid_metric_id(id)) {
      issue(path(), "Invalid metric id '" + std::string(id) + "'");
      return false;
    }
    if (!rules_.metrics.empty() && !rules_.metrics.count(std::string(id))) {
      issue(path(), "Metric '" + std::string(id) + "' is not tracked by this experiment");
      return false;
    }
    last_good_metric_.assign(id);
    return true;
  }

  template <class Path>
  bool check_timestamp(const Path& path, std::string_view text, domain::UnixSeconds& t) {
    auto parsed = domain::parse_iso8601_datetime(text);
    if (!parsed) {
      issue(path(), "Invalid timestamp '" + std::string(text.substr(0, 40)) + "': use ISO-8601 with a zone, e.g. 2025-01-15T14:00:00Z");
      return false;
    }
    t = *parsed;
    // Fractional seconds are dropped by the parser: a non-zero fraction is not on the hour.
    auto dot = text.find('.');
    bool fraction = dot != std::string_view::npos &&
                    text.substr(dot + 1).find_first_not_of("0Zz+-:0123456789") == std::string_view::npos &&
                    text.substr(dot + 1, text.substr(dot + 1).find_first_not_of("0123456789"))
                            .find_first_not_of('0') != std::string_view::npos;
    if (fraction || t % domain::kSecondsPerHour != 0) {
      issue(path(), "Timestamp " + domain::format_iso8601(t) + " is not on the hour");
      return false;
    }
    if (rules_.earliest && t < *rules_.earliest) {
      issue(path(), "Timestamp " + domain::format_iso8601(t) + " is more than 30 days before startDate");
      return false;
    }
    if (rules_.end && t >= *rules_.end) {
      issue(path(), "Timestamp " + domain::format_iso8601(t) + " is not before endDate");
      return false;
    }
    return true;
  }

  template <class Path>
  void add(const Path& path, std::string_view metric, const domain::HourlyPoint& p) {
    Series& series = find(metric);
    // Points arriving in increasing time (the usual file) cannot repeat an hour; the set of hours
    // is built only when a point comes out of order.
    if (!series.indexed && !series.points.empty() && p.timestamp <= series.points.back().timestamp) {
      series.seen.reserve(series.points.size() * 2);
      for (const auto& q : series.points) series.seen.insert(q.timestamp);
      series.indexed = true;
    }
    if (series.indexed && !series.seen.insert(p.timestamp).second) {
      issue(path(), "Duplicate hour " + domain::format_iso8601(p.timestamp) + " for metric '" + std::string(metric) + "'");
      return;
    }
    series.points.push_back(p);
  }

  // Capacity for `n` points of `metric` (an upload that says how many it brings).
  void reserve(std::string_view metric, std::size_t n) { find(metric).points.reserve(n); }

  void finish() {
    if (truncated_) out_.issues.push_back({"", "More problems were found; only the first 100 are listed"});
    if (!out_.issues.empty()) return;
    out_.metrics.reserve(order_.size());
    for (auto& series : order_) {  // first appearance order: the file's metric order
      auto& points = series->points;
      if (!std::is_sorted(points.begin(), points.end(), by_time))
        std::sort(points.begin(), points.end(), by_time);
      out_.metrics.push_back(domain::MetricSeries{series->id, std::move(points)});
    }
  }

  bool has_issues() const { return !out_.issues.empty() || truncated_; }

 private:
  struct Series {
    std::string id;
    std::vector<domain::HourlyPoint> points;
    std::unordered_set<domain::UnixSeconds> seen;
    bool indexed = false;
  };

  static bool by_time(const domain::HourlyPoint& a, const domain::HourlyPoint& b) { return a.timestamp < b.timestamp; }

  Series& find(std::string_view metric) {
    if (last_ && last_->id == metric) return *last_;
    key_.assign(metric);
    auto [it, inserted] = index_.try_emplace(key_, nullptr);
    if (inserted) {
      order_.push_back(std::make_unique<Series>());
      order_.back()->id = key_;
      it->second = order_.back().get();
    }
    return *(last_ = it->second);
  }

  const UploadRules& rules_;
  ParsedUpload& out_;
  std::vector<std::unique_ptr<Series>> order_;
  std::unordered_map<std::string, Series*> index_;
  std::string key_;
  Series* last_ = nullptr;
  std::string last_good_metric_;
  bool truncated_ = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view s, double& v) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

bool parse_count(std::string_view s, std::int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return v >= 0 && v <= domain::kMaxSampleSize;
  double d;  // "120.0" is an integer too
  if (!parse_double(s, d) || d < 0 || d != std::floor(d) || d > static_cast<double>(domain::kMaxSampleSize)) return false;
  v = static_cast<std::int64_t>(d);
  return true;
}

// uniqueUsers must come for both groups, be non-negative integers (already checked by the
// readers) and not exceed the post-period user-hours of the upload (the largest sum of a group's
// sample sizes over the metrics): a user counted once is in at least one hour.
void check_unique_users(ParsedUpload& out, const UploadRules& rules, bool malformed,
                        const std::string& treatment_path, const std::string& control_path,
                        const std::optional<std::int64_t>& treatment, const std::optional<std::int64_t>& control) {
  if (malformed || (!treatment && !control)) return;
  if (!treatment || !control) {
    out.issues.push_back({treatment ? control_path : treatment_path,
                          "uniqueUsers must be given for both groups (treatment and control) or not at all"});
    out.metrics.clear();  // a rejected upload carries no data
    return;
  }
  if (!out.issues.empty()) return;
  // Post-period user-hours per metric and group, over the merged series when merging.
  std::map<std::string, std::map<domain::UnixSeconds, std::pair<std::int64_t, std::int64_t>>> hours;
  auto take = [&](const std::vector<domain::MetricSeries>& metrics) {
    for (const auto& m : metrics) {
      auto& h = hours[m.metric_id];
      for (const auto& p : m.points)
        if (!rules.start || p.timestamp >= *rules.start)
          h[p.timestamp] = {p.treatment_sample_size, p.control_sample_size};
    }
  };
  if (rules.merge_with) take(*rules.merge_with);
  take(out.metrics);  // uploaded hours replace stored ones
  std::int64_t max_t = 0, max_c = 0;
  for (const auto& [id, h] : hours) {
    std::int64_t st = 0, sc = 0;
    for (const auto& [t, n] : h) {
      if (__builtin_add_overflow(st, n.first, &st)) st = std::numeric_limits<std::int64_t>::max();
      if (__builtin_add_overflow(sc, n.second, &sc)) sc = std::numeric_limits<std::int64_t>::max();
    }
    max_t = std::max(max_t, st);
    max_c = std::max(max_c, sc);
  }
  if (*treatment > max_t)
    out.issues.push_back({treatment_path, "Unique users (" + std::to_string(*treatment) +
                                              ") exceed the treatment group's post-period sample sizes (" +
                                              std::to_string(max_t) + " user-hours)"});
  if (*control > max_c)
    out.issues.push_back({control_path, "Unique users (" + std::to_string(*control) +
                                            ") exceed the control group's post-period sample sizes (" +
                                            std::to_string(max_c) + " user-hours)"});
  if (out.issues.empty()) out.unique_users = domain::UniqueUsers{*treatment, *control};
  else out.metrics.clear();
}

}  // namespace

ParsedUpload parse_results_csv(std::string_view text, const UploadRules& rules) {
  ParsedUpload out;
  Collector col(rules, out);
  CsvReader csv(text);
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
      columns = csv.size();
      for (int c = 0; c < 6; ++c) idx[c] = csv.column(kColumns[c]);
      uu_idx[0] = csv.column(kUniqueUsersTreatmentColumn);
      uu_idx[1] = csv.column(kUniqueUsersControlColumn);
      for (int c = 0; c < 6; ++c)
        if (idx[c] < 0) col.issue("line 1", std::string("Missing column '") + kColumns[c] + "'; expected header " + kResultsCsvHeader);
      if (!out.issues.empty()) break;
      continue;
    }
    if (csv.blank()) continue;
    ++out.rows;
    auto where = [&] { return "line " + std::to_string(line_no); };
    auto at = [&](const char* column) { return [&, column] { return where() + ": " + column; }; };
    if (!csv.split()) {
      col.issue(where(), "Unterminated quoted field");
      continue;
    }
    if (csv.size() != columns) {
      col.issue(where(), "Expected " + std::to_string(columns) + " fields, found " + std::to_string(csv.size()));
      continue;
    }
    const std::string_view metric = csv.field(idx[0]);
    domain::HourlyPoint p;
    bool good = col.check_metric(at("metricId"), metric);
    good = col.check_timestamp(at("timestamp"), csv.field(idx[1]), p.timestamp) && good;
    if (!parse_double(csv.field(idx[2]), p.treatment_value)) {
      col.issue(at("treatmentValue")(), "Must be a finite number");
      good = false;
    }
    if (!parse_double(csv.field(idx[3]), p.control_value)) {
      col.issue(at("controlValue")(), "Must be a finite number");
      good = false;
    }
    if (!parse_count(csv.field(idx[4]), p.treatment_sample_size)) {
      col.issue(at("treatmentSampleSize")(), "Must be an integer from 0 to 10^12");
      good = false;
    }
    if (!parse_count(csv.field(idx[5]), p.control_sample_size)) {
      col.issue(at("controlSampleSize")(), "Must be an integer from 0 to 10^12");
      good = false;
    }
    for (int g = 0; g < 2; ++g) {
      if (uu_idx[g] < 0 || csv.field(uu_idx[g]).empty()) continue;
      const char* name = g == 0 ? kUniqueUsersTreatmentColumn : kUniqueUsersControlColumn;
      std::int64_t v = 0;
      if (!parse_count(csv.field(uu_idx[g]), v)) {
        col.issue(where() + ": " + name, "Must be a non-negative integer");
        good = false;
        uu_bad = true;
      } else if (uu_val[g] && *uu_val[g] != v) {
        col.issue(where() + ": " + name, "Differs from the value given earlier (" + std::to_string(*uu_val[g]) +
                                             "); give the upload's unique users once");
        good = false;
        uu_bad = true;
      } else if (!uu_val[g]) {
        uu_val[g] = v;
        uu_path[g] = where() + ": " + name;
      }
    }
    if (good) col.add(where, metric, p);
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
  if (mit == body.end() || !mit->value().is_object()) {
    col.issue("metrics", "Required: an object of metric id -> {timeSeries: [...]}");
    col.finish();
    return out;
  }
  for (const auto& kv : mit->value().get_object()) {
    std::string id(kv.key());
    std::string base = "metrics." + id;
    if (!col.check_metric([&] { return base; }, id)) continue;
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
    for (std::size_t i = 0; i < arr.size(); ++i) {
      ++out.rows;
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
        good = col.check_timestamp([&] { return where + ".timestamp"; }, ts->value().get_string(), p.timestamp);
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
      if (good) col.add([&] { return where; }, id, p);
    }
  }
  if (out.rows == 0 && out.issues.empty()) col.issue("metrics", "The upload holds no hourly points");
  std::optional<std::int64_t> uu[2];
  const std::size_t issues_before = out.issues.size();
  if (auto uit = body.find("uniqueUsers"); uit != body.end() && !uit->value().is_null()) {
    if (!uit->value().is_object()) {
      col.issue("uniqueUsers", "Expected an object {treatment, control} of distinct users per group");
    } else {
      const auto& o = uit->value().get_object();
      const char* keys[2] = {"treatment", "control"};
      for (int g = 0; g < 2; ++g) {
        auto it = o.find(keys[g]);
        if (it == o.end() || it->value().is_null()) continue;
        const auto& x = it->value();
        if (x.is_int64() && x.get_int64() >= 0) uu[g] = x.get_int64();
        else if (x.is_uint64() && x.get_uint64() <= 9'000'000'000'000'000ULL) uu[g] = static_cast<std::int64_t>(x.get_uint64());
        else if (x.is_double() && x.get_double() >= 0 && x.get_double() == std::floor(x.get_double()) && x.get_double() < 9e15)
          uu[g] = static_cast<std::int64_t>(x.get_double());
        else col.issue(std::string("uniqueUsers.") + keys[g], "Must be a non-negative integer");
      }
      for (const auto& kv : o)
        if (kv.key() != "treatment" && kv.key() != "control")
          col.issue("uniqueUsers." + std::string(kv.key()), "Unknown field; expected treatment and control");
      if (!uu[0] && !uu[1] && o.empty()) col.issue("uniqueUsers", "Expected treatment and control");
    }
  }
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
    if (field.key != "metrics" && field.key != "uniqueUsers" && field.key != "experimentId" &&
        field.key != "generatedAt" && field.key != "experimentPeriod" && field.key != "version")
      return std::nullopt;

  ParsedUpload out;
  Collector col(rules, out);
  auto no_path = [] { return std::string(); };  // any problem: the general path reports it
  dom::element metrics_el;
  dom::object metrics;
  if (find_once(body, "metrics", metrics_el) != Found::kYes ||
      metrics_el.get_object().get(metrics) != simdjson::SUCCESS)
    return std::nullopt;
  std::unordered_set<std::string_view> ids;
  for (auto metric : metrics) {
    const std::string_view id = metric.key;
    if (!ids.insert(id).second) return std::nullopt;
    dom::object m;
    if (!col.check_metric(no_path, id) || metric.value.get_object().get(m) != simdjson::SUCCESS) return std::nullopt;
    for (auto field : m)
      if (field.key != "timeSeries" && field.key != "summary") return std::nullopt;
    dom::element series_el;
    dom::array series;
    if (find_once(m, "timeSeries", series_el) != Found::kYes || series_el.get_array().get(series) != simdjson::SUCCESS)
      return std::nullopt;
    col.reserve(id, series.size());
    for (dom::element point : series) {
      ++out.rows;
      dom::object fields;
      if (point.get_object().get(fields) != simdjson::SUCCESS) return std::nullopt;
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
        if (seen & (1u << i)) return std::nullopt;
        seen |= 1u << i;
        f[i] = field.value;
      }
      std::string_view ts;
      if (seen != 31u || f[0].get_string().get(ts) != simdjson::SUCCESS) return std::nullopt;
      domain::HourlyPoint p;
      if (!col.check_timestamp(no_path, ts, p.timestamp) ||
          !fast_number(f[1], p.treatment_value) || !fast_number(f[2], p.control_value) ||
          !fast_count(f[3], p.treatment_sample_size, domain::kMaxSampleSize, false) ||
          !fast_count(f[4], p.control_sample_size, domain::kMaxSampleSize, false))
        return std::nullopt;
      col.add(no_path, id, p);
      if (col.has_issues()) return std::nullopt;
    }
  }
  if (out.rows == 0) return std::nullopt;
  std::optional<std::int64_t> uu[2];
  dom::element uu_el;
  Found uf = find_once(body, "uniqueUsers", uu_el);
  if (uf == Found::kTwice) return std::nullopt;
  if (uf == Found::kYes && !uu_el.is_null()) {
    dom::object o;
    if (uu_el.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
    if (o.size() == 0) return std::nullopt;
    unsigned seen = 0;
    for (auto field : o) {
      int g = field.key == "treatment" ? 0 : field.key == "control" ? 1 : -1;
      if (g < 0 || (seen & (1u << g))) return std::nullopt;
      seen |= 1u << g;
      if (field.value.is_null()) continue;
      std::int64_t v = 0;
      if (!fast_count(field.value, v, 9'000'000'000'000'000LL, true)) return std::nullopt;
      uu[g] = v;
    }
  }
  col.finish();
  if (!out.issues.empty()) return std::nullopt;
  check_unique_users(out, rules, false, "uniqueUsers.treatment", "uniqueUsers.control", uu[0], uu[1]);
  if (!out.issues.empty()) return std::nullopt;
  return out;
}

std::string results_to_csv(const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds start_date) {
  std::string out;
  std::size_t n = 0;
  for (const auto& m : metrics) n += m.points.size();
  out.reserve(64 + n * 90);
  out += kResultsCsvHeader;
  out += ",period\n";
  for (const auto& m : metrics) {
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
      out += p.timestamp < start_date ? ",pre\n" : ",post\n";
    }
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
