#pragma once
// Engine.IO server options, with the JavaScript server's defaults.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "sio/engine/error.hpp"
#include "sio/transport/http_message.hpp"

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
  /// Bytes a session may have queued for a slow client before it is disconnected.
  std::size_t max_buffered_bytes = 16u * 1024u * 1024u;
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
};

inline void log(const options& o, log_level level, std::string_view message) {
  if (o.logger) o.logger(level, message);
}

/// Tells the user's hook and logger about a refused request.
inline void report_connection_error(const options& o, const transport::http_request& req, request_error code,
                                    std::string_view custom_message = {}) {
  std::string_view text = custom_message.empty() ? message(code) : custom_message;
  if (o.on_connection_error) o.on_connection_error(req, code, text);
  if (o.logger) o.logger(log_level::info, "connection error " + std::to_string(static_cast<int>(code)) + " (" + std::string{text} + ") for " + req.target);
}

}  // namespace sio::engine
