// In-process tests of sio::server with real sockets on loopback: threading (run under
// ThreadSanitizer in CI), acknowledgements through Asio completion tokens, broadcast acks,
// argument conversion failures, and the engine hooks.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <set>
#include <unordered_set>
#include <thread>

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <sio/detail/base64.hpp>
#include <sio/mount.hpp>
#include <sio/server.hpp>
#include <sio/transport/memory_stream.hpp>

#include "running_server.hpp"
#include "test_client.hpp"

using namespace std::chrono_literals;

namespace {

using sio_test::basic_running_server;
using sio_test::eventually;
using sio_test::running_server;

bool is_event(const std::string& p, const std::string& name) { return p.rfind("2[\"" + name + "\"", 0) == 0; }

// What only the library reaches behind the handles, for tests that look at it.
sio::detail::socket_state& state_of(const sio::socket& s) { return *sio::detail::socket_access::state(s); }
sio::detail::namespace_state& state_of(const sio::namespace_& n) { return *sio::detail::namespace_access::state(n); }
sio::adapter& adapter_of(const sio::namespace_& n) { return state_of(n).get_adapter(); }

}  // namespace

TEST_CASE("emits, room changes and broadcasts from many threads reach every client exactly once, in order per thread") {
  sio::server_options opts;
  opts.strands = GENERATE(0, 1, 5);  // one per hardware thread, all sessions on one, more than threads
  running_server srv(opts, 3);
  std::mutex mutex;
  std::vector<sio::socket> sockets;
  srv.io.on_connection([&](sio::socket s) {
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
          case 0: srv.io.emit("t", t, i); break;            // namespace-wide
          case 1: srv.io.to("all").emit("t", t, i); break;  // a room
          default:                                          // each socket directly
            for (auto& s : sockets) s.emit("t", t, i);
        }
        // Churn on rooms nobody broadcasts to, concurrently with the broadcasts.
        sockets[static_cast<std::size_t>(i) % sockets.size()].join("churn-" + std::to_string(t));
        sockets[static_cast<std::size_t>(i) % sockets.size()].leave("churn-" + std::to_string(t));
        if (i % 50 == 0) (void)srv.io.sockets();
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

TEST_CASE("connection state recovery under threads: sockets dropped and restored while three threads emit; nothing lost or doubled") {
  sio::server_options opts;
  opts.connection_state_recovery.emplace();
  running_server srv(opts, 3);
  std::mutex mutex;
  std::map<std::string, sio::socket> sockets;  // by id: a restored socket replaces its old handle
  std::atomic<int> gone{0}, recovered{0};
  srv.io.on_connection([&](sio::socket s) {
    if (s.recovered())
      ++recovered;
    else
      s.join("all");
    s.on_disconnect([&](sio::disconnect_reason) { ++gone; });
    std::lock_guard<std::mutex> lock(mutex);
    sockets.insert_or_assign(s.id(), s);
  });
  srv.start();

  constexpr int clients = 4, threads = 3, per_thread = 400;
  struct peer {
    std::unique_ptr<sio_test::test_client> before, after;
    std::string id, pid;
  };
  std::vector<peer> peers(clients);
  for (auto& p : peers) {
    p.before = std::make_unique<sio_test::test_client>(srv.port());
    std::string reply;
    p.id = p.before->connect("/", {}, &reply);
    auto at = reply.find("\"pid\":\"");
    REQUIRE(at != std::string::npos);
    p.pid = reply.substr(at + 7, reply.find('"', at + 7) - at - 7);
  }
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return sockets.size() == clients;
  }));

  std::vector<std::thread> hammer;
  for (int t = 0; t < threads; ++t) {
    hammer.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        if (t == 0) srv.io.emit("t", t, i);
        if (t == 1) srv.io.to("all").emit("t", t, i);
        if (t == 2) {
          std::vector<sio::socket> all;
          {
            std::lock_guard<std::mutex> lock(mutex);
            for (auto& [id, s] : sockets) all.push_back(s);
          }
          for (auto& s : all) s.emit("t", t, i);  // on a socket that went away: kept for its replay
        }
      }
    });
  }
  auto is_t = [](const std::string& p) { return is_event(p, "t"); };
  // Each client drops after it got a few events, while the threads go on, and comes back.
  for (auto& p : peers) {
    p.before->wait_count(is_t, 5);
    p.before->close();
  }
  REQUIRE(eventually([&] { return gone == clients; }));
  for (auto& p : peers) {
    auto got = p.before->wait_count(is_t, 0);
    REQUIRE(!got.empty());
    auto comma = got.back().rfind(",\"");
    std::string offset = got.back().substr(comma + 2, got.back().size() - comma - 4);  // ...,"OFFSET"]
    p.after = std::make_unique<sio_test::test_client>(srv.port());
    std::string reply;
    CHECK(p.after->connect("/", "{\"pid\":\"" + p.pid + "\",\"offset\":\"" + offset + "\"}", &reply) == p.id);
    CHECK(reply.find("\"pid\":\"" + p.pid + "\"") != std::string::npos);
  }
  for (auto& h : hammer) h.join();
  CHECK(recovered == clients);

  for (auto& p : peers) {
    auto before = p.before->wait_count(is_t, 0);
    auto after = p.after->wait_count(is_t, static_cast<std::size_t>(threads * per_thread) - before.size());
    std::map<int, int> next;  // thread -> next expected i
    for (const auto* part : {&before, &after})
      for (const auto& text : *part) {
        int t = 0, i = 0;
        REQUIRE(std::sscanf(text.c_str(), "2[\"t\",%d,%d,\"", &t, &i) == 2);
        CHECK(i == next[t]);
        next[t] = i + 1;
      }
    for (int t = 0; t < threads; ++t) CHECK(next[t] == per_thread);
  }
  CHECK(srv.shut_down());
}

TEST_CASE("connection state recovery and middleware: skipped by default; with skip_middlewares false it runs first, on a new socket") {
  const bool skip = GENERATE(true, false);
  sio::server_options opts;
  opts.connection_state_recovery.emplace().skip_middlewares = skip;
  running_server srv(opts, 1);
  std::atomic<int> middleware_runs{0}, recovered_in_middleware{0};
  srv.io.use([&](sio::socket s, sio::connect_next next) {
    ++middleware_runs;
    if (s.recovered()) ++recovered_in_middleware;
    next();
  });
  std::atomic<int> recovered{0}, gone{0};
  srv.io.on_connection([&](sio::socket s) {
    if (s.recovered()) ++recovered;
    s.on_disconnect([&](sio::disconnect_reason) { ++gone; });
    s.emit("hello", 1);
  });
  srv.start();

  sio_test::test_client before(srv.port());
  std::string reply;
  std::string id = before.connect("/", {}, &reply);
  auto at = reply.find("\"pid\":\"");
  REQUIRE(at != std::string::npos);
  std::string pid = reply.substr(at + 7, reply.find('"', at + 7) - at - 7);
  std::string hello = before.next_matching([](const std::string& p) { return is_event(p, "hello"); });
  std::string offset = hello.substr(hello.rfind(",\"") + 2, hello.size() - hello.rfind(",\"") - 4);
  before.close();
  REQUIRE(eventually([&] { return gone == 1; }));

  sio_test::test_client after(srv.port());
  CHECK(after.connect("/", "{\"pid\":\"" + pid + "\",\"offset\":\"" + offset + "\"}") == id);
  CHECK(recovered == 1);
  CHECK(middleware_runs == (skip ? 1 : 2));
  CHECK(recovered_in_middleware == 0);  // skipped, or run before the session was looked up
  CHECK(srv.shut_down());
}

