#include "jobs/processors.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "codec/analysis_json.hpp"
#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "domain/ids.hpp"
#include "domain/lifecycle.hpp"
#include "domain/time.hpp"
#include "pipeline/pipeline.hpp"
#include "simulate/generator.hpp"
#include "stats/segments.hpp"

namespace rallyuxr::jobs {
namespace json = boost::json;
namespace {

domain::Experiment load(store::Store& store, const std::string& id) {
  auto e = store.get_experiment(id);
  if (!e) throw std::runtime_error("experiment " + id + " does not exist");
  return *e;
}

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto v = codec::parse_json_exact(text, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

json::object snapshot_of(const domain::MetricValue& m) {
  json::object s;
  s["dollarsPerUnit"] = m.dollars_per_unit;
  s["description"] = m.description;
  s["unit"] = m.unit;
  s["name"] = m.name;
  s["version"] = m.version;
  s["unitSize"] = m.unit_size;
  s["improvementDirection"] = domain::to_string(m.improvement_direction);
  s["category"] = m.category;
  if (m.validation_rules) {
    json::object r;
    if (m.validation_rules->min_value) r["minValue"] = *m.validation_rules->min_value;
    if (m.validation_rules->max_value) r["maxValue"] = *m.validation_rules->max_value;
    if (m.validation_rules->decimal_places) r["decimalPlaces"] = *m.validation_rules->decimal_places;
    s["validationRules"] = std::move(r);
  }
  if (m.value_group) s["valueGroup"] = *m.value_group;
  return s;
}

json::object period_of(const domain::Experiment& e) {
  json::object p;
  p["startDate"] = domain::format_iso8601(e.start_date);
  p["endDate"] = domain::format_iso8601(e.end_date);
  p["durationDays"] = static_cast<double>(e.end_date - e.start_date) / domain::kSecondsPerDay;
  return p;
}

}  // namespace

namespace {

// make_analysis_input's work; with `take`, the series' points move from it instead of being copied.
stats::AnalysisInput analysis_input(const domain::Experiment& e, const std::vector<domain::MetricSeries>& series,
                                    std::vector<domain::MetricSeries>* take,
                                    const std::vector<domain::MetricValue>& catalogue,
                                    const std::optional<domain::UniqueUsers>& unique_users) {
  stats::AnalysisInput in;
  in.start_date = e.start_date;
  in.end_date = e.end_date;
  in.confidence_level = e.confidence_level;
  in.expected_treatment_share = e.traffic_split;
  in.implementation_cost = e.implementation_cost;
  in.design = e.analysis_design;
  in.guardrail_metrics = e.guardrail_metrics;
  in.unique_users = unique_users;
  std::map<std::string, const domain::MetricSeries*> by_id;
  for (const auto& s : series) by_id[s.metric_id] = &s;
  for (const auto& id : e.metrics) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      in.metrics.push_back(domain::MetricSeries{id, {}});
    } else if (take && std::count(e.metrics.begin(), e.metrics.end(), id) == 1) {
      auto& source = (*take)[static_cast<std::size_t>(it->second - series.data())];
      in.metrics.push_back(domain::MetricSeries{id, std::move(source.points)});
    } else {
      in.metrics.push_back(*it->second);
    }
  }
  for (const auto& m : catalogue)
    if (by_id.count(m.metric_id) || std::find(e.metrics.begin(), e.metrics.end(), m.metric_id) != e.metrics.end()) {
      in.pricing[m.metric_id] = m.pricing();
      if (m.value_group && !m.value_group->empty()) in.value_groups[m.metric_id] = *m.value_group;
    }
  // Running when this analysis leaves the experiment running: its data stop short of the end of
  // the period (the lifecycle decides, as the pipeline will when the analysis is stored).
  auto after = domain::next_status(e.status, domain::analysis_finished(data_cover_period(e, in.metrics)));
  in.running = after.next == domain::ExperimentStatus::kRunning;
  return in;
}

}  // namespace

