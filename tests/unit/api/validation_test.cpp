// Request validation (api/validation.hpp) - every rule of the create-experiment and metric-value
// bodies, with the Zod-style paths of each issue and all issues reported at once - plus the
// request-body parser (api/request_body.hpp).
#include "api/validation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "api/request_body.hpp"
#include "domain/error.hpp"
#include "http/types.hpp"
#include "pipeline/pipeline.hpp"

namespace rallyuxr::api {
namespace {

namespace json = boost::json;
using domain::ApiError;
using domain::ErrorCode;
using domain::FieldIssue;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr domain::UnixSeconds kJan15_2025 = 1736899200;  // 2025-01-15T00:00:00Z

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

const std::set<std::string> kKnownMetrics = {
    "conversion_rate", "click_through_rate", "bounce_rate",  "revenue_per_user",
    "aov",             "time_on_page",       "signup_rate",  "retention_d7",
    "pages_per_visit", "cart_abandonment",   "refund_rate",  "nps",
};

json::object valid_experiment() {
  return obj(R"({
    "name": "Button color",
    "description": "Red vs blue CTA",
    "metrics": ["conversion_rate", "click_through_rate"],
    "startDate": "2025-01-15",
    "endDate": "2025-01-29",
    "expectedOutcome": "positive"
  })");
}

// Runs `f`, which must throw a VALIDATION_ERROR; returns its issues.
std::vector<FieldIssue> issues_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kValidation) << e.what();
    EXPECT_FALSE(e.details().empty()) << e.what();
    return e.details();
  }
  ADD_FAILURE() << "expected an ApiError(kValidation), nothing was thrown";
  return {};
}

std::vector<std::string> paths_of(const std::vector<FieldIssue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(i.path);
  return out;
}

std::vector<std::string> experiment_error_paths(const json::object& body) {
  return paths_of(issues_of([&] { parse_create_experiment(body, kKnownMetrics); }));
}

// The valid body with one field replaced (a JSON text value) or, for "null" with remove, removed.
json::object experiment_with(const char* key, std::string_view value_json) {
  auto b = valid_experiment();
  b[key] = json::parse(value_json);
  return b;
}
json::object experiment_without(const char* key) {
  auto b = valid_experiment();
  b.erase(key);
  return b;
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
json::value str(std::string s) { return json::value(json::string(s)); }

// ============================================================================ create experiment

TEST(ParseCreateExperiment, AcceptsAValidBodyAndFillsDefaults) {
  auto e = parse_create_experiment(valid_experiment(), kKnownMetrics);
  EXPECT_EQ(e.name, "Button color");
  EXPECT_EQ(e.description, "Red vs blue CTA");
  EXPECT_THAT(e.metrics, ElementsAre("conversion_rate", "click_through_rate"));
  EXPECT_EQ(e.start_date, kJan15_2025);
  EXPECT_EQ(e.end_date, kJan15_2025 + 14 * domain::kSecondsPerDay);
  EXPECT_EQ(e.expected_outcome, domain::ExpectedOutcome::kPositive);
  EXPECT_EQ(e.status, domain::ExperimentStatus::kDraft);
  EXPECT_FALSE(e.implementation_cost.has_value());
  EXPECT_DOUBLE_EQ(e.confidence_level, 95);
  EXPECT_DOUBLE_EQ(e.traffic_split, 0.5);
  EXPECT_EQ(e.data_source, domain::DataSource::kSimulated);
  EXPECT_FALSE(e.simulation.has_value());
}

TEST(ParseCreateExperiment, AcceptsEveryOptionalField) {
  auto body = valid_experiment();
  body["implementationCost"] = 25000.5;
  body["confidenceLevel"] = 90;
  body["trafficSplit"] = 0.3;
  body["dataSource"] = "simulated";
  body["simulation"] = json::parse(R"({"seed": 42, "prePeriodDays": 14, "dailyTraffic": 5000,
      "trueLift": {"conversion_rate": 0.05, "click_through_rate": -0.02}})");
  auto e = parse_create_experiment(body, kKnownMetrics);
  ASSERT_TRUE(e.implementation_cost.has_value());
  EXPECT_DOUBLE_EQ(*e.implementation_cost, 25000.5);
  EXPECT_DOUBLE_EQ(e.confidence_level, 90);
  EXPECT_DOUBLE_EQ(e.traffic_split, 0.3);
  ASSERT_TRUE(e.simulation.has_value());
  EXPECT_EQ(e.simulation->seed, std::optional<std::uint64_t>(42));
  EXPECT_EQ(e.simulation->pre_period_days, 14);
  EXPECT_EQ(e.simulation->daily_traffic, std::optional<double>(5000));
  EXPECT_EQ(e.simulation->true_lift.size(), 2u);
  EXPECT_DOUBLE_EQ(e.simulation->true_lift.at("conversion_rate"), 0.05);
  EXPECT_DOUBLE_EQ(e.simulation->true_lift.at("click_through_rate"), -0.02);
}

TEST(ParseCreateExperiment, ErrorIsAValidationErrorWithAMessage) {
  try {
    parse_create_experiment(experiment_without("name"), kKnownMetrics);
    FAIL() << "expected ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kValidation);
    EXPECT_STREQ(e.what(), "Invalid experiment");
    ASSERT_EQ(e.details().size(), 1u);
    EXPECT_EQ(e.details()[0].path, "name");
    EXPECT_EQ(e.details()[0].message, "Required");
  }
}

