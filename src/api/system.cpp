// /health, /openapi.json and the route wiring.
#include "codec/json_io.hpp"
#include "api/routes.hpp"
#include "domain/time.hpp"
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace rallyuxr::api {
using namespace codec;  // the JSON writers and readers, moved to src/codec/
namespace {

http::Response health(Context& ctx, const http::Request& req) {
  bool db_ok = false;
  std::optional<store::Store::QueueStats> q;
  try {
    db_ok = ctx.store.ping();
    q = ctx.store.queue_stats(static_cast<double>(domain::now_seconds()));
  } catch (const std::exception& e) {
    spdlog::warn("health check: database unreachable: {}", e.what());
    db_ok = false;
  }
  int live = ctx.worker_health.live_workers ? ctx.worker_health.live_workers() : 0;
  std::string workers = live <= 0 ? "down" : (live < ctx.workers ? "degraded" : "healthy");
  // A queue whose oldest job has waited over a minute means the workers are not keeping up.
  if (workers == "healthy" && q && q->oldest_queued_age_seconds && *q->oldest_queued_age_seconds > 60)
    workers = "degraded";
  json::object services;
  services["database"] = db_ok ? "healthy" : "down";
  services["analysisEngine"] = db_ok ? workers : "down";
  services["resultsGenerator"] = db_ok ? workers : "down";
  json::object data;
  std::string overall = !db_ok ? "unhealthy" : (workers == "healthy" ? "healthy" : "degraded");
  data["status"] = overall;
  data["timestamp"] = domain::format_iso8601(domain::now_seconds());
  data["services"] = std::move(services);
  data["version"] = RALLYUXR_VERSION;
  if (q) {
    json::object queue;
    queue["queued"] = q->queued;
    queue["running"] = q->running;
    queue["failed"] = q->failed;
    queue["oldestQueuedAgeSeconds"] = number_or_null(q->oldest_queued_age_seconds);
    data["queue"] = std::move(queue);
  }
  if (!db_ok) {
    json::object o;
    o["success"] = false;
    o["data"] = std::move(data);
    json::object err;
    err["code"] = "SERVICE_UNAVAILABLE";
    err["message"] = "The database is unreachable";
    err["requestId"] = req.request_id;
    o["error"] = std::move(err);
    http::Response r;
    r.status = 503;
    r.body = to_json_text(o);
    return r;
  }
  return ok(std::move(data));
}

std::atomic<std::uint64_t> g_database_errors{0};

}  // namespace

std::uint64_t database_errors() { return g_database_errors.load(); }

http::Handler guarded(http::Handler h) {
  return [h = std::move(h)](const http::Request& req) -> http::Response {
    try {
      return h(req);
    } catch (const store::StoreUnavailable& e) {
      ++g_database_errors;
      spdlog::error("request {}: database unavailable: {}", req.request_id, e.what());
      throw domain::ApiError(domain::ErrorCode::kUnavailable, "The database is temporarily unavailable; try again shortly");
    }
  };
}

void register_system_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/health", [&ctx](const http::Request& r) { return health(ctx, r); });
  router.add("GET", "/openapi.json", [&ctx](const http::Request&) {
    http::Response r;
    if (ctx.openapi_json.empty()) throw domain::ApiError(domain::ErrorCode::kNotFound, "No API description available");
    r.body = ctx.openapi_json;
    return r;
  });
}

void register_routes(http::Router& router, Context& ctx) {
  register_experiment_routes(router, ctx);
  register_results_routes(router, ctx);
  register_metric_value_routes(router, ctx);
  register_system_routes(router, ctx);
}

}  // namespace rallyuxr::api