TEST_CASE("emit_with_ack completes through asio::use_future from another thread, and times out") {
  running_server srv;
  std::promise<sio::socket> connected;
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
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
  std::promise<sio::socket> connected;
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
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
  srv.io.on_connection([&](sio::socket s) {
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

TEST_CASE("arguments that do not convert skip the handler and reach on_error as a sio::conversion_error") {
  running_server srv;
  std::atomic<int> called{0};
  struct failure {
    std::string what, expected, received, event, type;
    std::size_t index = 99;
  };
  std::promise<failure> error;
  srv.io.on_connection([&](sio::socket s) {
    s.on_error([&](const std::exception& e) {
      failure f;
      f.what = e.what();
      if (auto* c = dynamic_cast<const sio::conversion_error*>(&e)) {
        f.type = "conversion_error";
        f.index = c->index();
        f.expected = c->expected();
        f.received = c->received();
        f.event = c->event();
      }
      error.set_value(f);
    });
    s.on("typed", [&](int, std::string) { ++called; });
    // One braced literal as the argument: emit(event, sio::value).
    s.on("done", [s] { s.emit("done", {{"n", 1}, {"list", {"a", "b"}}}); });
  });
  srv.start();
  sio_test::test_client client(srv.port());
  client.connect();
  client.send_sio("2[\"typed\",\"not a number\",\"x\"]");
  auto f = error.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  failure got = f.get();
  CHECK(got.type == "conversion_error");
  CHECK(got.index == 0);
  CHECK(got.expected == "int");
  CHECK(got.received == "string");
  CHECK(got.event == "typed");
  CHECK(got.what == "argument 0 of \"typed\": expected int, got string");
  client.send_sio("2[\"typed\",7,\"x\"]");
  client.send_sio("2[\"done\"]");
  CHECK(client.next_matching([](const std::string& p) { return is_event(p, "done"); }) == "2[\"done\",{\"n\":1,\"list\":[\"a\",\"b\"]}]");
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
  srv.io.on_connection([&](sio::socket s) {
    s.data<int>() = 7;
    s.on_any([&](const std::string& ev, const sio::arguments& a) { note("any:" + ev + ":" + std::to_string(a.size())); });
    s.prepend_any([&](const std::string& ev, const sio::arguments&) { note("first:" + ev); });
    s.on_any_outgoing([&](const std::string& ev, const sio::arguments&) { note("out:" + ev); });
    s.use([&](sio::arguments& event, auto next) {
      if (event[0].as_string() == "blocked") return next(std::string{"blocked by middleware"});
      if (event[0].as_string() == "rewrite") event[1] = sio::value{"rewritten"};
      next(std::nullopt);
    });
    s.on_error([&](const std::string& e) { note("error:" + e); });
    s.once("one", [&] { note("one"); });
    s.on("gone", [&] { note("gone"); });
    s.on("rewrite", [&, s](std::string v) { note("rewrite:" + v + ":" + std::to_string(s.data<int>())); });
    s.on("stop", [&, s] {
      s.off("gone");
      s.off_any();
      s.emit("stopped");
    });
  });
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  for (const char* p :
       {"2[\"one\"]", "2[\"one\"]", "2[\"gone\"]", "2[\"blocked\",1]", "2[\"rewrite\",\"x\"]", "2[\"stop\"]", "2[\"gone\"]", "2[\"one\"]"})
    c.send_sio(p);
  c.next_matching([](const std::string& p) { return is_event(p, "stopped"); });
  c.send_sio("2[\"stop\"]");  // a second marker: everything before it has been handled
  c.next_matching([](const std::string& p) { return is_event(p, "stopped"); });
  CHECK(srv.shut_down());  // io.close() lets the io_context run out of work
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<std::string> expected = {"first:one",
                                       "any:one:0",
                                       "one",  // once: the first time only
                                       "first:one",
                                       "any:one:0",  // (the second "one": no handler left)
                                       "first:gone",
                                       "any:gone:0",
                                       "gone",                         //
                                       "error:blocked by middleware",  // middleware stops it before any listener
                                       "first:rewrite",
                                       "any:rewrite:1",
                                       "rewrite:rewritten:7",
                                       "first:stop",
                                       "any:stop:0",
                                       "out:stopped",  // off_any then takes effect
                                       "out:stopped"};
  CHECK(seen == expected);
}

TEST_CASE("disconnecting sees the rooms, disconnect gets the reason; server close tells every socket") {
  running_server srv;
  std::promise<std::pair<std::size_t, std::string>> first;
  std::promise<std::string> second;
  std::atomic<int> n{0};
  srv.io.on_connection([&](sio::socket s) {
    int k = n++;
    s.join("a");
    s.join("b");
    auto rooms = std::make_shared<std::size_t>(0);
    s.on_disconnecting([s, rooms](sio::disconnect_reason) { *rooms = s.rooms().size(); });
    s.on_disconnect([&, k, rooms](sio::disconnect_reason r) {
      if (k == 0)
        first.set_value({*rooms, std::string{sio::to_string(r)}});
      else
        second.set_value(std::string{sio::to_string(r)});
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
  srv.io.on_new_namespace([&](sio::namespace_) { ++created; });
  auto parent = srv.io.of(std::regex{R"(^/room-\d+$)"});
  std::atomic<int> joined{0}, left{0};
  parent.on_connection([&](sio::socket s) {
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

TEST_CASE(
    "a client that stops reading is disconnected (slow consumer) once its send buffer limit is passed, "
    "also by broadcasts from its own strand; the others go on") {
  sio::server_options opts;
  opts.max_buffered_bytes = 64 * 1024;
  opts.strands = 1;                          // every session on one strand: the broadcasts reach the stalled one directly
  std::promise<std::string> stalled_reason;  // before the server: its handlers may outlive a failed check
  std::atomic<int> connected{0}, chunks{0};
  const std::string chunk(32 * 1024, 'x');
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket s) {
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
  CHECK(reason.get() == "slow consumer");
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
  srv.io.on_connection([&](sio::socket s) {
    std::lock_guard<std::mutex> lock(mutex);
    strands.push_back(state_of(s).strand());
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
  srv.io.on_connection([](sio::socket s) { s.on("echo", [](sio::value data, sio::ack_sender ack) { ack(std::move(data)); }); });
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

// ---- exceptions from user code (issue 11) ------------------------------------------------------

namespace {

/// Collects what on_handler_error reports (from any thread). Declare it before the server: the
/// hook may run until the server is gone.
struct error_log {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<sio::handler_error> seen;

  std::function<void(const sio::handler_error&)> hook() {
    return [this](const sio::handler_error& e) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(e);
      cv.notify_all();
    };
  }
  /// Takes the first report from `source`, waiting for it (bounded).
  sio::handler_error next(sio::error_source source, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> lock(mutex);
    auto find = [&] { return std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.source == source; }); };
    if (!cv.wait_for(lock, timeout, [&] { return find() != seen.end(); }))
      throw std::runtime_error(std::string{"no report from "} + sio::to_string(source));
    auto it = find();
    sio::handler_error e = *it;
    seen.erase(it);
    return e;
  }
  std::size_t count(sio::error_source source) {
    std::lock_guard<std::mutex> lock(mutex);
    return static_cast<std::size_t>(std::count_if(seen.begin(), seen.end(), [&](const auto& e) { return e.source == source; }));
  }
};

sio::server_options reporting_to(error_log& log, sio::handler_error_policy policy = sio::handler_error_policy::disconnect) {
  sio::server_options opts;
  opts.on_handler_error = log.hook();
  opts.after_handler_error = policy;
  return opts;
}

std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

const auto is_packet = [](std::string expected) { return [expected](const std::string& p) { return p == expected; }; };

/// A new client connects to "/" and gets its "ping" answered with "pong": the server is fine.
void check_server_serves(unsigned short port) {
  sio_test::test_client fresh(port);
  fresh.connect();
  fresh.send_sio("2[\"ping\"]");
  CHECK(fresh.next_matching([](const std::string& p) { return is_event(p, "pong"); }) == "2[\"pong\"]");
}

/// One HTTP/1.1 request (with "Connection: close") and the whole response.
std::string http_roundtrip(unsigned short port, const std::string& text) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(sock, asio::buffer(text));
  std::string out;
  std::error_code ec;
  std::array<char, 4096> buf;
  while (!ec) out.append(buf.data(), sock.read_some(asio::buffer(buf), ec));
  return out;
}

}  // namespace

TEST_CASE(
    "an event handler that throws is reported with its socket, namespace, event and exception; "
    "keep: the next event reaches it; disconnect: the client gets a DISCONNECT") {
  auto policy = GENERATE(sio::handler_error_policy::keep, sio::handler_error_policy::disconnect);
  error_log log;
  std::atomic<int> calls{0};
  std::promise<std::string> reason;
  running_server srv(reporting_to(log, policy));
  srv.io.on_connection([&](sio::socket s) {
    // The issue's example: a size a client sent, which std::string refuses.
    s.on("make", [&](std::size_t n) {
      ++calls;
      std::string text(n, 'x');
    });
    s.on("ping", [s] { s.emit("pong"); });
    s.on_disconnect([&](sio::disconnect_reason r) { reason.set_value(std::string{sio::to_string(r)}); });
  });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    std::string id = c.connect();
    c.send_sio("2[\"make\",18446744073709551615]");
    auto e = log.next(sio::error_source::event_handler);
    CHECK(e.socket_id == id);
    CHECK(e.nsp == "/");
    CHECK(e.event == "make");
    CHECK(e.message == message_of(e.exception));
    CHECK_THROWS_AS(std::rethrow_exception(e.exception), std::length_error);
    if (policy == sio::handler_error_policy::keep) {
      c.send_sio("2[\"make\",3]");
      c.send_sio("2[\"ping\"]");
      c.next_matching([](const std::string& p) { return is_event(p, "pong"); });
      CHECK(calls == 2);
    } else {
      CHECK(c.next_matching([](const std::string& p) { return p[0] == '1'; }) == "1");
      auto r = reason.get_future();
      REQUIRE(r.wait_for(10s) == std::future_status::ready);
      CHECK(r.get() == "server namespace disconnect");
      CHECK(calls == 1);
    }
  }
  check_server_serves(srv.port());
  CHECK(srv.shut_down());
}

TEST_CASE(
    "on_any, on_any_outgoing and on_error handlers that throw are reported; keep goes on to the listener, "
    "disconnect stops before it") {
  auto policy = GENERATE(sio::handler_error_policy::keep, sio::handler_error_policy::disconnect);
  error_log log;
  std::atomic<int> listener_calls{0};
  running_server srv(reporting_to(log, policy));
  srv.io.on_connection([&](sio::socket s) {
    s.on_any([](const std::string& event, const sio::arguments&) {
      if (event == "x") throw std::runtime_error("on_any failed");
    });
    s.on_any_outgoing([](const std::string& event, const sio::arguments&) {
      if (event == "out") throw std::runtime_error("on_any_outgoing failed");
    });
    s.on_error([](const std::string&) { throw std::runtime_error("on_error failed"); });
    s.on("x", [&, s] {
      ++listener_calls;
      s.emit("out");
      s.emit("after-out");
    });
    s.on("typed", [](int) {});
    s.on("ping", [s] { s.emit("pong"); });
  });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    std::string id = c.connect();
    c.send_sio("2[\"x\"]");
    auto any = log.next(sio::error_source::any_handler);
    CHECK(any.event == "x");
    CHECK(any.socket_id == id);
    CHECK(any.message == "on_any failed");
    if (policy == sio::handler_error_policy::keep) {
      // The listener ran; its emit of "out" went through although on_any_outgoing threw.
      CHECK(c.next_matching([](const std::string& p) { return is_event(p, "after-out"); }) == "2[\"after-out\"]");
      CHECK(c.wait_count([](const std::string& p) { return is_event(p, "out"); }, 1).size() == 1);
      auto out = log.next(sio::error_source::outgoing_any_handler);
      CHECK(out.event == "out");
      CHECK(listener_calls == 1);
      c.send_sio("2[\"typed\",\"not a number\"]");  // on_error gets it, and throws
      auto err = log.next(sio::error_source::error_handler);
      CHECK(err.message == "on_error failed");
      c.send_sio("2[\"ping\"]");
      c.next_matching([](const std::string& p) { return is_event(p, "pong"); });
    } else {
      CHECK(c.next_matching([](const std::string& p) { return p[0] == '1'; }) == "1");
      CHECK(listener_calls == 0);
    }
  }
  check_server_serves(srv.port());
  CHECK(srv.shut_down());
}

TEST_CASE(
    "a connection handler that throws is reported; keep: the next connection handler runs and the socket "
    "works; disconnect: the client gets CONNECT, then DISCONNECT") {
  auto policy = GENERATE(sio::handler_error_policy::keep, sio::handler_error_policy::disconnect);
  error_log log;
  std::atomic<int> second{0};
  running_server srv(reporting_to(log, policy));
  auto chat = srv.io.of("/chat");
  chat.on_connection([](sio::socket) { throw std::runtime_error("connection handler failed"); });
  chat.on_connection([&](sio::socket s) {
    ++second;
    s.on("ping", [s] { s.emit("pong"); });
  });
  srv.io.on_connection([](sio::socket s) { s.on("ping", [s] { s.emit("pong"); }); });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    std::string id = c.connect("/chat");
    auto e = log.next(sio::error_source::connection_handler);
    CHECK(e.socket_id == id);
    CHECK(e.nsp == "/chat");
    CHECK(e.message == "connection handler failed");
    if (policy == sio::handler_error_policy::keep) {
      c.send_sio("2/chat,[\"ping\"]");
      CHECK(c.next_matching([](const std::string& p) { return p.find("pong") != std::string::npos; }) == "2/chat,[\"pong\"]");
      CHECK(second == 1);
    } else {
      CHECK(c.next_matching([](const std::string& p) { return p[0] == '1'; }) == "1/chat,");
      CHECK(second == 0);
    }
  }
  check_server_serves(srv.port());
  CHECK(srv.shut_down());
}

TEST_CASE(
    "namespace middleware that throws: before next() the socket is refused, and a later next() is ignored; "
    "after next() the socket is connected and the policy applies; next() twice accepts once") {
  auto policy = GENERATE(sio::handler_error_policy::keep, sio::handler_error_policy::disconnect);
  error_log log;
  std::mutex mutex;
  std::function<void(std::optional<sio::connect_error>)> kept_next;
  std::atomic<int> twice_connections{0};
  running_server srv(reporting_to(log, policy));
  srv.io.of("/before").use([&](sio::socket, auto next) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      kept_next = next;
    }
    throw std::runtime_error("middleware failed before next");
  });
  auto after = srv.io.of("/after");
  after.use([](sio::socket, auto next) {
    next(std::nullopt);                                        // the socket connects from inside this call...
    throw std::runtime_error("middleware failed after next");  // ...then the middleware throws
  });
  after.on_connection([](sio::socket s) { s.on("ping", [s] { s.emit("pong"); }); });
  auto twice = srv.io.of("/twice");
  twice.use([](sio::socket, auto next) {
    next(std::nullopt);
    next(std::nullopt);
  });
  twice.on_connection([&](sio::socket) { ++twice_connections; });
  srv.io.on_connection([](sio::socket s) { s.on("ping", [s] { s.emit("pong"); }); });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    c.send_sio("0/before,");
    CHECK(c.next_matching([](const std::string& p) { return p[0] == '4'; }) == "4/before,{\"message\":\"Internal server error\"}");
    auto e = log.next(sio::error_source::middleware);
    CHECK(e.nsp == "/before");
    CHECK(e.message == "middleware failed before next");
    {
      std::lock_guard<std::mutex> lock(mutex);
      kept_next(std::nullopt);  // from this thread, after the refusal: ignored
      kept_next = nullptr;      // it holds the socket, which must go before the io_context
    }
    c.connect("/twice");  // a marker on the same strand, after the late next()
    CHECK(c.wait_count([](const std::string& p) { return p.rfind("0/before,", 0) == 0; }, 0).empty());
    CHECK(twice_connections == 1);

    std::string id = c.connect("/after");
    auto late = log.next(sio::error_source::middleware);
    CHECK(late.nsp == "/after");
    CHECK(late.socket_id == id);
    CHECK(late.message == "middleware failed after next");
    if (policy == sio::handler_error_policy::keep) {
      c.send_sio("2/after,[\"ping\"]");
      CHECK(c.next_matching([](const std::string& p) { return p.find("pong") != std::string::npos; }) == "2/after,[\"pong\"]");
    } else {
      CHECK(c.next_matching([](const std::string& p) { return p[0] == '1'; }) == "1/after,");
    }
  }
  CHECK(log.count(sio::error_source::middleware) == 0);  // exactly the two above
  check_server_serves(srv.port());
  CHECK(srv.shut_down());
}

TEST_CASE(
    "socket middleware that throws: before next() the event is dropped; after next() the listener ran once; "
    "both reported with the event") {
  error_log log;
  std::atomic<int> dropped_calls{0}, late_calls{0};
  running_server srv(reporting_to(log, sio::handler_error_policy::keep));
  srv.io.on_connection([&](sio::socket s) {
    s.use([](sio::arguments& event, auto next) {
      std::string name = event[0].as_string();
      if (name == "drop") throw std::runtime_error("packet middleware failed before next");
      next(std::nullopt);                                                                   // the listener runs from inside this call...
      if (name == "late") throw std::runtime_error("packet middleware failed after next");  // ...then this throws
    });
    s.on("drop", [&] { ++dropped_calls; });
    s.on("late", [&] { ++late_calls; });
    s.on("ping", [s] { s.emit("pong"); });
  });
  srv.start();
  sio_test::test_client c(srv.port());
  std::string id = c.connect();
  c.send_sio("2[\"drop\"]");
  c.send_sio("2[\"late\"]");
  c.send_sio("2[\"ping\"]");
  c.next_matching([](const std::string& p) { return is_event(p, "pong"); });
  auto before = log.next(sio::error_source::packet_middleware);
  CHECK(before.event == "drop");
  CHECK(before.socket_id == id);
  CHECK(before.message == "packet middleware failed before next");
  auto after = log.next(sio::error_source::packet_middleware);
  CHECK(after.event == "late");
  CHECK(after.message == "packet middleware failed after next");
  CHECK(dropped_calls == 0);
  CHECK(late_calls == 1);
  CHECK(srv.shut_down());
}

TEST_CASE("ack callbacks that throw are reported (an answer, a timeout, a broadcast's); the pending acks stay right") {
  error_log log;
  std::promise<sio::socket> connected;
  running_server srv(reporting_to(log, sio::handler_error_policy::keep));
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
  srv.start();
  // Acknowledges every event but "silent".
  sio_test::test_client client(srv.port(), [](const std::string& p) -> std::string {
    auto bracket = p.find('[');
    if (p.rfind("2", 0) != 0 || bracket <= 1 || p.find("\"silent\"") != std::string::npos) return "";
    return "3" + p.substr(1, bracket - 1) + "[\"a\"]";
  });
  std::string id = client.connect();
  auto s = connected.get_future().get();

  s.emit_with_ack("q", [](std::error_code, sio::arguments) { throw std::runtime_error("ack callback failed"); });
  auto answered = log.next(sio::error_source::ack_callback);
  CHECK(answered.event == "q");
  CHECK(answered.socket_id == id);
  CHECK(answered.message == "ack callback failed");

  s.timeout(50ms).emit_with_ack(
      "silent", [](std::error_code ec, sio::arguments) { throw std::runtime_error("timeout callback failed: " + ec.message()); });
  auto timed_out = log.next(sio::error_source::ack_callback);
  CHECK(timed_out.event == "silent");
  CHECK(timed_out.message == "timeout callback failed: operation has timed out");

  srv.io.timeout(5s).emit_with_ack(
      "b", [](std::error_code, std::vector<sio::arguments>) { throw std::runtime_error("broadcast ack callback failed"); });
  auto broadcast = log.next(sio::error_source::ack_callback);
  CHECK(broadcast.event == "b");
  CHECK(broadcast.nsp == "/");
  CHECK(broadcast.socket_id.empty());

  // Nothing is left pending or half-done: the socket is connected and acks go on.
  auto again = s.timeout(5s).emit_with_ack("q", asio::use_future);
  REQUIRE(again.wait_for(10s) == std::future_status::ready);
  CHECK(again.get().get<std::string>(0) == "a");
  CHECK(s.connected());
  CHECK(srv.shut_down());
}

namespace picky_types {
/// A user type whose from_json throws for strings (instead of returning false).
struct picky {
  int value = 0;
};
inline bool from_json(const sio::value& in, picky& out) {
  if (in.is_string()) throw std::invalid_argument("picky does not read strings");
  return sio::from_value(in, out.value);
}
}  // namespace picky_types

TEST_CASE("an argument conversion that throws is reported as such and skips the listener; the socket goes on (keep)") {
  error_log log;
  std::atomic<int> sum{0};
  running_server srv(reporting_to(log, sio::handler_error_policy::keep));
  srv.io.on_connection([&](sio::socket s) {
    s.on("picky", [&](picky_types::picky p) { sum += p.value; });
    s.on("ping", [s] { s.emit("pong"); });
  });
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  c.send_sio("2[\"picky\",\"text\"]");
  auto e = log.next(sio::error_source::argument_conversion);
  CHECK(e.event == "picky");
  CHECK(e.message == "picky does not read strings");
  CHECK_THROWS_AS(std::rethrow_exception(e.exception), std::invalid_argument);
  c.send_sio("2[\"picky\",5]");
  c.send_sio("2[\"ping\"]");
  c.next_matching([](const std::string& p) { return is_event(p, "pong"); });
  CHECK(sum == 5);
  CHECK(log.count(sio::error_source::event_handler) == 0);
  CHECK(srv.shut_down());
}

TEST_CASE(
    "disconnecting and disconnect handlers that throw are reported; the close completes: rooms, namespace, "
    "the other handlers") {
  error_log log;
  std::atomic<bool> other_ran{false};
  std::promise<void> closed;
  running_server srv(reporting_to(log));
  srv.io.on_connection([&](sio::socket s) {
    s.join("room");
    s.on_disconnecting([s](sio::disconnect_reason) {
      s.disconnect();  // a second close from inside the first: ignored
      throw std::runtime_error("disconnecting failed");
    });
    s.on_disconnect([](sio::disconnect_reason) { throw std::runtime_error("disconnect failed"); });
    s.on_disconnect([&](sio::disconnect_reason) {
      other_ran = true;
      closed.set_value();
    });
  });
  srv.start();
  {
    sio_test::test_client c(srv.port());
    c.connect();
    c.send_sio("1");
    REQUIRE(closed.get_future().wait_for(10s) == std::future_status::ready);
  }
  CHECK(log.next(sio::error_source::disconnecting_handler).message == "disconnecting failed");
  CHECK(log.next(sio::error_source::disconnect_handler).message == "disconnect failed");
  CHECK(other_ran);
  CHECK(srv.io.of("/").socket_count() == 0);
  CHECK(adapter_of(srv.io.of("/")).room_size("room") == 0);
  CHECK(srv.shut_down());
}

TEST_CASE("a dynamic namespace matcher, a new-namespace handler and a server-side event handler that throw are reported") {
  error_log log;
  running_server srv(reporting_to(log));
  srv.io.on_new_namespace([](sio::namespace_) { throw std::runtime_error("new namespace handler failed"); });
  auto parent = srv.io.of([](const std::string& name, const sio::transport::http_request&, const sio::value&) {
    if (name == "/boom") throw std::runtime_error("matcher failed");
    return name == "/ok";
  });
  parent.on_connection([](sio::socket s) { s.on("ping", [s] { s.emit("pong"); }); });
  srv.start();
  sio_test::test_client c(srv.port());
  c.send_sio("0/boom,");
  CHECK(c.next_matching([](const std::string& p) { return p[0] == '4'; }) == "4/boom,{\"message\":\"Invalid namespace\"}");
  auto matcher = log.next(sio::error_source::namespace_matcher);
  CHECK(matcher.nsp == "/boom");
  CHECK(matcher.message == "matcher failed");
  c.connect("/ok");
  CHECK(log.next(sio::error_source::new_namespace_handler).nsp == "/ok");
  c.send_sio("2/ok,[\"ping\"]");
  CHECK(c.next_matching([](const std::string& p) { return p.find("pong") != std::string::npos; }) == "2/ok,[\"pong\"]");

  srv.io.of("/").on_server_side_event([](const std::string&, sio::arguments) { throw std::runtime_error("server-side failed"); });
  state_of(srv.io.of("/")).server_side_event("sync", {});  // as an adapter delivers what another server sent
  auto sse = log.next(sio::error_source::server_side_event);
  CHECK(sse.event == "sync");
  CHECK(sse.message == "server-side failed");
  CHECK(srv.shut_down());
}

TEST_CASE("HTTP hooks that throw: the request gets 500 (unless the hook had answered), the exception is reported") {
  error_log log;
  running_server srv(reporting_to(log));
  srv.io.use_http([](const std::shared_ptr<sio::transport::http_exchange>& ex) -> bool {
    if (ex->request().path == "/middleware-throws") throw std::runtime_error("use_http failed");
    return false;
  });
  srv.io.on_http_request([](const std::shared_ptr<sio::transport::http_exchange>& ex) {
    if (ex->request().path == "/answered") {
      sio::transport::http_response res;
      res.status = 200;
      res.body = "done";
      ex->respond(std::move(res));
    }
    throw std::runtime_error("on_http_request failed");
  });
  srv.start();
  auto get = [&](const std::string& path) {
    return http_roundtrip(srv.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  CHECK(get("/middleware-throws").rfind("HTTP/1.1 500", 0) == 0);
  auto mw = log.next(sio::error_source::http_hook);
  CHECK(mw.event == "/middleware-throws");
  CHECK(mw.message == "use_http failed");
  CHECK(get("/page").rfind("HTTP/1.1 500", 0) == 0);
  CHECK(log.next(sio::error_source::http_hook).message == "on_http_request failed");
  std::string answered = get("/answered");
  CHECK(answered.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answered.substr(answered.size() - 4) == "done");
  CHECK(log.next(sio::error_source::http_hook).event == "/answered");
  CHECK(get("/socket.io/?EIO=4&transport=polling").find("\"sid\"") != std::string::npos);  // the engine is fine
  CHECK(srv.shut_down());
}

TEST_CASE(
    "on_http_request on an executor: a handler that blocks holds up no client; it may answer later from "
    "another thread; HEAD gets the headers alone; every status has its reason") {
  sio::server_options o;
  o.strands = 1;  // one strand for every client: a handler blocking it would stall them all
  running_server srv(o, 1);
  asio::thread_pool pages{1};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex parked_mutex;
  std::shared_ptr<sio::transport::http_exchange> parked;  // answered later, by the test's thread
  srv.io.on_connection([](sio::socket) {});
  srv.io.on_http_request(pages.get_executor(), [&, released](const std::shared_ptr<sio::transport::http_exchange>& ex) {
    const std::string& path = ex->request().path;
    if (path == "/later") {
      std::lock_guard<std::mutex> lock(parked_mutex);
      parked = ex;
      return;
    }
    if (path == "/blocking") released.wait();  // a slow file or database read
    sio::transport::http_response res;
    if (path == "/gone") res.status = 410;
    if (path == "/legal") res.status = 451;
    res.headers.add("Content-Type", "text/plain");
    res.body = "page " + path;
    ex->respond(std::move(res));
  });
  srv.start();
  auto request = [&](const std::string& method, const std::string& path) {
    return http_roundtrip(srv.port(), method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  };
  auto blocked = std::async(std::launch::async, [&] { return request("GET", "/blocking"); });
  {
    // While the handler blocks, a client on the same (only) strand connects and is answered.
    sio_test::test_client c(srv.port());
    CHECK_FALSE(c.connect().empty());
  }
  CHECK(blocked.wait_for(0s) == std::future_status::timeout);  // still blocked, and nobody waited for it
  release.set_value();
  std::string answer = blocked.get();
  CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(answer.substr(answer.size() - 14) == "page /blocking");

  std::string head = request("HEAD", "/page");
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.find("Content-Length: 10\r\n") != std::string::npos);  // the GET's body length...
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");                // ...and no body
  CHECK(request("GET", "/gone").rfind("HTTP/1.1 410 Gone\r\n", 0) == 0);
  CHECK(request("GET", "/legal").rfind("HTTP/1.1 451 Unavailable For Legal Reasons\r\n", 0) == 0);

  auto later = std::async(std::launch::async, [&] { return request("GET", "/later"); });
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(parked_mutex);
    return parked != nullptr;
  }));
  sio::transport::http_response res;
  res.status = 202;
  res.body = "answered from the test's thread";
  parked->respond(std::move(res));
  std::string late = later.get();
  CHECK(late.rfind("HTTP/1.1 202 Accepted\r\n", 0) == 0);
  CHECK(late.substr(late.size() - 31) == "answered from the test's thread");
  parked.reset();
  CHECK(srv.shut_down());
}

// ---- limits (issue 11) -------------------------------------------------------------------------

namespace {
void serve_ping(const sio::namespace_& nsp) {
  nsp.on_connection([](sio::socket s) { s.on("ping", [s] { s.emit("pong"); }); });
}
/// The ack id of an event packet "2<id>[...]" (or "2/nsp,<id>[...]").
std::string ack_id_of(const std::string& packet) {
  auto start = packet.find(',') != std::string::npos && packet[1] == '/' ? packet.find(',') + 1 : 1;
  return packet.substr(start, packet.find('[') - start);
}
}  // namespace

TEST_CASE(
    "event rate: max_event_burst events at once reach the listener; the next is dropped and reported, or "
    "disconnects the socket") {
  auto policy = GENERATE(sio::rate_limit_policy::drop, sio::rate_limit_policy::disconnect);
  error_log log;
  sio::server_options opts = reporting_to(log);
  opts.max_events_per_second = 1;  // one more event a second: nothing refills while this test sends
  opts.max_event_burst = 5;
  opts.event_rate_policy = policy;
  std::atomic<int> counted{0};
  std::promise<sio::socket> connected;
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket s) {
    s.on("count", [&] { ++counted; });
    connected.set_value(s);
  });
  srv.start();
  sio_test::test_client c(srv.port());
  std::string id = c.connect();
  auto s = connected.get_future().get();
  for (int i = 0; i < 6; ++i) c.send_sio("2[\"count\"]");
  auto e = log.next(sio::error_source::event_rate_limit);  // the sixth, after the five ran
  CHECK(e.event == "count");
  CHECK(e.socket_id == id);
  CHECK(!e.exception);
  CHECK(counted == 5);
  if (policy == sio::rate_limit_policy::drop) {
    s.emit("still-here");
    c.next_matching([](const std::string& p) { return is_event(p, "still-here"); });
    CHECK(c.wait_count(is_packet("1"), 0).empty());
    CHECK(s.connected());
  } else {
    c.next_matching(is_packet("1"));
    CHECK(!s.connected());
  }
  CHECK(log.count(sio::error_source::event_rate_limit) == 0);  // only the sixth
  CHECK(srv.shut_down());
}

