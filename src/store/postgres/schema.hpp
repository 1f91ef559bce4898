// PostgreSQL schema migrations, applied in order at start; each runs once (schema_migrations).
// The same tables as the SQLite backend (sqlite/schema.hpp), in PostgreSQL types: timestamps are
// BIGINT unix seconds, job times DOUBLE PRECISION seconds. Migrations run in one transaction under
// a transaction-scoped advisory lock, so that nodes starting together migrate once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace rallyuxr::store::postgres {

// pg_advisory_xact_lock keys: "rallyuxr" in ASCII, and one more for seeding the catalogue.
inline constexpr std::int64_t kMigrationLockKey = 0x72616c6c79757872;
inline constexpr std::int64_t kSeedLockKey = kMigrationLockKey + 1;

// The experiment counters are split into this many rows per status (by experiment seq), so that
// concurrent inserts and status changes on different nodes rarely wait for the same counter row.
inline constexpr int kCounterShards = 16;

inline constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)";

inline constexpr std::array<const char*, 10> kMigrations = {
    // 1: the whole initial schema.
    R"SQL(
CREATE TABLE experiments (
  seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                  TEXT NOT NULL UNIQUE,
  name                TEXT NOT NULL,
  description         TEXT NOT NULL,
  status              TEXT NOT NULL,
  start_date          BIGINT NOT NULL,
  end_date            BIGINT NOT NULL,
  expected_outcome    TEXT NOT NULL,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL,
  created_by          TEXT,
  implementation_cost DOUBLE PRECISION,
  confidence_level    DOUBLE PRECISION NOT NULL,
  traffic_split       DOUBLE PRECISION NOT NULL,
  data_source         TEXT NOT NULL,
  sim_present         INTEGER NOT NULL DEFAULT 0,
  sim_seed            BIGINT,
  sim_pre_days        INTEGER,
  sim_daily_traffic   DOUBLE PRECISION,
  sim_true_lift       TEXT,
  economic_impact     DOUBLE PRECISION
);
CREATE INDEX experiments_by_status ON experiments(status, seq);

CREATE TABLE experiment_metrics (
  experiment_id TEXT NOT NULL REFERENCES experiments(id),
  position      INTEGER NOT NULL,
  metric_id     TEXT NOT NULL,
  PRIMARY KEY (experiment_id, position)
);
CREATE INDEX experiment_metrics_by_metric ON experiment_metrics(metric_id);

-- Counters per status, kept by a trigger so that the summary never scans the experiments; 16 rows
-- per status (shard = seq % 16) so that writers on several nodes spread over rows. The trigger
-- takes the two rows of a status change in name order.
CREATE TABLE experiment_counts (
  status TEXT NOT NULL,
  shard  INTEGER NOT NULL,
  n      BIGINT NOT NULL DEFAULT 0,
  impact DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (status, shard)
);
INSERT INTO experiment_counts (status, shard)
  SELECT s, g FROM unnest(ARRAY['draft','running','complete','archived']) AS s, generate_series(0, 15) AS g;

CREATE FUNCTION experiments_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k INTEGER;
BEGIN
  IF TG_OP = 'INSERT' THEN
    k := NEW.seq % 16;
    UPDATE experiment_counts SET n = n + 1, impact = impact + coalesce(NEW.economic_impact, 0)
     WHERE status = NEW.status AND shard = k;
    RETURN NULL;
  END IF;
  k := OLD.seq % 16;
  IF OLD.status = NEW.status THEN
    UPDATE experiment_counts
       SET impact = impact - coalesce(OLD.economic_impact, 0) + coalesce(NEW.economic_impact, 0)
     WHERE status = NEW.status AND shard = k;
  ELSIF OLD.status < NEW.status THEN
    UPDATE experiment_counts SET n = n - 1, impact = impact - coalesce(OLD.economic_impact, 0)
     WHERE status = OLD.status AND shard = k;
    UPDATE experiment_counts SET n = n + 1, impact = impact + coalesce(NEW.economic_impact, 0)
     WHERE status = NEW.status AND shard = k;
  ELSE
    UPDATE experiment_counts SET n = n + 1, impact = impact + coalesce(NEW.economic_impact, 0)
     WHERE status = NEW.status AND shard = k;
    UPDATE experiment_counts SET n = n - 1, impact = impact - coalesce(OLD.economic_impact, 0)
     WHERE status = OLD.status AND shard = k;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER experiments_count_insert AFTER INSERT ON experiments
  FOR EACH ROW EXECUTE FUNCTION experiments_count();
CREATE TRIGGER experiments_count_update AFTER UPDATE OF status, economic_impact ON experiments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.economic_impact IS DISTINCT FROM NEW.economic_impact)
  EXECUTE FUNCTION experiments_count();

