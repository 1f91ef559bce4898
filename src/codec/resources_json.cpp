#include "codec/resources_json.hpp"

#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/json_writer.hpp"

namespace rallyuxr::codec {

using namespace std::string_view_literals;

// Direct appends rather than JsonWriter calls: GET /experiments writes 20 to 100 of these a page
// (docs/performance.md).
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
  append_json_timestamp(out, e.start_date);
  out += ",\"endDate\":"sv;
  append_json_timestamp(out, e.end_date);
  out += ",\"expectedOutcome\":"sv;
  append_json_string(out, domain::to_string(e.expected_outcome));
  out += ",\"createdAt\":"sv;
  append_json_timestamp(out, e.created_at);
  out += ",\"updatedAt\":"sv;
  append_json_timestamp(out, e.updated_at);
  if (e.created_by) {
    out += ",\"createdBy\":"sv;
    append_json_string(out, *e.created_by);
  }
  out += ",\"implementationCost\":"sv;
  if (e.implementation_cost)
    append_json_number(out, *e.implementation_cost);
  else
    out += "null"sv;
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
  if (e.plan) {  // canonical JSON text written by the API (validation.cpp)
    out += ",\"plan\":"sv;
    out += *e.plan;
  }
  if (e.simulation) {
    out += ",\"simulation\":"sv;
    JsonWriter w(out);
    w.begin_object();
    if (e.simulation->seed) w.key("seed").unsigned_integer(*e.simulation->seed);
    w.key("prePeriodDays").integer(e.simulation->pre_period_days);
    w.key("dailyTraffic").number(e.simulation->daily_traffic);
    w.key("trueLift").begin_object();
    for (const auto& [k, v] : e.simulation->true_lift) w.key(k).number(v);
    w.end_object();
    w.end_object();
  }
  if (e.decision) {  // present once a decision was recorded (filled by the API)
    out += ",\"decision\":"sv;
    append_decision_json(out, *e.decision);
  }
  if (economic_impact) {
    out += ",\"economicImpact\":"sv;
    if (*economic_impact)
      append_json_number(out, **economic_impact);
    else
      out += "null"sv;
  }
  out += '}';
}

void append_decision_json(std::string& out, const domain::Decision& d) {
  JsonWriter w(out);
  w.begin_object();
  w.key("decisionId").string(d.decision_id);
  w.key("decision").string(d.decision);
  w.key("reason").string(d.reason);
  w.key("decidedBy").string(d.decided_by);
  w.key("decidedAt").timestamp(d.decided_at);
  w.end_object();
}

void append_metric_value_json(std::string& out, const domain::MetricValue& m) {
  JsonWriter w(out);
  w.begin_object();
  w.key("metricId").string(m.metric_id);
  w.key("name").string(m.name);
  w.key("description").string(m.description);
  w.key("unit").string(m.unit);
  w.key("category").string(m.category);
  w.key("dollarsPerUnit").number(m.dollars_per_unit);
  w.key("improvementDirection").string(domain::to_string(m.improvement_direction));
  w.key("unitSize").number(m.unit_size);
  w.key("valueGroup").string(m.value_group);
  w.key("lastUpdated").timestamp(m.last_updated);
  if (m.updated_by) w.key("updatedBy").string(*m.updated_by);
  w.key("version").integer(m.version);
  w.key("retired").boolean(m.retired_at.has_value());
  if (m.retired_at) w.key("retiredAt").timestamp(*m.retired_at);
  if (m.validation_rules) {
    const auto& r = *m.validation_rules;
    w.key("validationRules").begin_object();
    if (r.min_value) w.key("minValue").number(*r.min_value);
    if (r.max_value) w.key("maxValue").number(*r.max_value);
    if (r.decimal_places) w.key("decimalPlaces").integer(*r.decimal_places);
    w.end_object();
  }
  w.end_object();
}

void append_history_entry_json(std::string& out, const domain::MetricValueHistoryEntry& h) {
  JsonWriter w(out);
  w.begin_object();
  w.key("version").integer(h.version);
  w.key("dollarsPerUnit").number(h.dollars_per_unit);
  w.key("updatedAt").timestamp(h.updated_at);
  if (h.updated_by) w.key("updatedBy").string(*h.updated_by);
  if (h.change_reason) w.key("changeReason").string(*h.change_reason);
  // Which fields this version changed, from what, to what (values as JSON; a text that does not
  // parse is written as a string).
  w.key("changes").begin_array();
  for (const auto& c : h.changes) {
    w.begin_object();
    w.key("field").string(c.field);
    for (auto [name, text] : {std::pair<const char*, const std::string*>{"from", &c.from}, {"to", &c.to}}) {
      boost::system::error_code ec;
      auto v = parse_json_exact(*text, ec);
      w.key(name);
      if (ec) w.string(*text); else w.value(v);
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace rallyuxr::codec
