// JSON form of stats::AnalysisOutput: the analysis part of the contract's ExperimentAnalysis
// (shared/spec/api-contracts.md) with the additions of shared/spec/statistics.md, in camelCase.
// std::nullopt and any non-finite double become JSON null; no NaN or Infinity is ever emitted.
#pragma once

#include <boost/json.hpp>

#include <optional>

#include "stats/analysis.hpp"
#include "stats/segments.hpp"

namespace rallyuxr::codec {

// One metric's didResults entry.
boost::json::object metric_result_to_json(const rallyuxr::stats::MetricResult& r);

// The economicImpact object.
boost::json::object economic_impact_to_json(const rallyuxr::stats::EconomicImpact& e);

// The srm object.
boost::json::object srm_to_json(const rallyuxr::stats::Srm& s);

// The sequential object {interval, pValue, decisive, looks, plannedBlocks}, or null.
boost::json::value sequential_to_json(const std::optional<rallyuxr::stats::Sequential>& s);

// {didResults, economicImpact, srm, correction, alpha, design, guardrails, recommendation, version,
// segments: {}, heterogeneity: {}} (an analysis without segments: both always present, empty).
boost::json::object analysis_output_to_json(const rallyuxr::stats::AnalysisOutput& out);

// The same with the analysis per segment filled in (issue 17).
boost::json::object analysis_output_to_json(const rallyuxr::stats::AnalysisOutput& out,
                                            const rallyuxr::stats::SegmentsOutput& segments);

// `segments`: {dimension: {segment: {didResults: {metricId: <metric result>}, economicImpact, srm,
// trafficShare}}}, the objects of the overall analysis's shape.
boost::json::object segments_to_json(const rallyuxr::stats::SegmentsOutput& s);

// `heterogeneity`: {dimension: {metricId: {q, df, pValue, significant, segments, skippedSegments,
// welch: {f, df1, df2, pValue} | null}}}; pValue is null when fewer than 2 segments have an estimate
// (df 0: there is nothing to compare).
boost::json::object heterogeneity_to_json(const rallyuxr::stats::SegmentsOutput& s);

}  // namespace rallyuxr::codec
