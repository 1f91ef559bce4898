"""Issue 18's serving half: kept response bytes, ETag / If-None-Match, gzip negotiated by
Accept-Encoding, and no stale bytes after any write (upload, re-analysis, metric value change,
decision, archive, experiment create), also across two nodes on one PostgreSQL database."""
import gzip
import math
import random
import re
import unittest
from datetime import datetime, timedelta, timezone

from harness import DATABASE, Server, create_database, is_postgres
from test_import import make_points


def cache_figure(server, name):
    text = server.get("/metrics").body.decode()
    m = re.search(rf"^{name} (\d+)", text, re.M)
    return int(m.group(1)) if m else None


def points_from(start, hours_pre, hours_post, seed, lift):
    """Hourly points around `start` (a datetime), as the upload takes them."""
    rng = random.Random(seed)
    pts = []
    for h in range(-hours_pre, hours_post):
        t = start + timedelta(hours=h)
        base = 10 + 2 * math.sin(h / 24 * 2 * math.pi)
        pts.append({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "treatmentValue": base + rng.gauss(0, 0.5) + (lift if h >= 0 else 0),
                    "controlValue": base + rng.gauss(0, 0.5),
                    "treatmentSampleSize": rng.randint(200, 300), "controlSampleSize": rng.randint(200, 300)})
    return pts


def upload_body(seed=1, lift=0.002):
    return {"metrics": {"conversion_rate": {"timeSeries": make_points("conversion_rate", seed=seed, lift=lift)},
                        "bounce_rate": {"timeSeries": make_points("bounce_rate", seed=seed + 1, lift=-0.003)}}}


class CachingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--workers", "1").start()
        s = cls.server
        cls.exp_id = s.create_experiment(name="Cached", metrics=["conversion_rate", "bounce_rate"],
                                         dataSource="imported")
        r = s.put(f"/api/experiments/{cls.exp_id}/results", upload_body())
        assert r.status == 200, r.body[:500]
        s.wait_idle()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.server.tmp.cleanup()

    def results(self, exp_id=None, headers=None):
        return self.server.get(f"/api/experiments/{exp_id or self.exp_id}/results", headers=headers)

    # ---- ETag and 304
    def test_etag_and_304(self):
        first = self.results()
        self.assertEqual(first.status, 200)
        etag = first.headers.get("etag")
        self.assertRegex(etag or "", r'^"[^"]+"$')  # strong
        hits = cache_figure(self.server, "rallyuxr_response_cache_hits_total")
        again = self.results()
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers["etag"], etag)
        self.assertGreater(cache_figure(self.server, "rallyuxr_response_cache_hits_total"), hits)
        for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
            r = self.results(headers={"If-None-Match": inm})
            self.assertEqual(r.status, 304, inm)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.headers.get("etag"), etag)
        r = self.results(headers={"If-None-Match": '"not-it"'})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, first.body)

    def test_list_and_analysis_pages_have_etags(self):
        for path in ("/api/experiments", "/api/experiments?limit=5&offset=0",
                     f"/api/experiments/{self.exp_id}/analysis", f"/api/experiments/{self.exp_id}/analyses"):
            r = self.server.get(path)
            self.assertEqual(r.status, 200, path)
            etag = r.headers.get("etag")
            self.assertTrue(etag, path)
            self.assertEqual(self.server.get(path, headers={"If-None-Match": etag}).status, 304, path)

    def test_errors_are_not_cached_or_tagged(self):
        r = self.server.get("/api/experiments/00000000-0000-7000-8000-000000000000/results")
        self.assertEqual(r.status, 404)
        self.assertNotIn("etag", r.headers)
        r = self.server.get("/api/experiments?limit=0")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["code"], "VALIDATION_ERROR")

    # ---- gzip
    def test_gzip_negotiation(self):
        identity = self.results()
        self.assertNotIn("content-encoding", identity.headers)  # no Accept-Encoding: identity
        self.assertIn("Accept-Encoding", identity.headers.get("vary", ""))
        for accept in ("gzip", "gzip, deflate, br", "br;q=1, gzip;q=0.5", "*", "GZIP"):
            r = self.results(headers={"Accept-Encoding": accept})
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers.get("content-encoding"), "gzip", accept)
            self.assertIn("Accept-Encoding", r.headers.get("vary", ""))
            self.assertLess(len(r.body), len(identity.body))
            self.assertEqual(gzip.decompress(r.body), identity.body, accept)
            self.assertNotEqual(r.headers["etag"], identity.headers["etag"])  # its own representation
        for accept in ("identity", "gzip;q=0", "br", "*;q=0", "gzip;q=0, *", "gzip;q=bogus"):
            r = self.results(headers={"Accept-Encoding": accept})
            self.assertNotIn("content-encoding", r.headers, accept)
            self.assertEqual(r.body, identity.body, accept)
        z = self.results(headers={"Accept-Encoding": "gzip"})
        r = self.results(headers={"Accept-Encoding": "gzip", "If-None-Match": z.headers["etag"]})
        self.assertEqual(r.status, 304)
        # The identity tag does not validate the gzip representation, nor the other way round.
        r = self.results(headers={"Accept-Encoding": "gzip", "If-None-Match": identity.headers["etag"]})
        self.assertEqual(r.status, 200)

    def test_csv_and_list_compressed_small_not(self):
        csv_plain = self.server.get(f"/api/experiments/{self.exp_id}/results.csv")
        csv_z = self.server.get(f"/api/experiments/{self.exp_id}/results.csv", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(csv_z.headers.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(csv_z.body), csv_plain.body)
        small = self.server.get("/api/health", headers={"Accept-Encoding": "gzip"})  # under 1 KiB
        self.assertNotIn("content-encoding", small.headers)
        listing = self.server.get("/api/experiments", headers={"Accept-Encoding": "gzip"})
        plain = self.server.get("/api/experiments")
        if len(plain.body) >= 1024:
            self.assertEqual(gzip.decompress(listing.body), plain.body)

    def test_head_matches_get(self):
        get = self.results(headers={"Accept-Encoding": "gzip"})
        head = self.server.request("HEAD", f"/api/experiments/{self.exp_id}/results", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers.get("etag"), get.headers["etag"])
        self.assertEqual(int(head.headers["content-length"]), len(get.body))

    # ---- invalidation: every write path
    def test_upload_changes_results(self):
        s = self.server
        exp_id = s.create_experiment(name="Upload", metrics=["conversion_rate", "bounce_rate"], dataSource="imported")
        before = self.results(exp_id)
        self.assertIsNone(before.data["results"])
        self.assertEqual(self.results(exp_id).body, before.body)  # kept
        self.assertEqual(s.put(f"/api/experiments/{exp_id}/results", upload_body(seed=5)).status, 200)
        after = self.results(exp_id)  # at once, before the analysis
        self.assertIsNotNone(after.data["results"])
        self.assertNotEqual(after.headers["etag"], before.headers["etag"])
        self.assertEqual(s.get(f"/api/experiments/{exp_id}/results", headers={"If-None-Match": before.headers["etag"]}).status, 200)
        s.wait_idle()
        done = self.results(exp_id).data
        self.assertEqual(done["analysis"]["status"], "complete")
        # A merge (POST) bumps the version again.
        r = s.post(f"/api/experiments/{exp_id}/results", upload_body(seed=9))
        self.assertEqual(r.status, 200, r.body[:300])
        merged = self.results(exp_id).data
        self.assertNotEqual(merged["results"], done["results"])

    def test_reanalysis_changes_results(self):
        s = self.server
        first = self.results().data["analysis"]
        r = s.post(f"/api/experiments/{self.exp_id}/analyses", {"confidenceLevel": 90})
        self.assertEqual(r.status, 202, r.body[:300])
        new_id = r.data["analysisId"]
        s.wait_idle()
        shown = self.results().data["analysis"]
        self.assertEqual(shown["analysisId"], new_id)
        self.assertNotEqual(shown["analysisId"], first["analysisId"])
        self.assertEqual(s.get(f"/api/experiments/{self.exp_id}/analysis").data["analysis"]["analysisId"], new_id)

    def test_metric_value_change_changes_results(self):
        s = self.server
        # A running experiment (it ends in the future): a metric value change re-analyses it.
        today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        start = today - timedelta(days=7)
        exp_id = s.create_experiment(name="Metric change", metrics=["average_order_value"], dataSource="imported",
                                     startDate=start.strftime("%Y-%m-%d"),
                                     endDate=(today + timedelta(days=14)).strftime("%Y-%m-%d"))
        body = {"metrics": {"average_order_value": {"timeSeries": points_from(start, 72, 6 * 24, seed=3, lift=2)}}}
        r = s.put(f"/api/experiments/{exp_id}/results", body)
        self.assertEqual(r.status, 200, r.body[:500])
        s.wait_idle()
        before = self.results(exp_id).data
        self.assertEqual(before["experiment"]["status"], "running")
        self.results(exp_id)  # kept
        r = s.put("/api/metric-values/average_order_value", {"dollarsPerUnit": 123.45})
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertGreaterEqual(r.data["impactedExperiments"], 1)
        s.wait_idle()
        after = self.results(exp_id).data
        self.assertNotEqual(after["analysis"]["analysisId"], before["analysis"]["analysisId"])
        self.assertEqual(after["analysis"]["metricValuesSnapshot"]["average_order_value"]["dollarsPerUnit"], 123.45)

    def test_decision_and_archive_change_results_and_list(self):
        s = self.server
        exp_id = s.create_experiment(name="Decide then archive", metrics=["conversion_rate", "bounce_rate"],
                                     dataSource="imported")
        self.assertEqual(s.put(f"/api/experiments/{exp_id}/results", upload_body(seed=11)).status, 200)
        s.wait_idle()
        listing = s.get("/api/experiments?limit=100").data
        s.get("/api/experiments?limit=100")  # kept
        row = next(e for e in listing["experiments"] if e["id"] == exp_id)
        self.assertIsNone(row.get("decision"))
        self.results(exp_id)
        r = s.post(f"/api/experiments/{exp_id}/decision", {"decision": "ship", "reason": "clear win"})
        self.assertEqual(r.status, 201, r.body[:300])
        self.assertEqual(self.results(exp_id).data["experiment"]["decision"]["decision"], "ship")
        row = next(e for e in s.get("/api/experiments?limit=100").data["experiments"] if e["id"] == exp_id)
        self.assertEqual(row["decision"]["decision"], "ship")
        self.assertEqual(s.post(f"/api/experiments/{exp_id}/archive").status, 200)
        self.assertEqual(self.results(exp_id).data["experiment"]["status"], "archived")
        ids = [e["id"] for e in s.get("/api/experiments?limit=100").data["experiments"]]
        self.assertNotIn(exp_id, ids)

    def test_create_changes_list(self):
        s = self.server
        before = s.get("/api/experiments?limit=100")
        self.assertEqual(s.get("/api/experiments?limit=100").body, before.body)  # kept
        new_id = s.create_experiment(name="Newcomer")
        after = s.get("/api/experiments?limit=100")
        self.assertIn(new_id, [e["id"] for e in after.data["experiments"]])
        self.assertEqual(after.data["summary"]["totalExperiments"], before.data["summary"]["totalExperiments"] + 1)
        self.assertNotEqual(after.headers["etag"], before.headers["etag"])
        # The worker's own writes (a simulated experiment generated and analysed) count as writes.
        s.wait_status(new_id)
        row = next(e for e in s.get("/api/experiments?limit=100").data["experiments"] if e["id"] == new_id)
        self.assertEqual(row["status"], "complete")

    def test_query_parameters_are_part_of_the_key(self):
        s = self.server
        a = s.get("/api/experiments?limit=1").data
        b = s.get("/api/experiments?limit=2").data
        self.assertEqual(len(a["experiments"]), 1)
        self.assertEqual(a["pagination"]["limit"], 1)
        self.assertEqual(b["pagination"]["limit"], 2)
        self.assertNotEqual(s.get("/api/experiments?q=Cached").body, s.get("/api/experiments?q=Nothing-like-it").body)


class CacheBoundTest(unittest.TestCase):
    """A small --response-cache-bytes holds no more than that; 0 keeps nothing and stays right."""

    def test_bound_and_disabled(self):
        start = datetime(2025, 1, 15, tzinfo=timezone.utc)
        for limit in (120000, 0):
            with Server("--response-cache-bytes", str(limit), "--workers", "1") as s:
                ids = []
                for i in range(8):
                    exp_id = s.create_experiment(name=f"Bound {i}", metrics=["conversion_rate"], dataSource="imported")
                    body = {"metrics": {"conversion_rate": {"timeSeries": points_from(start, 24, 96, seed=i, lift=0)}}}
                    self.assertEqual(s.put(f"/api/experiments/{exp_id}/results", body).status, 200)
                    ids.append(exp_id)
                bodies = {}
                for _ in range(2):
                    for exp_id in ids:
                        r = s.get(f"/api/experiments/{exp_id}/results", headers={"Accept-Encoding": "gzip"})
                        self.assertEqual(r.status, 200)
                        self.assertTrue(r.headers.get("etag"))
                        bodies.setdefault(exp_id, gzip.decompress(r.body))
                        self.assertEqual(gzip.decompress(r.body), bodies[exp_id])
                size = len(next(iter(bodies.values())))
                kept = cache_figure(s, "rallyuxr_response_cache_bytes")
                self.assertLessEqual(kept, limit)
                if limit == 0:
                    self.assertEqual(cache_figure(s, "rallyuxr_response_cache_hits_total"), 0)
                else:
                    # Each fits (under a quarter of the bound), all eight do not.
                    self.assertLess(size, limit / 4)
                    self.assertGreater(8 * size, limit)
                    self.assertGreater(cache_figure(s, "rallyuxr_response_cache_evictions_total"), 0)
                    self.assertGreater(cache_figure(s, "rallyuxr_response_cache_entries"), 0)


class KeptPagesStillNeedTokensTest(unittest.TestCase):
    """A kept list page is answered without a request thread, but never without the token reads need."""

    def test_read_token_guards_kept_pages(self):
        write, read = "w" * 24, "r" * 24
        with Server("--api-token", write, "--read-token", read) as s:
            auth = {"Authorization": f"Bearer {read}"}
            first = s.get("/api/experiments", headers=auth)
            self.assertEqual(first.status, 200)
            self.assertEqual(s.get("/api/experiments", headers=auth).body, first.body)  # kept
            for headers in ({}, {"Authorization": "Bearer " + "x" * 24}):
                r = s.get("/api/experiments", headers=headers)
                self.assertEqual(r.status, 401, headers)
                self.assertEqual(r.json()["error"]["code"], "UNAUTHORIZED")
                self.assertNotIn("etag", r.headers)
            r = s.get("/api/experiments", headers={"Authorization": f"Bearer {write}", "If-None-Match": first.headers["etag"]})
            self.assertEqual(r.status, 304)


class AccessLogTest(unittest.TestCase):
    def test_lines_keep_their_format_and_are_flushed_on_shutdown(self):
        s = Server().start()
        try:
            ids = [f"cachelog-{i}" for i in range(50)]
            for rid in ids:
                self.assertEqual(s.get("/api/experiments", headers={"X-Request-Id": rid}).status, 200)
            self.assertIn("rallyuxr_access_log_dropped_total 0", s.get("/metrics").body.decode())
        finally:
            s.stop()
        log = s.read_log()
        s.tmp.cleanup()
        for rid in ids:
            self.assertRegex(log.decode() if isinstance(log, bytes) else log,
                             rf"GET /api/experiments 200 [0-9.]+ms id={rid}\n")


@unittest.skipUnless(is_postgres(DATABASE), "needs RALLYUXR_TEST_DATABASE=postgresql://... (ctest -L postgres)")
class TwoNodesNeverStaleTest(unittest.TestCase):
    """A write on node A shows at once on node B, which kept the earlier bytes."""

    @classmethod
    def setUpClass(cls):
        cls.database = create_database()
        cls.a = Server("--workers", "1", database=cls.database).start()
        cls.b = Server("--workers", "1", database=cls.database).start()

    @classmethod
    def tearDownClass(cls):
        for n in (cls.a, cls.b):
            n.stop()
            n.tmp.cleanup()

    def wait_idle_both(self):
        self.a.wait_idle()
        self.b.wait_idle()

    def test_writes_on_one_node_show_on_the_other(self):
        a, b = self.a, self.b
        exp_id = a.create_experiment(name="Two nodes", metrics=["conversion_rate", "bounce_rate"], dataSource="imported")
        path = f"/api/experiments/{exp_id}/results"
        for _ in range(2):
            self.assertIsNone(b.get(path).data["results"])
            b.get("/api/experiments?limit=100")
        self.assertEqual(a.put(path, upload_body(seed=21)).status, 200)
        self.assertIsNotNone(b.get(path).data["results"])  # upload
        self.wait_idle_both()
        first = b.get(path).data["analysis"]
        self.assertEqual(first["status"], "complete")
        b.get(path)
        r = a.post(f"/api/experiments/{exp_id}/analyses", {"confidenceLevel": 90})
        self.assertEqual(r.status, 202)
        self.wait_idle_both()
        self.assertEqual(b.get(path).data["analysis"]["analysisId"], r.data["analysisId"])  # re-analysis
        b.get(path, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(a.post(f"/api/experiments/{exp_id}/decision", {"decision": "iterate", "reason": "r"}).status, 201)
        z = b.get(path, headers={"Accept-Encoding": "gzip"})
        self.assertEqual(gzip.decompress(z.body), b.get(path).body)
        self.assertEqual(b.get(path).data["experiment"]["decision"]["decision"], "iterate")  # decision
        row = next(e for e in b.get("/api/experiments?limit=100").data["experiments"] if e["id"] == exp_id)
        self.assertEqual(row["decision"]["decision"], "iterate")
        new_id = a.create_experiment(name="Made on A")
        self.assertIn(new_id, [e["id"] for e in b.get("/api/experiments?limit=100").data["experiments"]])  # create
        etag = b.get(path).headers["etag"]
        self.assertEqual(a.post(f"/api/experiments/{exp_id}/archive").status, 200)
        r = b.get(path, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200)  # archive
        self.assertEqual(r.data["experiment"]["status"], "archived")
        self.assertNotIn(exp_id, [e["id"] for e in b.get("/api/experiments?limit=100").data["experiments"]])


if __name__ == "__main__":
    unittest.main()
