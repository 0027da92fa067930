#pragma once
// The sharded pub/sub under one server's sio::redis_sharded_adapter (docs/redis-wire.md §3): SPUBLISH,
// SSUBSCRIBE, SUNSUBSCRIBE and PUBSUB SHARDNUMSUB, nothing else. This is the seam where the Redis
// Cluster client (sio::redis::cluster: slots, MOVED/ASK, counts summed over masters) slots in; for
// now two connections to one redis-server (7.0 or newer, which takes sharded pub/sub without
// cluster mode): `pub` for SPUBLISH and the counts, `sub` for the subscriptions.
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

#include "sio/redis/connection.hpp"
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
    if (pub_ || sub_)
      asio::post(strand_, [pub = pub_, sub = sub_] {
        if (pub) pub->close();
        if (sub) sub->close();
      });
  }

  const redis_sharded_adapter_options& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return strand_; }

  /// Closes both connections for good (posted to the strand): what is not sent is dropped,
  /// requests time out, and the io_context can run out of work. Any thread.
  void close() {
    asio::post(strand_, [self = shared_from_this()] {
      self->closed_ = true;
      self->listeners_.clear();
      if (self->pub_) self->pub_->close();
      if (self->sub_) self->sub_->close();
    });
  }

  /// SSUBSCRIBE `channel` (one channel per command, as a cluster needs); its messages go to `h`.
  void ssubscribe(const std::string& channel, message_handler h) {
    if (!start()) return;
    listeners_[channel] = std::move(h);
    sub_->ssubscribe(channel, [weak = weak_from_this(), channel](std::error_code ec, const reply& r) {
      auto self = weak.lock();
      if (self && (ec || r.is_error())) self->report(ec ? ec : std::make_error_code(std::errc::bad_message), "ssubscribe to " + channel);
    });
  }
  void sunsubscribe(const std::string& channel) {
    if (closed_ || !sub_ || !listeners_.erase(channel)) return;
    sub_->sunsubscribe({channel}, [](std::error_code, const reply&) {});
  }

  /// SPUBLISH; a failure (Redis away, the write queue full) goes to options().on_error.
  void spublish(const std::string& channel, std::string payload) {
    if (!start()) return report(make_error_code(errc::closed), "spublish on " + channel);
    pub_->command({"SPUBLISH", channel, payload}, [weak = weak_from_this(), channel](std::error_code ec, reply r) {
      if (!ec && r.is_error()) ec = std::make_error_code(std::errc::bad_message);
      auto self = weak.lock();
      if (ec && self) self->report(ec, "spublish on " + channel + (r.is_error() ? ": " + r.str() : std::string()));
    });
  }

  /// PUBSUB SHARDNUMSUB `channel`: how many connections hold a shard subscription to it.
  void shardnumsub(const std::string& channel, count_handler done) {
    if (!start()) return asio::post(strand_, [done = std::move(done)] { done(make_error_code(errc::closed), 0); });
    pub_->command({"PUBSUB", "SHARDNUMSUB", channel}, [done = std::move(done)](std::error_code ec, reply r) {
      if (!ec && (!r.is_array() || r.elements().size() < 2)) ec = std::make_error_code(std::errc::bad_message);
      if (ec) return done(ec, 0);
      const auto& n = r.elements()[1];
      done({}, n.is_integer() && n.integer() > 0 ? static_cast<std::size_t>(n.integer()) : 0);
    });
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
    if (pub_) return true;
    pub_ = connection::create(strand_, address_, options_.connection);
    sub_ = connection::create(strand_, address_, options_.connection);
    sub_->on_message([weak = weak_from_this()](message m) {
      if (auto self = weak.lock()) self->dispatch(m);
    });
    pub_->start();
    sub_->start();
    return true;
  }

  void dispatch(const message& m) {
    auto it = listeners_.find(m.channel);
    if (it == listeners_.end()) return;
    if (m.kind == message::type::smessage) return it->second(m);
    // The server ended the subscription on its own (a slot moved): take it again.
    if (m.kind == message::type::sunsubscribe) ssubscribe(m.channel, it->second);
  }

  asio::any_io_executor strand_;
  redis_sharded_adapter_options options_;
  url address_;
  std::shared_ptr<connection> pub_, sub_;
  std::map<std::string, message_handler> listeners_;
  std::size_t failures_ = 0;
  bool closed_ = false;
};

}  // namespace sio::redis
