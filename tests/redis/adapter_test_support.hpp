#pragma once
// What the Redis adapter tests share (tests/redis): a sio server on an io_context thread of its own
// whose adapter a factory makes, waiting for Redis to count subscribers, and small client helpers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <sio/redis/connection.hpp>
#include <sio/server.hpp>

#include "../integration/running_server.hpp"
#include "../integration/test_client.hpp"
#include "redis_server.hpp"

namespace sio_test {

using namespace std::chrono_literals;
using redis_sio_server = sio::server<sio::transport::any>;
/// Reports a failed publish or subscription of the adapter (its on_error option).
using redis_error_handler = std::function<void(std::error_code, const std::string&)>;

/// One sio server whose adapter `make_adapter(ctx, on_error)` makes, its io_context on a thread.
struct redis_node {
  template <class MakeAdapter>
  explicit redis_node(MakeAdapter&& make_adapter) {
    redis_error_handler on_error = [this](std::error_code, const std::string&) { ++errors; };
    io = std::make_unique<redis_sio_server>(ctx, sio::server_options{}, make_adapter(ctx, std::move(on_error)));
  }
  void start() {
    io->listen(0, "127.0.0.1");
    thread = std::thread([this] {
      ctx.run();
      std::lock_guard<std::mutex> lock(mutex);
      finished = true;
      done.notify_all();
    });
  }
  /// Closes the server (and so its Redis connections); the io_context must then run out of work.
  bool shut_down(std::chrono::milliseconds limit = 10s) {
    if (stopped) return true;
    stopped = true;
    io->close();
    guard.reset();
    std::unique_lock<std::mutex> lock(mutex);
    bool drained = done.wait_for(lock, limit, [this] { return finished; });
    lock.unlock();
    if (!drained) ctx.stop();
    if (thread.joinable()) thread.join();
    return drained;
  }
  ~redis_node() { shut_down(); }
  unsigned short port() const { return io->port(); }

  asio::io_context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> guard{ctx.get_executor()};  // after ctx
  std::unique_ptr<redis_sio_server> io;
  std::atomic<int> errors{0};
  std::thread thread;
  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  bool stopped = false;
};

/// Waits until the integer that `command` (PUBSUB NUMSUB/SHARDNUMSUB <channel>) answers second is
/// `n`. Polls Redis, bounded.
inline bool wait_count(const redis_process& redis, const std::vector<std::string>& command, long long n,
                       std::chrono::milliseconds limit = 10s) {
  asio::io_context io;
  auto conn = sio::redis::connection::create(io.get_executor(), sio::redis::url::parse(redis.url()));
  conn->start();
  std::vector<std::string_view> args(command.begin(), command.end());
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool ok = false;
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    bool answered = false;
    conn->command(args, [&](std::error_code ec, sio::redis::reply r) {
      answered = true;
      ok = !ec && r.is_array() && r.elements().size() == 2 && r.elements()[1].integer() == n;
    });
    while (!answered && std::chrono::steady_clock::now() < deadline) io.run_one_for(20ms);
    if (!ok) std::this_thread::sleep_for(20ms);  // between polls, not to wait for an event
  }
  conn->close();
  io.run_for(100ms);
  return ok;
}

inline bool is_event(const std::string& p, const std::string& name) { return p.rfind("2[\"" + name + "\"", 0) == 0; }

/// A client that acknowledges every event with its own name.
inline test_client::responder acks_with(std::string name) {
  return [name](const std::string& p) -> std::string {
    if (p.rfind("2", 0) != 0) return "";
    std::string id = p.substr(1, p.find('[') - 1);
    return id.empty() ? "" : "3" + id + "[\"" + name + "\"]";
  };
}

}  // namespace sio_test
