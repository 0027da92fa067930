#pragma once
// The Engine.IO heartbeat of one session: the server pings every ping_interval and expects a pong
// within ping_timeout. This holds the timer and the ping/pong state; the session sends the ping
// and closes on a timeout (session.hpp). Every call is made on the session's strand.
#include <chrono>
#include <cstdint>
#include <system_error>
#include <utility>

#include <asio.hpp>

#include "sio/transport/strand_pool.hpp"

namespace sio::engine {

class heartbeat {
 public:
  explicit heartbeat(const transport::strand_type& strand) : timer_(strand) {}

  /// Calls `due(generation)` after `after`, unless the timer is cancelled. A wait that was armed
  /// again or stopped still calls back if its time had come: the owner, once it knows it is still
  /// alive, asks current(generation) before acting.
  template <class Handler>
  void arm(std::chrono::milliseconds after, Handler due) {
    timer_.expires_after(after);
    std::uint64_t generation = ++generation_;
    timer_.async_wait([generation, due = std::move(due)](std::error_code ec) mutable {
      if (!ec) due(generation);
    });
  }
  bool current(std::uint64_t generation) const noexcept { return generation_ == generation; }

  /// A ping was queued: a pong is awaited.
  void ping_sent() noexcept {
    awaiting_pong_ = true;
    pong_grace_used_ = false;
  }
  /// A pong came. True if one was awaited.
  bool pong_received() noexcept { return std::exchange(awaiting_pong_, false); }
  bool awaiting_pong() const noexcept { return awaiting_pong_; }
  /// Incoming data other than a pong while a pong is awaited is a sign of life: true the first
  /// time, when the owner gives the pong one more ping_timeout (as the reference does).
  bool grant_grace() noexcept {
    if (!awaiting_pong_ || pong_grace_used_) return false;
    pong_grace_used_ = true;
    return true;
  }

  /// Ends the heartbeat: a wait already due finds its generation stale.
  void stop() {
    timer_.cancel();
    ++generation_;
  }
  /// Once stopped, the timer measures a closing session's close_timeout.
  template <class Handler>
  void wait_closing(std::chrono::milliseconds after, Handler done) {
    timer_.expires_after(after);
    timer_.async_wait(std::move(done));
  }
  void cancel() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  bool awaiting_pong_ = false;
  bool pong_grace_used_ = false;
};

}  // namespace sio::engine
