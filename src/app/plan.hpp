// `rallyuxr plan FILE`: the planner of POST /api/plans over a history file (JSON or CSV, the import
// formats), no database; prints the route's `data` JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rallyuxr::app {

struct PlanConfig {
  std::string file;                        // history, JSON or CSV ("-": standard input)
  std::vector<std::string> metrics;        // empty: every metric of the file, in its order
  std::optional<double> confidence;        // percent; unset: 95
  std::string correction = "holm";         // holm | fdr_bh | none
  std::optional<double> power;             // unset: 0.8
  std::optional<double> traffic_split;     // unset: the history's own split
  std::string design = "did";              // did | paired
  std::optional<int> pre_days;             // did: unset 14
  std::vector<int> durations;              // empty: 7..56
  std::optional<double> target_daily_dollars;
  std::vector<std::string> target_effects; // metricId=effect
  std::string metric_values_file;          // GET /metric-values JSON; empty: the built-in catalogue
};

// Prints the plan JSON on stdout; errors (with their paths) on stderr. Returns the exit code.
int run_plan(const PlanConfig& config);

}  // namespace rallyuxr::app
