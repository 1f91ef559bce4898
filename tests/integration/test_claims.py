"""What the README and docs/ claim, checked through the running binary: every route the server
registers (src/api) is described in docs/openapi.yaml and in docs/api.md, is served, and answers
HEAD when it answers GET; every `serve` flag is in the README's table with its environment
variable; the CLI's commands; settings given by environment variable (`RALLYUXR_DATABASE_URL`,
`--api-base`, `--log-format json`); `--demo`; `--workers 0` and the durable queue; the `changes`
of a metric value's history; which token roles reach which routes; the `actor` filter of the audit.
"""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness
from harness import BIN, Server, free_port

SOURCE_DIR = os.environ.get("RALLYUXR_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "..", "..")
NO_ID = "00000000-0000-7000-8000-000000000000"
API = "0123456789abcdef-claims-api"
READ = "0123456789abcdef-claims-read"


def read_source(*parts):
    with open(os.path.join(SOURCE_DIR, *parts), encoding="utf-8") as f:
        return f.read()


def registered_routes():
    """(METHOD, pattern) of every `router.add` in src/api: what the server serves under /api."""
    routes = set()
    api_dir = os.path.join(SOURCE_DIR, "src", "api")
    for name in sorted(os.listdir(api_dir)):
        if name.endswith(".cpp"):
            for m in re.finditer(r'router\.add\("([A-Z]+)",\s*"([^"]+)"', read_source("src", "api", name)):
                routes.add((m.group(1), m.group(2)))
    return routes


def shape(path):
    """/experiments/{id}/analyses/{analysisId} -> /experiments/{}/analyses/{}"""
    return re.sub(r"\{[^}]+\}", "{}", path)


def run(*args, env=None, timeout=120):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=env)


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class RoutesTest(unittest.TestCase):
    """Every registered route is documented (OpenAPI and docs/api.md), and every documented one is
    registered; each answers its method, and HEAD where it answers GET."""

    @classmethod
    def setUpClass(cls):
        cls.routes = registered_routes()
        cls.server = Server().start()
        s = cls.server
        cls.exp_id = s.create_experiment(name="Routes claim")
        s.wait_status(cls.exp_id, ("complete",))
        s.wait_idle()
        cls.analysis_id = s.get(f"/api/experiments/{cls.exp_id}/analyses").data["analyses"][0]["analysisId"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()

    def concrete(self, pattern):
        return (pattern.replace("{id}", self.exp_id).replace("{analysisId}", self.analysis_id)
                .replace("{name}", "no-such-token"))

    def test_the_route_list_is_read(self):
        self.assertGreaterEqual(len(self.routes), 29, self.routes)
        self.assertIn(("GET", "/health"), self.routes)

    def test_openapi_describes_exactly_the_registered_routes(self):
        doc = self.server.get("/api/openapi.json").json()
        described = {(method.upper(), shape(path)) for path, ops in doc["paths"].items() for method in ops
                     if method in ("get", "post", "put", "delete", "patch")}
        self.assertEqual(described, {(m, shape(p)) for m, p in self.routes})

    def test_api_md_lists_exactly_the_registered_routes(self):
        text = read_source("docs", "api.md")
        listed = {(m, shape(p)) for m, p in re.findall(r"^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \|", text, re.M)}
        self.assertEqual(listed, {(m, shape(p)) for m, p in self.routes})
        # And each has a section of its own.
        for method, pattern in self.routes:
            if (method, pattern) in {("PUT", "/experiments/{id}/results"), ("POST", "/experiments/{id}/results")}:
                continue  # described together, in section 7
            heading = f"`{method} {pattern}`"
            if (method, pattern) in {("GET", "/experiments/{id}/results.csv"), ("GET", "/experiments/{id}/analysis.csv")}:
                heading = f"### `{method} {pattern}`"
            self.assertIn(heading, text, (method, pattern))

    def test_export_headers_are_the_documented_ones(self):
        text = read_source("docs", "api.md")
        for export in ("results.csv", "analysis.csv"):
            section = text.split(f"### `GET /experiments/{{id}}/{export}`", 1)[1]
            block = [b for b in section.split("```")[1::2] if "metricId," in b][0]
            lines = block.splitlines()[1:]  # after the fence's language tag
            # results.csv: the header and example rows; analysis.csv: the header, wrapped.
            documented = lines[0] if export == "results.csv" else "".join(lines)
            body = self.server.get(f"/api/experiments/{self.exp_id}/{export}").body.decode()
            self.assertEqual(body.split("\n", 1)[0], documented, export)

    def test_every_route_is_served_and_get_routes_answer_head(self):
        s = self.server
        for method, pattern in sorted(self.routes):
            path = "/api" + self.concrete(pattern)
            if method == "GET":
                r = s.get(path)
                h = s.request("HEAD", path)
                self.assertEqual(h.status, r.status, path)
                self.assertEqual(h.body, b"", path)
                self.assertEqual(h.headers.get("content-type"), r.headers.get("content-type"), path)
                self.assertIn("x-request-id", h.headers)
            else:
                # Bodies that every write refuses: nothing changes.
                r = s.request(method, path.replace(self.exp_id, NO_ID), body="{}",
                              headers={"Content-Type": "application/json"})
            self.assertNotEqual(r.status, 405, (method, path))
            if r.status == 404:
                self.assertNotIn("No such endpoint", r.json()["error"]["message"], (method, path))
            self.assertLess(r.status, 500, (method, path, r.body[:300]))


class HelpAndReadmeTest(unittest.TestCase):
    """`rallyuxr --help`, `serve --help` and `--version` against the README."""

    def setUp(self):
        self.readme = read_source("README.md")

    def test_every_serve_flag_is_in_the_readme_table_with_its_environment_variable(self):
        out = run("serve", "--help")
        self.assertEqual(out.returncode, 0, out.stderr)
        flags = {}
        for line in out.stdout.splitlines():
            m = re.match(r"\s+(--[a-z][a-z0-9-]+)", line)
            if m and m.group(1) != "--help":
                env = re.search(r"\(Env:([A-Z_]+)\)", line)
                flags[m.group(1)] = env.group(1) if env else None
        self.assertGreaterEqual(len(flags), 25, out.stdout)
        rows = [line for line in self.readme.splitlines() if line.startswith("| `--")]
        in_table = {}
        for row in rows:
            cells = row.split("|")
            for flag in re.findall(r"`(--[a-z0-9-]+)`", cells[1]):
                in_table[flag] = cells[2]
        self.assertEqual(set(in_table), set(flags), "README flag table vs `rallyuxr serve --help`")
        for flag, env in flags.items():
            if env:
                self.assertIn(f"`{env}`", in_table[flag], flag)

    def test_every_command_is_in_the_readme(self):
        out = run("--help")
        self.assertEqual(out.returncode, 0, out.stderr)
        commands = re.findall(r"^\s{2}([a-z]+)\s", out.stdout.split("Subcommands:", 1)[1], re.M)
        self.assertEqual(set(commands), {"serve", "analyze", "plan", "seed", "token"}, out.stdout)
        for c in commands:
            self.assertIn(f"rallyuxr {c}", self.readme, c)

    def test_version_is_the_one_health_reports(self):
        out = run("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        m = re.fullmatch(r"rallyuxr (\d+\.\d+\.\d+)\s*", out.stdout)
        self.assertTrue(m, out.stdout)
        with Server() as s:
            self.assertEqual(s.get("/api/health").data["version"], m.group(1))


class EnvironmentTest(unittest.TestCase):
    """Every flag is also an environment variable, flags win; RALLYUXR_DATABASE_URL; --api-base;
    --log-format json."""

    def start(self, args, env_extra, tmp):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("RALLYUXR_")}
        env.update(env_extra)
        env["RALLYUXR_PORT"] = str(port)
        env["RALLYUXR_WEB_ROOT"] = os.path.join(tmp, "no-web")
        log = open(os.path.join(tmp, "server.log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen([os.path.abspath(BIN), "serve", *args], stdout=log, stderr=subprocess.STDOUT,
                                env=env, cwd=tmp)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait()))
        probe = Server.__new__(Server)
        probe.port = port

        def ready():
            if proc.poll() is not None:
                raise AssertionError(f"server exited with {proc.returncode}")
            try:
                return probe.request("GET", "/v2/health", timeout=1).status == 200 or \
                    probe.request("GET", "/api/health", timeout=1).status == 200
            except OSError:
                return False
        wait_until(ready, what="server ready")
        return proc, probe

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(30), 0)

    def serve_from_the_environment(self):
        """Starts `serve` with no flags at all, RALLYUXR_DATABASE_URL, --api-base /v2 and --log-format
        json from the environment; makes a few requests; returns the log's lines."""
        database = harness.create_database(harness.DATABASE) if harness.is_postgres(harness.DATABASE) else None
        with tempfile.TemporaryDirectory(prefix="rallyuxr-it-") as tmp:
            url = database or f"sqlite:{tmp}/from-env.db"
            proc, s = self.start([], {"RALLYUXR_DATABASE_URL": url, "RALLYUXR_API_BASE": "/v2",
                                      "RALLYUXR_LOG_FORMAT": "json", "RALLYUXR_WORKERS": "1"}, tmp)
            r = s.get("/v2/experiments", headers={"X-Request-Id": "claims-env-1"})
            self.assertEqual(r.status, 200, r.body[:300])
            self.assertEqual(r.headers["x-request-id"], "claims-env-1")
            self.assertEqual(s.get("/v2/openapi.json").status, 200)
            # Only under the configured base.
            self.assertNotEqual(s.get("/api/experiments").status, 200)
            exp = s.post("/v2/experiments", {"name": "From the environment", "description": "",
                                             "metrics": ["conversion_rate"], "startDate": "2025-01-15",
                                             "endDate": "2025-01-22", "expectedOutcome": "neutral"})
            self.assertEqual(exp.status, 201, exp.body[:300])
            self.stop(proc)
            if not database:
                self.assertTrue(os.path.exists(os.path.join(tmp, "from-env.db")))
            with open(os.path.join(tmp, "server.log"), encoding="utf-8") as f:
                return [line for line in f.read().splitlines() if line.strip()]

    def test_database_url_api_base_and_json_access_log_from_the_environment(self):
        lines = self.serve_from_the_environment()
        # One access line per request, a JSON object whose `msg` is the access record.
        access = [json.loads(line)["msg"] for line in lines if '"msg":{"type":"access"' in line]
        mine = [a for a in access if a["requestId"] == "claims-env-1"]
        self.assertEqual(len(mine), 1, access[:5])
        self.assertEqual(mine[0]["method"], "GET")
        self.assertEqual(mine[0]["route"], "/experiments")
        self.assertEqual(mine[0]["path"], "/v2/experiments")
        self.assertEqual(mine[0]["status"], 200)
        self.assertEqual(len([a for a in access if a["method"] == "POST"]), 1)

    def test_every_json_log_line_is_json(self):
        lines = [json.loads(line) for line in self.serve_from_the_environment()]
        # Start-up and other text messages are JSON strings; access records stay objects.
        self.assertTrue(any(isinstance(o["msg"], str) and o["msg"] for o in lines), lines[:5])
        self.assertTrue(any(isinstance(o["msg"], dict) and o["msg"]["type"] == "access" for o in lines), lines[:5])
        for o in lines:
            self.assertEqual(set(o), {"time", "level", "msg"}, o)

    def test_flags_win_over_the_environment(self):
        with tempfile.TemporaryDirectory(prefix="rallyuxr-it-") as tmp:
            database = harness.create_database(harness.DATABASE) if harness.is_postgres(harness.DATABASE) \
                else f"sqlite:{tmp}/flags.db"
            proc, s = self.start(["--api-base", "/api", "--database", database],
                                 {"RALLYUXR_API_BASE": "/v2", "RALLYUXR_DATABASE": f"sqlite:{tmp}/env.db"}, tmp)
            self.assertEqual(s.get("/api/health").status, 200)
            self.assertNotEqual(s.get("/v2/health").status, 200)
            self.stop(proc)
            self.assertFalse(os.path.exists(os.path.join(tmp, "env.db")))


