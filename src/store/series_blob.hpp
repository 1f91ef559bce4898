// The stored form of one hourly series: an experiment's overall series of a metric (the
// result_series tables) and each segment series (experiment, dimension, segment, metric; the
// segment_series tables, issue 17). Its hourly points are packed in one value, 40 bytes a point
// (timestamp, treatment value, control value, treatment and control sample sizes; 64-bit
// little-endian, doubles as IEEE 754 bits, so every number comes back bit for bit), sorted by
// hour with one point per hour. Both backends keep a series in one row, so that a year of hours
// of 10 metrics is written and read as 10 values rather than 87,600 rows (docs/performance.md).
// Also the merge rules of stored series: within one write a later point for an hour wins, and
// so does a written point over a stored one. Pure; thread-safe.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::store {

static_assert(std::endian::native == std::endian::little, "series are stored little-endian");
inline constexpr std::size_t kPointBytes = 40;

// HourlyPoint is laid out exactly as a stored point on every platform this builds on (64-bit
// little-endian): then a series is packed and unpacked with one copy.
inline constexpr bool kPointLayoutIsStored =
    sizeof(domain::HourlyPoint) == kPointBytes && std::is_trivially_copyable_v<domain::HourlyPoint> &&
    offsetof(domain::HourlyPoint, timestamp) == 0 && offsetof(domain::HourlyPoint, treatment_value) == 8 &&
    offsetof(domain::HourlyPoint, control_value) == 16 && offsetof(domain::HourlyPoint, treatment_sample_size) == 24 &&
    offsetof(domain::HourlyPoint, control_sample_size) == 32;

inline void append_points(std::string& out, const domain::HourlyPoint* points, std::size_t n) {
  std::size_t at = out.size();
  out.resize(at + n * kPointBytes);
  char* w = out.data() + at;
  if constexpr (kPointLayoutIsStored) {
    if (n) std::memcpy(w, points, n * kPointBytes);
  } else {
    for (std::size_t i = 0; i < n; ++i, w += kPointBytes) {
      const auto& p = points[i];
      std::memcpy(w, &p.timestamp, 8);
      std::memcpy(w + 8, &p.treatment_value, 8);
      std::memcpy(w + 16, &p.control_value, 8);
      std::memcpy(w + 24, &p.treatment_sample_size, 8);
      std::memcpy(w + 32, &p.control_sample_size, 8);
    }
  }
}

inline std::string encode_points(const std::vector<domain::HourlyPoint>& points) {
  std::string out;
  append_points(out, points.data(), points.size());
  return out;
}

// false when the value is not a whole number of points (a damaged row).
inline bool decode_points(std::string_view data, std::vector<domain::HourlyPoint>& points) {
  if (data.size() % kPointBytes != 0) return false;
  points.resize(data.size() / kPointBytes);
  if constexpr (kPointLayoutIsStored) {
    if (!data.empty()) std::memcpy(static_cast<void*>(points.data()), data.data(), data.size());
  } else {
    const char* r = data.data();
    for (auto& p : points) {
      std::memcpy(&p.timestamp, r, 8);
      std::memcpy(&p.treatment_value, r + 8, 8);
      std::memcpy(&p.control_value, r + 16, 8);
      std::memcpy(&p.treatment_sample_size, r + 24, 8);
      std::memcpy(&p.control_sample_size, r + 32, 8);
      r += kPointBytes;
    }
  }
  return true;
}

// One field of the i-th point of a packed series, without unpacking the rest (offset: 0 for the
// timestamp, 24 and 32 for the sample sizes).
inline std::int64_t packed_int64(std::string_view data, std::size_t i, std::size_t offset) {
  std::int64_t v;
  std::memcpy(&v, data.data() + i * kPointBytes + offset, 8);
  return v;
}

