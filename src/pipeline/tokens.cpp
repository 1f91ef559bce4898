#include "pipeline/tokens.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "domain/ids.hpp"
#include "pipeline/hex.hpp"
#include "pipeline/pipeline.hpp"
#include "codec/json_text.hpp"

namespace rallyuxr::pipeline {

std::string hash_token(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return lower_hex(digest, len);
}

std::string new_token_text() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a token");
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "rux_";
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += b64[(acc << (6 - bits)) & 63];
  return out;
}

bool valid_token_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

TokenCreated create_token(store::Store& s, const std::string& name, domain::Role role,
                          const std::optional<std::string>& created_by, domain::UnixSeconds now) {
  TokenCreated out;
  out.text = new_token_text();
  out.token.token_id = domain::new_uuid_v7();
  out.token.name = name;
  out.token.role = domain::to_string(role);
  out.token.hash = hash_token(out.text);
  out.token.created_at = now;
  out.token.created_by = created_by;
  std::string role_json;
  codec::append_json_string(role_json, out.token.role);
  bool inserted = with_transaction(s, [&](store::Transaction& tx) {
    if (!tx.insert_token(out.token)) return false;
    write_audit(tx, now, created_by, "token.created", "token", out.token.name,
                "Created token '" + out.token.name + "' with role " + out.token.role, {{"role", "null", role_json}});
    tx.commit();
    return true;
  });
  if (!inserted) {
    out.kind = TokenCreated::Kind::kNameTaken;
    out.text.clear();
  }
  return out;
}

bool revoke_token(store::Store& s, const std::string& name, domain::UnixSeconds now,
                  const std::optional<std::string>& by) {
  return with_transaction(s, [&](store::Transaction& tx) {
    if (!tx.revoke_token(name, now)) return false;
    write_audit(tx, now, by, "token.revoked", "token", name, "Revoked token '" + name + "'",
                {{"active", "true", "false"}});
    tx.commit();
    return true;
  });
}

}  // namespace rallyuxr::pipeline
