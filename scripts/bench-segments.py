#!/usr/bin/env python3
"""Segments at scale (issue 17, docs/performance.md "Segments"): 10 metrics x one year of hours x
3 dimensions x 10 segments (2,628,000 segment points) as one CSV upload of segment rows only, so
that the server also derives the overall series (87,600 points) and checks that the three
dimensions add up to it. Starts the real binary on a fresh database, then reports:

  import   wall time of the PUT (parse, checks, one write transaction), as the client sees it
  analysis from the upload's answer until its analysis is complete (queue wake-up included)
  rss      the server's peak resident memory (VmHWM) over the whole run

Usage: bench-segments.py --bin build/src/rallyuxr [--database URL] [--keep FILE]
       bench-segments.py --bin build/src/rallyuxr --simulated 100   (server CPU per simulated experiment)
Targets: import < 5 s, analysis < 2 s, peak RSS < 500 MB."""
import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

METRICS = ["conversion_rate", "revenue_per_user", "click_through_rate", "average_order_value", "time_on_page",
           "bounce_rate", "engagement_score", "form_completion_rate", "page_load_time", "cart_abandonment_rate"]
BASE = {"conversion_rate": 0.03, "revenue_per_user": 4.2, "click_through_rate": 0.08, "average_order_value": 86.0,
        "time_on_page": 95.0, "bounce_rate": 0.42, "engagement_score": 61.0, "form_completion_rate": 0.35,
        "page_load_time": 2.1, "cart_abandonment_rate": 0.68}
DIMENSIONS = {"device": [f"device_{i}" for i in range(10)],
              "country": [f"country_{i}" for i in range(10)],
              "plan": [f"plan_{i}" for i in range(10)]}
