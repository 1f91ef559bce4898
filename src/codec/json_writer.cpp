#include "codec/json_writer.hpp"

namespace rallyuxr::codec {

JsonWriter& JsonWriter::integer(std::int64_t v) {
  append_json_int(slot(), v);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(std::uint64_t v) {
  append_json_uint(slot(), v);
  return *this;
}

}  // namespace rallyuxr::codec
