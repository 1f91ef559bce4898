// rallyuxr: parse the command line and run the chosen command.
#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "app/analyze.hpp"
#include "app/plan.hpp"
#include "app/seed.hpp"
#include "app/serve.hpp"
#include "app/tokens.hpp"

namespace {

// A flag's environment variable: "--max-connections" is RALLYUXR_MAX_CONNECTIONS.
std::string env_name(const std::string& flag) {
  std::string out = "RALLYUXR_";
  for (char c : flag.substr(2)) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// An option with its environment variable and its default shown in --help.
template <typename T>
CLI::Option* option(CLI::App* app, const std::string& name, T& value, const std::string& help) {
  return app->add_option(name, value, help)->envname(env_name(name))->capture_default_str();
}

CLI::Option* flag(CLI::App* app, const std::string& name, bool& value, const std::string& help) {
  return app->add_flag(name, value, help)->envname(env_name(name));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rallyuxr: what is this UX change worth in dollars, and how sure are we?\n"
               "Serves the REST API and dashboard; runs the results generator and the\n"
               "difference-in-differences analysis on a durable job queue."};
  cli.set_version_flag("--version", std::string("rallyuxr ") + RALLYUXR_VERSION);
  cli.require_subcommand(1);

  rallyuxr::app::ServeConfig serve;
  auto* s = cli.add_subcommand("serve", "Run the HTTP API, the dashboard and the pipeline workers");
  option(s, "--host", serve.host, "Address to listen on");
  option(s, "--port", serve.port, "Port to listen on (0: any free port)")->check(CLI::Range(0, 65535));
  option(s, "--database", serve.database,
         "Database URL: sqlite:PATH or postgresql://user:pass@host:port/db (also RALLYUXR_DATABASE_URL)");
  option(s, "--api-base", serve.api_base, "Path prefix of the REST API");
  option(s, "--threads", serve.threads, "HTTP I/O threads")->check(CLI::Range(1, 256));
  option(s, "--workers", serve.workers, "Pipeline worker threads (0: this node runs no jobs)")
      ->check(CLI::Range(0, 64));
  option(s, "--max-attempts", serve.max_attempts, "Attempts per job before it is marked failed")
      ->check(CLI::Range(1, 100));
  option(s, "--retry-base-ms", serve.retry_base_ms, "First retry delay; doubles each attempt")
      ->check(CLI::Range(1, 600000));
  option(s, "--pool-size", serve.pool_size, "Database connections (0: 2 x request threads + workers + 2)")
      ->check(CLI::Range(0, 512));
  option(s, "--integrity-check-bytes", serve.integrity_check_bytes,
         "SQLite files up to this size are checked whole before start; larger ones in the background");
  option(s, "--max-body-bytes", serve.max_body_bytes, "Largest request body (413 above)");
  option(s, "--max-import-bytes", serve.max_import_bytes, "Largest results upload (413 above)");
  option(s, "--web-root", serve.web_root, "Directory of the built dashboard");
  flag(s, "--demo", serve.demo, "Create demo experiments from the templates when the database is empty");
  option(s, "--log-format", serve.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  option(s, "--log-level", serve.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  option(s, "--api-token", serve.api_token,
         "Require Authorization: Bearer TOKEN on every request that changes data (16+ characters)");
  option(s, "--read-token", serve.read_token, "Require a token on reads too (this one, or the API token)");
  flag(s, "--allow-unauthenticated", serve.allow_unauthenticated,
       "Allow listening on a non-loopback address without --api-token");
  option(s, "--max-connections", serve.max_connections,
         "Open connections at most; more get 503 (clamped below the open-file limit)")
      ->check(CLI::Range(1, 100000));
  option(s, "--read-timeout", serve.read_timeout_seconds, "Seconds a client has to send a whole request")
      ->check(CLI::Range(1, 3600));
  option(s, "--idle-timeout", serve.idle_timeout_seconds, "Seconds an idle keep-alive connection stays open")
      ->check(CLI::Range(1, 3600));
  option(s, "--shutdown-grace", serve.shutdown_grace_seconds, "Seconds in-flight requests get to finish on SIGTERM")
      ->check(CLI::Range(0, 600));
  option(s, "--request-threads", serve.request_threads,
         "Threads that run handlers (and so every database call) apart from the I/O threads; as many again for writes")
      ->check(CLI::Range(1, 256));
  option(s, "--request-timeout", serve.request_timeout_seconds,
         "Seconds a request may wait for a request thread and the database before it answers 503")
      ->check(CLI::Range(1, 600));
  option(s, "--max-body-bytes-in-flight", serve.max_body_bytes_in_flight,
         "Request body bytes being received at once over all connections (503 beyond)")
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 40));
  option(s, "--max-response-bytes-in-flight", serve.max_response_bytes_in_flight,
         "Bytes of large responses (over 64 KiB) being written at once (503 beyond)")
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 40));
  // The one whose variable is not its name: plural, as it takes a comma-separated list.
  s->add_option("--allowed-origin", serve.allowed_origins,
                "Without --api-token: another origin (scheme://host[:port]) whose pages may write; repeatable")
      ->envname("RALLYUXR_ALLOWED_ORIGINS")->delimiter(',');
  option(s, "--response-cache-bytes", serve.response_cache_bytes,
         "Memory for the serialized bytes of GET responses (results per version, list pages until the next write); 0: none")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 40));
  option(s, "--access-log-queue", serve.access_log_queue,
         "Access log lines queued for the background writer; beyond, the oldest are dropped and counted (0: written inline)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 24));
  option(s, "--lease-seconds", serve.lease_seconds, "How long a worker holds a job before another node may take it over")
      ->check(CLI::Range(1.0, 3600.0));
  option(s, "--webhook-max-attempts", serve.webhook_max_attempts,
         "Attempts per webhook delivery before it is marked failed")
      ->check(CLI::Range(1, 100));
  option(s, "--webhook-retry-base-ms", serve.webhook_retry_base_ms,
         "First retry delay of a webhook delivery; doubles each attempt (at most 30 s)")
      ->check(CLI::Range(1, 600000));
  option(s, "--webhook-timeout-ms", serve.webhook_timeout_ms,
         "Time a webhook receiver has to answer one delivery attempt")
      ->check(CLI::Range(100, 300000));
  option(s, "--webhook-ca-file", serve.webhook_ca_file,
         "PEM file of CA certificates trusted for https:// webhook receivers, besides the system's")
      ->check(CLI::ExistingFile);

  rallyuxr::app::AnalyzeConfig analyze;
  auto* a = cli.add_subcommand("analyze", "Analyse a results file (JSON or CSV, the import formats) offline and\n"
                                          "print the analysis JSON on stdout; no database needed");
  a->add_option("file", analyze.file, "Results file; - reads standard input")->required();
  a->add_option("--start", analyze.start, "Start of the experiment (hours before it are the pre period)")->required();
  a->add_option("--end", analyze.end, "End of the experiment (exclusive)")->required();
  a->add_option("--confidence", analyze.confidence, "Confidence level in percent")
      ->check(CLI::Range(80.0, 99.9))->capture_default_str();
  a->add_option("--correction", analyze.correction, "Multiple-testing correction: holm or fdr_bh")
      ->check(CLI::IsMember({"holm", "fdr_bh"}))->capture_default_str();
  a->add_option("--traffic-split", analyze.traffic_split, "Expected treatment share for the SRM check")
      ->check(CLI::Range(0.01, 0.99))->capture_default_str();
  a->add_option("--implementation-cost", analyze.implementation_cost, "Dollars, for the ROI")
      ->check(CLI::NonNegativeNumber);
  a->add_option("--metric-values", analyze.metric_values_file,
                "The GET /metric-values JSON for the economic impact (default: the built-in catalogue)");
  a->add_option("--design", analyze.design, "Pre-registered design: did or paired")
      ->check(CLI::IsMember({"did", "paired"}))->capture_default_str();
  a->add_option("--guardrails", analyze.guardrails, "Guardrail metric ids (comma-separated)")->delimiter(',');

  rallyuxr::app::PlanConfig plan;
  auto* p = cli.add_subcommand("plan", "Plan an experiment from a history file (JSON or CSV, the import formats):\n"
                                       "minimum detectable effects and dollars for 7..56 days, as POST /api/plans");
  p->add_option("file", plan.file, "History: hours of both groups before any change; - reads standard input")->required();
  p->add_option("--metrics", plan.metrics, "Metric ids (comma-separated; default: every metric of the file)")->delimiter(',');
  p->add_option("--confidence", plan.confidence, "Confidence level in percent (default 95)")->check(CLI::Range(80.0, 99.9));
  p->add_option("--correction", plan.correction, "holm, fdr_bh or none")
      ->check(CLI::IsMember({"holm", "fdr_bh", "none"}))->capture_default_str();
  p->add_option("--power", plan.power, "Power (default 0.8)")->check(CLI::Range(0.5, 0.99));
  p->add_option("--traffic-split", plan.traffic_split, "Planned treatment share (default: the history's)")
      ->check(CLI::Range(0.01, 0.99));
  p->add_option("--design", plan.design, "did or paired")->check(CLI::IsMember({"did", "paired"}))->capture_default_str();
  p->add_option("--pre-days", plan.pre_days, "did: days of pre period (default 14)")->check(CLI::Range(2, 30));
  p->add_option("--durations", plan.durations, "Days to plan for (comma-separated; default 7..56)")->delimiter(',');
  p->add_option("--target-daily-dollars", plan.target_daily_dollars, "Target total impact, dollars per day");
  p->add_option("--target-effect", plan.target_effects, "METRIC=EFFECT in stored units (repeatable)");
  p->add_option("--metric-values", plan.metric_values_file, "The GET /metric-values JSON (default: the built-in catalogue)");

  rallyuxr::app::SeedConfig seed;
  auto* sd = cli.add_subcommand("seed", "Bulk-load realistic completed experiments (for load tests)");
  option(sd, "--database", seed.database, "Database URL");
  sd->add_option("--experiments", seed.experiments, "How many experiments")
      ->check(CLI::Range(1, 10000000))->capture_default_str();
  sd->add_option("--with-results", seed.with_results,
                 "How many of them carry full hourly data; the others reuse those analyses")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  sd->add_option("--workers", seed.workers, "Pipeline workers for the ones with data")
      ->check(CLI::Range(1, 64))->capture_default_str();
  sd->add_option("--seed", seed.seed, "Random seed")->capture_default_str();

  rallyuxr::app::TokenConfig token;
  auto* tk = cli.add_subcommand("token", "Named access tokens with roles: create (prints the token once), list, revoke");
  tk->add_option("action", token.action, "create, list or revoke")
      ->required()->check(CLI::IsMember({"create", "list", "revoke"}));
  option(tk, "--database", token.database, "Database URL");
  tk->add_option("--name", token.name, "The token's name (who it is for)");
  tk->add_option("--role", token.role, "read, write or admin")
      ->check(CLI::IsMember({"read", "write", "admin"}))->capture_default_str();

  CLI11_PARSE(cli, argc, argv);
  // RALLYUXR_DATABASE_URL is accepted too (the name PaaS platforms use).
  if (s->parsed() && s->get_option("--database")->count() == 0 && !std::getenv("RALLYUXR_DATABASE"))
    if (const char* url = std::getenv("RALLYUXR_DATABASE_URL")) serve.database = url;
  if (s->parsed()) return rallyuxr::app::run_serve(serve);
  if (a->parsed()) return rallyuxr::app::run_analyze(analyze);
  if (p->parsed()) return rallyuxr::app::run_plan(plan);
  if (sd->parsed()) return rallyuxr::app::run_seed(seed);
  if (tk->parsed()) return rallyuxr::app::run_token(token);
  return 0;
}
