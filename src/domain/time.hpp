// ISO-8601 parsing and formatting in UTC. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/types.hpp"

namespace rallyuxr::domain {

// Accepts `YYYY-MM-DD` (midnight UTC) or a datetime with a zone:
// `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+HH:MM|-HH:MM)`. Fractional seconds are truncated.
std::optional<UnixSeconds> parse_iso8601(std::string_view text);

// Like parse_iso8601, but for datetimes only (no plain date), as import timestamps require.
std::optional<UnixSeconds> parse_iso8601_datetime(std::string_view text);

// `YYYY-MM-DDTHH:MM:SSZ`.
std::string format_iso8601(UnixSeconds t);

UnixSeconds now_seconds();

}  // namespace rallyuxr::domain
