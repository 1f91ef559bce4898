// `rallyuxr seed --experiments N`: bulk-loads realistic completed experiments for load tests.
#pragma once

#include <string>

namespace rallyuxr::app {

struct SeedConfig {
  std::string database = "sqlite:data/rallyuxr.db";
  int experiments = 1000;
  int with_results = 200;  // how many carry full hourly data (the rest reuse their analyses)
  int workers = 2;
  std::uint64_t seed = 1;
};

int run_seed(const SeedConfig& config);

}  // namespace rallyuxr::app
