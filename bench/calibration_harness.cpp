#include "calibration_harness.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

#include <boost/math/distributions/students_t.hpp>

#include "stats/math_policy.hpp"
#include "simulate/random.hpp"
#include "stats/analysis.hpp"
#include "stats/segments.hpp"

namespace rallyuxr::calibration {
namespace {

namespace rng = simulate::rng;
using simulate::GeneratorMetric;
using simulate::GeneratorOutput;

namespace bm = boost::math;
using Policy = rallyuxr::stats::MathPolicy;
using StudentT = bm::students_t_distribution<double, Policy>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kAlpha = 0.05;
constexpr domain::UnixSeconds kMonday = 1736121600;  // 2025-01-06T00:00:00Z

// Prices: a percentage point of conversion is worth $1,500 a day; a dollar of revenue per user
// is worth $20,000 a day (about the simulated daily traffic).
constexpr double kPrice[kMetrics] = {1500.0, 20000.0};
constexpr double kUnitSize[kMetrics] = {0.01, 1.0};

GeneratorMetric metric(int m) {
  return {kMetricIds[m], m == 0 ? "%" : "$", domain::Direction::kIncrease};
}

double t_sf(double x, double df) { return bm::cdf(bm::complement(StudentT(df), x)); }
double t_upper(double tail, double df) { return bm::quantile(bm::complement(StudentT(df), tail)); }

struct Moments {
  int n = 0;
  double mean = kNaN;
  double var = kNaN;  // n-1
};

Moments moments(const double* x, std::size_t n) {
  Moments m;
  m.n = static_cast<int>(n);
  if (n == 0) return m;
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  m.mean = s / static_cast<double>(n);
  if (n < 2) return m;
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) ss += (x[i] - m.mean) * (x[i] - m.mean);
  m.var = ss / static_cast<double>(n - 1);
  return m;
}

// A fixed-horizon estimate: Welch of post against pre (did) or a one-sample t (paired).
struct Estimate {
  bool ok = false;
  double delta = kNaN, se = kNaN, df = kNaN, lower = kNaN, upper = kNaN, p = kNaN;
};

Estimate welch_or_paired(const std::vector<double>& post, const std::vector<double>& pre, std::size_t post_n) {
  Estimate e;
  const Moments a = moments(post.data(), post_n);
  if (a.n < 2) return e;
  const bool did = pre.size() >= 2;
  if (did) {
    const Moments b = moments(pre.data(), pre.size());
    const double v1 = a.var / a.n, v0 = b.var / b.n;
    e.delta = a.mean - b.mean;
    e.se = std::sqrt(v1 + v0);
    e.df = (v1 + v0) * (v1 + v0) / (v1 * v1 / (a.n - 1) + v0 * v0 / (b.n - 1));
  } else {
    e.delta = a.mean;
    e.se = std::sqrt(a.var / a.n);
    e.df = a.n - 1;
  }
  if (!(e.se > 0) || !std::isfinite(e.df)) return e;
  const double q = t_upper(kAlpha / 2, e.df);
  e.lower = e.delta - q * e.se;
  e.upper = e.delta + q * e.se;
  e.p = 2 * t_sf(std::fabs(e.delta / e.se), e.df);
  e.ok = std::isfinite(e.lower) && std::isfinite(e.upper);
  return e;
}

// One analysed series: hourly differences of the usable hours with their timestamps.
struct Hourly {
  std::vector<domain::UnixSeconds> ts;
  std::vector<double> d;
};

bool usable(const domain::HourlyPoint& p) {
  return p.treatment_sample_size > 0 && p.control_sample_size > 0 && std::isfinite(p.treatment_value) &&
         std::isfinite(p.control_value);
}

Hourly hourly_differences(const domain::MetricSeries& s, domain::UnixSeconds end) {
  Hourly h;
  for (const auto& p : s.points) {
    if (p.timestamp >= end || !usable(p)) continue;
    h.ts.push_back(p.timestamp);
    h.d.push_back(p.treatment_value - p.control_value);
  }
  return h;
}

// z_t over the hours usable in both metrics (the generator gives both the same hours).
Hourly dollar_series(const std::vector<domain::MetricSeries>& series, domain::UnixSeconds end) {
  Hourly h;
  const auto& a = series[0].points;
  const auto& b = series[1].points;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].timestamp >= end || !usable(a[i]) || !usable(b[i])) continue;
    double z = 0;
    for (int m = 0; m < kMetrics; ++m) {
      const auto& p = m == 0 ? a[i] : b[i];
      z += kPrice[m] / kUnitSize[m] * (p.treatment_value - p.control_value);
    }
    h.ts.push_back(a[i].timestamp);
    h.d.push_back(z);
  }
  return h;
}

