#pragma once
// A Redis Cluster client on the caller's executor (docs/redis-wire.md §7.3), made of
// sio::redis::connection: one per node it sends commands to, and one more per node where it holds
// shard subscriptions (a RESP2 link in subscribed mode takes no other command).
//
// - start() asks a seed (then the known nodes) for CLUSTER SLOTS and keeps the slot map. The map
//   is asked again after a MOVED, after a node's link drops, and after the server ends a shard
//   subscription on its own; a failed attempt is retried with the connections' back-off, and so
//   is the map itself while a master is down or a command waits (until a failover or the node's
//   return: nothing else would tell). A
//   redis-server without cluster support is taken for a cluster of one node serving every slot,
//   so the same code runs on one server (whose URL may then name a db) and on a cluster.
// - command() goes to the master owning the slot of its key (args[1], or the key given to
//   command_for_key()). `-MOVED slot host:port` updates the map and sends the command again there;
//   `-ASK slot host:port` sends ASKING then the command to that node, once. At most
//   max_redirects redirects per command, then cluster_errc::too_many_redirects. An empty host in a
//   redirect names the node that answered.
// - Commands wait in the cluster (at most max_waiting_commands) while the map is unknown or while
//   their node's link is down, at most connection.max_write_queue_bytes of arguments in all; they
//   are sent when it comes up or when a new map sends their slot elsewhere. Nothing times them
//   out, as with connection. A command already sent when a link drops fails with
//   errc::connection_lost.
// - Sharded pub/sub: one subscriber connection per node; each channel is SSUBSCRIBEd at the master
//   owning its slot, and again at the new owner when the server ends it (an unsolicited
//   sunsubscribe: the slot moved, a failover) or when that node's link drops. smessage payloads
//   go to the channel's handler.
// - shardnumsub()/numsub(): PUBSUB SHARDNUMSUB/NUMSUB asked of every master and summed, as Node's
//   adapter does with node-redis (RA util.ts): counts are per node in a cluster.
//
// Exceptions thrown by the caller's handlers are caught and reported to
// cluster_options::on_error (cluster_errc::handler_threw, with what()), never thrown into
// io_context::run; background failures (a refused SSUBSCRIBE, a map that cannot be read) go there too.
//
// Thread safety: none. Call every member function on the executor given to create() (a strand if
// the io_context runs on several threads); the handlers run there. close() ends it; the cluster
// also closes its connections when destroyed.
//
// Usage (tests/redis has it running; tests/docs cannot compile it: its snippets build without hiredis):
//   auto redis = sio::redis::cluster::create(strand, {sio::redis::url::parse("redis://127.0.0.1:7000")});
//   redis->start();
//   redis->command({"SET", "key", "value"}, [](std::error_code ec, sio::redis::reply r) { /* r.str() == "OK" */ });
//   redis->ssubscribe("news", [](const sio::redis::message& m) { /* m.payload */ });
//   redis->spublish("news", "hello", [](std::error_code ec, sio::redis::reply r) { /* r.integer(): receivers */ });
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/redis/connection.hpp"
#include "sio/redis/error.hpp"
#include "sio/redis/message.hpp"
#include "sio/redis/options.hpp"
#include "sio/redis/reply.hpp"
#include "sio/redis/slot.hpp"
#include "sio/redis/url.hpp"

namespace sio::redis {

enum class cluster_errc {
  too_many_redirects = 1,  ///< the command was redirected (MOVED/ASK) more than max_redirects times
  too_many_waiting,        ///< max_waiting_commands commands already wait for the slot map or a node
  bad_slot_map,            ///< no node gave a usable CLUSTER SLOTS answer (reported to on_error)
  handler_threw,           ///< a handler of the caller threw (reported to on_error)
};

class cluster_error_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "sio.redis.cluster"; }
  std::string message(int e) const override {
    switch (static_cast<cluster_errc>(e)) {
      case cluster_errc::too_many_redirects: return "too many Redis Cluster redirects (max_redirects)";
      case cluster_errc::too_many_waiting:
        return "too many commands wait for the Redis Cluster (max_waiting_commands, or max_write_queue_bytes of arguments)";
      case cluster_errc::bad_slot_map: return "no Redis Cluster node answered CLUSTER SLOTS usably";
      case cluster_errc::handler_threw: return "a Redis Cluster handler threw";
    }
    return "unknown sio.redis.cluster error";
  }
};
inline const std::error_category& cluster_error_category() noexcept {
  static const cluster_error_category_impl category;
  return category;
}
inline std::error_code make_error_code(cluster_errc e) noexcept { return {static_cast<int>(e), cluster_error_category()}; }

}  // namespace sio::redis

