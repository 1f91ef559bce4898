"""The event-driven pipeline through the real binary: create -> running -> complete, retries and
failures, re-analysis, and durability across kill -9."""
import csv
import io
import sqlite3
import threading
import time
import unittest

from harness import Server, is_postgres, psql

# A real fault instead of a test-only flag in the binary: the database itself refuses the hourly
# series of experiments whose name holds "[fail]" (a trigger installed by the test), so their
# generation job fails on every attempt, is retried and ends failed.
REFUSAL = "refused by the test trigger"
SQLITE_TRIGGER = f"""
CREATE TRIGGER test_refuse_points BEFORE INSERT ON result_series
WHEN instr((SELECT name FROM experiments WHERE id = NEW.experiment_id), '[fail]') > 0
BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END;
"""
PG_TRIGGER = f"""
CREATE FUNCTION test_refuse_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF strpos((SELECT name FROM experiments WHERE id = NEW.experiment_id), '[fail]') > 0 THEN
    RAISE EXCEPTION '{REFUSAL}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER test_refuse_points BEFORE INSERT ON result_series
  FOR EACH ROW EXECUTE FUNCTION test_refuse_points();
"""


def install_refusal_trigger(server):
    if is_postgres(server.database):
        psql(server.database, PG_TRIGGER)
    else:
        db = sqlite3.connect(server.database[len("sqlite:"):], timeout=30)
        try:
            db.executescript(SQLITE_TRIGGER)
        finally:
            db.close()


