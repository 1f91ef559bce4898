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
// Upserts points in a few statements of parallel arrays. A (metric, hour) given twice keeps its
// last occurrence, as row-by-row upserts would.
void write_points(Connection& c, const std::string& exp_id, const std::vector<domain::MetricSeries>& metrics);
std::optional<ResultsMeta> read_results_meta(Connection& c, const std::string& experiment_id);
// Segments (issue 17): all of an experiment's, or one dimension's; and a replacement of all.
domain::Segments read_segment_rows(Connection& c, const std::string& experiment_id,
                                   const std::optional<std::string>& dimension);
void write_segment_rows(Connection& c, const std::string& experiment_id, const domain::Segments& segments);
// The figures of ResultsInfo from the points as this connection sees them; nullopt without results.
std::optional<ResultsInfo> compute_results_info(Connection& c, const std::string& experiment_id);

// A write transaction on a pooled connection (BEGIN, READ COMMITTED; rows locked with FOR UPDATE).
// A transaction that queued a job sends pg_notify(`tag`) just before COMMIT; `on_commit(queued)`
// runs after it. Retries a dead pooled connection at BEGIN (nothing was sent yet).
std::unique_ptr<store::Transaction> make_transaction(Pool& pool, const std::string& tag,
                                                     std::function<void(bool queued_job)> on_commit);

}  // namespace rallyuxr::store::postgres
