// The program every packaging consumer builds (find_package, add_subdirectory, FetchContent,
// pkg-config, the vcpkg port): a Socket.IO server on 127.0.0.1 at an ephemeral port that greets one
// client, then stops when that client leaves. It prints "port N" first so the test knows where to
// connect, and gives up by itself after 30 s without a client.
#include <sio/server.hpp>
#include <sio/version.hpp>

#include <chrono>
#include <iostream>
#include <string>

#ifndef SIO_CONSUMER_ROUTE
#error "SIO_CONSUMER_ROUTE names the packaging route (set by the consumer's build)"
#endif
#ifndef SIO_CONSUMER_PACKAGE_VERSION
#define SIO_CONSUMER_PACKAGE_VERSION SIO_VERSION_STRING  // routes without a package version of their own
#endif

namespace {
constexpr bool same_text(const char* a, const char* b) {
  for (; *a != '\0' && *a == *b; ++a, ++b) {}
  return *a == *b;
}
}  // namespace
static_assert(same_text(SIO_CONSUMER_PACKAGE_VERSION, SIO_VERSION_STRING),
              "the version the package route reports differs from <sio/version.hpp>");

int main() {
  asio::io_context ctx;
  sio::server<> io{ctx};
  int status = 1;

  asio::steady_timer deadline{ctx, std::chrono::seconds{30}};
  deadline.async_wait([&](std::error_code ec) {
    if (ec) return;
    std::cerr << "consumer: no client came and left within 30 s\n";
    ctx.stop();
  });

  io.on_connection([&](sio::socket s) {
    s.on("hello", [](std::string who, sio::ack_sender ack) {
      ack(std::string{"sio "} + SIO_VERSION_STRING + " (package " + SIO_CONSUMER_PACKAGE_VERSION + ") via " + SIO_CONSUMER_ROUTE +
          " greets " + who);
    });
    s.on_disconnect([&](sio::disconnect_reason) {
      status = 0;
      deadline.cancel();
      io.close();
      asio::post(ctx, [&ctx] { ctx.stop(); });
    });
  });

  io.listen(0, "127.0.0.1");
  std::cout << "port " << io.port() << std::endl;
  ctx.run();
  return status;
}
