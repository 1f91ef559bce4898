// Bytes as lowercase hex: the form of a token's SHA-256 (tokens.cpp) and of a webhook's
// HMAC-SHA256 signature (webhooks.cpp).
#pragma once

#include <cstddef>
#include <string>

namespace rallyuxr::pipeline {

inline std::string lower_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace rallyuxr::pipeline
