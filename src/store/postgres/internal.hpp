// The PostgreSQL backend's internals shared by its files: row mapping and binding helpers, and
// the write transaction (transaction.cpp) that postgres_store.cpp hands out.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/connection.hpp"
#include "store/postgres/sql.hpp"
#include "store/store.hpp"

namespace rallyuxr::store::postgres {

domain::Experiment read_experiment(const Row& s, std::optional<double>* impact);
// Fills the metric lists of the given experiments (one round trip).
void load_metrics(Connection& c, std::vector<domain::Experiment*> experiments);
domain::MetricValue read_metric(const Row& s);
Params metric_params(const domain::MetricValue& m);
Job read_job(const Row& s);
StoredAnalysis read_analysis(const Row& s);
// The overall series (result_series, store/series_blob.hpp): all of an experiment's into `metrics`
// (the experiment's metrics first, see SeriesCollector); one metric's, its row locked until the
// end of the transaction (empty when none); and a write of one metric's series, replacing it.
void read_result_series(Connection& c, const std::string& experiment_id, std::vector<domain::MetricSeries>& metrics);
std::vector<domain::HourlyPoint> lock_one_series(Connection& c, const std::string& experiment_id,
                                                 const std::string& metric_id);
void write_series(Connection& c, const std::string& experiment_id, const std::string& metric_id,
                  const std::vector<domain::HourlyPoint>& points);
std::optional<ResultsMeta> read_results_meta(Connection& c, const std::string& experiment_id);
// Segments (issue 17): all of an experiment's, or one dimension's; and a replacement of all.
domain::Segments read_segment_rows(Connection& c, const std::string& experiment_id,
                                   const std::optional<std::string>& dimension);
void write_segment_rows(Connection& c, const std::string& experiment_id, const domain::Segments& segments);
// The figures of ResultsInfo from the stored series as this connection sees them; nullopt without
// results.
std::optional<ResultsInfo> compute_results_info(Connection& c, const std::string& experiment_id);

// A write transaction on a pooled connection (BEGIN, READ COMMITTED; rows locked with FOR UPDATE).
// A transaction that queued a job sends pg_notify(`tag`) just before COMMIT; `on_commit(queued)`
// runs after it. Retries a dead pooled connection at BEGIN (nothing was sent yet).
std::unique_ptr<store::Transaction> make_transaction(Pool& pool, const std::string& tag,
                                                     std::function<void(bool queued_job)> on_commit);

}  // namespace rallyuxr::store::postgres
