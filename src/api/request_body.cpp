#include "api/request_body.hpp"

#include <cmath>

#include "codec/json_parse.hpp"

namespace rallyuxr::api {

json::object parse_json_body(const http::Request& req) {
  auto mt = req.media_type();
  if (mt != "application/json" && !(mt.empty() && req.body.empty()))
    throw domain::ApiError(domain::ErrorCode::kUnsupportedMediaType,
                           "Content-Type must be application/json");
  if (req.body.empty())
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Request body is empty; a JSON object is expected");
  boost::system::error_code ec;
  json::value v = codec::parse_json_exact(req.body, ec, 64);
  if (ec)
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Malformed JSON body: " + ec.message());
  if (!v.is_object())
    throw domain::ApiError(domain::ErrorCode::kMalformed, "Request body must be a JSON object");
  return std::move(v.as_object());
}

namespace {
std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}
}  // namespace

const json::value* FieldReader::present(const char* key, bool required) {
  auto it = obj_.find(key);
  if (it != obj_.end() && !it->value().is_null()) return &it->value();
  if (required) issue(key, "Required");
  return nullptr;
}

bool FieldReader::has(const char* key) const {
  auto it = obj_.find(key);
  return it != obj_.end() && !it->value().is_null();
}

void FieldReader::issue(const std::string& key, const std::string& message) {
  issues_.push_back({path(key), message});
}

std::optional<std::string> FieldReader::string(const char* key, bool required, std::size_t min_len,
                                               std::size_t max_len) {
  const json::value* v = present(key, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    issue(key, "Expected string");
    return std::nullopt;
  }
  std::string s(v->get_string());
  // Length in characters (UTF-8 code points), as a person counts them.
  std::size_t chars = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++chars;
  if (chars < min_len) {
    issue(key, min_len == 1 ? "Must not be empty" : "Must be at least " + std::to_string(min_len) + " characters");
    return std::nullopt;
  }
  if (chars > max_len) {
    issue(key, "Must be at most " + std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return s;
}

std::optional<double> FieldReader::number(const char* key, bool required) {
  const json::value* v = present(key, required);
  if (!v) return std::nullopt;
  auto n = as_number(*v);
  if (!n) {
    issue(key, "Expected number");
    return std::nullopt;
  }
  if (!std::isfinite(*n)) {
    issue(key, "Must be a finite number");
    return std::nullopt;
  }
  return n;
}

std::optional<std::int64_t> FieldReader::integer(const char* key, bool required, std::int64_t min,
                                                 std::int64_t max) {
  auto n = number(key, required);
  if (!n) return std::nullopt;
  if (std::floor(*n) != *n) {
    issue(key, "Expected an integer");
    return std::nullopt;
  }
  if (*n < static_cast<double>(min) || *n > static_cast<double>(max)) {
    issue(key, "Must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*n);
}

const json::array* FieldReader::array(const char* key, bool required) {
  const json::value* v = present(key, required);
  if (v && !v->is_array()) issue(key, "Expected array");
  return v && v->is_array() ? &v->get_array() : nullptr;
}

const json::object* FieldReader::object(const char* key, bool required) {
  const json::value* v = present(key, required);
  if (v && !v->is_object()) issue(key, "Expected object");
  return v && v->is_object() ? &v->get_object() : nullptr;
}

void FieldReader::throw_if_any(const std::string& message) {
  if (!issues_.empty()) throw domain::ApiError(domain::ErrorCode::kValidation, message, issues_);
}

}  // namespace rallyuxr::api