TEST(ParseCreateExperiment, Name) {
  EXPECT_THAT(experiment_error_paths(experiment_without("name")), ElementsAre("name"));
  EXPECT_THAT(experiment_error_paths(experiment_with("name", "null")), ElementsAre("name"));
  EXPECT_THAT(experiment_error_paths(experiment_with("name", "42")), ElementsAre("name"));
  EXPECT_THAT(experiment_error_paths(experiment_with("name", R"("")")), ElementsAre("name"));
  EXPECT_THAT(experiment_error_paths(experiment_with("name", R"("   ")")), ElementsAre("name"));
  EXPECT_THAT(experiment_error_paths(experiment_with("name", R"(" \t\n ")")), ElementsAre("name"));

  auto b = valid_experiment();
  b["name"] = str(repeat("n", 200));
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).name.size(), 200u);
  b["name"] = str(repeat("n", 201));
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("name"));
  // Length counts characters, not bytes: 200 two-byte characters are fine, 201 are not.
  b["name"] = str(repeat("\xC3\xA9", 200));
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).name, repeat("\xC3\xA9", 200));
  b["name"] = str(repeat("\xC3\xA9", 201));
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("name"));
  // Surrounding blanks are allowed when there is something else.
  b["name"] = "  x  ";
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).name, "  x  ");
}

TEST(ParseCreateExperiment, Description) {
  EXPECT_THAT(experiment_error_paths(experiment_without("description")), ElementsAre("description"));
  EXPECT_THAT(experiment_error_paths(experiment_with("description", "[]")), ElementsAre("description"));
  auto b = valid_experiment();
  b["description"] = "";
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).description, "");
  b["description"] = str(repeat("d", 1000));
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).description.size(), 1000u);
  b["description"] = str(repeat("d", 1001));
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("description"));
}

TEST(ParseCreateExperiment, MetricsCountAndType) {
  EXPECT_THAT(experiment_error_paths(experiment_without("metrics")), ElementsAre("metrics"));
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", R"("conversion_rate")")), ElementsAre("metrics"));
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", "[]")), ElementsAre("metrics"));

  std::vector<std::string> ten(kKnownMetrics.begin(), kKnownMetrics.end());
  ten.resize(10);
  json::array a10;
  for (const auto& m : ten) a10.emplace_back(m);
  auto b = valid_experiment();
  b["metrics"] = a10;
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).metrics, ten);

  json::array a11 = a10;
  a11.emplace_back(*std::next(kKnownMetrics.begin(), 10));
  b["metrics"] = a11;
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("metrics"));
}

TEST(ParseCreateExperiment, MetricsMustExistBeStringsAndBeUnique) {
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", R"(["conversion_rate", "no_such_metric"])")),
              ElementsAre("metrics.1"));
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", R"(["conversion_rate", "conversion_rate"])")),
              ElementsAre("metrics.1"));
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", R"([7])")), ElementsAre("metrics.0"));
  EXPECT_THAT(experiment_error_paths(experiment_with("metrics", R"(["Conversion_Rate"])")), ElementsAre("metrics.0"));
  // Each bad element is reported at its own index.
  EXPECT_THAT(experiment_error_paths(experiment_with(
                  "metrics", R"(["conversion_rate", "nope", null, "conversion_rate", "aov", "aov"])")),
              ElementsAre("metrics.1", "metrics.2", "metrics.3", "metrics.5"));

  auto issues = issues_of([] {
    parse_create_experiment(experiment_with("metrics", R"(["conversion_rate", "nope"])"), kKnownMetrics);
  });
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].message, ::testing::HasSubstr("nope"));
}

TEST(ParseCreateExperiment, DatesParseAndAreRequired) {
  EXPECT_THAT(experiment_error_paths(experiment_without("startDate")), ElementsAre("startDate"));
  EXPECT_THAT(experiment_error_paths(experiment_without("endDate")), ElementsAre("endDate"));
  EXPECT_THAT(experiment_error_paths(experiment_with("startDate", "20250115")), ElementsAre("startDate"));
  EXPECT_THAT(experiment_error_paths(experiment_with("startDate", R"("next monday")")), ElementsAre("startDate"));
  EXPECT_THAT(experiment_error_paths(experiment_with("startDate", R"("2025-13-01")")), ElementsAre("startDate"));
  EXPECT_THAT(experiment_error_paths(experiment_with("endDate", R"("2025-02-29")")), ElementsAre("endDate"));
  EXPECT_THAT(experiment_error_paths(experiment_with("startDate", R"("2025-01-15T00:00:00")")),
              ElementsAre("startDate"));  // a datetime needs a zone

  auto b = valid_experiment();
  b["startDate"] = "2025-01-15T10:00:00+02:00";
  b["endDate"] = "2025-01-16T08:00:00Z";
  auto e = parse_create_experiment(b, kKnownMetrics);
  EXPECT_EQ(e.start_date, kJan15_2025 + 8 * 3600);
  EXPECT_EQ(e.end_date, kJan15_2025 + 32 * 3600);
}

