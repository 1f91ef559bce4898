#include "api/validation.hpp"

#include <cmath>
#include <algorithm>
#include <cstdint>

#include "api/request_body.hpp"
#include "codec/json_writer.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "pipeline/pipeline.hpp"

namespace rallyuxr::api {
namespace {

const std::set<std::string> kCategories = {"conversion", "revenue", "engagement", "retention", "other"};

bool valid_metric_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

std::optional<domain::UnixSeconds> read_date(FieldReader& r, const char* key) {
  auto s = r.string(key, true, 1, 64);
  if (!s) return std::nullopt;
  auto t = domain::parse_iso8601(*s);
  if (!t) {
    r.issue(key, "Invalid date: use YYYY-MM-DD or an ISO-8601 datetime with a zone");
  } else if (*t < 0) {
    r.issue(key, "Dates must be in the years 1970-9999");
    return std::nullopt;
  }
  return t;
}

std::optional<domain::ValidationRules> read_rules(FieldReader& r) {
  const json::object* o = r.object("validationRules", false);
  if (!o) return std::nullopt;
  FieldReader rr(*o, r.path("validationRules"));
  domain::ValidationRules rules;
  rules.min_value = rr.number("minValue", false);
  rules.max_value = rr.number("maxValue", false);
  if (auto d = rr.integer("decimalPlaces", false, 0, 10)) rules.decimal_places = static_cast<int>(*d);
  if (rules.min_value && rules.max_value && *rules.min_value > *rules.max_value)
    rr.issue("minValue", "Must not be greater than maxValue");
  for (auto& i : rr.issues()) r.issues().push_back(i);
  return rules;
}

// The catalogue's rules on dollarsPerUnit, as the pipeline checks them again under the row lock.
void check_against_rules(FieldReader& r, double value, const std::optional<domain::ValidationRules>& rules) {
  for (auto& i : pipeline::rule_violations(value, rules)) r.issues().push_back(std::move(i));
}

// The plan promised at creation (POST /plans, issue 15): validated field by field and written
// back as canonical JSON (only the fields below), so that what is stored is exactly what was checked.
std::string read_plan(FieldReader& parent, const json::object& o, const domain::Experiment& e) {
  FieldReader r(o, "plan");
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  if (auto d = r.integer("days", true, 7, 366)) {
    w.key("days").integer(*d);
    if (e.end_date > e.start_date && (e.end_date - e.start_date) % domain::kSecondsPerDay == 0 &&
        (e.end_date - e.start_date) / domain::kSecondsPerDay != *d)
      r.issue("days", "Must equal the experiment's duration (" +
                          std::to_string((e.end_date - e.start_date) / domain::kSecondsPerDay) +
                          " days): the plan's duration sets the end date");
  }
  auto non_negative = [&](const char* key) {
    auto v = r.number(key, false);
    if (v && *v < 0) {
      r.issue(key, "Must be 0 or more");
      return std::optional<double>();
    }
    return v;
  };
  if (auto v = non_negative("totalDailyDollarMde")) w.key("totalDailyDollarMde").number(*v);
  if (auto v = r.number("power", false)) {
    if (*v < 0.5 || *v > 0.99) r.issue("power", "Must be between 0.5 and 0.99");
    else w.key("power").number(*v);
  }
  if (auto v = read_confidence_level(r)) w.key("confidenceLevel").number(*v);
  if (auto c = r.string("correction", false, 1, 20)) {
    if (*c != "holm" && *c != "fdr_bh" && *c != "none") r.issue("correction", "Expected 'holm', 'fdr_bh' or 'none'");
    else w.key("correction").string(*c);
  }
  if (auto d = r.string("design", false, 1, 20)) {
    if (!domain::parse_analysis_design(*d)) r.issue("design", "Expected 'did' or 'paired'");
    else w.key("design").string(*d);
  }
  if (auto d = r.integer("preDays", false, 2, 30)) w.key("preDays").integer(*d);
  if (const json::object* m = r.object("metrics", false)) {
    w.key("metrics").begin_object();
    for (const auto& kv : *m) {
      const std::string id(kv.key());
      const std::string key = "metrics." + id;
      if (std::find(e.metrics.begin(), e.metrics.end(), id) == e.metrics.end()) {
        r.issue(key, "Metric '" + id + "' is not one of the experiment's metrics");
        continue;
      }
      if (!kv.value().is_object()) {
        r.issue(key, "Expected object {mde, dailyDollarMde}");
        continue;
      }
      FieldReader mr(kv.value().get_object(), r.path(key));
      w.key(id).begin_object();
      for (const char* f : {"mde", "dailyDollarMde"}) {
        auto v = mr.number(f, false);
        if (v && *v < 0) mr.issue(f, "Must be 0 or more");
        else if (v) w.key(f).number(*v);
      }
      w.end_object();
      for (auto& i : mr.issues()) parent.issues().push_back(i);
    }
    w.end_object();
  }
  if (const json::object* vs = r.object("varianceSource", false)) {
    FieldReader vr(*vs, "plan.varianceSource");
    w.key("varianceSource").begin_object();
    if (auto k = vr.string("kind", true, 1, 20)) {
      if (*k != "experiment" && *k != "history") vr.issue("kind", "Expected 'experiment' or 'history'");
      else w.key("kind").string(*k);
    }
    if (auto id = vr.string("experimentId", false, 1, 64)) {
      if (!domain::looks_like_uuid(*id)) vr.issue("experimentId", "Expected an experiment id");
      else w.key("experimentId").string(*id);
    }
    w.end_object();
    for (auto& i : vr.issues()) parent.issues().push_back(i);
  }
  w.end_object();
  for (auto& i : r.issues()) parent.issues().push_back(i);
  return out;
}

}  // namespace

std::optional<std::string> read_value_group(FieldReader& r) {
  auto g = r.string("valueGroup", false, 1, 32);
  if (!g) return std::nullopt;
  const bool ok = std::all_of(g->begin(), g->end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!ok) {
    r.issue("valueGroup", "Use lower-case letters, digits, '_' and '-' only (at most 32), e.g. \"orders\"");
    return std::nullopt;
  }
  return g;
}

std::optional<double> read_confidence_level(FieldReader& r) {
  auto cl = r.number("confidenceLevel", false);
  if (cl && (*cl < 80 || *cl > 99.9)) {
    r.issue("confidenceLevel", "Must be between 80 and 99.9");
    return std::nullopt;
  }
  return cl;
}

std::vector<std::string> read_metric_ids(
    FieldReader& r, const json::array& ids, const char* key,
    const std::function<std::optional<std::string>(const std::string&)>& problem) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string item = std::string(key) + "." + std::to_string(i);
    if (!ids[i].is_string()) {
      r.issue(item, "Expected string");
      continue;
    }
    std::string id(ids[i].get_string());
    if (auto why = problem(id))
      r.issue(item, *why);
    else if (std::find(out.begin(), out.end(), id) != out.end())
      r.issue(item, "Metric '" + id + "' is listed twice");
    else
      out.push_back(std::move(id));
  }
  return out;
}

