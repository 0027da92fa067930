#pragma once
// sio::redis_sharded_adapter: several Socket.IO servers share their namespaces through Redis's
// sharded pub/sub (Redis 7.0+), speaking the wire format of Node's createShardedAdapter from
// @socket.io/redis-adapter 8.3 (docs/redis-wire.md §3), so sio and Node servers can be one cluster.
//
//   asio::io_context ctx;
//   sio::server<> io(ctx, {}, sio::redis_sharded_adapter::create(ctx, {"redis://127.0.0.1:6379"}));
//   ...
//   io.close();   // also closes the server's Redis connections, so ctx can run out of work
//
// Every message is one ClusterMessage {type, data, uid, nsp} (socket.io-adapter's ClusterAdapter),
// SPUBLISHed as JSON unless its data holds a binary (then notepack-compatible msgpack), on
// `<prefix>#<nsp>#`, or on `<prefix>#<nsp>#<room>#` for a broadcast to one room when the
// subscription mode gives that room a channel. Answers go to the asking server's own channel
// `<prefix>#<nsp>#<uid>#`. How many servers answer is PUBSUB SHARDNUMSUB of `<prefix>#<nsp>#`.
// The classic format (sio::redis_adapter) is a different one: the two cannot talk to each other.
//
// Subscription modes, as Node decides them: `dynamic` subscribes to a room's channel while the
// room has a member here and is not one of this server's socket ids, and publishes a one-room
// broadcast there unless the room has 20 characters (a socket id, which every server reaches on
// the namespace channel; sio's ids have 20 characters like Node's); `dynamic_private` does so for
// every room; `static_channels` never does.
//
// The transport is sio::redis::cluster (redis/shard_bus.hpp): the URL names one redis-server or
// any node of a Redis Cluster, whose MOVED/ASK it follows.
//
// Redis away: local delivery goes on; publishes wait, bounded (options.connection, and the
// cluster client's max_waiting_commands), and over the bounds are dropped and reported; requests
// to other servers time out.
//
// The rooms of the whole cluster are classic-only (sio::redis_adapter): here all_rooms() and
// fetch_all_rooms() give this server's rooms, as Node's sharded adapter's allRooms() does (it has
// no request for them). server_count() is the last count seen; fetch_server_count() asks Redis.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/adapter.hpp"
#include "sio/error.hpp"
#include "sio/in_memory_adapter.hpp"
#include "sio/parser/json_writer.hpp"
#include "sio/redis/msgpack_codec.hpp"
#include "sio/redis/shard_bus.hpp"
#include "sio/redis/sharded_adapter_options.hpp"
#include "sio/redis/wire_values.hpp"

namespace sio {

class redis_sharded_adapter : public in_memory_adapter {
 public:
  /// The factory to give sio::server: every namespace of that server joins the cluster that
  /// `opts` names. Throws std::invalid_argument on a malformed URL. One factory per server.
  static adapter_factory create(asio::io_context& io, redis_sharded_adapter_options opts) {
    auto bus = std::make_shared<redis::shard_bus>(io.get_executor(), std::move(opts));
    return [bus](adapter_host& host) -> std::unique_ptr<adapter> { return std::make_unique<redis_sharded_adapter>(host, bus); };
  }

  redis_sharded_adapter(adapter_host& host, std::shared_ptr<redis::shard_bus> bus)
      : in_memory_adapter(host, false), mode_(bus->options().subscription_mode), link_(std::make_shared<link>(*this, std::move(bus))) {
    link_->start();
  }
  ~redis_sharded_adapter() override { link_->detach(); }

  /// The server closes: unsubscribe and close its Redis connections.
  void close() override {
    link_->detach();
    link_->close_bus();
  }

