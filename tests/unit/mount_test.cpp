// sio::async_serve (sio/mount.hpp): requests read by the user's server and handed to sio with
// their stream (here a memory_stream, a standalone Asio AsyncStream), answered on it, and the
// stream given back with the bytes behind the request; an upgrade keeps the stream.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <sio/engine/server.hpp>
#include <sio/mount.hpp>
#include <sio/transport/memory_stream.hpp>

using sio::transport::memory_stream;

namespace {

struct mounted {
  std::optional<std::error_code> ec;
  std::optional<memory_stream> stream;
  std::string rest;
};

struct mount_rig {
  asio::io_context ctx;
  sio::engine::server<> eio;
  std::unique_ptr<memory_stream::peer> peer;
  mounted result;

  explicit mount_rig(sio::engine::options o = {}) : eio(ctx, std::move(o)) {}
  ~mount_rig() {
    if (peer) peer->reset();
    eio.close();
    settle();
  }

  void serve(sio::mounted_request head, std::string_view read_ahead) {
    auto [stream, p] = memory_stream::make_pair(ctx.get_executor());
    peer = std::make_unique<memory_stream::peer>(std::move(p));
    head.remote_address = "192.0.2.7";
    sio::async_serve(eio, std::move(stream), std::move(head), read_ahead, [this](std::error_code ec, memory_stream s, std::string rest) {
      result.ec = ec;
      result.stream.emplace(std::move(s));
      result.rest = std::move(rest);
    });
    settle();
  }
  void settle() {
    ctx.restart();
    ctx.poll();
  }
  /// Runs the context (timers included) until the operation completes, for at most `limit`.
  void run_until_done(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!result.ec && std::chrono::steady_clock::now() < deadline) {
      ctx.restart();
      ctx.run_for(std::chrono::milliseconds(10));
    }
  }
};

sio::mounted_request request(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  sio::mounted_request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  r.headers.emplace_back("Host", "x");
  return r;
}

}  // namespace

TEST_CASE("mount: a polling handshake is answered on the user's stream, which comes back with the bytes behind it", "[mount]") {
  mount_rig r;
  r.serve(request("GET", "/engine.io/?EIO=4&transport=polling"), "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(r.result.ec);
  CHECK(*r.result.ec == std::error_code{});
  CHECK(r.result.rest == "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = r.peer->receive();
  CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(answer.find("\r\n\r\n0{\"sid\":\"") != std::string::npos);
  CHECK(answer.find("Connection: keep-alive") != std::string::npos);
  CHECK(r.eio.session_count() == 1);
}

TEST_CASE("mount: a body that comes after the head is read from the stream, within the limits", "[mount]") {
  mount_rig r;
  // An unknown session: the engine reads the whole body, then refuses it (400), keeping the connection.
  r.serve(request("POST", "/engine.io/?EIO=4&transport=polling&sid=nope", {{"Content-Length", "10"}}), "4hel");
  CHECK_FALSE(r.result.ec);
  r.peer->send("lo wo");
  r.settle();
  CHECK_FALSE(r.result.ec);
  r.peer->send("rGET /x");
  r.settle();
  REQUIRE(r.result.ec);
  CHECK(*r.result.ec == std::error_code{});
  CHECK(r.result.rest == "GET /x");
  CHECK(r.peer->receive().rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
}

TEST_CASE("mount: a body over max_payload is refused with 413 and the connection is to be closed", "[mount]") {
  sio::engine::options o;
  o.max_payload = 100;
  mount_rig r{o};
  r.serve(request("POST", "/engine.io/?EIO=4&transport=polling&sid=x", {{"Content-Length", "101"}}), "");
  REQUIRE(r.result.ec);
  CHECK(*r.result.ec == sio::mount_errc::close);
  std::string answer = r.peer->receive();
  CHECK(answer.rfind("HTTP/1.1 413 Content Too Large\r\n", 0) == 0);
  CHECK(answer.find("Connection: close") != std::string::npos);
}

TEST_CASE("mount: a body that never comes times out after http_idle_timeout, and the stream is closed", "[mount]") {
  sio::engine::options o;
  o.http_idle_timeout = std::chrono::milliseconds(50);
  mount_rig r{o};
  r.serve(request("POST", "/engine.io/?EIO=4&transport=polling&sid=x", {{"Content-Length", "10"}}), "4");
  CHECK_FALSE(r.result.ec);
  r.run_until_done(std::chrono::seconds(5));
  REQUIRE(r.result.ec);
  CHECK(*r.result.ec == asio::error::timed_out);
  CHECK(r.peer->server_closed());
}

TEST_CASE("mount: an upgrade keeps the stream and runs the WebSocket on it, with the frames read ahead", "[mount]") {
  mount_rig r;
  sio::engine::session_ptr session;
  std::string received;
  r.eio.on_connection([&](sio::engine::session_ptr s) {
    session = s;
    s->on_message([&received](std::string data, bool) { received += data; });
  });
  // A masked text frame "4hi" (a MESSAGE packet) right behind the upgrade request.
  std::string frame = {static_cast<char>(0x81), static_cast<char>(0x83), 1, 2, 3, 4};
  for (char c : std::string{"4hi"}) frame += c;
  for (std::size_t i = 0; i < 3; ++i) frame[6 + i] = static_cast<char>(frame[6 + i] ^ (i + 1));
  r.serve(request("GET", "/engine.io/?EIO=4&transport=websocket",
                  {{"Connection", "Upgrade"},
                   {"Upgrade", "websocket"},
                   {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                   {"Sec-WebSocket-Version", "13"}}),
          frame);
  REQUIRE(r.result.ec);
  CHECK(*r.result.ec == sio::mount_errc::upgraded);
  CHECK(r.result.rest.empty());
  std::string answer = r.peer->receive();
  CHECK(answer.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(answer.find("0{\"sid\":\"") != std::string::npos);  // the open packet, in a frame
  REQUIRE(session);
  CHECK(received == "hi");
}
