// POST /plans: validate, gather the hourly history (an experiment's stored hours or an uploaded
// history in the import formats), run stats::plan, write the plan. See docs/api.md.
#include "api/plans.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "api/request_body.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "api/validation.hpp"
#include "codec/json_writer.hpp"
#include "codec/results_io.hpp"
#include "domain/ids.hpp"
#include "stats/plan.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using domain::ApiError;
using domain::ErrorCode;

constexpr int kMaxDurationDays = 366;
constexpr std::size_t kMaxDurations = 100;

const char* const kNoSource =
    "provide source.experimentId or source.history: hours of both groups before any change";

void write_opt(JsonWriter& w, const char* key, const std::optional<double>& v) { w.key(key).number(v); }

void write_variance(JsonWriter& w, const stats::PlanVariance& v) {
  w.begin_object();
  w.key("blocks").integer(v.blocks);
  w.key("preBlocks").integer(v.pre_blocks);
  w.key("postBlocks").integer(v.post_blocks);
  w.key("usableHours").integer(v.usable_hours);
  w.key("excludedHours").integer(v.excluded_hours);
  w.key("partialBlocks").integer(v.partial_blocks);
  write_opt(w, "blockVariance", v.block_variance);
  write_opt(w, "historyTreatmentShare", v.history_share);
  w.key("varianceFactor").number(v.variance_factor);
  write_opt(w, "planningVariance", v.planning_variance);
  write_opt(w, "baseline", v.baseline);
  w.end_object();
}

}  // namespace

