#pragma once
// The two Redis connections one io_context's sio::redis_adapter instances share (docs/redis-wire.md
// §2): `pub` for PUBLISH and PUBSUB NUMSUB, `sub` for the subscriptions, like Node's pubClient and
// subClient. An Asio service of the io_context, so that every namespace of every server on it finds
// the same pair without the server knowing about Redis: sio::redis_adapter::configure() gives it
// the options, and the first adapter starts the connections.
//
// Thread safety: every member but configure(), options() and close() runs on executor() (a strand);
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

class adapter_bus : public asio::execution_context::service {
 public:
  using key_type = adapter_bus;
  static inline asio::execution_context::id id;
  using message_handler = std::function<void(const message&)>;

  explicit adapter_bus(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  /// Before the first adapter of this io_context is made.
  void configure(asio::any_io_executor executor, redis_adapter_options opts) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (strand_) throw std::logic_error("sio::redis_adapter::configure: already configured for this io_context");
    address_ = url::parse(opts.url);  // throws on a malformed URL, before anything starts
    strand_ = asio::make_strand(std::move(executor));
    options_ = std::move(opts);
  }
  bool configured() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<bool>(strand_);
  }
  const redis_adapter_options& options() const noexcept { return options_; }
  const asio::any_io_executor& executor() const noexcept { return strand_; }

  /// Closes both connections (posted to the strand): what is not sent is dropped, requests time
  /// out, and the io_context can run out of work. The adapters stay usable for local delivery.
  void close() {
    if (!configured()) return;
    asio::post(strand_, [this] {
      closed_ = true;
      listeners_.clear();
      if (pub_) pub_->close();
      if (sub_) sub_->close();
    });
  }

  /// Handlers for messages on `channel` (SUBSCRIBE) or matching `pattern` (PSUBSCRIBE).
  void listen_channel(const std::string& channel, message_handler h) { listen(false, channel, std::move(h)); }
  void listen_pattern(const std::string& pattern, message_handler h) { listen(true, pattern, std::move(h)); }
  void forget_channel(const std::string& channel) { forget(false, channel); }
  void forget_pattern(const std::string& pattern) { forget(true, pattern); }

  /// PUBLISH; a failure (Redis away, the write queue full) goes to options().on_error, not to the caller.
  void publish(const std::string& channel, std::string payload) {
    if (!start()) return report(make_error_code(errc::closed), "publish on " + channel);
    pub_->command({"PUBLISH", channel, payload}, [this, channel](std::error_code ec, reply r) {
      if (!ec && r.is_error()) ec = std::make_error_code(std::errc::bad_message);
      if (ec) report(ec, "publish on " + channel + (r.is_error() ? ": " + r.str() : std::string()));
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
    if (options_.on_error) options_.on_error(ec, what);
  }
  /// Publishes and subscriptions that failed so far.
  std::size_t failures() const noexcept { return failures_; }

 private:
  // The io_context is going away. The connections must go now, while the timer and socket
  // services they use still exist (this service was made before those, so it is destroyed after).
  void shutdown() override {
    closed_ = true;
    listeners_.clear();
    if (pub_) pub_->close();
    if (sub_) sub_->close();
    pub_.reset();
    sub_.reset();
    strand_ = asio::any_io_executor();  // the strand too: its service is destroyed before this one
  }

  bool start() {
    if (closed_) return false;
    if (pub_) return true;
    pub_ = connection::create(strand_, address_, options_.connection);
    sub_ = connection::create(strand_, address_, options_.connection);
    sub_->on_message([this](message m) { dispatch(m); });
    pub_->start();
    sub_->start();
    return true;
  }

  void listen(bool pattern, const std::string& name, message_handler h) {
    if (!start()) return;
    listeners_[{pattern, name}] = std::move(h);
    auto done = [this, name](std::error_code ec, const reply& r) {
      if (ec || r.is_error()) report(ec ? ec : std::make_error_code(std::errc::bad_message), "subscribe to " + name);
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

  mutable std::mutex mutex_;  // configure() against configured()
  asio::any_io_executor strand_;
  redis_adapter_options options_;
  url address_;
  std::shared_ptr<connection> pub_, sub_;
  std::map<std::pair<bool, std::string>, message_handler> listeners_;
  std::size_t failures_ = 0;
  bool closed_ = false;
};

}  // namespace sio::redis
