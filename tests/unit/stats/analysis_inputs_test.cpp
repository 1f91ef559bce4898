// The method-2 inputs on their way to stats::analyze: analysisDesign and guardrailMetrics on
// experiment create, valueGroup on metric values, uniqueUsers in both import formats (with their
// 400s and paths), the experiment / metric-value JSON, and make_analysis_input.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "api/validation.hpp"
#include "codec/resources_json.hpp"
#include "codec/results_io.hpp"
#include "app/catalogue.hpp"
#include "domain/error.hpp"
#include "domain/types.hpp"
#include "jobs/processors.hpp"

namespace {

namespace json = boost::json;
using rallyuxr::domain::ApiError;
using rallyuxr::domain::FieldIssue;

json::object experiment_body() {
  return json::parse(R"({"name":"Checkout","description":"d","metrics":["conversion_rate","bounce_rate","ctr"],
    "startDate":"2025-01-15","endDate":"2025-01-29","expectedOutcome":"positive"})")
      .as_object();
}

const std::set<std::string> kKnown = {"conversion_rate", "bounce_rate", "ctr"};

std::vector<FieldIssue> issues_of(const json::object& body) {
  try {
    rallyuxr::api::parse_create_experiment(body, kKnown);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), rallyuxr::domain::ErrorCode::kValidation);
    return e.details();
  }
  return {};
}

bool has_issue(const std::vector<FieldIssue>& issues, const std::string& path) {
  return std::any_of(issues.begin(), issues.end(), [&](const FieldIssue& i) { return i.path == path; });
}

TEST(StatsInputs, ExperimentDesignAndGuardrails) {
  {
    const auto e = rallyuxr::api::parse_create_experiment(experiment_body(), kKnown);
    EXPECT_EQ(e.analysis_design, rallyuxr::domain::AnalysisDesign::kDid);  // the default
    EXPECT_TRUE(e.guardrail_metrics.empty());
  }
  {
    auto body = experiment_body();
    body["analysisDesign"] = "paired";
    body["guardrailMetrics"] = json::array{"bounce_rate", "ctr"};
    const auto e = rallyuxr::api::parse_create_experiment(body, kKnown);
    EXPECT_EQ(e.analysis_design, rallyuxr::domain::AnalysisDesign::kPaired);
    EXPECT_EQ(e.guardrail_metrics, (std::vector<std::string>{"bounce_rate", "ctr"}));
    // Returned in the experiment JSON.
    std::string text;
    rallyuxr::codec::append_experiment_json(text, e, std::nullopt);
    const json::object o = json::parse(text).as_object();
    EXPECT_EQ(o.at("analysisDesign").as_string(), "paired");
    EXPECT_EQ(o.at("guardrailMetrics").as_array(), (json::array{"bounce_rate", "ctr"}));
  }
  {
    auto body = experiment_body();
    body["analysisDesign"] = "bayesian";
    EXPECT_TRUE(has_issue(issues_of(body), "analysisDesign"));
  }
  {
    auto body = experiment_body();
    body["guardrailMetrics"] = json::array{"ctr", "revenue_per_user", "ctr", 7};
    const auto issues = issues_of(body);
    EXPECT_FALSE(has_issue(issues, "guardrailMetrics.0"));
    EXPECT_TRUE(has_issue(issues, "guardrailMetrics.1"));  // not one of the experiment's metrics
    EXPECT_TRUE(has_issue(issues, "guardrailMetrics.2"));  // twice
    EXPECT_TRUE(has_issue(issues, "guardrailMetrics.3"));  // not a string
  }
  {
    auto body = experiment_body();
    body["guardrailMetrics"] = "ctr";
    EXPECT_TRUE(has_issue(issues_of(body), "guardrailMetrics"));
  }
}

json::object metric_value_json(const rallyuxr::domain::MetricValue& m) {
  std::string text;
  rallyuxr::codec::append_metric_value_json(text, m);
  return json::parse(text).as_object();
}

