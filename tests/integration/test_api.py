"""Every endpoint of the contract through the running binary: shapes, statuses, errors, restarts."""
import json
import socket
import time
import unittest

from harness import Server, ServerTestCase

EXPERIMENT_KEYS = {"id", "name", "description", "status", "metrics", "startDate", "endDate",
                   "expectedOutcome", "createdAt", "updatedAt", "implementationCost",
                   "confidenceLevel", "trafficSplit", "dataSource"}


class ApiTest(ServerTestCase):
    def assertError(self, r, status, code=None):
        self.assertEqual(r.status, status, r.body[:500])
        body = r.json()
        self.assertIs(body["success"], False)
        self.assertIn("message", body["error"])
        self.assertTrue(body["error"]["requestId"])
        self.assertEqual(r.headers["x-request-id"], body["error"]["requestId"])
        if code:
            self.assertEqual(body["error"]["code"], code)
        return body["error"]

    # ---- experiments
    def test_create_returns_contract_shape(self):
        r = self.server.post("/api/experiments", {
            "name": "Button Color A/B Test", "description": "Testing red vs blue CTA button",
            "metrics": ["conversion_rate", "click_through_rate"], "startDate": "2025-01-15",
            "endDate": "2025-01-29", "expectedOutcome": "positive"})
        self.assertEqual(r.status, 201, r.body)
        body = r.json()
        self.assertIs(body["success"], True)
        d = body["data"]
        self.assertEqual(d["status"], "draft")
        self.assertEqual(d["message"], "Experiment created successfully")
        self.assertRegex(d["estimatedCompletionTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(d["experimentId"], r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        g = self.server.get(f"/api/experiments/{d['experimentId']}")
        self.assertEqual(g.status, 200)
        e = g.data["experiment"]
        self.assertTrue(EXPERIMENT_KEYS <= set(e), set(e))
        self.assertEqual(e["startDate"], "2025-01-15T00:00:00Z")
        self.assertEqual(e["endDate"], "2025-01-29T00:00:00Z")
        self.assertEqual(e["confidenceLevel"], 95)
        self.assertEqual(e["trafficSplit"], 0.5)
        self.assertEqual(e["dataSource"], "simulated")
        self.assertIsNone(e["implementationCost"])
        self.assertIn("hasResults", g.data)
        self.assertIn("hasAnalysis", g.data)

    def test_optional_fields_are_stored_and_returned(self):
        exp_id = self.server.create_experiment(
            implementationCost=12500.5, confidenceLevel=90, trafficSplit=0.3,
            startDate="2025-02-01T00:00:00Z", endDate="2025-02-08T12:00:00+02:00")
        e = self.server.get(f"/api/experiments/{exp_id}").data["experiment"]
        self.assertEqual(e["implementationCost"], 12500.5)
        self.assertEqual(e["confidenceLevel"], 90)
        self.assertEqual(e["trafficSplit"], 0.3)
        self.assertEqual(e["endDate"], "2025-02-08T10:00:00Z")

    def test_imported_experiment_gets_no_simulated_data(self):
        exp_id = self.server.create_experiment(dataSource="imported")
        time.sleep(0.3)
        d = self.server.get(f"/api/experiments/{exp_id}").data
        self.assertEqual(d["experiment"]["status"], "draft")
        self.assertFalse(d["hasResults"])
        r = self.server.get(f"/api/experiments/{exp_id}/results").data
        self.assertIsNone(r["results"])
        self.assertIsNone(r["analysis"])

    def test_validation_lists_every_field(self):
        r = self.server.post("/api/experiments", {
            "name": "", "description": 5, "metrics": ["conversion_rate", "nope", "conversion_rate"],
            "startDate": "2025-13-01", "endDate": "tomorrow", "expectedOutcome": "great",
            "confidenceLevel": 120, "trafficSplit": 0, "implementationCost": -1, "dataSource": "x"})
        err = self.assertError(r, 400, "VALIDATION_ERROR")
        paths = {d["path"] for d in err["details"]}
        for p in ["name", "description", "metrics.1", "metrics.2", "startDate", "endDate",
                  "expectedOutcome", "confidenceLevel", "trafficSplit", "implementationCost", "dataSource"]:
            self.assertIn(p, paths)
        for d in err["details"]:
            self.assertTrue(d["message"])

    def test_default_catalogue_value_groups(self):
        by_id = {m["metricId"]: m for m in self.server.get("/api/metric-values").data["metrics"]}
        groups = {mid for mid, m in by_id.items() if m["valueGroup"] == "orders"}
        if not groups:
            self.skipTest("the store does not keep valueGroup yet (pipeline work)")
        self.assertEqual(groups, {"conversion_rate", "revenue_per_user", "average_order_value",
                                  "cart_abandonment_rate"})

    def test_analysis_design_and_guardrails(self):
        base = {"name": "n", "description": "d", "metrics": ["conversion_rate", "bounce_rate"],
                "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "neutral",
                "dataSource": "imported"}
        r = self.server.post("/api/experiments", dict(base, analysisDesign="paired", guardrailMetrics=["bounce_rate"]))
        self.assertEqual(r.status, 201, r.body)
        e = r.data["experiment"]
        self.assertEqual(e["analysisDesign"], "paired")
        self.assertEqual(e["guardrailMetrics"], ["bounce_rate"])
        d = self.server.post("/api/experiments", base).data["experiment"]
        self.assertEqual(d["analysisDesign"], "did")  # the default
        self.assertEqual(d["guardrailMetrics"], [])
        cases = [
            ({"analysisDesign": "bayesian"}, "analysisDesign"),
            ({"analysisDesign": 3}, "analysisDesign"),
            ({"guardrailMetrics": "bounce_rate"}, "guardrailMetrics"),
            ({"guardrailMetrics": ["revenue_per_user"]}, "guardrailMetrics.0"),  # not one of the metrics
            ({"guardrailMetrics": ["bounce_rate", "bounce_rate"]}, "guardrailMetrics.1"),
            ({"guardrailMetrics": [1]}, "guardrailMetrics.0"),
        ]
        for overrides, path in cases:
            err = self.assertError(self.server.post("/api/experiments", dict(base, **overrides)), 400,
                                   "VALIDATION_ERROR")
            self.assertIn(path, {x["path"] for x in err["details"]}, (overrides, err))

    def test_dates_rules(self):
        cases = [
            ({"startDate": "2025-01-29", "endDate": "2025-01-15"}, "endDate"),
            ({"startDate": "2025-01-01", "endDate": "2026-01-03"}, "endDate"),   # 367 days
            ({"startDate": "2025-01-01T10:00:00", "endDate": "2025-01-03"}, "startDate"),  # no zone
            ({"metrics": []}, "metrics"),
            ({"metrics": ["conversion_rate"] * 11}, "metrics"),
            ({"name": "x" * 201}, "name"),
            ({"description": "x" * 1001}, "description"),
        ]
        for overrides, path in cases:
            body = {"name": "n", "description": "d", "metrics": ["conversion_rate"], "startDate": "2025-01-15",
                    "endDate": "2025-01-29", "expectedOutcome": "neutral"}
            body.update(overrides)
            r = self.server.post("/api/experiments", body)
            err = self.assertError(r, 400, "VALIDATION_ERROR")
            self.assertIn(path, {d["path"] for d in err["details"]}, (overrides, err))
        # 366 days is allowed, unknown fields are ignored
        ok = self.server.post("/api/experiments", {
            "name": "n", "description": "", "metrics": ["conversion_rate"], "startDate": "2024-01-01",
            "endDate": "2025-01-01", "expectedOutcome": "neutral", "dataSource": "imported", "whatever": 1})
        self.assertEqual(ok.status, 201, ok.body)

    def test_malformed_and_wrong_media_type(self):
        self.assertError(self.server.post("/api/experiments", "{not json",
                                          headers={"Content-Type": "application/json"}), 400, "VALIDATION_ERROR")
        self.assertError(self.server.post("/api/experiments", "[1,2]",
                                          headers={"Content-Type": "application/json"}), 400)
        self.assertError(self.server.post("/api/experiments", "name=x",
                                          headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
        self.assertError(self.server.post("/api/experiments", "", headers={"Content-Type": "application/json"}), 400)

    def test_body_limit_413(self):
        big = json.dumps({"name": "x", "description": "y" * (1024 * 1024 + 10)})
        r = self.server.post("/api/experiments", big, headers={"Content-Type": "application/json"})
        self.assertError(r, 413)
        self.assertEqual(self.server.get("/api/health").status, 200)

    def test_list_pagination_and_summary(self):
        ids = [self.server.create_experiment(name=f"Paged {i}") for i in range(5)]
        r = self.server.get("/api/experiments?limit=2&offset=0&q=Paged")
        self.assertEqual(r.status, 200)
        d = r.data
        self.assertEqual([e["id"] for e in d["experiments"]], [ids[4], ids[3]])  # newest first
        self.assertEqual(d["pagination"], {"total": 5, "limit": 2, "offset": 0, "hasMore": True})
        last = self.server.get("/api/experiments?limit=2&offset=4&q=paged").data
        self.assertEqual([e["id"] for e in last["experiments"]], [ids[0]])
        self.assertFalse(last["pagination"]["hasMore"])
        for k in ["totalExperiments", "completedExperiments", "totalEconomicImpact"]:
            self.assertIn(k, d["summary"])
        default = self.server.get("/api/experiments").data
        self.assertEqual(default["pagination"]["limit"], 20)
        self.assertEqual(default["pagination"]["offset"], 0)

    def test_list_rejects_bad_pagination(self):
        for q in ["limit=0", "limit=101", "limit=abc", "limit=1.5", "offset=-1", "offset=x",
                  "limit=-5", "status=nope", "limit=99999999999999999999"]:
            err = self.assertError(self.server.get(f"/api/experiments?{q}"), 400, "VALIDATION_ERROR")
            self.assertTrue(err["details"], q)

    def test_status_filter_and_archive(self):
        exp_id = self.server.create_experiment(name="To archive")
        self.server.wait_status(exp_id)
        before = self.server.get("/api/experiments?limit=100").data
        r = self.server.post(f"/api/experiments/{exp_id}/archive")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.data["experiment"]["status"], "archived")
        after = self.server.get("/api/experiments?limit=100").data
        self.assertNotIn(exp_id, [e["id"] for e in after["experiments"]])
        self.assertEqual(after["summary"]["totalExperiments"], before["summary"]["totalExperiments"] - 1)
        archived = self.server.get("/api/experiments?status=archived").data
        self.assertIn(exp_id, [e["id"] for e in archived["experiments"]])
        self.assertError(self.server.post(f"/api/experiments/{exp_id}/archive"), 409, "CONFLICT")
        complete = self.server.get("/api/experiments?status=complete&limit=100").data
        self.assertTrue(all(e["status"] == "complete" for e in complete["experiments"]))

    def test_unknown_ids_and_routes(self):
        self.assertError(self.server.get("/api/experiments/00000000-0000-7000-8000-000000000000"), 404, "NOT_FOUND")
        self.assertError(self.server.get("/api/experiments/not-a-uuid/results"), 404, "NOT_FOUND")
        self.assertError(self.server.get("/api/nothing-here"), 404, "NOT_FOUND")
        self.assertError(self.server.get("/api/metric-values/nope/history"), 404, "NOT_FOUND")
        self.assertError(self.server.put("/api/metric-values/nope", {"dollarsPerUnit": 5}), 404)

    def test_wrong_method_405_with_allow(self):
        r = self.server.request("DELETE", "/api/experiments")
        self.assertError(r, 405, "METHOD_NOT_ALLOWED")
        self.assertIn("GET", r.headers["allow"])
        self.assertIn("POST", r.headers["allow"])
        r = self.server.request("PATCH", "/api/metric-values/conversion_rate")
        self.assertError(r, 405)
        self.assertIn("PUT", r.headers["allow"])

    def test_cors_and_request_id(self):
        r = self.server.request("OPTIONS", "/api/experiments", headers={
            "Origin": "https://example.test", "Access-Control-Request-Method": "POST"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.headers["access-control-allow-origin"], "*")
        self.assertIn("POST", r.headers["access-control-allow-methods"])
        g = self.server.get("/api/metric-values", headers={"X-Request-Id": "trace-abc.123"})
        self.assertEqual(g.headers["x-request-id"], "trace-abc.123")
        self.assertEqual(g.headers["access-control-allow-origin"], "*")
        bad = self.server.get("/api/metric-values", headers={"X-Request-Id": "bad id with spaces"})
        self.assertNotEqual(bad.headers["x-request-id"], "bad id with spaces")
        self.assertTrue(bad.headers["x-request-id"])

    def test_keep_alive(self):
        # One TCP connection serves every request: http.client reconnects silently when a response
        # closes the connection, so check that the socket (and its local port) never changes and
        # that no response announced a close.
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        conn.connect()
        sock = conn.sock
        local = sock.getsockname()
        try:
            for i, path in enumerate(["/api/health", "/api/metric-values", "/api/experiments",
                                      "/api/health", "/api/metric-values/conversion_rate"]):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200, path)
                self.assertNotEqual((r.getheader("Connection") or "").lower(), "close", path)
                self.assertFalse(r.will_close, f"response {i} ({path}) closes the connection")
                self.assertIs(conn.sock, sock, f"request {i} ({path}) went over a new connection")
                self.assertEqual(conn.sock.getsockname(), local)
        finally:
            conn.close()
        # The same over a raw socket: five requests written one after the other on one connection,
        # five complete responses read back from it.
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            f = s.makefile("rb")
            for i in range(5):
                s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                status = f.readline()
                self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
                length = None
                while True:
                    line = f.readline()
                    self.assertTrue(line, f"connection closed during response {i}")
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                    if name.strip().lower() == "connection":
                        self.assertNotEqual(value.strip().lower(), "close")
                self.assertIsNotNone(length, "no Content-Length")
                self.assertEqual(len(f.read(length)), length)

    # ---- metric values
    def test_default_catalogue(self):
        d = self.server.get("/api/metric-values").data
        ids = {m["metricId"] for m in d["metrics"]}
        for mid in ["conversion_rate", "revenue_per_user", "click_through_rate", "average_order_value",
                    "time_on_page", "bounce_rate", "engagement_score", "form_completion_rate",
                    "page_load_time", "customer_lifetime_value", "cart_abandonment_rate"]:
            self.assertIn(mid, ids)
        self.assertEqual(d["totalMetrics"], len(d["metrics"]))
        self.assertTrue(set(d["categories"]) <= {"conversion", "revenue", "engagement", "retention", "other"})
        by_id = {m["metricId"]: m for m in d["metrics"]}
        for mid in ["bounce_rate", "page_load_time", "cart_abandonment_rate"]:
            self.assertEqual(by_id[mid]["improvementDirection"], "decrease")
        self.assertEqual(by_id["conversion_rate"]["improvementDirection"], "increase")
        self.assertEqual(by_id["conversion_rate"]["unitSize"], 0.01)
        for mid in by_id:
            self.assertIn("valueGroup", by_id[mid])
        self.assertEqual(by_id["average_order_value"]["unitSize"], 1)
        for m in d["metrics"]:
            for k in ["metricId", "dollarsPerUnit", "unit", "name", "description", "category", "lastUpdated", "version"]:
                self.assertIn(k, m)
            self.assertGreater(m["dollarsPerUnit"], 0)

    def test_metric_value_create_conflict_and_validation(self):
        body = {"metricId": "newsletter_signups", "name": "Newsletter Signups", "dollarsPerUnit": 2.5,
                "unit": "signups", "description": "Each signup is worth $2.50 in lifetime value",
                "category": "retention"}
        r = self.server.post("/api/metric-values", body)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.data["metric"]["version"], 1)
        self.assertEqual(r.data["metric"]["improvementDirection"], "increase")
        self.assertError(self.server.post("/api/metric-values", body), 409, "CONFLICT")
        h = self.server.get("/api/metric-values/newsletter_signups/history").data["history"]
        self.assertEqual([x["version"] for x in h], [1])
        bad = self.server.post("/api/metric-values", {"metricId": "Bad-Id", "dollarsPerUnit": 0, "unit": "",
                                                      "description": "short", "category": "money", "name": ""})
        err = self.assertError(bad, 400, "VALIDATION_ERROR")
        self.assertEqual({d["path"] for d in err["details"]},
                         {"metricId", "dollarsPerUnit", "unit", "description", "category", "name"})

    def test_metric_value_update_history_and_impacted(self):
        self.server.post("/api/metric-values", {
            "metricId": "trial_starts", "name": "Trial Starts", "dollarsPerUnit": 10, "unit": "trials",
            "description": "Each trial start converts to paid 20% of the time", "category": "conversion"})
        draft = self.server.create_experiment(name="Imported tracker", metrics=["trial_starts"], dataSource="imported")
        r = self.server.put("/api/metric-values/trial_starts", {"dollarsPerUnit": 12.5, "changeReason": "Q3 pricing"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.data["previousValue"], 10)
        self.assertEqual(r.data["metric"]["version"], 2)
        self.assertEqual(r.data["metric"]["dollarsPerUnit"], 12.5)
        self.assertEqual(r.data["impactedExperiments"], 1)
        r = self.server.put("/api/metric-values/trial_starts", {"dollarsPerUnit": 11})
        h = self.server.get("/api/metric-values/trial_starts/history").data["history"]
        self.assertEqual([x["version"] for x in h], [3, 2, 1])
        self.assertEqual([x["dollarsPerUnit"] for x in h], [11, 12.5, 10])
        self.assertEqual(h[1]["changeReason"], "Q3 pricing")
        self.assertNotIn("changeReason", h[0])
        err = self.assertError(self.server.put("/api/metric-values/trial_starts", {"dollarsPerUnit": -3}), 400)
        self.assertEqual(err["details"][0]["path"], "dollarsPerUnit")
        self.assertEqual(self.server.get(f"/api/experiments/{draft}").status, 200)

    def test_metric_value_validation_rules(self):
        self.server.post("/api/metric-values", {
            "metricId": "ruled_metric", "name": "Ruled", "dollarsPerUnit": 5, "unit": "x",
            "description": "A metric with validation rules", "category": "other",
            "validationRules": {"minValue": 1, "maxValue": 100, "decimalPlaces": 2}})
        self.assertError(self.server.put("/api/metric-values/ruled_metric", {"dollarsPerUnit": 500}), 400)
        self.assertError(self.server.put("/api/metric-values/ruled_metric", {"dollarsPerUnit": 5.123}), 400)
        ok = self.server.put("/api/metric-values/ruled_metric", {"dollarsPerUnit": 5.12})
        self.assertEqual(ok.status, 200, ok.body)
        self.assertEqual(ok.data["metric"]["validationRules"], {"minValue": 1, "maxValue": 100, "decimalPlaces": 2})

    # ---- system
    def test_health(self):
        r = self.server.get("/api/health")
        self.assertEqual(r.status, 200)
        d = r.data
        self.assertEqual(d["status"], "healthy")
        self.assertEqual(set(d["services"]), {"database", "analysisEngine", "resultsGenerator"})
        self.assertEqual(d["services"]["database"], "healthy")
        self.assertTrue(d["version"])
        self.assertRegex(d["timestamp"], r"Z$")

    def test_openapi_describes_every_route(self):
        r = self.server.get("/api/openapi.json")
        self.assertEqual(r.status, 200)
        doc = r.json()
        self.assertTrue(doc["openapi"].startswith("3.1"))
        paths = doc["paths"]
        expected = {
            ("post", "/experiments"), ("get", "/experiments"), ("get", "/experiments/{id}"),
            ("get", "/experiments/{id}/results"), ("get", "/experiments/{id}/events"),
            ("get", "/experiments/{id}/analyses"), ("post", "/experiments/{id}/analyses"),
            ("post", "/experiments/{id}/archive"), ("get", "/metric-values"), ("post", "/metric-values"),
            ("get", "/metric-values/{id}"), ("put", "/metric-values/{id}"),
            ("get", "/metric-values/{id}/history"), ("get", "/health"), ("get", "/openapi.json"),
        }
        # Every route the server registers answers something other than 404-no-such-endpoint for
        # its method, and is described.
        for method, path in expected:
            self.assertIn(path, paths, path)
            self.assertIn(method, paths[path], (method, path))
        # The reverse: every described path is served (no stale documentation).
        for path, ops in paths.items():
            concrete = path.replace("{id}", "00000000-0000-7000-8000-000000000000")
            for method in ops:
                if method not in {"get", "post", "put", "delete"}:
                    continue
                r = self.server.request(method.upper(), "/api" + concrete, body="{}",
                                        headers={"Content-Type": "application/json"})
                self.assertNotEqual(r.status, 405, (method, path))
                if r.status == 404:
                    self.assertNotIn("No such endpoint", r.json()["error"]["message"], (method, path))


class RestartTest(unittest.TestCase):
    def test_data_survives_restart(self):
        s = Server()
        try:
            s.start()
            exp_id = s.create_experiment(name="Survivor")
            s.wait_status(exp_id)
            s.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 18000, "changeReason": "restart test"})
            before = s.get(f"/api/experiments/{exp_id}/results").data
            self.assertEqual(s.stop(), 0)  # clean exit on SIGTERM
            s.start()
            after = s.get(f"/api/experiments/{exp_id}/results").data
            self.assertEqual(before, after)
            h = s.get("/api/metric-values/conversion_rate/history").data["history"]
            self.assertEqual(h[0]["changeReason"], "restart test")
            self.assertEqual(len(s.get("/api/metric-values").data["metrics"]), 11)  # not seeded twice
        finally:
            s.stop()
            s.tmp.cleanup()

    def test_port_in_use_is_a_clear_error(self):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            s = Server(port=blocker.getsockname()[1])
            with self.assertRaises(RuntimeError) as ctx:
                s.start(timeout=5)
            self.assertIn("cannot listen", str(ctx.exception))
            s.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