TEST(ParseCreateExperiment, EndDateMustFollowStartDateWithin366Days) {
  auto b = valid_experiment();
  b["endDate"] = "2025-01-15";
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("endDate"));
  b["endDate"] = "2025-01-14";
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("endDate"));
  b["endDate"] = "2025-01-15T00:00:01Z";
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).end_date, kJan15_2025 + 1);

  b["startDate"] = "2024-01-01";
  b["endDate"] = "2025-01-01";  // 2024 is a leap year: exactly 366 days
  auto e = parse_create_experiment(b, kKnownMetrics);
  EXPECT_EQ(e.end_date - e.start_date, 366 * domain::kSecondsPerDay);
  b["endDate"] = "2025-01-01T00:00:01Z";
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("endDate"));
  b["endDate"] = "2025-01-02";
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("endDate"));
}

TEST(ParseCreateExperiment, ExpectedOutcome) {
  for (auto [text, value] : {std::pair{"positive", domain::ExpectedOutcome::kPositive},
                             std::pair{"negative", domain::ExpectedOutcome::kNegative},
                             std::pair{"neutral", domain::ExpectedOutcome::kNeutral}}) {
    auto b = valid_experiment();
    b["expectedOutcome"] = text;
    EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).expected_outcome, value) << text;
  }
  EXPECT_THAT(experiment_error_paths(experiment_without("expectedOutcome")), ElementsAre("expectedOutcome"));
  EXPECT_THAT(experiment_error_paths(experiment_with("expectedOutcome", R"("great")")), ElementsAre("expectedOutcome"));
  EXPECT_THAT(experiment_error_paths(experiment_with("expectedOutcome", R"("Positive")")),
              ElementsAre("expectedOutcome"));
  EXPECT_THAT(experiment_error_paths(experiment_with("expectedOutcome", "1")), ElementsAre("expectedOutcome"));
}

TEST(ParseCreateExperiment, ImplementationCost) {
  auto b = valid_experiment();
  b["implementationCost"] = 0;
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).implementation_cost, std::optional<double>(0));
  b["implementationCost"] = 1234.5;
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).implementation_cost, std::optional<double>(1234.5));
  b["implementationCost"] = nullptr;
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).implementation_cost, std::nullopt);
  EXPECT_THAT(experiment_error_paths(experiment_with("implementationCost", "-0.01")),
              ElementsAre("implementationCost"));
  EXPECT_THAT(experiment_error_paths(experiment_with("implementationCost", R"("100")")),
              ElementsAre("implementationCost"));
}

TEST(ParseCreateExperiment, ConfidenceLevelBetween80And99Point9) {
  for (double ok : {80.0, 95.0, 99.0, 99.9}) {
    auto b = valid_experiment();
    b["confidenceLevel"] = ok;
    EXPECT_DOUBLE_EQ(parse_create_experiment(b, kKnownMetrics).confidence_level, ok);
  }
  for (const char* bad : {"79.99", "99.95", "100", "0", "0.95", "-95", R"("95")"})
    EXPECT_THAT(experiment_error_paths(experiment_with("confidenceLevel", bad)), ElementsAre("confidenceLevel"))
        << bad;
}

TEST(ParseCreateExperiment, TrafficSplitBetween0Point01And0Point99) {
  for (double ok : {0.01, 0.5, 0.99}) {
    auto b = valid_experiment();
    b["trafficSplit"] = ok;
    EXPECT_DOUBLE_EQ(parse_create_experiment(b, kKnownMetrics).traffic_split, ok);
  }
  for (const char* bad : {"0", "0.009", "0.991", "1", "50", R"("0.5")"})
    EXPECT_THAT(experiment_error_paths(experiment_with("trafficSplit", bad)), ElementsAre("trafficSplit")) << bad;
}

TEST(ParseCreateExperiment, DataSource) {
  auto b = valid_experiment();
  b["dataSource"] = "imported";
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).data_source, domain::DataSource::kImported);
  b["dataSource"] = "simulated";
  EXPECT_EQ(parse_create_experiment(b, kKnownMetrics).data_source, domain::DataSource::kSimulated);
  EXPECT_THAT(experiment_error_paths(experiment_with("dataSource", R"("csv")")), ElementsAre("dataSource"));
  EXPECT_THAT(experiment_error_paths(experiment_with("dataSource", "true")), ElementsAre("dataSource"));
}

TEST(ParseCreateExperiment, SimulationDefaults) {
  auto e = parse_create_experiment(experiment_with("simulation", "{}"), kKnownMetrics);
  ASSERT_TRUE(e.simulation.has_value());
  EXPECT_FALSE(e.simulation->seed.has_value());
  EXPECT_EQ(e.simulation->pre_period_days, 7);
  EXPECT_FALSE(e.simulation->daily_traffic.has_value());
  EXPECT_TRUE(e.simulation->true_lift.empty());
  EXPECT_THAT(experiment_error_paths(experiment_with("simulation", "[]")), ElementsAre("simulation"));
  EXPECT_THAT(experiment_error_paths(experiment_with("simulation", "3")), ElementsAre("simulation"));
}

TEST(ParseCreateExperiment, SimulationSeed) {
  auto seed_of = [](std::string_view v) {
    return parse_create_experiment(experiment_with("simulation", std::string(R"({"seed":)") + std::string(v) + "}"),
                                   kKnownMetrics)
        .simulation->seed;
  };
  EXPECT_EQ(seed_of("0"), std::optional<std::uint64_t>(0));
  EXPECT_EQ(seed_of("42"), std::optional<std::uint64_t>(42));
  EXPECT_EQ(seed_of("18446744073709551615"), std::optional<std::uint64_t>(18446744073709551615ULL));
  EXPECT_EQ(seed_of("null"), std::nullopt);
  for (const char* bad : {"-1", "1.5", R"("42")", "true"})
    EXPECT_THAT(experiment_error_paths(experiment_with("simulation", std::string(R"({"seed":)") + bad + "}")),
                ElementsAre("simulation.seed"))
        << bad;
}

