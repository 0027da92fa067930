#pragma once
// What sio::redis_adapter needs to join a cluster of Socket.IO servers through Redis, given once
// to sio::redis_adapter::create(io, options), whose factory the server is made with.
#include <chrono>
#include <functional>
#include <string>
#include <system_error>

#include "sio/redis/options.hpp"

namespace sio {

struct redis_adapter_options {
  /// redis:// or rediss:// (TLS), with user, password and db. Pub/sub ignores the db number: the
  /// key prefix is what keeps two clusters on one Redis apart.
  std::string url = "redis://127.0.0.1:6379";
  /// The channel prefix, Node's `key` option: the same on every server of one cluster.
  std::string key = "socket.io";
  /// How long fetch_sockets, server_side_emit_with_ack and the other requests wait for the other
  /// servers when the caller gives no timeout (Node's requestsTimeout).
  std::chrono::milliseconds request_timeout{5000};
  /// The bounds of the two connections: what waits while Redis is away is bounded by
  /// connection.max_write_queue_bytes and max_pending_commands; over them a publish is dropped
  /// and reported.
  redis::options connection;
  /// A publish or subscription that failed (Redis away, a queue full). Runs on the adapter's strand;
  /// must not throw. Local delivery goes on either way.
  std::function<void(std::error_code, const std::string& what)> on_error;
};

}  // namespace sio
