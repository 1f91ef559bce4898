// libpq is loaded at run time, not linked: the binary does not name libpq.so.5 as a needed library,
// so every start (`rallyuxr analyze`, `--version`, a server on SQLite) skips loading and relocating
// libpq and the ~19 libraries it pulls in (Kerberos, LDAP, SASL, GnuTLS, ...), about 10 ms, and a
// SQLite-only machine runs without libpq installed. libpq_shim.cpp defines the PQ* functions the
// backend calls as forwarders to the library, opened with dlopen on first use; call sites are
// plain libpq calls.
#pragma once

#include <string>

namespace rallyuxr::store::postgres {

// Loads libpq (libpq.so.5) once; later calls return the first call's outcome. Thread-safe. On
// failure `error` (if given) says why, naming the library and the package that provides it.
bool load_libpq(std::string* error = nullptr);

}  // namespace rallyuxr::store::postgres
