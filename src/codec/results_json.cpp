#include "codec/results_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "codec/json_text.hpp"

namespace rallyuxr::codec {
namespace {

using namespace std::string_view_literals;

// An hour the summary counts, as the analysis does: both groups observed, both values finite.
bool usable_hour(const domain::HourlyPoint& p) {
  return p.treatment_sample_size > 0 && p.control_sample_size > 0 && std::isfinite(p.treatment_value) &&
         std::isfinite(p.control_value);
}

// Copies `s` to w; returns the end.
char* put(char* w, std::string_view s) {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

// The longest text of one hour: the keys (about 100 characters), a timestamp, two numbers and two
// 64-bit integers.
constexpr std::size_t kMaxPointText = 128 + kIsoLength + 2 + 2 * kMaxJsonNumber + 2 * 20;

// One hour of a timeSeries, with a leading comma unless it is the first.
void append_point(std::string& out, const domain::HourlyPoint& p, bool first) {
  // One hour is written into a buffer and appended once (the appends were a third of the time).
  char buf[kMaxPointText];
  char* w = put(buf, first ? "{\"timestamp\":"sv : ",{\"timestamp\":"sv);
  if (write_iso8601(w + 1, p.timestamp)) {
    w[0] = '"';
    w[kIsoLength + 1] = '"';
    w += kIsoLength + 2;
  } else {
    out.append(buf, w);
    w = buf;
    append_json_timestamp(out, p.timestamp);
  }
  w = put(w, ",\"treatmentValue\":"sv);
  w = write_json_number(w, p.treatment_value);
  w = put(w, ",\"controlValue\":"sv);
  w = write_json_number(w, p.control_value);
  w = put(w, ",\"treatmentSampleSize\":"sv);
  w = std::to_chars(w, w + 20, p.treatment_sample_size).ptr;
  w = put(w, ",\"controlSampleSize\":"sv);
  w = std::to_chars(w, w + 20, p.control_sample_size).ptr;
  *w++ = '}';
  out.append(buf, w);
}

// {"metricId": {"timeSeries": [...]}, ...}: the experiment's metrics first (in its order), then
// any other stored metric.
void append_metrics_object(std::string& out, const domain::Experiment& e, const std::vector<domain::MetricSeries>& metrics) {
  std::vector<const domain::MetricSeries*> ordered;
  for (const auto& id : e.metrics)
    for (const auto& m : metrics)
      if (m.metric_id == id) {
        ordered.push_back(&m);
        break;
      }
  for (const auto& m : metrics)
    if (std::find(e.metrics.begin(), e.metrics.end(), m.metric_id) == e.metrics.end()) ordered.push_back(&m);
  out += '{';
  bool first_metric = true;
  for (const auto* m : ordered) {
    if (!first_metric) out += ',';
    first_metric = false;
    append_json_string(out, m->metric_id);
    out += ":{\"timeSeries\":["sv;
    bool first = true;
    for (const auto& p : m->points) {
      append_point(out, p, first);
      first = false;
    }
    out += "]}"sv;
  }
  out += '}';
}

void append_users(std::string& out, const domain::UniqueUsers& u) {
  out += "{\"treatment\":"sv;
  append_json_int(out, u.treatment);
  out += ",\"control\":"sv;
  append_json_int(out, u.control);
  out += '}';
}

// {"mobile": {"metrics": {...}, "uniqueUsers"?}, ...}
void append_dimension_object(std::string& out, const domain::Experiment& e, const domain::DimensionSegments& segments) {
  out += '{';
  bool first = true;
  for (const auto& [name, seg] : segments) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, name);
    out += ":{\"metrics\":"sv;
    append_metrics_object(out, e, seg.series);
    if (seg.unique_users) {
      out += ",\"uniqueUsers\":"sv;
      append_users(out, *seg.unique_users);
    }
    out += '}';
  }
  out += '}';
}

}  // namespace

void append_segments_json(std::string& out, const domain::Experiment& e, const domain::DimensionSegments& segments) {
  std::size_t points = 0;
  for (const auto& [name, seg] : segments)
    for (const auto& m : seg.series) points += m.points.size();
  out.reserve(out.size() + 256 + points * 160);
  append_dimension_object(out, e, segments);
}