// ---- Method 1: every hour an observation ----------------------------------------------------

Estimate hourly_estimate(const Hourly& h, domain::UnixSeconds start, domain::UnixSeconds until) {
  std::vector<double> post, pre;
  for (std::size_t i = 0; i < h.d.size(); ++i) {
    if (h.ts[i] < start) pre.push_back(h.d[i]);
    else if (h.ts[i] < until) post.push_back(h.d[i]);
  }
  return welch_or_paired(post, pre, post.size());
}

// ---- Method 2: daily blocks and the sequential interval (statistics.md, method version 2) ----

struct Blocks {
  std::vector<double> post;  // x_b of the counted post blocks, in order
  std::vector<double> pre;
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Blocks daily_blocks(const Hourly& h, domain::UnixSeconds start) {
  Blocks b;
  std::int64_t current = std::numeric_limits<std::int64_t>::min();
  double sum = 0;
  int n = 0;
  auto flush = [&] {
    if (n == 0) return;
    (current >= 0 ? b.post : b.pre).push_back(sum / n);
  };
  for (std::size_t i = 0; i < h.d.size(); ++i) {
    const std::int64_t block = floor_div(h.ts[i] - start, domain::kSecondsPerDay);
    if (block != current) {
      flush();
      current = block;
      sum = 0;
      n = 0;
    }
    sum += h.d[i];
    ++n;
  }
  flush();
  return b;
}

struct Sequential {
  bool ok = false;
  double lower = kNaN, upper = kNaN, p = 1.0;
  bool decisive = false;
};

// The confidence sequence of statistics.md, looks at k = 7..m1 post blocks (2..m1 when m1 < 7).
Sequential sequential_interval(const Blocks& b, int planned_post_blocks) {
  Sequential s;
  const std::size_t m1 = b.post.size();
  if (m1 < 2) return s;
  const bool did = b.pre.size() >= 2;
  const double m0 = did ? static_cast<double>(b.pre.size()) : 0.0;
  const double n_star = std::max(static_cast<double>(planned_post_blocks) + m0, static_cast<double>(m1) + m0);
  const double la = std::log(kAlpha);
  const double rho2 = (-2 * la + std::log(1 - 2 * la)) / n_star;
  const std::size_t first = m1 < 7 ? 2 : 7;
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  double pmin = 1.0;
  for (std::size_t k = first; k <= m1; ++k) {
    const Estimate e = welch_or_paired(b.post, did ? b.pre : std::vector<double>{}, k);
    if (!(e.se > 0)) continue;
    const double n = static_cast<double>(k) + m0;
    const double a = n * rho2 + 1;
    const double h = e.se * std::sqrt(n) * std::sqrt(2 * a * std::log(std::sqrt(a) / kAlpha) / (n * n * rho2));
    const double p = std::min(1.0, std::sqrt(a) * std::exp(-rho2 * n * e.delta * e.delta / (2 * e.se * e.se * a)));
    const double nlo = std::max(lo, e.delta - h), nhi = std::min(hi, e.delta + h);
    if (nlo > nhi) {
      lo = e.delta - h;
      hi = e.delta + h;
    } else {
      lo = nlo;
      hi = nhi;
    }
    pmin = std::min(pmin, p);
    s.ok = true;
  }
  s.lower = lo;
  s.upper = hi;
  s.p = pmin;
  s.decisive = s.ok && m1 >= 7 && pmin <= kAlpha;
  return s;
}

// ---- Scoring ----------------------------------------------------------------------------------

double acf(const std::vector<double>& x, std::size_t lag) {
  if (x.size() <= lag + 2) return 0;
  const Moments m = moments(x.data(), x.size());
  double num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - m.mean) * (x[i] - m.mean);
    if (i >= lag) num += (x[i] - m.mean) * (x[i - lag] - m.mean);
  }
  return den > 0 ? num / den : 0;
}

