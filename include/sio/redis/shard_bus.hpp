#pragma once
// The sharded pub/sub under one server's sio::redis_sharded_adapter (docs/redis-wire.md §3): SPUBLISH,
// SSUBSCRIBE, SUNSUBSCRIBE and PUBSUB SHARDNUMSUB, nothing else, through sio::redis::cluster:
// on a Redis Cluster each channel lives at the master owning its slot (MOVED/ASK followed,
// subscriptions moved with their slot, counts summed over masters); a redis-server without
// cluster mode (7.0+ takes sharded pub/sub) is a cluster of one node.
//
// One per server, never shared between servers: Node counts servers by the subscriber connections
// on the namespace's channel, so two servers on one connection would be counted once.
//
// Thread safety: every member but options(), executor() and close() runs on executor() (a strand);
// the handlers run there too.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include <asio.hpp>

#include "sio/redis/cluster.hpp"
#include "sio/redis/message.hpp"
#include "sio/redis/sharded_adapter_options.hpp"
#include "sio/redis/url.hpp"

namespace sio::redis {

class shard_bus : public std::enable_shared_from_this<shard_bus> {
 public:
  using message_handler = std::function<void(const message&)>;
  using count_handler = std::function<void(std::error_code, std::size_t)>;

  /// Throws std::invalid_argument on a malformed URL, before anything starts. Nothing connects
  /// until the first adapter subscribes.
  shard_bus(asio::any_io_executor executor, redis_sharded_adapter_options opts)
      : strand_(asio::make_strand(std::move(executor))), options_(std::move(opts)), address_(url::parse(options_.url)) {}
  shard_bus(const shard_bus&) = delete;
  shard_bus& operator=(const shard_bus&) = delete;
  // The connections outlive the bus only to close on their strand.
  ~shard_bus() {
    if (redis_) asio::post(strand_, [redis = redis_] { redis->close(); });
  }

  const redis_sharded_adapter_options& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return strand_; }

  /// Closes its connections for good (posted to the strand): what is not sent is dropped,
  /// requests time out, and the io_context can run out of work. Any thread.
  void close() {
    asio::post(strand_, [self = shared_from_this()] {
      self->closed_ = true;
      if (self->redis_) self->redis_->close();
    });
  }

  /// SSUBSCRIBE `channel` (where its slot lives, and again wherever it moves); its messages go to `h`.
  void ssubscribe(const std::string& channel, message_handler h) {
    if (!start()) return;
    redis_->ssubscribe(channel, std::move(h), [weak = weak_from_this(), channel](std::error_code ec, const reply& r) {
      auto self = weak.lock();
      if (self && (ec || r.is_error())) self->report(ec ? ec : std::make_error_code(std::errc::bad_message), "ssubscribe to " + channel);
    });
  }
  void sunsubscribe(const std::string& channel) {
    if (closed_ || !redis_) return;
    redis_->sunsubscribe(channel);
  }

  /// SPUBLISH; a failure (Redis away, the write queue full) goes to options().on_error.
  void spublish(const std::string& channel, std::string payload) {
    if (!start()) return report(make_error_code(errc::closed), "spublish on " + channel);
    redis_->spublish(channel, payload, [weak = weak_from_this(), channel](std::error_code ec, reply r) {
      if (!ec && r.is_error()) ec = std::make_error_code(std::errc::bad_message);
      auto self = weak.lock();
      if (ec && self) self->report(ec, "spublish on " + channel + (r.is_error() ? ": " + r.str() : std::string()));
    });
  }

  /// PUBSUB SHARDNUMSUB `channel` (summed over the masters): how many connections hold a shard
  /// subscription to it.
  void shardnumsub(const std::string& channel, count_handler done) {
    if (!start()) return asio::post(strand_, [done = std::move(done)] { done(make_error_code(errc::closed), 0); });
    redis_->shardnumsub(channel, std::move(done));
  }

  void report(std::error_code ec, const std::string& what) {
    ++failures_;
    if (options_.on_error) options_.on_error(ec, what);
  }
  /// Publishes and subscriptions that failed so far.
  std::size_t failures() const noexcept { return failures_; }

 private:
  bool start() {
    if (closed_) return false;
    if (redis_) return true;
    cluster_options opts;
    opts.connection = options_.connection;
    opts.on_error = [weak = weak_from_this()](std::error_code ec, const std::string& what) {
      if (auto self = weak.lock()) self->report(ec, what);
    };
    redis_ = cluster::create(strand_, {address_}, std::move(opts));
    redis_->start();
    return true;
  }

  asio::any_io_executor strand_;
  redis_sharded_adapter_options options_;
  url address_;
  std::shared_ptr<cluster> redis_;
  std::size_t failures_ = 0;
  bool closed_ = false;
};

}  // namespace sio::redis
