// /webhooks: where RallyUXR POSTs its events, for admins (issue 16). The secret is written once
// (POST) and never shown again; GET /webhooks/{id}/deliveries is the delivery log.
#include <set>

#include "api/paging.hpp"
#include "api/request_body.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_writer.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "pipeline/webhooks.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using domain::ApiError;
using domain::ErrorCode;

void append_webhook_json(JsonWriter& w, const store::Webhook& h) {
  w.begin_object();
  w.key("webhookId").string(h.webhook_id);
  w.key("url").string(h.url);
  w.key("events").begin_array();
  for (const auto& e : h.events) w.string(e);
  w.end_array();
  w.key("format").string(h.format);
  w.key("hasSecret").boolean(!h.secret.empty());  // the secret itself is never returned
  w.key("createdAt").timestamp(h.created_at);
  w.key("createdBy").string(h.created_by);
  w.key("active").boolean(!h.deleted_at.has_value());
  w.key("deletedAt").timestamp(h.deleted_at);
  w.end_object();
}

store::Webhook load_webhook(Context& ctx, const std::string& id) {
  if (!domain::looks_like_uuid(id)) throw ApiError(ErrorCode::kNotFound, "Webhook not found");
  auto h = ctx.store.get_webhook(id);
  if (!h) throw ApiError(ErrorCode::kNotFound, "Webhook not found");
  return *h;
}

http::Response list(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  auto hooks = ctx.store.list_webhooks();
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("webhooks").begin_array();
    for (const auto& h : hooks) append_webhook_json(w, h);
    w.end_array();
    w.end_object();
  });
}

http::Response create(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  auto body = parse_json_body(req);
  FieldReader r(body);
  store::Webhook h;
  if (auto url = r.string("url", true, 1, 2048)) {
    if (auto problem = pipeline::webhook_url_problem(*url))
      r.issue("url", *problem);
    else
      h.url = *url;
  }
  if (const auto* events = r.array("events", true)) {
    if (events->empty()) r.issue("events", "Name at least one event");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < events->size(); ++i) {
      const auto& v = (*events)[i];
      const std::string path = "events[" + std::to_string(i) + "]";
      if (!v.is_string()) {
        r.issue(path, "Expected a string");
        continue;
      }
      std::string name(v.get_string());
      if (!pipeline::known_webhook_event(name)) {
        r.issue(path, "Unknown event '" + name.substr(0, 64) +
                          "'; expected analysis.completed, analysis.failed, srm.detected, experiment.decided or "
                          "metric_value.updated");
        continue;
      }
      if (seen.insert(name).second) h.events.push_back(name);
    }
  }
  if (auto secret = r.string("secret", true, 16, 256)) h.secret = *secret;
  h.format = "json";
  if (r.has("format"))
    if (auto f = r.string("format", false, 1, 16)) {
      if (*f != "json" && *f != "slack")
        r.issue("format", "Expected 'json' or 'slack'");
      else
        h.format = *f;
    }
  r.throw_if_any("Invalid webhook");
  h.created_by = principal_name(req);
  auto made = pipeline::create_webhook(ctx.store, h, domain::now_seconds());
  auto resp = ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("webhook");
        append_webhook_json(w, made);
        w.end_object();
      },
      201);
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

http::Response remove(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  const auto& id = req.params[0];
  if (!domain::looks_like_uuid(id) || !pipeline::delete_webhook(ctx.store, id, principal_name(req), domain::now_seconds()))
    throw ApiError(ErrorCode::kNotFound, "Webhook not found");
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("webhookId").string(id);
    w.key("deleted").boolean(true);
    w.end_object();
  });
}

http::Response deliveries(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  std::vector<domain::FieldIssue> issues;
  reject_repeated(req, {"limit", "offset"}, issues);
  const Page paging = read_page(req, issues);
  if (!issues.empty()) throw ApiError(ErrorCode::kValidation, "Invalid query parameters", issues);
  auto hook = load_webhook(ctx, req.params[0]);
  auto page = ctx.store.list_deliveries(hook.webhook_id, paging.limit, paging.offset);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("webhookId").string(hook.webhook_id);
    w.key("deliveries").begin_array();
    for (const auto& d : page.deliveries) {
      w.begin_object();
      w.key("deliveryId").string(d.delivery_id);
      w.key("event").string(d.event);
      w.key("eventId").string(d.event_id);
      w.key("status").string(d.status);
      w.key("attempts").integer(d.attempts);
      if (d.last_status_code)
        w.key("lastStatusCode").integer(*d.last_status_code);
      else
        w.key("lastStatusCode").null();
      w.key("lastError").string(d.last_error);
      w.key("createdAt").timestamp(d.created_at);
      w.key("updatedAt").timestamp(d.updated_at);
      w.key("deliveredAt").timestamp(d.delivered_at);
      w.key("payload");
      w.slot() += d.body;  // the JSON text every attempt sent
      w.end_object();
    }
    w.end_array();
    w.key("pagination");
    write_pagination(w, paging, page.total, static_cast<std::int64_t>(page.deliveries.size()));
    w.end_object();
  });
}

}  // namespace

void register_webhook_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/webhooks", bind(ctx, list));
  router.add("POST", "/webhooks", bind(ctx, create));
  router.add("DELETE", "/webhooks/{id}", bind(ctx, remove));
  router.add("GET", "/webhooks/{id}/deliveries", bind(ctx, deliveries));
}

}  // namespace rallyuxr::api
