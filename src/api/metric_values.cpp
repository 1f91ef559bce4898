// /metric-values: the versioned catalogue of what each metric is worth.
#include <set>

#include "api/request_body.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "api/validation.hpp"
#include "codec/json_writer.hpp"
#include "codec/resources_json.hpp"
#include "domain/time.hpp"
#include "pipeline/pipeline.hpp"

namespace rallyuxr::api {
namespace {

using codec::append_metric_value_json;
using codec::JsonWriter;

using domain::ApiError;
using domain::ErrorCode;

const std::vector<std::string> kCategoryOrder = {"conversion", "revenue", "engagement", "retention", "other"};

// {"metric": ...}
http::Response metric_response(const domain::MetricValue& m, int status = 200) {
  return ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("metric");
        append_metric_value_json(w.slot(), m);
        w.end_object();
      },
      status);
}

// Retired metrics are left out unless ?includeRetired=true.
http::Response list(Context& ctx, const http::Request& req) {
  bool include_retired = false;
  if (auto v = req.query_param("includeRetired")) {
    if (*v == "true")
      include_retired = true;
    else if (*v != "false" && !v->empty())
      throw ApiError(ErrorCode::kValidation, "Invalid query parameters", {{"includeRetired", "Expected true or false"}});
  }
  auto metrics = ctx.store.list_metric_values();
  if (!include_retired)
    std::erase_if(metrics, [](const domain::MetricValue& m) { return m.retired_at.has_value(); });
  std::set<std::string> used;
  for (const auto& m : metrics) used.insert(m.category);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("metrics").begin_array();
    for (const auto& m : metrics) append_metric_value_json(w.slot(), m);
    w.end_array();
    w.key("categories").begin_array();
    for (const auto& c : kCategoryOrder)
      if (used.count(c)) w.string(c);
    w.end_array();
    w.key("totalMetrics").integer(static_cast<std::int64_t>(metrics.size()));
    w.end_object();
  });
}

http::Response get_one(Context& ctx, const http::Request& req) {
  auto m = ctx.store.get_metric_value(req.params[0]);
  if (!m) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  return metric_response(*m);
}

http::Response create(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  auto m = parse_metric_value_create(body);
  m.last_updated = domain::now_seconds();
  if (auto who = principal_name(req)) m.updated_by = who;
  if (!pipeline::create_metric_value(ctx.store, m))
    throw ApiError(ErrorCode::kConflict, "A metric value with id '" + m.metric_id + "' already exists",
                   {{"metricId", "Already exists"}});
  auto r = metric_response(m, 201);
  r.headers.emplace_back("Location", "/api/metric-values/" + m.metric_id);
  return r;
}

http::Response update(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  auto current = ctx.store.get_metric_value(req.params[0]);
  if (!current) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  auto u = parse_metric_value_update(body, *current);
  // A named token is who made the change; the body's updatedBy counts only without one.
  if (auto who = principal_name(req)) u.updated_by = who;
  // The rules are checked again against the row as the write transaction sees it.
  auto outcome = pipeline::update_metric_value(ctx.store, req.params[0], u, domain::now_seconds());
  using K = pipeline::MetricUpdateOutcome::Kind;
  if (outcome.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  if (outcome.kind == K::kInvalid)
    throw ApiError(ErrorCode::kValidation, "Invalid metric value update", std::move(outcome.issues));
  if (outcome.kind == K::kStale)
    throw ApiError(ErrorCode::kConflict, "The metric value changed since version " + std::to_string(*u.expected_version) +
                                             "; it is at version " + std::to_string(outcome.current_version),
                   {{"version", "Stale: the stored version is " + std::to_string(outcome.current_version)}});
  if (outcome.kind == K::kRetired) throw ApiError(ErrorCode::kConflict, "The metric value is retired");
  const auto& updated = outcome.updated;
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("metric");
    append_metric_value_json(w.slot(), updated.metric);
    w.key("previousValue").number(updated.previous_value);
    w.key("impactedExperiments").integer(updated.impacted_experiments);
    w.end_object();
  });
}

// Retires the metric (see pipeline::retire_metric_value): 200 with the retired metric.
http::Response retire(Context& ctx, const http::Request& req) {
  auto outcome = pipeline::retire_metric_value(ctx.store, req.params[0], principal_name(req), domain::now_seconds());
  using K = pipeline::RetireOutcome::Kind;
  if (outcome.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  if (outcome.kind == K::kInUse) {
    std::vector<domain::FieldIssue> details;
    for (const auto& id : outcome.in_use_by) details.push_back({"experiments." + id, "Draft or running experiment tracks this metric"});
    throw ApiError(ErrorCode::kConflict,
                   "The metric is used by " + std::to_string(outcome.in_use_by.size()) +
                       " draft or running experiment(s); it can be retired once they are complete or archived",
                   std::move(details));
  }
  return metric_response(outcome.metric);
}

http::Response history(Context& ctx, const http::Request& req) {
  if (!ctx.store.get_metric_value(req.params[0])) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  auto entries = ctx.store.metric_value_history(req.params[0]);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("metricId").string(req.params[0]);
    w.key("history").begin_array();
    for (const auto& h : entries) codec::append_history_entry_json(w.slot(), h);
    w.end_array();
    w.end_object();
  });
}

}  // namespace

void register_metric_value_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/metric-values", bind(ctx, list));
  router.add("POST", "/metric-values", bind(ctx, create));
  router.add("GET", "/metric-values/{id}", bind(ctx, get_one));
  router.add("PUT", "/metric-values/{id}", bind(ctx, update));
  router.add("DELETE", "/metric-values/{id}", bind(ctx, retire));
  router.add("GET", "/metric-values/{id}/history", bind(ctx, history));
}

}  // namespace rallyuxr::api
