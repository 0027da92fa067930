#pragma once
// sio::server<Transport, Adapter>: the Socket.IO server, the C++ reading of the JavaScript one.
// The umbrella header: including it brings the whole public API.
//
// Example:
//   asio::io_context ctx;
//   sio::server<> io{ctx};
//   io.on_connection([&](sio::socket s) {
//     s.on("chat message", [&](std::string msg) { io.emit("chat message", msg); });
//   });
//   io.listen(3000);
//   ctx.run();
//
// Thread safety: sio never starts a thread. Configure the server (namespaces, middleware,
// handlers, listen) before running the io_context; then it may be run by any number of threads.
// Each client's work runs on its own strand; emit, to(...).emit, join, leave and disconnect are
// callable from any thread.
//
// Errors: listen throws std::system_error when it cannot listen (address in use, ...); its
// overloads taking a std::error_code& report that instead.
//
// Exceptions: nothing user code throws reaches io_context::run. Handlers, middleware, ack
// callbacks, conversions and the HTTP hooks are each called inside a catch; what they throw is
// reported to server_options::on_handler_error, and server_options::after_handler_error decides
// whether the socket concerned stays (see options.hpp for every case).
#include <regex>
#include <string>

#include "sio/connection.hpp"
#include "sio/engine/server.hpp"
#include "sio/fwd.hpp"
#include "sio/impl/server_core.hpp"
#include "sio/namespace.hpp"
#include "sio/socket.hpp"
#include "sio/in_memory_adapter.hpp"
#include "sio/metrics.hpp"
#include "sio/options.hpp"
#include "sio/version.hpp"

namespace sio {

template <class Transport, class Adapter>
class server {
 public:
  explicit server(asio::io_context& ctx, server_options opts = {}) : server(ctx, std::move(opts), default_adapter()) {}
  server(asio::io_context& ctx, asio::ssl::context& tls, server_options opts = {}) : server(ctx, tls, std::move(opts), default_adapter()) {}
  /// With the adapters `make_adapter` makes instead of Adapter (Node's io.adapter(...)), e.g.
  /// sio::redis_adapter::create(ctx, {"redis://127.0.0.1:6379"}).
  server(asio::io_context& ctx, server_options opts, adapter_factory make_adapter)
      : core_(make_core(ctx, std::move(opts), std::move(make_adapter))), engine_(ctx, core_->engine_options()) {
    core_->attach(*engine_.core());
  }
  server(asio::io_context& ctx, asio::ssl::context& tls, server_options opts, adapter_factory make_adapter)
      : core_(make_core(ctx, std::move(opts), std::move(make_adapter))), engine_(ctx, tls, core_->engine_options()) {
    core_->attach(*engine_.core());
  }
  server(const server&) = delete;
  server& operator=(const server&) = delete;
  ~server() { close(); }

  /// io.on("connection", fn) on the main namespace.
  server& on_connection(connection_handler fn) {
    main().on_connection(std::move(fn));
    return *this;
  }
  /// io.use(fn): middleware of the main namespace.
  server& use(middleware fn) {
    main().use(std::move(fn));
    return *this;
  }
  /// io.of("/name"): the namespace, created on first use.
  namespace_ of(const std::string& name) { return detail::namespace_access::make(core_->of(name)); }
  /// io.of(/regex/): a dynamic namespace; every matching name gets its own child namespace.
  namespace_ of(const std::regex& pattern) {
    return detail::namespace_access::make(core_->of(
        [pattern](const std::string& name, const transport::http_request&, const value&) { return std::regex_match(name, pattern); }));
  }
  /// io.of((name, auth, next) => ...): a dynamic namespace decided by a predicate.
  namespace_ of(namespace_matcher matcher) { return detail::namespace_access::make(core_->of(std::move(matcher))); }
  /// io.on("new_namespace"): called with each child a dynamic namespace creates.
  void on_new_namespace(std::function<void(namespace_)> fn) { core_->on_new_namespace(std::move(fn)); }

