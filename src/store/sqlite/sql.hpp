// Every statement of the SQLite backend, as named constants; every value is a bound parameter.
// SELECTs compose their column lists from store/sql_columns.hpp, in the order row_mapping.hpp reads.
#pragma once

#include <string>

#include "store/sql_columns.hpp"

namespace rallyuxr::store::sqlite {

// The experiments SELECTs: columns 0..19 (sql_columns.hpp), then seq at 20, metric_ids at 21 and
// the design columns from 22 (read_experiment_row).
#define RALLYUXR_SQLITE_EXPERIMENT_COLUMNS \
  RALLYUXR_EXPERIMENT_COLUMNS ", seq, metric_ids, " RALLYUXR_EXPERIMENT_DESIGN_COLUMNS

inline constexpr const char* kInsertExperiment =
    "INSERT INTO experiments (id, name, description, status, start_date, end_date, expected_outcome, "
    "created_at, updated_at, created_by, implementation_cost, confidence_level, traffic_split, "
    "data_source, sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, metric_ids, "
    "analysis_design, guardrail_metrics, plan_json) "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23)";
inline constexpr const char* kInsertExperimentMetric =
    "INSERT INTO experiment_metrics (experiment_id, position, metric_id) VALUES (?1,?2,?3)";
inline constexpr const char* kSelectExperimentMetrics =
    "SELECT metric_id FROM experiment_metrics WHERE experiment_id = ?1 ORDER BY position";
inline constexpr const char* kSelectExperiment =
    "SELECT " RALLYUXR_SQLITE_EXPERIMENT_COLUMNS " FROM experiments WHERE id = ?1";
// The compare-and-set of every status change: applies only over the expected status.
inline constexpr const char* kCompareAndSetStatus =
    "UPDATE experiments SET status = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?2";
inline constexpr const char* kListActive =
    "SELECT " RALLYUXR_SQLITE_EXPERIMENT_COLUMNS " FROM experiments WHERE status <> 'archived' "
    "AND (?3 IS NULL OR instr(lower(name), lower(?3)) > 0) "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?2";
inline constexpr const char* kListByStatus =
    "SELECT " RALLYUXR_SQLITE_EXPERIMENT_COLUMNS " FROM experiments WHERE status = ?4 "
    "AND (?3 IS NULL OR instr(lower(name), lower(?3)) > 0) "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?2";
// Keyset pages (migration 2): the experiment_blocks counters locate the block holding the row at
// the requested offset; the page then starts below that block's upper seq and skips < 64 rows.
// ?1: a status, or '*' for every status but archived.
inline constexpr const char* kBlocksLevel1 =
    "SELECT block, n FROM experiment_blocks WHERE level = 1 AND status = ?1 ORDER BY block DESC";
inline constexpr const char* kBlocksLevel0 =
    "SELECT block, n FROM experiment_blocks WHERE level = 0 AND status = ?1 AND block >= ?2 AND block < ?3 "
    "ORDER BY block DESC";
inline constexpr int kBlockBits0 = 6;   // as in the migration: seq >> 6 and seq >> 12
inline constexpr int kBlockBits1 = 12;
inline constexpr const char* kListActiveBelow =
    "SELECT " RALLYUXR_SQLITE_EXPERIMENT_COLUMNS " FROM experiments WHERE seq < ?2 AND status <> 'archived' "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?3";
inline constexpr const char* kListByStatusBelow =
    "SELECT " RALLYUXR_SQLITE_EXPERIMENT_COLUMNS " FROM experiments WHERE seq < ?2 AND status = ?4 "
    "ORDER BY seq DESC LIMIT ?1 OFFSET ?3";
// The metrics of a whole page in one statement (?1: JSON array of experiment ids).
inline constexpr const char* kSelectMetricsOfMany =
    "SELECT experiment_id, position, metric_id FROM experiment_metrics "
    "WHERE experiment_id IN (SELECT value FROM json_each(?1))";
inline constexpr const char* kBeginRead = "BEGIN";
inline constexpr const char* kCommitRead = "COMMIT";
inline constexpr const char* kCountActiveNamed =
    "SELECT count(*) FROM experiments WHERE status <> 'archived' AND instr(lower(name), lower(?1)) > 0";
inline constexpr const char* kCountStatusNamed =
    "SELECT count(*) FROM experiments WHERE status = ?2 AND instr(lower(name), lower(?1)) > 0";
inline constexpr const char* kCounts = "SELECT status, n FROM experiment_counts";
// The portfolio total, summed when read from the exactly recomputed block impacts (migration 3).
inline constexpr const char* kTotalImpact =
    "SELECT coalesce(sum(impact), 0) FROM experiment_blocks WHERE level = 1 AND status = '*'";
