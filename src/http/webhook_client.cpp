#include "http/webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <fmt/format.h>

namespace rallyuxr::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// The answer's body is read (to keep the connection's protocol whole) but not kept beyond this.
constexpr std::uint64_t kMaxAnswerBytes = 1 << 20;

}  // namespace

OutgoingResult post_once(const OutgoingPost& post) {
  OutgoingResult out;
  auto url = boost::urls::parse_absolute_uri(post.url);
  if (!url) {
    out.error = "invalid URL";
    return out;
  }
  if (url->scheme() != "http") {
    out.error = "only http:// URLs can be delivered";
    return out;
  }
  std::string host = url->host_address();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = url->has_port() ? std::string(url->port()) : std::string("80");
  std::string target = std::string(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());

  bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, std::string(url->encoded_host_and_port()));
  for (const auto& [name, value] : post.headers) req.set(name, value);
  req.set(bhttp::field::connection, "close");
  req.body() = post.body;
  req.prepare_payload();

  const auto timeout = std::chrono::milliseconds(static_cast<long long>(post.timeout_seconds * 1000));
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxAnswerBytes);
  beast::error_code failure;
  bool answered = false;

  stream.expires_after(timeout);
  resolver.async_resolve(host, port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      failure = ec;
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failure = ec;
        return;
      }
      bhttp::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
        if (ec) {
          failure = ec;
          return;
        }
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
          // The status line and headers are enough: an over-long or cut body still answered.
          if (parser.is_header_done()) answered = true;
          if (ec && !answered) failure = ec;
        });
      });
    });
  });
  // The stream's deadline covers connect/write/read; run_for bounds the resolver too.
  ioc.run_for(timeout + std::chrono::milliseconds(100));
  if (!ioc.stopped()) {
    resolver.cancel();
    beast::error_code ignored;
    stream.socket().close(ignored);
    ioc.run_for(std::chrono::milliseconds(100));
    if (!answered) {
      out.error = fmt::format("timed out after {} s", post.timeout_seconds);
      return out;
    }
  }
  if (answered) {
    out.status = static_cast<int>(parser.get().result_int());
    return out;
  }
  if (failure == beast::error::timeout)
    out.error = fmt::format("timed out after {} s", post.timeout_seconds);
  else
    out.error = failure ? failure.message() : std::string("no answer");
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace rallyuxr::http
