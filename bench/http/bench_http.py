#!/usr/bin/env python3
"""Helpers of scripts/bench-http.sh (standard library only; loopback only).

  start BIN DB PORT LOG [serve options...]   start the server, wait until it answers; print "PID MS"
  pick BASE                                  an experiment with results and 3 metrics; print its id
  counts BASE                                print "total completed"
  wait-complete BASE TARGET T0 TIMEOUT       wait until TARGET experiments are complete; print
                                             "seconds_since_T0 completed"
  latency BASE COUNT                         create COUNT experiments one after another, each polled
                                             (every 2 ms) until complete; print "p50 p90 max" in ms
  cpu PID                                    the process's CPU time so far (user + system), in seconds
  wrk-parse                                  wrk --latency output on stdin ->
                                             "rps p50 p90 p99 errors requests"
  median                                     lines of numbers on stdin -> the line with the median
                                             first column
"""
import http.client
import json
import os
import subprocess
import sys
import time


def request(base, method, path, body=None, timeout=30):
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)
    finally:
        conn.close()


def start(binary, db, port, log, extra):
    t0 = time.monotonic()
    with open(log, "ab") as out:
        proc = subprocess.Popen([binary, "serve", "--database", "sqlite:" + db, "--port", port] + extra,
                                stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = t0 + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server exited with {proc.returncode}; see {log}")
        try:
            status, _ = request("127.0.0.1:" + port, "GET", "/api/health", timeout=2)
            if status in (200, 503):
                print(proc.pid, f"{(time.monotonic() - t0) * 1000:.1f}")
                return
        except OSError:
            pass
        time.sleep(0.001)
    proc.kill()
    sys.exit("server did not answer within 60 s")


def counts(base):
    status, body = request(base, "GET", "/api/experiments?limit=1")
    s = body["data"]["summary"]
    return s["totalExperiments"], s["completedExperiments"]


def pick(base):
    total, _ = counts(base)
    # seed runs the first experiments (the oldest: the end of the list) through the real pipeline.
    for offset in (max(0, total - 100), max(0, total - 200), 0):
        _, body = request(base, "GET", f"/api/experiments?limit=100&offset={offset}")
        for e in reversed(body["data"]["experiments"]):
            if len(e["metrics"]) != 3 or e["status"] != "complete":
                continue
            _, d = request(base, "GET", f"/api/experiments/{e['id']}")
            if d["data"].get("hasResults"):
                print(e["id"])
                return
    sys.exit("no complete experiment with results and 3 metrics")


def wait_complete(base, target, t0, timeout):
    deadline = time.time() + timeout
    done = 0
    while time.time() < deadline:
        _, done = counts(base)
        if done >= target:
            break
        time.sleep(0.05)
    print(f"{time.time() - t0:.3f}", done)


def latency(base, count):
    body = {"name": "Latency probe", "description": "scripts/bench-http.sh",
            "metrics": ["conversion_rate", "cart_abandonment_rate", "average_order_value"],
            "startDate": "2025-01-01", "endDate": "2025-01-15", "expectedOutcome": "positive"}
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    samples = []
    for _ in range(count):
        t0 = time.monotonic()
        conn.request("POST", "/api/experiments", body=json.dumps(body), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        created = json.loads(r.read())
        if r.status != 201:
            sys.exit(f"create failed: {r.status} {created}")
        exp_id = created["data"]["experimentId"]
        deadline = t0 + 30
        while True:
            conn.request("GET", f"/api/experiments/{exp_id}")
            r = conn.getresponse()
            status = json.loads(r.read())["data"]["experiment"]["status"]
            if status == "complete":
                break
            if time.monotonic() > deadline:
                sys.exit(f"{exp_id} not complete after 30 s ({status})")
            time.sleep(0.002)
        samples.append((time.monotonic() - t0) * 1000)
    samples.sort()
    pct = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]
    print(f"{pct(0.5):.1f} {pct(0.9):.1f} {samples[-1]:.1f}")


def to_ms(text):
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
    for u in ("us", "ms", "s", "m"):
        if text.endswith(u):
            return float(text[: -len(u)]) * units[u]
    return float(text)


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk_parse(text):
    rps, pcts, errors, requests = 0.0, {}, 0, 0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == "requests" and parts[2] == "in":
            requests = int(parts[0])
        if line.startswith("Requests/sec:"):
            rps = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "75%", "90%", "99%"):
            pcts[parts[0]] = to_ms(parts[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            errors += int(parts[-1])
        elif line.strip().startswith("Socket errors:"):
            errors += sum(int(p.rstrip(",")) for p in parts if p.rstrip(",").isdigit())
    print(f"{rps:.0f} {pcts.get('50%', 0):.2f} {pcts.get('90%', 0):.2f} {pcts.get('99%', 0):.2f} {errors} {requests}")


def median(lines):
    rows = sorted((l.split() for l in lines if l.strip()), key=lambda r: float(r[0]))
    print(" ".join(rows[(len(rows) - 1) // 2]))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "start":
        start(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "pick":
        pick(args[0])
    elif cmd == "counts":
        print(*counts(args[0]))
    elif cmd == "wait-complete":
        wait_complete(args[0], int(args[1]), float(args[2]), float(args[3]))
    elif cmd == "latency":
        latency(args[0], int(args[1]))
    elif cmd == "cpu":
        print(f"{cpu_seconds(int(args[0])):.2f}")
    elif cmd == "wrk-parse":
        wrk_parse(sys.stdin.read())
    elif cmd == "median":
        median(sys.stdin.read().splitlines())
    else:
        sys.exit(__doc__)
