// In-process tests of sio::server with real sockets on loopback: threading (run under
// ThreadSanitizer in CI), acknowledgements through Asio completion tokens, broadcast acks,
// argument conversion failures, and the engine hooks.
#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <sio/server.hpp>

#include "test_client.hpp"

using namespace std::chrono_literals;

namespace {

/// A server on 127.0.0.1:0 whose io_context runs on `threads` threads until the fixture ends.
struct running_server {
  explicit running_server(sio::server_options opts = {}, int threads = 2) : io(ctx, std::move(opts)), guard(ctx.get_executor()) {
    this->threads = threads;
  }
  void start() {
    io.listen(0, "127.0.0.1");
    for (int i = 0; i < threads; ++i)
      pool.emplace_back([this] {
        ctx.run();
        std::lock_guard<std::mutex> lock(mutex);
        ++finished;
        done.notify_all();
      });
  }
  /// io.close(), then the io_context must run out of work by itself (no ctx.stop()): sessions,
  /// timers and connections all end. Returns false if it did not within the time limit.
  bool shut_down(std::chrono::milliseconds limit = 10s) {
    if (stopped) return true;
    stopped = true;
    io.close();
    guard.reset();
    std::unique_lock<std::mutex> lock(mutex);
    bool drained = done.wait_for(lock, limit, [this] { return finished == static_cast<int>(pool.size()); });
    lock.unlock();
    if (!drained) ctx.stop();
    for (auto& t : pool) t.join();
    return drained;
  }
  ~running_server() { shut_down(); }
  unsigned short port() const { return io.port(); }

  asio::io_context ctx;
  sio::server<> io;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::vector<std::thread> pool;
  int threads = 2;
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0;
  bool stopped = false;
};

/// Waits (bounded) for a condition set by server-side handlers.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

bool is_event(const std::string& p, const std::string& name) { return p.rfind("2[\"" + name + "\"", 0) == 0; }

}  // namespace

TEST_CASE("emits, room changes and broadcasts from many threads reach every client exactly once, in order per thread") {
  sio::server_options opts;
  opts.strands = GENERATE(0, 1, 5);  // one per hardware thread, all sessions on one, more than threads
  running_server srv(opts, 3);
  std::mutex mutex;
  std::vector<sio::socket_ref> sockets;
  srv.io.on_connection([&](sio::socket_ref s) {
    s.join("all");
    std::lock_guard<std::mutex> lock(mutex);
    sockets.push_back(s);
  });
  srv.start();

  constexpr int clients = 6, threads = 4, per_thread = 300;
  std::vector<std::unique_ptr<sio_test::test_client>> cs;
  for (int i = 0; i < clients; ++i) {
    cs.push_back(std::make_unique<sio_test::test_client>(srv.port()));
    cs.back()->connect();
  }
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return sockets.size() == clients;
  }));

  std::vector<std::thread> hammer;
  for (int t = 0; t < threads; ++t) {
    hammer.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        switch (t % 3) {
          case 0: srv.io.emit("t", t, i); break;                 // namespace-wide
          case 1: srv.io.to("all").emit("t", t, i); break;       // a room
          default:                                               // each socket directly
            for (auto& s : sockets) s.emit("t", t, i);
        }
        // Churn on rooms nobody broadcasts to, concurrently with the broadcasts.
        sockets[static_cast<std::size_t>(i) % sockets.size()].join("churn-" + std::to_string(t));
        sockets[static_cast<std::size_t>(i) % sockets.size()].leave("churn-" + std::to_string(t));
        if (i % 50 == 0) (void)srv.io.fetch_sockets();
      }
    });
  }
  for (auto& h : hammer) h.join();

  for (auto& c : cs) {
    auto got = c->wait_count([](const std::string& p) { return is_event(p, "t"); }, threads * per_thread);
    REQUIRE(got.size() == static_cast<std::size_t>(threads * per_thread));
    std::map<int, int> next;  // thread -> next expected i
    for (const auto& p : got) {
      int t = 0, i = 0;
      REQUIRE(std::sscanf(p.c_str(), "2[\"t\",%d,%d]", &t, &i) == 2);
      CHECK(i == next[t]);
      next[t] = i + 1;
    }
  }
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

