// Typed reading of request bodies: parse_json_body (exact numbers, the contract's errors) and
// FieldReader, which collects every problem as a FieldIssue (Zod-like paths) instead of stopping
// at the first. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.hpp"
#include "http/types.hpp"

namespace rallyuxr::api {

namespace json = boost::json;

// Parses a JSON request body; throws ApiError (415 when the media type is wrong, 400 when
// malformed or not an object).
json::object parse_json_body(const http::Request& req);

// Collects issues while reading fields of an object.
class FieldReader {
 public:
  FieldReader(const json::object& obj, std::string prefix = "") : obj_(obj), prefix_(std::move(prefix)) {}

  std::optional<std::string> string(const char* key, bool required, std::size_t min_len,
                                    std::size_t max_len);
  std::optional<double> number(const char* key, bool required);
  std::optional<std::int64_t> integer(const char* key, bool required, std::int64_t min, std::int64_t max);
  const json::array* array(const char* key, bool required);
  const json::object* object(const char* key, bool required);
  bool has(const char* key) const;  // present and not null

  void issue(const std::string& key, const std::string& message);
  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  std::vector<domain::FieldIssue>& issues() { return issues_; }
  // Throws a VALIDATION_ERROR with every issue, if there are any.
  void throw_if_any(const std::string& message = "Invalid request body");

 private:
  // The member's value, or nullptr when absent or null (then an issue "Required" if `required`).
  const json::value* present(const char* key, bool required);

  const json::object& obj_;
  std::string prefix_;
  std::vector<domain::FieldIssue> issues_;
};

}  // namespace rallyuxr::api
