// The analysis method of shared/spec/statistics.md, method version 2. See analysis.hpp and
// docs/statistics.md.
//
// Numerics: every mean and variance is computed in two passes (sums, then sums of squared
// deviations from the mean), which matches numpy/scipy to a few ulp and gives an exact zero for a
// constant series (a constant series is also detected explicitly by min == max, so rounding in the
// mean can never turn "no variation" into a tiny positive variance). Tail probabilities use the
// survival function directly (cdf(complement(...))), never 1 - cdf. Boost errors are mapped to NaN
// by the policy (stats/math_policy.hpp), and every NaN/Inf is turned into std::nullopt with a warning before it
// leaves this file.
#include "stats/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "stats/math_policy.hpp"
#include "stats/multiple_testing.hpp"

namespace rallyuxr::stats {
namespace {

namespace bm = boost::math;

using Policy = MathPolicy;
using StudentT = bm::students_t_distribution<double, Policy>;
using ChiSquared = bm::chi_squared_distribution<double, Policy>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPower = 0.8;               // for the minimum detectable effect
constexpr double kTrendAlpha = 0.05;         // parallel trends / effect trend
constexpr double kSrmAlpha = 0.001;
constexpr std::int64_t kFullDayHours = 12;   // a counted block with fewer usable hours is partial
constexpr std::size_t kFirstSequentialLook = 7;
constexpr double kZeroBaselineTolerance = 1e-12;  // relative to treatmentMean

bool valid_df(double df) { return std::isfinite(df) && df > 0; }

// Survival function S_t(x; df) = P(T > x), computed directly.
double t_sf(double x, double df) {
  if (!valid_df(df) || std::isnan(x)) return kNaN;
  return bm::cdf(bm::complement(StudentT(df), x));
}
// The upper quantile: x with S_t(x; df) = tail.
double t_upper_quantile(double tail, double df) {
  if (!valid_df(df) || !(tail > 0 && tail < 1)) return kNaN;
  return bm::quantile(bm::complement(StudentT(df), tail));
}
double t_quantile(double p, double df) {
  if (!valid_df(df) || !(p > 0 && p < 1)) return kNaN;
  return bm::quantile(StudentT(df), p);
}
double chi2_sf(double x, double df) {
  if (!valid_df(df) || !(x >= 0)) return kNaN;
  if (std::isinf(x)) return 0;
  return bm::cdf(bm::complement(ChiSquared(df), x));
}

std::optional<double> opt(double x) {
  if (std::isfinite(x)) return x;
  return std::nullopt;
}

std::optional<Interval> opt_interval(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return std::nullopt;
  return Interval{std::min(lo, hi), std::max(lo, hi)};
}

std::string format_number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Sample sizes are positive; a sum that would overflow stays at the maximum.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::int64_t>::max() : r;
}

bool usable(const domain::HourlyPoint& p) {
  return p.treatment_sample_size > 0 && p.control_sample_size > 0 && std::isfinite(p.treatment_value) &&
         std::isfinite(p.control_value);
}

// b(t) = floor((t - startDate) / 86,400 s).
std::int64_t block_of(domain::UnixSeconds t, domain::UnixSeconds start) {
  const std::int64_t diff = t - start;
  std::int64_t q = diff / domain::kSecondsPerDay;
  if (diff % domain::kSecondsPerDay != 0 && diff < 0) --q;
  return q;
}

// Mean and sample variance (n-1) of values[first, last), two passes; the variance is exactly 0 for
// a constant series and NaN for fewer than 2 values.
struct Moments {
  std::size_t n = 0;
  double mean = kNaN;
  double var = kNaN;
};

template <class Get>
Moments moments(std::size_t n, Get get) {
  Moments m;
  m.n = n;
  if (n == 0) return m;
  double sum = 0;
  double lo = kInf;
  double hi = -kInf;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = get(i);
    sum += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  m.mean = sum / static_cast<double>(n);
  if (n < 2) return m;
  if (lo == hi) {
    m.var = 0;
    return m;
  }
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dev = get(i) - m.mean;
    ss += dev * dev;
  }
  m.var = ss / static_cast<double>(n - 1);
  return m;
}

Moments moments(const std::vector<double>& v) {
  return moments(v.size(), [&](std::size_t i) { return v[i]; });
}

// The block estimator of statistics.md on the block means of the post blocks and of the pre blocks
// (used by did only).
struct Estimate {
  std::optional<double> delta;
  std::optional<double> se;
  std::optional<double> df;
  std::optional<double> t;
  std::optional<double> p;
  std::optional<double> q;          // F_t^{-1}(1 - alpha/2; df)
  std::optional<Interval> ci;
  std::optional<double> mde;
  std::optional<double> prob_up;    // F_t(t; df): probability the true effect is > 0
  std::optional<double> prob_down;  // 1 - F_t(t; df), as a survival function
  Moments post;                     // of the post block means
  double v0 = kNaN;                 // s^2(x_pre)/m0 (did)
  enum class Issue { kNone, kNoPost, kOnePost, kZeroSe, kNonFinite } issue = Issue::kNone;
};

}  // namespace

StandardError block_standard_error(bool did, double var_post, double m1, double var_pre, double m0) {
  StandardError r{kNaN, kNaN};
  if (did) {
    const double vn1 = var_post / m1;
    const double vn0 = var_pre / m0;
    r.se = std::sqrt(vn1 + vn0);
    r.df = (vn1 + vn0) * (vn1 + vn0) / (vn1 * vn1 / (m1 - 1) + vn0 * vn0 / (m0 - 1));
  } else {
    r.se = std::sqrt(var_post / m1);
    r.df = m1 - 1;
  }
  return r;
}

double minimum_detectable_effect(double se, double df, double alpha, double power) {
  return (t_upper_quantile(alpha / 2, df) + t_quantile(power, df)) * se;
}

