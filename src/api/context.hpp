// What the handlers share: the store and the service's settings. Built by app/, read-only after.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "store/store.hpp"

namespace rallyuxr::api {

class ResponseCache;

struct WorkerHealth {
  std::function<int()> live_workers;  // how many worker threads are running
};

struct Context {
  store::Store& store;
  std::size_t max_import_bytes = 32u << 20;
  int workers = 2;
  WorkerHealth worker_health;
  std::string openapi_json;  // served at /openapi.json
  ResponseCache* responses = nullptr;  // serialized GET responses (api/response_cache); none: not kept
};

}  // namespace rallyuxr::api
