// The list endpoints' paging (api/paging.hpp): ?limit and ?offset with their issues, and the
// pagination object.
#include "api/paging.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace rallyuxr::api {
namespace {

http::Request with_query(std::initializer_list<std::pair<const char*, const char*>> q) {
  http::Request r;
  for (const auto& [k, v] : q) r.query.emplace(k, v);
  return r;
}

TEST(PagingTest, DefaultsWithoutParameters) {
  std::vector<domain::FieldIssue> issues;
  Page p = read_page(with_query({}), issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(p.limit, 20);
  EXPECT_EQ(p.offset, 0);
}

TEST(PagingTest, ReadsLimitAndOffset) {
  std::vector<domain::FieldIssue> issues;
  Page p = read_page(with_query({{"limit", "100"}, {"offset", "9000000000000000000"}}), issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(p.limit, 100);
  EXPECT_EQ(p.offset, 9000000000000000000LL);
}

TEST(PagingTest, BadValuesAreIssuesAndKeepTheDefaults) {
  for (const char* limit : {"0", "101", "-1", "1.5", "abc", "", "99999999999999999999"}) {
    std::vector<domain::FieldIssue> issues;
    Page p = read_page(with_query({{"limit", limit}, {"offset", "-1"}}), issues);
    ASSERT_EQ(issues.size(), 2u) << limit;
    EXPECT_EQ(issues[0].path, "limit");
    EXPECT_EQ(issues[0].message, "Must be an integer from 1 to 100");
    EXPECT_EQ(issues[1].path, "offset");
    EXPECT_EQ(issues[1].message, "Must be an integer of 0 or more");
    EXPECT_EQ(p.limit, 20);
    EXPECT_EQ(p.offset, 0);
  }
}

TEST(PagingTest, RepeatedParametersAreIssues) {
  std::vector<domain::FieldIssue> issues;
  reject_repeated(with_query({{"limit", "1"}, {"limit", "2"}, {"q", "a"}, {"status", "x"}, {"status", "y"}}),
                  {"limit", "offset", "status", "q"}, issues);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].path, "limit");
  EXPECT_EQ(issues[0].message, "Given more than once");
  EXPECT_EQ(issues[1].path, "status");
}

TEST(PagingTest, PaginationObject) {
  auto written = [](Page p, std::int64_t total, std::int64_t shown) {
    std::string out;
    codec::JsonWriter w(out);
    write_pagination(w, p, total, shown);
    return boost::json::parse(out);
  };
  EXPECT_EQ(written({2, 0}, 5, 2), boost::json::parse(R"({"total":5,"limit":2,"offset":0,"hasMore":true})"));
  EXPECT_EQ(written({2, 4}, 5, 1), boost::json::parse(R"({"total":5,"limit":2,"offset":4,"hasMore":false})"));
  EXPECT_EQ(written({20, 30}, 5, 0), boost::json::parse(R"({"total":5,"limit":20,"offset":30,"hasMore":false})"));
}

}  // namespace
}  // namespace rallyuxr::api
