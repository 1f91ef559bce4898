// The next version of a metric value after an update (PUT /api/metric-values/{id}): the fields the
// update names replace the current ones, the version goes up by one, the metric id stays. A pure
// function (thread-safe); the metric-value fuzz target checks it on every accepted update.
#pragma once

#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::pipeline {

domain::MetricValue apply_update(const domain::MetricValue& current, const store::MetricValueUpdate& u,
                                 domain::UnixSeconds now);

}  // namespace rallyuxr::pipeline