TEST(StatsInputs, MetricValueGroup) {
  auto body = json::parse(R"({"metricId":"orders_made","name":"Orders","dollarsPerUnit":85,"unit":"orders",
    "description":"Orders placed per day","category":"conversion","valueGroup":"orders"})")
                  .as_object();
  auto m = rallyuxr::api::parse_metric_value_create(body);
  ASSERT_TRUE(m.value_group);
  EXPECT_EQ(*m.value_group, "orders");
  EXPECT_EQ(metric_value_json(m).at("valueGroup").as_string(), "orders");
  body["valueGroup"] = nullptr;
  m = rallyuxr::api::parse_metric_value_create(body);
  EXPECT_FALSE(m.value_group);
  EXPECT_TRUE(metric_value_json(m).at("valueGroup").is_null());
  body["valueGroup"] = "Orders & more";
  try {
    rallyuxr::api::parse_metric_value_create(body);
    ADD_FAILURE() << "accepted a bad valueGroup";
  } catch (const ApiError& e) {
    EXPECT_TRUE(has_issue(e.details(), "valueGroup"));
  }
}

TEST(StatsInputs, DefaultCatalogueGroupsTheOrders) {
  std::set<std::string> orders;
  for (const auto& m : rallyuxr::app::default_catalogue(0))
    if (m.value_group && *m.value_group == "orders") orders.insert(m.metric_id);
  EXPECT_EQ(orders, (std::set<std::string>{"conversion_rate", "revenue_per_user", "average_order_value",
                                           "cart_abandonment_rate"}));
}

std::string json_upload(const std::string& unique_users) {
  // Two pre hours and two post hours (start 2025-01-15): post sample sizes 100+110 and 90+95.
  return R"({"metrics":{"ctr":{"timeSeries":[
    {"timestamp":"2025-01-14T22:00:00Z","treatmentValue":0.1,"controlValue":0.1,"treatmentSampleSize":500,"controlSampleSize":500},
    {"timestamp":"2025-01-14T23:00:00Z","treatmentValue":0.1,"controlValue":0.1,"treatmentSampleSize":500,"controlSampleSize":500},
    {"timestamp":"2025-01-15T00:00:00Z","treatmentValue":0.1,"controlValue":0.1,"treatmentSampleSize":100,"controlSampleSize":90},
    {"timestamp":"2025-01-15T01:00:00Z","treatmentValue":0.1,"controlValue":0.1,"treatmentSampleSize":110,"controlSampleSize":95}]}})" +
         unique_users + "}";
}

rallyuxr::codec::ParsedUpload parse_json_upload(const std::string& text) {
  rallyuxr::codec::UploadRules rules;
  rules.start = 1736899200;  // 2025-01-15
  return rallyuxr::codec::parse_results_json(json::parse(text).as_object(), rules);
}

TEST(StatsInputs, UniqueUsersJson) {
  {
    const auto p = parse_json_upload(json_upload(R"(,"uniqueUsers":{"treatment":210,"control":185})"));
    ASSERT_TRUE(p.issues.empty()) << p.issues.front().path << ": " << p.issues.front().message;
    ASSERT_TRUE(p.unique_users);
    EXPECT_EQ(p.unique_users->treatment, 210);
    EXPECT_EQ(p.unique_users->control, 185);
  }
  EXPECT_FALSE(parse_json_upload(json_upload("")).unique_users);
  struct Bad {
    const char* field;
    const char* path;
  };
  for (const Bad& b : {Bad{R"(,"uniqueUsers":{"treatment":211,"control":185})", "uniqueUsers.treatment"},  // > 210
                       Bad{R"(,"uniqueUsers":{"treatment":210,"control":186})", "uniqueUsers.control"},
                       Bad{R"(,"uniqueUsers":{"treatment":-1,"control":185})", "uniqueUsers.treatment"},
                       Bad{R"(,"uniqueUsers":{"treatment":1.5,"control":185})", "uniqueUsers.treatment"},
                       Bad{R"(,"uniqueUsers":{"treatment":200})", "uniqueUsers.control"},
                       Bad{R"(,"uniqueUsers":{"control":20})", "uniqueUsers.treatment"},
                       Bad{R"(,"uniqueUsers":{"treatment":20,"control":20,"other":1})", "uniqueUsers.other"},
                       Bad{R"(,"uniqueUsers":[20,20])", "uniqueUsers"}}) {
    const auto p = parse_json_upload(json_upload(b.field));
    EXPECT_FALSE(p.unique_users) << b.field;
    EXPECT_TRUE(p.metrics.empty()) << b.field;
    ASSERT_EQ(p.issues.size(), 1u) << b.field;
    EXPECT_EQ(p.issues[0].path, b.path) << b.field << ": " << p.issues[0].message;
  }
}

