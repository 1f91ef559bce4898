#include "domain/ids.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>

namespace rallyuxr::domain {

std::string new_uuid_v7() {
  // Time-ordered across the whole process (RFC 9562, method 3): a 12-bit counter in rand_a counts
  // up within one millisecond; when it runs out, the timestamp is advanced by one.
  static std::mutex mu;
  static std::uint64_t last_ms = 0;
  static std::uint64_t seq = 0;
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  auto now_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  std::uint64_t ms, counter;
  {
    std::lock_guard lock(mu);
    if (now_ms > last_ms) {
      last_ms = now_ms;
      seq = rng() & 0x1ff;  // start low in the counter's range, leaving room to count up
    } else if (++seq > 0xfff) {
      ++last_ms;
      seq = 0;
    }
    ms = last_ms;
    counter = seq;
  }
  std::uint64_t rand_a = counter & 0xfff;
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
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV-1a 64-bit prime
  }
  return h;
}

}  // namespace rallyuxr::domain
