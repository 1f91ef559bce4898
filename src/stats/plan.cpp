// The planner of plan.hpp. Every statistical step is the analysis's (analysis.hpp: metric_blocks,
// dollar_blocks, block_variance, block_standard_error, minimum_detectable_effect, detection_power);
// this file only chooses the variance, the lengths and the level.
#include "stats/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "stats/analysis.hpp"

namespace rallyuxr::stats {
namespace {

std::optional<double> opt(double x) {
  if (std::isfinite(x)) return x;
  return std::nullopt;
}

std::string money(double x) {
  char buf[64];
  if (std::fabs(x) >= 100)
    std::snprintf(buf, sizeof buf, "$%.0f", x);
  else
    std::snprintf(buf, sizeof buf, "$%.2f", x);
  std::string s = buf;
  // Thousands separators for readability.
  auto dot = s.find('.');
  std::size_t end = dot == std::string::npos ? s.size() : dot;
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(end) - 3; i > 1; i -= 3)
    if (s[static_cast<std::size_t>(i) - 1] != '-' && s[static_cast<std::size_t>(i) - 1] != '$')
      s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string number(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

// The pooled within-period variance of the block means: the pre blocks around their mean and the
// post blocks around theirs (for history alone, one period: exactly block_variance of it).
PlanVariance variance_of(const BlockSeries& b) {
  PlanVariance v;
  v.pre_blocks = static_cast<std::int64_t>(b.pre.size());
  v.post_blocks = static_cast<std::int64_t>(b.post.size());
  v.blocks = v.pre_blocks + v.post_blocks;
  v.usable_hours = b.usable_hours;
  v.excluded_hours = b.excluded_hours;
  v.partial_blocks = b.partial_blocks;
  v.history_share = b.treatment_share;
  v.baseline = b.control_mean;
  const bool pre_ok = b.pre.size() >= 2;
  const bool post_ok = b.post.size() >= 2;
  double var = std::numeric_limits<double>::quiet_NaN();
  if (pre_ok && post_ok) {
    const double n0 = static_cast<double>(b.pre.size()) - 1;
    const double n1 = static_cast<double>(b.post.size()) - 1;
    var = (block_variance(b.pre) * n0 + block_variance(b.post) * n1) / (n0 + n1);
  } else if (pre_ok) {
    var = block_variance(b.pre);
  } else if (post_ok) {
    var = block_variance(b.post);
  }
  v.block_variance = opt(var);
  return v;
}

void apply_split(PlanVariance& v, const std::optional<double>& planned, const std::optional<double>& history_share) {
  v.variance_factor = 1;
  if (planned && history_share && *history_share > 0 && *history_share < 1 && *planned > 0 && *planned < 1 &&
      *planned != *history_share) {
    // var(d_t) ~ 1/nT + 1/nC = 1 / (N p (1 - p)) at the same total traffic N.
    v.variance_factor = (*history_share * (1 - *history_share)) / (*planned * (1 - *planned));
  }
  if (v.block_variance) v.planning_variance = opt(*v.block_variance * v.variance_factor);
}

struct SeMde {
  std::optional<double> se, df, mde;
};

SeMde at_duration(const std::optional<double>& var, bool did, int days, int pre_days, double alpha, double power) {
  SeMde r;
  if (!var) return r;
  const StandardError sd =
      block_standard_error(did, *var, static_cast<double>(days), *var, static_cast<double>(pre_days));
  r.se = opt(sd.se);
  r.df = opt(sd.df);
  if (r.se && r.df && *r.se > 0) r.mde = opt(minimum_detectable_effect(sd.se, sd.df, alpha, power));
  return r;
}

}  // namespace

PlanOutput plan(const PlanInput& in) {
  PlanOutput out;
  out.power = in.power;
  out.alpha = (100 - in.confidence_level) / 100;  // as analyze(): 95 gives exactly 0.05
  const bool did = in.design == domain::AnalysisDesign::kDid;

  // One entry per distinct metric, in order.
  std::vector<const domain::MetricSeries*> metrics;
  std::set<std::string> seen;
  for (const auto& s : in.metrics)
    if (seen.insert(s.metric_id).second) metrics.push_back(&s);
  out.corrected_metrics = static_cast<std::int64_t>(std::max<std::size_t>(metrics.size(), 1));
  // Holm's first step and BH's threshold when one metric moves are both alpha / m: planning for
  // that worst case keeps the promised power under either correction.
  out.metric_alpha =
      !in.correction ? out.alpha : out.alpha / static_cast<double>(out.corrected_metrics);

  // Per-metric variance.
  for (const auto* s : metrics) {
    PlanVariance v = variance_of(metric_blocks(*s, in.origin, in.end));
    apply_split(v, in.traffic_split, v.history_share);
    if (v.partial_blocks > 0)
      out.warnings.push_back(s->metric_id + ": " + std::to_string(v.partial_blocks) +
                             " day(s) of the history have fewer than 12 usable hours; their means rest on fewer hours.");
    if (v.block_variance && *v.block_variance == 0)
      out.warnings.push_back(s->metric_id + ": the daily differences do not vary in the history, so no minimum "
                                            "detectable effect can be computed.");
    out.variance.emplace_back(s->metric_id, v);
  }

  // The counted metrics: priced, the first of each value group.
  std::vector<const domain::MetricSeries*> counted;
  std::vector<domain::MetricPricing> counted_pricing;
  std::set<std::string> groups;
  for (const auto* s : metrics) {
    auto p = in.pricing.find(s->metric_id);
    if (p == in.pricing.end() || !(p->second.unit_size > 0) || !std::isfinite(p->second.dollars_per_unit)) continue;
    if (auto g = in.value_groups.find(s->metric_id); g != in.value_groups.end() && !g->second.empty())
      if (!groups.insert(g->second).second) continue;
    counted.push_back(s);
    counted_pricing.push_back(p->second);
    out.counted_in_total.push_back(s->metric_id);
  }
  if (!counted.empty()) {
    PlanVariance v = variance_of(dollar_blocks(counted, counted_pricing, in.origin, in.end));
    // The dollar series shares the hours (and so the split) of its metrics: the first one's share.
    apply_split(v, in.traffic_split, out.variance.empty() ? std::nullopt : [&] {
      for (const auto& [id, mv] : out.variance)
        if (id == counted.front()->metric_id) return mv.history_share;
      return std::optional<double>();
    }());
    out.total_variance = v;
  }

  std::vector<int> days = in.durations;
  if (days.empty())
    for (int d = kPlanMinDays; d <= kPlanMaxDays; ++d) days.push_back(d);
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());

