#pragma once
// sio::admin_ui::in_memory_session_store: the default login session store, for one server. Unlike
// Node's (which never forgets), a session expires after its duration and the store holds at most
// `max_sessions`: past that, the oldest session is forgotten.
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sio/admin_ui.hpp"

namespace sio::admin_ui {

class in_memory_session_store : public session_store {
 public:
  using clock = std::chrono::steady_clock;
  explicit in_memory_session_store(std::chrono::seconds duration = std::chrono::seconds{86400}, std::size_t max_sessions = 10000)
      : duration_(duration), max_sessions_(max_sessions) {}

  void save(const std::string& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto now = clock::now();
    expire(now);
    while (!order_.empty() && sessions_.size() >= max_sessions_) {
      sessions_.erase(order_.front().second);
      order_.pop_front();
    }
    if (sessions_.emplace(id, now + duration_).second) order_.emplace_back(now + duration_, id);
  }
  void exists(const std::string& id, std::function<void(bool)> done) override {
    bool found = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = sessions_.find(id);
      found = it != sessions_.end() && it->second > clock::now();
    }
    done(found);
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
  }

 private:
  /// Sessions expire in the order they were saved (one duration for all).
  void expire(clock::time_point now) {
    while (!order_.empty() && order_.front().first <= now) {
      sessions_.erase(order_.front().second);
      order_.pop_front();
    }
  }

  const std::chrono::seconds duration_;
  const std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, clock::time_point> sessions_;
  std::deque<std::pair<clock::time_point, std::string>> order_;
};

}  // namespace sio::admin_ui
