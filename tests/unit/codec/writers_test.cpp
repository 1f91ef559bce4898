// The shape writers (codec/resources_json, results_json, records_json) and the streaming writer
// they use (codec/json_writer): every output is parsed back and its values compared with the
// input, field by field, so the tests check meaning, not bytes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "codec/json_parse.hpp"
#include "codec/events_json.hpp"
#include "codec/json_writer.hpp"
#include "codec/records_json.hpp"
#include "codec/resources_json.hpp"
#include "codec/results_json.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace {

namespace json = boost::json;
using domain::kSecondsPerDay;
using domain::kSecondsPerHour;

constexpr domain::UnixSeconds kJan15_2025 = 1736899200;  // 2025-01-15T00:00:00Z

// Parses with the product's exact parser; fails the test on invalid JSON.
json::value parse(const std::string& text) {
  boost::system::error_code ec;
  auto v = parse_json_exact(text, ec);
  EXPECT_FALSE(ec) << ec.message() << " in: " << text;
  return v;
}

double num(const json::value& v) { return v.to_number<double>(); }

domain::Experiment sample_experiment() {
  domain::Experiment e;
  e.id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  e.name = "Checkout \"one page\"\nv2 caf\xC3\xA9";
  e.description = "Tab\there, backslash \\ and a control \x01 character";
  e.status = domain::ExperimentStatus::kRunning;
  e.metrics = {"conversion_rate", "average_order_value"};
  e.start_date = kJan15_2025;
  e.end_date = kJan15_2025 + 14 * kSecondsPerDay + 12 * kSecondsPerHour;
  e.expected_outcome = domain::ExpectedOutcome::kPositive;
  e.created_at = kJan15_2025 - 3600;
  e.updated_at = kJan15_2025 + 59;
  e.created_by = "ana@example.test";
  e.implementation_cost = 60000.5;
  e.confidence_level = 97.5;
  e.traffic_split = 0.3;
  e.data_source = domain::DataSource::kSimulated;
  domain::SimulationConfig sim;
  sim.seed = 18446744073709551615ull;
  sim.pre_period_days = 10;
  sim.daily_traffic = 20000;
  sim.true_lift = {{"conversion_rate", 0.05}, {"average_order_value", -0.1}};
  e.simulation = sim;
  return e;
}

TEST(JsonWriter, PlacesCommasInNestedContainersAndKeepsAPrefix) {
  std::string out = "{\"env\":";
  JsonWriter w(out);
  w.begin_object();
  w.key("a").integer(-3);
  w.key("b").begin_array().number(0.5).null().boolean(true).begin_object().end_object().begin_array().end_array().end_array();
  w.key("c").begin_object().key("x").string("y").key("z").unsigned_integer(18446744073709551615ull).end_object();
  w.key("d").number(std::optional<double>());
  w.key("e").number(std::numeric_limits<double>::infinity());
  w.key("f").timestamp(kJan15_2025 + 3661);
  w.key("g").value(json::parse(R"({"k":[1,2.25,"s"]})"));
  w.key("h");
  w.slot() += "42";
  w.end_object();
  out += '}';
  auto v = parse(out).at("env").as_object();
  EXPECT_EQ(v.at("a").as_int64(), -3);
  const auto& b = v.at("b").as_array();
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b[0].as_double(), 0.5);
  EXPECT_TRUE(b[1].is_null());
  EXPECT_TRUE(b[2].as_bool());
  EXPECT_TRUE(b[3].as_object().empty());
  EXPECT_TRUE(b[4].as_array().empty());
  EXPECT_EQ(v.at("c").at("x").as_string(), "y");
  EXPECT_EQ(v.at("c").at("z").as_uint64(), 18446744073709551615ull);
  EXPECT_TRUE(v.at("d").is_null());
  EXPECT_TRUE(v.at("e").is_null());
  EXPECT_EQ(v.at("f").as_string(), "2025-01-15T01:01:01Z");
  EXPECT_EQ(v.at("g"), json::parse(R"({"k":[1,2.25,"s"]})"));
  EXPECT_EQ(v.at("h").as_int64(), 42);
}

