// SQLite schema migrations, applied in order at start; each runs once (schema_migrations).
#pragma once

#include <array>
#include <cstddef>

namespace rallyuxr::store::sqlite {

inline constexpr std::array<const char*, 11> kMigrations = {
    // 1: the whole initial schema.
    R"SQL(
CREATE TABLE experiments (
  seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
  id                  TEXT NOT NULL UNIQUE,
  name                TEXT NOT NULL,
  description         TEXT NOT NULL,
  status              TEXT NOT NULL,
  start_date          INTEGER NOT NULL,
  end_date            INTEGER NOT NULL,
  expected_outcome    TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  created_by          TEXT,
  implementation_cost REAL,
  confidence_level    REAL NOT NULL,
  traffic_split       REAL NOT NULL,
  data_source         TEXT NOT NULL,
  sim_present         INTEGER NOT NULL DEFAULT 0,
  sim_seed            INTEGER,
  sim_pre_days        INTEGER,
  sim_daily_traffic   REAL,
  sim_true_lift       TEXT,
  economic_impact     REAL
);
CREATE INDEX experiments_by_status ON experiments(status, seq);

CREATE TABLE experiment_metrics (
  experiment_id TEXT NOT NULL REFERENCES experiments(id),
  position      INTEGER NOT NULL,
  metric_id     TEXT NOT NULL,
  PRIMARY KEY (experiment_id, position)
) WITHOUT ROWID;
CREATE INDEX experiment_metrics_by_metric ON experiment_metrics(metric_id);

-- Counters per status, kept by triggers so that the summary never scans the experiments.
CREATE TABLE experiment_counts (
  status TEXT PRIMARY KEY,
  n      INTEGER NOT NULL,
  impact REAL NOT NULL
) WITHOUT ROWID;
INSERT INTO experiment_counts VALUES ('draft',0,0),('running',0,0),('complete',0,0),('archived',0,0);
CREATE TRIGGER experiments_count_insert AFTER INSERT ON experiments BEGIN
  UPDATE experiment_counts SET n = n + 1, impact = impact + coalesce(NEW.economic_impact, 0)
   WHERE status = NEW.status;
END;
CREATE TRIGGER experiments_count_update AFTER UPDATE OF status, economic_impact ON experiments BEGIN
  UPDATE experiment_counts SET n = n - 1, impact = impact - coalesce(OLD.economic_impact, 0)
   WHERE status = OLD.status;
  UPDATE experiment_counts SET n = n + 1, impact = impact + coalesce(NEW.economic_impact, 0)
   WHERE status = NEW.status;
END;

CREATE TABLE metric_values (
  metric_id             TEXT PRIMARY KEY,
  name                  TEXT NOT NULL,
  description           TEXT NOT NULL,
  unit                  TEXT NOT NULL,
  category              TEXT NOT NULL,
  dollars_per_unit      REAL NOT NULL,
  improvement_direction TEXT NOT NULL,
  unit_size             REAL NOT NULL,
  last_updated          INTEGER NOT NULL,
  updated_by            TEXT,
  version               INTEGER NOT NULL,
  has_rules             INTEGER NOT NULL DEFAULT 0,
  min_value             REAL,
  max_value             REAL,
  decimal_places        INTEGER
) WITHOUT ROWID;

CREATE TABLE metric_value_history (
  metric_id        TEXT NOT NULL,
  version          INTEGER NOT NULL,
  dollars_per_unit REAL NOT NULL,
  updated_at       INTEGER NOT NULL,
  updated_by       TEXT,
  change_reason    TEXT,
  PRIMARY KEY (metric_id, version)
) WITHOUT ROWID;

-- One row per experiment, metric and hour.
CREATE TABLE result_points (
  experiment_id TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  ts            INTEGER NOT NULL,
  tv            REAL NOT NULL,
  cv            REAL NOT NULL,
  tn            INTEGER NOT NULL,
  cn            INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, metric_id, ts)
) WITHOUT ROWID;

CREATE TABLE results_meta (
  experiment_id TEXT PRIMARY KEY,
  version       INTEGER NOT NULL,
  generated_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL,
  event_type    TEXT NOT NULL,
  payload       TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);
CREATE INDEX events_by_experiment ON events(experiment_id, seq);

CREATE TABLE jobs (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id        TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL,
  kind          TEXT NOT NULL,
  status        TEXT NOT NULL,
  payload       TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  result        TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  run_after     REAL NOT NULL,
  lease_owner   TEXT,
  lease_until   REAL
);
CREATE INDEX jobs_runnable ON jobs(status, run_after, seq);
CREATE INDEX jobs_by_experiment ON jobs(experiment_id, seq);

CREATE TABLE analyses (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  analysis_id     TEXT NOT NULL UNIQUE,
  experiment_id   TEXT NOT NULL,
  status          TEXT NOT NULL,
  results_version INTEGER NOT NULL,
  document        TEXT NOT NULL,
  total_impact    REAL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX analyses_by_experiment ON analyses(experiment_id, seq);
)SQL",