TEST_CASE("emit_with_ack completes through asio::use_future from another thread, and times out") {
  running_server srv;
  std::promise<sio::socket_ref> connected;
  srv.io.on_connection([&](sio::socket_ref s) { connected.set_value(s); });
  srv.start();
  // The client acknowledges "ping" with ["pong", <its first argument>] and ignores "silent".
  sio_test::test_client client(srv.port(), [](const std::string& p) -> std::string {
    if (p.rfind("2", 0) != 0) return "";
    auto bracket = p.find('[');
    std::string id = p.substr(1, bracket - 1);
    if (id.empty() || p.find("\"ping\"") == std::string::npos) return "";
    auto comma = p.find(',', bracket);
    std::string arg = p.substr(comma + 1, p.size() - comma - 2);
    return "3" + id + "[\"pong\"," + arg + "]";
  });
  client.connect();
  auto s = connected.get_future().get();

  auto reply = s.timeout(5s).emit_with_ack("ping", 42, asio::use_future);
  REQUIRE(reply.wait_for(10s) == std::future_status::ready);
  sio::arguments args = reply.get();
  REQUIRE(args.size() == 2);
  CHECK(args.get<std::string>(0) == "pong");
  CHECK(args.get<int>(1) == 42);

  auto silent = s.timeout(100ms).emit_with_ack("silent", 1, asio::use_future);
  REQUIRE(silent.wait_for(10s) == std::future_status::ready);
  try {
    silent.get();
    FAIL("expected a timeout");
  } catch (const std::system_error& e) {
    CHECK(e.code() == sio::errc::ack_timeout);
  }
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

#if defined(ASIO_HAS_CO_AWAIT)
TEST_CASE("emit_with_ack works with asio::use_awaitable") {
  running_server srv;
  std::promise<sio::socket_ref> connected;
  srv.io.on_connection([&](sio::socket_ref s) { connected.set_value(s); });
  srv.start();
  sio_test::test_client client(srv.port(), [](const std::string& p) -> std::string {
    auto bracket = p.find('[');
    if (p.rfind("2", 0) != 0 || bracket <= 1) return "";
    return "3" + p.substr(1, bracket - 1) + "[\"awaited\"]";
  });
  client.connect();
  auto s = connected.get_future().get();
  auto result = asio::co_spawn(
      srv.ctx,
      [s]() -> asio::awaitable<std::string> {
        sio::arguments a = co_await s.timeout(5s).emit_with_ack("q", 1, asio::use_awaitable);
        co_return a.get<std::string>(0).value_or("");
      },
      asio::use_future);
  REQUIRE(result.wait_for(10s) == std::future_status::ready);
  CHECK(result.get() == "awaited");
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}
#endif

TEST_CASE("a broadcast with acks collects every answer, or times out with those that came") {
  running_server srv;
  std::atomic<int> connected{0};
  srv.io.on_connection([&](sio::socket_ref s) {
    s.join("room");
    ++connected;
  });
  srv.start();
  auto acker = [](const std::string& p) -> std::string {
    auto bracket = p.find('[');
    if (p.rfind("2", 0) != 0 || bracket <= 1) return "";
    return "3" + p.substr(1, bracket - 1) + "[\"yes\"]";
  };
  sio_test::test_client a(srv.port(), acker), b(srv.port(), acker), quiet(srv.port());
  a.connect();
  b.connect();
  REQUIRE(eventually([&] { return connected == 2; }));

  auto all = srv.io.to("room").timeout(5s).emit_with_ack("q", asio::use_future);
  REQUIRE(all.wait_for(10s) == std::future_status::ready);
  auto answers = all.get();
  CHECK(answers.size() == 2);

  quiet.connect();
  REQUIRE(eventually([&] { return connected == 3; }));
  std::promise<std::pair<std::error_code, std::size_t>> partial;
  srv.io.to("room").timeout(200ms).emit_with_ack("q", [&](std::error_code ec, std::vector<sio::arguments> r) {
    partial.set_value({ec, r.size()});
  });
  auto f = partial.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto [ec, count] = f.get();
  CHECK(ec == sio::errc::ack_timeout);
  CHECK(count == 2);
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

TEST_CASE("arguments that do not convert skip the handler and are reported to on_error") {
  running_server srv;
  std::atomic<int> called{0};
  std::promise<std::string> error;
  srv.io.on_connection([&](sio::socket_ref s) {
    s->on_error([&](const std::string& e) { error.set_value(e); });
    s.on("typed", [&](int, std::string) { ++called; });
    s.on("done", [s] { s.emit("done"); });
  });
  srv.start();
  sio_test::test_client client(srv.port());
  client.connect();
  client.send_sio("2[\"typed\",\"not a number\",\"x\"]");
  auto f = error.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get().find("typed") != std::string::npos);
  client.send_sio("2[\"typed\",7,\"x\"]");
  client.send_sio("2[\"done\"]");
  client.next_matching([](const std::string& p) { return is_event(p, "done"); });
  CHECK(called == 1);
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

TEST_CASE("engine hooks: connection_error, logger, cookie and headers on the handshake") {
  sio::server_options opts;
  std::mutex mutex;
  std::vector<int> codes;
  std::vector<std::string> logs;
  opts.on_connection_error = [&](const sio::transport::http_request&, sio::engine::request_error code, std::string_view) {
    std::lock_guard<std::mutex> lock(mutex);
    codes.push_back(static_cast<int>(code));
  };
  opts.logger = [&](sio::engine::log_level, std::string_view line) {
    std::lock_guard<std::mutex> lock(mutex);
    logs.emplace_back(line);
  };
  opts.cookie = sio::engine::cookie_options{};
  opts.initial_headers = [](sio::transport::header_list& h, const sio::transport::http_request&) { h.add("X-Initial", "1"); };
  opts.allow_request = [](const sio::transport::http_request& req, sio::engine::allow_callback done) {
    if (req.headers.contains("X-Deny")) return done(std::string{"go away"});
    done(std::nullopt);
  };
  running_server srv(std::move(opts));
  srv.start();

  auto request = [&](const std::string& text) {
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address("127.0.0.1"), srv.port()});
    asio::write(sock, asio::buffer(text));
    std::string out;
    std::error_code ec;
    std::array<char, 4096> buf;
    for (;;) {
      std::size_t n = sock.read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec || out.find("\r\n\r\n") != std::string::npos) {
        auto cl = out.find("Content-Length: ");
        if (ec || cl == std::string::npos) break;
        std::size_t len = std::stoul(out.substr(cl + 16));
        if (out.size() >= out.find("\r\n\r\n") + 4 + len) break;
      }
    }
    return out;
  };
  std::string bad = request("GET /socket.io/?EIO=4&transport=nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(bad.find("400") != std::string::npos);
  std::string denied = request("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Deny: 1\r\nConnection: close\r\n\r\n");
  CHECK(denied.rfind("HTTP/1.1 403", 0) == 0);
  CHECK(denied.find("{\"code\":4,\"message\":\"go away\"}") != std::string::npos);
  std::string ok = request("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto sid_at = ok.find("\"sid\":\"");
  REQUIRE(sid_at != std::string::npos);
  std::string sid = ok.substr(sid_at + 7, 20);
  CHECK(ok.find("Set-Cookie: io=" + sid + "; Path=/; HttpOnly; SameSite=Lax") != std::string::npos);
  CHECK(ok.find("X-Initial: 1") != std::string::npos);

  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(codes == std::vector<int>{0, 4});
  CHECK(!logs.empty());
}

