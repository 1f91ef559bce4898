// Named access tokens with roles (issue 16): made here, kept hashed (SHA-256, hex) in the store,
// shown in clear exactly once, when created. A token is 32 random bytes (OpenSSL's RAND_bytes),
// "rux_" + base64url: enough entropy that an unsalted hash cannot be reversed by guessing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/types.hpp"
#include "store/store.hpp"

namespace rallyuxr::pipeline {

// Hex SHA-256 of the token text.
std::string hash_token(std::string_view token);
// A new random token ("rux_" + 43 base64url characters).
std::string new_token_text();

// Names: 1 to 64 of [A-Za-z0-9._@-].
bool valid_token_name(std::string_view name);

struct TokenCreated {
  enum class Kind { kCreated, kNameTaken } kind = Kind::kCreated;
  store::AccessToken token;  // kCreated: as stored (hash, never the text)
  std::string text;          // kCreated: the token in clear, to show once
};
TokenCreated create_token(store::Store& s, const std::string& name, domain::Role role,
                          const std::optional<std::string>& created_by, domain::UnixSeconds now);
// Revokes the active token of that name; false when there is none.
bool revoke_token(store::Store& s, const std::string& name, domain::UnixSeconds now,
                  const std::optional<std::string>& by = std::nullopt);

}  // namespace rallyuxr::pipeline
