#pragma once
// sio::detail::replay_queue: what a restored socket has still to write, in order: the packets it
// missed, then what was sent to it while it wrote them. Its namespace queues deliveries here
// instead of on the connection until the socket has caught up, so a new packet never overtakes a
// missed one; the socket writes from it as fast as its connection drains (a replay is paced, not
// taken for a slow consumer).
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "sio/adapter.hpp"

namespace sio::detail {

class replay_queue {
 public:
  /// `limit`: bytes of what may come meanwhile (the connection's max_buffered_bytes; 0: none).
  replay_queue(std::vector<kept_packet> missed, std::size_t limit) : limit_(limit) {
    for (auto& p : missed) queue_.push_back(entry{std::move(p.frames), 0});
  }

  /// A packet sent to the socket meanwhile. Volatile ones are dropped (the connection cannot take
  /// them now). False once what came meanwhile is over the limit: the client does not keep up
  /// with its live traffic, the caller treats it as a slow consumer.
  bool push(const frame_list& frames, bool is_volatile) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (is_volatile || overflowed_) return !overflowed_;
    std::size_t cost = 0;
    for (const auto& f : *frames) cost += f.bytes ? f.bytes->size() : 0;
    if (limit_ && live_bytes_ + cost > limit_) {
      overflowed_ = true;
      queue_.clear();
      return false;
    }
    live_bytes_ += cost;
    queue_.push_back(entry{frames, cost});
    return true;
  }

  /// The next packet to write, or null when none is left.
  frame_list pop() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty()) return nullptr;
    entry next = std::move(queue_.front());
    queue_.pop_front();
    live_bytes_ -= next.live_cost;
    return std::move(next.frames);
  }

  bool empty() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.empty();
  }

  bool overflowed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return overflowed_;
  }

 private:
  struct entry {
    frame_list frames;
    std::size_t live_cost;  ///< bytes counted in live_bytes_ (0 for a missed packet: the store bounds those)
  };
  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::deque<entry> queue_;
  std::size_t live_bytes_ = 0;  ///< what came meanwhile and is still queued
  bool overflowed_ = false;
};

}  // namespace sio::detail
