// The experiment lifecycle (domain/lifecycle.hpp): every (status, event) pair.
#include "domain/lifecycle.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <tuple>
#include <vector>

namespace rallyuxr::domain {
namespace {

using S = ExperimentStatus;
using E = LifecycleEvent;

struct Case {
  S from;
  E event;
  std::optional<S> to;  // nullopt: conflict
};

const std::vector<Case> kTable = {
    {S::kDraft, E::kResultsStored, S::kRunning},
    {S::kDraft, E::kGenerationStarted, S::kRunning},
    {S::kDraft, E::kAnalysisCovering, S::kComplete},
    {S::kDraft, E::kAnalysisNotCovering, S::kRunning},
    {S::kDraft, E::kArchive, S::kArchived},
    {S::kRunning, E::kResultsStored, S::kRunning},
    {S::kRunning, E::kGenerationStarted, S::kRunning},
    {S::kRunning, E::kAnalysisCovering, S::kComplete},
    {S::kRunning, E::kAnalysisNotCovering, S::kRunning},
    {S::kRunning, E::kArchive, std::nullopt},
    {S::kComplete, E::kResultsStored, S::kComplete},
    {S::kComplete, E::kGenerationStarted, S::kComplete},
    {S::kComplete, E::kAnalysisCovering, S::kComplete},
    {S::kComplete, E::kAnalysisNotCovering, S::kRunning},
    {S::kComplete, E::kArchive, S::kArchived},
    {S::kArchived, E::kResultsStored, std::nullopt},
    {S::kArchived, E::kGenerationStarted, std::nullopt},
    {S::kArchived, E::kAnalysisCovering, std::nullopt},
    {S::kArchived, E::kAnalysisNotCovering, std::nullopt},
    {S::kArchived, E::kArchive, std::nullopt},
};

TEST(Lifecycle, TableCoversEveryPair) {
  EXPECT_EQ(kTable.size(), 4u * 5u);
  for (S s : {S::kDraft, S::kRunning, S::kComplete, S::kArchived})
    for (E e : {E::kResultsStored, E::kGenerationStarted, E::kAnalysisCovering, E::kAnalysisNotCovering, E::kArchive}) {
      int n = 0;
      for (const auto& c : kTable) n += c.from == s && c.event == e;
      EXPECT_EQ(n, 1) << to_string(s) << " " << to_string(e);
    }
}

TEST(Lifecycle, EveryPairGivesItsNextStatusOrAConflict) {
  for (const auto& c : kTable) {
    auto t = next_status(c.from, c.event);
    EXPECT_EQ(t.next, c.to) << to_string(c.from) << " + " << to_string(c.event);
    EXPECT_EQ(t.conflict(), !c.to.has_value());
    if (t.conflict()) EXPECT_FALSE(t.reason.empty());
  }
}

TEST(Lifecycle, ArchivedIsFinal) {
  for (E e : {E::kResultsStored, E::kGenerationStarted, E::kAnalysisCovering, E::kAnalysisNotCovering, E::kArchive}) {
    auto t = next_status(S::kArchived, e);
    EXPECT_TRUE(t.conflict());
    EXPECT_EQ(t.reason, "The experiment is archived");
  }
}

TEST(Lifecycle, NothingButArchiveLeadsToArchived) {
  for (const auto& c : kTable)
    if (c.to == S::kArchived) EXPECT_EQ(c.event, E::kArchive);
}

TEST(Lifecycle, RunningCannotBeArchivedAndSaysWhy) {
  auto t = next_status(S::kRunning, E::kArchive);
  EXPECT_EQ(t.reason, "Only draft or complete experiments can be archived; this one is running");
}

TEST(Lifecycle, AnalysisFinishedPicksTheEventByCoverage) {
  EXPECT_EQ(analysis_finished(true), E::kAnalysisCovering);
  EXPECT_EQ(analysis_finished(false), E::kAnalysisNotCovering);
}

}  // namespace
}  // namespace rallyuxr::domain
