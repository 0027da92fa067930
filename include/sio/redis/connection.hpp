#pragma once
// One connection to one Redis server, RESP2, on the caller's executor: hiredis formats the
// commands and reads the replies (reader.hpp), Asio does all the I/O (TCP, or TLS for rediss://).
//
// - start() resolves, connects, and sends AUTH and SELECT when the URL has them, and renews every
//   subscription the connection had, before any command of the caller is written. The state
//   handler hears `connected` then.
// - command() pipelines: commands are written as they come and their replies are matched in
//   order. (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE through command() (or subscribe() and friends)
//   complete with their last confirmation; messages go to the message handler.
// - When the link drops, the commands sent on it fail at once (errc::connection_lost, or the
//   reason: errc::protocol_error, errc::reply_too_large), the state handler hears `disconnected`
//   with the reason, and the connection connects again after a capped exponential back-off.
//   Commands not sent yet wait for the next link.
// - Bounds: options::max_write_queue_bytes, max_pending_commands, max_reply_bytes (options.hpp).
//
// The subscriber mode is RESP2's: once subscribed, a connection takes only (P|S)SUBSCRIBE,
// (P|S)UNSUBSCRIBE, PING, QUIT and RESET (the server answers other commands with an error), so
// use one connection for commands and another for subscriptions.
//
// Thread safety: none. Call every member function on the executor given to create() (a strand if
// the io_context runs on several threads); the handlers run there. Handlers must not throw.
// Lifetime: while it reads or waits to reconnect, the connection keeps itself alive; close() ends it.
//
// Usage (tests/redis has it running; tests/docs cannot compile it: its snippets build without hiredis):
//   auto redis = sio::redis::connection::create(io.get_executor(), sio::redis::url::parse("redis://127.0.0.1:6379"));
//   redis->start();
//   redis->command({"SET", "key", "value"}, [](std::error_code ec, sio::redis::reply r) { /* r.str() == "OK" */ });
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <hiredis/hiredis.h>

#include "sio/redis/error.hpp"
#include "sio/redis/message.hpp"
#include "sio/redis/options.hpp"
#include "sio/redis/reader.hpp"
#include "sio/redis/reply.hpp"
#include "sio/redis/url.hpp"

namespace sio::redis {

class connection : public std::enable_shared_from_this<connection> {
 public:
  /// A command's outcome: an error code (the reply is then nil), or the reply, which may be an
  /// error reply of the server (reply::is_error()).
  using reply_handler = std::function<void(std::error_code ec, reply r)>;
  using message_handler = std::function<void(message m)>;
  enum class link_state { connected, disconnected };
  /// `detail` is the server's error text or hiredis's protocol error, when there is one.
  using state_handler = std::function<void(link_state state, std::error_code reason, const std::string& detail)>;

