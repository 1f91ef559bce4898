#!/usr/bin/env python3
"""How long the upgrade to the packed result series takes (docs/operations.md, "Upgrading").

Builds a database at the schema before it (SQLite migrations 1-10, PostgreSQL 1-9, their SQL read
from src/store/*/schema.hpp, as the binary before applied them) holding POINTS million hourly
points in result_points (experiments of 10 metrics x 8,760 hours, random values), then times the
first `rallyuxr token list` on it: opening the store applies the migration that packs the points
into result_series and drops result_points. A second open shows the cost without a migration.

Usage: scripts/bench-migration.py --bin build/src/rallyuxr [--points 1] [--database postgresql://...]
The PostgreSQL database is wiped (its public schema is dropped); psql must be installed.
"""
import argparse
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOURS, METRICS, T0 = 8760, 10, 1704067200


def old_migrations(backend, count):
    with open(os.path.join(ROOT, "src", "store", backend, "schema.hpp")) as f:
        blocks = re.findall(r'R"SQL\((.*?)\)SQL"', f.read(), re.S)
    return blocks[:count]


def experiment_sql(eid):
    return (f"INSERT INTO experiments (id, name, description, status, start_date, end_date, expected_outcome, "
            f"created_at, updated_at, confidence_level, traffic_split, data_source) VALUES ('{eid}', 'x', 'x', "
            f"'complete', {T0}, {T0 + HOURS * 3600}, 'positive', 0, 0, 0.95, 0.5, 'imported');"
            f"INSERT INTO results_meta (experiment_id, version, generated_at) VALUES ('{eid}', 1, 0);")


def build_sqlite(path, experiments):
    rng = random.Random(1)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
    for i, sql in enumerate(old_migrations("sqlite", 10)):
        db.executescript(sql)
        db.execute("INSERT INTO schema_migrations VALUES (?, 0)", (i + 1,))
    for e in range(experiments):
        eid = f"00000000-0000-7000-8000-{e:012d}"
        db.executescript(experiment_sql(eid))
        db.executemany("INSERT INTO result_points VALUES (?,?,?,?,?,?,?)",
                       ((eid, f"metric_{m}", T0 + 3600 * h, rng.random(), rng.random(), rng.randint(800, 1200),
                         rng.randint(800, 1200)) for m in range(METRICS) for h in range(HOURS)))
    db.commit()
    db.close()


def build_postgres(url, experiments):
    sql = ["SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
           "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);"]
    for i, block in enumerate(old_migrations("postgres", 9)):
        sql += [block, f"INSERT INTO schema_migrations VALUES ({i + 1}, 0);"]
    for e in range(experiments):
        eid = f"00000000-0000-7000-8000-{e:012d}"
        sql += [experiment_sql(eid),
                f"INSERT INTO result_points SELECT '{eid}', 'metric_' || m, {T0} + 3600 * h, random(), random(), "
                f"800 + (random() * 400)::int, 800 + (random() * 400)::int "
                f"FROM generate_series(0, {METRICS - 1}) m, generate_series(0, {HOURS - 1}) h;"]
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input="\n".join(sql), text=True, check=True,
                   stdout=subprocess.DEVNULL)


def open_store(binary, url):
    t0 = time.perf_counter()
    p = subprocess.run([binary, "token", "list", "--database", url], capture_output=True, text=True)
    if p.returncode:
        sys.exit(p.stderr)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/src/rallyuxr")
    ap.add_argument("--points", type=float, default=1.0, help="millions of points (default 1)")
    ap.add_argument("--database", help="a PostgreSQL URL to wipe and use (default: a temporary SQLite file)")
    args = ap.parse_args()
    experiments = max(1, round(args.points * 1e6 / (HOURS * METRICS)))
    points = experiments * HOURS * METRICS
    with tempfile.TemporaryDirectory(prefix="rallyuxr-bench-migration-") as tmp:
        if args.database:
            url, backend = args.database, "PostgreSQL"
            build_postgres(url, experiments)
        else:
            path = os.path.join(tmp, "old.db")
            url, backend = "sqlite:" + path, "SQLite"
            build_sqlite(path, experiments)
            size = os.path.getsize(path)
        migrating = open_store(args.bin, url)
        again = open_store(args.bin, url)
        print(f"{backend}: {points:,} points ({experiments} experiments x {METRICS} metrics x {HOURS:,} hours)")
        print(f"  first open, with the migration: {migrating:.2f} s = {migrating / (points / 1e6):.2f} s per million points")
        print(f"  second open, nothing to migrate: {again:.2f} s")
        if not args.database:
            print(f"  file: {size / 1e6:.0f} MB before, {os.path.getsize(path) / 1e6:.0f} MB after "
                  "(result_points' pages stay free in the file until VACUUM)")


if __name__ == "__main__":
    main()