void score_interval(Replication& r, int m, bool ok, double lower, double upper, double truth) {
  r.interval[m] = ok;
  if (!ok) return;
  r.covered[m] = lower <= truth && truth <= upper;
  r.excludes_zero[m] = lower > 0 || upper < 0;
  r.right_side[m] = truth != 0 && ((truth > 0 && lower > 0) || (truth < 0 && upper < 0));
  r.width[m] = upper - lower;
  r.lower[m] = lower;
  r.upper[m] = upper;
}

}  // namespace

std::vector<Family> families() {
  const SimulationKnobs ind = SimulationKnobs::independent_hours();
  std::vector<Family> f;
  f.push_back({"independent", "independent hours (the generator before method 2)", ind, std::nullopt});
  for (double phi : {0.3, 0.5, 0.7}) {
    SimulationKnobs k = ind;
    k.hourly_ar = phi;
    k.hourly_ar_scale = 3.0;
    char id[16];
    std::snprintf(id, sizeof id, "ar-%.1f", phi);
    f.push_back({id, "hourly AR(1) of the difference, phi " + std::string(id + 3) + ", scale 3", k, std::nullopt});
  }
  {
    SimulationKnobs k = ind;
    k.day_shock_common = 0.05;
    k.day_shock_difference = 0.08;
    f.push_back({"day-shocks", "day shocks: 5% common, 8% between the groups", k, std::nullopt});
  }
  {
    SimulationKnobs k = ind;
    k.revenue_lognormal_sigma = 1.5;
    f.push_back({"heavy-tails", "lognormal revenue (log-sd 1.5, 3.2% of users pay)", k, std::nullopt});
  }
  f.push_back({"low-traffic", "600 user-hours a day (about 12 per group and hour)", ind, 600.0});
  {
    SimulationKnobs k = ind;
    k.novelty_boost = 1.0;
    k.novelty_decay_days = 3.0;
    f.push_back({"novelty", "novelty: lift doubled at the start, decaying over 3 days", k, std::nullopt});
  }
  f.push_back({"realistic", "the generator's defaults (a realistic mix of all of the above)", SimulationKnobs{},
               std::nullopt});
  {
    SimulationKnobs k = ind;
    k.pre_gap = 0.05;
    f.push_back({"pre-gap", "treatment 5% above control before and after the start", k, std::nullopt});
  }
  return f;
}

