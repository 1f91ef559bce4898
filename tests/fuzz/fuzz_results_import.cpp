// Results uploads (PUT/POST /api/experiments/{id}/results): the bytes are read as CSV
// (parse_results_csv) and as JSON (parse_json_exact + parse_results_json), each once without
// rules (offline analysis) and once with an experiment's window and metric set, as the handler
// builds them. These parsers report problems as issues and never throw: any exception is a crash.
// The fast path (parse_results_json_fast), and its one-pass strict tier on its own
// (parse_results_json_strict, which reads the text without padding, so a read past its end is an
// ASan error here), either decline or give exactly what the general JSON path gives (the same
// points, bit for bit, the same unique users and segments).
// Properties checked for every accepted upload:
//  - at most kMaxReportedIssues issues (+1 "more problems" line);
//  - every point on the hour, inside the window, of an allowed metric, finite values,
//    non-negative sample sizes, sorted without duplicate hours; every row became a point;
//  - an upload with no issues has at least one point (an empty replace would wipe the results);
//  - export -> import round-trips exactly: results_to_csv's output parses back to the same
//    points, and so does the same data written as a JSON upload.
#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/results_io.hpp"
#include "domain/time.hpp"
#include "fuzz_check.hpp"

namespace json = boost::json;
using namespace rallyuxr;

namespace {

constexpr domain::UnixSeconds kStart = 1736899200;  // 2025-01-15T00:00:00Z
constexpr domain::UnixSeconds kEnd = 1738108800;    // 2025-01-29T00:00:00Z

const codec::UploadRules& no_rules() {
  static const codec::UploadRules r;
  return r;
}

const codec::UploadRules& experiment_rules() {
  static const codec::UploadRules r = [] {
    codec::UploadRules x;
    x.earliest = kStart - 30 * domain::kSecondsPerDay;
    x.end = kEnd;
    x.metrics = {"conversion_rate", "click_through_rate", "revenue_per_user"};
    return x;
  }();
  return r;
}

std::string describe(const codec::ParsedUpload& p) {
  std::string s = "rows=" + std::to_string(p.rows) + " metrics=" + std::to_string(p.metrics.size()) +
                  " issues=" + std::to_string(p.issues.size());
  for (std::size_t i = 0; i < p.issues.size() && i < 3; ++i) s += "\n  " + p.issues[i].path + ": " + p.issues[i].message;
  return s;
}

bool same_points(const std::vector<domain::MetricSeries>& a, const std::vector<domain::MetricSeries>& b);

// Everything an accepted upload carries besides its overall points: unique users and segments.
bool same_users(const std::optional<domain::UniqueUsers>& a, const std::optional<domain::UniqueUsers>& b) {
  return a.has_value() == b.has_value() && (!a || (a->treatment == b->treatment && a->control == b->control));
}
bool same_segments(const domain::Segments& a, const domain::Segments& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [dimension, segs] : b) {
    auto d = a.find(dimension);
    if (d == a.end() || d->second.size() != segs.size()) return false;
    for (const auto& [name, seg] : segs) {
      auto s = d->second.find(name);
      if (s == d->second.end() || !same_points(s->second.series, seg.series) ||
          !same_users(s->second.unique_users, seg.unique_users))
        return false;
    }
  }
  return true;
}

bool same_points(const std::vector<domain::MetricSeries>& a, const std::vector<domain::MetricSeries>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].metric_id != b[i].metric_id || a[i].points.size() != b[i].points.size()) return false;
    for (std::size_t j = 0; j < a[i].points.size(); ++j) {
      const auto &x = a[i].points[j], &y = b[i].points[j];
      if (x.timestamp != y.timestamp || x.treatment_value != y.treatment_value ||
          x.control_value != y.control_value || x.treatment_sample_size != y.treatment_sample_size ||
          x.control_sample_size != y.control_sample_size)
        return false;
    }
  }
  return true;
}

std::string to_json_upload(const std::vector<domain::MetricSeries>& metrics) {
  json::object ms;
  for (const auto& m : metrics) {
    json::array series;
    for (const auto& p : m.points) {
      json::object o;
      o["timestamp"] = domain::format_iso8601(p.timestamp);
      o["treatmentValue"] = p.treatment_value;
      o["controlValue"] = p.control_value;
      o["treatmentSampleSize"] = p.treatment_sample_size;
      o["controlSampleSize"] = p.control_sample_size;
      series.push_back(std::move(o));
    }
    json::object entry;
    entry["timeSeries"] = std::move(series);
    ms[m.metric_id] = std::move(entry);
  }
  json::object body;
  body["metrics"] = std::move(ms);
  return codec::to_json_text(body);
}

