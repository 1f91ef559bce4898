// JSON text output: like boost::json::serialize, but numbers are printed in their shortest exact
// form (std::to_chars: 10000, 0.5, 48353.12914611297 rather than 1E4, 5E-1) and non-finite
// doubles become null. Pure; thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace rallyuxr::codec {

std::string to_json_text(const boost::json::value& v);
void append_json_text(std::string& out, const boost::json::value& v);
void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double d);
// Writes what append_json_number appends (at most kMaxJsonNumber characters) at p; returns the end.
inline constexpr std::size_t kMaxJsonNumber = 32;
char* write_json_number(char* p, double d);

}  // namespace rallyuxr::codec
