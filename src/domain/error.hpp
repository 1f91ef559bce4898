// One error type for expected failures, with a protocol-neutral code. The HTTP layer is the only
// place that maps a code to a status (http/server.cpp). Thrown as ApiError from handlers.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rallyuxr::domain {

enum class ErrorCode {
  kValidation,           // 400 VALIDATION_ERROR
  kMalformed,            // 400 VALIDATION_ERROR (body is not parseable)
  kUnauthorized,         // 401 UNAUTHORIZED
  kForbidden,            // 403 FORBIDDEN (a token whose role is too low)
  kNotFound,             // 404 NOT_FOUND
  kMethodNotAllowed,     // 405 METHOD_NOT_ALLOWED
  kConflict,             // 409 CONFLICT
  kPayloadTooLarge,      // 413 PAYLOAD_TOO_LARGE
  kUnsupportedMediaType, // 415 UNSUPPORTED_MEDIA_TYPE
  kUnavailable,          // 503 SERVICE_UNAVAILABLE
  kInternal,             // 500 SERVER_ERROR
};

struct FieldIssue {
  std::string path;     // dotted path as Zod prints it: "metrics.1", "simulation.seed"
  std::string message;
};

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message, std::vector<FieldIssue> details = {})
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}
  ErrorCode code() const { return code_; }
  const std::vector<FieldIssue>& details() const { return details_; }

 private:
  ErrorCode code_;
  std::vector<FieldIssue> details_;
};

}  // namespace rallyuxr::domain