TEST_CASE("pending handshakes: at max_pending_handshakes none is closed; one more closes the oldest, reported") {
  error_log log;
  sio::server_options opts = reporting_to(log);
  opts.max_pending_handshakes = 2;
  running_server srv(opts);
  serve_ping(srv.io.of("/"));
  srv.start();
  sio_test::test_client oldest(srv.port());  // pending: oldest
  sio_test::test_client b(srv.port());       // pending: oldest, b (the limit)
  b.connect();                               // pending: oldest; a closing at b's handshake would have been reported by now
  CHECK(log.count(sio::error_source::pending_handshake_limit) == 0);
  sio_test::test_client c(srv.port());  // pending: oldest, c (the limit)
  sio_test::test_client d(srv.port());  // one past it: the oldest goes
  oldest.wait_closed();
  auto e = log.next(sio::error_source::pending_handshake_limit);
  CHECK(!e.socket_id.empty());  // the Engine.IO session id
  c.connect();
  d.connect();
  for (auto* client : {&b, &c, &d}) {
    client->send_sio("2[\"ping\"]");
    client->next_matching([](const std::string& p) { return is_event(p, "pong"); });
  }
  CHECK(log.count(sio::error_source::pending_handshake_limit) == 0);
  CHECK(srv.shut_down());
}

