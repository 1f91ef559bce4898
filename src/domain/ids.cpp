#include "domain/ids.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>

namespace rallyuxr::domain {

std::string new_uuid_v7() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  // Monotonic within a thread: if the clock does not move, the random part counts up.
  thread_local std::uint64_t last_ms = 0;
  thread_local std::uint64_t seq = 0;
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  if (ms <= last_ms) {
    ms = last_ms;
    ++seq;
  } else {
    last_ms = ms;
    seq = rng() & 0x3ff;
  }
  std::uint64_t rand_a = seq & 0xfff;
  std::uint64_t rand_b = rng() & 0x3fffffffffffffffULL;
  std::uint64_t hi = (ms << 16) | (0x7ULL << 12) | rand_a;
  std::uint64_t lo = (0x2ULL << 62) | rand_b;
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xffff),
                static_cast<unsigned long long>(hi & 0xffff),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool looks_like_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::uint64_t stable_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace rallyuxr::domain
