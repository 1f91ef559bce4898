// The upload readers' shared part (results_io.cpp's CSV and JSON readers, results_json_strict.cpp):
// the Collector, which gathers points per series and makes the upload-wide checks, and the
// checks of names, numbers and unique users. Internal to codec; not for other modules.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "codec/json_text.hpp"
#include "codec/results_io.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec::upload {

inline bool valid_metric_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// Where a series belongs: the overall figures (dimension and segment empty) or one segment.
struct SeriesKey {
  std::string dimension;
  std::string segment;
  std::string metric;
};

// Dimension names: letters, digits, '_', '-', '.' (they go in a query string); segment names: any
// text without control characters. Both 1 to 64 bytes.
inline bool valid_dimension(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}
inline bool valid_segment(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Collects points per series (overall or segment, and metric) and the upload-wide checks (window,
// on the hour, duplicates, the segments' rules). Rows are numbered; row_path names a row in issues.
class Collector {
 public:
  Collector(const UploadRules& rules, ParsedUpload& out) : rules_(rules), out_(out) {}

  // CSV: a row's number is its line. JSON: rows are numbered in reading order, and each array of
  // points starts a block: the path of a row is the block's prefix and its index in the array.
  void csv_rows() { csv_ = true; }
  std::uint32_t begin_block(std::string prefix) {
    blocks_.push_back({next_row_, std::move(prefix)});
    return next_row_;
  }
  std::uint32_t take_row() { return next_row_++; }
  std::string row_path(std::uint32_t row) const {
    if (csv_) return "line " + std::to_string(row);
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), row,
                               [](std::uint32_t r, const Block& b) { return r < b.first_row; });
    if (it == blocks_.begin()) return {};
    --it;
    return it->prefix + std::to_string(row - it->first_row);
  }

  void issue(std::string path, std::string message) {
    if (out_.issues.size() < kMaxReportedIssues)
      out_.issues.push_back({std::move(path), std::move(message)});
    else
      truncated_ = true;
  }

  // `path`: the issue's path, or a callable that makes it (only when there is an issue).
  template <class Path>
  static std::string path_of(const Path& path) {
    if constexpr (std::is_invocable_v<const Path&>) return path();
    else return std::string(path);
  }

  template <class Path>
  bool check_metric(const Path& path, std::string_view id) {
    if (!last_good_metric_.empty() && id == last_good_metric_) return true;  // the previous row's id
    if (!valid_metric_id(id)) {
      issue(path_of(path), "Invalid metric id '" + std::string(id) + "'");
      return false;
    }
    if (!rules_.metrics.empty() && !rules_.metrics.count(std::string(id))) {
      issue(path_of(path), "Metric '" + std::string(id) + "' is not tracked by this experiment");
      return false;
    }
    last_good_metric_.assign(id);
    return true;
  }

  // A row's dimension and segment: both empty (an overall row) or both valid names. Issues go to
  // `where` + `suffix` (built only then: this runs for every segment row).
  bool check_segment(const std::string& where, std::string_view suffix, std::string_view dimension,
                     std::string_view segment) {
    if (dimension.empty() && segment.empty()) return true;
    if (!dimension.empty() && !segment.empty() && valid_dimension(dimension) && valid_segment(segment)) return true;
    const std::string path = where + std::string(suffix);
    if (dimension.empty()) {
      issue(path, "A segment ('" + std::string(segment.substr(0, 64)) + "') needs its dimension; leave both empty for an overall row");
      return false;
    }
    if (segment.empty()) {
      issue(path, "A dimension ('" + std::string(dimension.substr(0, 64)) + "') needs its segment; leave both empty for an overall row");
      return false;
    }
    if (!valid_dimension(dimension)) {
      issue(path, "Invalid dimension '" + std::string(dimension.substr(0, 64)) +
                      "': 1 to 64 letters, digits, '_', '-' or '.'");
      return false;
    }
    if (!valid_segment(segment)) {
      issue(path, "Invalid segment '" + std::string(segment.substr(0, 64)) + "': 1 to 64 characters, no control characters");
      return false;
    }
    return true;
  }

  template <class Path>
  bool check_timestamp(const Path& path, std::string_view text, domain::UnixSeconds& t) {
    auto parsed = domain::parse_iso8601_datetime(text);
    if (!parsed) {
      issue(path_of(path), "Invalid timestamp '" + std::string(text.substr(0, 40)) + "': use ISO-8601 with a zone, e.g. 2025-01-15T14:00:00Z");
      return false;
    }
    t = *parsed;
    // Fractional seconds are dropped by the parser: a non-zero fraction is not on the hour.
    auto dot = text.find('.');
    bool fraction = dot != std::string_view::npos &&
                    text.substr(dot + 1).find_first_not_of("0Zz+-:0123456789") == std::string_view::npos &&
                    text.substr(dot + 1, text.substr(dot + 1).find_first_not_of("0123456789"))
                            .find_first_not_of('0') != std::string_view::npos;
    if (fraction || t % domain::kSecondsPerHour != 0) {
      issue(path_of(path), "Timestamp " + domain::format_iso8601(t) + " is not on the hour");
      return false;
    }
    if (rules_.earliest && t < *rules_.earliest) {
      issue(path_of(path), "Timestamp " + domain::format_iso8601(t) + " is more than 30 days before startDate");
      return false;
    }
    if (rules_.end && t >= *rules_.end) {
      issue(path_of(path), "Timestamp " + domain::format_iso8601(t) + " is not before endDate");
      return false;
    }
    return true;
  }

  // A point of the overall figures (dimension and segment empty) or of one segment.
  void add(std::uint32_t row, std::string_view dimension, std::string_view segment, std::string_view metric,
           const domain::HourlyPoint& p) {
    // Files sorted by series (as warehouses often write them) hit the previous row's series.
    if (last_ < series_.size()) {
      const auto& k = series_[last_].key;
      if (k.metric == metric && k.segment == segment && k.dimension == dimension) {
        add_to_last(row, p);
        return;
      }
    }
    key_.assign(dimension);
    key_ += '\x1f';
    key_ += segment;
    key_ += '\x1f';
    key_ += metric;
    std::size_t i;
    if (auto it = index_.find(key_); it != index_.end()) {
      i = it->second;
    } else {
      i = series_.size();
      index_.emplace(key_, i);
      series_.push_back(Series{{std::string(dimension), std::string(segment), std::string(metric)}, {}, {}, row});
      // Uploads tend to give every series the same hours: room for as many as the previous one.
      if (i > 0) {
        series_[i].points.reserve(series_[i - 1].points.size());
        series_[i].rows.reserve(series_[i - 1].points.size());
      }
    }
    last_ = i;
    add_to_last(row, p);
  }

  // A point of the series of the previous add() (a reader that knows it is still in that series'
  // block skips the comparison of names).
  void add_to_last(std::uint32_t row, const domain::HourlyPoint& p) {
    auto& s = series_[last_];
    s.points.push_back(p);
    s.rows.push_back(row);
  }

  // A segment's distinct users (JSON `segments.d.s.uniqueUsers`).
  void segment_users(const std::string& dimension, const std::string& segment, domain::UniqueUsers u) {
    segment_users_[{dimension, segment}] = u;
  }

  void finish() {
    bool duplicates = false;
    for (auto& s : series_) {
      sort_series(s);
      for (std::size_t k = 1; k < s.points.size(); ++k)
        if (s.points[k].timestamp == s.points[k - 1].timestamp) {
          duplicates = true;
          issue(row_path(s.rows[k]), "Duplicate hour " + domain::format_iso8601(s.points[k].timestamp) +
                                               " for metric '" + s.key.metric + "'" + of_segment(s.key));
        }
    }
    // Every problem of the segments is reported with the others (the sums only over hours given once).
    check_segments(!duplicates);
    if (truncated_) out_.issues.push_back({"", "More problems were found; only the first 100 are listed"});
    if (!out_.issues.empty()) return;
    // The points leave without a copy; their rows are no longer needed.
    auto plain = [](Series& s) {
      std::vector<std::uint32_t>().swap(s.rows);
      return std::move(s.points);
    };
    // Overall series in first appearance order (the file's metric order), then metrics that only
    // segments carried.
    for (auto& s : series_) {
      if (!s.key.dimension.empty()) continue;
      auto points = plain(s);
      if (auto d = derived_.find(s.key.metric); d != derived_.end()) {
        points.insert(points.end(), d->second.begin(), d->second.end());
        std::sort(points.begin(), points.end(),
                  [](const domain::HourlyPoint& a, const domain::HourlyPoint& b) { return a.timestamp < b.timestamp; });
        derived_.erase(d);
      }
      out_.metrics.push_back(domain::MetricSeries{s.key.metric, std::move(points)});
    }
    for (const auto& s : series_) {
      auto d = derived_.find(s.key.metric);
      if (d == derived_.end()) continue;
      std::sort(d->second.begin(), d->second.end(),
                [](const domain::HourlyPoint& a, const domain::HourlyPoint& b) { return a.timestamp < b.timestamp; });
      out_.metrics.push_back(domain::MetricSeries{s.key.metric, std::move(d->second)});
      derived_.erase(d);
    }
    for (auto& s : series_) {
      if (s.key.dimension.empty()) continue;
      auto& seg = out_.segments[s.key.dimension][s.key.segment];
      seg.series.push_back(domain::MetricSeries{s.key.metric, plain(s)});
    }
    for (const auto& [names, u] : segment_users_) {
      auto d = out_.segments.find(names.first);
      if (d == out_.segments.end()) continue;
      if (auto s = d->second.find(names.second); s != d->second.end()) s->second.unique_users = u;
    }
  }

 private:
  struct Block {
    std::uint32_t first_row;
    std::string prefix;
  };
  // A series' points, and beside them the row each came from (for the issues found after all
  // rows were read). Two arrays rather than one of pairs, so that the points leave as they are.
  struct Series {
    SeriesKey key;
    std::vector<domain::HourlyPoint> points;
    std::vector<std::uint32_t> rows;
    std::uint32_t first_row = 0;
  };

  // Sorts by time, rows in reading order within an hour. Already sorted (the usual upload): no work.
  static void sort_series(Series& s) {
    const auto n = s.points.size();
    bool sorted = true;
    for (std::size_t k = 1; k < n && sorted; ++k)
      sorted = s.points[k - 1].timestamp < s.points[k].timestamp ||
               (s.points[k - 1].timestamp == s.points[k].timestamp && s.rows[k - 1] < s.rows[k]);
    if (sorted) return;
    std::vector<std::uint32_t> order(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = static_cast<std::uint32_t>(k);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return s.points[a].timestamp != s.points[b].timestamp ? s.points[a].timestamp < s.points[b].timestamp
                                                            : s.rows[a] < s.rows[b];
    });
    std::vector<domain::HourlyPoint> points(n);
    std::vector<std::uint32_t> rows(n);
    for (std::size_t k = 0; k < n; ++k) {
      points[k] = s.points[order[k]];
      rows[k] = s.rows[order[k]];
    }
    s.points = std::move(points);
    s.rows = std::move(rows);
  }
  // Per hour, one dimension's segments added up.
  struct HourSum {
    std::int64_t tn = 0, cn = 0;
    double tw = 0, cw = 0;  // values times sample sizes
    std::uint32_t row = std::numeric_limits<std::uint32_t>::max();  // the first of its rows
  };
  // An overall hour: sent (from_dimension empty) or derived from a dimension's segments.
  struct OverallHour {
    domain::HourlyPoint point;
    std::uint32_t row = 0;
    std::string from_dimension;
  };

  static std::string of_segment(const SeriesKey& k) {
    return k.dimension.empty() ? std::string() : ", segment '" + k.segment + "' of dimension '" + k.dimension + "'";
  }
  static std::string num(double v) {
    std::string s;
    append_json_number(s, v);
    return s;
  }
  static bool close(double a, double b) {
    return a == b || std::fabs(a - b) <= kSegmentSumTolerance * std::max(std::fabs(a), std::fabs(b));
  }
  static std::string figures(std::int64_t tn, double tv, std::int64_t cn, double cv) {
    return "treatment " + std::to_string(tn) + " at " + num(tv) + ", control " + std::to_string(cn) + " at " + num(cv);
  }

  // The limits, the one-hour rule, and the sums: where an hour has both the overall figures and a
  // dimension's segments, the segments must add up to them; where it has only segments, the
  // overall figures are derived from the first dimension (by name) and the others must agree.
  void check_segments(bool sums) {
    auto names = rules_.stored_segments;
    std::set<std::string> over;
    for (const auto& s : series_) {  // in order of first appearance
      if (s.key.dimension.empty()) continue;
      auto d = names.find(s.key.dimension);
      if (d == names.end()) {
        if (names.size() >= domain::kMaxDimensions) {
          if (over.insert(s.key.dimension).second)
            issue(row_path(s.first_row), "Too many dimensions: at most " + std::to_string(domain::kMaxDimensions) +
                                             " per experiment; dimension '" + s.key.dimension + "' would be one more");
          continue;
        }
        d = names.emplace(s.key.dimension, std::set<std::string>{}).first;
      }
      if (!d->second.count(s.key.segment)) {
        if (d->second.size() >= domain::kMaxSegmentsPerDimension) {
          if (over.insert(s.key.dimension + '\x1f' + s.key.segment).second)
            issue(row_path(s.first_row), "Too many segments in dimension '" + s.key.dimension + "': at most " +
                                             std::to_string(domain::kMaxSegmentsPerDimension) +
                                             " per dimension; segment '" + s.key.segment + "' would be one more");
          continue;
        }
        d->second.insert(s.key.segment);
      }
    }
    for (const auto& s : series_) {
      if (s.key.dimension.empty() || s.points.size() != 1) continue;
      auto stored = rules_.stored_segments.find(s.key.dimension);
      if (stored != rules_.stored_segments.end() && stored->second.count(s.key.segment)) continue;
      issue(row_path(s.first_row), "Segment '" + s.key.segment + "' of dimension '" + s.key.dimension +
                                       "' has a single hour of metric '" + s.key.metric +
                                       "'; a segment needs at least two hours");
    }
    for (const auto& [names_key, u] : segment_users_) {
      bool has = false;
      for (const auto& s : series_) has = has || (s.key.dimension == names_key.first && s.key.segment == names_key.second);
      if (!has)
        issue("segments." + names_key.first + "." + names_key.second + ".uniqueUsers",
              "The segment has no hourly points; send its unique users with its series");
    }
    if (!sums) return;

    // metric -> dimension -> its segment series, dimensions by name
    std::map<std::string, std::map<std::string, std::vector<const Series*>>> by_metric;
    std::map<std::string, const Series*> overall;
    for (const auto& s : series_) {
      if (s.key.dimension.empty()) overall[s.key.metric] = &s;
      else by_metric[s.key.metric][s.key.dimension].push_back(&s);
    }
    for (const auto& [metric, dims] : by_metric) {
      std::unordered_map<domain::UnixSeconds, OverallHour> hours;
      if (auto o = overall.find(metric); o != overall.end()) {
        hours.reserve(o->second->points.size());
        const Series& os = *o->second;
        for (std::size_t k = 0; k < os.points.size(); ++k)
          hours.emplace(os.points[k].timestamp, OverallHour{os.points[k], os.rows[k], {}});
      }
      for (const auto& [dimension, segs] : dims) {
        std::map<domain::UnixSeconds, HourSum> sums;
        for (const Series* s : segs)
          for (std::size_t k = 0; k < s->points.size(); ++k) {
            const domain::HourlyPoint& p = s->points[k];
            auto& h = sums[p.timestamp];
            h.tn += p.treatment_sample_size;
            h.cn += p.control_sample_size;
            h.tw += p.treatment_value * static_cast<double>(p.treatment_sample_size);
            h.cw += p.control_value * static_cast<double>(p.control_sample_size);
            h.row = std::min(h.row, s->rows[k]);
          }
        for (const auto& [t, h] : sums) {
          const double tv = h.tn > 0 ? h.tw / static_cast<double>(h.tn) : 0;
          const double cv = h.cn > 0 ? h.cw / static_cast<double>(h.cn) : 0;
          auto o = hours.find(t);
          if (o == hours.end()) {
            domain::HourlyPoint p{t, tv, cv, h.tn, h.cn};
            hours.emplace(t, OverallHour{p, h.row, dimension});
            derived_[metric].push_back(p);
            ++out_.derived_overall_points;
            continue;
          }
          const auto& op = o->second.point;
          bool same = h.tn == op.treatment_sample_size && h.cn == op.control_sample_size &&
                      (h.tn == 0 || close(tv, op.treatment_value)) && (h.cn == 0 || close(cv, op.control_value));
          if (same) continue;
          const std::string when = " at " + domain::format_iso8601(t) + " for metric '" + metric + "'";
          if (o->second.from_dimension.empty())
            issue(row_path(o->second.row),
                  "Conflicts with the segments of dimension '" + dimension + "' (" + row_path(h.row) + ")" + when +
                      ": they add up to " + figures(h.tn, tv, h.cn, cv) + ", this overall row has " +
                      figures(op.treatment_sample_size, op.treatment_value, op.control_sample_size, op.control_value) +
                      "; segment sample sizes must add up to the overall's and their sample-weighted values match it");
          else
            issue(row_path(h.row), "The segments of dimension '" + dimension + "'" + when + " add up to " +
                                       figures(h.tn, tv, h.cn, cv) + ", those of dimension '" +
                                       o->second.from_dimension + "' (" + row_path(o->second.row) + ") to " +
                                       figures(op.treatment_sample_size, op.treatment_value,
                                               op.control_sample_size, op.control_value) +
                                       "; every dimension's segments must add up to the same overall figures");
        }
      }
    }
  }

  const UploadRules& rules_;
  ParsedUpload& out_;
  std::vector<Series> series_;  // in order of first appearance
  std::unordered_map<std::string, std::size_t> index_;
  std::string last_good_metric_;
  std::string key_;
  std::size_t last_ = std::numeric_limits<std::size_t>::max();  // the series of the previous row
  std::map<std::string, std::vector<domain::HourlyPoint>> derived_;  // overall hours made from segments
  std::map<std::pair<std::string, std::string>, domain::UniqueUsers> segment_users_;
  std::vector<Block> blocks_;
  std::uint32_t next_row_ = 0;
  bool csv_ = false;
  bool truncated_ = false;
};

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