const Family* find_family(const std::string& id) {
  static const std::vector<Family> all = families();
  for (const auto& f : all) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const char* to_string(Method m) {
  switch (m) {
    case Method::kAnalyze: return "analyze";
    case Method::kHourly: return "hourly";
    case Method::kBlocks: return "blocks";
  }
  return "?";
}

std::optional<Method> parse_method(const std::string& s) {
  for (Method m : {Method::kAnalyze, Method::kHourly, Method::kBlocks}) {
    if (s == to_string(m)) return m;
  }
  return std::nullopt;
}

std::uint64_t replication_seed(const Cell& cell, int r) {
  std::uint64_t h = rng::fnv1a64(cell.family ? cell.family->id : std::string());
  h = rng::mix64(h ^ static_cast<std::uint64_t>(cell.post_days) * 0x9e3779b97f4a7c15ULL);
  h = rng::mix64(h ^ static_cast<std::uint64_t>(cell.pre_days + 1000) * 0xc2b2ae3d27d4eb4fULL);
  h = rng::mix64(h ^ static_cast<std::uint64_t>(std::llround(cell.lift * 1e6) + (1LL << 40)));
  // The design does not enter the seed: did and paired analyse the same simulated experiments.
  return rng::mix64(h ^ static_cast<std::uint64_t>(r));
}

Replication run_replication(const Cell& cell, Method method, std::uint64_t seed) {
  GeneratorInput in;
  in.start_date = kMonday + static_cast<domain::UnixSeconds>(seed % 7) * domain::kSecondsPerDay;
  in.end_date = in.start_date + static_cast<domain::UnixSeconds>(cell.post_days) * domain::kSecondsPerDay;
  in.pre_period_days = cell.pre_days;
  in.seed = seed;
  in.knobs = cell.family->knobs;
  in.daily_traffic = cell.family->daily_traffic;
  for (int m = 0; m < kMetrics; ++m) {
    in.metrics.push_back(metric(m));
    in.true_lift[kMetricIds[m]] = cell.lift;
  }
  const GeneratorOutput data = simulate::generate_with_users(in);
  double truth[kMetrics];
  double truth_total = 0;
  for (int m = 0; m < kMetrics; ++m) {
    truth[m] = simulate::true_effect(in, in.metrics[static_cast<std::size_t>(m)]);
    truth_total += kPrice[m] / kUnitSize[m] * truth[m];
  }
  const double days = static_cast<double>(cell.post_days);
  truth_total *= days;

  Replication r;
  {
    const Hourly conv = hourly_differences(data.metrics[0], in.end_date);
    std::vector<double> post;
    for (std::size_t i = 0; i < conv.d.size(); ++i) {
      if (conv.ts[i] >= in.start_date) post.push_back(conv.d[i]);
    }
    r.lag1_acf = acf(post, 1);
    r.lag24_acf = acf(post, 24);
  }

  if (method == Method::kAnalyze) {
    stats::AnalysisInput ain;
    ain.start_date = in.start_date;
    ain.end_date = in.end_date;
    ain.metrics = data.metrics;
    for (int m = 0; m < kMetrics; ++m) {
      ain.pricing[kMetricIds[m]] = domain::MetricPricing{kPrice[m], kUnitSize[m], domain::Direction::kIncrease};
    }
    ain.unique_users = data.unique_users;
    ain.design = cell.design;
    const auto out = stats::analyze(ain);
    for (int m = 0; m < kMetrics; ++m) {
      const auto& res = out.did_results.at(kMetricIds[m]);
      const bool ok = res.confidence_interval.has_value();
      score_interval(r, m, ok, ok ? res.confidence_interval->lower : 0, ok ? res.confidence_interval->upper : 0,
                     truth[m]);
    }
    const auto& ti = out.economic_impact.total_impact_interval;
    if (ti) {
      r.total_interval = true;
      r.total_covered = ti->lower <= truth_total && truth_total <= ti->upper;
      r.total_excludes_zero = ti->lower > 0 || ti->upper < 0;
    }
    r.srm_detected = out.srm.detected;
    const auto& seq = out.did_results.at(kMetricIds[0]).sequential;
    r.peeking_positive = seq && seq->decisive;
    if (seq && seq->interval) r.sequential_width = seq->interval->upper - seq->interval->lower;
    return r;
  }

  const Hourly total = dollar_series(data.metrics, in.end_date);
  if (method == Method::kHourly) {
    for (int m = 0; m < kMetrics; ++m) {
      const Estimate e = hourly_estimate(hourly_differences(data.metrics[static_cast<std::size_t>(m)], in.end_date),
                                         in.start_date, in.end_date);
      score_interval(r, m, e.ok, e.lower, e.upper, truth[m]);
    }
    const Estimate z = hourly_estimate(total, in.start_date, in.end_date);
    if (z.ok) {
      r.total_interval = true;
      r.total_covered = z.lower * days <= truth_total && truth_total <= z.upper * days;
      r.total_excludes_zero = z.lower > 0 || z.upper < 0;
    }
    if (cell.lift == 0.0) {
      const Hourly conv = hourly_differences(data.metrics[0], in.end_date);
      bool any = false;
      for (int day = 1; day <= cell.post_days && !any; ++day) {
        const Estimate e = hourly_estimate(conv, in.start_date,
                                           in.start_date + static_cast<domain::UnixSeconds>(day) * domain::kSecondsPerDay);
        any = e.ok && e.p < kAlpha;
      }
      r.peeking_positive = any;
    }
    return r;
  }

  // Method 2 restated from the spec: did with >= 2 pre blocks, else paired.
  const bool paired = cell.design == domain::AnalysisDesign::kPaired;
  for (int m = 0; m < kMetrics; ++m) {
    Blocks b = daily_blocks(hourly_differences(data.metrics[static_cast<std::size_t>(m)], in.end_date),
                            in.start_date);
    if (paired) b.pre.clear();
    const Estimate e = welch_or_paired(b.post, b.pre.size() >= 2 ? b.pre : std::vector<double>{}, b.post.size());
    score_interval(r, m, e.ok, e.lower, e.upper, truth[m]);
    if (m == 0) {
      const Sequential s = sequential_interval(b, cell.post_days);
      r.peeking_positive = s.decisive;
      if (s.ok) r.sequential_width = s.upper - s.lower;
    }
  }
  Blocks zb = daily_blocks(total, in.start_date);
  if (paired) zb.pre.clear();
  const Estimate z = welch_or_paired(zb.post, zb.pre.size() >= 2 ? zb.pre : std::vector<double>{}, zb.post.size());
  if (z.ok) {
    r.total_interval = true;
    r.total_covered = z.lower * days <= truth_total && truth_total <= z.upper * days;
    r.total_excludes_zero = z.lower > 0 || z.upper < 0;
  }
  // SRM on the unique users (Pearson chi-square, df 1 = a squared normal).
  const double ut = static_cast<double>(data.unique_users.treatment);
  const double uc = static_cast<double>(data.unique_users.control);
  if (ut + uc > 0) {
    const double e = (ut + uc) / 2;
    const double chi = (ut - e) * (ut - e) / e + (uc - e) * (uc - e) / e;
    r.srm_detected = std::erfc(std::sqrt(chi / 2)) < 0.001;
  }
  return r;
}

void Summary::add(const Replication& r) {
  ++runs;
  for (int m = 0; m < kMetrics; ++m) {
    interval[m] += r.interval[m];
    covered[m] += r.covered[m];
    excludes_zero[m] += r.excludes_zero[m];
    right_side[m] += r.right_side[m];
    mean_width[m] += r.width[m];
  }
  total_interval += r.total_interval;
  total_covered += r.total_covered;
  total_excludes_zero += r.total_excludes_zero;
  if (r.peeking_positive) {
    ++peeking_runs;
    peeking_positive += *r.peeking_positive;
  }
  mean_sequential_width += r.sequential_width;
  srm_detected += r.srm_detected;
  mean_lag1_acf += r.lag1_acf;
  mean_lag24_acf += r.lag24_acf;
}

void Summary::finish() {
  for (int m = 0; m < kMetrics; ++m) {
    if (interval[m] > 0) mean_width[m] /= interval[m];
  }
  if (runs > 0) {
    mean_sequential_width /= runs;
    mean_lag1_acf /= runs;
    mean_lag24_acf /= runs;
  }
}

Summary run_cell(const Cell& cell, Method method, int replications, int threads) {
  std::vector<Replication> results(static_cast<std::size_t>(std::max(replications, 0)));
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int r = next++; r < replications; r = next++) {
      results[static_cast<std::size_t>(r)] = run_replication(cell, method, replication_seed(cell, r));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(threads, 1); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  Summary s;
  for (const auto& r : results) s.add(r);  // in replication order: the same sums for any thread count
  s.finish();
  return s;
}

std::uint64_t segment_replication_seed(const SegmentCell& cell, int r) {
  Cell c{cell.family, cell.post_days, cell.pre_days, cell.lift};
  return rng::mix64(replication_seed(c, r) ^ (cell.heterogeneous ? 0x5e9a11ULL : 0x5e9a10ULL));
}

SegmentReplication run_segment_replication(const SegmentCell& cell, std::uint64_t seed) {
  GeneratorInput in;
  in.start_date = kMonday + static_cast<domain::UnixSeconds>(seed % 7) * domain::kSecondsPerDay;
  in.end_date = in.start_date + static_cast<domain::UnixSeconds>(cell.post_days) * domain::kSecondsPerDay;
  in.pre_period_days = cell.pre_days;
  in.seed = seed;
  in.knobs = cell.family->knobs;
  in.daily_traffic = cell.family->daily_traffic;
  for (int m = 0; m < kMetrics; ++m) {
    in.metrics.push_back(metric(m));
    in.true_lift[kMetricIds[m]] = cell.lift;
  }
  in.segments = simulate::device_segments();
  if (!cell.heterogeneous)
    for (auto& s : in.segments) s.lift_multiplier = 1.0;
  const GeneratorOutput data = simulate::generate_with_users(in);

  stats::AnalysisInput ain;
  ain.start_date = in.start_date;
  ain.end_date = in.end_date;
  ain.metrics = data.metrics;
  for (int m = 0; m < kMetrics; ++m)
    ain.pricing[kMetricIds[m]] = domain::MetricPricing{kPrice[m], kUnitSize[m], domain::Direction::kIncrease};
  ain.unique_users = data.unique_users;
  const auto overall = stats::analyze(ain);
  const auto segs = stats::analyze_segments(ain, data.segments);

  SegmentReplication r;
  const auto& dim = segs.segments.at(in.segment_dimension);
  double dollars = 0;
  bool all_totals = overall.economic_impact.total_impact && overall.economic_impact.total_impact_interval;
  for (const auto& seg : in.segments) {
    const auto& res = dim.at(seg.name);
    const GeneratorInput si = simulate::segment_input(in, seg);
    for (int m = 0; m < kMetrics; ++m) {
      const auto& mr = res.did_results.at(kMetricIds[m]);
      if (!mr.confidence_interval) continue;
      const double truth = simulate::true_effect(si, si.metrics[static_cast<std::size_t>(m)]);
      ++r.intervals;
      r.covered += mr.confidence_interval->lower <= truth && truth <= mr.confidence_interval->upper;
    }
    if (res.economic_impact.total_impact) {
      dollars += *res.economic_impact.total_impact;
    } else {
      all_totals = false;
    }
  }
  for (int m = 0; m < kMetrics; ++m) {
    const auto& h = segs.heterogeneity.at(in.segment_dimension).at(kMetricIds[m]);
    if (h.df > 0) {
      r.q_tests[m] = 1;
      // Q's own chi-square verdict: `significant` follows Welch's test wherever it exists.
      r.q_significant[m] = h.p_value < kAlpha;
    }
    if (h.welch) {
      r.welch_tests[m] = 1;
      r.welch_significant[m] = h.welch->p_value < kAlpha;
    }
  }
  if (all_totals) {
    const auto& iv = *overall.economic_impact.total_impact_interval;
    const double width = iv.upper - iv.lower;
    if (width > 0) {
      r.split = true;
      r.split_gap = std::fabs(dollars - *overall.economic_impact.total_impact) / width;
    }
  }
  return r;
}

SegmentSummary run_segment_cell(const SegmentCell& cell, int replications, int threads) {
  std::vector<SegmentReplication> results(static_cast<std::size_t>(std::max(replications, 0)));
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int r = next++; r < replications; r = next++) {
      results[static_cast<std::size_t>(r)] = run_segment_replication(cell, segment_replication_seed(cell, r));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(threads, 1); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  SegmentSummary s;
  for (const auto& r : results) {
    ++s.runs;
    s.intervals += r.intervals;
    s.covered += r.covered;
    for (int m = 0; m < kMetrics; ++m) {
      s.q_tests[m] += r.q_tests[m];
      s.q_significant[m] += r.q_significant[m];
      s.welch_tests[m] += r.welch_tests[m];
      s.welch_significant[m] += r.welch_significant[m];
    }
    if (r.split) {
      ++s.splits;
      s.mean_split_gap += r.split_gap;
      s.max_split_gap = std::max(s.max_split_gap, r.split_gap);
    }
  }
  if (s.splits > 0) s.mean_split_gap /= s.splits;
  return s;
}

}  // namespace rallyuxr::calibration
