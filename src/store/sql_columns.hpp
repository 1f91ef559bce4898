// The column lists of the SELECTs, in the order row_mapping.hpp reads them, once for both
// backends: each backend's sql.hpp composes its statements from these (string literals, so that
// the statements stay compile-time constants). A column added to a table goes here and into the
// matching *_from_row, nowhere else.
#pragma once

// Columns 0..19 of every experiments SELECT (experiment_from_row); each backend appends its own
// tail (seq, then SQLite's metric_ids, then RALLYUXR_EXPERIMENT_DESIGN_COLUMNS).
#define RALLYUXR_EXPERIMENT_COLUMNS                                                                  \
  "id, name, description, status, start_date, end_date, expected_outcome, created_at, updated_at, " \
  "created_by, implementation_cost, confidence_level, traffic_split, data_source, sim_present, "    \
  "sim_seed, sim_pre_days, sim_daily_traffic, sim_true_lift, economic_impact"
// experiment_design_from_row.
#define RALLYUXR_EXPERIMENT_DESIGN_COLUMNS "analysis_design, guardrail_metrics, plan_json"
// metric_value_from_row; also the INSERT's column list.
#define RALLYUXR_METRIC_COLUMNS                                                                     \
  "metric_id, name, description, unit, category, dollars_per_unit, improvement_direction, "         \
  "unit_size, last_updated, updated_by, version, has_rules, min_value, max_value, decimal_places, " \
  "value_group, retired_at"
// job_from_row.
#define RALLYUXR_JOB_COLUMNS                                                                   \
  "job_id, experiment_id, kind, status, payload, attempts, last_error, result, created_at, " \
  "updated_at, run_after"
// analysis_from_row.
#define RALLYUXR_ANALYSIS_COLUMNS \
  "analysis_id, experiment_id, status, results_version, document, total_impact, created_at, updated_at"
// The same row without its document (an empty one), for a lookup that needs only which analysis
// and its state: the document is the row's bulk (tens of KB with segments).
#define RALLYUXR_ANALYSIS_STAMP_COLUMNS \
  "analysis_id, experiment_id, status, results_version, '' AS document, total_impact, created_at, updated_at"
// decision_from_row; also the INSERT's column list.
#define RALLYUXR_DECISION_COLUMNS "decision_id, experiment_id, decision, reason, decided_by, decided_at"
// token_from_row.
#define RALLYUXR_TOKEN_COLUMNS "token_id, name, role, token_hash, created_at, created_by, revoked_at"
// audit_from_row; also the INSERT's column list.
#define RALLYUXR_AUDIT_COLUMNS "audit_id, at, actor, action, entity, entity_id, changes, summary"
// event_from_row; also the INSERT's column list.
#define RALLYUXR_EVENT_COLUMNS "event_id, experiment_id, event_type, payload, created_at"
// webhook_from_row; also the INSERT's column list.
#define RALLYUXR_WEBHOOK_COLUMNS "webhook_id, url, events, secret, format, created_at, created_by, deleted_at"
// delivery_from_row; also the INSERT's column list.
#define RALLYUXR_DELIVERY_COLUMNS                                                                 \
  "delivery_id, webhook_id, event, event_id, body, status, attempts, last_status_code, last_error, " \
  "created_at, updated_at, delivered_at"
