// Minimal Socket.IO server: echoes events and acknowledges. Used while the fixture grows.
#include <iostream>

#include <sio/server.hpp>

int main(int argc, char** argv) {
  asio::io_context ctx;
  sio::server_options opts;
  if (argc > 2) opts.serve_client_dir = argv[2];
  sio::server<> io{ctx, opts};
  io.on_connection([&io](sio::socket s) {
    s.on("echo", [s](sio::arguments args) { s.emit("echo", std::move(args)); });
    s.on("echo-ack", [](sio::arguments args, sio::ack_sender ack) { ack.send(std::move(args)); });
    s.on("chat message", [&io](std::string msg) { io.emit("chat message", msg); });
  });
  io.listen(static_cast<unsigned short>(argc > 1 ? std::stoi(argv[1]) : 3000), "127.0.0.1");
  std::cout << "listening " << io.port() << std::endl;
  ctx.run();
}
