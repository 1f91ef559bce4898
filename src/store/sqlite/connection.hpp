// A thin RAII wrapper over one sqlite3 connection with a prepared-statement cache, and a pool of
// them. A Connection is used by one thread at a time (the pool hands it out); the pool is thread-safe.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/pool_lease.hpp"

namespace rallyuxr::store::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind_null(int i);
  Statement& bind_blob(int i, std::string_view v);
  // Without a copy: the bytes must stay until the statement has run.
  Statement& bind_blob_view(int i, std::string_view v);
  template <class T>
  Statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  // Binds the values to ?1, ?2, ... in order.
  template <class... T>
  Statement& bind_all(const T&... v) {
    int i = 0;
    (bind(++i, v), ...);
    return *this;
  }

  // Steps once; true when a row is available.
  bool step();
  // Steps to completion (for statements without rows).
  void run();

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const;
  // A BLOB column's bytes, valid until the next step.
  std::string_view blob(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<double> opt_real(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A cached prepared statement for `sql`; reset and unbound when the Statement goes away.
  Statement prepare(const char* sql);
  void exec(const char* sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when not committed.
class Transaction {
 public:
  explicit Transaction(Connection& c);
  ~Transaction();
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
};

class Pool {
 public:
  // `setup` runs once on each new connection.
  Pool(const std::string& path, int size, const std::function<void(Connection&)>& setup = {});

  using Lease = PoolLease<Pool, Connection>;
  friend Lease;  // gives its connection back

  Lease acquire();

 private:
  void give_back(std::unique_ptr<Connection> c);
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace rallyuxr::store::sqlite
