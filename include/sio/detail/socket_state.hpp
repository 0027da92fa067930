#pragma once
// sio::detail::socket_state: one client's connection to one namespace (a Socket.IO socket), the
// object behind the sio::socket handle. Users never see it: the handle (socket.hpp) offers the
// JavaScript API; what else is public here is for the client, the namespace and the broadcast
// operator. Everything runs on the strand of the socket's Engine.IO session unless a member
// says otherwise.
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
#include "sio/detail/replay_queue.hpp"
#include "sio/detail/socket_data.hpp"
#include "sio/engine/session.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"
#include "sio/handlers.hpp"
#include "sio/handshake.hpp"
#include "sio/options.hpp"
#include "sio/parser/packet.hpp"

namespace sio::detail {

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
  if constexpr (sizeof...(A) == 0)
    return false;
  else
    return is_emit_token<std::decay_t<std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>>>::value;
}

class socket_state : public std::enable_shared_from_this<socket_state> {
 public:
  socket_state(std::shared_ptr<namespace_state> nsp, std::shared_ptr<client> owner, std::string id, handshake_info hs);

  // ---- what the handle forwards (see socket.hpp for the documentation) -----------------------
  const std::string& id() const noexcept { return id_; }
  const handshake_info& handshake() const noexcept { return handshake_; }
  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
  const std::shared_ptr<namespace_state>& nsp() const noexcept { return nsp_; }
  const std::shared_ptr<client>& owner_ptr() const noexcept { return client_; }
  template <class T>
  T& data() {
    if (!strand().running_in_this_thread())
      throw usage_error("sio: socket.data<" + type_name(typeid(T)) +
                        ">() called off the socket's strand (outside its handlers); use socket.with_data<T>(fn)");
    return data_.template get<T>();
  }
  /// The data as a sio::value (null when there is none); on the strand.
  value data_value() const { return data_.to_value(); }
  /// Replaces the data by a value that the next data<T>() converts; on the strand.
  void restore_data(value v) { data_.assign(std::move(v)); }

  template <class F>
  void on(std::string event, F&& handler, bool once) {
    add_handler(std::move(event), detail::make_event_handler(std::forward<F>(handler)), once);
  }
  void off(const std::string& event);
  void on_any(any_handler fn);
  void prepend_any(any_handler fn);
  void off_any();
  void on_any_outgoing(any_handler fn);
  void use(packet_middleware fn);
  void on_disconnect(disconnect_handler fn);
  void on_disconnecting(disconnect_handler fn);
  void on_error(error_handler fn);
  void on_drain(std::function<void()> fn);
  /// Runs fn on the strand (at once when already there).
  template <class Fn>
  void on_strand(Fn&& fn);

  /// emit: returns what became of the packet on the strand, emit_status::posted elsewhere.
  emit_status emit_arguments(std::string_view event, arguments args, bool is_volatile);
  /// emit with a completion token for void(emit_status) as its last argument.
  template <class Tuple, std::size_t... I>
  auto emit_reporting(bool is_volatile, std::string_view event, Tuple&& tuple, std::index_sequence<I...>);
  template <class Tuple, std::size_t... I>
  auto emit_with_ack_in(std::optional<std::chrono::milliseconds> timeout, std::string_view event, Tuple&& tuple, std::index_sequence<I...>);

  bool join(const std::vector<room_id>& rooms);
  void leave(const room_id& room);
  std::vector<room_id> rooms() const;
  /// Every socket of the namespace but this one.
  broadcast_operator broadcast() const;
  void disconnect(bool close);

  /// socket.recovered: this socket is a session restored by connection state recovery.
  bool recovered() const noexcept { return recovered_; }