  /// Answers HTTP requests outside the Socket.IO path (default: 404), e.g. to serve a page from
  /// the same port. Answer with exchange->respond(): at once, or later from any thread (keep the
  /// shared_ptr). A HEAD request gets the headers of the answer without its body; any status goes
  /// out with its reason phrase. If it throws, the exception is reported (http_hook) and the
  /// request answered 500, unless it had answered already (a second respond() is ignored).
  ///
  /// This overload runs `fn` on the connection's strand, which other clients share: it must not
  /// block (no file or database reads). Hand blocking work to another executor and respond from
  /// there, or use the overload below, which does that.
  void on_http_request(std::function<void(const std::shared_ptr<transport::http_exchange>&)> fn) {
    engine_.core()->set_fallback(
        [weak = std::weak_ptr<detail::server_core>{core_}, fn = std::move(fn)](const std::shared_ptr<transport::http_exchange>& ex) {
          try {
            fn(ex);
          } catch (...) {
            http_hook_failed(weak, *ex, std::current_exception());
          }
        });
  }

  /// The same, with `fn` run on `executor` (e.g. an asio::thread_pool's) instead of a strand the
  /// clients share: a handler that blocks holds up no client.
  template <class Executor, class = std::enable_if_t<asio::execution::is_executor<Executor>::value>>
  void on_http_request(const Executor& executor, std::function<void(const std::shared_ptr<transport::http_exchange>&)> fn) {
    engine_.core()->set_fallback([weak = std::weak_ptr<detail::server_core>{core_}, executor,
                                  fn = std::make_shared<decltype(fn)>(std::move(fn))](const std::shared_ptr<transport::http_exchange>& ex) {
      asio::post(executor, [weak, fn, ex] {
        try {
          (*fn)(ex);
        } catch (...) {
          http_hook_failed(weak, *ex, std::current_exception());
        }
      });
    });
  }

  /// HTTP middleware before the engine (io.engine.use): return true when it answered the
  /// request itself, false to pass it on (it may add to the request, e.g. parsed cookies). If it
  /// throws, the exception is reported (http_hook) and the request answered 500 (unless it had
  /// answered already) and not passed on.
  void use_http(engine::core::http_middleware fn) {
    engine_.core()->add_http_middleware(
        [weak = std::weak_ptr<detail::server_core>{core_}, fn = std::move(fn)](const std::shared_ptr<transport::http_exchange>& ex) {
          try {
            return fn(ex);
          } catch (...) {
            http_hook_failed(weak, *ex, std::current_exception());
            return true;
          }
        });
  }

  /// Listens on host:port (port 0 picks a free port; see port()). Throws std::system_error when
  /// it cannot (address in use, not an address, no permission).
  void listen(unsigned short port, const std::string& host = "0.0.0.0") { engine_.listen(port, host); }
  void listen(const asio::ip::tcp::endpoint& endpoint) { engine_.listen(endpoint); }
  /// The same without exceptions: `ec` says why it does not listen (e.g. asio::error::address_in_use).
  void listen(unsigned short port, const std::string& host, std::error_code& ec) { engine_.listen(port, host, ec); }
  void listen(unsigned short port, std::error_code& ec) { engine_.listen(port, "0.0.0.0", ec); }
  void listen(const asio::ip::tcp::endpoint& endpoint, std::error_code& ec) { engine_.listen(endpoint, ec); }
  unsigned short port() const { return engine_.port(); }

