#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <chrono>
#include <thread>
#include <vector>

#include "domain/error.hpp"
#include "domain/ids.hpp"
#include "http/static_files.hpp"
#include "http/json_quote.hpp"

namespace rallyuxr::http {
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

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
    out += "{\"path\":" + json_quote(issues[i].path) +
           ",\"message\":" + json_quote(issues[i].message) + "}";
  }
  return out + "]";
}

bool sane_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  return true;
}

bool is_import_limit_route(const Router& router, const std::string& method, const std::string& path,
                           std::size_t& limit) {
  auto m = router.match(method, path);
  if (m.route && m.route->max_body_bytes) {
    limit = m.route->max_body_bytes;
    return true;
  }
  return false;
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

bool is_write_method(const std::string& m) { return m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH"; }

}  // namespace

Response error_response(int status, const std::string& code, const std::string& message,
                        const std::string& request_id, const std::string& details) {
  Response r;
  r.status = status;
  r.body = "{\"success\":false,\"error\":{\"code\":" + json_quote(code) +
           ",\"message\":" + json_quote(message) +
           (details.empty() ? std::string() : ",\"details\":" + details) +
           ",\"requestId\":" + json_quote(request_id) + "}}";
  return r;
}

struct Server::Impl {
  Impl(ServerOptions o, const Router& r)
      : options(std::move(o)), router(r), ioc(options.threads), acceptor(ioc), signals(ioc), statics(options.web_root) {}

  ServerOptions options;
  const Router& router;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  StaticFiles statics;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::function<void(int)> signal_handler;
  std::mutex sessions_mu;
  std::vector<std::weak_ptr<void>> sessions;  // Session objects, for a graceful stop
  std::function<void(const std::shared_ptr<void>&)> close_if_idle;
  std::unique_ptr<net::steady_timer> drain_timer;
  std::function<void()> drain_check;

  void accept();
  Response dispatch(Request& req, std::string& route_label);
  std::optional<Response> authorize(const Request& req);
  Response serve_static(const Request& req, const std::string& raw_path);
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& impl) : stream_(std::move(socket)), impl_(impl) {
    ++impl_.connections;
  }
  ~Session() { --impl_.connections; }

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read_header, shared_from_this()));
  }

  // On shutdown: a connection waiting for its next request is closed; one in the middle of a
  // request finishes it and then closes (keep-alive is off once stopping).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->stream_.socket().close();
    });
  }

  void reject_busy() {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(bhttp::status::service_unavailable, 11);
    Response r = error_response(503, "SERVICE_UNAVAILABLE", "Too many connections", domain::new_uuid_v7());
    res->set(bhttp::field::content_type, "application/json");
    res->set(bhttp::field::connection, "close");
    res->body() = r.body;
    res->prepare_payload();
    auto self = shared_from_this();
    bhttp::async_write(stream_, *res, [self, res](beast::error_code, std::size_t) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(impl_.options.max_header_bytes));
    // The route decides the body limit once the header is in (see on_header); until then no
    // limit, so that Beast does not reject a large import by its Content-Length alone.
    parser_->body_limit(boost::none);
    stream_.expires_after(first_ ? impl_.options.read_timeout : impl_.options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    busy_ = true;
    if (ec == bhttp::error::header_limit) return fail_fast(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "Request headers are too large");
    if (ec) return close();
    first_ = false;
    auto& h = parser_->get();
    std::string target(h.target());
    auto q = target.find('?');
    std::string path = target.substr(0, q);
    const auto& base = impl_.options.api_base;
    std::size_t limit = impl_.options.max_body_bytes;
    if (path.rfind(base, 0) == 0) {
      std::size_t route_limit = 0;
      if (is_import_limit_route(impl_.router, std::string(h.method_string()), path.substr(base.size()), route_limit))
        limit = route_limit;
    }
    if (parser_->content_length() && *parser_->content_length() > limit)
      return fail_fast(413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit");
    parser_->body_limit(limit);
    stream_.expires_after(impl_.options.read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) return fail_fast(413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit");
    if (ec == bhttp::error::end_of_stream) return close();
    if (ec) {
      if (ec == beast::error::timeout) return close();
      return fail_fast(400, "VALIDATION_ERROR", "Malformed HTTP request");
    }
    handle(parser_->release());
  }

  void handle(bhttp::request<bhttp::string_body> breq) {
    auto started = std::chrono::steady_clock::now();
    Request req;
    req.method = std::string(breq.method_string());
    std::string target(breq.target());
    std::string raw_path = target.substr(0, target.find('?'));
    for (const auto& f : breq) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    auto incoming_id = req.header("x-request-id");
    req.request_id = sane_request_id(incoming_id) ? incoming_id : domain::new_uuid_v7();
    req.body = std::move(breq.body());
    bool keep_alive = breq.keep_alive();
    unsigned version = breq.version();

    Response r;
    std::string route_label = "unmatched";
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      r = error_response(400, "VALIDATION_ERROR", "Malformed request target", req.request_id);
    } else {
      req.path = url->path();
      for (auto p : url->params()) req.query.emplace(p.key, p.value);
      r = impl_.dispatch(req, route_label);
    }

    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "rallyuxr/" RALLYUXR_VERSION);
    if (!r.content_type.empty() && r.status != 204) res->set(bhttp::field::content_type, r.content_type);
    res->set("X-Request-Id", req.request_id);
    res->set(bhttp::field::access_control_allow_origin, "*");
    res->set(bhttp::field::access_control_expose_headers, "X-Request-Id, Content-Disposition");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : r.headers) res->set(k, v);
    bool head = req.method == "HEAD";
    std::size_t size = r.body.size();
    if (!head) res->body() = std::move(r.body);
    res->keep_alive(keep_alive && !impl_.stopping);
    if (head) {
      res->content_length(size);
    } else {
      res->prepare_payload();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (impl_.options.metrics) impl_.options.metrics->observe(route_label, req.method, r.status, seconds);
    if (impl_.options.json_access_log)
      spdlog::info(R"({{"type":"access","requestId":{},"method":{},"route":{},"path":{},"status":{},"durationMs":{:.3f}}})",
                   json_quote(req.request_id), json_quote(req.method), json_quote(route_label),
                   json_quote(raw_path), r.status, seconds * 1000);
    else
      spdlog::info("{} {} {} {:.3f}ms id={}", req.method, raw_path, r.status, seconds * 1000, req.request_id);
    write(std::move(res));
  }

  void write(std::shared_ptr<bhttp::response<bhttp::string_body>> res, bool drain = false) {
    bool close_after = !res->keep_alive();
    stream_.expires_after(impl_.options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, close_after, drain](beast::error_code ec, std::size_t) {
                         self->busy_ = false;
                         if (ec) return self->close();
                         if (drain) return self->drain();
                         if (close_after || self->impl_.stopping) return self->close();
                         self->read_header();
                       });
  }

  // After an early error response (413, 431, ...) the client may still be sending: read and drop
  // what it sends for a short while, so that it reads our answer instead of a connection reset.
  void drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    drain_buffer_.resize(64 * 1024);
    stream_.expires_after(std::chrono::seconds(5));
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > 64u * 1024 * 1024) return self->stream_.socket().close(ec);
                              self->drain();
                            });
  }

  void fail_fast(int status, const char* code, const char* message) {
    std::string request_id;
    if (parser_ && status != 431) {
      auto it = parser_->get().find("X-Request-Id");
      if (it != parser_->get().end()) request_id = std::string(it->value());
    }
    if (!sane_request_id(request_id)) request_id = domain::new_uuid_v7();
    Response r = error_response(status, code, message, request_id);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(status), 11);
    res->set(bhttp::field::content_type, "application/json");
    res->set("X-Request-Id", request_id);
    res->set(bhttp::field::access_control_allow_origin, "*");
    res->body() = r.body;
    res->keep_alive(false);
    res->prepare_payload();
    spdlog::info("- - {} (rejected before routing) id={}", status, request_id);
    write(std::move(res), true);
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& impl_;
  bool first_ = true;
  bool busy_ = false;  // between a request's header and the end of its response
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
};

}  // namespace