double detection_power(double effect, double se, double df, double alpha) {
  if (!(se > 0) || !std::isfinite(effect)) return kNaN;
  const double x = effect / se - t_upper_quantile(alpha / 2, df);
  if (!valid_df(df) || std::isnan(x)) return kNaN;
  return bm::cdf(StudentT(df), x);
}

namespace {

Estimate estimate(const std::vector<double>& post, const Moments& pre, bool did, double alpha) {
  Estimate e;
  const std::size_t k = post.size();
  if (k == 0) {
    e.issue = Estimate::Issue::kNoPost;
    return e;
  }
  e.post = moments(post);
  const Moments& m1 = e.post;
  e.delta = opt(did ? m1.mean - pre.mean : m1.mean);
  if (k < 2) {
    e.issue = Estimate::Issue::kOnePost;
    return e;
  }
  const double n1 = static_cast<double>(k);
  const double n0 = static_cast<double>(pre.n);
  if (did) e.v0 = pre.var / n0;
  const StandardError sd = block_standard_error(did, m1.var, n1, pre.var, n0);
  const double se = sd.se;
  const double df = sd.df;
  e.se = opt(se);
  e.df = opt(df);  // NaN (0/0) for a did whose two periods are both constant
  if (!e.delta || !e.se) {
    e.issue = Estimate::Issue::kNonFinite;
    return e;
  }
  if (se == 0) {
    e.issue = Estimate::Issue::kZeroSe;
    return e;
  }
  if (!e.df) {
    e.issue = Estimate::Issue::kNonFinite;
    return e;
  }
  const double delta = *e.delta;
  const double t = delta / se;
  e.t = opt(t);
  if (!e.t) {
    e.issue = Estimate::Issue::kNonFinite;
    return e;
  }
  const double tail = t_sf(std::fabs(t), df);  // S_t(|t|; df), computed directly
  e.p = opt(2 * tail);
  const double q = t_upper_quantile(alpha / 2, df);
  e.q = opt(q);
  if (std::isfinite(q)) {
    e.ci = opt_interval(delta - q * se, delta + q * se);
    e.mde = opt(minimum_detectable_effect(se, df, alpha, kPower));
  }
  if (std::isfinite(tail)) {
    // Of F_t(t) and 1 - F_t(t), the smaller is the tail itself, the larger 1 - tail.
    e.prob_up = t >= 0 ? 1 - tail : tail;
    e.prob_down = t >= 0 ? tail : 1 - tail;
  }
  if (!e.p || !e.ci) e.issue = Estimate::Issue::kNonFinite;
  return e;
}

}  // namespace

namespace {

// rho2 of statistics.md for N* and alpha (computed once per sequential interval).
double sequential_rho2(double n_star, double alpha) {
  const double la = std::log(alpha);
  return (-2 * la + std::log(1 - 2 * la)) / n_star;
}
double half_width(double se, double n, double rho2, double alpha) {
  const double a = n * rho2 + 1;
  return se * std::sqrt(n) * std::sqrt(2 * a * std::log(std::sqrt(a) / alpha) / (n * n * rho2));
}
double seq_p(double delta, double se, double n, double rho2) {
  const double a = n * rho2 + 1;
  return std::min(1.0, std::sqrt(a) * std::exp(-rho2 * n * delta * delta / (2 * se * se * a)));
}

}  // namespace

double sequential_half_width(double se, double n, double n_star, double alpha) {
  if (!(se >= 0) || !(n >= 1) || !(n_star >= 1) || !(alpha > 0 && alpha < 1)) return kNaN;
  return half_width(se, n, sequential_rho2(n_star, alpha), alpha);
}

double sequential_p_value(double delta, double se, double n, double n_star, double alpha) {
  if (!(se > 0) || !(n >= 1) || !(n_star >= 1) || !(alpha > 0 && alpha < 1) || !std::isfinite(delta)) return kNaN;
  return seq_p(delta, se, n, sequential_rho2(n_star, alpha));
}

namespace {

// The always-valid interval over the daily looks.
Sequential sequential(const std::vector<double>& post, const Moments& pre, bool did, double alpha,
                      std::int64_t planned_post_days, bool& empty_intersection) {
  Sequential s;
  const std::size_t m1 = post.size();
  const std::int64_t m0 = did ? static_cast<std::int64_t>(pre.n) : 0;
  s.planned_blocks = std::max<std::int64_t>(planned_post_days + m0, static_cast<std::int64_t>(m1) + m0);
  const double n_star = static_cast<double>(s.planned_blocks);
  if (!(alpha > 0 && alpha < 1)) return s;
  const double rho2 = sequential_rho2(n_star, alpha);
  const std::size_t first = m1 >= kFirstSequentialLook ? kFirstSequentialLook : 2;
  // The looks' means and variances in one pass: the mean is the running sum over k (as in
  // moments()), the variance Welford's update (within a few ulp of the two-pass one, and exactly 0
  // for equal values, which min == max also catches).
  double sum = 0, wmean = 0, m2 = 0, lo_x = kInf, hi_x = -kInf;
  const double vn0 = did ? pre.var / static_cast<double>(pre.n) : 0.0;
  for (std::size_t k = 1; k <= m1; ++k) {
    const double x = post[k - 1];
    sum += x;
    lo_x = std::min(lo_x, x);
    hi_x = std::max(hi_x, x);
    const double dx = x - wmean;
    wmean += dx / static_cast<double>(k);
    m2 += dx * (x - wmean);
    if (k < first) continue;
    const double kd = static_cast<double>(k);
    const double var = lo_x == hi_x ? 0.0 : m2 / (kd - 1);
    const double delta = did ? sum / kd - pre.mean : sum / kd;
    const double se = std::sqrt(var / kd + vn0);
    if (!std::isfinite(delta) || !std::isfinite(se) || !(se > 0)) continue;
    const double n = static_cast<double>(static_cast<std::int64_t>(k) + m0);
    const double h = half_width(se, n, rho2, alpha);
    const double p = seq_p(delta, se, n, rho2);
    const double lo = delta - h;
    const double hi = delta + h;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(p)) continue;
    ++s.looks;
    if (!s.interval) {
      s.interval = Interval{lo, hi};
    } else {
      const double a = std::max(s.interval->lower, lo);
      const double b = std::min(s.interval->upper, hi);
      if (a > b) {
        s.interval = Interval{lo, hi};
        empty_intersection = true;
      } else {
        s.interval = Interval{a, b};
      }
    }
    s.p_value = s.p_value ? std::min(*s.p_value, p) : p;
  }
  s.decisive = m1 >= kFirstSequentialLook && s.p_value && *s.p_value <= alpha;
  return s;
}

