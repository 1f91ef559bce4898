// JSON text output: like boost::json::serialize, but numbers are printed in their shortest exact
// form (std::to_chars: 10000, 0.5, 48353.12914611297 rather than 1E4, 5E-1) and non-finite
// doubles become null; timestamps in the contract's ISO 8601 form. The primitives of every JSON
// writer (json_writer.hpp and the shape writers). Pure; thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "domain/json_string.hpp"
#include "domain/types.hpp"

namespace rallyuxr::codec {

std::string to_json_text(const boost::json::value& v);
void append_json_text(std::string& out, const boost::json::value& v);
using domain::append_json_string;  // domain/json_string.hpp
void append_json_number(std::string& out, double d);
// Writes what append_json_number appends (at most kMaxJsonNumber characters) at p; returns the end.
inline constexpr std::size_t kMaxJsonNumber = 32;
char* write_json_number(char* p, double d);
void append_json_int(std::string& out, std::int64_t v);
void append_json_uint(std::string& out, std::uint64_t v);

// A timestamp as a JSON string, domain::format_iso8601's text ("2025-01-15T00:00:00Z").
void append_json_timestamp(std::string& out, domain::UnixSeconds t);
// The same text without quotes, kIsoLength characters, written at p; false (nothing written)
// for years outside 0..9999, which append_json_timestamp formats the general way.
inline constexpr std::size_t kIsoLength = 20;
bool write_iso8601(char* p, domain::UnixSeconds t);

}  // namespace rallyuxr::codec