std::optional<Response> Server::Impl::authorize(const Request& req) {
  bool write = is_write_method(req.method);
  if (write ? options.api_token.empty() : options.read_token.empty()) return std::nullopt;
  std::string given = bearer_token(req);
  bool ok = false;
  if (write) {
    ok = token_matches(given, options.api_token);
  } else {
    ok = (!options.read_token.empty() && token_matches(given, options.read_token)) ||
         (!options.api_token.empty() && token_matches(given, options.api_token));
  }
  if (ok) return std::nullopt;
  auto r = error_response(401, "UNAUTHORIZED",
                          given.empty() ? "This request needs an access token: Authorization: Bearer TOKEN"
                                        : "The access token is not valid for this request",
                          req.request_id);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"rallyuxr\"");
  return r;
}

Response Server::Impl::dispatch(Request& req, std::string& route_label) {
  const auto& base = options.api_base;
  bool api = req.path == base || req.path.rfind(base + "/", 0) == 0;
  if (req.method == "OPTIONS") {
    route_label = "preflight";
    Response r;
    r.status = 204;
    r.content_type.clear();
    r.headers = {{"Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id"},
                 {"Access-Control-Max-Age", "86400"}};
    return r;
  }
  if (req.path == "/metrics" && options.metrics && (req.method == "GET" || req.method == "HEAD")) {
    route_label = "/metrics";
    if (!options.read_token.empty() || !options.api_token.empty()) {
      // Metrics name routes and volumes: readable with a token only when tokens are in use.
      Request probe = req;
      probe.method = "GET";
      if (auto denied = authorize(probe)) return *denied;
    }
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = options.metrics->render(connections.load());
    return r;
  }
  if (!api) {
    route_label = "static";
    return serve_static(req, req.path);
  }
  req.path = req.path.substr(base.size());
  if (req.path.empty()) req.path = "/";
  auto m = router.match(req.method, req.path);
  if (!m.route) {
    if (!m.allowed.empty()) {
      std::string allow;
      for (auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      if (std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end()) allow += ", HEAD";
      allow += ", OPTIONS";
      auto r = error_response(405, "METHOD_NOT_ALLOWED", "Method " + req.method + " is not allowed here",
                              req.request_id);
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    return error_response(404, "NOT_FOUND", "No such endpoint: " + req.path, req.request_id);
  }
  req.params = m.params;
  route_label = m.route->pattern;
  if (m.route->pattern != "/health") {  // health stays open for load balancers
    if (auto denied = authorize(req)) return *denied;
  }
  try {
    return m.route->handler(req);
  } catch (const domain::ApiError& e) {
    auto sc = map_error(e.code());
    return error_response(sc.status, sc.code, e.what(), req.request_id, details_json(e.details()));
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed: {}", req.request_id, req.method, req.path, e.what());
    return error_response(500, "SERVER_ERROR", "Internal server error", req.request_id);
  }
}

Response Server::Impl::serve_static(const Request& req, const std::string& raw_path) {
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = error_response(405, "METHOD_NOT_ALLOWED", "Method " + req.method + " is not allowed here", req.request_id);
    r.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
    return r;
  }
  const StaticFile* f = statics.find(raw_path);
  if (!f) {
    if (statics.empty())
      return error_response(404, "NOT_FOUND",
                            "The web dashboard is not built (run `make web`); the API is at " + options.api_base,
                            req.request_id);
    return error_response(404, "NOT_FOUND", "No such file", req.request_id);
  }
  Response r;
  r.content_type = f->content_type;
  r.headers.emplace_back("ETag", f->etag);
  r.headers.emplace_back("Cache-Control", f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (req.header("if-none-match") == f->etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (!f->gzip_body.empty() && req.header("accept-encoding").find("gzip") != std::string::npos) {
    r.body = f->gzip_body;
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = f->body;
  }
  return r;
}

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == net::error::operation_aborted) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      if (connections > options.max_connections) {
        if (options.metrics) options.metrics->connection_rejected();
        spdlog::warn("connection cap reached ({} open): refusing a connection", connections.load() - 1);
        session->reject_busy();
      } else {
        {
          std::lock_guard lock(sessions_mu);
          if (sessions.size() > 4 * options.max_connections)  // forget the ones that are gone
            std::erase_if(sessions, [](const std::weak_ptr<void>& w) { return w.expired(); });
          sessions.push_back(session);
        }
        session->start();
      }
    }
    if (!stopping) accept();
  });
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}
Server::~Server() = default;

