#pragma once
// sio::redis_emitter: sends events to the clients of a Socket.IO cluster from a process that is
// not a Socket.IO server, through Redis, as Node's @socket.io/redis-emitter 5.1 does
// (docs/redis-wire.md §4). Every server of the cluster with a classic-mode Redis adapter (sio's
// or Node's) on the same key hears it. It needs no sio::server: only an io_context.
//
//   asio::io_context ctx;
//   sio::redis_emitter emitter(ctx, {"redis://127.0.0.1:6379"});
//   emitter.emit("time", "12:00");
//   emitter.to("room1").except("room2").emit("news", sio::object{{"title", "hello"}});
//   emitter.of("/admin").in("ops").sockets_join({"alerts"});
//   emitter.server_side_emit("reload", 1);
//   emitter.close();   // once Redis has answered what came before; then ctx runs out of work
//   ctx.run();
//
// Fire and forget, like Node's: nothing comes back (no acks, no replies). Every call may be made
// from any thread; the Redis link runs on a strand of `ctx`. While Redis is away, what is sent
// waits in the connection's bounded queue (redis_emitter_options::connection) and is dropped and
// reported through on_error over it.
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/arguments.hpp"
#include "sio/parser/json_writer.hpp"
#include "sio/redis/connection.hpp"
#include "sio/redis/msgpack_codec.hpp"
#include "sio/redis/options.hpp"
#include "sio/redis/url.hpp"
#include "sio/value.hpp"

namespace sio {

struct redis_emitter_options {
  /// redis:// or rediss:// (TLS), with user, password and db.
  std::string url = "redis://127.0.0.1:6379";
  /// The cluster's channel prefix: the adapters' `key` (Node's default is "socket.io").
  std::string key = "socket.io";
  /// The connection's bounds (its write queue is what waits while Redis is away).
  redis::options connection;
  /// A publish that failed (Redis away past the bounds, a queue full, an error reply). Runs on
  /// the emitter's strand; must not throw.
  std::function<void(std::error_code, const std::string& what)> on_error;
};

class redis_emitter {
  // The connection, its strand and the options: shared by every operator made from the emitter.
  struct link {
    link(asio::io_context& io, redis_emitter_options o) : strand(asio::make_strand(io)), opts(std::move(o)) {
      connection = redis::connection::create(strand, redis::url::parse(opts.url), opts.connection);
    }
    void publish(std::string channel, std::string payload) {
      asio::post(strand, [keep = connection, on_error = opts.on_error, channel = std::move(channel), payload = std::move(payload)] {
        keep->command({"PUBLISH", channel, payload}, [on_error, channel](std::error_code ec, redis::reply r) {
          if (!ec && r.is_error()) ec = std::make_error_code(std::errc::bad_message);
          if (!ec || !on_error) return;
          try {
            on_error(ec, "publish on " + channel + (r.is_error() ? ": " + r.str() : std::string()));
          } catch (...) {  // documented as must-not-throw; it must not reach io_context::run either
          }
        });
      });
    }
    asio::any_io_executor strand;
    redis_emitter_options opts;
    std::shared_ptr<redis::connection> connection;
  };

 public:
  /// A selection of sockets in one namespace (to/in/except) with flags, as an immutable value.
  class broadcast_operator {
   public:
    broadcast_operator to(const std::string& room) const {
      auto b = *this;
      b.rooms_.push_back(room);
      return b;
    }
    broadcast_operator in(const std::string& room) const { return to(room); }
    broadcast_operator except(const std::string& room) const {
      auto b = *this;
      b.except_.push_back(room);
      return b;
    }
    broadcast_operator volatile_() const {
      auto b = *this;
      b.is_volatile_ = true;
      return b;
    }
    broadcast_operator compress(bool on) const {
      auto b = *this;
      b.compress_ = on;
      return b;
    }

    /// To every selected client. Throws std::invalid_argument for an event name the protocol
    /// reserves ("connect", "disconnect", ...), as Node's emitter does.
    template <class... A>
    void emit(std::string_view event, A&&... args) const {
      emit_values(event, arguments::of(std::forward<A>(args)...).values());
    }
    void emit(std::string_view event, value arg) const { emit_values(event, {std::move(arg)}); }

    /// socketsJoin / socketsLeave / disconnectSockets on every server.
    void sockets_join(const std::vector<std::string>& rooms) const { publish_rooms_request(2, rooms); }
    void sockets_leave(const std::vector<std::string>& rooms) const { publish_rooms_request(3, rooms); }
    void disconnect_sockets(bool close = false) const {
      link_->publish(request_channel(), json::stringify(value(sio::object{{"type", 4}, {"opts", selection()}, {"close", close}})));
    }

