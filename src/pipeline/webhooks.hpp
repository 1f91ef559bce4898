// Webhooks (issue 16): an admin registers a URL, the events it wants and a secret; every such
// event queues one delivery per webhook, as a deliver_webhook job on the durable queue, in the
// transaction of the change that caused it (so an event is never lost and never sent for a change
// that rolled back). The body is fixed then; every attempt sends the same bytes under the same
// delivery id (X-RallyUXR-Delivery), signed with HMAC-SHA256 of the body under the secret
// (X-RallyUXR-Signature: sha256=<hex>). Delivery is at least once: a receiver de-duplicates by
// the delivery id. The sending itself (HTTP) is injected into jobs/ by app/; this file only
// decides and writes.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::pipeline {

inline constexpr std::array<const char*, 5> kWebhookEvents = {
    "analysis.completed", "analysis.failed", "srm.detected", "experiment.decided", "metric_value.updated"};
bool known_webhook_event(std::string_view event);

// Why `url` cannot be a webhook's URL (http:// or https:// with a host, no credentials or
// fragment, at most 2,048 characters); nullopt when it can.
std::optional<std::string> webhook_url_problem(std::string_view url);

// Lower-case hex of HMAC-SHA256(key, message) (OpenSSL).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// The X-RallyUXR-Signature header's value: "sha256=" + hmac_sha256_hex(secret, body).
std::string webhook_signature(std::string_view secret, std::string_view body);

// One occurrence of an event, before it is addressed to any webhook.
struct WebhookEvent {
  std::string event;     // one of kWebhookEvents
  std::string event_id;  // the same for every webhook that receives it
  domain::UnixSeconds occurred_at = 0;
  std::string data;      // a JSON object: the event's facts
  std::string summary;   // one line for people (the Slack text)
};

// The body a webhook receives. "json": {"id" (the delivery id), "event", "eventId", "webhookId",
// "createdAt", "summary", "data"}; "slack": {"text": summary} (a Slack incoming webhook takes it
// as is).
std::string webhook_body(const std::string& format, const std::string& delivery_id, const std::string& webhook_id,
                         const WebhookEvent& e);

// Inside the transaction of the change: one delivery row and one deliver_webhook job for each
// webhook (not deleted) subscribed to e.event. Returns how many were queued.
int queue_webhook_event(store::Transaction& tx, const WebhookEvent& e);

// The events of the pipeline's workflows (called inside their transactions).
struct AnalysisNotice {
  std::string experiment_id;
  std::string experiment_name;  // empty when unknown
  std::string analysis_id;
  bool ok = true;
  std::string error;                                   // !ok
  std::optional<double> total_impact;                  // ok
  std::optional<domain::ExperimentStatus> status;      // the experiment's status after the analysis
  std::optional<bool> srm_detected;                    // ok: the analysis' SRM check
  std::optional<double> srm_p_value;
  std::optional<double> srm_observed_share;
  double srm_expected_share = 0.5;
  domain::UnixSeconds now = 0;
};
// analysis.completed or analysis.failed, and srm.detected when a complete analysis found one.
void queue_analysis_events(store::Transaction& tx, const AnalysisNotice& n);
void queue_decision_event(store::Transaction& tx, const domain::Decision& d, const std::string& experiment_name);
void queue_metric_value_event(store::Transaction& tx, const domain::MetricValue& m, double previous_value,
                              const std::optional<std::string>& change_reason, domain::UnixSeconds now);

// ---- the webhooks themselves (admin)
// Stores a new webhook (id and created_at set here) with its audit entry; returns it as stored.
store::Webhook create_webhook(store::Store& s, store::Webhook w, domain::UnixSeconds now);
// Deletes (deleted_at) with its audit entry; false when there is no such webhook.
bool delete_webhook(store::Store& s, const std::string& webhook_id, const std::optional<std::string>& by,
                    domain::UnixSeconds now);

// ---- deliveries (the deliver_webhook job)
struct DeliveryStep {
  enum class Kind { kGo, kSkipped } kind = Kind::kGo;
  store::WebhookDelivery delivery;  // kGo
  store::Webhook webhook;           // kGo
  std::string why;                  // kSkipped
};
// The job's payload names its delivery. Skips a job already done and a delivery already
// delivered; a delivery whose webhook was deleted is cancelled (its job completes) unsent.
DeliveryStep begin_delivery(store::Store& s, const store::Job& job, domain::UnixSeconds now);
// The receiver answered 2xx: the delivery is delivered and its job done, in one transaction
// (nothing when another worker finished the job already).
void record_delivery_success(store::Store& s, const store::Job& job, const std::string& delivery_id, int status_code,
                             domain::UnixSeconds now);
// An attempt failed (no answer, or not 2xx). `final`: no attempt follows; the delivery is failed
// and its job too. Otherwise the delivery shows "retrying" and the queue retries the job.
void record_delivery_failure(store::Store& s, const store::Job& job, const std::string& delivery_id,
                             std::optional<int> status_code, const std::string& error, bool final,
                             domain::UnixSeconds now);
// The delivery id a deliver_webhook job's payload names (empty when it names none).
std::string delivery_id_of(const store::Job& job);

}  // namespace rallyuxr::pipeline
