// POST /api/plans (issue 15): the planner over an experiment's stored hours or an uploaded history.
// plan_data_json is the whole request -> response step without HTTP, so that `rallyuxr plan`
// prints exactly what the route answers.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::api {

struct PlanSources {
  // Resolve source.experimentId; unset (offline): that source is not available.
  std::function<std::optional<domain::Experiment>(const std::string&)> experiment;
  std::function<std::optional<store::StoredResults>(const std::string&)> results;
};

// Validates the body (every problem with its path, VALIDATION_ERROR), plans, and returns the
// response's `data` object as JSON text.
std::string plan_data_json(const boost::json::object& body, const std::vector<domain::MetricValue>& catalogue,
                           const PlanSources& sources);

}  // namespace rallyuxr::api
