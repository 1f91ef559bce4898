#include "domain/plausibility.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rallyuxr::domain {
namespace {

// Shortest round-trip-ish text for a figure in a sentence ("3.07", "0.0307", "1.2e+06").
std::string figure(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const auto mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

void add_abs(std::vector<double>& out, const HourlyPoint& p) {
  if (std::isfinite(p.treatment_value)) out.push_back(std::fabs(p.treatment_value));
  if (std::isfinite(p.control_value)) out.push_back(std::fabs(p.control_value));
}

std::string hours(std::size_t n) { return std::to_string(n) + (n == 1 ? " hour" : " hours"); }

}  // namespace

std::vector<std::string> plausibility_warnings(const std::map<std::string, std::string>& units,
                                               const std::vector<MetricSeries>& uploaded,
                                               const std::vector<MetricSeries>& existing,
                                               UnixSeconds start_date) {
  // The uploaded series of each metric (a metric may come in more than one), by metric id. Points
  // are visited where they lie: this runs on every upload, 87,600 points for a year of 10 metrics.
  std::map<std::string, std::vector<const MetricSeries*>> up;
  for (const auto& s : uploaded) up[s.metric_id].push_back(&s);
  std::map<std::string, const MetricSeries*> old;
  for (const auto& s : existing) old[s.metric_id] = &s;
  auto each_point = [](const std::vector<const MetricSeries*>& series, auto&& f) {
    for (const auto* s : series)
      for (const auto& p : s->points) f(p);
  };

  std::vector<std::string> out;
  for (const auto& [metric, series] : up) {
    // 1. Rates stored as fractions.
    auto unit = units.find(metric);
    if (unit != units.end() && unit->second == "%") {
      std::size_t above = 0, below = 0;
      double max_v = 0, min_v = 0;
      each_point(series, [&](const HourlyPoint& p) {
        for (double v : {p.treatment_value, p.control_value}) {
          if (!std::isfinite(v)) continue;
          if (v > 1) {
            max_v = above++ ? std::max(max_v, v) : v;
          } else if (v < 0) {
            min_v = below++ ? std::min(min_v, v) : v;
          }
        }
      });
      if (above) {
        out.push_back(metric + ": " + std::to_string(above) + (above == 1 ? " value is" : " values are") +
                      " above 1 (up to " + figure(max_v) +
                      ") although the unit is %; rates are stored as fractions (0.0307 for 3.07%). "
                      "Was the data uploaded in percent?");
      }
      if (below) {
        out.push_back(metric + ": " + std::to_string(below) + (below == 1 ? " value is" : " values are") +
                      " below 0 (down to " + figure(min_v) + ") although the unit is %; a rate is between 0 and 1.");
      }
    }

    // 2. Scale against the pre period (the stored one, unless the upload brings the same hours).
    std::size_t count = 0;
    for (const auto* s : series) count += s->points.size();
    std::vector<double> pre, post;
    post.reserve(2 * count);
    std::size_t post_hours = 0;
    each_point(series, [&](const HourlyPoint& p) {
      if (p.timestamp < start_date) {
        add_abs(pre, p);
      } else {
        add_abs(post, p);
        ++post_hours;
      }
    });
    if (auto it = old.find(metric); it != old.end()) {
      std::vector<UnixSeconds> uploaded_hours;
      uploaded_hours.reserve(count);
      each_point(series, [&](const HourlyPoint& p) { uploaded_hours.push_back(p.timestamp); });
      std::sort(uploaded_hours.begin(), uploaded_hours.end());
      for (const auto& p : it->second->points)
        if (p.timestamp < start_date && !std::binary_search(uploaded_hours.begin(), uploaded_hours.end(), p.timestamp))
          add_abs(pre, p);
    }
    if (pre.empty() || post.empty()) continue;
    const double base = median(std::move(pre));
    const double now = median(std::move(post));
    if (base <= 0 || now <= 0) continue;
    const double ratio = now / base;
    if (ratio >= kPlausibleScaleFactor || ratio <= 1 / kPlausibleScaleFactor) {
      out.push_back(metric + ": the uploaded experiment-period values (" + hours(post_hours) + ", typical " +
                    figure(now) + ") are " + figure(ratio >= 1 ? ratio : 1 / ratio) + " times " +
                    (ratio >= 1 ? "larger" : "smaller") + " than the pre period's (typical " + figure(base) +
                    "). Check that both use the same unit.");
    }
  }
  return out;
}

}  // namespace rallyuxr::domain