TEST_CASE("namespaces per client: up to max_namespaces_per_client connect; one more gets CONNECT_ERROR; leaving makes room") {
  error_log log;
  sio::server_options opts = reporting_to(log);
  opts.max_namespaces_per_client = 2;
  running_server srv(opts);
  for (const char* name : {"/", "/a", "/b"}) serve_ping(srv.io.of(name));
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect("/");
  c.connect("/a");  // the limit
  c.send_sio("0/b,");
  CHECK(c.next_matching([](const std::string& p) { return p[0] == '4'; }) == "4/b,{\"message\":\"Too many namespaces\"}");
  CHECK(log.next(sio::error_source::namespace_limit).nsp == "/b");
  c.send_sio("1/a,");
  c.connect("/b");
  c.send_sio("2/b,[\"ping\"]");
  CHECK(c.next_matching([](const std::string& p) { return p.find("pong") != std::string::npos; }) == "2/b,[\"pong\"]");
  CHECK(srv.shut_down());
}

TEST_CASE(
    "dynamic namespaces: past max_dynamic_namespaces the child empty the longest makes room, with none empty "
    "the CONNECT is refused; 100 names from one client leave at most the limit behind") {
  error_log log;
  sio::server_options opts = reporting_to(log);
  opts.max_dynamic_namespaces = 2;  // cleanup_empty_child_namespaces stays off: empty children stay until needed
  running_server srv(opts);
  std::atomic<int> created{0};
  srv.io.on_new_namespace([&](sio::namespace_) { ++created; });
  auto parent = srv.io.of(std::regex{R"(^/dyn-\d+$)"});
  serve_ping(parent);
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect("/dyn-1");
  c.connect("/dyn-2");  // the limit, both in use
  c.send_sio("0/dyn-3,");
  CHECK(c.next_matching([](const std::string& p) { return p[0] == '4'; }) == "4/dyn-3,{\"message\":\"Invalid namespace\"}");
  CHECK(log.next(sio::error_source::dynamic_namespace_limit).nsp == "/dyn-3");
  c.send_sio("1/dyn-1,");  // /dyn-1 is empty now
  c.connect("/dyn-3");     // and makes room
  c.send_sio("2/dyn-3,[\"ping\"]");
  CHECK(c.next_matching([](const std::string& p) { return p.find("pong") != std::string::npos; }) == "2/dyn-3,[\"pong\"]");
  CHECK(created == 3);
  parent.emit("hello");  // the parent reaches its live children
  CHECK(c.next_matching([](const std::string& p) { return p.find("hello") != std::string::npos; }) == "2/dyn-2,[\"hello\"]");
  CHECK(c.next_matching([](const std::string& p) { return p.find("hello") != std::string::npos; }) == "2/dyn-3,[\"hello\"]");

  c.send_sio("1/dyn-3,");
  for (int i = 4; i < 104; ++i) {
    std::string name = "/dyn-" + std::to_string(i);
    c.connect(name);
    c.send_sio("1" + name + ",");
  }
  CHECK(created == 103);
  CHECK(eventually([&] { return state_of(parent).children().size() <= 2; }));  // the others are gone, memory too
  CHECK(log.count(sio::error_source::dynamic_namespace_limit) == 0);
  CHECK(srv.shut_down());
}

