// The analysis method of shared/spec/statistics.md. See analysis.hpp and docs/statistics.md.
//
// Numerics: every mean and variance is computed in two passes over the hourly points (sums, then
// sums of squared deviations from the mean), which matches numpy/scipy to a few ulp and gives an
// exact zero for a constant series (a constant series is also detected explicitly by min == max,
// so rounding in the mean can never turn "no variation" into a tiny positive variance). Tail
// probabilities use the survival function directly (cdf(complement(...))), never 1 - cdf. Boost
// errors are mapped to NaN by the policy below, and every NaN/Inf is turned into std::nullopt with
// a warning before it leaves this file.
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

#include "stats/multiple_testing.hpp"

namespace rallyuxr::stats {
namespace {

namespace bm = boost::math;
namespace bp = boost::math::policies;

// No exceptions and no errno: an invalid argument or an overflow yields NaN/Inf, which the callers
// check with std::isfinite.
using Policy = bp::policy<bp::domain_error<bp::ignore_error>, bp::pole_error<bp::ignore_error>,
                          bp::overflow_error<bp::ignore_error>, bp::underflow_error<bp::ignore_error>,
                          bp::evaluation_error<bp::ignore_error>, bp::rounding_error<bp::ignore_error>,
                          bp::indeterminate_result_error<bp::ignore_error>>;
using StudentT = bm::students_t_distribution<double, Policy>;
using ChiSquared = bm::chi_squared_distribution<double, Policy>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPower = 0.8;               // for the minimum detectable effect
constexpr double kParallelTrendsAlpha = 0.05;
constexpr double kSrmAlpha = 0.001;

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

// Mean and sample variance of one series, from two passes.
struct Sample {
  std::int64_t n = 0;
  double mean = kNaN;
  double var = kNaN;  // n-1 denominator; NaN when n < 2
};

// Accumulates a series in two passes: add1 for every value, then finish1, then add2 for the same
// values in any order, then result().
class TwoPass {
 public:
  void add1(double x) {
    ++n_;
    sum_ += x;
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  void finish1() { mean_ = n_ > 0 ? sum_ / static_cast<double>(n_) : kNaN; }
  void add2(double x) {
    const double dev = x - mean_;
    ss_ += dev * dev;
  }
  // The sum of squared deviations, when computed outside add2.
  void add_ss(double ss) { ss_ += ss; }
  double mean() const { return mean_; }
  std::int64_t n() const { return n_; }
  bool constant() const { return n_ > 0 && min_ == max_; }
  Sample result() const {
    Sample s;
    s.n = n_;
    s.mean = mean_;
    if (n_ >= 2) s.var = constant() ? 0.0 : ss_ / static_cast<double>(n_ - 1);
    return s;
  }

 private:
  std::int64_t n_ = 0;
  double sum_ = 0;
  double mean_ = kNaN;
  double ss_ = 0;
  double min_ = kInf;
  double max_ = -kInf;
};

// The estimator of statistics.md on the hourly differences d_t (or the dollar series z_t).
struct Estimate {
  bool did = false;
  std::optional<double> delta;
  std::optional<double> se;
  std::optional<double> df;
  std::optional<double> t;
  std::optional<double> p;
  std::optional<Interval> ci;
  std::optional<double> mde;
  std::optional<double> prob_up;    // F_t(t; df): probability the true effect is > 0
  std::optional<double> prob_down;  // 1 - F_t(t; df), as a survival function
  enum class Issue { kNone, kNoPost, kOnePost, kZeroSe, kNonFinite } issue = Issue::kNone;
};

Estimate estimate(const Sample& post, const Sample& pre, double alpha) {
  Estimate e;
  e.did = pre.n >= 2;
  if (post.n == 0) {
    e.issue = Estimate::Issue::kNoPost;
    return e;
  }
  e.delta = opt(e.did ? post.mean - pre.mean : post.mean);
  if (post.n < 2) {
    e.issue = Estimate::Issue::kOnePost;
    return e;
  }
  const double n1 = static_cast<double>(post.n);
  double se = kNaN;
  double df = kNaN;
  if (e.did) {
    const double n0 = static_cast<double>(pre.n);
    const double vn1 = post.var / n1;
    const double vn0 = pre.var / n0;
    se = std::sqrt(vn1 + vn0);
    df = (vn1 + vn0) * (vn1 + vn0) / (vn1 * vn1 / (n1 - 1) + vn0 * vn0 / (n0 - 1));
  } else {
    se = std::sqrt(post.var / n1);
    df = n1 - 1;
  }
  e.se = opt(se);
  e.df = opt(df);  // NaN (0/0) for a DiD whose two periods are both constant
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
  if (std::isfinite(q)) {
    const double lo = delta - q * se;
    const double hi = delta + q * se;
    if (std::isfinite(lo) && std::isfinite(hi)) e.ci = Interval{lo, hi};
    e.mde = opt((q + t_quantile(kPower, df)) * se);
  }
  if (std::isfinite(tail)) {
    // Of F_t(t) and 1 - F_t(t), the smaller is the tail itself, the larger 1 - tail.
    e.prob_up = t >= 0 ? 1 - tail : tail;
    e.prob_down = t >= 0 ? tail : 1 - tail;
  }
  if (!e.p || !e.ci) e.issue = Estimate::Issue::kNonFinite;
  return e;
}

// Sums of one metric over its usable hours, per period.
struct MetricSums {
  TwoPass post_t, post_c, post_d;
  TwoPass pre_t, pre_c, pre_d, pre_x;
  std::int64_t size_treat = 0;
  std::int64_t size_ctrl = 0;
  std::int64_t excluded = 0;
  // Centred cross-products of the pre-period regression of d on days.
  double sxx = 0;
  double sxd = 0;
  double sdd = 0;
};

MetricSums accumulate(const domain::MetricSeries& series, domain::UnixSeconds start, domain::UnixSeconds end) {
  // Local accumulators (kept in registers by the compiler), copied out at the end.
  TwoPass post_t, post_c, post_d, pre_t, pre_c, pre_d, pre_x;
  std::int64_t size_treat = 0;
  std::int64_t size_ctrl = 0;
  std::int64_t excluded = 0;
  bool have_origin = false;
  domain::UnixSeconds origin = 0;
  constexpr double kDay = static_cast<double>(domain::kSecondsPerDay);
  for (const auto& p : series.points) {
    if (p.timestamp >= end) continue;
    if (!usable(p)) {
      ++excluded;
      continue;
    }
    const double d = p.treatment_value - p.control_value;
    if (p.timestamp >= start) {
      post_t.add1(p.treatment_value);
      post_c.add1(p.control_value);
      post_d.add1(d);
      size_treat = saturating_add(size_treat, p.treatment_sample_size);
      size_ctrl = saturating_add(size_ctrl, p.control_sample_size);
    } else {
      if (!have_origin) {
        origin = p.timestamp;
        have_origin = true;
      }
      pre_t.add1(p.treatment_value);
      pre_c.add1(p.control_value);
      pre_d.add1(d);
      pre_x.add1((static_cast<double>(p.timestamp) - static_cast<double>(origin)) / kDay);
    }
  }
  post_t.finish1();
  post_c.finish1();
  post_d.finish1();
  pre_t.finish1();
  pre_c.finish1();
  pre_d.finish1();
  pre_x.finish1();
  const bool need_post = post_d.n() >= 2;
  const bool need_pre = pre_d.n() >= 2;
  double sxx = 0;
  double sxd = 0;
  double sdd = 0;
  if (need_post || need_pre) {
    const double mean_x = pre_x.mean();
    const double mean_d0 = pre_d.mean();
    for (const auto& p : series.points) {
      if (p.timestamp >= end || !usable(p)) continue;
      const double d = p.treatment_value - p.control_value;
      if (p.timestamp >= start) {
        if (!need_post) continue;
        post_t.add2(p.treatment_value);
        post_c.add2(p.control_value);
        post_d.add2(d);
      } else {
        if (!need_pre) continue;
        const double dx = (static_cast<double>(p.timestamp) - static_cast<double>(origin)) / kDay - mean_x;
        const double dd = d - mean_d0;
        sxx += dx * dx;
        sxd += dx * dd;
        sdd += dd * dd;
      }
    }
    pre_d.add_ss(sdd);
  }
  MetricSums s;
  s.post_t = post_t;
  s.post_c = post_c;
  s.post_d = post_d;
  s.pre_t = pre_t;
  s.pre_c = pre_c;
  s.pre_d = pre_d;
  s.pre_x = pre_x;
  s.size_treat = size_treat;
  s.size_ctrl = size_ctrl;
  s.excluded = excluded;
  s.sxx = sxx;
  s.sxd = sxd;
  s.sdd = sdd;
  return s;
}

// scipy.stats.linregress(x, d) over the pre period (n >= 3): slope and two-sided p-value.
std::optional<ParallelTrends> parallel_trends(const MetricSums& s) {
  const std::int64_t n = s.pre_d.n();
  if (n < 3 || !(s.sxx > 0) || !std::isfinite(s.sxx) || !std::isfinite(s.sxd) || !std::isfinite(s.sdd)) {
    return std::nullopt;
  }
  ParallelTrends pt;
  const bool flat = s.pre_d.constant() || s.sdd == 0;
  const double sxd = flat ? 0.0 : s.sxd;
  pt.slope = sxd / s.sxx;
  double r = 0;
  if (!flat) {
    r = sxd / std::sqrt(s.sxx * s.sdd);
    r = std::clamp(r, -1.0, 1.0);
  }
  const double df = static_cast<double>(n - 2);
  constexpr double kTiny = 1.0e-20;  // as scipy
  const double t = r * std::sqrt(df / ((1.0 - r + kTiny) * (1.0 + r + kTiny)));
  pt.p_value = opt(2 * t_sf(std::fabs(t), df));
  pt.violated = pt.p_value && *pt.p_value < kParallelTrendsAlpha;
  if (!std::isfinite(pt.slope)) return std::nullopt;
  return pt;
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
  if (r.parallel_trends) {
    fix(r.parallel_trends->p_value);
    if (!std::isfinite(r.parallel_trends->slope)) {
      r.parallel_trends.reset();
      dropped = true;
    }
  }
  if (dropped) add_non_finite_warning(r);
}

struct MetricWork {
  const domain::MetricSeries* series = nullptr;
  Estimate est;
  const domain::MetricPricing* pricing = nullptr;  // null when the metric has no usable pricing
};

MetricResult analyze_metric(const domain::MetricSeries& series, const AnalysisInput& in, double alpha,
                            double confidence_level, domain::Direction direction, Estimate& est_out) {
  MetricResult r;
  r.confidence_level = confidence_level;
  const MetricSums s = accumulate(series, in.start_date, in.end_date);
  const Sample post_d = s.post_d.result();
  const Sample pre_d = s.pre_d.result();
  r.post_hours = post_d.n;
  r.pre_hours = pre_d.n;
  r.excluded_hours = s.excluded;
  r.sample_size_treatment = s.size_treat;
  r.sample_size_control = s.size_ctrl;

  if (s.excluded > 0) {
    r.warnings.push_back(plural(s.excluded, "hour was", "hours were") +
                         " excluded because a sample size was zero or a value was missing or not a number.");
  }
  if (post_d.n > 0) {
    r.treatment_mean = s.post_t.mean();  // a non-finite mean is caught by sanitize()
    r.control_mean = s.post_c.mean();
  }
  if (pre_d.n > 0) {
    r.pre_treatment_mean = s.pre_t.mean();
    r.pre_control_mean = s.pre_c.mean();
  }

  Estimate e = estimate(post_d, pre_d, alpha);
  r.method = e.did ? "did" : "paired";
  if (pre_d.n == 0) {
    r.warnings.push_back(
        "No pre-experiment hours, so a paired comparison of treatment and control during the experiment was "
        "used instead of difference-in-differences; any difference that existed before the start is not "
        "removed.");
  } else if (pre_d.n == 1) {
    r.warnings.push_back(
        "Only one usable pre-experiment hour (at least two are needed for difference-in-differences), so a "
        "paired comparison of treatment and control during the experiment was used.");
  } else if (pre_d.n == 2) {
    r.warnings.push_back(
        "Only two usable pre-experiment hours, so the parallel-trends check (which needs at least three) "
        "was not run.");
  }

  switch (e.issue) {
    case Estimate::Issue::kNoPost:
      r.warnings.push_back("No usable hours in the experiment period, so no effect can be estimated.");
      break;
    case Estimate::Issue::kOnePost:
      r.warnings.push_back(
          "Only one usable hour in the experiment period; at least two are needed for a p-value and a "
          "confidence interval.");
      break;
    case Estimate::Issue::kZeroSe:
      r.warnings.push_back(
          "The hourly treatment-minus-control differences do not vary, so the standard error is zero and no "
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

  if (e.delta && r.treatment_mean) {
    const double baseline = *r.treatment_mean - *e.delta;
    if (baseline == 0) {
      r.warnings.push_back(
          "The baseline is zero (the treatment group's expected value without the change), so the relative "
          "difference cannot be computed.");
    } else if (std::isfinite(baseline)) {
      r.relative_difference = *e.delta / baseline;
      if (e.ci) {
        const double b = std::fabs(baseline);
        r.relative_confidence_interval = Interval{e.ci->lower / b, e.ci->upper / b};
      }
    }
  }

  if (post_d.n >= 2 && e.delta) {
    const Sample st = s.post_t.result();
    const Sample sc = s.post_c.result();
    const double n1 = static_cast<double>(post_d.n);
    const double sp = std::sqrt(((n1 - 1) * st.var + (n1 - 1) * sc.var) / (2 * n1 - 2));
    if (sp > 0 && std::isfinite(sp)) {
      r.effect_size = *e.delta / sp;
    } else if (sp == 0) {
      r.warnings.push_back(
          "Neither the treatment nor the control values vary from hour to hour, so the effect size (Cohen's d) "
          "cannot be computed.");
    }
  }

  if (pre_d.n >= 3) {
    r.parallel_trends = parallel_trends(s);
    if (r.parallel_trends && r.parallel_trends->violated) {
      r.warnings.push_back(
          "Treatment and control were already drifting apart before the experiment (parallel-trends check p = " +
          format_number(*r.parallel_trends->p_value) +
          "), so the difference-in-differences estimate may be biased.");
    }
  }
  est_out = std::move(e);
  return r;
}

Srm sample_ratio_mismatch(const std::vector<domain::MetricSeries>& metrics, const AnalysisInput& in) {
  Srm srm;
  srm.expected_treatment_share = in.expected_treatment_share;
  if (metrics.empty()) return srm;
  std::int64_t nt = 0;
  std::int64_t nc = 0;
  for (const auto& p : metrics.front().points) {
    if (p.timestamp < in.start_date || p.timestamp >= in.end_date || !usable(p)) continue;
    nt = saturating_add(nt, p.treatment_sample_size);
    nc = saturating_add(nc, p.control_sample_size);
  }
  const double total = static_cast<double>(nt) + static_cast<double>(nc);
  if (!(total > 0)) return srm;
  srm.observed_treatment_share = opt(static_cast<double>(nt) / total);
  const double share = in.expected_treatment_share;
  if (!(share > 0 && share < 1)) return srm;
  const double et = total * share;
  const double ec = total * (1 - share);
  const double ot = static_cast<double>(nt);
  const double oc = static_cast<double>(nc);
  const double chi2 = (ot - et) * (ot - et) / et + (oc - ec) * (oc - ec) / ec;
  srm.chi_square = opt(chi2);
  if (srm.chi_square) {
    srm.p_value = opt(chi2_sf(chi2, 1));
    srm.detected = srm.p_value && *srm.p_value < kSrmAlpha;
  }
  return srm;
}

// The dollar series z_t over the hours usable for every priced metric, then the same estimator.
Estimate total_dollar_estimate(const std::vector<MetricWork>& priced, const AnalysisInput& in, double alpha) {
  const std::size_t m = priced.size();
  std::vector<double> coef(m);
  for (std::size_t j = 0; j < m; ++j) {
    const auto& pr = *priced[j].pricing;
    coef[j] = direction_sign(pr.direction) * (pr.dollars_per_unit / pr.unit_size);
  }
  // z_t, one metric at a time (a merge of sorted timestamps): the first priced metric lays out
  // its hours, each further one adds its term to the hours it shares and drops the others.
  struct Hour {
    domain::UnixSeconds ts;
    double z;
    bool ok;
  };
  std::vector<Hour> hours;
  for (std::size_t j = 0; j < m; ++j) {
    const auto& pts = priced[j].series->points;
    const double c = coef[j];
    if (j == 0) {
      hours.reserve(pts.size());
      for (const auto& pt : pts) {
        if (pt.timestamp >= in.end_date) continue;
        const bool ok = usable(pt);
        hours.push_back({pt.timestamp, ok ? 0.0 + c * (pt.treatment_value - pt.control_value) : 0.0, ok});
      }
      continue;
    }
    std::size_t k = 0;
    for (auto& h : hours) {
      while (k < pts.size() && pts[k].timestamp < h.ts) ++k;
      if (k >= pts.size() || pts[k].timestamp != h.ts || !usable(pts[k])) {
        h.ok = false;
      } else if (h.ok) {
        h.z += c * (pts[k].treatment_value - pts[k].control_value);
      }
      if (k < pts.size() && pts[k].timestamp == h.ts) ++k;
    }
  }
  std::vector<std::pair<double, bool>> z;  // (z_t, is_post)
  z.reserve(hours.size());
  for (const auto& h : hours) {
    if (h.ok) z.emplace_back(h.z, h.ts >= in.start_date);
  }
  TwoPass post;
  TwoPass pre;
  for (const auto& [v, is_post] : z) (is_post ? post : pre).add1(v);
  post.finish1();
  pre.finish1();
  for (const auto& [v, is_post] : z) (is_post ? post : pre).add2(v);
  return estimate(post.result(), pre.result(), alpha);
}

}  // namespace

AnalysisOutput analyze(const AnalysisInput& input) {
  AnalysisOutput out;
  out.correction = input.correction;

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
    domain::Direction direction = domain::Direction::kIncrease;
    const auto pit = input.pricing.find(series.metric_id);
    bool invalid_pricing = false;
    if (pit != input.pricing.end()) {
      direction = pit->second.direction;
      if (valid_pricing(pit->second)) {
        w.pricing = &pit->second;
      } else {
        invalid_pricing = true;
      }
    }
    MetricResult r = analyze_metric(series, input, alpha, confidence_level, direction, w.est);
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

  // Multiple-testing correction over the metrics that have a p-value.
  {
    std::vector<double> p;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i]->p_value) {
        p.push_back(*results[i]->p_value);
        which.push_back(i);
      }
    }
    const std::vector<double> adj = adjust_p_values(p, input.correction);
    for (std::size_t k = 0; k < which.size(); ++k) {
      MetricResult& r = *results[which[k]];
      r.adjusted_p_value = adj[k];
      r.significant = adj[k] < alpha;
    }
  }

