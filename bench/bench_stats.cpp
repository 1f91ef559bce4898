// The pipeline's CPU work: the results generator and the analysis, at 10 metrics x 8,760 hours
// (365 days) with a 7-day pre period. Targets (docs/performance.md): analysis < 2 ms, generator < 5 ms.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>

#include "fixtures.hpp"
#include "stats/segments.hpp"

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

// The analysis per segment (issue 17's target: analysis under 2 s): {metrics, post days, dimensions,
// segments per dimension}; every segment holds a full copy of the series' shape, so the work is that
// of dimensions x segments analyses plus the corrections and Q.
void BM_AnalyzeSegments(benchmark::State& state) {
  auto in = analysis_input(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  domain::Segments segs;
  std::int64_t points = 0;
  for (int d = 0; d < state.range(2); ++d) {
    auto& dim = segs["dimension_" + std::to_string(d)];
    for (int s = 0; s < state.range(3); ++s) {
      domain::SegmentSeries ss;
      ss.series = in.metrics;
      for (auto& m : ss.series) {
        for (auto& p : m.points) {
          p.treatment_sample_size = std::max<std::int64_t>(1, p.treatment_sample_size / state.range(3) + s);
          p.control_sample_size = std::max<std::int64_t>(1, p.control_sample_size / state.range(3) + s);
        }
        points += static_cast<std::int64_t>(m.points.size());
      }
      dim["segment_" + std::to_string(s)] = std::move(ss);
    }
  }
  for (auto _ : state) {
    auto out = stats::analyze_segments(in, segs);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * points);
  state.counters["points"] = static_cast<double>(points);
}
BENCHMARK(BM_AnalyzeSegments)->Args({kMetrics, kPostDays, 3, 10})->Args({3, 14, 1, 3})->Unit(benchmark::kMillisecond);

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