TEST(ParseCreateExperiment, SimulationPrePeriodDaysAndDailyTraffic) {
  auto sim = [](std::string_view inner) {
    return experiment_with("simulation", std::string("{") + std::string(inner) + "}");
  };
  EXPECT_EQ(parse_create_experiment(sim(R"("prePeriodDays":0)"), kKnownMetrics).simulation->pre_period_days, 0);
  EXPECT_EQ(parse_create_experiment(sim(R"("prePeriodDays":30)"), kKnownMetrics).simulation->pre_period_days, 30);
  for (const char* bad : {"31", "-1", "2.5", R"("7")"})
    EXPECT_THAT(experiment_error_paths(sim(std::string(R"("prePeriodDays":)") + bad)),
                ElementsAre("simulation.prePeriodDays"))
        << bad;

  EXPECT_EQ(parse_create_experiment(sim(R"("dailyTraffic":24)"), kKnownMetrics).simulation->daily_traffic,
            std::optional<double>(24));
  EXPECT_EQ(parse_create_experiment(sim(R"("dailyTraffic":10000000)"), kKnownMetrics).simulation->daily_traffic,
            std::optional<double>(10000000));
  for (const char* bad : {"23.9", "0", "10000001", R"("1000")"})
    EXPECT_THAT(experiment_error_paths(sim(std::string(R"("dailyTraffic":)") + bad)),
                ElementsAre("simulation.dailyTraffic"))
        << bad;
}

TEST(ParseCreateExperiment, SimulationTrueLift) {
  auto lifts = [](std::string_view inner) {
    return experiment_with("simulation", std::string(R"({"trueLift":{)") + std::string(inner) + "}}");
  };
  auto e = parse_create_experiment(lifts(R"("conversion_rate": -0.999, "click_through_rate": 10)"), kKnownMetrics);
  EXPECT_DOUBLE_EQ(e.simulation->true_lift.at("conversion_rate"), -0.999);
  EXPECT_DOUBLE_EQ(e.simulation->true_lift.at("click_through_rate"), 10);
  e = parse_create_experiment(lifts(R"("conversion_rate": 1)"), kKnownMetrics);  // an integer is a number
  EXPECT_DOUBLE_EQ(e.simulation->true_lift.at("conversion_rate"), 1);

  EXPECT_THAT(experiment_error_paths(lifts(R"("conversion_rate": -1)")),
              ElementsAre("simulation.trueLift.conversion_rate"));
  EXPECT_THAT(experiment_error_paths(lifts(R"("conversion_rate": 10.01)")),
              ElementsAre("simulation.trueLift.conversion_rate"));
  EXPECT_THAT(experiment_error_paths(lifts(R"("conversion_rate": "big")")),
              ElementsAre("simulation.trueLift.conversion_rate"));
  // Only the experiment's own metrics take a lift.
  EXPECT_THAT(experiment_error_paths(lifts(R"("bounce_rate": 0.1)")), ElementsAre("simulation.trueLift.bounce_rate"));
  EXPECT_THAT(experiment_error_paths(lifts(R"("conversion_rate": 0.1, "bounce_rate": 0.1, "aov": "x")")),
              UnorderedElementsAre("simulation.trueLift.bounce_rate", "simulation.trueLift.aov"));
  EXPECT_THAT(experiment_error_paths(experiment_with("simulation", R"({"trueLift": [0.1]})")),
              ElementsAre("simulation.trueLift"));
}

TEST(ParseCreateExperiment, SimulationOnlyForSimulatedData) {
  auto b = valid_experiment();
  b["dataSource"] = "imported";
  b["simulation"] = json::object{{"seed", 1}};
  EXPECT_THAT(experiment_error_paths(b), ElementsAre("simulation"));
  b["simulation"] = nullptr;
  EXPECT_FALSE(parse_create_experiment(b, kKnownMetrics).simulation.has_value());
}

TEST(ParseCreateExperiment, ReportsEveryErrorAtOnce) {
  auto body = obj(R"({
    "name": "   ",
    "description": 5,
    "metrics": ["conversion_rate", "unknown_metric"],
    "startDate": "2025-01-15",
    "endDate": "2025-01-10",
    "expectedOutcome": "maybe",
    "implementationCost": -5,
    "confidenceLevel": 50,
    "trafficSplit": 2,
    "dataSource": "guess",
    "simulation": {"seed": -3, "prePeriodDays": 99, "dailyTraffic": 1, "trueLift": {"aov": 0.5}}
  })");
  EXPECT_THAT(experiment_error_paths(body),
              UnorderedElementsAre("name", "description", "metrics.1", "endDate", "expectedOutcome",
                                   "implementationCost", "confidenceLevel", "trafficSplit", "dataSource",
                                   "simulation.seed", "simulation.prePeriodDays", "simulation.dailyTraffic",
                                   "simulation.trueLift.aov"));
  // An empty object misses every required field.
  EXPECT_THAT(experiment_error_paths(json::object{}),
              UnorderedElementsAre("name", "description", "metrics", "startDate", "endDate", "expectedOutcome"));
}

