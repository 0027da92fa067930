#pragma once
// Socket.IO server options: the engine's, plus the Socket.IO layer's, with the JavaScript
// server's defaults; and the limits a client meets at this layer (SECURITY.md lists them all).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sio/engine/options.hpp"

namespace sio {

struct cors_options {
  /// Allowed origins, matched exactly ("https://app.example"; "null" only if listed as such).
  /// "*" allows any origin, answered with "Access-Control-Allow-Origin: *" and never with the
  /// request's own Origin, also with credentials (as the npm `cors` package does; browsers then
  /// refuse credentialed requests, which is the safe outcome). Empty: no CORS headers at all
  /// (the JavaScript default).
  std::vector<std::string> origins;
  /// Decides per origin instead of the list when set: an origin it accepts is reflected (with
  /// credentials if set). It sees the literal "null" of sandboxed pages and file:// like any
  /// other origin: accept it only deliberately. Called on the connection's strand; an exception
  /// from it counts as a refusal and is reported to on_handler_error (http_hook).
  std::function<bool(const std::string& origin)> allow_origin;
  bool credentials = false;
  std::string methods = "GET,HEAD,PUT,PATCH,POST,DELETE";
  std::string allowed_headers;  ///< empty: echo Access-Control-Request-Headers
  bool enabled() const noexcept { return !origins.empty() || allow_origin; }
};

/// Where user code threw (the first group), or which limit a client hit (the second group).
enum class error_source {
  event_handler,          ///< socket.on(event, ...) listener
  any_handler,            ///< on_any / prepend_any
  outgoing_any_handler,   ///< on_any_outgoing (event: the event being emitted)
  error_handler,          ///< socket.on_error
  argument_conversion,    ///< from_value / a user from_json or converter, for a listener's parameters
  packet_middleware,      ///< socket.use
  middleware,             ///< io.use / nsp.use
  connection_handler,     ///< io.on_connection / nsp.on_connection
  ack_callback,           ///< an emit_with_ack callback; for a broadcast's, socket_id is empty
  request_callback,       ///< a fetch_sockets or server_side_emit_with_ack completion (event: which)
  disconnecting_handler,  ///< on_disconnecting
  disconnect_handler,     ///< on_disconnect
  namespace_matcher,      ///< a dynamic namespace's regex/predicate (nsp: the name asked for)
  new_namespace_handler,  ///< on_new_namespace
  server_side_event,      ///< on_server_side_event
  http_hook,              ///< on_http_request, use_http, cors.allow_origin and the engine hooks of the options
  drain_handler,          ///< socket.on_drain
  internal,               ///< an exception from sio itself while handling a client's packet (e.g. out of memory)
  // Limits (no exception):
  event_rate_limit,         ///< max_events_per_second / max_event_burst
  namespace_limit,          ///< max_namespaces_per_client
  dynamic_namespace_limit,  ///< max_dynamic_namespaces
  pending_handshake_limit,  ///< max_pending_handshakes
};

constexpr const char* to_string(error_source s) noexcept {
  switch (s) {
    case error_source::event_handler: return "event handler";
    case error_source::any_handler: return "any handler";
    case error_source::outgoing_any_handler: return "outgoing any handler";
    case error_source::error_handler: return "error handler";
    case error_source::argument_conversion: return "argument conversion";
    case error_source::packet_middleware: return "packet middleware";
    case error_source::middleware: return "middleware";
    case error_source::connection_handler: return "connection handler";
    case error_source::ack_callback: return "ack callback";
    case error_source::request_callback: return "request callback";
    case error_source::disconnecting_handler: return "disconnecting handler";
    case error_source::disconnect_handler: return "disconnect handler";
    case error_source::namespace_matcher: return "namespace matcher";
    case error_source::new_namespace_handler: return "new namespace handler";
    case error_source::server_side_event: return "server-side event handler";
    case error_source::http_hook: return "http hook";
    case error_source::drain_handler: return "drain handler";
    case error_source::internal: return "internal";
    case error_source::event_rate_limit: return "event rate limit";
    case error_source::namespace_limit: return "namespace limit";
    case error_source::dynamic_namespace_limit: return "dynamic namespace limit";
    case error_source::pending_handshake_limit: return "pending handshake limit";
  }
  return "unknown";
}

/// What server_options::on_handler_error receives.
struct handler_error {
  error_source source;
  std::string socket_id;         ///< the socket concerned; before any socket exists, the Engine.IO session id; else empty
  std::string nsp;               ///< its namespace (or the name a client asked for)
  std::string event;             ///< the event (incoming, or emitted for acks and outgoing handlers); the request target for http_hook
  std::string message;           ///< what() of the exception, "unknown exception", or what limit was hit
  std::exception_ptr exception;  ///< null for limits
};

/// What becomes of a connected socket after its user code threw (server_options::after_handler_error).
enum class handler_error_policy {
  keep,        ///< report, and go on: the next listener and the next event run as usual
  disconnect,  ///< report, then socket.disconnect(): the client gets a DISCONNECT for that namespace
};

/// What becomes of an event over the rate limit (server_options::event_rate_policy).
enum class rate_limit_policy {
  drop,        ///< no listener, middleware or on_any sees it (nor acks it); reported to on_handler_error
  disconnect,  ///< reported, then socket.disconnect()
};

/// Connection state recovery (Node's connectionStateRecovery): a client whose connection drops
/// comes back within max_disconnection_duration with the same socket id, rooms and data, and gets
/// the events it missed, in order, before new ones. What is kept is bounded; a client the bounds
/// no longer cover gets a new session, never a partial replay.
struct connection_state_recovery_options {
  /// How long a session that went away stays restorable, and how long a kept packet is kept.
  std::chrono::milliseconds max_disconnection_duration{2 * 60 * 1000};
  /// A restored socket does not go through the namespace middleware again (Node's default). When
  /// false, the middleware runs first, on a new socket (new id, recovered() false), and the
  /// session is looked up only once it let the client in.
  bool skip_middlewares = true;
  /// Packets kept for replay per namespace (the in-memory adapter; the Redis Streams adapter is
  /// bounded by its stream's MAXLEN instead): the oldest go first. Each is stored once however
  /// many sockets it went to, and filtered by the restored socket's rooms at replay.
  std::size_t max_packets = 10000;
  /// Bytes of those packets (as encoded for the wire), per namespace.
  std::size_t max_bytes = 16u * 1024u * 1024u;
  /// Sessions kept per namespace: past it the one that went away first is forgotten.
  std::size_t max_sessions = 100000;
  /// Bytes of kept packets in all namespaces together (clients can create namespaces when the
  /// server has dynamic ones): past it, the namespace that keeps one more packet lets its own
  /// oldest go first, and keeps none while it is over. 0: no server-wide bound.
  std::size_t max_total_bytes = 64u * 1024u * 1024u;
};

struct server_options : engine::options {
  server_options() { path = "/socket.io/"; }
  /// Time a client has to connect to a namespace after the Engine.IO handshake.
  std::chrono::milliseconds connect_timeout{45000};
  /// Directory holding socket.io.js & co. (e.g. node_modules/socket.io-client/dist); empty: not served.
  std::string serve_client_dir;
  /// ETag of the served client files; the reference uses its own version.
  std::string client_version = "4.8.1";
  cors_options cors;
  /// Binary attachments per packet (socket.io-parser's maxAttachments).
  std::size_t max_attachments = 10;
  /// Remove a dynamically created namespace when its last socket leaves (or its only connecting
  /// socket is refused). Without it, empty children stay until max_dynamic_namespaces is reached.
  bool cleanup_empty_child_namespaces = false;
  /// Set: connection state recovery is on (see connection_state_recovery_options).
  std::optional<connection_state_recovery_options> connection_state_recovery;
  /// A readiness probe for a load balancer, e.g. "/ready" (empty: none). GET or HEAD answers 200
  /// while the server takes new clients and 503 from the moment io.drain() or io.close() starts.
  std::string readiness_path;

