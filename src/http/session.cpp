// One client connection: reads a request header, checks it (middleware) before reading the body,
// runs the handler on a request thread, writes the response under the response budget, and keeps
// the connection alive for the next request.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "domain/deadline.hpp"
#include "domain/ids.hpp"
#include "http/json_quote.hpp"
#include "http/server_impl.hpp"

namespace rallyuxr::http {
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Spare bytes behind a body read into its string: simdjson's padding (codec/results_io.hpp).
constexpr std::size_t kBodyPadding = 64;

// Responses below this size are not counted against the response budget (health, errors, pages).
constexpr std::size_t kSmallResponse = 64 * 1024;

// Responses point at their bytes (held by the write): kept bytes go out without a copy.
using OutBody = bhttp::span_body<const char>;
using OutResponse = bhttp::response<OutBody>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& impl) : stream_(std::move(socket)), impl_(impl) { ++impl_.connections; }
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
    res->set(bhttp::field::retry_after, "1");
    res->body() = r.body;
    res->prepare_payload();
    auto self = shared_from_this();
    stream_.expires_after(std::chrono::seconds(5));
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
    body_share_.release();
    request_id_.clear();
    request_.reset();
    stream_.expires_after(first_ ? impl_.options.read_timeout : impl_.options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  static bool is_protocol_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
  }

  void on_header(beast::error_code ec, std::size_t) {
    busy_ = true;
    if (ec == bhttp::error::header_limit) return fail_fast(431, "REQUEST_HEADER_FIELDS_TOO_LARGE", "Request headers are too large");
    // A request Beast cannot frame (duplicate or invalid Content-Length, bad chunking, ...) may be
    // a smuggling attempt: answer 400 before the close, as a proxy in front expects.
    if (ec && is_protocol_error(ec)) return fail_fast(400, "VALIDATION_ERROR", "Malformed HTTP request");
    if (ec) return close();
    first_ = false;
    auto& h = parser_->get();

    // The request as the handler will see it, but for the body and the decoded target (handle()).
    request_ = std::make_shared<Request>();
    Request& req = *request_;
    req.method = std::string(h.method_string());
    std::string target(h.target());
    req.path = target.substr(0, target.find('?'));
    HeaderFacts facts;
    facts.version = h.version();
    for (const auto& f : h) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "host") ++facts.host_fields;
      if (name == "content-length") ++facts.content_length_fields;
      if (name == "transfer-encoding") ++facts.transfer_encoding_fields;
      req.headers[name] = std::string(f.value());
    }
    auto incoming_id = req.header("x-request-id");
    req.request_id = sane_request_id(incoming_id) ? incoming_id : domain::new_uuid_v7();
    request_id_ = req.request_id;

    // Host, framing, token, origin: all decided on the header, before one byte of body is read.
    auto admission = impl_.middleware.admit(req, facts);
    if (admission.refused) return fail_fast(std::move(*admission.refused));
    lane_ = admission.lane;
    std::size_t limit = admission.body_limit;
    auto declared = parser_->content_length();
    if (declared && *declared > limit)
      return fail_fast(413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit");
    // The global budget of body bytes in flight: a declared length takes its size, a chunked body
    // the route's limit (it may grow to it).
    std::size_t need = declared ? static_cast<std::size_t>(*declared) : (parser_->chunked() ? limit : 0);
    if (need > 0) {
      auto share = take_budget(impl_.body_bytes_in_flight, need, impl_.options.max_body_bytes_in_flight);
      if (!share)
        return fail_fast(503, "SERVICE_UNAVAILABLE", "The server is reading too many request bodies; retry shortly");
      body_share_ = std::move(*share);
    }
    parser_->body_limit(limit);
    stream_.expires_after(impl_.options.read_timeout);
    // Only now, with the request allowed, ask the client for its body.
    std::string expect = req.header("expect");
    for (auto& c : expect) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (facts.version == 11 && expect == "100-continue" && need > 0 && !parser_->is_done()) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(stream_, net::buffer(kContinue),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->read_body();
                              });
    }
    read_body();
  }

  // A body of declared length goes straight into its final string, each read taking all the
  // socket holds: Beast's parser reads at most 64 KB a call and copies each into the body, which
  // cost 60-80 ms of wake-ups, timer and copy calls for a 7.7 MB upload, about 10 ms this way
  // (docs/performance.md, "Parsing"). The string keeps simdjson's padding to spare, so that a JSON
  // upload is parsed where it lies. A chunked body goes through the parser.
  void read_body() {
    if (parser_->is_done()) return on_read({}, 0);
    if (auto length = parser_->content_length(); length && !parser_->chunked()) return read_body_direct(*length);
    bhttp::async_read_some(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->on_read(ec, n);
      self->read_body();
    });
  }

  // The string's memory is reserved at once but filled (made resident) only a step ahead of what
  // has arrived: a client that declares a large body and sends little holds little memory.
  static constexpr std::size_t kBodyStep = 1 << 20;

  void read_body_direct(std::uint64_t length) {
    body_ = std::string();
    body_length_ = static_cast<std::size_t>(length);
    body_.reserve(body_length_ + kBodyPadding);
    // What came with the header (up to the body's end: a pipelined request after it stays).
    std::size_t have = std::min<std::size_t>(buffer_.size(), body_length_);
    body_.resize(have);
    net::buffer_copy(net::buffer(body_.data(), have), buffer_.data());
    buffer_.consume(have);
    body_read_ = have;
    read_body_step();
  }

  void read_body_step() {
    if (body_read_ == body_.size() && body_.size() < body_length_)
      body_.resize(std::min(body_length_, body_.size() + kBodyStep));  // within the reserve: no copy
    std::size_t left = body_.size() - body_read_;
    if (body_read_ == body_length_) {
      auto msg = parser_->release();
      msg.body() = std::move(body_);
      return handle(std::move(msg));
    }
    stream_.async_read_some(net::buffer(body_.data() + body_read_, left),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->body_read_ += n;
                              if (ec) return self->close();  // the client left or stalled: nothing to answer
                              self->read_body_step();
                            });
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) return fail_fast(413, "PAYLOAD_TOO_LARGE", "Request body is larger than the limit");
    if (ec == bhttp::error::end_of_stream) return close();
    if (ec) {
      if (ec == beast::error::timeout || !is_protocol_error(ec)) return close();
      return fail_fast(400, "VALIDATION_ERROR", "Malformed HTTP request");
    }
    handle(parser_->release());
  }

  void handle(bhttp::request<bhttp::string_body> breq) {
    auto started = std::chrono::steady_clock::now();
    // Method, headers and request id as on_header read and checked them (trailers of a chunked
    // body add nothing to what was checked).
    auto req = std::move(request_);
    std::string target(breq.target());
    std::string raw_path = std::move(req->path);
    req->body = std::move(breq.body());
    bool keep_alive = breq.keep_alive();
    unsigned version = breq.version();
    breq = {};

    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
      return respond(error_response(400, "VALIDATION_ERROR", "Malformed request target", req->request_id), *req,
                     raw_path, "unmatched", keep_alive, version, started);
    }
    req->path = url->path();
    for (auto p : url->params()) req->query.emplace(p.key, p.value);

    auto lane = lane_;
    // A response kept in memory (a cached list page) goes out from here, without a thread hop.
    if (lane == Middleware::Lane::kRead) {
      std::string label = "unmatched";
      if (auto r = impl_.middleware.answer_from_memory(*req, label))
        return respond(std::move(*r), *req, raw_path, label, keep_alive, version, started);
    }
    if (lane == Middleware::Lane::kInline) {
      std::string label = "unmatched";
      Response r = impl_.middleware.dispatch(*req, label, impl_.connections.load());
      return respond(std::move(r), *req, raw_path, label, keep_alive, version, started);
    }
    // Everything that may touch the database runs on a request thread, bounded in time: the wait
    // for a thread and every wait below it (connections, locks) end at the deadline with 503.
    bool priority = lane == Middleware::Lane::kPriority;
    auto deadline = started + (priority ? impl_.options.health_timeout : impl_.options.request_timeout);
    if (!priority && impl_.queued_requests.load() >= impl_.options.max_queued_requests) {
      return respond(error_response(503, "SERVICE_UNAVAILABLE", "The server is busy; retry shortly", req->request_id),
                     *req, raw_path, "unmatched", keep_alive, version, started);
    }
    ++impl_.queued_requests;
    auto job = [self = shared_from_this(), req, raw_path, keep_alive, version, started, deadline]() mutable {
      --self->impl_.queued_requests;
      std::string label = "unmatched";
      Response r;
      if (std::chrono::steady_clock::now() >= deadline) {
        r = error_response(503, "SERVICE_UNAVAILABLE", "The server is busy; retry shortly", req->request_id);
        r.headers.emplace_back("Retry-After", "1");
      } else {
        domain::ScopedDeadline scoped(deadline);
        r = self->impl_.middleware.dispatch(*req, label, self->impl_.connections.load());
      }
      req->body.clear();
      req->body.shrink_to_fit();
      self->body_share_.release();
      auto ex = self->stream_.get_executor();
      net::post(ex, [self, req, r = std::move(r), raw_path = std::move(raw_path), label = std::move(label),
                     keep_alive, version, started]() mutable {
        self->respond(std::move(r), *req, raw_path, label, keep_alive, version, started);
      });
    };
    if (priority)
      net::post(impl_.priority_work, std::move(job));
    else if (lane == Middleware::Lane::kWrite)
      net::post(impl_.write_work, std::move(job));
    else
      net::post(impl_.work, std::move(job));
  }

  void respond(Response r, const Request& req, const std::string& raw_path, const std::string& route_label,
               bool keep_alive, unsigned version, std::chrono::steady_clock::time_point started) {
    body_share_.release();
    bool head = req.method == "HEAD";
    // Large responses share a budget: a client that does not read holds at most its share, and
    // beyond the budget new large responses answer 503 instead of piling up in memory.
    BudgetShare response_share;
    if (!head && r.body_view().size() > kSmallResponse) {
      auto share = take_budget(impl_.response_bytes_in_flight, r.body_view().size(), impl_.options.max_response_bytes_in_flight);
      if (share) {
        response_share = std::move(*share);
      } else {
        spdlog::warn("request {}: response budget spent ({} bytes being written); answering 503", req.request_id,
                     impl_.response_bytes_in_flight.load());
        r = error_response(503, "SERVICE_UNAVAILABLE", "The server is sending too many large responses; retry shortly",
                           req.request_id);
        r.headers.emplace_back("Retry-After", "1");
      }
    }
    auto res = std::make_shared<OutResponse>(static_cast<bhttp::status>(r.status), version);
    res->set(bhttp::field::server, "rallyuxr/" RALLYUXR_VERSION);
    if (!r.content_type.empty() && r.status != 204) res->set(bhttp::field::content_type, r.content_type);
    res->set("X-Request-Id", req.request_id);
    res->set(bhttp::field::access_control_allow_origin, "*");
    res->set(bhttp::field::access_control_expose_headers, "X-Request-Id, Content-Disposition, ETag");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : r.headers) res->set(k, v);
    // Kept bytes go out as they are; others move into a buffer the write holds.
    auto bytes = r.shared_body ? std::move(r.shared_body) : std::make_shared<const std::string>(std::move(r.body));
    std::size_t size = bytes->size();
    if (!head) res->body() = OutBody::value_type(bytes->data(), bytes->size());
    res->keep_alive(keep_alive && !impl_.stopping);
    if (head) {
      res->content_length(size);
    } else {
      res->prepare_payload();
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (impl_.options.metrics) impl_.options.metrics->observe(route_label, req.method, r.status, seconds);
    std::string method = shown_method(req.method);
    if (impl_.options.json_access_log)
      impl_.access_log.write(fmt::format(R"({{"type":"access","requestId":{},"method":{},"route":{},"path":{},"status":{},"durationMs":{:.3f}}})",
                   json_quote(req.request_id), json_quote(method), json_quote(route_label),
                   json_quote(raw_path.substr(0, 512)), r.status, seconds * 1000));
    else
      impl_.access_log.write(
          fmt::format("{} {} {} {:.3f}ms id={}", method, raw_path.substr(0, 512), r.status, seconds * 1000, req.request_id));
    write(std::move(res), std::move(bytes), false, std::move(response_share));
  }

  // Writes a step at a time: a client that reads nothing for kWriteStall while its response is
  // being written is disconnected (and gives its share of the response budget back), and the
  // whole response must go within --read-timeout.
  struct Writing {
    std::shared_ptr<const std::string> bytes;  // the body's bytes: outlive the serializer
    std::shared_ptr<OutResponse> res;
    bhttp::serializer<false, OutBody> sr;
    BudgetShare share;
    std::chrono::steady_clock::time_point deadline;
    bool close_after;
    bool drain;
    Writing(std::shared_ptr<const std::string> b, std::shared_ptr<OutResponse> r, BudgetShare s,
            std::chrono::steady_clock::time_point d, bool c, bool dr)
        : bytes(std::move(b)), res(std::move(r)), sr(*res), share(std::move(s)), deadline(d), close_after(c), drain(dr) {}
  };
  static constexpr auto kWriteStall = std::chrono::seconds(5);

  void write(std::shared_ptr<OutResponse> res, std::shared_ptr<const std::string> bytes, bool drain = false,
             BudgetShare share = {}) {
    bool close_after = !res->keep_alive();
    auto w = std::make_shared<Writing>(std::move(bytes), std::move(res), std::move(share),
                                       std::chrono::steady_clock::now() + impl_.options.read_timeout, close_after, drain);
    write_step(std::move(w));
  }

  void write_step(std::shared_ptr<Writing> w) {
    auto now = std::chrono::steady_clock::now();
    auto left = w->deadline > now ? w->deadline - now : std::chrono::steady_clock::duration::zero();
    stream_.expires_after(std::min<std::chrono::steady_clock::duration>(left, kWriteStall));
    bhttp::async_write_some(stream_, w->sr, [self = shared_from_this(), w](beast::error_code ec, std::size_t) {
      if (!ec && !w->sr.is_done()) return self->write_step(w);
      w->share.release();
      self->busy_ = false;
      if (ec) return self->close();
      if (w->drain) return self->drain();
      if (w->close_after || self->impl_.stopping) return self->close();
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
    stream_.async_read_some(net::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > 64u * 1024 * 1024) return self->stream_.socket().close(ec);
      self->drain();
    });
  }

  void fail_fast(int status, const char* code, const char* message) {
    std::string request_id = request_id_;
    if (request_id.empty() && parser_ && status != 431) {
      auto it = parser_->get().find("X-Request-Id");
      if (it != parser_->get().end()) request_id = std::string(it->value());
    }
    if (!sane_request_id(request_id)) request_id = domain::new_uuid_v7();
    fail_fast(error_response(status, code, message, request_id));
  }

  // Answers before the body is read and closes (after draining what the client still sends).
  void fail_fast(Response r) {
    body_share_.release();
    std::string request_id = request_id_.empty() ? domain::new_uuid_v7() : request_id_;
    auto res = std::make_shared<OutResponse>(static_cast<bhttp::status>(r.status), 11);
    res->set(bhttp::field::content_type, "application/json");
    res->set("X-Request-Id", request_id);
    res->set(bhttp::field::access_control_allow_origin, "*");
    for (auto& [k, v] : r.headers) res->set(k, v);
    if (r.status == 503) res->set(bhttp::field::retry_after, "1");
    auto bytes = std::make_shared<const std::string>(std::move(r.body));
    res->body() = OutBody::value_type(bytes->data(), bytes->size());
    res->keep_alive(false);
    res->prepare_payload();
    if (impl_.options.metrics) impl_.options.metrics->observe("rejected", "OTHER", r.status, 0);
    impl_.access_log.write(fmt::format("- - {} (rejected before the body) id={}", r.status, request_id));
    write(std::move(res), std::move(bytes), true);
  }

  void close() {
    body_share_.release();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Server::Impl& impl_;
  bool first_ = true;
  bool busy_ = false;  // between a request's header and the end of its response
  std::string request_id_;
  std::shared_ptr<Request> request_;  // from the header to handle()
  Middleware::Lane lane_ = Middleware::Lane::kInline;
  BudgetShare body_share_;  // this request's share of the body budget
  std::vector<char> drain_buffer_;
  std::string body_;  // a body of declared length while it is read (read_body_direct)
  std::size_t body_read_ = 0;
  std::size_t body_length_ = 0;  // its declared length
  std::size_t drained_ = 0;
};

}  // namespace

void start_session(tcp::socket socket, Server::Impl& impl, bool reject, std::vector<std::weak_ptr<void>>* registry) {
  auto session = std::make_shared<Session>(std::move(socket), impl);
  if (reject) return session->reject_busy();
  if (registry) registry->push_back(session);
  session->start();
}

void close_session_if_idle(const std::shared_ptr<void>& session) {
  std::static_pointer_cast<Session>(session)->close_if_idle();
}

}  // namespace rallyuxr::http
