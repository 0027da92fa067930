#pragma once
// The settings of one sio::redis::connection, with their defaults. Every buffer the connection
// keeps is bounded by one of them.
#include <chrono>
#include <cstddef>
#include <memory>

#include <asio/ssl/context.hpp>

namespace sio::redis {

struct options {
  /// The largest reply accepted, counting the bytes buffered for it and the memory of the values
  /// built from it. A larger reply drops the connection (errc::reply_too_large): the stream
  /// cannot be resynchronised without reading the reply whole.
  std::size_t max_reply_bytes = 64 * 1024 * 1024;
  /// Formatted commands waiting to be written (while connecting, while the link is down, or while
  /// the server reads slowly). A command that would go over it fails at once with
  /// errc::write_queue_full; nothing is queued for it.
  std::size_t max_write_queue_bytes = 16 * 1024 * 1024;
  /// Commands waiting for their replies, sent or not. Over it: errc::too_many_pending.
  std::size_t max_pending_commands = 65536;
  /// Resolving, connecting, the TLS handshake and the AUTH/SELECT/resubscribe replies together.
  std::chrono::milliseconds connect_timeout{10000};
  /// Whether a lost link is connected again. Commands sent on the lost link fail at once
  /// (errc::connection_lost); those not sent yet wait for the next link (within the bounds above).
  bool reconnect = true;
  /// The wait before the first reconnect attempt; it doubles after each failed attempt, up to
  /// reconnect_max_delay, and starts over once a link has carried a reply (or stayed up for
  /// reconnect_max_delay): a server that accepts and hangs up at once is not hammered.
  std::chrono::milliseconds reconnect_initial_delay{100};
  std::chrono::milliseconds reconnect_max_delay{5000};
  /// For rediss:// URLs. When null, a context with the system's CA certificates is made; the
  /// server's certificate is verified, and so is its host name.
  std::shared_ptr<asio::ssl::context> tls_context;
};

}  // namespace sio::redis
