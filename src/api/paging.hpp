// The paging of the list endpoints (GET /experiments, /experiments/{id}/analyses, /audit):
// ?limit (an integer from 1 to 100, default 20) and ?offset (0 or more), and the response's
// {total, limit, offset, hasMore}. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "codec/json_writer.hpp"
#include "domain/error.hpp"
#include "http/types.hpp"

namespace rallyuxr::api {

struct Page {
  int limit = 20;
  std::int64_t offset = 0;
};

// An issue "Given more than once" for each of `names` that the query repeats.
void reject_repeated(const http::Request& req, std::initializer_list<const char*> names,
                     std::vector<domain::FieldIssue>& issues);

// ?limit and ?offset; a bad value adds an issue (path "limit" or "offset") and keeps the default.
Page read_page(const http::Request& req, std::vector<domain::FieldIssue>& issues);

// The "pagination" member's value; `shown` is the number of items on this page.
void write_pagination(codec::JsonWriter& w, const Page& page, std::int64_t total, std::int64_t shown);

}  // namespace rallyuxr::api
