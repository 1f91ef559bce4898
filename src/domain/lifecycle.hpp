// The experiment lifecycle as a pure function: (current status, event) -> next status, or a
// conflict. The pipeline asks it inside the transaction that writes the status, and writes the
// answer with a compare-and-set. `archived` is final. docs/architecture.md draws it.
#pragma once

#include <optional>
#include <string>

#include "domain/types.hpp"

namespace rallyuxr::domain {

enum class LifecycleEvent {
  kResultsStored,         // results were written (upload or generation)
  kGenerationStarted,     // the results generator started on a simulated experiment
  kAnalysisCovering,      // an analysis of the current results finished; data reach the end
  kAnalysisNotCovering,   // ... data do not reach the end of the period yet
  kArchive,               // POST /experiments/{id}/archive
};

const char* to_string(LifecycleEvent e);

struct Transition {
  std::optional<ExperimentStatus> next;  // nullopt: the event conflicts with the current status
  std::string reason;                    // why, when it conflicts

  bool conflict() const { return !next.has_value(); }
};

// draft    --results stored / generation started--> running
// draft    --analysis covering--> complete, --analysis not covering--> running
// running  --analysis covering--> complete; results stored / generation / not covering: running
// complete --analysis not covering--> running (new data that stop short); results stored and
//            generation keep complete until their analysis decides
// draft, complete --archive--> archived; running --archive--> conflict
// archived --anything--> conflict (final)
Transition next_status(ExperimentStatus current, LifecycleEvent event);

// The analysis event for data that do or do not cover the period.
inline LifecycleEvent analysis_finished(bool covers_end) {
  return covers_end ? LifecycleEvent::kAnalysisCovering : LifecycleEvent::kAnalysisNotCovering;
}

}  // namespace rallyuxr::domain
