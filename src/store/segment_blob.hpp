// The stored form of one segment series (experiment, dimension, segment, metric): its hourly
// points packed in one value, 40 bytes a point (timestamp, treatment value, control value,
// treatment and control sample sizes; 64-bit little-endian, doubles as IEEE 754 bits), sorted by
// hour. Both backends keep a series in one row, so that a year of hours of 300 series is written
// and read as 300 values rather than 2.6 million rows (docs/performance.md). Pure; thread-safe.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "domain/types.hpp"

namespace rallyuxr::store {

static_assert(std::endian::native == std::endian::little, "segment series are stored little-endian");
inline constexpr std::size_t kSegmentPointBytes = 40;

inline std::string encode_segment_points(const std::vector<domain::HourlyPoint>& points) {
  std::string out(points.size() * kSegmentPointBytes, '\0');
  char* w = out.data();
  for (const auto& p : points) {
    std::memcpy(w, &p.timestamp, 8);
    std::memcpy(w + 8, &p.treatment_value, 8);
    std::memcpy(w + 16, &p.control_value, 8);
    std::memcpy(w + 24, &p.treatment_sample_size, 8);
    std::memcpy(w + 32, &p.control_sample_size, 8);
    w += kSegmentPointBytes;
  }
  return out;
}

// false when the value is not a whole number of points (a damaged row).
inline bool decode_segment_points(std::string_view data, std::vector<domain::HourlyPoint>& points) {
  if (data.size() % kSegmentPointBytes != 0) return false;
  points.resize(data.size() / kSegmentPointBytes);
  const char* r = data.data();
  for (auto& p : points) {
    std::memcpy(&p.timestamp, r, 8);
    std::memcpy(&p.treatment_value, r + 8, 8);
    std::memcpy(&p.control_value, r + 16, 8);
    std::memcpy(&p.treatment_sample_size, r + 24, 8);
    std::memcpy(&p.control_sample_size, r + 32, 8);
    r += kSegmentPointBytes;
  }
  return true;
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
