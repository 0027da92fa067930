// sio's package check, self-contained (no client program needed): starts a Socket.IO server on
// 127.0.0.1 at an ephemeral port, opens an Engine.IO polling handshake against it with a plain Asio
// socket in the same io_context, and checks the OPEN packet. Bounded by a 10 s timer.
#include <sio/server.hpp>
#include <sio/version.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

int main() {
  asio::io_context ctx;
  sio::server<> io{ctx};
  io.listen(0, "127.0.0.1");

  bool ok = false;
  asio::steady_timer deadline{ctx, std::chrono::seconds{10}};
  deadline.async_wait([&](std::error_code ec) {
    if (!ec) std::cerr << "test_package: no answer within 10 s\n";
    io.close();
    ctx.stop();
  });

  auto sock = std::make_shared<asio::ip::tcp::socket>(ctx);
  auto request =
      std::make_shared<std::string>("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  auto response = std::make_shared<std::string>();
  asio::ip::tcp::endpoint server{asio::ip::make_address("127.0.0.1"), io.port()};
  sock->async_connect(server, [&, sock, request, response](std::error_code ec) {
    if (ec) {
      std::cerr << "test_package: connect: " << ec.message() << "\n";
      deadline.cancel();
      return;
    }
    asio::async_write(*sock, asio::buffer(*request), [&, sock, request, response](std::error_code ec, std::size_t) {
      if (ec) {
        deadline.cancel();
        return;
      }
      // The server answers one response and closes (Connection: close): read to EOF.
      asio::async_read(*sock, asio::dynamic_buffer(*response), [&, sock, response](std::error_code, std::size_t) {
        // The body is the Engine.IO OPEN packet: 0{"sid":"...","upgrades":["websocket"],...}
        ok = response->rfind("HTTP/1.1 200", 0) == 0 && response->find("\r\n\r\n0{\"sid\":\"") != std::string::npos;
        if (!ok) std::cerr << "test_package: unexpected answer:\n" << *response << "\n";
        deadline.cancel();
      });
    });
  });

  ctx.run();
  if (ok) std::cout << "sio " << SIO_VERSION_STRING << ": Engine.IO handshake on port " << server.port() << " OK\n";
  return ok ? 0 : 1;
}
