#include "domain/lifecycle.hpp"

namespace rallyuxr::domain {

const char* to_string(LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::kResultsStored: return "results-stored";
    case LifecycleEvent::kGenerationStarted: return "generation-started";
    case LifecycleEvent::kAnalysisCovering: return "analysis-finished(covers end)";
    case LifecycleEvent::kAnalysisNotCovering: return "analysis-finished(short of end)";
    case LifecycleEvent::kArchive: return "archive";
  }
  return "unknown";
}

Transition next_status(ExperimentStatus current, LifecycleEvent event) {
  using S = ExperimentStatus;
  using E = LifecycleEvent;
  if (current == S::kArchived) return {std::nullopt, "The experiment is archived"};
  switch (event) {
    case E::kResultsStored:
    case E::kGenerationStarted:
      return {current == S::kDraft ? S::kRunning : current, {}};
    case E::kAnalysisCovering:
      return {S::kComplete, {}};
    case E::kAnalysisNotCovering:
      return {S::kRunning, {}};
    case E::kArchive:
      if (current == S::kRunning)
        return {std::nullopt, "Only draft or complete experiments can be archived; this one is running"};
      return {S::kArchived, {}};
  }
  return {std::nullopt, "Unknown event"};
}

}  // namespace rallyuxr::domain
