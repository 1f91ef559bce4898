"""Races through the real binary (issue 11): archive against re-analyses and against uploads, and
metric-value updates against each other. Archived is final; a metric value never breaks its own
rules; every final status is one the lifecycle allows. Runs on SQLite with one node, and on
PostgreSQL (RALLYUXR_TEST_DATABASE, ctest -L postgres) with two nodes on one database, the
requests of each race split between them."""
import json
import random
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from harness import DATABASE, Server, create_database, is_postgres

START = datetime(2025, 1, 15, tzinfo=timezone.utc)
DAYS = 3  # short experiments: many rounds, little data each
ROUNDS_REANALYSIS = 120
ROUNDS_UPLOAD = 120
ROUNDS_METRIC = 200

# The lifecycle (domain/lifecycle.hpp) as the statuses an experiment may be in after each kind of
# race, given what the archive request answered.
ALLOWED_WITHOUT_ARCHIVE = {"draft", "running", "complete"}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def points(seed, hours_pre=24, hours_post=DAYS * 24):
    rng = random.Random(seed)
    out = []
    for h in range(-hours_pre, hours_post):
        out.append({"timestamp": iso(START + timedelta(hours=h)),
                    "treatmentValue": 0.03 + rng.gauss(0, 0.003), "controlValue": 0.03 + rng.gauss(0, 0.003),
                    "treatmentSampleSize": rng.randint(200, 300), "controlSampleSize": rng.randint(200, 300)})
    return out


