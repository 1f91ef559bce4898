// /tokens: named access tokens with roles, for admins (issue 16). The token text is in the
// response of POST once and never again; the store keeps its SHA-256 only.
#include "api/request_body.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "codec/json_writer.hpp"
#include "domain/time.hpp"
#include "pipeline/tokens.hpp"

namespace rallyuxr::api {
namespace {

using codec::JsonWriter;
using domain::ApiError;
using domain::ErrorCode;

void append_token_json(JsonWriter& w, const store::AccessToken& t) {
  w.begin_object();
  w.key("tokenId").string(t.token_id);
  w.key("name").string(t.name);
  w.key("role").string(t.role);
  w.key("createdAt").timestamp(t.created_at);
  w.key("createdBy").string(t.created_by);
  w.key("active").boolean(!t.revoked_at.has_value());
  w.key("revokedAt").timestamp(t.revoked_at);
  w.end_object();
}

http::Response list(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  auto tokens = ctx.store.list_tokens();
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("tokens").begin_array();
    for (const auto& t : tokens) append_token_json(w, t);
    w.end_array();
    w.end_object();
  });
}

http::Response create(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  auto body = parse_json_body(req);
  FieldReader r(body);
  std::string name;
  domain::Role role = domain::Role::kRead;
  if (auto n = r.string("name", true, 1, 64)) {
    if (!pipeline::valid_token_name(*n))
      r.issue("name", "Use 1 to 64 letters, digits, '.', '_', '@' or '-'");
    else
      name = *n;
  }
  if (auto ro = r.string("role", true, 1, 10)) {
    if (auto parsed = domain::parse_role(*ro))
      role = *parsed;
    else
      r.issue("role", "Expected 'read', 'write' or 'admin'");
  }
  r.throw_if_any("Invalid token");
  auto made = pipeline::create_token(ctx.store, name, role, principal_name(req), domain::now_seconds());
  if (made.kind == pipeline::TokenCreated::Kind::kNameTaken)
    throw ApiError(ErrorCode::kConflict, "An active token named '" + name + "' exists; revoke it first",
                   {{"name", "Already in use"}});
  auto resp = ok_json(
      [&](JsonWriter& w) {
        w.begin_object();
        w.key("token").string(made.text);
        w.key("message").string("Store this token now: it is not shown again");
        w.key("tokenInfo");
        append_token_json(w, made.token);
        w.end_object();
      },
      201);
  resp.headers.emplace_back("Cache-Control", "no-store");
  return resp;
}

http::Response revoke(Context& ctx, const http::Request& req) {
  require_role(req, domain::Role::kAdmin);
  const auto& name = req.params[0];
  if (!pipeline::revoke_token(ctx.store, name, domain::now_seconds(), principal_name(req)))
    throw ApiError(ErrorCode::kNotFound, "No active token named '" + name.substr(0, 64) + "'");
  return ok_json([&](JsonWriter& w) {
    w.begin_object();
    w.key("name").string(name);
    w.key("revoked").boolean(true);
    w.end_object();
  });
}

}  // namespace

void register_token_routes(http::Router& router, Context& ctx) {
  router.add("GET", "/tokens", bind(ctx, list));
  router.add("POST", "/tokens", bind(ctx, create));
  router.add("DELETE", "/tokens/{name}", bind(ctx, revoke));
}

}  // namespace rallyuxr::api
