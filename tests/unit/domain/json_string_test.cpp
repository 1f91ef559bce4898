// The one JSON string escaper (domain/json_string.hpp) and the modules that call it: codec's
// writers, http/'s envelope quoting and store/'s column texts give the same literal.
#include "domain/json_string.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "codec/json_writer.hpp"
#include "http/json_quote.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::domain {
namespace {

std::string literal(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(literal(""), R"("")");
  EXPECT_EQ(literal("say \"hi\" C:\\x"), R"("say \"hi\" C:\\x")");
  EXPECT_EQ(literal("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(literal(std::string("\x01\x1f\x00z", 4)), R"("\u0001\u001f\u0000z")");
  EXPECT_EQ(literal("caf\xC3\xA9 \x7f /"), "\"caf\xC3\xA9 \x7f /\"");
}

TEST(JsonString, EveryByteRoundTripsAndEveryModuleWritesTheSameText) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  all += '\0';
  // Bytes 0x80.. are not UTF-8 on their own: compare the ASCII part through a parser.
  const std::string ascii = all.substr(0, 127) + '\0';
  EXPECT_EQ(boost::json::parse(literal(ascii)).as_string(), ascii);
  std::string from_codec;
  codec::JsonWriter(from_codec).string(all);
  EXPECT_EQ(from_codec, literal(all));
  EXPECT_EQ(http::json_quote(all), literal(all));
  EXPECT_EQ(store::json_quote(all), literal(all));
}

}  // namespace
}  // namespace rallyuxr::domain
