#include "codec/json_text.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstring>

#include "domain/time.hpp"

namespace rallyuxr::codec {
namespace {

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

// domain::format_iso8601's text without snprintf or an allocation: the results document holds
// one per hour and metric.
bool write_iso8601(char* buf, domain::UnixSeconds t) {
  // Days since 1970-01-01 and second of the day, floored.
  std::int64_t days = t / domain::kSecondsPerDay;
  std::int64_t secs = t % domain::kSecondsPerDay;
  if (secs < 0) {
    secs += domain::kSecondsPerDay;
    --days;
  }
  // civil_from_days (H. Hinnant, public domain), as date::year_month_day computes it.
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  if (y < 0 || y > 9999) return false;
  const auto yy = static_cast<unsigned>(y);
  put2(buf, yy / 100);
  put2(buf + 2, yy % 100);
  buf[4] = '-';
  put2(buf + 5, m);
  buf[7] = '-';
  put2(buf + 8, d);
  buf[10] = 'T';
  const auto s = static_cast<unsigned>(secs);
  put2(buf + 11, s / 3600);
  buf[13] = ':';
  put2(buf + 14, s / 60 % 60);
  buf[16] = ':';
  put2(buf + 17, s % 60);
  buf[19] = 'Z';
  return true;
}

void append_json_timestamp(std::string& out, domain::UnixSeconds t) {
  char buf[kIsoLength + 2];
  if (write_iso8601(buf + 1, t)) {
    buf[0] = '"';
    buf[kIsoLength + 1] = '"';
    out.append(buf, sizeof buf);
  } else {
    append_json_string(out, domain::format_iso8601(t));
  }
}

void append_json_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_json_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

char* write_json_number(char* p, double d) {
  if (!std::isfinite(d)) {
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  // Whole numbers print as integers (100000, not 1e+05); others in their shortest exact form.
  if (d == std::trunc(d) && std::fabs(d) < 1e15) {
    if (d == 0 && std::signbit(d)) {
      *p = '0';
      return p + 1;
    }
    return std::to_chars(p, p + kMaxJsonNumber, static_cast<long long>(d)).ptr;
  }
  return std::to_chars(p, p + kMaxJsonNumber, d).ptr;
}

void append_json_number(std::string& out, double d) {
  char buf[kMaxJsonNumber];
  out.append(buf, write_json_number(buf, d));
}

void append_json_text(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: append_json_int(out, v.get_int64()); break;
    case boost::json::kind::uint64: append_json_uint(out, v.get_uint64()); break;
    case boost::json::kind::double_: append_json_number(out, v.get_double()); break;
    case boost::json::kind::string: append_json_string(out, v.get_string()); break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json_text(out, e);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv.key());
        out += ':';
        append_json_text(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

std::string to_json_text(const boost::json::value& v) {
  std::string out;
  out.reserve(256);
  append_json_text(out, v);
  return out;
}

}  // namespace rallyuxr::codec