class DemoTest(unittest.TestCase):
    def test_demo_creates_six_finished_experiments_once(self):
        s = Server("--demo")
        try:
            s.start()
            exps = s.get("/api/experiments?limit=100").data["experiments"]
            self.assertEqual(len(exps), 6, [e["name"] for e in exps])
            for e in exps:
                done = s.wait_status(e["id"], ("complete",))
                self.assertEqual(done["dataSource"], "simulated")
            s.wait_idle()
            summary = s.get("/api/experiments").data["summary"]
            self.assertEqual(summary["completedExperiments"], 6)
            self.assertIsNotNone(s.get(f"/api/experiments/{exps[0]['id']}/results").data["analysis"])
            # A database that is not empty gets none.
            self.assertEqual(s.stop(), 0)
            s.start()
            self.assertEqual(s.get("/api/experiments?limit=100").data["pagination"]["total"], 6)
        finally:
            s.stop()
            if s.tmp:
                s.tmp.cleanup()


class NoWorkersTest(unittest.TestCase):
    """--workers 0: an API-only node. Its health says so, its jobs wait in the database, and a node
    with workers runs them later."""

    def test_jobs_wait_for_a_node_with_workers(self):
        s = Server("--workers", "0")
        try:
            s.start()
            h = s.get("/api/health")
            self.assertEqual(h.status, 200)
            self.assertEqual(h.data["status"], "degraded")
            self.assertEqual(h.data["services"]["database"], "healthy")
            self.assertEqual(h.data["services"]["analysisEngine"], "down")
            self.assertEqual(h.data["services"]["resultsGenerator"], "down")
            exp_id = s.create_experiment(name="Waits for a worker")
            self.assertEqual(s.get("/api/health").data["queue"]["queued"], 1)
            self.assertEqual(s.get(f"/api/experiments/{exp_id}").data["experiment"]["status"], "draft")
            jobs = s.get(f"/api/experiments/{exp_id}/events").data["jobs"]
            self.assertEqual([(j["kind"], j["status"]) for j in jobs], [("generate_results", "queued")])
            self.assertEqual(s.stop(), 0)
            s.extra = [a for a in s.extra if a not in ("--workers", "0")]
            s.start()
            s.wait_status(exp_id, ("complete",))
            wait_until(lambda: s.get("/api/health").data["status"] == "healthy", what="healthy with workers")
        finally:
            s.stop()
            if s.tmp:
                s.tmp.cleanup()


