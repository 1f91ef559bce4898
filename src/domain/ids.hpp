// Identifiers: UUIDv7 (time-ordered, RFC 9562) as lowercase text. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rallyuxr::domain {

std::string new_uuid_v7();
bool looks_like_uuid(std::string_view s);
// A stable 64-bit hash of text (FNV-1a), for seeds derived from ids.
std::uint64_t stable_hash(std::string_view s);

}  // namespace rallyuxr::domain
