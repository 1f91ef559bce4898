"""Segments (issue 17) through the real binary: import (CSV and JSON) with dimension and segment,
merge and replace, uploads of segments only, every rejected segment file with its lines, the
limits, GET /results?dimension=, the exports' round trip, and the analysis of stored segments."""
import csv
import io
import json
import random
import unittest
from datetime import datetime, timedelta, timezone

from harness import ServerTestCase

START = datetime(2025, 1, 15, tzinfo=timezone.utc)
METRICS = ("conversion_rate", "bounce_rate")
HEADER = "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def segment_points(seed, hours=range(-48, 96), lift=0.0):
    rng = random.Random(seed)
    pts = []
    for h in hours:
        tn, cn = rng.randint(50, 150), rng.randint(50, 150)
        base = 0.03 + rng.random() * 0.01
        pts.append({"timestamp": iso(START + timedelta(hours=h)),
                    "treatmentValue": base + rng.gauss(0, 0.003) + (lift if h >= 0 else 0),
                    "controlValue": base + rng.gauss(0, 0.003),
                    "treatmentSampleSize": tn, "controlSampleSize": cn})
    return pts


def make_segments(names=("desktop", "mobile"), dimension="device", seed=0, hours=range(-48, 96)):
    """{dimension: {segment: {metric: [points]}}}"""
    return {dimension: {name: {m: segment_points(seed * 1000 + i * 10 + j, hours)
                               for j, m in enumerate(METRICS)}
                        for i, name in enumerate(names)}}


def overall_of(segments, dimension):
    """The per-hour sum of one dimension's segments, as the server derives it."""
    out = {}
    for seg in segments[dimension].values():
        for m, pts in seg.items():
            for p in pts:
                acc = out.setdefault(m, {}).setdefault(p["timestamp"], [0, 0, 0.0, 0.0])
                acc[0] += p["treatmentSampleSize"]
                acc[1] += p["controlSampleSize"]
                acc[2] += p["treatmentValue"] * p["treatmentSampleSize"]
                acc[3] += p["controlValue"] * p["controlSampleSize"]
    return {m: [{"timestamp": t, "treatmentValue": a[2] / a[0], "controlValue": a[3] / a[1],
                 "treatmentSampleSize": a[0], "controlSampleSize": a[1]} for t, a in sorted(hours.items())]
            for m, hours in out.items()}


def csv_row(m, p, dimension="", segment=""):
    return (f"{m},{p['timestamp']},{p['treatmentValue']!r},{p['controlValue']!r},"
            f"{p['treatmentSampleSize']},{p['controlSampleSize']},{dimension},{segment}")


def to_csv(overall, segments):
    lines = [HEADER + ",dimension,segment"]
    for m, pts in overall.items():
        lines += [csv_row(m, p) for p in pts]
    for d, segs in segments.items():
        for s, metrics in segs.items():
            for m, pts in metrics.items():
                lines += [csv_row(m, p, d, s) for p in pts]
    return "\n".join(lines) + "\n"


def to_json(overall, segments):
    body = {"segments": {d: {s: {"metrics": {m: {"timeSeries": pts} for m, pts in metrics.items()}}
                             for s, metrics in segs.items()} for d, segs in segments.items()}}
    if overall:
        body["metrics"] = {m: {"timeSeries": pts} for m, pts in overall.items()}
    return body