inline constexpr const char* kSetEconomicImpact =
    "UPDATE experiments SET economic_impact = ?2, updated_at = ?3 WHERE id = ?1";

inline constexpr const char* kListMetrics =
    "SELECT " RALLYUXR_METRIC_COLUMNS " FROM metric_values ORDER BY metric_id";
inline constexpr const char* kGetMetric =
    "SELECT " RALLYUXR_METRIC_COLUMNS " FROM metric_values WHERE metric_id = ?1";
inline constexpr const char* kCountMetrics = "SELECT count(*) FROM metric_values";
inline constexpr const char* kInsertMetric =
    "INSERT OR IGNORE INTO metric_values (" RALLYUXR_METRIC_COLUMNS ") "
    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)";
inline constexpr const char* kUpdateMetric =
    "UPDATE metric_values SET name=?2, description=?3, unit=?4, category=?5, dollars_per_unit=?6, "
    "improvement_direction=?7, unit_size=?8, last_updated=?9, updated_by=?10, version=?11, "
    "has_rules=?12, min_value=?13, max_value=?14, decimal_places=?15, value_group=?16, retired_at=?17 WHERE metric_id=?1";
inline constexpr const char* kInsertHistory =
    "INSERT INTO metric_value_history (metric_id, version, dollars_per_unit, updated_at, "
    "updated_by, change_reason) VALUES (?1,?2,?3,?4,?5,?6)";
inline constexpr const char* kSelectHistory =
    "SELECT version, dollars_per_unit, updated_at, updated_by, change_reason "
    "FROM metric_value_history WHERE metric_id = ?1 ORDER BY version DESC";
inline constexpr const char* kInsertChange =
    "INSERT INTO metric_value_changes (metric_id, version, position, field, from_value, to_value) "
    "VALUES (?1,?2,?3,?4,?5,?6)";
inline constexpr const char* kSelectChanges =
    "SELECT version, field, from_value, to_value FROM metric_value_changes WHERE metric_id = ?1 "
    "ORDER BY version DESC, position";
// Experiments tracking a metric, with their status and results version (NULL: none yet).
inline constexpr const char* kTrackingExperiments =
    "SELECT e.id, e.status, (SELECT r.version FROM results_meta r WHERE r.experiment_id = e.id) "
    "FROM experiments e WHERE EXISTS (SELECT 1 FROM experiment_metrics m "
    "WHERE m.experiment_id = e.id AND m.metric_id = ?1) ORDER BY e.seq";

// The overall series: one row per experiment and metric, its hours packed (store/series_blob.hpp).
inline constexpr const char* kDeletePoints = "DELETE FROM result_series WHERE experiment_id = ?1";
inline constexpr const char* kSelectSeriesOf =
    "SELECT points FROM result_series WHERE experiment_id = ?1 AND metric_id = ?2";
inline constexpr const char* kWriteSeries =
    "INSERT INTO result_series (experiment_id, metric_id, points) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (experiment_id, metric_id) DO UPDATE SET points = excluded.points";
inline constexpr const char* kSelectSeries =
    "SELECT metric_id, points FROM result_series WHERE experiment_id = ?1 ORDER BY metric_id";
// Migration 11 (sqlite_store.cpp): the rows of the former table in its key order.
inline constexpr const char* kSelectOldPoints =
    "SELECT experiment_id, metric_id, ts, tv, cv, tn, cn FROM result_points ORDER BY experiment_id, metric_id, ts";
inline constexpr const char* kInsertMigratedSeries =
    "INSERT INTO result_series (experiment_id, metric_id, points) VALUES (?1, ?2, ?3)";
// Segments (issue 17).
inline constexpr const char* kDeleteSegmentSeries = "DELETE FROM segment_series WHERE experiment_id = ?1";
inline constexpr const char* kDeleteSegmentMeta = "DELETE FROM segment_meta WHERE experiment_id = ?1";
inline constexpr const char* kInsertSegmentSeries =
    "INSERT INTO segment_series (experiment_id, dimension, segment, metric_id, points) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr const char* kInsertSegmentMeta =
    "INSERT INTO segment_meta (experiment_id, dimension, segment, uu_treatment, uu_control) VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr const char* kSelectSegmentSeries =
    "SELECT dimension, segment, metric_id, points FROM segment_series WHERE experiment_id = ?1 "
    "ORDER BY dimension, segment, metric_id";
inline constexpr const char* kSelectDimensionSeries =
    "SELECT dimension, segment, metric_id, points FROM segment_series WHERE experiment_id = ?1 AND dimension = ?2 "
    "ORDER BY segment, metric_id";
inline constexpr const char* kSelectSegmentMeta =
    "SELECT dimension, segment, uu_treatment, uu_control FROM segment_meta WHERE experiment_id = ?1 "
    "ORDER BY dimension, segment";
