#pragma once
// The two Redis connections that the namespaces of one server share (docs/redis-wire.md §2): `pub`
// for PUBLISH and PUBSUB NUMSUB, `sub` for the subscriptions, like Node's pubClient and subClient.
// One per server, never shared between servers: Node counts servers by the subscriber connections
// on a request channel, so two servers on one connection would be counted once.
//
// Thread safety: every member but options(), executor() and close() runs on executor() (a strand);
// the handlers run there too.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <asio.hpp>

#include "sio/redis/connection.hpp"
#include "sio/redis/message.hpp"
#include "sio/redis/url.hpp"
#include "sio/redis/adapter_options.hpp"

namespace sio::redis {

class adapter_bus : public std::enable_shared_from_this<adapter_bus> {
 public:
  using message_handler = std::function<void(const message&)>;

  /// Throws std::invalid_argument on a malformed URL, before anything starts. Nothing connects
  /// until the first adapter subscribes.
  adapter_bus(asio::any_io_executor executor, redis_adapter_options opts)
      : strand_(asio::make_strand(std::move(executor))), options_(std::move(opts)), address_(url::parse(options_.url)) {}
  adapter_bus(const adapter_bus&) = delete;
  adapter_bus& operator=(const adapter_bus&) = delete;
  // The connections outlive the bus only to close on their strand.
  ~adapter_bus() {
    if (pub_ || sub_)
      asio::post(strand_, [pub = pub_, sub = sub_] {
        if (pub) pub->close();
        if (sub) sub->close();
      });
  }

  const redis_adapter_options& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return strand_; }

  /// Closes both connections for good (posted to the strand): what is not sent is dropped,
  /// requests time out, and the io_context can run out of work. The adapters stay usable for
  /// local delivery. Any thread.
  void close() {
    asio::post(strand_, [self = shared_from_this()] { self->close_now(); });
  }

  /// Handlers for messages on `channel` (SUBSCRIBE) or matching `pattern` (PSUBSCRIBE).
  void listen_channel(const std::string& channel, message_handler h) { listen(false, channel, std::move(h)); }
  void listen_pattern(const std::string& pattern, message_handler h) { listen(true, pattern, std::move(h)); }
  void forget_channel(const std::string& channel) { forget(false, channel); }
  void forget_pattern(const std::string& pattern) { forget(true, pattern); }

  /// PUBLISH; a failure (Redis away, the write queue full) goes to options().on_error, not to the caller.
  void publish(const std::string& channel, std::string payload) {
    if (!start()) return report(make_error_code(errc::closed), "publish on " + channel);
    pub_->command({"PUBLISH", channel, payload}, [weak = weak_from_this(), channel](std::error_code ec, reply r) {
      if (!ec && r.is_error()) ec = std::make_error_code(std::errc::bad_message);
      auto self = weak.lock();
      if (ec && self) self->report(ec, "publish on " + channel + (r.is_error() ? ": " + r.str() : std::string()));
    });
  }

  /// PUBSUB NUMSUB `channel`: how many connections are subscribed to it.
  void numsub(const std::string& channel, std::function<void(std::error_code, std::size_t)> done) {
    if (!start()) return asio::post(strand_, [done = std::move(done)] { done(make_error_code(errc::closed), 0); });
    pub_->command({"PUBSUB", "NUMSUB", channel}, [done = std::move(done)](std::error_code ec, reply r) {
      if (!ec && (!r.is_array() || r.elements().size() < 2)) ec = std::make_error_code(std::errc::bad_message);
      if (ec) return done(ec, 0);
      const auto& n = r.elements()[1];
      done({}, n.is_integer() && n.integer() > 0 ? static_cast<std::size_t>(n.integer()) : 0);
    });
  }

  void report(std::error_code ec, const std::string& what) {
    ++failures_;
    if (!options_.on_error) return;
    try {
      options_.on_error(ec, what);
    } catch (...) {  // documented as must-not-throw; it must not reach io_context::run either
    }
  }
  /// Publishes and subscriptions that failed so far.
  std::size_t failures() const noexcept { return failures_; }

 private:
  void close_now() {
    closed_ = true;
    listeners_.clear();
    if (pub_) pub_->close();
    if (sub_) sub_->close();
  }

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

  void listen(bool pattern, const std::string& name, message_handler h) {
    if (!start()) return;
    listeners_[{pattern, name}] = std::move(h);
    auto done = [weak = weak_from_this(), name](std::error_code ec, const reply& r) {
      auto self = weak.lock();
      if (self && (ec || r.is_error())) self->report(ec ? ec : std::make_error_code(std::errc::bad_message), "subscribe to " + name);
    };
    if (pattern)
      sub_->psubscribe({name}, done);
    else
      sub_->subscribe({name}, done);
  }
  void forget(bool pattern, const std::string& name) {
    if (closed_ || !sub_) return;
    listeners_.erase({pattern, name});
    auto ignore = [](std::error_code, const reply&) {};
    if (pattern)
      sub_->punsubscribe({name}, ignore);
    else
      sub_->unsubscribe({name}, ignore);
  }
  void dispatch(const message& m) {
    auto it = m.kind == message::type::pmessage  ? listeners_.find({true, m.pattern})
              : m.kind == message::type::message ? listeners_.find({false, m.channel})
                                                 : listeners_.end();
    if (it != listeners_.end()) it->second(m);
  }

  asio::any_io_executor strand_;
  redis_adapter_options options_;
  url address_;
  std::shared_ptr<connection> pub_, sub_;
  std::map<std::pair<bool, std::string>, message_handler> listeners_;
  std::size_t failures_ = 0;
  bool closed_ = false;
};

}  // namespace sio::redis
