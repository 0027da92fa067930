#pragma once
// sio::ack_sender: the acknowledgement callback a handler receives when the client asked for one
// (the last argument of a JavaScript handler). Calling it sends the ACK packet once; later calls
// are ignored. Thread safety: callable from any thread, also after the handler returned.
#include <atomic>
#include <cstdint>
#include <memory>

#include "sio/arguments.hpp"

namespace sio {

namespace detail {
class socket_state;
}

class ack_sender {
 public:
  ack_sender() = default;
  /// Acknowledges with these values (converted with sio::to_value; a moved sio::value is not copied).
  template <class... A>
  void operator()(A&&... args) const {
    send(arguments::of(std::forward<A>(args)...));
  }
  /// One value written as a literal: ack({{"ok", true}}).
  void operator()(value arg) const { send(arguments::of(std::move(arg))); }
  /// Acknowledges with arguments as they are (e.g. echoing what came in).
  void send(arguments args) const;
  /// True when the client asked for an acknowledgement.
  explicit operator bool() const noexcept { return state_ != nullptr; }
  bool sent() const noexcept { return state_ && state_->sent.load(); }

 private:
  friend class detail::socket_state;
  struct state {
    state() = default;
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state();  ///< an ack never sent is given up: its socket stops waiting for it (drain)
    std::weak_ptr<detail::socket_state> owner;
    std::uint64_t id = 0;
    std::atomic<bool> sent{false};
  };
  ack_sender(std::weak_ptr<detail::socket_state> owner, std::uint64_t id) : state_(std::make_shared<state>()) {
    state_->owner = std::move(owner);
    state_->id = id;
  }
  std::shared_ptr<state> state_;
};

}  // namespace sio