  static std::shared_ptr<connection> create(asio::any_io_executor executor, url address, options opts = {}) {
    return std::shared_ptr<connection>(new connection(std::move(executor), std::move(address), std::move(opts)));
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Set before start(). close() drops both (they may hold the connection).
  void on_message(message_handler h) { message_handler_ = std::move(h); }
  void on_state(state_handler h) { state_handler_ = std::move(h); }

  /// Connects (and reconnects until close()). Commands given before are sent once connected.
  void start() {
    if (phase_ != phase::idle) return;
    connect();
  }

  /// Sends a command: its arguments are binary-safe. `done` runs once, on the executor.
  void command(const std::vector<std::string_view>& args, reply_handler done) {
    if (args.empty()) return post_error(std::move(done), errc::invalid_command);
    if (phase_ == phase::closed) return post_error(std::move(done), errc::closed);
    if (pending_.size() >= options_.max_pending_commands) return post_error(std::move(done), errc::too_many_pending);
    entry e;
    e.handler = std::move(done);
    e.kind = pubsub_kind_of(args.front());
    if (is_unsubscribe(e.kind) && args.size() == 1) {
      e.all = true;
    } else if (e.kind != pubsub::none) {
      for (std::size_t i = 1; i < args.size(); ++i) e.channels.emplace_back(args[i]);
    }
    std::size_t before = queued_.size();
    if (!append_command(queued_, args) || queued_.size() + writing_.size() > options_.max_write_queue_bytes) {
      queued_.resize(before);
      return post_error(std::move(e.handler), errc::write_queue_full);
    }
    push_entry(std::move(e));
    flush();
  }

  void subscribe(const std::vector<std::string_view>& channels, reply_handler done) { with_name("SUBSCRIBE", channels, std::move(done)); }
  void psubscribe(const std::vector<std::string_view>& patterns, reply_handler done) { with_name("PSUBSCRIBE", patterns, std::move(done)); }
  /// One shard channel per call keeps every SSUBSCRIBE within one slot (Redis Cluster refuses others).
  void ssubscribe(std::string_view channel, reply_handler done) { with_name("SSUBSCRIBE", {channel}, std::move(done)); }
  void unsubscribe(const std::vector<std::string_view>& channels, reply_handler done) {
    with_name("UNSUBSCRIBE", channels, std::move(done));
  }
  void punsubscribe(const std::vector<std::string_view>& patterns, reply_handler done) {
    with_name("PUNSUBSCRIBE", patterns, std::move(done));
  }
  void sunsubscribe(const std::vector<std::string_view>& channels, reply_handler done) {
    with_name("SUNSUBSCRIBE", channels, std::move(done));
  }

  /// Closes the link for good: every command not answered yet fails with errc::closed (posted).
  void close() {
    if (phase_ == phase::closed) return;
    phase_ = phase::closed;
    ++generation_;
    drop_transport();
    reconnect_timer_.cancel();
    std::deque<entry> failed;
    failed.swap(pending_);
    sent_ = 0;
    pubsub_pending_ = 0;
    handshake_left_ = 0;
    queued_.clear();
    writing_.clear();
    write_in_flight_ = false;
    message_handler_ = nullptr;
    state_handler_ = nullptr;
    std::vector<reply_handler> handlers;
    for (auto& e : failed)
      if (e.origin == role::user && e.handler) handlers.push_back(std::move(e.handler));
    if (!handlers.empty()) {
      asio::post(executor_, [handlers = std::move(handlers)]() mutable {
        for (auto& h : handlers) h(errc::closed, reply());
      });
    }
  }

  bool connected() const noexcept { return phase_ == phase::ready; }
  /// Commands waiting for their replies, sent or not (bounded by max_pending_commands).
  std::size_t pending_commands() const noexcept { return pending_.size(); }
  /// Bytes formatted and not yet written (bounded by max_write_queue_bytes).
  std::size_t queued_bytes() const noexcept { return queued_.size() + writing_.size(); }
  /// The subscriptions the server confirmed; they are renewed after a reconnect.
  const std::set<std::string>& channels() const noexcept { return channels_; }
  const std::set<std::string>& patterns() const noexcept { return patterns_; }
  const std::set<std::string>& shard_channels() const noexcept { return shard_channels_; }
  const url& address() const noexcept { return url_; }

 private:
  enum class phase { idle, connecting, handshaking, ready, waiting, closed };
  enum class role { user, auth, select, resubscribe };
  enum class pubsub { none, subscribe, psubscribe, ssubscribe, unsubscribe, punsubscribe, sunsubscribe };

  // A command waiting for its reply (or, for the pub/sub ones, its confirmations).
  struct entry {
    reply_handler handler;
    role origin = role::user;
    pubsub kind = pubsub::none;
    std::vector<std::string> channels;  // confirmations still awaited, by name
    bool all = false;                   // (P|S)UNSUBSCRIBE with no name: one confirmation per subscription
    std::size_t expected = 0;           // for `all`: set by the first confirmation
    std::size_t received = 0;
  };

  connection(asio::any_io_executor executor, url address, options opts)
      : executor_(std::move(executor)),
        url_(std::move(address)),
        options_(std::move(opts)),
        resolver_(executor_),
        connect_timer_(executor_),
        reconnect_timer_(executor_),
        read_buffer_(64 * 1024) {
    if (url_.tls) {
      tls_context_ = options_.tls_context;
      if (!tls_context_) {
        tls_context_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        tls_context_->set_default_verify_paths();
      }
    }
  }

  static bool equals_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return (x >= 'a' && x <= 'z' ? x - 'a' + 'A' : x) == (y >= 'a' && y <= 'z' ? y - 'a' + 'A' : y);
           });
  }
  static pubsub pubsub_kind_of(std::string_view name) {
    static constexpr std::pair<std::string_view, pubsub> names[] = {
        {"subscribe", pubsub::subscribe},     {"psubscribe", pubsub::psubscribe},     {"ssubscribe", pubsub::ssubscribe},
        {"unsubscribe", pubsub::unsubscribe}, {"punsubscribe", pubsub::punsubscribe}, {"sunsubscribe", pubsub::sunsubscribe}};
    for (const auto& [text, kind] : names)
      if (equals_nocase(name, text)) return kind;
    return pubsub::none;
  }
  static bool is_unsubscribe(pubsub k) { return k == pubsub::unsubscribe || k == pubsub::punsubscribe || k == pubsub::sunsubscribe; }

  void with_name(std::string_view name, const std::vector<std::string_view>& names, reply_handler done) {
    if (names.empty() && !is_unsubscribe(pubsub_kind_of(name))) return post_error(std::move(done), errc::invalid_command);
    std::vector<std::string_view> args;
    args.reserve(names.size() + 1);
    args.push_back(name);
    args.insert(args.end(), names.begin(), names.end());
    command(args, std::move(done));
  }

  // hiredis's formatter; false when it fails (it reports no reason).
  static bool append_command(std::string& out, const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (auto a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    int size = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lengths.data());
    if (size < 0) return false;
    out.append(formatted, static_cast<std::size_t>(size));
    redisFreeCommand(formatted);
    return true;
  }

  void post_error(reply_handler done, std::error_code ec) {
    if (done) asio::post(executor_, [done = std::move(done), ec]() { done(ec, reply()); });
  }

  void push_entry(entry e) {
    if (e.kind != pubsub::none) ++pubsub_pending_;
    pending_.push_back(std::move(e));
  }

  // --- the link ---------------------------------------------------------------------------------

  // Calls f with the stream of the current link, as a shared_ptr: each operation keeps its stream
  // alive until it completes, even when the link has been replaced meanwhile.
  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(tls_);
    } else {
      f(tcp_);
    }
  }
  asio::ip::tcp::socket& lowest_layer() { return tls_ ? tls_->next_layer() : *tcp_; }

  void drop_transport() {
    std::error_code ignored;
    resolver_.cancel();
    connect_timer_.cancel();
    if (tcp_ || tls_) lowest_layer().close(ignored);
  }

  void connect() {
    unsigned gen = ++generation_;
    phase_ = phase::connecting;
    reader_ = std::make_unique<reader>(options_.max_reply_bytes);
    if (url_.tls) {
      tcp_.reset();
      tls_ = std::make_shared<asio::ssl::stream<asio::ip::tcp::socket>>(executor_, *tls_context_);
    } else {
      tls_.reset();
      tcp_ = std::make_shared<asio::ip::tcp::socket>(executor_);
    }
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([self = shared_from_this(), gen](std::error_code ec) {
      if (ec || gen != self->generation_) return;
      self->link_failed(errc::connect_timeout, {});
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [self = shared_from_this(), gen](std::error_code ec, asio::ip::tcp::resolver::results_type results) {
                              if (gen != self->generation_) return;
                              if (ec) return self->link_failed(ec, "resolving " + self->url_.host);
                              self->with_stream([&](auto stream) {
                                asio::async_connect(self->lowest_layer(), results,
                                                    [self, gen, stream](std::error_code ec, const asio::ip::tcp::endpoint&) {
                                                      if (gen != self->generation_) return;
                                                      if (ec) return self->link_failed(ec, {});
                                                      self->on_transport_connected(gen);
                                                    });
                              });
                            });
  }

  void on_transport_connected(unsigned gen) {
    std::error_code ignored;
    lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
    if (!tls_) return on_link_up(gen);
    std::error_code address_error;
    asio::ip::make_address(url_.host, address_error);
    if (address_error) SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str());  // SNI for names only
    tls_->set_verify_mode(asio::ssl::verify_peer);
    tls_->set_verify_callback(asio::ssl::host_name_verification(url_.host));
    tls_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(), gen, stream = tls_](std::error_code ec) {
      if (gen != self->generation_) return;
      if (ec) return self->link_failed(ec, "TLS handshake");
      self->on_link_up(gen);
    });
  }

  // The transport is up: AUTH, SELECT and the subscriptions go first; the caller's commands
  // (already in queued_, their entries in pending_) wait until all of them are answered.
  void on_link_up(unsigned gen) {
    phase_ = phase::handshaking;
    std::vector<entry> first;
    auto add = [&](role r, pubsub kind, const std::vector<std::string_view>& args) {
      append_command(writing_, args);
      entry e;
      e.origin = r;
      e.kind = kind;
      for (std::size_t i = 1; kind != pubsub::none && i < args.size(); ++i) e.channels.emplace_back(args[i]);
      first.push_back(std::move(e));
    };
    writing_.clear();
    if (url_.password) {
      if (url_.user.empty()) {
        add(role::auth, pubsub::none, {"AUTH", *url_.password});
      } else {
        add(role::auth, pubsub::none, {"AUTH", url_.user, *url_.password});
      }
    }
    std::string db;
    if (url_.db) {
      db = std::to_string(*url_.db);
      add(role::select, pubsub::none, {"SELECT", db});
    }
    auto renew = [&](const char* name, pubsub kind, const std::set<std::string>& names) {
      if (names.empty()) return;
      std::vector<std::string_view> args{name};
      args.insert(args.end(), names.begin(), names.end());
      add(role::resubscribe, kind, args);
    };
    renew("SUBSCRIBE", pubsub::subscribe, channels_);
    renew("PSUBSCRIBE", pubsub::psubscribe, patterns_);
    for (const auto& channel : shard_channels_) add(role::resubscribe, pubsub::ssubscribe, {"SSUBSCRIBE", channel});

    for (auto it = first.rbegin(); it != first.rend(); ++it) {
      if (it->kind != pubsub::none) ++pubsub_pending_;
      pending_.push_front(std::move(*it));
    }
    sent_ = first.size();
    handshake_left_ = first.size();
    read(gen);
    if (first.empty()) return on_ready();
    write(gen);
  }

  void on_ready() {
    phase_ = phase::ready;
    connect_timer_.cancel();
    ready_at_ = std::chrono::steady_clock::now();
    reported_down_ = false;
    if (state_handler_) state_handler_(link_state::connected, {}, {});
    flush();
  }

  void flush() {
    if (phase_ != phase::ready || write_in_flight_ || queued_.empty()) return;
    writing_.swap(queued_);
    sent_ = pending_.size();
    write(generation_);
  }

  void write(unsigned gen) {
    write_in_flight_ = true;
    with_stream([&](auto stream) {
      asio::async_write(*stream, asio::buffer(writing_), [self = shared_from_this(), gen, stream](std::error_code ec, std::size_t) {
        if (gen != self->generation_) return;
        self->write_in_flight_ = false;
        self->writing_.clear();
        if (ec) return self->link_failed(ec, "write");
        self->flush();
      });
    });
  }

  void read(unsigned gen) {
    with_stream([&](auto stream) {
      stream->async_read_some(asio::buffer(read_buffer_), [self = shared_from_this(), gen, stream](std::error_code ec, std::size_t n) {
        if (gen != self->generation_) return;
        if (ec) return self->link_failed(ec, ec == asio::error::eof ? "the server closed the connection" : "read");
        self->on_input(gen, n);
      });
    });
  }

  // Every reply in the bytes read, in a loop (never one call per reply nested in the previous).
  void on_input(unsigned gen, std::size_t n) {
    if (!reader_->feed(read_buffer_.data(), n)) return link_failed(reader_->error(), reader_->error_message());
    reply r;
    for (;;) {
      auto result = reader_->next(r);
      if (result == reader::result::need_more) break;
      if (result == reader::result::error) return link_failed(reader_->error(), reader_->error_message());
      dispatch(std::move(r));
      if (gen != generation_) return;  // the reply ended the link, or a handler closed the connection
    }
    read(gen);
  }

  // --- replies ----------------------------------------------------------------------------------

  // RESP2 has no push type: an array ["message", ...] is taken for a push only while the link is
  // in subscribed mode (a subscription confirmed, or a (P|S)SUBSCRIBE next in line), where the
  // server refuses the commands whose replies could look like one.
  bool subscribed() const {
    if (!channels_.empty() || !patterns_.empty() || !shard_channels_.empty()) return true;
    return sent_ > 0 && pending_.front().kind != pubsub::none;
  }

  void dispatch(reply r) {
    backoff_attempt_ = 0;  // the server answers: the back-off starts over after this link
    if (subscribed() && r.is_array() && !r.elements().empty() && r.elements()[0].is_string()) {
      const auto& e = r.elements();
      const std::string& kind = e[0].str();
      if (kind == "message" && e.size() == 3)
        return deliver(message::type::message, {}, std::move(r.elements()[1].str()), std::move(r.elements()[2].str()));
      if (kind == "smessage" && e.size() == 3)
        return deliver(message::type::smessage, {}, std::move(r.elements()[1].str()), std::move(r.elements()[2].str()));
      if (kind == "pmessage" && e.size() == 4)
        return deliver(message::type::pmessage, std::move(r.elements()[1].str()), std::move(r.elements()[2].str()),
                       std::move(r.elements()[3].str()));
      pubsub confirmation = pubsub_kind_of(kind);
      if (confirmation != pubsub::none && e.size() == 3) return on_confirmation(confirmation, std::move(r));
    }
    if (sent_ == 0) return link_failed(errc::protocol_error, "a reply to no command");
    entry done = pop_front();
    complete(std::move(done), std::move(r));
  }

  void deliver(message::type kind, std::string pattern, std::string channel, std::string payload) {
    if (!message_handler_) return;
    message m;
    m.kind = kind;
    m.pattern = std::move(pattern);
    m.channel = std::move(channel);
    m.payload = std::move(payload);
    message_handler_(std::move(m));
  }

  std::set<std::string>& subscriptions(pubsub kind) {
    switch (kind) {
      case pubsub::subscribe:
      case pubsub::unsubscribe: return channels_;
      case pubsub::psubscribe:
      case pubsub::punsubscribe: return patterns_;
      default: return shard_channels_;
    }
  }

  void on_confirmation(pubsub kind, reply r) {
    const std::string& name = r.elements()[1].str();  // empty (nil) for an UNSUBSCRIBE with nothing subscribed
    auto& names = subscriptions(kind);
    if (sent_ > 0 && pending_.front().kind == kind) {
      entry& front = pending_.front();
      auto match = std::find(front.channels.begin(), front.channels.end(), name);
      if (front.all || match != front.channels.end()) {
        if (front.all && front.expected == 0) front.expected = std::max<std::size_t>(1, names.size());
        if (is_unsubscribe(kind)) {
          names.erase(name);
        } else {
          names.insert(name);
        }
        bool finished = false;
        if (front.all) {
          finished = ++front.received == front.expected;
        } else {
          front.channels.erase(match);
          finished = front.channels.empty();
        }
        if (finished) complete(pop_front(), std::move(r));
        return;
      }
    }
    if (is_unsubscribe(kind)) {
      // Not asked for: the server ended the subscription itself (a shard channel whose slot moved).
      names.erase(name);
      if (kind == pubsub::sunsubscribe) deliver(message::type::sunsubscribe, {}, name, {});
      return;
    }
    link_failed(errc::protocol_error, "a subscription confirmation no command asked for");
  }

  entry pop_front() {
    entry e = std::move(pending_.front());
    pending_.pop_front();
    --sent_;
    if (e.kind != pubsub::none) --pubsub_pending_;
    return e;
  }

  void complete(entry e, reply r) {
    if (e.origin == role::user) {
      if (e.handler) e.handler({}, std::move(r));
      return;
    }
    if (r.is_error()) {
      errc reason = e.origin == role::auth ? errc::auth_failed : e.origin == role::select ? errc::select_failed : errc::resubscribe_failed;
      return link_failed(reason, r.str());
    }
    if (--handshake_left_ == 0) on_ready();
  }

  // The link is gone (or never came up): what was sent on it fails now, what was not waits for the
  // next link (or fails too when reconnect is off), and the state handler hears why.
  void link_failed(std::error_code reason, const std::string& detail) {
    if (phase_ == phase::closed) return;
    // A link that was up for long without a reply (an idle one) counts as good as one that answered;
    // a server that accepts and hangs up at once does not reset the back-off.
    if (phase_ == phase::ready && std::chrono::steady_clock::now() - ready_at_ >= options_.reconnect_max_delay) backoff_attempt_ = 0;
    ++generation_;
    drop_transport();
    write_in_flight_ = false;
    writing_.clear();
    std::vector<reply_handler> failed;
    while (sent_ > 0) {
      entry e = pop_front();
      if (e.origin == role::user && e.handler) failed.push_back(std::move(e.handler));
    }
    handshake_left_ = 0;
    std::error_code command_error = reason.category() == error_category() ? reason : make_error_code(errc::connection_lost);
    std::vector<reply_handler> unsent;
    if (options_.reconnect) {
      phase_ = phase::waiting;
      schedule_reconnect();
    } else {
      phase_ = phase::closed;
      while (!pending_.empty()) {
        entry e = std::move(pending_.front());
        pending_.pop_front();
        if (e.handler) unsent.push_back(std::move(e.handler));
      }
      pubsub_pending_ = 0;
      queued_.clear();
    }
    if (!reported_down_ && state_handler_) {
      reported_down_ = true;
      auto handler = state_handler_;  // it may close the connection, which drops state_handler_
      handler(link_state::disconnected, reason, detail);
    }
    for (auto& h : failed) h(command_error, reply());
    for (auto& h : unsent) h(errc::closed, reply());
  }

  void schedule_reconnect() {
    auto delay = options_.reconnect_initial_delay;
    for (unsigned i = 0; i < backoff_attempt_ && delay < options_.reconnect_max_delay; ++i) delay *= 2;
    delay = std::min(delay, options_.reconnect_max_delay);
    ++backoff_attempt_;
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (ec || self->phase_ != phase::waiting) return;
      self->connect();
    });
  }

  asio::any_io_executor executor_;
  url url_;
  options options_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  asio::ip::tcp::resolver resolver_;
  std::shared_ptr<asio::ip::tcp::socket> tcp_;
  std::shared_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  asio::steady_timer connect_timer_;
  asio::steady_timer reconnect_timer_;
  std::unique_ptr<reader> reader_;
  std::vector<char> read_buffer_;

  phase phase_ = phase::idle;
  unsigned generation_ = 0;       // bumped when a link ends: completions of an older link do nothing
  unsigned backoff_attempt_ = 0;  // reset by a reply, or by a link up for reconnect_max_delay
  std::chrono::steady_clock::time_point ready_at_;
  bool reported_down_ = false;

  std::deque<entry> pending_;       // in the order of their replies
  std::size_t sent_ = 0;            // the first sent_ entries were written (or are being written)
  std::size_t pubsub_pending_ = 0;  // entries of (P|S)(UN)SUBSCRIBE commands in pending_
  std::size_t handshake_left_ = 0;  // AUTH/SELECT/resubscribe replies still awaited
  std::string queued_;              // formatted commands not written yet
  std::string writing_;             // what the write in flight reads from
  bool write_in_flight_ = false;

  std::set<std::string> channels_;
  std::set<std::string> patterns_;
  std::set<std::string> shard_channels_;

  message_handler message_handler_;
  state_handler state_handler_;
};

}  // namespace sio::redis
