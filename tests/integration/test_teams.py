"""Issue 16 through the running binary: links to frozen analyses, the seed frontend's compatibility
routes (current analysis, whole-object PUT, DELETE retiring a metric), and experiment decisions."""
import unittest

from harness import Server, ServerTestCase


def new_metric(server, metric_id, dollars=2.5):
    r = server.post("/api/metric-values", {
        "metricId": metric_id, "name": metric_id.replace("_", " ").title(), "dollarsPerUnit": dollars,
        "unit": "%", "description": "A metric made by the teams tests", "category": "engagement"})
    if r.status != 201:
        raise AssertionError(f"metric create failed: {r.status} {r.body[:300]}")
    return r.data["metric"]


class TeamsTest(ServerTestCase):
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
        self.assertTrue(lines[0].endswith(",warnings,dataSource,decision,decisionReason,decidedBy,decidedAt"), lines[0])
        self.assertIn(',simulated,iterate,"Guardrail, ""latency"", regressed",,', lines[1])

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

    # ---- audit
    def test_audit_records_every_write_newest_first(self):
        s = self.server
        new_metric(s, "audited_metric", dollars=2.0)
        r = s.put("/api/metric-values/audited_metric", {"dollarsPerUnit": 2.5, "changeReason": "Q3 review"})
        self.assertEqual(r.status, 200)
        exp_id = s.create_experiment(dataSource="imported", metrics=["audited_metric"])
        upload = {"metrics": {"audited_metric": {"timeSeries": [
            {"timestamp": "2025-01-15T00:00:00Z", "treatmentValue": 1, "controlValue": 1,
             "treatmentSampleSize": 10, "controlSampleSize": 10}]}}}
        r = s.put(f"/api/experiments/{exp_id}/results", upload)
        self.assertEqual(r.status, 200, r.body[:300])
        s.wait_idle()
        self.assertEqual(s.post(f"/api/experiments/{exp_id}/analyses").status, 202)
        s.wait_idle()

        mine = [e for e in s.get("/api/audit?limit=100").data["entries"] if e["entityId"] in (exp_id, "audited_metric")]
        actions = [e["action"] for e in mine]
        self.assertEqual(actions[:5], ["analysis.requested", "results.uploaded", "experiment.created",
                                       "metric_value.updated", "metric_value.created"], actions)
        upd = mine[3]
        self.assertIsNone(upd["actor"])
        self.assertEqual(upd["entity"], "metric_value")
        self.assertIn("Q3 review", upd["summary"])
        self.assertIn({"field": "dollarsPerUnit", "from": 2, "to": 2.5}, upd["changes"])
        self.assertRegex(upd["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(mine[1]["changes"], [{"field": "resultsVersion", "from": None, "to": 1}])

        # Filters and pages.
        only = s.get("/api/audit?entity=metric_value&limit=100").data["entries"]
        self.assertTrue(only and all(e["entity"] == "metric_value" for e in only))
        page = s.get("/api/audit?limit=2&offset=1").data
        self.assertEqual(len(page["entries"]), 2)
        self.assertEqual(page["pagination"]["limit"], 2)
        self.assertEqual(page["pagination"]["offset"], 1)
        self.assertGreaterEqual(page["pagination"]["total"], 5)
        self.assertIs(page["pagination"]["hasMore"], True)
        full = s.get("/api/audit?limit=3").data["entries"]
        self.assertEqual(page["entries"], full[1:3])
        self.assertEqual(s.get("/api/audit?actor=nobody-at-all").data["entries"], [])
        for bad in ("limit=0", "limit=101", "offset=-1", "entity=jobs", "limit=1&limit=2"):
            self.assertError(s.get(f"/api/audit?{bad}"), 400, "VALIDATION_ERROR")


def run_cli(*args, database):
    import subprocess
    from harness import BIN
    return subprocess.run([BIN, "token", *args, "--database", database], capture_output=True, text=True, timeout=60)


class TokensTest(ServerTestCase):
    """Named tokens with roles, made by the CLI (the first admin) and by /api/tokens."""

    API = "0123456789abcdef-api-token"
    SERVER_ARGS = ("--api-token", API)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = cls.server.database
        cls.db = db
        r = run_cli("create", "--name", "root", "--role", "admin", database=db)
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        cls.admin = r.stdout.strip()

    def auth(self, token):
        return {"Authorization": f"Bearer {token}"}

    def make(self, name, role):
        r = self.server.post("/api/tokens", {"name": name, "role": role}, headers=self.auth(self.admin))
        self.assertEqual(r.status, 201, r.body[:300])
        return r.data["token"]

    def test_cli_prints_the_token_once_and_stores_only_its_hash(self):
        self.assertRegex(self.admin, r"^rux_[A-Za-z0-9_-]{43}$")
        listed = run_cli("list", database=self.db)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn("root", listed.stdout)
        self.assertNotIn(self.admin, listed.stdout)
        # Nowhere in the database file or the server's log in clear.
        if self.db.startswith("sqlite:"):
            import glob
            for path in glob.glob(self.db[len("sqlite:"):] + "*"):
                with open(path, "rb") as f:
                    self.assertNotIn(self.admin.encode(), f.read())
        self.assertNotIn(self.admin, self.server.read_log())
        # A name in use is refused.
        again = run_cli("create", "--name", "root", "--role", "read", database=self.db)
        self.assertNotEqual(again.returncode, 0)

    def test_roles_on_reads_writes_and_admin_routes(self):
        s = self.server
        reader = self.make("reader-1", "read")
        writer = self.make("writer-1", "write")
        body = {"name": "Token test", "description": "Made with a named token", "metrics": ["conversion_rate"],
                "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "positive"}
        # Writes: no token or a read token is refused; a write token works and is recorded.
        self.assertEqual(s.post("/api/experiments", body).status, 401)
        self.assertEqual(s.post("/api/experiments", body, headers=self.auth(reader)).status, 401)
        self.assertEqual(s.post("/api/experiments", body, headers=self.auth("rux_not-a-token")).status, 401)
        r = s.post("/api/experiments", body, headers=self.auth(writer))
        self.assertEqual(r.status, 201, r.body[:300])
        exp_id = r.data["experimentId"]
        self.assertEqual(s.get(f"/api/experiments/{exp_id}", headers=self.auth(reader)).data["experiment"]["createdBy"],
                         "writer-1")
        # The unnamed --api-token still writes, as nobody.
        r = s.post("/api/experiments", body, headers=self.auth(self.API))
        self.assertEqual(r.status, 201)
        self.assertNotIn("createdBy", s.get(f"/api/experiments/{r.data['experimentId']}").data["experiment"])
        # Metric values: updatedBy is the token's name, whatever the body says.
        r = s.put("/api/metric-values/click_through_rate", {"dollarsPerUnit": 3.5, "updatedBy": "someone-else"},
                  headers=self.auth(writer))
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.data["metric"]["updatedBy"], "writer-1")
        hist = s.get("/api/metric-values/click_through_rate/history").data["history"]
        self.assertEqual(max(hist, key=lambda h: h["version"])["updatedBy"], "writer-1")
        # Admin routes: 401 without a token, 403 below admin.
        self.assertEqual(s.get("/api/tokens").status, 401)
        self.assertEqual(s.get("/api/tokens", headers=self.auth(writer)).status, 403)
        self.assertEqual(s.get("/api/tokens", headers=self.auth(self.API)).status, 403)
        r = s.post("/api/tokens", {"name": "x", "role": "admin"}, headers=self.auth(writer))
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["code"], "FORBIDDEN")
        listed = s.get("/api/tokens", headers=self.auth(self.admin)).data["tokens"]
        names = {t["name"]: t for t in listed}
        self.assertEqual(names["writer-1"]["role"], "write")
        self.assertEqual(names["writer-1"]["createdBy"], "root")
        self.assertNotIn(writer, s.get("/api/tokens", headers=self.auth(self.admin)).body.decode())

    def test_revoke_through_the_api_and_the_cli(self):
        s = self.server
        t = self.make("short-lived", "write")
        body = {"dollarsPerUnit": 1000}
        self.assertEqual(s.put("/api/metric-values/conversion_rate", body, headers=self.auth(t)).status, 200)
        r = s.request("DELETE", "/api/tokens/short-lived", headers=self.auth(self.admin))
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(s.put("/api/metric-values/conversion_rate", body, headers=self.auth(t)).status, 401)
        self.assertEqual(s.request("DELETE", "/api/tokens/short-lived", headers=self.auth(self.admin)).status, 404)
        # The name can be given again; the CLI revokes too.
        t2 = self.make("short-lived", "write")
        self.assertEqual(s.put("/api/metric-values/conversion_rate", body, headers=self.auth(t2)).status, 200)
        r = run_cli("revoke", "--name", "short-lived", database=self.db)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(s.put("/api/metric-values/conversion_rate", body, headers=self.auth(t2)).status, 401)
        # Revocations are audited, with who did them.
        revs = [e for e in s.get("/api/audit?entity=token&limit=100").data["entries"] if e["action"] == "token.revoked"]
        self.assertEqual([e["actor"] for e in revs[:2]], [None, "root"])
        listed = s.get("/api/tokens", headers=self.auth(self.admin)).data["tokens"]
        self.assertEqual([x["active"] for x in listed if x["name"] == "short-lived"], [False, False])

    def test_token_validation(self):
        s = self.server
        r = s.post("/api/tokens", {"name": "bad name!", "role": "owner"}, headers=self.auth(self.admin))
        self.assertEqual(r.status, 400)
        self.assertEqual({d["path"] for d in r.json()["error"]["details"]}, {"name", "role"})
        self.make("dup", "read")
        r = s.post("/api/tokens", {"name": "dup", "role": "read"}, headers=self.auth(self.admin))
        self.assertEqual(r.status, 409)


class NamedTokensCloseAnOpenServerTest(unittest.TestCase):
    """Without --api-token, writes are open on loopback until a named token exists."""

    def test_writes_need_a_token_once_one_exists(self):
        with Server() as s:
            self.assertEqual(s.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 100}).status, 200)
            made = run_cli("create", "--name", "ops", "--role", "write", database=s.database)
            self.assertEqual(made.returncode, 0, made.stderr)
            token = made.stdout.strip()
            self.assertEqual(s.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 101}).status, 401)
            r = s.put("/api/metric-values/conversion_rate", {"dollarsPerUnit": 102},
                      headers={"Authorization": f"Bearer {token}"})
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertEqual(r.data["metric"]["updatedBy"], "ops")
            # Decisions name who made them.
            auth = {"Authorization": f"Bearer {token}"}
            r = s.post("/api/experiments", {
                "name": "Decided by ops", "description": "A decision with a named token",
                "metrics": ["conversion_rate"], "startDate": "2025-01-15", "endDate": "2025-01-29",
                "expectedOutcome": "positive"}, headers=auth)
            self.assertEqual(r.status, 201, r.body[:300])
            exp_id = r.data["experimentId"]
            s.wait_status(exp_id, ("complete",))
            r = s.post(f"/api/experiments/{exp_id}/decision", {"decision": "ship", "reason": "Good"}, headers=auth)
            self.assertEqual(r.status, 201, r.body[:300])
            self.assertEqual(r.data["decision"]["decidedBy"], "ops")
            self.assertEqual(s.get(f"/api/experiments/{exp_id}").data["experiment"]["createdBy"], "ops")
            # The requester of an analysis is in its event and in the analysis itself.
            self.assertEqual(s.post(f"/api/experiments/{exp_id}/analyses", headers=auth).status, 202)
            s.wait_idle()
            newest = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"][0]
            self.assertEqual(newest["status"], "complete")
            self.assertEqual(newest["requestedBy"], "ops")
            events = s.get(f"/api/experiments/{exp_id}/events").data["events"]
            requested = [e for e in events if e["eventType"] == "ANALYSIS_REQUESTED"]
            self.assertEqual(requested[-1]["payload"]["requestedBy"], "ops")
            # The uploader of each results version is in its event, and requested the analysis it started.
            r = s.post("/api/experiments", {
                "name": "Uploaded by ops", "description": "An upload with a named token", "dataSource": "imported",
                "metrics": ["conversion_rate"], "startDate": "2025-01-15", "endDate": "2025-01-29",
                "expectedOutcome": "positive"}, headers=auth)
            imp = r.data["experimentId"]
            points = [{"timestamp": f"2025-01-{d:02d}T{h:02d}:00:00Z", "treatmentValue": 0.03, "controlValue": 0.03,
                       "treatmentSampleSize": 100, "controlSampleSize": 100} for d in (14, 15) for h in range(24)]
            r = s.put(f"/api/experiments/{imp}/results", {"metrics": {"conversion_rate": {"timeSeries": points}}},
                      headers=auth)
            self.assertEqual(r.status, 200, r.body[:300])
            s.wait_idle()
            inserted = [e for e in s.get(f"/api/experiments/{imp}/events").data["events"]
                        if e["eventType"] == "RESULTS_INSERT"]
            self.assertEqual(inserted[0]["payload"]["uploadedBy"], "ops")
            analysis = s.get(f"/api/experiments/{imp}/analyses").data["analyses"][0]
            self.assertEqual(analysis.get("requestedBy"), "ops", analysis.get("error"))


if __name__ == "__main__":
    unittest.main()
