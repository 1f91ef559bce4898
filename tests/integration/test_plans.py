"""POST /api/plans and `rallyuxr plan` through the real binary (issue 15).

A plan from an experiment's stored hours, from an uploaded history (JSON and CSV), every error
with its path, and the command line printing exactly what the route answers.
"""
import json
import math
import os
import random
import subprocess
import tempfile
import unittest
from datetime import datetime, timedelta, timezone

from harness import BIN, Server

HIST_END = datetime(2025, 3, 1, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(days=21, metrics=("conversion_rate", "bounce_rate"), seed=3):
    """Hourly points of both groups over `days` days ending at HIST_END, no treatment."""
    rng = random.Random(seed)
    out = {}
    for k, mid in enumerate(metrics):
        level = 0.03 if mid == "conversion_rate" else 0.4
        pts = []
        for h in range(-days * 24, 0):
            t = HIST_END + timedelta(hours=h)
            tn, cn = rng.randint(400, 600), rng.randint(400, 600)
            base = level * (1 + 0.1 * math.sin(h / 24 * 2 * math.pi))
            day_shock = (hash((k, h // 24)) % 1000 - 500) / 500 * 0.002 * level
            pts.append({"timestamp": iso(t), "treatmentValue": base + day_shock + rng.gauss(0, 0.004),
                        "controlValue": base + rng.gauss(0, 0.004),
                        "treatmentSampleSize": tn, "controlSampleSize": cn})
        out[mid] = {"timeSeries": pts}
    return {"metrics": out}


def to_csv(hist):
    lines = ["metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"]
    for mid, m in hist["metrics"].items():
        for p in m["timeSeries"]:
            lines.append(f"{mid},{p['timestamp']},{p['treatmentValue']!r},{p['controlValue']!r},"
                         f"{p['treatmentSampleSize']},{p['controlSampleSize']}")
    return "\n".join(lines) + "\n"


class PlansTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.hist = history()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.tmp.cleanup()

    def plan(self, body):
        return self.server.post("/api/plans", body)

    def assert_issue(self, body, path, fragment=None):
        r = self.plan(body)
        self.assertEqual(r.status, 400, r.body[:500])
        err = r.error
        self.assertEqual(err["code"], "VALIDATION_ERROR")
        paths = {d["path"]: d["message"] for d in err["details"]}
        self.assertIn(path, paths, err)
        if fragment:
            self.assertIn(fragment, paths[path])
        return err

    def check_shape(self, data, metrics):
        days = [d["days"] for d in data["durations"]]
        self.assertEqual(days, list(range(7, 57)))
        prev = math.inf
        for d in data["durations"]:
            self.assertEqual(set(d["metrics"]), set(metrics))
            for mid, m in d["metrics"].items():
                self.assertGreater(m["mde"], 0)
                self.assertGreater(m["dailyDollarMde"], 0)
                self.assertAlmostEqual(m["periodDollarMde"], m["dailyDollarMde"] * d["days"], delta=1e-9 * m["periodDollarMde"])
            self.assertGreater(d["totalDailyDollarMde"], 0)
            self.assertLessEqual(d["totalDailyDollarMde"], prev)  # longer runs see smaller effects
            prev = d["totalDailyDollarMde"]

    def test_plan_from_history(self):
        r = self.plan({"metrics": ["conversion_rate", "bounce_rate"], "source": {"history": self.hist},
                       "design": "paired", "targetDailyDollarImpact": 2000})
        self.assertEqual(r.status, 200, r.body[:800])
        data = r.data
        self.check_shape(data, ["conversion_rate", "bounce_rate"])
        self.assertEqual(data["varianceSource"]["kind"], "history")
        self.assertEqual(data["varianceSource"]["metrics"]["conversion_rate"]["blocks"], 21)
        self.assertEqual(data["varianceSource"]["origin"], iso(HIST_END))
        self.assertEqual(data["design"], "paired")
        self.assertEqual(data["correction"], "holm")
        self.assertAlmostEqual(data["metricAlpha"], 0.025)
        t = data["target"]
        self.assertIn("message", t)
        if t["reachedAtDays"] is not None:
            d = data["durations"][t["reachedAtDays"] - 7]
            self.assertLessEqual(d["totalDailyDollarMde"], 2000)
            self.assertGreaterEqual(d["totalPower"], 0.8 - 1e-12)
            if t["reachedAtDays"] > 7:
                self.assertGreater(data["durations"][t["reachedAtDays"] - 8]["totalDailyDollarMde"], 2000)
        # Unreachable: a clear "not within 56 days".
        r = self.plan({"metrics": ["conversion_rate"], "source": {"history": self.hist},
                       "targetEffects": {"conversion_rate": 1e-7}})
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertIsNone(r.data["target"]["reachedAtDays"])
        self.assertIn("Not within 56 days", r.data["target"]["message"])

    def test_csv_history_equals_json_history(self):
        base = {"metrics": ["conversion_rate", "bounce_rate"], "confidenceLevel": 90, "correction": "fdr_bh",
                "power": 0.9, "trafficSplit": 0.3, "preDays": 7}
        a = self.plan({**base, "source": {"history": self.hist}})
        b = self.plan({**base, "source": {"history": to_csv(self.hist)}})
        self.assertEqual(a.status, 200, a.body[:500])
        self.assertEqual(b.status, 200, b.body[:500])
        self.assertEqual(a.data, b.data)
        self.assertNotEqual(a.data["varianceSource"]["metrics"]["conversion_rate"]["varianceFactor"], 1)

    def test_plan_from_experiment(self):
        exp = self.server.create_experiment(name="Plan source", metrics=["conversion_rate", "bounce_rate"],
                                            simulation={"seed": 7, "prePeriodDays": 14})
        self.server.wait_status(exp)
        r = self.plan({"metrics": ["conversion_rate", "bounce_rate"], "source": {"experimentId": exp},
                       "preDays": 14})
        self.assertEqual(r.status, 200, r.body[:800])
        data = r.data
        self.check_shape(data, ["conversion_rate", "bounce_rate"])
        vs = data["varianceSource"]
        self.assertEqual(vs["kind"], "experiment")
        self.assertEqual(vs["experimentId"], exp)
        self.assertEqual(vs["metrics"]["conversion_rate"]["preBlocks"], 14)
        self.assertEqual(vs["metrics"]["conversion_rate"]["postBlocks"], 14)
        # A metric the experiment has no data for is named with its path.
        self.assert_issue({"metrics": ["conversion_rate", "revenue_per_user"], "source": {"experimentId": exp}},
                          "metrics.1", "no hourly data")

    def test_errors_have_paths(self):
        h = {"history": self.hist}
        self.assert_issue({"metrics": ["conversion_rate", "no_such_metric"], "source": h}, "metrics.1", "Unknown metric")
        err = self.assert_issue({"metrics": ["conversion_rate"]}, "source", "source.experimentId or source.history")
        self.assertIn("before any change", err["details"][0]["message"])
        self.assert_issue({"metrics": ["conversion_rate"], "source": {}}, "source")
        self.assert_issue({"metrics": ["conversion_rate"], "source": {"history": history(days=5)}},
                          "source.history.metrics.conversion_rate", "at least 7")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "durations": [7, 400]}, "durations.1")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "durations": [3]}, "durations.0")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "power": 1.2}, "power")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "confidenceLevel": 50}, "confidenceLevel")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "correction": "bonferroni"}, "correction")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "preDays": 1}, "preDays")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "targetEffects": {"bounce_rate": 0.01}},
                          "targetEffects.bounce_rate")
        self.assert_issue({"metrics": ["conversion_rate"], "source": h, "targetDailyDollarImpact": -5},
                          "targetDailyDollarImpact")
        self.assert_issue({"metrics": ["revenue_per_user"], "source": h}, "metrics.0", "no hours")
        self.assert_issue({"metrics": ["conversion_rate"],
                           "source": {"experimentId": "00000000-0000-7000-8000-000000000000"}},
                          "source.experimentId", "not found")
        self.assert_issue({"metrics": ["conversion_rate"], "source": {"experimentId": "x", "history": self.hist}},
                          "source", "not both")
        bad = json.loads(json.dumps(self.hist))
        bad["metrics"]["conversion_rate"]["timeSeries"][0]["timestamp"] = "yesterday"
        self.assert_issue({"metrics": ["conversion_rate"], "source": {"history": bad}},
                          "source.history.metrics.conversion_rate.timeSeries.0.timestamp")
        # Several problems at once, each with its own path.
        err = self.assert_issue({"metrics": ["nope"], "power": 0.1, "durations": [0]}, "metrics.0")
        self.assertTrue({"power", "durations.0", "source"} <= {d["path"] for d in err["details"]}, err)

    def test_experiment_stores_its_plan(self):
        plan = {"days": 14, "totalDailyDollarMde": 1234.5, "power": 0.8, "confidenceLevel": 95, "correction": "holm",
                "design": "did", "preDays": 7, "metrics": {"conversion_rate": {"mde": 0.002, "dailyDollarMde": 3400}},
                "varianceSource": {"kind": "history"}, "ignored": "not stored"}
        exp = self.server.create_experiment(name="With a plan", metrics=["conversion_rate"], dataSource="imported",
                                            plan=plan)
        got = self.server.get(f"/api/experiments/{exp}").data["experiment"]["plan"]
        expected = dict(plan)
        del expected["ignored"]
        self.assertEqual(got, expected)
        listed = [e for e in self.server.get("/api/experiments?limit=100").data["experiments"] if e["id"] == exp]
        self.assertEqual(listed[0]["plan"], expected)
        # Without a plan there is no `plan` field.
        other = self.server.create_experiment(name="No plan", metrics=["conversion_rate"], dataSource="imported")
        self.assertNotIn("plan", self.server.get(f"/api/experiments/{other}").data["experiment"])
        # Every problem with its path; nothing is stored.
        before = self.server.get("/api/experiments?limit=100").data["pagination"]["total"]
        r = self.server.post("/api/experiments", {
            "name": "Bad plan", "description": "x", "metrics": ["conversion_rate"], "startDate": "2025-01-15",
            "endDate": "2025-01-29", "expectedOutcome": "positive",
            "plan": {"days": 21, "power": 2, "metrics": {"bounce_rate": {"mde": 1}}, "totalDailyDollarMde": -1,
                     "varianceSource": {"kind": "guess"}}})
        self.assertEqual(r.status, 400, r.body[:300])
        paths = {d["path"] for d in r.error["details"]}
        self.assertTrue({"plan.days", "plan.power", "plan.metrics.bounce_rate", "plan.totalDailyDollarMde",
                         "plan.varianceSource.kind"} <= paths, paths)
        self.assertEqual(self.server.get("/api/experiments?limit=100").data["pagination"]["total"], before)

    def test_plan_mde_is_what_the_analysis_reports(self):
        """The promise, through the real binary: `rallyuxr plan` on a history, then `rallyuxr analyze`
        on an experiment of that length whose daily blocks have the history's variance, report the
        same minimum detectable effect (80% power, one metric)."""
        rng = random.Random(15)

        def standardized(n, var, shift):
            xs = [rng.gauss(0, 1) for _ in range(n)]
            m = sum(xs) / n
            sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
            return [(x - m) / sd * math.sqrt(var) + shift for x in xs]

        def rows(day0, blocks):
            out = []
            for b, x in enumerate(blocks):
                for h in range(24):
                    t = day0 + timedelta(days=b, hours=h)
                    out.append(f"conversion_rate,{iso(t)},{0.05 + x!r},0.05,500,500")
            return out

        header = "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"
        hist = standardized(21, 4e-6, 0.0)
        var = sum((x - sum(hist) / 21) ** 2 for x in hist) / 20
        start = datetime(2025, 3, 1, tzinfo=timezone.utc)
        with tempfile.TemporaryDirectory() as tmp:
            hpath = os.path.join(tmp, "history.csv")
            with open(hpath, "w") as f:
                f.write("\n".join([header] + rows(start - timedelta(days=21), hist)) + "\n")
            for design, days in (("paired", 14), ("did", 21)):
                out = subprocess.run([BIN, "plan", hpath, "--design", design, "--pre-days", "7", "--durations", str(days)],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(out.returncode, 0, out.stderr)
                planned = json.loads(out.stdout)["durations"][0]["metrics"]["conversion_rate"]["mde"]
                epath = os.path.join(tmp, f"experiment-{design}.csv")
                lines = [header] + rows(start, standardized(days, var, 0.003))
                if design == "did":
                    lines += rows(start - timedelta(days=7), standardized(7, var, 0.0))
                with open(epath, "w") as f:
                    f.write("\n".join(lines) + "\n")
                end = start + timedelta(days=days)
                out = subprocess.run([BIN, "analyze", epath, "--start", iso(start), "--end", iso(end), "--design", design],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(out.returncode, 0, out.stderr)
                r = json.loads(out.stdout)["didResults"]["conversion_rate"]
                self.assertEqual(r["method"], design)
                self.assertEqual(r["postBlocks"], days)
                self.assertAlmostEqual(r["minimumDetectableEffect"], planned, delta=1e-9 * planned, msg=design)

    def test_cli_equals_api(self):
        with tempfile.TemporaryDirectory() as tmp:
            jpath = os.path.join(tmp, "history.json")
            cpath = os.path.join(tmp, "history.csv")
            with open(jpath, "w") as f:
                json.dump(self.hist, f)
            with open(cpath, "w") as f:
                f.write(to_csv(self.hist))
            api = self.plan({"metrics": ["conversion_rate", "bounce_rate"], "source": {"history": self.hist},
                             "design": "did", "preDays": 10, "power": 0.85, "correction": "none",
                             "targetDailyDollarImpact": 1500, "targetEffects": {"bounce_rate": -0.002}})
            self.assertEqual(api.status, 200, api.body[:500])
            for path in (jpath, cpath):
                out = subprocess.run([BIN, "plan", path, "--design", "did", "--pre-days", "10", "--power", "0.85",
                                      "--correction", "none", "--target-daily-dollars", "1500",
                                      "--target-effect", "bounce_rate=-0.002"],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertEqual(json.loads(out.stdout), api.data)
            # Errors with their paths on stderr, exit code 1.
            short = os.path.join(tmp, "short.json")
            with open(short, "w") as f:
                json.dump(history(days=4), f)
            out = subprocess.run([BIN, "plan", short], capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 1)
            self.assertIn("source.history.metrics.conversion_rate", out.stderr)


if __name__ == "__main__":
    unittest.main()
