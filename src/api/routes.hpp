// Registers every endpoint of the contract (and our additions) on a router. Handlers parse,
// call the store, serialize; store outages become SERVICE_UNAVAILABLE here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/context.hpp"
#include "domain/types.hpp"
#include "http/types.hpp"

namespace rallyuxr::api {

void register_experiment_routes(http::Router& router, Context& ctx);
void register_metric_value_routes(http::Router& router, Context& ctx);
void register_system_routes(http::Router& router, Context& ctx);
void register_results_routes(http::Router& router, Context& ctx);
void register_plan_routes(http::Router& router, Context& ctx);  // POST /plans (plans.cpp)
void register_routes(http::Router& router, Context& ctx);

void register_token_routes(http::Router& router, Context& ctx);
void register_audit_routes(http::Router& router, Context& ctx);
void register_webhook_routes(http::Router& router, Context& ctx);  // webhooks.cpp (issue 16)

// Who made the request: the named token's name; nullopt for an unnamed token or none.
std::optional<std::string> principal_name(const http::Request& req);
// UNAUTHORIZED without a token, FORBIDDEN when its role is below `role`.
void require_role(const http::Request& req, domain::Role role);

// The experiment with this id; NOT_FOUND (also for ids that are not UUIDs).
domain::Experiment load_experiment(Context& ctx, const std::string& id);

// How many requests found the database unavailable since start.
std::uint64_t database_errors();

// Wraps a handler so that StoreUnavailable answers 503 with the error envelope.
http::Handler guarded(http::Handler h);

// A resource's handler bound to the context, guarded: router.add("GET", "/x", bind(ctx, get_x)).
using ResourceHandler = http::Response (*)(Context&, const http::Request&);
http::Handler bind(Context& ctx, ResourceHandler fn);

}  // namespace rallyuxr::api
