// `rallyuxr serve`: wires the store, the workers and the HTTP server together and runs them until
// SIGINT/SIGTERM.
#pragma once

#include <cstddef>
#include <string>

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
  int pool_size = 0;  // 0: threads + workers + 2
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
};

// Why a configuration cannot start, or empty when it can.
std::string check_serve_config(const ServeConfig& config);

// Returns the process exit code.
int run_serve(const ServeConfig& config);

// The OpenAPI description, generated at build time from docs/openapi.yaml.
const char* openapi_json();

}  // namespace rallyuxr::app
