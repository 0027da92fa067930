#pragma once
// sio::socket: one client's connection to one namespace (socket in the JavaScript server). A
// handle: copy it, capture it in handlers, keep it in sets and maps (==, <, std::hash); every
// copy is the same socket. Copying costs one shared_ptr copy; calls cost what the object behind
// it costs. A default-constructed socket is empty (false in a condition) and may only be
// assigned to or compared.
//
// Example:
//   asio::io_context ctx;
//   sio::server<> io{ctx};
//   io.on_connection([](sio::socket s) {
//     s.on("join", [s](std::string room, sio::ack_sender ack) { s.join(room); ack(true); });
//     s.on_disconnect([](sio::disconnect_reason r) { /* ... */ });
//   });
//
// Thread safety: a socket is driven by the strand of its Engine.IO session; its handlers (on,
// on_any, middleware, on_disconnect, ...) run there. emit, emit_with_ack, send, join, leave,
// rooms, to/in/except/broadcast, disconnect, the handler registrations and the ack senders may
// be called from any thread: what must happen on the strand is posted there. id(), handshake(),
// nsp() and connected() may be read anywhere. data<T>() is the exception: it hands out a
// reference, so it may only be called on the strand (in the socket's handlers and middleware);
// elsewhere it throws sio::usage_error, and with_data<T>(fn) posts fn there instead.
//
// Exceptions: whatever a handler, middleware, conversion or ack callback throws is caught where
// sio called it, reported to server_options::on_handler_error, and the socket is then kept or
// disconnected as server_options::after_handler_error says (see options.hpp).
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sio/broadcast_operator.hpp"
#include "sio/detail/socket_state.hpp"
#include "sio/fwd.hpp"
#include "sio/handlers.hpp"

namespace sio {

class socket {
 public:
  class emitter;

  /// An empty handle (no socket); handlers always receive a real one.
  socket() = default;

  /// The socket's id, also the name of the room only it is in.
  const std::string& id() const noexcept { return state_->id(); }
  /// What the server knew about the client when it connected (socket.handshake).
  const handshake_info& handshake() const noexcept { return state_->handshake(); }
  /// True from the connection handler until the socket disconnects.
  bool connected() const noexcept { return state_->connected(); }
  /// True when connection state recovery restored this socket (socket.recovered): same id, rooms
  /// and data as before the connection dropped, and the packets it missed were sent before any new
  /// one. Set before the connection handlers run.
  bool recovered() const noexcept { return state_->recovered(); }
  /// The namespace the socket belongs to (socket.nsp).
  namespace_ nsp() const;
  /// The Engine.IO connection under the socket (socket.conn): its transport, upgrade and close
  /// events, and close().
  connection conn() const;

  /// Per-socket storage of the user's type (socket.data), created (default-constructed) on first
  /// use. T is fixed by that first use: data<U>() with another type throws sio::data_type_error,
  /// naming both. T converts to and from sio::value (sio::to_value / from_value, or to_json /
  /// from_json for your own types): that is how the data travels where the socket is seen
  /// from elsewhere (fetch_sockets across servers, connection state recovery, the Admin UI).
  /// On the socket's strand only (its handlers and middleware): the reference is not
  /// synchronised. Elsewhere it throws sio::usage_error; use with_data.
  template <class T>
  T& data() const {
    return state_->template data<T>();
  }
  /// Runs fn(T&) with the socket's data on its strand: at once when called there, else posted.
  /// What fn throws (a data_type_error too) is reported as an event_handler error.
  template <class T, class F>
  void with_data(F&& fn) const {
    state_->on_strand([s = state_, fn = std::forward<F>(fn)]() mutable {
      try {
        fn(s->template data<T>());
      } catch (...) {
        s->user_code_failed(error_source::event_handler, "with_data", std::current_exception());
      }
    });
  }

