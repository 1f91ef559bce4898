// GET /audit: every change made through the API or the CLI, newest first, a page at a time
// (issue 16). Entries are written by the pipeline in the transaction of the change.
#include "api/paging.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_writer.hpp"
#include "domain/error.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using domain::ApiError;
using domain::ErrorCode;

http::Response list(Context& ctx, const http::Request& req) {
  store::AuditQuery q;
  std::vector<domain::FieldIssue> issues;
  reject_repeated(req, {"limit", "offset", "entity", "actor"}, issues);
  const Page paging = read_page(req, issues);
  q.limit = paging.limit;
  q.offset = paging.offset;
  if (auto e = req.query_param("entity"); e && !e->empty()) {
    if (*e != "experiment" && *e != "metric_value" && *e != "token" && *e != "webhook")
      issues.push_back({"entity", "Expected experiment, metric_value, token or webhook"});
    else
      q.entity = *e;
  }
  if (auto a = req.query_param("actor"); a && !a->empty()) {
    if (a->size() > 64)
      issues.push_back({"actor", "Must be at most 64 characters"});
    else
      q.actor = *a;
  }
  if (!issues.empty()) throw ApiError(ErrorCode::kValidation, "Invalid query parameters", issues);
  auto page = ctx.store.list_audit(q);
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("entries").begin_array();
    for (const auto& a : page.entries) {
      w.begin_object();
      w.key("auditId").string(a.audit_id);
      w.key("at").timestamp(a.at);
      w.key("actor").string(a.actor);
      w.key("action").string(a.action);
      w.key("entity").string(a.entity);
      w.key("entityId").string(a.entity_id);
      w.key("summary").string(a.summary);
      w.key("changes");
      w.slot() += a.changes;  // a JSON array the pipeline wrote
      w.end_object();
    }
    w.end_array();
    w.key("pagination");
    write_pagination(w, paging, page.total, static_cast<std::int64_t>(page.entries.size()));
    w.end_object();
  });
}

}  // namespace

void register_audit_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/audit", bind(ctx, list));
}

}  // namespace rallyuxr::api
