// The response cache (api/response_cache.hpp): hits, the memory bound (least recently used go
// first), errors never kept, gzip bytes made once and counted, and query keys that cannot collide.
#include "api/response_cache.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http/representation.hpp"

namespace rallyuxr::api {
namespace {

http::Response body_of(std::size_t n, char c = 'x', int status = 200) {
  http::Response r;
  r.status = status;
  r.body = std::string(n, c);
  return r;
}

TEST(ResponseCacheTest, KeepsAndServesTheSameBytesWithAnEtag) {
  ResponseCache cache(1 << 20);
  int made = 0;
  auto make = [&] {
    ++made;
    return body_of(5000, 'a');
  };
  auto first = cache.get_or_make("k", make);
  auto second = cache.get_or_make("k", make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(first.body_view(), second.body_view());
  EXPECT_EQ(first.body_view(), std::string(5000, 'a'));
  EXPECT_EQ(first.shared_body.get(), second.shared_body.get());  // the kept bytes, not a copy
  EXPECT_EQ(first.etag, http::etag_of(first.body_view()));
  EXPECT_EQ(second.etag, first.etag);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(ResponseCacheTest, StaysWithinItsBoundDroppingTheLeastRecentlyUsed) {
  const std::size_t bound = 100000;
  ResponseCache cache(bound);
  for (int i = 0; i < 50; ++i) cache.get_or_make("k" + std::to_string(i), [] { return body_of(10000); });
  auto s = cache.stats();
  EXPECT_LE(s.bytes, bound);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GE(s.entries, 5u);
  // The newest is kept, the oldest is gone.
  int made = 0;
  cache.get_or_make("k49", [&] { return ++made, body_of(10000); });
  EXPECT_EQ(made, 0);
  cache.get_or_make("k0", [&] { return ++made, body_of(10000); });
  EXPECT_EQ(made, 1);
  // A use makes an entry recent: k49 survives the next insertions that push out others.
  for (int i = 100; i < 106; ++i) {
    cache.get_or_make("k49", [&] { return ++made, body_of(10000); });
    cache.get_or_make("k" + std::to_string(i), [] { return body_of(10000); });
  }
  EXPECT_EQ(made, 1);
  EXPECT_LE(cache.stats().bytes, bound);
}

TEST(ResponseCacheTest, GzipBytesAreMadeOnceAndCounted) {
  ResponseCache cache(1 << 20);
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + ",";
  auto r = cache.get_or_make("k", [&] {
    http::Response x;
    x.body = text;
    return x;
  });
  auto before = cache.stats().bytes;
  ASSERT_TRUE(r.gzip_body);
  auto z1 = r.gzip_body();
  auto again = cache.get_or_make("k", [] { return body_of(1); });
  auto z2 = again.gzip_body();
  EXPECT_EQ(z1.get(), z2.get());  // the same bytes, made once
  EXPECT_EQ(cache.stats().bytes, before + z1->size());
}

TEST(ResponseCacheTest, PeekAnswersOnlyWithoutWork) {
  ResponseCache cache(1 << 20);
  EXPECT_FALSE(cache.peek("k", false));
  auto made = cache.get_or_make("k", [] { return body_of(5000, 'p'); });
  auto plain = cache.peek("k", false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body_view(), made.body_view());
  EXPECT_EQ(plain->etag, made.etag);
  EXPECT_FALSE(cache.peek("k", true));  // its gzip bytes are not made yet
  made.gzip_body();
  auto z = cache.peek("k", true);
  ASSERT_TRUE(z);
  EXPECT_EQ(z->gzip_body().get(), made.gzip_body().get());
  EXPECT_FALSE(ResponseCache(0).peek("k", false));
}

TEST(ResponseCacheTest, AnAliasAnswersOnlyWithItsStampAndWhileItsEntryIsKept) {
  ResponseCache cache(30000);
  EXPECT_FALSE(cache.peek_alias("a", "1", false));
  cache.alias("a", "1", "k");  // nothing kept under k yet: no alias
  EXPECT_FALSE(cache.peek_alias("a", "1", false));
  auto made = cache.get_or_make("k", [] { return body_of(5000, 'q'); });
  cache.alias("a", "1", "k");
  auto hit = cache.peek_alias("a", "1", false);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body_view(), made.body_view());
  EXPECT_EQ(hit->etag, made.etag);
  EXPECT_FALSE(cache.peek_alias("a", "2", false));  // another stamp (a commit since)
  EXPECT_FALSE(cache.peek_alias("a", "1", true));   // gzip bytes not made yet
  made.gzip_body();
  EXPECT_TRUE(cache.peek_alias("a", "1", true));
  cache.alias("a", "2", "k");  // named again: the new stamp replaces the old
  EXPECT_FALSE(cache.peek_alias("a", "1", false));
  EXPECT_TRUE(cache.peek_alias("a", "2", false));
  // Pushed out of the bound: the alias no longer answers.
  for (int i = 0; i < 10; ++i) cache.get_or_make("other" + std::to_string(i), [] { return body_of(5000); });
  EXPECT_FALSE(cache.peek_alias("a", "2", false));
  // Names of entries that are gone do not pile up.
  for (int i = 0; i < 500; ++i) {
    auto key = "e" + std::to_string(i);
    cache.get_or_make(key, [] { return body_of(5000); });
    cache.alias("n" + std::to_string(i), "1", key);
  }
  EXPECT_TRUE(cache.peek_alias("n499", "1", false));
  EXPECT_FALSE(cache.peek_alias("n0", "1", false));
  EXPECT_FALSE(ResponseCache(0).peek_alias("a", "1", false));
}

TEST(ResponseCacheTest, ErrorsAndHugeResponsesAreNotKept) {
  ResponseCache cache(100000);
  int made = 0;
  for (int i = 0; i < 2; ++i) cache.get_or_make("err", [&] { return ++made, body_of(100, 'e', 404); });
  EXPECT_EQ(made, 2);
  for (int i = 0; i < 2; ++i) cache.get_or_make("huge", [&] { return ++made, body_of(60000); });
  EXPECT_EQ(made, 4);  // more than a quarter of the bound
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(ResponseCacheTest, ZeroDisablesButStillTags) {
  ResponseCache cache(0);
  EXPECT_FALSE(cache.enabled());
  EXPECT_FALSE(cache.caches_list_pages());
  int made = 0;
  auto r = cache.get_or_make("k", [&] { return ++made, body_of(10); });
  cache.get_or_make("k", [&] { return ++made, body_of(10); });
  EXPECT_EQ(made, 2);
  EXPECT_TRUE(r.etag_from_body);
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(ResponseCacheTest, ListPagesOnlyForASingleWriter) {
  EXPECT_TRUE(ResponseCache(1000, true).caches_list_pages());
  EXPECT_FALSE(ResponseCache(1000, false).caches_list_pages());
}

TEST(ResponseCacheTest, QueryKeysDoNotCollide) {
  http::Request a, b, c;
  a.query.emplace("a", "b&c");
  b.query.emplace("a", "b");
  b.query.emplace("c", "");
  c.query.emplace("limit", "20");
  EXPECT_NE(query_key(a), query_key(b));
  EXPECT_NE(query_key(c), query_key(http::Request{}));
  http::Request d;
  d.query.emplace("limit", "20");
  EXPECT_EQ(query_key(c), query_key(d));
}

}  // namespace
}  // namespace rallyuxr::api