std::vector<std::string> read_selected_metrics(FieldReader& r, const std::function<bool(const std::string&)>& known) {
  const json::array* ids = r.array("metrics", true);
  if (!ids) return {};
  if (ids->empty()) r.issue("metrics", "Select at least one metric");
  if (ids->size() > 10) r.issue("metrics", "At most 10 metrics");
  return read_metric_ids(r, *ids, "metrics", [&](const std::string& id) {
    return known(id) ? std::nullopt : std::optional<std::string>("Unknown metric '" + id + "'");
  });
}

double default_unit_size(const std::string& unit) { return unit == "%" ? 0.01 : 1.0; }

domain::Experiment parse_create_experiment(const json::object& body, const std::set<std::string>& known) {
  FieldReader r(body);
  domain::Experiment e;
  if (auto name = r.string("name", true, 1, 200)) {
    if (name->find_first_not_of(" \t\r\n") == std::string::npos)
      r.issue("name", "Must not be blank");
    else
      e.name = *name;
  }
  if (auto d = r.string("description", true, 0, 1000)) e.description = *d;
  e.metrics = read_selected_metrics(r, [&](const std::string& id) { return known.count(id) > 0; });
  auto start = read_date(r, "startDate");
  auto end = read_date(r, "endDate");
  if (start && *start < domain::kEarliestStartDate) {
    r.issue("startDate", "Must be on or after 1970-01-31: dates are accepted in the years 1970-9999 and the "
                         "pre period (up to 30 days) must stay in them");
    start.reset();
  }
  if (start && end) {
    if (*end <= *start)
      r.issue("endDate", "Must be after startDate");
    else if (*end - *start > kMaxPeriodSeconds)
      r.issue("endDate", "The period can be at most 366 days");
    e.start_date = *start;
    e.end_date = *end;
  }
  if (auto o = r.string("expectedOutcome", true, 1, 20)) {
    if (auto v = domain::parse_expected_outcome(*o))
      e.expected_outcome = *v;
    else
      r.issue("expectedOutcome", "Expected 'positive', 'negative' or 'neutral'");
  }
  if (auto cost = r.number("implementationCost", false)) {
    if (*cost < 0)
      r.issue("implementationCost", "Must be 0 or more");
    else
      e.implementation_cost = *cost;
  }
  if (auto cl = read_confidence_level(r)) e.confidence_level = *cl;
  if (auto ts = r.number("trafficSplit", false)) {
    if (*ts < 0.01 || *ts > 0.99)
      r.issue("trafficSplit", "Must be between 0.01 and 0.99");
    else
      e.traffic_split = *ts;
  }
  if (auto d = r.string("analysisDesign", false, 1, 20)) {
    if (auto v = domain::parse_analysis_design(*d))
      e.analysis_design = *v;
    else
      r.issue("analysisDesign", "Expected 'did' or 'paired'");
  }
  if (const json::array* guardrails = r.array("guardrailMetrics", false)) {
    e.guardrail_metrics = read_metric_ids(r, *guardrails, "guardrailMetrics", [&](const std::string& id) {
      return std::find(e.metrics.begin(), e.metrics.end(), id) != e.metrics.end()
                 ? std::nullopt
                 : std::optional<std::string>("Metric '" + id + "' is not one of the experiment's metrics");
    });
  }
  if (auto ds = r.string("dataSource", false, 1, 20)) {
    if (auto v = domain::parse_data_source(*ds))
      e.data_source = *v;
    else
      r.issue("dataSource", "Expected 'simulated' or 'imported'");
  }
  if (const json::object* sim = r.object("simulation", false)) {
    if (e.data_source == domain::DataSource::kImported)
      r.issue("simulation", "Only simulated experiments take simulation settings");
    FieldReader sr(*sim, "simulation");
    domain::SimulationConfig cfg;
    auto it = sim->find("seed");
    if (it != sim->end() && !it->value().is_null()) {
      if (it->value().is_uint64())
        cfg.seed = it->value().get_uint64();
      else if (it->value().is_int64() && it->value().get_int64() >= 0)
        cfg.seed = static_cast<std::uint64_t>(it->value().get_int64());
      else
        sr.issue("seed", "Expected a non-negative integer");
    }
    if (auto d = sr.integer("prePeriodDays", false, 0, 30)) cfg.pre_period_days = static_cast<int>(*d);
    if (auto t = sr.number("dailyTraffic", false)) {
      if (*t < 24 || *t > 10'000'000)
        sr.issue("dailyTraffic", "Must be between 24 and 10000000 users per day");
      else
        cfg.daily_traffic = *t;
    }
    if (const json::object* lifts = sr.object("trueLift", false)) {
      for (const auto& kv : *lifts) {
        std::string key = "trueLift." + std::string(kv.key());
        std::string id(kv.key());
        double v = 0;
        if (kv.value().is_double()) v = kv.value().get_double();
        else if (kv.value().is_int64()) v = static_cast<double>(kv.value().get_int64());
        else if (kv.value().is_uint64()) v = static_cast<double>(kv.value().get_uint64());
        else {
          sr.issue(key, "Expected number");
          continue;
        }
        if (!std::isfinite(v) || v <= -1 || v > 10) {
          sr.issue(key, "A relative lift must be greater than -1 and at most 10");
          continue;
        }
        if (std::find(e.metrics.begin(), e.metrics.end(), id) == e.metrics.end()) {
          sr.issue(key, "Metric '" + id + "' is not one of the experiment's metrics");
          continue;
        }
        cfg.true_lift[id] = v;
      }
    }
    for (auto& i : sr.issues()) r.issues().push_back(i);
    e.simulation = cfg;
  }
  if (const json::object* plan = r.object("plan", false)) e.plan = read_plan(r, *plan, e);
  r.throw_if_any("Invalid experiment");
  return e;
}

