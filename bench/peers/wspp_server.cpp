// The ceiling of sio's stack: a raw websocketpp (asio transport) echo/broadcast server, without
// Engine.IO or Socket.IO framing. One thread, no locking, no logging, TCP_NODELAY.
//
//   sio_bench_wspp_server PORT
//
// Raw contract (bench/README.md): a text message starting with 'b' is sent to every open
// connection (the sender included), one send per connection as a websocketpp user would write
// it; any other message is sent back to its sender unchanged (the "ack").
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <string>
#include <unordered_map>

#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#pragma clang diagnostic ignored "-Wunused-parameter"
#pragma clang diagnostic ignored "-Wdeprecated-copy"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-copy"
#endif
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/server.hpp>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace wspp_peer {

/// websocketpp's asio server config, single-threaded: no mutexes, no strands, no logging.
struct bench_config : websocketpp::config::asio {
  using type = bench_config;
  using base = websocketpp::config::asio;
  using concurrency_type = websocketpp::concurrency::none;
  using elog_type = websocketpp::log::stub;
  using alog_type = websocketpp::log::stub;

  struct transport_config : base::transport_config {
    using concurrency_type = websocketpp::concurrency::none;
    using elog_type = websocketpp::log::stub;
    using alog_type = websocketpp::log::stub;
    static const bool enable_multithreading = false;
  };
  using transport_type = websocketpp::transport::asio::endpoint<transport_config>;

  static const bool enable_multithreading = false;
  static const websocketpp::log::level elog_level = websocketpp::log::elevel::none;
  static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;
};

using server_type = websocketpp::server<bench_config>;

}  // namespace wspp_peer

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sio_bench_wspp_server PORT\n";
    return 2;
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  asio::io_context ctx{1};
  wspp_peer::server_type srv;
  std::unordered_map<const void*, wspp_peer::server_type::connection_ptr> open;

  srv.init_asio(&ctx);
  srv.set_reuse_addr(true);
  srv.set_socket_init_handler([](websocketpp::connection_hdl, asio::ip::tcp::socket& s) {
    std::error_code ec;
    s.set_option(asio::ip::tcp::no_delay(true), ec);
  });
  srv.set_open_handler([&](websocketpp::connection_hdl h) {
    auto con = srv.get_con_from_hdl(h);
    open.emplace(con.get(), con);
  });
  auto forget = [&](websocketpp::connection_hdl h) {
    if (auto con = srv.get_con_from_hdl(h)) open.erase(con.get());
  };
  srv.set_close_handler(forget);
  srv.set_fail_handler(forget);
  srv.set_message_handler([&](websocketpp::connection_hdl h, wspp_peer::server_type::message_ptr msg) {
    const std::string& payload = msg->get_payload();
    if (!payload.empty() && payload[0] == 'b') {
      for (auto& entry : open) entry.second->send(payload, msg->get_opcode());
    } else {
      srv.get_con_from_hdl(h)->send(payload, msg->get_opcode());
    }
  });

  srv.listen(asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))});
  srv.start_accept();

  asio::signal_set signals{ctx, SIGINT, SIGTERM};
  signals.async_wait([&](std::error_code, int) {
    srv.stop_listening();
    open.clear();
    ctx.stop();
  });
  std::cout << "listening " << argv[1] << std::endl;
  ctx.run();
}
