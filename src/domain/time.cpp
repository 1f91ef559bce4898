#include "domain/time.hpp"

#include <date/date.h>

#include <chrono>
#include <cstdio>

namespace rallyuxr::domain {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<UnixSeconds> civil(int y, int mo, int d, int h, int mi, int s) {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  auto days = date::sys_days{ymd}.time_since_epoch().count();
  return static_cast<UnixSeconds>(days) * kSecondsPerDay + h * 3600 + mi * 60 + (s == 60 ? 59 : s);
}

std::optional<UnixSeconds> parse(std::string_view t, bool allow_plain_date) {
  // Date part.
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  auto y = t.substr(0, 4), mo = t.substr(5, 2), d = t.substr(8, 2);
  if (!all_digits(y) || !all_digits(mo) || !all_digits(d)) return std::nullopt;
  if (t.size() == 10) {
    if (!allow_plain_date) return std::nullopt;
    return civil(to_int(y), to_int(mo), to_int(d), 0, 0, 0);
  }
  if (t[10] != 'T' && t[10] != 't') return std::nullopt;
  std::string_view rest = t.substr(11);
  if (rest.size() < 5 || rest[2] != ':') return std::nullopt;
  auto hh = rest.substr(0, 2), mm = rest.substr(3, 2);
  if (!all_digits(hh) || !all_digits(mm)) return std::nullopt;
  rest.remove_prefix(5);
  int ss = 0;
  if (!rest.empty() && rest[0] == ':') {
    if (rest.size() < 3 || !all_digits(rest.substr(1, 2))) return std::nullopt;
    ss = to_int(rest.substr(1, 2));
    rest.remove_prefix(3);
    if (!rest.empty() && rest[0] == '.') {
      std::size_t i = 1;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
      if (i == 1 || i > 10) return std::nullopt;
      rest.remove_prefix(i);
    }
  }
  int offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
             all_digits(rest.substr(1, 2)) && all_digits(rest.substr(4, 2))) {
    int oh = to_int(rest.substr(1, 2)), om = to_int(rest.substr(4, 2));
    if (oh > 23 || om > 59) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;  // a datetime without a zone is ambiguous
  }
  auto base = civil(to_int(y), to_int(mo), to_int(d), to_int(hh), to_int(mm), ss);
  if (!base) return std::nullopt;
  // A zone offset may carry 0000-01-01 or 9999-12-31 out of the years that can be written back.
  constexpr UnixSeconds kFirst = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr UnixSeconds kLast = 253402300799;   // 9999-12-31T23:59:59Z
  UnixSeconds utc = *base - offset;
  if (utc < kFirst || utc > kLast) return std::nullopt;
  return utc;
}

}  // namespace

std::optional<UnixSeconds> parse_iso8601(std::string_view text) { return parse(text, true); }
std::optional<UnixSeconds> parse_iso8601_datetime(std::string_view text) { return parse(text, false); }

std::string format_iso8601(UnixSeconds t) {
  using namespace std::chrono;
  auto tp = sys_seconds{seconds{t}};
  auto day = floor<date::days>(tp);
  date::year_month_day ymd{day};
  date::hh_mm_ss<seconds> hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

UnixSeconds now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace rallyuxr::domain
