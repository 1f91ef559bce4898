#include "api/json_io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "api/json_parse.hpp"
#include "domain/time.hpp"

namespace rallyuxr::api {
namespace {

using namespace std::string_view_literals;

// domain::format_iso8601's text ("2025-01-15T00:00:00Z") without snprintf or an allocation: the
// results document holds one per hour and metric. Writes 20 characters; years outside 0..9999
// (never seen in practice) go through the general formatter, which writes them the same way.
constexpr std::size_t kIsoLength = 20;

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

bool fast_iso8601(char* buf, domain::UnixSeconds t) {
  // Days since 1970-01-01 and second of the day, floored.
  std::int64_t days = t / domain::kSecondsPerDay;
  std::int64_t secs = t % domain::kSecondsPerDay;
  if (secs < 0) {
    secs += domain::kSecondsPerDay;
    --days;
  }
  // civil_from_days (H. Hinnant, public domain), as date::year_month_day computes it.
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  if (y < 0 || y > 9999) return false;
  const auto yy = static_cast<unsigned>(y);
  put2(buf, yy / 100);
  put2(buf + 2, yy % 100);
  buf[4] = '-';
  put2(buf + 5, m);
  buf[7] = '-';
  put2(buf + 8, d);
  buf[10] = 'T';
  const auto s = static_cast<unsigned>(secs);
  put2(buf + 11, s / 3600);
  buf[13] = ':';
  put2(buf + 14, s / 60 % 60);
  buf[16] = ':';
  put2(buf + 17, s % 60);
  buf[19] = 'Z';
  return true;
}

std::string format_iso8601(domain::UnixSeconds t) {
  char buf[kIsoLength];
  if (fast_iso8601(buf, t)) return std::string(buf, kIsoLength);
  return domain::format_iso8601(t);
}

// A timestamp as a JSON string.
void append_iso8601(std::string& out, domain::UnixSeconds t) {
  char buf[kIsoLength + 2];
  if (fast_iso8601(buf + 1, t)) {
    buf[0] = '"';
    buf[kIsoLength + 1] = '"';
    out.append(buf, sizeof buf);
  } else {
    append_json_string(out, domain::format_iso8601(t));
  }
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

// An hour the summary counts, as the analysis does: both groups observed, both values finite.
bool usable_hour(const domain::HourlyPoint& p) {
  return p.treatment_sample_size > 0 && p.control_sample_size > 0 && std::isfinite(p.treatment_value) &&
         std::isfinite(p.control_value);
}

// Copies `s` to w; returns the end.
char* put(char* w, std::string_view s) {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

// The longest text of one hour: the keys (about 100 characters), a timestamp, two numbers and two
// 64-bit integers.
constexpr std::size_t kMaxPointText = 128 + kIsoLength + 2 + 2 * kMaxJsonNumber + 2 * 20;

// number_or_null as text.
void append_number_or_null(std::string& out, std::optional<double> v) {
  if (!v) {
    out += "null";
    return;
  }
  append_json_number(out, *v);  // null when not finite
}

}  // namespace

json::value number_or_null(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

json::object experiment_to_json(const domain::Experiment& e) {
  json::object o;
  o["id"] = e.id;
  o["name"] = e.name;
  o["description"] = e.description;
  o["status"] = domain::to_string(e.status);
  json::array metrics;
  for (const auto& m : e.metrics) metrics.emplace_back(m);
  o["metrics"] = std::move(metrics);
  o["startDate"] = format_iso8601(e.start_date);
  o["endDate"] = format_iso8601(e.end_date);
  o["expectedOutcome"] = domain::to_string(e.expected_outcome);
  o["createdAt"] = format_iso8601(e.created_at);
  o["updatedAt"] = format_iso8601(e.updated_at);
  if (e.created_by) o["createdBy"] = *e.created_by;
  o["implementationCost"] = number_or_null(e.implementation_cost);
  o["confidenceLevel"] = e.confidence_level;
  o["trafficSplit"] = e.traffic_split;
  o["dataSource"] = domain::to_string(e.data_source);
  o["durationDays"] = static_cast<double>(e.end_date - e.start_date) / domain::kSecondsPerDay;
  o["analysisDesign"] = domain::to_string(e.analysis_design);
  json::array guardrails;
  for (const auto& g : e.guardrail_metrics) guardrails.emplace_back(g);
  o["guardrailMetrics"] = std::move(guardrails);
  if (e.simulation) {
    json::object s;
    if (e.simulation->seed) s["seed"] = *e.simulation->seed;
    s["prePeriodDays"] = e.simulation->pre_period_days;
    s["dailyTraffic"] = number_or_null(e.simulation->daily_traffic);
    json::object lifts;
    for (const auto& [k, v] : e.simulation->true_lift) lifts[k] = v;
    s["trueLift"] = std::move(lifts);
    o["simulation"] = std::move(s);
  }
  return o;
}

json::object metric_value_to_json(const domain::MetricValue& m) {
  json::object o;
  o["metricId"] = m.metric_id;
  o["name"] = m.name;
  o["description"] = m.description;
  o["unit"] = m.unit;
  o["category"] = m.category;
  o["dollarsPerUnit"] = m.dollars_per_unit;
  o["improvementDirection"] = domain::to_string(m.improvement_direction);
  o["unitSize"] = m.unit_size;
  o["valueGroup"] = m.value_group ? json::value(*m.value_group) : json::value(nullptr);
  o["lastUpdated"] = format_iso8601(m.last_updated);
  if (m.updated_by) o["updatedBy"] = *m.updated_by;
  o["version"] = m.version;
  if (m.validation_rules) {
    json::object r;
    if (m.validation_rules->min_value) r["minValue"] = *m.validation_rules->min_value;
    if (m.validation_rules->max_value) r["maxValue"] = *m.validation_rules->max_value;
    if (m.validation_rules->decimal_places) r["decimalPlaces"] = *m.validation_rules->decimal_places;
    o["validationRules"] = std::move(r);
  }
  return o;
}

json::object history_entry_to_json(const domain::MetricValueHistoryEntry& h) {
  json::object o;
  o["version"] = h.version;
  o["dollarsPerUnit"] = h.dollars_per_unit;
  o["updatedAt"] = format_iso8601(h.updated_at);
  if (h.updated_by) o["updatedBy"] = *h.updated_by;
  if (h.change_reason) o["changeReason"] = *h.change_reason;
  return o;
}

json::object results_to_json(const domain::Experiment& e, const store::StoredResults& r) {
  json::object metrics;
  std::int64_t total_hours = 0, pre_hours = 0;
  for (const auto& series : r.metrics) {
    json::array ts;
    ts.reserve(series.points.size());
    double tsum = 0, csum = 0;
    std::int64_t tn = 0, cn = 0, post = 0, pre = 0;
    for (const auto& p : series.points) {
      json::object pt;
      pt.reserve(5);
      char iso[kIsoLength];
      if (fast_iso8601(iso, p.timestamp))
        pt.emplace("timestamp", json::string_view(iso, kIsoLength));
      else
        pt.emplace("timestamp", domain::format_iso8601(p.timestamp));
      pt.emplace("treatmentValue", number_or_null(p.treatment_value));
      pt.emplace("controlValue", number_or_null(p.control_value));
      pt.emplace("treatmentSampleSize", p.treatment_sample_size);
      pt.emplace("controlSampleSize", p.control_sample_size);
      ts.emplace_back(std::move(pt));
      bool usable = usable_hour(p);
      if (usable && p.timestamp >= e.start_date && p.timestamp < e.end_date) {
        tsum += p.treatment_value;
        csum += p.control_value;
        tn += p.treatment_sample_size;
        cn += p.control_sample_size;
        ++post;
      } else if (usable && p.timestamp < e.start_date) {
        ++pre;
      }
    }
    json::object summary;
    summary["treatmentMean"] = post ? number_or_null(tsum / post) : json::value(nullptr);
    summary["controlMean"] = post ? number_or_null(csum / post) : json::value(nullptr);
    summary["totalTreatmentSamples"] = tn;
    summary["totalControlSamples"] = cn;
    summary["postHours"] = post;
    summary["preHours"] = pre;
    json::object m;
    m["timeSeries"] = std::move(ts);
    m["summary"] = std::move(summary);
    metrics[series.metric_id] = std::move(m);
    total_hours = std::max<std::int64_t>(total_hours, static_cast<std::int64_t>(series.points.size()));
    pre_hours = std::max(pre_hours, pre);
  }
  json::object o;
  o["experimentId"] = e.id;
  o["metrics"] = std::move(metrics);
  o["generatedAt"] = format_iso8601(r.generated_at);
  json::object period;
  period["startDate"] = format_iso8601(e.start_date);
  period["endDate"] = format_iso8601(e.end_date);
  period["totalHours"] = total_hours;
  period["preHours"] = pre_hours;
  o["experimentPeriod"] = std::move(period);
  o["version"] = r.version;
  return o;
}

void append_experiment_json(std::string& out, const domain::Experiment& e,
                            const std::optional<std::optional<double>>& economic_impact) {
  out.reserve(out.size() + 512);  // geometric growth: amortized, and usually one allocation a page
  out += "{\"id\":"sv;
  append_json_string(out, e.id);
  out += ",\"name\":"sv;
  append_json_string(out, e.name);
  out += ",\"description\":"sv;
  append_json_string(out, e.description);
  out += ",\"status\":"sv;
  append_json_string(out, domain::to_string(e.status));
  out += ",\"metrics\":["sv;
  for (std::size_t i = 0; i < e.metrics.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, e.metrics[i]);
  }
  out += "],\"startDate\":"sv;
  append_iso8601(out, e.start_date);
  out += ",\"endDate\":"sv;
  append_iso8601(out, e.end_date);
  out += ",\"expectedOutcome\":"sv;
  append_json_string(out, domain::to_string(e.expected_outcome));
  out += ",\"createdAt\":"sv;
  append_iso8601(out, e.created_at);
  out += ",\"updatedAt\":"sv;
  append_iso8601(out, e.updated_at);
  if (e.created_by) {
    out += ",\"createdBy\":"sv;
    append_json_string(out, *e.created_by);
  }
  out += ",\"implementationCost\":"sv;
  append_number_or_null(out, e.implementation_cost);
  out += ",\"confidenceLevel\":"sv;
  append_json_number(out, e.confidence_level);
  out += ",\"trafficSplit\":"sv;
  append_json_number(out, e.traffic_split);
  out += ",\"dataSource\":"sv;
  append_json_string(out, domain::to_string(e.data_source));
  out += ",\"durationDays\":"sv;
  append_json_number(out, static_cast<double>(e.end_date - e.start_date) / domain::kSecondsPerDay);
  out += ",\"analysisDesign\":"sv;
  append_json_string(out, domain::to_string(e.analysis_design));
  out += ",\"guardrailMetrics\":["sv;
  for (std::size_t i = 0; i < e.guardrail_metrics.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, e.guardrail_metrics[i]);
  }
  out += ']';
  if (e.simulation) {
    out += ",\"simulation\":{"sv;
    if (e.simulation->seed) {
      out += "\"seed\":"sv;
      append_uint(out, *e.simulation->seed);
      out += ',';
    }
    out += "\"prePeriodDays\":"sv;
    append_int(out, e.simulation->pre_period_days);
    out += ",\"dailyTraffic\":"sv;
    append_number_or_null(out, e.simulation->daily_traffic);
    out += ",\"trueLift\":{"sv;
    bool first = true;
    for (const auto& [k, v] : e.simulation->true_lift) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, k);
      out += ':';
      append_json_number(out, v);
    }
    out += "}}"sv;
  }
  if (economic_impact) {
    out += ",\"economicImpact\":"sv;
    append_number_or_null(out, *economic_impact);
  }
  out += '}';
}

