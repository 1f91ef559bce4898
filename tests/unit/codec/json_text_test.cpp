// JSON text primitives (codec/json_text.hpp): shortest exact numbers, null for non-finite
// doubles, escaping, and the generic value writer.
#include "codec/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace rallyuxr::codec {
namespace {

namespace json = boost::json;

// ============================================================================ json_text

std::string text_of(const json::value& v) { return to_json_text(v); }

TEST(JsonText, IntegersNeverUseAnExponent) {
  EXPECT_EQ(text_of(json::value(std::int64_t{0})), "0");
  EXPECT_EQ(text_of(json::value(std::int64_t{10000})), "10000");
  EXPECT_EQ(text_of(json::value(std::int64_t{-42})), "-42");
  EXPECT_EQ(text_of(json::value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
  EXPECT_EQ(text_of(json::value(std::numeric_limits<std::int64_t>::max())), "9223372036854775807");
  EXPECT_EQ(text_of(json::value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
  // Whole doubles print as integers too (boost::json::serialize would print 1E4).
  EXPECT_EQ(text_of(json::value(10000.0)), "10000");
  EXPECT_EQ(text_of(json::value(1.0)), "1");
  EXPECT_EQ(text_of(json::value(-250.0)), "-250");
  EXPECT_EQ(text_of(json::value(123456789.0)), "123456789");
}

TEST(JsonText, DoublesUseTheShortestRoundTripForm) {
  EXPECT_EQ(text_of(json::value(0.5)), "0.5");
  EXPECT_EQ(text_of(json::value(0.1)), "0.1");
  EXPECT_EQ(text_of(json::value(0.3)), "0.3");
  EXPECT_EQ(text_of(json::value(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(text_of(json::value(48353.12914611297)), "48353.12914611297");
  EXPECT_EQ(text_of(json::value(-0.025)), "-0.025");
  for (double d : {0.1, 1.0 / 3, 2.0 / 3, 1e-7, 1e-300, 6.02214076e23, 1.7976931348623157e308, 4.9e-324,
                   -123.456, 3.141592653589793, 1e21, 1e22}) {
    auto text = text_of(json::value(d));
    auto back = json::parse(text);
    ASSERT_TRUE(back.is_double() || back.is_int64() || back.is_uint64()) << text;
    double parsed = back.is_double() ? back.get_double() : back.to_number<double>();
    EXPECT_EQ(parsed, d) << text;
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(JsonText, NonFiniteNumbersBecomeNull) {
  EXPECT_EQ(text_of(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(text_of(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(text_of(json::value(-std::numeric_limits<double>::infinity())), "null");
  json::object o;
  o["a"] = std::nan("");
  o["b"] = json::array{1.5, std::numeric_limits<double>::infinity(), 2};
  EXPECT_EQ(text_of(o), R"({"a":null,"b":[1.5,null,2]})");
  std::string out;
  append_json_number(out, std::nan(""));
  append_json_number(out, 2.5);
  EXPECT_EQ(out, "null2.5");
}

TEST(JsonText, EscapesStrings) {
  EXPECT_EQ(text_of(json::value("plain")), R"("plain")");
  EXPECT_EQ(text_of(json::value("")), R"("")");
  EXPECT_EQ(text_of(json::value("say \"hi\"")), R"("say \"hi\"")");
  EXPECT_EQ(text_of(json::value("C:\\path\\x")), R"("C:\\path\\x")");
  EXPECT_EQ(text_of(json::value("a\nb\rc\td\be\ff")), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(text_of(json::value(json::string(std::string("\x01\x1f\x00z", 4)))), R"("\u0001\u001f\u0000z")");
  EXPECT_EQ(text_of(json::value("</script>")), R"("</script>")");  // '/' needs no escape
  EXPECT_EQ(text_of(json::value("\x7f")), "\"\x7f\"");
  // UTF-8 passes through byte for byte.
  EXPECT_EQ(text_of(json::value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")), "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  // Keys are escaped like values.
  json::object o;
  o["k\"ey\n"] = "v\\";
  EXPECT_EQ(text_of(o), R"({"k\"ey\n":"v\\"})");
}

TEST(JsonText, WritesEveryKindAndParsesBackToTheSameValue) {
  EXPECT_EQ(text_of(nullptr), "null");
  EXPECT_EQ(text_of(true), "true");
  EXPECT_EQ(text_of(false), "false");
  EXPECT_EQ(text_of(json::array{}), "[]");
  EXPECT_EQ(text_of(json::object{}), "{}");
  EXPECT_EQ(text_of(json::array{1, "two", nullptr, false, json::array{}, json::object{{"x", 0.25}}}),
            R"([1,"two",null,false,[],{"x":0.25}])");

  auto v = json::parse(R"({"success":true,"data":{"experiments":[{"id":"a\"b","n":[1,2.5,-3e-5,1e100]},
      {"name":"caf\u00e9 \ud83d\ude00","nested":{"deep":[[[]]],"nul":null}}],"total":18446744073709551615}})");
  auto text = text_of(v);
  EXPECT_EQ(json::parse(text), v) << text;
  // Member order is kept.
  EXPECT_EQ(text_of(json::object{{"z", 1}, {"a", 2}, {"m", 3}}), R"({"z":1,"a":2,"m":3})");
  std::string out = "prefix:";
  append_json_text(out, json::array{1});
  EXPECT_EQ(out, "prefix:[1]");
}

}  // namespace
}  // namespace rallyuxr::codec
