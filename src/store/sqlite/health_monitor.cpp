#include "store/sqlite/health_monitor.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace rallyuxr::store::sqlite {
namespace {

using Clock = std::chrono::steady_clock;

// How long after a failed write health stays degraded when no write has succeeded since.
constexpr auto kWriteFailureWindow = std::chrono::seconds(60);

struct Recorder {
  std::mutex mu;
  bool corrupt = false;
  std::string corrupt_message;
  std::optional<Clock::time_point> last_write_failure;
  std::string write_failure_message;
  std::optional<Clock::time_point> last_write_ok;
};

Recorder& recorder() {
  static Recorder r;
  return r;
}

// Runs `sql` (PRAGMA quick_check, or a read of the schema) on a connection of its own; the
// problems it reports, or an empty string when the file is sound. `stop`, when given, is polled
// during the check; the check then ends early and counts as sound.
std::string run_check(const std::string& path, const char* sql, const std::atomic<bool>* stop = nullptr) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  std::string problem;
  if (rc != SQLITE_OK) {
    problem = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  } else {
    sqlite3_busy_timeout(db, 10000);
    if (stop)
      sqlite3_progress_handler(
          db, 100000, [](void* flag) { return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0; },
          const_cast<std::atomic<bool>*>(stop));
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      problem = sqlite3_errmsg(db);
    } else {
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        std::string line = t ? t : "";
        if (line != "ok" && sqlite3_column_type(stmt, 0) == SQLITE_TEXT)
          problem += (problem.empty() ? "" : "; ") + line;
      }
      if (rc == SQLITE_INTERRUPT && stop && stop->load()) problem.clear();
      else if (rc != SQLITE_DONE && problem.empty()) problem = sqlite3_errmsg(db);
      sqlite3_finalize(stmt);
    }
  }
  sqlite3_close(db);
  return problem.substr(0, 1000);
}

constexpr const char* kQuickCheck = "PRAGMA quick_check(20)";
// Reads the header and every schema entry: a file that is not a database, or whose schema is
// damaged, fails here.
constexpr const char* kSchemaCheck = "SELECT count(*) FROM sqlite_schema";

}  // namespace

bool check_integrity_at_start(const std::string& path, std::uint64_t whole_check_bytes) {
  std::error_code ec;
  if (path == ":memory:" || !std::filesystem::exists(path, ec)) return true;
  auto size = std::filesystem::file_size(path, ec);
  bool whole = !ec && size <= whole_check_bytes;
  std::string problem = run_check(path, whole ? kQuickCheck : kSchemaCheck);
  if (!problem.empty())
    throw std::runtime_error("the database file " + path + " failed SQLite's integrity check (" +
                             (whole ? "quick_check: " : "schema: ") + problem +
                             "). Refusing to start on a damaged database: restore it from a backup "
                             "(docs/operations.md), or move it away to start empty");
  return whole;
}

void record_sqlite_error(int rc, const char* message) {
  auto& r = recorder();
  int primary = rc & 0xff;
  std::lock_guard lock(r.mu);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    if (!r.corrupt) spdlog::error("database: the file is damaged ({}): restore it from a backup", message);
    r.corrupt = true;
    r.corrupt_message = message;
  } else if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    r.last_write_failure = Clock::now();
    r.write_failure_message = message;
  }
}

void record_write_ok() {
  auto& r = recorder();
  std::lock_guard lock(r.mu);
  r.last_write_ok = Clock::now();
}

HealthMonitor::HealthMonitor(std::string path, bool check_integrity) : path_(std::move(path)) {
  if (path_ == ":memory:") return;
  check_wal();
  thread_ = std::thread([this, check_integrity] {
    if (check_integrity) integrity_check();
    watch();
  });
}

// The whole check of a file too large to check before start-up. It reads every page once (about
// 40 ms per 100 MB from the page cache, more from disk) on this thread's own connection; requests
// go on meanwhile, and a damaged page they meet is reported as ever.
void HealthMonitor::integrity_check() {
  {
    // Not in the way of start-up: the check begins a second after it, on a thread of low priority
    // (a thread's own nice value, Linux), and ends early when the store closes.
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) return;
  }
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  auto t0 = Clock::now();
  spdlog::info("database: checking the integrity of {} in the background", path_);
  std::string problem = run_check(path_, kQuickCheck, &stopping_);
  if (stopping_) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  if (problem.empty()) {
    spdlog::info("database: integrity check of {} passed in {} ms", path_, ms);
    return;
  }
  auto& r = recorder();
  std::lock_guard lock(r.mu);
  if (!r.corrupt) spdlog::error("database: the file is damaged (quick_check: {}): restore it from a backup", problem);
  r.corrupt = true;
  r.corrupt_message = "quick_check: " + problem;
}

HealthMonitor::~HealthMonitor() {
  stopping_ = true;  // ends a background integrity check early
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::watch() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
    lock.unlock();
    check_wal();
    lock.lock();
  }
}

// The WAL holds committed transactions not yet copied into the main file. Deleted (or replaced)
// under a running server, those transactions live only in this process's open descriptor and
// are lost at the next crash: say so loudly.
void HealthMonitor::check_wal() {
  struct stat st {};
  std::string wal = path_ + "-wal";
  bool present = ::stat(wal.c_str(), &st) == 0;
  std::lock_guard lock(mu_);
  if (!wal_problem_.empty()) return;
  if (wal_inode_ == 0) {
    if (present) wal_inode_ = static_cast<unsigned long long>(st.st_ino);
    return;
  }
  if (!present) {
    wal_problem_ = "the write-ahead log " + wal + " was deleted while the server runs";
  } else if (static_cast<unsigned long long>(st.st_ino) != wal_inode_) {
    wal_problem_ = "the write-ahead log " + wal + " was replaced while the server runs (inode " +
                   std::to_string(wal_inode_) + " -> " + std::to_string(st.st_ino) + ")";
  } else {
    return;
  }
  spdlog::error("database: {}: transactions since the last checkpoint live only in this process and are lost "
                "if it crashes or is killed. Stop it gracefully now (SIGTERM): its last connection checkpoints "
                "them into the database file as it closes",
                wal_problem_);
}

HealthReport HealthMonitor::report() const {
  HealthReport h;
  auto& r = recorder();
  {
    std::lock_guard lock(r.mu);
    if (r.corrupt) {
      h.level = HealthReport::Level::kDown;
      h.reasons.push_back("the database file is damaged (" + r.corrupt_message + "): restore it from a backup");
      return h;
    }
    if (r.last_write_failure && (!r.last_write_ok || *r.last_write_ok < *r.last_write_failure) &&
        Clock::now() - *r.last_write_failure < kWriteFailureWindow) {
      h.level = HealthReport::Level::kDegraded;
      h.reasons.push_back("recent writes failed: " + r.write_failure_message);
    }
  }
  std::lock_guard lock(mu_);
  if (!wal_problem_.empty()) {
    h.level = HealthReport::Level::kDegraded;
    h.reasons.push_back(wal_problem_);
  }
  return h;
}

}  // namespace rallyuxr::store::sqlite
