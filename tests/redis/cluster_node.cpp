// One sio node of a Redis cluster, driven by tests/redis/interop/cluster.test.mjs next to Node
// nodes (tests/redis/interop/node_node.mjs, the same control API on npm socket.io and
// @socket.io/redis-adapter). A client asks the node it is connected to for a cluster-wide
// operation with a "do-*" event; the node performs it and acknowledges the result.
//
//   sio_redis_cluster_node --port 0 --redis redis://127.0.0.1:6379 --key K --name A [--request-timeout MS]
//                          [--sharded dynamic|static|dynamic-private]
//
// Without --sharded the node uses sio::redis_adapter (classic pub/sub, K is the key); with it,
// sio::redis_sharded_adapter in that subscription mode (K is the channel prefix, --redis any node
// of a Redis Cluster).
//
// Prints `listening <port>` once ready. On SIGTERM it closes the server (and so its Redis
// connections) and exits with status 0 once the io_context has run out of work (1 after 5 s).
//
// Control API (the request is one object; `to` and `except` are room lists):
//   whoami                          → {id, node}
//   set-data (value)                → socket.data = value
//   rooms                           → the socket's rooms, sorted
//   join (room)                     → socket.join(room), then its rooms
//   do-broadcast {to, except, volatile, event, args}          → "ok"
//   do-fetch {to, except}           → [{id, rooms, data, handshake}] or {error}
//   do-join / do-leave {to, except, rooms}                    → "ok"
//   do-disconnect {to, except, close}                         → "ok"
//   do-serverSideEmit {event, args, ack, timeout}             → "ok", or {replies, error?}
//   do-broadcastWithAck {to, except, event, args, timeout}    → {responses, error?}
//   do-allRooms                     → the rooms of the whole cluster, sorted, or {error}
//   do-serverCount                  → the number of nodes, or {error}
//   do-remoteEmit {to, except, event, args}                   → fetchSockets, then emit to each: their count
// Server-side events from other nodes are passed to this node's clients as
// "sse" {node, event, args}; with an ack the node replies {node, args}.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <sio/redis_adapter.hpp>
#include <sio/redis/wire_values.hpp>
#include <sio/redis_sharded_adapter.hpp>
#include <sio/server.hpp>

#include "../../examples/common/shutdown_deadline.hpp"

namespace {

struct settings {
  unsigned short port = 0;
  std::string host = "127.0.0.1";
  std::string name = "sio";
  sio::redis_adapter_options redis;
  std::optional<sio::redis_subscription_mode> sharded;
};

sio::redis_subscription_mode subscription_mode(const std::string& name) {
  if (name == "dynamic") return sio::redis_subscription_mode::dynamic;
  if (name == "static") return sio::redis_subscription_mode::static_channels;
  if (name == "dynamic-private") return sio::redis_subscription_mode::dynamic_private;
  std::cerr << "cluster_node: unknown subscription mode " << name << "\n";
  std::exit(2);
}

settings parse_args(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "cluster_node: missing value for " << a << "\n";
      std::exit(2);
    }
    std::string v = argv[++i];
    if (a == "--port")
      s.port = static_cast<unsigned short>(std::stoi(v));
    else if (a == "--host")
      s.host = v;
    else if (a == "--redis")
      s.redis.url = v;
    else if (a == "--key")
      s.redis.key = v;
    else if (a == "--name")
      s.name = v;
    else if (a == "--request-timeout")
      s.redis.request_timeout = std::chrono::milliseconds{std::stol(v)};
    else if (a == "--sharded")
      s.sharded = subscription_mode(v);
    else {
      std::cerr << "cluster_node: unknown argument " << a << "\n";
      std::exit(2);
    }
  }
  return s;
}

const sio::value& field(const sio::value& request, const char* name) {
  static const sio::value none;
  const sio::value* v = request.find(name);
  return v ? *v : none;
}
std::vector<std::string> strings(const sio::value& request, const char* name) {
  return sio::from_value<std::vector<std::string>>(field(request, name)).value_or(std::vector<std::string>{});
}
std::vector<sio::value> args_of(const sio::value& request) {
  const sio::value& args = field(request, "args");
  return args.is_array() ? args.as_array() : std::vector<sio::value>{};
}
std::string event_of(const sio::value& request) {
  const sio::value& event = field(request, "event");
  return event.is_string() ? event.as_string() : std::string{};
}
bool flag(const sio::value& request, const char* name) {
  const sio::value& v = field(request, name);
  return v.is_bool() && v.as_bool();
}

/// The sockets that `request` selects: to/in its rooms, except its rooms, volatile if asked.
sio::broadcast_operator select(const sio::namespace_& nsp, const sio::value& request) {
  sio::broadcast_operator op = nsp.compress(true);
  for (const auto& room : strings(request, "to")) op = op.to(room);
  for (const auto& room : strings(request, "except")) op = op.except(room);
  if (flag(request, "volatile")) op = op.volatile_();
  const sio::value& ms = field(request, "timeout");
  if (ms.is_number()) op = op.timeout(std::chrono::milliseconds{static_cast<long long>(ms.as_double())});
  return op;
}

sio::value sorted(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  return sio::to_value(list);
}

sio::value error_result(std::error_code ec, const char* name, sio::value list) {
  sio::object out{{name, std::move(list)}};
  if (ec) out.emplace_back("error", ec.message());
  return out;
}