TEST_CASE("listeners: once, off, on_any, prepend_any, off_any, on_any_outgoing, packet middleware, data") {
  running_server srv;
  std::mutex mutex;
  std::vector<std::string> seen;
  auto note = [&](std::string s) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(std::move(s));
  };
  srv.io.on_connection([&](sio::socket_ref s) {
    s.data<int>() = 7;
    s->on_any([&](const std::string& ev, const sio::arguments& a) { note("any:" + ev + ":" + std::to_string(a.size())); });
    s->prepend_any([&](const std::string& ev, const sio::arguments&) { note("first:" + ev); });
    s->on_any_outgoing([&](const std::string& ev, const sio::arguments&) { note("out:" + ev); });
    s->use([&](sio::arguments& event, auto next) {
      if (event[0].as_string() == "blocked") return next(std::string{"blocked by middleware"});
      if (event[0].as_string() == "rewrite") event[1] = sio::value{"rewritten"};
      next(std::nullopt);
    });
    s->on_error([&](const std::string& e) { note("error:" + e); });
    s.once("one", [&] { note("one"); });
    s.on("gone", [&] { note("gone"); });
    s.on("rewrite", [&, s](std::string v) { note("rewrite:" + v + ":" + std::to_string(s.data<int>())); });
    s.on("stop", [&, s] {
      s->off("gone");
      s->off_any();
      s.emit("stopped");
    });
  });
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  for (const char* p : {"2[\"one\"]", "2[\"one\"]", "2[\"gone\"]", "2[\"blocked\",1]", "2[\"rewrite\",\"x\"]", "2[\"stop\"]", "2[\"gone\"]", "2[\"one\"]"})
    c.send_sio(p);
  c.next_matching([](const std::string& p) { return is_event(p, "stopped"); });
  c.send_sio("2[\"stop\"]");  // a second marker: everything before it has been handled
  c.next_matching([](const std::string& p) { return is_event(p, "stopped"); });
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<std::string> expected = {
      "first:one", "any:one:0", "one",                    // once: the first time only
      "first:one", "any:one:0",                           // (the second "one": no handler left)
      "first:gone", "any:gone:0", "gone",                 //
      "error:blocked by middleware",                      // middleware stops it before any listener
      "first:rewrite", "any:rewrite:1", "rewrite:rewritten:7",
      "first:stop", "any:stop:0", "out:stopped",          // off_any then takes effect
      "out:stopped"};
  CHECK(seen == expected);
}

