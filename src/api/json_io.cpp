#include "api/json_io.hpp"

#include <cmath>

#include "api/json_parse.hpp"
#include "domain/time.hpp"

namespace rallyuxr::api {

using domain::format_iso8601;

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
      pt["timestamp"] = format_iso8601(p.timestamp);
      pt["treatmentValue"] = number_or_null(p.treatment_value);
      pt["controlValue"] = number_or_null(p.control_value);
      pt["treatmentSampleSize"] = p.treatment_sample_size;
      pt["controlSampleSize"] = p.control_sample_size;
      ts.emplace_back(std::move(pt));
      bool usable = p.treatment_sample_size > 0 && p.control_sample_size > 0 &&
                    std::isfinite(p.treatment_value) && std::isfinite(p.control_value);
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
