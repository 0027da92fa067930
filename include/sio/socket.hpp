#pragma once
// sio::socket: one client's connection to one namespace (a Socket.IO socket), and socket_ref, the
// handle handlers receive.
//
// Thread safety: emit, emit_with_ack, join, leave, disconnect and the ack senders may be called
// from any thread; they post to the socket's strand (the strand of its Engine.IO session). Handlers
// (on, on_any, on_disconnect, ...) run on that strand. Registering handlers is meant for the
// connection handler, which already runs there; from elsewhere it is posted too.
//
// Exceptions: whatever a handler, middleware, conversion or ack callback throws is caught where
// sio called it, reported to server_options::on_handler_error, and the socket is then kept or
// disconnected as server_options::after_handler_error says (see options.hpp).
#include <any>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
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
#include "sio/options.hpp"
#include "sio/parser/packet.hpp"

namespace sio {

/// Middleware for incoming packets (socket.use): `event[0]` is the event name. Call next() to go
/// on, next("message") to drop the packet and report the error to on_error.
using packet_middleware = std::function<void(arguments& event, std::function<void(std::optional<std::string> error)> next)>;
using any_handler = std::function<void(const std::string& event, const arguments& args)>;
using disconnect_handler = std::function<void(disconnect_reason)>;
using ack_handler = std::function<void(std::error_code, arguments)>;

namespace detail {
/// Whether the last argument of an emit is a completion token for void(emit_status): a callable
/// taking an emit_status, asio::use_future, or asio::use_awaitable.
template <class T, class = void>
struct is_emit_token : std::is_invocable<std::decay_t<T>, emit_status> {};
template <class Alloc>
struct is_emit_token<asio::use_future_t<Alloc>> : std::true_type {};
#if defined(ASIO_HAS_CO_AWAIT)
template <class Executor>
struct is_emit_token<asio::use_awaitable_t<Executor>> : std::true_type {};
#endif
template <class... A>
constexpr bool last_is_emit_token() {
  if constexpr (sizeof...(A) == 0) return false;
  else return is_emit_token<std::decay_t<std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>>>::value;
}
}  // namespace detail

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
  /// Runs each time everything queued for this socket's client has been handed to the transport
  /// (the JavaScript server has it only on the engine socket, socket.conn.on("drain")). A
  /// sender that waits for it never makes the client a slow consumer.
  socket& on_drain(std::function<void()> fn);

  /// Sends an event. Arguments passed as rvalues (a sio::value, sio::arguments) are moved, others copied.
  /// On the socket's strand (in its handlers) it returns what became of the packet; elsewhere it
  /// is posted there and returns emit_status::posted, unless the last argument is a completion
  /// token for void(sio::emit_status) (a callback, asio::use_future, asio::use_awaitable), which
  /// then hears the outcome. Beyond the JavaScript server, whose emit says nothing.
  template <class... A>
  auto emit(std::string_view event, A&&... args) {
    if constexpr (detail::last_is_emit_token<A...>())
      return emit_reporting(false, event, std::forward_as_tuple(std::forward<A>(args)...),
                            std::make_index_sequence<sizeof...(A) - 1>{});
    else
      return emit_arguments(event, arguments::of(std::forward<A>(args)...), false);
  }
  template <class... A>
  void send(A&&... args) {
    emit("message", std::forward<A>(args)...);
  }
  /// Emits and waits for the client's acknowledgement. The last argument is an Asio completion
  /// token for the signature void(std::error_code, sio::arguments): a callback, asio::use_future,
  /// or asio::use_awaitable. Without timeout() it waits until the socket disconnects. Errors:
  /// errc::ack_timeout, errc::socket_disconnected, and errc::too_many_pending_acks at once (the
  /// packet is not sent) when the socket already waits for max_pending_acks acknowledgements.
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

  /// Joins a room, or several (all or none). False, and nothing joined, when that would put the
  /// socket in more than server_options::max_rooms_per_socket rooms, or once it has disconnected.
  bool join(const room_id& room);
  bool join(const std::vector<room_id>& rooms);
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
  emit_status emit_arguments(std::string_view event, arguments args, bool is_volatile);
  void send_connect_reply();
  void handle_packet(parser::packet&& p);
  void handle_close(disconnect_reason reason);
  /// Sends an already encoded packet that asks for ack `id` (a broadcast's); any thread. `fn` gets
  /// socket_disconnected or too_many_pending_acks at once when it cannot be sent.
  void emit_frames_with_ack(std::uint64_t id, frame_list frames, bool is_volatile, ack_handler fn);
  void send_ack(std::uint64_t id, arguments args);
  const transport::strand_type& strand() const noexcept;
  client& owner() const noexcept { return *client_; }
  void mark_connected() noexcept { connected_ = true; }
  /// The socket will never be (or is no longer) in its namespace: refused, abandoned or closed.
  /// Leaves every room and lets the namespace count it out. Idempotent; on the strand.
  void abandon();
  /// User code called for this socket threw (or a conversion did): report it, then apply
  /// server_options::after_handler_error if the socket is connected. Any thread.
  void user_code_failed(error_source source, std::string_view event, std::exception_ptr error);
  /// Reports a limit this socket's client hit (no exception).
  void limit_hit(error_source source, std::string_view event, std::string message);

 private:
  struct handler_entry {
    std::shared_ptr<const detail::erased_handler> fn;  ///< shared: a running handler may remove itself
    bool once = false;
  };
  struct pending_ack {
    ack_handler fn;
    std::unique_ptr<asio::steady_timer> timer;
  };