  // Membership changes may create or delete a room: the dynamic modes hold a room's channel while
  // it has a member here (link::sync_room decides, on the strand, from the state it finds then).
  void add_all(const socket_id& id, const std::vector<room_id>& rooms) override {
    in_memory_adapter::add_all(id, rooms);
    rooms_changed(id, rooms);
  }
  bool try_add_all(const socket_id& id, const std::vector<room_id>& rooms, std::size_t max_rooms) override {
    if (!in_memory_adapter::try_add_all(id, rooms, max_rooms)) return false;
    rooms_changed(id, rooms);
    return true;
  }
  void del(const socket_id& id, const room_id& room) override {
    in_memory_adapter::del(id, room);
    rooms_changed(id, {room});
  }
  void del_all(const socket_id& id) override {
    if (mode_ == redis_subscription_mode::static_channels) return in_memory_adapter::del_all(id);
    auto rooms = socket_rooms(id);
    in_memory_adapter::del_all(id);
    rooms_changed(id, rooms);
  }

  std::size_t broadcast(const parser::packet& packet, const frame_list& frames, const broadcast_options& opts) override {
    auto n = in_memory_adapter::broadcast(packet, frames, opts);
    if (!opts.local) link_->publish_broadcast(packet, opts);
    return n;
  }
  void broadcast_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                          remote_ack_handler on_ack) override {
    if (opts.local) return client_count(0);
    link_->broadcast_with_ack(packet, opts, std::move(client_count), std::move(on_ack));
  }
  void fetch_sockets(const broadcast_options& opts, request_timeout timeout, fetch_sockets_handler done) override {
    if (opts.local) return in_memory_adapter::fetch_sockets(opts, timeout, std::move(done));
    // This server's sockets first, then the others' (asked without the link's lock: a handler of
    // another server's message, which runs under it, may call this).
    host_.local_socket_details(
        opts, [weak = std::weak_ptr<link>(link_), opts, timeout, done = std::move(done)](std::vector<socket_details> local) mutable {
          if (auto l = weak.lock()) return l->fetch_sockets(std::move(local), opts, timeout, std::move(done));
          done({}, std::move(local));
        });
  }
  void add_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) override {
    in_memory_adapter::add_sockets(opts, rooms);
    if (!opts.local) link_->publish_rooms(link::sockets_join, opts, rooms);
  }
  void del_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) override {
    in_memory_adapter::del_sockets(opts, rooms);
    if (!opts.local) link_->publish_rooms(link::sockets_leave, opts, rooms);
  }
  void disconnect_sockets(const broadcast_options& opts, bool close) override {
    in_memory_adapter::disconnect_sockets(opts, close);
    if (!opts.local) link_->publish_disconnect(opts, close);
  }
  /// The servers subscribed to this namespace when it was last counted (at start, and at every
  /// request): synchronous, so it cannot ask Redis now. Each call also starts a new count.
  std::size_t server_count() const override {
    link_->refresh_server_count();
    return std::max<std::size_t>(1, link_->last_server_count());
  }
  void server_side_emit(const std::string& event, const std::vector<value>& args) override { link_->server_side_emit(event, args, {}, {}); }
  void server_side_emit_with_ack(const std::string& event, const std::vector<value>& args, request_timeout timeout,
                                 server_replies_handler done) override {
    link_->server_side_emit(event, args, timeout, std::move(done));
  }
  /// PUBSUB SHARDNUMSUB of the namespace's channel, asked now (1 when Redis cannot answer).
  void fetch_server_count(server_count_handler done) override { link_->fetch_server_count(std::move(done)); }
  /// This server's id in the cluster (16 hex digits, like Node's ClusterAdapter).
  const std::string& uid() const noexcept { return link_->uid(); }

 private:
  void rooms_changed(const socket_id& id, const std::vector<room_id>& rooms) {
    if (mode_ == redis_subscription_mode::static_channels) return;
    for (const auto& r : rooms)
      // In `dynamic` mode a socket's own room is private: no channel, and no work per connection.
      if (mode_ == redis_subscription_mode::dynamic_private || r != id) link_->sync_room(r);
  }

  // One namespace's side of the cluster. It outlives the adapter while handlers hold it; detach()
  // cuts it from the adapter (under mutex_), after which what arrives is dropped.
  class link : public std::enable_shared_from_this<link> {
   public:
    enum message_type {
      broadcast_message = 3,
      sockets_join = 4,
      sockets_leave = 5,
      disconnect_message = 6,
      fetch_sockets_message = 7,
      fetch_sockets_response = 8,
      server_side_emit_message = 9,
      server_side_emit_response = 10,
      broadcast_client_count = 11,
      broadcast_ack = 12,
    };

    link(redis_sharded_adapter& owner, std::shared_ptr<redis::shard_bus> bus)
        : owner_(&owner),
          bus_ptr_(std::move(bus)),
          bus_(*bus_ptr_),
          mode_(bus_.options().subscription_mode),
          nsp_(owner.host_.name()),
          uid_(make_id()),
          channel_(bus_.options().channel_prefix + "#" + nsp_ + "#"),
          response_channel_(channel_ + uid_ + "#") {}

    const std::string& uid() const noexcept { return uid_; }
    std::size_t last_server_count() const noexcept { return server_count_.load(); }

    void start() {
      asio::post(bus_.executor(), [self = shared_from_this()] {
        // The namespace channel last: once another server counts this one (SHARDNUMSUB on it),
        // the response channel, subscribed before it on the same connection, is in place too.
        self->bus_.ssubscribe(self->response_channel_, self->handler(true));
        self->bus_.ssubscribe(self->channel_, self->handler(false));
        self->refresh_server_count();
      });
    }
    void close_bus() { bus_.close(); }
    void detach() {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!owner_) return;
        owner_ = nullptr;
      }
      asio::post(bus_.executor(), [self = shared_from_this()] {
        self->bus_.sunsubscribe(self->channel_);
        self->bus_.sunsubscribe(self->response_channel_);
        for (const auto& room : self->room_channels_) self->bus_.sunsubscribe(self->room_channel(room));
        self->room_channels_.clear();
        for (auto& [id, r] : self->requests_) r->timer.cancel();
        for (auto& [id, a] : self->acks_) a->timer.cancel();
      });
    }

    // Holds `room`'s channel while the room has a member here and the mode gives it one; what
    // the adapter holds when this runs decides, so calls in any order end in the right state.
    void sync_room(const room_id& room) {
      asio::post(bus_.executor(), [self = shared_from_this(), room] {
        bool wanted = false;
        {
          std::lock_guard<std::mutex> lock(self->mutex_);
          if (!self->owner_) return;
          auto& a = *self->owner_;
          // A room named after one of this server's sockets is private (Node: sids.has(room)).
          wanted = a.room_size(room) > 0 && (self->mode_ == redis_subscription_mode::dynamic_private || a.socket_rooms(room).empty());
        }
        bool held = self->room_channels_.count(room) > 0;
        if (wanted && !held) {
          self->room_channels_.insert(room);
          self->bus_.ssubscribe(self->room_channel(room), self->handler(false));
        } else if (!wanted && held) {
          self->room_channels_.erase(room);
          self->bus_.sunsubscribe(self->room_channel(room));
        }
      });
    }
    // --- sending -----------------------------------------------------------------------------

    void publish_broadcast(const parser::packet& packet, const broadcast_options& opts) {
      sio::object data{{"packet", redis::packet_value(packet, {})}, {"opts", redis::opts_value(opts, true)}};
      // A one-room broadcast goes to the room's channel when the mode gives rooms like it one.
      bool own_channel =
          opts.rooms.size() == 1 && (mode_ == redis_subscription_mode::dynamic_private ||
                                     (mode_ == redis_subscription_mode::dynamic && !looks_like_socket_id(opts.rooms.front())));
      publish(own_channel ? room_channel(opts.rooms.front()) : channel_, broadcast_message, std::move(data), true);
    }
    void publish_rooms(message_type type, const broadcast_options& opts, const std::vector<room_id>& rooms) {
      publish(channel_, type, sio::object{{"opts", redis::opts_value(opts, true)}, {"rooms", redis::strings(rooms)}}, false);
    }
    void publish_disconnect(const broadcast_options& opts, bool close) {
      publish(channel_, disconnect_message, sio::object{{"opts", redis::opts_value(opts, true)}, {"close", close}}, false);
    }

    void server_side_emit(const std::string& event, const std::vector<value>& args, request_timeout timeout, server_replies_handler done) {
      sio::array packet{event};
      packet.insert(packet.end(), args.begin(), args.end());
      if (!done) return publish(channel_, server_side_emit_message, sio::object{{"packet", std::move(packet)}}, true);
      auto replies = std::make_shared<std::vector<value>>();
      std::string id = make_id();
      std::string payload = encode(server_side_emit_message, sio::object{{"requestId", id}, {"packet", std::move(packet)}}, true);
      ask(
          std::move(id), std::move(payload), timeout, [replies](const value& data) { replies->push_back(redis::member(data, "packet")); },
          [replies, done = std::move(done)](std::error_code ec) { done(ec, std::move(*replies)); });
    }

    // Asks the other servers for the sockets `opts` selects, after this server's (`local`).
    void fetch_sockets(std::vector<socket_details> local, const broadcast_options& opts, request_timeout timeout,
                       fetch_sockets_handler done) {
      auto found = std::make_shared<std::vector<socket_details>>(std::move(local));
      std::string id = make_id();
      std::optional<std::int64_t> timeout_flag;
      if (timeout) timeout_flag = timeout->count();
      std::string payload =
          encode(fetch_sockets_message, sio::object{{"opts", redis::opts_value(opts, true, timeout_flag)}, {"requestId", id}}, false);
      ask(
          std::move(id), std::move(payload), timeout,
          [found](const value& data) {
            if (const auto* list = redis::member(data, "sockets").get_if<sio::array>())
              for (const auto& s : *list) found->push_back(redis::details_from_value(s));
          },
          [found, done = std::move(done)](std::error_code ec) { done(ec, std::move(*found)); });
    }

    void broadcast_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                            remote_ack_handler on_ack) {
      std::string id = make_id();
      const std::chrono::milliseconds wait = opts.ack_timeout.value_or(bus_.options().request_timeout);
      // No ack id: Node publishes before its local adapter numbers the packet, and every
      // receiver numbers it for its own sockets anyway.
      std::string payload = encode(broadcast_message,
                                   sio::object{{"packet", redis::packet_value(packet, {}, false)},
                                               {"requestId", id},
                                               {"opts", redis::opts_value(opts, true, static_cast<std::int64_t>(wait.count()))}},
                                   true);
      asio::post(bus_.executor(), [self = shared_from_this(), id = std::move(id), payload = std::move(payload), wait,
                                   client_count = std::move(client_count), on_ack = std::move(on_ack)]() mutable {
        auto a = std::make_shared<ack_request>(self->bus_.executor());
        a->client_count = std::move(client_count);
        a->on_ack = std::move(on_ack);
        a->wait = wait;
        self->acks_[id] = a;
        self->arm_ack_timer(id, a);
        // Every server answers with its count, so it goes to the namespace channel they all hold.
        self->bus_.shardnumsub(self->channel_, [self, id, a, payload = std::move(payload)](std::error_code ec, std::size_t n) mutable {
          if (!ec) self->server_count_ = n;
          if (a->counted) return;  // timed out meanwhile
          if (ec || n <= 1) return self->finish_count(id, *a);
          a->expected_counts = n - 1;
          self->bus_.spublish(self->channel_, std::move(payload));
        });
      });
    }

    void fetch_server_count(server_count_handler done) {
      asio::post(bus_.executor(), [self = shared_from_this(), done = std::move(done)]() mutable {
        self->bus_.shardnumsub(self->channel_, [self, done = std::move(done)](std::error_code ec, std::size_t n) {
          if (!ec) self->server_count_ = n;
          done(ec, std::max<std::size_t>(1, n));
        });
      });
    }
    void refresh_server_count() {
      asio::post(bus_.executor(), [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        self->bus_.shardnumsub(self->channel_, [weak](std::error_code ec, std::size_t n) {
          if (auto l = weak.lock(); l && !ec) l->server_count_ = n;
        });
      });
    }

   private:
    // A request that other servers answer (fetch sockets, server-side emit with ack).
    struct pending_request {
      explicit pending_request(const asio::any_io_executor& ex) : timer(ex) {}
      std::size_t expected = 0;  // 0 until the servers are counted
      std::size_t received = 0;
      std::function<void(const value&)> on_reply;
      std::function<void(std::error_code)> finish;
      asio::steady_timer timer;
    };
    // A broadcast with an ack: the client counts of the other servers, then their clients' acks.
    struct ack_request {
      explicit ack_request(const asio::any_io_executor& ex) : timer(ex) {}
      std::size_t expected_counts = 0;
      std::size_t counts = 0;
      std::size_t clients = 0;
      std::size_t acks = 0;
      bool counted = false;
      std::chrono::milliseconds wait{};  // each phase: the servers' counts, then their acks
      client_count_handler client_count;
      remote_ack_handler on_ack;
      asio::steady_timer timer;
    };

    std::string room_channel(const room_id& room) const { return channel_ + room + "#"; }
    // Node's sharded adapter takes any 20-character room for a socket id (RA looksLikeASocketId).
    static bool looks_like_socket_id(const room_id& room) { return room.size() == 20; }

    redis::shard_bus::message_handler handler(bool response_channel) {
      return [weak = weak_from_this(), response_channel](const redis::message& m) {
        auto self = weak.lock();
        if (!self) return;
        auto body = redis::parse_body(m.payload);
        if (!body.is_object()) return;
        if (response_channel)
          self->on_response(body);
        else
          self->on_message(body);
      };
    }

    // {type, data, uid, nsp}: JSON unless the data holds a binary and the type may carry one.
    std::string encode(message_type type, sio::object data, bool may_hold_binary) const {
      bool binary = may_hold_binary && redis::has_binary(value(data));
      value message = sio::object{{"type", static_cast<int>(type)}, {"data", std::move(data)}, {"uid", uid_}, {"nsp", nsp_}};
      return binary ? redis::msgpack_codec::encode(message) : sio::json::stringify(message);
    }
    void publish(std::string channel, message_type type, sio::object data, bool may_hold_binary) {
      std::string payload = encode(type, std::move(data), may_hold_binary);
      asio::post(bus_.executor(), [self = shared_from_this(), channel = std::move(channel), payload = std::move(payload)]() mutable {
        self->bus_.spublish(channel, std::move(payload));
      });
    }
    // An answer to server `requester`, on its own channel.
    void respond(const std::string& requester, message_type type, sio::object data, bool may_hold_binary) {
      publish(channel_ + requester + "#", type, std::move(data), may_hold_binary);
    }

    // Counts the servers, publishes `payload` to the namespace channel, and gathers one reply
    // from each other server (on the strand) until all came or the timeout.
    void ask(std::string id, std::string payload, request_timeout timeout, std::function<void(const value&)> on_reply,
             std::function<void(std::error_code)> finish) {
      asio::post(bus_.executor(), [self = shared_from_this(), id = std::move(id), payload = std::move(payload), timeout,
                                   on_reply = std::move(on_reply), finish = std::move(finish)]() mutable {
        auto r = std::make_shared<pending_request>(self->bus_.executor());
        r->on_reply = std::move(on_reply);
        r->finish = std::move(finish);
        self->requests_[id] = r;
        r->timer.expires_after(timeout.value_or(self->bus_.options().request_timeout));
        r->timer.async_wait([weak = std::weak_ptr<link>(self), id](std::error_code ec) {
          if (auto l = weak.lock(); l && !ec) l->complete(id, make_error_code(errc::ack_timeout));
        });
        self->bus_.shardnumsub(self->channel_, [self, id, r, payload = std::move(payload)](std::error_code ec, std::size_t n) mutable {
          if (!ec) self->server_count_ = n;
          if (!self->requests_.count(id)) return;  // timed out meanwhile
          if (ec) return self->complete(id, ec);
          if (n <= 1) return self->complete(id, {});
          r->expected = n - 1;
          self->bus_.spublish(self->channel_, std::move(payload));
        });
      });
    }
    void complete(const std::string& id, std::error_code ec) {
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      auto r = it->second;
      requests_.erase(it);
      r->timer.cancel();
      r->finish(ec);
    }

    void arm_ack_timer(const std::string& id, const std::shared_ptr<ack_request>& a) {
      a->timer.expires_after(a->wait);
      a->timer.async_wait([weak = weak_from_this(), id](std::error_code ec) {
        auto self = weak.lock();
        if (!self || ec) return;
        auto it = self->acks_.find(id);
        if (it == self->acks_.end()) return;
        auto a = it->second;
        if (!a->counted) {
          // Some server did not report its count: go on with what the others reported, and give
          // their acks one more request timeout.
          self->finish_count(id, *a);
          if (self->acks_.count(id)) self->arm_ack_timer(id, a);
        } else {
          self->acks_.erase(it);
        }
      });
    }
    void finish_count(const std::string& id, ack_request& a) {
      a.counted = true;
      auto count = std::move(a.client_count);
      if (count) count(a.clients);
      if (a.acks >= a.clients) {
        a.timer.cancel();
        acks_.erase(id);
      }
    }

    // --- receiving (on the strand) -----------------------------------------------------------

    void on_message(const value& body) {
      const auto& type_value = redis::member(body, "type");
      const auto& uid = redis::member(body, "uid");
      const auto& nsp = redis::member(body, "nsp");
      if (!type_value.is_int64() || !uid.is_string() || uid.as_string() == uid_ || !nsp.is_string() || nsp.as_string() != nsp_) return;
      const std::string& requester = uid.as_string();
      const auto& data = redis::member(body, "data");
      std::string request_id = redis::member(data, "requestId").is_string() ? redis::member(data, "requestId").as_string() : std::string();
      auto type = type_value.as_int64();
      if (type >= fetch_sockets_response && type != server_side_emit_message) return on_response(body);  // 8, 10, 11, 12
      std::lock_guard<std::mutex> lock(mutex_);
      if (!owner_) return;
      redis_sharded_adapter& a = *owner_;
      switch (static_cast<int>(type)) {
        case broadcast_message: {
          parser::packet packet;
          if (!redis::packet_from_value(redis::member(data, "packet"), nsp_, nsp_, packet)) return;
          auto opts = redis::opts_from_value(redis::member(data, "opts"));
          if (!redis::member(data, "requestId").is_null()) {
            if (request_id.empty()) return;
            std::weak_ptr<link> weak = weak_from_this();
            a.host_.broadcast_local_with_ack(
                packet, opts,
                [weak, requester, request_id](std::size_t n) {
                  if (auto self = weak.lock())
                    self->respond(requester, broadcast_client_count,
                                  sio::object{{"requestId", request_id}, {"clientCount", static_cast<std::uint64_t>(n)}}, false);
                },
                [weak, requester, request_id](std::vector<value> args) {
                  if (auto self = weak.lock())
                    self->respond(requester, broadcast_ack,
                                  sio::object{{"requestId", request_id}, {"packet", args.empty() ? value() : std::move(args.front())}},
                                  true);
                });
            return;
          }
          return a.host_.broadcast_local(packet, std::move(opts));
        }
        case sockets_join:
        case sockets_leave: {
          auto opts = redis::opts_from_value(redis::member(data, "opts"));
          auto rooms = redis::strings_of(redis::member(data, "rooms"));
          if (type == sockets_join)
            a.host_.join_local(opts, rooms);
          else
            a.in_memory_adapter::del_sockets(opts, rooms);
          return;
        }
        case disconnect_message: {
          const auto& close = redis::member(data, "close");
          return a.host_.disconnect_local(redis::opts_from_value(redis::member(data, "opts")), close.is_bool() && close.as_bool());
        }
        case fetch_sockets_message: {
          if (request_id.empty()) return;
          a.host_.local_socket_details(redis::opts_from_value(redis::member(data, "opts")), [weak = weak_from_this(), requester,
                                                                                             request_id](
                                                                                                std::vector<socket_details> found) {
            auto self = weak.lock();
            if (!self) return;
            sio::array list;
            for (const auto& d : found) list.push_back(redis::details_value(d));
            self->respond(requester, fetch_sockets_response, sio::object{{"requestId", request_id}, {"sockets", std::move(list)}}, true);
          });
          return;
        }
        case server_side_emit_message: {
          const auto* packet = redis::member(data, "packet").get_if<sio::array>();
          if (!packet || packet->empty() || !packet->front().is_string()) return;
          std::vector<value> args(packet->begin() + 1, packet->end());
          if (redis::member(data, "requestId").is_null()) return a.host_.server_side_event(packet->front().as_string(), std::move(args));
          if (request_id.empty()) return;
          auto replied = std::make_shared<std::atomic<bool>>(false);
          a.host_.server_side_event_with_ack(packet->front().as_string(), std::move(args),
                                             [weak = weak_from_this(), requester, request_id, replied](value reply) {
                                               auto self = weak.lock();
                                               if (!self || replied->exchange(true)) return;
                                               self->respond(requester, server_side_emit_response,
                                                             sio::object{{"requestId", request_id}, {"packet", std::move(reply)}}, true);
                                             });
          return;
        }
        default: return;  // heartbeats (1, 2, 13) and unknown types: not for this adapter
      }
    }

    void on_response(const value& body) {
      const auto& data = redis::member(body, "data");
      const auto& type_value = redis::member(body, "type");
      if (!type_value.is_int64() || !redis::member(data, "requestId").is_string()) return;
      const std::string& id = redis::member(data, "requestId").as_string();
      auto type = type_value.as_int64();
      if (type == broadcast_client_count || type == broadcast_ack) {
        auto it = acks_.find(id);
        if (it == acks_.end()) return;
        auto a = it->second;
        if (type == broadcast_client_count) {
          if (a->counted) return;
          const auto& n = redis::member(data, "clientCount");
          // A count beyond any real server's sockets is someone's garbage: it must not wrap.
          if (n.is_int64() && n.as_int64() > 0) a->clients += static_cast<std::size_t>(std::min<std::int64_t>(n.as_int64(), 1 << 30));
          if (++a->counts >= a->expected_counts && a->expected_counts) finish_count(id, *a);
        } else {
          ++a->acks;
          if (a->on_ack) a->on_ack({redis::member(data, "packet")});
          if (a->counted && a->acks >= a->clients) {
            a->timer.cancel();
            acks_.erase(id);
          }
        }
        return;
      }
      if (type != fetch_sockets_response && type != server_side_emit_response) return;
      auto it = requests_.find(id);
      if (it == requests_.end()) return;
      auto r = it->second;
      r->on_reply(data);
      if (r->expected && ++r->received >= r->expected) complete(id, {});
    }

    // 8 random bytes as 16 lower-case hex digits, like Node's ClusterAdapter (uids and request ids).
    static std::string make_id() {
      static const char hex[] = "0123456789abcdef";
      thread_local std::mt19937_64 rng{std::random_device{}()};
      std::uint64_t bits = rng();
      std::string id(16, '0');
      for (auto& c : id) {
        c = hex[bits & 15];
        bits >>= 4;
      }
      return id;
    }

    std::mutex mutex_;  // owner_, against detach(); held while a received message reaches the host
    redis_sharded_adapter* owner_;
    const std::shared_ptr<redis::shard_bus> bus_ptr_;
    redis::shard_bus& bus_;
    const redis_subscription_mode mode_;
    const std::string nsp_;
    const std::string uid_;
    const std::string channel_, response_channel_;
    std::atomic<std::size_t> server_count_{0};
    // On the bus's strand only:
    std::set<room_id> room_channels_;
    std::map<std::string, std::shared_ptr<pending_request>> requests_;
    std::map<std::string, std::shared_ptr<ack_request>> acks_;
  };

  const redis_subscription_mode mode_;
  std::shared_ptr<link> link_;
};

}  // namespace sio
