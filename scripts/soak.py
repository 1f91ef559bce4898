#!/usr/bin/env python3
"""A bounded soak of the real binary: mixed reads and writes from well-behaved clients while
hostile ones push on every budget (non-reading clients of large responses, slow and refused
uploads, idle connection floods, made-up methods, smuggling attempts). Samples the server's RSS
and the latency of GET /api/health once a second and prints a report; exits 1 when RSS went over
--max-rss-mb or a health check took longer than --max-health-seconds (the issue-12 targets).

    scripts/soak.py --bin build/src/rallyuxr --minutes 10

Standard library only. Part of `make bench`, not of `make test`."""
import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter

# The integration tests' harness starts the binary and speaks HTTP to it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import Server, rss_bytes  # noqa: E402


def rss_mb(pid):
    return rss_bytes(pid) / (1 << 20)


class Soak:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="rallyuxr-soak-")
        self.server = Server("--log-level", "warn", db_dir=self.tmp, database=f"sqlite:{self.tmp}/soak.db",
                             bin=args.bin)
        self.port = self.server.port
        self.stop = threading.Event()
        self.counts = Counter()
        self.lock = threading.Lock()
        self.health = []        # (seconds, status or error)
        self.rss = []
        self.experiments = []   # ids with results

    # ---- plumbing
    def count(self, key):
        with self.lock:
            self.counts[key] += 1

    def create(self, name, days=14, metrics=("conversion_rate", "click_through_rate")):
        body = {"name": name, "description": "soak", "metrics": list(metrics), "startDate": "2025-01-01",
                "endDate": f"2025-{1 + days // 31:02d}-{1 + days % 31:02d}" if days < 300 else "2025-12-31",
                "expectedOutcome": random.choice(["positive", "negative", "neutral"])}
        r = self.server.post("/api/experiments", body)
        return r.data["experimentId"] if r.status == 201 else None

    # ---- well-behaved clients
    def reader(self):
        paths = ["/api/experiments?limit=20", "/api/metric-values", "/api/health"]
        while not self.stop.is_set():
            try:
                if self.experiments and random.random() < 0.6:
                    e = random.choice(self.experiments)
                    path = random.choice([f"/api/experiments/{e}", f"/api/experiments/{e}/results",
                                          f"/api/experiments/{e}/analyses?limit=5",
                                          f"/api/experiments/{e}/results.csv"])
                else:
                    path = random.choice(paths)
                self.count(f"read {self.server.get(path).status}")
            except OSError as e:
                self.count(f"read error {type(e).__name__}")

    def writer(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                r = random.random()
                if r < 0.5:
                    e = self.create(f"Soak {i}")
                    self.count(f"create {'201' if e else 'fail'}")
                elif r < 0.8 and self.experiments:
                    r = self.server.post(f"/api/experiments/{random.choice(self.experiments)}/analyses")
                    self.count(f"reanalyse {r.status}")
                else:
                    price = round(random.uniform(100, 900), 2)
                    r = self.server.put("/api/metric-values/click_through_rate",
                                        {"dollarsPerUnit": price, "changeReason": "soak"})
                    self.count(f"reprice {r.status}")
            except OSError as e:
                self.count(f"write error {type(e).__name__}")
            self.stop.wait(0.2)

    # ---- hostile clients
    def non_readers(self):
        """Ask for large responses and never read them."""
        while not self.stop.is_set():
            socks = []
            for _ in range(30):
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                    e = random.choice(self.experiments)
                    s.sendall(f"GET /api/experiments/{e}/results HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                    socks.append(s)
                except OSError:
                    self.count("non-reader connect error")
            self.count("non-reader rounds")
            self.stop.wait(15)
            for s in socks:
                s.close()

    def slow_uploads(self):
        """Uploads that declare big bodies and trickle them, and refused cross-origin uploads."""
        while not self.stop.is_set():
            socks = []
            for k in range(10):
                try:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    e = random.choice(self.experiments)
                    origin = "Origin: http://evil.example\r\n" if k % 2 else ""
                    s.sendall((f"PUT /api/experiments/{e}/results HTTP/1.1\r\nHost: 127.0.0.1\r\n{origin}"
                               f"Content-Type: text/csv\r\nContent-Length: {30 << 20}\r\n\r\n").encode())
                    s.sendall(b"metric,timestamp" + b"x" * 65536)
                    socks.append(s)
                except OSError:
                    self.count("slow upload connect error")
            self.count("slow upload rounds")
            for _ in range(10):
                if self.stop.wait(1):
                    break
                for s in socks:
                    try:
                        s.sendall(b"y" * 1024)
                    except OSError:
                        pass
            for s in socks:
                s.close()

    def floods(self):
        """Idle connection floods, made-up methods and smuggling attempts."""
        while not self.stop.is_set():
            socks = []
            for _ in range(300):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
                except OSError:
                    self.count("flood connect error")
                    break
            for _ in range(50):
                method = "X" + "".join(random.choice("ABCDEFGHIJKLMNOP") for _ in range(2000))
                self.raw(f"{method} /api/health HTTP/1.1\r\nHost: x\r\n\r\n".encode(), "junk method")
            self.raw(b"POST /api/experiments HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "smuggle")
            self.raw(b"GET /api/health HTTP/1.1\r\n\r\n", "no host")
            self.count("flood rounds")
            self.stop.wait(5)
            for s in socks:
                s.close()
            self.stop.wait(5)

    def raw(self, data, label):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                s.sendall(data)
                head = s.recv(64)
                status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "none"
                self.count(f"{label} {status}")
        except OSError as e:
            self.count(f"{label} error {type(e).__name__}")

    # ---- the monitor
    def monitor(self):
        while not self.stop.is_set():
            self.rss.append(rss_mb(self.server.proc.pid))
            t0 = time.monotonic()
            try:
                status = self.server.get("/api/health", timeout=10).status
            except OSError as e:
                status = type(e).__name__
            self.health.append((time.monotonic() - t0, status))
            self.stop.wait(1)

    def run(self):
        try:
            self.server.start(timeout=30)
        except RuntimeError as e:
            raise SystemExit(f"server did not start: {e}")
        rss_start = rss_mb(self.server.proc.pid)
        print(f"soak: server pid {self.server.proc.pid}, {self.args.minutes} min; setting up", flush=True)
        for i in range(4):  # experiments with a year of data: ~2 MB /results each
            e = self.create(f"Large {i}", days=365,
                            metrics=("conversion_rate", "click_through_rate", "bounce_rate", "time_on_page"))
            if e:
                self.experiments.append(e)
        try:
            self.server.wait_idle(timeout=60)
        except AssertionError:
            print("soak: the queue has not drained after 60 s; going on", flush=True)
        threads = [threading.Thread(target=self.monitor)]
        threads += [threading.Thread(target=self.reader) for _ in range(4)]
        threads += [threading.Thread(target=self.writer) for _ in range(2)]
        threads += [threading.Thread(target=f) for f in (self.non_readers, self.slow_uploads, self.floods)]
        started = time.time()
        for t in threads:
            t.daemon = True
            t.start()
        end = started + self.args.minutes * 60
        while time.time() < end:
            time.sleep(min(30, max(0.1, end - time.time())))
            print(f"soak: {int(time.time() - started)} s, RSS {self.rss[-1]:.1f} MB, "
                  f"health max so far {max(h[0] for h in self.health) * 1000:.0f} ms", flush=True)
        self.stop.set()
        for t in threads:
            t.join(40)
        code = self.server.stop(signal.SIGTERM, timeout=30)
        return self.report(rss_start, time.time() - started, code)

    def report(self, rss_start, seconds, exit_code):
        lat = sorted(h[0] for h in self.health)
        bad_health = [h for h in self.health if h[1] != 200]
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        print(f"\nsoak report ({seconds / 60:.1f} min, server exit code {exit_code})")
        print(f"  RSS MB: start {rss_start:.1f}, median {statistics.median(self.rss):.1f}, "
              f"max {max(self.rss):.1f}, end {self.rss[-1]:.1f}")
        print(f"  GET /api/health: {len(lat)} checks, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, "
              f"max {lat[-1] * 1000:.1f} ms, not 200: {len(bad_health)}")
        print("  requests by kind and status:")
        for k, v in sorted(self.counts.items()):
            print(f"    {k}: {v}")
        ok = max(self.rss) < self.args.max_rss_mb and lat[-1] < self.args.max_health_seconds and not bad_health
        print(f"  verdict: {'PASS' if ok else 'FAIL'} (RSS < {self.args.max_rss_mb} MB, "
              f"health < {self.args.max_health_seconds} s and always 200)")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("RALLYUXR_BIN", "build/src/rallyuxr"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--max-rss-mb", type=float, default=150)
    ap.add_argument("--max-health-seconds", type=float, default=1.0)
    args = ap.parse_args()
    if not 0 < args.minutes <= 60:
        ap.error("--minutes must be in (0, 60]")
    sys.exit(Soak(args).run())


if __name__ == "__main__":
    main()