// scipy.stats.linregress(block index, block mean): slope and two-sided p-value (n >= 3). A
// constant series has slope 0 and p 1 exactly.
struct BlockTrend {
  double slope = 0;
  std::optional<double> p_value;
  bool flagged = false;
};

std::optional<BlockTrend> block_trend(const std::vector<std::int64_t>& index, const std::vector<double>& x) {
  const std::size_t n = x.size();
  if (n < 3) return std::nullopt;
  const Moments mb = moments(n, [&](std::size_t i) { return static_cast<double>(index[i]); });
  const Moments mx = moments(x);
  BlockTrend tr;
  if (mx.var == 0) {
    tr.slope = 0;
    tr.p_value = 1.0;
    return tr;
  }
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(index[i]) - mb.mean;
    const double dy = x[i] - mx.mean;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0) || !std::isfinite(sxy) || !std::isfinite(syy)) return std::nullopt;
  tr.slope = sxy / sxx;
  double r = sxy / std::sqrt(sxx * syy);
  r = std::clamp(r, -1.0, 1.0);
  const double df = static_cast<double>(n - 2);
  constexpr double kTiny = 1.0e-20;  // as scipy
  const double t = r * std::sqrt(df / ((1.0 - r + kTiny) * (1.0 + r + kTiny)));
  tr.p_value = opt(2 * t_sf(std::fabs(t), df));
  tr.flagged = tr.p_value && *tr.p_value < kTrendAlpha;
  if (!std::isfinite(tr.slope)) return std::nullopt;
  return tr;
}

// Daily blocks of one series (a metric's d_t, or the dollar series z_t).
struct Blocks {
  std::vector<std::int64_t> post_index, pre_index;
  std::vector<double> post_x, pre_x;        // block means of d_t
  std::vector<double> post_c;               // block means of controlValue (metrics only)
  std::vector<std::int64_t> post_hours;     // usable hours per post block
  std::int64_t partial = 0;                 // counted blocks with fewer than 12 usable hours
};

// Hours as (timestamp, d, control), usable only, before the end; grouped into blocks.
struct Hour {
  domain::UnixSeconds ts;
  double d;
  double c;
  double w;  // nT nC / (nT + nC)
};

// The usable hours of a series before `end`, as the blocks take them; `on_usable` sees each usable
// point (for the hourly figures), `excluded` counts the others. The analysis and the planner
// (metric_blocks) both form their hours here, so the planner's blocks are the analysis's.
template <class OnUsable>
std::vector<Hour> usable_hours(const domain::MetricSeries& series, domain::UnixSeconds end, std::int64_t& excluded,
                               OnUsable on_usable) {
  std::vector<Hour> hours;
  hours.reserve(series.points.size());
  for (const auto& p : series.points) {
    if (p.timestamp >= end) continue;
    if (!usable(p)) {
      ++excluded;
      continue;
    }
    const double nt = static_cast<double>(p.treatment_sample_size);
    const double nc = static_cast<double>(p.control_sample_size);
    hours.push_back({p.timestamp, p.treatment_value - p.control_value, p.control_value, nt * nc / (nt + nc)});
    on_usable(p);
  }
  return hours;
}

Blocks make_blocks(std::vector<Hour>& hours, domain::UnixSeconds start) {
  if (!std::is_sorted(hours.begin(), hours.end(), [](const Hour& a, const Hour& b) { return a.ts < b.ts; })) {
    std::stable_sort(hours.begin(), hours.end(), [](const Hour& a, const Hour& b) { return a.ts < b.ts; });
  }
  Blocks b;
  std::size_t i = 0;
  while (i < hours.size()) {
    const std::int64_t idx = block_of(hours[i].ts, start);
    const domain::UnixSeconds block_end = start + (idx + 1) * domain::kSecondsPerDay;  // no division per hour
    double sd = 0, sc = 0;
    double dmin = kInf, dmax = -kInf, cmin = kInf, cmax = -kInf;
    std::size_t j = i;
    while (j < hours.size() && hours[j].ts < block_end) {
      sd += hours[j].d;
      sc += hours[j].c;
      dmin = std::min(dmin, hours[j].d);
      dmax = std::max(dmax, hours[j].d);
      cmin = std::min(cmin, hours[j].c);
      cmax = std::max(cmax, hours[j].c);
      ++j;
    }
    const auto n = static_cast<std::int64_t>(j - i);
    // The mean of equal values is that value exactly (a sum of n copies can be off in the last bit).
    const double x = dmin == dmax ? dmin : sd / static_cast<double>(n);
    const double c = cmin == cmax ? cmin : sc / static_cast<double>(n);
    if (n < kFullDayHours) ++b.partial;
    if (hours[i].ts >= start) {
      b.post_index.push_back(idx);
      b.post_x.push_back(x);
      b.post_c.push_back(c);
      b.post_hours.push_back(n);
    } else {
      b.pre_index.push_back(idx);
      b.pre_x.push_back(x);
    }
    i = j;
  }
  return b;
}

bool valid_pricing(const domain::MetricPricing& p) {
  return std::isfinite(p.dollars_per_unit) && std::isfinite(p.unit_size) && p.unit_size > 0;
}

double direction_sign(domain::Direction d) { return d == domain::Direction::kDecrease ? -1.0 : 1.0; }