TEST(ParseCreateExperiment, IgnoresUnknownFields) {
  auto b = valid_experiment();
  b["status"] = "complete";
  b["id"] = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  b["createdAt"] = "not even a date";
  b["extra"] = json::parse(R"({"nested": [1, 2, 3]})");
  auto e = parse_create_experiment(b, kKnownMetrics);
  EXPECT_EQ(e.status, domain::ExperimentStatus::kDraft);
  EXPECT_EQ(e.id, "");
  EXPECT_EQ(e.name, "Button color");
}

// ============================================================================ metric values

json::object valid_metric() {
  return obj(R"({
    "metricId": "signup_rate",
    "name": "Signup rate",
    "dollarsPerUnit": 1200.5,
    "unit": "%",
    "description": "Dollars per day for one percentage point of signups",
    "category": "conversion"
  })");
}

std::vector<std::string> metric_error_paths(const json::object& body) {
  return paths_of(issues_of([&] { parse_metric_value_create(body); }));
}
json::object metric_with(const char* key, std::string_view value_json) {
  auto b = valid_metric();
  b[key] = json::parse(value_json);
  return b;
}
json::object metric_without(const char* key) {
  auto b = valid_metric();
  b.erase(key);
  return b;
}

TEST(ParseMetricValueCreate, AcceptsAValidBody) {
  auto m = parse_metric_value_create(valid_metric());
  EXPECT_EQ(m.metric_id, "signup_rate");
  EXPECT_EQ(m.name, "Signup rate");
  EXPECT_DOUBLE_EQ(m.dollars_per_unit, 1200.5);
  EXPECT_EQ(m.unit, "%");
  EXPECT_EQ(m.description, "Dollars per day for one percentage point of signups");
  EXPECT_EQ(m.category, "conversion");
  EXPECT_EQ(m.improvement_direction, domain::Direction::kIncrease);
  EXPECT_DOUBLE_EQ(m.unit_size, 0.01);  // '%' values are stored as fractions
  EXPECT_EQ(m.version, 1);
  EXPECT_FALSE(m.validation_rules.has_value());
  EXPECT_FALSE(m.updated_by.has_value());
}

TEST(ParseMetricValueCreate, UnitSizeAndDirection) {
  auto b = valid_metric();
  b["unit"] = "seconds";
  EXPECT_DOUBLE_EQ(parse_metric_value_create(b).unit_size, 1);
  b["unitSize"] = 60;
  EXPECT_DOUBLE_EQ(parse_metric_value_create(b).unit_size, 60);
  b["improvementDirection"] = "decrease";
  EXPECT_EQ(parse_metric_value_create(b).improvement_direction, domain::Direction::kDecrease);
  b["updatedBy"] = "alice";
  EXPECT_EQ(parse_metric_value_create(b).updated_by, std::optional<std::string>("alice"));
  EXPECT_THAT(metric_error_paths(metric_with("unitSize", "0")), ElementsAre("unitSize"));
  EXPECT_THAT(metric_error_paths(metric_with("unitSize", "-1")), ElementsAre("unitSize"));
  EXPECT_THAT(metric_error_paths(metric_with("improvementDirection", R"("down")")), ElementsAre("improvementDirection"));
  EXPECT_DOUBLE_EQ(default_unit_size("%"), 0.01);
  EXPECT_DOUBLE_EQ(default_unit_size("$"), 1);
}

TEST(ParseMetricValueCreate, MetricIdIsLowerCaseLettersAndUnderscores) {
  for (const char* ok : {"a", "_", "signup_rate", "x_y_z", "abcdefghijklmnopqrstuvwxyz"}) {
    auto b = valid_metric();
    b["metricId"] = ok;
    EXPECT_EQ(parse_metric_value_create(b).metric_id, ok);
  }
  for (const char* bad : {R"("")", R"("Signup")", R"("signup-rate")", R"("signup1")", R"("signup rate")",
                          R"("sign.up")", R"("caf\u00e9")", "5", "null"})
    EXPECT_THAT(metric_error_paths(metric_with("metricId", bad)), ElementsAre("metricId")) << bad;
  EXPECT_THAT(metric_error_paths(metric_without("metricId")), ElementsAre("metricId"));
}

TEST(ParseMetricValueCreate, DollarsPerUnitIsPositive) {
  for (double ok : {0.0001, 1.0, 1e9}) {
    auto b = valid_metric();
    b["dollarsPerUnit"] = ok;
    EXPECT_DOUBLE_EQ(parse_metric_value_create(b).dollars_per_unit, ok);
  }
  auto b = valid_metric();
  b["dollarsPerUnit"] = 7;  // an integer
  EXPECT_DOUBLE_EQ(parse_metric_value_create(b).dollars_per_unit, 7);
  for (const char* bad : {"0", "-1", "-0.0001", R"("5")", "null", "[]"})
    EXPECT_THAT(metric_error_paths(metric_with("dollarsPerUnit", bad)), ElementsAre("dollarsPerUnit")) << bad;
  EXPECT_THAT(metric_error_paths(metric_without("dollarsPerUnit")), ElementsAre("dollarsPerUnit"));
}

TEST(ParseMetricValueCreate, DescriptionIs10To500Characters) {
  auto b = valid_metric();
  b["description"] = str(repeat("d", 10));
  EXPECT_EQ(parse_metric_value_create(b).description, repeat("d", 10));
  b["description"] = str(repeat("d", 500));
  EXPECT_EQ(parse_metric_value_create(b).description.size(), 500u);
  b["description"] = str(repeat("d", 9));
  EXPECT_THAT(metric_error_paths(b), ElementsAre("description"));
  b["description"] = str(repeat("d", 501));
  EXPECT_THAT(metric_error_paths(b), ElementsAre("description"));
  EXPECT_THAT(metric_error_paths(metric_without("description")), ElementsAre("description"));
}