// What ResultsInfo needs of one packed series: its points, its last hour, and the sum of both
// sample sizes over the hours in [from, to).
struct PackedSeriesStats {
  std::int64_t points = 0;
  std::int64_t last_timestamp = 0;  // 0 when there are no points
  std::int64_t participants = 0;
};
inline PackedSeriesStats packed_stats(std::string_view data, bool with_participants, std::int64_t from,
                                      std::int64_t to) {
  PackedSeriesStats s;
  std::size_t n = data.size() / kPointBytes;
  s.points = static_cast<std::int64_t>(n);
  if (n) s.last_timestamp = packed_int64(data, n - 1, 0);
  if (with_participants)
    for (std::size_t i = 0; i < n; ++i) {
      auto ts = packed_int64(data, i, 0);
      if (ts >= from && ts < to) s.participants += packed_int64(data, i, 24) + packed_int64(data, i, 32);
    }
  return s;
}

// True when every hour comes after the one before (the stored order: nothing to sort or drop).
inline bool strictly_increasing(const std::vector<domain::HourlyPoint>& points) {
  for (std::size_t i = 1; i < points.size(); ++i)
    if (points[i].timestamp <= points[i - 1].timestamp) return false;
  return true;
}

// Sorts by hour and keeps, of several points for one hour, the last given (a stable sort, then
// the last of each run of equal hours).
inline void normalize_points(std::vector<domain::HourlyPoint>& points) {
  if (strictly_increasing(points)) return;
  std::stable_sort(points.begin(), points.end(),
                   [](const domain::HourlyPoint& a, const domain::HourlyPoint& b) { return a.timestamp < b.timestamp; });
  std::size_t w = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i + 1 < points.size() && points[i + 1].timestamp == points[i].timestamp) continue;
    points[w++] = points[i];
  }
  points.resize(w);
}

// Calls f(metric_id, points) once per metric of `metrics`, in the order of first appearance, with
// its points sorted by hour and one per hour, the later given winning (also across two series of
// one metric). No copy when a metric comes once and in order, as uploads and generated series do.
template <class F>
void for_each_metric(const std::vector<domain::MetricSeries>& metrics, F&& f) {
  std::vector<bool> done(metrics.size());
  std::vector<domain::HourlyPoint> own;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (done[i]) continue;
    const auto& id = metrics[i].metric_id;
    bool repeated = false;
    for (std::size_t j = i + 1; j < metrics.size() && !repeated; ++j) repeated = metrics[j].metric_id == id;
    if (!repeated && strictly_increasing(metrics[i].points)) {
      f(id, metrics[i].points);
      continue;
    }
    own.clear();
    for (std::size_t j = i; j < metrics.size(); ++j)
      if (metrics[j].metric_id == id) {
        own.insert(own.end(), metrics[j].points.begin(), metrics[j].points.end());
        done[j] = true;
      }
    normalize_points(own);
    f(id, own);
  }
}

// Both sorted by hour with one point per hour: the union, the written point winning an hour both
// have.
inline std::vector<domain::HourlyPoint> merge_points(const std::vector<domain::HourlyPoint>& stored,
                                                     const std::vector<domain::HourlyPoint>& written) {
  std::vector<domain::HourlyPoint> merged;
  merged.reserve(stored.size() + written.size());
  auto a = stored.cbegin();
  auto b = written.cbegin();
  while (a != stored.cend() || b != written.cend()) {
    if (b == written.cend() || (a != stored.cend() && a->timestamp < b->timestamp)) {
      merged.push_back(*a++);
    } else {
      if (a != stored.cend() && a->timestamp == b->timestamp) ++a;
      merged.push_back(*b++);
    }
  }
  return merged;
}

// Hex text (PostgreSQL's bytea input and output form "\x...").
inline std::string to_bytea_hex(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 + data.size() * 2, '\0');
  out[0] = '\\';
  out[1] = 'x';
  char* w = out.data() + 2;
  for (unsigned char c : data) {
    *w++ = kDigits[c >> 4];
    *w++ = kDigits[c & 15];
  }
  return out;
}

inline bool from_bytea_hex(std::string_view text, std::string& out) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.resize((text.size() - 2) / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 + 2 * i]), lo = nibble(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

}  // namespace rallyuxr::store
