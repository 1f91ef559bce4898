#include <algorithm>
#include <stdexcept>

#include "http/types.hpp"

namespace rallyuxr::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

bool match_pattern(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  auto p = split(pattern), s = split(path);
  if (p.size() != s.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].size() > 2 && p[i].front() == '{' && p[i].back() == '}') {
      params.emplace_back(s[i]);
    } else if (p[i] != s[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Request::media_type() const {
  std::string ct = header("content-type");
  auto semi = ct.find(';');
  if (semi != std::string::npos) ct.resize(semi);
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  std::transform(ct.begin(), ct.end(), ct.begin(), [](unsigned char c) { return std::tolower(c); });
  return ct;
}

void Router::answer_from_memory(const std::string& method, const std::string& pattern, MemoryAnswer answer) {
  for (auto& r : routes_)
    if (r.method == method && r.pattern == pattern) {
      r.from_memory = std::move(answer);
      return;
    }
  throw std::logic_error("answer_from_memory: no route " + method + " " + pattern);
}

void Router::add(std::string method, std::string pattern, Handler handler, std::size_t max_body_bytes,
                 bool priority) {
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), max_body_bytes, priority, {}});
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  std::vector<std::string> params;
  for (const auto& r : routes_) {
    if (!match_pattern(r.pattern, path, params)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      m.route = &r;
      m.params = params;
      m.allowed.clear();
      return m;
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end())
      m.allowed.push_back(r.method);
  }
  return m;
}

}  // namespace rallyuxr::http