inline bool parse_double(std::string_view s, double& v) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

inline bool parse_count(std::string_view s, std::int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) return v >= 0 && v <= domain::kMaxSampleSize;
  double d;  // "120.0" is an integer too
  if (!parse_double(s, d) || d < 0 || d != std::floor(d) || d > static_cast<double>(domain::kMaxSampleSize)) return false;
  v = static_cast<std::int64_t>(d);
  return true;
}

// uniqueUsers must come for both groups, be non-negative integers (already checked by the
// readers) and not exceed the post-period user-hours of the upload (the largest sum of a group's
// sample sizes over the metrics): a user counted once is in at least one hour.
inline void check_unique_users(ParsedUpload& out, const UploadRules& rules, bool malformed,
                        const std::string& treatment_path, const std::string& control_path,
                        const std::optional<std::int64_t>& treatment, const std::optional<std::int64_t>& control) {
  if (malformed || (!treatment && !control)) return;
  if (!treatment || !control) {
    out.issues.push_back({treatment ? control_path : treatment_path,
                          "uniqueUsers must be given for both groups (treatment and control) or not at all"});
    out.metrics.clear();  // a rejected upload carries no data
    return;
  }
  if (!out.issues.empty()) return;
  // Post-period user-hours per metric and group, over the merged series when merging.
  std::map<std::string, std::map<domain::UnixSeconds, std::pair<std::int64_t, std::int64_t>>> hours;
  auto take = [&](const std::vector<domain::MetricSeries>& metrics) {
    for (const auto& m : metrics) {
      auto& h = hours[m.metric_id];
      for (const auto& p : m.points)
        if (!rules.start || p.timestamp >= *rules.start)
          h[p.timestamp] = {p.treatment_sample_size, p.control_sample_size};
    }
  };
  if (rules.merge_with) take(*rules.merge_with);
  take(out.metrics);  // uploaded hours replace stored ones
  std::int64_t max_t = 0, max_c = 0;
  for (const auto& [id, h] : hours) {
    std::int64_t st = 0, sc = 0;
    for (const auto& [t, n] : h) {
      if (__builtin_add_overflow(st, n.first, &st)) st = std::numeric_limits<std::int64_t>::max();
      if (__builtin_add_overflow(sc, n.second, &sc)) sc = std::numeric_limits<std::int64_t>::max();
    }
    max_t = std::max(max_t, st);
    max_c = std::max(max_c, sc);
  }
  if (*treatment > max_t)
    out.issues.push_back({treatment_path, "Unique users (" + std::to_string(*treatment) +
                                              ") exceed the treatment group's post-period sample sizes (" +
                                              std::to_string(max_t) + " user-hours)"});
  if (*control > max_c)
    out.issues.push_back({control_path, "Unique users (" + std::to_string(*control) +
                                            ") exceed the control group's post-period sample sizes (" +
                                            std::to_string(max_c) + " user-hours)"});
  if (out.issues.empty()) out.unique_users = domain::UniqueUsers{*treatment, *control};
  else out.metrics.clear();
}


}  // namespace rallyuxr::codec::upload
