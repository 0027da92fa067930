#pragma once
// sio::socket: one client's connection to one namespace (a Socket.IO socket), and socket_ref, the
// handle handlers receive.
//
// Thread safety: emit, emit_with_ack, join, leave, disconnect and the ack senders may be called
// from any thread; they post to the socket's strand (the strand of its Engine.IO session). Handlers
// (on, on_any, on_disconnect, ...) run on that strand. Registering handlers is meant for the
// connection handler, which already runs there; from elsewhere it is posted too.
#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "sio/ack.hpp"
#include "sio/adapter.hpp"
#include "sio/arguments.hpp"
#include "sio/detail/event_handler.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"
#include "sio/handshake.hpp"
#include "sio/engine/session.hpp"
#include "sio/parser/packet.hpp"

namespace sio {

/// Middleware for incoming packets (socket.use): `event[0]` is the event name. Call next() to go
/// on, next("message") to drop the packet and report the error to on_error.
using packet_middleware = std::function<void(arguments& event, std::function<void(std::optional<std::string> error)> next)>;
using any_handler = std::function<void(const std::string& event, const arguments& args)>;
using disconnect_handler = std::function<void(disconnect_reason)>;
using ack_handler = std::function<void(std::error_code, arguments)>;

class socket : public std::enable_shared_from_this<socket> {
 public:
  socket(std::shared_ptr<namespace_> nsp, std::shared_ptr<client> owner, std::string id, handshake_info hs);

  const std::string& id() const noexcept { return id_; }
  const handshake_info& handshake() const noexcept { return handshake_; }
  bool connected() const noexcept { return connected_; }
  /// "polling" or "websocket".
  std::string_view transport() const noexcept;
  namespace_& nsp() const noexcept { return *nsp_; }
  /// The underlying Engine.IO connection (socket.conn): conn().close() drops the transport
  /// without a Socket.IO DISCONNECT.
  engine::session& conn() const noexcept;
  /// Per-socket storage of the user's type (socket.data): created on first use.
  template <class T>
  T& data() {
    if (!data_.has_value()) data_.emplace<T>();
    return std::any_cast<T&>(data_);
  }

  template <class F>
  socket& on(std::string event, F&& handler) {
    add_handler(std::move(event), detail::make_event_handler(std::forward<F>(handler)), false);
    return *this;
  }
  template <class F>
  socket& once(std::string event, F&& handler) {
    add_handler(std::move(event), detail::make_event_handler(std::forward<F>(handler)), true);
    return *this;
  }
  socket& off(const std::string& event);
  socket& on_any(any_handler fn);
  socket& prepend_any(any_handler fn);
  socket& off_any();
  socket& on_any_outgoing(any_handler fn);
  socket& use(packet_middleware fn);
  socket& on_disconnect(disconnect_handler fn);
  socket& on_disconnecting(disconnect_handler fn);
  /// Errors from packet middleware and from arguments that do not convert to a handler's types.
  socket& on_error(std::function<void(const std::string&)> fn);

  template <class... A>
  void emit(std::string_view event, const A&... args) {
    emit_arguments(event, arguments::of(args...), false);
  }
  template <class... A>
  void send(const A&... args) {
    emit("message", args...);
  }
  /// Emits and waits for the client's acknowledgement. The last argument is an Asio completion
  /// token for the signature void(std::error_code, sio::arguments): a callback, asio::use_future,
  /// or asio::use_awaitable. Without timeout() it waits until the socket disconnects.
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) {
    return emit_with_ack_in(std::nullopt, event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                            std::make_index_sequence<sizeof...(A) - 1>{});
  }

  class emitter;
  /// socket.timeout(ms).emit_with_ack(...): the ack fails with errc::ack_timeout after `ms`.
  emitter timeout(std::chrono::milliseconds ms);
  /// socket.volatile_().emit(...): dropped when the transport cannot take it now.
  emitter volatile_();
  emitter compress(bool on);

  void join(const room_id& room);
  void join(const std::vector<room_id>& rooms);
  void leave(const room_id& room);
  std::vector<room_id> rooms() const;

  broadcast_operator to(const room_id& room) const;
  broadcast_operator in(const room_id& room) const;
  broadcast_operator except(const room_id& room) const;
  /// Every socket of the namespace but this one.
  broadcast_operator broadcast() const;

  /// Disconnects from this namespace (the client gets a DISCONNECT and does not reconnect);
  /// with close = true the whole connection is closed.
  void disconnect(bool close = false);

  // ---- used by the client and the namespace (on the strand) ----------------------------------
  void emit_arguments(std::string_view event, arguments args, bool is_volatile);
  void send_connect_reply();
  void handle_packet(parser::packet&& p);
  void handle_close(disconnect_reason reason);
  void expect_ack(std::uint64_t id, ack_handler fn, std::optional<std::chrono::milliseconds> timeout);
  void send_ack(std::uint64_t id, arguments args);
  const transport::strand_type& strand() const noexcept;
  client& owner() const noexcept { return *client_; }
  void mark_connected() noexcept { connected_ = true; }

 private:
  struct handler_entry {
    std::shared_ptr<const detail::erased_handler> fn;  ///< shared: a running handler may remove itself
    bool once = false;
  };
  struct pending_ack {
    ack_handler fn;
    std::unique_ptr<asio::steady_timer> timer;
  };

