// Reading the reference fixtures of tests/data/stats (written by make_reference.py and
// make_plan_reference.py with SciPy/statsmodels): shared by the stats tests, so that every test reads
// the numbers the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

namespace rallyuxr::testing {

inline std::filesystem::path data_dir() { return std::filesystem::path(RALLYUXR_TEST_DATA_DIR) / "stats"; }

inline boost::json::value load_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

inline double as_double(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();  // the fixtures write NaN as null
  throw std::runtime_error("not a number: " + boost::json::serialize(v));
}

inline std::int64_t as_int(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
  return static_cast<std::int64_t>(v.as_double());
}

}  // namespace rallyuxr::testing
