#include "codec/json_text.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstring>

namespace rallyuxr::codec {

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

void append_json_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

void append_json_text(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: {
      char buf[24];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v.get_int64());
      out.append(buf, p);
      break;
    }
    case boost::json::kind::uint64: {
      char buf[24];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, p);
      break;
    }
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