class MetricHistoryChangesTest(unittest.TestCase):
    """docs/api.md, GET /metric-values/{id}/history: `changes` lists each changed field, in a fixed
    order, with its value before and after; empty for version 1."""

    def test_changes_in_order_with_before_and_after(self):
        with Server() as s:
            r = s.post("/api/metric-values", {
                "metricId": "claims_history", "name": "Claims History", "dollarsPerUnit": 10, "unit": "$",
                "description": "A metric for the history test", "category": "revenue"})
            self.assertEqual(r.status, 201, r.body[:300])
            r = s.put("/api/metric-values/claims_history", {
                "dollarsPerUnit": 12.5, "name": "Claims History 2", "category": "other",
                "validationRules": {"minValue": 1, "maxValue": 100}, "changeReason": "Review"})
            self.assertEqual(r.status, 200, r.body[:300])
            r = s.put("/api/metric-values/claims_history", {"dollarsPerUnit": 12.5, "unitSize": 2,
                                                            "improvementDirection": "decrease"})
            self.assertEqual(r.status, 200, r.body[:300])
            hist = s.get("/api/metric-values/claims_history/history").data["history"]
            self.assertEqual([h["version"] for h in hist], [3, 2, 1])
            self.assertEqual(hist[2]["changes"], [])
            self.assertEqual(hist[1]["changes"], [
                {"field": "dollarsPerUnit", "from": 10, "to": 12.5},
                {"field": "name", "from": "Claims History", "to": "Claims History 2"},
                {"field": "category", "from": "revenue", "to": "other"},
                {"field": "validationRules", "from": None, "to": {"minValue": 1, "maxValue": 100}}])
            self.assertEqual(hist[1]["changeReason"], "Review")
            self.assertEqual(hist[0]["changes"], [
                {"field": "unitSize", "from": 1, "to": 2},
                {"field": "improvementDirection", "from": "increase", "to": "decrease"}])
            self.assertNotIn("changeReason", hist[0])
            # The audit entry of an update carries the same changes.
            audit = [e for e in s.get("/api/audit?entity=metric_value&limit=100").data["entries"]
                     if e["entityId"] == "claims_history"]
            self.assertEqual([e["action"] for e in audit],
                             ["metric_value.updated", "metric_value.updated", "metric_value.created"])
            self.assertEqual(audit[1]["changes"], hist[1]["changes"])