  template <class... A>
  void emit(std::string_view event, A&&... args) {
    main().emit(event, std::forward<A>(args)...);
  }
  /// One argument written as a literal: io.emit("m", {{"from", nick}}).
  void emit(std::string_view event, value arg) { main().emit(event, std::move(arg)); }
  template <class... A>
  void send(A&&... args) {
    main().emit("message", std::forward<A>(args)...);
  }
  template <class... A>
  auto emit_with_ack(std::string_view event, A&&... args_then_token) {
    return main().emit_with_ack(event, std::forward<A>(args_then_token)...);
  }
  broadcast_operator to(const room_id& room) { return main().to(room); }
  broadcast_operator in(const room_id& room) { return main().to(room); }
  broadcast_operator except(const room_id& room) { return main().except(room); }
  broadcast_operator volatile_() { return main().volatile_(); }
  broadcast_operator local() { return main().local(); }
  broadcast_operator compress(bool on) { return main().compress(on); }
  broadcast_operator timeout(std::chrono::milliseconds ms) { return main().timeout(ms); }
  /// io.fetchSockets() across the cluster; see broadcast_operator::fetch_sockets.
  template <class Token>
  auto fetch_sockets(Token&& token) {
    return main().fetch_sockets(std::forward<Token>(token));
  }
  /// io.of("/").adapter.allRooms() / serverCount(), across the cluster.
  template <class Token>
  auto fetch_all_rooms(Token&& token) {
    return main().fetch_all_rooms(std::forward<Token>(token));
  }
  template <class Token>
  auto fetch_server_count(Token&& token) {
    return main().fetch_server_count(std::forward<Token>(token));
  }
  /// The main namespace's sockets on this server, at once.
  std::vector<socket> sockets() { return main().sockets(); }
  template <class... A>
  void server_side_emit(const std::string& event, const A&... args) {
    main().server_side_emit(event, args...);
  }
  template <class... A>
  auto server_side_emit_with_ack(const std::string& event, A&&... args_then_token) {
    return main().server_side_emit_with_ack(event, std::forward<A>(args_then_token)...);
  }
  /// io.on(event) for what other servers send with server_side_emit(_with_ack), on "/".
  server& on_server_side_event(std::function<void(const std::string& event, arguments args)> fn) {
    main().on_server_side_event(std::move(fn));
    return *this;
  }
  server& on_server_side_event(server_side_handler fn) {
    main().on_server_side_event(std::move(fn));
    return *this;
  }
  void sockets_join(const std::vector<room_id>& rooms) { main().sockets_join(rooms); }
  void sockets_leave(const std::vector<room_id>& rooms) { main().sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) { main().disconnect_sockets(close); }

  /// Stops listening; every socket is disconnected with "server shutting down" (its client gets
  /// a close packet after what is already queued). With connection state recovery the sockets
  /// persist their sessions; the adapters close after the last of them.
  void close() {
    core_->set_shutting_down();
    engine_.close();
    core_->close_adapters_after_clients();
  }

  /// Graceful drain for a deploy. From now on new clients are refused (handshake 503; the
  /// readiness path, if set, answers 503). Each connected client is closed as soon as no ack is
  /// pending on its sockets either way: its transport closes without a Socket.IO DISCONNECT, so
  /// the client reconnects (through a load balancer, to another server) and, with connection
  /// state recovery, gets its session back there (sio::redis_streams_adapter) or here. At
  /// `deadline` whatever is left is closed as by close(). Then the adapters close and `done`
  /// runs (on an io thread); the io_context runs out of this server's work. Any thread.
  void drain(std::chrono::milliseconds deadline, std::function<void()> done = {}) {
    engine_.stop_accepting();
    auto hooks = engine_.drain_hooks_now();
    core_->drain(deadline, std::move(hooks.force), std::move(hooks.finish), std::move(done));
  }
  /// True from the moment drain() was called.
  bool draining() const noexcept { return core_->draining(); }

  /// The Engine.IO server under it (io.engine): its session count, its request handler.
  engine::server<Transport>& engine() noexcept { return engine_; }
  const server_options& options() const noexcept { return core_->options(); }
  /// The Socket.IO layer under the handle, for sio's own instruments (sio/admin_ui.hpp); not
  /// an API for applications.
  const std::shared_ptr<detail::server_core>& core() const noexcept { return core_; }
  /// What the server has counted so far (server_options::metrics.enabled; all zero when off);
  /// write_prometheus(io.metrics(), text) gives the text format. Any thread.
  metrics_snapshot metrics() const { return core_->metrics(); }

 private:
  static adapter_factory default_adapter() {
    return [](adapter_host& host) -> std::unique_ptr<adapter> { return std::make_unique<Adapter>(host); };
  }
  static std::shared_ptr<detail::server_core> make_core(asio::io_context& ctx, server_options opts, adapter_factory make_adapter) {
    return std::make_shared<detail::server_core>(ctx.get_executor(), std::move(opts), std::move(make_adapter));
  }
  namespace_ main() { return detail::namespace_access::make(core_->of("/")); }
  static void http_hook_failed(const std::weak_ptr<detail::server_core>& weak, transport::http_exchange& ex, std::exception_ptr error) {
    if (auto core = weak.lock()) core->report_http(ex.request().target, std::move(error));
    transport::http_response res;
    res.status = 500;
    ex.respond(std::move(res));
  }

  std::shared_ptr<detail::server_core> core_;
  engine::server<Transport> engine_;
};

}  // namespace sio
