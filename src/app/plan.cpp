#include "app/plan.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "api/plans.hpp"
#include "app/analyze.hpp"
#include "codec/json_parse.hpp"
#include "domain/error.hpp"

namespace rallyuxr::app {
namespace json = boost::json;

int run_plan(const PlanConfig& cfg) {
  auto fail = [](const std::string& msg) {
    std::cerr << "rallyuxr plan: " << msg << "\n";
    return 1;
  };
  std::string text;
  if (!read_input(cfg.file, text)) return fail("cannot read " + cfg.file);

  // The request body POST /api/plans would get, with the file as source.history.
  json::object body;
  json::value history;
  std::vector<std::string> file_metrics;
  if (is_json_text(text)) {
    boost::system::error_code ec;
    auto v = codec::parse_json_exact(text, ec);
    if (ec) return fail(cfg.file + ": malformed JSON: " + ec.message());
    if (!v.is_object()) return fail(cfg.file + ": expected a JSON object");
    json::object& obj = results_object(v.get_object());
    if (auto m = obj.find("metrics"); m != obj.end() && m->value().is_object())
      for (const auto& kv : m->value().get_object()) file_metrics.emplace_back(kv.key());
    history = std::move(obj);
  } else {
    history = json::string(text);
    // Metric ids in first-appearance order (the CSV's metricId column).
    std::istringstream lines(text);
    std::string line;
    int col = -1;
    bool header = true;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string cell;
      while (std::getline(ls, cell, ',')) f.push_back(cell);
      if (header) {
        for (std::size_t i = 0; i < f.size(); ++i)
          if (f[i] == "metricId" || f[i] == "\xEF\xBB\xBFmetricId") col = static_cast<int>(i);
        header = false;
        continue;
      }
      if (col >= 0 && static_cast<std::size_t>(col) < f.size() && !f[col].empty() &&
          std::find(file_metrics.begin(), file_metrics.end(), f[col]) == file_metrics.end())
        file_metrics.push_back(f[col]);
    }
  }
  json::array metrics;
  for (const auto& m : cfg.metrics.empty() ? file_metrics : cfg.metrics) metrics.emplace_back(m);
  body["metrics"] = std::move(metrics);
  if (cfg.confidence) body["confidenceLevel"] = *cfg.confidence;
  body["correction"] = cfg.correction;
  if (cfg.power) body["power"] = *cfg.power;
  if (cfg.traffic_split) body["trafficSplit"] = *cfg.traffic_split;
  body["design"] = cfg.design;
  if (cfg.pre_days) body["preDays"] = *cfg.pre_days;
  if (!cfg.durations.empty()) {
    json::array d;
    for (int x : cfg.durations) d.emplace_back(x);
    body["durations"] = std::move(d);
  }
  if (cfg.target_daily_dollars) body["targetDailyDollarImpact"] = *cfg.target_daily_dollars;
  if (!cfg.target_effects.empty()) {
    json::object te;
    for (const auto& s : cfg.target_effects) {
      auto eq = s.find('=');
      if (eq == std::string::npos) return fail("--target-effect must be METRIC=EFFECT, e.g. conversion_rate=0.002");
      try {
        std::size_t used = 0;
        double v = std::stod(s.substr(eq + 1), &used);
        if (used != s.size() - eq - 1) throw std::invalid_argument("trailing");
        te[s.substr(0, eq)] = v;
      } catch (const std::exception&) {
        return fail("--target-effect " + s + ": the effect must be a number");
      }
    }
    body["targetEffects"] = std::move(te);
  }
  json::object source;
  source["history"] = std::move(history);
  body["source"] = std::move(source);

  std::string error;
  const std::vector<domain::MetricValue> catalogue = load_catalogue(cfg.metric_values_file, error);
  if (!error.empty()) return fail(error);
  try {
    std::cout << api::plan_data_json(body, catalogue, api::PlanSources{}) << "\n";
  } catch (const domain::ApiError& e) {
    std::cerr << "rallyuxr plan: " << e.what() << "\n";
    for (const auto& i : e.details()) std::cerr << "  " << (i.path.empty() ? "" : i.path + ": ") << i.message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rallyuxr::app