stats::AnalysisInput make_analysis_input(const domain::Experiment& e,
                                         const std::vector<domain::MetricSeries>& series,
                                         const std::vector<domain::MetricValue>& catalogue,
                                         const std::optional<domain::UniqueUsers>& unique_users) {
  return analysis_input(e, series, nullptr, catalogue, unique_users);
}

stats::AnalysisInput make_analysis_input(const domain::Experiment& e, std::vector<domain::MetricSeries>&& series,
                                         const std::vector<domain::MetricValue>& catalogue,
                                         const std::optional<domain::UniqueUsers>& unique_users) {
  return analysis_input(e, series, &series, catalogue, unique_users);
}

bool data_cover_period(const domain::Experiment& e, const std::vector<domain::MetricSeries>& metrics) {
  for (const auto& s : metrics)
    if (s.points.empty() || s.points.back().timestamp < e.end_date - domain::kSecondsPerHour) return false;
  return true;
}

void run_generate_results(store::Store& store, const store::Job& job) {
  auto step = pipeline::begin_generation(store, job, domain::now_seconds());
  if (step.kind == pipeline::JobStep::Kind::kSkipped) return;
  const auto& e = step.experiment;

  std::map<std::string, domain::MetricValue> catalogue;
  for (auto& m : store.list_metric_values()) catalogue[m.metric_id] = m;
  simulate::GeneratorInput in;
  in.start_date = e.start_date;
  in.end_date = e.end_date;
  in.traffic_split = e.traffic_split;
  in.expected_outcome = e.expected_outcome;
  for (const auto& id : e.metrics) {
    auto it = catalogue.find(id);
    simulate::GeneratorMetric gm{id, it == catalogue.end() ? std::string() : it->second.unit,
                                 it == catalogue.end() ? domain::Direction::kIncrease : it->second.improvement_direction};
    in.metrics.push_back(gm);
  }
  // The same experiment always gets the same data, so a re-run of this job changes nothing.
  in.seed = domain::stable_hash(e.id);
  if (e.simulation) {
    if (e.simulation->seed) in.seed = *e.simulation->seed;
    in.pre_period_days = e.simulation->pre_period_days;
    in.daily_traffic = e.simulation->daily_traffic;
    in.true_lift = e.simulation->true_lift;
  }
  // Simulated experiments have segments (issue 17): device, desktop / mobile / tablet with their
  // own traffic shares and effects; the overall series is their exact per-hour sum. They are
  // stored like uploaded segments.
  in.segments = simulate::device_segments();
  auto generated = simulate::generate_with_users(in);
  auto& series = generated.metrics;

  std::int64_t points = 0;
  for (const auto& s : series) points += static_cast<std::int64_t>(s.points.size());
  json::object response;  // the contract's Results Generator Response
  response["success"] = true;
  response["experimentId"] = e.id;
  response["resultsGenerated"] = points;
  json::array processed;
  for (const auto& id : e.metrics) processed.emplace_back(id);
  response["metricsProcessed"] = std::move(processed);
  json::object range;
  range["startDate"] = domain::format_iso8601(e.start_date - in.pre_period_days * domain::kSecondsPerDay);
  range["endDate"] = domain::format_iso8601(e.end_date);
  range["granularity"] = "hourly";
  response["timeRange"] = std::move(range);

  pipeline::store_generated_results(store, job, std::move(series), codec::to_json_text(response), domain::now_seconds(),
                                    generated.unique_users, generated.segments);
}