inline constexpr const char* kSelectResultsMeta =
    "SELECT version, generated_at, uu_treatment, uu_control FROM results_meta WHERE experiment_id = ?1";
inline constexpr const char* kUpsertResultsMeta =
    "INSERT INTO results_meta (experiment_id, version, generated_at, uu_treatment, uu_control) "
    "VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT (experiment_id) DO UPDATE SET version = version + 1, "
    "generated_at = excluded.generated_at, uu_treatment = excluded.uu_treatment, "
    "uu_control = excluded.uu_control RETURNING version";
inline constexpr const char* kSelectResultsStats =
    "SELECT version, stats_version, points, participants, last_ts FROM results_meta WHERE experiment_id = ?1";
inline constexpr const char* kUpdateResultsStats =
    "UPDATE results_meta SET stats_version = version, points = ?2, participants = ?3, last_ts = ?4 "
    "WHERE experiment_id = ?1 RETURNING version";
inline constexpr const char* kExperimentPeriod =
    "SELECT e.start_date, e.end_date, (SELECT metric_id FROM experiment_metrics m "
    "WHERE m.experiment_id = e.id ORDER BY position LIMIT 1) FROM experiments e WHERE e.id = ?1";
inline constexpr const char* kInsertEvent =
    "INSERT INTO events (" RALLYUXR_EVENT_COLUMNS ") VALUES (?1,?2,?3,?4,?5)";
inline constexpr const char* kSelectEvents =
    "SELECT " RALLYUXR_EVENT_COLUMNS " FROM events "
    "WHERE experiment_id = ?1 ORDER BY seq";

inline constexpr const char* kInsertDecision =
    "INSERT INTO experiment_decisions (" RALLYUXR_DECISION_COLUMNS ") "
    "VALUES (?1,?2,?3,?4,?5,?6)";
inline constexpr const char* kSelectDecisions =
    "SELECT " RALLYUXR_DECISION_COLUMNS " FROM experiment_decisions "
    "WHERE experiment_id = ?1 ORDER BY seq DESC";
inline constexpr const char* kLatestDecision =
    "SELECT " RALLYUXR_DECISION_COLUMNS " FROM experiment_decisions "
    "WHERE experiment_id = ?1 ORDER BY seq DESC LIMIT 1";

inline constexpr const char* kInsertToken =
    "INSERT INTO access_tokens (token_id, name, role, token_hash, created_at, created_by, revoked_at) VALUES (?1,?2,?3,?4,?5,?6,NULL) ON CONFLICT DO NOTHING";
inline constexpr const char* kRevokeToken =
    "UPDATE access_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL";
inline constexpr const char* kFindActiveToken =
    "SELECT " RALLYUXR_TOKEN_COLUMNS " FROM access_tokens WHERE token_hash = ?1 AND revoked_at IS NULL";
inline constexpr const char* kListTokens = "SELECT " RALLYUXR_TOKEN_COLUMNS " FROM access_tokens ORDER BY created_at, token_id";
inline constexpr const char* kAnyActiveToken = "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE revoked_at IS NULL)";

