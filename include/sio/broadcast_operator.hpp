#pragma once
// sio::broadcast_operator: a selection of sockets (to/in/except rooms) plus flags, as an
// immutable value: every modifier returns a new operator (io.to(r).except(x).emit(...)).
// The packet is encoded once and the same buffer is queued on every recipient.
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sio/adapter.hpp"
#include "sio/arguments.hpp"
#include "sio/fwd.hpp"
#include "sio/options.hpp"

namespace sio {

class remote_socket;
using broadcast_ack_handler = std::function<void(std::error_code, std::vector<arguments>)>;
using remote_sockets_handler = std::function<void(std::error_code, std::vector<remote_socket>)>;

class broadcast_operator {
 public:
  broadcast_operator to(const room_id& room) const {
    auto b = *this;
    b.opts_.rooms.push_back(room);
    return b;
  }
  broadcast_operator in(const room_id& room) const { return to(room); }
  broadcast_operator except(const room_id& room) const {
    auto b = *this;
    b.opts_.except.push_back(room);
    return b;
  }
  broadcast_operator volatile_() const {
    auto b = *this;
    b.opts_.is_volatile = true;
    return b;
  }
  broadcast_operator local() const {
    auto b = *this;
    b.opts_.local = true;
    return b;
  }
  broadcast_operator compress(bool on) const {
    auto b = *this;
    b.opts_.compress = on;
    return b;
  }
  broadcast_operator timeout(std::chrono::milliseconds ms) const {
    auto b = *this;
    b.timeout_ = ms;
    return b;
  }

  template <class... A>
  void emit(std::string_view event, A&&... args) const {
    emit_arguments(event, arguments::of(std::forward<A>(args)...));
  }
  /// One argument written as a literal: emit("m", {{"from", nick}, {"rooms", {"a", "b"}}}).
  void emit(std::string_view event, value arg) const { emit_arguments(event, arguments::of(std::move(arg))); }

  /// Emits and collects every recipient's acknowledgement: the token gets
  /// (error_code, std::vector<arguments>); errc::ack_timeout (with what arrived) when timeout()
  /// expires first. A recipient already waiting for max_pending_acks acknowledgements is not
  /// sent the packet and counts as done without an answer. What the callback throws is reported
  /// to on_handler_error (ack_callback, no socket id).
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) const {
    return emit_with_ack_in(event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                            std::make_index_sequence<sizeof...(A) - 1>{});
  }

  /// io.fetchSockets(): the selected sockets of every server of the cluster (local(): this one),
  /// with their handshake, rooms and data. The token gets (error_code, std::vector<remote_socket>);
  /// errc::ack_timeout when some server did not answer within timeout() (or the adapter's request
  /// timeout), with nothing. One process: completes with this server's sockets, once each has
  /// reported its data from its strand.
  template <class Token>
  auto fetch_sockets(Token&& token) const {
    return asio::async_initiate<Token, void(std::error_code, std::vector<remote_socket>)>(
        [self = *this](auto handler) {
          self.fetch_sockets_erased(reported(std::move(handler), self.nsp_, "fetch_sockets", error_source::request_callback));
        },
        token);
  }
  /// io.timeout(ms).server_side_emit_with_ack(event, args..., token): see namespace_. Of this
  /// operator only timeout() applies (rooms select clients, and this goes to servers); without it
  /// the adapter's own request timeout does.
  template <class... A>
  auto server_side_emit_with_ack(const std::string& event, A&&... args_then_token) const {
    return server_side_emit_with_ack_in(event, std::forward_as_tuple(std::forward<A>(args_then_token)...),
                                        std::make_index_sequence<sizeof...(A) - 1>{});
  }
  /// Node's nsp.adapter.allRooms(): every room with a member on any server of the cluster. The
  /// token gets (error_code, std::vector<room_id>); errc::ack_timeout, with the rooms gathered,
  /// when some server did not answer within timeout(). Of this operator only timeout() applies.
  template <class Token>
  auto fetch_all_rooms(Token&& token) const {
    return asio::async_initiate<Token, void(std::error_code, std::vector<room_id>)>(
        [self = *this](auto handler) {
          self.fetch_all_rooms_erased(reported(std::move(handler), self.nsp_, "fetch_all_rooms", error_source::request_callback));
        },
        token);
  }
  /// Node's nsp.adapter.serverCount(): how many servers share the namespace, this one included,
  /// counted now. The token gets (error_code, std::size_t).
  template <class Token>
  auto fetch_server_count(Token&& token) const {
    return asio::async_initiate<Token, void(std::error_code, std::size_t)>(
        [self = *this](auto handler) {
          self.fetch_server_count_erased(reported(std::move(handler), self.nsp_, "fetch_server_count", error_source::request_callback));
        },
        token);
  }
  /// The selected sockets of this server, at once, as handles (Node's nsp.sockets, filtered).
  std::vector<socket> sockets() const;
  /// Sockets that the rooms would put over max_rooms_per_socket join none of them.
  void sockets_join(const std::vector<room_id>& rooms) const;
  void sockets_leave(const std::vector<room_id>& rooms) const;
  void disconnect_sockets(bool close = false) const;

