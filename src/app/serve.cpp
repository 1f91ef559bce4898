#include "app/serve.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "api/response_cache.hpp"
#include "api/routes.hpp"
#include "app/catalogue.hpp"
#include "codec/events_json.hpp"
#include "domain/error.hpp"
#include "domain/ids.hpp"
#include "domain/json_string.hpp"
#include "domain/time.hpp"
#include "http/server.hpp"
#include "http/webhook_client.hpp"
#include "jobs/worker_pool.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/tokens.hpp"
#include "store/store_util.hpp"

namespace rallyuxr::app {
namespace {

// `--log-format json`: each line is one JSON object. The access log's message is already a JSON
// object (http/ writes it); every other message is text and becomes a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (text.starts_with("{\"type\":\"access\"")) {
      dest.append(text.data(), text.data() + text.size());
      return;
    }
    std::string quoted;
    domain::append_json_string(quoted, text);
    dest.append(quoted.data(), quoted.data() + quoted.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonMessageFlag>(); }
};

void use_json_log_lines() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<JsonMessageFlag>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%*})");
  spdlog::set_formatter(std::move(f));
}

// Creates one experiment per dashboard template, ending at the last midnight, so that a first
// start shows finished results.
void create_demo_experiments(store::Store& store) {
  auto page = store.list_experiments(store::ExperimentListQuery{std::nullopt, std::nullopt, 1, 0});
  if (page.total > 0) return;
  auto archived = store.list_experiments(
      store::ExperimentListQuery{domain::ExperimentStatus::kArchived, std::nullopt, 1, 0});
  if (archived.total > 0) return;
  auto now = domain::now_seconds();
  auto midnight = now - now % domain::kSecondsPerDay;
  int i = 0;
  for (const auto& t : demo_templates()) {
    domain::Experiment e;
    e.id = domain::new_uuid_v7();
    e.name = t.name;
    e.description = t.description;
    e.metrics = t.metrics;
    e.expected_outcome = t.outcome;
    e.end_date = midnight - (i * 3) * domain::kSecondsPerDay;
    e.start_date = e.end_date - 14 * domain::kSecondsPerDay;
    if (t.implementation_cost > 0) e.implementation_cost = t.implementation_cost;
    e.created_at = e.updated_at = now;
    std::string payload = codec::experiment_created_payload(e, "demo");
    pipeline::create_experiment(store, e, store::Event{domain::new_uuid_v7(), e.id, "EXPERIMENT_CREATED", payload, now},
                            store::NewJob{store::JobKind::kGenerateResults, payload});
    ++i;
  }
  spdlog::info("demo: created {} experiments from the dashboard's templates", i);
}

std::string response_cache_metrics(const api::ResponseCache& cache) {
  auto s = cache.stats();
  std::string out;
  auto family = [&out](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  family("rallyuxr_response_cache_hits_total", "counter", "GET responses served from kept bytes.", s.hits);
  family("rallyuxr_response_cache_misses_total", "counter", "GET responses made because no current bytes were kept.", s.misses);
  family("rallyuxr_response_cache_evictions_total", "counter", "Kept responses dropped to stay within --response-cache-bytes.", s.evictions);
  family("rallyuxr_response_cache_bytes", "gauge", "Bytes kept (bodies, their gzip bytes and keys).", s.bytes);
  family("rallyuxr_response_cache_entries", "gauge", "Responses kept.", s.entries);
  return out;
}

std::string pipeline_metrics(store::Store& store, jobs::WorkerPool& workers) {
  std::string out;
  auto gauge = [&out](const char* name, const char* help, const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " " + value + "\n";
  };
  try {
    auto q = store.queue_stats(static_cast<double>(domain::now_seconds()));
    gauge("rallyuxr_jobs_queued", "Jobs waiting in the queue.", std::to_string(q.queued));
    gauge("rallyuxr_jobs_running", "Jobs leased by a worker now.", std::to_string(q.running));
    gauge("rallyuxr_jobs_failed", "Jobs that failed for good (after every attempt).", std::to_string(q.failed));
    gauge("rallyuxr_oldest_queued_job_age_seconds", "Age of the oldest queued job (0: none).",
          std::to_string(q.oldest_queued_age_seconds.value_or(0)));
    gauge("rallyuxr_database_up", "1 when the last database round trip worked.", "1");
  } catch (const std::exception&) {
    gauge("rallyuxr_database_up", "1 when the last database round trip worked.", "0");
  }
  gauge("rallyuxr_workers_live", "Worker threads running.", std::to_string(workers.live_workers()));
  out += "# HELP rallyuxr_job_attempts_failed_total Job attempts that failed (retried or not).\n"
         "# TYPE rallyuxr_job_attempts_failed_total counter\n"
         "rallyuxr_job_attempts_failed_total " + std::to_string(workers.failed_attempts()) + "\n";
  out += "# HELP rallyuxr_database_errors_total Requests that found the database unavailable.\n"
         "# TYPE rallyuxr_database_errors_total counter\n"
         "rallyuxr_database_errors_total " + std::to_string(api::database_errors()) + "\n";
  return out;
}

}  // namespace