TEST_CASE("dynamic namespaces with cleanup: a child whose only socket was refused by middleware is removed") {
  sio::server_options opts;
  opts.cleanup_empty_child_namespaces = true;
  running_server srv(opts);
  auto parent = srv.io.of(std::regex{R"(^/dyn-\d+$)"});
  parent.use([](sio::socket, auto next) { next(sio::connect_error{"go away", std::nullopt}); });
  srv.start();
  sio_test::test_client c(srv.port());
  for (int i = 0; i < 20; ++i) {
    c.send_sio("0/dyn-" + std::to_string(i) + ",");
    c.next_matching([](const std::string& p) { return p[0] == '4'; });
  }
  CHECK(eventually([&] { return state_of(parent).children().empty(); }));
  CHECK(srv.shut_down());
}

TEST_CASE(
    "pending acks: max_pending_acks emits wait; one more fails at once with too_many_pending_acks and is not "
    "sent; an answer makes room; a broadcast skips the socket") {
  sio::server_options opts;
  opts.max_pending_acks = 2;
  std::promise<sio::socket> connected;
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
  srv.start();
  sio_test::test_client c(srv.port());  // answers nothing by itself
  c.connect();
  auto s = connected.get_future().get();
  auto is_w = [](const std::string& p) { return p.find("[\"w\"") != std::string::npos; };

  auto first = s.emit_with_ack("w", 1, asio::use_future);
  auto second = s.emit_with_ack("w", 2, asio::use_future);  // the limit
  auto third = s.emit_with_ack("w", 3, asio::use_future);
  REQUIRE(third.wait_for(10s) == std::future_status::ready);
  try {
    third.get();
    FAIL("expected too_many_pending_acks");
  } catch (const std::system_error& e) {
    CHECK(e.code() == sio::errc::too_many_pending_acks);
  }
  s.emit("marker");  // everything sent before it has arrived when it does
  c.next_matching([](const std::string& p) { return is_event(p, "marker"); });
  auto sent = c.wait_count(is_w, 0);
  REQUIRE(sent.size() == 2);  // not the third
  CHECK(sent[1].find("[\"w\",2]") != std::string::npos);

  // At the limit, a broadcast with acks does not send to this socket and counts it as done.
  std::promise<std::pair<std::error_code, std::size_t>> broadcast;
  srv.io.timeout(5s).emit_with_ack("bw", [&](std::error_code ec, std::vector<sio::arguments> r) { broadcast.set_value({ec, r.size()}); });
  auto b = broadcast.get_future();
  REQUIRE(b.wait_for(10s) == std::future_status::ready);
  auto [bec, responses] = b.get();
  CHECK(!bec);
  CHECK(responses == 0);

  c.send_sio("3" + ack_id_of(sent[0]) + "[\"ok\"]");
  REQUIRE(first.wait_for(10s) == std::future_status::ready);
  CHECK(first.get().get<std::string>(0) == "ok");
  auto fourth = s.emit_with_ack("w", 4, asio::use_future);  // room again
  auto w4 = c.next_matching([](const std::string& p) { return p.find("[\"w\",4]") != std::string::npos; });
  c.send_sio("3" + ack_id_of(w4) + "[\"ok4\"]");
  REQUIRE(fourth.wait_for(10s) == std::future_status::ready);
  CHECK(fourth.get().get<std::string>(0) == "ok4");
  CHECK(c.wait_count([](const std::string& p) { return p.find("\"bw\"") != std::string::npos; }, 0).empty());
  CHECK(srv.shut_down());
}

TEST_CASE(
    "rooms per socket: up to max_rooms_per_socket (its own room included); past it join returns false and "
    "joins nothing; after the socket left, join fails and leaves nothing behind") {
  sio::server_options opts;
  opts.max_rooms_per_socket = 3;
  std::promise<sio::socket> connected;
  std::promise<void> left;
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket s) {
    s.on_disconnect([&](sio::disconnect_reason) { left.set_value(); });
    connected.set_value(s);
  });
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  auto s = connected.get_future().get();
  auto sorted = [](std::vector<sio::room_id> r) {
    std::sort(r.begin(), r.end());
    return r;
  };
  auto sorted_rooms = [&] { return sorted(s.rooms()); };
  CHECK(s.join("a"));
  CHECK(s.join("b"));  // 3 with its own room: the limit
  CHECK(!s.join("c"));
  CHECK(s.join(std::vector<sio::room_id>{"a", "b"}));  // nothing new
  CHECK(!s.join(std::vector<sio::room_id>{"c", "d"}));
  CHECK(sorted_rooms() == sorted({s.id(), "a", "b"}));
  srv.io.sockets_join({"x"});  // skips the socket
  CHECK(adapter_of(srv.io.of("/")).room_size("x") == 0);
  s.leave("a");
  CHECK(s.join(std::vector<sio::room_id>{"c", "c"}));  // one room, counted once
  CHECK(sorted_rooms() == sorted({s.id(), "b", "c"}));

  c.send_sio("1");
  REQUIRE(left.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(!s.join("late"));
  CHECK(adapter_of(srv.io.of("/")).room_size("late") == 0);
  CHECK(s.rooms().empty());
  CHECK(srv.shut_down());
}

// ---- CORS (issue 11) ---------------------------------------------------------------------------

namespace {
/// A header's value in a response head ("" when absent).
std::string header_of(const std::string& response, const std::string& name) {
  auto head = response.substr(0, response.find("\r\n\r\n"));
  auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return head.substr(at, head.find("\r\n", at) - at);
}
std::string preflight(unsigned short port, const std::string& origin) {
  return http_roundtrip(port, "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: " + origin +
                                  "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
}
}  // namespace

TEST_CASE(
    "CORS: \"*\" is answered with \"*\", with credentials too; an Origin, or null, is reflected only when listed "
    "or accepted by allow_origin") {
  error_log log;
  struct expectation {
    std::string origin, allow_origin, credentials;
  };
  auto check = [&](sio::cors_options cors, std::vector<expectation> expected) {
    sio::server_options opts = reporting_to(log);
    opts.cors = std::move(cors);
    running_server srv(opts);
    srv.start();
    for (const auto& e : expected) {
      std::string res = preflight(srv.port(), e.origin);
      INFO(e.origin << "\n" << res);
      CHECK(res.rfind("HTTP/1.1 204", 0) == 0);
      CHECK(header_of(res, "Access-Control-Allow-Origin") == e.allow_origin);
      CHECK(header_of(res, "Access-Control-Allow-Credentials") == e.credentials);
    }
    std::string handshake =
        http_roundtrip(srv.port(), "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: " + expected[0].origin +
                                       "\r\nConnection: close\r\n\r\n");
    CHECK(header_of(handshake, "Access-Control-Allow-Origin") == expected[0].allow_origin);  // on the engine's answers too
    CHECK(srv.shut_down());
  };
  sio::cors_options any_with_credentials;
  any_with_credentials.origins = {"*"};
  any_with_credentials.credentials = true;
  check(any_with_credentials, {{"https://evil.example", "*", "true"}, {"null", "*", "true"}});

  sio::cors_options any;
  any.origins = {"*"};
  check(any, {{"https://evil.example", "*", ""}, {"null", "*", ""}});

  sio::cors_options listed;
  listed.origins = {"https://good.example"};
  listed.credentials = true;
  check(listed, {{"https://good.example", "https://good.example", "true"}, {"https://evil.example", "", ""}, {"null", "", ""}});

  sio::cors_options listed_and_any;
  listed_and_any.origins = {"*", "https://good.example"};
  listed_and_any.credentials = true;
  check(listed_and_any, {{"https://good.example", "https://good.example", "true"}, {"https://evil.example", "*", "true"}});

  sio::cors_options null_listed;
  null_listed.origins = {"null"};
  null_listed.credentials = true;
  check(null_listed, {{"null", "null", "true"}, {"https://evil.example", "", ""}});

  sio::cors_options decided;
  decided.credentials = true;
  decided.allow_origin = [](const std::string& origin) {
    if (origin == "https://boom.example") throw std::runtime_error("allow_origin failed");
    return origin == "https://good.example";
  };
  check(decided, {{"https://good.example", "https://good.example", "true"}, {"null", "", ""}, {"https://boom.example", "", ""}});
  CHECK(log.next(sio::error_source::http_hook).message == "allow_origin failed");
}

// ---- argument copies (issue 11, item 1) --------------------------------------------------------

TEST_CASE("an attachment named by two placeholders reaches every listener and parameter as one buffer, never copied") {
  running_server srv;
  std::mutex mutex;
  std::vector<const char*> buffers;
  std::promise<void> done;
  auto note = [&](const sio::value& v) {
    std::lock_guard<std::mutex> lock(mutex);
    buffers.push_back(v.is_binary() ? v.as_binary().view().data() : nullptr);
  };
  srv.io.on_connection([&](sio::socket s) {
    s.on("bin", [&](sio::binary a, sio::binary b) {  // not the last listener: converted, sharing
      note(sio::value{a});
      note(sio::value{b});
    });
    s.on("bin", [&](const sio::arguments& all) {
      for (const auto& v : all) note(v);
    });
    s.on("bin", [&](sio::value a, sio::binary b) {  // the last: takes them
      note(a);
      note(sio::value{b});
      done.set_value();
    });
  });
  srv.start();
  // Over polling: a BINARY_EVENT with one attachment named twice, in one POST.
  auto request = [&](const std::string& method, const std::string& query, const std::string& body = {}) {
    std::string res = http_roundtrip(
        srv.port(), method + " /socket.io/?EIO=4&transport=polling" + query + " HTTP/1.1\r\nHost: x\r\n" +
                        (body.empty() ? "" : "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") +
                        "Connection: close\r\n\r\n" + body);
    return res.substr(res.find("\r\n\r\n") + 4);
  };
  std::string open = request("GET", "");
  auto at = open.find("\"sid\":\"") + 7;
  std::string sid = "&sid=" + open.substr(at, open.find('"', at) - at);
  CHECK(request("POST", sid, "40") == "ok");
  CHECK(request("GET", sid).rfind("40{", 0) == 0);
  std::string attachment(100000, 'z');
  std::string b64;
  sio::detail::base64_encode(attachment, b64);
  CHECK(request("POST", sid,
                "451-[\"bin\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":0}]\x1e"
                "b" +
                    b64) == "ok");
  REQUIRE(done.get_future().wait_for(10s) == std::future_status::ready);
  std::lock_guard<std::mutex> lock(mutex);
  REQUIRE(buffers.size() == 6);
  for (const char* p : buffers) {
    CHECK(p != nullptr);
    CHECK(p == buffers.front());
  }
  CHECK(srv.shut_down());
}