template <>
struct std::is_error_code_enum<sio::redis::cluster_errc> : std::true_type {};

namespace sio::redis {

/// A redirect error reply of a cluster node: "MOVED 3999 127.0.0.1:6381", "ASK 3999 :6381" (an
/// empty host: the node that answered), "MOVED 1 ::1:6381" or "MOVED 1 [::1]:6381" (IPv6).
struct redirect {
  bool moved = false;  ///< MOVED (the slot lives there now) or ASK (this command only, after ASKING)
  std::uint16_t slot = 0;
  std::string host;  ///< empty: the node that answered; IPv6 without brackets
  std::uint16_t port = 0;
};

/// Reads `error` (the text of an error reply) as a redirect; false when it is none.
inline bool parse_redirect(std::string_view error, redirect& out) {
  bool moved = false;
  if (error.rfind("MOVED ", 0) == 0) {
    moved = true;
    error.remove_prefix(6);
  } else if (error.rfind("ASK ", 0) == 0) {
    error.remove_prefix(4);
  } else {
    return false;
  }
  auto digits = [](std::string_view text, unsigned long max, unsigned long& value) {
    if (text.empty() || text.size() > 5) return false;
    value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    return value <= max;
  };
  auto space = error.find(' ');
  unsigned long slot = 0, port = 0;
  if (space == std::string_view::npos || !digits(error.substr(0, space), slot_count - 1, slot)) return false;
  std::string_view endpoint = error.substr(space + 1);
  auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || !digits(endpoint.substr(colon + 1), 65535, port) || port == 0) return false;
  std::string_view host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.find_first_of(" []") != std::string_view::npos) return false;
  out.moved = moved;
  out.slot = static_cast<std::uint16_t>(slot);
  out.host = std::string(host);
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

struct cluster_options {
  /// For every node's connections (bounds, timeouts, back-off, TLS). The first seed's URL gives
  /// the scheme, user and password of every node; a db in a seed's URL is selected on that seed
  /// only (a cluster has only db 0 and refuses any other: give none for a cluster).
  options connection;
  /// MOVED and ASK replies followed for one command (or one SSUBSCRIBE) before it fails.
  unsigned max_redirects = 5;
  /// Commands held by the cluster itself: while the slot map is not known yet, or while the link
  /// to their node is down. Over it, or over connection.max_write_queue_bytes of their arguments
  /// in all: cluster_errc::too_many_waiting.
  std::size_t max_waiting_commands = 65536;
  /// How long one node may take to answer CLUSTER SLOTS before the next one is asked.
  std::chrono::milliseconds slot_map_timeout{2000};
  /// Failures nobody waits for, and exceptions thrown by the caller's handlers. It must not throw.
  std::function<void(std::error_code ec, const std::string& what)> on_error;
};

class cluster : public std::enable_shared_from_this<cluster> {
 public:
  using reply_handler = connection::reply_handler;
  using message_handler = std::function<void(const message& m)>;
  using count_handler = std::function<void(std::error_code ec, std::size_t count)>;

  static std::shared_ptr<cluster> create(asio::any_io_executor executor, std::vector<url> seeds, cluster_options opts = {}) {
    return std::shared_ptr<cluster>(new cluster(std::move(executor), std::move(seeds), std::move(opts)));
  }
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;
  ~cluster() {
    for (auto& [key, n] : nodes_) close_node(n);
  }

  /// Reads the slot map, then sends what waits. Commands given before start() wait for it.
  void start() {
    if (started_ || closed_) return;
    started_ = true;
    refresh();
  }

  /// Closes every connection: what waits or was sent fails with errc::closed (posted).
  void close() {
    if (closed_) return;
    closed_ = true;
    retry_timer_.cancel();
    slot_map_timer_.cancel();
    auto nodes = std::move(nodes_);
    nodes_.clear();
    for (auto& [key, n] : nodes) close_node(n);
    std::vector<reply_handler> failed;
    for (auto& q : waiting_) failed.push_back(std::move(q->done));
    waiting_.clear();
    waiting_bytes_ = 0;
    auto after_map = std::move(after_map_);
    after_map_.clear();
    subscriptions_.clear();
    asio::post(executor_, [self = shared_from_this(), failed = std::move(failed), after_map = std::move(after_map)]() mutable {
      for (auto& done : failed) self->finish(done, errc::closed, reply());
      for (auto& f : after_map) f(make_error_code(errc::closed));
    });
  }

