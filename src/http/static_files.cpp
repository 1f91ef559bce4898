#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "domain/ids.hpp"
#include "http/representation.hpp"

namespace rallyuxr::http {
namespace {

std::string content_type_for(const std::string& ext) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".svg", "image/svg+xml"},
      {".png", "image/png"},                  {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},               {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},  {".map", "application/json"},
      {".webmanifest", "application/manifest+json"}};
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

bool compressible(const std::string& type) {
  return type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
         type.find("svg") != std::string::npos;
}

// The dashboard's files are compressed once, at start, at the highest level.
std::string gzip(const std::string& in) {
  try {
    return gzip_compress(in, 9);
  } catch (const std::runtime_error&) {
    return {};  // served uncompressed
  }
}

}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (root.empty() || !fs::is_directory(root, ec)) return;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    StaticFile f;
    f.body = ss.str();
    f.content_type = content_type_for(it->path().extension().string());
    if (compressible(f.content_type) && f.body.size() > 512) {
      auto z = gzip(f.body);
      if (!z.empty() && z.size() < f.body.size() * 9 / 10) f.gzip_body = std::move(z);
    }
    f.etag = "\"" + std::to_string(domain::stable_hash(f.body)) + "\"";
    auto rel = "/" + fs::relative(it->path(), root).generic_string();
    f.immutable = rel.rfind("/assets/", 0) == 0;
    files_.emplace(rel, std::move(f));
  }
}

const StaticFile* StaticFiles::find(const std::string& path) const {
  if (files_.empty()) return nullptr;
  std::string p = path.empty() || path == "/" ? "/index.html" : path;
  auto it = files_.find(p);
  if (it != files_.end()) return &it->second;
  // Client-side routes: a path whose last segment has no extension gets the app.
  auto slash = p.rfind('/');
  if (p.find('.', slash) == std::string::npos) {
    auto index = files_.find("/index.html");
    if (index != files_.end()) return &index->second;
  }
  return nullptr;
}

}  // namespace rallyuxr::http