TEST(JsonWriter, OptionalStringsAndTimestampsAreNullWhenAbsent) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.string(std::optional<std::string>("a\"b")).string(std::optional<std::string>());
  w.string(std::optional<std::string_view>("v")).string(std::optional<std::string_view>());
  w.timestamp(std::optional<domain::UnixSeconds>(kJan15_2025)).timestamp(std::optional<domain::UnixSeconds>());
  w.string(std::string("plain")).timestamp(kJan15_2025);  // the plain overloads still chosen
  w.end_array();
  EXPECT_EQ(out, R"(["a\"b",null,"v",null,"2025-01-15T00:00:00Z",null,"plain","2025-01-15T00:00:00Z"])");
}

TEST(JsonWriter, TimestampsOutsideFourDigitYearsUseTheGeneralFormatter) {
  // Either side of the fast path's edges (years 0000 and 9999), before 1970, a leap day.
  for (domain::UnixSeconds t : {domain::UnixSeconds{0}, kJan15_2025, domain::UnixSeconds{-86400},
                                domain::UnixSeconds{-1}, domain::UnixSeconds{-86400LL * 365 * 3 - 7},
                                domain::UnixSeconds{951782400} /* 2000-02-29 */, domain::UnixSeconds{4102444799},
                                domain::UnixSeconds{253402300799}, domain::UnixSeconds{253402300800},
                                domain::UnixSeconds{-62167219200} /* 0000-01-01 */,
                                domain::UnixSeconds{-62167219201}}) {
    std::string out;
    JsonWriter(out).timestamp(t);
    EXPECT_EQ(parse(out).as_string(), domain::format_iso8601(t)) << t;
  }
}

TEST(ExperimentJson, EveryFieldParsesBackToItsValue) {
  auto e = sample_experiment();
  std::string out;
  append_experiment_json(out, e);
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("id").as_string(), e.id);
  EXPECT_EQ(o.at("name").as_string(), e.name);
  EXPECT_EQ(o.at("description").as_string(), e.description);
  EXPECT_EQ(o.at("status").as_string(), "running");
  ASSERT_EQ(o.at("metrics").as_array().size(), 2u);
  EXPECT_EQ(o.at("metrics").as_array()[1].as_string(), "average_order_value");
  EXPECT_EQ(o.at("startDate").as_string(), "2025-01-15T00:00:00Z");
  EXPECT_EQ(o.at("endDate").as_string(), "2025-01-29T12:00:00Z");
  EXPECT_EQ(o.at("expectedOutcome").as_string(), "positive");
  EXPECT_EQ(o.at("createdAt").as_string(), "2025-01-14T23:00:00Z");
  EXPECT_EQ(o.at("updatedAt").as_string(), "2025-01-15T00:00:59Z");
  EXPECT_EQ(o.at("createdBy").as_string(), "ana@example.test");
  EXPECT_EQ(num(o.at("implementationCost")), 60000.5);
  EXPECT_EQ(num(o.at("confidenceLevel")), 97.5);
  EXPECT_EQ(num(o.at("trafficSplit")), 0.3);
  EXPECT_EQ(o.at("dataSource").as_string(), "simulated");
  EXPECT_EQ(num(o.at("durationDays")), 14.5);
  const auto& s = o.at("simulation").as_object();
  EXPECT_EQ(s.at("seed").as_uint64(), 18446744073709551615ull);
  EXPECT_EQ(s.at("prePeriodDays").as_int64(), 10);
  EXPECT_EQ(num(s.at("dailyTraffic")), 20000);
  EXPECT_EQ(s.at("trueLift").as_object().size(), 2u);
  EXPECT_EQ(num(s.at("trueLift").at("conversion_rate")), 0.05);
  EXPECT_EQ(num(s.at("trueLift").at("average_order_value")), -0.1);
  EXPECT_FALSE(o.contains("economicImpact"));
}