TEST_CASE(
    "emit says what became of the packet: the outcome on the socket's strand, posted elsewhere unless a "
    "completion token hears it; on_drain runs once the client has everything") {
  sio::server_options opts;
  opts.strands = 1;
  std::promise<sio::socket> connected;
  std::vector<sio::emit_status> in_handler;
  std::atomic<int> drains{0};
  running_server srv(opts);
  srv.io.on_connection([&](sio::socket s) {
    s.on_drain([&] { ++drains; });
    in_handler.push_back(s.emit("hello", 1));
    // The connect reply and "hello" wait to be written (a handler's output leaves when it
    // returns): the transport cannot take a volatile packet now.
    in_handler.push_back(s.volatile_().emit("volatile", 2));
    connected.set_value(s);
  });
  srv.start();

  auto client = std::make_unique<sio_test::test_client>(srv.port());
  client->connect();
  sio::socket s = connected.get_future().get();
  CHECK(in_handler == std::vector<sio::emit_status>{sio::emit_status::queued, sio::emit_status::dropped});
  CHECK(is_event(client->next_matching([](const std::string& p) { return is_event(p, "hello"); }), "hello"));
  REQUIRE(eventually([&] { return drains.load() >= 1; }));
  int before = drains.load();  // the connect reply and "hello" left in one write

  // From this thread the emit is posted; a token hears the outcome on the socket's strand.
  CHECK(s.emit("posted", 3) == sio::emit_status::posted);
  std::future<sio::emit_status> outcome = s.emit("reported", 4, asio::use_future);
  CHECK(outcome.get() == sio::emit_status::queued);
  std::promise<sio::emit_status> by_callback;
  s.emit("by-callback", 5, [&](sio::emit_status st) { by_callback.set_value(st); });
  CHECK(by_callback.get_future().get() == sio::emit_status::queued);
  CHECK(is_event(client->next_matching([](const std::string& p) { return is_event(p, "posted"); }), "posted"));
  CHECK(is_event(client->next_matching([](const std::string& p) { return is_event(p, "reported"); }), "reported"));
  REQUIRE(eventually([&] { return drains.load() > before; }));

  // Once the socket is gone, nothing is queued.
  client.reset();
  REQUIRE(eventually([&] { return !s.connected(); }));
  CHECK(s.emit("gone", 6, asio::use_future).get() == sio::emit_status::closed);
  CHECK(srv.shut_down());
}

// ---- the socket handle (1.0) ---------------------------------------------------------------------

TEST_CASE("sio::socket is a copyable handle: copies are equal, hash alike, and name the same socket") {
  running_server srv;
  std::promise<sio::socket> connected;
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
  srv.start();
  sio_test::test_client a(srv.port()), b(srv.port());
  a.connect();
  sio::socket first = connected.get_future().get();
  connected = {};
  b.connect();
  sio::socket second = connected.get_future().get();

  sio::socket copy = first;
  CHECK(copy == first);
  CHECK(copy != second);
  CHECK(copy.id() == first.id());
  CHECK((copy < second) != (second < copy));
  CHECK(std::hash<sio::socket>{}(copy) == std::hash<sio::socket>{}(first));
  std::set<sio::socket> ordered{first, second, copy};
  std::unordered_set<sio::socket> hashed{first, second, copy};
  CHECK(ordered.size() == 2);
  CHECK(hashed.size() == 2);
  CHECK(hashed.count(copy) == 1);
  std::map<sio::socket, int> by_socket{{first, 1}};
  CHECK(by_socket[copy] == 1);

  CHECK_FALSE(sio::socket{});
  CHECK(first);
  CHECK(first.nsp() == srv.io.of("/"));
  CHECK(first.nsp().name() == "/");
  auto found = srv.io.sockets();  // handles made elsewhere compare equal too
  CHECK(std::count(found.begin(), found.end(), first) == 1);
  CHECK(std::count(found.begin(), found.end(), second) == 1);
  CHECK(srv.shut_down());
}

TEST_CASE("sio::socket: calls through '.' from another thread reach the socket's strand") {
  running_server srv;
  std::promise<sio::socket> connected;
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
  srv.start();
  // The client answers "ask" with "answer", whatever ack id it carries.
  sio_test::test_client client(srv.port(), [](const std::string& p) -> std::string {
    auto bracket = p.find('[');
    if (p.rfind("2", 0) != 0 || bracket < 2 || p.find("\"ask\"") == std::string::npos) return "";
    return "3" + p.substr(1, bracket - 1) + "[\"answer\"]";
  });
  client.connect();
  sio::socket s = connected.get_future().get();
  auto on_strand = [s] { return state_of(s).strand().running_in_this_thread(); };

  // Registered from this thread (not the strand): each is posted there and runs there.
  std::promise<bool> listener_on_strand, any_on_strand, middleware_on_strand;
  s.use([&, on_strand](sio::arguments&, sio::packet_next next) {
    middleware_on_strand.set_value(on_strand());
    next();
  });
  s.on_any([&, on_strand](const std::string&, const sio::arguments&) { any_on_strand.set_value(on_strand()); });
  s.once("ping", [&, s, on_strand](int n) {
    listener_on_strand.set_value(on_strand());
    s.emit("pong", n + 1);
  });
  CHECK(s.join(std::vector<sio::room_id>{"a", "b"}));
  CHECK(s.join("c"));
  s.leave("b");
  auto rooms = s.rooms();
  std::sort(rooms.begin(), rooms.end());
  std::vector<sio::room_id> expected{"a", "c", s.id()};
  std::sort(expected.begin(), expected.end());
  CHECK(rooms == expected);

  // What was posted before the event (the registrations) runs before it.
  client.send_sio("2[\"ping\",41]");
  CHECK(middleware_on_strand.get_future().get());
  CHECK(any_on_strand.get_future().get());
  CHECK(listener_on_strand.get_future().get());
  CHECK(client.next_matching([](const std::string& p) { return is_event(p, "pong"); }) == "2[\"pong\",42]");

  // emit_with_ack and the room operators from this thread too.
  auto reply = s.timeout(5s).emit_with_ack("ask", asio::use_future).get();
  CHECK(reply.get<std::string>(0) == "answer");
  srv.io.to("c").emit("to-c");
  CHECK(is_event(client.next_matching([](const std::string& p) { return is_event(p, "to-c"); }), "to-c"));
  s.disconnect();
  CHECK(client.next_matching([](const std::string& p) { return p.rfind("1", 0) == 0; }) == "1");
  REQUIRE(eventually([&] { return !s.connected(); }));
  CHECK(srv.shut_down());
}

namespace {
struct profile {
  std::string name;
  int visits = 0;
};
void to_json(sio::value& out, const profile& p) { out = sio::object{{"name", sio::to_value(p.name)}, {"visits", sio::to_value(p.visits)}}; }
bool from_json(const sio::value& in, profile& p) {
  const sio::value* name = in.find("name");
  const sio::value* visits = in.find("visits");
  return name && visits && sio::from_value(*name, p.name) && sio::from_value(*visits, p.visits);
}
}  // namespace

TEST_CASE("socket.data<T>(): typed and checked on the strand, with_data from elsewhere") {
  sio::server_options opts;
  std::promise<sio::handler_error> reported;
  std::atomic<bool> once{false};
  opts.on_handler_error = [&](const sio::handler_error& e) {
    if (!once.exchange(true)) reported.set_value(e);
  };
  running_server srv(opts);
  std::promise<sio::socket> connected;
  std::promise<std::string> mismatch;
  srv.io.on_connection([&](sio::socket s) {
    s.data<profile>().name = "ada";
    ++s.data<profile>().visits;
    try {
      s.data<int>();
      mismatch.set_value("no exception");
    } catch (const sio::data_type_error& e) {
      mismatch.set_value(e.what());
    }
    connected.set_value(s);
  });
  srv.start();
  sio_test::test_client client(srv.port());
  client.connect();
  sio::socket s = connected.get_future().get();
  std::string message = mismatch.get_future().get();
  CHECK(message.find("data<int>") != std::string::npos);
  CHECK(message.find("profile") != std::string::npos);  // the type it holds, by name

  // Off the strand the reference would race with the handlers: refused, with what to use instead.
  CHECK_THROWS_AS(s.data<profile>(), sio::usage_error);
  std::promise<int> visits;
  s.with_data<profile>([&](profile& p) { visits.set_value(++p.visits); });
  CHECK(visits.get_future().get() == 2);

  // The library sees it as a sio::value (what fetch_sockets across servers will carry).
  std::promise<std::string> as_json;
  asio::post(state_of(s).strand(), [&] { as_json.set_value(sio::json::stringify(state_of(s).data_value())); });
  CHECK(as_json.get_future().get() == R"({"name":"ada","visits":2})");

  // A wrong type in with_data is reported, not thrown into io_context::run.
  s.with_data<std::string>([](std::string&) {});
  sio::handler_error e = reported.get_future().get();
  CHECK(e.source == sio::error_source::event_handler);
  CHECK(e.event == "with_data");
  CHECK(e.message.find("data<std::") != std::string::npos);
  CHECK(srv.shut_down());
}

namespace {
/// One HTTP/1.1 request on its own connection; returns the response body.
std::string http_body(unsigned short port, const std::string& method, const std::string& target, const std::string& body = {}) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                    "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(sock, asio::buffer(req));
  std::string out;
  std::error_code ec;
  asio::read(sock, asio::dynamic_buffer(out), ec);  // to the end: Connection: close
  auto head_end = out.find("\r\n\r\n");
  return head_end == std::string::npos ? std::string{} : out.substr(head_end + 4);
}
}  // namespace

TEST_CASE("socket.conn(): what JavaScript's socket.conn offers, and on_upgrade on polling -> websocket") {
  running_server srv;
  std::promise<sio::socket> connected;
  std::promise<std::string> transport_at_connect;
  std::promise<std::string> upgraded_to;
  srv.io.on_connection([&](sio::socket s) {
    transport_at_connect.set_value(std::string{s.conn().transport()});
    s.conn().on_upgrade([&, s](std::string_view t) {
      upgraded_to.set_value(std::string{t} + "/" + std::string{s.conn().transport()});
      s.emit("upgraded", std::string{t});
    });
    connected.set_value(s);
  });
  srv.start();

  // Open a long-polling session and join "/" over it.
  std::string open = http_body(srv.port(), "GET", "/socket.io/?EIO=4&transport=polling");
  auto sid_at = open.find("\"sid\":\"");
  REQUIRE(sid_at != std::string::npos);
  std::string sid = open.substr(sid_at + 7, open.find('"', sid_at + 7) - sid_at - 7);
  std::string session = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
  CHECK(http_body(srv.port(), "POST", session, "40") == "ok");
  CHECK(http_body(srv.port(), "GET", session).rfind("40{\"sid\":", 0) == 0);
  sio::socket s = connected.get_future().get();
  CHECK(transport_at_connect.get_future().get() == "polling");
  sio::connection conn = s.conn();
  CHECK(conn == s.conn());
  CHECK(conn.id() == sid);
  CHECK(conn.id() != s.id());
  CHECK(conn.remote_address() == "127.0.0.1");
  CHECK(sio::connection::protocol() == 4);

  sio_test::test_client ws(srv.port(), sid, {});
  ws.wait_upgraded();
  CHECK(upgraded_to.get_future().get() == "websocket/websocket");
  CHECK(ws.next_matching([](const std::string& p) { return is_event(p, "upgraded"); }) == "2[\"upgraded\",\"websocket\"]");
  CHECK(srv.shut_down());
}