def token_cli(*args, database):
    return run("token", *args, "--database", database, timeout=60)


class TokenRolesOnEveryRouteTest(unittest.TestCase):
    """docs/operations.md, "Access tokens and roles", on every registered route, with --api-token
    and --read-token set: reads need a token (any), writes a write or admin token (or the API token),
    /tokens a named admin token; /health stays open."""

    @classmethod
    def setUpClass(cls):
        cls.routes = registered_routes()
        cls.server = Server("--api-token", API, "--read-token", READ).start()
        made = token_cli("create", "--name", "claims-admin", "--role", "admin", database=cls.server.database)
        if made.returncode != 0:
            raise AssertionError(made.stderr)
        cls.admin = made.stdout.strip()
        cls.tokens = {"admin": cls.admin}
        for role in ("read", "write"):
            r = cls.server.post("/api/tokens", {"name": f"claims-{role}", "role": role}, headers=cls.auth(cls.admin))
            if r.status != 201:
                raise AssertionError(r.body[:300])
            cls.tokens[role] = r.data["token"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()

    @staticmethod
    def auth(token):
        return {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, method, pattern, token):
        path = "/api" + pattern.replace("{id}", NO_ID).replace("{analysisId}", NO_ID).replace("{name}", "nobody")
        if method == "GET":
            return self.server.get(path, headers=self.auth(token))
        # Bodies that every write refuses, to ids that do not exist: nothing changes.
        return self.server.request(method, path, body="{}",
                                   headers=dict(self.auth(token), **{"Content-Type": "application/json"}))

    def assertDenied(self, r, status, what):
        self.assertEqual(r.status, status, (what, r.body[:300]))
        self.assertEqual(r.json()["error"]["code"], "UNAUTHORIZED" if status == 401 else "FORBIDDEN", what)

    def assertAllowed(self, r, what):
        self.assertNotIn(r.status, (401, 403), (what, r.body[:300]))
        self.assertLess(r.status, 500, (what, r.body[:300]))

    def test_each_role_on_each_route(self):
        for method, pattern in sorted(self.routes):
            what = f"{method} {pattern}"
            if pattern == "/health":
                self.assertEqual(self.call(method, pattern, None).status, 200)
                continue
            admin_route = pattern.startswith(("/tokens", "/webhooks"))
            write = method != "GET"
            self.assertDenied(self.call(method, pattern, None), 401, what + " without a token")
            self.assertDenied(self.call(method, pattern, "rux_not-a-token"), 401, what + " with an unknown token")
            reader = self.call(method, pattern, self.tokens["read"])
            if write:
                self.assertDenied(reader, 401, what + " with a read token")
                self.assertDenied(self.call(method, pattern, READ), 401, what + " with --read-token")
            elif admin_route:
                self.assertDenied(reader, 403, what + " with a read token")
            else:
                self.assertAllowed(reader, what + " with a read token")
                self.assertAllowed(self.call(method, pattern, READ), what + " with --read-token")
            for token, name in ((self.tokens["write"], "a write token"), (API, "--api-token")):
                r = self.call(method, pattern, token)
                if admin_route:
                    self.assertDenied(r, 403, f"{what} with {name}")
                else:
                    self.assertAllowed(r, f"{what} with {name}")
            self.assertAllowed(self.call(method, pattern, self.admin), what + " with an admin token")

    def test_metrics_need_a_token_that_may_read(self):
        self.assertDenied(self.server.get("/metrics"), 401, "/metrics without a token")
        r = self.server.get("/metrics", headers=self.auth(self.tokens["read"]))
        self.assertEqual(r.status, 200)
        self.assertIn("rallyuxr_http_requests_total", r.body.decode())

    def test_audit_actor_filter_names_the_token(self):
        s = self.server
        r = s.post("/api/experiments", {"name": "Audited writer", "description": "", "metrics": ["conversion_rate"],
                                        "startDate": "2025-01-15", "endDate": "2025-01-22",
                                        "expectedOutcome": "neutral", "dataSource": "imported"},
                   headers=self.auth(self.tokens["write"]))
        self.assertEqual(r.status, 201, r.body[:300])
        exp_id = r.data["experimentId"]
        self.assertEqual(s.post(f"/api/experiments/{exp_id}/archive", headers=self.auth(API)).status, 200)
        mine = s.get("/api/audit?actor=claims-write&limit=100", headers=self.auth(self.tokens["read"])).data
        self.assertEqual({e["actor"] for e in mine["entries"]}, {"claims-write"})
        self.assertIn(("experiment.created", exp_id), [(e["action"], e["entityId"]) for e in mine["entries"]])
        self.assertEqual(mine["pagination"]["total"], len(mine["entries"]))
        # The archive was made with the unnamed token: recorded, as nobody.
        everyone = s.get("/api/audit?entity=experiment&limit=100", headers=self.auth(READ)).data["entries"]
        archived = [e for e in everyone if e["entityId"] == exp_id and e["action"] == "experiment.archived"]
        self.assertEqual(len(archived), 1)
        self.assertIsNone(archived[0]["actor"])
        # Tokens made through the API are audited under the admin's name.
        made = s.get("/api/audit?actor=claims-admin&entity=token&limit=100", headers=self.auth(READ)).data["entries"]
        self.assertEqual(sorted(e["entityId"] for e in made if e["action"] == "token.created"),
                         ["claims-read", "claims-write"])


class MetricsWithTheApiTokenOnlyTest(unittest.TestCase):
    """docs/security.md: /metrics is read like every read, so --api-token alone leaves it open."""

    def test_metrics_open_without_a_read_token(self):
        with Server("--api-token", API) as s:
            self.assertEqual(s.get("/metrics").status, 200)
            self.assertEqual(s.get("/api/experiments").status, 200)


class SeedTest(unittest.TestCase):
    """`rallyuxr seed` bulk-loads experiments for load tests (docs/performance.md)."""

    def test_seed_then_serve(self):
        with tempfile.TemporaryDirectory(prefix="rallyuxr-it-") as tmp:
            database = harness.create_database(harness.DATABASE) if harness.is_postgres(harness.DATABASE) \
                else f"sqlite:{tmp}/seeded.db"
            out = run("seed", "--database", database, "--experiments", "40", "--with-results", "4",
                      "--workers", "1", "--seed", "7")
            self.assertEqual(out.returncode, 0, out.stderr)
            with Server(db_dir=tmp, database=database) as s:
                page = s.get("/api/experiments?limit=100").data
                self.assertEqual(page["pagination"]["total"], 40)
                # Completed, each with the analysis it was given (docs/performance.md used to say
                # the copies stayed draft).
                self.assertEqual(page["summary"]["completedExperiments"], 40)
                self.assertEqual({e["status"] for e in page["experiments"]}, {"complete"})
                self.assertTrue(all(e["economicImpact"] is not None for e in page["experiments"]))
                one = page["experiments"][-1]["id"]
                analyses = s.get(f"/api/experiments/{one}/analyses").data["analyses"]
                self.assertEqual([(a["experimentId"], a["status"]) for a in analyses], [(one, "complete")])
                with_data = [e for e in page["experiments"]
                             if s.get(f"/api/experiments/{e['id']}").data["hasResults"]]
                self.assertEqual(len(with_data), 4)


if __name__ == "__main__":
    unittest.main()
