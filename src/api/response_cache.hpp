// The serialized bytes of GET responses, kept while what they were made from is current.
//
// A response is immutable per version: the results of an experiment change only with its results
// version, its current analysis or the experiment row itself. Handlers key an entry by those
// versions, read from the database on every request (cheap queries), so that a write on any node
// makes the next request miss: no node serves stale bytes. List pages, which depend on every
// experiment, are keyed by this process's count of commits instead (store::Store::commits(): the
// API's writes and the workers' alike), which is exact only while this process is the database's
// only writer (SQLite); with PostgreSQL, where other nodes write, they are not cached. There, a
// kept results response also gets a second name stamped with that count (alias), so that it is
// answered on the I/O thread until the next commit, without reading its versions.
//
// Memory is bounded (least recently used entries go first); an entry keeps its identity bytes,
// a strong ETag of them and, made on first demand, its gzip bytes (compressed once per version).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "http/types.hpp"

namespace rallyuxr::api {

class ResponseCache {
 public:
  // max_bytes: the bound on the bytes kept (keys, bodies and their gzip variants); 0 disables.
  explicit ResponseCache(std::size_t max_bytes, bool cache_list_pages = true);
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  bool enabled() const { return max_bytes_ > 0; }
  bool caches_list_pages() const { return enabled() && cache_list_pages_; }

  // The response for `key`, made by `make` on a miss and kept when it is a 200 that fits.
  // Every response it returns carries an ETag of its bytes.
  http::Response get_or_make(const std::string& key, const std::function<http::Response()>& make);

  // The kept response for `key`, when there is one and it can be sent without work: nullopt when
  // none is kept, or the client takes gzip and its gzip bytes are not made yet. For answers on
  // the I/O thread (http::MemoryAnswer); a miss is not counted (the handler's path counts it).
  std::optional<http::Response> peek(const std::string& key, bool wants_gzip);

  // A second name for the entry kept under `key` (when one is), valid while `stamp` is the same:
  // for a memory answer whose own key would need the database, e.g. an experiment's results named
  // by its id and this process's commit count (where this process is the only writer). One
  // stamp per name: naming it again replaces it. Names whose entry is gone are dropped as they
  // pile up.
  void alias(const std::string& name, const std::string& stamp, const std::string& key);
  std::optional<http::Response> peek_alias(const std::string& name, const std::string& stamp, bool wants_gzip);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::size_t bytes = 0;
    std::size_t entries = 0;
  };
  Stats stats() const;
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  struct Entry {
    std::string key;
    int status = 200;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<const std::string> body;
    std::string etag;
    std::size_t charged = 0;  // bytes counted against the bound
    std::mutex gzip_mutex;
    std::shared_ptr<const std::string> gzip;  // made on first demand
    std::atomic<bool> gzip_ready{false};      // gzip is set (read without gzip_mutex)
  };
  using Lru = std::list<std::shared_ptr<Entry>>;

  struct Alias {
    std::string stamp;
    std::weak_ptr<Entry> entry;
  };

  http::Response respond(const std::shared_ptr<Entry>& e);
  // The kept entry at `it`, made most recently used and counted as a hit; null when its gzip
  // bytes are wanted and not made yet (mu_ held).
  std::shared_ptr<Entry> take_kept(Lru::iterator it, bool wants_gzip);
  std::shared_ptr<const std::string> gzip_of(const std::shared_ptr<Entry>& e);
  void charge(const std::shared_ptr<Entry>& e, std::size_t bytes);  // mu_ held
  void evict_to_bound();                                            // mu_ held

  const std::size_t max_bytes_;
  const bool cache_list_pages_;
  mutable std::mutex mu_;
  Lru lru_;  // most recently used first
  std::unordered_map<std::string, Lru::iterator> index_;
  std::unordered_map<std::string, Alias> aliases_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0, misses_ = 0, evictions_ = 0;
};

// The query of a request as part of a cache key ("k=v&k=v", in key order).
std::string query_key(const http::Request& req);

}  // namespace rallyuxr::api
