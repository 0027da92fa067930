#pragma once
// What every connection of one listener (or of one mount point, sio/mount.hpp) shares.
#include <chrono>
#include <cstddef>
#include <memory>

#include "sio/transport/client_address.hpp"
#include "sio/transport/connection_limiter.hpp"
#include "sio/transport/connection_registry.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/http_parser.hpp"
#include "sio/transport/memory_budget.hpp"
#include "sio/transport/strand_pool.hpp"

namespace sio::transport {

/// Read-only once the listener runs.
struct connection_settings {
  http_limits limits;
  std::chrono::milliseconds idle_timeout{30000};  ///< keep-alive idle, or an incomplete request
  std::chrono::milliseconds close_timeout{5000};  ///< WebSocket closing handshake
  /// After an error response that leaves the request unread, how long the peer's bytes are read
  /// and dropped so that it reads the response rather than a reset (RFC 9112 §9.6).
  std::chrono::milliseconds linger_timeout{2000};
  /// Output queued beyond which the connection stops reading and serving pipelined requests.
  std::size_t output_pause_bytes = 256 * 1024;
  std::shared_ptr<request_handler> handler;
  std::shared_ptr<strand_pool> strands;           ///< where new connections run
  std::shared_ptr<memory_budget> budget;          ///< the server's output, all connections
  std::shared_ptr<connection_limiter> limiter;    ///< open connections, in all and per address
  std::shared_ptr<connection_registry> registry;  ///< the listener's connections, for closing
  proxy_trust proxies;
};

}  // namespace sio::transport