void append_results_json(std::string& out, const domain::Experiment& e, const store::StoredResults& r) {
  // About 150 bytes an hour; one allocation for the whole document.
  std::size_t points = 0;
  for (const auto& series : r.metrics) points += series.points.size();
  out.reserve(out.size() + 512 + points * 160);

  // As results_to_json's metrics[id] = ...: a repeated id keeps its first place, with the last
  // series' content.
  std::vector<std::size_t> last(r.metrics.size());
  std::vector<bool> first(r.metrics.size(), true);
  for (std::size_t i = 0; i < r.metrics.size(); ++i) {
    last[i] = i;
    for (std::size_t j = 0; j < i; ++j) {
      if (first[j] && r.metrics[j].metric_id == r.metrics[i].metric_id) {
        last[j] = i;
        first[i] = false;
        break;
      }
    }
  }

  std::int64_t total_hours = 0, pre_hours = 0;
  out += "{\"experimentId\":"sv;
  append_json_string(out, e.id);
  out += ",\"metrics\":{"sv;
  bool first_metric = true;
  for (std::size_t i = 0; i < r.metrics.size(); ++i) {
    const auto& counted = r.metrics[i];
    std::int64_t pre = 0;
    for (const auto& p : counted.points)
      if (usable_hour(p) && p.timestamp < e.start_date) ++pre;
    total_hours = std::max<std::int64_t>(total_hours, static_cast<std::int64_t>(counted.points.size()));
    pre_hours = std::max(pre_hours, pre);
    if (!first[i]) continue;
    const auto& series = r.metrics[last[i]];
    if (!first_metric) out += ',';
    first_metric = false;
    append_json_string(out, series.metric_id);
    out += ":{\"timeSeries\":["sv;
    double tsum = 0, csum = 0;
    std::int64_t tn = 0, cn = 0, post = 0;
    pre = 0;
    bool first_point = true;
    for (const auto& p : series.points) {
      // One hour is written into a buffer and appended once (the appends were a third of the time).
      char buf[kMaxPointText];
      char* w = put(buf, first_point ? "{\"timestamp\":"sv : ",{\"timestamp\":"sv);
      first_point = false;
      if (fast_iso8601(w + 1, p.timestamp)) {
        w[0] = '"';
        w[kIsoLength + 1] = '"';
        w += kIsoLength + 2;
      } else {
        out.append(buf, w);
        w = buf;
        append_iso8601(out, p.timestamp);
      }
      w = put(w, ",\"treatmentValue\":"sv);
      w = write_json_number(w, p.treatment_value);
      w = put(w, ",\"controlValue\":"sv);
      w = write_json_number(w, p.control_value);
      w = put(w, ",\"treatmentSampleSize\":"sv);
      w = std::to_chars(w, w + 20, p.treatment_sample_size).ptr;
      w = put(w, ",\"controlSampleSize\":"sv);
      w = std::to_chars(w, w + 20, p.control_sample_size).ptr;
      *w++ = '}';
      out.append(buf, w);
      bool usable = usable_hour(p);
      if (usable && p.timestamp >= e.start_date && p.timestamp < e.end_date) {
        tsum += p.treatment_value;
        csum += p.control_value;
        tn += p.treatment_sample_size;
        cn += p.control_sample_size;
        ++post;
      } else if (usable && p.timestamp < e.start_date) {
        ++pre;
      }
    }
    out += "],\"summary\":{\"treatmentMean\":"sv;
    if (post)
      append_json_number(out, tsum / post);
    else
      out += "null"sv;
    out += ",\"controlMean\":"sv;
    if (post)
      append_json_number(out, csum / post);
    else
      out += "null"sv;
    out += ",\"totalTreatmentSamples\":"sv;
    append_int(out, tn);
    out += ",\"totalControlSamples\":"sv;
    append_int(out, cn);
    out += ",\"postHours\":"sv;
    append_int(out, post);
    out += ",\"preHours\":"sv;
    append_int(out, pre);
    out += "}}"sv;
  }
  out += "},\"generatedAt\":"sv;
  append_iso8601(out, r.generated_at);
  out += ",\"experimentPeriod\":{\"startDate\":"sv;
  append_iso8601(out, e.start_date);
  out += ",\"endDate\":"sv;
  append_iso8601(out, e.end_date);
  out += ",\"totalHours\":"sv;
  append_int(out, total_hours);
  out += ",\"preHours\":"sv;
  append_int(out, pre_hours);
  out += "},\"version\":"sv;
  append_int(out, r.version);
  out += '}';
}