  template <class T>
  using shared_list = std::shared_ptr<const std::vector<T>>;
  struct middleware_run;

  void add_handler(std::string event, detail::erased_handler fn, bool once);
  void dispatch_event(arguments&& args, std::optional<std::uint64_t> id);
  void run_middleware(std::size_t index, std::shared_ptr<middleware_run> run);
  void deliver_event(arguments&& args, std::optional<std::uint64_t> id);
  /// Calls one listener; false when the socket is gone afterwards (no further listener runs).
  bool run_listener(const detail::erased_handler& fn, const std::string& event, detail::event_call& call);
  void report_error(const std::string& message);
  void run_outgoing_handlers(const std::string& event, const arguments& args);
  bool take_event_token() noexcept;
  void over_event_rate(const parser::packet& p);
  const server_options& options() const noexcept;
  template <class Fn>
  void on_strand(Fn&& fn);

  /// A completion handler with what is needed to report its exceptions: one allocation.
  template <class Handler>
  struct ack_completion {
    Handler handler;
    std::weak_ptr<socket> owner;
    std::string event;
    void operator()(std::error_code ec, arguments a) {
      try {
        handler(ec, std::move(a));
      } catch (...) {
        if (auto s = owner.lock()) s->user_code_failed(error_source::ack_callback, event, std::current_exception());
      }
    }
  };

  /// emit with a completion token for void(emit_status) as its last argument.
  template <class Tuple, std::size_t... I>
  auto emit_reporting(bool is_volatile, std::string_view event, Tuple&& tuple, std::index_sequence<I...>) {
    arguments args = arguments::of(std::forward<std::tuple_element_t<I, std::decay_t<Tuple>>>(std::get<I>(tuple))...);
    auto&& token = std::get<sizeof...(I)>(tuple);
    return asio::async_initiate<decltype(token), void(emit_status)>(
        [self = shared_from_this(), is_volatile, event = std::string{event}](auto handler, arguments args) mutable {
          self->on_strand([self, is_volatile, event = std::move(event), args = std::move(args),
                           handler = std::move(handler)]() mutable {
            emit_status st = self->emit_arguments(event, std::move(args), is_volatile);
            auto ex = asio::get_associated_executor(handler);
            asio::dispatch(ex, [handler = std::move(handler), st]() mutable { handler(st); });
          });
        },
        token, std::move(args));
  }

  template <class Tuple, std::size_t... I>
  auto emit_with_ack_in(std::optional<std::chrono::milliseconds> timeout, std::string_view event, Tuple&& tuple,
                        std::index_sequence<I...>) {
    arguments args = arguments::of(std::forward<std::tuple_element_t<I, std::decay_t<Tuple>>>(std::get<I>(tuple))...);
    auto&& token = std::get<sizeof...(I)>(tuple);
    return asio::async_initiate<decltype(token), void(std::error_code, arguments)>(
        [self = shared_from_this(), timeout, event = std::string{event}](auto handler, arguments args) mutable {
          using completion = ack_completion<decltype(handler)>;
          auto shared = std::make_shared<completion>(completion{std::move(handler), self, event});
          self->emit_with_ack_erased(std::move(event), std::move(args), timeout, [shared](std::error_code ec, arguments a) {
            auto ex = asio::get_associated_executor(shared->handler);
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
  bool closing_ = false;           ///< in handle_close: a disconnect from its handlers is not a second close
  bool holds_nsp_slot_ = true;     ///< counted in its namespace's occupants (see namespace_::reserve)
  std::atomic<bool> abandoned_{false};  ///< left its rooms for good: a later join undoes itself
  std::any data_;

  // Incoming event rate: a token bucket counted in steady_clock ticks. An event costs
  // event_interval_; the bucket holds at most event_capacity_ (the burst). It is refilled only
  // when it runs short, by the time passed since the last refill: the clock is read then, not
  // per event (120-160 ns a read on the benchmark's virtual machine, against ~7 us per echo).
  // 0 interval: no limit.
  std::int64_t event_interval_ = 0;
  std::int64_t event_capacity_ = 0;
  std::int64_t event_credit_ = 0;
  std::int64_t event_refilled_at_ = 0;

  std::unordered_map<std::string, std::vector<handler_entry>> handlers_;
  // Copied on write: a handler may add or remove handlers, or disconnect, while the list runs.
  shared_list<any_handler> any_handlers_;
  shared_list<any_handler> any_outgoing_handlers_;
  shared_list<packet_middleware> middleware_;
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
  auto emit(std::string_view event, A&&... args) const {
    if constexpr (detail::last_is_emit_token<A...>())
      return socket_->emit_reporting(volatile_flag_, event, std::forward_as_tuple(std::forward<A>(args)...),
                                     std::make_index_sequence<sizeof...(A) - 1>{});
    else
      return socket_->emit_arguments(event, arguments::of(std::forward<A>(args)...), volatile_flag_);
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
  auto emit(std::string_view event, A&&... args) const {
    return s_->emit(event, std::forward<A>(args)...);
  }
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... a) const {
    return s_->emit_with_ack(event, std::forward<A>(a)...);
  }
  socket::emitter timeout(std::chrono::milliseconds ms) const { return s_->timeout(ms); }
  socket::emitter volatile_() const { return s_->volatile_(); }
  bool join(const room_id& room) const { return s_->join(room); }
  bool join(const std::vector<room_id>& rooms) const { return s_->join(rooms); }
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
