// Request targets as the server reads them (src/http/server.cpp), without Beast or sockets.
// Input: "METHOD TARGET" (like a request line; no space: GET and the whole input is the target).
//  1. on_header: the raw path before '?' picks the route's body limit (router match on the
//     undecoded path under /api);
//  2. handle: boost::urls::parse_origin_form(target); a failure is a 400; otherwise the decoded
//     path and every query parameter (url->params(), decoded) are copied into the Request;
//  3. dispatch: under /api the router's match; elsewhere the static bundle's find.
// Properties checked: a match has the request's method (or HEAD for GET), one non-empty
// parameter without '/' per {placeholder}; a method mismatch lists each allowed method once and
// never the request's own; a static lookup only ever returns a file of the bundle. Nothing may
// throw: the server does not catch around these steps.
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <unistd.h>

#include "fuzz_check.hpp"
#include "http/static_files.hpp"
#include "http/types.hpp"

using namespace rallyuxr;

namespace {

// The route table of src/api/*.cpp (register_*_routes); keep in step with it.
const http::Router& router() {
  static const http::Router r = [] {
    http::Router x;
    auto h = [](const http::Request&) { return http::Response{}; };
    const char* routes[][2] = {
        {"GET", "/health"},
        {"GET", "/openapi.json"},
        {"POST", "/experiments"},
        {"GET", "/experiments"},
        {"GET", "/experiments/{id}"},
        {"GET", "/experiments/{id}/results"},
        {"GET", "/experiments/{id}/events"},
        {"GET", "/experiments/{id}/analyses"},
        {"POST", "/experiments/{id}/analyses"},
        {"POST", "/experiments/{id}/archive"},
        {"PUT", "/experiments/{id}/results"},
        {"POST", "/experiments/{id}/results"},
        {"GET", "/experiments/{id}/results.csv"},
        {"GET", "/experiments/{id}/analysis.csv"},
        {"GET", "/metric-values"},
        {"POST", "/metric-values"},
        {"GET", "/metric-values/{id}"},
        {"PUT", "/metric-values/{id}"},
        {"GET", "/metric-values/{id}/history"},
    };
    for (auto& [m, p] : routes) {
      bool import = std::string_view(p) == "/experiments/{id}/results" && std::string_view(m) != "GET";
      x.add(m, p, h, import ? (32u << 20) : 0);
    }
    return x;
  }();
  return r;
}

// A small bundle on disk, read once into memory as the server does with --web-root.
const http::StaticFiles& statics() {
  static const http::StaticFiles s = [] {
    namespace fs = std::filesystem;
    std::string dir = (fs::temp_directory_path() / ("rallyuxr-fuzz-web-" + std::to_string(::getpid()))).string();
    fs::create_directories(dir + "/assets");
    std::ofstream(dir + "/index.html") << "<!doctype html><title>RallyUXR</title>";
    std::ofstream(dir + "/favicon.ico") << "ico";
    std::ofstream(dir + "/assets/index-abc123.js") << "console.log(1)";
    std::ofstream(dir + "/assets/index-abc123.css") << "body{}";
    http::StaticFiles files(dir);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return files;
  }();
  return s;
}

std::size_t placeholders(std::string_view pattern) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i)
    if (pattern[i] == '{') ++n;
  return n;
}

void check_match(const std::string& method, const std::string& path) {
  auto m = router().match(method, path);
  if (m.route) {
    FUZZ_CHECK(m.route->method == method || (method == "HEAD" && m.route->method == "GET"),
               "matched a route of another method: " + method + " " + path);
    FUZZ_CHECK(m.params.size() == placeholders(m.route->pattern), "parameter count differs: " + path);
    for (const auto& p : m.params)
      FUZZ_CHECK(!p.empty() && p.find('/') == std::string::npos, "bad path parameter in " + path);
    FUZZ_CHECK(m.allowed.empty(), "allowed methods on a match");
  } else {
    for (std::size_t i = 0; i < m.allowed.size(); ++i) {
      FUZZ_CHECK(m.allowed[i] != method, "own method listed as allowed: " + path);
      for (std::size_t j = 0; j < i; ++j) FUZZ_CHECK(m.allowed[i] != m.allowed[j], "allowed method twice: " + path);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  router();
  statics();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string method = "GET", target = input;
  if (auto sp = input.find(' '); sp != std::string::npos) {
    method = input.substr(0, sp);
    target = input.substr(sp + 1);
  }
  const std::string base = "/api";

  // 1. Session::on_header: the raw path chooses the body limit.
  std::string raw_path = target.substr(0, target.find('?'));
  if (raw_path.rfind(base, 0) == 0) check_match(method, raw_path.substr(base.size()));

  // 2. Session::handle.
  http::Request req;
  req.method = method;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return 0;  // 400 Malformed request target
  req.path = url->path();
  for (auto p : url->params()) req.query.emplace(p.key, p.value);
  for (const auto& [k, v] : req.query) {
    auto got = req.query_param(k);
    FUZZ_CHECK(got.has_value(), "a decoded query key cannot be looked up");
  }

  // 3. Server::Impl::dispatch.
  bool api = req.path == base || req.path.rfind(base + "/", 0) == 0;
  if (!api) {
    const http::StaticFile* f = statics().find(req.path);
    if (f) {
      static const std::set<std::string> bundle = {"<!doctype html><title>RallyUXR</title>", "ico",
                                                   "console.log(1)", "body{}"};
      FUZZ_CHECK(bundle.count(f->body), "a static file outside the bundle for " + req.path);
    }
    return 0;
  }
  std::string path = req.path.substr(base.size());
  if (path.empty()) path = "/";
  check_match(method, path);
  return 0;
}
