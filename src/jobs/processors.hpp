// The two pipeline processors: the results generator (EXPERIMENT_CREATED -> hourly data) and the
// analysis processor (results INSERT/MODIFY -> ExperimentAnalysis). Each runs one leased job and
// either finishes it (its writes and the job's completion in one transaction) or throws, and the
// worker retries. Idempotent: running a job twice leaves the same data, and a job already done
// (another worker finished it after this one's lease expired) is not done again. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "stats/analysis.hpp"
#include "store/store.hpp"

namespace rallyuxr::jobs {

// The analysis method's version (statistics.md method 2); analyses stored by method 1 keep theirs.
inline constexpr const char* kAnalysisVersion = stats::kMethodVersion;

// Each processor reads outside any transaction, computes, and hands its result to the pipeline
// (pipeline/pipeline.hpp), which decides and writes in one transaction.
void run_generate_results(store::Store& store, const store::Job& job);
void run_analysis(store::Store& store, const store::Job& job);

// Marks a job failed for good and records a failed analysis carrying the error.
void record_final_failure(store::Store& store, const store::Job& job, const std::string& error);

// The analysis input for an experiment's results and the catalogue (shared with `rallyuxr analyze`):
// design, guardrails, trafficSplit, value groups, unique users and the period reach stats.
stats::AnalysisInput make_analysis_input(const domain::Experiment& e,
                                         const std::vector<domain::MetricSeries>& series,
                                         const std::vector<domain::MetricValue>& catalogue,
                                         const std::optional<domain::UniqueUsers>& unique_users = std::nullopt);
// The same, the points moved out of `series` (the offline analysis: a year of ten metrics is 3.5 MB
// that need not be copied).
stats::AnalysisInput make_analysis_input(const domain::Experiment& e, std::vector<domain::MetricSeries>&& series,
                                         const std::vector<domain::MetricValue>& catalogue,
                                         const std::optional<domain::UniqueUsers>& unique_users = std::nullopt);

// True when every metric's data reach the last hour of the period (the experiment is complete).
bool data_cover_period(const domain::Experiment& e, const std::vector<domain::MetricSeries>& metrics);

}  // namespace rallyuxr::jobs