    // 2: reads in constant time at any table size (docs/performance.md).
    R"SQL(
-- A skip index for GET /experiments?offset=N: how many experiments lie in each block of seq
-- values, per status and ('*') for every status but archived, at two levels (level 0: blocks of
-- 64 seqs, level 1: blocks of 4,096). A page at any offset reads a few dozen counters and skips
-- fewer than 64 rows, instead of stepping over N rows. Kept by triggers, like experiment_counts.
CREATE TABLE experiment_blocks (
  level  INTEGER NOT NULL,
  status TEXT NOT NULL,      -- a status, or '*': all but archived
  block  INTEGER NOT NULL,   -- seq >> 6 (level 0) or seq >> 12 (level 1)
  n      INTEGER NOT NULL,
  PRIMARY KEY (level, status, block)
) WITHOUT ROWID;
INSERT INTO experiment_blocks (level, status, block, n)
  SELECT 0, status, seq >> 6, count(*) FROM experiments GROUP BY 2, 3;
INSERT INTO experiment_blocks (level, status, block, n)
  SELECT 1, status, seq >> 12, count(*) FROM experiments GROUP BY 2, 3;
INSERT INTO experiment_blocks (level, status, block, n)
  SELECT 0, '*', seq >> 6, count(*) FROM experiments WHERE status <> 'archived' GROUP BY 3;
INSERT INTO experiment_blocks (level, status, block, n)
  SELECT 1, '*', seq >> 12, count(*) FROM experiments WHERE status <> 'archived' GROUP BY 3;
CREATE TRIGGER experiments_blocks_insert AFTER INSERT ON experiments BEGIN
  INSERT INTO experiment_blocks (level, status, block, n)
    SELECT l.level, s.status, NEW.seq >> l.bits, 1
      FROM (SELECT 0 AS level, 6 AS bits UNION ALL SELECT 1, 12) l,
           (SELECT NEW.status AS status UNION ALL SELECT '*' WHERE NEW.status <> 'archived') s
     WHERE true
    ON CONFLICT (level, status, block) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER experiments_blocks_update AFTER UPDATE OF status ON experiments
  WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE experiment_blocks SET n = n - 1
   WHERE (level = 0 AND block = OLD.seq >> 6 OR level = 1 AND block = OLD.seq >> 12)
     AND (status = OLD.status OR status = '*' AND OLD.status <> 'archived');
  INSERT INTO experiment_blocks (level, status, block, n)
    SELECT l.level, s.status, NEW.seq >> l.bits, 1
      FROM (SELECT 0 AS level, 6 AS bits UNION ALL SELECT 1, 12) l,
           (SELECT NEW.status AS status UNION ALL SELECT '*' WHERE NEW.status <> 'archived') s
     WHERE true
    ON CONFLICT (level, status, block) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER experiments_blocks_delete AFTER DELETE ON experiments BEGIN
  UPDATE experiment_blocks SET n = n - 1
   WHERE (level = 0 AND block = OLD.seq >> 6 OR level = 1 AND block = OLD.seq >> 12)
     AND (status = OLD.status OR status = '*' AND OLD.status <> 'archived');
END;

-- The experiment's metric ids in order, comma-separated (ids are [a-z_]), so that a page of the
-- list needs no second query; experiment_metrics stays the source (and the index by metric).
-- NULL (rows written by a binary without this column) means: read experiment_metrics.
ALTER TABLE experiments ADD COLUMN metric_ids TEXT;
UPDATE experiments SET metric_ids =
    (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 0) ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 1), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 2), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 3), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 4), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 5), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 6), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 7), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 8), '') ||
    coalesce(',' || (SELECT metric_id FROM experiment_metrics m WHERE m.experiment_id = experiments.id AND m.position = 9), '')
  WHERE (SELECT count(*) <= 10 AND max(position) = count(*) - 1 AND max(instr(metric_id, ',')) = 0
           FROM experiment_metrics m WHERE m.experiment_id = experiments.id);

