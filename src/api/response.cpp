#include "api/response.hpp"

namespace rallyuxr::api {

http::Response ok_text(std::string body, int status) {
  http::Response r;
  r.status = status;
  body += '}';
  r.body = std::move(body);
  return r;
}

}  // namespace rallyuxr::api