const char* const kNonFiniteWarning =
    "Some figures could not be computed because the values are too large or too extreme, so they are left "
    "empty.";

void add_non_finite_warning(MetricResult& r) {
  if (std::find(r.warnings.begin(), r.warnings.end(), kNonFiniteWarning) == r.warnings.end()) {
    r.warnings.push_back(kNonFiniteWarning);
  }
}

// Replaces every non-finite figure by nullopt; says so once.
void sanitize(MetricResult& r) {
  bool dropped = false;
  auto fix = [&](std::optional<double>& v) {
    if (v && !std::isfinite(*v)) {
      v.reset();
      dropped = true;
    }
  };
  auto fix_interval = [&](std::optional<Interval>& v) {
    if (v && !(std::isfinite(v->lower) && std::isfinite(v->upper))) {
      v.reset();
      dropped = true;
    }
  };
  for (auto* v : {&r.treatment_mean, &r.control_mean, &r.pre_treatment_mean, &r.pre_control_mean,
                  &r.absolute_difference, &r.relative_difference, &r.standard_error, &r.degrees_of_freedom,
                  &r.t_statistic, &r.p_value, &r.adjusted_p_value, &r.effect_size,
                  &r.probability_of_improvement, &r.minimum_detectable_effect}) {
    fix(*v);
  }
  fix_interval(r.confidence_interval);
  fix_interval(r.relative_confidence_interval);
  fix_interval(r.adjusted_confidence_interval);
  if (r.parallel_trends) {
    fix(r.parallel_trends->p_value);
    if (!std::isfinite(r.parallel_trends->slope)) {
      r.parallel_trends.reset();
      dropped = true;
    }
  }
  if (r.effect_trend) {
    fix(r.effect_trend->p_value);
    if (!std::isfinite(r.effect_trend->slope)) {
      r.effect_trend.reset();
      dropped = true;
    }
  }
  if (r.sequential) {
    fix(r.sequential->p_value);
    fix_interval(r.sequential->interval);
  }
  if (dropped) add_non_finite_warning(r);
}

struct MetricWork {
  const domain::MetricSeries* series = nullptr;
  domain::Direction direction = domain::Direction::kIncrease;
  Estimate est;
  const domain::MetricPricing* pricing = nullptr;  // null when the metric has no usable pricing
};

bool want_did(const AnalysisInput& in, std::size_t pre_blocks) {
  return in.design == domain::AnalysisDesign::kDid && pre_blocks >= 2;
}

std::int64_t planned_post_days(const AnalysisInput& in) {
  if (in.end_date <= in.start_date) return 0;
  const std::int64_t span = in.end_date - in.start_date;
  return span / domain::kSecondsPerDay + (span % domain::kSecondsPerDay != 0 ? 1 : 0);
}