  /// Listens to an event: the handler's parameters are converted from the event's arguments
  /// (sio::arguments takes them all; a last sio::ack_sender parameter acknowledges).
  template <class F>
  const socket& on(std::string event, F&& handler) const {
    state_->on(std::move(event), std::forward<F>(handler), false);
    return *this;
  }
  /// The same, removed after its first call.
  template <class F>
  const socket& once(std::string event, F&& handler) const {
    state_->on(std::move(event), std::forward<F>(handler), true);
    return *this;
  }
  /// Removes every listener of `event`.
  const socket& off(const std::string& event) const {
    state_->off(event);
    return *this;
  }
  /// Called with every incoming event before its listeners.
  const socket& on_any(any_handler fn) const {
    state_->on_any(std::move(fn));
    return *this;
  }
  const socket& prepend_any(any_handler fn) const {
    state_->prepend_any(std::move(fn));
    return *this;
  }
  const socket& off_any() const {
    state_->off_any();
    return *this;
  }
  /// Called with every event this socket emits.
  const socket& on_any_outgoing(any_handler fn) const {
    state_->on_any_outgoing(std::move(fn));
    return *this;
  }
  /// Packet middleware (socket.use), run for every incoming event before on_any and listeners.
  const socket& use(packet_middleware fn) const {
    state_->use(std::move(fn));
    return *this;
  }
  /// Errors from packet middleware (sio::middleware_error) and from arguments that do not convert
  /// to a handler's types (sio::conversion_error: index(), expected(), received(), event()). `fn`
  /// takes a const std::exception& (dynamic_cast it for the details), or a const std::string&
  /// for the message alone.
  template <class F>
  const socket& on_error(F&& fn) const {
    if constexpr (std::is_invocable_v<F&, const std::exception&>)
      state_->on_error(error_handler{std::forward<F>(fn)});
    else
      state_->on_error([fn = std::forward<F>(fn)](const std::exception& e) mutable { fn(std::string{e.what()}); });
    return *this;
  }
  const socket& on_disconnect(disconnect_handler fn) const {
    state_->on_disconnect(std::move(fn));
    return *this;
  }
  /// Before the socket leaves its rooms (they are still visible to rooms()).
  const socket& on_disconnecting(disconnect_handler fn) const {
    state_->on_disconnecting(std::move(fn));
    return *this;
  }
  /// Runs each time everything queued for this socket's client has been handed to the transport
  /// (the JavaScript server has it only on the engine socket, socket.conn.on("drain")). A
  /// sender that waits for it never makes the client a slow consumer.
  const socket& on_drain(std::function<void()> fn) const {
    state_->on_drain(std::move(fn));
    return *this;
  }

  /// Sends an event. Arguments passed as rvalues (a sio::value, sio::arguments) are moved, others copied.
  /// On the socket's strand (in its handlers) it returns what became of the packet; elsewhere it
  /// is posted there and returns emit_status::posted, unless the last argument is a completion
  /// token for void(sio::emit_status) (a callback, asio::use_future, asio::use_awaitable), which
  /// then hears the outcome. Beyond the JavaScript server, whose emit says nothing.
  template <class... A>
  auto emit(std::string_view event, A&&... args) const {
    if constexpr (detail::last_is_emit_token<A...>())
      return state_->emit_reporting(false, event, std::forward_as_tuple(std::forward<A>(args)...),
                                    std::make_index_sequence<sizeof...(A) - 1>{});
    else
      return state_->emit_arguments(event, arguments::of(std::forward<A>(args)...), false);
  }
  /// One argument written as a literal: s.emit("welcome", {{"id", s.id()}, {"rooms", {"a", "b"}}})
  /// (a braced list has no type a template could deduce).
  emit_status emit(std::string_view event, value arg) const { return state_->emit_arguments(event, arguments::of(std::move(arg)), false); }
  /// emit("message", ...).
  template <class... A>
  auto send(A&&... args) const {
    return emit("message", std::forward<A>(args)...);
  }
  /// Emits and waits for the client's acknowledgement. The last argument is an Asio completion
  /// token for the signature void(std::error_code, sio::arguments): a callback, asio::use_future,
  /// or asio::use_awaitable. Without timeout() it waits until the socket disconnects. Errors:
  /// errc::ack_timeout, errc::socket_disconnected, and errc::too_many_pending_acks at once (the
  /// packet is not sent) when the socket already waits for max_pending_acks acknowledgements.
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) const {
    return state_->emit_with_ack_in(std::nullopt, event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                                    std::make_index_sequence<sizeof...(A) - 1>{});
  }

  /// socket.timeout(ms).emit_with_ack(...): the ack fails with errc::ack_timeout after `ms`.
  emitter timeout(std::chrono::milliseconds ms) const;
  /// socket.volatile_().emit(...): dropped when the transport cannot take it now.
  emitter volatile_() const;
  emitter compress(bool on) const;