-- Figures of the stored results that GET /experiments/{id} shows, computed once per write instead
-- of on every read; valid while stats_version = version (a binary without this migration that
-- writes results leaves them stale, and readers then compute them as before).
ALTER TABLE results_meta ADD COLUMN stats_version INTEGER;
ALTER TABLE results_meta ADD COLUMN points INTEGER;
ALTER TABLE results_meta ADD COLUMN participants INTEGER;
ALTER TABLE results_meta ADD COLUMN last_ts INTEGER;
UPDATE results_meta SET
  stats_version = version,
  points = (SELECT count(*) FROM result_points p WHERE p.experiment_id = results_meta.experiment_id),
  last_ts = (SELECT max(ts) FROM result_points p WHERE p.experiment_id = results_meta.experiment_id
              GROUP BY metric_id ORDER BY 1 LIMIT 1),
  participants = coalesce((SELECT sum(p.tn + p.cn) FROM experiments e, result_points p
                            WHERE e.id = results_meta.experiment_id AND p.experiment_id = e.id
                              AND p.metric_id = (SELECT metric_id FROM experiment_metrics m
                                                  WHERE m.experiment_id = e.id ORDER BY position LIMIT 1)
                              AND p.ts >= e.start_date AND p.ts < e.end_date), 0);

-- The job queue in seq order per status: leasing the oldest runnable job stops at the first one
-- instead of sorting the whole backlog.
CREATE INDEX jobs_by_status ON jobs(status, seq);
)SQL",

    // 3: method-2 fields, versioned metric fields, and a portfolio total that one bad row cannot
    // poison (issue 11; docs/architecture.md).
    R"SQL(
ALTER TABLE experiments ADD COLUMN analysis_design TEXT NOT NULL DEFAULT 'did';
ALTER TABLE experiments ADD COLUMN guardrail_metrics TEXT NOT NULL DEFAULT '';
ALTER TABLE metric_values ADD COLUMN value_group TEXT;
ALTER TABLE results_meta ADD COLUMN uu_treatment INTEGER;
ALTER TABLE results_meta ADD COLUMN uu_control INTEGER;

-- What each version of a metric value changed, field by field (from/to as JSON values).
CREATE TABLE metric_value_changes (
  metric_id  TEXT NOT NULL,
  version    INTEGER NOT NULL,
  position   INTEGER NOT NULL,
  field      TEXT NOT NULL,
  from_value TEXT NOT NULL,
  to_value   TEXT NOT NULL,
  PRIMARY KEY (metric_id, version, position)
) WITHOUT ROWID;

-- The economic impact per block of 64 experiments (level 0) and per block of 4,096 (level 1),
-- recomputed exactly from the rows whenever an experiment's status or impact changes. The
-- portfolio total sums the level-1 blocks when it is read: a running sum that met +inf once
-- stayed NaN forever; an exact recomputation forgets a row as soon as it is archived.
ALTER TABLE experiment_blocks ADD COLUMN impact REAL NOT NULL DEFAULT 0;
UPDATE experiment_blocks SET impact = coalesce((SELECT sum(e.economic_impact) FROM experiments e
   WHERE e.seq BETWEEN experiment_blocks.block << 6 AND (experiment_blocks.block << 6) + 63
     AND (e.status = experiment_blocks.status OR experiment_blocks.status = '*' AND e.status <> 'archived')), 0)
 WHERE level = 0;
UPDATE experiment_blocks SET impact = coalesce((SELECT sum(b.impact) FROM experiment_blocks b
   WHERE b.level = 0 AND b.status = experiment_blocks.status
     AND b.block BETWEEN experiment_blocks.block << 6 AND (experiment_blocks.block << 6) + 63), 0)
 WHERE level = 1;
CREATE TRIGGER experiments_blocks_impact AFTER UPDATE OF status, economic_impact ON experiments
  WHEN OLD.status IS NOT NEW.status OR OLD.economic_impact IS NOT NEW.economic_impact BEGIN
  INSERT INTO experiment_blocks (level, status, block, n, impact)
    SELECT 0, s.status, NEW.seq >> 6, 0,
           coalesce((SELECT sum(e.economic_impact) FROM experiments e
                      WHERE e.seq BETWEEN (NEW.seq >> 6) << 6 AND ((NEW.seq >> 6) << 6) + 63
                        AND (e.status = s.status OR s.status = '*' AND e.status <> 'archived')), 0)
      FROM (SELECT OLD.status AS status UNION SELECT NEW.status UNION SELECT '*') s
     WHERE true
    ON CONFLICT (level, status, block) DO UPDATE SET impact = excluded.impact;
  INSERT INTO experiment_blocks (level, status, block, n, impact)
    SELECT 1, s.status, NEW.seq >> 12, 0,
           coalesce((SELECT sum(b.impact) FROM experiment_blocks b
                      WHERE b.level = 0 AND b.status = s.status
                        AND b.block BETWEEN (NEW.seq >> 12) << 6 AND ((NEW.seq >> 12) << 6) + 63), 0)
      FROM (SELECT OLD.status AS status UNION SELECT NEW.status UNION SELECT '*') s
     WHERE true
    ON CONFLICT (level, status, block) DO UPDATE SET impact = excluded.impact;