CREATE TABLE metric_values (
  metric_id             TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  description           TEXT NOT NULL,
  unit                  TEXT NOT NULL,
  category              TEXT NOT NULL,
  dollars_per_unit      DOUBLE PRECISION NOT NULL,
  improvement_direction TEXT NOT NULL,
  unit_size             DOUBLE PRECISION NOT NULL,
  last_updated          BIGINT NOT NULL,
  updated_by            TEXT,
  version               BIGINT NOT NULL,
  has_rules             INTEGER NOT NULL DEFAULT 0,
  min_value             DOUBLE PRECISION,
  max_value             DOUBLE PRECISION,
  decimal_places        INTEGER
);

CREATE TABLE metric_value_history (
  metric_id        TEXT NOT NULL,
  version          BIGINT NOT NULL,
  dollars_per_unit DOUBLE PRECISION NOT NULL,
  updated_at       BIGINT NOT NULL,
  updated_by       TEXT,
  change_reason    TEXT,
  PRIMARY KEY (metric_id, version)
);

-- One row per experiment, metric and hour.
CREATE TABLE result_points (
  experiment_id TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  ts            BIGINT NOT NULL,
  tv            DOUBLE PRECISION NOT NULL,
  cv            DOUBLE PRECISION NOT NULL,
  tn            BIGINT NOT NULL,
  cn            BIGINT NOT NULL,
  PRIMARY KEY (experiment_id, metric_id, ts)
);

CREATE TABLE results_meta (
  experiment_id TEXT PRIMARY KEY,
  version       BIGINT NOT NULL,
  generated_at  BIGINT NOT NULL
);

CREATE TABLE events (
  seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL,
  event_type    TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    BIGINT NOT NULL
);
CREATE INDEX events_by_experiment ON events(experiment_id, seq);

CREATE TABLE jobs (
  seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id        TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL,
  kind          TEXT NOT NULL,
  status        TEXT NOT NULL,
  payload       TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  result        TEXT,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  run_after     DOUBLE PRECISION NOT NULL,
  lease_owner   TEXT,
  lease_until   DOUBLE PRECISION
);
CREATE INDEX jobs_runnable ON jobs(status, run_after, seq);
CREATE INDEX jobs_by_experiment ON jobs(experiment_id, seq);
-- The open jobs in queue order: what lease_job scans, however many done jobs pile up.
CREATE INDEX jobs_open ON jobs(seq) WHERE status IN ('queued', 'running');

CREATE TABLE analyses (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  analysis_id     TEXT NOT NULL UNIQUE,
  experiment_id   TEXT NOT NULL,
  status          TEXT NOT NULL,
  results_version BIGINT NOT NULL,
  document        TEXT NOT NULL,
  total_impact    DOUBLE PRECISION,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);
CREATE INDEX analyses_by_experiment ON analyses(experiment_id, seq);
)SQL",

    // 2: method-2 fields, versioned metric fields, and a portfolio total that one bad row cannot
    // poison (issue 11; docs/architecture.md).
    R"SQL(
ALTER TABLE experiments ADD COLUMN analysis_design TEXT NOT NULL DEFAULT 'did';
ALTER TABLE experiments ADD COLUMN guardrail_metrics TEXT NOT NULL DEFAULT '';
ALTER TABLE metric_values ADD COLUMN value_group TEXT;
ALTER TABLE results_meta ADD COLUMN uu_treatment BIGINT;
ALTER TABLE results_meta ADD COLUMN uu_control BIGINT;

-- What each version of a metric value changed, field by field (from/to as JSON values).
CREATE TABLE metric_value_changes (
  metric_id  TEXT NOT NULL,
  version    BIGINT NOT NULL,
  position   INTEGER NOT NULL,
  field      TEXT NOT NULL,
  from_value TEXT NOT NULL,
  to_value   TEXT NOT NULL,
  PRIMARY KEY (metric_id, version, position)
);

