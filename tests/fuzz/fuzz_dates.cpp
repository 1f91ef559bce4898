// ISO-8601 dates as the API reads them (startDate/endDate, import timestamps): parse_iso8601,
// parse_iso8601_datetime and format_iso8601. Nothing here throws; any exception is a crash.
// Properties checked:
//  - the two parsers agree: a datetime accepted by one is accepted by the other with the same
//    value; a plain date (10 characters) only by parse_iso8601, at a midnight;
//  - format(parse(x)) is a 20-character `YYYY-MM-DDTHH:MM:SSZ` that parses back to the same
//    instant (what the API accepts, it can print and accept again);
//  - an input already in canonical form (`YYYY-MM-DDTHH:MM:SSZ`, seconds < 60; or `YYYY-MM-DD`)
//    formats back to itself.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/time.hpp"
#include "fuzz_check.hpp"

using namespace rallyuxr;

namespace {

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool canonical_datetime(std::string_view s) {
  return s.size() == 20 && digits(s.substr(0, 4)) && s[4] == '-' && digits(s.substr(5, 2)) && s[7] == '-' &&
         digits(s.substr(8, 2)) && s[10] == 'T' && digits(s.substr(11, 2)) && s[13] == ':' &&
         digits(s.substr(14, 2)) && s[16] == ':' && digits(s.substr(17, 2)) && s[19] == 'Z' && s.substr(17, 2) != "60";
}

void check(std::string_view text) {
  auto any = domain::parse_iso8601(text);
  auto dt = domain::parse_iso8601_datetime(text);
  std::string in(text.substr(0, 80));

  if (dt) FUZZ_CHECK(any && *any == *dt, "parse_iso8601 and parse_iso8601_datetime disagree on " + in);
  if (text.size() == 10) {
    FUZZ_CHECK(!dt, "a plain date accepted as a datetime: " + in);
    if (any) FUZZ_CHECK(*any % domain::kSecondsPerDay == 0, "a plain date not at midnight: " + in);
  } else if (any) {
    FUZZ_CHECK(dt, "a datetime accepted by parse_iso8601 only: " + in);
  }
  if (!any) return;

  std::string f = domain::format_iso8601(*any);
  FUZZ_CHECK(canonical_datetime(f), "format_iso8601 printed a non-ISO form '" + f + "' for " + in);
  auto back = domain::parse_iso8601_datetime(f);
  FUZZ_CHECK(back && *back == *any, "format -> parse does not round-trip: " + in + " -> " + f);
  FUZZ_CHECK(domain::format_iso8601(*back) == f, "format is not stable: " + f);

  if (canonical_datetime(text)) FUZZ_CHECK(f == text, "canonical input formats differently: " + in + " -> " + f);
  if (text.size() == 10) FUZZ_CHECK(f == std::string(text) + "T00:00:00Z", "plain date formats differently: " + in + " -> " + f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text);
  // And its first line alone: one input, two strings (a CSV field never holds a newline).
  auto nl = text.find('\n');
  if (nl != std::string_view::npos) check(text.substr(0, nl));
  return 0;
}