TEST(ParseMetricValueCreate, CategoryNameAndUnit) {
  for (const char* c : {"conversion", "revenue", "engagement", "retention", "other"}) {
    auto b = valid_metric();
    b["category"] = c;
    EXPECT_EQ(parse_metric_value_create(b).category, c);
  }
  EXPECT_THAT(metric_error_paths(metric_with("category", R"("sales")")), ElementsAre("category"));
  EXPECT_THAT(metric_error_paths(metric_with("category", R"("Revenue")")), ElementsAre("category"));
  EXPECT_THAT(metric_error_paths(metric_without("category")), ElementsAre("category"));
  EXPECT_THAT(metric_error_paths(metric_without("name")), ElementsAre("name"));
  EXPECT_THAT(metric_error_paths(metric_with("name", R"("")")), ElementsAre("name"));
  EXPECT_THAT(metric_error_paths(metric_without("unit")), ElementsAre("unit"));
  EXPECT_THAT(metric_error_paths(metric_with("unit", R"("")")), ElementsAre("unit"));
}

TEST(ParseMetricValueCreate, ValidationRulesAreReadAndChecked) {
  auto b = valid_metric();
  b["dollarsPerUnit"] = 12.25;
  b["validationRules"] = json::parse(R"({"minValue": 1, "maxValue": 100, "decimalPlaces": 2})");
  auto m = parse_metric_value_create(b);
  ASSERT_TRUE(m.validation_rules.has_value());
  EXPECT_EQ(m.validation_rules->min_value, std::optional<double>(1));
  EXPECT_EQ(m.validation_rules->max_value, std::optional<double>(100));
  EXPECT_EQ(m.validation_rules->decimal_places, std::optional<int>(2));

  // The value itself must satisfy the rules: bounds are inclusive.
  for (double ok : {1.0, 100.0, 1.23, 99.99}) {
    b["dollarsPerUnit"] = ok;
    EXPECT_DOUBLE_EQ(parse_metric_value_create(b).dollars_per_unit, ok) << ok;
  }
  for (double bad : {0.99, 100.01, 150.0, 1.234}) {
    b["dollarsPerUnit"] = bad;
    EXPECT_THAT(metric_error_paths(b), ElementsAre("dollarsPerUnit")) << bad;
  }

  // Partial rules.
  b["validationRules"] = json::parse(R"({"maxValue": 5})");
  b["dollarsPerUnit"] = 4.56789;
  m = parse_metric_value_create(b);
  EXPECT_FALSE(m.validation_rules->min_value.has_value());
  EXPECT_FALSE(m.validation_rules->decimal_places.has_value());
  b["validationRules"] = json::parse(R"({"decimalPlaces": 0})");
  b["dollarsPerUnit"] = 5;
  EXPECT_EQ(parse_metric_value_create(b).validation_rules->decimal_places, std::optional<int>(0));
  b["dollarsPerUnit"] = 5.5;
  EXPECT_THAT(metric_error_paths(b), ElementsAre("dollarsPerUnit"));
}

TEST(ParseMetricValueCreate, BadValidationRules) {
  EXPECT_THAT(metric_error_paths(metric_with("validationRules", "[1]")), ElementsAre("validationRules"));
  EXPECT_THAT(metric_error_paths(metric_with("validationRules", R"({"minValue": 2000, "maxValue": 1500})")),
              UnorderedElementsAre("validationRules.minValue", "dollarsPerUnit"));  // 1200.5 < 2000 too
  EXPECT_THAT(metric_error_paths(metric_with("validationRules", R"({"minValue": "1"})")),
              ElementsAre("validationRules.minValue"));
  EXPECT_THAT(metric_error_paths(metric_with("validationRules", R"({"maxValue": true})")),
              ElementsAre("validationRules.maxValue"));
  for (const char* bad : {"11", "-1", "1.5", R"("2")"})
    EXPECT_THAT(metric_error_paths(metric_with("validationRules", std::string(R"({"decimalPlaces": )") + bad + "}")),
                ElementsAre("validationRules.decimalPlaces"))
        << bad;
}

TEST(ParseMetricValueCreate, ReportsEveryErrorAtOnce) {
  auto body = obj(R"({"metricId": "Bad-Id", "name": "", "dollarsPerUnit": -1, "unit": "",
                      "description": "short", "category": "misc", "validationRules": {"decimalPlaces": 20}})");
  EXPECT_THAT(metric_error_paths(body),
              UnorderedElementsAre("metricId", "name", "dollarsPerUnit", "unit", "description", "category",
                                   "validationRules.decimalPlaces"));
  EXPECT_THAT(metric_error_paths(json::object{}),
              UnorderedElementsAre("metricId", "name", "dollarsPerUnit", "unit", "description", "category"));
}

domain::MetricValue current_metric(bool with_rules) {
  domain::MetricValue m;
  m.metric_id = "aov";
  m.name = "Average order value";
  m.description = "Dollars per day per dollar of AOV";
  m.unit = "$";
  m.category = "revenue";
  m.dollars_per_unit = 10;
  m.version = 3;
  if (with_rules) m.validation_rules = domain::ValidationRules{1.0, 100.0, 2};
  return m;
}