TEST_CASE("disconnecting sees the rooms, disconnect gets the reason; server close tells every socket") {
  running_server srv;
  std::promise<std::pair<std::size_t, std::string>> first;
  std::promise<std::string> second;
  std::atomic<int> n{0};
  srv.io.on_connection([&](sio::socket_ref s) {
    int k = n++;
    s.join("a");
    s.join("b");
    auto rooms = std::make_shared<std::size_t>(0);
    s.on_disconnecting([s, rooms](sio::disconnect_reason) { *rooms = s.rooms().size(); });
    s.on_disconnect([&, k, rooms](sio::disconnect_reason r) {
      if (k == 0) first.set_value({*rooms, std::string{sio::to_string(r)}});
      else second.set_value(std::string{sio::to_string(r)});
    });
  });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    c.connect();
    c.send_sio("1");  // client namespace disconnect
    auto f = first.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    auto [rooms, reason] = f.get();
    CHECK(rooms == 3);  // its own room, a and b
    CHECK(reason == "client namespace disconnect");
  }
  sio_test::test_client c2(srv.port());
  c2.connect();
  srv.io.close();
  auto f2 = second.get_future();
  REQUIRE(f2.wait_for(10s) == std::future_status::ready);
  CHECK(f2.get() == "server shutting down");
  c2.wait_closed();
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

TEST_CASE("dynamic namespaces: children are created on demand, the parent's emit reaches them, empty ones can be cleaned up") {
  sio::server_options opts;
  opts.cleanup_empty_child_namespaces = true;
  running_server srv(std::move(opts));
  std::atomic<int> created{0};
  srv.io.on_new_namespace([&](sio::namespace_&) { ++created; });
  auto& parent = srv.io.of(std::regex{R"(^/room-\d+$)"});
  std::atomic<int> joined{0}, left{0};
  parent.on_connection([&](sio::socket_ref s) {
    ++joined;
    s.on_disconnect([&](sio::disconnect_reason) { ++left; });  // runs after the namespace let go of it
  });
  srv.start();
  {
    sio_test::test_client a(srv.port()), b(srv.port());
    a.connect("/room-1");
    b.connect("/room-2");
    a.send_sio("0/other,");
    CHECK(a.next_matching([](const std::string& p) { return p[0] == '4'; }) == "4/other,{\"message\":\"Invalid namespace\"}");
    REQUIRE(eventually([&] { return joined == 2; }));
    CHECK(created == 2);
    parent.emit("hello", 1);
    CHECK(a.next_matching([](const std::string& p) { return p.find("hello") != std::string::npos; }) == "2/room-1,[\"hello\",1]");
    CHECK(b.next_matching([](const std::string& p) { return p.find("hello") != std::string::npos; }) == "2/room-2,[\"hello\",1]");
  }
  // Both clients gone: with cleanup on, connecting again creates the child anew.
  REQUIRE(eventually([&] { return left == 2; }));
  sio_test::test_client c(srv.port());
  c.connect("/room-1");
  CHECK(created == 3);
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
}

namespace {
/// A WebSocket client that connects to "/" and then never reads: its receive window fills up.
struct stalled_client {
  explicit stalled_client(unsigned short port) : sock(ctx) {
    sock.open(asio::ip::tcp::v4());
    sock.set_option(asio::socket_base::receive_buffer_size(4096));
    sock.connect({asio::ip::make_address("127.0.0.1"), port});
    std::string request =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    // A masked text frame "40" (Socket.IO CONNECT to "/"); a zero mask leaves the payload as is.
    request += std::string{"\x81\x82\x00\x00\x00\x00", 6} + "40";
    asio::write(sock, asio::buffer(request));
  }
  asio::io_context ctx;
  asio::ip::tcp::socket sock;
};
}  // namespace