void install(sio::socket socket, const std::string& node) {
  sio::namespace_ nsp = socket.nsp();
  socket.data<sio::value>() = sio::object{};

  socket.on("whoami", [socket, node](sio::ack_sender ack) { ack({{"id", socket.id()}, {"node", node}}); });
  socket.on("set-data", [socket](sio::value data, sio::ack_sender ack) {
    socket.data<sio::value>() = std::move(data);
    if (ack) ack("ok");
  });
  socket.on("rooms", [socket](sio::ack_sender ack) { ack(sorted(socket.rooms())); });
  socket.on("join", [socket](std::string room, sio::ack_sender ack) {
    socket.join(room);
    if (ack) ack(sorted(socket.rooms()));
  });

  socket.on("do-broadcast", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).emit(event_of(request), sio::arguments(args_of(request)));
    if (ack) ack("ok");
  });
  socket.on("do-fetch", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).fetch_sockets([ack](std::error_code ec, std::vector<sio::remote_socket> found) {
      if (ec) return ack({{"error", ec.message()}});
      sio::array list;
      for (const auto& s : found)
        list.push_back(sio::object{
            {"id", s.id()}, {"rooms", sorted(s.rooms())}, {"data", s.data()}, {"handshake", sio::redis::handshake_value(s.handshake())}});
      ack(sio::value(std::move(list)));
    });
  });
  socket.on("do-remoteEmit", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).fetch_sockets([ack, request](std::error_code ec, std::vector<sio::remote_socket> found) {
      if (ec) return ack({{"error", ec.message()}});
      for (const auto& s : found) s.emit(event_of(request), sio::arguments(args_of(request)));
      ack(static_cast<std::uint64_t>(found.size()));
    });
  });
  socket.on("do-join", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).sockets_join(strings(request, "rooms"));
    if (ack) ack("ok");
  });
  socket.on("do-leave", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).sockets_leave(strings(request, "rooms"));
    if (ack) ack("ok");
  });
  socket.on("do-disconnect", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request).disconnect_sockets(flag(request, "close"));
    if (ack) ack("ok");
  });
  socket.on("do-serverSideEmit", [nsp](sio::value request, sio::ack_sender ack) {
    if (!flag(request, "ack")) {
      nsp.server_side_emit(event_of(request), sio::arguments(args_of(request)));
      if (ack) ack("ok");
      return;
    }
    select(nsp, request)
        .server_side_emit_with_ack(event_of(request), sio::arguments(args_of(request)),
                                   [ack](std::error_code ec, std::vector<sio::value> replies) {
                                     ack(error_result(ec, "replies", sio::array(std::move(replies))));
                                   });
  });
  socket.on("do-broadcastWithAck", [nsp](sio::value request, sio::ack_sender ack) {
    select(nsp, request)
        .emit_with_ack(event_of(request), sio::arguments(args_of(request)), [ack](std::error_code ec, std::vector<sio::arguments> replies) {
          sio::array responses;
          for (auto& r : replies) responses.push_back(r.empty() ? sio::value{} : r[0]);
          ack(error_result(ec, "responses", std::move(responses)));
        });
  });
  socket.on("do-allRooms", [nsp](sio::ack_sender ack) {
    nsp.fetch_all_rooms([ack](std::error_code ec, std::vector<sio::room_id> rooms) {
      if (ec) return ack({{"error", ec.message()}});
      ack(sorted(std::move(rooms)));
    });
  });
  socket.on("do-serverCount", [nsp](sio::ack_sender ack) {
    nsp.fetch_server_count([ack](std::error_code ec, std::size_t count) {
      if (ec) return ack({{"error", ec.message()}});
      ack(static_cast<std::uint64_t>(count));
    });
  });
}

sio::adapter_factory adapter_of(asio::io_context& ctx, const settings& s) {
  if (!s.sharded) return sio::redis_adapter::create(ctx, s.redis);
  sio::redis_sharded_adapter_options o;
  o.url = s.redis.url;
  o.channel_prefix = s.redis.key;
  o.subscription_mode = *s.sharded;
  o.request_timeout = s.redis.request_timeout;
  o.on_error = s.redis.on_error;
  return sio::redis_sharded_adapter::create(ctx, std::move(o));
}

}  // namespace

int main(int argc, char** argv) {
  settings s = parse_args(argc, argv);
  s.redis.on_error = [name = s.name](std::error_code ec, const std::string& what) {
    std::cerr << "cluster_node " << name << ": redis: " << what << ": " << ec.message() << "\n";
  };
  asio::io_context ctx;
  sio::server<sio::transport::any> io(ctx, {}, adapter_of(ctx, s));

  io.on_connection([name = s.name](sio::socket socket) { install(socket, name); });
  io.on_server_side_event([&io, name = s.name](const std::string& event, sio::arguments args, std::function<void(sio::value)> reply) {
    sio::array list(args.begin(), args.end());
    io.local().emit("sse", {{"node", name}, {"event", event}, {"args", list}});
    reply(sio::object{{"node", name}, {"args", std::move(list)}});
  });

  io.listen(s.port, s.host);
  shutdown_deadline deadline(ctx, std::chrono::seconds{5});
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    io.close();  // also closes the Redis connections: run() returns once nothing is left
    deadline.arm();
  });
  std::cout << "listening " << io.port() << std::endl;
  ctx.run();
  if (deadline.disarm()) {
    std::cerr << "cluster_node: work still pending 5 s after close(): the io_context was stopped\n";
    return 1;
  }
  return 0;
}
