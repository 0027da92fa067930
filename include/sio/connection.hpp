#pragma once
// sio::connection: the Engine.IO connection under a socket (socket.conn in the JavaScript
// server): what transport it uses, when it upgrades, when it closes; close() drops it. All the
// sockets of one client (one per namespace) share it. A handle: copyable, cheap, keeps the
// connection's bookkeeping alive (not the network connection).
//
//   s.conn().on_upgrade([s](std::string_view transport) { s.emit("upgraded", std::string{transport}); });
//
// Thread safety: id(), remote_address() and protocol() may be read anywhere; transport() on the
// socket's strand (in its handlers: an upgrade changes it there). The registrations and close()
// may be called from any thread; the callbacks run on the strand. What a callback throws is
// reported to server_options::on_handler_error (source event_handler, event "upgrade", "close"
// or "drain").
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "sio/detail/client.hpp"
#include "sio/detail/error_report.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"

namespace sio {

class connection {
 public:
  /// The Engine.IO session id (the sid of the handshake; not a socket's id).
  const std::string& id() const noexcept { return client_->session().id(); }
  /// "polling" or "websocket": the transport in use now (conn.transport.name). On the strand.
  std::string_view transport() const noexcept { return client_->session().transport_name(); }
  /// The Engine.IO protocol revision (conn.protocol): 4.
  static constexpr int protocol() noexcept { return 4; }
  /// The client's IP address (conn.remoteAddress); behind a trusted proxy, the one it names.
  const std::string& remote_address() const noexcept { return client_->session().handshake().remote_address; }

  /// conn.on("upgrade"): the session moved from long-polling to `transport` ("websocket").
  const connection& on_upgrade(std::function<void(std::string_view transport)> fn) const {
    auto c = client_;
    asio::dispatch(c->strand(), [c, fn = std::move(fn)]() mutable {
      c->engine_session().on_upgrade(
          [weak = std::weak_ptr<detail::client>{c}, fn = std::move(fn)](std::string_view t) { guarded(weak, "upgrade", [&] { fn(t); }); });
    });
    return *this;
  }
  /// conn.on("close"): the connection ended, after its sockets heard of it (reason: the
  /// transport's, e.g. transport_close, ping_timeout, forced_close). Registered after the close,
  /// it is not called.
  const connection& on_close(std::function<void(disconnect_reason)> fn) const {
    client_->on_connection_close([weak = std::weak_ptr<detail::client>{client_}, fn = std::move(fn)](disconnect_reason r) {
      guarded(weak, "close", [&] { fn(r); });
    });
    return *this;
  }
  /// conn.on("drain"): everything queued has been handed to the transport.
  const connection& on_drain(std::function<void()> fn) const {
    auto c = client_;
    asio::dispatch(c->strand(), [c, fn = std::move(fn)]() mutable {
      c->engine_session().on_drain(
          [weak = std::weak_ptr<detail::client>{c}, fn = std::move(fn)] { guarded(weak, "drain", [&] { fn(); }); });
    });
    return *this;
  }

  /// conn.close(): drops the transport without a Socket.IO DISCONNECT; the client sees
  /// "transport close" and reconnects, the sockets here disconnect with reason forced_close.
  void close() const { client_->close_connection(); }

  friend bool operator==(const connection& a, const connection& b) noexcept { return a.client_ == b.client_; }
  friend bool operator!=(const connection& a, const connection& b) noexcept { return a.client_ != b.client_; }

 private:
  friend class socket;
  explicit connection(std::shared_ptr<detail::client> c) noexcept : client_(std::move(c)) {}

  template <class Call>
  static void guarded(const std::weak_ptr<detail::client>& weak, const char* event, Call&& call) {
    try {
      call();
    } catch (...) {
      auto c = weak.lock();
      if (!c) return;
      c->report(detail::exception_report(error_source::event_handler, std::current_exception(), {c->session().id(), {}, event}));
    }
  }

  std::shared_ptr<detail::client> client_;
};

}  // namespace sio
