#pragma once
// sio::redis_adapter: several Socket.IO servers share their namespaces through Redis, speaking the
// classic (pub/sub) wire format of Node's @socket.io/redis-adapter 8.3 (docs/redis-wire.md §2), so
// sio and Node servers can be one cluster.
//
//   asio::io_context ctx;
//   sio::server<> io(ctx, {}, sio::redis_adapter::create(ctx, {"redis://127.0.0.1:6379"}));
//   ...
//   io.close();   // also closes the server's Redis connections, so ctx can run out of work
//
// The namespaces of one server share two connections (publish and subscribe), made when the
// first namespace starts. Broadcasts are msgpack [uid, packet, opts] on `<key>#<nsp>#` (or
// `<key>#<nsp>#<room>#` for a single room); the other operations are JSON requests on
// `<key>-request#<nsp>#` answered on `<key>-response#<nsp>#`, except broadcasts with an ack and
// their acks, which are msgpack. How many servers answer is PUBSUB NUMSUB of the request channel,
// as in Node.
//
// Redis away: local delivery goes on; publishes wait in the connection's bounded queue (options
// .connection) and are dropped and reported over it; requests to other servers time out.
//
// all_rooms() and server_count() answer at once, so they give this server's rooms and the last
// server count seen; fetch_all_rooms() and fetch_server_count() (io.fetch_all_rooms(token),
// io.fetch_server_count(token)) ask the cluster, as Node's allRooms() and serverCount() do.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/adapter.hpp"
#include "sio/error.hpp"
#include "sio/in_memory_adapter.hpp"
#include "sio/parser/json_reader.hpp"
#include "sio/parser/json_writer.hpp"
#include "sio/redis/adapter_bus.hpp"
#include "sio/redis/adapter_options.hpp"
#include "sio/redis/msgpack_codec.hpp"
#include "sio/redis/wire_values.hpp"

namespace sio {

class redis_adapter : public in_memory_adapter {
 public:
  /// The factory to give sio::server: every namespace of that server joins the cluster that
  /// `opts` names. Throws std::invalid_argument on a malformed URL. One factory per server.
  static adapter_factory create(asio::io_context& io, redis_adapter_options opts) {
    auto bus = std::make_shared<redis::adapter_bus>(io.get_executor(), std::move(opts));
    return [bus](adapter_host& host) -> std::unique_ptr<adapter> { return std::make_unique<redis_adapter>(host, bus); };
  }

  redis_adapter(adapter_host& host, std::shared_ptr<redis::adapter_bus> bus)
      : in_memory_adapter(host, false), link_(std::make_shared<link>(*this, std::move(bus))) {
    link_->start();
  }
  ~redis_adapter() override { link_->detach(); }