  // ---- errors in user code ---------------------------------------------------------------------
  // Nothing user code throws (handlers, middleware, acks callbacks, conversions, hooks) reaches
  // io_context::run: sio catches it where it called that code, reports it here, and goes on with
  // its own state consistent (once-listeners stay removed, pending acks stay answered, a
  // middleware chain ends or goes on exactly once).

  /// Told about every exception from user code and every limit a client hits. Called where it
  /// happened (mostly the socket's strand), so from several threads at once: make it thread-safe.
  /// What it throws is ignored. The logger (engine::options::logger) gets a warning line too.
  std::function<void(const handler_error&)> on_handler_error;
  /// What happens to a connected socket whose handler, on_any, on_error, socket middleware,
  /// connection handler, argument conversion or ack callback threw. The JavaScript server has no
  /// precedent (an uncaught exception ends the Node process), so the default is the safe one:
  /// disconnect. The handler's state for that socket is unknown after a throw, the exception was
  /// most likely caused by that client's input, and an attacker must then reconnect (and meet the
  /// connection limits) to try again. Other sockets, and the client's other namespaces, go on.
  /// A namespace middleware that throws before calling next() refuses the socket either way
  /// (CONNECT_ERROR "Internal server error"); disconnect handlers and hooks without a socket are
  /// only reported.
  handler_error_policy after_handler_error = handler_error_policy::disconnect;

