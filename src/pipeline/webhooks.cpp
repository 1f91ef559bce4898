#include "pipeline/webhooks.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cmath>
#include <stdexcept>

#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/json_writer.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "pipeline/hex.hpp"
#include "pipeline/pipeline.hpp"

namespace rallyuxr::pipeline {
namespace {

using codec::JsonWriter;
using store::Transaction;

std::string quoted(const std::string& s) {
  std::string out;
  codec::append_json_string(out, s);
  return out;
}

std::string money(double v) {
  if (!std::isfinite(v)) return "n/a";
  return fmt::format("{}${:.2f}", v < 0 ? "-" : "", std::fabs(v));
}

std::string name_or_id(const std::string& name, const std::string& id) {
  return name.empty() ? "experiment " + id : "\"" + name + "\"";
}

}  // namespace

bool known_webhook_event(std::string_view event) {
  for (const char* e : kWebhookEvents)
    if (event == e) return true;
  return false;
}

std::optional<std::string> webhook_url_problem(std::string_view url) {
  if (url.size() > 2048) return "Must be at most 2048 characters";
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "Expected an absolute http:// or https:// URL";
  const auto scheme = parsed->scheme();
  if (scheme != "http" && scheme != "https") return "Expected an http:// or https:// URL";
  if (parsed->encoded_host().empty()) return "The URL needs a host";
  if (parsed->has_userinfo()) return "Credentials in the URL are not supported; use the secret";
  if (parsed->has_fragment()) return "The URL must not have a fragment";
  if (parsed->has_port()) {
    auto p = parsed->port_number();
    if (p == 0) return "The URL's port must be from 1 to 65535";
  }
  return std::nullopt;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return lower_hex(digest, len);
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

std::string webhook_body(const std::string& format, const std::string& delivery_id, const std::string& webhook_id,
                         const WebhookEvent& e) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  if (format == "slack") {
    w.key("text").string(e.summary);
  } else {
    w.key("id").string(delivery_id);
    w.key("event").string(e.event);
    w.key("eventId").string(e.event_id);
    w.key("webhookId").string(webhook_id);
    w.key("createdAt").timestamp(e.occurred_at);
    w.key("summary").string(e.summary);
    w.key("data");
    w.slot() += e.data.empty() ? "{}" : e.data;
  }
  w.end_object();
  return out;
}

int queue_webhook_event(Transaction& tx, const WebhookEvent& e) {
  int queued = 0;
  for (const auto& hook : tx.active_webhooks()) {
    if (std::find(hook.events.begin(), hook.events.end(), e.event) == hook.events.end()) continue;
    store::WebhookDelivery d;
    d.delivery_id = domain::new_uuid_v7();
    d.webhook_id = hook.webhook_id;
    d.event = e.event;
    d.event_id = e.event_id;
    d.body = webhook_body(hook.format, d.delivery_id, hook.webhook_id, e);
    d.status = "pending";
    d.created_at = d.updated_at = e.occurred_at;
    tx.insert_delivery(d);
    std::string payload;
    JsonWriter w(payload);
    w.begin_object();
    w.key("deliveryId").string(d.delivery_id);
    w.key("webhookId").string(d.webhook_id);
    w.key("event").string(d.event);
    w.end_object();
    // Deliveries belong to no experiment: they stay out of an experiment's job list.
    tx.insert_job(domain::new_uuid_v7(), "", store::JobKind::kDeliverWebhook, payload, e.occurred_at);
    ++queued;
  }
  return queued;
}

void queue_analysis_events(Transaction& tx, const AnalysisNotice& n) {
  const std::string who = name_or_id(n.experiment_name, n.experiment_id);
  {
    WebhookEvent e;
    e.event = n.ok ? "analysis.completed" : "analysis.failed";
    e.event_id = domain::new_uuid_v7();
    e.occurred_at = n.now;
    JsonWriter w(e.data);
    w.begin_object();
    w.key("experimentId").string(n.experiment_id);
    w.key("experimentName").string(n.experiment_name);
    w.key("analysisId").string(n.analysis_id);
    w.key("status").string(n.ok ? "complete" : "failed");
    if (n.status) w.key("experimentStatus").string(domain::to_string(*n.status));
    if (n.ok) {
      w.key("totalImpact").number(n.total_impact);
      if (n.srm_detected) w.key("srmDetected").boolean(*n.srm_detected);
    } else {
      w.key("error").string(n.error);
    }
    w.end_object();
    if (n.ok)
      e.summary = "RallyUXR: analysis of " + who + " completed" +
                  (n.total_impact ? "; total impact " + money(*n.total_impact) : std::string()) +
                  (n.status ? " (experiment " + std::string(domain::to_string(*n.status)) + ")" : std::string());
    else
      e.summary = "RallyUXR: analysis of " + who + " failed: " + n.error;
    queue_webhook_event(tx, e);
  }
  if (n.ok && n.srm_detected.value_or(false)) {
    WebhookEvent e;
    e.event = "srm.detected";
    e.event_id = domain::new_uuid_v7();
    e.occurred_at = n.now;
    JsonWriter w(e.data);
    w.begin_object();
    w.key("experimentId").string(n.experiment_id);
    w.key("experimentName").string(n.experiment_name);
    w.key("analysisId").string(n.analysis_id);
    w.key("pValue").number(n.srm_p_value);
    w.key("expectedTreatmentShare").number(n.srm_expected_share);
    w.key("observedTreatmentShare").number(n.srm_observed_share);
    w.end_object();
    e.summary = "RallyUXR: sample ratio mismatch in " + who +
                (n.srm_observed_share ? fmt::format(": treatment share {:.4f}, expected {:.4f}", *n.srm_observed_share,
                                                    n.srm_expected_share)
                                      : std::string()) +
                (n.srm_p_value ? fmt::format(" (p = {:.2g})", *n.srm_p_value) : std::string()) +
                ". Check the assignment before trusting the results.";
    queue_webhook_event(tx, e);
  }
}

void queue_decision_event(Transaction& tx, const domain::Decision& d, const std::string& experiment_name) {
  WebhookEvent e;
  e.event = "experiment.decided";
  e.event_id = domain::new_uuid_v7();
  e.occurred_at = d.decided_at;
  JsonWriter w(e.data);
  w.begin_object();
  w.key("experimentId").string(d.experiment_id);
  w.key("experimentName").string(experiment_name);
  w.key("decisionId").string(d.decision_id);
  w.key("decision").string(d.decision);
  w.key("reason").string(d.reason);
  w.key("decidedBy").string(d.decided_by);
  w.key("decidedAt").timestamp(d.decided_at);
  w.end_object();
  e.summary = "RallyUXR: " + name_or_id(experiment_name, d.experiment_id) + " decided: " + d.decision +
              (d.decided_by ? " by " + *d.decided_by : std::string()) + " (" + d.reason + ")";
  queue_webhook_event(tx, e);
}

void queue_metric_value_event(Transaction& tx, const domain::MetricValue& m, double previous_value,
                              const std::optional<std::string>& change_reason, domain::UnixSeconds now) {
  WebhookEvent e;
  e.event = "metric_value.updated";
  e.event_id = domain::new_uuid_v7();
  e.occurred_at = now;
  JsonWriter w(e.data);
  w.begin_object();
  w.key("metricId").string(m.metric_id);
  w.key("name").string(m.name);
  w.key("version").integer(m.version);
  w.key("dollarsPerUnit").number(m.dollars_per_unit);
  w.key("previousDollarsPerUnit").number(previous_value);
  w.key("unit").string(m.unit);
  w.key("updatedBy").string(m.updated_by);
  w.key("changeReason").string(change_reason);
  w.end_object();
  e.summary = fmt::format("RallyUXR: metric value \"{}\" ({}) is now {} per unit (was {}), version {}{}{}", m.name,
                          m.metric_id, money(m.dollars_per_unit), money(previous_value), m.version,
                          m.updated_by ? " by " + *m.updated_by : std::string(),
                          change_reason ? ": " + *change_reason : std::string());
  queue_webhook_event(tx, e);
}

store::Webhook create_webhook(store::Store& s, store::Webhook w, domain::UnixSeconds now) {
  w.webhook_id = domain::new_uuid_v7();
  w.created_at = now;
  w.deleted_at.reset();
  std::string events = "[";
  for (std::size_t i = 0; i < w.events.size(); ++i) events += (i ? "," : "") + quoted(w.events[i]);
  events += "]";
  with_transaction(s, [&](Transaction& tx) {
    tx.insert_webhook(w);
    write_audit(tx, now, w.created_by, "webhook.created", "webhook", w.webhook_id,
                "Created webhook to " + w.url + " for " + std::to_string(w.events.size()) + " event(s)",
                {{"url", "null", quoted(w.url)}, {"events", "null", events}, {"format", "null", quoted(w.format)}});
    tx.commit();
    return true;
  });
  return w;
}

bool delete_webhook(store::Store& s, const std::string& webhook_id, const std::optional<std::string>& by,
                    domain::UnixSeconds now) {
  return with_transaction(s, [&](Transaction& tx) {
    if (!tx.delete_webhook(webhook_id, now)) return false;
    write_audit(tx, now, by, "webhook.deleted", "webhook", webhook_id, "Deleted webhook",
                {{"active", "true", "false"}});
    tx.commit();
    return true;
  });
}

std::string delivery_id_of(const store::Job& job) {
  boost::system::error_code ec;
  auto v = codec::parse_json_exact(job.payload, ec);
  if (ec || !v.is_object()) return {};
  const auto* id = v.as_object().if_contains("deliveryId");
  return id && id->is_string() ? std::string(id->get_string()) : std::string();
}

DeliveryStep begin_delivery(store::Store& s, const store::Job& job, domain::UnixSeconds now) {
  DeliveryStep out;
  const std::string id = delivery_id_of(job);
  auto d = id.empty() ? std::nullopt : s.get_delivery(id);
  auto hook = d ? s.get_webhook(d->webhook_id) : std::nullopt;
  if (d && hook && !hook->deleted_at && d->status != "delivered" && d->status != "cancelled") {
    out.delivery = std::move(*d);
    out.webhook = std::move(*hook);
    return out;
  }
  out.kind = DeliveryStep::Kind::kSkipped;
  out.why = !d ? "no such delivery" : !hook || hook->deleted_at ? "webhook deleted" : "already " + d->status;
  with_transaction(s, [&](Transaction& tx) {
    auto locked = tx.lock_job(job.job_id);
    if (!locked || locked->status == store::JobStatus::kDone) return false;
    if (d && (!hook || hook->deleted_at) && d->status != "delivered") {
      d->status = "cancelled";
      d->last_error = "The webhook was deleted before this delivery was sent";
      d->updated_at = now;
      tx.update_delivery(*d);
    }
    tx.mark_job_done(job.job_id, std::nullopt, now);
    tx.commit();
    return true;
  });
  return out;
}

void record_delivery_success(store::Store& s, const store::Job& job, const std::string& delivery_id, int status_code,
                             domain::UnixSeconds now) {
  auto d = s.get_delivery(delivery_id);
  if (!d) return;
  with_transaction(s, [&](Transaction& tx) {
    auto locked = tx.lock_job(job.job_id);
    if (!locked || locked->status == store::JobStatus::kDone) return false;
    d->status = "delivered";
    d->attempts = job.attempts;
    d->last_status_code = status_code;
    d->last_error.reset();
    d->updated_at = now;
    d->delivered_at = now;
    tx.update_delivery(*d);
    tx.mark_job_done(job.job_id, std::nullopt, now);
    tx.commit();
    return true;
  });
}

void record_delivery_failure(store::Store& s, const store::Job& job, const std::string& delivery_id,
                             std::optional<int> status_code, const std::string& error, bool final,
                             domain::UnixSeconds now) {
  auto d = s.get_delivery(delivery_id);
  with_transaction(s, [&](Transaction& tx) {
    auto locked = tx.lock_job(job.job_id);
    if (!locked || locked->status == store::JobStatus::kDone) return false;
    if (d && d->status != "delivered") {
      d->status = final ? "failed" : "retrying";
      d->attempts = job.attempts;
      // The final call (from the worker) knows no status: the attempt recorded just before has it.
      if (!final || status_code)
        d->last_status_code = status_code ? std::optional<std::int64_t>(*status_code) : std::nullopt;
      d->last_error = error;
      d->updated_at = now;
      tx.update_delivery(*d);
    }
    if (final) tx.mark_job_failed(job.job_id, error, now);
    tx.commit();
    return true;
  });
}

}  // namespace rallyuxr::pipeline
