// ISO-8601 parsing and formatting (domain/time.hpp): plain dates are midnight UTC, datetimes need a
// zone (Z or ±HH:MM), fractional seconds are truncated, impossible calendar values are rejected,
// and format_iso8601 / parse_iso8601 round-trip.
#include "domain/time.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace rallyuxr::domain {
namespace {

constexpr UnixSeconds kJan15_2025 = 1736899200;  // 2025-01-15T00:00:00Z
constexpr UnixSeconds kFeb29_2024 = 1709164800;  // 2024-02-29T00:00:00Z
constexpr UnixSeconds kFeb29_2000 = 951782400;   // 2000-02-29T00:00:00Z

TEST(ParseIso8601, PlainDateIsMidnightUtc) {
  EXPECT_EQ(parse_iso8601("1970-01-01"), std::optional<UnixSeconds>(0));
  EXPECT_EQ(parse_iso8601("2025-01-15"), std::optional<UnixSeconds>(kJan15_2025));
  EXPECT_EQ(parse_iso8601("2025-01-16"), std::optional<UnixSeconds>(kJan15_2025 + kSecondsPerDay));
  EXPECT_EQ(parse_iso8601("1969-12-31"), std::optional<UnixSeconds>(-kSecondsPerDay));
}

TEST(ParseIso8601, DatetimeWithZ) {
  EXPECT_EQ(parse_iso8601("2025-01-15T00:00:00Z"), std::optional<UnixSeconds>(kJan15_2025));
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00Z"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600));
  EXPECT_EQ(parse_iso8601("2025-01-15T14:30:45Z"),
            std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600 + 30 * 60 + 45));
  EXPECT_EQ(parse_iso8601("2025-01-15T23:59:59Z"), std::optional<UnixSeconds>(kJan15_2025 + kSecondsPerDay - 1));
  // Seconds are optional; lower-case separators are accepted.
  EXPECT_EQ(parse_iso8601("2025-01-15T14:30Z"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600 + 30 * 60));
  EXPECT_EQ(parse_iso8601("2025-01-15t14:00:00z"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600));
}

TEST(ParseIso8601, NumericOffsetsConvertToUtc) {
  // 14:00 at +02:00 is 12:00 UTC.
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00+02:00"), std::optional<UnixSeconds>(kJan15_2025 + 12 * 3600));
  // 14:00 at -05:30 is 19:30 UTC.
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00-05:30"),
            std::optional<UnixSeconds>(kJan15_2025 + 19 * 3600 + 30 * 60));
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00+00:00"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600));
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00-00:00"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600));
  // An offset can move the instant to the previous or the next day.
  EXPECT_EQ(parse_iso8601("2025-01-15T01:00:00+03:00"), std::optional<UnixSeconds>(kJan15_2025 - 2 * 3600));
  EXPECT_EQ(parse_iso8601("2025-01-15T22:00:00-04:00"),
            std::optional<UnixSeconds>(kJan15_2025 + kSecondsPerDay + 2 * 3600));
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00+01:00"), std::optional<UnixSeconds>(kJan15_2025 + 13 * 3600));
}

TEST(ParseIso8601, FractionalSecondsAreTruncated) {
  const auto expected = std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600 + 5);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:05.0Z"), expected);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:05.123Z"), expected);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:05.999Z"), expected);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:05.123456789Z"), expected);
  EXPECT_EQ(parse_iso8601("2025-01-15T16:00:05.5+02:00"), expected);
  // A dot needs digits.
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:05.Z"), std::nullopt);
  // Fractions only follow seconds.
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00.5Z"), std::nullopt);
}

