#include "codec/json_writer.hpp"

#include <charconv>

namespace rallyuxr::codec {

JsonWriter& JsonWriter::integer(std::int64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  slot().append(buf, p);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(std::uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  slot().append(buf, p);
  return *this;
}

}  // namespace rallyuxr::codec