void check_upload(const codec::ParsedUpload& p, const codec::UploadRules& rules, const char* format) {
  std::string where = std::string(format) + ": " + describe(p);
  FUZZ_CHECK(p.issues.size() <= codec::kMaxReportedIssues + 1, "too many issues: " + where);
  if (!p.issues.empty()) {
    FUZZ_CHECK(p.metrics.empty(), "points returned despite issues: " + where);
    return;
  }
  FUZZ_CHECK(p.rows > 0 && !p.metrics.empty(), "an upload without points was accepted: " + where);
  std::size_t points = 0;
  for (const auto& m : p.metrics) {
    FUZZ_CHECK(!m.metric_id.empty() && m.metric_id.size() <= 64, "bad metric id: " + where);
    if (!rules.metrics.empty()) FUZZ_CHECK(rules.metrics.count(m.metric_id), "foreign metric: " + where);
    FUZZ_CHECK(!m.points.empty(), "metric without points: " + where);
    for (std::size_t i = 0; i < m.points.size(); ++i) {
      const auto& x = m.points[i];
      FUZZ_CHECK(x.timestamp % domain::kSecondsPerHour == 0, "not on the hour: " + where);
      if (rules.earliest) FUZZ_CHECK(x.timestamp >= *rules.earliest, "before the window: " + where);
      if (rules.end) FUZZ_CHECK(x.timestamp < *rules.end, "after the window: " + where);
      if (i) FUZZ_CHECK(m.points[i - 1].timestamp < x.timestamp, "unsorted or duplicate hour: " + where);
      FUZZ_CHECK(std::isfinite(x.treatment_value) && std::isfinite(x.control_value), "non-finite value: " + where);
      FUZZ_CHECK(x.treatment_sample_size >= 0 && x.control_sample_size >= 0, "negative sample size: " + where);
    }
    points += m.points.size();
  }
  FUZZ_CHECK(points == p.rows, "rows and points differ: " + where);

  // Export -> import, CSV.
  std::string csv = codec::results_to_csv(p.metrics, kStart);
  auto back = codec::parse_results_csv(csv, rules);
  FUZZ_CHECK(back.issues.empty() && same_points(back.metrics, p.metrics),
             "results_to_csv output does not import back the same: " + describe(back) + "\n" + csv.substr(0, 600));
  // The same data as a JSON upload.
  std::string text = to_json_upload(p.metrics);
  boost::system::error_code ec;
  json::value v = codec::parse_json_exact(text, ec, 64);
  FUZZ_CHECK(!ec && v.is_object(), "JSON upload text does not parse: " + text.substr(0, 600));
  auto viaj = codec::parse_results_json(v.get_object(), rules);
  // JSON objects keep one entry per metric id in first-appearance order, as the CSV collector does.
  FUZZ_CHECK(viaj.issues.empty() && same_points(viaj.metrics, p.metrics),
             "the same points as a JSON upload import differently: " + describe(viaj) + "\n" + text.substr(0, 600));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  check_upload(codec::parse_results_csv(text, no_rules()), no_rules(), "csv");
  check_upload(codec::parse_results_csv(text, experiment_rules()), experiment_rules(), "csv+rules");

  boost::system::error_code ec;
  json::value v = codec::parse_json_exact(text, ec, 64);
  std::string padded(text);  // simdjson reads up to 64 bytes past the text: the copy's capacity
  padded.reserve(padded.size() + 64);
  for (const auto* rules : {&no_rules(), &experiment_rules()}) {
    auto fast = codec::parse_results_json_fast(padded, padded.capacity(), *rules);
    // The strict tier on the fuzzer's own bytes (no copy, no padding), as an upload and as a file
    // of `rallyuxr analyze` (the GET .../results envelope).
    auto strict = codec::parse_results_json_strict(text, *rules);
    auto strict_envelope = codec::parse_results_json_strict(text, *rules, /*envelope=*/true);
    if (strict_envelope) {
      FUZZ_CHECK(!ec && v.is_object(), "the strict tier read an envelope parse_json_exact rejects");
      const json::object* body = &v.get_object();
      if (auto d = body->find("data"); d != body->end() && d->value().is_object())
        if (auto r = d->value().get_object().find("results"); r != d->value().get_object().end() && r->value().is_object())
          body = &r->value().get_object();
      auto general = codec::parse_results_json(*body, *rules);
      FUZZ_CHECK(general.issues.empty() && strict_envelope->rows == general.rows &&
                     same_points(strict_envelope->metrics, general.metrics) &&
                     same_users(strict_envelope->unique_users, general.unique_users) &&
                     same_segments(strict_envelope->segments, general.segments),
                 "the strict tier reads an envelope differently: " + describe(*strict_envelope) + " vs " + describe(general));
    }
    if (!ec && v.is_object()) {
      auto general = codec::parse_results_json(v.get_object(), *rules);
      check_upload(general, *rules, rules == &no_rules() ? "json" : "json+rules");
      if (fast) {
        FUZZ_CHECK(general.issues.empty() && fast->rows == general.rows && same_points(fast->metrics, general.metrics),
                   "the simdjson path differs from the general one: " + describe(*fast) + " vs " + describe(general));
        FUZZ_CHECK(fast->unique_users.has_value() == general.unique_users.has_value() &&
                       (!fast->unique_users || (fast->unique_users->treatment == general.unique_users->treatment &&
                                                fast->unique_users->control == general.unique_users->control)),
                   "the simdjson path reads uniqueUsers differently");
        FUZZ_CHECK(same_segments(fast->segments, general.segments), "the fast path reads segments differently");
      }
      if (strict) {
        FUZZ_CHECK(general.issues.empty() && strict->rows == general.rows && same_points(strict->metrics, general.metrics) &&
                       strict->derived_overall_points == general.derived_overall_points,
                   "the strict tier differs from the general path: " + describe(*strict) + " vs " + describe(general));
        FUZZ_CHECK(same_users(strict->unique_users, general.unique_users), "the strict tier reads uniqueUsers differently");
        FUZZ_CHECK(same_segments(strict->segments, general.segments), "the strict tier reads segments differently");
        FUZZ_CHECK(fast.has_value(), "the fast path declined what its strict tier accepts");
      }
    } else {
      FUZZ_CHECK(!fast, "the simdjson path accepted what parse_json_exact rejects: " + std::string(text.substr(0, 300)));
      FUZZ_CHECK(!strict, "the strict tier accepted what parse_json_exact rejects: " + std::string(text.substr(0, 300)));
    }
  }
  return 0;
}
