"""Issue 16 through the running binary: links to frozen analyses, the seed frontend's compatibility
routes (current analysis, whole-object PUT, DELETE retiring a metric), and experiment decisions."""
import unittest

from harness import Server


def new_metric(server, metric_id, dollars=2.5):
    r = server.post("/api/metric-values", {
        "metricId": metric_id, "name": metric_id.replace("_", " ").title(), "dollarsPerUnit": dollars,
        "unit": "%", "description": "A metric made by the teams tests", "category": "engagement"})
    if r.status != 201:
        raise AssertionError(f"metric create failed: {r.status} {r.body[:300]}")
    return r.data["metric"]


class TeamsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r.body[:500])
        body = r.json()
        self.assertIs(body["success"], False)
        self.assertEqual(body["error"]["code"], code)
        self.assertTrue(body["error"]["requestId"])
        return body["error"]

    def complete_experiment(self, **overrides):
        exp_id = self.server.create_experiment(**overrides)
        self.server.wait_status(exp_id, ("complete",))
        self.server.wait_idle()
        return exp_id

    # ---- frozen analyses
    def test_frozen_analysis_keeps_the_values_it_used(self):
        s = self.server
        new_metric(s, "frozen_metric", dollars=3.0)
        exp_id = self.complete_experiment(metrics=["conversion_rate", "frozen_metric"])
        first = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"][0]
        self.assertEqual(first["status"], "complete")
        aid = first["analysisId"]

        r = s.get(f"/api/experiments/{exp_id}/analyses/{aid}")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.data["experiment"]["id"], exp_id)
        self.assertEqual(r.data["analysis"]["analysisId"], aid)
        self.assertIs(r.data["current"], True)
        self.assertEqual(r.data["currentAnalysisId"], aid)
        self.assertEqual(r.data["analysis"]["metricValuesSnapshot"]["frozen_metric"]["dollarsPerUnit"], 3.0)

        # A new price and a new analysis: the old link still shows the old values, marked not current.
        r = s.put("/api/metric-values/frozen_metric", {"dollarsPerUnit": 7.0})
        self.assertEqual(r.status, 200, r.body[:300])
        r = s.post(f"/api/experiments/{exp_id}/analyses")
        self.assertEqual(r.status, 202, r.body[:300])
        s.wait_idle()
        newest = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"][0]
        self.assertNotEqual(newest["analysisId"], aid)
        self.assertEqual(newest["metricValuesSnapshot"]["frozen_metric"]["dollarsPerUnit"], 7.0)

        old = s.get(f"/api/experiments/{exp_id}/analyses/{aid}").data
        self.assertIs(old["current"], False)
        self.assertEqual(old["currentAnalysisId"], newest["analysisId"])
        self.assertEqual(old["analysis"]["metricValuesSnapshot"]["frozen_metric"]["dollarsPerUnit"], 3.0)
        self.assertEqual(old["analysis"], first)

    def test_frozen_analysis_not_found(self):
        s = self.server
        exp_id = self.complete_experiment()
        other = self.complete_experiment()
        aid = s.get(f"/api/experiments/{other}/analyses").data["analyses"][0]["analysisId"]
        # Another experiment's analysis is not reachable under this one.
        self.assertError(s.get(f"/api/experiments/{exp_id}/analyses/{aid}"), 404, "NOT_FOUND")
        self.assertError(s.get(f"/api/experiments/{exp_id}/analyses/nope"), 404, "NOT_FOUND")
        self.assertError(s.get(f"/api/experiments/00000000-0000-7000-8000-000000000000/analyses/{aid}"), 404,
                         "NOT_FOUND")

    # ---- compatibility: current analysis
    def test_current_analysis_route(self):
        s = self.server
        exp_id = self.complete_experiment()
        r = s.get(f"/api/experiments/{exp_id}/analysis")
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertIs(r.json()["success"], True)
        self.assertEqual(set(r.data), {"experiment", "analysis"})
        self.assertEqual(r.data["experiment"]["id"], exp_id)
        results = s.get(f"/api/experiments/{exp_id}/results").data
        self.assertEqual(r.data["analysis"], results["analysis"])
        self.assertIn("economicImpact", r.data["analysis"])

    def test_current_analysis_404_while_none(self):
        s = self.server
        exp_id = s.create_experiment(dataSource="imported")
        self.assertError(s.get(f"/api/experiments/{exp_id}/analysis"), 404, "NOT_FOUND")
        self.assertError(s.get("/api/experiments/00000000-0000-7000-8000-000000000000/analysis"), 404, "NOT_FOUND")

    # ---- compatibility: whole-object PUT
    def test_put_accepts_the_whole_metric_object(self):
        s = self.server
        m = new_metric(s, "whole_object", dollars=1.0)
        whole = dict(m)
        whole.update({"dollarsPerUnit": 1.5, "name": "Whole Object", "lastUpdated": "2001-01-01T00:00:00Z",
                      "metricId": "something_else"})
        r = s.put("/api/metric-values/whole_object", whole)
        self.assertEqual(r.status, 200, r.body[:300])
        got = r.data["metric"]
        self.assertEqual(got["metricId"], "whole_object")  # read-only: ignored
        self.assertEqual(got["version"], m["version"] + 1)
        self.assertEqual(got["dollarsPerUnit"], 1.5)
        self.assertEqual(got["name"], "Whole Object")
        self.assertNotEqual(got["lastUpdated"], "2001-01-01T00:00:00Z")
        self.assertEqual(r.data["previousValue"], 1.0)

        # The same stale object again: 409, nothing written.
        whole["dollarsPerUnit"] = 9.0
        e = self.assertError(s.put("/api/metric-values/whole_object", whole), 409, "CONFLICT")
        self.assertEqual(e["details"][0]["path"], "version")
        now = s.get("/api/metric-values/whole_object").data["metric"]
        self.assertEqual(now["dollarsPerUnit"], 1.5)
        self.assertEqual(now["version"], got["version"])
        self.assertEqual(len(s.get("/api/metric-values/whole_object/history").data["history"]), 2)

        # With the current version it goes through.
        whole["version"] = got["version"]
        r = s.put("/api/metric-values/whole_object", whole)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.data["metric"]["dollarsPerUnit"], 9.0)
        # A bad version is a validation error.
        whole["version"] = "three"
        self.assertError(s.put("/api/metric-values/whole_object", whole), 400, "VALIDATION_ERROR")

    # ---- compatibility: DELETE retires
    def test_delete_retires_a_metric(self):
        s = self.server
        new_metric(s, "retire_me", dollars=4.0)
        exp_id = self.complete_experiment(metrics=["conversion_rate", "retire_me"])
        draft = s.create_experiment(dataSource="imported", metrics=["retire_me"])

        # In use by a draft experiment: refused, nothing changes.
        e = self.assertError(s.request("DELETE", "/api/metric-values/retire_me"), 409, "CONFLICT")
        self.assertIn(f"experiments.{draft}", [d["path"] for d in e["details"]])
        self.assertFalse(s.get("/api/metric-values/retire_me").data["metric"]["retired"])

        self.assertEqual(s.post(f"/api/experiments/{draft}/archive").status, 200)
        r = s.request("DELETE", "/api/metric-values/retire_me")
        self.assertEqual(r.status, 200, r.body[:300])
        m = r.data["metric"]
        self.assertIs(m["retired"], True)
        self.assertIn("retiredAt", m)

        # Hidden from the catalogue, still readable with its history.
        ids = [x["metricId"] for x in s.get("/api/metric-values").data["metrics"]]
        self.assertNotIn("retire_me", ids)
        ids = [x["metricId"] for x in s.get("/api/metric-values?includeRetired=true").data["metrics"]]
        self.assertIn("retire_me", ids)
        hist = s.get("/api/metric-values/retire_me/history").data["history"]
        self.assertEqual(len(hist), 2)
        self.assertEqual(s.get("/api/metric-values/retire_me").data["metric"]["dollarsPerUnit"], 4.0)

        # Past analyses keep it.
        a = s.get(f"/api/experiments/{exp_id}/analysis").data["analysis"]
        self.assertEqual(a["metricValuesSnapshot"]["retire_me"]["dollarsPerUnit"], 4.0)

        # Refused for new experiments; updates refused; retiring again is idempotent.
        r = s.post("/api/experiments", {
            "name": "Uses a retired metric", "description": "Should be refused",
            "metrics": ["conversion_rate", "retire_me"], "startDate": "2025-01-15", "endDate": "2025-01-29",
            "expectedOutcome": "positive"})
        e = self.assertError(r, 400, "VALIDATION_ERROR")
        self.assertEqual(e["details"][0]["path"], "metrics.1")
        self.assertIn("retired", e["details"][0]["message"])
        self.assertError(s.put("/api/metric-values/retire_me", {"dollarsPerUnit": 5}), 409, "CONFLICT")
        r = s.request("DELETE", "/api/metric-values/retire_me")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.data["metric"]["version"], m["version"])

        self.assertError(s.request("DELETE", "/api/metric-values/no_such_metric"), 404, "NOT_FOUND")

    def test_cors_preflight_allows_delete(self):
        r = self.server.request("OPTIONS", "/api/metric-values/conversion_rate", headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "DELETE"})
        self.assertIn(r.status, (200, 204))
        self.assertIn("DELETE", r.headers.get("access-control-allow-methods", ""))

    # ---- decisions
    def test_decision_recorded_revised_and_shown_everywhere(self):
        s = self.server
        exp_id = self.complete_experiment()
        d = s.get(f"/api/experiments/{exp_id}/decisions").data
        self.assertIsNone(d["decision"])
        self.assertEqual(d["history"], [])
        self.assertNotIn("decision", s.get(f"/api/experiments/{exp_id}").data["experiment"])

        r = s.post(f"/api/experiments/{exp_id}/decision", {"decision": "ship", "reason": "Clear win on revenue"})
        self.assertEqual(r.status, 201, r.body[:300])
        first = r.data["decision"]
        self.assertEqual(first["decision"], "ship")
        self.assertEqual(first["reason"], "Clear win on revenue")
        self.assertIsNone(first["decidedBy"])  # an open server names nobody
        self.assertRegex(first["decidedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(r.data["experiment"]["decision"], first)

        r = s.post(f"/api/experiments/{exp_id}/decision", {"decision": "iterate", "reason": "Guardrail, \"latency\", regressed"})
        self.assertEqual(r.status, 201, r.body[:300])
        second = r.data["decision"]
        d = s.get(f"/api/experiments/{exp_id}/decisions").data
        self.assertEqual(d["decision"], second)
        self.assertEqual(d["history"], [second, first])

        # The current decision is in the experiment wherever it appears.
        self.assertEqual(s.get(f"/api/experiments/{exp_id}").data["experiment"]["decision"], second)
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/results").data["experiment"]["decision"], second)
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/analysis").data["experiment"]["decision"], second)
        listed = [e for e in s.get("/api/experiments?limit=100").data["experiments"] if e["id"] == exp_id]
        self.assertEqual(listed[0]["decision"], second)

        # The export carries it in four columns after the standard ones.
        csv = s.get(f"/api/experiments/{exp_id}/analysis.csv").body.decode()
        lines = csv.strip().split("\n")
        self.assertTrue(lines[0].endswith(",warnings,decision,decisionReason,decidedBy,decidedAt"), lines[0])
        self.assertIn(',iterate,"Guardrail, ""latency"", regressed",,', lines[1])

        # Its event is in the pipeline's log.
        events = [e["eventType"] for e in s.get(f"/api/experiments/{exp_id}/events").data["events"]]
        self.assertEqual(events.count("EXPERIMENT_DECIDED"), 2)

        # Archived experiments can still be decided.
        self.assertEqual(s.post(f"/api/experiments/{exp_id}/archive").status, 200)
        r = s.post(f"/api/experiments/{exp_id}/decision", {"decision": "rollback", "reason": "Reverted after review"})
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertEqual(len(s.get(f"/api/experiments/{exp_id}/decisions").data["history"]), 3)

    def test_decision_rules(self):
        s = self.server
        exp_id = self.complete_experiment()
        e = self.assertError(s.post(f"/api/experiments/{exp_id}/decision", {"decision": "maybe", "reason": "x"}),
                             400, "VALIDATION_ERROR")
        self.assertEqual(e["details"][0]["path"], "decision")
        e = self.assertError(s.post(f"/api/experiments/{exp_id}/decision", {"decision": "ship"}), 400, "VALIDATION_ERROR")
        self.assertEqual(e["details"][0]["path"], "reason")
        self.assertError(s.post("/api/experiments/00000000-0000-7000-8000-000000000000/decision",
                                {"decision": "ship", "reason": "x"}), 404, "NOT_FOUND")
        # A draft (imported, no data) cannot be decided; nothing is recorded.
        draft = s.create_experiment(dataSource="imported")
        e = self.assertError(s.post(f"/api/experiments/{draft}/decision", {"decision": "ship", "reason": "Too early"}),
                             409, "CONFLICT")
        self.assertIn("draft", e["message"])
        self.assertEqual(s.get(f"/api/experiments/{draft}/decisions").data["history"], [])
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/decisions").data["history"], [])


if __name__ == "__main__":
    unittest.main()