void Server::start() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw std::runtime_error("invalid --host address: " + impl_->options.host);
  tcp::endpoint ep{address, impl_->options.port};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                             std::to_string(impl_->options.port) + ": " + ec.message());
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    if (impl_->signal_handler) impl_->signal_handler(sig);
    stop();
  });
  impl_->accept();
}

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  std::vector<std::thread> threads;
  int n = std::max(1, impl_->options.threads);
  for (int i = 1; i < n; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void Server::stop() {
  net::post(impl_->ioc, [this] {
    if (impl_->stopping.exchange(true)) return;
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
    std::vector<std::shared_ptr<void>> live;
    {
      std::lock_guard lock(impl_->sessions_mu);
      for (auto& w : impl_->sessions)
        if (auto sp = w.lock()) live.push_back(std::move(sp));
      impl_->sessions.clear();
    }
    for (auto& sp : live) std::static_pointer_cast<Session>(sp)->close_if_idle();
    live.clear();
    // Wait for in-flight requests, up to the grace period, then stop the I/O threads.
    auto deadline = std::chrono::steady_clock::now() + impl_->options.shutdown_grace;
    impl_->drain_timer = std::make_unique<net::steady_timer>(impl_->ioc);
    impl_->drain_check = [this, deadline] {
      if (impl_->connections.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (impl_->connections.load() > 0)
          spdlog::warn("shutdown: {} connections still open after the grace period", impl_->connections.load());
        impl_->ioc.stop();
        return;
      }
      impl_->drain_timer->expires_after(std::chrono::milliseconds(10));
      impl_->drain_timer->async_wait([this](beast::error_code) { impl_->drain_check(); });
    };
    impl_->drain_check();
  });
}

void Server::on_signal(std::function<void(int)> fn) { impl_->signal_handler = std::move(fn); }

}  // namespace rallyuxr::http
