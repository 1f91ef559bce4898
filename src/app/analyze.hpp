// `rallyuxr analyze FILE`: the analysis processor's code path on a results file, no database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "domain/types.hpp"

namespace rallyuxr::app {

struct AnalyzeConfig {
  std::string file;                 // results, JSON or CSV ("-": standard input, JSON or CSV)
  std::string start;                // ISO-8601
  std::string end;
  double confidence = 95;
  std::string correction = "holm";
  double traffic_split = 0.5;
  std::optional<double> implementation_cost;
  std::string metric_values_file;   // GET /metric-values JSON; empty: the default catalogue
  bool pretty = false;
  std::string design = "did";       // the experiment's analysisDesign: did | paired
  std::vector<std::string> guardrails;  // guardrail metric ids (must be metrics of the file)
};

// The metric values of a GET /metric-values JSON (the envelope, its data, or a bare array); sets
// `error` when the document is not one. Shared with `rallyuxr plan`.
std::vector<domain::MetricValue> parse_metric_values(const boost::json::value& v, std::string& error);

// Prints the analysis JSON on stdout; errors on stderr. Returns the exit code.
int run_analyze(const AnalyzeConfig& config);

}  // namespace rallyuxr::app
