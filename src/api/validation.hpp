// Validation of request bodies, as the contract's Zod schemas and more. Each function reads the
// whole body and throws ApiError(VALIDATION_ERROR) listing every failing field. Pure.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <set>
#include <string>

#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::api {

inline constexpr domain::UnixSeconds kMaxPeriodSeconds = 366 * domain::kSecondsPerDay;

// A validated create-experiment request; id, status and timestamps are filled by the caller.
domain::Experiment parse_create_experiment(const boost::json::object& body,
                                           const std::set<std::string>& known_metrics);

domain::MetricValue parse_metric_value_create(const boost::json::object& body);

store::MetricValueUpdate parse_metric_value_update(const boost::json::object& body,
                                                   const domain::MetricValue& current);

// An optional `valueGroup` of a metric value: a short id (lower-case letters, digits, '_', '-';
// 1-32 characters); null or absent: none. Issues go to the reader.
class FieldReader;
std::optional<std::string> read_value_group(FieldReader& r);

// The default unit size: 0.01 for '%' (values stored as fractions), 1 otherwise.
double default_unit_size(const std::string& unit);

}  // namespace rallyuxr::api