START = datetime(2025, 1, 9, tzinfo=timezone.utc)   # the post period starts here
PRE_DAYS = 8
END = START + timedelta(days=365 - PRE_DAYS)        # 365 days of hours in all: 8,760


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(path, seed=17):
    """Per metric and hour: the overall figures, split into each dimension's 10 segments so that
    the sample sizes add up exactly and the sample-weighted values match (the last segment of a
    dimension takes the remainder of the value sum)."""
    rng = random.Random(seed)
    hours = int((END - START).total_seconds() // 3600) + PRE_DAYS * 24
    rows = 0
    with open(path, "w") as f:
        f.write("metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,"
                "dimension,segment\n")
        for h in range(hours):
            ts = (START - timedelta(days=PRE_DAYS) + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for m in METRICS:
                base = BASE[m]
                overall = []
                for _ in range(2):  # treatment, control
                    n = rng.randint(4000, 6000)
                    overall.append((n, base * (1 + rng.gauss(0, 0.05))))
                for dim, names in DIMENSIONS.items():
                    cells = []
                    for n_total, v_total in overall:
                        weights = [rng.uniform(0.5, 1.5) for _ in names]
                        scale = n_total / sum(weights)
                        ns = [max(1, int(w * scale)) for w in weights[:-1]]
                        ns.append(n_total - sum(ns))
                        vs = [v_total * (1 + rng.gauss(0, 0.1)) for _ in names[:-1]]
                        vs.append((v_total * n_total - sum(n * v for n, v in zip(ns, vs))) / ns[-1])
                        cells.append((ns, vs))
                    (tn, tv), (cn, cv) = cells
                    for i, seg in enumerate(names):
                        f.write(f"{m},{ts},{tv[i]!r},{cv[i]!r},{tn[i]},{cn[i]},{dim},{seg}\n")
                        rows += 1
    return rows


def request(port, method, path, body=None, headers=None, timeout=600):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def cpu_seconds(pid):
    """User + system CPU time of the process so far (it is what the import costs whatever the
    machine's load; wall time on a shared machine also counts the waits for a core)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def simulated(binary, n):
    """Server CPU per simulated experiment (generation with the simulator's device segments, their
    write, the analysis with its segments): creates n experiments and waits for an empty queue."""
    tmp = tempfile.mkdtemp(prefix="rallyuxr-bench-simulated-")
    port = free_port()
    srv = subprocess.Popen([binary, "serve", "--port", str(port), "--database", f"sqlite:{tmp}/d.db",
                            "--log-level", "warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/api/health", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        c0, t0 = cpu_seconds(srv.pid), time.monotonic()
        for i in range(n):
            body = json.dumps({"name": f"Simulated {i}", "description": "d", "startDate": "2025-01-15",
                               "metrics": ["conversion_rate", "click_through_rate"], "endDate": "2025-01-29",
                               "expectedOutcome": "positive"})
            assert request(port, "POST", "/api/experiments", body, {"Content-Type": "application/json"})[0] == 201
        while True:
            q = json.loads(request(port, "GET", "/api/health")[1])["data"]["queue"]
            if q["queued"] == 0 and q["running"] == 0:
                break
            time.sleep(0.05)
        wall, cpu = time.monotonic() - t0, cpu_seconds(srv.pid) - c0
        print(f"{n} simulated experiments to complete: {wall:.1f} s wall, {cpu:.2f} s server CPU "
              f"({1000 * cpu / n:.1f} ms each)")
    finally:
        srv.terminate()
        srv.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/src/rallyuxr")
    ap.add_argument("--simulated", type=int, default=0,
                    help="instead: server CPU per simulated experiment over this many (with their segments)")
    ap.add_argument("--database", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--keep", default=None, help="keep the generated CSV at this path (reused when it exists)")
    args = ap.parse_args()
    if args.simulated:
        return simulated(args.bin, args.simulated)

    tmp = tempfile.mkdtemp(prefix="rallyuxr-bench-segments-")
    try:
        csv_path = args.keep or os.path.join(tmp, "segments.csv")
        if not os.path.exists(csv_path):
            t0 = time.time()
            rows = generate(csv_path)
            print(f"generated {rows:,} segment rows, {os.path.getsize(csv_path) / 1e6:.0f} MB in {time.time() - t0:.0f} s")
        size = os.path.getsize(csv_path)
        port = free_port()
        database = args.database or f"sqlite:{os.path.join(tmp, 'bench.db')}"
        server = subprocess.Popen([args.bin, "serve", "--port", str(port), "--database", database,
                                   "--max-import-bytes", str(size + (1 << 20)),
                                   "--max-body-bytes-in-flight", str(size + (2 << 20)), "--log-level", "warn"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if request(port, "GET", "/api/health", timeout=2)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            body = json.dumps({"name": "Segments bench", "description": "10 metrics x 1 year x 3 x 10 segments",
                               "metrics": METRICS, "startDate": START.strftime("%Y-%m-%d"),
                               "endDate": END.strftime("%Y-%m-%d"), "expectedOutcome": "positive",
                               "dataSource": "imported"})
            status, out = request(port, "POST", "/api/experiments", body, {"Content-Type": "application/json"})
            assert status == 201, out[:500]
            exp_id = json.loads(out)["data"]["experimentId"]
            with open(csv_path, "rb") as f:
                data = f.read()
            c0 = cpu_seconds(server.pid)
            t0 = time.monotonic()
            status, out = request(port, "PUT", f"/api/experiments/{exp_id}/results", data, {"Content-Type": "text/csv"})
            t_import = time.monotonic() - t0
            c_import = cpu_seconds(server.pid) - c0
            del data
            assert status == 200, out[:2000]
            answer = json.loads(out)["data"]
            t1 = time.monotonic()
            while True:
                status, out = request(port, "GET", f"/api/experiments/{exp_id}/analyses?limit=1")
                items = json.loads(out)["data"].get("analyses", [])
                if items and items[0]["status"] in ("complete", "failed"):
                    break
                time.sleep(0.01)
            t_analysis = time.monotonic() - t1
            c_analysis = cpu_seconds(server.pid) - c0 - c_import
            assert items[0]["status"] == "complete", items[0]
            status, out = request(port, "GET", f"/api/experiments/{exp_id}/analysis")
            doc = json.loads(out)["data"]
            doc = doc.get("analysis", doc)
            rss = vm_hwm_mb(server.pid)
            dims = {d: len(s) for d, s in doc["segments"].items()}
            print(f"upload: {size / 1e6:.0f} MB, {answer['rowsReceived']:,} rows, {answer['segmentPointsStored']:,} "
                  f"segment points, {answer['pointsStored']:,} overall points derived "
                  f"(overallDerivedFromSegments={answer['overallDerivedFromSegments']})")
            print(f"analysis document: segments per dimension {dims}, heterogeneity for "
                  f"{sum(len(v) for v in doc['heterogeneity'].values())} (dimension, metric) pairs")
            load = os.getloadavg()[0]
            print(f"import   {t_import:6.2f} s wall, {c_import:5.2f} s server CPU   (target < 5 s)")
            print(f"analysis {t_analysis:6.2f} s wall, {c_analysis:5.2f} s server CPU   (target < 2 s)")
            print(f"load average {load:.1f} on {os.cpu_count()} cores")
            print(f"peak RSS {rss:6.0f} MB  (target < 500 MB)")
            ok = t_import < 5 and t_analysis < 2 and rss < 500
            print("segments bench: " + ("all within target" if ok else "ABOVE TARGET"))
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
