#pragma once
// The Engine.IO error replies (exact codes and messages of the reference server) and the reasons
// a session closes.
#include <string>
#include <string_view>

#include "sio/detail/json_string.hpp"
#include "sio/transport/http_message.hpp"

namespace sio::engine {

enum class request_error : int {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

constexpr std::string_view message(request_error e) noexcept {
  switch (e) {
    case request_error::unknown_transport: return "Transport unknown";
    case request_error::unknown_sid: return "Session ID unknown";
    case request_error::bad_handshake_method: return "Bad handshake method";
    case request_error::bad_request: return "Bad request";
    case request_error::forbidden: return "Forbidden";
    case request_error::unsupported_protocol_version: return "Unsupported protocol version";
  }
  return "Bad request";
}

/// The polling error reply: 400 (403 for forbidden) with {"code":N,"message":"..."}.
inline transport::http_response error_response(request_error e, std::string_view custom_message = {}) {
  transport::http_response res;
  res.status = e == request_error::forbidden ? 403 : 400;
  res.headers.add("Content-Type", "application/json");
  res.body = "{\"code\":" + std::to_string(static_cast<int>(e)) + ",\"message\":\"";
  sio::detail::append_json_escaped(res.body, custom_message.empty() ? message(e) : custom_message);
  res.body += "\"}";
  return res;
}

/// The reply to a refused WebSocket handshake: a plain 400 whose body is the message.
inline transport::http_response websocket_error_response(request_error e, std::string_view custom_message = {}) {
  transport::http_response res;
  res.status = e == request_error::forbidden ? 403 : 400;
  res.headers.add("Content-type", "text/html");
  res.body.assign(custom_message.empty() ? message(e) : custom_message);
  return res;
}

/// The reply to a new session's handshake while the server drains: 503, so that a load balancer
/// (or the client's next attempt) goes to another server. Not an Engine.IO error code: the client
/// sees a failed handshake and retries.
inline transport::http_response unavailable_response() {
  transport::http_response res;
  res.status = 503;
  res.headers.add("Content-Type", "text/plain");
  res.headers.add("Retry-After", "1");
  res.body = "Server draining";
  return res;
}

/// Why a session ended (the JavaScript engine's close reasons).
enum class close_reason {
  transport_close,  ///< the client closed the transport or sent a close packet
  transport_error,  ///< a protocol violation or a write failure
  ping_timeout,     ///< no pong within ping_timeout
  parse_error,      ///< undecodable packet
  forced_close,     ///< closed by the server
  slow_consumer,    ///< the client did not take what it was sent (see options::max_buffered_bytes)
};

constexpr std::string_view to_string(close_reason r) noexcept {
  switch (r) {
    case close_reason::transport_close: return "transport close";
    case close_reason::transport_error: return "transport error";
    case close_reason::ping_timeout: return "ping timeout";
    case close_reason::parse_error: return "parse error";
    case close_reason::forced_close: return "forced close";
    case close_reason::slow_consumer: return "slow consumer";
  }
  return "transport error";
}

}  // namespace sio::engine
