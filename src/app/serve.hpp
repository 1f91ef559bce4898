// `rallyuxr serve`: wires the store, the workers and the HTTP server together and runs them until
// SIGINT/SIGTERM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rallyuxr::app {

struct ServeConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string database = "sqlite:data/rallyuxr.db";
  std::string api_base = "/api";
  int threads = 2;
  int workers = 2;
  int max_attempts = 5;
  int retry_base_ms = 200;
  int pool_size = 0;  // 0: 2 x request_threads + workers + 2
  // SQLite files larger than this get their whole integrity check in the background, not at start.
  std::uint64_t integrity_check_bytes = 64ull << 20;
  std::size_t max_body_bytes = 1u << 20;
  std::size_t max_import_bytes = 32u << 20;
  std::string web_root = "web/dist";
  bool demo = false;
  std::string log_format = "text";
  std::string log_level = "info";
  std::string api_token;           // required on every request that changes data
  std::string read_token;          // required on reads too, when set
  bool allow_unauthenticated = false;
  int max_connections = 1024;
  int read_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
  int shutdown_grace_seconds = 10;
  double lease_seconds = 60;
  // Webhook deliveries (docs/operations.md, "Webhooks").
  int webhook_max_attempts = 8;
  int webhook_retry_base_ms = 1000;
  int webhook_timeout_ms = 10000;
  std::string webhook_ca_file;  // PEM CAs trusted for https:// receivers besides the system's
  // Hardening budgets (docs/security.md).
  int request_threads = 4;
  int request_timeout_seconds = 10;
  std::size_t max_body_bytes_in_flight = 128u << 20;
  std::size_t max_response_bytes_in_flight = 48u << 20;
  std::vector<std::string> allowed_origins;
  // Issue 18: bytes of serialized GET responses kept (0: none), and access log lines queued.
  std::size_t response_cache_bytes = 64u << 20;
  std::size_t access_log_queue = 8192;
};

// Raises the soft limit of open files to the hard limit and returns how many connections fit
// under it (the limit less a reserve for the database, logs and the listening socket).
std::size_t connection_capacity(int pool_size);

// Why a configuration cannot start, or empty when it can.
std::string check_serve_config(const ServeConfig& config);

// Returns the process exit code.
int run_serve(const ServeConfig& config);

// The OpenAPI description, generated at build time from docs/openapi.yaml.
const char* openapi_json();

}  // namespace rallyuxr::app