void append_results_export_json(std::string& out, const domain::Experiment& e,
                                const std::vector<domain::MetricSeries>& metrics,
                                const std::optional<domain::UniqueUsers>& unique_users, const domain::Segments& segments) {
  std::size_t points = 0;
  for (const auto& m : metrics) points += m.points.size();
  for (const auto& [d, segs] : segments)
    for (const auto& [name, seg] : segs)
      for (const auto& m : seg.series) points += m.points.size();
  out.reserve(out.size() + 256 + points * 160);
  out += "{\"experimentId\":"sv;
  append_json_string(out, e.id);
  out += ",\"metrics\":"sv;
  append_metrics_object(out, e, metrics);
  if (unique_users) {
    out += ",\"uniqueUsers\":"sv;
    append_users(out, *unique_users);
  }
  out += ",\"segments\":{"sv;
  bool first = true;
  for (const auto& [dimension, segs] : segments) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, dimension);
    out += ':';
    append_dimension_object(out, e, segs);
  }
  out += "}}"sv;
}

void append_results_json(std::string& out, const domain::Experiment& e,
                         const std::vector<domain::MetricSeries>& metrics, domain::UnixSeconds generated_at,
                         std::int64_t version, const std::map<std::string, std::vector<std::string>>* dimensions) {
  // About 150 bytes an hour; one allocation for the whole document.
  std::size_t points = 0;
  for (const auto& series : metrics) points += series.points.size();
  out.reserve(out.size() + 512 + points * 160);

  // A repeated id keeps its first place, with the last series' content.
  std::vector<std::size_t> last(metrics.size());
  std::vector<bool> first(metrics.size(), true);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    last[i] = i;
    for (std::size_t j = 0; j < i; ++j) {
      if (first[j] && metrics[j].metric_id == metrics[i].metric_id) {
        last[j] = i;
        first[i] = false;
        break;
      }
    }
  }

  std::int64_t total_hours = 0, pre_hours = 0;
  out += "{\"experimentId\":"sv;
  append_json_string(out, e.id);
  out += ",\"metrics\":{"sv;
  bool first_metric = true;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    const auto& counted = metrics[i];
    std::int64_t pre = 0;
    for (const auto& p : counted.points)
      if (usable_hour(p) && p.timestamp < e.start_date) ++pre;
    total_hours = std::max<std::int64_t>(total_hours, static_cast<std::int64_t>(counted.points.size()));
    pre_hours = std::max(pre_hours, pre);
    if (!first[i]) continue;
    const auto& series = metrics[last[i]];
    if (!first_metric) out += ',';
    first_metric = false;
    append_json_string(out, series.metric_id);
    out += ":{\"timeSeries\":["sv;
    double tsum = 0, csum = 0;
    std::int64_t tn = 0, cn = 0, post = 0;
    pre = 0;
    bool first_point = true;
    for (const auto& p : series.points) {
      append_point(out, p, first_point);
      first_point = false;
      bool usable = usable_hour(p);
      if (usable && p.timestamp >= e.start_date && p.timestamp < e.end_date) {
        tsum += p.treatment_value;
        csum += p.control_value;
        tn += p.treatment_sample_size;
        cn += p.control_sample_size;
        ++post;
      } else if (usable && p.timestamp < e.start_date) {
        ++pre;
      }
    }
    out += "],\"summary\":{\"treatmentMean\":"sv;
    if (post)
      append_json_number(out, tsum / post);
    else
      out += "null"sv;
    out += ",\"controlMean\":"sv;
    if (post)
      append_json_number(out, csum / post);
    else
      out += "null"sv;
    out += ",\"totalTreatmentSamples\":"sv;
    append_json_int(out, tn);
    out += ",\"totalControlSamples\":"sv;
    append_json_int(out, cn);
    out += ",\"postHours\":"sv;
    append_json_int(out, post);
    out += ",\"preHours\":"sv;
    append_json_int(out, pre);
    out += "}}"sv;
  }
  out += "},\"generatedAt\":"sv;
  append_json_timestamp(out, generated_at);
  out += ",\"experimentPeriod\":{\"startDate\":"sv;
  append_json_timestamp(out, e.start_date);
  out += ",\"endDate\":"sv;
  append_json_timestamp(out, e.end_date);
  out += ",\"totalHours\":"sv;
  append_json_int(out, total_hours);
  out += ",\"preHours\":"sv;
  append_json_int(out, pre_hours);
  out += "},\"version\":"sv;
  append_json_int(out, version);
  if (dimensions) {
    out += ",\"dimensions\":{"sv;
    bool first_dimension = true;
    for (const auto& [dimension, names] : *dimensions) {
      if (!first_dimension) out += ',';
      first_dimension = false;
      append_json_string(out, dimension);
      out += ":["sv;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, names[i]);
      }
      out += ']';
    }
    out += '}';
  }
  out += '}';
}

}  // namespace rallyuxr::codec