-- The economic impact per status and block of 64 experiments (seq >> 6), recomputed exactly
-- from the rows whenever an experiment's status or impact changes; the portfolio total sums the
-- blocks when it is read. (The running sums of experiment_counts met +inf once and stayed NaN.)
-- The trigger locks the block row before it sums, so that the sum's fresh snapshot (READ
-- COMMITTED: one per statement) includes every change committed before it. Sums run in numeric
-- (float8 addition raises "value out of range" in PostgreSQL, which failed the whole write) and
-- come back as float8, +-Infinity beyond its range.
-- experiment_counts keeps its counts; its running impact sums are no longer kept.
CREATE OR REPLACE FUNCTION experiments_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  k INTEGER;
BEGIN
  IF TG_OP = 'INSERT' THEN
    k := NEW.seq % 16;
    UPDATE experiment_counts SET n = n + 1 WHERE status = NEW.status AND shard = k;
    RETURN NULL;
  END IF;
  k := OLD.seq % 16;
  IF OLD.status = NEW.status THEN
    RETURN NULL;
  ELSIF OLD.status < NEW.status THEN
    UPDATE experiment_counts SET n = n - 1 WHERE status = OLD.status AND shard = k;
    UPDATE experiment_counts SET n = n + 1 WHERE status = NEW.status AND shard = k;
  ELSE
    UPDATE experiment_counts SET n = n + 1 WHERE status = NEW.status AND shard = k;
    UPDATE experiment_counts SET n = n - 1 WHERE status = OLD.status AND shard = k;
  END IF;
  RETURN NULL;
END
$$;
CREATE TABLE experiment_impact_blocks (
  status TEXT NOT NULL,
  block  BIGINT NOT NULL,
  impact DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (status, block)
);
INSERT INTO experiment_impact_blocks (status, block, impact)
  SELECT s2, b2, CASE WHEN t > 1.7976931348623157e308 THEN 'Infinity'::float8
                      WHEN t < -1.7976931348623157e308 THEN '-Infinity'::float8 ELSE t::float8 END
    FROM (SELECT status AS s2, seq >> 6 AS b2, coalesce(sum(economic_impact::numeric), 0) AS t
            FROM experiments GROUP BY 1, 2) sums;
CREATE FUNCTION experiments_impact_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  b BIGINT := NEW.seq >> 6;
  s TEXT;
BEGIN
  FOREACH s IN ARRAY (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(ARRAY[OLD.status, NEW.status]) AS x) LOOP
    INSERT INTO experiment_impact_blocks (status, block, impact) VALUES (s, b, 0)
      ON CONFLICT (status, block) DO NOTHING;
    PERFORM 1 FROM experiment_impact_blocks WHERE status = s AND block = b FOR UPDATE;
    UPDATE experiment_impact_blocks
       SET impact = (SELECT CASE WHEN t > 1.7976931348623157e308 THEN 'Infinity'::float8
                                 WHEN t < -1.7976931348623157e308 THEN '-Infinity'::float8
                                 ELSE t::float8 END
                       FROM (SELECT coalesce(sum(economic_impact::numeric), 0) AS t FROM experiments
                              WHERE seq BETWEEN b << 6 AND (b << 6) + 63 AND status = s) x)
     WHERE status = s AND block = b;
  END LOOP;
  RETURN NULL;
END
$$;
CREATE TRIGGER experiments_impact_blocks AFTER UPDATE OF status, economic_impact ON experiments
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
                     OR OLD.economic_impact IS DISTINCT FROM NEW.economic_impact)
  EXECUTE FUNCTION experiments_impact_blocks();
)SQL",

    // 3: the plan promised at creation (POST /plans, issue 15), canonical JSON text; NULL: none.
    R"SQL(
ALTER TABLE experiments ADD COLUMN plan_json TEXT;
)SQL",

    // 4: retired metric values (issue 16): DELETE /metric-values/{id} sets retired_at; the row,
    // its history and the analyses that used it stay.
    R"SQL(
ALTER TABLE metric_values ADD COLUMN retired_at BIGINT;
)SQL",

    // 5: decisions on experiments (issue 16), every one kept; the newest is the current one.
    R"SQL(
CREATE TABLE experiment_decisions (
  seq           BIGSERIAL PRIMARY KEY,
  decision_id   TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL REFERENCES experiments(id),
  decision      TEXT NOT NULL,
  reason        TEXT NOT NULL,
  decided_by    TEXT,
  decided_at    BIGINT NOT NULL
);
CREATE INDEX experiment_decisions_by_experiment ON experiment_decisions(experiment_id, seq);
)SQL",

    // 6: named access tokens (issue 16), kept as SHA-256 hashes; a name is unique among the
    // active ones, so a revoked name can be given again.
    R"SQL(
CREATE TABLE access_tokens (
  token_id   TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  created_by TEXT,
  revoked_at BIGINT
);
CREATE UNIQUE INDEX access_tokens_active_name ON access_tokens(name) WHERE revoked_at IS NULL;
)SQL",

    // 7: the audit log (issue 16), one row per change, written with the change.
    R"SQL(
