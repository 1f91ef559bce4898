"""libpq is loaded only for a PostgreSQL URL (docs/architecture.md, "libpq at run time"): a server on
SQLite never maps it, one on PostgreSQL does; and on a machine without libpq, SQLite serves and
`rallyuxr analyze` runs while a PostgreSQL URL fails at once with a message naming the library.

The machine without libpq is this one with the library hidden in a private mount namespace
(`unshare -m`, /dev/null bound over the file): skipped where unshare or mount is not permitted."""
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import BIN, DATABASE, Server, free_port, is_postgres

CSV = ("metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize\n"
       + "".join(f"conversion_rate,2025-01-15T{h:02d}:00:00Z,0.051,0.05,1000,1000\n" for h in range(24)))


def libpq_path():
    """The file the dynamic loader opens for libpq.so.5, or None."""
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    m = re.search(r"libpq\.so\.5 \(libc6,x86-64[^)]*\) => (\S+)", out) or re.search(r"libpq\.so\.5 .*=> (\S+)", out)
    return os.path.realpath(m.group(1)) if m else None


def mapped_libraries(pid):
    """Base names of the shared objects mapped into process pid."""
    with open(f"/proc/{pid}/maps") as f:
        return {os.path.basename(p) for p in (line.split()[-1] for line in f if line.count(" ") >= 5) if ".so" in p}


def without_libpq(cmd):
    """cmd run with libpq hidden: a private mount namespace where /dev/null covers the library."""
    lib = libpq_path()
    script = f'mount --bind /dev/null "$1" && shift && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", lib, *cmd]


def can_hide_libpq():
    if not libpq_path() or not shutil.which("unshare"):
        return False
    r = subprocess.run(without_libpq(["true"]), capture_output=True)
    return r.returncode == 0


class LibpqLoadingTest(unittest.TestCase):
    def test_sqlite_server_does_not_map_libpq_postgres_does(self):
        with Server() as s:
            libs = mapped_libraries(s.proc.pid)
            self.assertEqual(s.get("/api/health").status, 200)
            if is_postgres(s.database):
                self.assertTrue(any(n.startswith("libpq.so") for n in libs), libs)
            else:
                self.assertFalse(any(n.startswith("libpq.so") for n in libs), libs)
                self.assertFalse(any(n.startswith(("libgssapi", "libldap", "libkrb5")) for n in libs), libs)

    @unittest.skipUnless(can_hide_libpq(), "needs unshare -m and mount (root) to hide libpq")
    def test_without_libpq_sqlite_works_and_postgres_fails_clearly(self):
        with tempfile.TemporaryDirectory(prefix="rallyuxr-nolibpq-") as tmp:
            csv = os.path.join(tmp, "r.csv")
            with open(csv, "w") as f:
                f.write(CSV)
            r = subprocess.run(without_libpq([BIN, "analyze", csv, "--start", "2025-01-15", "--end", "2025-01-29"]),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn('"status":"complete"', r.stdout.replace(" ", ""))

            # A server on SQLite starts and answers.
            port = free_port()
            with open(os.path.join(tmp, "serve.log"), "wb") as log:
                proc = subprocess.Popen(without_libpq([BIN, "serve", "--port", str(port), "--database",
                                                       f"sqlite:{tmp}/t.db", "--web-root", os.path.join(tmp, "no-web")]),
                                        stdout=log, stderr=subprocess.STDOUT)
                try:
                    status = None
                    deadline = time.monotonic() + 20
                    while status is None and time.monotonic() < deadline and proc.poll() is None:
                        try:
                            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                            c.request("GET", "/api/health")
                            status = c.getresponse().status
                            c.close()
                        except OSError:
                            time.sleep(0.05)
                    self.assertEqual(status, 200)
                finally:
                    proc.terminate()
                    proc.wait(20)

            # A PostgreSQL URL: exit 1 at once, naming the library and its package.
            url = DATABASE if is_postgres(DATABASE) else "postgresql://rallyuxr@127.0.0.1:1/none"
            r = subprocess.run(without_libpq([BIN, "serve", "--port", "0", "--database", url]),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            out = r.stdout + r.stderr
            self.assertIn("cannot open the database", out)
            self.assertIn("libpq.so.5", out)
            self.assertIn("libpq5", out)


if __name__ == "__main__":
    unittest.main()
