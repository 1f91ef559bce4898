// JSON parsing with correctly rounded numbers. Boost.JSON 1.81's parser converts decimal numbers
// quickly but not always to the nearest double (an error of one unit in the last place); figures
// must survive storage and transport to the last digit, so every double is converted again from
// its source text with std::from_chars, which rounds correctly. Pure; thread-safe.
#pragma once

#include <boost/json/value.hpp>

#include <string_view>
#include <system_error>

namespace rallyuxr::codec {

// Parses one JSON document. On error returns null and sets `ec`. Numbers too large for a double
// are an error (too small ones become the nearest double, 0 or subnormal), as are documents
// nested deeper than `max_depth`.
boost::json::value parse_json_exact(std::string_view text, boost::system::error_code& ec,
                                    std::size_t max_depth = 64);

}  // namespace rallyuxr::codec
