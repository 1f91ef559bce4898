// What the server does to a request between the socket and the handler, without Beast: the checks
// made on the header alone (Host, framing, token, origin), routing, the error envelope, /metrics,
// preflights and static files. Internal to http/ (server.cpp and session.cpp).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>

#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/types.hpp"

namespace rallyuxr::http {

// What a request's header says about its framing (counted by the session while parsing).
struct HeaderFacts {
  unsigned version = 11;        // 10 or 11
  int host_fields = 0;
  int content_length_fields = 0;
  int transfer_encoding_fields = 0;
};

class Middleware {
 public:
  Middleware(const ServerOptions& options, const Router& router);

  // What the header decides, before any byte of the body is read. `req` has method, path (raw,
  // with the API base), headers and request id; its route is matched once, here.
  enum class Lane { kInline, kPriority, kRead, kWrite };  // no request thread, health, reads, writes
  struct Admission {
    // Host, framing (request smuggling), the token and the origin of writes: send it and close.
    std::optional<Response> refused;
    std::size_t body_limit = 0;  // the route's, or the default
    Lane lane = Lane::kInline;
  };
  Admission admit(const Request& req, const HeaderFacts& facts) const;

  // A read whose route answers from memory (Route::from_memory), answered on the I/O thread when
  // it needs nothing the database decides (no named token); nullopt: dispatch it as usual. On an
  // answer, req.path loses the API base as in dispatch. Never throws.
  std::optional<Response> answer_from_memory(Request& req, std::string& route_label) const;

  // Routes and runs the request (req.path: decoded, with the API base). Never throws.
  Response dispatch(Request& req, std::string& route_label, std::size_t open_connections) const;

 private:
  // Checks the bearer token against the route's need; sets *who to the token's principal.
  // header_only (on the I/O thread): never asks the store (resolve_token, named_tokens_active);
  // a named token, and a write that only named tokens would guard, are decided in dispatch, on
  // a request thread.
  std::optional<Response> authorize(const Request& req, std::optional<Principal>* who, bool header_only) const;
  std::optional<Response> check_header(const Request& req, const HeaderFacts& facts, const Route* route) const;
  Lane lane(const std::string& method, const std::string& raw_path, const Route* route) const;
  std::optional<Response> check_origin(const Request& req) const;
  // The one way to a handler: the token and the origin of writes (unless `open`), then the
  // handler; an exception becomes the error envelope.
  Response guarded(Request& req, bool open, const std::function<Response()>& handler) const;
  Response serve_static(const Request& req, const std::string& raw_path) const;
  const Route* api_route(const std::string& method, const std::string& raw_path) const;

  const ServerOptions& options_;
  const Router& router_;
  StaticFiles statics_;
  std::set<std::string> allowed_hosts_;    // lower-case host names, without port
  std::set<std::string> allowed_origins_;  // lower-case scheme://host[:port]
};

bool is_write_method(const std::string& m);
bool sane_request_id(const std::string& id);
// A method as messages and logs show it: at most 32 characters and "...".
std::string shown_method(const std::string& method);

}  // namespace rallyuxr::http
