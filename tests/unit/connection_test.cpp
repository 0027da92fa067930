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
