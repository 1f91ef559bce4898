#include "fixtures.hpp"

#include <map>
#include <utility>

#include "app/catalogue.hpp"
#include "jobs/processors.hpp"

namespace rallyuxr::bench {

std::vector<domain::MetricValue> catalogue() { return app::default_catalogue(1735689600); }

domain::Experiment experiment(int metrics, int post_days) {
  domain::Experiment e;
  e.id = "0190a6c2-7b4e-7cc1-9a53-5e1d3b2f8a10";
  e.name = "Checkout Flow Optimization";
  e.description = "A one-page checkout instead of three steps.";
  e.status = domain::ExperimentStatus::kComplete;
  auto cat = catalogue();
  for (int i = 0; i < metrics && i < static_cast<int>(cat.size()); ++i) e.metrics.push_back(cat[i].metric_id);
  e.start_date = 1735689600;  // 2025-01-01T00:00:00Z
  e.end_date = e.start_date + static_cast<domain::UnixSeconds>(post_days) * domain::kSecondsPerDay;
  e.expected_outcome = domain::ExpectedOutcome::kPositive;
  e.created_at = e.updated_at = e.start_date;
  e.implementation_cost = 60000;
  return e;
}

simulate::GeneratorInput generator_input(const domain::Experiment& e, int pre_days) {
  std::map<std::string, domain::MetricValue> by_id;
  for (auto& m : catalogue()) by_id[m.metric_id] = m;
  simulate::GeneratorInput in;
  in.start_date = e.start_date;
  in.end_date = e.end_date;
  in.traffic_split = e.traffic_split;
  in.expected_outcome = e.expected_outcome;
  in.seed = 42;
  in.pre_period_days = pre_days;
  for (const auto& id : e.metrics)
    in.metrics.push_back({id, by_id[id].unit, by_id[id].improvement_direction});
  return in;
}

const std::vector<domain::MetricSeries>& series(int metrics, int post_days) {
  static std::map<std::pair<int, int>, std::vector<domain::MetricSeries>> cache;
  auto key = std::make_pair(metrics, post_days);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, simulate::generate(generator_input(experiment(metrics, post_days)))).first;
  return it->second;
}

stats::AnalysisInput analysis_input(int metrics, int post_days) {
  return jobs::make_analysis_input(experiment(metrics, post_days), series(metrics, post_days), catalogue());
}

store::StoredResults stored_results(int metrics, int post_days) {
  store::StoredResults r;
  r.metrics = series(metrics, post_days);
  r.generated_at = 1767225600;
  r.version = 1;
  return r;
}

}  // namespace rallyuxr::bench
