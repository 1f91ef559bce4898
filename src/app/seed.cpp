// Seeding for load tests. The first `with_results` experiments go through the real pipeline
// (generated hourly data, analysed by the workers). The others are complete experiments whose
// analysis is a real analysis of one of those datasets (so every figure is consistent), stored
// without their own hourly rows: 100,000 experiments x 3 metrics x 504 hours would be 151 million
// rows, which no load test of the list endpoint needs.
#include "app/seed.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>
#include <thread>

#include "app/catalogue.hpp"
#include "codec/events_json.hpp"
#include "domain/ids.hpp"
#include "domain/time.hpp"
#include "jobs/worker_pool.hpp"
#include "pipeline/pipeline.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::app {

int run_seed(const SeedConfig& cfg) {
  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<store::Store> store;
  try {
    store = store::make_store(cfg.database, cfg.workers + 2);
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the database {}: {}", store::redact_database_url(cfg.database), e.what());
    return 1;
  }
  pipeline::seed_catalogue(*store, default_catalogue(domain::now_seconds()));
  std::mt19937_64 rng(cfg.seed);
  const auto& templates = demo_templates();
  auto now = domain::now_seconds();
  auto today = now - now % domain::kSecondsPerDay;

  auto make = [&](int i) {
    domain::Experiment e;
    const auto& t = templates[rng() % templates.size()];
    e.id = domain::new_uuid_v7();
    e.name = t.name + " #" + std::to_string(i + 1);
    e.description = t.description;
    e.metrics = t.metrics;
    e.expected_outcome = static_cast<domain::ExpectedOutcome>(rng() % 3);
    e.end_date = today - static_cast<domain::UnixSeconds>(rng() % 365) * domain::kSecondsPerDay;
    e.start_date = e.end_date - 14 * domain::kSecondsPerDay;
    if (rng() % 4 != 0) e.implementation_cost = 1000.0 * static_cast<double>(5 + rng() % 60);
    e.created_at = e.updated_at = now;
    e.simulation = domain::SimulationConfig{};
    e.simulation->seed = rng();
    return e;
  };
  auto created_payload = [](const domain::Experiment& e) {
    return codec::experiment_created_payload(e, "seed");
  };

  // 1. Experiments with real data, through the pipeline.
  int with_results = std::max(1, std::min(cfg.with_results, cfg.experiments));
  jobs::WorkerOptions wo;
  wo.workers = cfg.workers;
  jobs::WorkerPool workers(*store, wo);
  store->set_job_listener([&workers] { workers.notify(); });
  workers.start();
  std::vector<std::string> real;
  for (int i = 0; i < with_results; ++i) {
    auto e = make(i);
    auto payload = created_payload(e);
    pipeline::create_experiment(*store, e, store::Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", payload, now},
                                store::NewJob{store::JobKind::kGenerateResults, payload});
    real.push_back(e.id);
  }
  for (;;) {
    auto q = store->queue_stats(static_cast<double>(domain::now_seconds()));
    if (q.queued == 0 && q.running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  workers.stop();
  // Each source once: its analysis and the experiment it analysed.
  std::vector<std::pair<store::StoredAnalysis, domain::Experiment>> sources;
  for (const auto& id : real) {
    auto a = store->latest_complete_analysis(id);
    auto src = store->get_experiment(id);
    if (a && src) sources.emplace_back(std::move(*a), std::move(*src));
  }
  if (sources.empty()) {
    spdlog::critical("seed: the pipeline produced no analysis");
    store.reset();  // before the workers its notification thread may still call
    return 1;
  }

  // 2. The rest: complete experiments carrying a copy of a real analysis.
  for (int i = with_results; i < cfg.experiments; ++i) {
    auto e = make(i);
    const auto& [source, src] = sources[static_cast<std::size_t>(i) % sources.size()];
    e.metrics = src.metrics;
    e.start_date = src.start_date;
    e.end_date = src.end_date;
    e.implementation_cost = src.implementation_cost;
    pipeline::create_experiment(*store, e,
                                store::Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", created_payload(e), now},
                                std::nullopt);
    std::string analysis_id = domain::new_uuid_v7();
    std::string doc = source.document;
    // Point the copy at its own experiment and id.
    for (const auto& [from, to] : {std::pair{source.experiment_id, e.id}, std::pair{source.analysis_id, analysis_id}})
      for (auto pos = doc.find(from); pos != std::string::npos; pos = doc.find(from, pos + to.size()))
        doc.replace(pos, from.size(), to);
    pipeline::AnalysisFinish f;
    f.analysis_id = analysis_id;
    f.experiment_id = e.id;
    f.ok = true;
    f.document = doc;
    f.total_impact = source.total_impact;
    f.covers_end = true;  // a copy of a complete analysis: the experiment is complete
    f.now = now;
    pipeline::finish_analysis(*store, f);
    if ((i + 1) % 10000 == 0) spdlog::info("seed: {} experiments", i + 1);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("seed: {} completed experiments ({} with hourly data) in {:.1f}s", cfg.experiments, with_results, secs);
  store.reset();  // before the workers its notification thread may still call
  return 0;
}

}  // namespace rallyuxr::app
