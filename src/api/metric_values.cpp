// /metric-values: the versioned catalogue of what each metric is worth.
#include <set>

#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "api/validation.hpp"
#include "domain/time.hpp"
#include "pipeline/pipeline.hpp"
#include "api/json_parse.hpp"

namespace rallyuxr::api {
namespace {

using domain::ApiError;
using domain::ErrorCode;

const std::vector<std::string> kCategoryOrder = {"conversion", "revenue", "engagement", "retention", "other"};

http::Response list(Context& ctx, const http::Request&) {
  auto metrics = ctx.store.list_metric_values();
  json::array arr;
  std::set<std::string> used;
  for (const auto& m : metrics) {
    arr.emplace_back(metric_value_to_json(m));
    used.insert(m.category);
  }
  json::array categories;
  for (const auto& c : kCategoryOrder)
    if (used.count(c)) categories.emplace_back(c);
  json::object data;
  data["metrics"] = std::move(arr);
  data["categories"] = std::move(categories);
  data["totalMetrics"] = static_cast<std::int64_t>(metrics.size());
  return ok(std::move(data));
}

http::Response get_one(Context& ctx, const http::Request& req) {
  auto m = ctx.store.get_metric_value(req.params[0]);
  if (!m) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  json::object data;
  data["metric"] = metric_value_to_json(*m);
  return ok(std::move(data));
}

http::Response create(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  auto m = parse_metric_value_create(body);
  m.last_updated = domain::now_seconds();
  if (!pipeline::create_metric_value(ctx.store, m))
    throw ApiError(ErrorCode::kConflict, "A metric value with id '" + m.metric_id + "' already exists",
                   {{"metricId", "Already exists"}});
  json::object data;
  data["metric"] = metric_value_to_json(m);
  auto r = ok(std::move(data), 201);
  r.headers.emplace_back("Location", "/api/metric-values/" + m.metric_id);
  return r;
}

http::Response update(Context& ctx, const http::Request& req) {
  auto body = parse_json_body(req);
  auto current = ctx.store.get_metric_value(req.params[0]);
  if (!current) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  auto u = parse_metric_value_update(body, *current);
  // The rules are checked again against the row as the write transaction sees it.
  auto outcome = pipeline::update_metric_value(ctx.store, req.params[0], u, domain::now_seconds());
  using K = pipeline::MetricUpdateOutcome::Kind;
  if (outcome.kind == K::kNotFound) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  if (outcome.kind == K::kInvalid)
    throw ApiError(ErrorCode::kValidation, "Invalid metric value update", std::move(outcome.issues));
  const auto& updated = outcome.updated;
  json::object data;
  data["metric"] = metric_value_to_json(updated.metric);
  data["previousValue"] = updated.previous_value;
  data["impactedExperiments"] = updated.impacted_experiments;
  return ok(std::move(data));
}

http::Response history(Context& ctx, const http::Request& req) {
  if (!ctx.store.get_metric_value(req.params[0])) throw ApiError(ErrorCode::kNotFound, "Metric value not found");
  json::array arr;
  for (const auto& h : ctx.store.metric_value_history(req.params[0])) {
    auto entry = history_entry_to_json(h);
    // Which fields this version changed, from what, to what (values as JSON).
    json::array changes;
    for (const auto& c : h.changes) {
      json::object o;
      o["field"] = c.field;
      boost::system::error_code ec_from, ec_to;
      auto from = parse_json_exact(c.from, ec_from);
      auto to = parse_json_exact(c.to, ec_to);
      o["from"] = ec_from ? json::value(c.from) : from;
      o["to"] = ec_to ? json::value(c.to) : to;
      changes.emplace_back(std::move(o));
    }
    entry["changes"] = std::move(changes);
    arr.emplace_back(std::move(entry));
  }
  json::object data;
  data["metricId"] = req.params[0];
  data["history"] = std::move(arr);
  return ok(std::move(data));
}

}  // namespace

void register_metric_value_routes(http::Router& router, Context& ctx) {
  auto bind = [&ctx](http::Response (*fn)(Context&, const http::Request&)) {
    return guarded([&ctx, fn](const http::Request& r) { return fn(ctx, r); });
  };
  router.add("GET", "/metric-values", bind(list));
  router.add("POST", "/metric-values", bind(create));
  router.add("GET", "/metric-values/{id}", bind(get_one));
  router.add("PUT", "/metric-values/{id}", bind(update));
  router.add("GET", "/metric-values/{id}/history", bind(history));
}

}  // namespace rallyuxr::api
