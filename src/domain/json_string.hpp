// A string as a JSON string literal: quoted, with '"', '\\' and the control characters escaped
// (\n \r \t \b \f, others as \u00XX); every other byte, UTF-8 included, as it is. The one escaper
// of the product: codec's writers, http/'s error envelope and access log and store/'s column texts
// all call it (http and store may not use codec). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rallyuxr::domain {

void append_json_string(std::string& out, std::string_view s);

}  // namespace rallyuxr::domain