class Races:
    """The races, against `nodes` (one or two servers on one database)."""

    def __init__(self, test, nodes):
        self.test = test
        self.nodes = nodes
        self.observed = {}  # final status -> count, for the report line

    def node(self, i):
        return self.nodes[i % len(self.nodes)]

    def create(self, i, **kw):
        body = {"name": f"Race {i}", "metrics": ["conversion_rate"], "startDate": "2025-01-15",
                "endDate": (START + timedelta(days=DAYS)).strftime("%Y-%m-%d"), "expectedOutcome": "positive"}
        body.update(kw)
        return self.node(i).create_experiment(**body)

    def wait_drained(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = self.nodes[0].get("/api/health").data.get("queue", {})
            if q.get("queued") == 0 and q.get("running") == 0:
                return
            time.sleep(0.05)
        raise AssertionError("the queue did not drain")

    def final_status(self, exp_id):
        s = self.nodes[0].get(f"/api/experiments/{exp_id}").data["experiment"]["status"]
        self.observed[s] = self.observed.get(s, 0) + 1
        return s

    def archive_vs_reanalysis(self, rounds):
        """Complete experiments, each archived while three re-analyses are queued or running."""
        ids = [self.create(i, simulation={"seed": i, "prePeriodDays": 1}) for i in range(rounds)]
        for i, exp_id in enumerate(ids):
            self.node(i).wait_status(exp_id, timeout=60)
        archive_codes = {}

        def race(i, exp_id):
            for k in range(3):
                r = self.node(i + k).post(f"/api/experiments/{exp_id}/analyses")
                self.test.assertIn(r.status, (202, 409), r.body[:300])
            archive_codes[exp_id] = self.node(i + 1).post(f"/api/experiments/{exp_id}/archive").status
            r = self.node(i).post(f"/api/experiments/{exp_id}/analyses")  # after the archive: refused
            self.test.assertEqual(r.status, 409, r.body[:300])

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda a: race(*a), enumerate(ids)))
        self.wait_drained()
        for exp_id in ids:
            self.test.assertEqual(archive_codes[exp_id], 200, exp_id)  # complete -> archived
            self.test.assertEqual(self.final_status(exp_id), "archived", exp_id)
            analyses = self.nodes[0].get(f"/api/experiments/{exp_id}/analyses").data["analyses"]
            # The work of the analyses that lost the race is kept (history), none left processing.
            self.test.assertGreaterEqual(len(analyses), 1)
            self.test.assertTrue(all(a["status"] == "complete" for a in analyses), exp_id)
        return len(ids)

    def archive_vs_upload(self, rounds):
        """Imported drafts (or complete ones) each get an upload and an archive at the same moment."""
        data = {"metrics": {"conversion_rate": {"timeSeries": points(7)}}}
        body = json.dumps(data)
        ids = [self.create(i, dataSource="imported") for i in range(rounds)]
        # Half start complete (an archive of a complete experiment may win or lose to the upload).
        complete = set(ids[::2])
        for i, exp_id in enumerate(ids):
            if exp_id in complete:
                r = self.node(i).put(f"/api/experiments/{exp_id}/results", body,
                                     headers={"Content-Type": "application/json"})
                self.test.assertEqual(r.status, 200, r.body[:300])
        self.wait_drained()
        outcomes = {}

        def race(i, exp_id):
            barrier = threading.Barrier(2)
            got = {}

            def upload():
                barrier.wait()
                r = self.node(i).put(f"/api/experiments/{exp_id}/results", body,
                                     headers={"Content-Type": "application/json"})
                got["upload"] = r

            def archive():
                barrier.wait()
                got["archive"] = self.node(i + 1).post(f"/api/experiments/{exp_id}/archive")

            ts = [threading.Thread(target=upload), threading.Thread(target=archive)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            outcomes[exp_id] = (got["upload"], got["archive"])

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda a: race(*a), enumerate(ids)))
        self.wait_drained()
        tally = {}
        for exp_id in ids:
            up, ar = outcomes[exp_id]
            self.test.assertIn(up.status, (200, 409), up.body[:300])
            self.test.assertIn(ar.status, (200, 409), ar.body[:300])
            if up.status == 409:
                err = up.error
                self.test.assertEqual(err["code"], "CONFLICT")  # the contract's envelope
                self.test.assertEqual(err["message"], "The experiment is archived")
            final = self.final_status(exp_id)
            key = ("complete-start" if exp_id in complete else "draft-start", up.status, ar.status, final)
            tally[key] = tally.get(key, 0) + 1
            if ar.status == 200:
                self.test.assertEqual(final, "archived", (exp_id, key))
            else:
                self.test.assertIn(final, ALLOWED_WITHOUT_ARCHIVE, (exp_id, key))
            if exp_id not in complete:
                # A draft: an archive first refuses the upload (nothing stored); an upload first
                # makes it running, which can be archived only once its analysis completed it.
                r = self.nodes[0].get(f"/api/experiments/{exp_id}/results").data["results"]
                self.test.assertEqual(r is not None, up.status == 200, (exp_id, key))
            if up.status == 200:
                self.test.assertEqual(up.data["totalPoints"], len(data["metrics"]["conversion_rate"]["timeSeries"]))
        return len(ids), tally

    def metric_puts(self, rounds):
        """Two PUTs race on one metric: one raises the value past a rule the other brings in."""
        violations = 0
        codes = {}

        def race(i):
            nonlocal violations
            mid = "race_metric_" + "".join(chr(ord("a") + int(d)) for d in str(i))
            r = self.node(i).post("/api/metric-values", {"metricId": mid, "name": f"Race {i}", "dollarsPerUnit": 50,
                                                         "unit": "count", "description": "A metric for one race",
                                                         "category": "other"})
            self.test.assertEqual(r.status, 201, r.body[:300])
            barrier = threading.Barrier(2)
            got = {}

            def raise_value():
                barrier.wait()
                got["raise"] = self.node(i).put(f"/api/metric-values/{mid}", {"dollarsPerUnit": 5000}).status

            def add_rule():
                barrier.wait()
                got["rule"] = self.node(i + 1).put(f"/api/metric-values/{mid}",
                                                   {"dollarsPerUnit": 60, "validationRules": {"maxValue": 100}}).status

            ts = [threading.Thread(target=raise_value), threading.Thread(target=add_rule)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            key = (got["raise"], got["rule"])
            codes[key] = codes.get(key, 0) + 1
            m = self.nodes[0].get(f"/api/metric-values/{mid}").data["metric"]
            rules = m.get("validationRules") or {}
            if "maxValue" in rules and m["dollarsPerUnit"] > rules["maxValue"]:
                violations += 1
            # Every stored version is one of the two requests, in a consistent order.
            self.test.assertIn(m["dollarsPerUnit"], (60, 5000))
            if got["raise"] == 400:
                self.test.assertEqual(m["dollarsPerUnit"], 60)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(race, range(rounds)))
        self.test.assertEqual(violations, 0)
        return codes


class ConcurrencyTest(unittest.TestCase):
    nodes = []

    @classmethod
    def setUpClass(cls):
        if is_postgres(DATABASE):
            database = create_database()
            cls.nodes = [Server("--workers", "2", database=database).start(),
                         Server("--workers", "2", database=database).start()]
        else:
            cls.nodes = [Server("--workers", "2").start()]

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.stop()
            if n.tmp:
                n.tmp.cleanup()

    def test_archive_is_final_against_reanalyses(self):
        races = Races(self, self.nodes)
        n = races.archive_vs_reanalysis(ROUNDS_REANALYSIS)
        print(f"\narchive vs re-analysis: {n} rounds on {len(self.nodes)} node(s), final {races.observed}", flush=True)

    def test_archive_is_final_against_uploads(self):
        races = Races(self, self.nodes)
        n, tally = races.archive_vs_upload(ROUNDS_UPLOAD)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()))
        print(f"\narchive vs upload: {n} rounds on {len(self.nodes)} node(s); "
              f"(start, upload, archive, final): {summary}", flush=True)

    def test_metric_value_never_breaks_its_rules(self):
        races = Races(self, self.nodes)
        codes = races.metric_puts(ROUNDS_METRIC)
        print(f"\nmetric PUT races: {ROUNDS_METRIC} rounds on {len(self.nodes)} node(s); "
              f"(raise, rule) codes: {codes}", flush=True)


if __name__ == "__main__":
    unittest.main()
