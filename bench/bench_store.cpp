// The SQLite store on a real file (WAL, as served): the reads behind GET /experiments (first page
// and a page near the end), GET /experiments/{id}, GET /experiments/{id}/results, and the write
// transactions of the pipeline. The database is built once per run in a temporary directory with
// RALLYUXR_BENCH_EXPERIMENTS experiments (default 20,000), one of which has 3 metrics x 21 days
// of hourly results.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "domain/ids.hpp"
#include "fixtures.hpp"
#include "pipeline/pipeline.hpp"
#include "store/store.hpp"

namespace rallyuxr::bench {
namespace {

struct StoreFixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::int64_t experiments = 0;
  std::string with_results;  // id of the experiment with data

  StoreFixture() {
    const char* n = std::getenv("RALLYUXR_BENCH_EXPERIMENTS");
    experiments = n ? std::atoll(n) : 20000;
    char tmpl[] = "/tmp/rallyuxr-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    store = store::make_store("sqlite:" + (dir / "bench.db").string(), 4);
    pipeline::seed_catalogue(*store, catalogue());
    auto base = experiment(3, 14);
    // Imported, so that the results are written by the upload's transaction (points, event,
    // analysis row and job), the same work as the generate job's.
    base.data_source = domain::DataSource::kImported;
    for (std::int64_t i = 0; i < experiments; ++i) {
      auto e = base;
      e.id = domain::new_uuid_v7();
      e.name = base.name + " #" + std::to_string(i + 1);
      e.status = domain::ExperimentStatus::kDraft;
      pipeline::create_experiment(*store, e,
                                  store::Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", "{}", e.created_at},
                                  std::nullopt);
      if (i == 0) with_results = e.id;
    }
    write_results(base.created_at);
  }
  void write_results(domain::UnixSeconds now) {
    pipeline::ResultsWrite w;
    w.experiment_id = with_results;
    w.metrics = series(3, 14);
    w.now = now;
    if (pipeline::import_results(*store, w).kind != pipeline::ImportOutcome::Kind::kStored)
      throw std::runtime_error("bench fixture: results write refused");
  }
  ~StoreFixture() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

StoreFixture& fixture() {
  static StoreFixture f;
  return f;
}

// Arg: the offset as a per-mille of the table (0: first page; 900: 90% of the way down).
void BM_StoreListExperiments(benchmark::State& state) {
  auto& f = fixture();
  store::ExperimentListQuery q;
  q.limit = 20;
  q.offset = f.experiments * state.range(0) / 1000;
  for (auto _ : state) {
    auto page = f.store->list_experiments(q);
    if (page.experiments.size() != 20) state.SkipWithError("short page");
    benchmark::DoNotOptimize(page);
  }
  state.counters["offset"] = static_cast<double>(q.offset);
}
BENCHMARK(BM_StoreListExperiments)->Arg(0)->Arg(900)->Unit(benchmark::kMicrosecond);

void BM_StoreSummary(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->summary());
}
BENCHMARK(BM_StoreSummary)->Unit(benchmark::kMicrosecond);

void BM_StoreGetExperiment(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->get_experiment(f.with_results));
}
BENCHMARK(BM_StoreGetExperiment)->Unit(benchmark::kMicrosecond);

void BM_StoreResultsInfo(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->results_info(f.with_results));
}
BENCHMARK(BM_StoreResultsInfo)->Unit(benchmark::kMicrosecond);

// 3 metrics x 504 hours.
void BM_StoreGetResults(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto r = f.store->get_results(f.with_results);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 3 * 504);
}
BENCHMARK(BM_StoreGetResults)->Unit(benchmark::kMicrosecond);

// The same read when the cache cannot answer (each iteration first writes a new results version,
// outside the timing): what the analysis job and a first GET pay.
void BM_StoreGetResultsUncached(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    state.PauseTiming();
    f.write_results(1767225600);
    state.ResumeTiming();
    auto r = f.store->get_results(f.with_results);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 3 * 504);
}
BENCHMARK(BM_StoreGetResultsUncached)->Iterations(300)->Unit(benchmark::kMicrosecond);

void BM_StoreLatestCompleteAnalysis(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.store->latest_complete_analysis(f.with_results));
}
BENCHMARK(BM_StoreLatestCompleteAnalysis)->Unit(benchmark::kMicrosecond);

// ---- writes (last: they add rows)

// POST /experiments's transaction: experiment, metrics, event, generate job.
void BM_StoreCreateExperiment(benchmark::State& state) {
  auto& f = fixture();
  auto e = experiment(3, 14);
  for (auto _ : state) {
    e.id = domain::new_uuid_v7();
    pipeline::create_experiment(*f.store, e,
                                store::Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", "{}", e.created_at},
                                store::NewJob{store::JobKind::kGenerateResults, "{}"});
  }
}
BENCHMARK(BM_StoreCreateExperiment)->Unit(benchmark::kMicrosecond);

// A results write's transaction (pipeline::import_results, as a PUT): 3 x 504 points replaced,
// event, analysis row and job.
void BM_StoreWriteResults(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) f.write_results(1767225600);
  state.SetItemsProcessed(state.iterations() * 3 * 504);
}
BENCHMARK(BM_StoreWriteResults)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rallyuxr::bench
