#!/usr/bin/env python3
"""Parsing benchmarks of issue 18, each printed next to its goal (docs/performance.md, "Parsing").

1. `rallyuxr analyze` on 10 metrics x 8,928 hours (168 pre-period hours + 365 days), a results JSON
   of about 13 MB generated deterministically, against the short SciPy script bench/analyze_scipy.py
   on the same file: median wall time of RUNS runs each, end to end (process start to exit).
   SciPy runs with SCIPY_PYTHON (or --scipy-python), else with python3 when it imports scipy, and
   its time is taken less the median time of `python -c pass` (the interpreter's and any
   launcher's start, in SciPy's favour); when
   there is none, the SciPy time is the committed reference figure (bench/scipy_reference.json),
   and the output says so.
2. Uploads through a running server (`rallyuxr serve`, a temporary SQLite database): PUT of the
   87,600-row CSV (10 metrics x 8,760 hours) and of the same data as JSON, each to a fresh imported
   experiment, sent with Python's http.client (no `Expect: 100-continue`); rows/s from the request's
   wall time (send to response), median of RUNS; then the server's peak RSS (VmHWM). --database
   names another database (a PostgreSQL URL) for the server.

Usage: scripts/bench-parse.py --bin build-bench/src/rallyuxr [--runs 5] [--only analyze|upload] [--database URL]
"""
import argparse
import http.client
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRICS = ["conversion_rate", "revenue_per_user", "click_through_rate", "average_order_value",
           "time_on_page", "bounce_rate", "engagement_score", "form_completion_rate",
           "page_load_time", "customer_lifetime_value"]
ANALYZE_GOAL = 20.0
UPLOAD_GOAL = 1_000_000


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def points(first, hours, seed):
    """Deterministic hourly points: 17-digit values (Python's shortest repr), integer sizes."""
    rng = random.Random(seed)
    out = []
    for h in range(hours):
        t = iso(first + timedelta(hours=h))
        base = 0.05 + 0.01 * ((h % 24) / 24.0)
        out.append((t, base + rng.gauss(0, 0.01), base + rng.gauss(0, 0.01), rng.randint(800, 1200),
                    rng.randint(800, 1200)))
    return out


def results_json(series):
    parts = []
    for m, pts in series.items():
        rows = ",".join('{"timestamp":"%s","treatmentValue":%r,"controlValue":%r,'
                        '"treatmentSampleSize":%d,"controlSampleSize":%d}' % p for p in pts)
        parts.append('"%s":{"timeSeries":[%s]}' % (m, rows))
    return '{"metrics":{%s}}' % ",".join(parts)


def results_csv(series):
    lines = ["metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"]
    for m, pts in series.items():
        lines.extend("%s,%s,%r,%r,%d,%d" % ((m,) + p) for p in pts)
    return "\n".join(lines) + "\n"


def wall(cmd, runs, cwd=None):
    """Median wall time and median CPU time (user + system of the process and its children)."""
    times, cpu = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def find_scipy(explicit):
    for py in [explicit, os.environ.get("SCIPY_PYTHON"), "python3"]:
        if py and shutil.which(py) and subprocess.run([py, "-c", "import scipy, numpy"],
                                                        stderr=subprocess.DEVNULL).returncode == 0:
            return py
    return None


