#include "http/middleware.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "domain/error.hpp"
#include "http/json_quote.hpp"
#include "http/representation.hpp"

namespace rallyuxr::http {
namespace {

struct StatusCode {
  int status;
  const char* code;
};

StatusCode map_error(domain::ErrorCode c) {
  using domain::ErrorCode;
  switch (c) {
    case ErrorCode::kValidation: return {400, "VALIDATION_ERROR"};
    case ErrorCode::kMalformed: return {400, "VALIDATION_ERROR"};
    case ErrorCode::kUnauthorized: return {401, "UNAUTHORIZED"};
    case ErrorCode::kForbidden: return {403, "FORBIDDEN"};
    case ErrorCode::kNotFound: return {404, "NOT_FOUND"};
    case ErrorCode::kMethodNotAllowed: return {405, "METHOD_NOT_ALLOWED"};
    case ErrorCode::kConflict: return {409, "CONFLICT"};
    case ErrorCode::kPayloadTooLarge: return {413, "PAYLOAD_TOO_LARGE"};
    case ErrorCode::kUnsupportedMediaType: return {415, "UNSUPPORTED_MEDIA_TYPE"};
    case ErrorCode::kUnavailable: return {503, "SERVICE_UNAVAILABLE"};
    case ErrorCode::kInternal: return {500, "SERVER_ERROR"};
  }
  return {500, "SERVER_ERROR"};
}

std::string details_json(const std::vector<domain::FieldIssue>& issues) {
  if (issues.empty()) return {};
  std::string out = "[";
  for (std::size_t i = 0; i < issues.size(); ++i) {
    if (i) out += ',';
    out += "{\"path\":" + json_quote(issues[i].path) + ",\"message\":" + json_quote(issues[i].message) + "}";
  }
  return out + "]";
}

// Compares in time that depends only on the length of the expected token.
bool token_matches(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string bearer_token(const Request& req) {
  std::string h = req.header("authorization");
  if (h.size() > 7 && (h.compare(0, 7, "Bearer ") == 0 || h.compare(0, 7, "bearer ") == 0)) return h.substr(7);
  return {};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// "Example.com:8080" -> "example.com"; "[::1]:80" -> "[::1]".
std::string host_name(std::string host) {
  host = lower(trim(host));
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.find(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

// "https://Example.com:8443/" -> "https://example.com:8443"
std::string normalize_origin(std::string o) {
  o = lower(trim(o));
  while (!o.empty() && o.back() == '/') o.pop_back();
  return o;
}

// A Host that is an IP address cannot be a rebound name: a page whose origin is that address is
// this server's own page.
bool is_ip_literal(const std::string& host) {
  if (!host.empty() && host.front() == '[') return true;
  if (host.empty()) return false;
  for (char c : host)
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  return true;
}

bool is_api_path(const std::string& path, const std::string& base) {
  return path == base || path.rfind(base + "/", 0) == 0;
}

Response method_not_allowed(const Request& req, const std::string& allow) {
  auto r = error_response(405, "METHOD_NOT_ALLOWED", "Method " + shown_method(req.method) + " is not allowed here",
                          req.request_id);
  r.headers.emplace_back("Allow", allow);
  return r;
}

}  // namespace

bool is_write_method(const std::string& m) { return m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH"; }

std::string shown_method(const std::string& method) {
  return method.size() > 32 ? method.substr(0, 32) + "..." : method;
}

bool sane_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  return true;
}

Response error_response(int status, const std::string& code, const std::string& message,
                        const std::string& request_id, const std::string& details) {
  Response r;
  r.status = status;
  r.body = "{\"success\":false,\"error\":{\"code\":" + json_quote(code) + ",\"message\":" + json_quote(message) +
           (details.empty() ? std::string() : ",\"details\":" + details) +
           ",\"requestId\":" + json_quote(request_id) + "}}";
  return r;
}

Middleware::Middleware(const ServerOptions& options, const Router& router)
    : options_(options), router_(router), statics_(options.web_root) {
  allowed_hosts_ = {"localhost", "127.0.0.1", "[::1]", "::1"};
  if (!options.host.empty() && options.host != "0.0.0.0" && options.host != "::") {
    std::string h = lower(options.host);
    allowed_hosts_.insert(h.find(':') != std::string::npos && h.front() != '[' ? "[" + h + "]" : h);
  }
  for (const auto& o : options.allowed_origins) {
    auto n = normalize_origin(o);
    allowed_origins_.insert(n);
    auto scheme = n.find("://");
    if (scheme != std::string::npos) allowed_hosts_.insert(host_name(n.substr(scheme + 3)));
  }
}

const Route* Middleware::api_route(const std::string& method, const std::string& raw_path) const {
  const auto& base = options_.api_base;
  if (!is_api_path(raw_path, base)) return nullptr;
  std::string rest = raw_path.substr(base.size());
  if (rest.empty()) rest = "/";
  return router_.match(method, rest).route;
}

Middleware::Admission Middleware::admit(const Request& req, const HeaderFacts& facts) const {
  const Route* route = api_route(req.method, req.path);
  Admission a;
  a.refused = check_header(req, facts, route);
  a.body_limit = route && route->max_body_bytes ? route->max_body_bytes : options_.max_body_bytes;
  a.lane = lane(req.method, req.path, route);
  return a;
}

Middleware::Lane Middleware::lane(const std::string& method, const std::string& raw_path, const Route* route) const {
  if (method == "OPTIONS") return Lane::kInline;
  if (raw_path == "/metrics") return Lane::kRead;  // reads queue figures from the database
  if (!is_api_path(raw_path, options_.api_base)) return Lane::kInline;  // static files: memory only
  if (route && route->priority) return Lane::kPriority;
  // Writes wait for the database's single write lock; reads never do (WAL): apart, a queue of
  // writers cannot starve reads of threads.
  return is_write_method(method) ? Lane::kWrite : Lane::kRead;
}

std::optional<Response> Middleware::check_header(const Request& req, const HeaderFacts& f, const Route* route) const {
  auto bad = [&](const char* message) {
    return std::optional<Response>(error_response(400, "VALIDATION_ERROR", message, req.request_id));
  };
  // Framing that two parsers could read differently is refused outright (request smuggling).
  if (f.version == 11 && f.host_fields == 0) return bad("HTTP/1.1 requests need a Host header");
  if (f.host_fields > 1) return bad("More than one Host header");
  if (f.content_length_fields > 1) return bad("More than one Content-Length header");
  if (f.transfer_encoding_fields > 0) {
    if (f.content_length_fields > 0) return bad("Both Content-Length and Transfer-Encoding");
    if (f.transfer_encoding_fields > 1 || lower(trim(req.header("transfer-encoding"))) != "chunked" ||
        f.version != 11)
      return bad("Unsupported Transfer-Encoding (only a single 'chunked' is accepted)");
  }
  if (!route || route->priority) return std::nullopt;  // 404 or 405 later; the health check is open
  if (auto denied = authorize(req, nullptr, true)) return denied;
  // A bearer token is never sent by a browser on its own: such a request is not a forged one. It
  // is checked in dispatch (and the origin too, when the token turns out not to count).
  if (!bearer_token(req).empty()) return std::nullopt;
  return check_origin(req);
}

std::optional<Response> Middleware::authorize(const Request& req, std::optional<Principal>* who,
                                              bool header_only) const {
  bool write = is_write_method(req.method);
  std::string given = bearer_token(req);
  // The principal of the token: the unnamed --api-token (write) or --read-token (read), else a
  // named token of the store.
  std::optional<Principal> p;
  if (!given.empty()) {
    if (!options_.api_token.empty() && token_matches(given, options_.api_token))
      p = Principal{std::nullopt, domain::Role::kWrite};
    else if (!options_.read_token.empty() && token_matches(given, options_.read_token))
      p = Principal{std::nullopt, domain::Role::kRead};
    else if (options_.resolve_token && header_only)
      return std::nullopt;  // a named token: looked up in dispatch, off the I/O thread
    else if (options_.resolve_token)
      p = options_.resolve_token(given);
  }
  if (who) *who = p;
  // A token good for the request settles it: whether one was required (for a write, a question
  // to the store) is asked only when none was given, or the one given does not do.
  if (p && (!write || p->role >= domain::Role::kWrite)) return std::nullopt;
  bool required = write ? (!options_.api_token.empty() ||
                           (!header_only && options_.named_tokens_active && options_.named_tokens_active()))
                        : !options_.read_token.empty();
  if (!required) return std::nullopt;  // as before named tokens: an unknown token is ignored here
  auto r = error_response(401, "UNAUTHORIZED",
                          given.empty() ? "This request needs an access token: Authorization: Bearer TOKEN"
                                        : "The access token is not valid for this request",
                          req.request_id);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"rallyuxr\"");
  return r;
}

// Without a token, a write could come from any web page the user has open (cross-site request
// forgery) or from a page whose host name was rebound to this address (DNS rebinding). Accept it
// only with a Host that names this server and from its own origin (or an --allowed-origin); a
// client without a browser sends no Origin and is not affected.
std::optional<Response> Middleware::check_origin(const Request& req) const {
  // A bearer token is not sent by browsers on their own: a request that carries a valid one
  // cannot be forged by another site.
  if (!options_.api_token.empty() || !is_write_method(req.method) || req.principal) return std::nullopt;
  auto forbid = [&](const std::string& message) {
    return std::optional<Response>(error_response(403, "FORBIDDEN", message, req.request_id));
  };
  std::string host = req.header("host");
  if (!host.empty() && !allowed_hosts_.count(host_name(host)) && !is_ip_literal(host_name(host)))
    return forbid("Writes without an access token need a Host header naming this server (got '" +
                  host_name(host).substr(0, 100) + "'); add its origin with --allowed-origin or set --api-token");
  auto origin_it = req.headers.find("origin");
  if (origin_it != req.headers.end()) {
    std::string origin = normalize_origin(origin_it->second);
    std::string own = lower(trim(host));
    bool same = !own.empty() && (origin == "http://" + own || origin == "https://" + own);
    if (!same && !allowed_origins_.count(origin))
      return forbid("Writes without an access token are accepted only from this server's own origin or an "
                    "--allowed-origin (got '" + origin.substr(0, 100) + "')");
    return std::nullopt;
  }
  std::string site = lower(req.header("sec-fetch-site"));
  if (!site.empty() && site != "same-origin" && site != "none")
    return forbid("Writes without an access token are not accepted from another site");
  return std::nullopt;
}

std::optional<Response> Middleware::answer_from_memory(Request& req, std::string& route_label) const {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  const auto& base = options_.api_base;
  if (!is_api_path(req.path, base)) return std::nullopt;
  std::string path = req.path.substr(base.size());
  if (path.empty()) path = "/";
  auto m = router_.match(req.method, path);
  if (!m.route || !m.route->from_memory) return std::nullopt;
  // Only tokens decided without the store: none, or the unnamed ones.
  std::string given = bearer_token(req);
  if (!given.empty() && !(!options_.api_token.empty() && token_matches(given, options_.api_token)) &&
      !(!options_.read_token.empty() && token_matches(given, options_.read_token)))
    return std::nullopt;
  std::optional<Principal> who;
  if (authorize(req, &who, true)) return std::nullopt;  // the refusal comes from dispatch
  std::string raw = std::move(req.path);
  req.path = std::move(path);
  req.params = m.params;
  req.principal = who;
  std::optional<Response> r;
  try {
    r = m.route->from_memory(req);
  } catch (const std::exception&) {
    r.reset();
  }
  if (!r) {
    req.path = std::move(raw);
    req.params.clear();
    req.principal.reset();
    return std::nullopt;
  }
  route_label = m.route->pattern;
  finish_representation(req, *r);
  return r;
}

Response Middleware::dispatch(Request& req, std::string& route_label, std::size_t open_connections) const {
  const auto& base = options_.api_base;
  bool api = is_api_path(req.path, base);
  if (req.method == "OPTIONS") {
    route_label = "preflight";
    Response r;
    r.status = 204;
    r.content_type.clear();
    r.headers = {{"Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id, If-None-Match"},
                 {"Access-Control-Max-Age", "86400"}};
    return r;
  }
  if (req.path == "/metrics" && options_.metrics && (req.method == "GET" || req.method == "HEAD")) {
    route_label = "/metrics";
    // A read like any other: it needs a token where reads do (--read-token).
    return guarded(req, false, [&] {
      Response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = options_.metrics->render(open_connections);
      return r;
    });
  }
  if (!api) {
    route_label = "static";
    return serve_static(req, req.path);
  }
  req.path = req.path.substr(base.size());
  if (req.path.empty()) req.path = "/";
  auto m = router_.match(req.method, req.path);
  if (!m.route) {
    if (!m.allowed.empty()) {
      std::string allow;
      for (auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      if (std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end()) allow += ", HEAD";
      return method_not_allowed(req, allow + ", OPTIONS");
    }
    return error_response(404, "NOT_FOUND", "No such endpoint: " + req.path.substr(0, 200), req.request_id);
  }
  req.params = m.params;
  route_label = m.route->pattern;
  auto r = guarded(req, m.route->priority, [&] { return m.route->handler(req); });
  finish_representation(req, r);
  return r;
}

Response Middleware::guarded(Request& req, bool open, const std::function<Response()>& handler) const {
  try {
    // A named token is looked up in the database: when that is unavailable, the answer is the one
    // the handler's would be (503), not a misleading 401.
    if (!open) {
      if (auto denied = authorize(req, &req.principal, false)) return *denied;
      if (auto denied = check_origin(req)) return *denied;
    }
    return handler();
  } catch (const domain::ApiError& e) {
    auto sc = map_error(e.code());
    return error_response(sc.status, sc.code, e.what(), req.request_id, details_json(e.details()));
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed: {}", req.request_id, req.method, req.path, e.what());
    return error_response(500, "SERVER_ERROR", "Internal server error", req.request_id);
  }
}

Response Middleware::serve_static(const Request& req, const std::string& raw_path) const {
  if (req.method != "GET" && req.method != "HEAD") return method_not_allowed(req, "GET, HEAD, OPTIONS");
  const StaticFile* f = statics_.find(raw_path);
  if (!f) {
    if (statics_.empty())
      return error_response(404, "NOT_FOUND",
                            "The web dashboard is not built (run `make web`); the API is at " + options_.api_base,
                            req.request_id);
    return error_response(404, "NOT_FOUND", "No such file", req.request_id);
  }
  Response r;
  r.content_type = f->content_type;
  r.headers.emplace_back("ETag", f->etag);
  r.headers.emplace_back("Cache-Control", f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(req.header("if-none-match"), f->etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (!f->gzip_body.empty() && accepts_gzip(req.header("accept-encoding"))) {
    r.body = f->gzip_body;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = f->body;
  }
  return r;
}

}  // namespace rallyuxr::http