domain::MetricValue parse_metric_value_create(const json::object& body) {
  FieldReader r(body);
  domain::MetricValue m;
  if (auto id = r.string("metricId", true, 1, 64)) {
    if (!valid_metric_id(*id))
      r.issue("metricId", "Use lower-case letters and underscores only");
    else
      m.metric_id = *id;
  }
  if (auto n = r.string("name", true, 1, 100)) m.name = *n;
  if (auto d = r.number("dollarsPerUnit", true)) {
    if (*d <= 0)
      r.issue("dollarsPerUnit", "Must be greater than 0");
    else if (*d > domain::kMaxDollarsPerUnit)
      r.issue("dollarsPerUnit", "Must be at most 1e9");
    else
      m.dollars_per_unit = *d;
  }
  if (auto u = r.string("unit", true, 1, 20)) m.unit = *u;
  if (auto d = r.string("description", true, 10, 500)) m.description = *d;
  if (auto c = r.string("category", true, 1, 20)) {
    if (!kCategories.count(*c))
      r.issue("category", "Expected one of conversion, revenue, engagement, retention, other");
    else
      m.category = *c;
  }
  if (auto dir = r.string("improvementDirection", false, 1, 20)) {
    if (auto v = domain::parse_direction(*dir))
      m.improvement_direction = *v;
    else
      r.issue("improvementDirection", "Expected 'increase' or 'decrease'");
  }
  m.unit_size = default_unit_size(m.unit);
  if (auto us = r.number("unitSize", false)) {
    if (*us < 1e-9 || *us > 1e9)
      r.issue("unitSize", "Must be from 1e-9 to 1e9");
    else
      m.unit_size = *us;
  }
  m.validation_rules = read_rules(r);
  m.value_group = read_value_group(r);
  if (m.dollars_per_unit > 0) check_against_rules(r, m.dollars_per_unit, m.validation_rules);
  if (auto by = r.string("updatedBy", false, 1, 200)) m.updated_by = *by;
  r.throw_if_any("Invalid metric value");
  m.version = 1;
  return m;
}

