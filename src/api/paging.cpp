#include "api/paging.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace rallyuxr::api {
namespace {

std::optional<std::int64_t> parse_count(const std::string& s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

void reject_repeated(const http::Request& req, std::initializer_list<const char*> names,
                     std::vector<domain::FieldIssue>& issues) {
  for (const char* name : names)
    if (req.query.count(name) > 1) issues.push_back({name, "Given more than once"});
}

Page read_page(const http::Request& req, std::vector<domain::FieldIssue>& issues) {
  Page page;
  if (auto limit = req.query_param("limit")) {
    auto v = parse_count(*limit);
    if (!v || *v < 1 || *v > 100)
      issues.push_back({"limit", "Must be an integer from 1 to 100"});
    else
      page.limit = static_cast<int>(*v);
  }
  if (auto offset = req.query_param("offset")) {
    auto v = parse_count(*offset);
    if (!v || *v < 0)
      issues.push_back({"offset", "Must be an integer of 0 or more"});
    else
      page.offset = *v;
  }
  return page;
}

void write_pagination(codec::JsonWriter& w, const Page& page, std::int64_t total, std::int64_t shown) {
  w.begin_object();
  w.key("total").integer(total);
  w.key("limit").integer(page.limit);
  w.key("offset").integer(page.offset);
  w.key("hasMore").boolean(page.offset + shown < total);
  w.end_object();
}

}  // namespace rallyuxr::api