TEST(StatsInputs, UniqueUsersCsv) {
  rallyuxr::codec::UploadRules rules;
  rules.start = 1736899200;
  const std::string header =
      "metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize,uniqueUsersTreatment,"
      "uniqueUsersControl\n";
  {
    const auto p = rallyuxr::codec::parse_results_csv(header +
                                                        "ctr,2025-01-14T23:00:00Z,0.1,0.1,500,500,,\n"
                                                        "ctr,2025-01-15T00:00:00Z,0.1,0.1,100,90,150,160\n"
                                                        "ctr,2025-01-15T01:00:00Z,0.1,0.1,110,95,150,\n",
                                                    rules);
    ASSERT_TRUE(p.issues.empty()) << p.issues.front().path << ": " << p.issues.front().message;
    ASSERT_TRUE(p.unique_users);
    EXPECT_EQ(p.unique_users->treatment, 150);
    EXPECT_EQ(p.unique_users->control, 160);
  }
  auto first_issue = [&](const std::string& rows) {
    const auto p = rallyuxr::codec::parse_results_csv(header + rows, rules);
    EXPECT_FALSE(p.unique_users);
    return p.issues.empty() ? FieldIssue{} : p.issues.front();
  };
  EXPECT_EQ(first_issue("ctr,2025-01-15T00:00:00Z,0.1,0.1,100,90,150,186\n"
                        "ctr,2025-01-15T01:00:00Z,0.1,0.1,110,95,,\n")
                .path,
            "line 2: uniqueUsersControl");  // 186 > 90 + 95
  EXPECT_EQ(first_issue("ctr,2025-01-15T00:00:00Z,0.1,0.1,100,90,-3,10\n").path, "line 2: uniqueUsersTreatment");
  EXPECT_EQ(first_issue("ctr,2025-01-15T00:00:00Z,0.1,0.1,100,90,50,\n").path, "line 1: uniqueUsersControl");
  EXPECT_EQ(first_issue("ctr,2025-01-15T00:00:00Z,0.1,0.1,100,90,50,40\n"
                        "ctr,2025-01-15T01:00:00Z,0.1,0.1,110,95,51,40\n")
                .path,
            "line 3: uniqueUsersTreatment");  // differs from the value given earlier
}

