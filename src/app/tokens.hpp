// `rallyuxr token create|list|revoke`: named access tokens, managed on the database directly (the
// way to make the first admin token). The token is printed once, on create, and never stored.
#pragma once

#include <string>

namespace rallyuxr::app {

struct TokenConfig {
  std::string database = "sqlite:data/rallyuxr.db";
  std::string action;  // create | list | revoke
  std::string name;
  std::string role = "read";
};

int run_token(const TokenConfig& config);

}  // namespace rallyuxr::app