  /// Sends a command to the master owning the slot of args[1] (any master when there is no args[1]).
  void command(const std::vector<std::string_view>& args, reply_handler done) {
    if (args.empty()) return post_error(std::move(done), errc::invalid_command);
    route_new(args, args.size() > 1 ? static_cast<int>(key_slot(args[1])) : -1, std::move(done));
  }
  /// Sends a command to the master owning the slot of `key`, whichever argument it is.
  void command_for_key(std::string_view key, const std::vector<std::string_view>& args, reply_handler done) {
    if (args.empty()) return post_error(std::move(done), errc::invalid_command);
    route_new(args, key_slot(key), std::move(done));
  }

  /// SSUBSCRIBE at the owner of the channel's slot, kept there as the slot moves. `done` runs at
  /// the first confirmation (or with the error reply / the error). A second call for the same
  /// channel replaces the handler.
  void ssubscribe(std::string_view channel, message_handler handler, reply_handler done = {}) {
    if (closed_) return post_error(std::move(done), errc::closed);
    auto& s = subscriptions_[std::string(channel)];
    s.handler = std::move(handler);
    if (s.confirmed) {
      if (done) asio::post(executor_, [self = shared_from_this(), done = std::move(done)]() mutable { self->finish(done, {}, reply()); });
      return;
    }
    if (done) s.done.push_back(std::move(done));
    place(std::string(channel));
  }

  /// SUNSUBSCRIBE where the channel is subscribed; its handler hears nothing more.
  void sunsubscribe(std::string_view channel, reply_handler done = {}) {
    auto it = subscriptions_.find(channel);
    if (closed_ || it == subscriptions_.end()) {
      if (done) asio::post(executor_, [self = shared_from_this(), done = std::move(done)]() mutable { self->finish(done, {}, reply()); });
      return;
    }
    std::string at = std::move(it->second.node);
    auto waiting = std::move(it->second.done);
    subscriptions_.erase(it);
    for (auto& d : waiting) post_error(std::move(d), errc::closed);
    auto n = nodes_.find(at);
    if (at.empty() || n == nodes_.end() || !n->second.subscriber) {
      if (done) asio::post(executor_, [self = shared_from_this(), done = std::move(done)]() mutable { self->finish(done, {}, reply()); });
      return;
    }
    n->second.subscriber->sunsubscribe({channel}, [self = shared_from_this(), done = std::move(done)](std::error_code ec, reply r) mutable {
      if (done) self->finish(done, ec, std::move(r));
    });
  }

  /// SPUBLISH at the owner of the channel's slot; the reply is the number of receivers there.
  void spublish(std::string_view channel, std::string_view payload, reply_handler done) {
    command_for_key(channel, {"SPUBLISH", channel, payload}, std::move(done));
  }

  /// PUBSUB SHARDNUMSUB `channel` at every master, summed (Node's sharded adapter's serverCount()).
  void shardnumsub(std::string_view channel, count_handler done) { sum_over_masters("SHARDNUMSUB", channel, std::move(done)); }
  /// PUBSUB NUMSUB `channel` at every master, summed (the classic adapter on a cluster).
  void numsub(std::string_view channel, count_handler done) { sum_over_masters("NUMSUB", channel, std::move(done)); }

  /// Asks for the slot map again (at most one request at a time; one more is remembered).
  void refresh() {
    if (closed_ || !started_) return;
    if (refreshing_) {
      refresh_again_ = true;
      return;
    }
    refreshing_ = true;
    std::vector<std::string> candidates;
    for (const auto& m : masters_)
      if (auto n = nodes_.find(m); n != nodes_.end() && n->second.commands && n->second.commands->connected()) candidates.push_back(m);
    for (const auto& m : masters_)
      if (std::find(candidates.begin(), candidates.end(), m) == candidates.end()) candidates.push_back(m);
    for (const auto& s : seeds_)
      if (std::find(candidates.begin(), candidates.end(), key_of(s.host, s.port)) == candidates.end())
        candidates.push_back(key_of(s.host, s.port));
    ask_slot_map(std::make_shared<std::vector<std::string>>(std::move(candidates)), 0);
  }