class SegmentsTest(ServerTestCase):
    def imported(self):
        return self.server.create_experiment(name="Segmented", metrics=list(METRICS), dataSource="imported")

    def upload(self, exp_id, body, method="PUT"):
        if isinstance(body, str):
            return self.server.request(method, f"/api/experiments/{exp_id}/results", body=body,
                                       headers={"Content-Type": "text/csv"})
        return self.server.request(method, f"/api/experiments/{exp_id}/results", body=body)

    def dimension(self, exp_id, name):
        r = self.server.get(f"/api/experiments/{exp_id}/results?dimension={name}")
        self.assertEqual(r.status, 200, r.body[:500])
        self.assertEqual(r.data["dimension"], name)
        return {s: {m: v["timeSeries"] for m, v in seg["metrics"].items()} for s, seg in r.data["segments"].items()}

    def assertRejected(self, r, *expected):
        """400 VALIDATION_ERROR whose details hold each (path, message fragment)."""
        self.assertEqual(r.status, 400, r.body[:800])
        err = r.error
        self.assertEqual(err["code"], "VALIDATION_ERROR")
        details = err["details"]
        text = json.dumps(details)
        for path, fragment in expected:
            self.assertTrue(any(d["path"] == path and fragment in d["message"]
                                for d in details), f"{path}: {fragment} not in {text[:1500]}")
        return details

    def assertNothingStored(self, exp_id):
        self.assertIsNone(self.server.get(f"/api/experiments/{exp_id}/results").data["results"])

    # ---- import
    def test_csv_with_overall_and_segments(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile", "tablet"), seed=1)
        overall = overall_of(segs, "device")
        r = self.upload(exp_id, to_csv(overall, segs))
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["segmentPointsStored"], 3 * 2 * 144)
        self.assertEqual(r.data["pointsStored"], 2 * 144)
        self.assertFalse(r.data["overallDerivedFromSegments"])
        self.assertEqual(r.data["dimensions"], {"device": ["desktop", "mobile", "tablet"]})
        res = self.server.get(f"/api/experiments/{exp_id}/results").data
        self.assertEqual(res["results"]["dimensions"], {"device": ["desktop", "mobile", "tablet"]})
        self.assertNotIn("segments", res)
        got = self.dimension(exp_id, "device")
        self.assertEqual(got, segs["device"])  # exact values kept
        self.assertEqual(res["results"]["metrics"]["conversion_rate"]["timeSeries"], overall["conversion_rate"])

    def test_json_with_two_dimensions(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile"), seed=2)
        # country: the same population split another way (sizes and values recombined exactly).
        country = {"country": {"us": {}, "de": {}}}
        for m in METRICS:
            us, de = [], []
            for p in overall_of(segs, "device")[m]:
                tn, cn = p["treatmentSampleSize"], p["controlSampleSize"]
                us.append(dict(p, treatmentSampleSize=tn, controlSampleSize=cn))
                de.append(dict(p, treatmentSampleSize=0, controlSampleSize=0, treatmentValue=0.0, controlValue=0.0))
            country["country"]["us"][m], country["country"]["de"][m] = us, de
        body = to_json(overall_of(segs, "device"), {**segs, **country})
        body["segments"]["device"]["mobile"]["uniqueUsers"] = {"treatment": 900, "control": 880}
        r = self.upload(exp_id, body)
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["dimensions"], {"country": ["de", "us"], "device": ["desktop", "mobile"]})
        res = self.server.get(f"/api/experiments/{exp_id}/results").data["results"]
        self.assertEqual(res["dimensions"], {"country": ["de", "us"], "device": ["desktop", "mobile"]})
        r = self.server.get(f"/api/experiments/{exp_id}/results?dimension=device").data
        self.assertEqual(r["segments"]["mobile"]["uniqueUsers"], {"treatment": 900, "control": 880})
        self.assertNotIn("uniqueUsers", r["segments"]["desktop"])

    def test_only_segments_derive_the_overall(self):
        for form in ("csv", "json"):
            with self.subTest(form=form):
                exp_id = self.imported()
                segs = make_segments(("desktop", "mobile"), seed=3)
                body = to_csv({}, segs) if form == "csv" else to_json({}, segs)
                r = self.upload(exp_id, body)
                self.assertEqual(r.status, 200, r.body[:800])
                self.assertTrue(r.data["overallDerivedFromSegments"])
                self.assertTrue(any("derived from the segments" in w for w in r.data["warnings"]), r.data["warnings"])
                self.assertEqual(r.data["pointsStored"], 2 * 144)
                stored = self.server.get(f"/api/experiments/{exp_id}/results").data["results"]["metrics"]
                want = overall_of(segs, "device")
                for m in METRICS:
                    got = stored[m]["timeSeries"]
                    self.assertEqual(len(got), len(want[m]))
                    for g, w in zip(got, want[m]):
                        self.assertEqual(g["timestamp"], w["timestamp"])
                        self.assertEqual(g["treatmentSampleSize"], w["treatmentSampleSize"])
                        self.assertEqual(g["controlSampleSize"], w["controlSampleSize"])
                        self.assertAlmostEqual(g["treatmentValue"], w["treatmentValue"], delta=1e-12)
                        self.assertAlmostEqual(g["controlValue"], w["controlValue"], delta=1e-12)

    def test_merge_upserts_and_replace_replaces(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile"), seed=4, hours=range(-24, 24))
        self.assertEqual(self.upload(exp_id, to_csv(overall_of(segs, "device"), segs)).status, 200)
        # Merge: new hours for both, one changed hour of mobile, a new segment (tablet) with its hours.
        later = make_segments(("desktop", "mobile", "tablet"), seed=5, hours=range(23, 48))
        r = self.upload(exp_id, to_json(overall_of(later, "device"), later), method="POST")
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(r.data["mode"], "merge")
        got = self.dimension(exp_id, "device")
        self.assertEqual(sorted(got), ["desktop", "mobile", "tablet"])
        for s in ("desktop", "mobile"):
            for m in METRICS:
                by_hour = {p["timestamp"]: p for p in segs["device"][s][m]}
                by_hour.update({p["timestamp"]: p for p in later["device"][s][m]})  # the upload wins hour 23
                self.assertEqual(got[s][m], [by_hour[t] for t in sorted(by_hour)])
        self.assertEqual(got["tablet"], later["device"]["tablet"])
        # A merge without segments leaves them as they are.
        plain = {"metrics": {m: {"timeSeries": overall_of(later, "device")[m][-1:]} for m in METRICS}}
        self.assertEqual(self.upload(exp_id, plain, method="POST").status, 200)
        self.assertEqual(self.dimension(exp_id, "device"), got)
        # Replace: everything, segments included, is what the upload says.
        r = self.upload(exp_id, {"metrics": {m: {"timeSeries": overall_of(segs, "device")[m]} for m in METRICS}})
        self.assertEqual(r.status, 200, r.body[:800])
        self.assertEqual(self.server.get(f"/api/experiments/{exp_id}/results").data["results"]["dimensions"], {})
        r = self.server.get(f"/api/experiments/{exp_id}/results?dimension=device")
        self.assertEqual(r.status, 404)
        self.assertFalse(r.json()["success"])
        self.assertEqual(r.error["code"], "NOT_FOUND")
        self.assertIn("no segments", r.error["message"])

    # ---- rejected files, each problem at its line
    def test_bad_segment_files_are_rejected_whole_with_their_lines(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile"), seed=6, hours=range(0, 3))
        good = to_csv(overall_of(segs, "device"), segs).splitlines()
        # good[1..6]: overall rows (2 metrics x 3 hours); then desktop rows, then mobile rows.
        cases = {
            "unknown column": ([good[0] + ",device"] + [l + ",x" for l in good[1:]],
                               [("line 1", "Unknown column 'device'")]),
            "dimension column alone": ([HEADER + ",dimension"] + [",".join(l.split(",")[:7]) for l in good[1:]],
                                       [("line 1", "Column 'dimension' needs column 'segment'")]),
            "dimension without segment": (good[:8] + [good[8].rsplit(",", 1)[0] + ","] + good[9:],
                                          [("line 9: dimension", "needs its segment")]),
            "segment without dimension": (good[:9] + [",".join(good[9].split(",")[:6]) + ",,desktop"] + good[10:],
                                          [("line 10: dimension", "needs its dimension")]),
        }
        # A conflicting overall row: line 2 is conversion_rate's first hour; one more treatment user.
        f = good[1].split(",")
        f[4] = str(int(f[4]) + 1)
        cases["conflict with the overall row"] = (good[:1] + [",".join(f)] + good[2:],
                                                   [("line 2", "Conflicts with the segments of dimension 'device'")])
        # A segment with a single hour of a metric (its line).
        cases["segment of one hour"] = (good + [csv_row("conversion_rate", segs["device"]["mobile"]["conversion_rate"][0],
                                                        "device", "watch")],
                                        [(f"line {len(good) + 1}", "single hour")])
        for name, (lines, expected) in cases.items():
            with self.subTest(case=name):
                r = self.upload(exp_id, "\n".join(lines) + "\n")
                self.assertRejected(r, *expected)
                self.assertIn("nothing was stored", r.error["message"])
                self.assertNothingStored(exp_id)

    def test_json_problems_name_their_paths(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile"), seed=7, hours=range(0, 3))
        body = to_json(overall_of(segs, "device"), segs)
        body["metrics"]["bounce_rate"]["timeSeries"][2]["controlSampleSize"] += 5
        body["segments"]["device"]["tablet"] = {"metrics": {"conversion_rate": {"timeSeries": [
            segs["device"]["mobile"]["conversion_rate"][0]]}}}
        body["segments"]["device"]["mobile"]["extra"] = 1
        r = self.upload(exp_id, body)
        self.assertRejected(
            r, ("metrics.bounce_rate.timeSeries.2", "Conflicts with the segments of dimension 'device'"),
            ("segments.device.tablet.metrics.conversion_rate.timeSeries.0", "single hour"),
            ("segments.device.mobile.extra", "Unknown field"))
        self.assertNothingStored(exp_id)

    def test_dimensions_that_disagree_are_rejected(self):
        exp_id = self.imported()
        device = make_segments(("desktop", "mobile"), seed=8, hours=range(0, 3))
        country = make_segments(("us", "de"), dimension="country", seed=9, hours=range(0, 3))
        r = self.upload(exp_id, to_csv({}, {**device, **country}))
        details = self.assertRejected(r)
        self.assertTrue(any("every dimension's segments must add up to the same overall figures" in d["message"]
                            for d in details), details[:3])
        self.assertNothingStored(exp_id)

    def test_limits(self):
        exp_id = self.imported()
        # 51 segments in one dimension.
        names = [f"s{i:02d}" for i in range(51)]
        segs = make_segments(names, seed=10, hours=range(0, 2))
        r = self.upload(exp_id, to_json({}, segs))
        self.assertRejected(r, ("segments.device.s50.metrics.conversion_rate.timeSeries.0",
                                "Too many segments in dimension 'device': at most 50 per dimension"))
        self.assertNothingStored(exp_id)
        # 4 dimensions, each splitting the population the same way (one segment each).
        dims = {}
        base = make_segments(("all",), seed=11, hours=range(0, 2))["device"]
        for d in ("device", "country", "plan", "browser"):
            dims[d] = base
        r = self.upload(exp_id, to_csv({}, dims))
        details = self.assertRejected(r)
        self.assertTrue(any("Too many dimensions: at most 3 per experiment" in d["message"] for d in details), details)
        self.assertNothingStored(exp_id)
        # A merge counts the stored ones: 3 stored, a 4th merged in.
        self.assertEqual(self.upload(exp_id, to_csv({}, {d: base for d in ("device", "country", "plan")})).status, 200)
        r = self.upload(exp_id, to_csv({}, {"browser": base}), method="POST")
        details = self.assertRejected(r)
        self.assertTrue(any("Too many dimensions" in d["message"] for d in details), details)
        # 50 segments and 3 dimensions are fine.
        fifty = make_segments(names[:50], seed=12, hours=range(0, 2))
        self.assertEqual(self.upload(exp_id, to_json({}, fifty)).status, 200)

    # ---- results API
    def test_unknown_dimension_is_404_in_the_envelope(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile"), seed=13, hours=range(0, 4))
        self.assertEqual(self.upload(exp_id, to_json({}, segs)).status, 200)
        r = self.server.get(f"/api/experiments/{exp_id}/results?dimension=country")
        self.assertEqual(r.status, 404)
        body = r.json()
        self.assertFalse(body["success"])
        self.assertEqual(body["error"]["code"], "NOT_FOUND")
        self.assertIn("device", body["error"]["message"])
        self.assertIn("requestId", body["error"])
        r = self.server.get(f"/api/experiments/{exp_id}/results")
        self.assertEqual(r.data["results"]["dimensions"], {"device": ["desktop", "mobile"]})

    # ---- analysis
    def test_analysis_document_has_segments_after_processing(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mobile", "tablet"), seed=17, hours=range(-72, 336))
        body = to_json({}, segs)
        body["segments"]["device"]["mobile"]["uniqueUsers"] = {"treatment": 3000, "control": 3000}
        self.assertEqual(self.upload(exp_id, body).status, 200)
        self.server.wait_status(exp_id, ("complete", "running"))
        self.server.wait_idle()
        res = self.server.get(f"/api/experiments/{exp_id}/results").data
        a = res["analysis"]
        self.assertEqual(a["status"], "complete")
        self.assertEqual(a["resultsVersion"], res["results"]["version"])
        self.assertEqual(sorted(a["segments"]), ["device"])
        self.assertEqual(sorted(a["segments"]["device"]), ["desktop", "mobile", "tablet"])
        shares = 0
        for name, seg in a["segments"]["device"].items():
            self.assertEqual(sorted(seg["didResults"]), sorted(METRICS))
            d = seg["didResults"]["conversion_rate"]
            overall = a["didResults"]["conversion_rate"]
            self.assertTrue(set(overall) <= set(d) | {"warnings"}, set(overall) - set(d))
            self.assertIn("adjustedPValue", d)
            self.assertIn("totalImpact", seg["economicImpact"])
            self.assertIn("srm", seg)
            shares += seg["trafficShare"]
        self.assertAlmostEqual(shares, 1.0, places=9)
        h = a["heterogeneity"]["device"]["conversion_rate"]
        self.assertEqual(h["segments"], 3)
        self.assertEqual(h["df"], 2)
        self.assertGreaterEqual(h["pValue"], 0)
        self.assertLessEqual(h["pValue"], 1)
        # The same document from the analysis route.
        doc = self.server.get(f"/api/experiments/{exp_id}/analysis").data
        doc = doc.get("analysis", doc)
        self.assertEqual(doc["segments"], a["segments"])
        # Without segments: both present and empty.
        plain = self.imported()
        self.assertEqual(self.upload(plain, {"metrics": {m: {"timeSeries": overall_of(segs, "device")[m]}
                                                         for m in METRICS}}).status, 200)
        self.server.wait_status(plain, ("complete", "running"))
        self.server.wait_idle()
        a = self.server.get(f"/api/experiments/{plain}/results").data["analysis"]
        self.assertEqual(a["segments"], {})
        self.assertEqual(a["heterogeneity"], {})

    def test_simulated_experiments_store_the_simulators_segments(self):
        exp_id = self.server.create_experiment(name="Simulated with segments", metrics=list(METRICS))
        self.server.wait_status(exp_id, ("complete",))
        self.server.wait_idle()
        res = self.server.get(f"/api/experiments/{exp_id}/results").data
        self.assertEqual(res["results"]["dimensions"], {"device": ["desktop", "mobile", "tablet"]})
        segs = self.dimension(exp_id, "device")
        overall = res["results"]["metrics"]
        for m in METRICS:  # the overall series is the segments' per-hour sum
            for i, p in enumerate(overall[m]["timeSeries"]):
                self.assertEqual(p["treatmentSampleSize"], sum(segs[s][m][i]["treatmentSampleSize"] for s in segs))
                self.assertEqual(p["controlSampleSize"], sum(segs[s][m][i]["controlSampleSize"] for s in segs))
        a = res["analysis"]
        self.assertEqual(sorted(a["segments"]["device"]), ["desktop", "mobile", "tablet"])
        self.assertEqual(sorted(a["heterogeneity"]["device"]), sorted(METRICS))

    # ---- exports
    def test_exports_round_trip(self):
        exp_id = self.imported()
        segs = make_segments(("desktop", "mo,bile"), seed=14)
        segs.update(make_segments(("us", "de"), dimension="country", seed=15))
        # Both dimensions must add up to the overall: send only device + overall and country as the
        # same totals split in two equal halves is not exact; use device and an identical copy.
        segs["country"] = {"us": segs["device"]["desktop"], "de": segs["device"]["mo,bile"]}
        body = to_json(overall_of(segs, "device"), segs)
        body["uniqueUsers"] = {"treatment": 5000, "control": 5100}
        self.assertEqual(self.upload(exp_id, body).status, 200)
        csv_export = self.server.get(f"/api/experiments/{exp_id}/results.csv")
        self.assertEqual(csv_export.status, 200)
        rows = list(csv.DictReader(io.StringIO(csv_export.body.decode())))
        self.assertEqual(rows[0].keys() >= {"dimension", "segment", "period"}, True)
        self.assertEqual(sum(1 for r in rows if r["segment"] == "mo,bile"), 2 * 144)
        json_export = self.server.get(f"/api/experiments/{exp_id}/results.json")
        self.assertEqual(json_export.status, 200)
        self.assertIn("application/json", json_export.headers.get("content-type", ""))
        doc = json.loads(json_export.body)
        self.assertEqual(doc["uniqueUsers"], {"treatment": 5000, "control": 5100})
        for kind, text in (("csv", csv_export.body.decode()), ("json", doc)):
            with self.subTest(export=kind):
                copy = self.imported()
                r = self.upload(copy, text)
                self.assertEqual(r.status, 200, r.body[:800])
                self.assertFalse(r.data["overallDerivedFromSegments"])
                for d in ("device", "country"):
                    self.assertEqual(self.dimension(copy, d), self.dimension(exp_id, d))
                a = self.server.get(f"/api/experiments/{exp_id}/results").data["results"]
                b = self.server.get(f"/api/experiments/{copy}/results").data["results"]
                self.assertEqual(a["metrics"], b["metrics"])
                self.assertEqual(a["dimensions"], b["dimensions"])
                again = self.server.get(f"/api/experiments/{copy}/results.csv").body
                self.assertEqual(again, csv_export.body)

    def test_exports_without_segments_keep_their_columns(self):
        exp_id = self.imported()
        segs = make_segments(("desktop",), seed=16, hours=range(0, 3))
        body = {"metrics": {m: {"timeSeries": pts} for m, pts in overall_of(segs, "device").items()}}
        self.assertEqual(self.upload(exp_id, body).status, 200)
        text = self.server.get(f"/api/experiments/{exp_id}/results.csv").body.decode()
        self.assertEqual(text.splitlines()[0], HEADER + ",period")
        doc = json.loads(self.server.get(f"/api/experiments/{exp_id}/results.json").body)
        self.assertEqual(doc["segments"], {})


if __name__ == "__main__":
    unittest.main()