void run_analysis(store::Store& store, const store::Job& job) {
  auto payload = parse_object(job.payload);
  std::string analysis_id = payload.contains("analysisId") && payload["analysisId"].is_string()
                                ? std::string(payload["analysisId"].get_string())
                                : domain::new_uuid_v7();
  auto e = load(store, job.experiment_id);
  // The results and their segments (issue 17) of one version: read again when an upload came
  // between the two reads.
  auto results = store.get_results(e.id);
  if (!results) throw std::runtime_error("experiment has no results to analyse");
  auto segments = store.get_segments(e.id, std::nullopt);
  for (int attempt = 0; segments.version != results->version && attempt < 5; ++attempt) {
    results = store.get_results(e.id);
    if (!results) throw std::runtime_error("experiment has no results to analyse");
    segments = store.get_segments(e.id, std::nullopt);
  }
  if (segments.version != results->version) throw std::runtime_error("results changed while they were read; retrying");
  auto catalogue = store.list_metric_values();

  auto in = make_analysis_input(e, results->metrics, catalogue, results->unique_users);
  if (auto it = payload.find("correction"); it != payload.end() && it->value().is_string())
    in.correction = domain::parse_correction(it->value().get_string()).value_or(domain::Correction::kHolm);
  if (auto it = payload.find("confidenceLevel"); it != payload.end() && it->value().is_number())
    in.confidence_level = it->value().to_number<double>();
  auto out = stats::analyze(in);
  auto by_segment = stats::analyze_segments(in, segments.segments);

  auto now = domain::now_seconds();
  json::object doc = codec::analysis_output_to_json(out, by_segment);
  doc["experimentId"] = e.id;
  doc["analysisId"] = analysis_id;
  doc["analysisTimestamp"] = domain::format_iso8601(now);
  doc["status"] = "complete";
  doc["resultsVersion"] = results->version;
  doc["confidenceLevel"] = in.confidence_level;
  json::object snapshot;
  for (const auto& m : catalogue)
    if (in.pricing.count(m.metric_id)) snapshot[m.metric_id] = snapshot_of(m);
  doc["metricValuesSnapshot"] = std::move(snapshot);
  // Who asked for it (a named token's name): an explicit request, or the upload that started it.
  if (auto it = payload.find("requestedBy"); it != payload.end() && it->value().is_string())
    doc["requestedBy"] = it->value().get_string();
  doc["experimentPeriod"] = period_of(e);

  // Complete once the data reach the end of the period (always, for simulated data); the pipeline
  // asks the lifecycle, under the experiment's lock.
  const bool covers = data_cover_period(e, in.metrics);
  pipeline::AnalysisFinish f;
  f.analysis_id = analysis_id;
  f.job_id = job.job_id;
  f.ok = true;
  f.document = codec::to_json_text(doc);
  f.total_impact = out.economic_impact.total_impact;
  f.covers_end = covers;
  f.analysed_version = results->version;
  f.now = now;
  f.srm_detected = out.srm.detected;
  f.srm_p_value = out.srm.p_value;
  f.srm_observed_share = out.srm.observed_treatment_share;
  f.srm_expected_share = out.srm.expected_treatment_share;
  pipeline::finish_analysis(store, f);
}

void record_final_failure(store::Store& store, const store::Job& job, const std::string& error) {
  auto payload = parse_object(job.payload);
  std::string analysis_id = job.kind == store::JobKind::kAnalyze && payload.contains("analysisId") &&
                                    payload["analysisId"].is_string()
                                ? std::string(payload["analysisId"].get_string())
                                : domain::new_uuid_v7();
  auto now = domain::now_seconds();
  json::object doc;
  doc["experimentId"] = job.experiment_id;
  doc["analysisId"] = analysis_id;
  doc["analysisTimestamp"] = domain::format_iso8601(now);
  const std::string failure =
      (job.kind == store::JobKind::kAnalyze ? "Analysis failed: " : "Results generation failed: ") + error;
  doc["status"] = "failed";
  doc["version"] = kAnalysisVersion;
  doc["error"] = failure;
  doc["failedJob"] = job.job_id;
  doc["attempts"] = job.attempts;
  if (auto e = store.get_experiment(job.experiment_id)) doc["experimentPeriod"] = period_of(*e);
  pipeline::AnalysisFinish f;
  f.analysis_id = analysis_id;
  f.job_id = job.job_id;
  f.experiment_id = job.experiment_id;
  f.ok = false;
  f.error = failure;
  f.document = codec::to_json_text(doc);
  f.now = now;
  pipeline::finish_analysis(store, f);
}

}  // namespace rallyuxr::jobs
