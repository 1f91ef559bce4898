#include "jobs/webhook_delivery.hpp"

#include <stdexcept>

#include "domain/time.hpp"
#include "pipeline/webhooks.hpp"

namespace rallyuxr::jobs {

void run_webhook_delivery(store::Store& store, const store::Job& job, const WebhookSender& send,
                          double timeout_seconds) {
  auto step = pipeline::begin_delivery(store, job, domain::now_seconds());
  if (step.kind == pipeline::DeliveryStep::Kind::kSkipped) return;
  const auto& d = step.delivery;
  WebhookPost post;
  post.url = step.webhook.url;
  post.body = d.body;
  post.timeout_seconds = timeout_seconds;
  post.headers = {
      {"Content-Type", "application/json"},
      {"User-Agent", std::string("RallyUXR-Webhook/") + RALLYUXR_VERSION},
      {"X-RallyUXR-Event", d.event},
      {"X-RallyUXR-Delivery", d.delivery_id},
      {"X-RallyUXR-Event-Id", d.event_id},
      {"X-RallyUXR-Attempt", std::to_string(job.attempts)},
      {"X-RallyUXR-Signature", pipeline::webhook_signature(step.webhook.secret, d.body)},
  };
  WebhookPostResult r;
  if (send)
    r = send(post);
  else
    r.error = "no webhook sender is configured";
  if (r.status && *r.status >= 200 && *r.status < 300) {
    pipeline::record_delivery_success(store, job, d.delivery_id, *r.status, domain::now_seconds());
    return;
  }
  std::string error = r.status ? "The receiver answered HTTP " + std::to_string(*r.status) : r.error;
  pipeline::record_delivery_failure(store, job, d.delivery_id, r.status, error, false, domain::now_seconds());
  throw std::runtime_error(error);
}

void record_final_delivery_failure(store::Store& store, const store::Job& job, const std::string& error) {
  pipeline::record_delivery_failure(store, job, pipeline::delivery_id_of(job), std::nullopt, error, true,
                                    domain::now_seconds());
}

}  // namespace rallyuxr::jobs
