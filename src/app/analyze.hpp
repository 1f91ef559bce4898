// `rallyuxr analyze FILE`: the analysis processor's code path on a results file, no database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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
// `error` when the document is not one.
std::vector<domain::MetricValue> parse_metric_values(const boost::json::value& v, std::string& error);

// ---- The input files of `rallyuxr analyze` and `rallyuxr plan` ----

// The whole of `path` ("-": standard input); false when it cannot be opened.
bool read_input(const std::string& path, std::string& out);

// Whether a results or history file is JSON (its first character, after blanks and a BOM, is '{');
// otherwise it is CSV.
bool is_json_text(std::string_view text);

// The import-format object of a parsed results file: the file itself, or its `data.results` when the
// file is a saved GET /results envelope {success, data: {results: {metrics}}}.
boost::json::object& results_object(boost::json::object& file);

// The catalogue for `--metric-values FILE`: the file's metric values, or the default catalogue when
// `file` is empty. On failure returns nothing and sets `error` to a message naming the file.
std::vector<domain::MetricValue> load_catalogue(const std::string& file, std::string& error);

// Prints the analysis JSON on stdout; errors on stderr. Returns the exit code.
int run_analyze(const AnalyzeConfig& config);

}  // namespace rallyuxr::app
