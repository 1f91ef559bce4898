// Validation of request bodies, as the contract's Zod schemas and more. Each function reads the
// whole body and throws ApiError(VALIDATION_ERROR) listing every failing field. Pure.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

// An optional confidenceLevel (percent, 80 to 99.9), as experiments, plans and analysis requests
// take it. Issues go to the reader.
std::optional<double> read_confidence_level(FieldReader& r);

// A list of distinct metric ids at `key`; `problem` says what is wrong with an id (nullopt: it is
// accepted). Issues at "key.N" for an entry that is not a string, fails `problem` or is repeated.
std::vector<std::string> read_metric_ids(
    FieldReader& r, const boost::json::array& ids, const char* key,
    const std::function<std::optional<std::string>(const std::string&)>& problem);

// The required `metrics` of an experiment or a plan: 1 to 10 distinct ids of the catalogue.
std::vector<std::string> read_selected_metrics(FieldReader& r, const std::function<bool(const std::string&)>& known);

// The default unit size: 0.01 for '%' (values stored as fractions), 1 otherwise.
double default_unit_size(const std::string& unit);

}  // namespace rallyuxr::api
