#pragma once
// What sio::redis_sharded_adapter needs to join a cluster of Socket.IO servers through Redis's
// sharded pub/sub (Redis 7.0 or newer), given to sio::redis_sharded_adapter::create().
#include <chrono>
#include <functional>
#include <string>
#include <system_error>

#include "sio/redis/options.hpp"

namespace sio {

/// Which rooms get a shard channel of their own (Node's subscriptionMode). Every server of one
/// cluster must use the same mode: a broadcast to one room goes only to that room's channel.
enum class redis_subscription_mode {
  dynamic,          ///< Node's "dynamic" (the default): public rooms have their own channel
  static_channels,  ///< Node's "static": only the namespace's channel and the response channel
  dynamic_private,  ///< Node's "dynamic-private": every room, socket-id rooms included
};

struct redis_sharded_adapter_options {
  /// redis:// or rediss:// (TLS), with user and password: one redis-server (7.0+), or any node
  /// of a Redis Cluster (the others are found from it). Pub/sub ignores the db number: the
  /// channel prefix is what keeps two clusters on one Redis apart.
  std::string url = "redis://127.0.0.1:6379";
  /// Node's channelPrefix: the same on every server of one cluster.
  std::string channel_prefix = "socket.io";
  redis_subscription_mode subscription_mode = redis_subscription_mode::dynamic;
  /// How long fetch_sockets, server_side_emit_with_ack and broadcasts with acks wait for the other
  /// servers when the caller gives no timeout (Node's fixed 5000 ms).
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
