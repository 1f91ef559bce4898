// The deliver_webhook job (issue 16): POSTs a delivery's fixed body to its webhook's URL with the
// delivery id, the event and the HMAC-SHA256 signature in headers. A 2xx answer completes it;
// anything else (no answer within the timeout, a refused connection, a non-2xx status) throws
// after recording the attempt, and the worker retries it with the queue's back-off until the
// attempts run out (record_final_delivery_failure). The HTTP client is injected (app/ wires
// http/'s), so that jobs/ knows no network library.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace rallyuxr::jobs {

struct WebhookPost {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_seconds = 10;
};

struct WebhookPostResult {
  std::optional<int> status;  // the receiver's HTTP status, when it answered
  std::string error;          // why there is no status (timeout, refused, ...)
};

using WebhookSender = std::function<WebhookPostResult(const WebhookPost&)>;

// Sends one attempt; throws (after recording it) when it failed.
void run_webhook_delivery(store::Store& store, const store::Job& job, const WebhookSender& send,
                          double timeout_seconds);
// The last attempt failed: the delivery and its job are failed for good.
void record_final_delivery_failure(store::Store& store, const store::Job& job, const std::string& error);

}  // namespace rallyuxr::jobs
