#include "store/postgres/job_listener.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

namespace rallyuxr::store::postgres {

JobListener::JobListener(const ConnectOptions& options, std::string own_tag, std::function<void()> on_notify)
    : options_(options), own_tag_(std::move(own_tag)), on_notify_(std::move(on_notify)) {}

JobListener::~JobListener() { stop(); }

void JobListener::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void JobListener::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool JobListener::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stopping_.load(); });
  return !stopping_;
}

void JobListener::run() {
  PGconn* conn = nullptr;
  auto drop = [&conn] {
    if (conn) PQfinish(conn);
    conn = nullptr;
  };
  auto backoff = std::chrono::milliseconds(200);
  bool was_connected = false;
  bool ever_connected = false;
  const std::string listen_sql = std::string("LISTEN ") + kJobsChannel;
  while (!stopping_) {
    if (!conn) {
      conn = open_connection(options_);
      bool ok = conn && PQstatus(conn) == CONNECTION_OK;
      if (ok) {
        PGresult* r = PQexec(conn, listen_sql.c_str());
        ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (r) PQclear(r);
      }
      if (!ok) {
        if (was_connected) spdlog::warn("job listener: cannot reconnect yet: {}", conn ? PQerrorMessage(conn) : "");
        drop();
        was_connected = false;
        if (!sleep_for(backoff)) break;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      if (ever_connected) {
        spdlog::info("job listener: listening again on {}", kJobsChannel);
        on_notify_();  // whatever was queued while we were not listening
      }
      was_connected = ever_connected = true;
      backoff = std::chrono::milliseconds(200);
    }
    pollfd pfd{PQsocket(conn), POLLIN, 0};
    int rc = ::poll(&pfd, 1, 250);
    if (rc < 0) continue;  // EINTR
    if (rc > 0 && PQconsumeInput(conn) == 0) {
      spdlog::warn("job listener: connection lost: {}", PQerrorMessage(conn));
      drop();
      continue;
    }
    bool got = false;
    while (PGnotify* n = PQnotifies(conn)) {
      if (!n->extra || own_tag_ != n->extra) got = true;
      PQfreemem(n);
    }
    if (got) on_notify_();
    if (PQstatus(conn) != CONNECTION_OK) {
      spdlog::warn("job listener: connection lost");
      drop();
    }
  }
  drop();
}

}  // namespace rallyuxr::store::postgres
