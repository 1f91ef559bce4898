// GET /audit: every change made through the API or the CLI, newest first, a page at a time
// (issue 16). Entries are written by the pipeline in the transaction of the change.
#include <charconv>

#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_writer.hpp"
#include "domain/error.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using domain::ApiError;
using domain::ErrorCode;

std::optional<std::int64_t> parse_count(const std::string& s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 18) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

http::Response list(Context& ctx, const http::Request& req) {
  store::AuditQuery q;
  std::vector<domain::FieldIssue> issues;
  for (const char* name : {"limit", "offset", "entity", "actor"})
    if (req.query.count(name) > 1) issues.push_back({name, "Given more than once"});
  if (auto l = req.query_param("limit")) {
    auto v = parse_count(*l);
    if (!v || *v < 1 || *v > 100)
      issues.push_back({"limit", "Must be an integer from 1 to 100"});
    else
      q.limit = static_cast<int>(*v);
  }
  if (auto o = req.query_param("offset")) {
    auto v = parse_count(*o);
    if (!v || *v < 0)
      issues.push_back({"offset", "Must be an integer of 0 or more"});
    else
      q.offset = *v;
  }
  if (auto e = req.query_param("entity"); e && !e->empty()) {
    if (*e != "experiment" && *e != "metric_value" && *e != "token")
      issues.push_back({"entity", "Expected experiment, metric_value or token"});
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
      w.key("actor");
      if (a.actor)
        w.string(*a.actor);
      else
        w.null();
      w.key("action").string(a.action);
      w.key("entity").string(a.entity);
      w.key("entityId").string(a.entity_id);
      w.key("summary").string(a.summary);
      w.key("changes");
      w.slot() += a.changes;  // a JSON array the pipeline wrote
      w.end_object();
    }
    w.end_array();
    w.key("pagination").begin_object();
    w.key("total").integer(page.total);
    w.key("limit").integer(q.limit);
    w.key("offset").integer(q.offset);
    w.key("hasMore").boolean(q.offset + static_cast<std::int64_t>(page.entries.size()) < page.total);
    w.end_object();
    w.end_object();
  });
}

}  // namespace

void register_audit_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/audit", guarded([&ctx](const http::Request& r) { return list(ctx, r); }));
}

}  // namespace rallyuxr::api