def bench_analyze(args, tmp):
    start = datetime(2025, 1, 8, tzinfo=timezone.utc)
    series = {m: points(start - timedelta(hours=168), 8928, seed=i) for i, m in enumerate(METRICS)}
    path = os.path.join(tmp, "results-10x8928.json")
    with open(path, "w") as f:
        f.write(results_json(series))
    size = os.path.getsize(path)
    cmd = [args.bin, "analyze", path, "--start", "2025-01-08", "--end", "2026-01-08"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)  # warm the page cache
    ours, ours_cpu = wall(cmd, args.runs)
    print(f"analyze: 10 metrics x 8,928 hours, {size / 1e6:.1f} MB JSON; wall and CPU (user + system) times, median of {args.runs}")
    print(f"  rallyuxr analyze  {ours * 1000:8.1f} ms  CPU {ours_cpu * 1000:7.1f} ms  "
          f"({os.path.basename(args.bin)} analyze FILE --start 2025-01-08 --end 2026-01-08)")
    py = find_scipy(args.scipy_python)
    if py:
        # Run beside the data, relative paths (a SciPy python in a chroot sees the current directory).
        shutil.copy(os.path.join(ROOT, "bench", "analyze_scipy.py"), tmp)
        scmd = [py, "analyze_scipy.py", os.path.basename(path), "2025-01-08"]
        subprocess.run(scmd, check=True, stdout=subprocess.DEVNULL, cwd=tmp)
        raw, raw_cpu = wall(scmd, args.runs, cwd=tmp)
        # The launcher's own cost (a python in a chroot, say) is not the script's: the median of
        # `python -c pass` is taken off, which also takes off python's start (in SciPy's favour).
        launcher, launcher_cpu = wall([py, "-c", "pass"], args.runs, cwd=tmp)
        theirs, theirs_cpu = max(raw - launcher, 1e-3), max(raw_cpu - launcher_cpu, 1e-3)
        print(f"  SciPy script      {theirs * 1000:8.1f} ms  CPU {theirs_cpu * 1000:7.1f} ms  (python3 bench/analyze_scipy.py FILE "
              f"2025-01-08: {raw * 1000:.1f} ms, CPU {raw_cpu * 1000:.1f} ms, less `python3 -c pass`: "
              f"{launcher * 1000:.1f} ms, CPU {launcher_cpu * 1000:.1f} ms)")
        note = ""
    else:
        with open(os.path.join(ROOT, "bench", "scipy_reference.json")) as f:
            ref = json.load(f)
        theirs, theirs_cpu = ref["seconds"], ref["cpu_seconds"]
        print(f"  SciPy script      {theirs * 1000:8.1f} ms  CPU {theirs_cpu * 1000:7.1f} ms  (SciPy is not installed here: "
              f"the committed reference figures of bench/scipy_reference.json, measured {ref['measured']})")
        note = " (indicative only: SciPy measured in another run)"
    for name, a, b in (("wall", theirs, ours), ("CPU", theirs_cpu, ours_cpu)):
        ratio = a / b
        print(f"  ratio, {name:4}      {ratio:8.1f}x   goal >= {ANALYZE_GOAL:.0f}x  "
              f"{'MET' if ratio >= ANALYZE_GOAL else 'NOT MET'}{note}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, tmp, database=None):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "server.log"), "wb")
        self.proc = subprocess.Popen([binary, "serve", "--port", str(self.port), "--database",
                                      database or "sqlite:" + os.path.join(tmp, "bench.db"), "--web-root",
                                      os.path.join(tmp, "no-web"), "--log-level", "warn"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.request("GET", "/api/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def request(self, method, path, body=None, content_type="application/json"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Content-Type": content_type} if body is not None else {}
        if isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def json(self, method, path, body=None):
        status, data = self.request(method, path, json.dumps(body) if body is not None else None)
        return status, json.loads(data) if data else None

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def wait_idle(self):
        deadline = time.time() + 300
        while time.time() < deadline:
            q = self.json("GET", "/api/health")[1]["data"].get("queue", {})
            if q.get("queued") == 0 and q.get("running") == 0:
                return
            time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def bench_upload(args, tmp):
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    series = {m: points(start, 8760, seed=100 + i) for i, m in enumerate(METRICS)}
    bodies = [("CSV", "text/csv", results_csv(series)), ("JSON", "application/json", results_json(series))]
    server = Server(args.bin, tmp, args.database)
    try:
        rss_idle = server.status("VmRSS")
        print("upload: 87,600 rows (10 metrics x 8,760 hours), PUT .../results to a fresh imported experiment")
        for name, ctype, body in bodies:
            times = []
            for _ in range(args.runs):
                status, created = server.json("POST", "/api/experiments", {
                    "name": "Upload bench", "description": "scripts/bench-parse.py", "expectedOutcome": "positive",
                    "metrics": METRICS, "dataSource": "imported",
                    "startDate": "2024-01-01", "endDate": "2024-12-31"})
                assert status == 201, created
                exp = created["data"]["experimentId"]
                server.wait_idle()
                t0 = time.perf_counter()
                status, data = server.request("PUT", f"/api/experiments/{exp}/results", body, ctype)
                times.append(time.perf_counter() - t0)
                assert status == 200, data[:300]
                assert json.loads(data)["data"]["pointsStored"] == 87600
                server.wait_idle()  # the analysis it queued, before the next upload
            t = statistics.median(times)
            rate = 87600 / t
            print(f"  {name:4} {len(body) / 1e6:5.1f} MB  {t * 1000:7.1f} ms  {rate / 1e6:5.2f} M rows/s   goal >= 1 M rows/s  "
                  f"{'MET' if rate >= UPLOAD_GOAL else 'NOT MET'}  (median of {args.runs})")
        print(f"  server RSS idle {rss_idle / 2**20:.0f} MB, peak (VmHWM) after the uploads and their analyses "
              f"{server.status('VmHWM') / 2**20:.0f} MB")
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("RALLYUXR_BIN", "build/src/rallyuxr"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scipy-python", default=None)
    ap.add_argument("--only", choices=["analyze", "upload"])
    ap.add_argument("--database", help="uploads: this database URL (e.g. postgresql://...) instead of a temporary "
                                       "SQLite file")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="rallyuxr-bench-parse-")
    try:
        if args.only in (None, "analyze"):
            bench_analyze(args, tmp)
        if args.only in (None, "upload"):
            bench_upload(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
