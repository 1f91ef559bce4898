// The default metric catalogue seeded into an empty database, and the dashboard's templates used
// by `serve --demo`.
#pragma once

#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::app {

std::vector<domain::MetricValue> default_catalogue(domain::UnixSeconds now);

struct Template {
  std::string name;
  std::string description;
  std::vector<std::string> metrics;
  domain::ExpectedOutcome outcome;
  double implementation_cost;  // 0: none
};
const std::vector<Template>& demo_templates();

}  // namespace rallyuxr::app
