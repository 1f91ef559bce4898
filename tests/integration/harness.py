"""Starts the real rallyuxr binary on a free loopback port with a temporary database, and talks
to it over real sockets. Standard library only."""
import glob
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

BIN = os.environ.get("RALLYUXR_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "src", "rallyuxr")
DATABASE = os.environ.get("RALLYUXR_TEST_DATABASE")  # e.g. a postgresql:// URL; default: SQLite

# ---- PostgreSQL: a server started by scripts/pg-test-server.sh (the ctest fixture `postgres`).
# RALLYUXR_TEST_DATABASE names its maintenance database; every Server() without an explicit
# `database=` gets a fresh database of its own there, so test classes never see each other's data.
PG_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test-server.sh")
# Nodes that die mid-job lose their leases after this long (the default, 60 s, is for production).
PG_LEASE_SECONDS = "5"


def is_postgres(url):
    return bool(url) and url.startswith(("postgresql://", "postgres://"))


def psql_path():
    path = shutil.which("psql")
    if not path:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
        path = candidates[-1] if candidates else None
    if not path:
        raise RuntimeError("psql not found (Debian package postgresql-client)")
    return path


def psql(url, sql, timeout=60):
    """Runs one SQL command; returns its unaligned output."""
    r = subprocess.run([psql_path(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()}")
    return r.stdout.strip()


def create_database(base_url=None):
    """CREATE DATABASE rallyuxr_it_<random> on the server of `base_url`; returns its URL."""
    base_url = base_url or DATABASE
    name = "rallyuxr_it_" + secrets.token_hex(6)
    psql(base_url, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


class ThrowawayPostgres:
    """A PostgreSQL server of a test's own (scripts/pg-test-server.sh), for tests that stop and
    start the server and so must not share the suite's."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rallyuxr-pg-state-")
        self.url = None

    def _run(self, action):
        subprocess.run(["bash", PG_SCRIPT, action, self.dir], check=True, timeout=120,
                       stdout=subprocess.DEVNULL)

    def start(self):
        self._run("start")
        with open(os.path.join(self.dir, "url")) as f:
            self.url = f.read().strip()
        return self

    def halt(self):
        """Stops the server (pg_ctl stop -m fast), keeping its data."""
        self._run("halt")

    def resume(self):
        """Starts it again: same data directory, same port."""
        self._run("resume")

    def stop(self):
        """Stops it for good and removes its data."""
        self._run("stop")


def rss_bytes(pid):
    """The resident memory of a process (VmRSS of /proc/<pid>/status), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def data(self):
        return self.json()["data"]

    @property
    def error(self):
        return self.json()["error"]


class Server:
    """One rallyuxr process. Use as a context manager, or start()/stop() for restarts."""

    PROBE_SECONDS = 1.0  # one readiness probe's timeout

    def __init__(self, *extra_args, db_dir=None, database=None, port=None, bin=None):
        self.bin = bin or BIN
        self.tmp = None
        if db_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="rallyuxr-it-")
            db_dir = self.tmp.name
        self.db_dir = db_dir
        self.extra = list(extra_args)
        if database is None and is_postgres(DATABASE):
            database = create_database(DATABASE)
        self.database = database or DATABASE or f"sqlite:{db_dir}/test.db"
        if is_postgres(self.database) and not any(a.startswith("--lease-seconds") for a in self.extra):
            self.extra += ["--lease-seconds", PG_LEASE_SECONDS]
        self.port = port or free_port()
        self.proc = None
        self.log_path = os.path.join(db_dir, f"server-{self.port}.log")

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--port", str(self.port), "--database", self.database,
             "--web-root", os.path.join(self.db_dir, "no-web"), *self.extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        # Each probe waits at most PROBE_SECONDS, and the process is checked between probes: a
        # server that exits (e.g. its port is taken by another process, which accepts the probe's
        # connection and never answers) is reported at once, not after the probe's full timeout.
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                if self.request("GET", "/api/health", timeout=min(self.PROBE_SECONDS, remaining)).status in (200, 503):
                    if self.proc.poll() is None:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not become ready: " + self.read_log()[-2000:])

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        return code

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.tmp:
            self.tmp.cleanup()

    # ---- HTTP
    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if body is not None and not isinstance(body, (bytes, str)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    # ---- helpers
    def create_experiment(self, **overrides):
        body = {
            "name": "Button Color A/B Test",
            "description": "Testing red vs blue CTA button",
            "metrics": ["conversion_rate", "click_through_rate"],
            "startDate": "2025-01-15",
            "endDate": "2025-01-29",
            "expectedOutcome": "positive",
        }
        body.update(overrides)
        r = self.post("/api/experiments", body)
        if r.status != 201:
            raise AssertionError(f"create failed: {r.status} {r.body[:500]}")
        return r.data["experimentId"]

    def wait_status(self, exp_id, statuses=("complete",), timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.get(f"/api/experiments/{exp_id}").data["experiment"]
            if e["status"] in statuses:
                return e
            time.sleep(0.02)
        raise AssertionError(f"experiment {exp_id} did not reach {statuses}: {e['status']}")

    def wait_idle(self, timeout=60):
        """Waits until the queue has nothing queued or running."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = self.get("/api/health").data.get("queue", {})
            if q.get("queued") == 0 and q.get("running") == 0:
                return
            time.sleep(0.05)
        raise AssertionError("queue did not drain")


class ServerTestCase(unittest.TestCase):
    """A test class that shares one server: started with SERVER_ARGS before its first test (as
    cls.server), stopped and its directory removed after the last. A class that prepares more
    calls super().setUpClass() first."""

    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.SERVER_ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if cls.server.tmp:
            cls.server.tmp.cleanup()
