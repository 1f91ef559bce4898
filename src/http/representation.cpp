#include "http/representation.hpp"

#include <zlib.h>

#include <cctype>
#include <cstdint>
#include <stdexcept>

namespace rallyuxr::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// The q value of one Accept-Encoding element's parameters (";q=0.5"); 1 when absent, 0 when it
// does not parse (a malformed weight is not a wish for the coding).
double quality(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    auto eq = p.find('=');
    if (eq == std::string_view::npos || !iequals(trim(p.substr(0, eq)), "q")) continue;
    auto v = trim(p.substr(eq + 1));
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return 0;
    double q = v[0] - '0';
    if (v.size() > 1) {
      if (v[1] != '.' || v.size() > 5) return 0;
      double scale = 0.1;
      for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
        if (!std::isdigit(static_cast<unsigned char>(v[i]))) return 0;
        q += (v[i] - '0') * scale;
      }
    }
    return q > 1 ? 0 : q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  double gzip = -1, star = -1;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = element.find(';');
    auto coding = trim(element.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : quality(element.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = std::max(gzip, q);
    else if (coding == "*")
      star = std::max(star, q);
  }
  if (gzip >= 0) return gzip > 0;
  return star > 0;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (etag.empty()) return false;
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto tag = trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag == "*") return true;
    // If-None-Match compares weakly: W/"x" names "x".
    if (tag.size() > 2 && tag[0] == 'W' && tag[1] == '/') tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

std::string gzip_compress(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  return out;
}

std::string etag_of(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += hex[(h >> shift) & 0xf];
  out += '-';
  std::string len;
  std::uint64_t n = bytes.size();
  do {
    len.insert(len.begin(), hex[n & 0xf]);
    n >>= 4;
  } while (n);
  return out + len + "\"";
}

bool compressible_type(std::string_view t) {
  return t.rfind("application/json", 0) == 0 || t.rfind("text/csv", 0) == 0 || t.rfind("text/plain", 0) == 0;
}

void finish_representation(const Request& req, Response& r) {
  if (r.status != 200 || (req.method != "GET" && req.method != "HEAD")) return;
  const std::string_view body = r.body_view();
  if (r.etag.empty() && r.etag_from_body) r.etag = etag_of(body);
  bool compressible = body.size() >= kCompressMinBytes && compressible_type(r.content_type);
  bool gzip = compressible && accepts_gzip(req.header("accept-encoding"));
  if (compressible) r.headers.emplace_back("Vary", "Accept-Encoding");
  // Each coding is its own representation, with its own strong tag.
  std::string etag = r.etag;
  if (gzip && !etag.empty()) etag.insert(etag.size() - 1, "-gz");
  auto inm = req.headers.find("if-none-match");
  if (!etag.empty() && inm != req.headers.end() && etag_matches(inm->second, etag)) {
    r.headers.emplace_back("ETag", etag);
    r.status = 304;
    r.body.clear();
    r.shared_body.reset();
    r.content_type.clear();
    return;
  }
  if (gzip) {
    try {
      std::shared_ptr<const std::string> kept = r.gzip_body ? r.gzip_body() : nullptr;
      if (kept) {
        r.shared_body = std::move(kept);
        r.body.clear();
      } else {
        r.body = gzip_compress(body, 1);  // made for this response only: the fastest level
        r.shared_body.reset();
      }
      r.headers.emplace_back("Content-Encoding", "gzip");
    } catch (const std::exception&) {  // zlib out of memory: the identity body is still right
      etag = r.etag;
    }
  }
  if (!etag.empty()) r.headers.emplace_back("ETag", etag);
}

}  // namespace rallyuxr::http
