// Plausibility of uploaded results: warnings (never errors) for values that are valid numbers but
// very likely a unit mistake, such as a rate uploaded in percent (3.07 instead of 0.0307) or values
// a hundred times those of the pre period. Pure: no I/O, no clock; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::domain {

// How far from the pre period a typical value may move before it is called implausible.
inline constexpr double kPlausibleScaleFactor = 100.0;

// Warnings, in plain words, about the uploaded series of one experiment:
// * a metric whose unit is "%" (stored as fractions, 0.0307 for 3.07%) with values above 1 or
//   below 0;
// * a metric whose typical post-period value (median of |value| over treatment and control) is
//   at least kPlausibleScaleFactor times, or at most 1/kPlausibleScaleFactor of, the typical value
//   of its pre period (the hours before start_date).
// `units` maps metric id to unit (a metric missing from it gets no unit check). `existing` is what
// is stored now and still will be after the upload (pass it for a merge, leave it empty for a
// replace); its pre-period hours count as the baseline unless the upload brings the same hour.
// Non-finite values are ignored (validation rejects them elsewhere). The result is ordered by
// metric id, then by check; empty when nothing looks wrong.
std::vector<std::string> plausibility_warnings(const std::map<std::string, std::string>& units,
                                               const std::vector<MetricSeries>& uploaded,
                                               const std::vector<MetricSeries>& existing,
                                               UnixSeconds start_date);

}  // namespace rallyuxr::domain
