// A JSON string literal for the few JSON texts http/ writes itself (the error envelope, the access
// log). http/ knows no resource and no store, so it carries this tiny escaper of its own. Pure.
#pragma once

#include <string>
#include <string_view>

namespace rallyuxr::http {

// `s` quoted and escaped ("\"", "\\", control characters as \n, \t or \u00XX).
inline std::string json_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace rallyuxr::http