TEST(ExperimentJson, OptionalFieldsAndEconomicImpact) {
  auto e = sample_experiment();
  e.created_by.reset();
  e.implementation_cost.reset();
  e.simulation.reset();
  e.data_source = domain::DataSource::kImported;
  std::string out;
  append_experiment_json(out, e);
  auto o = parse(out).as_object();
  EXPECT_FALSE(o.contains("createdBy"));
  EXPECT_FALSE(o.contains("simulation"));
  EXPECT_TRUE(o.at("implementationCost").is_null());
  EXPECT_EQ(o.at("dataSource").as_string(), "imported");

  std::string with_null, with_number, with_nan;
  append_experiment_json(with_null, e, std::optional<std::optional<double>>(std::in_place));
  append_experiment_json(with_number, e, std::optional<std::optional<double>>(std::in_place, 42735.25));
  append_experiment_json(with_nan, e, std::optional<std::optional<double>>(std::in_place, std::nan("")));
  EXPECT_TRUE(parse(with_null).at("economicImpact").is_null());
  EXPECT_EQ(num(parse(with_number).at("economicImpact")), 42735.25);
  EXPECT_TRUE(parse(with_nan).at("economicImpact").is_null());

  // A simulation without seed or traffic, and no metrics.
  domain::SimulationConfig sim;
  e.simulation = sim;
  e.metrics.clear();
  std::string bare;
  append_experiment_json(bare, e);
  auto b = parse(bare).at("simulation").as_object();
  EXPECT_FALSE(b.contains("seed"));
  EXPECT_TRUE(b.at("dailyTraffic").is_null());
  EXPECT_TRUE(b.at("trueLift").as_object().empty());
  EXPECT_TRUE(parse(bare).at("metrics").as_array().empty());
}

TEST(MetricValueJson, EveryFieldParsesBackToItsValue) {
  domain::MetricValue m;
  m.metric_id = "conversion_rate";
  m.name = "Conversion \"rate\"";
  m.description = "Share of sessions that buy";
  m.unit = "%";
  m.category = "conversion";
  m.dollars_per_unit = 6000.125;
  m.improvement_direction = domain::Direction::kDecrease;
  m.unit_size = 0.01;
  m.last_updated = kJan15_2025;
  m.updated_by = "finance";
  m.version = 7;
  m.validation_rules = domain::ValidationRules{0.0, 100000.0, 2};
  std::string out;
  append_metric_value_json(out, m);
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("metricId").as_string(), m.metric_id);
  EXPECT_EQ(o.at("name").as_string(), m.name);
  EXPECT_EQ(o.at("description").as_string(), m.description);
  EXPECT_EQ(o.at("unit").as_string(), "%");
  EXPECT_EQ(o.at("category").as_string(), "conversion");
  EXPECT_EQ(num(o.at("dollarsPerUnit")), 6000.125);
  EXPECT_EQ(o.at("improvementDirection").as_string(), "decrease");
  EXPECT_EQ(num(o.at("unitSize")), 0.01);
  EXPECT_EQ(o.at("lastUpdated").as_string(), "2025-01-15T00:00:00Z");
  EXPECT_EQ(o.at("updatedBy").as_string(), "finance");
  EXPECT_EQ(o.at("version").as_int64(), 7);
  const auto& r = o.at("validationRules").as_object();
  EXPECT_EQ(num(r.at("minValue")), 0);
  EXPECT_EQ(num(r.at("maxValue")), 100000);
  EXPECT_EQ(r.at("decimalPlaces").as_int64(), 2);

  m.updated_by.reset();
  m.validation_rules = domain::ValidationRules{std::nullopt, 5.5, std::nullopt};
  std::string again;
  append_metric_value_json(again, m);
  auto p = parse(again).as_object();
  EXPECT_FALSE(p.contains("updatedBy"));
  EXPECT_EQ(p.at("validationRules").as_object().size(), 1u);
  EXPECT_EQ(num(p.at("validationRules").at("maxValue")), 5.5);
  m.validation_rules.reset();
  std::string none;
  append_metric_value_json(none, m);
  EXPECT_FALSE(parse(none).as_object().contains("validationRules"));
}

TEST(HistoryEntryJson, EveryFieldParsesBackToItsValue) {
  domain::MetricValueHistoryEntry h{3, 4000.75, kJan15_2025 + 1, std::string("bob"), std::string("Q1 \"review\"")};
  std::string out;
  append_history_entry_json(out, h);
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("version").as_int64(), 3);
  EXPECT_EQ(num(o.at("dollarsPerUnit")), 4000.75);
  EXPECT_EQ(o.at("updatedAt").as_string(), "2025-01-15T00:00:01Z");
  EXPECT_EQ(o.at("updatedBy").as_string(), "bob");
  EXPECT_EQ(o.at("changeReason").as_string(), "Q1 \"review\"");
  h.updated_by.reset();
  h.change_reason.reset();
  std::string bare;
  append_history_entry_json(bare, h);
  EXPECT_EQ(parse(bare).as_object().size(), 4u);  // version, dollarsPerUnit, updatedAt, changes
  EXPECT_TRUE(parse(bare).as_object().at("changes").as_array().empty());
  // Changed fields: JSON values as text come back as values; a text that is not JSON as a string.
  h.changes = {{"unitSize", "1", "0.01"}, {"validationRules", "null", "{\"maxValue\":100}"}, {"unit", "not json", "\"%\""}};
  std::string changed;
  append_history_entry_json(changed, h);
  auto c = parse(changed).as_object().at("changes").as_array();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].as_object().at("field").as_string(), "unitSize");
  EXPECT_EQ(num(c[0].as_object().at("from")), 1);
  EXPECT_EQ(num(c[0].as_object().at("to")), 0.01);
  EXPECT_TRUE(c[1].as_object().at("from").is_null());
  EXPECT_EQ(num(c[1].as_object().at("to").as_object().at("maxValue")), 100);
  EXPECT_EQ(c[2].as_object().at("from").as_string(), "not json");
  EXPECT_EQ(c[2].as_object().at("to").as_string(), "%");
}

