// What the server does to a successful GET's body, for any resource: strong ETags with
// If-None-Match (304), and gzip negotiated by Accept-Encoding for JSON and CSV above a threshold.
// Handlers may hand over a validator and a gzip variant they keep (api/response_cache); the rest
// is generic. No Beast here: api/ may use the helpers (hashing, compression).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "http/types.hpp"

namespace rallyuxr::http {

// Bodies below this are never compressed (the header would cost more than it saves).
inline constexpr std::size_t kCompressMinBytes = 1024;

// Whether a client that sent this Accept-Encoding accepts gzip (RFC 9110 12.5.3): "gzip" or
// "x-gzip" with q > 0, or "*" with q > 0 when gzip is not named. An absent header: no.
bool accepts_gzip(std::string_view accept_encoding);

// Whether an If-None-Match value names this entity tag (a quoted strong tag) or is "*".
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// gzip (RFC 1952) of the bytes at a zlib level (1 fastest .. 9 smallest).
std::string gzip_compress(std::string_view bytes, int level);

// A strong entity tag ("\"...\"", quotes included) derived from the bytes (64-bit FNV-1a and the
// length): the same bytes give the same tag on every node.
std::string etag_of(std::string_view bytes);

// The type is one worth compressing (JSON, CSV, text).
bool compressible_type(std::string_view content_type);

// Applies conditional GET and content coding to a handler's response, on a request thread:
// a 200 to GET/HEAD gets an ETag (the handler's, or one of the bytes when it asked for it),
// answers 304 when If-None-Match names it, and is sent gzipped when the client accepts gzip and
// the body is JSON/CSV/text of kCompressMinBytes or more (Vary: Accept-Encoding either way).
void finish_representation(const Request& req, Response& r);

}  // namespace rallyuxr::http