  const bool has_target = in.target_daily_dollar_impact || !in.target_effects.empty();
  for (int d : days) {
    DurationPlan dp;
    dp.days = d;
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      const auto& id = metrics[i]->metric_id;
      const PlanVariance& v = out.variance[i].second;
      MetricPlan mp;
      const SeMde r = at_duration(v.planning_variance, did, d, in.pre_days, out.metric_alpha, in.power);
      mp.standard_error = r.se;
      mp.degrees_of_freedom = r.df;
      mp.mde = r.mde;
      if (mp.mde) {
        if (v.baseline && *v.baseline != 0) mp.relative_mde = opt(*mp.mde / std::fabs(*v.baseline));
        if (auto p = in.pricing.find(id); p != in.pricing.end() && p->second.unit_size > 0) {
          mp.daily_dollar_mde = opt(*mp.mde / p->second.unit_size * std::fabs(p->second.dollars_per_unit));
          if (mp.daily_dollar_mde) mp.period_dollar_mde = opt(*mp.daily_dollar_mde * d);
        }
      }
      if (auto t = in.target_effects.find(id); t != in.target_effects.end() && r.se && r.df)
        mp.power = opt(detection_power(std::fabs(t->second), *r.se, *r.df, out.metric_alpha));
      dp.metrics.emplace_back(id, mp);
    }
    if (out.total_variance) {
      const SeMde r = at_duration(out.total_variance->planning_variance, did, d, in.pre_days, out.alpha, in.power);
      dp.total_standard_error = r.se;
      dp.total_degrees_of_freedom = r.df;
      dp.total_daily_dollar_mde = r.mde;
      if (r.mde) dp.total_period_dollar_mde = opt(*r.mde * d);
      if (in.target_daily_dollar_impact && r.se && r.df)
        dp.total_power = opt(detection_power(std::fabs(*in.target_daily_dollar_impact), *r.se, *r.df, out.alpha));
    }
    out.durations.push_back(std::move(dp));
  }

  if (has_target) {
    PlanTarget t;
    auto reached = [&](const DurationPlan& dp) {
      if (in.target_daily_dollar_impact &&
          !(dp.total_daily_dollar_mde && *dp.total_daily_dollar_mde <= std::fabs(*in.target_daily_dollar_impact)))
        return false;
      for (const auto& [id, mp] : dp.metrics) {
        auto te = in.target_effects.find(id);
        if (te == in.target_effects.end()) continue;
        if (!(mp.mde && *mp.mde <= std::fabs(te->second))) return false;
      }
      return true;
    };
    for (const auto& dp : out.durations) {
      if (reached(dp)) {
        t.reached_at_days = dp.days;
        break;
      }
    }
    std::string what;
    if (in.target_daily_dollar_impact) what = money(std::fabs(*in.target_daily_dollar_impact)) + "/day in total";
    for (const auto& [id, e] : in.target_effects) {
      if (!what.empty()) what += " and ";
      what += "a change of " + number(std::fabs(e)) + " in " + id;
    }
    const int pct = static_cast<int>(std::lround(in.power * 100));
    if (t.reached_at_days) {
      t.message = "Detects " + what + " with " + std::to_string(pct) + "% power after " +
                  std::to_string(*t.reached_at_days) + " days.";
    } else {
      const int last = days.empty() ? kPlanMaxDays : days.back();
      t.message = "Not within " + std::to_string(last) + " days: " + what + " cannot be detected with " +
                  std::to_string(pct) + "% power";
      if (!out.durations.empty() && out.durations.back().total_daily_dollar_mde && in.target_daily_dollar_impact)
        t.message += " (after " + std::to_string(last) + " days the smallest detectable total is " +
                     money(*out.durations.back().total_daily_dollar_mde) + "/day)";
      t.message += ". More traffic, fewer metrics or a larger target would help.";
    }
    out.target = t;
  }
  if (did && in.pre_days < 2) out.warnings.push_back("did needs a pre period of at least 2 days.");
  // The variance is itself an estimate: planning at the estimated s reaches, on average, a little
  // less than the requested power (bench/plan_calibration: about 2 points with 4 weeks of
  // history, about 1 with 8). Said, not corrected, so that the MDE stays the analysis's.
  std::int64_t fewest = std::numeric_limits<std::int64_t>::max();
  for (const auto& [id, v] : out.variance) fewest = std::min(fewest, v.blocks);
  if (!out.variance.empty() && fewest < kPlanWellEstimatedDays && fewest >= kPlanMinHistoryDays)
    out.warnings.push_back("The day-to-day variance is estimated from " + std::to_string(fewest) +
                           " days of history; with less than 8 weeks the power actually reached averages 1-3 points "
                           "below the requested power (docs/statistics.md, Planning). A longer history narrows this.");
  return out;
}

}  // namespace rallyuxr::stats