std::vector<std::string> update_error_paths(const json::object& body, bool with_rules) {
  return paths_of(issues_of([&] { parse_metric_value_update(body, current_metric(with_rules)); }));
}

TEST(ParseMetricValueUpdate, OnlyDollarsPerUnitIsRequired) {
  auto u = parse_metric_value_update(obj(R"({"dollarsPerUnit": 12.5})"), current_metric(false));
  EXPECT_DOUBLE_EQ(u.dollars_per_unit, 12.5);
  EXPECT_FALSE(u.description.has_value());
  EXPECT_FALSE(u.name.has_value());
  EXPECT_FALSE(u.unit.has_value());
  EXPECT_FALSE(u.category.has_value());
  EXPECT_FALSE(u.improvement_direction.has_value());
  EXPECT_FALSE(u.unit_size.has_value());
  EXPECT_FALSE(u.validation_rules.has_value());
  EXPECT_FALSE(u.change_reason.has_value());
  EXPECT_FALSE(u.updated_by.has_value());

  EXPECT_THAT(update_error_paths(json::object{}, false), ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 0})"), false), ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": -3})"), false), ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": "12"})"), false), ElementsAre("dollarsPerUnit"));
}

TEST(ParseMetricValueUpdate, OptionalFields) {
  auto u = parse_metric_value_update(obj(R"({"dollarsPerUnit": 2, "description": "Ten chars!",
      "name": "AOV", "unit": "USD", "category": "other", "improvementDirection": "decrease", "unitSize": 5,
      "changeReason": "Q1 finance review", "updatedBy": "bob", "validationRules": {"maxValue": 3}})"),
                                     current_metric(false));
  EXPECT_EQ(u.description, std::optional<std::string>("Ten chars!"));
  EXPECT_EQ(u.name, std::optional<std::string>("AOV"));
  EXPECT_EQ(u.unit, std::optional<std::string>("USD"));
  EXPECT_EQ(u.category, std::optional<std::string>("other"));
  EXPECT_EQ(u.improvement_direction, std::optional<domain::Direction>(domain::Direction::kDecrease));
  EXPECT_EQ(u.unit_size, std::optional<double>(5));
  EXPECT_EQ(u.change_reason, std::optional<std::string>("Q1 finance review"));
  EXPECT_EQ(u.updated_by, std::optional<std::string>("bob"));
  ASSERT_TRUE(u.validation_rules.has_value());
  EXPECT_EQ(u.validation_rules->max_value, std::optional<double>(3));

  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 2, "description": "too short"})"), false),
              ElementsAre("description"));
  EXPECT_THAT(update_error_paths(obj(std::string(R"({"dollarsPerUnit": 2, "description": ")") + repeat("x", 501) +
                                     "\"}"),
                                 false),
              ElementsAre("description"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 2, "category": "sales"})"), false),
              ElementsAre("category"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 2, "unitSize": 0})"), false), ElementsAre("unitSize"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 2, "improvementDirection": "up"})"), false),
              ElementsAre("improvementDirection"));
  EXPECT_THAT(update_error_paths(obj(std::string(R"({"dollarsPerUnit": 2, "changeReason": ")") + repeat("r", 501) +
                                     "\"}"),
                                 false),
              ElementsAre("changeReason"));
}

TEST(ParseMetricValueUpdate, ValueIsCheckedAgainstTheCurrentRules) {
  // Current rules: 1 <= value <= 100 with 2 decimal places.
  EXPECT_DOUBLE_EQ(parse_metric_value_update(obj(R"({"dollarsPerUnit": 99.99})"), current_metric(true)).dollars_per_unit,
                   99.99);
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 150})"), true), ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 0.5})"), true), ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 1.234})"), true), ElementsAre("dollarsPerUnit"));
  // Without rules anything positive goes.
  EXPECT_DOUBLE_EQ(parse_metric_value_update(obj(R"({"dollarsPerUnit": 150.12345})"), current_metric(false))
                       .dollars_per_unit,
                   150.12345);
}

// The request is refused with the messages the pipeline gives when it checks again under the lock.
TEST(ParseMetricValueUpdate, RuleMessagesAreThePipelines) {
  auto messages_of = [](const std::vector<FieldIssue>& issues) {
    std::vector<std::string> out;
    for (const auto& i : issues) out.push_back(i.message);
    return out;
  };
  EXPECT_THAT(messages_of(issues_of([] { parse_metric_value_update(obj(R"({"dollarsPerUnit": 150})"), current_metric(true)); })),
              ElementsAre("Must be at most 100"));
  EXPECT_THAT(messages_of(issues_of([] { parse_metric_value_update(obj(R"({"dollarsPerUnit": 0.5})"), current_metric(true)); })),
              ElementsAre("Must be at least 1"));
  EXPECT_THAT(messages_of(issues_of([] { parse_metric_value_update(obj(R"({"dollarsPerUnit": 1.234})"), current_metric(true)); })),
              ElementsAre("Must have at most 2 decimal places"));
  for (double v : {150.0, 0.5, 1.234})
    EXPECT_THAT(messages_of(issues_of([&] {
                  parse_metric_value_update(json::object{{"dollarsPerUnit", v}}, current_metric(true));
                })),
                ::testing::ContainerEq(messages_of(pipeline::rule_violations(v, current_metric(true).validation_rules))));
}