CREATE TABLE audit_log (
  seq       BIGSERIAL PRIMARY KEY,
  audit_id  TEXT NOT NULL UNIQUE,
  at        BIGINT NOT NULL,
  actor     TEXT,
  action    TEXT NOT NULL,
  entity    TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  changes   TEXT NOT NULL,
  summary   TEXT NOT NULL
);
CREATE INDEX audit_log_by_entity ON audit_log(entity, seq);
CREATE INDEX audit_log_by_actor ON audit_log(actor, seq);
)SQL",

    // 8: webhooks and their delivery log (issue 16). A delivery is queued (a deliver_webhook
    // job) in the transaction of the change that caused its event; its body is fixed then.
    R"SQL(
CREATE TABLE webhooks (
  webhook_id TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  events     TEXT NOT NULL,
  secret     TEXT NOT NULL,
  format     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT,
  deleted_at BIGINT
);
CREATE TABLE webhook_deliveries (
  seq              BIGSERIAL PRIMARY KEY,
  delivery_id      TEXT NOT NULL UNIQUE,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(webhook_id),
  event            TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_status_code BIGINT,
  last_error       TEXT,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL,
  delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);
)SQL",

    // 9: segments (issue 17): one row per experiment, dimension, segment and metric, its hourly
    // points packed (store/series_blob.hpp); one row per segment with its unique users.
    R"SQL(
CREATE TABLE segment_series (
  experiment_id TEXT NOT NULL,
  dimension     TEXT NOT NULL,
  segment       TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  points        BYTEA NOT NULL,
  PRIMARY KEY (experiment_id, dimension, segment, metric_id)
);
CREATE TABLE segment_meta (
  experiment_id TEXT NOT NULL,
  dimension     TEXT NOT NULL,
  segment       TEXT NOT NULL,
  uu_treatment  BIGINT,
  uu_control    BIGINT,
  PRIMARY KEY (experiment_id, dimension, segment)
);
)SQL",

    // 10: the overall series as one row per experiment and metric, its hours packed
    // (store/series_blob.hpp) as segment_series does (issue 18): a year of 10 metrics is 10 rows
    // instead of 87,600. Stored uncompressed (STORAGE EXTERNAL): packed doubles do not compress,
    // and the last point of a series is then read without the rest. result_points' rows move in
    // bit for bit: integers byte-swapped by shifts and sent (int8send, big-endian), doubles sent
    // (float8send: their IEEE 754 bits, big-endian) and their bytes reversed.
    // And the figures of GET /experiments/{id} kept with the version that computed them, as the
    // SQLite backend does (valid while stats_version = version).
    R"SQL(
CREATE TABLE result_series (
  experiment_id TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  points        BYTEA NOT NULL,
  PRIMARY KEY (experiment_id, metric_id)
);
ALTER TABLE result_series ALTER COLUMN points SET STORAGE EXTERNAL;
CREATE FUNCTION pg_temp.rallyuxr_le8(x bigint) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT int8send(((x & 255) << 56) | ((x >> 8 & 255) << 48) | ((x >> 16 & 255) << 40) |
                  ((x >> 24 & 255) << 32) | ((x >> 32 & 255) << 24) | ((x >> 40 & 255) << 16) |
                  ((x >> 48 & 255) << 8) | (x >> 56 & 255))
$$;
CREATE FUNCTION pg_temp.rallyuxr_le8(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT substring(b from 8 for 1) || substring(b from 7 for 1) || substring(b from 6 for 1) ||
         substring(b from 5 for 1) || substring(b from 4 for 1) || substring(b from 3 for 1) ||
         substring(b from 2 for 1) || substring(b from 1 for 1)
$$;
INSERT INTO result_series (experiment_id, metric_id, points)
  SELECT experiment_id, metric_id,
         string_agg(pg_temp.rallyuxr_le8(ts) || pg_temp.rallyuxr_le8(float8send(tv)) ||
                    pg_temp.rallyuxr_le8(float8send(cv)) || pg_temp.rallyuxr_le8(tn) || pg_temp.rallyuxr_le8(cn),
                    ''::bytea ORDER BY ts)
    FROM result_points GROUP BY experiment_id, metric_id;
DROP FUNCTION pg_temp.rallyuxr_le8(bigint);
DROP FUNCTION pg_temp.rallyuxr_le8(bytea);
DROP TABLE result_points;
ALTER TABLE results_meta ADD COLUMN stats_version BIGINT, ADD COLUMN points BIGINT,
  ADD COLUMN participants BIGINT, ADD COLUMN last_ts BIGINT;
)SQL",
};

// The migration that packs the points (10, above): the schema before it had result_points.
inline constexpr std::size_t kPackPointsMigration = 10;

static_assert(kCounterShards == 16, "the trigger in migration 1 hard-codes 16 shards");

}  // namespace rallyuxr::store::postgres
