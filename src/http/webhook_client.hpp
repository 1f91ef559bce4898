// The HTTP client of webhook deliveries (issue 16): one POST to an http:// URL, bounded by a
// timeout that covers resolving, connecting, sending and reading the answer. No Beast or Asio in
// this header: app/ adapts it to jobs/'s WebhookSender. Thread-safe (each call has its own I/O
// context).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rallyuxr::http {

struct OutgoingPost {
  std::string url;  // http://host[:port]/path?query
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_seconds = 10;
};

struct OutgoingResult {
  std::optional<int> status;  // the answer's status, when one came within the timeout
  std::string error;          // otherwise why (e.g. "timed out after 10 s", "connection refused")
};

OutgoingResult post_once(const OutgoingPost& post);

}  // namespace rallyuxr::http