END;
)SQL",

    // 4: the plan promised at creation (POST /plans, issue 15), canonical JSON text; NULL: none.
    R"SQL(
ALTER TABLE experiments ADD COLUMN plan_json TEXT;
)SQL",

    // 5: retired metric values (issue 16): DELETE /metric-values/{id} sets retired_at; the row,
    // its history and the analyses that used it stay.
    R"SQL(
ALTER TABLE metric_values ADD COLUMN retired_at INTEGER;
)SQL",

    // 6: decisions on experiments (issue 16), every one kept; the newest is the current one.
    R"SQL(
CREATE TABLE experiment_decisions (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  decision_id   TEXT NOT NULL UNIQUE,
  experiment_id TEXT NOT NULL REFERENCES experiments(id),
  decision      TEXT NOT NULL,
  reason        TEXT NOT NULL,
  decided_by    TEXT,
  decided_at    INTEGER NOT NULL
);
CREATE INDEX experiment_decisions_by_experiment ON experiment_decisions(experiment_id, seq);
)SQL",

    // 7: named access tokens (issue 16), kept as SHA-256 hashes; a name is unique among the
    // active ones, so a revoked name can be given again.
    R"SQL(
CREATE TABLE access_tokens (
  token_id   TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX access_tokens_active_name ON access_tokens(name) WHERE revoked_at IS NULL;
)SQL",

    // 8: the audit log (issue 16), one row per change, written with the change.
    R"SQL(
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  audit_id  TEXT NOT NULL UNIQUE,
  at        INTEGER NOT NULL,
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

    // 9: webhooks and their delivery log (issue 16). A delivery is queued (a deliver_webhook job)
    // in the transaction of the change that caused its event; its body is fixed then.
    R"SQL(
CREATE TABLE webhooks (
  webhook_id TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  events     TEXT NOT NULL,
  secret     TEXT NOT NULL,
  format     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT,
  deleted_at INTEGER
);
CREATE TABLE webhook_deliveries (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id      TEXT NOT NULL UNIQUE,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(webhook_id),
  event            TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  delivered_at     INTEGER
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);
)SQL",

    // 10: segments (issue 17): one row per experiment, dimension, segment and metric, its hourly
    // points packed (store/series_blob.hpp); one row per segment with its unique users.
    R"SQL(
CREATE TABLE segment_series (
  experiment_id TEXT NOT NULL,
  dimension     TEXT NOT NULL,
  segment       TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  points        BLOB NOT NULL,
  PRIMARY KEY (experiment_id, dimension, segment, metric_id)
);
CREATE TABLE segment_meta (
  experiment_id TEXT NOT NULL,
  dimension     TEXT NOT NULL,
  segment       TEXT NOT NULL,
  uu_treatment  INTEGER,
  uu_control    INTEGER,
  PRIMARY KEY (experiment_id, dimension, segment)
) WITHOUT ROWID;
)SQL",

    // 11: the overall series as one row per experiment and metric, its hours packed
    // (store/series_blob.hpp) as segment_series does (issue 18): a year of 10 metrics is 10 rows
    // instead of 87,600. SQL cannot pack doubles, so after this statement the migration runs code
    // (kPackPointsMigration): it moves every result_points row into result_series, bit for bit,
    // and drops result_points.
    R"SQL(
CREATE TABLE result_series (
  experiment_id TEXT NOT NULL,
  metric_id     TEXT NOT NULL,
  points        BLOB NOT NULL,
  PRIMARY KEY (experiment_id, metric_id)
);
)SQL",
};

// The migration after whose SQL the points are packed (see migration 11).
inline constexpr std::size_t kPackPointsMigration = 11;
inline constexpr const char* kDropResultPoints = "DROP TABLE result_points";


}  // namespace rallyuxr::store::sqlite