TEST_CASE("a client that stops reading is disconnected (transport error) once its send buffer limit is passed, "
          "also by broadcasts from its own strand; the others go on") {
  sio::server_options opts;
  opts.max_buffered_bytes = 64 * 1024;
  opts.strands = 1;  // every session on one strand: the broadcasts reach the stalled one directly
  std::promise<std::string> stalled_reason;  // before the server: its handlers may outlive a failed check
  std::atomic<int> connected{0}, chunks{0};
  const std::string chunk(32 * 1024, 'x');
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket_ref s) {
    s.join("all");
    if (connected++ == 0) {
      s.on_disconnect([&](sio::disconnect_reason r) { stalled_reason.set_value(std::string{sio::to_string(r)}); });
    } else {
      s.on("more", [&] { srv.io.to("all").emit("chunk", chunks++, chunk); });
    }
  });
  srv.start();

  stalled_client stalled(srv.port());
  REQUIRE(eventually([&] { return connected == 1; }));
  sio_test::test_client reader(srv.port());
  reader.connect();
  REQUIRE(eventually([&] { return connected == 2; }));

  // One chunk at a time, so that only the stalled client falls behind. Its kernel buffers take
  // some (its receive window is 4 KiB), then 64 KiB may wait in sio: well under 2,000 chunks.
  auto reason = stalled_reason.get_future();
  int sent = 0;
  for (; sent < 2000 && reason.wait_for(0s) != std::future_status::ready; ++sent) {
    reader.send_sio("2[\"more\"]");
    auto p = reader.next_matching([](const std::string& p) { return is_event(p, "chunk"); });
    std::string prefix = "2[\"chunk\"," + std::to_string(sent) + ",";
    REQUIRE(p.substr(0, prefix.size()) == prefix);
  }
  REQUIRE(reason.wait_for(10s) == std::future_status::ready);
  CHECK(reason.get() == "transport error");
  reader.send_sio("2[\"more\"]");  // the reader is still served
  CHECK(is_event(reader.next_matching([](const std::string& p) { return is_event(p, "chunk"); }), "chunk"));
  CHECK(srv.shut_down());
}

TEST_CASE("clients are spread over the strands: with two strands, four WebSocket clients use both") {
  sio::server_options opts;
  opts.strands = 2;
  running_server srv(opts);
  std::mutex mutex;
  std::vector<sio::transport::strand_type> strands;
  srv.io.on_connection([&](sio::socket_ref s) {
    std::lock_guard<std::mutex> lock(mutex);
    strands.push_back(s->strand());
  });
  srv.start();
  std::vector<std::unique_ptr<sio_test::test_client>> cs;
  for (int i = 0; i < 4; ++i) {
    cs.push_back(std::make_unique<sio_test::test_client>(srv.port()));
    cs.back()->connect();
  }
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return strands.size() == 4;
  }));
  std::lock_guard<std::mutex> lock(mutex);
  int on_first = 0;
  for (const auto& s : strands) on_first += s == strands.front() ? 1 : 0;
  CHECK(on_first == 2);  // handed out in turn: two clients on each strand
}

TEST_CASE("a busy WebSocket reads messages of every size in order: small ones, then more than its read buffer holds") {
  // A connection that keeps sending reads into a buffer of its own (connection::read_busy); a
  // message larger than that buffer is read on in one go. Every message must arrive whole.
  running_server srv({}, 1);
  srv.io.on_connection([](sio::socket_ref s) {
    s.on("echo", [](sio::value data, sio::ack_sender ack) { ack(std::move(data)); });
  });
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  std::vector<std::string> sent;
  for (int i = 0; i < 40; ++i) {
    std::size_t size = i == 20 ? 200000 : i == 30 ? 1015 : static_cast<std::size_t>(1 + i * 7);
    sent.push_back(std::string(size, static_cast<char>('a' + i % 26)));
    c.send_sio("2" + std::to_string(i) + "[\"echo\",\"" + sent.back() + "\"]");
  }
  auto acks = c.wait_count([](const std::string& p) { return p[0] == '3'; }, sent.size());
  REQUIRE(acks.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) CHECK(acks[i] == "3" + std::to_string(i) + "[\"" + sent[i] + "\"]");
  CHECK(srv.shut_down());
}