class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--max-attempts", "3", "--retry-base-ms", "50").start()
        install_refusal_trigger(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.tmp.cleanup()

    def test_create_to_complete(self):
        s = self.server
        t0 = time.time()
        exp_id = s.create_experiment(name="Pipeline 14d 3 metrics",
                                     metrics=["conversion_rate", "bounce_rate", "average_order_value"],
                                     implementationCost=20000)
        e = s.wait_status(exp_id, timeout=10)
        elapsed = time.time() - t0
        self.assertEqual(e["status"], "complete")
        self.assertLess(elapsed, 5.0)  # generous: the target (well under a second) lives in benchmarks
        d = s.get(f"/api/experiments/{exp_id}").data
        self.assertTrue(d["hasResults"])
        self.assertTrue(d["hasAnalysis"])
        self.assertGreater(d["participantCount"], 0)
        r = s.get(f"/api/experiments/{exp_id}/results").data
        res, a = r["results"], r["analysis"]
        self.assertEqual(set(res["metrics"]), {"conversion_rate", "bounce_rate", "average_order_value"})
        ts = res["metrics"]["conversion_rate"]["timeSeries"]
        self.assertEqual(len(ts), 7 * 24 + 14 * 24)  # default 7-day pre period + 336 hours
        self.assertEqual(ts[0]["timestamp"], "2025-01-08T00:00:00Z")
        self.assertEqual(ts[-1]["timestamp"], "2025-01-28T23:00:00Z")
        for p in ts:
            self.assertTrue(0 <= p["treatmentValue"] <= 1 and 0 <= p["controlValue"] <= 1)
            self.assertIsInstance(p["treatmentSampleSize"], int)
        summary = res["metrics"]["conversion_rate"]["summary"]
        post = [p for p in ts if p["timestamp"] >= "2025-01-15"]
        self.assertAlmostEqual(summary["treatmentMean"], sum(p["treatmentValue"] for p in post) / len(post), places=12)
        self.assertEqual(summary["totalTreatmentSamples"], sum(p["treatmentSampleSize"] for p in post))
        self.assertEqual(res["experimentPeriod"]["startDate"], "2025-01-15T00:00:00Z")
        self.assertEqual(a["status"], "complete")
        self.assertEqual(a["experimentPeriod"]["durationDays"], 14)
        self.assertRegex(a["analysisId"], r"^[0-9a-f]{8}-[0-9a-f]{4}-7")
        self.assertEqual(a["version"], "did-2.0.0")  # statistics.md method 2
        self.assertEqual(a["design"], "did")
        self.assertEqual(a["correction"], "holm")
        self.assertEqual(a["guardrails"], {})
        self.assertIn(a["recommendation"], {"ship", "do-not-ship", "inconclusive"})  # complete: never keep-running
        self.assertEqual(set(a["didResults"]), set(res["metrics"]))
        for m, dr in a["didResults"].items():
            for k in ["treatmentMean", "controlMean", "absoluteDifference", "relativeDifference", "pValue",
                      "confidenceLevel", "confidenceInterval", "sampleSizeControl", "sampleSizeTreatment",
                      "effectSize", "method", "adjustedPValue", "significant", "warnings", "parallelTrends",
                      "adjustedConfidenceInterval", "verdict", "effectTrend", "sequential", "postBlocks",
                      "preBlocks", "standardError", "degreesOfFreedom", "tStatistic", "relativeConfidenceInterval",
                      "probabilityOfImprovement", "minimumDetectableEffect"]:
                self.assertIn(k, dr, (m, k))
            self.assertEqual(dr["method"], "did")
            self.assertEqual(dr["postHours"], 336)
            self.assertEqual(dr["preHours"], 168)
            self.assertEqual(dr["postBlocks"], 14)  # daily blocks
            self.assertEqual(dr["preBlocks"], 7)
            self.assertIn(dr["verdict"], {"win", "loss", "inconclusive"})
            aci = dr["adjustedConfidenceInterval"]
            self.assertEqual(aci["lower"] > 0 or aci["upper"] < 0, dr["significant"], m)
            seq = dr["sequential"]
            self.assertEqual(seq["plannedBlocks"], 14 + 7)
            self.assertEqual(seq["looks"], 14 - 7 + 1)
        ei = a["economicImpact"]
        counted = [b for b in ei["metricBreakdown"].values() if b["countedInTotal"]]
        self.assertTrue(counted)
        # Every hour usable for every metric: the total is the sum of the counted dollar impacts and
        # the centre of its own interval.
        self.assertAlmostEqual(ei["totalImpact"], sum(b["dollarImpact"] for b in counted), places=6)
        iv = ei["totalImpactInterval"]
        self.assertAlmostEqual((iv["lower"] + iv["upper"]) / 2, ei["totalImpact"], places=6)
        self.assertAlmostEqual(ei["annualizedImpact"], ei["totalImpact"] / 14 * 365, places=4)
        self.assertAlmostEqual(ei["roiPercentage"], (ei["annualizedImpact"] - 20000) / 20000 * 100, places=6)
        self.assertIn(ei["totalVerdict"], {"win", "loss", "inconclusive"})
        self.assertEqual(ei["totalSequential"]["plannedBlocks"], 21)
        self.assertEqual(ei["durationDays"], 14)
        self.assertEqual(set(a["metricValuesSnapshot"]), set(res["metrics"]))
        # The simulator counts its returning users once each: SRM on unique users (chi-square),
        # not on user-hours, and a correctly randomised simulation is no mismatch.
        self.assertEqual(a["srm"]["method"], "users")
        self.assertIsNotNone(a["srm"]["chiSquare"])
        self.assertFalse(a["srm"]["detected"])
        self.assertAlmostEqual(a["srm"]["expectedTreatmentShare"], 0.5)
        # Its exports cannot pass for measured results: the file names and every analysis row say so.
        ac = s.get(f"/api/experiments/{exp_id}/analysis.csv")
        self.assertEqual(ac.status, 200)
        self.assertIn('filename="SIMULATED-experiment-', ac.headers["content-disposition"])
        self.assertEqual(ac.headers["x-data-source"], "simulated")
        rows = list(csv.DictReader(io.StringIO(ac.body.decode())))
        self.assertEqual({r["dataSource"] for r in rows}, {"simulated"})
        rc = s.get(f"/api/experiments/{exp_id}/results.csv")
        self.assertIn('filename="SIMULATED-experiment-', rc.headers["content-disposition"])
        # The list shows the impact and counts the experiment as complete.
        listed = {x["id"]: x for x in s.get("/api/experiments?limit=100").data["experiments"]}
        self.assertAlmostEqual(listed[exp_id]["economicImpact"], ei["totalImpact"], places=6)

    def test_events_show_progress(self):
        s = self.server
        exp_id = s.create_experiment(name="Events")
        s.wait_status(exp_id)
        d = s.get(f"/api/experiments/{exp_id}/events").data
        types = [e["eventType"] for e in d["events"]]
        self.assertEqual(types, ["EXPERIMENT_CREATED", "RESULTS_INSERT"])
        created = d["events"][0]["payload"]
        self.assertEqual(created["eventType"], "EXPERIMENT_CREATED")
        self.assertEqual(created["experimentId"], exp_id)
        self.assertEqual(created["experiment"]["id"], exp_id)
        self.assertTrue(created["requestId"])
        stream = d["events"][1]["payload"]
        self.assertEqual(stream["eventName"], "INSERT")
        self.assertEqual(stream["dynamodb"]["Keys"]["experimentId"]["S"], exp_id)
        jobs = {j["kind"]: j for j in d["jobs"]}
        self.assertEqual(jobs["generate_results"]["status"], "done")
        self.assertEqual(jobs["analyze"]["status"], "done")
        gen = jobs["generate_results"]["result"]
        self.assertTrue(gen["success"])
        self.assertEqual(gen["resultsGenerated"], 2 * (168 + 336))
        self.assertEqual(gen["metricsProcessed"], ["conversion_rate", "click_through_rate"])
        self.assertEqual(gen["timeRange"]["granularity"], "hourly")

    def test_same_seed_same_data(self):
        s = self.server
        a = s.create_experiment(name="Seeded A", simulation={"seed": 42, "prePeriodDays": 3})
        b = s.create_experiment(name="Seeded B", simulation={"seed": 42, "prePeriodDays": 3})
        c = s.create_experiment(name="Seeded C", simulation={"seed": 43, "prePeriodDays": 3})
        for x in (a, b, c):
            s.wait_status(x)
        ra, rb, rc = (s.get(f"/api/experiments/{x}/results").data["results"]["metrics"] for x in (a, b, c))
        self.assertEqual(ra, rb)
        self.assertNotEqual(ra, rc)
        self.assertEqual(len(ra["conversion_rate"]["timeSeries"]), 3 * 24 + 336)

    def test_effect_sign_follows_direction(self):
        s = self.server
        exp_id = s.create_experiment(name="Big bounce drop", metrics=["bounce_rate", "conversion_rate"],
                                     expectedOutcome="positive",
                                     simulation={"seed": 7, "trueLift": {"bounce_rate": -0.2, "conversion_rate": 0.3}})
        s.wait_status(exp_id)
        a = s.get(f"/api/experiments/{exp_id}/results").data["analysis"]
        self.assertLess(a["didResults"]["bounce_rate"]["absoluteDifference"], 0)
        self.assertTrue(a["didResults"]["bounce_rate"]["significant"])
        self.assertGreater(a["economicImpact"]["metricBreakdown"]["bounce_rate"]["dollarImpact"], 0)
        self.assertGreater(a["didResults"]["conversion_rate"]["absoluteDifference"], 0)

    def test_failing_job_is_retried_then_failed(self):
        s = self.server
        exp_id = s.create_experiment(name="Doomed [fail]")
        deadline = time.time() + 20
        while time.time() < deadline:
            d = s.get(f"/api/experiments/{exp_id}/events").data
            job = d["jobs"][0]
            if job["status"] == "failed":
                break
            time.sleep(0.05)
        self.assertEqual(job["status"], "failed")
        self.assertEqual(job["attempts"], 3)
        self.assertIn(REFUSAL, job["lastError"])
        r = s.get(f"/api/experiments/{exp_id}/results").data
        self.assertEqual(r["analysis"]["status"], "failed")
        self.assertIn(REFUSAL, r["analysis"]["error"])
        self.assertIsNone(r["results"])
        self.assertEqual(s.get("/api/health").data["queue"]["failed"] >= 1, True)

    def test_reanalysis_on_request_keeps_history(self):
        s = self.server
        exp_id = s.create_experiment(name="Reanalyse me")
        s.wait_status(exp_id)
        first = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
        self.assertEqual(len(first), 1)
        r = s.post(f"/api/experiments/{exp_id}/analyses", {"correction": "fdr_bh", "confidenceLevel": 90})
        self.assertEqual(r.status, 202, r.body)
        new_id = r.data["analysisId"]
        s.wait_idle()
        analyses = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
        self.assertEqual([a["analysisId"] for a in analyses], [new_id, first[0]["analysisId"]])
        self.assertEqual(analyses[0]["correction"], "fdr_bh")
        self.assertEqual(analyses[0]["didResults"]["conversion_rate"]["confidenceLevel"], 90)
        self.assertEqual(analyses[1], first[0])  # the old one is untouched
        newest = s.get(f"/api/experiments/{exp_id}/results").data["analysis"]
        self.assertEqual(newest["analysisId"], new_id)
        bad = s.post(f"/api/experiments/{exp_id}/analyses", {"correction": "bonferroni"})
        self.assertEqual(bad.status, 400)
        imported = s.create_experiment(name="No data yet", dataSource="imported")
        self.assertEqual(s.post(f"/api/experiments/{imported}/analyses").status, 409)

    def test_metric_value_change_reanalyses_running_experiments_only(self):
        s = self.server
        s.post("/api/metric-values", {"metricId": "pipeline_probe", "name": "Probe", "dollarsPerUnit": 100,
                                      "unit": "%", "description": "A metric only this test uses", "category": "other"})
        done = s.create_experiment(name="Completed keeps analysis", metrics=["pipeline_probe"])
        s.wait_status(done)
        before = s.get(f"/api/experiments/{done}/analyses").data["analyses"]
        r = s.put("/api/metric-values/pipeline_probe", {"dollarsPerUnit": 200})
        self.assertEqual(r.data["impactedExperiments"], 0)
        s.wait_idle()
        after = s.get(f"/api/experiments/{done}/analyses").data["analyses"]
        self.assertEqual(before, after)
        # The snapshot keeps the value used at the time.
        self.assertEqual(after[0]["metricValuesSnapshot"]["pipeline_probe"]["dollarsPerUnit"], 100)
        # A new analysis on request uses the new value.
        s.post(f"/api/experiments/{done}/analyses")
        s.wait_idle()
        newest = s.get(f"/api/experiments/{done}/results").data["analysis"]
        self.assertEqual(newest["metricValuesSnapshot"]["pipeline_probe"]["dollarsPerUnit"], 200)
        b_old = after[0]["economicImpact"]["metricBreakdown"]["pipeline_probe"]
        b_new = newest["economicImpact"]["metricBreakdown"]["pipeline_probe"]
        self.assertAlmostEqual(b_new["dollarImpact"], 2 * b_old["dollarImpact"], places=6)

    def test_summary_total_is_sum_of_newest_complete_analyses(self):
        s = self.server
        s.wait_idle()
        d = s.get("/api/experiments?limit=100").data
        total = sum(e["economicImpact"] or 0 for e in d["experiments"])
        self.assertLessEqual(d["pagination"]["total"], 100)
        self.assertAlmostEqual(d["summary"]["totalEconomicImpact"], total, places=4)
        self.assertEqual(d["summary"]["completedExperiments"],
                         sum(1 for e in d["experiments"] if e["status"] == "complete"))


class DurabilityTest(unittest.TestCase):
    def test_kill9_during_burst_then_restart_completes_everything(self):
        s = Server("--workers", "1")
        try:
            s.start()
            accepted = []
            lock = threading.Lock()

            def burst(n):
                for i in range(n):
                    try:
                        exp_id = s.create_experiment(name=f"Burst {i}", metrics=[
                            "conversion_rate", "bounce_rate", "average_order_value"])
                        with lock:
                            accepted.append(exp_id)
                    except Exception:
                        return  # the server died under us: stop this thread

            threads = [threading.Thread(target=burst, args=(40,)) for _ in range(3)]
            for t in threads:
                t.start()
            while len(accepted) < 30:
                time.sleep(0.005)
            s.kill9()
            for t in threads:
                t.join()
            self.assertGreaterEqual(len(accepted), 30)
            s.start()
            for exp_id in accepted:
                s.wait_status(exp_id, timeout=60)
            for exp_id in accepted:
                analyses = s.get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
                versions = [a["resultsVersion"] for a in analyses]
                self.assertEqual(len(versions), len(set(versions)), exp_id)  # one analysis per results version
                self.assertTrue(all(a["status"] == "complete" for a in analyses), exp_id)
                ev = s.get(f"/api/experiments/{exp_id}/events").data
                self.assertEqual([e["eventType"] for e in ev["events"]].count("RESULTS_INSERT"), 1)
                self.assertTrue(all(j["status"] == "done" for j in ev["jobs"]))
        finally:
            s.stop()
            s.tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
