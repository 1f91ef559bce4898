// Checks that the direct JSON text writers (codec::append_experiment_json, codec::append_results_json)
// give exactly the bytes of the DOM path (to_json_text of experiment_to_json / results_to_json),
// on ordinary and awkward inputs. Run by ctest (bench.text_writers) and by `make bench`.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "codec/json_io.hpp"
#include "fixtures.hpp"

namespace {

using namespace rallyuxr;
int failures = 0;

void expect_same(const std::string& what, const std::string& text, const std::string& dom) {
  if (text == dom) return;
  ++failures;
  std::size_t i = 0;
  while (i < text.size() && i < dom.size() && text[i] == dom[i]) ++i;
  std::fprintf(stderr, "MISMATCH %s at byte %zu\n  text: %.200s\n  dom:  %.200s\n", what.c_str(), i,
               text.c_str() + (i > 120 ? i - 120 : 0), dom.c_str() + (i > 120 ? i - 120 : 0));
}

void check_experiment(const std::string& what, const domain::Experiment& e) {
  std::string t;
  codec::append_experiment_json(t, e);
  expect_same(what, t, codec::to_json_text(codec::experiment_to_json(e)));
  for (std::optional<double> impact : {std::optional<double>(), std::optional<double>(-1234.5678),
                                       std::optional<double>(std::numeric_limits<double>::infinity())}) {
    auto o = codec::experiment_to_json(e);
    o["economicImpact"] = codec::number_or_null(impact);
    std::string t2;
    codec::append_experiment_json(t2, e, impact);
    expect_same(what + " +economicImpact", t2, codec::to_json_text(o));
  }
}

void check_results(const std::string& what, const domain::Experiment& e, const store::StoredResults& r) {
  std::string t = "prefix";
  codec::append_results_json(t, e, r);
  expect_same(what, t, "prefix" + codec::to_json_text(codec::results_to_json(e, r)));
}

}  // namespace

int main() {
  auto e = bench::experiment(3, 14);
  check_experiment("plain", e);
  auto f = e;
  f.name = "Quotes \" and \\ and \n and \x01 and unicode \xc3\xa9";
  f.created_by = "ana@example.com";
  f.implementation_cost.reset();
  f.confidence_level = 97.5;
  f.traffic_split = 0.3333333333333333;
  f.end_date = f.start_date + 36 * 3600 + 17;  // fractional durationDays
  f.simulation = domain::SimulationConfig{};
  f.simulation->seed = 18446744073709551615ull;
  f.simulation->pre_period_days = 0;
  f.simulation->daily_traffic = 12345.5;
  f.simulation->true_lift = {{"conversion_rate", 0.05}, {"bounce_rate", -1e-7}};
  check_experiment("awkward", f);
  f.simulation->seed.reset();
  f.simulation->daily_traffic.reset();
  f.simulation->true_lift.clear();
  f.metrics.clear();
  check_experiment("empty sim, no metrics", f);
  for (domain::UnixSeconds t : {0LL, -1LL, -86400LL * 365 * 3 - 7, 951782400LL /* 2000-02-29 */, 4102444799LL,
                                253402300799LL /* 9999-12-31T23:59:59 */, 253402300800LL /* year 10000 */,
                                -62167219200LL /* 0000-01-01 */, -62167219201LL}) {
    auto g = e;
    g.created_at = g.updated_at = g.start_date = t;
    g.end_date = t + 3600;
    check_experiment("timestamp " + std::to_string(t), g);
  }

  check_results("10 x 365 days", bench::experiment(), bench::stored_results());
  check_results("3 x 14 days", e, bench::stored_results(3, 14));
  auto r = bench::stored_results(3, 14);
  r.metrics[0].points[5].treatment_value = std::nan("");
  r.metrics[1].points[7].control_value = -std::numeric_limits<double>::infinity();
  r.metrics[2].points.clear();
  r.metrics[1].points[9].treatment_sample_size = 0;
  r.metrics[1].points[400].control_sample_size = 0;
  r.metrics.push_back(r.metrics[0]);  // a repeated id: first place, last content
  r.metrics.back().points.resize(10);
  r.metrics.push_back(domain::MetricSeries{"extra_metric", {}});
  check_results("non-finite, empty, repeated", e, r);
  store::StoredResults none;
  check_results("no metrics", e, none);
  auto late = e;
  late.start_date = late.end_date = late.start_date + 1000 * 86400;  // every point in the pre period
  check_results("all pre", late, bench::stored_results(3, 14));

  if (failures) {
    std::fprintf(stderr, "%d mismatches\n", failures);
    return 1;
  }
  std::puts("text writers: identical to the DOM path on every case");
  return 0;
}
