#include "app/tokens.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "domain/time.hpp"
#include "pipeline/tokens.hpp"
#include "store/store.hpp"

namespace rallyuxr::app {

int run_token(const TokenConfig& cfg) {
  try {
    auto store = store::make_store(cfg.database, 1);
    auto now = domain::now_seconds();
    if (cfg.action == "create") {
      if (!pipeline::valid_token_name(cfg.name)) {
        std::fprintf(stderr, "error: --name must be 1 to 64 letters, digits, '.', '_', '@' or '-'\n");
        return 2;
      }
      auto role = domain::parse_role(cfg.role);
      if (!role) {
        std::fprintf(stderr, "error: --role must be read, write or admin\n");
        return 2;
      }
      auto made = pipeline::create_token(*store, cfg.name, *role, std::nullopt, now);
      if (made.kind == pipeline::TokenCreated::Kind::kNameTaken) {
        std::fprintf(stderr, "error: an active token named '%s' exists; revoke it first\n", cfg.name.c_str());
        return 1;
      }
      // The only time the token is shown: stdout, for a script to capture; the note on stderr.
      std::fprintf(stdout, "%s\n", made.text.c_str());
      std::fprintf(stderr, "Created token '%s' (role %s). Store it now: it is not shown again.\n", cfg.name.c_str(),
                   cfg.role.c_str());
      return 0;
    }
    if (cfg.action == "list") {
      std::fprintf(stdout, "%-24s %-6s %-20s %-20s %s\n", "NAME", "ROLE", "CREATED", "REVOKED", "CREATED BY");
      for (const auto& t : store->list_tokens())
        std::fprintf(stdout, "%-24s %-6s %-20s %-20s %s\n", t.name.c_str(), t.role.c_str(),
                     domain::format_iso8601(t.created_at).c_str(),
                     t.revoked_at ? domain::format_iso8601(*t.revoked_at).c_str() : "-",
                     t.created_by ? t.created_by->c_str() : "-");
      return 0;
    }
    if (cfg.action == "revoke") {
      if (!pipeline::revoke_token(*store, cfg.name, now)) {
        std::fprintf(stderr, "error: no active token named '%s'\n", cfg.name.c_str());
        return 1;
      }
      std::fprintf(stderr, "Revoked token '%s'.\n", cfg.name.c_str());
      return 0;
    }
    std::fprintf(stderr, "error: unknown action '%s'\n", cfg.action.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace rallyuxr::app
