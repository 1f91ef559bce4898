// Webhooks (issue 16): the HMAC (RFC 4231 test vectors), the signature header, the bodies (json
// and slack), URL and event validation. Pure functions; the deliveries themselves are tested
// through the binary (tests/integration/test_webhooks.py) and the store contract.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "pipeline/webhooks.hpp"

namespace rallyuxr::pipeline {
namespace {

TEST(WebhookHmac, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(hmac_sha256_hex(key, "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(WebhookHmac, Rfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookHmac, Rfc4231TestCase6KeyLongerThanABlock) {
  const std::string key(131, '\xaa');
  EXPECT_EQ(hmac_sha256_hex(key, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(WebhookHmac, SignatureHeaderIsPrefixedHex) {
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_NE(webhook_signature("Jefe", "what do ya want for nothing?"),
            webhook_signature("Jeff", "what do ya want for nothing?"));
}

WebhookEvent sample() {
  WebhookEvent e;
  e.event = "experiment.decided";
  e.event_id = "01900000-0000-7000-8000-000000000002";
  e.occurred_at = 1736899200;  // 2025-01-15T00:00:00Z
  e.data = R"({"experimentId":"x","decision":"ship"})";
  e.summary = "RallyUXR: \"Checkout\" decided: ship (\"quoted\" reason)";
  return e;
}

TEST(WebhookBody, JsonFormatCarriesIdsEventAndData) {
  auto text = webhook_body("json", "01900000-0000-7000-8000-000000000001", "hook-1", sample());
  auto v = boost::json::parse(text).as_object();
  EXPECT_EQ(v.at("id").as_string(), "01900000-0000-7000-8000-000000000001");
  EXPECT_EQ(v.at("event").as_string(), "experiment.decided");
  EXPECT_EQ(v.at("eventId").as_string(), "01900000-0000-7000-8000-000000000002");
  EXPECT_EQ(v.at("webhookId").as_string(), "hook-1");
  EXPECT_EQ(v.at("createdAt").as_string(), "2025-01-15T00:00:00Z");
  EXPECT_EQ(v.at("summary").as_string(), sample().summary);
  EXPECT_EQ(v.at("data").at("decision").as_string(), "ship");
  EXPECT_EQ(v.size(), 7u);
  // The same inputs give the same bytes: a retry's signature matches the first attempt's.
  EXPECT_EQ(text, webhook_body("json", "01900000-0000-7000-8000-000000000001", "hook-1", sample()));
}

TEST(WebhookBody, SlackFormatIsOnlyText) {
  auto v = boost::json::parse(webhook_body("slack", "d", "h", sample())).as_object();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v.at("text").as_string(), sample().summary);
}

TEST(WebhookBody, EmptyDataIsAnEmptyObject) {
  auto e = sample();
  e.data.clear();
  auto v = boost::json::parse(webhook_body("json", "d", "h", e)).as_object();
  EXPECT_TRUE(v.at("data").as_object().empty());
}

TEST(WebhookValidation, Urls) {
  EXPECT_FALSE(webhook_url_problem("http://127.0.0.1:8000/hook?x=1").has_value());
  EXPECT_FALSE(webhook_url_problem("http://hooks.internal/a/b").has_value());
  EXPECT_FALSE(webhook_url_problem("http://[::1]:9000/").has_value());
  EXPECT_FALSE(webhook_url_problem("https://hooks.slack.com/services/T000/B000/XXXX").has_value());
  EXPECT_TRUE(webhook_url_problem("ftp://host/x").has_value());
  EXPECT_TRUE(webhook_url_problem("file:///etc/passwd").has_value());
  EXPECT_TRUE(webhook_url_problem("not a url").has_value());
  EXPECT_TRUE(webhook_url_problem("/relative").has_value());
  EXPECT_TRUE(webhook_url_problem("http:///nohost").has_value());
  EXPECT_TRUE(webhook_url_problem("http://user:pw@host/").has_value());
  EXPECT_TRUE(webhook_url_problem("http://host/#frag").has_value());
  EXPECT_TRUE(webhook_url_problem("http://host:0/").has_value());
  EXPECT_TRUE(webhook_url_problem("http://host/" + std::string(2100, 'a')).has_value());
}

TEST(WebhookValidation, Events) {
  for (const char* e : kWebhookEvents) EXPECT_TRUE(known_webhook_event(e)) << e;
  EXPECT_FALSE(known_webhook_event("analysis.started"));
  EXPECT_FALSE(known_webhook_event(""));
  EXPECT_FALSE(known_webhook_event("ANALYSIS.COMPLETED"));
}

}  // namespace
}  // namespace rallyuxr::pipeline