store::MetricValueUpdate parse_metric_value_update(const json::object& body, const domain::MetricValue& current) {
  FieldReader r(body);
  store::MetricValueUpdate u;
  if (auto d = r.number("dollarsPerUnit", true)) {
    if (*d <= 0)
      r.issue("dollarsPerUnit", "Must be greater than 0");
    else if (*d > domain::kMaxDollarsPerUnit)
      r.issue("dollarsPerUnit", "Must be at most 1e9");
    else
      u.dollars_per_unit = *d;
  }
  if (auto d = r.string("description", false, 10, 500)) u.description = *d;
  if (auto n = r.string("name", false, 1, 100)) u.name = *n;
  if (auto un = r.string("unit", false, 1, 20)) u.unit = *un;
  if (auto c = r.string("category", false, 1, 20)) {
    if (!kCategories.count(*c))
      r.issue("category", "Expected one of conversion, revenue, engagement, retention, other");
    else
      u.category = *c;
  }
  if (auto dir = r.string("improvementDirection", false, 1, 20)) {
    if (auto v = domain::parse_direction(*dir))
      u.improvement_direction = *v;
    else
      r.issue("improvementDirection", "Expected 'increase' or 'decrease'");
  }
  if (auto us = r.number("unitSize", false)) {
    if (*us < 1e-9 || *us > 1e9)
      r.issue("unitSize", "Must be from 1e-9 to 1e9");
    else
      u.unit_size = *us;
  }
  u.validation_rules = read_rules(r);
  if (auto reason = r.string("changeReason", false, 0, 500)) u.change_reason = *reason;
  if (auto by = r.string("updatedBy", false, 1, 200)) u.updated_by = *by;
  // The whole-object PUT (the seed frontend) carries the version it read: checked by the pipeline.
  // metricId and lastUpdated are read-only and ignored like any unknown field.
  if (auto v = r.integer("version", false, 1, INT64_MAX)) u.expected_version = *v;
  if (u.dollars_per_unit > 0)
    check_against_rules(r, u.dollars_per_unit, u.validation_rules ? u.validation_rules : current.validation_rules);
  r.throw_if_any("Invalid metric value update");
  return u;
}

}  // namespace rallyuxr::api
