// sio from a vcpkg manifest: a Socket.IO server that answers "hello" with an acknowledgement.
//   sio_vcpkg_example [port] [--once]
// port 0 picks a free port (printed as "port N"); --once stops after the first client leaves.
#include <sio/server.hpp>
#include <sio/version.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::stoi(argv[1])) : 3000;
  const bool once = argc > 2 && std::string{argv[2]} == "--once";

  asio::io_context ctx;
  sio::server<> io{ctx};
  io.on_connection([&](sio::socket s) {
    s.on("hello",
         [](std::string who, sio::ack_sender ack) { ack("hello " + who + ", this is sio " SIO_VERSION_STRING " (vcpkg example)"); });
    s.on_disconnect([&](sio::disconnect_reason) {
      if (once) io.close();  // the io_context runs out of work and ctx.run() returns
    });
  });
  io.listen(port, "127.0.0.1");
  std::cout << "port " << io.port() << std::endl;
  ctx.run();
}