  /// Whether a slot map was read.
  bool ready() const noexcept { return !masters_.empty(); }
  /// The masters of the map, "host:port".
  const std::vector<std::string>& masters() const noexcept { return masters_; }
  /// The master owning `key`'s slot in the map ("" when unknown).
  std::string owner_of(std::string_view key) const { return owner_of_slot(key_slot(key)); }
  /// Whether the command link to `address` ("host:port") is up.
  bool connected_to(std::string_view address) const {
    auto n = nodes_.find(std::string(address));
    return n != nodes_.end() && n->second.commands && n->second.commands->connected();
  }
  /// Slot maps read so far.
  std::size_t slot_maps_read() const noexcept { return slot_maps_read_; }
  /// Where `channel` is subscribed and confirmed ("" when not, or not yet).
  std::string subscribed_at(std::string_view channel) const {
    auto it = subscriptions_.find(channel);
    return it != subscriptions_.end() && it->second.confirmed ? it->second.node : std::string();
  }
  /// MOVED and ASK replies followed so far (SSUBSCRIBE's included).
  std::size_t redirects_followed() const noexcept { return redirects_followed_; }
  /// Commands the cluster holds (not handed to a connection yet).
  std::size_t waiting_commands() const noexcept { return waiting_.size(); }
  /// Bytes of arguments of those commands.
  std::size_t waiting_bytes() const noexcept { return waiting_bytes_; }

 private:
  struct node {
    url address;
    std::shared_ptr<connection> commands;
    std::shared_ptr<connection> subscriber;  // made at the first SSUBSCRIBE there
  };

  struct request {
    std::vector<std::string> args;
    int slot = -1;      // -1: any master
    std::string fixed;  // a node chosen by the caller (PUBSUB counts): no slot, no redirects
    std::string ask;    // the next send goes there, after ASKING
    unsigned redirects = 0;
    reply_handler done;
    std::size_t bytes() const {
      std::size_t n = 0;
      for (const auto& a : args) n += a.size();
      return n;
    }
  };

  struct subscription {
    message_handler handler;
    std::string node;  // where the SSUBSCRIBE went ("" when nowhere now)
    bool confirmed = false;
    unsigned attempt = 0;  // the SSUBSCRIBE whose answer counts
    unsigned redirects = 0;
    std::vector<reply_handler> done;
  };

  cluster(asio::any_io_executor executor, std::vector<url> seeds, cluster_options opts)
      : executor_(std::move(executor)),
        seeds_(std::move(seeds)),
        options_(std::move(opts)),
        retry_timer_(executor_),
        slot_map_timer_(executor_),
        slot_owner_(slot_count, -1) {
    if (seeds_.empty()) throw std::invalid_argument("sio::redis::cluster needs at least one seed URL");
  }

  static std::string key_of(const std::string& host, std::uint16_t port) { return host + ":" + std::to_string(port); }

  // The node a redirect names; an empty host is the one that answered (`asked`).
  static std::string node_of(const redirect& to, const std::string& asked) {
    return key_of(to.host.empty() ? asked.substr(0, asked.rfind(':')) : to.host, to.port);
  }

  std::string owner_of_slot(int slot) const {
    if (slot < 0 || slot >= slot_count || slot_owner_[slot] < 0) return {};
    return masters_[static_cast<std::size_t>(slot_owner_[slot])];
  }

  // --- calling the caller -----------------------------------------------------------------------

