// The HTTP client of webhook deliveries (issue 16): one POST to an http:// or https:// URL,
// bounded by a timeout that covers resolving, connecting, the TLS handshake, sending and reading
// the answer. https:// verifies the server's certificate chain (the system's CAs, plus ca_file)
// and its name (SNI and host name verification); redirects are not followed. No Beast or Asio in
// this header: app/ adapts it to jobs/'s WebhookSender. Thread-safe (each call has its own I/O
// context).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rallyuxr::http {

struct OutgoingPost {
  std::string url;  // http(s)://host[:port]/path?query
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_seconds = 10;
  std::string ca_file;  // PEM certificates trusted besides the system's (empty: the system's only)
};

struct OutgoingResult {
  std::optional<int> status;  // the answer's status, when one came within the timeout
  std::string error;          // otherwise why (e.g. "timed out after 10 s", "connection refused")
};

OutgoingResult post_once(const OutgoingPost& post);

}  // namespace rallyuxr::http
