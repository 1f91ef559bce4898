// The HTTP/1.1 server on Boost.Beast: keep-alive, a multi-threaded io_context, limits, CORS,
// request ids, the error envelope and the access log. It knows no resource: it routes to handlers
// under the API base and serves the web bundle everywhere else. Beast/Asio stay inside http/*.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // Access log lines queued for the background writer (http/access_log.hpp); beyond, the oldest
  // queued line is dropped and counted. 0: written on the I/O thread, as each response goes.
  std::size_t access_log_queue = 8192;
  // Access tokens (empty: not required). A write token guards every request that changes data;
  // a read token, when set, guards reads too (the write token is accepted for reads as well).
  std::string api_token;
  std::string read_token;
  // Named tokens (issue 16; app/ wires these to the store; http knows no store): resolves a
  // bearer token that is neither of the two above (nullopt: unknown or revoked), and says whether
  // any named token is active, in which case writes need a token even without api_token.
  std::function<std::optional<Principal>(std::string_view token)> resolve_token;
  std::function<bool()> named_tokens_active;
  std::chrono::seconds shutdown_grace{10};       // in-flight requests get this long on SIGTERM
  Metrics* metrics = nullptr;                    // GET /metrics when set
  // Budgets that bound what clients can make the server hold (docs/security.md).
  std::size_t max_body_bytes_in_flight = 128u << 20;     // request bodies being read; 503 beyond
  std::size_t max_response_bytes_in_flight = 48u << 20;  // large responses being written; 503 beyond
  // Handlers (and so every database call) run on request threads, never on the I/O threads: this
  // many for reads and as many for writes; the health check has a lane of its own (2 threads) so
  // that it answers while the others wait for the database.
  int request_threads = 4;
  std::size_t max_queued_requests = 1024;                // waiting for a request thread; 503 beyond
  std::chrono::milliseconds request_timeout{10000};      // waits for a thread or the database end here: 503
  std::chrono::milliseconds health_timeout{800};         // the same for GET <api>/health
  // Without --api-token, writes are accepted only from these origins besides the server's own
  // (scheme://host[:port]), and only with a Host header that names this server or one of them.
  std::vector<std::string> allowed_origins;
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

  struct Impl;  // defined in server_impl.hpp, used by http/*.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rallyuxr::http
