// The API's CPU work outside the database: the results document as JSON text (target: 500 MB/s),
// the analysis document, request validation, and the CSV import parser on 87,600 rows.
#include <benchmark/benchmark.h>

#include <set>
#include <string>

#include "api/response.hpp"
#include "api/validation.hpp"
#include "codec/analysis_json.hpp"
#include "codec/json_parse.hpp"
#include "codec/json_text.hpp"
#include "codec/json_writer.hpp"
#include "codec/resources_json.hpp"
#include "codec/results_io.hpp"
#include "codec/results_json.hpp"
#include "fixtures.hpp"

namespace rallyuxr::bench {
namespace {

namespace json = boost::json;

// The results part of GET /experiments/{id}/results: the streaming writer (codec/results_json).
void BM_ResultsJson(benchmark::State& state) {
  auto e = experiment(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  auto r = stored_results(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text;
    codec::append_results_json(text, e, r.metrics, r.generated_at, r.version);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["doc_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ResultsJson)->Args({kMetrics, kPostDays})->Args({3, 14})->Unit(benchmark::kMillisecond);

// The analysis document of that experiment (what the worker stores and the results endpoint sends).
void BM_AnalysisJson(benchmark::State& state) {
  auto out = stats::analyze(analysis_input());
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = codec::to_json_text(codec::analysis_output_to_json(out));
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["doc_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_AnalysisJson)->Unit(benchmark::kMicrosecond);

// Reading a stored analysis document back (GET .../results parses it before sending it on).
void BM_AnalysisJsonParse(benchmark::State& state) {
  std::string text = codec::to_json_text(codec::analysis_output_to_json(stats::analyze(analysis_input())));
  for (auto _ : state) {
    boost::system::error_code ec;
    auto v = codec::parse_json_exact(text, ec);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_AnalysisJsonParse)->Unit(benchmark::kMicrosecond);

// POST /experiments body: parse (exact numbers) and validate.
constexpr const char* kCreateBody = R"({
  "name": "Checkout Flow Optimization",
  "description": "A one-page checkout instead of three steps, measured on conversion and order value.",
  "metrics": ["conversion_rate", "cart_abandonment_rate", "average_order_value"],
  "startDate": "2025-01-15",
  "endDate": "2025-01-29T00:00:00Z",
  "expectedOutcome": "positive",
  "implementationCost": 60000,
  "confidenceLevel": 95,
  "trafficSplit": 0.5,
  "dataSource": "simulated",
  "simulation": {"seed": 12345, "prePeriodDays": 7, "dailyTraffic": 20000,
                 "trueLift": {"conversion_rate": 0.05, "average_order_value": 0.02}}
})";

void BM_ValidateCreate(benchmark::State& state) {
  std::set<std::string> known;
  for (const auto& m : catalogue()) known.insert(m.metric_id);
  std::string body = kCreateBody;
  for (auto _ : state) {
    boost::system::error_code ec;
    auto v = codec::parse_json_exact(body, ec, 64);
    auto e = api::parse_create_experiment(v.as_object(), known);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ValidateCreate)->Unit(benchmark::kMicrosecond);

// The experiment's series from its start on (10 metrics x 8,760 hours): what an upload carries.
std::vector<domain::MetricSeries> post_period_series(const domain::Experiment& e) {
  std::vector<domain::MetricSeries> post;
  for (const auto& s : series()) {
    domain::MetricSeries m{s.metric_id, {}};
    for (const auto& p : s.points)
      if (p.timestamp >= e.start_date) m.points.push_back(p);
    post.push_back(std::move(m));
  }
  return post;
}

// CSV import of 10 metrics x 8,760 hours (87,600 rows), as PUT .../results with text/csv.
void BM_ParseResultsCsv(benchmark::State& state) {
  auto e = experiment();
  auto post = post_period_series(e);
  std::string csv = codec::results_to_csv(post, e.start_date);
  codec::UploadRules rules;
  rules.earliest = e.start_date - 30 * domain::kSecondsPerDay;
  rules.end = e.end_date;
  rules.metrics.insert(e.metrics.begin(), e.metrics.end());
  std::size_t rows = 0;
  for (auto _ : state) {
    auto parsed = codec::parse_results_csv(csv, rules);
    if (!parsed.issues.empty()) state.SkipWithError(parsed.issues.front().message.c_str());
    rows = parsed.rows;
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * csv.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_ParseResultsCsv)->Unit(benchmark::kMillisecond);

// The same 87,600 rows as a JSON upload (PUT .../results with application/json), read by each JSON
// path: 0 parse_results_json_fast (its one-pass strict tier takes this text), 1 simdjson's tier on
// its own (the text with an escape in a key of its first point, which the strict tier declines
// and simdjson reads), 2 the general path (parse_json_exact + parse_results_json).
void BM_ParseResultsJson(benchmark::State& state) {
  auto e = experiment();
  auto post = post_period_series(e);
  std::string text;
  codec::append_results_export_json(text, e, post, std::nullopt, {});
  if (state.range(0) == 1) text.replace(text.find("\"timestamp\""), 11, "\"timest\\u0061mp\"");
  codec::UploadRules rules;
  rules.earliest = e.start_date - 30 * domain::kSecondsPerDay;
  rules.end = e.end_date;
  rules.metrics.insert(e.metrics.begin(), e.metrics.end());
  std::size_t rows = 0;
  for (auto _ : state) {
    codec::ParsedUpload parsed;
    if (state.range(0) == 2) {
      boost::system::error_code ec;
      auto v = codec::parse_json_exact(text, ec, 64);
      parsed = codec::parse_results_json(v.as_object(), rules);
    } else if (auto fast = codec::parse_results_json_fast(text, text.capacity(), rules)) {
      parsed = std::move(*fast);
    } else {
      state.SkipWithError("the fast path declined");
      break;
    }
    if (!parsed.issues.empty()) state.SkipWithError(parsed.issues.front().message.c_str());
    rows = parsed.rows;
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_ParseResultsJson)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// One page of GET /experiments (20 rows) as the response body, without the database: the
// handler's writing (api::ok_json, codec::JsonWriter, codec::append_experiment_json).
void BM_ExperimentPageJson(benchmark::State& state) {
  auto e = experiment(3, 14);
  for (auto _ : state) {
    auto r = api::ok_json([&](codec::JsonWriter& w) {
      w.begin_object();
      w.key("experiments").begin_array();
      for (int i = 0; i < 20; ++i)
        codec::append_experiment_json(w.slot(), e, std::optional<std::optional<double>>(std::in_place, 12345.678));
      w.end_array();
      w.key("pagination").begin_object();
      w.key("total").integer(1000).key("limit").integer(20).key("offset").integer(0).key("hasMore").boolean(true);
      w.end_object();
      w.key("summary").begin_object();
      w.key("totalExperiments").integer(1000).key("completedExperiments").integer(400);
      w.key("totalEconomicImpact").number(123456789.5);
      w.end_object();
      w.end_object();
    });
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ExperimentPageJson)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace rallyuxr::bench