json::object event_to_json(const store::Event& e) {
  json::object o;
  o["eventId"] = e.event_id;
  o["eventType"] = e.event_type;
  o["createdAt"] = format_iso8601(e.created_at);
  boost::system::error_code ec;
  auto payload = parse_json_exact(e.payload, ec);
  o["payload"] = ec ? json::value(nullptr) : payload;
  return o;
}

json::object job_to_json(const store::Job& j) {
  json::object o;
  o["jobId"] = j.job_id;
  o["kind"] = store::to_string(j.kind);
  o["status"] = store::to_string(j.status);
  o["attempts"] = j.attempts;
  o["lastError"] = j.last_error ? json::value(*j.last_error) : json::value(nullptr);
  o["createdAt"] = format_iso8601(j.created_at);
  o["updatedAt"] = format_iso8601(j.updated_at);
  if (j.result) {
    boost::system::error_code ec;
    auto r = parse_json_exact(*j.result, ec);
    o["result"] = ec ? json::value(nullptr) : r;
  }
  return o;
}

json::value analysis_to_json(const store::StoredAnalysis& a) {
  boost::system::error_code ec;
  auto doc = parse_json_exact(a.document, ec);
  json::object o = (!ec && doc.is_object()) ? doc.as_object() : json::object();
  o["analysisId"] = a.analysis_id;
  o["experimentId"] = a.experiment_id;
  o["status"] = a.status;
  o["resultsVersion"] = a.results_version;
  if (!o.contains("analysisTimestamp")) o["analysisTimestamp"] = format_iso8601(a.updated_at);
  return o;
}

