#include "http/webhook_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <chrono>

namespace rallyuxr::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// The answer's body is read (to keep the connection's protocol whole) but not kept beyond this.
constexpr std::uint64_t kMaxAnswerBytes = 1 << 20;

struct Exchange {
  bhttp::request<bhttp::string_body> req;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  beast::error_code failure;
  bool answered = false;
  Exchange() { parser.body_limit(kMaxAnswerBytes); }
};

// Writes the request and reads the answer's status line and headers (the body within its limit).
template <class Stream>
void send_and_read(Stream& stream, Exchange& x) {
  bhttp::async_write(stream, x.req, [&stream, &x](beast::error_code ec, std::size_t) {
    if (ec) {
      x.failure = ec;
      return;
    }
    bhttp::async_read(stream, x.buffer, x.parser, [&x](beast::error_code ec, std::size_t) {
      // The status line and headers are enough: an over-long or cut body still answered.
      if (x.parser.is_header_done()) x.answered = true;
      if (ec && !x.answered) x.failure = ec;
    });
  });
}

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "timed out";
  if (ec.category() == asio::error::get_ssl_category())
    return "TLS error: " + ec.message() + " (is the certificate trusted and does it name the host?)";
  return ec.message();
}

}  // namespace

OutgoingResult post_once(const OutgoingPost& post) {
  OutgoingResult out;
  auto url = boost::urls::parse_absolute_uri(post.url);
  if (!url) {
    out.error = "invalid URL";
    return out;
  }
  const bool tls = url->scheme() == "https";
  if (!tls && url->scheme() != "http") {
    out.error = "only http:// and https:// URLs can be delivered";
    return out;
  }
  std::string host = url->host_address();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = url->has_port() ? std::string(url->port()) : std::string(tls ? "443" : "80");
  std::string target = std::string(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());

  Exchange x;
  x.req = bhttp::request<bhttp::string_body>{bhttp::verb::post, target, 11};
  x.req.set(bhttp::field::host, std::string(url->encoded_host_and_port()));
  for (const auto& [name, value] : post.headers) x.req.set(name, value);
  x.req.set(bhttp::field::connection, "close");
  x.req.body() = post.body;
  x.req.prepare_payload();

  const auto timeout = std::chrono::milliseconds(static_cast<long long>(post.timeout_seconds * 1000));
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  std::optional<ssl::context> ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  try {
    if (tls) {
      ctx.emplace(ssl::context::tls_client);
      ctx->set_default_verify_paths();
      if (!post.ca_file.empty()) ctx->load_verify_file(post.ca_file);
      ctx->set_verify_mode(ssl::verify_peer);
      secure.emplace(ioc, *ctx);
      boost::system::error_code ip_ec;
      asio::ip::make_address(host, ip_ec);
      if (ip_ec && !SSL_set_tlsext_host_name(secure->native_handle(), host.c_str())) {  // SNI for names only
        out.error = "TLS error: cannot set the server name";
        return out;
      }
      secure->set_verify_callback(ssl::host_name_verification(host));
    } else {
      plain.emplace(ioc);
    }
  } catch (const std::exception& e) {
    out.error = std::string("TLS setup failed: ") + e.what();
    return out;
  }
  beast::tcp_stream& lowest = tls ? beast::get_lowest_layer(*secure) : *plain;

  lowest.expires_after(timeout);
  resolver.async_resolve(host, port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) {
      x.failure = ec;
      return;
    }
    lowest.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        x.failure = ec;
        return;
      }
      if (!tls) {
        send_and_read(*plain, x);
        return;
      }
      secure->async_handshake(ssl::stream_base::client, [&](beast::error_code ec) {
        if (ec) {
          x.failure = ec;
          return;
        }
        send_and_read(*secure, x);
      });
    });
  });
  // The stream's deadline covers connect, handshake, write and read; run_for bounds the resolver.
  ioc.run_for(timeout + std::chrono::milliseconds(100));
  if (!ioc.stopped()) {
    resolver.cancel();
    beast::error_code ignored;
    lowest.socket().close(ignored);
    ioc.run_for(std::chrono::milliseconds(100));
  }
  if (x.answered) {
    out.status = static_cast<int>(x.parser.get().result_int());
  } else if (!x.failure || x.failure == beast::error::timeout || x.failure == asio::error::operation_aborted) {
    out.error = fmt::format("timed out after {} s", post.timeout_seconds);
  } else {
    out.error = describe(x.failure);
  }
  beast::error_code ignored;
  lowest.socket().close(ignored);
  return out;
}

}  // namespace rallyuxr::http