std::size_t connection_capacity(int pool_size) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  // A SQLite connection holds up to 3 descriptors (file, WAL, shared memory); 64 more for the
  // listening socket, epoll, timers, logs, the web bundle read at start and PostgreSQL's listener.
  std::size_t reserve = 64 + 3 * static_cast<std::size_t>(std::max(pool_size, 1));
  std::size_t limit = rl.rlim_cur == RLIM_INFINITY ? 1048576 : static_cast<std::size_t>(rl.rlim_cur);
  return limit > reserve + 16 ? limit - reserve : 16;
}

std::string check_serve_config(const ServeConfig& cfg) {
  bool loopback = cfg.host == "127.0.0.1" || cfg.host == "::1" || cfg.host == "localhost" ||
                  cfg.host.rfind("127.", 0) == 0;
  if (!loopback && cfg.api_token.empty() && !cfg.allow_unauthenticated)
    return "refusing to listen on " + cfg.host +
           " without an access token: anyone who can reach it could change data. Set --api-token "
           "(or RALLYUXR_API_TOKEN), or pass --allow-unauthenticated if a proxy in front of it "
           "authenticates requests.";
  if (!cfg.api_token.empty() && cfg.api_token.size() < 16)
    return "--api-token must be at least 16 characters";
  if (!cfg.read_token.empty() && cfg.api_token.empty())
    return "--read-token protects reads only; set --api-token too, or writes would stay open";
  if (!cfg.read_token.empty() && cfg.read_token.size() < 16)
    return "--read-token must be at least 16 characters";
  return {};
}

int run_serve(const ServeConfig& cfg) {
  if (cfg.log_format == "json") use_json_log_lines();
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));

  if (auto problem = check_serve_config(cfg); !problem.empty()) {
    spdlog::critical("{}", problem);
    return 2;
  }
