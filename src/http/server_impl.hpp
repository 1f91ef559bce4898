// The server's shared state, seen by server.cpp (accepting, starting, stopping) and session.cpp
// (one connection). Internal to http/*.cpp: it is the only header that brings in Asio.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "http/access_log.hpp"
#include "http/middleware.hpp"
#include "http/server.hpp"

namespace rallyuxr::http {

// A share of a byte budget, given back when it goes away.
class BudgetShare {
 public:
  BudgetShare() = default;
  BudgetShare(std::atomic<std::size_t>& pool, std::size_t n) : pool_(&pool), n_(n) {}
  BudgetShare(BudgetShare&& o) noexcept : pool_(o.pool_), n_(o.n_) { o.pool_ = nullptr; }
  BudgetShare& operator=(BudgetShare&& o) noexcept {
    release();
    pool_ = o.pool_;
    n_ = o.n_;
    o.pool_ = nullptr;
    return *this;
  }
  ~BudgetShare() { release(); }
  void release() {
    if (pool_) pool_->fetch_sub(n_);
    pool_ = nullptr;
  }

 private:
  std::atomic<std::size_t>* pool_ = nullptr;
  std::size_t n_ = 0;
};

// Takes n bytes of a budget of `limit`; nullopt when they do not fit. One request alone always
// fits (a single response larger than the whole budget is still served when nothing else is).
inline std::optional<BudgetShare> take_budget(std::atomic<std::size_t>& used, std::size_t n, std::size_t limit) {
  std::size_t cur = used.load();
  do {
    if (cur > 0 && cur + n > limit) return std::nullopt;
  } while (!used.compare_exchange_weak(cur, cur + n));
  return BudgetShare(used, n);
}

struct Server::Impl {
  Impl(ServerOptions o, const Router& r);

  ServerOptions options;
  const Router& router;
  Middleware middleware;
  AccessLog access_log;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::signal_set signals;
  boost::asio::steady_timer accept_pause;  // after EMFILE/ENFILE
  // Declared after ioc: destroyed (joined) first, so that their last posts find it alive.
  boost::asio::thread_pool work;        // reads
  boost::asio::thread_pool write_work;  // writes
  boost::asio::thread_pool priority_work;

  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> body_bytes_in_flight{0};
  std::atomic<std::size_t> response_bytes_in_flight{0};
  std::atomic<std::size_t> queued_requests{0};
  std::atomic<bool> stopping{false};
  std::function<void(int)> signal_handler;
  std::mutex sessions_mu;
  std::vector<std::weak_ptr<void>> sessions;  // Session objects, for a graceful stop
  std::unique_ptr<boost::asio::steady_timer> drain_timer;
  std::function<void()> drain_check;
  // Rate limit of the "accept failed" log line.
  std::chrono::steady_clock::time_point last_accept_log{};
  std::size_t accept_failures_unlogged = 0;

  void accept();
  void on_accept_error(const boost::system::error_code& ec);
};

// Starts a session on an accepted socket (session.cpp); `reject` answers 503 and closes.
void start_session(boost::asio::ip::tcp::socket socket, Server::Impl& impl, bool reject,
                   std::vector<std::weak_ptr<void>>* registry);
// Closes a session's connection if it is between requests (on shutdown).
void close_session_if_idle(const std::shared_ptr<void>& session);

}  // namespace rallyuxr::http
