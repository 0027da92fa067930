// transport::connection driven through memory_stream: what a hostile peer can make one
// connection do, measured exactly (stack depth, queued output, unread input, when it closes).

#include <catch2/catch_test_macros.hpp>

#include <sio/transport/connection.hpp>
#include <sio/transport/memory_stream.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace sio::transport;

/// Answers every request at once with `body`, except that it holds the first GET to /held until
/// release() (a long-polling GET). Records how deep the stack is at each request.
class fake_handler final : public request_handler {
 public:
  std::string body = "ok";
  int requests = 0;
  std::shared_ptr<http_exchange> held;
  std::shared_ptr<websocket_channel> ws;
  std::vector<std::string> messages;
  std::uintptr_t first_stack = 0;
  std::size_t deepest = 0;  ///< bytes of stack below the first request's frame

  void handle_http(std::shared_ptr<http_exchange> ex) override {
    char marker;
    auto here = reinterpret_cast<std::uintptr_t>(&marker);
    if (!first_stack) first_stack = here;
    if (here < first_stack) deepest = std::max<std::size_t>(deepest, first_stack - here);
    ++requests;
    if (ex->request().path == "/held" && !held) {
      held = std::move(ex);
      return;
    }
    http_response res;
    res.body = body;
    ex->respond(std::move(res));
  }
  void handle_upgrade(std::shared_ptr<websocket_upgrade> up) override {
    up->accept(up->slot(), 1 << 20, {}, [this](std::shared_ptr<websocket_channel> channel) {
      ws = channel;
      ws->set_handlers([this](std::string data, bool) { messages.push_back(std::move(data)); }, [] {});
    });
  }
  void release() {
    http_response res;
    res.body = "held";
    std::exchange(held, nullptr)->respond(std::move(res));
  }
};

struct rig {
  asio::io_context ctx;
  std::shared_ptr<fake_handler> handler = std::make_shared<fake_handler>();
  std::shared_ptr<strand_pool> strands = std::make_shared<strand_pool>(ctx, 1);
  std::shared_ptr<memory_budget> budget = std::make_shared<memory_budget>();
  std::shared_ptr<connection_settings> settings = [this] {
    auto s = std::make_shared<connection_settings>();
    s->handler = handler;
    s->strands = strands;
    s->budget = budget;
    s->limiter = std::make_shared<connection_limiter>(0, 0);
    return s;
  }();
  std::unique_ptr<memory_stream::peer> peer;

  void open() {
    auto slot = strands->next();
    auto [stream, p] = memory_stream::make_pair(slot->strand());
    peer = std::make_unique<memory_stream::peer>(std::move(p));
    std::make_shared<connection<memory_stream>>(std::move(stream), slot, settings)->start();
    settle();
  }
  ~rig() {
    // The handler holds the channel, and the connection the settings that hold the handler.
    if (peer) peer->reset();
    handler->ws.reset();
    handler->held.reset();
    settle();
  }
  /// Runs everything that is ready (no timers wait here unless a test asks).
  void settle() {
    ctx.restart();
    ctx.poll();
  }
};

std::string get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"; }

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string masked_frame(std::uint8_t opcode, const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  f += static_cast<char>(0x80 | payload.size());  // short payloads only
  const char mask[4] = {1, 2, 3, 4};
  f.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

}  // namespace

TEST_CASE("connection: pipelined requests answered at once behind a held GET use constant stack", "[transport][connection]") {
  for (int n : {100, 1000, 10000}) {
    rig r;
    r.open();
    std::string burst = get("/held");
    for (int i = 0; i < n; ++i) burst += get("/next");
    r.peer->send(burst);
    r.settle();
    REQUIRE(r.handler->held);
    r.handler->release();  // every pipelined request behind it is answered in one go
    std::string out;
    for (int round = 0; round < 10000 && r.handler->requests < n + 1; ++round) {
      out += r.peer->receive();
      r.settle();
    }
    out += r.peer->receive();
    CHECK(r.handler->requests == n + 1);
    CHECK(count(out, "HTTP/1.1 200 OK") == static_cast<std::size_t>(n + 1));
    // A recursion from each answer into the next request would go ~1 KiB deeper per request.
    CHECK(r.handler->deepest < 16 * 1024);
  }
}

