// Conditional GET and content coding (http/representation.hpp): Accept-Encoding parsing,
// If-None-Match matching, gzip bytes that decompress to the identity bytes, and what
// finish_representation does to a response.
#include "http/representation.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace rallyuxr::http {
namespace {

std::string gunzip(const std::string& z) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(z.data()));
  zs.avail_in = static_cast<uInt>(z.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

TEST(AcceptEncodingTest, GzipWhenNamedWithPositiveWeight) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZip"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip;q=0.5, br"));
  EXPECT_TRUE(accepts_gzip("gzip ; q=1.000"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("br, *;q=0.1"));
}

TEST(AcceptEncodingTest, NotWithoutItOrWithZeroWeight) {
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // named: its own weight counts, not the wildcard's
  EXPECT_FALSE(accepts_gzip("gzipper"));
  // Malformed weights are no wish for the coding.
  EXPECT_FALSE(accepts_gzip("gzip;q=abc"));
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));
  EXPECT_FALSE(accepts_gzip("gzip;q=1.5"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.12345"));
}

TEST(EtagTest, MatchesListsWeakFormsAndStar) {
  const std::string tag = "\"abc-1f\"";
  EXPECT_TRUE(etag_matches(tag, tag));
  EXPECT_TRUE(etag_matches("W/" + tag, tag));
  EXPECT_TRUE(etag_matches("\"x\", " + tag + " ,\"y\"", tag));
  EXPECT_TRUE(etag_matches("*", tag));
  EXPECT_FALSE(etag_matches("\"abc\"", tag));
  EXPECT_FALSE(etag_matches("", tag));
  EXPECT_FALSE(etag_matches("abc-1f", tag));  // unquoted is not the tag
  EXPECT_FALSE(etag_matches("*", ""));
}

TEST(EtagTest, SameBytesSameTagOtherBytesOther) {
  EXPECT_EQ(etag_of("hello"), etag_of(std::string("hello")));
  EXPECT_NE(etag_of("hello"), etag_of("hellp"));
  EXPECT_NE(etag_of(""), etag_of(std::string(1, '\0')));
  auto t = etag_of("hello");
  EXPECT_EQ(t.front(), '"');
  EXPECT_EQ(t.back(), '"');
}

TEST(GzipTest, RoundTrips) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"timestamp\":\"2025-01-15T00:00:00Z\",\"value\":" + std::to_string(i) + "},";
  for (int level : {1, 6, 9}) {
    auto z = gzip_compress(text, level);
    EXPECT_LT(z.size(), text.size() / 4);
    EXPECT_EQ(gunzip(z), text);
  }
  EXPECT_EQ(gunzip(gzip_compress("", 6)), "");
}

Request get(std::string accept = "", std::string inm = "") {
  Request r;
  r.method = "GET";
  if (!accept.empty()) r.headers["accept-encoding"] = accept;
  if (!inm.empty()) r.headers["if-none-match"] = inm;
  return r;
}

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

Response big_json() {
  Response r;
  r.body = "{\"data\":[";
  for (int i = 0; i < 400; ++i) r.body += std::to_string(i) + ",";
  r.body += "0]}";
  r.etag_from_body = true;
  return r;
}

TEST(FinishRepresentationTest, IdentityWithoutAcceptEncoding) {
  auto r = big_json();
  auto body = r.body;
  finish_representation(get(), r);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(header(r, "Content-Encoding"), "");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(header(r, "ETag"), etag_of(body));
}

TEST(FinishRepresentationTest, GzipHasItsOwnTagAndKeptBytesAreUsed) {
  auto r = big_json();
  auto body = r.body;
  finish_representation(get("gzip"), r);
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(gunzip(r.body), body);
  auto tag = header(r, "ETag");
  EXPECT_NE(tag, etag_of(body));
  EXPECT_EQ(tag.substr(tag.size() - 4), "-gz\"");

  auto kept = big_json();
  int calls = 0;
  auto z = std::make_shared<const std::string>(gzip_compress(kept.body, 9));
  kept.gzip_body = [&] {
    ++calls;
    return z;
  };
  finish_representation(get("gzip"), kept);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(kept.shared_body.get(), z.get());  // sent as kept
  EXPECT_EQ(kept.body_view(), *z);
}

TEST(FinishRepresentationTest, NotModifiedHasNoBody) {
  auto first = big_json();
  finish_representation(get(), first);
  auto r = big_json();
  finish_representation(get("", header(first, "ETag")), r);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "ETag"), header(first, "ETag"));
  // The identity tag does not validate the gzip representation.
  auto z = big_json();
  finish_representation(get("gzip", header(first, "ETag")), z);
  EXPECT_EQ(z.status, 200);
}

TEST(FinishRepresentationTest, SmallErrorsAndWritesUntouched) {
  Response small;
  small.body = "{\"ok\":true}";
  small.etag_from_body = true;
  finish_representation(get("gzip"), small);
  EXPECT_EQ(small.body, "{\"ok\":true}");
  EXPECT_EQ(header(small, "Vary"), "");
  EXPECT_FALSE(header(small, "ETag").empty());

  auto error = big_json();
  error.status = 404;
  finish_representation(get("gzip"), error);
  EXPECT_EQ(header(error, "Content-Encoding"), "");
  EXPECT_EQ(header(error, "ETag"), "");

  auto post = big_json();
  Request req = get("gzip");
  req.method = "POST";
  finish_representation(req, post);
  EXPECT_EQ(header(post, "Content-Encoding"), "");

  auto image = big_json();
  image.content_type = "image/png";
  finish_representation(get("gzip"), image);
  EXPECT_EQ(header(image, "Content-Encoding"), "");
}

}  // namespace
}  // namespace rallyuxr::http
