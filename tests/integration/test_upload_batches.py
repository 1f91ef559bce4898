"""Large uploads through the binary at the store's batching boundaries (issue 18): SQLite writes 64
points per INSERT and PostgreSQL 5,000 per statement, so uploads of exactly one batch, one point
over, and points out of order across a batch must all be stored exactly (every double bit for bit,
read back through GET .../results), as CSV and as JSON, replaced and merged; a bad row after the
first batches stores nothing."""
import json
import random
import unittest
from datetime import datetime, timedelta, timezone

from harness import ServerTestCase

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
METRICS = ["conversion_rate", "bounce_rate"]
HEADER = "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def points(n, seed, first_hour=0):
    """n hourly points with 17-digit values, tiny and huge ones among them."""
    rng = random.Random(seed)
    out = []
    for h in range(first_hour, first_hour + n):
        tv = rng.choice([rng.random(), rng.gauss(0, 1) * 10 ** rng.randint(-300, 300), 5e-324, -0.0, 2.0 ** 60])
        out.append({"timestamp": iso(START + timedelta(hours=h)), "treatmentValue": tv,
                    "controlValue": rng.random() / 3, "treatmentSampleSize": rng.randint(0, 10 ** 12),
                    "controlSampleSize": rng.randint(0, 1000)})
    return out


def to_csv(series):
    lines = [HEADER]
    for m, pts in series.items():
        lines.extend(f"{m},{p['timestamp']},{p['treatmentValue']!r},{p['controlValue']!r},"
                     f"{p['treatmentSampleSize']},{p['controlSampleSize']}" for p in pts)
    return "\n".join(lines) + "\n"


def key(p):
    return p["timestamp"]


class UploadBatchesTest(ServerTestCase):
    def experiment(self):
        return self.server.create_experiment(name="Batches", metrics=METRICS, dataSource="imported",
                                             startDate="2024-01-01", endDate="2024-12-31")

    def upload(self, exp_id, series, as_csv, method="PUT"):
        path = f"/api/experiments/{exp_id}/results"
        if as_csv:
            return self.server.request(method, path, body=to_csv(series), headers={"Content-Type": "text/csv"})
        return self.server.request(method, path, body=json.dumps({"metrics": {m: {"timeSeries": p} for m, p in series.items()}}),
                                   headers={"Content-Type": "application/json"})

    def stored(self, exp_id):
        res = self.server.get(f"/api/experiments/{exp_id}/results").data["results"]
        return {m: v["timeSeries"] for m, v in res["metrics"].items()}

    def assert_stored_exactly(self, exp_id, expected):
        got = self.stored(exp_id)
        for m in set(got) - set(expected):
            self.assertEqual(got[m], [], m)  # a metric of the experiment without data
        for m, pts in expected.items():
            want = sorted(pts, key=key)
            self.assertEqual(len(got[m]), len(want), m)
            for a, b in zip(got[m], want):
                self.assertEqual(a["timestamp"], b["timestamp"])
                for f in ("treatmentValue", "controlValue"):
                    # The same double, bit for bit: its shortest text is equal (the API writes -0.0 as 0).
                    self.assertEqual(repr(float(a[f]) + 0.0), repr(float(b[f]) + 0.0), (m, a["timestamp"], f))
                self.assertEqual(a["treatmentSampleSize"], b["treatmentSampleSize"])
                self.assertEqual(a["controlSampleSize"], b["controlSampleSize"])

    def test_batch_boundaries_csv_and_json(self):
        # One metric: 64 (one SQLite batch), 65 (one over), 128 + 1; two metrics of 2,500 + 2,501
        # (5,001 points: one PostgreSQL statement and one point over) and 2,500 + 2,500 (exactly 5,000).
        cases = [{"conversion_rate": 64}, {"conversion_rate": 65}, {"conversion_rate": 129},
                 {"conversion_rate": 2500, "bounce_rate": 2500}, {"conversion_rate": 2500, "bounce_rate": 2501}]
        for i, counts in enumerate(cases):
            for as_csv in (True, False):
                with self.subTest(counts=counts, csv=as_csv):
                    exp_id = self.experiment()
                    series = {m: points(n, seed=i * 10 + j + (100 if as_csv else 0)) for j, (m, n) in enumerate(counts.items())}
                    r = self.upload(exp_id, series, as_csv)
                    self.assertEqual(r.status, 200, r.body[:500])
                    self.assertEqual(r.data["pointsStored"], sum(counts.values()))
                    self.assertEqual(r.data["totalPoints"], sum(counts.values()))
                    self.assert_stored_exactly(exp_id, series)

    def test_out_of_order_rows_and_merge_across_batches(self):
        s = self.server
        for as_csv in (True, False):
            with self.subTest(csv=as_csv):
                exp_id = self.experiment()
                first = {"conversion_rate": points(200, seed=1)}
                shuffled = {"conversion_rate": list(reversed(first["conversion_rate"]))}
                random.Random(3).shuffle(shuffled["conversion_rate"][:100])
                r = self.upload(exp_id, shuffled, as_csv)
                self.assertEqual(r.status, 200, r.body[:500])
                self.assert_stored_exactly(exp_id, first)
                # A merge replacing hours 100..299 (out of order) and adding 200..299: 300 points.
                second = {"conversion_rate": list(reversed(points(200, seed=2, first_hour=100)))}
                r = self.upload(exp_id, second, as_csv, method="POST")
                self.assertEqual(r.status, 200, r.body[:500])
                self.assertEqual(r.data["totalPoints"], 300)
                merged = {p["timestamp"]: p for p in first["conversion_rate"]}
                merged.update({p["timestamp"]: p for p in second["conversion_rate"]})
                self.assert_stored_exactly(exp_id, {"conversion_rate": list(merged.values())})
                s.wait_idle()

    def test_a_bad_row_after_full_batches_stores_nothing(self):
        for as_csv in (True, False):
            with self.subTest(csv=as_csv):
                exp_id = self.experiment()
                good = {"conversion_rate": points(130, seed=5)}
                self.assertEqual(self.upload(exp_id, good, as_csv).status, 200)
                bad = {"conversion_rate": points(5100, seed=6)}
                bad["conversion_rate"][5050]["timestamp"] = "2024-13-01T00:00:00Z"
                r = self.upload(exp_id, bad, as_csv)
                self.assertEqual(r.status, 400, r.body[:300])
                self.assertEqual(r.error["code"], "VALIDATION_ERROR")
                where = "line 5052: timestamp" if as_csv else "metrics.conversion_rate.timeSeries.5050.timestamp"
                self.assertIn(where, [d["path"] for d in r.error["details"]])
                self.assert_stored_exactly(exp_id, good)  # the earlier upload, untouched


if __name__ == "__main__":
    unittest.main()