TEST_CASE("connection: a peer that pipelines without reading stops being read", "[transport][connection]") {
  for (std::size_t n : {100u, 1000u, 10000u}) {
    rig r;
    r.settings->output_pause_bytes = 64 * 1024;
    r.handler->body = std::string(8 * 1024, 'b');  // a small file, like a 404 page or a .map
    r.open();
    r.peer->set_window(16 * 1024);  // what the kernel would buffer before the peer reads
    std::string burst;
    for (std::size_t i = 0; i < n; ++i) burst += get("/file");
    r.peer->send(burst);
    r.settle();
    // Output stops at the bound (plus one response, and the budget's 16 KiB steps), and the rest
    // of the requests stay unread in the "kernel", costing the server nothing.
    CHECK(r.budget->used() <= 64 * 1024 + 8 * 1024 + 1024 + 16 * 1024);
    CHECK(r.handler->requests < 20);
    if (n >= 10000) CHECK(r.peer->unread_input() > 0);  // fewer fit in the first read
    // The peer reads: everything is answered, in order.
    std::string out;
    for (int round = 0; round < 100000 && count(out, "HTTP/1.1 200 OK") < n; ++round) {
      out += r.peer->receive();
      r.settle();
    }
    CHECK(count(out, "HTTP/1.1 200 OK") == n);
  }
}

TEST_CASE("connection: an error response lingers until the peer closes, so that it reads the status", "[transport][connection]") {
  rig r;
  r.settings->limits.max_body_bytes = 1000;
  r.open();
  r.peer->send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(1000, 'x'));
  r.settle();
  std::string out = r.peer->receive();
  CHECK(out.rfind("HTTP/1.1 413 ", 0) == 0);
  CHECK(out.find("Connection: close") != std::string::npos);
  CHECK(r.peer->server_done_sending());
  CHECK_FALSE(r.peer->server_closed());
  // The rest of the body is read and dropped, not left to make the kernel send a reset.
  r.peer->send(std::string(4000, 'x'));
  r.settle();
  CHECK(r.peer->unread_input() == 0);
  CHECK_FALSE(r.peer->server_closed());
  r.peer->shutdown_send();
  r.settle();
  CHECK(r.peer->server_closed());
}

