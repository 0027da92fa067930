#pragma once
// Why a socket disconnected (the JavaScript server's nine reasons) and what a middleware refusal
// carries back to the client.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "sio/engine/error.hpp"
#include "sio/value.hpp"

namespace sio {

enum class disconnect_reason {
  transport_error,
  transport_close,
  forced_close,
  ping_timeout,
  parse_error,
  server_shutting_down,
  forced_server_close,
  client_namespace_disconnect,
  server_namespace_disconnect,
  slow_consumer,  ///< not in the JavaScript server: the client did not read what it was sent
};

constexpr std::string_view to_string(disconnect_reason r) noexcept {
  switch (r) {
    case disconnect_reason::transport_error: return "transport error";
    case disconnect_reason::transport_close: return "transport close";
    case disconnect_reason::forced_close: return "forced close";
    case disconnect_reason::ping_timeout: return "ping timeout";
    case disconnect_reason::parse_error: return "parse error";
    case disconnect_reason::server_shutting_down: return "server shutting down";
    case disconnect_reason::forced_server_close: return "forced server close";
    case disconnect_reason::client_namespace_disconnect: return "client namespace disconnect";
    case disconnect_reason::server_namespace_disconnect: return "server namespace disconnect";
    case disconnect_reason::slow_consumer: return "slow consumer";
  }
  return "transport error";
}

constexpr disconnect_reason from_engine(engine::close_reason r) noexcept {
  switch (r) {
    case engine::close_reason::transport_close: return disconnect_reason::transport_close;
    case engine::close_reason::transport_error: return disconnect_reason::transport_error;
    case engine::close_reason::ping_timeout: return disconnect_reason::ping_timeout;
    case engine::close_reason::parse_error: return disconnect_reason::parse_error;
    case engine::close_reason::forced_close: return disconnect_reason::forced_close;
    case engine::close_reason::slow_consumer: return disconnect_reason::slow_consumer;
  }
  return disconnect_reason::transport_error;
}

/// What became of an emitted packet (see SECURITY.md, "Slow consumers").
enum class emit_status {
  queued,         ///< it will be written
  dropped,        ///< volatile, and the transport could not take it now (or the server is over its memory budget)
  closed,         ///< the socket is disconnected or its connection is closing
  slow_consumer,  ///< it would have put the client over its send bound: the client is being disconnected
  posted,         ///< emit was called off the socket's strand: the outcome comes later (pass a completion token to hear it)
};

/// A middleware refusal: the client's connect_error gets `message` and, when set, `data`.
struct connect_error {
  std::string message;
  std::optional<value> data;
};

/// socket.data<T>() with a T other than the one the data was created with, or restored data
/// that does not convert to T. The message names both types.
class data_type_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// What socket.on_error hears when packet middleware refuses an event (next("message")). An
/// argument that does not convert arrives as a sio::conversion_error instead.
class middleware_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A call made where the documentation says it may not be (e.g. socket.data<T>() off the
/// socket's strand). The message says what to call instead.
class usage_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Errors delivered to acknowledgement callbacks.
enum class errc { ack_timeout = 1, socket_disconnected, too_many_pending_acks };

class error_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "sio"; }
  std::string message(int e) const override {
    switch (static_cast<errc>(e)) {
      case errc::ack_timeout: return "operation has timed out";
      case errc::socket_disconnected: return "socket has been disconnected";
      case errc::too_many_pending_acks: return "too many acknowledgements pending (max_pending_acks)";
    }
    return "unknown sio error";
  }
};

inline const std::error_category& error_category() noexcept {
  static const error_category_impl category;
  return category;
}
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sio

template <>
struct std::is_error_code_enum<sio::errc> : std::true_type {};
