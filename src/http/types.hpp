// Plain request/response types and the router: what handlers see of HTTP. No Beast or Asio here,
// so api/ compiles without them. Router is immutable after start and then thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::http {

// Who sent a request, as its bearer token says: an unnamed token (--api-token: write,
// --read-token: read) has no name; a named token has its name and role (issue 16).
struct Principal {
  std::optional<std::string> name;
  domain::Role role = domain::Role::kRead;
};

struct Request {
  std::string method;                            // "GET", "POST", ...
  std::string path;                              // decoded path, without the API base
  std::multimap<std::string, std::string> query; // decoded query parameters
  std::map<std::string, std::string> headers;    // lower-case names
  std::string body;
  std::string request_id;
  std::vector<std::string> params;               // values of {placeholders} in route order
  std::optional<Principal> principal;            // set by the server when a valid token came

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::optional<std::string> query_param(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
  // The media type of the body, lower-case, without parameters ("application/json").
  std::string media_type() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Conditional GET and content coding (http/representation.hpp), for a 200 to GET/HEAD: the
  // strong ETag of `body` (quoted; empty: none, or one of the bytes when etag_from_body), and the
  // body's gzip bytes when the handler keeps them (unset: compressed on the way out).
  std::string etag;
  bool etag_from_body = false;
  std::function<std::shared_ptr<const std::string>()> gzip_body;
  // Bytes kept elsewhere (a response cache), sent without a copy; when set, it is the body and
  // `body` is unused.
  std::shared_ptr<const std::string> shared_body;

  std::string_view body_view() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }
};

using Handler = std::function<Response(const Request&)>;
// Answers a request from memory alone (no database, no waiting), on the I/O thread; nullopt: the
// route's handler runs as usual, on a request thread.
using MemoryAnswer = std::function<std::optional<Response>(const Request&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/experiments/{id}/results"
  Handler handler;
  std::size_t max_body_bytes = 0;  // 0: the server's default limit
  // The health check: runs on the server's own lane with a short deadline, and needs no token
  // (load balancers have none).
  bool priority = false;
  MemoryAnswer from_memory;  // optional (Router::answer_from_memory)
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes = 0,
           bool priority = false);

  struct Match {
    const Route* route = nullptr;            // set when method and path match
    std::vector<std::string> params;
    std::vector<std::string> allowed;        // methods of the path, when only the method is wrong
  };
  // Gives a GET route a way to answer from memory (a response cache) before its handler is queued.
  void answer_from_memory(const std::string& method, const std::string& pattern, MemoryAnswer answer);
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace rallyuxr::http
