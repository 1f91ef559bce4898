"""Webhooks (issue 16) through the running binary: a receiver on loopback (Python's http.server in a
thread) gets each event once per webhook, signed with HMAC-SHA256 of the body under the secret;
a receiver that fails first gets the same delivery again; a server killed (SIGKILL) in the middle
of a delivery delivers it after a restart, under the same delivery id; admin-only routes; the
validation errors; the delivery log."""
import hashlib
import hmac
import json
import os
import signal
import ssl
import subprocess
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BIN, Server
from test_import import make_points
from test_pipeline import REFUSAL, install_refusal_trigger

API = "0123456789abcdef-webhooks-api"
SECRET = "a-webhook-secret-of-some-length"
TLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "webhook-tls")
TLS_CERT = os.path.join(TLS_DIR, "receiver-cert.pem")
TLS_KEY = os.path.join(TLS_DIR, "receiver-key.pem")
EVENTS = ["analysis.completed", "analysis.failed", "srm.detected", "experiment.decided", "metric_value.updated"]


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST (path, headers, body). plan[path] lists
    the statuses of the next answers (then 200); hold[path] is an Event the next request to that
    path waits for before it answers."""

    def __init__(self, tls=False):
        self.requests = []
        self.plan = {}
        self.hold = {}
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.cond:
                    outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()
                    plan = outer.plan.get(self.path)
                    status = plan.pop(0) if plan else 200
                    hold = outer.hold.pop(self.path, None)
                if hold is not None:
                    hold.wait(60)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender is gone (killed)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(TLS_CERT, TLS_KEY)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def at(self, path):
        with self.cond:
            return [r for r in self.requests if r[0] == path]

    def wait_for(self, path, n, timeout=30):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                got = [r for r in self.requests if r[0] == path]
                if len(got) >= n:
                    return got
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError(f"{path}: {len(got)} requests, expected {n}")
                self.cond.wait(left)

    def close(self):
        for e in list(self.hold.values()):
            e.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def auth(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def make_token(database, name, role):
    made = subprocess.run([BIN, "token", "create", "--name", name, "--role", role, "--database", database],
                          capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        raise AssertionError(made.stderr)
    return made.stdout.strip()


def signed(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhooksTest(unittest.TestCase):
    SERVER_ARGS = ("--api-token", API, "--webhook-retry-base-ms", "50", "--webhook-max-attempts", "3",
                   "--webhook-timeout-ms", "1000", "--max-attempts", "2", "--retry-base-ms", "50")

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver()
        cls.server = Server(*cls.SERVER_ARGS).start()
        install_refusal_trigger(cls.server)
        cls.admin = make_token(cls.server.database, "hooks-admin", "admin")
        cls.tokens = {}
        for role in ("read", "write"):
            r = cls.server.post("/api/tokens", {"name": f"hooks-{role}", "role": role}, headers=auth(cls.admin))
            if r.status != 201:
                raise AssertionError(r.body[:300])
            cls.tokens[role] = r.data["token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()
        cls.receiver.close()

    # ---- helpers
    def call(self, method, path, body=None, token="admin"):
        tok = self.admin if token == "admin" else token
        headers = auth(tok)
        if isinstance(body, str):
            headers["Content-Type"] = "application/json"
        return self.server.request(method, path, body=body, headers=headers)

    def create_hook(self, path, events=None, fmt=None, secret=SECRET):
        body = {"url": self.receiver.url(path), "events": events or EVENTS, "secret": secret}
        if fmt:
            body["format"] = fmt
        r = self.call("POST", "/api/webhooks", body)
        self.assertEqual(r.status, 201, r.body[:500])
        return r.data["webhook"]

    def deliveries(self, hook_id, query=""):
        r = self.call("GET", f"/api/webhooks/{hook_id}/deliveries{query}")
        self.assertEqual(r.status, 200, r.body[:500])
        return r.data

    def wait_delivery(self, hook_id, status, n=1, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ds = self.deliveries(hook_id, "?limit=100")["deliveries"]
            if len([d for d in ds if d["status"] == status]) >= n:
                return ds
            time.sleep(0.05)
        raise AssertionError(f"no {n} {status} deliveries: {ds}")

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r.body[:500])
        body = r.json()
        self.assertIs(body["success"], False)
        self.assertEqual(body["error"]["code"], code)
        self.assertTrue(body["error"]["requestId"])
        return body["error"]

    def assertSigned(self, request, secret=SECRET):
        _, headers, body = request
        self.assertEqual(headers["x-rallyuxr-signature"], signed(secret, body))
        self.assertEqual(headers["content-type"], "application/json")
        return json.loads(body)

    def upload_with_srm(self, exp_id):
        # Unique users far from the 50/50 split: the analysis' SRM check (chi-square) fires.
        metrics = {"conversion_rate": {"timeSeries": make_points("c", seed=31)},
                   "bounce_rate": {"timeSeries": make_points("b", seed=32, lift=-0.003)}}
        r = self.call("PUT", f"/api/experiments/{exp_id}/results",
                      {"metrics": metrics, "uniqueUsers": {"treatment": 30000, "control": 20000}})
        self.assertEqual(r.status, 200, r.body[:500])

    # ---- events, each once per webhook, signed
    def test_each_event_arrives_once_signed(self):
        s = self.server
        hook = self.create_hook("/all")
        slack = self.create_hook("/slack", events=["experiment.decided", "metric_value.updated"], fmt="slack",
                                 secret="another-secret-0123456789")
        self.assertNotIn("secret", hook)
        self.assertIs(hook["hasSecret"], True)
        self.assertEqual(hook["events"], EVENTS)
        self.assertEqual(hook["format"], "json")
        self.assertEqual(hook["createdBy"], "hooks-admin")

        # metric_value.updated
        r = self.call("PUT", "/api/metric-values/conversion_rate", {"dollarsPerUnit": 51.5, "changeReason": "Q3"})
        self.assertEqual(r.status, 200, r.body[:300])
        # analysis.completed and srm.detected (imported results with unbalanced unique users)
        r = self.call("POST", "/api/experiments", {
            "name": "Hooked", "description": "Webhook events", "metrics": ["conversion_rate", "bounce_rate"],
            "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "positive",
            "dataSource": "imported"})
        self.assertEqual(r.status, 201, r.body[:300])
        exp_id = r.data["experimentId"]
        self.upload_with_srm(exp_id)
        s.wait_status(exp_id, ("complete",))
        s.wait_idle()
        # experiment.decided
        r = self.call("POST", f"/api/experiments/{exp_id}/decision", {"decision": "rollback", "reason": "SRM"})
        self.assertEqual(r.status, 201, r.body[:300])
        s.wait_idle()

        analyses = [a for a in s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
                    if a["status"] == "complete"]
        self.assertGreaterEqual(len(analyses), 1)
        self.assertTrue(all(a["srm"]["detected"] for a in analyses))
        expected = {"metric_value.updated": 1, "experiment.decided": 1, "analysis.completed": len(analyses),
                    "srm.detected": len(analyses)}
        got = self.receiver.wait_for("/all", sum(expected.values()))
        time.sleep(0.5)  # nothing more arrives (at least once, but once here: every receiver answered 200)
        got = self.receiver.at("/all")
        self.assertEqual(len(got), sum(expected.values()))
        bodies = [self.assertSigned(g) for g in got]
        counts = {}
        for (_, headers, _), b in zip(got, bodies):
            counts[b["event"]] = counts.get(b["event"], 0) + 1
            self.assertEqual(headers["x-rallyuxr-event"], b["event"])
            self.assertEqual(headers["x-rallyuxr-delivery"], b["id"])
            self.assertEqual(headers["x-rallyuxr-event-id"], b["eventId"])
            self.assertEqual(b["webhookId"], hook["webhookId"])
            self.assertRegex(b["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertTrue(b["summary"].startswith("RallyUXR: "))
        self.assertEqual(counts, expected)
        self.assertEqual(len({b["id"] for b in bodies}), len(bodies))

        by_event = {b["event"]: b for b in bodies}
        m = by_event["metric_value.updated"]["data"]
        self.assertEqual((m["metricId"], m["dollarsPerUnit"], m["changeReason"], m["updatedBy"]),
                         ("conversion_rate", 51.5, "Q3", "hooks-admin"))
        d = by_event["experiment.decided"]["data"]
        self.assertEqual((d["experimentId"], d["decision"], d["reason"], d["experimentName"]),
                         (exp_id, "rollback", "SRM", "Hooked"))
        a = by_event["analysis.completed"]["data"]
        self.assertEqual(a["experimentId"], exp_id)
        self.assertIn(a["analysisId"], {x["analysisId"] for x in analyses})
        self.assertIs(a["srmDetected"], True)
        srm = by_event["srm.detected"]["data"]
        self.assertEqual(srm["experimentId"], exp_id)
        self.assertAlmostEqual(srm["observedTreatmentShare"], 0.6, places=9)
        self.assertLess(srm["pValue"], 0.001)

        # Slack format: {"text": ...} only, signed with its own secret; only its two events.
        sl = self.receiver.wait_for("/slack", 2)
        time.sleep(0.3)
        sl = self.receiver.at("/slack")
        self.assertEqual(len(sl), 2)
        texts = [self.assertSigned(x, "another-secret-0123456789") for x in sl]
        self.assertEqual(sorted(x[1]["x-rallyuxr-event"] for x in sl), ["experiment.decided", "metric_value.updated"])
        for t in texts:
            self.assertEqual(list(t), ["text"])
        self.assertTrue(any("\"Hooked\" decided: rollback" in t["text"] for t in texts), texts)
        self.assertTrue(any("$51.50 per unit" in t["text"] for t in texts), texts)

        # The delivery log: all delivered at the first attempt, newest first, with the bodies sent.
        log = self.deliveries(hook["webhookId"], "?limit=100")
        self.assertEqual(log["pagination"]["total"], len(got))
        self.assertEqual({x["deliveryId"] for x in log["deliveries"]}, {b["id"] for b in bodies})
        for x in log["deliveries"]:
            self.assertEqual((x["status"], x["attempts"], x["lastStatusCode"], x["lastError"]),
                             ("delivered", 1, 200, None), x)
            self.assertIsNotNone(x["deliveredAt"])
        self.assertEqual(log["deliveries"][-1]["event"], "metric_value.updated")  # the oldest comes last
        sent = {b["id"]: b for b in bodies}
        for x in log["deliveries"]:
            self.assertEqual(x["payload"], sent[x["deliveryId"]])
        # Paging.
        page = self.deliveries(hook["webhookId"], "?limit=2&offset=1")
        self.assertEqual([x["deliveryId"] for x in page["deliveries"]],
                         [x["deliveryId"] for x in log["deliveries"][1:3]])
        self.assertEqual(page["pagination"]["limit"], 2)
        self.assertEqual(page["pagination"]["offset"], 1)
        self.assertIs(page["pagination"]["hasMore"], len(got) > 3)

        # Audited.
        audit = self.call("GET", "/api/audit?entity=webhook&limit=100").data["entries"]
        self.assertIn(("webhook.created", hook["webhookId"], "hooks-admin"),
                      [(e["action"], e["entityId"], e["actor"]) for e in audit])

    def test_failed_analysis_is_an_event(self):
        # A real fault: the database refuses the generated rows of "[fail]" experiments
        # (test_pipeline's trigger), the generation fails for good and a failed analysis is recorded.
        hook = self.create_hook("/failed", events=["analysis.failed"])
        r = self.call("POST", "/api/experiments", {
            "name": "Doomed [fail]", "description": "Its data are refused", "metrics": ["conversion_rate"],
            "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "positive"})
        self.assertEqual(r.status, 201, r.body[:300])
        exp_id = r.data["experimentId"]
        (got,) = self.receiver.wait_for("/failed", 1)
        b = self.assertSigned(got)
        self.assertEqual(b["event"], "analysis.failed")
        self.assertEqual(b["data"]["experimentId"], exp_id)
        self.assertEqual(b["data"]["status"], "failed")
        self.assertIn(REFUSAL, b["data"]["error"])
        self.assertIn("failed", b["summary"])
        self.server.wait_idle()
        self.assertEqual(len(self.receiver.at("/failed")), 1)
        self.assertEqual(self.wait_delivery(hook["webhookId"], "delivered")[0]["eventId"], b["eventId"])

    # ---- retries
    def test_receiver_failing_first_gets_the_same_delivery_again(self):
        hook = self.create_hook("/flaky", events=["metric_value.updated"])
        self.receiver.plan["/flaky"] = [500]
        r = self.call("PUT", "/api/metric-values/bounce_rate", {"dollarsPerUnit": 12.25})
        self.assertEqual(r.status, 200, r.body[:300])
        first, second = self.receiver.wait_for("/flaky", 2)
        self.assertEqual(first[1]["x-rallyuxr-delivery"], second[1]["x-rallyuxr-delivery"])
        self.assertEqual(first[2], second[2])  # the same bytes, the same signature
        self.assertEqual(first[1]["x-rallyuxr-signature"], second[1]["x-rallyuxr-signature"])
        self.assertSigned(second)
        self.assertEqual((first[1]["x-rallyuxr-attempt"], second[1]["x-rallyuxr-attempt"]), ("1", "2"))
        ds = self.wait_delivery(hook["webhookId"], "delivered")
        self.assertEqual((ds[0]["attempts"], ds[0]["lastStatusCode"], ds[0]["lastError"]), (2, 200, None))
        time.sleep(0.3)
        self.assertEqual(len(self.receiver.at("/flaky")), 2)

    def test_receiver_too_slow_times_out_and_is_retried(self):
        hook = self.create_hook("/slow", events=["metric_value.updated"])
        release = threading.Event()
        self.receiver.hold["/slow"] = release  # the first request waits past --webhook-timeout-ms 1000
        try:
            r = self.call("PUT", "/api/metric-values/average_order_value", {"dollarsPerUnit": 2.75})
            self.assertEqual(r.status, 200, r.body[:300])
            first, second = self.receiver.wait_for("/slow", 2)
            self.assertEqual(first[1]["x-rallyuxr-delivery"], second[1]["x-rallyuxr-delivery"])
            self.assertEqual(first[2], second[2])
            ds = self.wait_delivery(hook["webhookId"], "delivered")
            self.assertEqual((ds[0]["attempts"], ds[0]["lastStatusCode"]), (2, 200))
        finally:
            release.set()

    def test_receiver_failing_always_is_recorded_failed(self):
        hook = self.create_hook("/down", events=["metric_value.updated"])
        self.receiver.plan["/down"] = [503] * 10
        r = self.call("PUT", "/api/metric-values/click_through_rate", {"dollarsPerUnit": 3.5})
        self.assertEqual(r.status, 200, r.body[:300])
        ds = self.wait_delivery(hook["webhookId"], "failed")
        self.assertEqual((ds[0]["attempts"], ds[0]["lastStatusCode"]), (3, 503))
        self.assertIn("503", ds[0]["lastError"])
        self.assertEqual(len(self.receiver.at("/down")), 3)  # --webhook-max-attempts 3

    def test_unreachable_receiver_is_retried_then_failed(self):
        # A port nobody listens on: connection refused, no status code.
        import socket
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        r = self.call("POST", "/api/webhooks", {"url": f"http://127.0.0.1:{port}/x", "events": ["metric_value.updated"],
                                                "secret": SECRET})
        hook = r.data["webhook"]
        self.assertEqual(self.call("PUT", "/api/metric-values/revenue_per_user", {"dollarsPerUnit": 1.25}).status, 200)
        ds = self.wait_delivery(hook["webhookId"], "failed")
        self.assertEqual(ds[0]["attempts"], 3)
        self.assertIsNone(ds[0]["lastStatusCode"])
        self.assertTrue(ds[0]["lastError"])

    # ---- deletion
    def test_deleted_webhook_gets_nothing(self):
        hook = self.create_hook("/gone", events=["metric_value.updated"])
        r = self.call("DELETE", f"/api/webhooks/{hook['webhookId']}")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.data, {"webhookId": hook["webhookId"], "deleted": True})
        self.assertNotIn(hook["webhookId"], [h["webhookId"] for h in self.call("GET", "/api/webhooks").data["webhooks"]])
        self.assertError(self.call("DELETE", f"/api/webhooks/{hook['webhookId']}"), 404, "NOT_FOUND")
        self.assertError(self.call("DELETE", "/api/webhooks/not-an-id"), 404, "NOT_FOUND")
        self.assertEqual(self.call("PUT", "/api/metric-values/conversion_rate", {"dollarsPerUnit": 50}).status, 200)
        self.server.wait_idle()
        self.assertEqual(self.receiver.at("/gone"), [])
        self.assertEqual(self.deliveries(hook["webhookId"])["deliveries"], [])  # its log stays readable

    def test_list_shows_no_secret(self):
        hook = self.create_hook("/listed", events=["srm.detected"])
        r = self.call("GET", "/api/webhooks")
        self.assertEqual(r.status, 200)
        mine = [h for h in r.data["webhooks"] if h["webhookId"] == hook["webhookId"]]
        self.assertEqual(mine, [hook])
        self.assertNotIn(SECRET, r.body.decode())

    # ---- roles
    def test_admin_only(self):
        hook = self.create_hook("/roles", events=["srm.detected"])
        body = {"url": self.receiver.url("/r"), "events": ["srm.detected"], "secret": SECRET}
        paths = [("GET", "/api/webhooks", None), ("POST", "/api/webhooks", body),
                 ("DELETE", f"/api/webhooks/{hook['webhookId']}", None),
                 ("GET", f"/api/webhooks/{hook['webhookId']}/deliveries", None)]
        for method, path, b in paths:
            self.assertError(self.server.request(method, path, body=b), 401, "UNAUTHORIZED")
            self.assertError(self.call(method, path, b, token=self.tokens["write"]), 403, "FORBIDDEN")
            self.assertError(self.call(method, path, b, token=API), 403, "FORBIDDEN")
            reader = self.call(method, path, b, token=self.tokens["read"])
            # A read token may not write at all (401 before the role check), nor read webhooks.
            self.assertError(reader, 403 if method == "GET" else 401, "FORBIDDEN" if method == "GET" else "UNAUTHORIZED")
        self.assertIn(hook["webhookId"], [h["webhookId"] for h in self.call("GET", "/api/webhooks").data["webhooks"]])

    # ---- validation
    def test_validation_errors(self):
        good = {"url": self.receiver.url("/v"), "events": ["analysis.completed"], "secret": SECRET}
        cases = [
            (dict(good, url="ftp://127.0.0.1/x"), "url"),
            (dict(good, url="not a url"), "url"),
            (dict(good, url="http:///nohost"), "url"),
            (dict(good, url="http://user:pw@127.0.0.1/x"), "url"),
            (dict(good, url="http://127.0.0.1/x#frag"), "url"),
            (dict(good, url="http://127.0.0.1/" + "a" * 2100), "url"),
            ({k: v for k, v in good.items() if k != "url"}, "url"),
            (dict(good, events=[]), "events"),
            (dict(good, events="analysis.completed"), "events"),
            (dict(good, events=["analysis.completed", "experiment.exploded"]), "events[1]"),
            (dict(good, events=[7]), "events[0]"),
            ({k: v for k, v in good.items() if k != "events"}, "events"),
            ({k: v for k, v in good.items() if k != "secret"}, "secret"),
            (dict(good, secret="short"), "secret"),
            (dict(good, secret=""), "secret"),
            (dict(good, format="xml"), "format"),
        ]
        before = len(self.call("GET", "/api/webhooks").data["webhooks"])
        for body, path in cases:
            e = self.assertError(self.call("POST", "/api/webhooks", body), 400, "VALIDATION_ERROR")
            self.assertIn(path, [d["path"] for d in e["details"]], (body, e))
        self.assertError(self.call("POST", "/api/webhooks", "{not json"), 400, "VALIDATION_ERROR")
        self.assertEqual(len(self.call("GET", "/api/webhooks").data["webhooks"]), before)
        # Duplicated events are kept once.
        r = self.call("POST", "/api/webhooks", dict(good, events=["srm.detected", "srm.detected"]))
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertEqual(r.data["webhook"]["events"], ["srm.detected"])
        self.call("DELETE", f"/api/webhooks/{r.data['webhook']['webhookId']}")

    def test_delivery_log_errors(self):
        self.assertError(self.call("GET", "/api/webhooks/00000000-0000-7000-8000-000000000000/deliveries"), 404,
                         "NOT_FOUND")
        self.assertError(self.call("GET", "/api/webhooks/nope/deliveries"), 404, "NOT_FOUND")
        hook = self.create_hook("/paging", events=["srm.detected"])
        for q, path in (("?limit=0", "limit"), ("?limit=101", "limit"), ("?offset=-1", "offset"),
                        ("?limit=2&limit=3", "limit")):
            e = self.assertError(self.call("GET", f"/api/webhooks/{hook['webhookId']}/deliveries{q}"), 400,
                                 "VALIDATION_ERROR")
            self.assertIn(path, [d["path"] for d in e["details"]])


class WebhookCrashTest(unittest.TestCase):
    """A server killed (SIGKILL) while a receiver holds its delivery delivers it after a restart,
    under the same delivery id (at least once)."""

    def test_killed_mid_delivery_delivers_after_restart(self):
        receiver = Receiver()
        server = Server("--api-token", API, "--webhook-retry-base-ms", "50").start()
        try:
            admin = make_token(server.database, "crash-admin", "admin")
            r = server.post("/api/webhooks", {"url": receiver.url("/held"), "events": ["metric_value.updated"],
                                              "secret": SECRET}, headers=auth(admin))
            self.assertEqual(r.status, 201, r.body[:300])
            hook_id = r.data["webhook"]["webhookId"]
            release = threading.Event()
            receiver.hold["/held"] = release
            r = server.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 44.0}, headers=auth(admin))
            self.assertEqual(r.status, 200, r.body[:300])
            (first,) = receiver.wait_for("/held", 1)
            server.stop(sig=signal.SIGKILL)  # mid-delivery: the receiver has the request, no answer yet
            release.set()
            server.start()
            got = receiver.wait_for("/held", 2, timeout=90)
            self.assertEqual(got[1][1]["x-rallyuxr-delivery"], first[1]["x-rallyuxr-delivery"])
            self.assertEqual(got[1][2], first[2])
            self.assertEqual((first[1]["x-rallyuxr-attempt"], got[1][1]["x-rallyuxr-attempt"]), ("1", "2"))
            self.assertEqual(got[1][1]["x-rallyuxr-signature"], signed(SECRET, got[1][2]))
            deadline = time.time() + 30
            while time.time() < deadline:
                ds = server.get(f"/api/webhooks/{hook_id}/deliveries", headers=auth(admin)).data["deliveries"]
                if ds and ds[0]["status"] == "delivered":
                    break
                time.sleep(0.05)
            self.assertEqual(len(ds), 1)
            self.assertEqual(ds[0]["status"], "delivered")
            self.assertEqual(ds[0]["deliveryId"], first[1]["x-rallyuxr-delivery"])
            server.wait_idle()
            self.assertEqual(len(receiver.at("/held")), 2)
        finally:
            server.stop()
            if server.tmp:
                server.tmp.cleanup()
            receiver.close()


class WebhookTlsTest(unittest.TestCase):
    """https:// receivers: delivered when the server trusts the receiver's certificate
    (--webhook-ca-file), refused (and retried, then failed) when it does not."""

    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver(tls=True)
        cls.server = Server("--api-token", API, "--webhook-retry-base-ms", "50", "--webhook-max-attempts", "2",
                            "--webhook-ca-file", TLS_CERT).start()
        cls.admin = make_token(cls.server.database, "tls-admin", "admin")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()
        cls.receiver.close()

    def hook(self, server, admin, url):
        r = server.post("/api/webhooks", {"url": url, "events": ["metric_value.updated"], "secret": SECRET},
                        headers=auth(admin))
        self.assertEqual(r.status, 201, r.body[:300])
        return r.data["webhook"]["webhookId"]

    def wait_status(self, server, admin, hook_id, status):
        deadline = time.time() + 30
        while time.time() < deadline:
            ds = server.get(f"/api/webhooks/{hook_id}/deliveries", headers=auth(admin)).data["deliveries"]
            if ds and ds[0]["status"] == status:
                return ds[0]
            time.sleep(0.05)
        raise AssertionError(f"not {status}: {ds}")

    def test_https_receiver_with_a_trusted_certificate(self):
        s = self.server
        hook_id = self.hook(s, self.admin, self.receiver.url("/tls"))
        r = s.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 61.0}, headers=auth(self.admin))
        self.assertEqual(r.status, 200, r.body[:300])
        (got,) = self.receiver.wait_for("/tls", 1)
        self.assertEqual(got[1]["x-rallyuxr-signature"], signed(SECRET, got[2]))
        self.assertEqual(json.loads(got[2])["event"], "metric_value.updated")
        d = self.wait_status(s, self.admin, hook_id, "delivered")
        self.assertEqual((d["attempts"], d["lastStatusCode"]), (1, 200))

    def test_https_receiver_with_an_untrusted_certificate_fails(self):
        # Another server that does not trust the receiver's self-signed certificate.
        other = Server("--api-token", API, "--webhook-retry-base-ms", "50", "--webhook-max-attempts", "2").start()
        try:
            admin = make_token(other.database, "tls-admin-2", "admin")
            hook_id = self.hook(other, admin, self.receiver.url("/untrusted"))
            r = other.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 62.0}, headers=auth(admin))
            self.assertEqual(r.status, 200, r.body[:300])
            d = self.wait_status(other, admin, hook_id, "failed")
            self.assertEqual(d["attempts"], 2)
            self.assertIsNone(d["lastStatusCode"])
            self.assertIn("TLS", d["lastError"])
            self.assertEqual(self.receiver.at("/untrusted"), [])  # no request got through
        finally:
            other.stop()
            if other.tmp:
                other.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
