"""Hostile input, limits, tokens and graceful shutdown, through the real binary."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

from harness import BIN, Server, ServerTestCase

TOKEN = "s3cret-token-0123456789"
READ = "read-only-token-0123456789"


def raw(port, data, timeout=5, read=True):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except socket.timeout:
            pass
        return b"".join(chunks)


def status_of(resp):
    return int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/1.1 ") else None


class HostileInputTest(ServerTestCase):
    SERVER_ARGS = ("--read-timeout", "2", "--idle-timeout", "3")

    def assertEnvelope(self, r, status):
        self.assertEqual(r.status, status, r.body[:300])
        body = r.json()
        self.assertIs(body["success"], False)
        self.assertTrue(body["error"]["code"])
        self.assertTrue(body["error"]["requestId"])

    def post_raw_json(self, text):
        return self.server.post("/api/experiments", text, headers={"Content-Type": "application/json"})

    def test_bad_json_bodies(self):
        base = {"name": "n", "description": "d", "metrics": ["conversion_rate"],
                "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "neutral"}
        bodies = [
            "{", "null", "\"x\"", "[]", "{\"name\": NaN}", "{\"name\": Infinity}",
            json.dumps(base).replace("\"neutral\"", "\"neutral\"} trailing"),
            "[" * 10000 + "]" * 10000,                      # deep nesting
            "{\"a\":" * 200 + "1" + "}" * 200,
            json.dumps(dict(base, implementationCost=1)).replace(": 1}", ": 1e400}"),  # huge number
            json.dumps(dict(base, confidenceLevel=1e300)),
            json.dumps(dict(base, name=12345678901234567890123)),
        ]
        for b in bodies:
            self.assertEnvelope(self.post_raw_json(b), 400)
        # Invalid UTF-8 in a string.
        bad_utf8 = json.dumps(base).encode().replace(b"\"n\"", b"\"\xff\xfe\"")
        self.assertEnvelope(self.server.post("/api/experiments", bad_utf8,
                                             headers={"Content-Type": "application/json"}), 400)
        # The server is still fine.
        self.assertEqual(self.server.get("/api/health").status, 200)

    def test_query_abuse(self):
        for q in ["limit=-1", "limit=1.5", "offset=1e3", "offset=-0.5", "limit=%00", "limit=20&limit=abc",
                  "offset=" + "9" * 40, "status=%ff"]:
            r = self.server.get("/api/experiments?" + q)
            self.assertEnvelope(r, 400)
        r = self.server.get("/api/experiments?limit=20&offset=" + str(2 ** 62))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.data["experiments"], [])

    def test_unknown_routes_and_methods(self):
        self.assertEnvelope(self.server.get("/api/does/not/exist"), 404)
        self.assertEnvelope(self.server.request("PATCH", "/api/experiments"), 405)
        self.assertEnvelope(self.server.request("DELETE", "/api/metric-values"), 405)
        self.assertEnvelope(self.server.request("TRACE", "/api/health"), 405)
        # Paths that try to leave the web bundle never reach the file system.
        for p in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/../../../etc/passwd",
                  "/..%2f..%2fetc%2fpasswd"]:
            r = self.server.get(p)
            self.assertNotIn(b"root:", r.body)
            self.assertIn(r.status, (400, 404))

    def test_oversized_header_431(self):
        big = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"
        resp = raw(self.server.port, big)
        self.assertEqual(status_of(resp), 431, resp[:200])
        self.assertIn(b"\"success\":false", resp)
        self.assertEqual(self.server.get("/api/health").status, 200)

    def test_malformed_http(self):
        resp = raw(self.server.port, b"THIS IS NOT HTTP\r\n\r\n")
        self.assertIn(status_of(resp), (400, None))
        self.assertEqual(self.server.get("/api/health").status, 200)

    def test_slowloris_is_cut_off_and_others_are_served(self):
        socks = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finishes the header
            socks.append(s)
        t0 = time.time()
        self.assertEqual(self.server.get("/api/health").status, 200)  # served meanwhile
        self.assertLess(time.time() - t0, 2)
        # Each slow connection is closed after the read timeout (2 s here).
        for s in socks:
            s.settimeout(10)
            try:
                data = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                data = b""
            self.assertEqual(data, b"")
            s.close()
        self.assertLess(time.time() - t0, 9)

    def test_declared_but_unsent_bodies_hold_little_memory(self):
        """A body of declared length is made resident as it arrives, not on its header: four
        clients that each declare 30 MB and send 1 KB must not grow the server by 120 MB."""
        s = Server("--max-import-bytes", "40000000").start()
        socks = []
        try:
            def rss_kb():
                with open(f"/proc/{s.proc.pid}/status") as f:
                    return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            exp = s.create_experiment(name="Declared", dataSource="imported")
            before = rss_kb()
            for _ in range(4):
                c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
                c.sendall(f"PUT /api/experiments/{exp}/results HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: text/csv\r\nContent-Length: 30000000\r\n\r\n".encode() + b"m" * 1000)
                socks.append(c)
            time.sleep(1)
            self.assertEqual(s.get("/api/health").status, 200)
            grown = rss_kb() - before
            self.assertLess(grown, 30_000, f"server grew by {grown} kB for 4 KB of body received")
        finally:
            for c in socks:
                c.close()
            s.stop()
            if s.tmp:
                s.tmp.cleanup()

    def test_idle_keep_alive_is_closed(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        first = s.recv(65536)
        self.assertEqual(status_of(first), 200)
        t0 = time.time()
        self.assertEqual(s.recv(100), b"")  # closed by the server after the idle timeout
        self.assertLess(time.time() - t0, 8)
        s.close()

    def test_metrics_endpoint(self):
        self.server.get("/api/metric-values")
        self.server.get("/api/experiments/00000000-0000-7000-8000-000000000000")
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200)
        text = r.body.decode()
        self.assertIn('rallyuxr_http_requests_total{route="/metric-values",method="GET",status="200"}', text)
        self.assertIn('route="/experiments/{id}",method="GET",status="404"', text)
        self.assertIn("rallyuxr_http_request_duration_seconds_bucket", text)
        for name in ["rallyuxr_jobs_queued", "rallyuxr_oldest_queued_job_age_seconds", "rallyuxr_jobs_failed",
                     "rallyuxr_database_errors_total", "rallyuxr_job_attempts_failed_total"]:
            self.assertIn(name, text)


class ConnectionCapTest(unittest.TestCase):
    def test_cap(self):
        with Server("--max-connections", "4") as s:
            time.sleep(0.3)  # the readiness probe's connection is gone
            held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(6)]
            time.sleep(0.3)
            extra = raw(s.port, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(extra), 503)
            for h in held:
                h.close()
            time.sleep(0.3)
            self.assertEqual(s.get("/api/health").status, 200)


class TokenTest(unittest.TestCase):
    MUTATING = [
        ("POST", "/api/experiments", {"name": "x"}),
        ("POST", "/api/metric-values", {"metricId": "x"}),
        ("PUT", "/api/metric-values/conversion_rate", {"dollarsPerUnit": 1}),
        ("POST", "/api/experiments/00000000-0000-7000-8000-000000000000/analyses", None),
        ("POST", "/api/experiments/00000000-0000-7000-8000-000000000000/archive", None),
        ("PUT", "/api/experiments/00000000-0000-7000-8000-000000000000/results", {"metrics": {}}),
        ("POST", "/api/experiments/00000000-0000-7000-8000-000000000000/results", {"metrics": {}}),
    ]

    def test_write_token(self):
        with Server("--api-token", TOKEN) as s:
            for method, path, body in self.MUTATING:
                for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                                {"Authorization": "Bearer " + TOKEN[:-1]}, {"Authorization": TOKEN}):
                    r = s.request(method, path, body=body if body is not None else "{}",
                                  headers=dict(headers, **{"Content-Type": "application/json"}))
                    self.assertEqual(r.status, 401, (method, path, headers))
                    self.assertEqual(r.json()["error"]["code"], "UNAUTHORIZED")
                    self.assertIn("Bearer", r.headers["www-authenticate"])
                r = s.request(method, path, body=body if body is not None else "{}",
                              headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
                self.assertNotEqual(r.status, 401, (method, path))
            # Reads stay open without a read token (the metrics too); CORS preflight too.
            self.assertEqual(s.get("/api/experiments").status, 200)
            self.assertEqual(s.get("/metrics").status, 200)
            self.assertEqual(s.request("OPTIONS", "/api/experiments").status, 204)
            # With the right token a create works end to end.
            r = s.post("/api/experiments", {"name": "Tok", "description": "", "metrics": ["conversion_rate"],
                                            "startDate": "2025-01-15", "endDate": "2025-01-29",
                                            "expectedOutcome": "neutral"},
                       headers={"Authorization": "Bearer " + TOKEN})
            self.assertEqual(r.status, 201)

    def test_read_token(self):
        with Server("--api-token", TOKEN, "--read-token", READ) as s:
            self.assertEqual(s.get("/api/experiments").status, 401)
            self.assertEqual(s.get("/api/experiments", headers={"Authorization": "Bearer " + READ}).status, 200)
            self.assertEqual(s.get("/api/experiments", headers={"Authorization": "Bearer " + TOKEN}).status, 200)
            self.assertEqual(s.get("/api/health").status, 200)  # load balancers
            r = s.post("/api/metric-values", {"metricId": "x"}, headers={"Authorization": "Bearer " + READ})
            self.assertEqual(r.status, 401)  # a read token cannot write
            self.assertEqual(s.get("/metrics").status, 401)
            for token in (READ, TOKEN):  # either token reads the metrics, as any other read
                m = s.get("/metrics", headers={"Authorization": "Bearer " + token})
                self.assertEqual(m.status, 200)
                self.assertIn("rallyuxr_http_requests_total", m.body.decode())

    def test_non_loopback_without_token_is_refused(self):
        out = subprocess.run([BIN, "serve", "--host", "0.0.0.0", "--port", "0", "--database", "sqlite::memory:"],
                             capture_output=True, text=True, timeout=20)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("--api-token", out.stdout + out.stderr)
        short = subprocess.run([BIN, "serve", "--api-token", "short", "--port", "0", "--database", "sqlite::memory:"],
                               capture_output=True, text=True, timeout=20)
        self.assertNotEqual(short.returncode, 0)


class FlagTableTest(unittest.TestCase):
    def test_readme_flag_table_is_serve_help(self):
        """README's table of serve flags names every flag of `serve --help`, each with the
        environment variable the binary reads."""
        source = os.environ.get("RALLYUXR_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
        with open(os.path.join(source, "README.md")) as f:
            readme = f.read()
        table = readme[readme.index("| flag | env | default | meaning |"):]
        table = table[:table.index("\n\n")]
        documented = {}
        for row in table.splitlines()[2:]:
            cells = row.split("|")
            flags = re.findall(r"`(--[a-z-]+)`", cells[1])
            # "(or RALLYUXR_X)" names an alias the binary also reads, beside the flag's own variable.
            envs = re.findall(r"`(RALLYUXR_[A-Z_]+)`", re.sub(r"\(or [^)]*\)", "", cells[2]))
            self.assertEqual(len(flags), len(envs), row)
            documented.update(zip(flags, envs))
        out = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=20).stdout
        actual = dict(re.findall(r"^  (--[a-z-]+)\b.*\(Env:(RALLYUXR_[A-Z_]+)\)", out, re.M))
        self.assertGreater(len(actual), 20, out)
        self.assertEqual(documented, actual)


class GracefulShutdownTest(unittest.TestCase):
    def test_sigterm_under_load_keeps_every_accepted_write(self):
        s = Server("--workers", "1")
        try:
            s.start()
            accepted, stop = [], threading.Event()
            lock = threading.Lock()

            def writer(k):
                i = 0
                while not stop.is_set() and i < 400:
                    i += 1
                    try:
                        r = s.post("/api/experiments", {
                            "name": f"Load {k}-{i}", "description": "", "metrics": ["conversion_rate", "bounce_rate"],
                            "startDate": "2025-01-15", "endDate": "2025-01-29", "expectedOutcome": "positive"},
                            timeout=10)
                        if r.status == 201:
                            with lock:
                                accepted.append(r.data["experimentId"])
                        s.get("/api/experiments?limit=5", timeout=10)
                    except OSError:
                        return

            threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
            for t in threads:
                t.start()
            # SIGTERM once the load is under way: after a second and at least 11 accepted writes
            # (a loaded machine may need longer than a second for them).
            time.sleep(1.0)
            deadline = time.monotonic() + 60
            while len(accepted) <= 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            code = s.stop(signal.SIGTERM)
            stop.set()
            for t in threads:
                t.join()
            self.assertEqual(code, 0)
            self.assertIn("stopped cleanly", s.read_log())
            self.assertGreater(len(accepted), 10)
            s.start()
            for exp_id in accepted:  # every 2xx was kept, and every queued job finishes
                s.wait_status(exp_id, timeout=60)
        finally:
            s.stop()
            s.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
