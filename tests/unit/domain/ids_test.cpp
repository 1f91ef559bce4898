// Identifiers (domain/ids.hpp): UUIDv7 text (RFC 9562 layout, time-ordered, unique, also across
// threads), the looks_like_uuid check, and the FNV-1a stable_hash.
#include "domain/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rallyuxr::domain {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::uint64_t unix_ms_of(const std::string& id) {
  // The first 48 bits: 8 hex digits, a dash, 4 hex digits.
  return std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

TEST(NewUuidV7, HasTheRfc9562Layout) {
  for (int i = 0; i < 200; ++i) {
    auto id = new_uuid_v7();
    ASSERT_EQ(id.size(), 36u) << id;
    for (std::size_t k = 0; k < id.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23)
        ASSERT_EQ(id[k], '-') << id;
      else
        ASSERT_TRUE(is_lower_hex(id[k])) << id << " at " << k;
    }
    EXPECT_EQ(id[14], '7') << "version nibble: " << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << "variant bits 10: " << id;
    EXPECT_TRUE(looks_like_uuid(id)) << id;
  }
}

TEST(NewUuidV7, CarriesTheCurrentUnixMilliseconds) {
  auto before = now_ms();
  auto id = new_uuid_v7();
  auto after = now_ms();
  auto ms = unix_ms_of(id);
  EXPECT_GE(ms, before);
  // The timestamp may run a little ahead of the clock after a burst of ids (counter overflow).
  EXPECT_LE(ms, after + 100);
}

TEST(NewUuidV7, IdsGeneratedInSequenceSortAscendingAndAreUnique) {
  std::vector<std::string> ids;
  ids.reserve(1000);
  for (int i = 0; i < 1000; ++i) ids.push_back(new_uuid_v7());
  for (std::size_t i = 1; i < ids.size(); ++i)
    ASSERT_LT(ids[i - 1], ids[i]) << "id " << i << " does not sort after id " << i - 1;
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST(NewUuidV7, StaysOrderedWhenManyIdsShareOneMillisecond) {
  // RFC 9562 §6.2: the 12-bit counter must not wrap within one millisecond (on overflow the
  // timestamp moves on instead). A tight loop makes ~3000 ids per millisecond in a Debug build and
  // more than 4096 in a Release build, so a wrapping counter shows as an id that sorts before its
  // predecessor.
  constexpr int kIds = 300'000;
  std::string prev = new_uuid_v7();
  std::size_t out_of_order = 0, burst = 1, max_burst = 1;
  for (int i = 0; i < kIds; ++i) {
    std::string id = new_uuid_v7();
    if (!(prev < id)) ++out_of_order;
    burst = id.compare(0, 13, prev, 0, 13) == 0 ? burst + 1 : 1;
    max_burst = std::max(max_burst, burst);
    prev = std::move(id);
  }
  EXPECT_EQ(out_of_order, 0u) << "the most ids in one millisecond: " << max_burst;
}

TEST(NewUuidV7, UniqueAndOrderedWithinEachThreadWhenThreadsRace) {
  // Ids are time-ordered process-wide, so each thread sees its own ids ascend even while other
  // threads draw from the same counter.
  constexpr int kThreads = 4, kPerThread = 25000;
  std::vector<std::vector<std::string>> per(kThreads);
  for (auto& v : per) v.reserve(kPerThread);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&per, t] {
      for (int i = 0; i < kPerThread; ++i) per[t].push_back(new_uuid_v7());
    });
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  std::size_t out_of_order = 0;
  std::string example;
  for (const auto& v : per) {
    for (std::size_t i = 1; i < v.size(); ++i)
      if (!(v[i - 1] < v[i])) {
        if (out_of_order++ == 0) example = v[i - 1] + " then " + v[i];
      }
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(out_of_order, 0u) << "first: " << example;
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(LooksLikeUuid, AcceptsCanonicalText) {
  EXPECT_TRUE(looks_like_uuid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
  EXPECT_TRUE(looks_like_uuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(looks_like_uuid("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"));  // upper case too
}

TEST(LooksLikeUuid, RejectsEverythingElse) {
  EXPECT_FALSE(looks_like_uuid(""));
  EXPECT_FALSE(looks_like_uuid("not-a-uuid"));
  EXPECT_FALSE(looks_like_uuid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5"));    // 35 chars
  EXPECT_FALSE(looks_like_uuid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b0"));  // 37 chars
  EXPECT_FALSE(looks_like_uuid("0190a1b2c3d47e5f8a9b0c1d2e3f4a5b"));       // no dashes
  EXPECT_FALSE(looks_like_uuid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g"));   // 'g'
  EXPECT_FALSE(looks_like_uuid("0190a1b2c-3d4-7e5f-8a9b-0c1d2e3f4a5b"));   // dash moved
  EXPECT_FALSE(looks_like_uuid("0190a1b2-c3d4-7e5f-8a9b_0c1d2e3f4a5b"));   // '_' for '-'
  EXPECT_FALSE(looks_like_uuid("{190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5}"));
  EXPECT_FALSE(looks_like_uuid("../../../../../../../../etc/passwd...."));
}

TEST(StableHash, IsFnv1a64) {
  // Published FNV-1a 64-bit test vectors (offset basis 14695981039346656037, prime 1099511628211).
  EXPECT_EQ(stable_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(stable_hash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(stable_hash("foobar"), 0x85944171f73967e8ULL);
}

TEST(StableHash, IsDeterministicAndSpreads) {
  EXPECT_EQ(stable_hash("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
            stable_hash(std::string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")));
  EXPECT_NE(stable_hash("a"), stable_hash("b"));
  EXPECT_NE(stable_hash("ab"), stable_hash("ba"));
  std::set<std::uint64_t> hashes;
  for (int i = 0; i < 1000; ++i) hashes.insert(stable_hash("experiment-" + std::to_string(i)));
  EXPECT_EQ(hashes.size(), 1000u);
}

}  // namespace
}  // namespace rallyuxr::domain
