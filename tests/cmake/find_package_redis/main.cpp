// A program on an installed sio's Redis component: a server with the Redis adapter and an emitter,
// made and closed without a Redis (nothing connects before it is used), so it runs anywhere.
#include <iostream>

#include <sio/redis_adapter.hpp>
#include <sio/redis_emitter.hpp>
#include <sio/server.hpp>

int main() {
  asio::io_context ctx;
  sio::redis_adapter_options cluster;
  cluster.url = "redis://127.0.0.1:1";
  sio::server<> io(ctx, {}, sio::redis_adapter::create(ctx, cluster));
  sio::redis_emitter emitter(ctx, {"redis://127.0.0.1:1", "socket.io", {}, {}});
  io.close();
  emitter.close(std::chrono::milliseconds(0));
  ctx.run();
  std::cout << "sio redis consumer ran" << std::endl;
  return 0;
}
