// Raw Engine.IO echo server (no Socket.IO layer): every message comes back as it came.
// Also the fixture of the protocol and interop tests:
//   "server-close" -> the server closes the session
//   "burst:N"      -> the server sends N messages "burst-0" ... "burst-(N-1)" at once
//
// Usage: sio_engine_echo [--port N] [--host H] [--transports polling,websocket] [--no-upgrades]
//                        [--ping-interval MS] [--ping-timeout MS] [--upgrade-timeout MS]
//                        [--max-payload BYTES] [--path P] [--tls-cert FILE --tls-key FILE]
//                        [--threads N]
//
// On SIGTERM or SIGINT it closes the server and lets io_context::run() return once no work is left;
// if that takes longer than 5 s it stops the context and exits with status 1 (the tests require a
// clean exit).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sio/engine/server.hpp>

#include "../common/shutdown_deadline.hpp"

namespace {

struct settings {
  unsigned short port = 3000;
  std::string host = "127.0.0.1";
  std::string tls_cert, tls_key;
  int threads = 1;
  sio::engine::options engine;
};

settings parse_args(int argc, char** argv) {
  settings s;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) {
      std::cerr << "missing value for " << argv[i] << "\n";
      std::exit(2);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port")
      s.port = static_cast<unsigned short>(std::stoi(value(i)));
    else if (a == "--host")
      s.host = value(i);
    else if (a == "--transports") {
      std::string t = value(i);
      s.engine.polling = t.find("polling") != std::string::npos;
      s.engine.websocket = t.find("websocket") != std::string::npos;
    } else if (a == "--no-upgrades")
      s.engine.allow_upgrades = false;
    else if (a == "--ping-interval")
      s.engine.ping_interval = std::chrono::milliseconds{std::stol(value(i))};
    else if (a == "--ping-timeout")
      s.engine.ping_timeout = std::chrono::milliseconds{std::stol(value(i))};
    else if (a == "--upgrade-timeout")
      s.engine.upgrade_timeout = std::chrono::milliseconds{std::stol(value(i))};
    else if (a == "--max-payload")
      s.engine.max_payload = std::stoul(value(i));
    else if (a == "--path")
      s.engine.path = value(i);
    else if (a == "--tls-cert")
      s.tls_cert = value(i);
    else if (a == "--tls-key")
      s.tls_key = value(i);
    else if (a == "--threads")
      s.threads = std::max(1, std::atoi(value(i).c_str()));
    else {
      std::cerr << "unknown option " << a << "\n";
      std::exit(2);
    }
  }
  return s;
}

void echo(const sio::engine::session_ptr& s) {
  s->on_message([weak = std::weak_ptr<sio::engine::session>(s)](std::string data, bool binary) {
    auto s = weak.lock();
    if (!s) return;
    if (binary) return s->send_binary(std::move(data));
    if (data == "server-close") return s->close();
    if (data.rfind("burst:", 0) == 0) {
      int n = std::atoi(data.c_str() + 6);
      for (int i = 0; i < n; ++i) s->send_text("burst-" + std::to_string(i));
      return;
    }
    s->send_text(data);
  });
}

template <class Policy>
int run(asio::io_context& ctx, const settings& s) {
  std::optional<asio::ssl::context> tls;
  std::optional<sio::engine::server<Policy>> server;
  if constexpr (sio::transport::is_secure_policy<Policy>) {
    tls.emplace(asio::ssl::context::tls_server);
    tls->use_certificate_chain_file(s.tls_cert);
    tls->use_private_key_file(s.tls_key, asio::ssl::context::pem);
    server.emplace(ctx, *tls, s.engine);
  } else {
    server.emplace(ctx, s.engine);
  }
  server->on_connection(echo);
  server->listen(s.port, s.host);
  shutdown_deadline deadline(ctx, std::chrono::seconds{5});
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    server->close();  // run() returns once the sessions and connections are gone
    deadline.arm();
  });
  std::cout << "listening " << server->port() << std::endl;
  // --threads N runs the context on N threads (the tests use it to check the strands).
  std::vector<std::thread> pool;
  for (int i = 1; i < s.threads; ++i) pool.emplace_back([&] { ctx.run(); });
  ctx.run();
  for (auto& t : pool) t.join();
  if (deadline.disarm()) {
    std::cerr << "sio_engine_echo: work still pending 5 s after close(): the io_context was stopped\n";
    return 1;
  }
  return 0;
}

/// --transports picks the compile-time transport policy, so each one is exercised.
template <template <class> class Wrap>
int run_with_policy(asio::io_context& ctx, const settings& s) {
  if (s.engine.polling && !s.engine.websocket) return run<Wrap<sio::transport::polling_only>>(ctx, s);
  if (!s.engine.polling && s.engine.websocket) return run<Wrap<sio::transport::websocket_only>>(ctx, s);
  return run<Wrap<sio::transport::any>>(ctx, s);
}

template <class P>
using plain = P;

}  // namespace

int main(int argc, char** argv) {
  settings s = parse_args(argc, argv);
  asio::io_context ctx;
  if (!s.tls_cert.empty()) return run_with_policy<sio::transport::tls>(ctx, s);
  return run_with_policy<plain>(ctx, s);
}
