// Stateful target: the whole server (HTTP, WebSocket, Engine.IO sessions, Socket.IO clients and
// namespaces) behind connection<memory_stream>, driven by a script decoded from the input. Up
// to three connections talk to one server, so that a session opened on one is polled, posted to
// and upgraded from another, and peers may stop reading, half-close or vanish at any point.
//
// Session ids are "sid0", "sid1", ... so that the canned requests below can name them. Invariants
// checked after every step: the server's output memory stays within what its limits allow, and
// when the script ends and every peer is gone, the server is left with no session.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <sio/server.hpp>
#include <sio/transport/memory_stream.hpp>

namespace {

using sio::transport::connection;
using sio::transport::memory_stream;

/// Reads the input as a stream of small integers and byte strings.
struct script {
  const std::uint8_t* p;
  std::size_t left;
  bool empty() const noexcept { return left == 0; }
  std::uint8_t byte() {
    if (!left) return 0;
    --left;
    return *p++;
  }
  std::string bytes(std::size_t n) {
    n = n < left ? n : left;
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    left -= n;
    return s;
  }
};

std::string masked_frame(std::uint8_t first_byte, const std::string& payload) {
  std::string f;
  f += static_cast<char>(first_byte);
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>((payload.size() >> 8) & 0xFF);
    f += static_cast<char>(payload.size() & 0xFF);
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

struct world {
  asio::io_context ctx;
  std::shared_ptr<sio::detail::server_core> core;
  std::shared_ptr<sio::engine::core> engine;
  std::shared_ptr<sio::transport::connection_settings> settings;
  std::unique_ptr<memory_stream::peer> peers[3];

  world() {
    sio::server_options opts;
    opts.max_payload = 4096;
    opts.max_buffered_bytes = 64 * 1024;
    opts.output_pause_bytes = 8 * 1024;
    opts.strands = 1;
    opts.generate_id = [n = 0](const sio::transport::http_request&) mutable { return "sid" + std::to_string(n++); };
    core = std::make_shared<sio::detail::server_core>(
        ctx.get_executor(), opts,
        [](sio::adapter_host& host) -> std::unique_ptr<sio::adapter> { return std::make_unique<sio::in_memory_adapter>(host); });
    engine = std::make_shared<sio::engine::core>(ctx, core->engine_options(), true, true);
    core->attach(*engine);
    core->of("/")->on_connection([](sio::socket s) {
      s.on("echo", [s](sio::arguments args) { s.emit("echo", args); });
      s.on("join", [s](std::string room) { s.join(room); });
      s.on("all", [s](sio::arguments args) { s.nsp().to("r").emit("all", args); });
    });
    settings = std::make_shared<sio::transport::connection_settings>();
    settings->limits.max_body_bytes = opts.max_payload;
    settings->output_pause_bytes = opts.output_pause_bytes;
    settings->handler = engine;
    settings->strands = engine->strands();
    settings->budget = engine->budget();
    settings->limiter = engine->limiter();
  }

  memory_stream::peer& peer(std::size_t i) {
    if (!peers[i]) {
      auto slot = settings->strands->next();
      auto [stream, p] = memory_stream::make_pair(slot->strand());
      peers[i] = std::make_unique<memory_stream::peer>(std::move(p));
      std::make_shared<connection<memory_stream>>(std::move(stream), slot, settings)->start();
    }
    return *peers[i];
  }

  void settle() {
    ctx.restart();
    ctx.poll();
  }

  void check_bounds() const {
    // Every connection pauses at output_pause_bytes and every session is cut at
    // max_buffered_bytes; three of each, with room for one message past a bound.
    if (engine->budget()->used() > 3 * (64 * 1024 + 8 * 1024 + 4096 + 16 * 1024) + 64 * 1024) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  world w;
  script in{data, size};
  static const char* const sids[] = {"", "&sid=sid0", "&sid=sid1", "&sid=sid2"};
  while (!in.empty()) {
    std::uint8_t op = in.byte();
    auto& peer = w.peer(op % 3);
    std::string sid = sids[(op >> 6) & 3];
    switch ((op >> 2) & 0xF) {
      case 0: peer.send(in.bytes(in.byte())); break;
      case 1: {  // a polling POST carrying the next bytes
        std::string body = in.bytes(in.byte());
        peer.send("POST /socket.io/?EIO=4&transport=polling" + sid +
                  " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
        break;
      }
      case 2: peer.send("GET /socket.io/?EIO=4&transport=polling" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n"); break;
      case 3:
        peer.send("GET /socket.io/?EIO=4&transport=websocket" + sid +
                  " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        break;
      case 4: {  // a WebSocket frame: first byte (FIN, RSV, opcode) from the script
        std::uint8_t first = in.byte();
        peer.send(masked_frame(first, in.bytes(in.byte())));
        break;
      }
      case 5: peer.send(masked_frame(0x81, "4" + in.bytes(in.byte()))); break;  // a Socket.IO packet
      case 6: peer.receive(); break;
      case 7: peer.receive(in.byte()); break;
      case 8: peer.set_window(static_cast<std::size_t>(in.byte()) * 64); break;
      case 9: peer.shutdown_send(); break;
      case 10: peer.reset(); break;
      case 11: peer.send("HEAD /socket.io/?EIO=4&transport=polling" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n"); break;
      default: break;
    }
    w.settle();
    w.check_bounds();
  }
  // Every peer goes away; the server shuts down: nothing may be left waiting for them.
  for (auto& p : w.peers)
    if (p) p->reset();
  w.settle();
  w.engine->close_all();
  w.settle();
  if (w.engine->session_count() != 0) std::abort();
  return 0;
}
