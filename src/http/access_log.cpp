#include "http/access_log.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace rallyuxr::http {
namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(200);

// stdout through stdio's buffer: one write(2) per buffer, not per line (the default logger's sink
// flushes every line). Lines from both loggers stay whole (fwrite locks the FILE).
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), stdout);
    auto now = std::chrono::steady_clock::now();
    if (now - last_flush_ >= kFlushEvery) flush_();
  }
  void flush_() override {
    std::fflush(stdout);
    last_flush_ = std::chrono::steady_clock::now();
  }

 private:
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

std::atomic<int> g_instances{0};

}  // namespace

AccessLog::AccessLog(std::size_t queue_lines) {
  if (queue_lines == 0) return;
  pool_ = std::make_shared<spdlog::details::thread_pool>(queue_lines, 1);
  auto sink = std::make_shared<BufferedStdoutSink>();
  logger_ = std::make_shared<spdlog::async_logger>("access-" + std::to_string(++g_instances), sink, pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  // The default logger's pattern (text or JSON) and level: set_pattern/set_level were global.
  spdlog::initialize_logger(logger_);
  logger_->set_level(spdlog::default_logger()->level());
  // Lines still in stdio's buffer when no more come are flushed by spdlog's periodic flusher.
  spdlog::flush_every(std::chrono::seconds(1));
}

AccessLog::~AccessLog() {
  if (!logger_) return;
  logger_->flush();
  spdlog::drop(logger_->name());
  logger_.reset();
  pool_.reset();  // joins the writer after the queued lines and the flush
  std::fflush(stdout);
}

void AccessLog::write(std::string_view line) {
  if (logger_)
    logger_->info("{}", line);
  else
    spdlog::info("{}", line);
}

std::uint64_t AccessLog::dropped() const { return pool_ ? pool_->overrun_counter() : 0; }

void AccessLog::flush() {
  if (logger_) logger_->flush();
}

}  // namespace rallyuxr::http
