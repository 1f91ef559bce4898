// Serves the built web bundle from one directory, read once at start and kept in memory with a
// gzip copy of compressible files. Paths never leave the bundle: only files found under the root
// at start can be served. Unknown paths without a file extension fall back to index.html (the
// dashboard's client-side routes). Thread-safe after construction.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace rallyuxr::http {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string gzip_body;   // empty when compression would not help
  std::string etag;
  bool immutable = false;  // hashed asset names: cache for a year
};

class StaticFiles {
 public:
  explicit StaticFiles(const std::string& root);
  // nullptr when nothing fits (no bundle, or a missing file with an extension).
  const StaticFile* find(const std::string& path) const;
  bool empty() const { return files_.empty(); }

 private:
  std::map<std::string, StaticFile> files_;  // "/index.html", "/assets/index-abc.js"
};

}  // namespace rallyuxr::http