TEST(ResultsJson, TimeSeriesSummaryAndPeriod) {
  domain::Experiment e = sample_experiment();
  e.start_date = kJan15_2025;
  e.end_date = kJan15_2025 + 3 * kSecondsPerHour;
  // Two pre hours (one unusable), three post hours (one with no control traffic), one after the end.
  domain::MetricSeries cr{"conversion_rate", {}};
  auto at = [&](int h) { return kJan15_2025 + h * kSecondsPerHour; };
  cr.points = {{at(-2), 0.1, 0.2, 10, 11},
               {at(-1), std::nan(""), 0.2, 10, 11},
               {at(0), 0.25, 0.125, 100, 90},
               {at(1), 0.5, 0.375, 200, 0},
               {at(2), 0.75, 0.625, 300, 310},
               {at(3), 9.0, 9.0, 1, 1}};
  domain::MetricSeries aov{"average_order_value", {{at(0), 50.5, 49.25, 5, 6}}};
  std::string out = "prefix";
  append_results_json(out, e, {cr, aov}, kJan15_2025 + 99, 12);
  ASSERT_EQ(out.rfind("prefix", 0), 0u);
  auto o = parse(out.substr(6)).as_object();
  EXPECT_EQ(o.at("experimentId").as_string(), e.id);
  EXPECT_EQ(o.at("generatedAt").as_string(), "2025-01-15T00:01:39Z");
  EXPECT_EQ(o.at("version").as_int64(), 12);
  const auto& metrics = o.at("metrics").as_object();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics.begin()->key(), "conversion_rate");  // the experiment's metric order
  const auto& ts = metrics.at("conversion_rate").at("timeSeries").as_array();
  ASSERT_EQ(ts.size(), cr.points.size());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const auto& p = ts[i].as_object();
    EXPECT_EQ(p.at("timestamp").as_string(), domain::format_iso8601(cr.points[i].timestamp));
    if (std::isfinite(cr.points[i].treatment_value))
      EXPECT_EQ(num(p.at("treatmentValue")), cr.points[i].treatment_value);
    else
      EXPECT_TRUE(p.at("treatmentValue").is_null());
    EXPECT_EQ(num(p.at("controlValue")), cr.points[i].control_value);
    EXPECT_EQ(p.at("treatmentSampleSize").as_int64(), cr.points[i].treatment_sample_size);
    EXPECT_EQ(p.at("controlSampleSize").as_int64(), cr.points[i].control_sample_size);
  }
  const auto& s = metrics.at("conversion_rate").at("summary").as_object();
  EXPECT_EQ(num(s.at("treatmentMean")), (0.25 + 0.75) / 2);
  EXPECT_EQ(num(s.at("controlMean")), (0.125 + 0.625) / 2);
  EXPECT_EQ(s.at("totalTreatmentSamples").as_int64(), 400);
  EXPECT_EQ(s.at("totalControlSamples").as_int64(), 400);
  EXPECT_EQ(s.at("postHours").as_int64(), 2);
  EXPECT_EQ(s.at("preHours").as_int64(), 1);
  const auto& period = o.at("experimentPeriod").as_object();
  EXPECT_EQ(period.at("startDate").as_string(), "2025-01-15T00:00:00Z");
  EXPECT_EQ(period.at("endDate").as_string(), "2025-01-15T03:00:00Z");
  EXPECT_EQ(period.at("totalHours").as_int64(), 6);
  EXPECT_EQ(period.at("preHours").as_int64(), 1);
  EXPECT_EQ(num(metrics.at("average_order_value").at("timeSeries").as_array()[0].at("treatmentValue")), 50.5);
}

