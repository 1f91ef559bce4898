// Row mapping and binding for the PostgreSQL backend (column orders as in sql.hpp).
#include <map>

#include "store/postgres/internal.hpp"
#include "store/row_mapping.hpp"
#include "store/series_blob.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::postgres {

using domain::UnixSeconds;
using namespace sql;

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

void read_result_series(Connection& c, const std::string& experiment_id, std::vector<domain::MetricSeries>& metrics) {
  auto r = c.exec(kSelectSeries, Params().add(experiment_id));
  SeriesCollector series(metrics);
  std::string bytes;
  for (int i = 0; i < r.rows(); ++i) {
    auto metric_id = r.text(i, 0);
    if (!from_bytea_hex(r.text(i, 1), bytes) || !decode_points(bytes, series.points_of(metric_id)))
      throw std::runtime_error("damaged series " + experiment_id + "/" + metric_id);
  }
}

std::vector<domain::HourlyPoint> lock_one_series(Connection& c, const std::string& experiment_id,
                                                 const std::string& metric_id) {
  std::vector<domain::HourlyPoint> points;
  auto r = c.exec(kSelectSeriesOf, Params::of(experiment_id, metric_id));
  std::string bytes;
  if (r.rows() > 0 && (!from_bytea_hex(r.text(0, 0), bytes) || !decode_points(bytes, points)))
    throw std::runtime_error("damaged series " + experiment_id + "/" + metric_id);
  return points;
}

void write_series(Connection& c, const std::string& experiment_id, const std::string& metric_id,
                  const std::vector<domain::HourlyPoint>& points) {
  c.exec(kWriteSeries, Params::of(experiment_id, metric_id, to_bytea_hex(encode_points(points))));
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
  bool has_period = !period.is_null(0, 1) && !period.is_null(0, 3);
  std::int64_t from = has_period ? period.int64(0, 1) : 0, to = has_period ? period.int64(0, 2) : 0;
  auto s = c.exec(kSeriesStats, Params().add(experiment_id).add(has_period ? period.opt_text(0, 3) : std::nullopt));
  std::string bytes;
  for (int i = 0; i < s.rows(); ++i) {
    auto size = s.int64(i, 1);
    if (size < static_cast<std::int64_t>(kPointBytes)) continue;
    if (!from_bytea_hex(s.text(i, 2), bytes) || bytes.size() != 8)
      throw std::runtime_error("damaged series " + experiment_id + "/" + s.text(i, 0));
    info.points += size / static_cast<std::int64_t>(kPointBytes);
    auto last = packed_int64(bytes, 0, 0);
    if (!info.last_timestamp || last < *info.last_timestamp) info.last_timestamp = last;
    if (!s.is_null(i, 3)) {
      if (!from_bytea_hex(s.text(i, 3), bytes))
        throw std::runtime_error("damaged series " + experiment_id + "/" + s.text(i, 0));
      info.participants = packed_stats(bytes, true, from, to).participants;
    }
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
      if (!from_bytea_hex(r.text(i, 3), bytes) || !decode_points(bytes, series.points))
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
                                                to_bytea_hex(encode_points(series.points))));
    }
}

}  // namespace rallyuxr::store::postgres