  out.srm = sample_ratio_mismatch(input.metrics, input);

  // Economic impact.
  EconomicImpact& econ = out.economic_impact;
  std::vector<MetricWork> priced;
  double daily_sum = 0;
  for (std::size_t i = 0; i < work.size(); ++i) {
    const MetricWork& w = work[i];
    if (!w.pricing) continue;
    priced.push_back(w);
    const auto& pr = *w.pricing;
    MetricImpact mi;
    mi.metric_value_used = pr.dollars_per_unit;
    mi.unit_size = pr.unit_size;
    mi.improvement_direction = pr.direction;
    const double factor = direction_sign(pr.direction) * (pr.dollars_per_unit / pr.unit_size);
    if (w.est.delta) {
      mi.metric_change = w.est.delta;
      mi.daily_dollar_impact = opt(factor * *w.est.delta);
      if (mi.daily_dollar_impact) mi.dollar_impact = opt(*mi.daily_dollar_impact * duration_days);
    }
    if (w.est.ci) {
      const double a = factor * w.est.ci->lower * duration_days;
      const double b = factor * w.est.ci->upper * duration_days;
      if (std::isfinite(a) && std::isfinite(b)) mi.dollar_impact_interval = Interval{std::min(a, b), std::max(a, b)};
    }
    if (mi.dollar_impact) {
      econ.total_impact += *mi.dollar_impact;
      if (results[i]->significant) econ.significant_impact += *mi.dollar_impact;
    }
    if (mi.daily_dollar_impact) daily_sum += *mi.daily_dollar_impact;
    econ.metric_breakdown.emplace(w.series->metric_id, std::move(mi));
  }
  econ.annualized_impact = daily_sum * 365;
  if (input.implementation_cost && std::isfinite(*input.implementation_cost) && *input.implementation_cost > 0) {
    const double cost = *input.implementation_cost;
    econ.roi_percentage = opt((econ.annualized_impact - cost) / cost * 100);
  }
  if (!priced.empty()) {
    const Estimate z = total_dollar_estimate(priced, input, alpha);
    if (z.ci) {
      const double a = z.ci->lower * duration_days;
      const double b = z.ci->upper * duration_days;
      if (std::isfinite(a) && std::isfinite(b)) econ.total_impact_interval = Interval{std::min(a, b), std::max(a, b)};
    }
    econ.probability_of_positive_impact = z.prob_up;
  }
  if (!std::isfinite(econ.total_impact)) econ.total_impact = 0;
  if (!std::isfinite(econ.annualized_impact)) econ.annualized_impact = 0;
  if (!std::isfinite(econ.significant_impact)) econ.significant_impact = 0;
  return out;
}

}  // namespace rallyuxr::stats