TEST(StatsInputs, MakeAnalysisInputCarriesTheExperiment) {
  rallyuxr::domain::Experiment e;
  e.start_date = 1736899200;
  e.end_date = e.start_date + 14 * 86400;
  e.metrics = {"conversion_rate", "revenue_per_user", "ctr"};
  e.analysis_design = rallyuxr::domain::AnalysisDesign::kPaired;
  e.guardrail_metrics = {"ctr"};
  e.traffic_split = 0.3;
  e.status = rallyuxr::domain::ExperimentStatus::kRunning;
  std::vector<rallyuxr::domain::MetricSeries> series = {
      {"conversion_rate", {{e.start_date, 0.05, 0.05, 10, 10}}},
  };
  const auto in = rallyuxr::jobs::make_analysis_input(e, series, rallyuxr::app::default_catalogue(0),
                                                      rallyuxr::domain::UniqueUsers{7, 9});
  EXPECT_EQ(in.design, rallyuxr::domain::AnalysisDesign::kPaired);
  EXPECT_EQ(in.guardrail_metrics, (std::vector<std::string>{"ctr"}));
  EXPECT_EQ(in.expected_treatment_share, 0.3);
  ASSERT_TRUE(in.unique_users);
  EXPECT_EQ(in.unique_users->control, 9);
  EXPECT_EQ(in.value_groups.at("conversion_rate"), "orders");
  EXPECT_EQ(in.value_groups.at("revenue_per_user"), "orders");
  EXPECT_FALSE(in.value_groups.count("ctr"));
  EXPECT_TRUE(in.running);  // one hour of a 14-day period
  ASSERT_EQ(in.metrics.size(), 3u);
  EXPECT_TRUE(in.metrics[2].points.empty());
}

}  // namespace

namespace {

std::map<std::string, std::string> csv_row(const std::string& csv, const std::string& metric) {
  auto split = [](const std::string& line) {
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == ',') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    return f;
  };
  std::vector<std::string> lines;
  std::string cur;
  for (char c : csv) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  const auto header = split(lines.at(0));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i]);
    if (f.at(0) != metric) continue;
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < header.size() && k < f.size(); ++k) row[header[k]] = f[k];
    return row;
  }
  return {};
}

// Analyses stored by method 1 keep their figures: the export reads them as they are, and the
// method-2 columns stay empty.
TEST(StatsInputs, AnalysisExportReadsMethodOneAndTwo) {
  const auto v1 = json::parse(R"({"version":"did-1.0.0","didResults":{"m":{"method":"did","pValue":0.25,
    "absoluteDifference":0.5,"warnings":["w"]}},"economicImpact":{"metricBreakdown":{"m":{"dollarImpact":7}}}})")
                      .as_object();
  auto row = csv_row(rallyuxr::codec::analysis_to_csv(v1), "m");
  EXPECT_EQ(row["pValue"], "0.25");
  EXPECT_EQ(row["dollarImpact"], "7");
  EXPECT_EQ(row["verdict"], "");
  EXPECT_EQ(row["sequentialLower"], "");
  EXPECT_EQ(row["countedInTotal"], "");
  EXPECT_EQ(row["warnings"], "w");
  const auto v2 = json::parse(R"({"version":"did-2.0.0","didResults":{"m":{"method":"paired","pValue":0.01,
    "verdict":"win","adjustedConfidenceInterval":{"lower":0.1,"upper":0.9},"postBlocks":14,"preBlocks":0,
    "effectTrend":{"slope":0.01,"pValue":0.5,"changing":false},"sequential":{"interval":{"lower":0.05,"upper":1.5},
    "pValue":0.2,"decisive":false,"looks":8,"plannedBlocks":14},"warnings":[]}},
    "economicImpact":{"metricBreakdown":{"m":{"dollarImpact":7,"valueGroup":"orders","countedInTotal":true}}}})")
                      .as_object();
  row = csv_row(rallyuxr::codec::analysis_to_csv(v2), "m");
  EXPECT_EQ(row["verdict"], "win");
  EXPECT_EQ(row["adjustedConfidenceIntervalUpper"], "0.9");
  EXPECT_EQ(row["postBlocks"], "14");
  EXPECT_EQ(row["effectTrendChanging"], "false");
  EXPECT_EQ(row["sequentialLower"], "0.05");
  EXPECT_EQ(row["sequentialUpper"], "1.5");
  EXPECT_EQ(row["sequentialDecisive"], "false");
  EXPECT_EQ(row["valueGroup"], "orders");
  EXPECT_EQ(row["countedInTotal"], "true");
}

}  // namespace
