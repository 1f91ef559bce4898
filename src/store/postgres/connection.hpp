// libpq plumbing for the PostgreSQL backend: a named SQL constant (Sql), text-format parameters
// (Params), an owned result (Result), one connection with its prepared statements (Connection),
// a transaction guard and a bounded pool. Every value travels in text format; doubles are written
// in shortest round-trip form and read back with std::from_chars (the session sets
// extra_float_digits=3), so they round-trip exactly.
//
// Failures: a lost or unreachable server (connection refused, PQstatus bad, SQLSTATE class 08,
// 57P01..57P03, statement timeout, too many connections) throws StoreUnavailable and drops the
// connection, which reconnects on its next use. A reused pooled connection that turns out dead on
// its first command throws StaleConnection (nothing was sent that could have taken effect, so the
// caller may retry on a fresh connection). Serialization failures and deadlocks throw
// TransientConflict (the transaction was rolled back; retry it). Anything else: std::runtime_error.
//
// A Connection is used by one thread at a time (the pool hands it out); the Pool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "store/pool_lease.hpp"
#include "store/store.hpp"

namespace rallyuxr::store::postgres {

class StaleConnection : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

// A lost deadlock or serialization race: the pipeline runs the whole transaction again.
class TransientConflict : public TransactionConflict {
 public:
  using TransactionConflict::TransactionConflict;
};

// A statement prepared once per connection under `name` (PQprepare).
struct Sql {
  const char* name;
  const char* text;
};

// How to reach the server. `url` is a libpq URL or conninfo string; its own settings win over
// these defaults.
struct ConnectOptions {
  std::string url;
  int connect_timeout_seconds = 5;
  int statement_timeout_ms = 10000;
  int idle_in_transaction_timeout_ms = 60000;
};

// Opens a connection with the defaults above (blocking, bounded by connect_timeout). Returns the
// connection even when it failed: check PQstatus.
PGconn* open_connection(const ConnectOptions& options);

// The URL with any password replaced by "***", for logs.
std::string redact_url(const std::string& url);

// Text-format parameters $1, $2, ... in order.
class Params {
 public:
  // The values as $1, $2, ... in order.
  template <class... T>
  static Params of(const T&... v) {
    Params p;
    (p.add(v), ...);
    return p;
  }
  Params& add(std::int64_t v);
  Params& add(int v) { return add(static_cast<std::int64_t>(v)); }
  Params& add(double v);
  Params& add(std::string_view v);
  Params& add(const std::string& v) { return add(std::string_view(v)); }
  Params& add(const char* v) { return add(std::string_view(v)); }
  Params& add_null();
  template <class T>
  Params& add(const std::optional<T>& v) {
    return v ? add(*v) : add_null();
  }
  int size() const { return static_cast<int>(values_.size()); }
  const std::optional<std::string>& at(int i) const { return values_[static_cast<std::size_t>(i)]; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// Literal builders for array parameters ($n::text[], ::bigint[], ::float8[]).
std::string text_array(const std::vector<std::string>& items);
std::string format_double(double v);

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() {
    if (r_) PQclear(r_);
  }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    if (this != &o) {
      if (r_) PQclear(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  double real(int row, int col) const;
  std::optional<std::string> opt_text(int row, int col) const;
  std::optional<double> opt_real(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const;
  // Rows affected by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  PGresult* r_;
};

// One row of a Result, so that row-mapping code reads like the SQLite backend's.
class Row {
 public:
  Row(const Result& r, int row) : r_(r), row_(row) {}
  bool is_null(int col) const { return r_.is_null(row_, col); }
  std::string text(int col) const { return r_.text(row_, col); }
  std::int64_t int64(int col) const { return r_.int64(row_, col); }
  double real(int col) const { return r_.real(row_, col); }
  std::optional<std::string> opt_text(int col) const { return r_.opt_text(row_, col); }
  std::optional<double> opt_real(int col) const { return r_.opt_real(row_, col); }
  std::optional<std::int64_t> opt_int64(int col) const { return r_.opt_int64(row_, col); }

 private:
  const Result& r_;
  int row_;
};

class Connection {
 public:
  explicit Connection(const ConnectOptions& options) : options_(options) {}
  ~Connection() { reset(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (throws StoreUnavailable when the server cannot be reached).
  void connect();
  bool connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
  // Idle (not inside a transaction) and connected: fit to hand out again.
  bool idle() const { return connected() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  // Drops the connection and forgets its prepared statements.
  void reset();
  // Called by the pool when it hands the connection out.
  void begin_lease();

  // Runs a prepared statement (prepared on this connection on first use).
  Result exec(const Sql& sql, const Params& params = {});
  // Runs SQL text without parameters (BEGIN, COMMIT, migrations: may hold several statements).
  void exec_simple(const char* sql);

 private:
  [[noreturn]] void fail(const PGresult* r, const std::string& what);
  void check(PGresult* r, ExecStatusType expected_a, ExecStatusType expected_b, const char* what);

  const ConnectOptions& options_;
  PGconn* conn_ = nullptr;
  std::unordered_set<std::string> prepared_;
  int commands_ = 0;     // commands sent during the current lease
  bool reused_ = false;  // the lease started on an already open connection
};

// BEGIN ... COMMIT, rolled back when not committed.
class Transaction {
 public:
  explicit Transaction(Connection& c, const char* begin_sql = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
};

// A fixed number of connection slots, connected lazily. acquire() waits at most `wait_timeout`
// for a free slot, then throws StoreUnavailable; right after a failed connection attempt it
// fails fast for a short while instead of waiting on connect_timeout again.
class Pool {
 public:
  Pool(ConnectOptions options, int size, std::chrono::milliseconds wait_timeout);

  using Lease = PoolLease<Pool, Connection>;
  friend Lease;  // gives its connection back

  Lease acquire();
  // Closes every idle connection (after one turned out dead: the server probably restarted).
  void drop_idle();
  int size() const { return size_; }
  const ConnectOptions& options() const { return options_; }

 private:
  void give_back(std::unique_ptr<Connection> c);
  void connect_slot(Connection& c);

  ConnectOptions options_;
  int size_;
  std::chrono::milliseconds wait_timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  // Fail-fast window after a failed connection attempt, and whether the last attempt failed.
  std::chrono::steady_clock::time_point last_failure_{};
  std::string last_failure_message_;
  bool down_ = false;
};

}  // namespace rallyuxr::store::postgres
