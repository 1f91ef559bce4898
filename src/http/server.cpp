#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "domain/error.hpp"
#include "domain/ids.hpp"
#include "http/static_files.hpp"
#include "store/store_util.hpp"

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
    out += "{\"path\":" + store::json_quote(issues[i].path) +
           ",\"message\":" + store::json_quote(issues[i].message) + "}";
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

}  // namespace

Response error_response(int status, const std::string& code, const std::string& message,
                        const std::string& request_id, const std::string& details) {
  Response r;
  r.status = status;
  r.body = "{\"success\":false,\"error\":{\"code\":" + store::json_quote(code) +
           ",\"message\":" + store::json_quote(message) +
           (details.empty() ? std::string() : ",\"details\":" + details) +
           ",\"requestId\":" + store::json_quote(request_id) + "}}";
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

  void accept();
  Response dispatch(Request& req);
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
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      r = error_response(400, "VALIDATION_ERROR", "Malformed request target", req.request_id);
    } else {
      req.path = url->path();
      for (auto p : url->params()) req.query.emplace(p.key, p.value);
      r = impl_.dispatch(req);
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
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (impl_.options.json_access_log)
      spdlog::info(R"({{"type":"access","requestId":{},"method":{},"path":{},"status":{},"durationMs":{:.3f}}})",
                   store::json_quote(req.request_id), store::json_quote(req.method),
                   store::json_quote(raw_path), r.status, ms);
    else
      spdlog::info("{} {} {} {:.3f}ms id={}", req.method, raw_path, r.status, ms, req.request_id);
    write(std::move(res));
  }

  void write(std::shared_ptr<bhttp::response<bhttp::string_body>> res, bool drain = false) {
    bool close_after = !res->keep_alive();
    stream_.expires_after(impl_.options.read_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res, close_after, drain](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (drain) return self->drain();
                         if (close_after) return self->close();
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
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
};

}  // namespace

Response Server::Impl::dispatch(Request& req) {
  const auto& base = options.api_base;
  bool api = req.path == base || req.path.rfind(base + "/", 0) == 0;
  if (req.method == "OPTIONS") {
    Response r;
    r.status = 204;
    r.content_type.clear();
    r.headers = {{"Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS"},
                 {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id"},
                 {"Access-Control-Max-Age", "86400"}};
    return r;
  }
  if (!api) return serve_static(req, req.path);
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
      if (connections > options.max_connections)
        session->reject_busy();
      else
        session->start();
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
    impl_->stopping = true;
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
    impl_->ioc.stop();
  });
}

void Server::on_signal(std::function<void(int)> fn) { impl_->signal_handler = std::move(fn); }

}  // namespace rallyuxr::http