inline constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (" RALLYUXR_AUDIT_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8)";
inline constexpr const char* kListAudit =
    "SELECT " RALLYUXR_AUDIT_COLUMNS " FROM audit_log WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR actor = ?2) "
    "ORDER BY seq DESC LIMIT ?3 OFFSET ?4";
inline constexpr const char* kCountAudit =
    "SELECT count(*) FROM audit_log WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR actor = ?2)";

inline constexpr const char* kInsertJob =
    "INSERT INTO jobs (job_id, experiment_id, kind, status, payload, attempts, created_at, updated_at, "
    "run_after) VALUES (?1,?2,?3,'queued',?4,0,?5,?5,?6)";
// The oldest runnable job: the oldest due queued job or the oldest running job whose lease has
// expired, whichever came first. Two statements, each walking jobs_by_status (migration 2) in seq
// order and stopping at the first match; the single OR query sorted every queued job on each
// lease, which under a backlog made leasing (inside the write lock) the pipeline's bottleneck.
// `+run_after` keeps the planner off jobs_runnable, whose order is not seq's.
inline constexpr const char* kNextQueued =
    "SELECT job_id, seq FROM jobs WHERE status = 'queued' AND +run_after <= ?1 ORDER BY seq LIMIT 1";
inline constexpr const char* kNextExpired =
    "SELECT job_id, seq FROM jobs WHERE status = 'running' AND +lease_until < ?1 ORDER BY seq LIMIT 1";
inline constexpr const char* kLeaseJob =
    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?2, lease_until = ?3, "
    "updated_at = ?4 WHERE job_id = ?1 RETURNING " RALLYUXR_JOB_COLUMNS;
inline constexpr const char* kSelectJob =
    "SELECT " RALLYUXR_JOB_COLUMNS " FROM jobs WHERE job_id = ?1";
inline constexpr const char* kSelectJobs =
    "SELECT " RALLYUXR_JOB_COLUMNS " FROM jobs WHERE experiment_id = ?1 ORDER BY seq";
inline constexpr const char* kRetryJob =
    "UPDATE jobs SET status = 'queued', last_error = ?2, run_after = ?3, lease_owner = NULL, "
    "lease_until = NULL, updated_at = ?4 WHERE job_id = ?1";
inline constexpr const char* kFailJob =
    "UPDATE jobs SET status = 'failed', last_error = ?2, lease_owner = NULL, lease_until = NULL, "
    "updated_at = ?3 WHERE job_id = ?1";
inline constexpr const char* kCompleteJob =
    "UPDATE jobs SET status = 'done', result = coalesce(?2, result), lease_owner = NULL, "
    "lease_until = NULL, updated_at = ?3 WHERE job_id = ?1";
inline constexpr const char* kNextDue =
    "SELECT min(run_after) FROM jobs WHERE status = 'queued'";
inline constexpr const char* kNextLeaseExpiry =
    "SELECT min(lease_until) FROM jobs WHERE status = 'running'";
inline constexpr const char* kQueueStats =
    "SELECT status, count(*), min(created_at) FROM jobs WHERE status IN ('queued','running','failed') "
    "GROUP BY status";
inline constexpr const char* kCountJobs = "SELECT count(*) FROM jobs";
inline constexpr const char* kRequeueOrphans =
    "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, run_after = 0 "
    "WHERE status = 'running'";

inline constexpr const char* kInsertAnalysis =
    "INSERT INTO analyses (analysis_id, experiment_id, status, results_version, document, "
    "total_impact, created_at, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?7)";
inline constexpr const char* kUpdateAnalysis =
    "UPDATE analyses SET status = ?2, document = ?3, total_impact = ?4, updated_at = ?5 "
    "WHERE analysis_id = ?1";
inline constexpr const char* kGetAnalysis =
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE analysis_id = ?1";
inline constexpr const char* kLatestComplete =
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = ?1 AND status = 'complete' ORDER BY seq DESC LIMIT 1";
inline constexpr const char* kLatestAny =
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = ?1 ORDER BY seq DESC LIMIT 1";
inline constexpr const char* kLatestCompleteStamp =
    "SELECT " RALLYUXR_ANALYSIS_STAMP_COLUMNS " FROM analyses WHERE experiment_id = ?1 AND status = 'complete' ORDER BY seq DESC LIMIT 1";
inline constexpr const char* kLatestAnyStamp =
    "SELECT " RALLYUXR_ANALYSIS_STAMP_COLUMNS " FROM analyses WHERE experiment_id = ?1 ORDER BY seq DESC LIMIT 1";
inline constexpr const char* kListAnalyses =
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = ?1 ORDER BY seq DESC";
inline constexpr const char* kNewestCompleteImpact =
    "SELECT total_impact FROM analyses WHERE experiment_id = ?1 AND status = 'complete' "
    "ORDER BY seq DESC LIMIT 1";

// ---- webhooks (issue 16)
inline constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (" RALLYUXR_WEBHOOK_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,NULL)";
inline constexpr const char* kDeleteWebhook =
    "UPDATE webhooks SET deleted_at = ?2 WHERE webhook_id = ?1 AND deleted_at IS NULL";
inline constexpr const char* kActiveWebhooks =
    "SELECT " RALLYUXR_WEBHOOK_COLUMNS " FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, webhook_id";
inline constexpr const char* kGetWebhook = "SELECT " RALLYUXR_WEBHOOK_COLUMNS " FROM webhooks WHERE webhook_id = ?1";
inline constexpr const char* kInsertDelivery =
    "INSERT INTO webhook_deliveries (" RALLYUXR_DELIVERY_COLUMNS ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)";
inline constexpr const char* kUpdateDelivery =
    "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, last_status_code = ?4, last_error = ?5, "
    "updated_at = ?6, delivered_at = ?7 WHERE delivery_id = ?1";
inline constexpr const char* kGetDelivery =
    "SELECT " RALLYUXR_DELIVERY_COLUMNS " FROM webhook_deliveries WHERE delivery_id = ?1";
inline constexpr const char* kListDeliveries =
    "SELECT " RALLYUXR_DELIVERY_COLUMNS " FROM webhook_deliveries WHERE webhook_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3";
inline constexpr const char* kCountDeliveries = "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?1";

#undef RALLYUXR_SQLITE_EXPERIMENT_COLUMNS

}  // namespace rallyuxr::store::sqlite
