// Row -> domain mapping shared by every backend: each backend's row type offers text, int64,
// real, opt_text, opt_real, opt_int64 and is_null by column index, and selects the columns of
// sql_columns.hpp (one list per table, composed into both backends' statements).
#pragma once

#include <optional>

#include "domain/types.hpp"
#include "store/store.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store {

// Columns 0..19 of the experiments SELECTs; the metric ids are read by the caller.
template <class Row>
domain::Experiment experiment_from_row(const Row& s, std::optional<double>* impact) {
  domain::Experiment e;
  e.id = s.text(0);
  e.name = s.text(1);
  e.description = s.text(2);
  e.status = domain::parse_experiment_status(s.text(3)).value_or(domain::ExperimentStatus::kDraft);
  e.start_date = s.int64(4);
  e.end_date = s.int64(5);
  e.expected_outcome =
      domain::parse_expected_outcome(s.text(6)).value_or(domain::ExpectedOutcome::kNeutral);
  e.created_at = s.int64(7);
  e.updated_at = s.int64(8);
  e.created_by = s.opt_text(9);
  e.implementation_cost = s.opt_real(10);
  e.confidence_level = s.real(11);
  e.traffic_split = s.real(12);
  e.data_source = domain::parse_data_source(s.text(13)).value_or(domain::DataSource::kSimulated);
  if (s.int64(14)) {
    domain::SimulationConfig sim;
    if (auto seed = s.opt_int64(15)) sim.seed = static_cast<std::uint64_t>(*seed);
    sim.pre_period_days = static_cast<int>(s.opt_int64(16).value_or(7));
    sim.daily_traffic = s.opt_real(17);
    sim.true_lift = decode_lifts(s.text(18));
    e.simulation = sim;
  }
  if (impact) *impact = s.opt_real(19);
  return e;
}

// The method-2 columns of the experiments SELECTs: analysis_design at `col`, guardrail_metrics
// (comma-separated ids) at `col + 1`, and the plan promised at creation (JSON text or NULL) at
// `col + 2`.
template <class Row>
void experiment_design_from_row(const Row& s, int col, domain::Experiment& e) {
  e.analysis_design = domain::parse_analysis_design(s.text(col)).value_or(domain::AnalysisDesign::kDid);
  e.guardrail_metrics = split_ids(s.text(col + 1));
  e.plan = s.opt_text(col + 2);
}

template <class Row>
domain::MetricValue metric_value_from_row(const Row& s) {
  domain::MetricValue m;
  m.metric_id = s.text(0);
  m.name = s.text(1);
  m.description = s.text(2);
  m.unit = s.text(3);
  m.category = s.text(4);
  m.dollars_per_unit = s.real(5);
  m.improvement_direction =
      domain::parse_direction(s.text(6)).value_or(domain::Direction::kIncrease);
  m.unit_size = s.real(7);
  m.last_updated = s.int64(8);
  m.updated_by = s.opt_text(9);
  m.version = s.int64(10);
  if (s.int64(11)) {
    domain::ValidationRules r;
    r.min_value = s.opt_real(12);
    r.max_value = s.opt_real(13);
    if (auto d = s.opt_int64(14)) r.decimal_places = static_cast<int>(*d);
    m.validation_rules = r;
  }
  m.value_group = s.opt_text(15);
  m.retired_at = s.opt_int64(16);
  return m;
}

template <class Row>
domain::Decision decision_from_row(const Row& s) {
  return domain::Decision{s.text(0), s.text(1), s.text(2), s.text(3), s.opt_text(4), s.int64(5)};
}

template <class Row>
Event event_from_row(const Row& s) {
  return Event{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4)};
}

template <class Row>
AuditEntry audit_from_row(const Row& s) {
  AuditEntry a;
  a.audit_id = s.text(0);
  a.at = s.int64(1);
  a.actor = s.opt_text(2);
  a.action = s.text(3);
  a.entity = s.text(4);
  a.entity_id = s.text(5);
  a.changes = s.text(6);
  a.summary = s.text(7);
  return a;
}

template <class Row>
AccessToken token_from_row(const Row& s) {
  AccessToken t;
  t.token_id = s.text(0);
  t.name = s.text(1);
  t.role = s.text(2);
  t.hash = s.text(3);
  t.created_at = s.int64(4);
  t.created_by = s.opt_text(5);
  t.revoked_at = s.opt_int64(6);
  return t;
}

template <class Row>
Webhook webhook_from_row(const Row& s) {
  Webhook w;
  w.webhook_id = s.text(0);
  w.url = s.text(1);
  w.events = split_ids(s.text(2));
  w.secret = s.text(3);
  w.format = s.text(4);
  w.created_at = s.int64(5);
  w.created_by = s.opt_text(6);
  w.deleted_at = s.opt_int64(7);
  return w;
}

template <class Row>
WebhookDelivery delivery_from_row(const Row& s) {
  WebhookDelivery d;
  d.delivery_id = s.text(0);
  d.webhook_id = s.text(1);
  d.event = s.text(2);
  d.event_id = s.text(3);
  d.body = s.text(4);
  d.status = s.text(5);
  d.attempts = static_cast<int>(s.int64(6));
  d.last_status_code = s.opt_int64(7);
  d.last_error = s.opt_text(8);
  d.created_at = s.int64(9);
  d.updated_at = s.int64(10);
  d.delivered_at = s.opt_int64(11);
  return d;
}

template <class Row>
Job job_from_row(const Row& s) {
  Job j;
  j.job_id = s.text(0);
  j.experiment_id = s.text(1);
  j.kind = parse_job_kind(s.text(2));
  j.status = parse_job_status(s.text(3));
  j.payload = s.text(4);
  j.attempts = static_cast<int>(s.int64(5));
  j.last_error = s.opt_text(6);
  j.result = s.opt_text(7);
  j.created_at = s.int64(8);
  j.updated_at = s.int64(9);
  j.run_after = s.real(10);
  return j;
}

template <class Row>
StoredAnalysis analysis_from_row(const Row& s) {
  StoredAnalysis a;
  a.analysis_id = s.text(0);
  a.experiment_id = s.text(1);
  a.status = s.text(2);
  a.results_version = s.int64(3);
  a.document = s.text(4);
  a.total_impact = s.opt_real(5);
  a.created_at = s.int64(6);
  a.updated_at = s.int64(7);
  return a;
}

// Puts series read in metric order into the results: the experiment's metrics first (in its order,
// already in `metrics`), then any metric with data that the experiment no longer lists, so that
// its data stay visible. Both backends read results through it.
class SeriesCollector {
 public:
  explicit SeriesCollector(std::vector<domain::MetricSeries>& metrics) : metrics_(metrics) {}
  // The series of `metric_id`, to fill.
  std::vector<domain::HourlyPoint>& points_of(const std::string& metric_id) {
    if (current_ < 0 || metrics_[current_].metric_id != metric_id) {
      current_ = -1;
      for (std::size_t i = 0; i < metrics_.size(); ++i)
        if (metrics_[i].metric_id == metric_id) current_ = static_cast<long>(i);
      if (current_ < 0) {
        metrics_.push_back(domain::MetricSeries{metric_id, {}});
        current_ = static_cast<long>(metrics_.size()) - 1;
      }
    }
    return metrics_[current_].points;
  }

 private:
  std::vector<domain::MetricSeries>& metrics_;
  long current_ = -1;
};

}  // namespace rallyuxr::store
