// The listening side: binding, accepting (with a back-off when the process is out of file
// descriptors), the I/O and request threads, signals and the graceful stop. A connection is a
// session (session.cpp); what happens to a request is the middleware's (middleware.cpp).
#include "http/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include <thread>

#include "http/server_impl.hpp"

namespace rallyuxr::http {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

int request_threads(const ServerOptions& o) { return std::max(1, o.request_threads); }

}  // namespace

Server::Impl::Impl(ServerOptions o, const Router& r)
    : options(std::move(o)),
      router(r),
      middleware(options, router),
      access_log(options.access_log_queue),
      ioc(options.threads),
      acceptor(ioc),
      signals(ioc),
      accept_pause(ioc),
      work(static_cast<std::size_t>(request_threads(options))),
      write_work(static_cast<std::size_t>(request_threads(options))),
      priority_work(2) {
  if (options.metrics) options.metrics->set_access_log(&access_log);
}

// Out of descriptors (EMFILE/ENFILE) or memory, accept() fails again at once: pause instead of
// spinning, and log the failure at most once every 10 seconds with how many were not logged.
void Server::Impl::on_accept_error(const boost::system::error_code& ec) {
  bool resources = ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space ||
                   ec == net::error::no_memory;
  auto now = std::chrono::steady_clock::now();
  ++accept_failures_unlogged;
  if (now - last_accept_log >= std::chrono::seconds(10)) {
    spdlog::error("accept failed: {} ({} failures since the last report; {} connections open){}", ec.message(),
                  accept_failures_unlogged, connections.load(),
                  resources ? "; pausing accepts for 100 ms at a time until descriptors are free" : "");
    last_accept_log = now;
    accept_failures_unlogged = 0;
  }
  accept_pause.expires_after(resources ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5));
  accept_pause.async_wait([this](boost::system::error_code wait_ec) {
    if (!wait_ec && !stopping) accept();
  });
}

void Server::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == net::error::operation_aborted) return;
      return on_accept_error(ec);
    }
    bool reject = connections.load() >= options.max_connections;
    if (reject) {
      if (options.metrics) options.metrics->connection_rejected();
      auto now = std::chrono::steady_clock::now();
      if (now - last_accept_log >= std::chrono::seconds(10)) {
        spdlog::warn("connection cap reached ({} open): refusing connections", connections.load());
        last_accept_log = now;
      }
      start_session(std::move(socket), *this, true, nullptr);
    } else {
      std::lock_guard lock(sessions_mu);
      if (sessions.size() > 4 * options.max_connections)  // forget the ones that are gone
        std::erase_if(sessions, [](const std::weak_ptr<void>& w) { return w.expired(); });
      start_session(std::move(socket), *this, false, &sessions);
    }
    if (!stopping) accept();
  });
}

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}
Server::~Server() = default;

void Server::start() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw std::runtime_error("invalid --host address: " + impl_->options.host);
  tcp::endpoint ep{address, impl_->options.port};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                             ": " + ec.message());
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (impl_->signal_handler) impl_->signal_handler(sig);
    stop();
  });
  impl_->accept();
}

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  std::vector<std::thread> threads;
  int n = std::max(1, impl_->options.threads);
  for (int i = 1; i < n; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
  // Handlers still running (past the grace period) finish before the caller tears the store down.
  impl_->work.join();
  impl_->write_work.join();
  impl_->priority_work.join();
  impl_->access_log.flush();
}

void Server::stop() {
  net::post(impl_->ioc, [this] {
    if (impl_->stopping.exchange(true)) return;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->signals.cancel(ec);
    impl_->accept_pause.cancel();
    std::vector<std::shared_ptr<void>> live;
    {
      std::lock_guard lock(impl_->sessions_mu);
      for (auto& w : impl_->sessions)
        if (auto sp = w.lock()) live.push_back(std::move(sp));
      impl_->sessions.clear();
    }
    for (auto& sp : live) close_session_if_idle(sp);
    live.clear();
    // Wait for in-flight requests, up to the grace period, then stop the I/O threads.
    auto deadline = std::chrono::steady_clock::now() + impl_->options.shutdown_grace;
    impl_->drain_timer = std::make_unique<net::steady_timer>(impl_->ioc);
    impl_->drain_check = [this, deadline] {
      if (impl_->connections.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
        if (impl_->connections.load() > 0)
          spdlog::warn("shutdown: {} connections still open after the grace period", impl_->connections.load());
        impl_->ioc.stop();
        return;
      }
      impl_->drain_timer->expires_after(std::chrono::milliseconds(10));
      impl_->drain_timer->async_wait([this](boost::system::error_code) { impl_->drain_check(); });
    };
    impl_->drain_check();
  });
}

void Server::on_signal(std::function<void(int)> fn) { impl_->signal_handler = std::move(fn); }

}  // namespace rallyuxr::http