MetricResult analyze_metric(const domain::MetricSeries& series, const AnalysisInput& in, double alpha,
                            double confidence_level, domain::Direction direction, Estimate& est_out) {
  MetricResult r;
  r.confidence_level = confidence_level;

  // Hourly figures: means, sample sizes, exclusions; usable hours go to the blocks.
  double st1 = 0, sc1 = 0, st0 = 0, sc0 = 0;
  std::vector<Hour> hours = usable_hours(series, in.end_date, r.excluded_hours, [&](const domain::HourlyPoint& p) {
    if (p.timestamp >= in.start_date) {
      ++r.post_hours;
      st1 += p.treatment_value;
      sc1 += p.control_value;
      r.sample_size_treatment = saturating_add(r.sample_size_treatment, p.treatment_sample_size);
      r.sample_size_control = saturating_add(r.sample_size_control, p.control_sample_size);
    } else {
      ++r.pre_hours;
      st0 += p.treatment_value;
      sc0 += p.control_value;
    }
  });
  if (r.post_hours > 0) {
    r.treatment_mean = st1 / static_cast<double>(r.post_hours);  // a non-finite mean is caught by sanitize()
    r.control_mean = sc1 / static_cast<double>(r.post_hours);
  }
  if (r.pre_hours > 0) {
    r.pre_treatment_mean = st0 / static_cast<double>(r.pre_hours);
    r.pre_control_mean = sc0 / static_cast<double>(r.pre_hours);
  }
  if (r.excluded_hours > 0) {
    r.warnings.push_back(plural(r.excluded_hours, "hour was", "hours were") +
                         " excluded because a sample size was zero or a value was missing or not a number.");
  }

  Blocks b = make_blocks(hours, in.start_date);
  r.post_blocks = static_cast<std::int64_t>(b.post_x.size());
  r.pre_blocks = static_cast<std::int64_t>(b.pre_x.size());
  if (b.partial > 0) {
    r.warnings.push_back(plural(b.partial, "partial day", "partial days") +
                         " (fewer than 12 usable hours) counted as full days; their means rest on fewer hours.");
  }

  const bool did = want_did(in, b.pre_x.size());
  r.method = did ? "did" : "paired";
  if (in.design == domain::AnalysisDesign::kDid && !did) {
    r.warnings.push_back("The design is difference-in-differences, but the pre-experiment period has " +
                         plural(r.pre_blocks, "day", "days") +
                         " with usable hours (at least 2 are needed), so the analysis fell back to the paired "
                         "design; any difference that existed before the start is not removed.");
  } else if (did && r.pre_blocks == 2) {
    r.warnings.push_back(
        "Only two pre-experiment days: the parallel-trends check needs three, so it was not run.");
  }

  const Moments pre = moments(b.pre_x);
  Estimate e = estimate(b.post_x, pre, did, alpha);
  switch (e.issue) {
    case Estimate::Issue::kNoPost:
      r.warnings.push_back("No usable hours in the experiment period, so no effect can be estimated.");
      break;
    case Estimate::Issue::kOnePost:
      r.warnings.push_back(
          "Only one day of the experiment period has usable hours; at least two days are needed for a p-value "
          "and a confidence interval.");
      break;
    case Estimate::Issue::kZeroSe:
      r.warnings.push_back(
          "The daily treatment-minus-control differences do not vary, so the standard error is zero and no "
          "p-value or confidence interval can be computed.");
      break;
    case Estimate::Issue::kNonFinite:
      add_non_finite_warning(r);
      break;
    case Estimate::Issue::kNone:
      break;
  }

  r.absolute_difference = e.delta;
  r.standard_error = e.se;
  r.degrees_of_freedom = e.df;
  r.t_statistic = e.t;
  r.p_value = e.p;
  r.confidence_interval = e.ci;
  r.minimum_detectable_effect = e.mde;
  r.probability_of_improvement = direction == domain::Direction::kDecrease ? e.prob_down : e.prob_up;

  // Relative difference, and its interval by the delta method on the block moments.
  if (e.delta && r.treatment_mean) {
    const double baseline = *r.treatment_mean - *e.delta;
    // A baseline within rounding of zero (hourly and daily means of the same values differ in the
    // last bits) is zero: a relative difference of 1e15 says nothing.
    if (std::fabs(baseline) <= kZeroBaselineTolerance * std::fabs(*r.treatment_mean)) {
      r.warnings.push_back(
          "The baseline is zero (the treatment group's expected value without the change), so the relative "
          "difference cannot be computed.");
    } else if (std::isfinite(baseline)) {
      r.relative_difference = *e.delta / baseline;
    }
  }
  if (e.ci && e.q && e.se) {
    const std::size_t m1 = b.post_x.size();
    const double n1 = static_cast<double>(m1);
    const Moments& mx = e.post;
    const Moments mc = moments(b.post_c);
    double cov = 0;
    for (std::size_t i = 0; i < m1; ++i) cov += (b.post_x[i] - mx.mean) * (b.post_c[i] - mc.mean);
    cov /= n1 - 1;
    const double v0 = did ? e.v0 : 0.0;
    const double big_b = mc.mean + (did ? pre.mean : 0.0);
    const double var_d = *e.se * *e.se;
    const double var_b = mc.var / n1 + v0;
    const double cov_db = cov / n1 - v0;
    const double delta = *e.delta;
    if (big_b != 0 && std::isfinite(big_b)) {
      const double rr = delta / big_b;
      const double var_r = var_d / (big_b * big_b) + delta * delta * var_b / (big_b * big_b * big_b * big_b) -
                           2 * delta * cov_db / (big_b * big_b * big_b);
      if (var_r >= 0) {
        const double w = *e.q * std::sqrt(var_r);
        r.relative_confidence_interval = opt_interval(rr - w, rr + w);
      }
    }
  }

  // Cohen's d on the per-user scale: sigma^2 = sum w_t (d_t - x_b(t))^2 / (H - m1) over the usable
  // post hours, w_t = nT nC / (nT + nC).
  if (e.delta && r.post_hours - r.post_blocks >= 1) {
    // The usable post hours are the tail of `hours` (sorted by time), block by block.
    const std::size_t first_post = hours.size() - static_cast<std::size_t>(r.post_hours);
    double num = 0;
    std::size_t blk = 0;
    std::int64_t in_blk = 0;
    for (std::size_t i = first_post; i < hours.size(); ++i) {
      if (in_blk == b.post_hours[blk]) {
        ++blk;
        in_blk = 0;
      }
      ++in_blk;
      const double dev = hours[i].d - b.post_x[blk];
      num += hours[i].w * dev * dev;
    }
    const double sigma = std::sqrt(num / static_cast<double>(r.post_hours - r.post_blocks));
    if (sigma > 0 && std::isfinite(sigma)) {
      r.effect_size = *e.delta / sigma;
    } else if (sigma == 0) {
      r.warnings.push_back(
          "The hourly differences do not vary within days, so the effect size (Cohen's d) cannot be computed.");
    }
  }

  if (auto tr = block_trend(b.pre_index, b.pre_x)) r.parallel_trends = ParallelTrends{tr->slope, tr->p_value, tr->flagged};
  if (r.parallel_trends && r.parallel_trends->violated && did) {
    r.warnings.push_back(
        "Treatment and control were already drifting apart before the experiment (parallel-trends check p = " +
        format_number(*r.parallel_trends->p_value) + "), so the difference-in-differences estimate may be biased.");
  }
  if (auto tr = block_trend(b.post_index, b.post_x)) r.effect_trend = EffectTrend{tr->slope, tr->p_value, tr->flagged};
  if (r.effect_trend && r.effect_trend->changing) {
    r.warnings.push_back("The daily effect is changing over the experiment (trend p = " +
                         format_number(*r.effect_trend->p_value) +
                         "), for example a novelty effect wearing off; the annualized figure may be too high.");
  }

  if (b.post_x.size() >= 2) {
    bool empty = false;
    r.sequential = sequential(b.post_x, pre, did, alpha, planned_post_days(in), empty);
    if (empty) {
      r.warnings.push_back(
          "Some daily sequential intervals did not overlap, so the sequential interval is the last day's.");
    }
  }
  est_out = std::move(e);
  return r;
}

}  // namespace

