// Every route the server registers is described in docs/openapi.yaml (embedded at build time),
// and every described operation is a registered route.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "api/routes.hpp"
#include "app/serve.hpp"

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST(OpenApi, DescribesExactlyTheRegisteredRoutes) {
  auto dir = std::filesystem::temp_directory_path() / ("rallyuxr-openapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto store = rallyuxr::store::make_store("sqlite:" + (dir / "t.db").string(), 1);
  rallyuxr::api::Context ctx{*store, 1 << 20, 1, {}, {}};
  rallyuxr::http::Router router;
  rallyuxr::api::register_routes(router, ctx);

  auto doc = boost::json::parse(rallyuxr::app::openapi_json()).as_object();
  ASSERT_TRUE(doc.at("openapi").as_string().starts_with("3.1"));
  const auto& paths = doc.at("paths").as_object();

  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& r : router.routes()) {
    registered.insert({r.pattern, lower(r.method)});
    auto it = paths.find(r.pattern);
    ASSERT_NE(it, paths.end()) << "route " << r.method << " " << r.pattern << " is not in docs/openapi.yaml";
    EXPECT_TRUE(it->value().as_object().contains(lower(r.method)))
        << "route " << r.method << " " << r.pattern << " is not in docs/openapi.yaml";
  }
  EXPECT_GE(registered.size(), 19u);
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options"};
  for (const auto& kv : paths)
    for (const auto& op : kv.value().as_object())
      if (kMethods.count(std::string(op.key())))
        EXPECT_TRUE(registered.count({std::string(kv.key()), std::string(op.key())}))
            << "docs/openapi.yaml describes " << op.key() << " " << kv.key() << ", which the server does not serve";
  std::filesystem::remove_all(dir);
}

}  // namespace
