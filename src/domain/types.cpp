#include "domain/types.hpp"

#include <string_view>

namespace rallyuxr::domain {

const char* to_string(Role r) {
  switch (r) {
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
  }
  return "read";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "read") return Role::kRead;
  if (s == "write") return Role::kWrite;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

const char* to_string(Direction d) { return d == Direction::kDecrease ? "decrease" : "increase"; }
const char* to_string(Correction c) { return c == Correction::kFdrBh ? "fdr_bh" : "holm"; }

const char* to_string(ExpectedOutcome o) {
  switch (o) {
    case ExpectedOutcome::kPositive: return "positive";
    case ExpectedOutcome::kNegative: return "negative";
    case ExpectedOutcome::kNeutral: return "neutral";
  }
  return "neutral";
}

const char* to_string(ExperimentStatus s) {
  switch (s) {
    case ExperimentStatus::kDraft: return "draft";
    case ExperimentStatus::kRunning: return "running";
    case ExperimentStatus::kComplete: return "complete";
    case ExperimentStatus::kArchived: return "archived";
  }
  return "draft";
}

const char* to_string(DataSource s) { return s == DataSource::kImported ? "imported" : "simulated"; }
const char* to_string(AnalysisDesign d) { return d == AnalysisDesign::kPaired ? "paired" : "did"; }

std::optional<Direction> parse_direction(std::string_view s) {
  if (s == "increase") return Direction::kIncrease;
  if (s == "decrease") return Direction::kDecrease;
  return std::nullopt;
}

std::optional<Correction> parse_correction(std::string_view s) {
  if (s == "holm") return Correction::kHolm;
  if (s == "fdr_bh") return Correction::kFdrBh;
  return std::nullopt;
}

std::optional<ExpectedOutcome> parse_expected_outcome(std::string_view s) {
  if (s == "positive") return ExpectedOutcome::kPositive;
  if (s == "negative") return ExpectedOutcome::kNegative;
  if (s == "neutral") return ExpectedOutcome::kNeutral;
  return std::nullopt;
}

std::optional<ExperimentStatus> parse_experiment_status(std::string_view s) {
  if (s == "draft") return ExperimentStatus::kDraft;
  if (s == "running") return ExperimentStatus::kRunning;
  if (s == "complete") return ExperimentStatus::kComplete;
  if (s == "archived") return ExperimentStatus::kArchived;
  return std::nullopt;
}

std::optional<DataSource> parse_data_source(std::string_view s) {
  if (s == "simulated") return DataSource::kSimulated;
  if (s == "imported") return DataSource::kImported;
  return std::nullopt;
}

std::optional<AnalysisDesign> parse_analysis_design(std::string_view s) {
  if (s == "did") return AnalysisDesign::kDid;
  if (s == "paired") return AnalysisDesign::kPaired;
  return std::nullopt;
}

}  // namespace rallyuxr::domain
