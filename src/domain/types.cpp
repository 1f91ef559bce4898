#include "domain/types.hpp"

#include <string_view>

#include "domain/enum_names.hpp"

namespace rallyuxr::domain {
namespace {

// The contract's name of each value, written once for both directions. The first entry is the
// name of a value outside the enum.
constexpr EnumName<Role> kRoles[] = {{Role::kRead, "read"}, {Role::kWrite, "write"}, {Role::kAdmin, "admin"}};
constexpr EnumName<Direction> kDirections[] = {{Direction::kIncrease, "increase"},
                                               {Direction::kDecrease, "decrease"}};
constexpr EnumName<Correction> kCorrections[] = {{Correction::kHolm, "holm"}, {Correction::kFdrBh, "fdr_bh"}};
constexpr EnumName<ExpectedOutcome> kExpectedOutcomes[] = {{ExpectedOutcome::kNeutral, "neutral"},
                                                           {ExpectedOutcome::kPositive, "positive"},
                                                           {ExpectedOutcome::kNegative, "negative"}};
constexpr EnumName<ExperimentStatus> kStatuses[] = {{ExperimentStatus::kDraft, "draft"},
                                                    {ExperimentStatus::kRunning, "running"},
                                                    {ExperimentStatus::kComplete, "complete"},
                                                    {ExperimentStatus::kArchived, "archived"}};
constexpr EnumName<DataSource> kDataSources[] = {{DataSource::kSimulated, "simulated"},
                                                 {DataSource::kImported, "imported"}};
constexpr EnumName<AnalysisDesign> kDesigns[] = {{AnalysisDesign::kDid, "did"}, {AnalysisDesign::kPaired, "paired"}};

}  // namespace

const char* to_string(Role r) { return name_of(kRoles, r); }
const char* to_string(Direction d) { return name_of(kDirections, d); }
const char* to_string(Correction c) { return name_of(kCorrections, c); }
const char* to_string(ExpectedOutcome o) { return name_of(kExpectedOutcomes, o); }
const char* to_string(ExperimentStatus s) { return name_of(kStatuses, s); }
const char* to_string(DataSource s) { return name_of(kDataSources, s); }
const char* to_string(AnalysisDesign d) { return name_of(kDesigns, d); }

std::optional<Role> parse_role(std::string_view s) { return value_of(kRoles, s); }
std::optional<Direction> parse_direction(std::string_view s) { return value_of(kDirections, s); }
std::optional<Correction> parse_correction(std::string_view s) { return value_of(kCorrections, s); }
std::optional<ExpectedOutcome> parse_expected_outcome(std::string_view s) { return value_of(kExpectedOutcomes, s); }
std::optional<ExperimentStatus> parse_experiment_status(std::string_view s) { return value_of(kStatuses, s); }
std::optional<DataSource> parse_data_source(std::string_view s) { return value_of(kDataSources, s); }
std::optional<AnalysisDesign> parse_analysis_design(std::string_view s) { return value_of(kDesigns, s); }

}  // namespace rallyuxr::domain
