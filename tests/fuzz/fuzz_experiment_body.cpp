// Request bodies of POST /api/experiments, POST /api/metric-values and PUT /api/metric-values/{id}:
// the bytes go through parse_json_body (parse_json_exact underneath), as the handlers do, then
// through each validator. Properties checked:
//  - parse_json_exact agrees with Boost.JSON's own parser (same tree; doubles within 2 ulp; a
//    number beyond a double's range is the only extra error allowed), yields finite numbers
//    only, and what to_json_text prints parses back to the same values;
//  - the only exceptions are ApiError(kMalformed) from parse_json_body and ApiError(kValidation)
//    with at least one field issue from the validators;
//  - an accepted experiment or metric value satisfies every documented limit, and survives
//    serialization (append_experiment_json / append_metric_value_json) and validation again
//    unchanged.
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "api/request_body.hpp"
#include "api/validation.hpp"
#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/resources_json.hpp"
#include "fuzz_check.hpp"
#include "pipeline/metric_update.hpp"
#include "store/store.hpp"

namespace json = boost::json;
using namespace rallyuxr;

namespace {

const std::set<std::string>& known_metrics() {
  static const std::set<std::string> k = {
      "conversion_rate",  "click_through_rate", "bounce_rate",     "form_completion_rate",
      "cart_abandonment_rate", "revenue_per_user", "average_order_value", "time_on_page",
      "engagement_score", "page_load_time",     "customer_lifetime_value"};
  return k;
}

domain::MetricValue current_metric_value() {
  domain::MetricValue m;
  m.metric_id = "conversion_rate";
  m.name = "Conversion rate";
  m.description = "Share of visitors who buy";
  m.unit = "%";
  m.category = "conversion";
  m.dollars_per_unit = 1250;
  m.unit_size = 0.01;
  m.version = 3;
  m.validation_rules = domain::ValidationRules{0.5, 100000.0, 2};
  return m;
}

std::size_t utf8_chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool close_doubles(double a, double b) {
  if (a == b) return true;
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  // Boost.JSON 1.81 may be one unit in the last place off; parse_json_exact is correctly rounded.
  double x = a;
  for (int i = 0; i < 2; ++i) {
    x = std::nextafter(x, b);
    if (x == b) return true;
  }
  return false;
}

double as_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

// vs_boost: b comes from Boost.JSON's parser, whose doubles may be an ulp off (and NaN for
// "0e999999", a Boost bug that parse_json_exact does not share). Otherwise b is a re-parse of
// to_json_text(a), which prints whole doubles as integers: numbers compare by value, exactly.
bool same_tree(const json::value& a, const json::value& b, bool vs_boost) {
  if (a.is_number() && b.is_number()) {
    if (vs_boost) {
      if (a.kind() != b.kind()) return false;
      if (!a.is_double()) return a == b;
      return !std::isfinite(b.get_double()) || close_doubles(a.get_double(), b.get_double());
    }
    if (a.is_double() || b.is_double()) return as_double(a) == as_double(b);
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto &x = a.get_array(), &y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!same_tree(x[i], y[i], vs_boost)) return false;
      return true;
    }
    case json::kind::object: {
      const auto &x = a.get_object(), &y = b.get_object();
      if (x.size() != y.size()) return false;
      auto i = x.begin();
      auto j = y.begin();
      for (; i != x.end(); ++i, ++j)
        if (i->key() != j->key() || !same_tree(i->value(), j->value(), vs_boost)) return false;
      return true;
    }
    default: return false;
  }
}

bool all_finite(const json::value& v) {
  if (v.is_double()) return std::isfinite(v.get_double());
  if (v.is_array()) {
    for (const auto& x : v.get_array())
      if (!all_finite(x)) return false;
  }
  if (v.is_object()) {
    for (const auto& kv : v.get_object())
      if (!all_finite(kv.value())) return false;
  }
  return true;
}

void differential_parse(std::string_view text) {
  boost::system::error_code exact_ec, std_ec;
  json::value exact = codec::parse_json_exact(text, exact_ec, 64);
  json::parse_options opt;
  opt.max_depth = 64;
  json::value standard = json::parse(text, std_ec, {}, opt);
  if (exact_ec) {
    FUZZ_CHECK(exact.is_null(), "a failed parse must return null");
    // The exact parser refuses numbers beyond a double's range, where Boost.JSON says inf or 0.
    FUZZ_CHECK(std_ec || exact_ec == json::error::exponent_overflow,
               "parse_json_exact refused what Boost.JSON accepts: " + exact_ec.message());
    return;
  }
  FUZZ_CHECK(!std_ec, "parse_json_exact accepted what Boost.JSON refuses: " + std_ec.message());
  FUZZ_CHECK(same_tree(exact, standard, true), "parse_json_exact and Boost.JSON disagree: " +
                                                   json::serialize(exact).substr(0, 300) + " vs " +
                                                   json::serialize(standard).substr(0, 300));
  FUZZ_CHECK(all_finite(exact), "parse_json_exact produced a non-finite number");
  if (exact.is_double()) {
    // A document that is one number: the value must be the correctly rounded one (glibc's
    // strtod rounds correctly, to zero or a subnormal below the range too).
    std::string s(text);
    double expected = std::strtod(s.c_str(), nullptr);
    FUZZ_CHECK(exact.get_double() == expected,
               "parse_json_exact is not correctly rounded for " + s.substr(0, 100) + ": " +
                   json::serialize(exact) + " vs " + json::serialize(json::value(expected)));
  }
  // What the service prints (to_json_text) parses back to the same numbers, to the last bit.
  std::string printed = codec::to_json_text(exact);
  boost::system::error_code ec;
  json::value again = codec::parse_json_exact(printed, ec, 64);
  FUZZ_CHECK(!ec, "to_json_text output does not parse: " + printed.substr(0, 300) + ": " + ec.message());
  FUZZ_CHECK(same_tree(exact, again, false), "to_json_text -> parse_json_exact changes the value: " + printed.substr(0, 300));
}

