// Shared inputs of the benchmarks: one year-long experiment (365 days, 8,760 post-period hours)
// with a 7-day pre period and 10 metrics, its generated data, and the documents made from it.
#pragma once

#include <string>
#include <vector>

#include "domain/types.hpp"
#include "simulate/generator.hpp"
#include "stats/analysis.hpp"
#include "store/store.hpp"

namespace rallyuxr::bench {

inline constexpr int kMetrics = 10;
inline constexpr int kPostDays = 365;  // 8,760 hours
inline constexpr int kPreDays = 7;

// The first `n` metrics of the default catalogue (all have generator profiles).
std::vector<domain::MetricValue> catalogue();
domain::Experiment experiment(int metrics = kMetrics, int post_days = kPostDays);
simulate::GeneratorInput generator_input(const domain::Experiment& e, int pre_days = kPreDays);
// Generated once and cached (per shape).
const std::vector<domain::MetricSeries>& series(int metrics = kMetrics, int post_days = kPostDays);
stats::AnalysisInput analysis_input(int metrics = kMetrics, int post_days = kPostDays);
store::StoredResults stored_results(int metrics = kMetrics, int post_days = kPostDays);

}  // namespace rallyuxr::bench
