// What can go wrong with a SQLite file while the server runs, made visible to GET /health:
// corruption (SQLITE_CORRUPT / SQLITE_NOTADB), a WAL file deleted or replaced under the running
// server (its inode changes), and writes failing (disk full, I/O errors). Also the integrity check
// at start. Errors are recorded process-wide by the connection layer (record_sqlite_error,
// record_write_ok): one SQLite store per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.hpp"

namespace rallyuxr::store::sqlite {

// Checks the file before the server opens it (nothing to check when it does not exist yet): the
// whole PRAGMA quick_check when the file is at most `whole_check_bytes`, else only that its header
// and schema read (the whole check then runs on HealthMonitor's thread). Throws
// std::runtime_error with a clear message when the file is not a database or is damaged. Returns
// whether the whole file was checked.
bool check_integrity_at_start(const std::string& path, std::uint64_t whole_check_bytes);

// Called by the connection layer on every failed SQLite call and every committed write.
void record_sqlite_error(int rc, const char* message);
void record_write_ok();

class HealthMonitor {
 public:
  // Watches `path`'s WAL file once a second (not for ":memory:"); with `check_integrity`, first
  // runs the whole PRAGMA quick_check on a connection of its own, and a damaged file then makes
  // health `down` as a damage met by a request does.
  HealthMonitor(std::string path, bool check_integrity);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  HealthReport report() const;

 private:
  void watch();
  void check_wal();
  void integrity_check();

  std::string path_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};
  unsigned long long wal_inode_ = 0;  // 0: not seen yet
  std::string wal_problem_;           // set once, kept until restart
  std::thread thread_;
};

}  // namespace rallyuxr::store::sqlite