TEST_CASE("connection: lingering ends after linger_timeout even if the peer never closes", "[transport][connection]") {
  rig r;
  r.settings->linger_timeout = std::chrono::milliseconds{20};
  r.open();
  r.peer->send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nTransfer-Encoding: chunked\r\n\r\n");
  r.settle();
  CHECK(r.peer->receive().rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK_FALSE(r.peer->server_closed());
  r.ctx.restart();
  r.ctx.run_for(std::chrono::seconds{5});  // returns as soon as the connection is gone
  CHECK(r.peer->server_closed());
}

TEST_CASE("connection: HEAD gets the headers of the answer without its body", "[transport][connection]") {
  rig r;
  r.handler->body = "twelve bytes";
  r.open();
  r.peer->send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n" + get("/y"));
  r.settle();
  std::string out = r.peer->receive();
  std::string first = out.substr(0, out.find("\r\n\r\n") + 4);
  CHECK(first.find("Content-Length: 12") != std::string::npos);
  // The next response follows the first one's head directly: no body in between.
  CHECK(out.substr(first.size()).rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(count(out, "twelve bytes") == 1);
}

TEST_CASE("connection: a ping flood without reading holds one pong", "[transport][connection]") {
  for (int n : {10, 100, 10000}) {
    rig r;
    r.open();
    r.peer->send(
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    r.settle();
    REQUIRE(r.handler->ws);
    REQUIRE(r.peer->receive().rfind("HTTP/1.1 101 ", 0) == 0);
    r.peer->set_window(0);  // the peer stops reading
    std::string pings;
    for (int i = 0; i < n; ++i) pings += masked_frame(0x9, std::to_string(i));
    r.peer->send(pings);
    r.settle();
    // Pings read together are answered by one pong, which each newer ping replaces until it is
    // handed to the socket; so at most two are held: one being written, and the latest.
    std::string last = std::string("\x8a") + static_cast<char>(std::to_string(n - 1).size()) + std::to_string(n - 1);
    CHECK(r.handler->ws->buffered_bytes() <= 2 * last.size());
    CHECK(r.handler->ws->buffered_memory() < 512);
    r.peer->set_window(1 << 20);
    r.settle();
    std::string out = r.peer->receive();
    CHECK(out.size() <= 2 * last.size());
    CHECK(out.substr(out.size() - last.size()) == last);
  }
}

TEST_CASE("connection: a WebSocket whose peer does not read stops being read", "[transport][connection]") {
  rig r;
  r.settings->output_pause_bytes = 32 * 1024;
  r.open();
  r.peer->send(
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  r.settle();
  REQUIRE(r.handler->ws);
  r.peer->receive();
  r.peer->set_window(0);
  auto big = std::make_shared<const std::string>(40 * 1024, 'z');
  r.handler->ws->send(false, big);  // over the bound: the connection pauses its reading
  r.settle();
  // The read already waiting completes; no other is started while the output is over the bound.
  r.peer->send(masked_frame(0x1, "a"));
  r.settle();
  r.peer->send(masked_frame(0x1, "b"));
  r.settle();
  CHECK(r.handler->messages == std::vector<std::string>{"a"});
  CHECK(r.peer->unread_input() > 0);
  r.peer->set_window(1 << 20);
  r.settle();
  r.peer->receive();
  r.settle();
  CHECK(r.handler->messages == std::vector<std::string>{"a", "b"});
}

namespace {

std::string proxy_v2_ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += '\x21';  // version 2, PROXY
  h += '\x11';  // TCP over IPv4
  h += '\x00';
  h += '\x0c';                                                     // 12 bytes of addresses
  for (std::uint8_t x : {a, b, c, d}) h += static_cast<char>(x);   // source
  for (std::uint8_t x : {10, 0, 0, 1}) h += static_cast<char>(x);  // destination
  h += "\x9c\x40\x0b\xb8";                                         // ports 40000 -> 3000
  return h;
}

/// Records the client address each request was seen from.
class address_recorder final : public request_handler {
 public:
  std::vector<std::string> seen;
  void handle_http(std::shared_ptr<http_exchange> ex) override {
    seen.push_back(ex->request().remote_address);
    ex->respond(http_response{});
  }
  void handle_upgrade(std::shared_ptr<websocket_upgrade>) override {}
};

}  // namespace

TEST_CASE("client address: PROXY v2 headers are parsed, and only whole and well-formed ones", "[transport][proxy]") {
  proxy_header_reader r;
  std::string h = proxy_v2_ipv4(203, 0, 113, 9);
  for (std::size_t cut = 0; cut < h.size(); ++cut) CHECK(r.parse(h.substr(0, cut)) == proxy_header_reader::status::need_more);
  REQUIRE(r.parse(h) == proxy_header_reader::status::done);
  CHECK(r.size() == 28);
  CHECK(r.source()->to_string() == "203.0.113.9");
  CHECK(r.parse("GET / HTTP/1.1\r\n") == proxy_header_reader::status::error);  // no signature
  std::string local = h.substr(0, 12) + std::string("\x20\x00\x00\x00", 4);    // LOCAL: no address
  REQUIRE(r.parse(local) == proxy_header_reader::status::done);
  CHECK_FALSE(r.source());
  std::string huge = h.substr(0, 14) + "\xff\xff";  // announces 65,535 bytes of addresses
  CHECK(r.parse(huge) == proxy_header_reader::status::error);
  std::string v1 = h;
  v1[12] = '\x11';  // version 1 in the binary form does not exist
  CHECK(r.parse(v1) == proxy_header_reader::status::error);
}

TEST_CASE("client address: X-Forwarded-For is read from the right, skipping trusted proxies", "[transport][proxy]") {
  proxy_trust trust;
  trust.trusted = {ip_network::parse("10.0.0.0/8"), ip_network::parse("::1")};
  CHECK(trust.forwarded_for("198.51.100.7, 10.1.2.3")->to_string() == "198.51.100.7");
  // A client cannot prepend an address of its choosing: the nearest untrusted one counts.
  CHECK(trust.forwarded_for("1.1.1.1, 198.51.100.7, 10.1.2.3")->to_string() == "198.51.100.7");
  CHECK(trust.forwarded_for("garbage, 10.1.2.3")->to_string() == "10.1.2.3");
  CHECK_FALSE(trust.forwarded_for(""));
  CHECK(trust.trusts(asio::ip::make_address("::ffff:10.9.9.9")));
  CHECK_FALSE(trust.trusts(asio::ip::make_address("11.0.0.1")));
  CHECK_THROWS_AS(ip_network::parse("10.0.0.0/33"), std::invalid_argument);
}

TEST_CASE("connection: a trusted proxy's PROXY header names the client; others' headers are not believed", "[transport][proxy]") {
  auto recorder = std::make_shared<address_recorder>();
  {
    rig r;
    r.settings->handler = recorder;
    r.settings->proxies.trusted = {ip_network::parse("192.0.2.0/24")};  // memory_stream's peer
    r.settings->proxies.proxy_protocol = true;
    r.open();
    r.peer->send(proxy_v2_ipv4(203, 0, 113, 9) + get("/a"));
    r.settle();
    CHECK(recorder->seen == std::vector<std::string>{"203.0.113.9"});
  }
  {
    rig r;
    r.settings->handler = recorder;  // the peer is not trusted: the header is a bad request
    r.open();
    r.peer->send(proxy_v2_ipv4(203, 0, 113, 9) + get("/b"));
    r.settle();
    CHECK(r.peer->receive().rfind("HTTP/1.1 400 ", 0) == 0);
    CHECK(recorder->seen.size() == 1);
  }
  {
    rig r;
    r.settings->handler = recorder;
    r.settings->proxies.trusted = {ip_network::parse("192.0.2.0/24")};
    r.open();
    r.peer->send("GET /c HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n");
    r.settle();
    CHECK(recorder->seen.back() == "198.51.100.7");
  }
  {
    rig r;
    r.settings->handler = recorder;  // untrusted: X-Forwarded-For is ignored
    r.open();
    r.peer->send("GET /d HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\n\r\n");
    r.settle();
    CHECK(recorder->seen.back() == "192.0.2.1");
  }
}

TEST_CASE("connection: over the per-address limit a connection is closed at once", "[transport][limits]") {
  rig r;
  r.settings->limiter = std::make_shared<connection_limiter>(0, 2);
  r.open();
  auto first = std::move(r.peer);
  r.open();
  auto second = std::move(r.peer);
  r.open();  // the third from 192.0.2.1
  CHECK_FALSE(first->server_closed());
  CHECK_FALSE(second->server_closed());
  CHECK(r.peer->server_closed());
  CHECK(r.settings->limiter->count("192.0.2.1") == 2);
  first->reset();  // a place is given back when a connection ends
  r.settle();
  CHECK(r.settings->limiter->count("192.0.2.1") == 1);
  r.open();
  CHECK_FALSE(r.peer->server_closed());
  second->reset();
  r.settle();
}

// ---- the engine's slow-consumer policy, over memory connections --------------------------------

#include <sio/engine/core.hpp>

namespace {

struct engine_rig {
  asio::io_context ctx;
  std::shared_ptr<sio::engine::core> core;
  std::shared_ptr<connection_settings> settings = std::make_shared<connection_settings>();
  std::vector<std::unique_ptr<memory_stream::peer>> peers;
  std::vector<sio::engine::session_ptr> sessions;
  std::vector<sio::engine::close_reason> closed;

  explicit engine_rig(sio::engine::options o) {
    o.strands = 1;
    core = std::make_shared<sio::engine::core>(ctx, std::move(o), true, true);
    core->on_connection([this](sio::engine::session_ptr s) {
      s->on_close([this](sio::engine::close_reason r) { closed.push_back(r); });
      sessions.push_back(std::move(s));
    });
    settings->handler = core;
    settings->strands = core->strands();
    settings->budget = core->budget();
    settings->limiter = core->limiter();
  }
  ~engine_rig() {
    for (auto& p : peers) p->reset();
    settle();
    core->close_all();
    settle();
  }
  void settle() {
    ctx.restart();
    ctx.poll();
  }
  /// A WebSocket session; its peer has read the handshake and the open packet.
  memory_stream::peer& open_websocket() {
    auto slot = settings->strands->next();
    auto [stream, p] = memory_stream::make_pair(slot->strand());
    peers.push_back(std::make_unique<memory_stream::peer>(std::move(p)));
    std::make_shared<connection<memory_stream>>(std::move(stream), slot, settings)->start();
    settle();
    peers.back()->send(
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    settle();
    peers.back()->receive();
    return *peers.back();
  }
  std::vector<sio::engine::frame> message(std::size_t size) {
    return {sio::engine::make_text_frame(sio::engine::packet_type::message, std::string(size, 'm'))};
  }
  sio::engine::send_status send(std::size_t i, std::size_t size, bool is_volatile = false) {
    // On the session's strand, as a handler or a broadcast would; only this handler runs.
    sio::engine::send_status st{};
    bool done = false;
    asio::post(sessions[i]->strand(), [&] {
      st = sessions[i]->send_on_strand(message(size), is_volatile);
      done = true;
    });
    ctx.restart();
    while (!done) ctx.run_one();
    return st;
  }
};

}  // namespace

TEST_CASE("engine: a session that does not read is disconnected at max_buffered_bytes, volatile first dropped", "[engine][limits]") {
  sio::engine::options o;
  o.max_buffered_bytes = 64 * 1024;
  engine_rig r(o);
  auto& peer = r.open_websocket();
  REQUIRE(r.sessions.size() == 1);
  peer.set_window(0);
  using st = sio::engine::send_status;
  CHECK(r.send(0, 1000) == st::queued);
  r.settle();
  // Something is queued: a volatile packet is dropped, not queued behind it.
  CHECK(r.send(0, 10, true) == st::dropped);
  int queued = 1;
  while (r.send(0, 1000) == st::queued) ++queued;
  // Counted in memory: each 1,000-byte message costs a little more than its bytes.
  CHECK(queued > 55);
  CHECK(queued < 65);
  r.settle();
  REQUIRE(r.closed.size() == 1);
  CHECK(r.closed[0] == sio::engine::close_reason::slow_consumer);
  CHECK(r.send(0, 10) == st::closed);
}

TEST_CASE("engine: over the server's memory budget, the sessions furthest behind are shed first", "[engine][limits]") {
  sio::engine::options o;
  o.max_buffered_bytes = 1024 * 1024;
  o.max_memory = 256 * 1024;
  o.shed_threshold = 32 * 1024;
  o.output_pause_bytes = 1024 * 1024;
  engine_rig r(o);
  auto& slow1 = r.open_websocket();
  auto& slow2 = r.open_websocket();
  auto& fast = r.open_websocket();
  REQUIRE(r.sessions.size() == 3);
  slow1.set_window(0);
  slow2.set_window(0);
  // A broadcast of 8 KiB messages until the budget is spent; the fast client reads as it goes.
  for (int round = 0; round < 40; ++round) {
    for (std::size_t i = 0; i < 3; ++i) r.send(i, 8 * 1024);
    r.settle();
    fast.receive();
    r.settle();
  }
  CHECK(r.closed.size() == 2);
  CHECK(std::count(r.closed.begin(), r.closed.end(), sio::engine::close_reason::slow_consumer) == 2);
  CHECK(r.sessions[2]->is_open());
  CHECK_FALSE(r.sessions[0]->is_open());
  CHECK_FALSE(r.sessions[1]->is_open());
  CHECK(r.core->budget()->used() < o.max_memory);
  // The fast client still gets everything sent to it.
  CHECK(r.send(2, 100) == sio::engine::send_status::queued);
}

TEST_CASE("engine: on_drain runs when the client has taken everything queued", "[engine]") {
  sio::engine::options o;
  engine_rig r(o);
  auto& peer = r.open_websocket();
  int drained = 0;
  asio::post(r.sessions[0]->strand(), [&] { r.sessions[0]->on_drain([&] { ++drained; }); });
  r.settle();
  peer.set_window(100);
  r.send(0, 1000);
  r.settle();
  CHECK(drained == 0);
  peer.set_window(1 << 20);
  r.settle();
  CHECK(drained == 1);
}
