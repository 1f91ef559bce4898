// A JSON string literal for the few JSON texts http/ writes itself (the error envelope, the access
// log). http/ knows no resource and may not use codec, so it calls domain's escaper directly. Pure.
#pragma once

#include <string>
#include <string_view>

#include "domain/json_string.hpp"

namespace rallyuxr::http {

// `s` quoted and escaped as domain::append_json_string does.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  domain::append_json_string(out, s);
  return out;
}

}  // namespace rallyuxr::http