TEST_CASE("socket.conn().close() drops the transport without a DISCONNECT; conn().on_close follows the sockets") {
  running_server srv;
  std::promise<sio::socket> connected;
  std::mutex mutex;
  std::vector<std::string> order;
  auto note = [&](std::string what) {
    std::lock_guard<std::mutex> lock(mutex);
    order.push_back(std::move(what));
  };
  srv.io.on_connection([&](sio::socket s) {
    s.on_disconnect([&](sio::disconnect_reason r) { note("socket:" + std::string{sio::to_string(r)}); });
    s.conn().on_close([&](sio::disconnect_reason r) { note("conn:" + std::string{sio::to_string(r)}); });
    connected.set_value(s);
  });
  srv.start();
  sio_test::test_client client(srv.port());
  client.connect();
  sio::socket s = connected.get_future().get();
  s.conn().close();
  client.wait_closed();
  // The WebSocket closes with no Socket.IO DISCONNECT before it: socket.io-client calls that
  // "transport close" and reconnects (tests/interop/sio_lifecycle checks it with the official client).
  CHECK_THROWS(client.next_matching([](const std::string& p) { return p.rfind("1", 0) == 0; }, 0ms));
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return order.size() == 2;
  }));
  CHECK(order == std::vector<std::string>{"socket:forced close", "conn:forced close"});
  CHECK(srv.shut_down());
}

namespace {
/// An in-memory adapter that notes when sessions are persisted and when it is closed.
class recording_adapter : public sio::in_memory_adapter {
 public:
  explicit recording_adapter(sio::adapter_host& host) : in_memory_adapter(host) {}
  void persist_session(const sio::persisted_session& session) override {
    in_memory_adapter::persist_session(session);
    note("persist " + session.sid);
  }
  void close() override {
    note("close");
    in_memory_adapter::close();
  }
  static std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mutex());
    return events();
  }
  static void reset() {
    std::lock_guard<std::mutex> lock(mutex());
    events().clear();
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::string>& events() {
    static std::vector<std::string> e;
    return e;
  }
  static void note(std::string what) {
    std::lock_guard<std::mutex> lock(mutex());
    events().push_back(std::move(what));
  }
};
using recording_server = basic_running_server<sio::server<sio::transport::any, recording_adapter>>;
}  // namespace

TEST_CASE("io.close() with connection state recovery: every socket persists its session before the adapters close") {
  recording_adapter::reset();
  sio::server_options opts;
  opts.connection_state_recovery.emplace();
  recording_server srv(opts, 2);
  std::atomic<int> connected{0};
  srv.io.on_connection([&](sio::socket) { ++connected; });
  srv.start();
  std::vector<std::unique_ptr<sio_test::test_client>> clients;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<sio_test::test_client>(srv.port()));
    ids.push_back(clients.back()->connect());
  }
  REQUIRE(eventually([&] { return connected == 3; }));
  CHECK(srv.shut_down());
  auto log = recording_adapter::log();
  REQUIRE(log.size() == 4);
  CHECK(log.back() == "close");
  std::sort(log.begin(), log.end() - 1);
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(log[i] == "persist " + ids[i]);
}

namespace {
std::string http_get(unsigned short port, const std::string& target) {
  return http_roundtrip(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}
}  // namespace

TEST_CASE("io.drain(): idle clients are closed without DISCONNECT, the handshake of a new one gets 503, then done runs") {
  sio::server_options opts;
  opts.readiness_path = "/ready";
  running_server srv(opts, 2);
  std::mutex mutex;
  std::vector<std::string> reasons;
  std::atomic<int> connected{0};
  std::promise<std::string> acked;
  srv.io.on_connection([&](sio::socket s) {
    s.on_disconnect([&](sio::disconnect_reason r) {
      std::lock_guard<std::mutex> lock(mutex);
      reasons.emplace_back(sio::to_string(r));
    });
    // The first client is asked for an ack it answers only once the drain has started: the
    // drain waits for it.
    if (connected++ == 0) s.emit_with_ack("hold", [&](std::error_code ec, sio::arguments) { acked.set_value(ec ? ec.message() : "ok"); });
  });
  srv.start();
  sio_test::test_client a(srv.port()), b(srv.port());
  a.connect();
  a.next_matching([](const std::string& p) { return p.rfind("20[\"hold\"", 0) == 0; });
  b.connect();
  CHECK(http_get(srv.port(), "/ready").rfind("HTTP/1.1 200", 0) == 0);
  std::promise<void> done;
  srv.io.drain(10s, [&] { done.set_value(); });
  CHECK(srv.io.draining());
  CHECK(http_get(srv.port(), "/ready").rfind("HTTP/1.1 503", 0) == 0);
  CHECK(http_get(srv.port(), "/socket.io/?EIO=4&transport=polling").rfind("HTTP/1.1 503", 0) == 0);
  b.wait_closed();  // idle: at once
  a.send_sio("30[]");
  auto ack = acked.get_future();
  REQUIRE(ack.wait_for(10s) == std::future_status::ready);
  CHECK(ack.get() == "ok");
  a.wait_closed();
  REQUIRE(done.get_future().wait_for(10s) == std::future_status::ready);
  CHECK_THROWS(a.next_matching([](const std::string& p) { return p.rfind("1", 0) == 0; }, 0ms));
  {
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(reasons == std::vector<std::string>{"server shutting down", "server shutting down"});
  }
  CHECK(srv.shut_down());
}

TEST_CASE("io.drain() on a mounted server (it owns no listener): new handshakes get 503, readiness 503, then done runs") {
  using sio::transport::memory_stream;
  asio::io_context ctx;
  sio::server_options opts;
  opts.readiness_path = "/ready";
  sio::server<> io(ctx, opts);
  std::vector<std::unique_ptr<memory_stream::peer>> peers;
  std::vector<memory_stream> returned;
  // One request handed over by "the user's server"; returns sio's answer.
  auto serve = [&](const std::string& target) {
    auto [stream, peer] = memory_stream::make_pair(ctx.get_executor());
    peers.push_back(std::make_unique<memory_stream::peer>(std::move(peer)));
    sio::mounted_request head;
    head.method = "GET";
    head.target = target;
    head.headers.emplace_back("Host", "x");
    sio::async_serve(io, std::move(stream), std::move(head), "",
                     [&](std::error_code, memory_stream s, std::string) { returned.push_back(std::move(s)); });
    ctx.restart();
    ctx.poll();
    return peers.back()->receive();
  };
  CHECK(serve("/socket.io/?EIO=4&transport=polling").rfind("HTTP/1.1 200", 0) == 0);
  CHECK(serve("/ready").rfind("HTTP/1.1 200", 0) == 0);
  bool done = false;
  io.drain(300ms, [&] { done = true; });
  CHECK(serve("/socket.io/?EIO=4&transport=polling").rfind("HTTP/1.1 503", 0) == 0);
  CHECK(serve("/ready").rfind("HTTP/1.1 503", 0) == 0);
  auto limit = std::chrono::steady_clock::now() + 10s;
  while (!done && std::chrono::steady_clock::now() < limit) {
    ctx.restart();
    ctx.run_for(10ms);
  }
  CHECK(done);
  CHECK(io.engine().session_count() == 0);
  for (auto& p : peers) p->reset();
  ctx.restart();
  ctx.poll();
}

TEST_CASE("listen: the error_code overload reports a port in use; the throwing one throws") {
  running_server first;
  first.start();
  asio::io_context ctx;
  sio::server<> second{ctx};
  std::error_code ec;
  second.listen(first.port(), "127.0.0.1", ec);
  CHECK(ec == asio::error::address_in_use);
  CHECK(second.port() == 0);
  CHECK_THROWS_AS(second.listen(first.port(), "127.0.0.1"), std::system_error);
  second.listen(0, "not an address", ec);
  CHECK(ec);
  second.listen(0, "127.0.0.1", ec);  // and it can still listen elsewhere
  CHECK_FALSE(ec);
  CHECK(second.port() != 0);
  CHECK(second.port() != first.port());
  second.close();
  CHECK(first.shut_down());
}

// ---- a cluster in one process ------------------------------------------------------------------
namespace {

/// What a Redis adapter carries over the network, carried here by function calls: each server's
/// adapter finds the other servers' adapters for the same namespace in a registry and asks their
/// adapter_host, as Node's adapters do through Redis. Enough to show that the adapter interface
/// carries every cluster operation end to end.
class fake_cluster_adapter : public sio::in_memory_adapter {
 public:
  // Longer than the tests wait: a request that ends sooner was bounded by its own timeout().
  static inline std::chrono::milliseconds default_request_timeout = 30s;

  explicit fake_cluster_adapter(sio::adapter_host& host) : in_memory_adapter(host) {
    std::lock_guard<std::mutex> lock(registry_mutex());
    registry().push_back(this);
  }
  ~fake_cluster_adapter() override {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto& r = registry();
    r.erase(std::remove(r.begin(), r.end(), this), r.end());
  }

