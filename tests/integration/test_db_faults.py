"""The database going away under load: while PostgreSQL is stopped, /api/health answers 503 with
services.database 'down' and every other request 503 SERVICE_UNAVAILABLE, none hanging; once it is
started again (same data, same port) the node recovers by itself, with no restart, and every
experiment accepted before completes exactly once. Uses a PostgreSQL server of its own (it stops
it), so runs only with RALLYUXR_TEST_DATABASE=postgresql://... (ctest -L postgres)."""
import threading
import time
import unittest

from harness import DATABASE, Server, ThrowawayPostgres, is_postgres
from test_multinode import METRICS, check_completed_once, wait_drained

REQUEST_TIMEOUT = 15  # seconds a client waits; the service must answer well within it


@unittest.skipUnless(is_postgres(DATABASE), "needs RALLYUXR_TEST_DATABASE=postgresql://... (ctest -L postgres)")
class DatabaseOutageTest(unittest.TestCase):
    def setUp(self):
        self.pg = ThrowawayPostgres().start()
        self.nodes = []

    def tearDown(self):
        for s in self.nodes:
            s.stop()
            s.tmp.cleanup()
        self.pg.stop()

    def timed(self, fn, *args, **kw):
        t = time.time()
        r = fn(*args, timeout=REQUEST_TIMEOUT, **kw)
        return r, time.time() - t

    def test_outage_under_load_then_recovery_without_restart(self):
        a = Server("--workers", "2", "--lease-seconds", "3", database=self.pg.url)
        b = Server("--workers", "2", "--lease-seconds", "3", database=self.pg.url)
        self.nodes = [a, b]
        a.start()
        b.start()

        accepted, unavailable, other = [], [], []
        lock = threading.Lock()
        stop = threading.Event()

        def load(k):
            i = 0
            while not stop.is_set() and i < 400:
                node = self.nodes[(i + k) % 2]
                t = time.time()
                try:
                    r = node.post("/api/experiments", {
                        "name": f"Outage {k}.{i}", "description": "load during a database outage",
                        "metrics": METRICS, "startDate": "2025-01-15", "endDate": "2025-01-29",
                        "expectedOutcome": "positive"}, timeout=REQUEST_TIMEOUT)
                    elapsed = time.time() - t
                    with lock:
                        if r.status == 201:
                            accepted.append(r.data["experimentId"])
                        elif r.status == 503 and r.error["code"] == "SERVICE_UNAVAILABLE":
                            unavailable.append(elapsed)
                        else:
                            other.append((r.status, r.body[:200]))
                except Exception as e:  # a timeout here is a hang: recorded and failed below
                    with lock:
                        other.append(("exception", repr(e)))
                i += 1
                time.sleep(0.01)

        threads = [threading.Thread(target=load, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        try:
            deadline = time.time() + 30
            while len(accepted) < 40 and time.time() < deadline:
                time.sleep(0.01)
            self.assertGreaterEqual(len(accepted), 40)

            self.pg.halt()
            halted_at = time.time()
            with lock:
                before_outage = len(accepted)

            # Every kind of request answers 503 with the envelope, quickly, while it is down.
            for node in self.nodes:
                r, took = self.timed(node.get, "/api/health")
                self.assertEqual(r.status, 503, r.body[:300])
                self.assertEqual(r.json()["data"]["services"]["database"], "down")
                self.assertEqual(r.json()["data"]["status"], "unhealthy")
                self.assertLess(took, 10)
                for method, path, body in [
                    ("GET", "/api/experiments", None),
                    ("GET", f"/api/experiments/{accepted[0]}", None),
                    ("GET", "/api/metric-values", None),
                    ("PUT", "/api/metric-values/conversion_rate", {"dollarsPerUnit": 123}),
                    ("POST", "/api/experiments", {"name": "x", "description": "y", "metrics": METRICS,
                                                  "startDate": "2025-01-15", "endDate": "2025-01-29",
                                                  "expectedOutcome": "positive"}),
                ]:
                    r, took = self.timed(node.request, method, path, body=body)
                    self.assertEqual(r.status, 503, (method, path, r.body[:300]))
                    self.assertEqual(r.error["code"], "SERVICE_UNAVAILABLE", (method, path))
                    self.assertFalse(r.json()["success"])
                    self.assertLess(took, 10, (method, path))
            time.sleep(2)  # load keeps coming while the database is down

            self.pg.resume()
            resumed_at = time.time()
            # Both nodes recover by themselves: same processes, healthy again.
            for node in self.nodes:
                deadline = time.time() + 30
                while True:
                    r = node.get("/api/health", timeout=REQUEST_TIMEOUT)
                    if r.status == 200:
                        break
                    self.assertLess(time.time(), deadline, "the node did not recover: " + r.body.decode()[:300])
                    time.sleep(0.1)
                self.assertIsNone(node.proc.poll())
            recovered = time.time() - resumed_at
            time.sleep(1)  # and take writes again
        finally:
            stop.set()
            for t in threads:
                t.join()

        self.assertEqual(other, [])  # nothing but 201 or 503 SERVICE_UNAVAILABLE, no hang
        self.assertGreater(len(unavailable), 0)
        self.assertLess(max(unavailable), 10)
        self.assertGreater(len(accepted), before_outage)  # writes were accepted after recovery
        wait_drained(a, timeout=120)
        print(f"\noutage {resumed_at - halted_at:.1f}s: {len(unavailable)} requests answered 503 "
              f"(slowest {max(unavailable) * 1000:.0f} ms), healthy {recovered:.2f}s after restart; "
              f"{len(accepted)} experiments accepted ({before_outage} before the outage), all complete")
        check_completed_once(self, self.nodes, accepted)
        q = a.get("/api/health").data["queue"]
        self.assertEqual(q["failed"], 0)


if __name__ == "__main__":
    unittest.main()