json::object reparse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = codec::parse_json_exact(text, ec, 64);
  FUZZ_CHECK(!ec && v.is_object(), "serialized JSON does not parse back: " + text);
  return std::move(v.as_object());
}

void check_experiment(const domain::Experiment& e) {
  FUZZ_CHECK(!e.name.empty() && e.name.find_first_not_of(" \t\r\n") != std::string::npos, "blank name accepted");
  FUZZ_CHECK(utf8_chars(e.name) <= 200, "name too long");
  FUZZ_CHECK(utf8_chars(e.description) <= 1000, "description too long");
  FUZZ_CHECK(!e.metrics.empty() && e.metrics.size() <= 10, "metric count out of range");
  std::set<std::string> seen;
  for (const auto& m : e.metrics) {
    FUZZ_CHECK(known_metrics().count(m), "unknown metric accepted: " + m);
    FUZZ_CHECK(seen.insert(m).second, "duplicate metric accepted: " + m);
  }
  FUZZ_CHECK(e.end_date > e.start_date, "end not after start");
  FUZZ_CHECK(e.end_date - e.start_date <= api::kMaxPeriodSeconds, "period longer than 366 days");
  if (e.implementation_cost)
    FUZZ_CHECK(std::isfinite(*e.implementation_cost) && *e.implementation_cost >= 0, "bad implementationCost");
  FUZZ_CHECK(e.confidence_level >= 80 && e.confidence_level <= 99.9, "confidenceLevel out of range");
  FUZZ_CHECK(e.traffic_split >= 0.01 && e.traffic_split <= 0.99, "trafficSplit out of range");
  if (e.simulation) {
    FUZZ_CHECK(e.data_source == domain::DataSource::kSimulated, "simulation settings on an imported experiment");
    const auto& s = *e.simulation;
    FUZZ_CHECK(s.pre_period_days >= 0 && s.pre_period_days <= 30, "prePeriodDays out of range");
    if (s.daily_traffic) FUZZ_CHECK(*s.daily_traffic >= 24 && *s.daily_traffic <= 10'000'000, "dailyTraffic out of range");
    for (const auto& [id, lift] : s.true_lift) {
      FUZZ_CHECK(std::isfinite(lift) && lift > -1 && lift <= 10, "trueLift out of range");
      FUZZ_CHECK(std::find(e.metrics.begin(), e.metrics.end(), id) != e.metrics.end(), "trueLift for a foreign metric");
    }
  }
}

bool same_experiment(const domain::Experiment& a, const domain::Experiment& b) {
  if (a.name != b.name || a.description != b.description || a.metrics != b.metrics ||
      a.start_date != b.start_date || a.end_date != b.end_date || a.expected_outcome != b.expected_outcome ||
      a.implementation_cost != b.implementation_cost || a.confidence_level != b.confidence_level ||
      a.traffic_split != b.traffic_split || a.data_source != b.data_source ||
      a.simulation.has_value() != b.simulation.has_value())
    return false;
  if (!a.simulation) return true;
  const auto &x = *a.simulation, &y = *b.simulation;
  return x.seed == y.seed && x.pre_period_days == y.pre_period_days && x.daily_traffic == y.daily_traffic &&
         x.true_lift == y.true_lift;
}

void fuzz_experiment(const json::object& body) {
  domain::Experiment e;
  try {
    e = api::parse_create_experiment(body, known_metrics());
  } catch (const domain::ApiError& err) {
    fuzz::expect_api_error(err, {domain::ErrorCode::kValidation}, true);
    return;
  }
  check_experiment(e);
  // What GET returns must be accepted again as a create body, with the same meaning.
  json::object again = reparse([&] {
    std::string t;
    codec::append_experiment_json(t, e);
    return t;
  }());
  domain::Experiment e2;
  try {
    e2 = api::parse_create_experiment(again, known_metrics());
  } catch (const domain::ApiError& err) {
    FUZZ_CHECK(false, std::string("an accepted experiment, serialized, is refused: ") + err.what() + " " +
                          (err.details().empty() ? "" : err.details()[0].path + ": " + err.details()[0].message));
  }
  FUZZ_CHECK(same_experiment(e, e2), "experiment changed through append_experiment_json: " + codec::to_json_text(again));
}

