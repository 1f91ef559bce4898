// WAL checkpoints off the write path. SQLite's automatic checkpoint runs inside the COMMIT that
// takes the WAL past 1,000 pages, on the committing thread and with an fsync: a 3.5 MB results
// write crossed it nearly every time, and its commit then took 30-100 ms instead of 7 ms
// (docs/performance.md, "Parsing"). Here each connection of the pool reports its WAL size after
// every commit (sqlite3_wal_hook, which replaces the automatic checkpoint), and past the same
// threshold a thread of the store runs the same PASSIVE checkpoint on a connection of its own,
// while the writers go on. A graceful stop still checkpoints on the last connection's close.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/connection.hpp"

namespace rallyuxr::store::sqlite {

class Checkpointer {
 public:
  // SQLite's default automatic checkpoint threshold, in WAL pages.
  static constexpr int kPages = 1000;

  explicit Checkpointer(const std::string& path);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Routes the connection's commits here instead of to its automatic checkpoint.
  void attach(Connection& c);

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int pages);
  void run();

  std::unique_ptr<Connection> conn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rallyuxr::store::sqlite
