// The access log, off the request path: lines are queued (bounded) and written by one background
// thread in batches (through stdio's buffer, flushed at least every 200 ms while lines come, every
// second otherwise, and on shutdown), in the format and level of the default logger. When the queue is
// full the oldest queued line is dropped and counted (dropped()), never the request delayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace rallyuxr::http {

class AccessLog {
 public:
  // queue_lines: 0 writes synchronously through the default logger (as before).
  explicit AccessLog(std::size_t queue_lines);
  ~AccessLog();  // writes what is queued, then returns
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(std::string_view line);
  std::uint64_t dropped() const;
  void flush();

 private:
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace rallyuxr::http
