// sio's benchmark server: the contract every server of the benchmark implements (bench/README.md).
//
//   sio_bench_server PORT [--recovery] [--metrics] [--redis URL [--key KEY]]
//
// Listens on 127.0.0.1:PORT at /socket.io/ with both transports (polling, WebSocket, upgrade),
// joins every socket to room "bench", acks "echo" with its argument and answers "bcast" with
// io.to("bench").emit("bcast", data), the sender included. Public API only, written the way a
// user would write it; one thread, like the Node peer. Prints "listening PORT" when ready and
// stops cleanly on SIGINT/SIGTERM.
//
// --redis makes it one node of a cluster (sio::redis_adapter, classic pub/sub; bench/cluster.sh):
// the broadcast then reaches the room on every node. Without it the server is exactly the
// single-node one that bench/run.sh measures.
//
// --recovery turns connection state recovery on with its default bounds
// (opts.connection_state_recovery.emplace(); bench/recovery.sh): every packet sent to a room then
// carries an offset and is kept for a session that may come back.
//
// --metrics turns the metrics on (opts.metrics.enabled, /metrics served): bench/run.sh
// --servers sio,sio-metrics measures what counting costs.
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>

#include <sio/server.hpp>
#ifdef SIO_BENCH_WITH_REDIS
#include <sio/redis_adapter.hpp>
#endif

int main(int argc, char** argv) {
  std::string redis_url, key = "socket.io";
  bool recovery = false, metrics = false;
  bool usage_error = argc < 2;
  for (int i = 2; !usage_error && i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--recovery")
      recovery = true;
    else if (name == "--metrics")
      metrics = true;
    else if (name == "--redis" && i + 1 < argc)
      redis_url = argv[++i];
    else if (name == "--key" && i + 1 < argc)
      key = argv[++i];
    else
      usage_error = true;
  }
  if (usage_error) {
    std::cerr << "usage: sio_bench_server PORT [--recovery] [--metrics] [--redis URL [--key KEY]]\n";
    return 2;
  }
  // Up to the hard limit: the idle-connections scenario holds as many sockets as it may.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  asio::io_context ctx{1};
  sio::server_options opts;
  // Every load-generator client comes from 127.0.0.1 (up to 20,000 of them): no per-address limit.
  opts.max_connections_per_ip = 0;
  // The echo scenarios send as fast as acks come back (thousands of events a second per client),
  // as the Node peer allows: no per-socket event rate limit.
  opts.max_events_per_second = 0;
  if (recovery) opts.connection_state_recovery.emplace();
  opts.metrics.enabled = metrics;
  std::unique_ptr<sio::server<>> server;
  if (redis_url.empty()) {
    server = std::make_unique<sio::server<>>(ctx, opts);
  } else {
#ifdef SIO_BENCH_WITH_REDIS
    sio::redis_adapter_options cluster;
    cluster.url = redis_url;
    cluster.key = key;
    cluster.on_error = [](std::error_code ec, const std::string& what) {
      std::cerr << "redis: " << what << ": " << ec.message() << std::endl;
    };
    server = std::make_unique<sio::server<>>(ctx, opts, sio::redis_adapter::create(ctx, cluster));
#else
    std::cerr << "sio_bench_server was built without sio::redis (hiredis, msgpack-cxx): no --redis\n";
    return 2;
#endif
  }
  sio::server<>& io = *server;
  io.on_connection([&io](sio::socket s) {
    s.join("bench");
    s.on("echo", [](sio::value data, sio::ack_sender ack) { ack(std::move(data)); });
    s.on("bcast", [&io](sio::value data) { io.to("bench").emit("bcast", data); });
  });
  io.listen(static_cast<unsigned short>(std::stoi(argv[1])), "127.0.0.1");

  asio::signal_set signals{ctx, SIGINT, SIGTERM};
  signals.async_wait([&](std::error_code, int) {
    io.close();
    ctx.stop();
  });
  std::cout << "listening " << io.port() << std::endl;
  ctx.run();
}