  // ---- limits: each 0 means "no limit" ----------------------------------------------------------

  /// Incoming events per socket, as a token bucket: max_event_burst events at once, refilled at
  /// max_events_per_second. An event over it meets event_rate_policy before any middleware,
  /// on_any or listener. Acks from the client are not counted (max_pending_acks bounds those).
  /// The bucket is refilled when it runs dry (the clock is read then, not for every event), by
  /// the time since it last did, up to a full bucket: after a quiet spell a socket may get up to
  /// twice max_event_burst at once; over any span of time it never gets more than
  /// 2 x max_event_burst + max_events_per_second x that span.
  /// The burst covers what socket.io-client sends at once after a reconnect (it buffers emits
  /// made while disconnected) or a loop of 1,000 emits; a person or a 60 Hz game is far below.
  std::uint32_t max_events_per_second = 1000;
  std::uint32_t max_event_burst = 2000;
  /// Default drop: a well-behaved client that bursts past the limit (a reconnect flushing its
  /// buffer) loses a few events instead of its connection; a disconnect would make it reconnect
  /// and flush again. A flood costs the server its decoding only.
  rate_limit_policy event_rate_policy = rate_limit_policy::drop;

  /// Engine.IO sessions that have not joined any namespace yet (a CONNECT still to come or
  /// refused), server-wide. A new one past the limit closes the *oldest* such session (reported as
  /// pending_handshake_limit): abandoned handshakes are then the ones that go, while a real
  /// client, which sends its CONNECT a round trip after the handshake, is never the oldest.
  /// Refusing the newest instead would let 10,000 abandoned handshakes lock everyone out for
  /// connect_timeout. About 4 KiB each.
  std::size_t max_pending_handshakes = 10000;

  /// Namespaces one client (one Engine.IO session) is connected or connecting to. A CONNECT past
  /// it gets CONNECT_ERROR {"message":"Too many namespaces"}; the connection stays.
  std::size_t max_namespaces_per_client = 100;
  /// Children of dynamic namespaces (io.of(regex / predicate)) existing at once, server-wide. A
  /// CONNECT that would create one past it first removes the child that has been empty the
  /// longest (as cleanup_empty_child_namespaces would have); if every child has sockets, it gets
  /// CONNECT_ERROR {"message":"Invalid namespace"}, as for a name no parent accepts.
  std::size_t max_dynamic_namespaces = 10000;

  /// Server-to-client acknowledgements one socket waits for (emit_with_ack, and broadcast acks
  /// for that socket). An emit_with_ack past it is not sent: its callback gets
  /// errc::too_many_pending_acks at once (a broadcast counts that socket as not answering).
  std::size_t max_pending_acks = 1000;

  /// Rooms one socket is in, its own id room included. socket.join() past it joins nothing and
  /// returns false (a list is joined whole or not at all); sockets_join skips the sockets it
  /// would put over it.
  std::size_t max_rooms_per_socket = 1000;
};

}  // namespace sio