  template <class F>
  void guarded(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      report(cluster_errc::handler_threw, std::string(what) + ": " + e.what());
    } catch (...) {
      report(cluster_errc::handler_threw, std::string(what) + ": unknown exception");
    }
  }
  void finish(reply_handler& done, std::error_code ec, reply r) {
    if (!done) return;
    auto handler = std::move(done);
    guarded("reply handler", [&] { handler(ec, std::move(r)); });
  }
  void report(std::error_code ec, const std::string& what) {
    if (!options_.on_error) return;
    try {
      options_.on_error(ec, what);
    } catch (...) {  // on_error must not throw; if it does, nothing better can be done with it
    }
  }
  void post_error(reply_handler done, std::error_code ec) {
    if (!done) return;
    asio::post(executor_, [self = shared_from_this(), done = std::move(done), ec]() mutable { self->finish(done, ec, reply()); });
  }

  // --- nodes ------------------------------------------------------------------------------------

  // A seed keeps its URL whole (its db serves a standalone server); other nodes take the seed's
  // scheme, user and password.
  url address_of(const std::string& key) const {
    for (const auto& seed : seeds_)
      if (key_of(seed.host, seed.port) == key) return seed;
    url u = seeds_.front();
    auto colon = key.rfind(':');
    u.host = key.substr(0, colon);
    u.port = static_cast<std::uint16_t>(std::stoul(key.substr(colon + 1)));
    u.db.reset();
    return u;
  }

  node& node_at(const std::string& key) {
    auto it = nodes_.find(key);
    if (it == nodes_.end()) {
      it = nodes_.emplace(key, node{}).first;
      it->second.address = address_of(key);
    }
    node& n = it->second;
    if (!n.commands) {
      n.commands = connection::create(executor_, n.address, options_.connection);
      n.commands->on_state([weak = weak_from_this()](connection::link_state s, std::error_code, const std::string&) {
        if (auto self = weak.lock()) self->on_commands_state(s);
      });
      n.commands->start();
    }
    return n;
  }

  connection& subscriber_at(const std::string& key) {
    node& n = node_at(key);
    if (!n.subscriber) {
      n.subscriber = connection::create(executor_, n.address, options_.connection);
      std::weak_ptr<connection> which = n.subscriber;
      n.subscriber->on_message([weak = weak_from_this(), key](message m) {
        if (auto self = weak.lock()) self->on_subscriber_message(key, std::move(m));
      });
      n.subscriber->on_state([weak = weak_from_this(), key, which](connection::link_state s, std::error_code, const std::string&) {
        if (auto self = weak.lock()) self->on_subscriber_state(key, which, s);
      });
      n.subscriber->start();
    }
    return *n.subscriber;
  }

  static void close_node(node& n) {
    if (n.commands) n.commands->close();
    if (n.subscriber) n.subscriber->close();
    n.commands.reset();
    n.subscriber.reset();
  }

  void on_commands_state(connection::link_state s) {
    if (closed_) return;
    if (s == connection::link_state::connected) return send_waiting();
    refresh();  // the node may have failed over, or left
  }

  // A subscriber's link dropped. Its connection would renew its shard subscriptions on the next
  // link by itself, but not at a new owner, and a renewal answered MOVED would fail that link
  // again and again: so it goes, and the cluster subscribes again where the new map says.
  void on_subscriber_state(const std::string& key, const std::weak_ptr<connection>& which, connection::link_state s) {
    if (closed_ || s == connection::link_state::connected) return;
    auto n = nodes_.find(key);
    if (n == nodes_.end() || n->second.subscriber != which.lock()) return;
    if (!n->second.subscriber->shard_channels().empty()) {
      n->second.subscriber->close();
      n->second.subscriber.reset();
      for (auto& [channel, sub] : subscriptions_)
        if (sub.node == key) forget_placement(sub);
    }
    refresh();
  }

  void on_subscriber_message(const std::string& key, message m) {
    if (closed_) return;
    auto it = subscriptions_.find(m.channel);
    if (it == subscriptions_.end()) return;
    if (m.kind == message::type::sunsubscribe) {
      // The node no longer owns the slot (resharding, failover): subscribe again at the owner.
      if (it->second.node != key) return;
      forget_placement(it->second);
      return refresh();
    }
    if (m.kind != message::type::smessage) return;
    auto handler = it->second.handler;  // it may unsubscribe, which erases the entry
    if (handler) guarded("smessage handler", [&] { handler(m); });
  }

  // --- the slot map -----------------------------------------------------------------------------

  void ask_slot_map(std::shared_ptr<std::vector<std::string>> candidates, std::size_t i) {
    if (closed_) return;
    if (i >= candidates->size()) return slot_map_failed();
    unsigned attempt = ++slot_map_attempt_;
    const std::string key = (*candidates)[i];
    slot_map_timer_.expires_after(options_.slot_map_timeout);
    slot_map_timer_.async_wait([self = shared_from_this(), candidates, i, attempt](std::error_code ec) {
      if (ec || attempt != self->slot_map_attempt_ || self->closed_) return;
      self->ask_slot_map(candidates, i + 1);
    });
    node_at(key).commands->command({"CLUSTER", "SLOTS"},
                                   [self = shared_from_this(), candidates, i, attempt, key](std::error_code ec, reply r) {
                                     if (attempt != self->slot_map_attempt_ || self->closed_) return;
                                     self->slot_map_timer_.cancel();
                                     if (ec || !self->apply_slot_map(r, key)) return self->ask_slot_map(candidates, i + 1);
                                     self->slot_map_read();
                                   });
  }

  // CLUSTER SLOTS: [[start, end, [host, port, id, ...], replicas...], ...]. Only masters are kept.
  // A server without cluster support is a cluster of one that serves every slot.
  bool apply_slot_map(const reply& r, const std::string& asked) {
    if (r.is_error() && r.str().find("cluster support disabled") != std::string::npos) {
      masters_ = {asked};
      slot_owner_.assign(slot_count, 0);
      return true;
    }
    if (!r.is_array() || r.elements().empty()) return false;
    std::vector<std::string> masters;
    std::vector<int> owners(slot_count, -1);
    const std::string asked_host = asked.substr(0, asked.rfind(':'));
    for (const auto& range : r.elements()) {
      const auto& e = range.elements();
      if (!range.is_array() || e.size() < 3 || !e[0].is_integer() || !e[1].is_integer() || !e[2].is_array()) return false;
      const auto& master = e[2].elements();
      if (master.size() < 2 || !master[0].is_string() || !master[1].is_integer()) return false;
      long long first = e[0].integer(), last = e[1].integer(), port = master[1].integer();
      if (first < 0 || last >= slot_count || first > last || port <= 0 || port > 65535) return false;
      // An empty host (or "?", an unknown endpoint) means the node that answered.
      std::string host = master[0].str().empty() || master[0].str() == "?" ? asked_host : master[0].str();
      std::string key = key_of(host, static_cast<std::uint16_t>(port));
      auto found = std::find(masters.begin(), masters.end(), key);
      int index = static_cast<int>(found - masters.begin());
      if (found == masters.end()) masters.push_back(key);
      for (long long s = first; s <= last; ++s) owners[static_cast<std::size_t>(s)] = index;
    }
    masters_ = std::move(masters);
    slot_owner_ = std::move(owners);
    return true;
  }

  void slot_map_read() {
    ++slot_maps_read_;
    refreshing_ = false;
    retry_attempt_ = 0;
    // Nodes that are no longer masters and whose link is down go (a node removed from the cluster
    // would be reconnected to forever). One still up keeps what it was sent: a map can be stale.
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      bool up = it->second.commands && it->second.commands->connected();
      if (!up && std::find(masters_.begin(), masters_.end(), it->first) == masters_.end()) {
        for (auto& [channel, sub] : subscriptions_)
          if (sub.node == it->first) forget_placement(sub);
        close_node(it->second);
        it = nodes_.erase(it);
      } else {
        ++it;
      }
    }
    std::vector<std::string> channels;
    for (const auto& [channel, sub] : subscriptions_) channels.push_back(channel);
    for (const auto& channel : channels) place(channel);
    auto after_map = std::move(after_map_);
    after_map_.clear();
    for (auto& f : after_map) f({});
    send_waiting();
    if (refresh_again_) {
      refresh_again_ = false;
      return refresh();
    }
    // A master the cluster talks to is down, or a command or subscription has nowhere to go (a
    // slot no master serves): the map is asked again, with the back-off, until that changes (a
    // failover moves the slots), as nothing else would ask.
    bool stuck = !waiting_.empty();
    for (const auto& m : masters_)
      if (auto n = nodes_.find(m); n != nodes_.end() && n->second.commands && !n->second.commands->connected()) stuck = true;
    for (const auto& [channel, sub] : subscriptions_)
      if (sub.node.empty()) stuck = true;
    if (stuck) {
      refresh_later(down_polls_++);
    } else {
      down_polls_ = 0;
    }
  }

  std::chrono::milliseconds backoff(unsigned attempt) const {
    auto delay = options_.connection.reconnect_initial_delay;
    for (unsigned i = 0; i < attempt && delay < options_.connection.reconnect_max_delay; ++i) delay *= 2;
    return std::min(delay, options_.connection.reconnect_max_delay);
  }

  void slot_map_failed() {
    refreshing_ = false;
    refresh_again_ = false;
    report(cluster_errc::bad_slot_map, "CLUSTER SLOTS");
    refresh_later(retry_attempt_++);
  }

  // A MOVED reply is news of the map: the slot now lives at `key`.
  void learn(int slot, const std::string& key) {
    auto found = std::find(masters_.begin(), masters_.end(), key);
    if (found == masters_.end()) found = masters_.insert(masters_.end(), key);
    slot_owner_[static_cast<std::size_t>(slot)] = static_cast<int>(found - masters_.begin());
  }

  // --- commands ---------------------------------------------------------------------------------

  void route_new(const std::vector<std::string_view>& args, int slot, reply_handler done) {
    if (closed_) return post_error(std::move(done), errc::closed);
    auto q = std::make_shared<request>();
    q->args.assign(args.begin(), args.end());
    q->slot = slot;
    q->done = std::move(done);
    route(std::move(q));
  }

  std::string target_of(const request& q) const {
    if (!q.ask.empty()) return q.ask;
    if (!q.fixed.empty()) return q.fixed;
    if (q.slot >= 0) return owner_of_slot(q.slot);
    for (const auto& m : masters_)  // any master: a connected one if there is one
      if (auto n = nodes_.find(m); n != nodes_.end() && n->second.commands && n->second.commands->connected()) return m;
    return masters_.empty() ? std::string() : masters_.front();
  }

  void route(std::shared_ptr<request> q) {
    if (closed_) return post_error(std::move(q->done), errc::closed);  // a handler closed the cluster meanwhile
    if (!q->fixed.empty() && std::find(masters_.begin(), masters_.end(), q->fixed) == masters_.end())
      return finish(q->done, errc::connection_lost, reply());  // that master left the map while it waited
    std::string target = target_of(*q);
    if (target.empty()) {  // no map yet (asked for now), or a slot no master serves (the map is polled)
      wait(std::move(q));
      if (!ready()) refresh();
      return;
    }
    node& n = node_at(target);
    if (!n.commands->connected()) return wait(std::move(q));
    bool asking = !q->ask.empty();
    q->ask.clear();
    if (asking) n.commands->command({"ASKING"}, [](std::error_code, reply) {});
    std::vector<std::string_view> args(q->args.begin(), q->args.end());
    n.commands->command(
        args, [self = shared_from_this(), q, target](std::error_code ec, reply r) { self->on_reply(q, target, ec, std::move(r)); });
  }

  void on_reply(const std::shared_ptr<request>& q, const std::string& target, std::error_code ec, reply r) {
    if (ec == errc::connection_lost && !closed_) refresh();
    redirect to;
    if (!ec && !closed_ && q->fixed.empty() && r.is_error() && parse_redirect(r.str(), to)) {
      std::string node = node_of(to, target);
      if (to.moved) {
        learn(to.slot, node);
        refresh();
      }
      if (++q->redirects > options_.max_redirects) return finish(q->done, cluster_errc::too_many_redirects, std::move(r));
      ++redirects_followed_;
      if (!to.moved) q->ask = node;
      return route(q);
    }
    finish(q->done, ec, std::move(r));
  }

  void wait(std::shared_ptr<request> q) {
    // Bounded in bytes too: what waits may be broadcasts of peers' payloads while Redis is away.
    std::size_t bytes = q->bytes();
    if (waiting_.size() >= options_.max_waiting_commands || waiting_bytes_ + bytes > options_.connection.max_write_queue_bytes)
      return post_error(std::move(q->done), cluster_errc::too_many_waiting);
    waiting_bytes_ += bytes;
    waiting_.push_back(std::move(q));
  }

  // After a map was read or a node came up: what waits goes where it can now go (or waits again).
  void send_waiting() {
    if (waiting_.empty() || closed_) return;
    auto ready = std::move(waiting_);
    waiting_.clear();
    waiting_bytes_ = 0;
    for (auto& q : ready) route(std::move(q));
  }

  void sum_over_masters(const char* which, std::string_view channel, count_handler done) {
    if (closed_) {
      return asio::post(executor_, [self = shared_from_this(), done = std::move(done)] {
        self->guarded("count handler", [&] { done(errc::closed, 0); });
      });
    }
    std::string subcommand = which, name(channel);
    auto ask = [self = shared_from_this(), subcommand, name, done = std::move(done)](std::error_code ec) mutable {
      if (ec) return self->guarded("count handler", [&] { done(ec, 0); });
      struct tally {
        std::size_t left, sum = 0;
        std::error_code error;
        count_handler done;
      };
      auto t = std::make_shared<tally>(tally{self->masters_.size(), 0, {}, std::move(done)});
      for (const auto& m : self->masters_) {
        auto q = std::make_shared<request>();
        q->args = {"PUBSUB", subcommand, name};
        q->fixed = m;
        q->done = [self, t](std::error_code ec, reply r) {
          if (!ec && (!r.is_array() || r.elements().size() < 2 || !r.elements()[1].is_integer()))
            ec = std::make_error_code(std::errc::bad_message);
          if (ec && !t->error) t->error = ec;
          if (!ec && r.elements()[1].integer() > 0) t->sum += static_cast<std::size_t>(r.elements()[1].integer());
          if (--t->left == 0) self->guarded("count handler", [&] { t->done(t->error, t->error ? 0 : t->sum); });
        };
        self->route(std::move(q));
      }
    };
    if (ready()) return ask({});
    if (after_map_.size() >= options_.max_waiting_commands) {
      return asio::post(executor_, [self = shared_from_this(), ask = std::move(ask)]() mutable { ask(cluster_errc::too_many_waiting); });
    }
    after_map_.push_back(std::move(ask));
    refresh();
  }

  // --- shard subscriptions ----------------------------------------------------------------------

  void forget_placement(subscription& s) {
    s.node.clear();
    s.confirmed = false;
    s.attempt = ++attempts_;  // an answer to the SSUBSCRIBE sent before counts no more
  }

  // SSUBSCRIBE `channel` at its owner, unless it is there already (or on its way there).
  void place(const std::string& channel) {
    auto it = subscriptions_.find(channel);
    if (it == subscriptions_.end() || closed_) return;
    subscription& s = it->second;
    std::string owner = owner_of(channel);
    if (owner.empty()) {  // placed when a map is read: the first one, or the next poll
      if (!ready()) refresh();
      return;
    }
    if (s.node == owner) return;
    if (!s.node.empty()) {
      if (auto old = nodes_.find(s.node); old != nodes_.end() && old->second.subscriber)
        old->second.subscriber->sunsubscribe({channel}, [](std::error_code, reply) {});
    }
    forget_placement(s);
    s.node = owner;
    unsigned attempt = s.attempt;
    subscriber_at(owner).ssubscribe(channel, [self = shared_from_this(), channel, attempt, owner](std::error_code ec, reply r) {
      self->on_ssubscribe_reply(channel, attempt, owner, ec, std::move(r));
    });
  }

  void on_ssubscribe_reply(const std::string& channel, unsigned attempt, const std::string& at, std::error_code ec, reply r) {
    auto it = subscriptions_.find(channel);
    if (closed_ || it == subscriptions_.end() || it->second.attempt != attempt) return;
    subscription& s = it->second;
    if (ec) {  // the link dropped before the confirmation: the next map places it again
      forget_placement(s);
      return refresh();
    }
    redirect to;
    if (r.is_error() && parse_redirect(r.str(), to) && to.moved && s.redirects < options_.max_redirects) {
      ++s.redirects;
      ++redirects_followed_;
      forget_placement(s);
      learn(to.slot, node_of(to, at));
      place(channel);
      return refresh();
    }
    if (r.is_error()) {  // refused (CLUSTERDOWN while a node restarts, ACL...): tried again after the next map
      forget_placement(s);
      report(errc::resubscribe_failed, "SSUBSCRIBE " + channel + ": " + r.str());
      fail_subscription_waiters(s, r);
      return refresh_later(refusals_++);
    }
    refusals_ = 0;
    s.confirmed = true;
    s.redirects = 0;
    auto waiters = std::move(s.done);
    s.done.clear();
    for (auto& d : waiters) finish(d, {}, r);
  }

  void fail_subscription_waiters(subscription& s, const reply& r) {
    auto waiters = std::move(s.done);
    s.done.clear();
    for (auto& d : waiters) finish(d, {}, r);
  }

  // Reads the map again after the back-off (a refusal now would likely be a refusal again at once).
  void refresh_later(unsigned attempt) {
    retry_timer_.expires_after(backoff(attempt));
    retry_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->refresh();
    });
  }

  asio::any_io_executor executor_;
  std::vector<url> seeds_;
  cluster_options options_;
  asio::steady_timer retry_timer_;     // the next slot map request after a failure
  asio::steady_timer slot_map_timer_;  // one node's time to answer CLUSTER SLOTS

  bool started_ = false;
  bool closed_ = false;
  bool refreshing_ = false;
  bool refresh_again_ = false;
  unsigned slot_map_attempt_ = 0;
  unsigned retry_attempt_ = 0;  // slot map requests that failed in a row
  unsigned down_polls_ = 0;     // slot maps read in a row with a master down or something stuck
  unsigned refusals_ = 0;       // SSUBSCRIBEs refused in a row
  std::size_t slot_maps_read_ = 0;
  std::size_t redirects_followed_ = 0;
  unsigned attempts_ = 0;

  std::vector<std::string> masters_;  // "host:port"
  std::vector<int> slot_owner_;       // slot -> index in masters_, -1 when no master serves it
  std::map<std::string, node> nodes_;
  std::deque<std::shared_ptr<request>> waiting_;
  std::size_t waiting_bytes_ = 0;                                // arguments of waiting_
  std::vector<std::function<void(std::error_code)>> after_map_;  // counts asked before the first map
  std::map<std::string, subscription, std::less<>> subscriptions_;
};

}  // namespace sio::redis