  std::size_t broadcast(const sio::parser::packet& packet, const sio::frame_list& frames, const sio::broadcast_options& opts) override {
    auto n = in_memory_adapter::broadcast(packet, frames, opts);
    if (!opts.local)
      for (auto* other : others()) other->host_.broadcast_local(packet, opts);
    return n;
  }
  void broadcast_with_ack(const sio::parser::packet& packet, const sio::broadcast_options& opts, sio::client_count_handler client_count,
                          sio::remote_ack_handler on_ack) override {
    std::size_t remote_clients = 0;
    if (!opts.local)
      for (auto* other : others())
        other->host_.broadcast_local_with_ack(
            packet, opts, [&](std::size_t n) { remote_clients += n; }, on_ack);
    client_count(remote_clients);
  }
  void fetch_sockets(const sio::broadcast_options& opts, sio::request_timeout, sio::fetch_sockets_handler done) override {
    struct gathering {
      std::mutex mutex;
      std::size_t pending = 0;
      std::vector<sio::socket_details> found;
      sio::fetch_sockets_handler done;
    };
    auto servers = opts.local ? std::vector<fake_cluster_adapter*>{this} : cluster();
    auto g = std::make_shared<gathering>();
    g->pending = servers.size();
    g->done = std::move(done);
    for (auto* server : servers)
      server->host_.local_socket_details(opts, [g](std::vector<sio::socket_details> found) {
        std::unique_lock<std::mutex> lock(g->mutex);
        for (auto& d : found) g->found.push_back(std::move(d));
        if (--g->pending != 0) return;
        auto all = std::move(g->found);
        lock.unlock();
        g->done({}, std::move(all));
      });
  }
  void add_sockets(const sio::broadcast_options& opts, const std::vector<sio::room_id>& rooms) override {
    for (auto* server : targets(opts)) server->host_.join_local(opts, rooms);
  }
  void del_sockets(const sio::broadcast_options& opts, const std::vector<sio::room_id>& rooms) override {
    for (auto* server : targets(opts)) server->in_memory_adapter::del_sockets(opts, rooms);
  }
  void disconnect_sockets(const sio::broadcast_options& opts, bool close) override {
    for (auto* server : targets(opts)) server->host_.disconnect_local(opts, close);
  }
  std::vector<sio::room_id> all_rooms() const override {
    std::set<sio::room_id> rooms;
    for (auto* server : cluster())
      for (auto& r : server->in_memory_adapter::all_rooms()) rooms.insert(r);
    return {rooms.begin(), rooms.end()};
  }
  std::size_t server_count() const override { return cluster().size(); }
  void server_side_emit(const std::string& event, const std::vector<sio::value>& args) override {
    for (auto* other : others()) other->host_.server_side_event(event, args);
  }
  void server_side_emit_with_ack(const std::string& event, const std::vector<sio::value>& args, sio::request_timeout timeout,
                                 sio::server_replies_handler done) override {
    struct request {
      std::mutex mutex;
      std::size_t pending = 0;
      std::vector<sio::value> replies;
      sio::server_replies_handler done;
      std::unique_ptr<asio::steady_timer> timer;
      void finish(std::unique_lock<std::mutex>& lock, std::error_code ec) {
        if (!done) return;
        auto fn = std::move(done);
        done = nullptr;
        auto got = std::move(replies);
        timer->cancel();
        lock.unlock();
        fn(ec, std::move(got));
      }
    };
    auto peers = others();
    if (peers.empty()) return done({}, {});
    auto r = std::make_shared<request>();
    std::unique_lock<std::mutex> lock(r->mutex);
    r->pending = peers.size();
    r->done = std::move(done);
    r->timer = std::make_unique<asio::steady_timer>(host_.executor(), timeout.value_or(default_request_timeout));
    r->timer->async_wait([r](std::error_code ec) {
      std::unique_lock<std::mutex> lock(r->mutex);
      if (!ec) r->finish(lock, sio::make_error_code(sio::errc::ack_timeout));
    });
    lock.unlock();
    for (auto* peer : peers)
      peer->host_.server_side_event_with_ack(event, args, [r](sio::value reply) {
        std::unique_lock<std::mutex> lock(r->mutex);
        if (!r->done) return;
        r->replies.push_back(std::move(reply));
        if (--r->pending == 0) r->finish(lock, {});
      });
  }

 private:
  static std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<fake_cluster_adapter*>& registry() {
    static std::vector<fake_cluster_adapter*> r;
    return r;
  }
  /// Every server's adapter for this namespace, this one included.
  std::vector<fake_cluster_adapter*> cluster() const {
    std::lock_guard<std::mutex> lock(registry_mutex());
    std::vector<fake_cluster_adapter*> out;
    for (auto* a : registry())
      if (a->host_.name() == host_.name()) out.push_back(a);
    return out;
  }
  std::vector<fake_cluster_adapter*> others() {
    auto all = cluster();
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
    return all;
  }
  std::vector<fake_cluster_adapter*> targets(const sio::broadcast_options& opts) {
    return opts.local ? std::vector<fake_cluster_adapter*>{this} : cluster();
  }
};

using cluster_server = basic_running_server<sio::server<sio::transport::any, fake_cluster_adapter>>;

/// A client that acknowledges every event with its own name.
sio_test::test_client::responder acks_with(std::string name) {
  return [name](const std::string& p) -> std::string {
    if (p.rfind("2", 0) != 0) return "";
    std::string id = p.substr(1, p.find('[') - 1);
    return id.empty() ? "" : "3" + id + "[\"" + name + "\"]";
  };
}

}  // namespace

TEST_CASE("cluster adapter: fetch_sockets across servers with handshake, rooms and data; remote_socket acts on the other server") {
  cluster_server a, b;
  std::promise<void> a_ready, b_ready;
  a.io.on_connection([&](sio::socket s) {
    s.data<std::string>() = "on-a";
    a_ready.set_value();
  });
  b.io.on_connection([&](sio::socket s) {
    s.data<std::string>() = "on-b";
    s.join("r");
    b_ready.set_value();
  });
  a.start();
  b.start();
  sio_test::test_client client_a(a.port()), client_b(b.port());
  client_a.connect();
  std::string id_b = client_b.connect();
  a_ready.get_future().get();
  b_ready.get_future().get();

  auto fetched = a.io.fetch_sockets(asio::use_future);
  REQUIRE(fetched.wait_for(10s) == std::future_status::ready);
  std::vector<sio::remote_socket> found = fetched.get();
  REQUIRE(found.size() == 2);
  auto on_b = std::find_if(found.begin(), found.end(), [&](const sio::remote_socket& s) { return s.id() == id_b; });
  REQUIRE(on_b != found.end());
  sio::remote_socket remote = *on_b;
  CHECK(remote.data<std::string>() == "on-b");
  CHECK(remote.data() == sio::value{"on-b"});
  CHECK_THROWS_AS(remote.data<int>(), sio::data_type_error);
  auto rooms = remote.rooms();
  std::sort(rooms.begin(), rooms.end());
  auto expected = std::vector<sio::room_id>{"r", id_b};
  std::sort(expected.begin(), expected.end());
  CHECK(rooms == expected);
  CHECK(remote.handshake().address == "127.0.0.1");
  CHECK(remote.handshake().url.rfind("/socket.io/", 0) == 0);

  // local(): this server's only; a room selects across servers.
  auto local = a.io.local().fetch_sockets(asio::use_future).get();
  REQUIRE(local.size() == 1);
  CHECK(local[0].data<std::string>() == "on-a");
  CHECK(a.io.in("r").fetch_sockets(asio::use_future).get().size() == 1);

  // Its actions reach it on server b.
  remote.emit("direct", 7);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "direct"); }) == "2[\"direct\",7]");
  remote.join("x");
  REQUIRE(eventually([&] { return b.io.in("x").sockets().size() == 1; }));
  remote.leave("r");
  REQUIRE(eventually([&] { return b.io.in("r").sockets().empty(); }));
  a.io.to("x").emit("to-x", 1);  // a room on another server
  CHECK(is_event(client_b.next_matching([](const std::string& p) { return is_event(p, "to-x"); }), "to-x"));
  a.io.in("x").sockets_leave({"x"});
  REQUIRE(eventually([&] { return b.io.in("x").sockets().empty(); }));

  remote.disconnect(true);
  client_b.wait_closed();
  REQUIRE(eventually([&] { return b.io.sockets().empty(); }));
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("cluster adapter: a broadcast with acks counts the other servers' clients and gets their acks") {
  cluster_server a, b;
  std::atomic<int> connected{0};
  a.io.on_connection([&](sio::socket) { ++connected; });
  b.io.on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  sio_test::test_client client_a(a.port(), acks_with("a")), client_b1(b.port(), acks_with("b1")), client_b2(b.port(), acks_with("b2"));
  client_a.connect();
  client_b1.connect();
  client_b2.connect();
  REQUIRE(eventually([&] { return connected.load() == 3; }));

  auto replies = a.io.timeout(5s).emit_with_ack("ask", 1, asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  std::vector<std::string> names;
  for (const auto& r : replies.get()) names.push_back(r.get<std::string>(0).value_or("?"));
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"a", "b1", "b2"});

  // local(): the other server's clients are not asked.
  auto local = a.io.local().timeout(5s).emit_with_ack("ask", 2, asio::use_future);
  REQUIRE(local.wait_for(10s) == std::future_status::ready);
  CHECK(local.get().size() == 1);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("cluster adapter: server_side_emit_with_ack gets each other server's reply, or times out") {
  cluster_server a, b, c;
  b.io.on_server_side_event([](const std::string& event, sio::arguments args, std::function<void(sio::value)> reply) {
    if (event == "ping") reply(sio::value{"pong " + std::to_string(args.get<int>(0).value_or(-1))});
  });
  c.io.on_server_side_event([](const std::string& event, sio::arguments, std::function<void(sio::value)> reply) {
    if (event == "ping" || event == "quiet") reply(sio::value{"pong from c"});
  });
  std::promise<int> hello;
  a.io.on_server_side_event([&](const std::string& event, sio::arguments args) {  // the overload without reply
    if (event == "hello") hello.set_value(args.get<int>(0).value_or(-1));
  });
  a.start();
  b.start();
  c.start();

  auto replies = a.io.server_side_emit_with_ack("ping", 5, asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  std::vector<std::string> texts;
  for (const auto& v : replies.get()) texts.push_back(sio::from_value<std::string>(v).value_or("?"));
  std::sort(texts.begin(), texts.end());
  CHECK(texts == std::vector<std::string>{"pong 5", "pong from c"});

  // b does not answer "quiet": the request times out after timeout(), and a callback still hears
  // c's reply.
  std::promise<std::pair<std::error_code, std::size_t>> partial;
  a.io.timeout(100ms).server_side_emit_with_ack("quiet", 6, [&](std::error_code ec, std::vector<sio::value> r) {
    partial.set_value({ec, r.size()});
  });
  auto outcome = partial.get_future();
  REQUIRE(outcome.wait_for(10s) == std::future_status::ready);
  auto [ec, count] = outcome.get();
  CHECK(ec == sio::errc::ack_timeout);
  CHECK(count == 1);

  b.io.server_side_emit("hello", 9);
  auto heard = hello.get_future();
  REQUIRE(heard.wait_for(10s) == std::future_status::ready);
  CHECK(heard.get() == 9);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
  CHECK(c.shut_down());
}

TEST_CASE("one server: fetch_sockets completes with its sockets' data; server_side_emit_with_ack with no replies") {
  error_log log;
  sio::server_options opts;
  opts.on_handler_error = log.hook();
  running_server srv(opts);
  std::promise<void> ready;
  srv.io.on_connection([&](sio::socket s) {
    s.data<std::string>() = "mine";
    ready.set_value();
  });
  srv.start();
  sio_test::test_client client(srv.port());
  client.connect();
  ready.get_future().get();
  auto found = srv.io.fetch_sockets(asio::use_future).get();
  REQUIRE(found.size() == 1);
  CHECK(found[0].data<std::string>() == "mine");
  CHECK(srv.io.in("nobody").fetch_sockets(asio::use_future).get().empty());
  CHECK(srv.io.server_side_emit_with_ack("ping", asio::use_future).get().empty());
  // A completion that throws is reported, not lost.
  srv.io.fetch_sockets([](std::error_code, std::vector<sio::remote_socket>) { throw std::runtime_error("fetch callback failed"); });
  auto e = log.next(sio::error_source::request_callback);
  CHECK(e.event == "fetch_sockets");
  CHECK(e.message == "fetch callback failed");
  CHECK(srv.shut_down());
}
