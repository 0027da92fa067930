#pragma once
// Engine.IO server options, with the JavaScript server's defaults.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sio/detail/metrics_registry.hpp"
#include "sio/engine/error.hpp"
#include "sio/metrics_options.hpp"
#include "sio/transport/http_message.hpp"
#include "sio/transport/http_parser.hpp"

namespace sio::engine {

/// The outcome of an allow_request check: nullopt lets the request through, a string refuses it
/// with HTTP 403 and that message.
using allow_callback = std::function<void(std::optional<std::string> refusal)>;

/// The sticky-session cookie (a load balancer routes on it): "<name>=<sid>; Path=...; ...".
struct cookie_options {
  std::string name = "io";
  std::string path = "/";
  bool http_only = true;
  std::string same_site = "Lax";
  std::optional<std::chrono::seconds> max_age;

  std::string serialize(std::string_view sid) const {
    std::string c = name + "=" + std::string{sid};
    if (max_age) c += "; Max-Age=" + std::to_string(max_age->count());
    if (!path.empty()) c += "; Path=" + path;
    if (http_only) c += "; HttpOnly";
    if (!same_site.empty()) c += "; SameSite=" + same_site;
    return c;
  }
};

enum class log_level { debug, info, warning, error };

struct options {
  /// Where the engine answers; also matched without the trailing slash.
  std::string path = "/engine.io/";
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::chrono::milliseconds upgrade_timeout{10000};
  /// Largest message / POST body accepted, in bytes (maxHttpBufferSize in JavaScript).
  std::size_t max_payload = 1'000'000;
  bool allow_upgrades = true;
  /// Runtime subset of the transports the policy compiles in.
  bool polling = true;
  bool websocket = true;
  /// What a session may have queued for a slow client before it is disconnected, in bytes of
  /// memory (a queued packet costs its bytes and about a hundred more of bookkeeping). See
  /// SECURITY.md, "Slow consumers": volatile packets are dropped long before this.
  std::size_t max_buffered_bytes = 16u * 1024u * 1024u;
  /// The output of all sessions together. Past it, volatile packets are dropped everywhere and
  /// every session more than shed_threshold behind is disconnected at its next send, whichever
  /// session that send is for. 0: no limit.
  std::size_t max_memory = 1024u * 1024u * 1024u;
  /// See max_memory: how far behind a session must be to be shed when the server is over it.
  std::size_t shed_threshold = 64u * 1024u;
  /// Output queued on one connection beyond which it stops reading (and serving pipelined HTTP
  /// requests) until the peer has taken some of it.
  std::size_t output_pause_bytes = 256u * 1024u;
  /// Open TCP connections in all, and per client address (see trusted_proxies); a connection
  /// over either is closed as soon as it is accepted. 0: no limit.
  std::size_t max_connections = 100000;
  std::size_t max_connections_per_ip = 1000;
  /// Proxies ("10.0.0.0/8", "::1", ...) whose word about the client's address is taken, from
  /// X-Forwarded-For, or from a PROXY protocol v2 header when proxy_protocol is set. Nobody else
  /// is believed. The address is what per-IP limits count and what handshake().address shows.
  std::vector<std::string> trusted_proxies;
  bool proxy_protocol = false;
  /// Request size limits of the HTTP parser (head, header count, trailers, chunk extensions);
  /// its body limit is max_payload.
  transport::http_limits http_limits;
  /// After an error response that leaves the request unread (413, 400), how long the peer's
  /// remaining bytes are read and dropped before the connection closes (so that it reads the
  /// response instead of a reset).
  std::chrono::milliseconds linger_timeout{2000};
  /// How long a closed polling session waits for a GET to hand over its final close packet.
  std::chrono::milliseconds close_timeout{30000};
  /// Keep-alive idle time of an HTTP connection (and the time a request has to arrive whole).
  std::chrono::milliseconds http_idle_timeout{30000};
  /// How many strands connections and sessions share (transport/strand_pool.hpp): about the
  /// number of threads that run the io_context; 0 means one per hardware thread. 1 suits a
  /// single-threaded server best: every broadcast is delivered without a post.
  std::size_t strands = 0;

  /// Decides whether a handshake may proceed (allowRequest). Called on the connection's strand;
  /// answer through the callback, now or later.
  std::function<void(const transport::http_request&, allow_callback)> allow_request;
  /// Custom session id generator (generateId); ids must be unique and URL-safe.
  std::function<std::string(const transport::http_request&)> generate_id;
  /// Adds headers to the handshake response (initial_headers) or to every response (headers).
  std::function<void(transport::header_list&, const transport::http_request&)> initial_headers;
  std::function<void(transport::header_list&, const transport::http_request&)> headers;
  /// Set-Cookie with the session id on the handshake (the `cookie` option); off by default.
  std::optional<cookie_options> cookie;
  /// Every refused request (engine.on("connection_error")): the request, the error code, the message.
  std::function<void(const transport::http_request&, request_error, std::string_view message)> on_connection_error;
  /// Where sio writes what it does; silent unless set. Called from any strand: make it thread-safe.
  std::function<void(log_level, std::string_view)> logger;
  /// Counting what the server does (sio/metrics.hpp); off by default.
  metrics_options metrics;
  /// Internal: the counters, made by the server when metrics.enabled (null: nothing counted).
  std::shared_ptr<detail::metrics_registry> metrics_registry;
};

inline void log(const options& o, log_level level, std::string_view message) {
  if (o.logger) o.logger(level, message);
}

/// Tells the user's hook and logger about a refused request.
inline void report_connection_error(const options& o, const transport::http_request& req, request_error code,
                                    std::string_view custom_message = {}) {
  std::string_view text = custom_message.empty() ? message(code) : custom_message;
  if (o.metrics_registry) o.metrics_registry->add(detail::metrics_registry::connection_errors + static_cast<std::size_t>(code));
  if (o.on_connection_error) o.on_connection_error(req, code, text);
  if (o.logger)
    o.logger(log_level::info,
             "connection error " + std::to_string(static_cast<int>(code)) + " (" + std::string{text} + ") for " + req.target);
}

}  // namespace sio::engine
