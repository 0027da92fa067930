#pragma once
// Engine.IO server options, with the JavaScript server's defaults.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "sio/transport/http_message.hpp"

namespace sio::engine {

/// The outcome of an allow_request check: nullopt lets the request through, a string refuses it
/// with HTTP 403 and that message.
using allow_callback = std::function<void(std::optional<std::string> refusal)>;

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

  /// Decides whether a handshake may proceed (allowRequest). Called on the connection's strand;
  /// answer through the callback, now or later.
  std::function<void(const transport::http_request&, allow_callback)> allow_request;
  /// Custom session id generator (generateId); ids must be unique and URL-safe.
  std::function<std::string(const transport::http_request&)> generate_id;
  /// Adds headers to the handshake response (initial_headers) or to every response (headers).
  std::function<void(transport::header_list&, const transport::http_request&)> initial_headers;
  std::function<void(transport::header_list&, const transport::http_request&)> headers;
};

}  // namespace sio::engine
