// The Socket.IO test fixture: a fixed set of namespaces and events that lets the Node test
// suites (tests/interop/sio_*, tests/protocol/sio_*) observe every feature from the client side.
// The contract is in tests/README.md ("The sio fixture contract"); tests/fixtures/sio_fixture_ref.mjs
// is the same server on npm socket.io, so that both can be run against the same tests.
//
// On SIGTERM or SIGINT it closes the server and lets io_context::run() return once no work is left;
// if that takes longer than 5 s it stops the context and exits with status 1 (the tests require a
// clean exit). `--threads N` runs the context on N threads.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sio/server.hpp>

#include "../common/shutdown_deadline.hpp"

namespace {

struct settings {
  unsigned short port = 0;
  std::string host = "127.0.0.1";
  int threads = 1;
  sio::server_options options;
};

settings parse_args(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "sio_fixture: missing value for " << a << "\n";
      std::exit(2);
    }
    std::string v = argv[++i];
    if (a == "--port")
      s.port = static_cast<unsigned short>(std::stoi(v));
    else if (a == "--host")
      s.host = v;
    else if (a == "--transports") {
      s.options.polling = v.find("polling") != std::string::npos;
      s.options.websocket = v.find("websocket") != std::string::npos;
    } else if (a == "--ping-interval")
      s.options.ping_interval = std::chrono::milliseconds{std::stol(v)};
    else if (a == "--ping-timeout")
      s.options.ping_timeout = std::chrono::milliseconds{std::stol(v)};
    else if (a == "--connect-timeout")
      s.options.connect_timeout = std::chrono::milliseconds{std::stol(v)};
    else if (a == "--max-buffered-bytes")
      s.options.max_buffered_bytes = std::stoull(v);
    else if (a == "--max-payload")
      s.options.max_payload = std::stoul(v);
    else if (a == "--serve-client")
      s.options.serve_client_dir = v;
    else if (a == "--cors-origin")
      s.options.cors.origins = {v};
    else if (a == "--cors-credentials")
      s.options.cors.credentials = v == "true";
    else if (a == "--threads")
      s.threads = std::max(1, std::stoi(v));
    else if (a == "--readiness")  // server_options::readiness_path
      s.options.readiness_path = v;
    else if (a == "--recovery")  // connection state recovery with this max_disconnection_duration (ms)
      s.options.connection_state_recovery.emplace().max_disconnection_duration = std::chrono::milliseconds{std::stoll(v)};
    else {
      std::cerr << "sio_fixture: unknown argument " << a << "\n";
      std::exit(2);
    }
  }
  return s;
}

