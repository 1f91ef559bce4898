// Row mapping and binding for the PostgreSQL backend (column orders as in sql.hpp).
#include <map>

#include "store/postgres/internal.hpp"
#include "store/row_mapping.hpp"
#include "store/segment_blob.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::postgres {

using domain::UnixSeconds;
using namespace sql;

// Points per INSERT ... SELECT FROM unnest(...) statement.
constexpr std::size_t kPointsPerStatement = 5000;

// ---- row mapping (column order as in sql.hpp)
domain::Experiment read_experiment(const Row& s, std::optional<double>* impact) {
  auto e = experiment_from_row(s, impact);
  experiment_design_from_row(s, 21, e);
  return e;
}

// Fills the metric lists of the given experiments (one round trip).
void load_metrics(Connection& c, std::vector<domain::Experiment*> experiments) {
  if (experiments.empty()) return;
  if (experiments.size() == 1) {
    auto r = c.exec(kSelectExperimentMetrics, Params().add(experiments.front()->id));
    for (int i = 0; i < r.rows(); ++i) experiments.front()->metrics.push_back(r.text(i, 0));
    return;
  }
  std::vector<std::string> ids;
  std::map<std::string, domain::Experiment*> by_id;
  for (auto* e : experiments) {
    ids.push_back(e->id);
    by_id[e->id] = e;
  }
  auto r = c.exec(kSelectMetricsOf, Params().add(text_array(ids)));
  for (int i = 0; i < r.rows(); ++i) {
    auto it = by_id.find(r.text(i, 0));
    if (it != by_id.end()) it->second->metrics.push_back(r.text(i, 1));
  }
}

domain::MetricValue read_metric(const Row& s) { return metric_value_from_row(s); }

Params metric_params(const domain::MetricValue& m) {
  Params p;
  p.add(m.metric_id).add(m.name).add(m.description).add(m.unit).add(m.category);
  p.add(m.dollars_per_unit).add(domain::to_string(m.improvement_direction));
  p.add(m.unit_size).add(m.last_updated).add(m.updated_by).add(m.version);
  p.add(m.validation_rules ? 1 : 0);
  if (m.validation_rules) {
    p.add(m.validation_rules->min_value).add(m.validation_rules->max_value);
    p.add(m.validation_rules->decimal_places);
  } else {
    p.add_null().add_null().add_null();
  }
  p.add(m.value_group);
  p.add(m.retired_at);
  return p;
}

Job read_job(const Row& s) { return job_from_row(s); }

StoredAnalysis read_analysis(const Row& s) { return analysis_from_row(s); }

// Upserts points in a few statements of parallel arrays. A (metric, hour) given twice keeps its
// last occurrence, as row-by-row upserts would.
void write_points(Connection& c, const std::string& exp_id, const std::vector<domain::MetricSeries>& metrics) {
  std::map<std::pair<std::string_view, UnixSeconds>, const domain::HourlyPoint*> points;
  for (const auto& series : metrics)
    for (const auto& p : series.points) points[{series.metric_id, p.timestamp}] = &p;
  auto it = points.begin();
  while (it != points.end()) {
    std::vector<std::string> ids;
    std::string ts = "{", tv = "{", cv = "{", tn = "{", cn = "{";
    for (std::size_t n = 0; it != points.end() && n < kPointsPerStatement; ++it, ++n) {
      if (n) {
        ts += ',';
        tv += ',';
        cv += ',';
        tn += ',';
        cn += ',';
      }
      ids.emplace_back(it->first.first);
      const auto& p = *it->second;
      ts += std::to_string(p.timestamp);
      tv += format_double(p.treatment_value);
      cv += format_double(p.control_value);
      tn += std::to_string(p.treatment_sample_size);
      cn += std::to_string(p.control_sample_size);
    }
    c.exec(kUpsertPoints,
           Params().add(exp_id).add(text_array(ids)).add(ts + '}').add(tv + '}').add(cv + '}').add(tn + '}').add(cn + '}'));
  }
}