  /// Joins a room, or several (all or none). False, and nothing joined, when that would put the
  /// socket in more than server_options::max_rooms_per_socket rooms, or once it has disconnected.
  bool join(const room_id& room) const { return state_->join(std::vector<room_id>{room}); }
  bool join(const std::vector<room_id>& rooms) const { return state_->join(rooms); }
  void leave(const room_id& room) const { state_->leave(room); }
  std::vector<room_id> rooms() const { return state_->rooms(); }

  /// socket.to(room) and friends leave the sender out, as in JavaScript.
  broadcast_operator to(const room_id& room) const { return broadcast().to(room); }
  broadcast_operator in(const room_id& room) const { return broadcast().to(room); }
  broadcast_operator except(const room_id& room) const { return broadcast().except(room); }
  /// Every socket of the namespace but this one.
  broadcast_operator broadcast() const { return state_->broadcast(); }

  /// Disconnects from this namespace (the client gets a DISCONNECT and does not reconnect);
  /// with close = true the whole connection is closed.
  void disconnect(bool close = false) const { state_->disconnect(close); }

  /// False for a default-constructed socket.
  explicit operator bool() const noexcept { return state_ != nullptr; }
  friend bool operator==(const socket& a, const socket& b) noexcept { return a.state_ == b.state_; }
  friend bool operator!=(const socket& a, const socket& b) noexcept { return a.state_ != b.state_; }
  friend bool operator<(const socket& a, const socket& b) noexcept { return std::less<>{}(a.state_, b.state_); }

 private:
  friend struct detail::socket_access;
  explicit socket(std::shared_ptr<detail::socket_state> state) noexcept : state_(std::move(state)) {}

  std::shared_ptr<detail::socket_state> state_;
};

/// A socket with emit flags (timeout, volatile, compress); a value, like the JavaScript
/// server's chained flags, but without mutating the socket.
class socket::emitter {
 public:
  emitter timeout(std::chrono::milliseconds ms) const {
    emitter e = *this;
    e.timeout_ = ms;
    return e;
  }
  emitter volatile_() const {
    emitter e = *this;
    e.volatile_flag_ = true;
    return e;
  }
  emitter compress(bool) const { return *this; }
  template <class... A>
  auto emit(std::string_view event, A&&... args) const {
    if constexpr (detail::last_is_emit_token<A...>())
      return state_->emit_reporting(volatile_flag_, event, std::forward_as_tuple(std::forward<A>(args)...),
                                    std::make_index_sequence<sizeof...(A) - 1>{});
    else
      return state_->emit_arguments(event, arguments::of(std::forward<A>(args)...), volatile_flag_);
  }
  emit_status emit(std::string_view event, value arg) const {
    return state_->emit_arguments(event, arguments::of(std::move(arg)), volatile_flag_);
  }
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) const {
    return state_->emit_with_ack_in(timeout_, event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                                    std::make_index_sequence<sizeof...(A) - 1>{});
  }

 private:
  friend class socket;
  explicit emitter(std::shared_ptr<detail::socket_state> s) : state_(std::move(s)) {}

  std::shared_ptr<detail::socket_state> state_;
  std::optional<std::chrono::milliseconds> timeout_;
  bool volatile_flag_ = false;
};

inline socket::emitter socket::timeout(std::chrono::milliseconds ms) const { return emitter{state_}.timeout(ms); }
inline socket::emitter socket::volatile_() const { return emitter{state_}.volatile_(); }
inline socket::emitter socket::compress(bool on) const { return emitter{state_}.compress(on); }

namespace detail {
/// The library's way between a socket handle and the object behind it.
struct socket_access {
  static socket make(std::shared_ptr<socket_state> s) noexcept { return socket{std::move(s)}; }
  static const std::shared_ptr<socket_state>& state(const socket& s) noexcept { return s.state_; }
};
}  // namespace detail

}  // namespace sio

template <>
struct std::hash<sio::socket> {
  std::size_t operator()(const sio::socket& s) const noexcept {
    return std::hash<std::shared_ptr<sio::detail::socket_state>>{}(sio::detail::socket_access::state(s));
  }
};
