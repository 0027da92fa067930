#pragma once
// The callback types of the public API: middleware and its next(), and the handlers a socket
// takes besides its event listeners (those are any callable; see socket::on).
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "sio/arguments.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"

namespace sio {

/// What a middleware calls to go on: next() accepts, next(error) refuses. Copyable; it may be
/// called later and from any thread. Calls after the first are ignored.
template <class Error>
class next_function {
 public:
  explicit next_function(std::function<void(std::optional<Error>)> fn) : fn_(std::move(fn)) {}
  void operator()() const { fn_(std::nullopt); }
  void operator()(std::optional<Error> error) const { fn_(std::move(error)); }

 private:
  std::function<void(std::optional<Error>)> fn_;
};

/// Namespace middleware (io.use / nsp.use): next() accepts the socket, next(connect_error{...})
/// refuses it (the client's connect_error gets the message and data).
using connect_next = next_function<connect_error>;
using middleware = std::function<void(socket, connect_next next)>;
using connection_handler = std::function<void(socket)>;

/// Middleware for incoming packets (socket.use): `event[0]` is the event name, and the
/// middleware may change the packet. next() goes on; next("message") drops the packet and
/// reports the message to the socket's on_error.
using packet_next = next_function<std::string>;
using packet_middleware = std::function<void(arguments& event, packet_next next)>;

/// socket.on_error's handler: a sio::conversion_error (which argument, what type, what came) or a
/// sio::middleware_error (packet middleware's next("message")).
using error_handler = std::function<void(const std::exception&)>;

using any_handler = std::function<void(const std::string& event, const arguments& args)>;
using disconnect_handler = std::function<void(disconnect_reason)>;
using ack_handler = std::function<void(std::error_code, arguments)>;

}  // namespace sio