std::string plan_data_json(const json::object& body, const std::vector<domain::MetricValue>& catalogue,
                           const PlanSources& sources) {
  FieldReader r(body);
  std::map<std::string, const domain::MetricValue*> known;
  for (const auto& m : catalogue) known[m.metric_id] = &m;

  const std::vector<std::string> metrics =
      read_selected_metrics(r, [&](const std::string& id) { return known.count(id) > 0; });
  stats::PlanInput in;
  if (auto cl = read_confidence_level(r)) in.confidence_level = *cl;
  if (auto c = r.string("correction", false, 1, 20)) {
    if (*c == "none") in.correction.reset();
    else if (auto k = domain::parse_correction(*c)) in.correction = *k;
    else r.issue("correction", "Expected 'holm', 'fdr_bh' or 'none'");
  }
  if (auto p = r.number("power", false)) {
    if (*p < 0.5 || *p > 0.99)
      r.issue("power", "Must be between 0.5 and 0.99");
    else
      in.power = *p;
  }
  if (auto ts = r.number("trafficSplit", false)) {
    if (*ts < 0.01 || *ts > 0.99)
      r.issue("trafficSplit", "Must be between 0.01 and 0.99");
    else
      in.traffic_split = *ts;
  }
  if (auto d = r.string("design", false, 1, 20)) {
    if (auto v = domain::parse_analysis_design(*d))
      in.design = *v;
    else
      r.issue("design", "Expected 'did' or 'paired'");
  }
  if (auto pd = r.integer("preDays", false, 2, 30)) in.pre_days = static_cast<int>(*pd);
  if (const json::array* ds = r.array("durations", false)) {
    if (ds->empty()) r.issue("durations", "Give at least one duration, or leave it out for 7..56 days");
    if (ds->size() > kMaxDurations) r.issue("durations", "At most 100 durations");
    std::set<int> seen;
    for (std::size_t i = 0; i < ds->size() && i < kMaxDurations; ++i) {
      const std::string key = "durations." + std::to_string(i);
      const auto& v = (*ds)[i];
      double d = v.is_int64() ? static_cast<double>(v.get_int64()) : v.is_uint64() ? static_cast<double>(v.get_uint64())
                 : v.is_double() ? v.get_double() : std::nan("");
      if (!(std::isfinite(d) && d == std::floor(d) && d >= stats::kPlanMinDays && d <= kMaxDurationDays)) {
        r.issues().push_back({key, "Must be a whole number of days from 7 to 366"});
        continue;
      }
      if (!seen.insert(static_cast<int>(d)).second) {
        r.issues().push_back({key, "Listed twice"});
        continue;
      }
      in.durations.push_back(static_cast<int>(d));
    }
  }
  if (auto t = r.number("targetDailyDollarImpact", false)) {
    if (!(*t > 0))
      r.issue("targetDailyDollarImpact", "Must be a dollar amount per day above 0");
    else
      in.target_daily_dollar_impact = *t;
  }
  if (const json::object* te = r.object("targetEffects", false)) {
    for (const auto& kv : *te) {
      const std::string id(kv.key());
      const std::string key = "targetEffects." + id;
      const auto& v = kv.value();
      if (!v.is_number()) {
        r.issues().push_back({key, "Expected number (an effect in the metric's stored units)"});
        continue;
      }
      const double x = v.to_number<double>();
      if (!std::isfinite(x) || x == 0) {
        r.issues().push_back({key, "Must be a finite effect other than 0, in the metric's stored units"});
        continue;
      }
      if (std::find(metrics.begin(), metrics.end(), id) == metrics.end()) {
        r.issues().push_back({key, "Metric '" + id + "' is not one of the plan's metrics"});
        continue;
      }
      in.target_effects[id] = x;
    }
  }

  // The source of variance.
  std::string source_kind;
  std::string source_path;
  std::optional<std::string> experiment_id;
  std::vector<domain::MetricSeries> history;
  const json::object* source = nullptr;
  {
    auto it = body.find("source");
    if (it == body.end() || it->value().is_null()) {
      r.issue("source", kNoSource);
    } else if (!it->value().is_object()) {
      r.issue("source", std::string("Expected object: ") + kNoSource);
    } else {
      source = &it->value().get_object();
    }
  }
  if (source) {
    const auto eid = source->find("experimentId");
    const auto hist = source->find("history");
    const bool has_e = eid != source->end() && !eid->value().is_null();
    const bool has_h = hist != source->end() && !hist->value().is_null();
    if (has_e == has_h) {
      r.issue("source", has_e ? "Give one source: source.experimentId or source.history, not both" : kNoSource);
    } else if (has_e) {
      source_kind = "experiment";
      source_path = "source.experimentId";
      if (!eid->value().is_string()) {
        r.issue(source_path, "Expected the id of an experiment");
      } else if (!sources.experiment) {
        r.issue(source_path, "Experiments are not available here (offline); use source.history");
      } else {
        const std::string id(eid->value().get_string());
        auto e = domain::looks_like_uuid(id) ? sources.experiment(id) : std::nullopt;
        if (!e) {
          r.issue(source_path, "Experiment not found");
        } else {
          experiment_id = e->id;
          auto res = sources.results(e->id);
          if (!res || res->metrics.empty()) {
            r.issue(source_path, "The experiment has no hourly data yet; " + std::string(kNoSource));
          } else {
            in.origin = e->start_date;
            in.end = e->end_date;
            history = std::move(res->metrics);
          }
        }
      }
    } else {
      source_kind = "history";
      source_path = "source.history";
      codec::UploadRules rules;  // any hour, any metric id of the import format
      codec::ParsedUpload parsed;
      if (hist->value().is_object()) {
        parsed = codec::parse_results_json(hist->value().get_object(), rules);
      } else if (hist->value().is_string()) {
        parsed = codec::parse_results_csv(hist->value().get_string(), rules);
      } else {
        r.issue(source_path, "Expected the JSON import format object {metrics: {id: {timeSeries: [...]}}} or the "
                             "CSV import format as a string");
      }
      for (auto& i : parsed.issues)
        r.issues().push_back({i.path.empty() ? source_path : source_path + (hist->value().is_string() ? ": " : ".") + i.path,
                              i.message});
      if (parsed.issues.empty() && !parsed.metrics.empty()) {
        domain::UnixSeconds last = 0;
        bool any = false;
        for (const auto& m : parsed.metrics)
          if (!m.points.empty()) {
            last = any ? std::max(last, m.points.back().timestamp) : m.points.back().timestamp;
            any = true;
          }
        // The history is the pre period of an experiment starting the hour after it ends.
        in.origin = in.end = last + domain::kSecondsPerHour;
        history = std::move(parsed.metrics);
      }
    }
  }

  // Every metric needs its hours in the source, at least 7 days of them.
  if (!history.empty()) {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      auto it = std::find_if(history.begin(), history.end(),
                             [&](const domain::MetricSeries& s) { return s.metric_id == metrics[i]; });
      if (it == history.end() || it->points.empty()) {
        r.issues().push_back({"metrics." + std::to_string(i),
                              source_kind == "experiment" ? "The experiment has no hourly data for metric '" + metrics[i] + "'"
                                                          : "The history has no hours for metric '" + metrics[i] + "'"});
        continue;
      }
      in.metrics.push_back(*it);
    }
  }
  for (const auto& id : metrics) {
    const auto* m = known.at(id);
    in.pricing[id] = m->pricing();
    if (m->value_group && !m->value_group->empty()) in.value_groups[id] = *m->value_group;
  }
  r.throw_if_any("Invalid plan request");

  stats::PlanOutput out = stats::plan(in);
  for (const auto& [id, v] : out.variance) {
    if (v.blocks < stats::kPlanMinHistoryDays)
      r.issues().push_back({source_kind == "history" ? source_path + ".metrics." + id : source_path,
                            "Metric '" + id + "': the " + (source_kind == "history" ? "history" : "experiment's data") +
                                " covers " + std::to_string(v.blocks) +
                                " day(s) with usable hours; at least 7 are needed to estimate the day-to-day variance"});
    else if (!v.block_variance || *v.block_variance <= 0)
      r.issues().push_back({source_kind == "history" ? source_path + ".metrics." + id : source_path,
                            "Metric '" + id + "': the daily treatment-minus-control differences do not vary, so no "
                                              "variance can be estimated from this source"});
  }
  r.throw_if_any("Invalid plan request");
  if (in.target_daily_dollar_impact && !out.total_variance)
    throw ApiError(ErrorCode::kValidation, "Invalid plan request",
                   {{"targetDailyDollarImpact", "None of the plan's metrics has a dollar value"}});

  std::string text;
  JsonWriter w(text);
  w.begin_object();
  w.key("durations").begin_array();
  for (const auto& d : out.durations) {
    w.begin_object();
    w.key("days").integer(d.days);
    w.key("metrics").begin_object();
    for (const auto& [id, mp] : d.metrics) {
      w.key(id).begin_object();
      write_opt(w, "mde", mp.mde);
      write_opt(w, "relativeMde", mp.relative_mde);
      write_opt(w, "dailyDollarMde", mp.daily_dollar_mde);
      write_opt(w, "periodDollarMde", mp.period_dollar_mde);
      write_opt(w, "standardError", mp.standard_error);
      write_opt(w, "degreesOfFreedom", mp.degrees_of_freedom);
      if (in.target_effects.count(id)) write_opt(w, "power", mp.power);
      w.end_object();
    }
    w.end_object();
    write_opt(w, "totalDailyDollarMde", d.total_daily_dollar_mde);
    write_opt(w, "totalPeriodDollarMde", d.total_period_dollar_mde);
    write_opt(w, "totalStandardError", d.total_standard_error);
    write_opt(w, "totalDegreesOfFreedom", d.total_degrees_of_freedom);
    if (in.target_daily_dollar_impact) write_opt(w, "totalPower", d.total_power);
    w.end_object();
  }
  w.end_array();
  if (out.target) {
    w.key("target").begin_object();
    if (out.target->reached_at_days)
      w.key("reachedAtDays").integer(*out.target->reached_at_days);
    else
      w.key("reachedAtDays").null();
    if (in.target_daily_dollar_impact) w.key("targetDailyDollarImpact").number(*in.target_daily_dollar_impact);
    if (!in.target_effects.empty()) {
      w.key("targetEffects").begin_object();
      for (const auto& [id, e] : in.target_effects) w.key(id).number(e);
      w.end_object();
    }
    w.key("message").string(out.target->message);
    w.end_object();
  }
  w.key("varianceSource").begin_object();
  w.key("kind").string(source_kind);
  if (experiment_id) w.key("experimentId").string(*experiment_id);
  w.key("origin").timestamp(in.origin);
  w.key("metrics").begin_object();
  for (const auto& [id, v] : out.variance) {
    w.key(id);
    write_variance(w, v);
  }
  w.end_object();
  w.key("total");
  if (out.total_variance)
    write_variance(w, *out.total_variance);
  else
    w.null();
  w.end_object();
  w.key("design").string(domain::to_string(in.design));
  if (in.design == domain::AnalysisDesign::kDid)
    w.key("preDays").integer(in.pre_days);
  else
    w.key("preDays").null();
  w.key("confidenceLevel").number(in.confidence_level);
  w.key("correction").string(in.correction ? domain::to_string(*in.correction) : "none");
  w.key("alpha").number(out.alpha);
  w.key("metricAlpha").number(out.metric_alpha);
  w.key("power").number(out.power);
  w.key("trafficSplit").number(in.traffic_split);
  w.key("metricIds").begin_array();
  for (const auto& id : metrics) w.string(id);
  w.end_array();
  w.key("countedInTotal").begin_array();
  for (const auto& id : out.counted_in_total) w.string(id);
  w.end_array();
  w.key("warnings").begin_array();
  for (const auto& s : out.warnings) w.string(s);
  w.end_array();
  w.end_object();
  return text;
}

namespace {

http::Response create_plan(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  PlanSources sources;
  sources.experiment = [&ctx](const std::string& id) { return ctx.store.get_experiment(id); };
  sources.results = [&ctx](const std::string& id) { return ctx.store.get_results(id); };
  std::string data = plan_data_json(body, ctx.store.list_metric_values(), sources);
  std::string out(kOkOpen);
  out += data;
  return ok_text(std::move(out));
}

}  // namespace

void register_plan_routes(http::Router& router, Context& ctx) {
  router.add("POST", "/plans", bind(ctx, create_plan), ctx.max_import_bytes);
}

}  // namespace rallyuxr::api
