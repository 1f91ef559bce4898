#include "store/sqlite/checkpointer.hpp"

#include <spdlog/spdlog.h>

namespace rallyuxr::store::sqlite {

Checkpointer::Checkpointer(const std::string& path)
    : conn_(std::make_unique<Connection>(path)), thread_([this] { run(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Checkpointer::attach(Connection& c) { sqlite3_wal_hook(c.handle(), &Checkpointer::on_commit, this); }

int Checkpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
  if (pages < kPages) return SQLITE_OK;
  auto* me = static_cast<Checkpointer*>(self);
  {
    std::lock_guard lock(me->mu_);
    me->wanted_ = true;
  }
  me->cv_.notify_one();
  return SQLITE_OK;
}

void Checkpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    lock.unlock();
    int rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      spdlog::warn("database: background checkpoint failed: {}", sqlite3_errmsg(conn_->handle()));
    lock.lock();
  }
}

}  // namespace rallyuxr::store::sqlite
