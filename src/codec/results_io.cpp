#include "codec/results_io.hpp"

#include <boost/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>
#include <type_traits>
#include <unordered_set>

#include "codec/csv_reader.hpp"
#include "codec/json_text.hpp"
#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace json = boost::json;
namespace {

bool valid_metric_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// Where a series belongs: the overall figures (dimension and segment empty) or one segment.
struct SeriesKey {
  std::string dimension;
  std::string segment;
  std::string metric;
};

// A point with the row it came from (for the issues found after all rows were read).
struct RowPoint {
  domain::HourlyPoint point;
  std::uint32_t row = 0;
};

// Dimension names: letters, digits, '_', '-', '.' (they go in a query string); segment names: any
// text without control characters. Both 1 to 64 bytes.
bool valid_dimension(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}
bool valid_segment(std::string_view s) {
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
        series_[last_].points.push_back({p, row});
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
      series_.push_back(Series{{std::string(dimension), std::string(segment), std::string(metric)}, {}, row});
    }
    series_[i].points.push_back({p, row});
    last_ = i;
  }

  // A segment's distinct users (JSON `segments.d.s.uniqueUsers`).
  void segment_users(const std::string& dimension, const std::string& segment, domain::UniqueUsers u) {
    segment_users_[{dimension, segment}] = u;
  }

  void finish() {
    bool duplicates = false;
    for (auto& s : series_) {
      std::sort(s.points.begin(), s.points.end(), [](const RowPoint& a, const RowPoint& b) {
        return a.point.timestamp != b.point.timestamp ? a.point.timestamp < b.point.timestamp : a.row < b.row;
      });
      for (std::size_t k = 1; k < s.points.size(); ++k)
        if (s.points[k].point.timestamp == s.points[k - 1].point.timestamp) {
          duplicates = true;
          issue(row_path(s.points[k].row), "Duplicate hour " + domain::format_iso8601(s.points[k].point.timestamp) +
                                               " for metric '" + s.key.metric + "'" + of_segment(s.key));
        }
    }
    // Every problem of the segments is reported with the others (the sums only over hours given once).
    check_segments(!duplicates);
    if (truncated_) out_.issues.push_back({"", "More problems were found; only the first 100 are listed"});
    if (!out_.issues.empty()) return;
    auto plain = [](std::vector<RowPoint>& points) {
      std::vector<domain::HourlyPoint> v;
      v.reserve(points.size());
      for (const auto& rp : points) v.push_back(rp.point);
      std::vector<RowPoint>().swap(points);
      return v;
    };
    // Overall series in first appearance order (the file's metric order), then metrics that only
    // segments carried.
    for (auto& s : series_) {
      if (!s.key.dimension.empty()) continue;
      auto points = plain(s.points);
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
      seg.series.push_back(domain::MetricSeries{s.key.metric, plain(s.points)});
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
  struct Series {
    SeriesKey key;
    std::vector<RowPoint> points;
    std::uint32_t first_row = 0;
  };
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
        for (const auto& rp : o->second->points) hours.emplace(rp.point.timestamp, OverallHour{rp.point, rp.row, {}});
      }
      for (const auto& [dimension, segs] : dims) {
        std::map<domain::UnixSeconds, HourSum> sums;
        for (const Series* s : segs)
          for (const auto& rp : s->points) {
            auto& h = sums[rp.point.timestamp];
            h.tn += rp.point.treatment_sample_size;
            h.cn += rp.point.control_sample_size;
            h.tw += rp.point.treatment_value * static_cast<double>(rp.point.treatment_sample_size);
            h.cw += rp.point.control_value * static_cast<double>(rp.point.control_sample_size);
            h.row = std::min(h.row, rp.row);
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_double(std::string_view s, double& v) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

bool parse_count(std::string_view s, std::int64_t& v) {
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
void check_unique_users(ParsedUpload& out, const UploadRules& rules, bool malformed,
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

}  // namespace

ParsedUpload parse_results_csv(std::string_view text, const UploadRules& rules) {
  ParsedUpload out;
  Collector col(rules, out);
  CsvReader csv(text);  // fields in place, by header name (it skips the byte order mark itself)
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
      static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
    text.remove_prefix(3);
  if (trim(text).find_first_not_of("\r\n") == std::string_view::npos) {
    col.issue("line 1", std::string("Empty upload; expected the header ") + kResultsCsvHeader);
    col.finish();
    return out;
  }
  int idx[6] = {-1, -1, -1, -1, -1, -1};
  static const char* kColumns[6] = {"metricId", "timestamp", "treatmentValue", "controlValue",
                                    "treatmentSampleSize", "controlSampleSize"};
  std::size_t columns = 0;
  int uu_idx[2] = {-1, -1};  // optional uniqueUsersTreatment, uniqueUsersControl
  int seg_idx[2] = {-1, -1};  // optional dimension, segment
  col.csv_rows();
  std::optional<std::int64_t> uu_val[2];
  bool uu_bad = false;
  std::string uu_path[2] = {"line 1: uniqueUsersTreatment", "line 1: uniqueUsersControl"};
  while (csv.next_line()) {
    const std::size_t line_no = csv.line_number();
    if (line_no == 1) {
      if (!csv.split()) {
        col.issue("line 1", "Malformed header");
        break;
      }
      csv.take_header();
      const std::vector<std::string>& fields = csv.header();
      columns = fields.size();
      for (std::size_t i = 0; i < fields.size(); ++i)
        for (int c = 0; c < 6; ++c)
          if (fields[i] == kColumns[c]) idx[c] = static_cast<int>(i);
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == kUniqueUsersTreatmentColumn) uu_idx[0] = static_cast<int>(i);
        if (fields[i] == kUniqueUsersControlColumn) uu_idx[1] = static_cast<int>(i);
        if (fields[i] == kDimensionColumn) seg_idx[0] = static_cast<int>(i);
        if (fields[i] == kSegmentColumn) seg_idx[1] = static_cast<int>(i);
      }
      if ((seg_idx[0] < 0) != (seg_idx[1] < 0))
        col.issue("line 1", std::string("Column '") + (seg_idx[0] < 0 ? kSegmentColumn : kDimensionColumn) +
                                "' needs column '" + (seg_idx[0] < 0 ? kDimensionColumn : kSegmentColumn) +
                                "': segment rows name both");
      // A file with segments has no unknown columns (a misnamed dimension column would otherwise
      // be ignored and its rows taken as overall rows).
      if (seg_idx[0] >= 0 || seg_idx[1] >= 0)
        for (const auto& f : fields) {
          bool known = f == "period" || f == kUniqueUsersTreatmentColumn || f == kUniqueUsersControlColumn ||
                       f == kDimensionColumn || f == kSegmentColumn;
          for (int c = 0; c < 6; ++c) known = known || f == kColumns[c];
          if (!known)
            col.issue("line 1", "Unknown column '" + f.substr(0, 64) + "'; a file with segments has the columns " +
                                    kResultsCsvHeader + ",dimension,segment and optionally period, " +
                                    kUniqueUsersTreatmentColumn + ", " + kUniqueUsersControlColumn);
        }
      for (int c = 0; c < 6; ++c)
        if (idx[c] < 0) col.issue("line 1", std::string("Missing column '") + kColumns[c] + "'; expected header " + kResultsCsvHeader);
      if (!out.issues.empty()) break;
      continue;
    }
    if (csv.blank()) continue;
    ++out.rows;
    std::string where = "line " + std::to_string(line_no);
    if (!csv.split()) {
      col.issue(where, "Unterminated quoted field");
      continue;
    }
    if (csv.size() != columns) {
      col.issue(where, "Expected " + std::to_string(columns) + " fields, found " + std::to_string(csv.size()));
      continue;
    }
    const std::string_view metric = csv[idx[0]];
    domain::HourlyPoint p;
    bool good = col.check_metric([&] { return where + ": metricId"; }, metric);
    good = col.check_timestamp([&] { return where + ": timestamp"; }, csv[idx[1]], p.timestamp) && good;
    if (!parse_double(csv[idx[2]], p.treatment_value)) {
      col.issue(where + ": treatmentValue", "Must be a finite number");
      good = false;
    }
    if (!parse_double(csv[idx[3]], p.control_value)) {
      col.issue(where + ": controlValue", "Must be a finite number");
      good = false;
    }
    if (!parse_count(csv[idx[4]], p.treatment_sample_size)) {
      col.issue(where + ": treatmentSampleSize", "Must be an integer from 0 to 10^12");
      good = false;
    }
    if (!parse_count(csv[idx[5]], p.control_sample_size)) {
      col.issue(where + ": controlSampleSize", "Must be an integer from 0 to 10^12");
      good = false;
    }
    std::string_view dimension = seg_idx[0] >= 0 ? csv[seg_idx[0]] : std::string_view();
    std::string_view segment = seg_idx[1] >= 0 ? csv[seg_idx[1]] : std::string_view();
    good = col.check_segment(where, ": dimension", dimension, segment) && good;
    for (int g = 0; g < 2; ++g) {
      if (uu_idx[g] < 0 || csv[uu_idx[g]].empty()) continue;
      if (!dimension.empty() || !segment.empty()) {
        col.issue(where + ": " + (g == 0 ? kUniqueUsersTreatmentColumn : kUniqueUsersControlColumn),
                  "Unique users in CSV are the overall figures; leave the cell empty on segment rows");
        good = false;
        continue;
      }
      const char* name = g == 0 ? kUniqueUsersTreatmentColumn : kUniqueUsersControlColumn;
      std::int64_t v = 0;
      if (!parse_count(csv[uu_idx[g]], v)) {
        col.issue(where + ": " + name, "Must be a non-negative integer");
        good = false;
        uu_bad = true;
      } else if (uu_val[g] && *uu_val[g] != v) {
        col.issue(where + ": " + name, "Differs from the value given earlier (" + std::to_string(*uu_val[g]) +
                                           "); give the upload's unique users once");
        good = false;
        uu_bad = true;
      } else if (!uu_val[g]) {
        uu_val[g] = v;
        uu_path[g] = where + ": " + name;
      }
    }
    if (good) col.add(static_cast<std::uint32_t>(line_no), dimension, segment, metric, p);
  }
  if (out.rows == 0 && out.issues.empty())
    col.issue("line 2", "The upload holds no hourly points (only a header)");
  col.finish();
  check_unique_users(out, rules, uu_bad, uu_path[0], uu_path[1], uu_val[0], uu_val[1]);
  return out;
}

ParsedUpload parse_results_json(const json::object& body, const UploadRules& rules) {
  ParsedUpload out;
  Collector col(rules, out);
  auto mit = body.find("metrics");
  auto sit = body.find("segments");
  const bool has_segments = sit != body.end() && !sit->value().is_null();
  if (!has_segments && (mit == body.end() || !mit->value().is_object())) {
    col.issue("metrics", "Required: an object of metric id -> {timeSeries: [...]}");
    col.finish();
    return out;
  }
  // The metrics of the overall figures (prefix "metrics.") or of one segment.
  auto read_metrics = [&](const json::object& metrics, const std::string& prefix, const std::string& dimension,
                          const std::string& segment) {
  for (const auto& kv : metrics) {
    std::string id(kv.key());
    std::string base = prefix + id;
    if (!col.check_metric(base, id)) continue;
    if (!kv.value().is_object()) {
      col.issue(base, "Expected an object with timeSeries");
      continue;
    }
    const auto& m = kv.value().get_object();
    auto tit = m.find("timeSeries");
    if (tit == m.end() || !tit->value().is_array()) {
      col.issue(base + ".timeSeries", "Required: an array of hourly points");
      continue;
    }
    const auto& arr = tit->value().get_array();
    col.begin_block(base + ".timeSeries.");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      ++out.rows;
      const std::uint32_t row = col.take_row();
      std::string where = base + ".timeSeries." + std::to_string(i);
      if (!arr[i].is_object()) {
        col.issue(where, "Expected an object");
        continue;
      }
      const auto& pt = arr[i].get_object();
      domain::HourlyPoint p;
      bool good = true;
      auto ts = pt.find("timestamp");
      if (ts == pt.end() || !ts->value().is_string()) {
        col.issue(where + ".timestamp", "Required: an ISO-8601 string");
        good = false;
      } else {
        good = col.check_timestamp(where + ".timestamp", ts->value().get_string(), p.timestamp);
      }
      auto number = [&](const char* key, double& v) {
        auto it = pt.find(key);
        if (it != pt.end() && it->value().is_number()) {
          v = it->value().to_number<double>();
          if (std::isfinite(v)) return true;
        }
        col.issue(where + "." + key, "Must be a finite number");
        return false;
      };
      auto count = [&](const char* key, std::int64_t& v) {
        auto it = pt.find(key);
        if (it != pt.end()) {
          const auto& x = it->value();
          if (x.is_int64() && x.get_int64() >= 0 && x.get_int64() <= domain::kMaxSampleSize) {
            v = x.get_int64();
            return true;
          }
          if (x.is_uint64() && x.get_uint64() <= static_cast<std::uint64_t>(domain::kMaxSampleSize)) {
            v = static_cast<std::int64_t>(x.get_uint64());
            return true;
          }
          if (x.is_double() && x.get_double() >= 0 && x.get_double() == std::floor(x.get_double()) &&
              x.get_double() <= static_cast<double>(domain::kMaxSampleSize)) {
            v = static_cast<std::int64_t>(x.get_double());
            return true;
          }
        }
        col.issue(where + "." + key, "Must be an integer from 0 to 10^12");
        return false;
      };
      good = number("treatmentValue", p.treatment_value) && good;
      good = number("controlValue", p.control_value) && good;
      good = count("treatmentSampleSize", p.treatment_sample_size) && good;
      good = count("controlSampleSize", p.control_sample_size) && good;
      if (good) col.add(row, dimension, segment, id, p);
    }
  }
  };
  // uniqueUsers {treatment, control} at `path` into uu.
  auto read_users = [&](const json::value& v, const std::string& path, std::optional<std::int64_t> (&uu)[2]) {
    if (!v.is_object()) {
      col.issue(path, "Expected an object {treatment, control} of distinct users per group");
      return;
    }
    const auto& o = v.get_object();
    const char* keys[2] = {"treatment", "control"};
    for (int g = 0; g < 2; ++g) {
      auto it = o.find(keys[g]);
      if (it == o.end() || it->value().is_null()) continue;
      const auto& x = it->value();
      if (x.is_int64() && x.get_int64() >= 0) uu[g] = x.get_int64();
      else if (x.is_uint64() && x.get_uint64() <= 9'000'000'000'000'000ULL) uu[g] = static_cast<std::int64_t>(x.get_uint64());
      else if (x.is_double() && x.get_double() >= 0 && x.get_double() == std::floor(x.get_double()) && x.get_double() < 9e15)
        uu[g] = static_cast<std::int64_t>(x.get_double());
      else col.issue(path + "." + keys[g], "Must be a non-negative integer");
    }
    for (const auto& kv : o)
      if (kv.key() != "treatment" && kv.key() != "control")
        col.issue(path + "." + std::string(kv.key()), "Unknown field; expected treatment and control");
    if (!uu[0] && !uu[1] && o.empty()) col.issue(path, "Expected treatment and control");
  };
  if (mit != body.end() && mit->value().is_object()) read_metrics(mit->value().get_object(), "metrics.", {}, {});
  else if (mit != body.end() && !mit->value().is_null())
    col.issue("metrics", "Expected an object of metric id -> {timeSeries: [...]}");
  if (has_segments) {
    // {dimension: {segment: {metrics: {...}, uniqueUsers?}}}
    if (!sit->value().is_object()) {
      col.issue("segments", "Expected an object of dimension -> segment -> {metrics: {...}}");
    } else {
      for (const auto& d : sit->value().get_object()) {
        std::string dimension(d.key());
        std::string dpath = "segments." + dimension;
        if (!d.value().is_object()) {
          col.issue(dpath, "Expected an object of segment -> {metrics: {...}}");
          continue;
        }
        for (const auto& sg : d.value().get_object()) {
          std::string segment(sg.key());
          std::string spath = dpath + "." + segment;
          if (!col.check_segment(spath, {}, dimension, segment)) continue;
          if (!sg.value().is_object()) {
            col.issue(spath, "Expected an object {metrics: {...}}");
            continue;
          }
          const auto& so = sg.value().get_object();
          auto smit = so.find("metrics");
          if (smit == so.end() || !smit->value().is_object()) {
            col.issue(spath + ".metrics", "Required: an object of metric id -> {timeSeries: [...]}");
            continue;
          }
          for (const auto& kv : so)
            if (kv.key() != "metrics" && kv.key() != "uniqueUsers")
              col.issue(spath + "." + std::string(kv.key()), "Unknown field; a segment has metrics and uniqueUsers");
          read_metrics(smit->value().get_object(), spath + ".metrics.", dimension, segment);
          if (auto uit = so.find("uniqueUsers"); uit != so.end() && !uit->value().is_null()) {
            std::optional<std::int64_t> su[2];
            const std::size_t before = out.issues.size();
            read_users(uit->value(), spath + ".uniqueUsers", su);
            if (out.issues.size() == before) {
              if (!su[0] || !su[1])
                col.issue(spath + ".uniqueUsers", "uniqueUsers must be given for both groups (treatment and control) or not at all");
              else
                col.segment_users(dimension, segment, domain::UniqueUsers{*su[0], *su[1]});
            }
          }
        }
      }
    }
  }
  if (out.rows == 0 && out.issues.empty()) col.issue("metrics", "The upload holds no hourly points");
  std::optional<std::int64_t> uu[2];
  const std::size_t issues_before = out.issues.size();
  if (auto uit = body.find("uniqueUsers"); uit != body.end() && !uit->value().is_null())
    read_users(uit->value(), "uniqueUsers", uu);
  const bool uu_bad = out.issues.size() != issues_before;
  col.finish();
  check_unique_users(out, rules, uu_bad, "uniqueUsers.treatment", "uniqueUsers.control", uu[0], uu[1]);
  return out;
}

namespace {

namespace dom = simdjson::dom;

// Deeper documents are left to the general parser (and its limit of 64); an upload is 5 deep.
constexpr std::size_t kFastMaxDepth = 32;

enum class Found { kNo, kYes, kTwice };

// The value of `key` in `o`; kTwice when the key repeats (the general path decides then).
Found find_once(const dom::object& o, std::string_view key, dom::element& out) {
  Found f = Found::kNo;
  for (auto field : o) {
    if (field.key != key) continue;
    if (f == Found::kYes) return Found::kTwice;
    out = field.value;
    f = Found::kYes;
  }
  return f;
}

// A finite number as parse_json_exact gives it: integers converted to the nearest double,
// decimals correctly rounded (simdjson rounds correctly; it refuses what does not fit).
bool fast_number(const dom::element& e, double& v) {
  switch (e.type()) {
    case dom::element_type::INT64: v = static_cast<double>(std::int64_t(e)); return true;
    case dom::element_type::UINT64: v = static_cast<double>(std::uint64_t(e)); return true;
    case dom::element_type::DOUBLE: v = double(e); return std::isfinite(v);
    default: return false;
  }
}

bool fast_count(const dom::element& e, std::int64_t& v, std::int64_t max, bool max_exclusive_double) {
  switch (e.type()) {
    case dom::element_type::INT64: v = std::int64_t(e); return v >= 0 && v <= max;
    case dom::element_type::UINT64: {
      std::uint64_t u = std::uint64_t(e);
      if (u > static_cast<std::uint64_t>(max)) return false;
      v = static_cast<std::int64_t>(u);
      return true;
    }
    case dom::element_type::DOUBLE: {
      double d = double(e);
      if (!(d >= 0) || d != std::floor(d)) return false;
      if (max_exclusive_double ? d >= 9e15 : d > static_cast<double>(max)) return false;
      v = static_cast<std::int64_t>(d);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::optional<ParsedUpload> parse_results_json_fast(std::string_view text, std::size_t capacity,
                                                    const UploadRules& rules, bool envelope) {
  dom::parser parser;
  if (parser.allocate(text.size(), kFastMaxDepth) != simdjson::SUCCESS) return std::nullopt;
  dom::element doc;
  // Without a copy when the buffer has simdjson's padding behind the text.
  const bool padded = capacity >= text.size() + simdjson::SIMDJSON_PADDING;
  if (parser.parse(text.data(), text.size(), !padded).get(doc) != simdjson::SUCCESS) return std::nullopt;
  dom::object body;
  if (doc.get_object().get(body) != simdjson::SUCCESS) return std::nullopt;
  if (envelope) {  // the GET .../results envelope: {"data": {"results": {...}}}
    dom::element data, results;
    Found f = find_once(body, "data", data);
    if (f == Found::kTwice) return std::nullopt;
    dom::object data_obj, results_obj;
    if (f == Found::kYes && data.get_object().get(data_obj) == simdjson::SUCCESS) {
      Found r = find_once(data_obj, "results", results);
      if (r == Found::kTwice) return std::nullopt;
      if (r == Found::kYes && results.get_object().get(results_obj) == simdjson::SUCCESS) body = results_obj;
    }
  }

  // Keys this path reads, or may skip: the upload's, and those of a GET .../results response that
  // the offline analysis accepts. Any other key sends the upload the general way, so that a field
  // the general parser learns is never dropped here without notice.
  for (auto field : body)
    if (field.key != "metrics" && field.key != "segments" && field.key != "uniqueUsers" &&
        field.key != "experimentId" && field.key != "generatedAt" && field.key != "experimentPeriod" &&
        field.key != "version" && field.key != "dimensions")
      return std::nullopt;

  ParsedUpload out;
  Collector col(rules, out);
  // Any problem: nullopt, and the general path reports it with its path.
  // The metrics of the overall figures or of one segment: {metricId: {timeSeries: [...]}}.
  auto read_metrics = [&](const dom::object& metrics, std::string_view dimension, std::string_view segment) {
    std::unordered_set<std::string_view> ids;
    for (auto metric : metrics) {
      const std::string_view id = metric.key;
      if (!ids.insert(id).second) return false;
      dom::object m;
      if (!col.check_metric(std::string(), id) || metric.value.get_object().get(m) != simdjson::SUCCESS) return false;
      for (auto field : m)
        if (field.key != "timeSeries" && field.key != "summary") return false;
      dom::element series_el;
      dom::array series;
      if (find_once(m, "timeSeries", series_el) != Found::kYes || series_el.get_array().get(series) != simdjson::SUCCESS)
        return false;
      col.begin_block(std::string());
      for (dom::element point : series) {
        ++out.rows;
        dom::object fields;
        if (point.get_object().get(fields) != simdjson::SUCCESS) return false;
        // Each field once: timestamp, treatmentValue, controlValue, treatmentSampleSize, controlSampleSize.
        dom::element f[5];
        unsigned seen = 0;
        for (auto field : fields) {
          const std::string_view k = field.key;
          int i = k == "timestamp"             ? 0
                  : k == "treatmentValue"      ? 1
                  : k == "controlValue"        ? 2
                  : k == "treatmentSampleSize" ? 3
                  : k == "controlSampleSize"   ? 4
                                               : -1;
          if (i < 0) continue;
          if (seen & (1u << i)) return false;
          seen |= 1u << i;
          f[i] = field.value;
        }
        std::string_view ts;
        if (seen != 31u || f[0].get_string().get(ts) != simdjson::SUCCESS) return false;
        domain::HourlyPoint p;
        if (!col.check_timestamp(std::string(), ts, p.timestamp) ||
            !fast_number(f[1], p.treatment_value) || !fast_number(f[2], p.control_value) ||
            !fast_count(f[3], p.treatment_sample_size, domain::kMaxSampleSize, false) ||
            !fast_count(f[4], p.control_sample_size, domain::kMaxSampleSize, false))
          return false;
        col.add(col.take_row(), dimension, segment, id, p);
      }
    }
    return true;
  };
  // {treatment, control}, each an integer or null; an empty object goes the general way.
  auto read_users = [](const dom::element& e, std::optional<std::int64_t> (&uu)[2]) {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS || o.size() == 0) return false;
    unsigned seen = 0;
    for (auto field : o) {
      int g = field.key == "treatment" ? 0 : field.key == "control" ? 1 : -1;
      if (g < 0 || (seen & (1u << g))) return false;
      seen |= 1u << g;
      if (field.value.is_null()) continue;
      std::int64_t v = 0;
      if (!fast_count(field.value, v, 9'000'000'000'000'000LL, true)) return false;
      uu[g] = v;
    }
    return true;
  };

  dom::element metrics_el, segments_el;
  const Found mf = find_once(body, "metrics", metrics_el);
  const Found sf = find_once(body, "segments", segments_el);
  if (mf == Found::kTwice || sf == Found::kTwice) return std::nullopt;
  const bool has_segments = sf == Found::kYes && !segments_el.is_null();
  if (mf == Found::kYes && !metrics_el.is_null()) {
    dom::object metrics;
    if (metrics_el.get_object().get(metrics) != simdjson::SUCCESS || !read_metrics(metrics, {}, {})) return std::nullopt;
  } else if (!has_segments) {
    return std::nullopt;
  }
  if (has_segments) {
    // {dimension: {segment: {metrics: {...}, uniqueUsers?}}}
    dom::object dims;
    if (segments_el.get_object().get(dims) != simdjson::SUCCESS) return std::nullopt;
    std::unordered_set<std::string_view> dim_names;
    for (auto d : dims) {
      if (!dim_names.insert(d.key).second) return std::nullopt;
      dom::object segs;
      if (d.value.get_object().get(segs) != simdjson::SUCCESS) return std::nullopt;
      std::unordered_set<std::string_view> seg_names;
      for (auto sg : segs) {
        if (!seg_names.insert(sg.key).second) return std::nullopt;
        if (!col.check_segment(std::string(), {}, d.key, sg.key)) return std::nullopt;
        dom::object so;
        if (sg.value.get_object().get(so) != simdjson::SUCCESS) return std::nullopt;
        for (auto field : so)
          if (field.key != "metrics" && field.key != "uniqueUsers") return std::nullopt;
        dom::element sm_el, su_el;
        dom::object sm;
        if (find_once(so, "metrics", sm_el) != Found::kYes || sm_el.get_object().get(sm) != simdjson::SUCCESS ||
            !read_metrics(sm, d.key, sg.key))
          return std::nullopt;
        const Found uf = find_once(so, "uniqueUsers", su_el);
        if (uf == Found::kTwice) return std::nullopt;
        if (uf == Found::kYes && !su_el.is_null()) {
          std::optional<std::int64_t> su[2];
          if (!read_users(su_el, su) || !su[0] || !su[1]) return std::nullopt;
          col.segment_users(std::string(d.key), std::string(sg.key), domain::UniqueUsers{*su[0], *su[1]});
        }
      }
    }
  }
  if (out.rows == 0) return std::nullopt;
  std::optional<std::int64_t> uu[2];
  dom::element uu_el;
  Found uf = find_once(body, "uniqueUsers", uu_el);
  if (uf == Found::kTwice) return std::nullopt;
  if (uf == Found::kYes && !uu_el.is_null() && !read_users(uu_el, uu)) return std::nullopt;
  col.finish();
  if (!out.issues.empty()) return std::nullopt;
  check_unique_users(out, rules, false, "uniqueUsers.treatment", "uniqueUsers.control", uu[0], uu[1]);
  if (!out.issues.empty()) return std::nullopt;
  return out;
}

namespace {

// A CSV cell for a name: quoted when it holds a comma, a quote or leading/trailing spaces.
void csv_name(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"") == std::string_view::npos && trim(s).size() == s.size()) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csv_rows(std::string& out, const domain::MetricSeries& m, domain::UnixSeconds start_date,
              const std::string* segment_cells) {
  for (const auto& p : m.points) {
    out += m.metric_id;
    out += ',';
    out += domain::format_iso8601(p.timestamp);
    out += ',';
    append_json_number(out, p.treatment_value);
    out += ',';
    append_json_number(out, p.control_value);
    out += ',';
    append_json_int(out, p.treatment_sample_size);
    out += ',';
    append_json_int(out, p.control_sample_size);
    out += p.timestamp < start_date ? ",pre" : ",post";
    if (segment_cells) out += *segment_cells;
    out += '\n';
  }
}

}  // namespace

std::string results_to_csv(const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds start_date,
                           const domain::Segments& segments) {
  std::string out;
  std::size_t n = 0;
  for (const auto& m : metrics) n += m.points.size();
  for (const auto& [d, segs] : segments)
    for (const auto& [name, seg] : segs)
      for (const auto& m : seg.series) n += m.points.size();
  out.reserve(64 + n * 100);
  out += kResultsCsvHeader;
  out += ",period";
  const bool with_segments = !segments.empty();
  if (with_segments) out += ",dimension,segment";
  out += '\n';
  const std::string overall_cells = ",,";
  for (const auto& m : metrics) csv_rows(out, m, start_date, with_segments ? &overall_cells : nullptr);
  for (const auto& [d, segs] : segments)
    for (const auto& [name, seg] : segs) {
      std::string cells = ",";
      csv_name(cells, d);
      cells += ',';
      csv_name(cells, name);
      for (const auto& m : seg.series) csv_rows(out, m, start_date, &cells);
    }
  return out;
}

namespace {

void csv_cell(std::string& out, const json::value* v) {
  if (!v || v->is_null()) return;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    if (s.find_first_of(",\"\n") == std::string_view::npos) {
      out += s;
    } else {
      out += '"';
      for (char c : s) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    return;
  }
  if (v->is_bool()) {
    out += v->get_bool() ? "true" : "false";
    return;
  }
  append_json_text(out, *v);
}

// The value at `path` (keys of nested objects) below `o`; nullptr when any step is missing.
const json::value* at(const json::object* o, const std::vector<const char*>& path) {
  const json::value* v = nullptr;
  for (const char* key : path) {
    if (!o) return nullptr;
    auto it = o->find(key);
    if (it == o->end()) return nullptr;
    v = &it->value();
    o = v->is_object() ? &v->get_object() : nullptr;
  }
  return v;
}

}  // namespace

std::string analysis_to_csv(const json::object& analysis, std::string_view data_source,
                            const std::vector<std::pair<std::string, std::string>>& extra) {
  struct Column {
    const char* name;
    bool breakdown;  // from economicImpact.metricBreakdown[id] instead of didResults[id]
    std::vector<const char*> path;  // below didResults[id] or metricBreakdown[id]
  };
  static const std::vector<Column> kColumns = {
      {"method", false, {"method"}},
      {"treatmentMean", false, {"treatmentMean"}},
      {"controlMean", false, {"controlMean"}},
      {"preTreatmentMean", false, {"preTreatmentMean"}},
      {"preControlMean", false, {"preControlMean"}},
      {"absoluteDifference", false, {"absoluteDifference"}},
      {"relativeDifference", false, {"relativeDifference"}},
      {"confidenceLevel", false, {"confidenceLevel"}},
      {"confidenceIntervalLower", false, {"confidenceInterval", "lower"}},
      {"confidenceIntervalUpper", false, {"confidenceInterval", "upper"}},
      {"relativeConfidenceIntervalLower", false, {"relativeConfidenceInterval", "lower"}},
      {"relativeConfidenceIntervalUpper", false, {"relativeConfidenceInterval", "upper"}},
      {"standardError", false, {"standardError"}},
      {"degreesOfFreedom", false, {"degreesOfFreedom"}},
      {"tStatistic", false, {"tStatistic"}},
      {"pValue", false, {"pValue"}},
      {"adjustedPValue", false, {"adjustedPValue"}},
      {"significant", false, {"significant"}},
      {"effectSize", false, {"effectSize"}},
      {"probabilityOfImprovement", false, {"probabilityOfImprovement"}},
      {"minimumDetectableEffect", false, {"minimumDetectableEffect"}},
      {"sampleSizeTreatment", false, {"sampleSizeTreatment"}},
      {"sampleSizeControl", false, {"sampleSizeControl"}},
      {"postHours", false, {"postHours"}},
      {"preHours", false, {"preHours"}},
      {"excludedHours", false, {"excludedHours"}},
      {"parallelTrendsSlope", false, {"parallelTrends", "slope"}},
      {"parallelTrendsPValue", false, {"parallelTrends", "pValue"}},
      {"parallelTrendsViolated", false, {"parallelTrends", "violated"}},
      {"dollarsPerUnit", true, {"metricValueUsed"}},
      {"unitSize", true, {"unitSize"}},
      {"improvementDirection", true, {"improvementDirection"}},
      {"metricChange", true, {"metricChange"}},
      {"dailyDollarImpact", true, {"dailyDollarImpact"}},
      {"dollarImpact", true, {"dollarImpact"}},
      {"dollarImpactLower", true, {"dollarImpactInterval", "lower"}},
      {"dollarImpactUpper", true, {"dollarImpactInterval", "upper"}},
      // Method 2 (statistics.md); empty for analyses stored by method 1.
      {"verdict", false, {"verdict"}},
      {"adjustedConfidenceIntervalLower", false, {"adjustedConfidenceInterval", "lower"}},
      {"adjustedConfidenceIntervalUpper", false, {"adjustedConfidenceInterval", "upper"}},
      {"postBlocks", false, {"postBlocks"}},
      {"preBlocks", false, {"preBlocks"}},
      {"effectTrendSlope", false, {"effectTrend", "slope"}},
      {"effectTrendPValue", false, {"effectTrend", "pValue"}},
      {"effectTrendChanging", false, {"effectTrend", "changing"}},
      {"sequentialLower", false, {"sequential", "interval", "lower"}},
      {"sequentialUpper", false, {"sequential", "interval", "upper"}},
      {"sequentialPValue", false, {"sequential", "pValue"}},
      {"sequentialDecisive", false, {"sequential", "decisive"}},
      {"valueGroup", true, {"valueGroup"}},
      {"countedInTotal", true, {"countedInTotal"}},
  };
  std::string out = "metricId";
  for (const auto& c : kColumns) {
    out += ',';
    out += c.name;
  }
  out += data_source.empty() ? ",warnings" : ",warnings,dataSource";
  for (const auto& [name, value] : extra) {
    out += ',';
    out += name;
  }
  out += '\n';
  const json::value* did = at(&analysis, {"didResults"});
  const json::value* breakdown = at(&analysis, {"economicImpact", "metricBreakdown"});
  if (!did || !did->is_object()) return out;
  for (const auto& kv : did->get_object()) {
    const json::object* d = kv.value().is_object() ? &kv.value().get_object() : nullptr;
    const json::object* b = nullptr;
    if (breakdown && breakdown->is_object()) {
      auto it = breakdown->get_object().find(kv.key());
      if (it != breakdown->get_object().end() && it->value().is_object()) b = &it->value().get_object();
    }
    out += kv.key();
    for (const auto& c : kColumns) {
      out += ',';
      csv_cell(out, at(c.breakdown ? b : d, c.path));
    }
    out += ',';
    std::string warnings;
    if (const json::value* w = at(d, {"warnings"}); w && w->is_array())
      for (const auto& x : w->get_array())
        if (x.is_string()) warnings += (warnings.empty() ? "" : "; ") + std::string(x.get_string());
    json::value wv(warnings);
    csv_cell(out, warnings.empty() ? nullptr : &wv);
    if (!data_source.empty()) {
      out += ',';
      out += data_source;
    }
    for (const auto& [name, value] : extra) {
      out += ',';
      json::value ev(value);
      csv_cell(out, value.empty() ? nullptr : &ev);
    }
    out += '\n';
  }
  return out;
}

}  // namespace rallyuxr::codec
