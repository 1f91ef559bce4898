#include "codec/analysis_json.hpp"

#include <cmath>
#include <optional>

namespace rallyuxr::codec {
namespace {

namespace json = boost::json;
using stats::Interval;

json::value number(double x) {
  if (!std::isfinite(x)) return nullptr;
  return x;
}

json::value number(const std::optional<double>& x) {
  if (!x) return nullptr;
  return number(*x);
}

json::value interval(const std::optional<Interval>& i) {
  if (!i || !std::isfinite(i->lower) || !std::isfinite(i->upper)) return nullptr;
  return json::object{{"lower", i->lower}, {"upper", i->upper}};
}

json::value trend(const std::optional<stats::ParallelTrends>& t) {
  if (!t) return nullptr;
  return json::object{{"slope", number(t->slope)}, {"pValue", number(t->p_value)}, {"violated", t->violated}};
}

json::value trend(const std::optional<stats::EffectTrend>& t) {
  if (!t) return nullptr;
  return json::object{{"slope", number(t->slope)}, {"pValue", number(t->p_value)}, {"changing", t->changing}};
}

}  // namespace

json::value sequential_to_json(const std::optional<stats::Sequential>& s) {
  if (!s) return nullptr;
  json::object o;
  o["interval"] = interval(s->interval);
  o["pValue"] = number(s->p_value);
  o["decisive"] = s->decisive;
  o["looks"] = s->looks;
  o["plannedBlocks"] = s->planned_blocks;
  return o;
}

namespace {

json::value optional_string(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::value(*s);
}

}  // namespace

json::object metric_result_to_json(const stats::MetricResult& r) {
  json::object o;
  o["treatmentMean"] = number(r.treatment_mean);
  o["controlMean"] = number(r.control_mean);
  o["absoluteDifference"] = number(r.absolute_difference);
  o["relativeDifference"] = number(r.relative_difference);
  o["pValue"] = number(r.p_value);
  o["confidenceLevel"] = number(r.confidence_level);
  o["confidenceInterval"] = interval(r.confidence_interval);
  o["sampleSizeControl"] = r.sample_size_control;
  o["sampleSizeTreatment"] = r.sample_size_treatment;
  o["effectSize"] = number(r.effect_size);
  o["method"] = r.method;
  o["preTreatmentMean"] = number(r.pre_treatment_mean);
  o["preControlMean"] = number(r.pre_control_mean);
  o["standardError"] = number(r.standard_error);
  o["degreesOfFreedom"] = number(r.degrees_of_freedom);
  o["tStatistic"] = number(r.t_statistic);
  o["relativeConfidenceInterval"] = interval(r.relative_confidence_interval);
  o["adjustedPValue"] = number(r.adjusted_p_value);
  o["adjustedConfidenceInterval"] = interval(r.adjusted_confidence_interval);
  o["significant"] = r.significant;
  o["verdict"] = r.verdict;
  o["probabilityOfImprovement"] = number(r.probability_of_improvement);
  o["minimumDetectableEffect"] = number(r.minimum_detectable_effect);
  o["postHours"] = r.post_hours;
  o["preHours"] = r.pre_hours;
  o["excludedHours"] = r.excluded_hours;
  o["postBlocks"] = r.post_blocks;
  o["preBlocks"] = r.pre_blocks;
  o["parallelTrends"] = trend(r.parallel_trends);
  o["effectTrend"] = trend(r.effect_trend);
  o["sequential"] = sequential_to_json(r.sequential);
  json::array w;
  w.reserve(r.warnings.size());
  for (const auto& s : r.warnings) w.emplace_back(s);
  o["warnings"] = std::move(w);
  return o;
}

json::object economic_impact_to_json(const stats::EconomicImpact& e) {
  json::object o;
  o["totalImpact"] = number(e.total_impact);
  o["annualizedImpact"] = number(e.annualized_impact);
  o["roiPercentage"] = number(e.roi_percentage);
  json::object breakdown;
  for (const auto& [id, m] : e.metric_breakdown) {
    json::object b;
    b["dollarImpact"] = number(m.dollar_impact);
    b["metricValueUsed"] = number(m.metric_value_used);
    b["metricChange"] = number(m.metric_change);
    b["dailyDollarImpact"] = number(m.daily_dollar_impact);
    b["dollarImpactInterval"] = interval(m.dollar_impact_interval);
    b["unitSize"] = number(m.unit_size);
    b["improvementDirection"] = domain::to_string(m.improvement_direction);
    b["valueGroup"] = optional_string(m.value_group);
    b["countedInTotal"] = m.counted_in_total;
    breakdown[id] = std::move(b);
  }
  o["metricBreakdown"] = std::move(breakdown);
  o["totalImpactInterval"] = interval(e.total_impact_interval);
  o["probabilityOfPositiveImpact"] = number(e.probability_of_positive_impact);
  o["totalVerdict"] = e.total_verdict;
  o["totalSequential"] = sequential_to_json(e.total_sequential);
  o["annualizedImpactInterval"] = interval(e.annualized_impact_interval);
  o["roiInterval"] = interval(e.roi_interval);
  o["significantImpact"] = number(e.significant_impact);
  o["durationDays"] = number(e.duration_days);
  return o;
}

json::object srm_to_json(const stats::Srm& s) {
  json::object o;
  o["method"] = s.method;
  o["statistic"] = number(s.statistic);
  o["chiSquare"] = number(s.chi_square);
  o["pValue"] = number(s.p_value);
  o["detected"] = s.detected;
  o["expectedTreatmentShare"] = number(s.expected_treatment_share);
  o["observedTreatmentShare"] = number(s.observed_treatment_share);
  return o;
}

json::object analysis_output_to_json(const stats::AnalysisOutput& out) {
  json::object o;
  json::object did;
  for (const auto& [id, r] : out.did_results) did[id] = metric_result_to_json(r);
  o["didResults"] = std::move(did);
  o["economicImpact"] = economic_impact_to_json(out.economic_impact);
  o["srm"] = srm_to_json(out.srm);
  o["correction"] = domain::to_string(out.correction);
  o["alpha"] = number(out.alpha);
  o["design"] = domain::to_string(out.design);
  json::object guardrails;
  for (const auto& [id, status] : out.guardrails) guardrails[id] = status;
  o["guardrails"] = std::move(guardrails);
  o["recommendation"] = out.recommendation;
  o["version"] = out.version;
  o["segments"] = json::object{};
  o["heterogeneity"] = json::object{};
  return o;
}

json::object segments_to_json(const stats::SegmentsOutput& s) {
  json::object o;
  for (const auto& [dim, segs] : s.segments) {
    json::object d;
    for (const auto& [name, r] : segs) {
      json::object seg;
      json::object did;
      for (const auto& [id, m] : r.did_results) did[id] = metric_result_to_json(m);
      seg["didResults"] = std::move(did);
      seg["economicImpact"] = economic_impact_to_json(r.economic_impact);
      seg["srm"] = srm_to_json(r.srm);
      seg["trafficShare"] = number(r.traffic_share);
      d[name] = std::move(seg);
    }
    o[dim] = std::move(d);
  }
  return o;
}

json::object heterogeneity_to_json(const stats::SegmentsOutput& s) {
  json::object o;
  for (const auto& [dim, metrics] : s.heterogeneity) {
    json::object d;
    for (const auto& [id, h] : metrics) {
      json::object m;
      m["q"] = number(h.q);
      m["df"] = h.df;
      m["pValue"] = h.df > 0 ? number(h.p_value) : json::value(nullptr);
      m["significant"] = h.significant;
      m["segments"] = h.segments;
      json::array skipped;
      for (const auto& n : h.skipped) skipped.emplace_back(n);
      m["skippedSegments"] = std::move(skipped);
      if (h.welch) {
        m["welch"] = json::object{{"f", number(h.welch->f)},
                                  {"df1", number(h.welch->df1)},
                                  {"df2", number(h.welch->df2)},
                                  {"pValue", number(h.welch->p_value)}};
      } else {
        m["welch"] = nullptr;
      }
      d[id] = std::move(m);
    }
    o[dim] = std::move(d);
  }
  return o;
}

json::object analysis_output_to_json(const stats::AnalysisOutput& out, const stats::SegmentsOutput& segments) {
  json::object o = analysis_output_to_json(out);
  o["segments"] = segments_to_json(segments);
  o["heterogeneity"] = heterogeneity_to_json(segments);
  return o;
}

}  // namespace rallyuxr::codec