TEST(ParseIso8601, LeapDays) {
  EXPECT_EQ(parse_iso8601("2024-02-29"), std::optional<UnixSeconds>(kFeb29_2024));
  EXPECT_EQ(parse_iso8601("2024-02-29T12:00:00Z"), std::optional<UnixSeconds>(kFeb29_2024 + 12 * 3600));
  EXPECT_EQ(parse_iso8601("2024-03-01"), std::optional<UnixSeconds>(kFeb29_2024 + kSecondsPerDay));
  EXPECT_EQ(parse_iso8601("2000-02-29"), std::optional<UnixSeconds>(kFeb29_2000));  // divisible by 400
  EXPECT_EQ(parse_iso8601("2025-02-29"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2100-02-29"), std::nullopt);  // divisible by 100, not by 400
  EXPECT_EQ(parse_iso8601("2024-02-30"), std::nullopt);
}

TEST(ParseIso8601, RejectsOutOfRangeFields) {
  EXPECT_EQ(parse_iso8601("2025-13-01"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-00-10"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-32"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-04-31"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T24:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T23:60:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T23:00:61Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T12:00:00+24:00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T12:00:00+02:60"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-13-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-32T00:00:00Z"), std::nullopt);
}

TEST(ParseIso8601, RejectsDatetimesWithoutZone) {
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00"), std::nullopt);
  EXPECT_EQ(parse_iso8601("2025-01-15T14:00:00.123"), std::nullopt);
  EXPECT_EQ(parse_iso8601_datetime("2025-01-15T14:00:00"), std::nullopt);
}

TEST(ParseIso8601, RejectsGarbage) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "abc",
      "2025",
      "2025-01",
      "2025/01/15",
      "2025-1-15",
      "2025-01-5",
      "25-01-15",
      "2025-01-15 ",
      " 2025-01-15",
      "2025-01-15x",
      "2025-01-15Z",
      "2025-01-15T",
      "2025-01-15T14Z",
      "2025-01-15T1:00:00Z",
      "2025-01-15T14:00:00ZZ",
      "2025-01-15T14:00:00Zjunk",
      "2025-01-15T14:00:00+0200",
      "2025-01-15T14:00:00+02",
      "2025-01-15T14:00:00 Z",
      "2025-01-15 14:00:00Z",
      "2025-0a-15",
      "2025-01-15Tab:cd:efZ",
      "2025-01-15T14:00:00UTC",
      "2025-01-15T14:00:00+02:00:00",
  };
  for (const auto& s : bad) {
    EXPECT_EQ(parse_iso8601(s), std::nullopt) << "'" << s << "'";
    EXPECT_EQ(parse_iso8601_datetime(s), std::nullopt) << "'" << s << "'";
  }
}

TEST(ParseIso8601Datetime, RejectsPlainDates) {
  EXPECT_EQ(parse_iso8601_datetime("2025-01-15"), std::nullopt);
  EXPECT_EQ(parse_iso8601_datetime("2024-02-29"), std::nullopt);
}

TEST(ParseIso8601Datetime, AcceptsWhatParseIso8601AcceptsForDatetimes) {
  const std::vector<std::string> good = {
      "2025-01-15T14:00:00Z", "2025-01-15T14:00Z", "2025-01-15T14:00:00.250Z",
      "2025-01-15T14:00:00+02:00", "2025-01-15T14:00:00-05:30", "2024-02-29T23:59:59Z",
  };
  for (const auto& s : good) {
    auto a = parse_iso8601_datetime(s);
    ASSERT_TRUE(a.has_value()) << s;
    EXPECT_EQ(a, parse_iso8601(s)) << s;
  }
  EXPECT_EQ(parse_iso8601_datetime("2025-01-15T14:00:00Z"), std::optional<UnixSeconds>(kJan15_2025 + 14 * 3600));
  EXPECT_EQ(parse_iso8601_datetime("2025-02-29T00:00:00Z"), std::nullopt);
}

TEST(FormatIso8601, FixedValues) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(kJan15_2025), "2025-01-15T00:00:00Z");
  EXPECT_EQ(format_iso8601(kJan15_2025 + 14 * 3600 + 30 * 60 + 45), "2025-01-15T14:30:45Z");
  EXPECT_EQ(format_iso8601(kFeb29_2024 + kSecondsPerDay - 1), "2024-02-29T23:59:59Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(253402300799), "9999-12-31T23:59:59Z");
}

TEST(FormatIso8601, RoundTrips) {
  const std::vector<UnixSeconds> instants = {
      0, 1, -1, kJan15_2025, kJan15_2025 + 3599, kFeb29_2024, kFeb29_2024 + 86399, kFeb29_2000,
      1735689599 /* 2024-12-31T23:59:59Z */, 4102444800 /* 2100-01-01 */, 253402300799,
  };
  for (auto t : instants) {
    auto text = format_iso8601(t);
    EXPECT_EQ(parse_iso8601(text), std::optional<UnixSeconds>(t)) << text;
    EXPECT_EQ(parse_iso8601_datetime(text), std::optional<UnixSeconds>(t)) << text;
  }
  // Every hour of a leap year formats and parses back.
  for (UnixSeconds t = 1704067200; t < 1704067200 + 366 * kSecondsPerDay; t += 3600) {
    ASSERT_EQ(parse_iso8601(format_iso8601(t)), std::optional<UnixSeconds>(t)) << format_iso8601(t);
  }
  // Canonical text survives parse then format.
  for (const char* s : {"2025-01-15T14:00:00Z", "2024-02-29T00:00:01Z", "1999-12-31T23:59:59Z"}) {
    auto t = parse_iso8601(s);
    ASSERT_TRUE(t.has_value()) << s;
    EXPECT_EQ(format_iso8601(*t), s);
  }
  // Non-canonical input formats canonically (in UTC).
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-15T14:00:00+02:00")), "2025-01-15T12:00:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2025-01-15")), "2025-01-15T00:00:00Z");
}

TEST(NowSeconds, IsCloseToTheSystemClock) {
  auto a = now_seconds();
  EXPECT_GT(a, 1700000000);  // after 2023-11
  auto b = now_seconds();
  EXPECT_GE(b, a);
  EXPECT_LE(b - a, 1);
}

}  // namespace
}  // namespace rallyuxr::domain
