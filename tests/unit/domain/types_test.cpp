// The domain enums' names (domain/types.hpp, one table each in types.cpp): every value reads back
// as itself, the contract's names are the ones written, and any other text parses to nothing.
#include "domain/types.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "domain/enum_names.hpp"

namespace rallyuxr::domain {
namespace {

template <class E, class Parse>
void expect_names(std::initializer_list<std::pair<E, std::string>> names, Parse parse) {
  for (const auto& [value, name] : names) {
    EXPECT_EQ(std::string(to_string(value)), name);
    EXPECT_EQ(parse(name), value) << name;
    EXPECT_FALSE(parse(name + " ").has_value()) << name;
    EXPECT_FALSE(parse(std::string(1, static_cast<char>(std::toupper(name[0]))) + name.substr(1)).has_value()) << name;
  }
  EXPECT_FALSE(parse("").has_value());
}

TEST(EnumNames, EveryValueHasItsContractNameAndParsesBack) {
  expect_names<Role>({{Role::kRead, "read"}, {Role::kWrite, "write"}, {Role::kAdmin, "admin"}}, parse_role);
  expect_names<Direction>({{Direction::kIncrease, "increase"}, {Direction::kDecrease, "decrease"}}, parse_direction);
  expect_names<Correction>({{Correction::kHolm, "holm"}, {Correction::kFdrBh, "fdr_bh"}}, parse_correction);
  expect_names<ExpectedOutcome>({{ExpectedOutcome::kPositive, "positive"},
                                 {ExpectedOutcome::kNegative, "negative"},
                                 {ExpectedOutcome::kNeutral, "neutral"}},
                                parse_expected_outcome);
  expect_names<ExperimentStatus>({{ExperimentStatus::kDraft, "draft"},
                                  {ExperimentStatus::kRunning, "running"},
                                  {ExperimentStatus::kComplete, "complete"},
                                  {ExperimentStatus::kArchived, "archived"}},
                                 parse_experiment_status);
  expect_names<DataSource>({{DataSource::kSimulated, "simulated"}, {DataSource::kImported, "imported"}},
                           parse_data_source);
  expect_names<AnalysisDesign>({{AnalysisDesign::kDid, "did"}, {AnalysisDesign::kPaired, "paired"}},
                               parse_analysis_design);
}

TEST(EnumNames, TheHelperReadsATableBothWays) {
  enum class Colour { kRed, kGreen };
  static constexpr EnumName<Colour> kColours[] = {{Colour::kRed, "red"}, {Colour::kGreen, "green"}};
  static_assert(std::string_view(name_of(kColours, Colour::kGreen)) == "green");
  static_assert(value_of(kColours, "red") == Colour::kRed);
  static_assert(!value_of(kColours, "blue").has_value());
  // A value the table lacks gets its first name.
  EXPECT_STREQ(name_of(kColours, static_cast<Colour>(7)), "red");
}

}  // namespace
}  // namespace rallyuxr::domain