namespace {

Srm sample_ratio_mismatch(const AnalysisInput& in, const domain::MetricSeries* first) {
  Srm srm;
  srm.expected_treatment_share = in.expected_treatment_share;
  const double share = in.expected_treatment_share;
  const bool share_ok = share > 0 && share < 1;
  if (in.unique_users) {
    srm.method = "users";
    const double ot = static_cast<double>(in.unique_users->treatment);
    const double oc = static_cast<double>(in.unique_users->control);
    const double total = ot + oc;
    if (!(total > 0) || ot < 0 || oc < 0) return srm;
    srm.observed_treatment_share = opt(ot / total);
    if (!share_ok) return srm;
    const double et = total * share;
    const double ec = total * (1 - share);
    const double chi2 = (ot - et) * (ot - et) / et + (oc - ec) * (oc - ec) / ec;
    srm.statistic = opt(chi2);
    srm.chi_square = srm.statistic;
    if (srm.statistic) {
      srm.p_value = opt(chi2_sf(chi2, 1));
      srm.detected = srm.p_value && *srm.p_value < kSrmAlpha;
    }
    return srm;
  }
  srm.method = "daily-share";
  if (!first) return srm;
  // Daily treatment shares over the usable post hours of the first metric.
  std::vector<double> shares;
  std::int64_t nt = 0, nc = 0, bt = 0, bc = 0;
  std::int64_t current = std::numeric_limits<std::int64_t>::min();
  auto flush = [&] {
    if (bt + bc > 0) shares.push_back(static_cast<double>(bt) / (static_cast<double>(bt) + static_cast<double>(bc)));
    bt = bc = 0;
  };
  const auto by_time = [](const domain::HourlyPoint& a, const domain::HourlyPoint& b) {
    return a.timestamp < b.timestamp;
  };
  std::vector<domain::HourlyPoint> sorted_copy;
  const std::vector<domain::HourlyPoint>* src = &first->points;
  if (!std::is_sorted(src->begin(), src->end(), by_time)) {
    sorted_copy = *src;
    std::stable_sort(sorted_copy.begin(), sorted_copy.end(), by_time);
    src = &sorted_copy;
  }
  for (const auto& p : *src) {
    if (p.timestamp < in.start_date || p.timestamp >= in.end_date || !usable(p)) continue;
    const std::int64_t idx = block_of(p.timestamp, in.start_date);
    if (idx != current) {
      flush();
      current = idx;
    }
    bt = saturating_add(bt, p.treatment_sample_size);
    bc = saturating_add(bc, p.control_sample_size);
    nt = saturating_add(nt, p.treatment_sample_size);
    nc = saturating_add(nc, p.control_sample_size);
  }
  flush();
  const double total = static_cast<double>(nt) + static_cast<double>(nc);
  if (total > 0) srm.observed_treatment_share = opt(static_cast<double>(nt) / total);
  if (!share_ok || shares.size() < 2) return srm;
  const Moments m = moments(shares);
  const double se = std::sqrt(m.var / static_cast<double>(m.n));
  if (!(se > 0) || !std::isfinite(se)) return srm;
  const double t = (m.mean - share) / se;
  srm.statistic = opt(t);
  srm.p_value = opt(2 * t_sf(std::fabs(t), static_cast<double>(m.n - 1)));
  srm.detected = srm.p_value && *srm.p_value < kSrmAlpha;
  return srm;
}

// The dollar series z_t over the hours usable for every counted metric, as hours for the blocks.
std::vector<Hour> dollar_hours(const std::vector<const MetricWork*>& counted, const AnalysisInput& in) {
  std::vector<Hour> out;
  struct Acc {
    domain::UnixSeconds ts;
    double z;
    bool ok;
  };
  std::vector<Acc> acc;
  for (std::size_t j = 0; j < counted.size(); ++j) {
    const auto& pr = *counted[j]->pricing;
    const double c = direction_sign(pr.direction) * (pr.dollars_per_unit / pr.unit_size);
    // The series' own points when sorted by time (the usual case), a sorted copy otherwise.
    const auto by_time = [](const domain::HourlyPoint& a, const domain::HourlyPoint& b) {
      return a.timestamp < b.timestamp;
    };
    const auto& own = counted[j]->series->points;
    std::vector<domain::HourlyPoint> sorted_copy;
    const std::vector<domain::HourlyPoint>* src = &own;
    if (!std::is_sorted(own.begin(), own.end(), by_time)) {
      sorted_copy = own;
      std::stable_sort(sorted_copy.begin(), sorted_copy.end(), by_time);
      src = &sorted_copy;
    }
    const auto& all = *src;
    const std::size_t n_before_end = static_cast<std::size_t>(
        std::lower_bound(all.begin(), all.end(), in.end_date,
                         [](const domain::HourlyPoint& p, domain::UnixSeconds t) { return p.timestamp < t; }) -
        all.begin());
    struct View {
      const domain::HourlyPoint* p;
      std::size_t n;
      std::size_t size() const { return n; }
      const domain::HourlyPoint& operator[](std::size_t i) const { return p[i]; }
      const domain::HourlyPoint* begin() const { return p; }
      const domain::HourlyPoint* end() const { return p + n; }
    } pts{all.data(), n_before_end};
    if (j == 0) {
      acc.reserve(pts.size());
      for (const auto& p : pts) {
        const bool ok = usable(p);
        acc.push_back({p.timestamp, ok ? 0.0 + c * (p.treatment_value - p.control_value) : 0.0, ok});
      }
      continue;
    }
    std::size_t k = 0;
    for (auto& h : acc) {
      while (k < pts.size() && pts[k].timestamp < h.ts) ++k;
      if (k >= pts.size() || pts[k].timestamp != h.ts || !usable(pts[k])) {
        h.ok = false;
      } else if (h.ok) {
        h.z += c * (pts[k].treatment_value - pts[k].control_value);
      }
    }
  }
  out.reserve(acc.size());
  for (const auto& h : acc)
    if (h.ok) out.push_back({h.ts, h.z, 0.0, 0.0});
  return out;
}

std::string verdict_of(const std::optional<double>& p, bool significant, const std::optional<double>& delta,
                       domain::Direction direction) {
  if (!p) return "insufficient-data";
  if (!significant || !delta) return "inconclusive";
  const double signed_change = direction_sign(direction) * *delta;
  if (signed_change > 0) return "win";
  if (signed_change < 0) return "loss";
  return "inconclusive";
}

}  // namespace

