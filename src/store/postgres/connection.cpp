#include "store/postgres/connection.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace rallyuxr::store::postgres {
namespace {

// How long after a failed connection attempt acquire() fails at once instead of trying again.
constexpr auto kFailFastWindow = std::chrono::milliseconds(500);

bool starts_with(const char* s, const char* prefix) {
  return s && std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

// SQLSTATEs that mean the server is gone, going away, or not able to serve us now.
bool unavailable_state(const char* state) {
  if (!state || !*state) return true;  // errors libpq makes up itself (lost connection) have none
  return starts_with(state, "08")          // connection exception
         || starts_with(state, "57P0")     // admin/crash shutdown, cannot connect now
         || starts_with(state, "53")       // insufficient resources (too many connections, disk full)
         || std::strcmp(state, "57014") == 0  // statement timeout / cancel
         || std::strcmp(state, "55P03") == 0  // lock not available
         || std::strcmp(state, "25006") == 0;  // read-only transaction (a standby during failover)
}

bool connection_state(const char* state) {
  return !state || !*state || starts_with(state, "08") || std::strcmp(state, "57P01") == 0 ||
         std::strcmp(state, "57P02") == 0 || std::strcmp(state, "57P03") == 0;
}

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running..."): one
// line each, for logs.
std::string trim(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\n' || ch == '\t' || ch == '\r') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += ch;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

PGconn* open_connection(const ConnectOptions& o) {
  std::string timeout = std::to_string(o.connect_timeout_seconds);
  std::string options = fmt::format("-c statement_timeout={} -c idle_in_transaction_session_timeout={} "
                                    "-c extra_float_digits=3",
                                    o.statement_timeout_ms, o.idle_in_transaction_timeout_ms);
  // Defaults first, the URL last: libpq keeps the last value of a repeated keyword, so whatever
  // the operator wrote in the URL wins.
  const char* keys[] = {"connect_timeout", "application_name", "options", "keepalives",
                        "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "rallyuxr", options.c_str(), "1", "10", "5", "3",
                          "20000", o.url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  // NOTICEs (e.g. "relation already exists, skipping") are not for the service's output.
  if (conn) PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return conn;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  auto pw = out.find("password=");
  if (pw != std::string::npos) {
    auto end = out.find_first_of("& ", pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

// ---- Params

Params& Params::add(std::int64_t v) {
  values_.emplace_back(std::to_string(v));
  return *this;
}

Params& Params::add(double v) {
  values_.emplace_back(format_double(v));
  return *this;
}

Params& Params::add(std::string_view v) {
  values_.emplace_back(std::string(v));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);  // shortest representation that reads back to the same double
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// ---- Result

std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::int64_t Result::int64(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* p = PQgetvalue(r_, row, col);
  const char* end = p + PQgetlength(r_, row, col);
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(p, end, v);
  if (ec != std::errc() || ptr != end) {
    // A numeric or double column (e.g. sum() of bigint): read the integral part.
    double d = real(row, col);
    return static_cast<std::int64_t>(d);
  }
  return v;
}

double Result::real(int row, int col) const {
  if (is_null(row, col)) return 0;
  const char* p = PQgetvalue(r_, row, col);
  const char* end = p + PQgetlength(r_, row, col);
  if (std::strcmp(p, "NaN") == 0) return std::numeric_limits<double>::quiet_NaN();
  if (std::strcmp(p, "Infinity") == 0) return std::numeric_limits<double>::infinity();
  if (std::strcmp(p, "-Infinity") == 0) return -std::numeric_limits<double>::infinity();
  double v = 0;
  auto [ptr, ec] = std::from_chars(p, end, v);
  if (ec != std::errc() || ptr != end) throw std::runtime_error(std::string("postgres: not a number: ") + p);
  return v;
}

std::optional<std::string> Result::opt_text(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return text(row, col);
}
std::optional<double> Result::opt_real(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return real(row, col);
}
std::optional<std::int64_t> Result::opt_int64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

std::int64_t Result::affected() const {
  const char* n = PQcmdTuples(r_);
  if (!n || !*n) return 0;
  std::int64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

// ---- Connection

void Connection::connect() {
  reset();
  conn_ = open_connection(options_);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? trim(PQerrorMessage(conn_)) : "out of memory";
    reset();
    throw StoreUnavailable("cannot connect to PostgreSQL: " + msg);
  }
  // Also set here: an operator's `options=` in the URL replaces ours, and exact doubles matter.
  PGresult* r = PQexec(conn_, "SET extra_float_digits = 3");
  bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = ok ? std::string() : trim(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (r) PQclear(r);
  if (!ok) {
    reset();
    throw StoreUnavailable("cannot set up the PostgreSQL session: " + msg);
  }
  commands_ = 0;
  reused_ = false;
}

void Connection::reset() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
}

void Connection::begin_lease() {
  commands_ = 0;
  reused_ = true;
}

void Connection::fail(const PGresult* r, const std::string& what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = trim(r ? PQresultErrorMessage(r) : (conn_ ? PQerrorMessage(conn_) : "no connection"));
  if (msg.empty() && conn_) msg = trim(PQerrorMessage(conn_));
  bool lost = !conn_ || PQstatus(conn_) != CONNECTION_OK || connection_state(state);
  if (lost) {
    bool first = reused_ && commands_ <= 1;
    reset();
    std::string text = "PostgreSQL connection lost during " + what + ": " + msg;
    if (first) throw StaleConnection(text);
    throw StoreUnavailable(text);
  }
  if (state && (std::strcmp(state, "40001") == 0 || std::strcmp(state, "40P01") == 0))
    throw TransientConflict("postgres " + what + ": " + msg);
  if (unavailable_state(state)) throw StoreUnavailable("postgres " + what + ": " + msg);
  throw std::runtime_error("postgres " + what + ": " + msg);
}

void Connection::check(PGresult* r, ExecStatusType a, ExecStatusType b, const char* what) {
  if (r && (PQresultStatus(r) == a || PQresultStatus(r) == b)) return;
  Result owned(r);  // freed after fail() copied what it needs
  fail(r, what);
}

Result Connection::exec(const Sql& sql, const Params& params) {
  if (!conn_) throw StoreUnavailable("no PostgreSQL connection");
  if (!prepared_.count(sql.name)) {
    ++commands_;
    PGresult* r = PQprepare(conn_, sql.name, sql.text, 0, nullptr);
    check(r, PGRES_COMMAND_OK, PGRES_COMMAND_OK, sql.name);
    PQclear(r);
    prepared_.insert(sql.name);
  }
  ++commands_;
  std::vector<const char*> values(static_cast<std::size_t>(params.size()));
  for (int i = 0; i < params.size(); ++i) {
    const auto& v = params.at(i);
    values[static_cast<std::size_t>(i)] = v ? v->c_str() : nullptr;
  }
  PGresult* r = PQexecPrepared(conn_, sql.name, params.size(), values.data(), nullptr, nullptr, 0);
  check(r, PGRES_TUPLES_OK, PGRES_COMMAND_OK, sql.name);
  return Result(r);
}

void Connection::exec_simple(const char* sql) {
  if (!conn_) throw StoreUnavailable("no PostgreSQL connection");
  ++commands_;
  PGresult* r = PQexec(conn_, sql);
  std::string what(sql, std::min<std::size_t>(std::strlen(sql), 40));
  check(r, PGRES_COMMAND_OK, PGRES_TUPLES_OK, what.c_str());
  PQclear(r);
}

// ---- Transaction

Transaction::Transaction(Connection& c, const char* begin_sql) : c_(c) { c_.exec_simple(begin_sql); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    if (c_.connected()) c_.exec_simple("ROLLBACK");
  } catch (...) {
    c_.reset();  // the pool must not hand out a connection in an unknown state
  }
}

void Transaction::commit() {
  done_ = true;  // a failed COMMIT leaves nothing to roll back (or no connection)
  c_.exec_simple("COMMIT");
}

// ---- Pool

Pool::Pool(ConnectOptions options, int size, std::chrono::milliseconds wait_timeout)
    : options_(std::move(options)), size_(size < 1 ? 1 : size), wait_timeout_(wait_timeout) {
  for (int i = 0; i < size_; ++i) idle_.push_back(std::make_unique<Connection>(options_));
}

void Pool::connect_slot(Connection& c) {
  {
    std::lock_guard lock(mu_);
    if (down_ && std::chrono::steady_clock::now() - last_failure_ < kFailFastWindow)
      throw StoreUnavailable(last_failure_message_);
  }
  try {
    c.connect();
  } catch (const StoreUnavailable& e) {
    std::lock_guard lock(mu_);
    if (!down_) spdlog::warn("database unreachable: {}", e.what());
    down_ = true;
    last_failure_ = std::chrono::steady_clock::now();
    last_failure_message_ = e.what();
    throw;
  }
  std::lock_guard lock(mu_);
  if (down_) spdlog::info("database reachable again");
  down_ = false;
}

Pool::Lease Pool::acquire() {
  std::unique_ptr<Connection> c;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait_timeout_, [&] { return !idle_.empty(); }))
      throw StoreUnavailable(fmt::format("no free database connection within {} ms (pool of {})",
                                         wait_timeout_.count(), size_));
    c = std::move(idle_.back());
    idle_.pop_back();
  }
  if (c->connected()) {
    c->begin_lease();
  } else {
    try {
      connect_slot(*c);
    } catch (...) {
      give_back(std::move(c));
      throw;
    }
  }
  return Lease(*this, std::move(c));
}

void Pool::drop_idle() {
  std::lock_guard lock(mu_);
  for (auto& c : idle_) c->reset();
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  if (!c) return;
  if (c->connected() && !c->idle()) c->reset();  // left inside a transaction: never reuse
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

}  // namespace rallyuxr::store::postgres
