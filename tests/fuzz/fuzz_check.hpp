// Shared by the fuzz targets: a property check that aborts (a libFuzzer crash) with a message,
// and the one way a target may swallow an exception: an ApiError with an expected code.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "domain/error.hpp"

#define FUZZ_CHECK(cond, what)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "\nfuzz property violated at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, \
                   std::string(what).c_str(), #cond);                                            \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

namespace rallyuxr::fuzz {

// Called in a catch (const domain::ApiError&) block: any other code than the expected ones is a
// crash, as is a validation error that names no field.
inline void expect_api_error(const domain::ApiError& e, std::initializer_list<domain::ErrorCode> allowed,
                             bool needs_details) {
  bool ok = false;
  for (auto c : allowed) ok = ok || e.code() == c;
  FUZZ_CHECK(ok, std::string("unexpected ApiError code ") + std::to_string(static_cast<int>(e.code())) +
                     ": " + e.what());
  if (needs_details) FUZZ_CHECK(!e.details().empty(), std::string("validation error without details: ") + e.what());
  for (const auto& d : e.details()) FUZZ_CHECK(!d.message.empty(), "a field issue without a message");
}

}  // namespace rallyuxr::fuzz