void correct_results(const std::vector<MetricResult*>& results, const std::vector<domain::Direction>& directions,
                     domain::Correction correction, double alpha) {
  std::vector<double> p;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i]->p_value) {
      p.push_back(*results[i]->p_value);
      which.push_back(i);
    }
  }
  const std::vector<double> adj = adjust_p_values(p, correction);
  const double m = static_cast<double>(p.size());
  for (std::size_t k = 0; k < which.size(); ++k) {
    MetricResult& r = *results[which[k]];
    r.adjusted_p_value = adj[k];
    r.significant = adj[k] < alpha;
    const double gamma = p[k] == 0 ? alpha / m : alpha * (p[k] / adj[k]);
    r.adjusted_confidence_interval.reset();
    if (r.absolute_difference && r.standard_error && r.degrees_of_freedom) {
      const double q = t_upper_quantile(gamma / 2, *r.degrees_of_freedom);
      r.adjusted_confidence_interval = opt_interval(*r.absolute_difference - q * *r.standard_error,
                                                    *r.absolute_difference + q * *r.standard_error);
    }
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const domain::Direction dir = i < directions.size() ? directions[i] : domain::Direction::kIncrease;
    results[i]->verdict =
        verdict_of(results[i]->p_value, results[i]->significant, results[i]->absolute_difference, dir);
  }
}

AnalysisOutput analyze(const AnalysisInput& input) {
  AnalysisOutput out;
  out.correction = input.correction;
  out.design = input.design;

  double confidence_level = input.confidence_level;
  std::string level_warning;
  if (!(std::isfinite(confidence_level) && confidence_level > 0 && confidence_level < 100)) {
    level_warning = "The confidence level " + format_number(confidence_level) +
                    " is not between 0 and 100, so 95 was used.";
    confidence_level = 95;
  }
  // (100 - level) / 100 rather than 1 - level / 100: the same alpha, but 95 gives exactly 0.05.
  const double alpha = (100 - confidence_level) / 100;
  out.alpha = alpha;
  const double duration_days =
      input.end_date > input.start_date
          ? (static_cast<double>(input.end_date) - static_cast<double>(input.start_date)) /
                static_cast<double>(domain::kSecondsPerDay)
          : 0.0;
  out.duration_days = duration_days;
  out.economic_impact.duration_days = duration_days;

  // One result per distinct metric id, in the experiment's order (the first occurrence wins).
  std::vector<MetricWork> work;
  std::vector<MetricResult*> results;
  work.reserve(input.metrics.size());
  results.reserve(input.metrics.size());
  std::set<std::string> seen;
  for (const auto& series : input.metrics) {
    if (!seen.insert(series.metric_id).second) continue;
    MetricWork w;
    w.series = &series;
    const auto pit = input.pricing.find(series.metric_id);
    bool invalid_pricing = false;
    if (pit != input.pricing.end()) {
      w.direction = pit->second.direction;
      if (valid_pricing(pit->second)) {
        w.pricing = &pit->second;
      } else {
        invalid_pricing = true;
      }
    }
    MetricResult r = analyze_metric(series, input, alpha, confidence_level, w.direction, w.est);
    if (!level_warning.empty()) r.warnings.insert(r.warnings.begin(), level_warning);
    if (invalid_pricing) {
      r.warnings.push_back(
          "The metric's dollar value or unit size is not valid (the unit size must be above zero), so it is "
          "left out of the economic impact.");
    } else if (!w.pricing) {
      r.warnings.push_back("No dollar value is set for this metric, so it is left out of the economic impact.");
    }
    sanitize(r);
    // A figure dropped by sanitize must not feed the dollars either.
    if (!r.absolute_difference) w.est.delta.reset();
    if (!r.confidence_interval) w.est.ci.reset();
    auto [it, inserted] = out.did_results.emplace(series.metric_id, std::move(r));
    results.push_back(&it->second);
    work.push_back(w);
  }

  // Multiple-testing correction over the metrics that have a p-value, and intervals that agree.
  {
    std::vector<domain::Direction> directions;
    directions.reserve(work.size());
    for (const auto& w : work) directions.push_back(w.direction);
    correct_results(results, directions, input.correction, alpha);
  }

  out.srm = sample_ratio_mismatch(input, work.empty() ? nullptr : work.front().series);

  // Guardrails.
  bool breached = false;
  for (const auto& id : input.guardrail_metrics) {
    const auto it = out.did_results.find(id);
    if (it == out.did_results.end() || out.guardrails.count(id)) continue;
    const MetricResult& r = it->second;
    const domain::Direction dir = [&] {
      const auto pit = input.pricing.find(id);
      return pit == input.pricing.end() ? domain::Direction::kIncrease : pit->second.direction;
    }();
    std::string status = "ok";
    if (r.verdict == "loss") {
      status = "breached";
      breached = true;
    } else if (!r.adjusted_confidence_interval || !r.minimum_detectable_effect) {
      status = "at-risk";  // no interval: a worsening cannot be ruled out
    } else {
      const double mde = *r.minimum_detectable_effect;
      const bool worse = dir == domain::Direction::kDecrease ? r.adjusted_confidence_interval->upper > mde
                                                              : r.adjusted_confidence_interval->lower < -mde;
      if (worse) status = "at-risk";
    }
    out.guardrails[id] = status;
  }

  // Economic impact.
  EconomicImpact& econ = out.economic_impact;
  std::vector<const MetricWork*> counted;
  std::map<std::string, std::string> group_owner;  // value group -> first metric of it
  for (std::size_t i = 0; i < work.size(); ++i) {
    const MetricWork& w = work[i];
    if (!w.pricing) continue;
    const auto& pr = *w.pricing;
    MetricImpact mi;
    mi.metric_value_used = pr.dollars_per_unit;
    mi.unit_size = pr.unit_size;
    mi.improvement_direction = pr.direction;
    if (auto g = input.value_groups.find(w.series->metric_id); g != input.value_groups.end() && !g->second.empty()) {
      mi.value_group = g->second;
      auto [owner, first] = group_owner.emplace(g->second, w.series->metric_id);
      if (!first) {
        mi.counted_in_total = false;
        results[i]->warnings.push_back("This metric prices the same money as " + owner->second + " (value group '" +
                                       g->second + "'); it overlaps with that metric, so it is not added to the "
                                       "totals.");
      }
    }
    const double factor = direction_sign(pr.direction) * (pr.dollars_per_unit / pr.unit_size);
    if (w.est.delta) {
      mi.metric_change = w.est.delta;
      mi.daily_dollar_impact = opt(factor * *w.est.delta);
      if (mi.daily_dollar_impact) mi.dollar_impact = opt(*mi.daily_dollar_impact * duration_days);
    }
    if (w.est.ci) {
      mi.dollar_impact_interval =
          opt_interval(factor * w.est.ci->lower * duration_days, factor * w.est.ci->upper * duration_days);
    }
    if (mi.counted_in_total) {
      counted.push_back(&w);
      if (mi.dollar_impact && results[i]->significant) econ.significant_impact += *mi.dollar_impact;
    }
    econ.metric_breakdown.emplace(w.series->metric_id, std::move(mi));
  }
  if (!std::isfinite(econ.significant_impact)) econ.significant_impact = 0;

  if (!counted.empty()) {
    std::vector<Hour> zh = dollar_hours(counted, input);
    Blocks zb = make_blocks(zh, input.start_date);
    const bool did = want_did(input, zb.pre_x.size());
    const Moments pre = moments(zb.pre_x);
    const Estimate z = estimate(zb.post_x, pre, did, alpha);
    if (z.delta) {
      econ.total_impact = opt(*z.delta * duration_days);
      econ.annualized_impact = opt(*z.delta * 365);
    }
    if (z.ci) {
      econ.total_impact_interval = opt_interval(z.ci->lower * duration_days, z.ci->upper * duration_days);
      econ.annualized_impact_interval = opt_interval(z.ci->lower * 365, z.ci->upper * 365);
      econ.total_verdict = z.ci->lower > 0 ? "win" : z.ci->upper < 0 ? "loss" : "inconclusive";
    }
    econ.probability_of_positive_impact = z.prob_up;
    if (zb.post_x.size() >= 2) {
      bool empty = false;
      Sequential s = sequential(zb.post_x, pre, did, alpha, planned_post_days(input), empty);
      if (s.interval) {
        s.interval = opt_interval(s.interval->lower, s.interval->upper);
      }
      if (s.p_value && !std::isfinite(*s.p_value)) s.p_value.reset();
      econ.total_sequential = s;
    }
  }
  if (input.implementation_cost && std::isfinite(*input.implementation_cost) && *input.implementation_cost > 0 &&
      econ.annualized_impact) {
    const double cost = *input.implementation_cost;
    econ.roi_percentage = opt((*econ.annualized_impact - cost) / cost * 100);
    if (econ.annualized_impact_interval) {
      econ.roi_interval = opt_interval((econ.annualized_impact_interval->lower - cost) / cost * 100,
                                       (econ.annualized_impact_interval->upper - cost) / cost * 100);
    }
  }

  // Recommendation.
  // While running, only the always-valid interval may end the experiment: a fixed-horizon win
  // looked at early is not yet a win.
  const bool sequential_decisive = econ.total_sequential && econ.total_sequential->decisive;
  if (breached) {
    out.recommendation = "do-not-ship";
  } else if (input.running && !sequential_decisive) {
    out.recommendation = "keep-running";
  } else if (econ.total_verdict == "win") {
    out.recommendation = "ship";
  } else if (econ.total_verdict == "loss") {
    out.recommendation = "do-not-ship";
  } else if (input.running) {
    out.recommendation = "keep-running";
  } else {
    out.recommendation = "inconclusive";
  }
  return out;
}

