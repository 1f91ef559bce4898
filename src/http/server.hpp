// The HTTP/1.1 server on Boost.Beast: keep-alive, a multi-threaded io_context, limits, CORS,
// request ids, the error envelope and the access log. It knows no resource: it routes to handlers
// under the API base and serves the web bundle everywhere else. Beast/Asio stay inside http/*.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "http/metrics.hpp"
#include "http/types.hpp"

namespace rallyuxr::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int threads = 2;
  std::string api_base = "/api";
  std::size_t max_body_bytes = 1 << 20;          // 413 above
  std::size_t max_header_bytes = 16 * 1024;      // 431 above
  std::chrono::seconds read_timeout{30};         // a request must arrive whole within this
  std::chrono::seconds idle_timeout{60};         // keep-alive connections idle longer are closed
  std::size_t max_connections = 1024;           // further connections get 503 and are closed
  std::string web_root;                          // built dashboard; empty: no static files
  bool json_access_log = false;
  // Access tokens (empty: not required). A write token guards every request that changes data;
  // a read token, when set, guards reads too (the write token is accepted for reads as well).
  std::string api_token;
  std::string read_token;
  std::chrono::seconds shutdown_grace{10};       // in-flight requests get this long on SIGTERM
  Metrics* metrics = nullptr;                    // GET /metrics when set
};

// Renders the contract's error envelope; shared by the server and handlers.
Response error_response(int status, const std::string& code, const std::string& message,
                        const std::string& request_id, const std::string& details_json = "");

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws std::runtime_error when the address cannot be bound.
  void start();
  // The port actually bound (useful with port 0).
  unsigned short port() const;
  // Runs the io threads until stop(); blocks.
  void run();
  // Stops accepting, lets in-flight requests finish (up to the grace period), closes idle
  // keep-alive connections, then returns from run(). Safe from any thread.
  void stop();
  // Runs `fn` when SIGINT or SIGTERM arrives (on an io thread).
  void on_signal(std::function<void(int)> fn);

  struct Impl;  // defined in server.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rallyuxr::http
