// Does an experiment sized by the planner detect its effect as often as promised?
//
// For each metric family and design: draw a history (28 or 56 days of hourly data, no treatment) and the
// experiment that follows it (14 days), plan from the history alone (stats::plan, 80% power,
// 95%), give the treatment group the planned minimum detectable effect for 14 days, analyse with
// stats::analyze and count a detection when the analysis is significant in the right direction.
// Every run draws its own history, so the rate includes the planner's own estimation error, as a
// team would meet it. Goal: 80% +- 3% over 2,000 runs.
//
// Families: the results generator's realistic data (simulate::generate; a rate and a per-user
// mean), hourly differences with AR(1) dependence (phi 0.7) and day-level shocks, and heavy-tailed
// (Student t with 3 df) hourly noise with day-level shocks.
//
// Then times a plan over 10 metrics and 8 weeks of hourly history (the route's whole step:
// import-format parse, planner, JSON), for docs/performance.md.
//
//   build/bench/plan_calibration [runs]      (default 2000)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "api/plans.hpp"
#include "app/catalogue.hpp"
#include "domain/time.hpp"
#include "simulate/generator.hpp"
#include "stats/analysis.hpp"
#include "stats/plan.hpp"

namespace {

using namespace rallyuxr;
using domain::HourlyPoint;
using domain::MetricSeries;
using domain::UnixSeconds;

constexpr UnixSeconds kStart = 1736899200;  // 2025-01-15
int kHistoryDays = 28;  // set per table by main()
constexpr int kDays = 14;
constexpr int kPreDays = 14;
constexpr double kPower = 0.8;

enum class Family { kGeneratorRate, kGeneratorMean, kAutocorrelated, kHeavyTailed };

const char* name_of(Family f) {
  switch (f) {
    case Family::kGeneratorRate: return "simulator, conversion_rate (binomial rate)";
    case Family::kGeneratorMean: return "simulator, revenue_per_user (per-user mean)";
    case Family::kAutocorrelated: return "AR(1) hourly dependence (phi 0.7) + day shocks";
    case Family::kHeavyTailed: return "heavy-tailed (t, 3 df) hourly noise + day shocks";
  }
  return "";
}

// kHistoryDays of history before kStart and kDays after it, no effect.
MetricSeries draw(Family f, std::uint64_t seed) {
  if (f == Family::kGeneratorRate || f == Family::kGeneratorMean) {
    simulate::GeneratorInput in;
    // No lift anywhere: the generator's own period covers history and experiment alike (its pre
    // period is at most 30 days), and the effect is added below.
    in.start_date = kStart - kHistoryDays * domain::kSecondsPerDay;
    in.end_date = kStart + kDays * domain::kSecondsPerDay;
    in.pre_period_days = 0;
    in.seed = seed;
    const bool rate = f == Family::kGeneratorRate;
    simulate::GeneratorMetric m{rate ? "conversion_rate" : "revenue_per_user", rate ? "%" : "$",
                                domain::Direction::kIncrease};
    in.metrics.push_back(m);
    in.true_lift[m.metric_id] = 0.0;
    return simulate::generate(in).front();
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::student_t_distribution<double> t3(3.0);
  MetricSeries s{"aov", {}};
  const int hours = (kHistoryDays + kDays) * 24;
  double ar = 0, shock = 0;
  for (int h = 0; h < hours; ++h) {
    if (h % 24 == 0) shock = 0.6 * z(rng);
    double noise;
    if (f == Family::kAutocorrelated) {
      ar = 0.7 * ar + std::sqrt(1 - 0.49) * z(rng);
      noise = ar;
    } else {
      noise = t3(rng) / std::sqrt(3.0);  // unit variance
    }
    const double base = 80 + 5 * std::sin(2 * M_PI * (h % 24) / 24.0);
    const double c = base + 0.5 * z(rng);
    s.points.push_back({kStart - kHistoryDays * domain::kSecondsPerDay + h * domain::kSecondsPerHour,
                        c + shock + noise, c, 500, 500});
  }
  return s;
}

struct Row {
  std::string family, design;
  int runs = 0, detected = 0;
  double mean_mde = 0;
};

Row calibrate(Family f, domain::AnalysisDesign design, int runs) {
  Row row;
  row.family = name_of(f);
  row.design = design == domain::AnalysisDesign::kDid ? "did" : "paired";
  const domain::MetricPricing price{100.0, 1.0, domain::Direction::kIncrease};
  for (int r = 0; r < runs; ++r) {
    MetricSeries all = draw(f, 1000003ULL * static_cast<std::uint64_t>(f) + 7919ULL * static_cast<std::uint64_t>(r) +
                                   (design == domain::AnalysisDesign::kDid ? 17 : 0));
    // The plan sees the history only.
    stats::PlanInput pin;
    MetricSeries hist{all.metric_id, {}};
    for (const auto& p : all.points)
      if (p.timestamp < kStart) hist.points.push_back(p);
    pin.metrics.push_back(hist);
    pin.pricing[all.metric_id] = price;
    pin.origin = pin.end = kStart;
    pin.power = kPower;
    pin.design = design;
    pin.pre_days = kPreDays;
    pin.durations = {kDays};
    const stats::PlanOutput plan = stats::plan(pin);
    const auto& mde = plan.durations.front().metrics.front().second.mde;
    if (!mde) continue;
    row.mean_mde += *mde;
    // The experiment: the last kPreDays of history as its pre period, kDays with the planned effect.
    stats::AnalysisInput ain;
    ain.start_date = kStart;
    ain.end_date = kStart + kDays * domain::kSecondsPerDay;
    ain.design = design;
    MetricSeries exp{all.metric_id, {}};
    for (auto p : all.points) {
      if (p.timestamp < kStart - kPreDays * domain::kSecondsPerDay) continue;
      if (p.timestamp >= kStart) p.treatment_value += *mde;
      exp.points.push_back(p);
    }
    ain.metrics.push_back(std::move(exp));
    ain.pricing[all.metric_id] = price;
    const auto out = stats::analyze(ain);
    const auto& res = out.did_results.at(all.metric_id);
    ++row.runs;
    if (res.p_value && *res.p_value < out.alpha && res.absolute_difference && *res.absolute_difference > 0)
      ++row.detected;
  }
  if (row.runs) row.mean_mde /= row.runs;
  return row;
}

// POST /api/plans' whole step for 10 metrics x 8 weeks of hours: median over repetitions.
void time_large_plan() {
  const auto catalogue = app::default_catalogue(kStart);
  boost::json::object metrics;
  boost::json::array ids;
  std::mt19937_64 rng(10);
  std::normal_distribution<double> z;
  for (std::size_t k = 0; k < 10 && k < catalogue.size(); ++k) {
    const auto& id = catalogue[k].metric_id;
    ids.emplace_back(id);
    boost::json::array ts;
    for (int h = 0; h < 56 * 24; ++h) {
      boost::json::object p;
      p["timestamp"] = domain::format_iso8601(kStart - 56 * domain::kSecondsPerDay + h * domain::kSecondsPerHour);
      const double c = 0.3 + 0.01 * z(rng);
      p["treatmentValue"] = c + 0.01 * z(rng);
      p["controlValue"] = c;
      p["treatmentSampleSize"] = 800;
      p["controlSampleSize"] = 800;
      ts.push_back(std::move(p));
    }
    boost::json::object m;
    m["timeSeries"] = std::move(ts);
    metrics[id] = std::move(m);
  }
  boost::json::object hist;
  hist["metrics"] = std::move(metrics);
  boost::json::object body;
  body["metrics"] = ids;
  body["targetDailyDollarImpact"] = 5000;
  boost::json::object source;
  source["history"] = std::move(hist);
  body["source"] = std::move(source);
  const std::string text = boost::json::serialize(body);

  std::vector<double> whole, planner;
  std::size_t bytes = 0;
  for (int i = 0; i < 25; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto parsed = boost::json::parse(text).as_object();
    const std::string out = api::plan_data_json(parsed, catalogue, api::PlanSources{});
    const auto t1 = std::chrono::steady_clock::now();
    bytes = out.size();
    whole.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  // The planner alone, on the same hours.
  stats::PlanInput pin;
  for (std::size_t k = 0; k < 10; ++k) {
    MetricSeries s{catalogue[k].metric_id, {}};
    for (int h = 0; h < 56 * 24; ++h) {
      const double c = 0.3 + 0.01 * z(rng);
      s.points.push_back({kStart - 56 * domain::kSecondsPerDay + h * domain::kSecondsPerHour, c + 0.01 * z(rng), c, 800, 800});
    }
    pin.metrics.push_back(std::move(s));
    pin.pricing[catalogue[k].metric_id] = catalogue[k].pricing();
  }
  pin.origin = pin.end = kStart;
  for (int i = 0; i < 25; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = stats::plan(pin);
    const auto t1 = std::chrono::steady_clock::now();
    if (out.durations.size() != 50) std::abort();
    planner.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(whole.begin(), whole.end());
  std::sort(planner.begin(), planner.end());
  std::printf("\nPlan over 10 metrics x 8 weeks of hourly history (13,440 points, %zu-byte body, %zu-byte answer):\n",
              text.size(), bytes);
  std::printf("  whole step (JSON parse + import-format check + plan + JSON): median %.2f ms, max %.2f ms (25 runs)\n",
              whole[whole.size() / 2], whole.back());
  std::printf("  stats::plan alone:                                            median %.2f ms, max %.2f ms (25 runs)\n",
              planner[planner.size() / 2], planner.back());
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
  bool all_ok = true;
  for (int hist : {28, 56}) {
    kHistoryDays = hist;
    std::printf("Planner calibration: %d runs per row; history %d days, experiment %d days, did pre period %d days,\n"
                "effect = the plan's MDE at 80%% power, 95%% (goal: detected in 80%% +- 3%% of runs)\n\n",
                runs, kHistoryDays, kDays, kPreDays);
    std::printf("| Family | Design | History | Runs | Detected | Rate | Within 80%% +- 3%% |\n|---|---|---|---|---|---|---|\n");
    for (Family f : {Family::kGeneratorRate, Family::kGeneratorMean, Family::kAutocorrelated, Family::kHeavyTailed}) {
      for (auto d : {domain::AnalysisDesign::kPaired, domain::AnalysisDesign::kDid}) {
        const Row r = calibrate(f, d, runs);
        const double rate = r.runs ? static_cast<double>(r.detected) / r.runs : 0;
        const bool ok = std::fabs(rate - kPower) <= 0.03 + 1e-12;
        all_ok = all_ok && ok;
        std::printf("| %s | %s | %d days | %d | %d | %.1f%% | %s |\n", r.family.c_str(), r.design.c_str(), hist, r.runs,
                    r.detected, 100 * rate, ok ? "yes" : "NO");
        std::fflush(stdout);
      }
    }
    std::printf("\n");
  }
  time_large_plan();
  std::printf("\n%s\n", all_ok ? "All rows within 80% +- 3%." : "Some rows are outside 80% +- 3% (see above).");
  return 0;
}