 private:
  friend class detail::namespace_state;
  friend class detail::socket_state;
  broadcast_operator(std::shared_ptr<detail::namespace_state> nsp, broadcast_options opts = {})
      : nsp_(std::move(nsp)), opts_(std::move(opts)) {}
  void emit_arguments(std::string_view event, arguments args) const;
  void emit_with_ack_erased(std::string event, arguments args, broadcast_ack_handler fn) const;
  void fetch_sockets_erased(remote_sockets_handler fn) const;
  void fetch_all_rooms_erased(rooms_handler fn) const;
  void fetch_server_count_erased(server_count_handler fn) const;
  void server_side_emit_with_ack_erased(const std::string& event, const std::vector<value>& args,
                                        std::function<void(std::error_code, std::vector<value>)> fn) const;
  template <class Tuple, std::size_t... I>
  auto server_side_emit_with_ack_in(const std::string& event, Tuple&& tuple, std::index_sequence<I...>) const {
    std::vector<value> args = arguments::of(std::forward<std::tuple_element_t<I, std::decay_t<Tuple>>>(std::get<I>(tuple))...).values();
    auto&& token = std::get<sizeof...(I)>(tuple);
    return asio::async_initiate<decltype(token), void(std::error_code, std::vector<value>)>(
        [self = *this, event](auto handler, std::vector<value> args) {
          self.server_side_emit_with_ack_erased(event, args,
                                                reported(std::move(handler), self.nsp_, event, error_source::request_callback));
        },
        token, std::move(args));
  }
  /// Reports what the user's callback throws (defined with the namespace).
  static void callback_failed(const std::weak_ptr<detail::namespace_state>& nsp, const std::string& event, error_source source,
                              std::exception_ptr error);

  /// A completion handler with what is needed to report its exceptions: one allocation. Called
  /// from any thread, it runs the handler on the handler's associated executor.
  template <class Handler>
  struct reported_completion {
    Handler handler;
    std::weak_ptr<detail::namespace_state> nsp;
    std::string event;
    error_source source;
    template <class Result>
    void operator()(std::error_code ec, Result r) {
      try {
        handler(ec, std::move(r));
      } catch (...) {
        callback_failed(nsp, event, source, std::current_exception());
      }
    }
  };
  /// Wraps a completion handler into a copyable std::function that dispatches it on its executor.
  template <class Handler>
  static auto reported(Handler handler, const std::shared_ptr<detail::namespace_state>& nsp, std::string event, error_source source) {
    using completion = reported_completion<Handler>;
    auto shared = std::make_shared<completion>(completion{std::move(handler), nsp, std::move(event), source});
    return [shared](std::error_code ec, auto r) {
      auto ex = asio::get_associated_executor(shared->handler);
      asio::dispatch(ex, [shared, ec, r = std::move(r)]() mutable { (*shared)(ec, std::move(r)); });
    };
  }

  template <class Tuple, std::size_t... I>
  auto emit_with_ack_in(std::string_view event, Tuple&& tuple, std::index_sequence<I...>) const {
    arguments args = arguments::of(std::forward<std::tuple_element_t<I, std::decay_t<Tuple>>>(std::get<I>(tuple))...);
    auto&& token = std::get<sizeof...(I)>(tuple);
    return asio::async_initiate<decltype(token), void(std::error_code, std::vector<arguments>)>(
        [self = *this, event = std::string{event}](auto handler, arguments args) mutable {
          auto done = reported(std::move(handler), self.nsp_, event, error_source::ack_callback);
          self.emit_with_ack_erased(std::move(event), std::move(args), std::move(done));
        },
        token, std::move(args));
  }

  std::shared_ptr<detail::namespace_state> nsp_;
  broadcast_options opts_;
  std::optional<std::chrono::milliseconds> timeout_;
};

}  // namespace sio
