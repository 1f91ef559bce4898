// Every statement of the PostgreSQL backend, as named constants (each is PQprepare'd once per
// connection under its name). Text ordering uses COLLATE "C" so that lists come back in the same
// (bytewise) order as from SQLite whatever the database's collation.
#pragma once

#include "store/postgres/connection.hpp"
#include "store/sql_columns.hpp"

namespace rallyuxr::store::postgres::sql {

// The experiments SELECTs: columns 0..19 (sql_columns.hpp), then seq at 20 and the design
// columns from 21 (read_experiment).
#define RALLYUXR_PG_EXPERIMENT_COLUMNS RALLYUXR_EXPERIMENT_COLUMNS ", seq, " RALLYUXR_EXPERIMENT_DESIGN_COLUMNS

inline constexpr Sql kPing{"ping", "SELECT 1"};
// $1: the notifying store's tag, so that its own listener can skip what it already signalled.
inline constexpr Sql kNotifyJobs{"notify_jobs", "SELECT pg_notify('rallyuxr_jobs', $1::text)"};
inline constexpr Sql kAdvisoryXactLock{"advisory_xact_lock", "SELECT pg_advisory_xact_lock($1::bigint)"};
inline constexpr Sql kMigrationsApplied{"migrations_applied",
                                        "SELECT coalesce(max(version), 0) FROM schema_migrations"};
inline constexpr Sql kInsertMigration{"insert_migration",
                                      "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)"};

// ---- experiments
inline constexpr Sql kInsertExperiment{
    "insert_experiment",
    "INSERT INTO experiments (id, name, description, status, start_date, end_date, expected_outcome, "
    "created_at, updated_at, created_by, implementation_cost, confidence_level, traffic_split, "
    "data_source, sim_present, sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, analysis_design, "
    "guardrail_metrics, plan_json) "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22)"};
// $2: the metric ids in order, as a text[] literal.
inline constexpr Sql kInsertExperimentMetrics{
    "insert_experiment_metrics",
    "INSERT INTO experiment_metrics (experiment_id, position, metric_id) "
    "SELECT $1::text, u.p - 1, u.m FROM unnest($2::text[]) WITH ORDINALITY AS u(m, p)"};
inline constexpr Sql kSelectExperimentMetrics{
    "select_experiment_metrics",
    "SELECT metric_id FROM experiment_metrics WHERE experiment_id = $1 ORDER BY position"};
// The metrics of several experiments at once ($1: text[] of ids).
inline constexpr Sql kSelectMetricsOf{
    "select_metrics_of",
    "SELECT experiment_id, metric_id FROM experiment_metrics WHERE experiment_id = ANY($1::text[]) "
    "ORDER BY experiment_id, position"};
inline constexpr Sql kSelectExperiment{
    "select_experiment", "SELECT " RALLYUXR_PG_EXPERIMENT_COLUMNS " FROM experiments WHERE id = $1"};
// The row lock every workflow of one experiment takes first: they queue here across nodes.
inline constexpr Sql kLockExperiment{
    "lock_experiment", "SELECT " RALLYUXR_PG_EXPERIMENT_COLUMNS " FROM experiments WHERE id = $1 FOR UPDATE"};
// The compare-and-set of every status change: applies only over the expected status.
inline constexpr Sql kCompareAndSetStatus{
    "compare_and_set_status",
    "UPDATE experiments SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2"};
inline constexpr Sql kListActive{
    "list_active",
    "SELECT " RALLYUXR_PG_EXPERIMENT_COLUMNS " FROM experiments WHERE status <> 'archived' "
    "AND ($3::text IS NULL OR strpos(lower(name), lower($3::text)) > 0) "
    "ORDER BY seq DESC LIMIT $1 OFFSET $2"};
inline constexpr Sql kListByStatus{
    "list_by_status",
    "SELECT " RALLYUXR_PG_EXPERIMENT_COLUMNS " FROM experiments WHERE status = $4 "
    "AND ($3::text IS NULL OR strpos(lower(name), lower($3::text)) > 0) "
    "ORDER BY seq DESC LIMIT $1 OFFSET $2"};
inline constexpr Sql kCountActiveNamed{
    "count_active_named",
    "SELECT count(*) FROM experiments WHERE status <> 'archived' AND strpos(lower(name), lower($1::text)) > 0"};
inline constexpr Sql kCountStatusNamed{
    "count_status_named",
    "SELECT count(*) FROM experiments WHERE status = $2 AND strpos(lower(name), lower($1::text)) > 0"};
inline constexpr Sql kCounts{
    "counts", "SELECT status, sum(n)::bigint FROM experiment_counts GROUP BY status"};
// The portfolio total, summed when read from the exactly recomputed block impacts (migration 2).
inline constexpr Sql kTotalImpact{
    "total_impact",
    "SELECT CASE WHEN t > 1.7976931348623157e308 THEN 'Infinity'::float8 "
    "WHEN t < -1.7976931348623157e308 THEN '-Infinity'::float8 ELSE t::float8 END "
    "FROM (SELECT coalesce(sum(impact::numeric), 0) AS t FROM experiment_impact_blocks "
    "WHERE status <> 'archived') x"};
inline constexpr Sql kSetEconomicImpact{
    "set_economic_impact", "UPDATE experiments SET economic_impact = $2, updated_at = $3 WHERE id = $1"};

// ---- metric values
inline constexpr Sql kListMetrics{
    "list_metrics",
    "SELECT " RALLYUXR_METRIC_COLUMNS " FROM metric_values ORDER BY metric_id COLLATE \"C\""};
inline constexpr Sql kGetMetric{"get_metric",
                                "SELECT " RALLYUXR_METRIC_COLUMNS " FROM metric_values WHERE metric_id = $1"};
// The row lock that serializes concurrent updates of one metric across every node.
inline constexpr Sql kGetMetricForUpdate{
    "get_metric_for_update",
    "SELECT " RALLYUXR_METRIC_COLUMNS " FROM metric_values WHERE metric_id = $1 FOR UPDATE"};
inline constexpr Sql kCountMetrics{"count_metrics", "SELECT count(*) FROM metric_values"};
inline constexpr Sql kInsertMetric{
    "insert_metric",
    "INSERT INTO metric_values (" RALLYUXR_METRIC_COLUMNS ") "
    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) ON CONFLICT (metric_id) DO NOTHING"};
inline constexpr Sql kUpdateMetric{
    "update_metric",
    "UPDATE metric_values SET name=$2, description=$3, unit=$4, category=$5, dollars_per_unit=$6, "
    "improvement_direction=$7, unit_size=$8, last_updated=$9, updated_by=$10, version=$11, "
    "has_rules=$12, min_value=$13, max_value=$14, decimal_places=$15, value_group=$16, retired_at=$17 WHERE metric_id=$1"};
inline constexpr Sql kInsertHistory{
    "insert_history",
    "INSERT INTO metric_value_history (metric_id, version, dollars_per_unit, updated_at, updated_by, "
    "change_reason) VALUES ($1,$2,$3,$4,$5,$6)"};
inline constexpr Sql kSelectHistory{
    "select_history",
    "SELECT version, dollars_per_unit, updated_at, updated_by, change_reason "
    "FROM metric_value_history WHERE metric_id = $1 ORDER BY version DESC"};
inline constexpr Sql kInsertChange{
    "insert_change",
    "INSERT INTO metric_value_changes (metric_id, version, position, field, from_value, to_value) "
    "VALUES ($1,$2,$3,$4,$5,$6)"};
inline constexpr Sql kSelectChanges{
    "select_changes",
    "SELECT version, field, from_value, to_value FROM metric_value_changes WHERE metric_id = $1 "
    "ORDER BY version DESC, position"};
// Experiments tracking a metric, with their status and results version (NULL: none yet).
inline constexpr Sql kTrackingExperiments{
    "tracking_experiments",
    "SELECT e.id, e.status, r.version FROM experiments e LEFT JOIN results_meta r ON r.experiment_id = e.id "
    "WHERE EXISTS (SELECT 1 FROM experiment_metrics m WHERE m.experiment_id = e.id AND m.metric_id = $1) "
    "ORDER BY e.seq"};

// ---- results
// The overall series: one row per experiment and metric, its hours packed (store/series_blob.hpp).
inline constexpr Sql kDeletePoints{"delete_points", "DELETE FROM result_series WHERE experiment_id = $1"};
inline constexpr Sql kSelectSeriesOf{
    "select_series_of",
    "SELECT points FROM result_series WHERE experiment_id = $1 AND metric_id = $2 FOR UPDATE"};
inline constexpr Sql kWriteSeries{
    "write_series",
    "INSERT INTO result_series (experiment_id, metric_id, points) VALUES ($1, $2, $3::bytea) "
    "ON CONFLICT (experiment_id, metric_id) DO UPDATE SET points = excluded.points"};
inline constexpr Sql kSelectSeries{
    "select_series",
    "SELECT metric_id, points FROM result_series WHERE experiment_id = $1 ORDER BY metric_id COLLATE \"C\""};
// Segments (issue 17).
inline constexpr Sql kDeleteSegmentSeries{"delete_segment_series", "DELETE FROM segment_series WHERE experiment_id = $1"};
inline constexpr Sql kDeleteSegmentMeta{"delete_segment_meta", "DELETE FROM segment_meta WHERE experiment_id = $1"};
inline constexpr Sql kInsertSegmentSeries{
    "insert_segment_series",
    "INSERT INTO segment_series (experiment_id, dimension, segment, metric_id, points) "
    "VALUES ($1, $2, $3, $4, $5::bytea)"};
inline constexpr Sql kInsertSegmentMeta{
    "insert_segment_meta",
    "INSERT INTO segment_meta (experiment_id, dimension, segment, uu_treatment, uu_control) VALUES ($1, $2, $3, $4, $5)"};
inline constexpr Sql kSelectSegmentSeries{
    "select_segment_series",
    "SELECT dimension, segment, metric_id, points FROM segment_series WHERE experiment_id = $1 "
    "ORDER BY dimension COLLATE \"C\", segment COLLATE \"C\", metric_id COLLATE \"C\""};
inline constexpr Sql kSelectDimensionSeries{
    "select_dimension_series",
    "SELECT dimension, segment, metric_id, points FROM segment_series WHERE experiment_id = $1 AND dimension = $2 "
    "ORDER BY segment COLLATE \"C\", metric_id COLLATE \"C\""};
inline constexpr Sql kSelectSegmentMeta{
    "select_segment_meta",
    "SELECT dimension, segment, uu_treatment, uu_control FROM segment_meta WHERE experiment_id = $1 "
    "ORDER BY dimension COLLATE \"C\", segment COLLATE \"C\""};
inline constexpr Sql kSelectResultsMeta{
    "select_results_meta",
    "SELECT version, generated_at, uu_treatment, uu_control FROM results_meta WHERE experiment_id = $1"};
// Bumps (or starts at 1) the results version, holding the row lock until commit: concurrent
// writers of one experiment's results queue here.
inline constexpr Sql kUpsertResultsMeta{
    "upsert_results_meta",
    "INSERT INTO results_meta (experiment_id, version, generated_at, uu_treatment, uu_control) "
    "VALUES ($1, 1, $2, $3, $4) ON CONFLICT (experiment_id) DO UPDATE SET version = results_meta.version + 1, "
    "generated_at = excluded.generated_at, uu_treatment = excluded.uu_treatment, "
    "uu_control = excluded.uu_control RETURNING version"};
// What ResultsInfo needs besides the points: the version, the experiment's period and its first
// metric (no row: no results).
inline constexpr Sql kResultsPeriod{
    "results_period",
    "SELECT r.version, e.start_date, e.end_date, (SELECT m.metric_id FROM experiment_metrics m "
    "WHERE m.experiment_id = r.experiment_id ORDER BY m.position LIMIT 1) "
    "FROM results_meta r LEFT JOIN experiments e ON e.id = r.experiment_id WHERE r.experiment_id = $1"};
// Per series of the experiment: its size in bytes, its last point's hour (8 bytes), and the whole
// series only for $2 (the first metric, whose participants are summed).
inline constexpr Sql kSeriesStats{
    "series_stats",
    "SELECT metric_id, length(points), substring(points from greatest(length(points) - 39, 1) for 8), "
    "CASE WHEN metric_id = $2 THEN points END FROM result_series WHERE experiment_id = $1"};
inline constexpr Sql kSelectResultsStats{
    "select_results_stats",
    "SELECT version, stats_version, points, participants, last_ts FROM results_meta WHERE experiment_id = $1"};
inline constexpr Sql kUpdateResultsStats{
    "update_results_stats",
    "UPDATE results_meta SET stats_version = version, points = $2, participants = $3, last_ts = $4 "
    "WHERE experiment_id = $1 RETURNING version"};

// ---- events
inline constexpr Sql kInsertEvent{
    "insert_event",
    "INSERT INTO events (" RALLYUXR_EVENT_COLUMNS ") VALUES ($1,$2,$3,$4,$5)"};
inline constexpr Sql kInsertDecision{
    "insert_decision",
    "INSERT INTO experiment_decisions (" RALLYUXR_DECISION_COLUMNS ") "
    "VALUES ($1,$2,$3,$4,$5,$6)"};
inline constexpr Sql kSelectDecisions{
    "select_decisions",
    "SELECT " RALLYUXR_DECISION_COLUMNS " FROM experiment_decisions "
    "WHERE experiment_id = $1 ORDER BY seq DESC"};
inline constexpr Sql kLatestDecision{
    "latest_decision",
    "SELECT " RALLYUXR_DECISION_COLUMNS " FROM experiment_decisions "
    "WHERE experiment_id = $1 ORDER BY seq DESC LIMIT 1"};
inline constexpr Sql kInsertToken{
    "insert_token",
    "INSERT INTO access_tokens (token_id, name, role, token_hash, created_at, created_by, revoked_at) VALUES ($1,$2,$3,$4,$5,$6,NULL) ON CONFLICT DO NOTHING"};
inline constexpr Sql kRevokeToken{"revoke_token",
                                  "UPDATE access_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL"};
inline constexpr Sql kFindActiveToken{
    "find_active_token", "SELECT " RALLYUXR_TOKEN_COLUMNS " FROM access_tokens WHERE token_hash = $1 AND revoked_at IS NULL"};
inline constexpr Sql kListTokens{"list_tokens", "SELECT " RALLYUXR_TOKEN_COLUMNS " FROM access_tokens ORDER BY created_at, token_id"};
inline constexpr Sql kAnyActiveToken{"any_active_token",
                                     "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE revoked_at IS NULL)::int"};
inline constexpr Sql kInsertAudit{
    "insert_audit", "INSERT INTO audit_log (" RALLYUXR_AUDIT_COLUMNS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"};
inline constexpr Sql kListAudit{
    "list_audit",
    "SELECT " RALLYUXR_AUDIT_COLUMNS " FROM audit_log WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR actor = $2) "
    "ORDER BY seq DESC LIMIT $3 OFFSET $4"};
inline constexpr Sql kCountAudit{
    "count_audit",
    "SELECT count(*) FROM audit_log WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR actor = $2)"};
inline constexpr Sql kLatestDecisions{
    "latest_decisions",
    "SELECT DISTINCT ON (experiment_id) " RALLYUXR_DECISION_COLUMNS " FROM experiment_decisions WHERE experiment_id = ANY($1::text[]) ORDER BY experiment_id, seq DESC"};
inline constexpr Sql kSelectEvents{
    "select_events",
    "SELECT " RALLYUXR_EVENT_COLUMNS " FROM events "
    "WHERE experiment_id = $1 ORDER BY seq"};

// ---- jobs
inline constexpr Sql kInsertJob{
    "insert_job",
    "INSERT INTO jobs (job_id, experiment_id, kind, status, payload, attempts, created_at, updated_at, "
    "run_after) VALUES ($1,$2,$3,'queued',$4,0,$5,$5,$6)"};
// The oldest runnable job (queued and due, or running with an expired lease), skipping rows that
// another node's transaction is leasing at this moment.
inline constexpr Sql kLeaseJob{
    "lease_job",
    "WITH next AS (SELECT seq FROM jobs WHERE status IN ('queued','running') AND "
    "((status = 'queued' AND run_after <= $1) OR (status = 'running' AND lease_until < $1)) "
    "ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, lease_owner = $2, "
    "lease_until = $3, updated_at = $4 FROM next WHERE j.seq = next.seq RETURNING " RALLYUXR_JOB_COLUMNS};
inline constexpr Sql kSelectJob{"select_job",
                                "SELECT " RALLYUXR_JOB_COLUMNS " FROM jobs WHERE job_id = $1"};
inline constexpr Sql kLockJob{"lock_job",
                              "SELECT " RALLYUXR_JOB_COLUMNS " FROM jobs WHERE job_id = $1 FOR UPDATE"};
inline constexpr Sql kSelectJobs{
    "select_jobs", "SELECT " RALLYUXR_JOB_COLUMNS " FROM jobs WHERE experiment_id = $1 ORDER BY seq"};
// One statement (one transaction) that requeues and notifies the listeners.
inline constexpr Sql kRetryJob{
    "retry_job",
    "WITH u AS (UPDATE jobs SET status = 'queued', last_error = $2, run_after = $3, lease_owner = NULL, "
    "lease_until = NULL, updated_at = $4 WHERE job_id = $1 RETURNING 1) "
    "SELECT pg_notify('rallyuxr_jobs', $5::text) FROM u"};
inline constexpr Sql kFailJob{
    "fail_job",
    "UPDATE jobs SET status = 'failed', last_error = $2, lease_owner = NULL, lease_until = NULL, "
    "updated_at = $3 WHERE job_id = $1"};
inline constexpr Sql kCompleteJob{
    "complete_job",
    "UPDATE jobs SET status = 'done', result = coalesce($2, result), lease_owner = NULL, "
    "lease_until = NULL, updated_at = $3 WHERE job_id = $1"};
inline constexpr Sql kNextDue{
    "next_due",
    "SELECT (SELECT min(run_after) FROM jobs WHERE status = 'queued'), "
    "(SELECT min(lease_until) FROM jobs WHERE status = 'running')"};
inline constexpr Sql kQueueStats{
    "queue_stats",
    "SELECT status, count(*), min(created_at) FROM jobs WHERE status IN ('queued','running','failed') "
    "GROUP BY status"};

// ---- analyses
inline constexpr Sql kInsertAnalysis{
    "insert_analysis",
    "INSERT INTO analyses (analysis_id, experiment_id, status, results_version, document, "
    "total_impact, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$7)"};
inline constexpr Sql kUpdateAnalysis{
    "update_analysis",
    "UPDATE analyses SET status = $2, document = $3, total_impact = $4, updated_at = $5 "
    "WHERE analysis_id = $1"};
inline constexpr Sql kGetAnalysis{
    "get_analysis", "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE analysis_id = $1"};
inline constexpr Sql kLatestComplete{
    "latest_complete",
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = $1 AND status = 'complete' "
    "ORDER BY seq DESC LIMIT 1"};
inline constexpr Sql kLatestAny{
    "latest_any",
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = $1 ORDER BY seq DESC LIMIT 1"};
inline constexpr Sql kLatestCompleteStamp{
    "latest_complete_stamp",
    "SELECT " RALLYUXR_ANALYSIS_STAMP_COLUMNS " FROM analyses WHERE experiment_id = $1 AND status = 'complete' "
    "ORDER BY seq DESC LIMIT 1"};
inline constexpr Sql kLatestAnyStamp{
    "latest_any_stamp",
    "SELECT " RALLYUXR_ANALYSIS_STAMP_COLUMNS " FROM analyses WHERE experiment_id = $1 ORDER BY seq DESC LIMIT 1"};
inline constexpr Sql kListAnalyses{
    "list_analyses",
    "SELECT " RALLYUXR_ANALYSIS_COLUMNS " FROM analyses WHERE experiment_id = $1 ORDER BY seq DESC"};
inline constexpr Sql kNewestCompleteImpact{
    "newest_complete_impact",
    "SELECT total_impact FROM analyses WHERE experiment_id = $1 AND status = 'complete' "
    "ORDER BY seq DESC LIMIT 1"};

// ---- webhooks (issue 16)
inline constexpr Sql kInsertWebhook{
    "insert_webhook", "INSERT INTO webhooks (" RALLYUXR_WEBHOOK_COLUMNS ") VALUES ($1,$2,$3,$4,$5,$6,$7,NULL)"};
inline constexpr Sql kDeleteWebhook{
    "delete_webhook", "UPDATE webhooks SET deleted_at = $2 WHERE webhook_id = $1 AND deleted_at IS NULL"};
inline constexpr Sql kActiveWebhooks{
    "active_webhooks",
    "SELECT " RALLYUXR_WEBHOOK_COLUMNS " FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, webhook_id"};
inline constexpr Sql kGetWebhook{"get_webhook",
                                 "SELECT " RALLYUXR_WEBHOOK_COLUMNS " FROM webhooks WHERE webhook_id = $1"};
inline constexpr Sql kInsertDelivery{
    "insert_delivery",
    "INSERT INTO webhook_deliveries (" RALLYUXR_DELIVERY_COLUMNS ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"};
inline constexpr Sql kUpdateDelivery{
    "update_delivery",
    "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status_code = $4, last_error = $5, "
    "updated_at = $6, delivered_at = $7 WHERE delivery_id = $1"};
inline constexpr Sql kGetDelivery{
    "get_delivery", "SELECT " RALLYUXR_DELIVERY_COLUMNS " FROM webhook_deliveries WHERE delivery_id = $1"};
inline constexpr Sql kListDeliveries{
    "list_deliveries",
    "SELECT " RALLYUXR_DELIVERY_COLUMNS " FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq DESC "
    "LIMIT $2 OFFSET $3"};
inline constexpr Sql kCountDeliveries{"count_deliveries",
                                      "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1"};

#undef RALLYUXR_PG_EXPERIMENT_COLUMNS

}  // namespace rallyuxr::store::postgres::sql