    /// serverSideEmit: an event for every server of the namespace (never for clients).
    template <class... A>
    void server_side_emit(std::string_view event, A&&... args) const {
      check_event(event);
      sio::array data{std::string(event)};
      auto values = arguments::of(std::forward<A>(args)...);
      for (auto& v : values.values()) data.push_back(v);
      link_->publish(request_channel(), json::stringify(value(sio::object{{"uid", "emitter"}, {"type", 6}, {"data", std::move(data)}})));
    }

   private:
    friend class redis_emitter;
    broadcast_operator(std::shared_ptr<link> l, std::string nsp) : link_(std::move(l)), nsp_(std::move(nsp)) {}

    static void check_event(std::string_view event) {
      for (std::string_view reserved : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        if (event == reserved) throw std::invalid_argument("sio::redis_emitter: \"" + std::string(event) + "\" is a reserved event name");
    }
    void emit_values(std::string_view event, const std::vector<value>& args) const {
      check_event(event);
      sio::array data{std::string(event)};
      data.insert(data.end(), args.begin(), args.end());
      sio::object flags;
      if (is_volatile_) flags.emplace_back("volatile", true);
      if (!compress_) flags.emplace_back("compress", false);
      // The shape and key order of Node's emitter: [uid, packet, {rooms, flags, except}].
      value message = sio::array{"emitter", sio::object{{"type", 2}, {"data", std::move(data)}, {"nsp", nsp_}},
                                 sio::object{{"rooms", strings(rooms_)}, {"flags", std::move(flags)}, {"except", strings(except_)}}};
      // One room has a channel of its own, which servers without a member skip undecoded.
      std::string channel = link_->opts.key + "#" + nsp_ + "#";
      if (rooms_.size() == 1) channel += rooms_.front() + "#";
      link_->publish(std::move(channel), redis::msgpack_codec::encode(message));
    }
    void publish_rooms_request(int type, const std::vector<std::string>& rooms) const {
      link_->publish(request_channel(),
                     json::stringify(value(sio::object{{"type", type}, {"opts", selection()}, {"rooms", strings(rooms)}})));
    }
    value selection() const { return sio::object{{"rooms", strings(rooms_)}, {"except", strings(except_)}}; }
    std::string request_channel() const { return link_->opts.key + "-request#" + nsp_ + "#"; }
    static sio::array strings(const std::vector<std::string>& list) { return sio::array(list.begin(), list.end()); }

    std::shared_ptr<link> link_;
    std::string nsp_;
    std::vector<std::string> rooms_, except_;
    bool is_volatile_ = false;
    bool compress_ = true;
  };

  /// Throws std::invalid_argument on a malformed URL. Connects at once (and again after a drop).
  redis_emitter(asio::io_context& io, redis_emitter_options opts = {}) : link_(std::make_shared<link>(io, std::move(opts))) {
    asio::post(link_->strand, [keep = link_->connection] { keep->start(); });
  }
  redis_emitter(const redis_emitter&) = delete;
  redis_emitter& operator=(const redis_emitter&) = delete;
  ~redis_emitter() { close(); }

  /// The namespace `name` ("/" by default; a leading "/" is added when missing).
  broadcast_operator of(std::string name) const {
    if (name.empty() || name.front() != '/') name.insert(name.begin(), '/');
    return broadcast_operator(link_, std::move(name));
  }
  broadcast_operator to(const std::string& room) const { return of("/").to(room); }
  broadcast_operator in(const std::string& room) const { return of("/").in(room); }
  broadcast_operator except(const std::string& room) const { return of("/").except(room); }
  broadcast_operator volatile_() const { return of("/").volatile_(); }
  broadcast_operator compress(bool on) const { return of("/").compress(on); }

  template <class... A>
  void emit(std::string_view event, A&&... args) const {
    of("/").emit(event, std::forward<A>(args)...);
  }
  void emit(std::string_view event, value arg) const { of("/").emit(event, std::move(arg)); }
  void sockets_join(const std::vector<std::string>& rooms) const { of("/").sockets_join(rooms); }
  void sockets_leave(const std::vector<std::string>& rooms) const { of("/").sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) const { of("/").disconnect_sockets(close); }
  template <class... A>
  void server_side_emit(std::string_view event, A&&... args) const {
    of("/").server_side_emit(event, std::forward<A>(args)...);
  }

  /// Closes the connection once Redis has answered what was published before (a PING after
  /// it), or after `flush_timeout` if Redis is away, so the io_context can run out of work.
  /// Idempotent; any thread.
  void close(std::chrono::milliseconds flush_timeout = std::chrono::seconds(5)) {
    auto timer = std::make_shared<asio::steady_timer>(link_->strand, flush_timeout);
    asio::post(link_->strand, [keep = link_->connection, timer] {
      keep->command({"PING"}, [keep, timer](std::error_code, redis::reply) {
        timer->cancel();
        keep->close();
      });
      timer->async_wait([keep](std::error_code ec) {
        if (!ec) keep->close();
      });
    });
  }

 private:
  std::shared_ptr<link> link_;
};

}  // namespace sio
