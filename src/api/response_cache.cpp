#include "api/response_cache.hpp"

#include "http/representation.hpp"

namespace rallyuxr::api {

namespace {
// What an entry costs beyond its bytes (the list node, the index, the strings' headers).
constexpr std::size_t kEntryOverhead = 256;
// The level of gzip bytes that are kept: made once per version, sent many times.
constexpr int kKeptGzipLevel = 6;
}  // namespace

ResponseCache::ResponseCache(std::size_t max_bytes, bool cache_list_pages)
    : max_bytes_(max_bytes), cache_list_pages_(cache_list_pages) {}

http::Response ResponseCache::get_or_make(const std::string& key, const std::function<http::Response()>& make) {
  if (!enabled()) {
    auto r = make();
    r.etag_from_body = true;
    return r;
  }
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++hits_;
      auto e = *it->second;
      return respond(e);
    }
    ++misses_;
  }
  auto r = make();
  if (r.status != 200) return r;  // errors are made again: they are cheap and may pass
  auto e = std::make_shared<Entry>();
  e->key = key;
  e->status = r.status;
  e->content_type = r.content_type;
  e->headers = r.headers;
  e->etag = http::etag_of(r.body);
  e->body = std::make_shared<const std::string>(std::move(r.body));
  auto out = respond(e);
  std::size_t cost = key.size() + e->body->size() + e->content_type.size() + kEntryOverhead;
  if (cost > max_bytes_ / 4) return out;  // one response may not push out most of the others
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) return out;  // another request made it meanwhile
  lru_.push_front(e);
  index_.emplace(key, lru_.begin());
  charge(e, cost);
  evict_to_bound();
  return out;
}

std::optional<http::Response> ResponseCache::peek(const std::string& key, bool wants_gzip) {
  if (!enabled()) return std::nullopt;
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    e = take_kept(it->second, wants_gzip);
  }
  if (!e) return std::nullopt;
  return respond(e);
}

std::shared_ptr<ResponseCache::Entry> ResponseCache::take_kept(Lru::iterator it, bool wants_gzip) {
  std::shared_ptr<Entry> e = *it;
  // gzip bytes not made yet are made on a request thread, not here.
  if (wants_gzip && e->body->size() >= http::kCompressMinBytes && !e->gzip_ready.load(std::memory_order_acquire))
    return nullptr;
  lru_.splice(lru_.begin(), lru_, it);
  ++hits_;
  return e;
}

void ResponseCache::alias(const std::string& name, const std::string& stamp, const std::string& key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    aliases_.erase(name);
    return;
  }
  aliases_[name] = Alias{stamp, *it->second};
  if (aliases_.size() > 2 * index_.size() + 64)
    std::erase_if(aliases_, [](const auto& kv) { return kv.second.entry.expired(); });
}

std::optional<http::Response> ResponseCache::peek_alias(const std::string& name, const std::string& stamp,
                                                        bool wants_gzip) {
  if (!enabled()) return std::nullopt;
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto a = aliases_.find(name);
    if (a == aliases_.end() || a->second.stamp != stamp) return std::nullopt;
    auto named = a->second.entry.lock();
    if (!named) return std::nullopt;
    auto it = index_.find(named->key);
    if (it == index_.end() || *it->second != named) return std::nullopt;  // evicted, or made again since
    e = take_kept(it->second, wants_gzip);
  }
  if (!e) return std::nullopt;
  return respond(e);
}

http::Response ResponseCache::respond(const std::shared_ptr<Entry>& e) {
  http::Response r;
  r.status = e->status;
  r.content_type = e->content_type;
  r.headers = e->headers;
  r.shared_body = e->body;  // sent as kept, not copied
  r.etag = e->etag;
  r.gzip_body = [this, e] { return gzip_of(e); };
  return r;
}

std::shared_ptr<const std::string> ResponseCache::gzip_of(const std::shared_ptr<Entry>& e) {
  std::shared_ptr<const std::string> z;
  {
    std::lock_guard gz(e->gzip_mutex);  // never held with mu_ (peek takes mu_ alone)
    if (e->gzip) return e->gzip;
    z = std::make_shared<const std::string>(http::gzip_compress(*e->body, kKeptGzipLevel));
    e->gzip = z;
    e->gzip_ready.store(true, std::memory_order_release);
  }
  std::lock_guard lock(mu_);
  auto it = index_.find(e->key);
  if (it != index_.end() && *it->second == e) {  // still kept: its gzip bytes count too
    charge(e, z->size());
    evict_to_bound();
  }
  return z;
}

void ResponseCache::charge(const std::shared_ptr<Entry>& e, std::size_t bytes) {
  e->charged += bytes;
  bytes_ += bytes;
}

void ResponseCache::evict_to_bound() {
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto victim = lru_.back();
    bytes_ -= victim->charged;
    index_.erase(victim->key);
    lru_.pop_back();
    ++evictions_;
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  std::lock_guard lock(mu_);
  return Stats{hits_, misses_, evictions_, bytes_, lru_.size()};
}

std::string query_key(const http::Request& req) {
  std::string out;
  for (const auto& [k, v] : req.query) {
    if (!out.empty()) out += '&';
    // Lengths first, so that no two queries give the same key ("a=b&c" vs "a" = "b&c").
    out += std::to_string(k.size()) + ':' + k + '=' + std::to_string(v.size()) + ':' + v;
  }
  return out;
}

}  // namespace rallyuxr::api
