#include <stdexcept>

#include "store/store.hpp"
#ifdef RALLYUXR_HAVE_POSTGRES
#include "store/postgres/libpq_loader.hpp"
#endif

namespace rallyuxr::store {
namespace sqlite {
std::unique_ptr<Store> make_sqlite_store(const std::string& path, int pool_size, std::uint64_t integrity_check_bytes);
}
#ifdef RALLYUXR_HAVE_POSTGRES
namespace postgres {
std::unique_ptr<Store> make_postgres_store(const std::string& url, int pool_size);
}
#endif

std::unique_ptr<Store> make_store(const std::string& url, int pool_size, std::uint64_t integrity_check_bytes) {
  if (url.rfind("sqlite:", 0) == 0) {
    std::string path = url.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://path also accepted
    if (path.empty()) throw std::invalid_argument("database URL sqlite: needs a file path");
    return sqlite::make_sqlite_store(path, pool_size, integrity_check_bytes);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
#ifdef RALLYUXR_HAVE_POSTGRES
    // libpq is loaded here, on the first PostgreSQL URL (libpq_loader.hpp).
    if (std::string error; !postgres::load_libpq(&error)) throw StoreUnavailable(error);
    return postgres::make_postgres_store(url, pool_size);
#else
    throw std::invalid_argument("this build has no PostgreSQL support");
#endif
  }
  throw std::invalid_argument("unknown database URL scheme (use sqlite:PATH or postgresql://...): " + url);
}

}  // namespace rallyuxr::store
