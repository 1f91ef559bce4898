// /health, /openapi.json and the route wiring.
#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_writer.hpp"
#include "domain/error.hpp"
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
  std::string overall = !db_ok ? "unhealthy" : (workers == "healthy" && !db_degraded ? "healthy" : "degraded");
  auto write_data = [&](codec::JsonWriter& w) {
    w.begin_object();
    w.key("status").string(overall);
    w.key("timestamp").timestamp(domain::now_seconds());
    w.key("services").begin_object();
    w.key("database").string(!db_ok ? "down" : (db_degraded ? "degraded" : "healthy"));
    w.key("analysisEngine").string(db_ok ? workers : "down");
    w.key("resultsGenerator").string(db_ok ? workers : "down");
    w.end_object();
    w.key("version").string(RALLYUXR_VERSION);
    if (!reasons.empty()) {
      w.key("reasons").begin_array();
      for (const auto& reason : reasons) w.string(reason);
      w.end_array();
    }
    if (q) {
      w.key("queue").begin_object();
      w.key("queued").integer(q->queued);
      w.key("running").integer(q->running);
      w.key("failed").integer(q->failed);
      w.key("oldestQueuedAgeSeconds").number(q->oldest_queued_age_seconds);
      w.end_object();
    }
    w.end_object();
  };
  if (!db_ok) {
    // The error envelope with the health data alongside.
    http::Response r;
    r.status = 503;
    codec::JsonWriter w(r.body);
    w.begin_object();
    w.key("success").boolean(false);
    w.key("data");
    write_data(w);
    w.key("error").begin_object();
    w.key("code").string("SERVICE_UNAVAILABLE");
    w.key("message").string(report.level == store::HealthReport::Level::kDown ? "The database is damaged"
                                                                               : "The database is unreachable");
    w.key("requestId").string(req.request_id);
    w.end_object();
    w.end_object();
    return r;
  }
  return ok_json(write_data);
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

http::Handler bind(Context& ctx, ResourceHandler fn) {
  return guarded([&ctx, fn](const http::Request& r) { return fn(ctx, r); });
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
  register_plan_routes(router, ctx);
  register_metric_value_routes(router, ctx);
  register_system_routes(router, ctx);
  register_token_routes(router, ctx);
  register_audit_routes(router, ctx);
  register_webhook_routes(router, ctx);
}

}  // namespace rallyuxr::api