double block_variance(const std::vector<double>& x) { return moments(x).var; }

namespace {

BlockSeries to_block_series(const Blocks& b) {
  BlockSeries out;
  out.pre = b.pre_x;
  out.post = b.post_x;
  out.partial_blocks = b.partial;
  return out;
}

}  // namespace

BlockSeries metric_blocks(const domain::MetricSeries& series, domain::UnixSeconds start, domain::UnixSeconds end) {
  std::int64_t excluded = 0;
  double sum_c = 0, sum_nt = 0, sum_n = 0;
  std::vector<Hour> hours = usable_hours(series, end, excluded, [&](const domain::HourlyPoint& p) {
    const double nt = static_cast<double>(p.treatment_sample_size);
    const double nc = static_cast<double>(p.control_sample_size);
    sum_c += p.control_value;
    sum_nt += nt;
    sum_n += nt + nc;
  });
  Blocks b = make_blocks(hours, start);
  BlockSeries out = to_block_series(b);
  out.usable_hours = static_cast<std::int64_t>(hours.size());
  out.excluded_hours = excluded;
  if (!hours.empty()) {
    out.control_mean = opt(sum_c / static_cast<double>(hours.size()));
    if (sum_n > 0) out.treatment_share = opt(sum_nt / sum_n);
  }
  return out;
}

BlockSeries dollar_blocks(const std::vector<const domain::MetricSeries*>& series,
                          const std::vector<domain::MetricPricing>& pricing, domain::UnixSeconds start,
                          domain::UnixSeconds end) {
  BlockSeries out;
  if (series.empty() || series.size() != pricing.size()) return out;
  std::vector<MetricWork> work(series.size());
  std::vector<const MetricWork*> counted;
  for (std::size_t i = 0; i < series.size(); ++i) {
    work[i].series = series[i];
    work[i].pricing = &pricing[i];
    counted.push_back(&work[i]);
  }
  AnalysisInput in;
  in.start_date = start;
  in.end_date = end;
  std::vector<Hour> zh = dollar_hours(counted, in);
  Blocks b = make_blocks(zh, start);
  out = to_block_series(b);
  out.usable_hours = static_cast<std::int64_t>(zh.size());
  return out;
}

}  // namespace rallyuxr::stats