  /// The server closes: unsubscribe and close its Redis connections.
  void close() override {
    link_->detach();
    link_->close_bus();
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
    // The local part here, not through the link: its lock may be held by this very thread (a
    // server-side event handler that calls fetch_sockets).
    host_.local_socket_details(opts, [link = link_, opts, timeout, done = std::move(done)](std::vector<socket_details> local) mutable {
      link->fetch_remote_sockets(opts, timeout, std::move(local), std::move(done));
    });
  }
  void add_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) override {
    in_memory_adapter::add_sockets(opts, rooms);
    if (!opts.local) link_->publish_rooms_request(link::remote_join, opts, rooms);
  }
  void del_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) override {
    in_memory_adapter::del_sockets(opts, rooms);
    if (!opts.local) link_->publish_rooms_request(link::remote_leave, opts, rooms);
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
  /// The rooms with a member anywhere in the cluster (Node's allRooms()): errc::ack_timeout with
  /// the rooms gathered when some server did not answer in time.
  void fetch_all_rooms(request_timeout timeout, rooms_handler done) override {
    link_->fetch_all_rooms(in_memory_adapter::all_rooms(), timeout, std::move(done));
  }
  /// PUBSUB NUMSUB of the namespace's request channel, asked now (1 when Redis cannot answer).
  void fetch_server_count(server_count_handler done) override { link_->fetch_server_count(std::move(done)); }
  /// This server's id in the cluster (6 characters, like Node's).
  const std::string& uid() const noexcept { return link_->uid(); }

 private:
  // One namespace's side of the cluster. It outlives the adapter while handlers hold it; detach()
  // cuts it from the adapter (under mutex_), after which what arrives is dropped.
  class link : public std::enable_shared_from_this<link> {
   public:
    enum request_type {
      sockets = 0,
      all_rooms_request = 1,
      remote_join = 2,
      remote_leave = 3,
      remote_disconnect = 4,
      remote_fetch = 5,
      server_side_emit_request = 6,
      broadcast_request = 7,
      broadcast_client_count = 8,
      broadcast_ack = 9
    };

    link(redis_adapter& owner, std::shared_ptr<redis::adapter_bus> bus)
        : owner_(&owner), bus_ptr_(std::move(bus)), bus_(*bus_ptr_), nsp_(owner.host_.name()), uid_(make_id()) {
      const auto& key = bus_.options().key;
      broadcast_channel_ = key + "#" + nsp_ + "#";
      request_channel_ = key + "-request#" + nsp_ + "#";
      response_channel_ = key + "-response#" + nsp_ + "#";
      specific_response_channel_ = response_channel_ + uid_ + "#";
      pattern_ = escape_glob(broadcast_channel_) + "*";
    }

    const std::string& uid() const noexcept { return uid_; }
    std::size_t last_server_count() const noexcept { return server_count_.load(); }

    void start() {
      asio::post(bus_.executor(), [self = shared_from_this()] {
        std::weak_ptr<link> weak = self;
        auto on = [weak](void (link::*member)(const redis::message&)) {
          return [weak, member](const redis::message& m) {
            if (auto l = weak.lock()) ((*l).*member)(m);
          };
        };
        // The request channel last: once another server counts this one (PUBSUB NUMSUB on it),
        // the subscriptions sent before it on the same connection are in place too.
        self->bus_.listen_channel(self->response_channel_, on(&link::on_response));
        self->bus_.listen_channel(self->specific_response_channel_, on(&link::on_response));
        self->bus_.listen_pattern(self->pattern_, on(&link::on_broadcast));
        self->bus_.listen_channel(self->request_channel_, on(&link::on_request));
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
        self->bus_.forget_pattern(self->pattern_);
        self->bus_.forget_channel(self->request_channel_);
        self->bus_.forget_channel(self->response_channel_);
        self->bus_.forget_channel(self->specific_response_channel_);
        for (auto& [id, r] : self->requests_) r->timer.cancel();
        for (auto& [id, a] : self->acks_) a->timer.cancel();
      });
    }

    // --- sending -----------------------------------------------------------------------------

    void publish_broadcast(const parser::packet& packet, const broadcast_options& opts) {
      std::string payload =
          redis::msgpack_codec::encode(sio::array{uid_, redis::packet_value(packet, nsp_), redis::opts_value(opts, true)});
      std::string channel = opts.rooms.size() == 1 ? broadcast_channel_ + opts.rooms.front() + "#" : broadcast_channel_;
      asio::post(bus_.executor(), [self = shared_from_this(), channel = std::move(channel), payload = std::move(payload)]() mutable {
        self->bus_.publish(channel, std::move(payload));
      });
    }

    void publish_rooms_request(request_type type, const broadcast_options& opts, const std::vector<room_id>& rooms) {
      publish_json(
          request_channel_,
          sio::object{
              {"uid", uid_}, {"type", static_cast<int>(type)}, {"opts", redis::opts_value(opts, false)}, {"rooms", redis::strings(rooms)}});
    }
    void publish_disconnect(const broadcast_options& opts, bool close) {
      publish_json(
          request_channel_,
          sio::object{
              {"uid", uid_}, {"type", static_cast<int>(remote_disconnect)}, {"opts", redis::opts_value(opts, false)}, {"close", close}});
    }

    void server_side_emit(const std::string& event, const std::vector<value>& args, request_timeout timeout, server_replies_handler done) {
      sio::array data{event};
      data.insert(data.end(), args.begin(), args.end());
      if (!done) {
        return publish_json(request_channel_,
                            sio::object{{"uid", uid_}, {"type", static_cast<int>(server_side_emit_request)}, {"data", std::move(data)}});
      }
      auto replies = std::make_shared<std::vector<value>>();
      std::string id = make_id();
      std::string payload = sio::json::stringify(
          sio::object{{"uid", uid_}, {"requestId", id}, {"type", static_cast<int>(server_side_emit_request)}, {"data", std::move(data)}});
      ask(
          std::move(id), std::move(payload), timeout, [replies](const value& body) { replies->push_back(redis::member(body, "data")); },
          [replies, done = std::move(done)](std::error_code ec) { done(ec, std::move(*replies)); });
    }

    // Adds the other servers' sockets to `local` (this server's, gathered by the adapter).
    void fetch_remote_sockets(const broadcast_options& opts, request_timeout timeout, std::vector<socket_details> local,
                              fetch_sockets_handler done) {
      auto found = std::make_shared<std::vector<socket_details>>(std::move(local));
      std::string id = make_id();
      std::string payload = sio::json::stringify(sio::object{
          {"uid", uid_}, {"requestId", id}, {"type", static_cast<int>(remote_fetch)}, {"opts", redis::opts_value(opts, false)}});
      ask(
          std::move(id), std::move(payload), timeout,
          [found](const value& body) {
            if (const auto* list = redis::member(body, "sockets").get_if<sio::array>())
              for (const auto& s : *list) found->push_back(redis::details_from_value(s));
          },
          [found, done = std::move(done)](std::error_code ec) { done(ec, std::move(*found)); });
    }

    void fetch_all_rooms(const std::vector<room_id>& local, request_timeout timeout, rooms_handler done) {
      auto rooms = std::make_shared<std::set<room_id>>(local.begin(), local.end());
      std::string id = make_id();
      std::string payload =
          sio::json::stringify(sio::object{{"uid", uid_}, {"requestId", id}, {"type", static_cast<int>(all_rooms_request)}});
      ask(
          std::move(id), std::move(payload), timeout,
          [rooms](const value& body) {
            if (const auto* list = redis::member(body, "rooms").get_if<sio::array>())
              for (const auto& r : *list)
                if (r.is_string()) rooms->insert(r.as_string());
          },
          [rooms, done = std::move(done)](std::error_code ec) { done(ec, std::vector<room_id>(rooms->begin(), rooms->end())); });
    }

    void broadcast_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                            remote_ack_handler on_ack) {
      std::string id = make_id();
      const std::chrono::milliseconds wait = opts.ack_timeout.value_or(bus_.options().request_timeout);
      std::string payload =
          redis::msgpack_codec::encode(sio::object{{"uid", uid_},
                                                   {"requestId", id},
                                                   {"type", static_cast<int>(broadcast_request)},
                                                   {"packet", redis::packet_value(packet, nsp_)},
                                                   {"opts", redis::opts_value(opts, true, static_cast<std::int64_t>(wait.count()))}});
      asio::post(bus_.executor(), [self = shared_from_this(), id = std::move(id), payload = std::move(payload), wait,
                                   client_count = std::move(client_count), on_ack = std::move(on_ack)]() mutable {
        auto a = std::make_shared<ack_request>(self->bus_.executor());
        a->client_count = std::move(client_count);
        a->on_ack = std::move(on_ack);
        a->wait = wait;
        self->acks_[id] = a;
        self->arm_ack_timer(id, a);
        self->bus_.numsub(self->request_channel_, [self, id, a, payload = std::move(payload)](std::error_code ec, std::size_t n) mutable {
          if (!ec) self->server_count_ = n;
          if (a->counted) return;  // timed out meanwhile
          if (ec || n <= 1) return self->finish_count(id, *a);
          a->expected_counts = n - 1;
          self->bus_.publish(self->request_channel_, std::move(payload));
        });
      });
    }

    void fetch_server_count(server_count_handler done) {
      asio::post(bus_.executor(), [self = shared_from_this(), done = std::move(done)]() mutable {
        self->bus_.numsub(self->request_channel_, [self, done = std::move(done)](std::error_code ec, std::size_t n) {
          if (!ec) self->server_count_ = n;
          done(ec, std::max<std::size_t>(1, n));
        });
      });
    }

    void refresh_server_count() {
      asio::post(bus_.executor(), [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        self->bus_.numsub(self->request_channel_, [weak](std::error_code ec, std::size_t n) {
          if (auto l = weak.lock(); l && !ec) l->server_count_ = n;
        });
      });
    }

   private:
    // A request that other servers answer (fetch, all rooms, server-side emit with ack).
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

    // Counts the servers, publishes `payload` to the request channel, and gathers one reply from
    // each other server (on the strand) until all came or the timeout.
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
        self->bus_.numsub(self->request_channel_, [self, id, r, payload = std::move(payload)](std::error_code ec, std::size_t n) mutable {
          if (!ec) self->server_count_ = n;
          if (!self->requests_.count(id)) return;  // timed out meanwhile
          if (ec) return self->complete(id, ec);
          if (n <= 1) return self->complete(id, {});
          r->expected = n - 1;
          self->bus_.publish(self->request_channel_, std::move(payload));
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

    // --- receiving ---------------------------------------------------------------------------

    void on_broadcast(const redis::message& m) {
      if (m.channel.compare(0, broadcast_channel_.size(), broadcast_channel_) != 0 || m.channel.size() <= broadcast_channel_.size() - 1)
        return;
      std::string room = m.channel.substr(broadcast_channel_.size());
      if (!room.empty()) {
        if (room.back() != '#') return;
        room.pop_back();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (!owner_) return;
      if (!room.empty() && owner_->room_size(room) == 0) return;  // no one here: skip the decoding
      auto decoded = redis::msgpack_codec::decode(m.payload);
      const auto* parts = decoded ? decoded->get_if<sio::array>() : nullptr;
      if (!parts || parts->size() < 3 || !(*parts)[0].is_string() || (*parts)[0].as_string() == uid_) return;
      parser::packet packet;
      if (!redis::packet_from_value((*parts)[1], nsp_, "/", packet)) return;
      owner_->host_.broadcast_local(packet, redis::opts_from_value((*parts)[2]));
    }

    void on_request(const redis::message& m) {
      auto body = redis::parse_body(m.payload);
      if (!body.is_object()) return;
      const auto& type_value = redis::member(body, "type");
      if (!type_value.is_int64()) return;
      auto type = type_value.as_int64();
      const value& uid = redis::member(body, "uid");
      bool mine = uid.is_string() && uid.as_string() == uid_;
      std::string request_id = redis::member(body, "requestId").is_string() ? redis::member(body, "requestId").as_string() : std::string();
      std::lock_guard<std::mutex> lock(mutex_);
      if (!owner_) return;
      redis_adapter& a = *owner_;
      switch (static_cast<int>(type)) {
        case sockets: {
          if (request_id.empty() || requests_.count(request_id)) return;
          broadcast_options opts;
          opts.rooms = redis::strings_of(redis::member(body, "rooms"));
          opts.local = true;
          publish_json(response_channel_, sio::object{{"requestId", request_id}, {"sockets", redis::strings(a.select(opts))}});
          return;
        }
        case all_rooms_request:
          if (request_id.empty() || requests_.count(request_id)) return;
          publish_json(response_channel_,
                       sio::object{{"requestId", request_id}, {"rooms", redis::strings(a.in_memory_adapter::all_rooms())}});
          return;
        case remote_join:
        case remote_leave:
        case remote_disconnect: {
          if (mine) return;  // applied here when it was sent
          broadcast_options opts;
          bool legacy = !redis::member(body, "opts").is_object();
          if (legacy) {  // the single-socket form of older Node adapters, answered
            if (!redis::member(body, "sid").is_string()) return;
            opts.rooms = {redis::member(body, "sid").as_string()};
          } else {
            opts = redis::opts_from_value(redis::member(body, "opts"));
          }
          opts.local = true;
          if (type == remote_disconnect) {
            a.host_.disconnect_local(opts, redis::member(body, "close").is_bool() && redis::member(body, "close").as_bool());
          } else {
            std::vector<room_id> rooms =
                legacy ? (redis::member(body, "room").is_string() ? std::vector<room_id>{redis::member(body, "room").as_string()}
                                                                  : std::vector<room_id>{})
                       : redis::strings_of(redis::member(body, "rooms"));
            if (type == remote_join)
              a.host_.join_local(opts, rooms);
            else
              a.in_memory_adapter::del_sockets(opts, rooms);
          }
          if (legacy && !request_id.empty()) publish_json(response_channel_, sio::object{{"requestId", request_id}});
          return;
        }
        case remote_fetch: {
          if (request_id.empty() || requests_.count(request_id)) return;
          auto opts = redis::opts_from_value(redis::member(body, "opts"));
          opts.local = true;
          a.host_.local_socket_details(opts, [weak = weak_from_this(), request_id](std::vector<socket_details> found) {
            auto self = weak.lock();
            if (!self) return;
            sio::array list;
            for (const auto& d : found) list.push_back(redis::details_value(d));
            self->publish_json(self->response_channel_, sio::object{{"requestId", request_id}, {"sockets", std::move(list)}});
          });
          return;
        }
        case server_side_emit_request: {
          if (mine) return;
          const auto* data = redis::member(body, "data").get_if<sio::array>();
          if (!data || data->empty() || !data->front().is_string()) return;
          std::vector<value> args(data->begin() + 1, data->end());
          if (request_id.empty()) return a.host_.server_side_event(data->front().as_string(), std::move(args));
          auto replied = std::make_shared<std::atomic<bool>>(false);
          a.host_.server_side_event_with_ack(
              data->front().as_string(), std::move(args), [weak = weak_from_this(), request_id, replied](value reply) {
                auto self = weak.lock();
                if (!self || replied->exchange(true)) return;
                self->publish_json(self->response_channel_, sio::object{{"type", static_cast<int>(server_side_emit_request)},
                                                                        {"requestId", request_id},
                                                                        {"data", std::move(reply)}});
              });
          return;
        }
        case broadcast_request: {
          if (mine || request_id.empty() || acks_.count(request_id)) return;
          parser::packet packet;
          if (!redis::packet_from_value(redis::member(body, "packet"), nsp_, "/", packet)) return;
          auto opts = redis::opts_from_value(redis::member(body, "opts"));
          std::weak_ptr<link> weak = weak_from_this();
          a.host_.broadcast_local_with_ack(
              packet, opts,
              [weak, request_id](std::size_t n) {
                if (auto self = weak.lock())
                  self->publish_json(self->response_channel_, sio::object{{"type", static_cast<int>(broadcast_client_count)},
                                                                          {"requestId", request_id},
                                                                          {"clientCount", static_cast<std::uint64_t>(n)}});
              },
              [weak, request_id](std::vector<value> args) {
                auto self = weak.lock();
                if (!self) return;
                std::string payload =
                    redis::msgpack_codec::encode(sio::object{{"type", static_cast<int>(broadcast_ack)},
                                                             {"requestId", request_id},
                                                             {"packet", args.empty() ? value() : std::move(args.front())}});
                asio::post(self->bus_.executor(), [self, payload = std::move(payload)]() mutable {
                  self->bus_.publish(self->response_channel_, std::move(payload));
                });
              });
          return;
        }
        default: return;  // unknown types: a newer peer
      }
    }

    void on_response(const redis::message& m) {
      auto body = redis::parse_body(m.payload);
      if (!body.is_object() || !redis::member(body, "requestId").is_string()) return;
      const std::string& id = redis::member(body, "requestId").as_string();
      if (auto it = acks_.find(id); it != acks_.end()) {
        auto a = it->second;
        const auto& type = redis::member(body, "type");
        if (!type.is_int64()) return;
        if (type.as_int64() == broadcast_client_count) {
          if (a->counted) return;
          const auto& n = redis::member(body, "clientCount");
          // A count beyond any real server's sockets is someone's garbage: it must not wrap.
          if (n.is_int64() && n.as_int64() > 0) a->clients += static_cast<std::size_t>(std::min<std::int64_t>(n.as_int64(), 1 << 30));
          if (++a->counts >= a->expected_counts && a->expected_counts) finish_count(id, *a);
        } else if (type.as_int64() == broadcast_ack) {
          ++a->acks;
          if (a->on_ack) a->on_ack({redis::member(body, "packet")});
          if (a->counted && a->acks >= a->clients) {
            a->timer.cancel();
            acks_.erase(id);
          }
        }
        return;
      }
      auto it = requests_.find(id);
      if (it == requests_.end()) return;  // another server's request (responses go to every server)
      auto r = it->second;
      r->on_reply(body);
      if (r->expected && ++r->received >= r->expected) complete(id, {});
    }

    // --- encoding ----------------------------------------------------------------------------

    void publish_json(const std::string& channel, sio::object body) {
      std::string payload = sio::json::stringify(value(std::move(body)));
      asio::post(bus_.executor(), [self = shared_from_this(), channel, payload = std::move(payload)]() mutable {
        self->bus_.publish(channel, std::move(payload));
      });
    }
    // Glob characters in a key or namespace must match themselves in PSUBSCRIBE.
    static std::string escape_glob(const std::string& s) {
      std::string out;
      for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      return out;
    }
    // 6 characters of A-Z a-z 0-9 - _, like Node's uid2(6).
    static std::string make_id() {
      static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      thread_local std::mt19937_64 rng{std::random_device{}()};
      std::string id(6, ' ');
      for (auto& c : id) c = alphabet[rng() % 64];
      return id;
    }

    std::mutex mutex_;  // owner_, against detach(); held while a received message reaches the host
    redis_adapter* owner_;
    const std::shared_ptr<redis::adapter_bus> bus_ptr_;
    redis::adapter_bus& bus_;
    const std::string nsp_;
    const std::string uid_;
    std::string broadcast_channel_, request_channel_, response_channel_, specific_response_channel_, pattern_;
    std::atomic<std::size_t> server_count_{0};
    // On the bus's strand only:
    std::map<std::string, std::shared_ptr<pending_request>> requests_;
    std::map<std::string, std::shared_ptr<ack_request>> acks_;
  };

  std::shared_ptr<link> link_;
};

}  // namespace sio