#if defined(__GLIBC__)
  // Large buffers (request bodies, big responses) come from mmap and go back to the system when
  // freed, instead of staying in the heap as free space after a burst.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
  // Handlers run on the request threads (as many for reads as for writes); the health lane (2
  // threads) needs connections of its own.
  int pool = cfg.pool_size > 0 ? cfg.pool_size : 2 * cfg.request_threads + cfg.workers + 2;
  std::size_t capacity = connection_capacity(pool);
  std::size_t max_connections = static_cast<std::size_t>(cfg.max_connections);
  if (max_connections > capacity) {
    spdlog::warn("--max-connections {} does not fit the open-file limit: clamped to {} (raise `ulimit -n` to "
                 "allow more)",
                 max_connections, capacity);
    max_connections = capacity;
  }
  std::unique_ptr<store::Store> store;
  try {
    store = store::make_store(cfg.database, pool, cfg.integrity_check_bytes);
  } catch (const std::exception& e) {
    spdlog::critical("cannot open the database {}: {}", store::redact_database_url(cfg.database), e.what());
    return 1;
  }
  if (pipeline::seed_catalogue(*store, default_catalogue(domain::now_seconds())))
    spdlog::info("seeded the default metric catalogue");

  // List pages are kept (until the store's next commit) only where this process is the
  // database's only writer (SQLite); results are keyed by versions read from the database.
  bool single_writer = cfg.database.rfind("sqlite:", 0) == 0;
  api::ResponseCache responses(cfg.response_cache_bytes, single_writer);

  jobs::WorkerOptions wo;
  wo.workers = cfg.workers;
  wo.max_attempts = cfg.max_attempts;
  wo.retry_base_seconds = cfg.retry_base_ms / 1000.0;
  wo.lease_seconds = cfg.lease_seconds;
  wo.webhook_max_attempts = cfg.webhook_max_attempts;
  wo.webhook_retry_base_seconds = cfg.webhook_retry_base_ms / 1000.0;
  wo.webhook_timeout_seconds = cfg.webhook_timeout_ms / 1000.0;
  // Webhook deliveries go out through http/'s client; jobs/ sees only this function.
  wo.webhook_sender = [ca_file = cfg.webhook_ca_file](const jobs::WebhookPost& p) {
    auto r = http::post_once(http::OutgoingPost{p.url, p.body, p.headers, p.timeout_seconds, ca_file});
    return jobs::WebhookPostResult{r.status, r.error};
  };
  jobs::WorkerPool workers(*store, wo);
  store->set_job_listener([&workers] { workers.notify(); });

  api::Context ctx{*store, {}, {}, {}, {}};
  ctx.responses = &responses;
  ctx.max_import_bytes = cfg.max_import_bytes;
  ctx.workers = cfg.workers;
  ctx.worker_health.live_workers = [&workers] { return workers.live_workers(); };
  ctx.openapi_json = openapi_json();

  http::Router router;
  api::register_routes(router, ctx);

  http::ServerOptions so;
  so.host = cfg.host;
  so.port = static_cast<unsigned short>(cfg.port);
  so.threads = cfg.threads;
  so.api_base = cfg.api_base;
  so.max_body_bytes = cfg.max_body_bytes;
  so.web_root = cfg.web_root;
  so.json_access_log = cfg.log_format == "json";
  so.access_log_queue = cfg.access_log_queue;
  so.api_token = cfg.api_token;
  so.read_token = cfg.read_token;
  // Named tokens (issue 16): the store keeps their SHA-256; a lookup that fails (database down)
  // accepts no token, and counts as "tokens active" so that writes stay closed.
  so.resolve_token = [&store = *store](std::string_view token) -> std::optional<http::Principal> {
    try {
      auto t = store.find_active_token(pipeline::hash_token(token));
      if (!t) return std::nullopt;
      return http::Principal{t->name, domain::parse_role(t->role).value_or(domain::Role::kRead)};
    } catch (const store::StoreUnavailable& e) {  // 503, as any request that needs the database
      throw domain::ApiError(domain::ErrorCode::kUnavailable, std::string("The database is unavailable: ") + e.what());
    } catch (const std::exception& e) {
      spdlog::warn("token lookup failed: {}", e.what());
      return std::nullopt;
    }
  };
  so.named_tokens_active = [&store = *store] {
    try {
      return store.any_active_token();
    } catch (const store::StoreUnavailable& e) {
      throw domain::ApiError(domain::ErrorCode::kUnavailable, std::string("The database is unavailable: ") + e.what());
    } catch (const std::exception&) {
      return true;
    }
  };
  so.max_connections = max_connections;
  so.request_threads = cfg.request_threads;
  so.request_timeout = std::chrono::seconds(cfg.request_timeout_seconds);
  so.max_body_bytes_in_flight = cfg.max_body_bytes_in_flight;
  so.max_response_bytes_in_flight = cfg.max_response_bytes_in_flight;
  so.allowed_origins = cfg.allowed_origins;
  so.read_timeout = std::chrono::seconds(cfg.read_timeout_seconds);
  so.idle_timeout = std::chrono::seconds(cfg.idle_timeout_seconds);
  so.shutdown_grace = std::chrono::seconds(cfg.shutdown_grace_seconds);
  http::Metrics metrics;
  metrics.set_extra([&store = *store, &workers, &responses] {
    return pipeline_metrics(store, workers) + response_cache_metrics(responses);
  });
  so.metrics = &metrics;
  http::Server server(so, router);
  try {
    server.start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  workers.start();
  if (cfg.demo) create_demo_experiments(*store);
  server.on_signal([](int sig) { spdlog::info("received signal {}, shutting down", sig); });
  std::string host = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  spdlog::info("rallyuxr {} ready: API at http://{}:{}{} , dashboard at http://{}:{}/ (database {})",
               RALLYUXR_VERSION, host, server.port(), cfg.api_base, host, server.port(),
               store::redact_database_url(cfg.database));
  server.run();
  workers.stop();
  store.reset();  // joins any notification thread of the store before the workers go away
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace rallyuxr::app
