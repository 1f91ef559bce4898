// /health, /openapi.json and the route wiring.
#include "api/json_io.hpp"
#include "api/routes.hpp"
#include "domain/time.hpp"
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace rallyuxr::api {
namespace {

// Always answers within the health lane's deadline (the server runs it apart from other requests,
// and every database wait below ends by then). The database is "down" when unreachable or damaged,
// "degraded" (with reasons) when it answers but something is wrong: a deleted WAL, failing writes.
http::Response health(Context& ctx, const http::Request& req) {
  bool db_ok = false;
  std::optional<store::Store::QueueStats> q;
  store::HealthReport report = ctx.store.health();
  std::vector<std::string> reasons = report.reasons;
  try {
    db_ok = ctx.store.ping();
    q = ctx.store.queue_stats(static_cast<double>(domain::now_seconds()));
  } catch (const std::exception& e) {
    spdlog::warn("health check: database unreachable: {}", e.what());
    reasons.push_back(std::string("database unreachable: ") + e.what());
    db_ok = false;
  }
  if (report.level == store::HealthReport::Level::kDown) db_ok = false;
  bool db_degraded = db_ok && report.level == store::HealthReport::Level::kDegraded;
  int live = ctx.worker_health.live_workers ? ctx.worker_health.live_workers() : 0;
  std::string workers = live <= 0 ? "down" : (live < ctx.workers ? "degraded" : "healthy");
  // A queue whose oldest job has waited over a minute means the workers are not keeping up.
  if (workers == "healthy" && q && q->oldest_queued_age_seconds && *q->oldest_queued_age_seconds > 60)
    workers = "degraded";
  json::object services;
  services["database"] = !db_ok ? "down" : (db_degraded ? "degraded" : "healthy");
  services["analysisEngine"] = db_ok ? workers : "down";
  services["resultsGenerator"] = db_ok ? workers : "down";
  json::object data;
  std::string overall = !db_ok ? "unhealthy" : (workers == "healthy" && !db_degraded ? "healthy" : "degraded");
  data["status"] = overall;
  data["timestamp"] = domain::format_iso8601(domain::now_seconds());
  data["services"] = std::move(services);
  data["version"] = RALLYUXR_VERSION;
  if (!reasons.empty()) {
    json::array rs;
    for (const auto& r : reasons) rs.emplace_back(r);
    data["reasons"] = std::move(rs);
  }
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
    err["message"] = report.level == store::HealthReport::Level::kDown ? "The database is damaged"
                                                                        : "The database is unreachable";
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
  router.add("GET", "/health", [&ctx](const http::Request& r) { return health(ctx, r); }, 0, /*priority=*/true);
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
