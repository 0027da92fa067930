#pragma once
// sio::engine::server<Policy>: a raw Engine.IO v4 server, like npm's `engine.io`, usable without
// the Socket.IO layer. It runs on the user's io_context and never starts a thread.
//
// Example:
//   asio::io_context ctx;
//   sio::engine::server<> eio{ctx};
//   eio.on_connection([](sio::engine::session_ptr s) {
//     s->on_message([s](std::string data, bool binary) { binary ? s->send_binary(data) : s->send_text(data); });
//   });
//   eio.listen(3000);
//   ctx.run();
//
// Thread safety: configure (on_connection, listen) before running the context; after that the
// context may be run by several threads. Session callbacks run on the session's strand.
#include <memory>
#include <mutex>
#include <string>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "sio/engine/core.hpp"
#include "sio/engine/options.hpp"
#include "sio/engine/session.hpp"
#include "sio/transport/listener.hpp"
#include "sio/transport/policy.hpp"
#include "sio/transport/websocket_handshake.hpp"

namespace sio::engine {

template <class Policy = transport::any>
class server {
  static_assert(transport::is_policy<Policy>::value,
                "sio: a transport policy needs `static constexpr bool polling, websocket` (one of them true) "
                "and `using stream_type = transport::tcp_stream or transport::tls_stream`; see sio/transport/policy.hpp");
  using stream_type = typename Policy::stream_type;

 public:
  /// A plain (non-TLS) server.
  explicit server(asio::io_context& ctx, options opts = {})
      : ctx_(ctx), core_(std::make_shared<engine::core>(ctx, std::move(opts), Policy::polling, Policy::websocket)) {
    static_assert(!transport::is_secure_policy<Policy>, "sio: a TLS policy needs an asio::ssl::context: server(ctx, tls_context, options)");
  }
  /// A TLS server; `tls` holds the certificate and key and must outlive the server.
  server(asio::io_context& ctx, asio::ssl::context& tls, options opts = {})
      : ctx_(ctx), tls_(&tls), core_(std::make_shared<engine::core>(ctx, std::move(opts), Policy::polling, Policy::websocket)) {
    static_assert(transport::is_secure_policy<Policy>, "sio: only a TLS policy (transport::tls<...>) takes an ssl::context");
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() { close(); }

  void on_connection(engine::core::connection_handler fn) { core_->on_connection(std::move(fn)); }

  /// Listens on host:port (port 0 picks a free port; see port()). Throws std::system_error when
  /// the address is taken or not an address.
  void listen(unsigned short port, const std::string& host = "0.0.0.0") {
    listen(asio::ip::tcp::endpoint{asio::ip::make_address(host), port});
  }
  /// The same without exceptions: `ec` says why it does not listen (e.g. address_in_use).
  void listen(unsigned short port, const std::string& host, std::error_code& ec) {
    auto address = asio::ip::make_address(host, ec);
    if (!ec) listen(asio::ip::tcp::endpoint{address, port}, ec);
  }
  void listen(const asio::ip::tcp::endpoint& endpoint, std::error_code& ec) {
    ec = {};
    try {
      listen(endpoint);
    } catch (const std::system_error& e) {
      ec = e.code();
      if (listener_) listener_->close();
      listener_ = nullptr;
    }
  }
  void listen(const asio::ip::tcp::endpoint& endpoint) {
    auto settings = make_settings();
    settings->registry = std::make_shared<transport::connection_registry>();
    listener_ = std::make_shared<transport::listener<stream_type>>(ctx_, std::move(settings), tls_);
    listener_->listen(endpoint);
  }
  /// What requests handed over by the user's own HTTP server are served with (sio/mount.hpp).
  /// Thread safety: any thread.
  std::shared_ptr<const transport::connection_settings> mount_settings() {
    std::call_once(mount_once_, [this] { mount_settings_ = make_settings(); });
    return mount_settings_;
  }
  unsigned short port() const { return listener_ ? listener_->port() : 0; }

  /// Stops listening and closes every session.
  void close() {
    if (listener_) listener_->close();
    core_->close_all();
  }
  /// A drain started: new sessions are refused (503). The listening socket stays open, since a
  /// polling session's next request may come on a new connection; close() ends it.
  void stop_accepting() { core_->stop_accepting(); }
  /// What a drain needs of the engine, as callables that may outlive this object: `force` closes
  /// every session now (the deadline); `finish(then)` waits until no session is left, then stops
  /// listening and runs `then`.
  struct drain_hooks {
    std::function<void()> force;
    std::function<void(std::function<void()>)> finish;
  };
  drain_hooks drain_hooks_now() const {
    std::weak_ptr<transport::listener<stream_type>> listener = listener_;
    std::weak_ptr<engine::core> core = core_;
    drain_hooks h;
    h.force = [core] {
      if (auto c = core.lock()) c->close_all();
    };
    h.finish = [listener, core](std::function<void()> then) {
      auto stop = [listener, then = std::move(then)] {
        if (auto l = listener.lock()) l->close();
        if (then) then();
      };
      if (auto c = core.lock())
        c->when_no_sessions(std::move(stop));
      else
        stop();
    };
    return h;
  }

  /// The request handler, for feeding requests from another listener (sharing a port).
  const std::shared_ptr<engine::core>& core() const noexcept { return core_; }
  std::size_t session_count() const { return core_->session_count(); }

 private:
  std::shared_ptr<transport::connection_settings> make_settings() const {
    const options& o = core_->opts();
    auto settings = std::make_shared<transport::connection_settings>();
    settings->limits = o.http_limits;
    settings->limits.max_body_bytes = o.max_payload;
    settings->idle_timeout = o.http_idle_timeout;
    settings->linger_timeout = o.linger_timeout;
    settings->output_pause_bytes = o.output_pause_bytes;
    settings->handler = core_;
    settings->strands = core_->strands();
    settings->budget = core_->budget();
    settings->limiter = core_->limiter();
    for (const auto& range : o.trusted_proxies) settings->proxies.trusted.push_back(transport::ip_network::parse(range));
    settings->proxies.proxy_protocol = o.proxy_protocol;
    return settings;
  }

  asio::io_context& ctx_;
  asio::ssl::context* tls_ = nullptr;
  std::shared_ptr<engine::core> core_;
  std::shared_ptr<transport::listener<stream_type>> listener_;
  std::once_flag mount_once_;
  std::shared_ptr<const transport::connection_settings> mount_settings_;
};

}  // namespace sio::engine