  void add_handler(std::string event, detail::erased_handler fn, bool once);
  void dispatch_event(arguments&& args, std::optional<std::uint64_t> id);
  void run_middleware(std::size_t index, std::shared_ptr<arguments> args, std::optional<std::uint64_t> id);
  void deliver_event(arguments&& args, std::optional<std::uint64_t> id);
  void report_error(const std::string& message);
  template <class Fn>
  void on_strand(Fn&& fn);

  template <class Tuple, std::size_t... I>
  auto emit_with_ack_in(std::optional<std::chrono::milliseconds> timeout, std::string_view event, Tuple&& tuple,
                        std::index_sequence<I...>) {
    arguments args = arguments::of(std::get<I>(tuple)...);
    auto&& token = std::get<sizeof...(I)>(tuple);
    return asio::async_initiate<decltype(token), void(std::error_code, arguments)>(
        [self = shared_from_this(), timeout, event = std::string{event}](auto handler, arguments args) mutable {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          self->emit_with_ack_erased(std::move(event), std::move(args), timeout, [shared](std::error_code ec, arguments a) {
            auto ex = asio::get_associated_executor(*shared);
            asio::dispatch(ex, [shared, ec, a = std::move(a)]() mutable { (*shared)(ec, std::move(a)); });
          });
        },
        token, std::move(args));
  }
  void emit_with_ack_erased(std::string event, arguments args, std::optional<std::chrono::milliseconds> timeout, ack_handler fn);

  std::shared_ptr<namespace_> nsp_;
  std::shared_ptr<client> client_;
  std::string id_;
  handshake_info handshake_;
  bool connected_ = false;
  std::any data_;

  std::unordered_map<std::string, std::vector<handler_entry>> handlers_;
  std::vector<any_handler> any_handlers_;
  std::vector<any_handler> any_outgoing_handlers_;
  std::vector<packet_middleware> middleware_;
  std::vector<disconnect_handler> on_disconnect_;
  std::vector<disconnect_handler> on_disconnecting_;
  std::function<void(const std::string&)> on_error_;
  std::unordered_map<std::uint64_t, pending_ack> acks_;

  friend class emitter;
};

/// A socket with emit flags (timeout, volatile, compress); a value, like the JavaScript
/// server's chained flags, but without mutating the socket.
class socket::emitter {
 public:
  emitter(std::shared_ptr<socket> s) : socket_(std::move(s)) {}
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
  void emit(std::string_view event, const A&... args) const {
    socket_->emit_arguments(event, arguments::of(args...), volatile_flag_);
  }
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) const {
    return socket_->emit_with_ack_in(timeout_, event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                                     std::make_index_sequence<sizeof...(A) - 1>{});
  }

 private:
  std::shared_ptr<socket> socket_;
  std::optional<std::chrono::milliseconds> timeout_;
  bool volatile_flag_ = false;
};

/// The handle connection handlers receive: copyable, cheap, keeps the socket alive.
class socket_ref {
 public:
  socket_ref() = default;
  socket_ref(std::shared_ptr<socket> s) noexcept : s_(std::move(s)) {}
  socket* operator->() const noexcept { return s_.get(); }
  socket& operator*() const noexcept { return *s_; }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  const std::shared_ptr<socket>& get() const noexcept { return s_; }

  const std::string& id() const noexcept { return s_->id(); }
  const handshake_info& handshake() const noexcept { return s_->handshake(); }
  bool connected() const noexcept { return s_->connected(); }
  std::string_view transport() const noexcept { return s_->transport(); }
  template <class T>
  T& data() const {
    return s_->data<T>();
  }
  template <class F>
  const socket_ref& on(std::string event, F&& f) const {
    s_->on(std::move(event), std::forward<F>(f));
    return *this;
  }
  template <class F>
  const socket_ref& once(std::string event, F&& f) const {
    s_->once(std::move(event), std::forward<F>(f));
    return *this;
  }
  const socket_ref& on_disconnect(disconnect_handler fn) const {
    s_->on_disconnect(std::move(fn));
    return *this;
  }
  const socket_ref& on_disconnecting(disconnect_handler fn) const {
    s_->on_disconnecting(std::move(fn));
    return *this;
  }
  template <class... A>
  void emit(std::string_view event, const A&... args) const {
    s_->emit(event, args...);
  }
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... a) const {
    return s_->emit_with_ack(event, std::forward<A>(a)...);
  }
  socket::emitter timeout(std::chrono::milliseconds ms) const { return s_->timeout(ms); }
  socket::emitter volatile_() const { return s_->volatile_(); }
  void join(const room_id& room) const { s_->join(room); }
  void leave(const room_id& room) const { s_->leave(room); }
  std::vector<room_id> rooms() const { return s_->rooms(); }
  broadcast_operator to(const room_id& room) const;
  broadcast_operator in(const room_id& room) const;
  broadcast_operator except(const room_id& room) const;
  broadcast_operator broadcast() const;
  void disconnect(bool close = false) const { s_->disconnect(close); }

  friend bool operator==(const socket_ref& a, const socket_ref& b) noexcept { return a.s_ == b.s_; }

 private:
  std::shared_ptr<socket> s_;
};

}  // namespace sio