  // ---- used by the client and the namespace ------------------------------------------------
  /// Connection state recovery: the private id its CONNECT reply carries, and the session the
  /// client asked to restore (its CONNECT auth's pid and offset).
  void prepare_recovery(std::string pid, std::optional<std::pair<std::string, std::string>> restore_request) {
    pid_ = std::move(pid);
    restore_request_ = std::move(restore_request);
  }
  bool restore_requested() const noexcept { return restore_request_.has_value(); }
  /// The private id (empty: recovery off). Set before the socket is connected, then fixed.
  const std::string& pid() const noexcept { return pid_; }
  std::pair<std::string, std::string> take_restore_request() {
    auto r = std::move(*restore_request_);
    restore_request_.reset();
    return r;
  }
  /// Becomes the restored session (before it is connected): its id, pid and data; the adapter has
  /// put it in its rooms already.
  void adopt(const persisted_session& session);
  /// What this socket has still to write of its replay; set while it catches up. Read and
  /// changed under its namespace's lock (and on the strand for the changes).
  std::shared_ptr<replay_queue>& replay() noexcept { return replay_; }
  /// Writes the replay as fast as the connection drains; on the strand.
  void pump_replay();
  void send_connect_reply();
  void handle_packet(parser::packet&& p);
  void handle_close(disconnect_reason reason);
  /// Sends an already encoded packet that asks for ack `id` (a broadcast's); any thread. `fn` gets
  /// socket_disconnected or too_many_pending_acks at once when it cannot be sent.
  void emit_frames_with_ack(std::uint64_t id, frame_list frames, bool is_volatile, ack_handler fn);
  void send_ack(std::uint64_t id, arguments args);
  /// An ack the client asked for was dropped unsent by the application. Any thread.
  void ack_dropped();
  /// No ack pending either way: none the client owes, none owed to it. On the strand.
  bool acks_settled() const noexcept { return acks_.empty() && owed_acks_.load(std::memory_order_acquire) == 0; }
  const transport::strand_type& strand() const noexcept;
  client& owner() const noexcept { return *client_; }
  void mark_connected() noexcept { connected_.store(true, std::memory_order_release); }
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
  void report_error(const std::exception& error);
  void run_outgoing_handlers(const std::string& event, const arguments& args);
  bool take_event_token() noexcept;
  void over_event_rate(const parser::packet& p);
  const server_options& options() const noexcept;

  /// A completion handler with what is needed to report its exceptions: one allocation.
  template <class Handler>
  struct ack_completion {
    Handler handler;
    std::weak_ptr<socket_state> owner;
    std::string event;
    void operator()(std::error_code ec, arguments a) {
      try {
        handler(ec, std::move(a));
      } catch (...) {
        if (auto s = owner.lock()) s->user_code_failed(error_source::ack_callback, event, std::current_exception());
      }
    }
  };
  void emit_with_ack_erased(std::string event, arguments args, std::optional<std::chrono::milliseconds> timeout, ack_handler fn);
  /// Writes a packet of this socket's own (ack, disconnect, emit with ack): behind the replay while
  /// there is one.
  void write(const frame_list& frames, bool is_volatile);
  /// Keeps what a restore needs when the socket goes for a reason recovery covers.
  void persist(disconnect_reason reason);

  std::shared_ptr<namespace_state> nsp_;
  std::shared_ptr<client> client_;
  std::string id_;
  handshake_info handshake_;
  std::atomic<bool> connected_{false};  ///< written on the strand; socket.connected() reads it anywhere
  bool closing_ = false;                ///< in handle_close: a disconnect from its handlers is not a second close
  bool holds_nsp_slot_ = true;          ///< counted in its namespace's occupants (see namespace_state::reserve)
  std::atomic<bool> abandoned_{false};  ///< left its rooms for good: a later join undoes itself
  socket_data data_;
  std::string pid_;  ///< empty: recovery off
  std::optional<std::pair<std::string, std::string>> restore_request_;
  bool recovered_ = false;
  bool persisted_ = false;  ///< went away with its session kept: emits still reach the adapter
  std::shared_ptr<replay_queue> replay_;
  bool watching_drain_ = false;  ///< pump_replay's drain listener is registered

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
  error_handler on_error_;
  std::unordered_map<std::uint64_t, pending_ack> acks_;
  std::atomic<std::uint32_t> owed_acks_{0};  ///< asked for by the client, not yet sent
};

template <class Fn>
void socket_state::on_strand(Fn&& fn) {
  if (strand().running_in_this_thread()) return fn();
  asio::post(strand(), std::forward<Fn>(fn));
}

template <class Tuple, std::size_t... I>
auto socket_state::emit_reporting(bool is_volatile, std::string_view event, Tuple&& tuple, std::index_sequence<I...>) {
  arguments args = arguments::of(std::forward<std::tuple_element_t<I, std::decay_t<Tuple>>>(std::get<I>(tuple))...);
  auto&& token = std::get<sizeof...(I)>(tuple);
  return asio::async_initiate<decltype(token), void(emit_status)>(
      [self = shared_from_this(), is_volatile, event = std::string{event}](auto handler, arguments args) mutable {
        self->on_strand([self, is_volatile, event = std::move(event), args = std::move(args), handler = std::move(handler)]() mutable {
          emit_status st = self->emit_arguments(event, std::move(args), is_volatile);
          auto ex = asio::get_associated_executor(handler);
          asio::dispatch(ex, [handler = std::move(handler), st]() mutable { handler(st); });
        });
      },
      token, std::move(args));
}

template <class Tuple, std::size_t... I>
auto socket_state::emit_with_ack_in(std::optional<std::chrono::milliseconds> timeout, std::string_view event, Tuple&& tuple,
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

}  // namespace sio::detail
