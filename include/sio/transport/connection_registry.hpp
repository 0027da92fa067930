#pragma once
// The connections a listener has started, so that closing the server can end the idle ones (a
// keep-alive connection between requests would otherwise keep io_context::run going until its
// idle timeout). Thread safety: any thread.
#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sio::transport {

/// What the registry asks of a connection.
class closable_connection {
 public:
  virtual ~closable_connection() = default;
  /// Ends the connection now if it is between requests, after its answer otherwise.
  virtual void close_if_idle() = 0;
};

class connection_registry {
 public:
  void add(const std::shared_ptr<closable_connection>& c) {
    std::lock_guard<std::mutex> lock(mutex_);
    live_[c.get()] = c;
  }
  void remove(closable_connection* c) {
    std::lock_guard<std::mutex> lock(mutex_);
    live_.erase(c);
  }
  /// From now on every connection closes as soon as it is idle.
  void close_all_idle() {
    std::vector<std::shared_ptr<closable_connection>> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_.store(true);
      all.reserve(live_.size());
      for (auto& [raw, weak] : live_)
        if (auto c = weak.lock()) all.push_back(std::move(c));
    }
    for (auto& c : all) c->close_if_idle();
  }
  bool closing() const noexcept { return closing_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<closable_connection*, std::weak_ptr<closable_connection>> live_;
  std::atomic<bool> closing_{false};
};

}  // namespace sio::transport