TEST(ResultsJson, NoPostHoursGiveNullMeansAndARepeatedIdKeepsItsFirstPlace) {
  domain::Experiment e = sample_experiment();
  domain::MetricSeries early{"conversion_rate", {{kJan15_2025 - kSecondsPerHour, 1, 2, 3, 4}}};
  domain::MetricSeries other{"average_order_value", {}};
  domain::MetricSeries again{"conversion_rate", {{kJan15_2025, 0.5, 0.25, 7, 8}}};
  std::string out;
  append_results_json(out, e, {early, other, again}, kJan15_2025, 1);
  auto o = parse(out).as_object();
  const auto& metrics = o.at("metrics").as_object();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics.begin()->key(), "conversion_rate");
  // The last series' content.
  const auto& ts = metrics.at("conversion_rate").at("timeSeries").as_array();
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].at("treatmentSampleSize").as_int64(), 7);
  EXPECT_TRUE(metrics.at("average_order_value").at("summary").at("treatmentMean").is_null());
  EXPECT_TRUE(metrics.at("average_order_value").at("summary").at("controlMean").is_null());
  EXPECT_EQ(metrics.at("average_order_value").at("summary").at("postHours").as_int64(), 0);
  // Over every series: the longest is 1 hour; one usable pre hour.
  EXPECT_EQ(o.at("experimentPeriod").at("totalHours").as_int64(), 1);
  EXPECT_EQ(o.at("experimentPeriod").at("preHours").as_int64(), 1);
  std::string empty;
  append_results_json(empty, e, {}, kJan15_2025, 0);
  EXPECT_TRUE(parse(empty).at("metrics").as_object().empty());
}

TEST(RecordsJson, EventWithItsPayload) {
  std::string out;
  append_event_json(out, {"ev-1", "RESULTS_INSERT", kJan15_2025, R"({"a":[1,0.1],"b":"x"})"});
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("eventId").as_string(), "ev-1");
  EXPECT_EQ(o.at("eventType").as_string(), "RESULTS_INSERT");
  EXPECT_EQ(o.at("createdAt").as_string(), "2025-01-15T00:00:00Z");
  EXPECT_EQ(o.at("payload"), json::parse(R"({"a":[1,0.1],"b":"x"})"));
  std::string broken;
  append_event_json(broken, {"ev-2", "X", 0, "{not json"});
  EXPECT_TRUE(parse(broken).at("payload").is_null());
}

TEST(RecordsJson, JobWithAndWithoutResult) {
  JobFields j;
  j.job_id = "job-1";
  j.kind = "analyze";
  j.status = "failed";
  j.attempts = 3;
  j.last_error = "boom \"quoted\"";
  j.created_at = kJan15_2025;
  j.updated_at = kJan15_2025 + 5;
  j.result = R"({"ok":false,"n":12.5})";
  std::string out;
  append_job_json(out, j);
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("jobId").as_string(), "job-1");
  EXPECT_EQ(o.at("kind").as_string(), "analyze");
  EXPECT_EQ(o.at("status").as_string(), "failed");
  EXPECT_EQ(o.at("attempts").as_int64(), 3);
  EXPECT_EQ(o.at("lastError").as_string(), "boom \"quoted\"");
  EXPECT_EQ(o.at("updatedAt").as_string(), "2025-01-15T00:00:05Z");
  EXPECT_EQ(o.at("result"), json::parse(R"({"ok":false,"n":12.5})"));
  j.last_error.reset();
  j.result.reset();
  std::string bare;
  append_job_json(bare, j);
  auto b = parse(bare).as_object();
  EXPECT_TRUE(b.at("lastError").is_null());
  EXPECT_FALSE(b.contains("result"));
}