json::object parse_json_body(const http::Request& req) {
  auto mt = req.media_type();
  if (mt != "application/json" && !(mt.empty() && req.body.empty()))
    throw domain::ApiError(domain::ErrorCode::kUnsupportedMediaType,
                           "Content-Type must be application/json");
  if (req.body.empty())
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Request body is empty; a JSON object is expected");
  boost::system::error_code ec;
  json::value v = parse_json_exact(req.body, ec, 64);
  if (ec)
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Malformed JSON body: " + ec.message());
  if (!v.is_object())
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Request body must be a JSON object");
  return std::move(v.as_object());
}

http::Response ok(json::value data, int status) {
  json::object o;
  o["success"] = true;
  o["data"] = std::move(data);
  http::Response r;
  r.status = status;
  r.body = to_json_text(o);
  return r;
}

http::Response ok_text(std::string body, int status) {
  http::Response r;
  r.status = status;
  body += '}';
  r.body = std::move(body);
  return r;
}

namespace {
std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}
}  // namespace

bool FieldReader::has(const char* key) const {
  auto it = obj_.find(key);
  return it != obj_.end() && !it->value().is_null();
}

void FieldReader::issue(const std::string& key, const std::string& message) {
  issues_.push_back({path(key), message});
}

std::optional<std::string> FieldReader::string(const char* key, bool required, std::size_t min_len,
                                               std::size_t max_len) {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->value().is_null()) {
    if (required) issue(key, "Required");
    return std::nullopt;
  }
  if (!it->value().is_string()) {
    issue(key, "Expected string");
    return std::nullopt;
  }
  std::string s(it->value().get_string());
  // Length in characters (UTF-8 code points), as a person counts them.
  std::size_t chars = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++chars;
  if (chars < min_len) {
    issue(key, min_len == 1 ? "Must not be empty" : "Must be at least " + std::to_string(min_len) + " characters");
    return std::nullopt;
  }
  if (chars > max_len) {
    issue(key, "Must be at most " + std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<double> FieldReader::number(const char* key, bool required) {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->value().is_null()) {
    if (required) issue(key, "Required");
    return std::nullopt;
  }
  auto n = as_number(it->value());
  if (!n) {
    issue(key, "Expected number");
    return std::nullopt;
  }
  if (!std::isfinite(*n)) {
    issue(key, "Must be a finite number");
    return std::nullopt;
  }
  return n;
}

std::optional<std::int64_t> FieldReader::integer(const char* key, bool required, std::int64_t min,
                                                 std::int64_t max) {
  auto n = number(key, required);
  if (!n) return std::nullopt;
  if (std::floor(*n) != *n) {
    issue(key, "Expected an integer");
    return std::nullopt;
  }
  if (*n < static_cast<double>(min) || *n > static_cast<double>(max)) {
    issue(key, "Must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*n);
}

const json::array* FieldReader::array(const char* key, bool required) {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->value().is_null()) {
    if (required) issue(key, "Required");
    return nullptr;
  }
  if (!it->value().is_array()) {
    issue(key, "Expected array");
    return nullptr;
  }
  return &it->value().get_array();
}

const json::object* FieldReader::object(const char* key, bool required) {
  auto it = obj_.find(key);
  if (it == obj_.end() || it->value().is_null()) {
    if (required) issue(key, "Required");
    return nullptr;
  }
  if (!it->value().is_object()) {
    issue(key, "Expected object");
    return nullptr;
  }
  return &it->value().get_object();
}

void FieldReader::throw_if_any(const std::string& message) {
  if (!issues_.empty()) throw domain::ApiError(domain::ErrorCode::kValidation, message, issues_);
}

}  // namespace rallyuxr::api
