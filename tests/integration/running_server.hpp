#pragma once
// What the in-process tests with real sockets share (tests/integration, tests/metrics, tests/redis):
// a server on 127.0.0.1:0 whose io_context runs on threads of its own until the fixture ends, and
// a bounded wait for a condition that server-side handlers set.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <sio/server.hpp>

namespace sio_test {

using namespace std::chrono_literals;

/// A server on 127.0.0.1:0 whose io_context runs on `threads` threads until the fixture ends.
template <class Server = sio::server<>>
struct basic_running_server {
  explicit basic_running_server(sio::server_options opts = {}, int threads = 2) : io(ctx, std::move(opts)), guard(ctx.get_executor()) {
    this->threads = threads;
  }
  void start() {
    io.listen(0, "127.0.0.1");
    for (int i = 0; i < threads; ++i)
      pool.emplace_back([this] {
        ctx.run();
        std::lock_guard<std::mutex> lock(mutex);
        ++finished;
        done.notify_all();
      });
  }
  /// io.close(), then the io_context must run out of work by itself (no ctx.stop()): sessions,
  /// timers and connections all end. Returns false if it did not within the time limit.
  bool shut_down(std::chrono::milliseconds limit = 10s) {
    if (stopped) return true;
    stopped = true;
    io.close();
    guard.reset();
    std::unique_lock<std::mutex> lock(mutex);
    bool drained = done.wait_for(lock, limit, [this] { return finished == static_cast<int>(pool.size()); });
    lock.unlock();
    if (!drained) ctx.stop();
    for (auto& t : pool) t.join();
    return drained;
  }
  ~basic_running_server() { shut_down(); }
  unsigned short port() const { return io.port(); }

  asio::io_context ctx;
  Server io;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::vector<std::thread> pool;
  int threads = 2;
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0;
  bool stopped = false;
};
using running_server = basic_running_server<>;

/// Waits (bounded) for a condition set by server-side handlers.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace sio_test