std::optional<ResultsMeta> read_results_meta(Connection& c, const std::string& experiment_id) {
  auto r = c.exec(kSelectResultsMeta, Params().add(experiment_id));
  if (r.rows() == 0) return std::nullopt;
  ResultsMeta m;
  m.version = r.int64(0, 0);
  m.generated_at = r.int64(0, 1);
  if (!r.is_null(0, 2) && !r.is_null(0, 3)) m.unique_users = domain::UniqueUsers{r.int64(0, 2), r.int64(0, 3)};
  return m;
}

std::optional<ResultsInfo> compute_results_info(Connection& c, const std::string& experiment_id) {
  auto period = c.exec(kResultsPeriod, Params().add(experiment_id));
  if (period.rows() == 0) return std::nullopt;
  ResultsInfo info;
  info.version = period.int64(0, 0);
  {
    auto s = c.exec(kPointStats, Params().add(experiment_id));
    for (int i = 0; i < s.rows(); ++i) {
      info.points += s.int64(i, 1);
      auto last = s.int64(i, 2);
      if (!info.last_timestamp || last < *info.last_timestamp) info.last_timestamp = last;
    }
  }
  if (!period.is_null(0, 1) && !period.is_null(0, 3)) {
    auto s = c.exec(kParticipants, Params()
                                       .add(experiment_id)
                                       .add(period.text(0, 3))
                                       .add(period.int64(0, 1))
                                       .add(period.int64(0, 2)));
    if (s.rows() > 0) info.participants = s.int64(0, 0);
  }
  return info;
}

domain::Segments read_segment_rows(Connection& c, const std::string& experiment_id,
                                   const std::optional<std::string>& dimension) {
  domain::Segments out;
  {
    auto r = dimension ? c.exec(kSelectDimensionSeries, Params::of(experiment_id, *dimension))
                       : c.exec(kSelectSegmentSeries, Params().add(experiment_id));
    std::string bytes;
    for (int i = 0; i < r.rows(); ++i) {
      domain::MetricSeries series{r.text(i, 2), {}};
      if (!from_bytea_hex(r.text(i, 3), bytes) || !decode_segment_points(bytes, series.points))
        throw std::runtime_error("damaged segment series " + r.text(i, 0) + "/" + r.text(i, 1) + "/" + series.metric_id);
      out[r.text(i, 0)][r.text(i, 1)].series.push_back(std::move(series));
    }
  }
  auto m = c.exec(kSelectSegmentMeta, Params().add(experiment_id));
  for (int i = 0; i < m.rows(); ++i) {
    if (m.is_null(i, 2) || m.is_null(i, 3)) continue;
    auto d = out.find(m.text(i, 0));
    if (d == out.end()) continue;
    if (auto seg = d->second.find(m.text(i, 1)); seg != d->second.end())
      seg->second.unique_users = domain::UniqueUsers{m.int64(i, 2), m.int64(i, 3)};
  }
  return out;
}

void write_segment_rows(Connection& c, const std::string& experiment_id, const domain::Segments& segments) {
  c.exec(kDeleteSegmentSeries, Params().add(experiment_id));
  c.exec(kDeleteSegmentMeta, Params().add(experiment_id));
  for (const auto& [dimension, segs] : segments)
    for (const auto& [name, seg] : segs) {
      Params meta = Params::of(experiment_id, dimension, name);
      if (seg.unique_users)
        meta.add(seg.unique_users->treatment).add(seg.unique_users->control);
      else
        meta.add_null().add_null();
      c.exec(kInsertSegmentMeta, meta);
      for (const auto& series : seg.series)
        c.exec(kInsertSegmentSeries, Params::of(experiment_id, dimension, name, series.metric_id,
                                                to_bytea_hex(encode_segment_points(series.points))));
    }
}

}  // namespace rallyuxr::store::postgres