sio::value rooms_of(const sio::socket& s) { return sio::to_value(s.rooms()); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

asio::io_context* fixture_context = nullptr;  ///< for the timers of "stream"
sio::server<>* fixture_server = nullptr;      ///< for "drain"
std::function<void()> on_drained;             ///< main's: the io_context may run out of work now

/// Acks taken by "hold-ack" and never sent (until the process ends).
std::mutex held_acks_mutex;
std::vector<sio::ack_sender> held_acks;

/// The events every accepting namespace shares.
void install(sio::socket socket) {
  sio::namespace_ nsp = socket.nsp();

  socket.on("echo", [socket](sio::arguments args) { socket.emit("echo", std::move(args)); });
  socket.on("echo-ack", [](sio::arguments args, sio::ack_sender ack) { ack(args); });
  socket.on("1234", [](sio::arguments args, sio::ack_sender ack) { ack(args); });

  socket.on("whoami", [socket, nsp](sio::ack_sender ack) { ack({{"id", socket.id()}, {"nsp", nsp.name()}}); });
  socket.on("handshake", [socket](sio::ack_sender ack) {
    const auto& h = socket.handshake();
    sio::value query = sio::object{}, headers = sio::object{};
    for (const auto& [k, v] : h.query) query[k] = v;
    for (const auto& [k, v] : h.headers) {
      std::string name = lower(k);
      if (name.rfind("x-", 0) == 0) headers[name] = v;
    }
    ack({{"auth", h.auth}, {"query", query}, {"headers", headers}, {"address", h.address}, {"secure", h.secure}, {"url", h.url}});
  });

  socket.on("join", [socket](sio::value rooms, sio::ack_sender ack) {
    if (auto many = sio::from_value<std::vector<std::string>>(rooms))
      socket.join(*many);
    else if (rooms.is_string())
      socket.join(rooms.as_string());
    if (ack) ack(rooms_of(socket));
  });
  socket.on("leave", [socket](std::string room, sio::ack_sender ack) {
    socket.leave(room);
    if (ack) ack(rooms_of(socket));
  });
  socket.on("rooms", [socket](sio::ack_sender ack) { ack(rooms_of(socket)); });

  socket.on("to-room", [nsp](std::string room, std::string event, sio::arguments rest) { nsp.to(room).emit(event, rest); });
  socket.on("to-room-except", [nsp](std::string room, std::string except, std::string event, sio::arguments rest) {
    nsp.to(room).except(except).emit(event, rest);
  });
  socket.on("socket-to-room", [socket](std::string room, std::string event, sio::arguments rest) { socket.to(room).emit(event, rest); });
  socket.on("broadcast", [socket](sio::arguments args) { socket.broadcast().emit("broadcast", args); });
  socket.on("send-to", [nsp](std::string id, sio::arguments rest) { nsp.to(id).emit("private", rest); });

  socket.on("server-ack", [socket](std::int64_t ms, sio::arguments rest, sio::ack_sender ack) {
    socket.timeout(std::chrono::milliseconds{ms}).emit_with_ack("ping-ack", rest, [ack](std::error_code ec, sio::arguments reply) {
      if (ec) return ack({{"error", ec.message()}});
      ack({{"args", sio::array(std::move(reply).values())}});
    });
  });
  socket.on("broadcast-ack", [nsp](std::string room, std::int64_t ms, sio::ack_sender ack) {
    nsp.to(room)
        .timeout(std::chrono::milliseconds{ms})
        .emit_with_ack("bcast-ack", [ack](std::error_code ec, std::vector<sio::arguments> replies) {
          sio::array responses;
          for (auto& r : replies) responses.push_back(r.empty() ? sio::value{} : r[0]);
          if (ec) return ack({{"error", ec.message()}, {"responses", std::move(responses)}});
          ack({{"responses", std::move(responses)}});
        });
  });
  socket.on("fetch-sockets", [nsp](std::string room, sio::ack_sender ack) {
    sio::array out;
    for (const auto& s : nsp.in(room).sockets()) out.push_back(sio::object{{"id", sio::value{s.id()}}, {"rooms", rooms_of(s)}});
    ack(sio::value{std::move(out)});
  });

  // Connection state recovery: what the socket is now, its data, and a stream of numbered events
  // that goes on while its connection is down (socket.emit on a socket that went away is kept for
  // its replay, as in Node).
  socket.on("state", [socket](sio::ack_sender ack) {
    ack({{"id", socket.id()}, {"recovered", socket.recovered()}, {"rooms", rooms_of(socket)}, {"data", socket.data<sio::value>()}});
  });
  socket.on("set-data", [socket](sio::value v, sio::ack_sender ack) {
    socket.data<sio::value>() = std::move(v);
    ack();
  });
  socket.on("stream", [socket](std::string event, int n, int every_ms) {
    auto timer = std::make_shared<asio::steady_timer>(*fixture_context);
    auto tick = std::make_shared<std::function<void(int)>>();
    // The pending wait owns the tick; the tick sees itself weakly, so nothing is left once it ends.
    *tick = [socket, event, n, every_ms, timer, weak = std::weak_ptr<std::function<void(int)>>{tick}](int i) {
      if (i == n) return;
      socket.emit(event, i);
      timer->expires_after(std::chrono::milliseconds{every_ms});
      timer->async_wait([next = weak.lock(), i](std::error_code ec) {
        if (!ec && next) (*next)(i + 1);
      });
    };
    (*tick)(0);
  });

  // n events (i, then `pad` bytes of padding) to socket `id` through the adapter, at once.
  socket.on("stream-to", [nsp](std::string id, std::string event, int n, std::size_t pad, sio::ack_sender ack) {
    for (int i = 0; i < n; ++i) nsp.to(id).emit(event, i, std::string(pad, 'x'));
    ack();
  });

  socket.on("burst", [socket](int n) {
    for (int i = 0; i < n; ++i) socket.emit("burst", i);
  });
  socket.on("volatile-burst", [socket](int n) {
    for (int i = 0; i < n; ++i) socket.volatile_().emit("volatile", i);
    socket.emit("volatile-done", n);
  });
  socket.on("big", [](std::size_t n, sio::ack_sender ack) { ack(std::string(n, 'x')); });

  socket.on("disconnect-me", [socket](sio::value close) { socket.disconnect(close.is_bool() && close.as_bool()); });
  socket.on("close-transport", [socket]() { socket.conn().close(); });

  // io.drain(ms): the process exits once it is over (see main).
  socket.on("drain", [](std::int64_t ms) {
    fixture_server->drain(std::chrono::milliseconds{ms}, [] {
      std::cerr << "sio_fixture: drained" << std::endl;
      on_drained();
    });
  });
  socket.on("slow-ack", [](std::int64_t ms, sio::value v, sio::ack_sender ack) {
    auto timer = std::make_shared<asio::steady_timer>(*fixture_context, std::chrono::milliseconds{ms});
    timer->async_wait([timer, v = std::move(v), ack](std::error_code) { ack(v); });
  });
  socket.on("drop-ack", [](sio::ack_sender) {});  // the ack goes out of scope unsent
  socket.on("hold-ack", [](sio::ack_sender ack) {
    std::lock_guard<std::mutex> lock(held_acks_mutex);
    held_acks.push_back(std::move(ack));
  });

  // socket.conn.on("upgrade"): tell the client which transport it was upgraded to.
  socket.conn().on_upgrade([socket](std::string_view transport) { socket.emit("upgraded", std::string{transport}); });

  socket.on_disconnect([socket, nsp](sio::disconnect_reason reason) {
    nsp.to("observers").emit("peer-disconnect", {{"id", socket.id()}, {"nsp", nsp.name()}, {"reason", sio::to_string(reason)}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  settings s = parse_args(argc, argv);
  asio::io_context ctx;
  fixture_context = &ctx;
  sio::server<> io{ctx, s.options};
  fixture_server = &io;

  io.on_connection(install);
  io.of("/custom").on_connection(install);

  io.of("/auth")
      .use([](sio::socket socket, auto next) {
        const sio::value* token = socket.handshake().auth.find("token");
        if (token && token->is_string() && token->as_string() == "secret") return next();
        next(sio::connect_error{"not authorized", sio::value{{"reason", "bad token"}}});
      })
      .on_connection(install);

  io.of("/refuse").use([](sio::socket, auto next) { next(sio::connect_error{"refused", std::nullopt}); });

  using mw_list = std::vector<std::string>;
  io.of("/slow-mw")
      .use([&ctx](sio::socket socket, auto next) {
        auto timer = std::make_shared<asio::steady_timer>(ctx, std::chrono::milliseconds{100});
        timer->async_wait([timer, socket, next](std::error_code) {
          // Off the socket's strand: with_data posts there, and next() follows it.
          socket.with_data<mw_list>([](mw_list& steps) { steps.push_back("slow"); });
          next();
        });
      })
      .use([](sio::socket socket, auto next) {
        socket.data<mw_list>().push_back("fast");
        next();
      })
      .on_connection([](sio::socket socket) {
        install(socket);
        socket.emit("welcome", {{"id", socket.id()}, {"mw", socket.data<mw_list>()}});
      });

  io.of(std::regex{R"(^/dyn-\d+$)"}).on_connection(install);

  io.listen(s.port, s.host);
  shutdown_deadline deadline(ctx, std::chrono::seconds{5});
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (ec) return;
    io.close();  // run() returns once the sockets, sessions and connections are gone
    deadline.arm();
  });
  // After a drain nothing of the server's is left: without the signal set, run() returns.
  on_drained = [&] { asio::post(ctx, [&] { signals.cancel(); }); };
  std::cout << "listening " << io.port() << std::endl;
  std::vector<std::thread> pool;
  for (int i = 1; i < s.threads; ++i) pool.emplace_back([&] { ctx.run(); });
  ctx.run();
  for (auto& t : pool) t.join();
  held_acks.clear();  // before the server and its sockets go
  if (deadline.disarm()) {
    std::cerr << "sio_fixture: work still pending 5 s after close(): the io_context was stopped\n";
    return 1;
  }
  return 0;
}
