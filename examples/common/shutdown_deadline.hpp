#pragma once
// Shared by the example servers that the Node suites drive (engine_echo, sio_fixture).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <asio.hpp>

/// Stops `ctx` if run() has not returned `limit` after arm(): the safety net of a graceful shutdown,
/// which must not itself be work of the context (a pending timer would keep run() going).
class shutdown_deadline {
 public:
  shutdown_deadline(asio::io_context& ctx, std::chrono::milliseconds limit) : ctx_(ctx), limit_(limit) {}
  ~shutdown_deadline() { disarm(); }
  void arm() {
    watchdog_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (cv_.wait_for(lock, limit_, [this] { return done_; })) return;
      missed_ = true;
      ctx_.stop();
    });
  }
  /// Call once run() has returned on every thread; true when the deadline had to stop the context.
  bool disarm() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    return missed_;
  }

 private:
  asio::io_context& ctx_;
  std::chrono::milliseconds limit_;
  std::thread watchdog_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool missed_ = false;
};