void check_rules(const std::optional<domain::ValidationRules>& r) {
  if (!r) return;
  if (r->min_value) FUZZ_CHECK(std::isfinite(*r->min_value), "non-finite minValue");
  if (r->max_value) FUZZ_CHECK(std::isfinite(*r->max_value), "non-finite maxValue");
  if (r->min_value && r->max_value) FUZZ_CHECK(*r->min_value <= *r->max_value, "minValue > maxValue");
  if (r->decimal_places) FUZZ_CHECK(*r->decimal_places >= 0 && *r->decimal_places <= 10, "decimalPlaces out of range");
}

void fuzz_metric_value_create(const json::object& body) {
  domain::MetricValue m;
  try {
    m = api::parse_metric_value_create(body);
  } catch (const domain::ApiError& err) {
    fuzz::expect_api_error(err, {domain::ErrorCode::kValidation}, true);
    return;
  }
  FUZZ_CHECK(!m.metric_id.empty() && m.metric_id.size() <= 64, "bad metricId length");
  for (char c : m.metric_id) FUZZ_CHECK((c >= 'a' && c <= 'z') || c == '_', "bad metricId character");
  FUZZ_CHECK(std::isfinite(m.dollars_per_unit) && m.dollars_per_unit > 0, "dollarsPerUnit not > 0");
  FUZZ_CHECK(std::isfinite(m.unit_size) && m.unit_size > 0, "unitSize not > 0");
  FUZZ_CHECK(utf8_chars(m.description) >= 10 && utf8_chars(m.description) <= 500, "description length");
  FUZZ_CHECK(m.version == 1, "version of a new metric value");
  check_rules(m.validation_rules);
  if (m.validation_rules && m.validation_rules->min_value)
    FUZZ_CHECK(m.dollars_per_unit >= *m.validation_rules->min_value, "dollarsPerUnit below minValue");
  if (m.validation_rules && m.validation_rules->max_value)
    FUZZ_CHECK(m.dollars_per_unit <= *m.validation_rules->max_value, "dollarsPerUnit above maxValue");

  json::object again = reparse([&] {
    std::string t;
    codec::append_metric_value_json(t, m);
    return t;
  }());
  domain::MetricValue m2;
  try {
    m2 = api::parse_metric_value_create(again);
  } catch (const domain::ApiError& err) {
    FUZZ_CHECK(false, std::string("an accepted metric value, serialized, is refused: ") + err.what());
  }
  bool same = m.metric_id == m2.metric_id && m.name == m2.name && m.description == m2.description &&
              m.unit == m2.unit && m.category == m2.category && m.dollars_per_unit == m2.dollars_per_unit &&
              m.improvement_direction == m2.improvement_direction && m.unit_size == m2.unit_size &&
              m.updated_by == m2.updated_by && m.validation_rules.has_value() == m2.validation_rules.has_value();
  if (same && m.validation_rules)
    same = m.validation_rules->min_value == m2.validation_rules->min_value &&
           m.validation_rules->max_value == m2.validation_rules->max_value &&
           m.validation_rules->decimal_places == m2.validation_rules->decimal_places;
  FUZZ_CHECK(same, "metric value changed through append_metric_value_json: " + codec::to_json_text(again));
}

void fuzz_metric_value_update(const json::object& body) {
  static const domain::MetricValue current = current_metric_value();
  store::MetricValueUpdate u;
  try {
    u = api::parse_metric_value_update(body, current);
  } catch (const domain::ApiError& err) {
    fuzz::expect_api_error(err, {domain::ErrorCode::kValidation}, true);
    return;
  }
  FUZZ_CHECK(std::isfinite(u.dollars_per_unit) && u.dollars_per_unit > 0, "dollarsPerUnit not > 0");
  if (u.unit_size) FUZZ_CHECK(std::isfinite(*u.unit_size) && *u.unit_size > 0, "unitSize not > 0");
  check_rules(u.validation_rules);
  const auto& rules = u.validation_rules ? u.validation_rules : current.validation_rules;
  if (rules && rules->min_value) FUZZ_CHECK(u.dollars_per_unit >= *rules->min_value, "below minValue");
  if (rules && rules->max_value) FUZZ_CHECK(u.dollars_per_unit <= *rules->max_value, "above maxValue");
  auto next = pipeline::apply_update(current, u, 1'736'899'200);
  FUZZ_CHECK(next.version == current.version + 1 && next.metric_id == current.metric_id, "apply_update");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  differential_parse(text);

  http::Request req;
  req.method = "POST";
  req.headers["content-type"] = "application/json; charset=utf-8";
  req.body.assign(text);
  json::object body;
  try {
    body = api::parse_json_body(req);
  } catch (const domain::ApiError& err) {
    fuzz::expect_api_error(err, {domain::ErrorCode::kMalformed}, false);
    return 0;
  }
  fuzz_experiment(body);
  fuzz_metric_value_create(body);
  fuzz_metric_value_update(body);
  return 0;
}
