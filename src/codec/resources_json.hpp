// JSON writers of the contract's resources: Experiment, MetricValue and a metric value's history
// entry. One writer per shape, text only (no DOM), used by the API responses and the events'
// payloads alike. Each appends one complete JSON value. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "domain/types.hpp"

namespace rallyuxr::codec {

// `economic_impact`, when given, is appended as the object's last member "economicImpact" (a
// number, or null), as the list and details endpoints add it.
void append_experiment_json(std::string& out, const domain::Experiment& e,
                            const std::optional<std::optional<double>>& economic_impact = std::nullopt);
// {"decisionId","decision","reason","decidedBy" (null for an unnamed token),"decidedAt"}.
void append_decision_json(std::string& out, const domain::Decision& d);
void append_metric_value_json(std::string& out, const domain::MetricValue& m);
void append_history_entry_json(std::string& out, const domain::MetricValueHistoryEntry& h);

}  // namespace rallyuxr::codec
