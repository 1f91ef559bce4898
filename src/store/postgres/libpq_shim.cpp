// The libpq functions the PostgreSQL backend (and its tests) call, defined here as forwarders to
// libpq.so.5 opened with dlopen on first use (libpq_loader.hpp says why). Each forwarder has the
// header's exact signature (a mismatch does not compile) and is hidden: the executable never
// exports a PQ* symbol, so libpq's own internal calls keep binding to libpq itself.
//
// A function used anywhere in src/ or tests/ must be listed here, or the link fails with an
// undefined reference: `grep -rhoE "PQ[a-zA-Z]+\(" src tests | sort -u`.
#include "store/postgres/libpq_loader.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#pragma GCC visibility push(hidden)
#include <libpq-fe.h>
#pragma GCC visibility pop

namespace rallyuxr::store::postgres {
namespace {

#define RALLYUXR_LIBPQ_FUNCTIONS(X)                                                                  \
  X(PQclear) X(PQcmdTuples) X(PQconnectdb) X(PQconnectdbParams) X(PQconsumeInput) X(PQerrorMessage) \
  X(PQexec) X(PQexecPrepared) X(PQfinish) X(PQfreemem) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) \
  X(PQnotifies) X(PQntuples) X(PQprepare) X(PQresultErrorField) X(PQresultErrorMessage)             \
  X(PQresultStatus) X(PQsetNoticeProcessor) X(PQsocket) X(PQstatus) X(PQtransactionStatus)

struct Api {
#define RALLYUXR_LIBPQ_POINTER(f) decltype(&::f) f = nullptr;
  RALLYUXR_LIBPQ_FUNCTIONS(RALLYUXR_LIBPQ_POINTER)
#undef RALLYUXR_LIBPQ_POINTER
};

// The library's soname (Debian: libpq5, installed with libpq-dev).
constexpr const char* kLibrary = "libpq.so.5";

Api g_api;
bool g_loaded = false;
std::string g_error;
std::once_flag g_once;

void load_once() {
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = ::dlerror();
    g_error = std::string("PostgreSQL support needs the client library ") + kLibrary + " (Debian: libpq5): " +
              (e ? e : "not found");
    return;
  }
  Api api;
  std::string missing;
#define RALLYUXR_LIBPQ_RESOLVE(f)                                          \
  api.f = reinterpret_cast<decltype(api.f)>(::dlsym(lib, #f));             \
  if (!api.f) missing += missing.empty() ? #f : ", " #f;
  RALLYUXR_LIBPQ_FUNCTIONS(RALLYUXR_LIBPQ_RESOLVE)
#undef RALLYUXR_LIBPQ_RESOLVE
  if (!missing.empty()) {
    g_error = std::string(kLibrary) + " lacks " + missing + " (a libpq older than PostgreSQL 14's?)";
    ::dlclose(lib);
    return;
  }
  g_api = api;  // the library stays loaded for the process's life
  g_loaded = true;
}

// The loaded functions. Reached only after load_libpq() succeeded (make_store checks it before a
// PostgreSQL store is made); anything else is a programming error, and stops the process with the
// reason rather than calling through a null pointer.
const Api& api() {
  std::string error;
  if (!load_libpq(&error)) {
    std::fprintf(stderr, "rallyuxr: %s\n", error.c_str());
    std::abort();
  }
  return g_api;
}

}  // namespace

bool load_libpq(std::string* error) {
  std::call_once(g_once, load_once);
  if (!g_loaded && error) *error = g_error;
  return g_loaded;
}

}  // namespace rallyuxr::store::postgres

using rallyuxr::store::postgres::api;

extern "C" {

void PQclear(PGresult* res) { api().PQclear(res); }
char* PQcmdTuples(PGresult* res) { return api().PQcmdTuples(res); }
PGconn* PQconnectdb(const char* conninfo) { return api().PQconnectdb(conninfo); }
PGconn* PQconnectdbParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  return api().PQconnectdbParams(keywords, values, expand_dbname);
}
int PQconsumeInput(PGconn* conn) { return api().PQconsumeInput(conn); }
char* PQerrorMessage(const PGconn* conn) { return api().PQerrorMessage(conn); }
PGresult* PQexec(PGconn* conn, const char* query) { return api().PQexec(conn, query); }
PGresult* PQexecPrepared(PGconn* conn, const char* stmtName, int nParams, const char* const* paramValues,
                         const int* paramLengths, const int* paramFormats, int resultFormat) {
  return api().PQexecPrepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat);
}
void PQfinish(PGconn* conn) { api().PQfinish(conn); }
void PQfreemem(void* ptr) { api().PQfreemem(ptr); }
int PQgetisnull(const PGresult* res, int tup_num, int field_num) { return api().PQgetisnull(res, tup_num, field_num); }
int PQgetlength(const PGresult* res, int tup_num, int field_num) { return api().PQgetlength(res, tup_num, field_num); }
char* PQgetvalue(const PGresult* res, int tup_num, int field_num) { return api().PQgetvalue(res, tup_num, field_num); }
PGnotify* PQnotifies(PGconn* conn) { return api().PQnotifies(conn); }
int PQntuples(const PGresult* res) { return api().PQntuples(res); }
PGresult* PQprepare(PGconn* conn, const char* stmtName, const char* query, int nParams, const Oid* paramTypes) {
  return api().PQprepare(conn, stmtName, query, nParams, paramTypes);
}
char* PQresultErrorField(const PGresult* res, int fieldcode) { return api().PQresultErrorField(res, fieldcode); }
char* PQresultErrorMessage(const PGresult* res) { return api().PQresultErrorMessage(res); }
ExecStatusType PQresultStatus(const PGresult* res) { return api().PQresultStatus(res); }
PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor proc, void* arg) {
  return api().PQsetNoticeProcessor(conn, proc, arg);
}
int PQsocket(const PGconn* conn) { return api().PQsocket(conn); }
ConnStatusType PQstatus(const PGconn* conn) { return api().PQstatus(conn); }
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) { return api().PQtransactionStatus(conn); }

}  // extern "C"
