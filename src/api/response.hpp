// The success envelope {"success":true,"data":...}, written as text: start the body with kOkOpen
// (or use ok_json), write the data as one JSON value (codec's writers), and pass the body to
// ok_text, which closes the envelope. Errors are http/'s envelope (ApiError).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "codec/json_writer.hpp"
#include "http/types.hpp"

namespace rallyuxr::api {

inline constexpr std::string_view kOkOpen = "{\"success\":true,\"data\":";
http::Response ok_text(std::string body, int status = 200);

// ok_json([&](codec::JsonWriter& w) { w.begin_object()...end_object(); }, 201)
template <class WriteData>
http::Response ok_json(WriteData&& write_data, int status = 200) {
  std::string body(kOkOpen);
  codec::JsonWriter w(body);
  std::forward<WriteData>(write_data)(w);
  return ok_text(std::move(body), status);
}

}  // namespace rallyuxr::api
