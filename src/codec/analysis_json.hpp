// JSON form of stats::AnalysisOutput: the analysis part of the contract's ExperimentAnalysis
// (shared/spec/api-contracts.md) with the additions of shared/spec/statistics.md, in camelCase.
// std::nullopt and any non-finite double become JSON null; no NaN or Infinity is ever emitted.
#pragma once

#include <boost/json.hpp>

#include <optional>

#include "stats/analysis.hpp"

namespace rallyuxr::codec {

// One metric's didResults entry.
boost::json::object metric_result_to_json(const rallyuxr::stats::MetricResult& r);

// The economicImpact object.
boost::json::object economic_impact_to_json(const rallyuxr::stats::EconomicImpact& e);

// The srm object.
boost::json::object srm_to_json(const rallyuxr::stats::Srm& s);

// The sequential object {interval, pValue, decisive, looks, plannedBlocks}, or null.
boost::json::value sequential_to_json(const std::optional<rallyuxr::stats::Sequential>& s);

// {didResults, economicImpact, srm, correction, alpha, design, guardrails, recommendation, version}.
boost::json::object analysis_output_to_json(const rallyuxr::stats::AnalysisOutput& out);

}  // namespace rallyuxr::codec
