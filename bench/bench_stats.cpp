// The pipeline's CPU work: the results generator and the analysis, at 10 metrics x 8,760 hours
// (365 days) with a 7-day pre period. Targets (docs/performance.md): analysis < 2 ms, generator < 5 ms.
#include <benchmark/benchmark.h>

#include "fixtures.hpp"

namespace rallyuxr::bench {
namespace {

void BM_Analyze(benchmark::State& state) {
  auto in = analysis_input(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::int64_t points = 0;
  for (const auto& m : in.metrics) points += static_cast<std::int64_t>(m.points.size());
  for (auto _ : state) {
    auto out = stats::analyze(in);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["points"] = static_cast<double>(points);
}
// {metrics, post-period days}: the target's shape, and the pipeline's typical one (3 x 14 days).
BENCHMARK(BM_Analyze)->Args({kMetrics, kPostDays})->Args({3, 14})->Unit(benchmark::kMicrosecond);

void BM_Generate(benchmark::State& state) {
  auto in = generator_input(experiment(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))));
  std::int64_t points = 0;
  for (auto _ : state) {
    auto out = simulate::generate(in);
    points = 0;
    for (const auto& m : out) points += static_cast<std::int64_t>(m.points.size());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_Generate)->Args({kMetrics, kPostDays})->Args({3, 14})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rallyuxr::bench
