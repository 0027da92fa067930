#pragma once
// sio::namespace_: a Socket.IO namespace ("/" or "/chat", or a dynamic one), what io.of(...)
// returns. A handle: copyable, cheap (one shared_ptr), every copy the same namespace; it stays
// valid as long as it is held. (`namespace` is a C++ keyword, hence the trailing underscore.)
//
// Example:
//   asio::io_context ctx;
//   sio::server<> io{ctx};
//   auto chat = io.of("/chat");
//   chat.use([](sio::socket s, sio::connect_next next) { next(); });
//   chat.on_connection([chat](sio::socket s) { chat.emit("joined", s.id()); });
//
// Thread safety: configure (on_connection, use, on_server_side_event) before clients arrive;
// emit, the operators (to, in, except, volatile_, ...), fetch_sockets, sockets, sockets_join/leave,
// disconnect_sockets and server_side_emit(_with_ack) are callable from any thread.
//
// Exceptions: a middleware that throws before calling next() refuses the socket (CONNECT_ERROR
// "Internal server error"); one that throws after it, or a connection handler that throws, is
// reported and the socket kept or disconnected as server_options::after_handler_error says.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "sio/broadcast_operator.hpp"
#include "sio/detail/namespace_state.hpp"
#include "sio/handlers.hpp"
#include "sio/remote_socket.hpp"
#include "sio/socket.hpp"

namespace sio {

class namespace_ {
 public:
  /// The name ("/chat"); for a dynamic namespace's children, the name the client asked for.
  const std::string& name() const noexcept { return state_->name(); }

  /// nsp.on("connection", fn): called on the socket's strand once it passed the middleware.
  const namespace_& on_connection(connection_handler fn) const {
    state_->on_connection(std::move(fn));
    return *this;
  }
  /// nsp.use(fn): call next() to accept, next(connect_error{...}) to refuse; it may call next
  /// later, from any thread. Calls of next after the first are ignored.
  const namespace_& use(middleware fn) const {
    state_->use(std::move(fn));
    return *this;
  }

  broadcast_operator to(const room_id& room) const { return state_->all().to(room); }
  broadcast_operator in(const room_id& room) const { return state_->all().to(room); }
  broadcast_operator except(const room_id& room) const { return state_->all().except(room); }
  broadcast_operator volatile_() const { return state_->all().volatile_(); }
  broadcast_operator local() const { return state_->all().local(); }
  broadcast_operator compress(bool on) const { return state_->all().compress(on); }
  broadcast_operator timeout(std::chrono::milliseconds ms) const { return state_->all().timeout(ms); }

  /// To every socket of the namespace.
  template <class... A>
  void emit(std::string_view event, A&&... args) const {
    state_->all().emit(event, std::forward<A>(args)...);
  }
  /// One argument written as a literal: emit("m", {{"from", nick}}).
  void emit(std::string_view event, value arg) const { state_->all().emit(event, std::move(arg)); }
  template <class... A>
  void send(A&&... args) const {
    state_->all().emit("message", std::forward<A>(args)...);
  }
  /// To every socket, collecting their acknowledgements (see broadcast_operator::emit_with_ack).
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) const {
    return state_->all().emit_with_ack(event, std::forward<A>(args_then_token)...);
  }

  /// io.fetchSockets(): the namespace's sockets on every server (see broadcast_operator).
  template <class Token>
  auto fetch_sockets(Token&& token) const {
    return state_->all().fetch_sockets(std::forward<Token>(token));
  }
  /// nsp.adapter.allRooms() / serverCount(): the rooms and the servers of the whole cluster.
  template <class Token>
  auto fetch_all_rooms(Token&& token) const {
    return state_->all().fetch_all_rooms(std::forward<Token>(token));
  }
  template <class Token>
  auto fetch_server_count(Token&& token) const {
    return state_->all().fetch_server_count(std::forward<Token>(token));
  }
  /// The namespace's sockets on this server, at once.
  std::vector<socket> sockets() const { return state_->all().sockets(); }
  void sockets_join(const std::vector<room_id>& rooms) const { state_->all().sockets_join(rooms); }
  void sockets_leave(const std::vector<room_id>& rooms) const { state_->all().sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) const { state_->all().disconnect_sockets(close); }
  /// How many sockets are connected to it (nsp.sockets.size).
  std::size_t socket_count() const { return state_->socket_count(); }

  /// io.serverSideEmit: to the other servers of a cluster (through the adapter), never to clients.
  template <class... A>
  void server_side_emit(const std::string& event, const A&... args) const {
    state_->server_side_emit(event, arguments::of(args...).values());
  }
  /// io.serverSideEmitWithAck: the same, and the token gets (error_code, std::vector<value>): one
  /// reply per other server, or errc::ack_timeout with the replies that came within the adapter's
  /// request timeout. One process: no other server, so no replies, at once.
  template <class... A>
  auto server_side_emit_with_ack(const std::string& event, A&&... args_then_token) const {
    return state_->all().server_side_emit_with_ack(event, std::forward<A>(args_then_token)...);
  }
  /// What other servers send with server_side_emit (io.on(event) on the receiving side).
  const namespace_& on_server_side_event(std::function<void(const std::string& event, arguments args)> fn) const {
    state_->on_server_side_event(
        [fn = std::move(fn)](const std::string& event, arguments args, std::function<void(value)>) { fn(event, std::move(args)); });
    return *this;
  }
  /// The same, answering server_side_emit_with_ack: call `reply` once with the answer (for an
  /// event sent without ack, reply does nothing).
  const namespace_& on_server_side_event(server_side_handler fn) const {
    state_->on_server_side_event(std::move(fn));
    return *this;
  }

  friend bool operator==(const namespace_& a, const namespace_& b) noexcept { return a.state_ == b.state_; }
  friend bool operator!=(const namespace_& a, const namespace_& b) noexcept { return a.state_ != b.state_; }

 private:
  friend struct detail::namespace_access;
  explicit namespace_(std::shared_ptr<detail::namespace_state> state) noexcept : state_(std::move(state)) {}

  std::shared_ptr<detail::namespace_state> state_;
};

namespace detail {
/// The library's way between a namespace handle and the object behind it.
struct namespace_access {
  static namespace_ make(std::shared_ptr<namespace_state> n) noexcept { return namespace_{std::move(n)}; }
  static const std::shared_ptr<namespace_state>& state(const namespace_& n) noexcept { return n.state_; }
};
}  // namespace detail

}  // namespace sio