TEST(RecordsJson, AnalysisRecordTakesIdsAndStatusFromTheRecord) {
  AnalysisFields a{"an-1", "exp-1", "complete", 4,
                   R"({"didResults":{"m":{"pValue":0.0123}},"status":"processing","analysisId":"stale","analysisTimestamp":"2025-01-16T00:00:00Z"})",
                   kJan15_2025};
  std::string out;
  append_analysis_record_json(out, a);
  auto o = parse(out).as_object();
  EXPECT_EQ(o.at("analysisId").as_string(), "an-1");
  EXPECT_EQ(o.at("experimentId").as_string(), "exp-1");
  EXPECT_EQ(o.at("status").as_string(), "complete");
  EXPECT_EQ(o.at("resultsVersion").as_int64(), 4);
  EXPECT_EQ(o.at("analysisTimestamp").as_string(), "2025-01-16T00:00:00Z");  // the document's own
  EXPECT_EQ(num(o.at("didResults").at("m").at("pValue")), 0.0123);
  EXPECT_EQ(o.size(), 6u);

  // A processing row: "{}" (or text that does not parse) gives the record's fields only.
  for (const char* doc : {"{}", "not json", "[1]"}) {
    std::string p;
    append_analysis_record_json(p, {"an-2", "exp-1", "processing", 5, doc, kJan15_2025 + 60});
    auto q = parse(p).as_object();
    EXPECT_EQ(q.size(), 5u) << doc;
    EXPECT_EQ(q.at("status").as_string(), "processing");
    EXPECT_EQ(q.at("analysisTimestamp").as_string(), "2025-01-15T00:01:00Z");
  }
}

}  // namespace
}  // namespace rallyuxr::codec

namespace rallyuxr::codec {
namespace {

TEST(EventsJson, ExperimentCreatedPayload) {
  auto e = sample_experiment();
  auto o = parse(experiment_created_payload(e, "req-1")).as_object();
  EXPECT_EQ(o.at("eventType").as_string(), "EXPERIMENT_CREATED");
  EXPECT_EQ(o.at("experimentId").as_string(), e.id);
  EXPECT_EQ(o.at("experiment").at("name").as_string(), e.name);
  EXPECT_EQ(o.at("experiment").at("simulation").at("seed").as_uint64(), *e.simulation->seed);
  EXPECT_EQ(o.at("timestamp").as_string(), "2025-01-14T23:00:00Z");
  EXPECT_EQ(o.at("requestId").as_string(), "req-1");
}

}  // namespace
}  // namespace rallyuxr::codec

namespace rallyuxr::codec {
namespace {

TEST(EventsJson, StreamEventAndAnalysisJobPayloads) {
  auto s = parse(stream_event_payload("exp-\"1\"", 7, "MODIFY")).as_object();
  EXPECT_EQ(s.at("eventName").as_string(), "MODIFY");
  EXPECT_EQ(s.at("dynamodb").at("Keys").at("experimentId").at("S").as_string(), "exp-\"1\"");
  EXPECT_EQ(s.at("dynamodb").at("Keys").at("metricTimepoint").at("S").as_string(), "v7");
  EXPECT_EQ(s.at("dynamodb").at("NewImage").at("experimentId").at("S").as_string(), "exp-\"1\"");
  EXPECT_EQ(s.at("dynamodb").at("NewImage").at("resultsVersion").at("N").as_string(), "7");
  EXPECT_EQ(s.at("eventSourceARN").as_string(), "rallyuxr:experiment_results");

  auto j = parse(analysis_job_payload("exp-1", 3, "INSERT", "an-1", "")).as_object();
  EXPECT_EQ(j.size(), 3u);
  EXPECT_EQ(j.at("streamEvent").at("eventName").as_string(), "INSERT");
  EXPECT_EQ(j.at("analysisId").as_string(), "an-1");
  EXPECT_EQ(j.at("resultsVersion").as_int64(), 3);
  std::string extra;
  JsonWriter(extra).key("correction").string("fdr_bh").key("confidenceLevel").number(90.5);
  auto k = parse(analysis_job_payload("exp-1", 3, "INSERT", "an-1", extra)).as_object();
  EXPECT_EQ(k.at("correction").as_string(), "fdr_bh");
  EXPECT_EQ(num(k.at("confidenceLevel")), 90.5);
}

TEST(EventsJson, MetricChangePayload) {
  auto m = parse(metric_change_payload("exp-1", "conversion_rate", 4)).as_object();
  EXPECT_EQ(m.at("experimentId").as_string(), "exp-1");
  EXPECT_EQ(m.at("reason").as_string(), "METRIC_VALUE_UPDATED");
  EXPECT_EQ(m.at("metricId").as_string(), "conversion_rate");
  EXPECT_EQ(m.at("metricVersion").as_int64(), 4);
}

}  // namespace
}  // namespace rallyuxr::codec
