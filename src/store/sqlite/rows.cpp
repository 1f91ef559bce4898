// Row mapping and binding for the SQLite backend (column orders as in sql.hpp).
#include <algorithm>

#include "store/row_mapping.hpp"
#include "store/series_blob.hpp"
#include "store/sqlite/internal.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::store::sqlite {

// ---- row mapping
// experiments.metric_ids: "a,b,c" for up to 10 ids without commas; otherwise NULL, and the
// metrics are read from experiment_metrics.
std::optional<std::string> join_metric_ids(const std::vector<std::string>& ids) {
  if (ids.empty() || ids.size() > 10) return std::nullopt;
  for (const auto& id : ids)
    if (id.empty() || id.find(',') != std::string::npos) return std::nullopt;
  return join_ids(ids);
}

// The experiments row; its metrics come from metric_ids when set (*has_metrics), else the caller
// reads experiment_metrics (load_metrics).
domain::Experiment read_experiment_row(Statement& s, std::optional<double>* impact, bool* has_metrics) {
  domain::Experiment e = experiment_from_row(s, impact);
  experiment_design_from_row(s, 22, e);
  if (has_metrics) *has_metrics = !s.is_null(21);
  if (!s.is_null(21)) e.metrics = split_ids(s.text(21));
  return e;
}

domain::Experiment read_experiment(Statement& s, Connection& c, std::optional<double>* impact) {
  bool has_metrics = false;
  domain::Experiment e = read_experiment_row(s, impact, &has_metrics);
  if (has_metrics) return e;
  auto m = c.prepare(kSelectExperimentMetrics);
  m.bind(1, e.id);
  while (m.step()) e.metrics.push_back(m.text(0));
  return e;
}

// The metrics of the experiments of a page that have no metric_ids, with one statement.
void load_metrics(Connection& c, std::vector<ExperimentRow>& rows, const std::vector<bool>& has_metrics) {
  std::string ids = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (has_metrics[i]) continue;
    if (ids.size() > 1) ids += ',';
    ids += json_quote(rows[i].experiment.id);
  }
  if (ids.size() == 1) return;
  ids += ']';
  std::vector<std::vector<std::pair<std::int64_t, std::string>>> found(rows.size());
  auto s = c.prepare(kSelectMetricsOfMany);
  s.bind(1, ids);
  while (s.step()) {
    std::string id = s.text(0);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (!has_metrics[i] && rows[i].experiment.id == id) {
        found[i].emplace_back(s.int64(1), s.text(2));
        break;
      }
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::sort(found[i].begin(), found[i].end());
    for (auto& [position, metric] : found[i]) rows[i].experiment.metrics.push_back(std::move(metric));
  }
}

// Where the page starting at `offset` (in seq DESC order, among the experiments with `status`, or
// '*': every status but archived) begins: rows with seq < first, skipping `second` of them. {0, 0}
// (an empty page) past the end; nullopt if the counters do not add up (the caller then steps
// over the rows, as without the index).
std::optional<std::pair<std::int64_t, std::int64_t>> locate_page(Connection& c, const std::string& status,
                                                                 std::int64_t offset) {
  std::int64_t remaining = offset;
  std::optional<std::int64_t> top;
  {
    auto s = c.prepare(kBlocksLevel1);
    s.bind(1, status);
    while (s.step()) {
      std::int64_t n = s.int64(1);
      if (remaining < n) {
        top = s.int64(0);
        break;
      }
      remaining -= n;
    }
  }
  if (!top) return std::pair<std::int64_t, std::int64_t>{0, 0};
  constexpr int kShift = kBlockBits1 - kBlockBits0;
  auto s = c.prepare(kBlocksLevel0);
  s.bind(1, status).bind(2, *top << kShift).bind(3, (*top + 1) << kShift);
  while (s.step()) {
    std::int64_t n = s.int64(1);
    if (remaining < n) return std::pair<std::int64_t, std::int64_t>{(s.int64(0) + 1) << kBlockBits0, remaining};
    remaining -= n;
  }
  return std::nullopt;
}

// The figures of ResultsInfo from the stored series (all but the version): every series' points
// and last hour, and the participants of the first metric, in one pass over the packed values.
void compute_results_stats(Connection& c, const std::string& experiment_id, ResultsInfo& info) {
  info.points = 0;
  info.participants = 0;
  info.last_timestamp.reset();
  std::optional<std::string> first_metric;
  std::int64_t from = 0, to = 0;
  {
    auto e = c.prepare(kExperimentPeriod);
    e.bind(1, experiment_id);
    if (e.step() && !e.is_null(2)) {
      first_metric = e.text(2);
      from = e.int64(0);
      to = e.int64(1);
    }
  }
  auto s = c.prepare(kSelectSeries);
  s.bind(1, experiment_id);
  while (s.step()) {
    bool first = first_metric && s.text(0) == *first_metric;
    auto stats = packed_stats(s.blob(1), first, from, to);
    if (stats.points == 0) continue;
    info.points += stats.points;
    if (!info.last_timestamp || stats.last_timestamp < *info.last_timestamp) info.last_timestamp = stats.last_timestamp;
    if (first) info.participants = stats.participants;
  }
}

void read_result_series(Connection& c, const std::string& experiment_id, std::vector<domain::MetricSeries>& metrics) {
  auto s = c.prepare(kSelectSeries);
  s.bind(1, experiment_id);
  SeriesCollector series(metrics);
  while (s.step()) {
    auto metric_id = s.text(0);
    if (!decode_points(s.blob(1), series.points_of(metric_id)))
      throw std::runtime_error("damaged series " + experiment_id + "/" + metric_id);
  }
}

