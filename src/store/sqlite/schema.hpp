// SQLite schema migrations, applied in order at start; each runs once (schema_migrations).
#pragma once

#include <array>

namespace rallyuxr::store::sqlite {

inline constexpr std::array<const char*, 1> kMigrations = {
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
};

}  // namespace rallyuxr::store::sqlite