TEST(ParseMetricValueUpdate, NewRulesInTheBodyReplaceTheCurrentOnes) {
  auto u = parse_metric_value_update(obj(R"({"dollarsPerUnit": 150, "validationRules": {"maxValue": 200}})"),
                                     current_metric(true));
  EXPECT_DOUBLE_EQ(u.dollars_per_unit, 150);
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 0.5, "validationRules": {"minValue": 1}})"), false),
              ElementsAre("dollarsPerUnit"));
  EXPECT_THAT(update_error_paths(obj(R"({"dollarsPerUnit": 5, "validationRules": {"minValue": 9, "maxValue": 1}})"),
                                 false),
              UnorderedElementsAre("validationRules.minValue", "dollarsPerUnit", "dollarsPerUnit"));
}

// ============================================================================ parse_json_body

http::Request request(std::string content_type, std::string body) {
  http::Request r;
  r.method = "POST";
  r.path = "/experiments";
  if (!content_type.empty()) r.headers["content-type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}

ErrorCode error_code_of(const http::Request& r) {
  try {
    parse_json_body(r);
  } catch (const ApiError& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected an ApiError for body '" << r.body.substr(0, 80) << "'";
  return ErrorCode::kInternal;
}

std::string nested(int depth) {  // {"a": [[...]]} with `depth` containers in all
  return R"({"a":)" + repeat("[", depth - 1) + repeat("]", depth - 1) + "}";
}

TEST(ParseJsonBody, ParsesAJsonObject) {
  auto o = parse_json_body(request("application/json", R"({"name":"x","n":[1,2]})"));
  EXPECT_EQ(o.at("name").as_string(), "x");
  EXPECT_EQ(o.at("n").as_array().size(), 2u);
  EXPECT_TRUE(parse_json_body(request("application/json", "{}")).empty());
  EXPECT_EQ(parse_json_body(request("application/json; charset=utf-8", R"({"a":1})")).at("a").as_int64(), 1);
  EXPECT_EQ(parse_json_body(request("Application/JSON", R"({"a":1})")).at("a").as_int64(), 1);
  EXPECT_EQ(parse_json_body(request("application/json", " \n{\"a\":1}\n ")).at("a").as_int64(), 1);
}

TEST(ParseJsonBody, WrongMediaTypeIs415) {
  EXPECT_EQ(error_code_of(request("text/plain", R"({"a":1})")), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(error_code_of(request("application/x-www-form-urlencoded", "a=1")), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(error_code_of(request("application/json-patch+json", R"({"a":1})")), ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(error_code_of(request("", R"({"a":1})")), ErrorCode::kUnsupportedMediaType);  // body without a type
}

TEST(ParseJsonBody, EmptyOrMalformedBodyIs400) {
  EXPECT_EQ(error_code_of(request("application/json", "")), ErrorCode::kMalformed);
  EXPECT_EQ(error_code_of(request("", "")), ErrorCode::kMalformed);
  for (const char* bad : {"{", "}", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "{\"a\":1} trailing", "{\"a\":01}",
                          "{\"a\":NaN}", "   ", "\xff\xfe"})
    EXPECT_EQ(error_code_of(request("application/json", bad)), ErrorCode::kMalformed) << bad;
}

TEST(ParseJsonBody, NonObjectIs400) {
  for (const char* bad : {"[]", "[1,2]", "42", "\"text\"", "null", "true"})
    EXPECT_EQ(error_code_of(request("application/json", bad)), ErrorCode::kMalformed) << bad;
  try {
    parse_json_body(request("application/json", "[1]"));
  } catch (const ApiError& e) {
    EXPECT_STREQ(e.what(), "Request body must be a JSON object");
  }
}

TEST(ParseJsonBody, NumbersAreCorrectlyRounded) {
  // Decimal text becomes the nearest double (as strtod gives), integers stay integers, and numbers
  // beyond the range of a double are an error rather than infinity.
  for (const char* text : {"0.1", "48353.12914611297", "0.30000000000000004", "2.2250738585072011e-308",
                           "1.7976931348623157e308", "123456789.12345678", "9007199254740993.0",
                           "0.000001234567890123456789", "4.9e-324", "-0.0"}) {
    auto o = parse_json_body(request("application/json", std::string(R"({"x":)") + text + "}"));
    ASSERT_TRUE(o.at("x").is_double()) << text;
    EXPECT_EQ(o.at("x").get_double(), std::strtod(text, nullptr)) << text;
  }
  auto o = parse_json_body(request("application/json", R"({"i":9007199254740993,"u":18446744073709551615,"n":-5})"));
  EXPECT_EQ(o.at("i").as_int64(), 9007199254740993);
  EXPECT_EQ(o.at("u").as_uint64(), 18446744073709551615ULL);
  EXPECT_EQ(o.at("n").as_int64(), -5);
  EXPECT_EQ(error_code_of(request("application/json", R"({"x":1e400})")), ErrorCode::kMalformed);
  EXPECT_EQ(error_code_of(request("application/json", R"({"x":-1e400})")), ErrorCode::kMalformed);
}

TEST(ParseJsonBody, NestingIsLimited) {
  EXPECT_EQ(parse_json_body(request("application/json", nested(10))).size(), 1u);
  EXPECT_EQ(parse_json_body(request("application/json", nested(64))).size(), 1u);
  EXPECT_EQ(error_code_of(request("application/json", nested(65))), ErrorCode::kMalformed);
  EXPECT_EQ(error_code_of(request("application/json", nested(100000))), ErrorCode::kMalformed);
}

}  // namespace
}  // namespace rallyuxr::api