std::vector<domain::HourlyPoint> read_one_series(Connection& c, const std::string& experiment_id,
                                                 const std::string& metric_id) {
  std::vector<domain::HourlyPoint> points;
  auto s = c.prepare(kSelectSeriesOf);
  s.bind(1, experiment_id).bind(2, metric_id);
  if (s.step() && !decode_points(s.blob(0), points))
    throw std::runtime_error("damaged series " + experiment_id + "/" + metric_id);
  return points;
}

void write_series(Connection& c, const std::string& experiment_id, const std::string& metric_id,
                  std::string_view packed) {
  auto s = c.prepare(kWriteSeries);
  s.bind(1, experiment_id).bind(2, metric_id).bind_blob_view(3, packed);
  s.run();
}

void pack_result_points(Connection& c) {
  auto ins = [&c](const std::string& experiment_id, const std::string& metric_id, const std::string& packed) {
    c.prepare(kInsertMigratedSeries).bind(1, experiment_id).bind(2, metric_id).bind_blob_view(3, packed).run();
  };
  auto s = c.prepare(kSelectOldPoints);
  std::string experiment_id, metric_id, packed;
  while (s.step()) {
    auto e = s.text(0);
    auto m = s.text(1);
    if (e != experiment_id || m != metric_id) {
      if (!packed.empty()) ins(experiment_id, metric_id, packed);
      packed.clear();
      experiment_id = std::move(e);
      metric_id = std::move(m);
    }
    domain::HourlyPoint p{s.int64(2), s.real(3), s.real(4), s.int64(5), s.int64(6)};
    append_points(packed, &p, 1);
  }
  if (!packed.empty()) ins(experiment_id, metric_id, packed);
}

domain::MetricValue read_metric(Statement& s) { return metric_value_from_row(s); }

void bind_metric(Statement& s, const domain::MetricValue& m) {
  s.bind(1, m.metric_id).bind(2, m.name).bind(3, m.description).bind(4, m.unit).bind(5, m.category);
  s.bind(6, m.dollars_per_unit).bind(7, domain::to_string(m.improvement_direction));
  s.bind(8, m.unit_size).bind(9, m.last_updated).bind(10, m.updated_by).bind(11, m.version);
  s.bind(12, m.validation_rules ? 1 : 0);
  s.bind(16, m.value_group);
  s.bind(17, m.retired_at);
  if (m.validation_rules) {
    s.bind(13, m.validation_rules->min_value).bind(14, m.validation_rules->max_value);
    if (m.validation_rules->decimal_places)
      s.bind(15, static_cast<std::int64_t>(*m.validation_rules->decimal_places));
    else
      s.bind_null(15);
  } else {
    s.bind_null(13).bind_null(14).bind_null(15);
  }
}

Job read_job(Statement& s) { return job_from_row(s); }

StoredAnalysis read_analysis(Statement& s) { return analysis_from_row(s); }


std::optional<ResultsMeta> read_results_meta(Connection& c, const std::string& experiment_id) {
  auto s = c.prepare(kSelectResultsMeta);
  s.bind(1, experiment_id);
  if (!s.step()) return std::nullopt;
  ResultsMeta m;
  m.version = s.int64(0);
  m.generated_at = s.int64(1);
  if (!s.is_null(2) && !s.is_null(3)) m.unique_users = domain::UniqueUsers{s.int64(2), s.int64(3)};
  return m;
}

domain::Segments read_segment_rows(Connection& c, const std::string& experiment_id,
                                   const std::optional<std::string>& dimension) {
  domain::Segments out;
  {
    auto s = c.prepare(dimension ? kSelectDimensionSeries : kSelectSegmentSeries);
    s.bind(1, experiment_id);
    if (dimension) s.bind(2, *dimension);
    while (s.step()) {
      domain::MetricSeries series{s.text(2), {}};
      if (!decode_points(s.blob(3), series.points))
        throw std::runtime_error("damaged segment series " + s.text(0) + "/" + s.text(1) + "/" + series.metric_id);
      out[s.text(0)][s.text(1)].series.push_back(std::move(series));
    }
  }
  auto m = c.prepare(kSelectSegmentMeta);
  m.bind(1, experiment_id);
  while (m.step()) {
    if (m.is_null(2) || m.is_null(3)) continue;
    auto d = out.find(m.text(0));
    if (d == out.end()) continue;
    if (auto seg = d->second.find(m.text(1)); seg != d->second.end())
      seg->second.unique_users = domain::UniqueUsers{m.int64(2), m.int64(3)};
  }
  return out;
}

void write_segment_rows(Connection& c, const std::string& experiment_id, const domain::Segments& segments) {
  c.prepare(kDeleteSegmentSeries).bind(1, experiment_id).run();
  c.prepare(kDeleteSegmentMeta).bind(1, experiment_id).run();
  for (const auto& [dimension, segs] : segments)
    for (const auto& [name, seg] : segs) {
      auto m = c.prepare(kInsertSegmentMeta);
      m.bind_all(experiment_id, dimension, name);
      if (seg.unique_users)
        m.bind(4, seg.unique_users->treatment).bind(5, seg.unique_users->control);
      else
        m.bind_null(4).bind_null(5);
      m.run();
      for (const auto& series : seg.series) {
        auto s = c.prepare(kInsertSegmentSeries);
        s.bind_all(experiment_id, dimension, name, series.metric_id);
        s.bind_blob(5, encode_points(series.points));
        s.run();
      }
    }
}

}  // namespace rallyuxr::store::sqlite
