// The parts engine::session drives (include/sio/engine/): the send queue's memory count, the
// heartbeat's pong grace, and the upgrade's probe. The session itself is tested through real
// connections (connection_test.cpp, the integration and Node suites).

#include <catch2/catch_test_macros.hpp>

#include <sio/engine/heartbeat.hpp>
#include <sio/engine/packet.hpp>
#include <sio/engine/send_queue.hpp>
#include <sio/engine/transport.hpp>
#include <sio/engine/upgrade.hpp>
#include <sio/transport/memory_budget.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio.hpp>

namespace {

using sio::engine::frame;
using sio::engine::make_text_frame;
using sio::engine::packet_type;

/// A WebSocket that records what the upgrade does with it.
class recording_channel : public sio::transport::websocket_channel {
 public:
  const sio::transport::http_request& request() const noexcept override { return request_; }
  void set_handlers(message_handler on_message, close_handler on_close) override {
    handlers_set = on_message != nullptr || on_close != nullptr;
  }
  void send(bool binary, std::shared_ptr<const std::string> bytes) override { sent.emplace_back(binary, *bytes); }
  void close(std::uint16_t code) override { closed_with = code; }
  void drop() override { dropped = true; }
  void on_drain(drain_handler) override {}
  std::size_t buffered_bytes() const noexcept override { return 0; }
  std::size_t buffered_memory() const noexcept override { return 0; }

  std::vector<std::pair<bool, std::string>> sent;
  bool handlers_set = false;
  std::uint16_t closed_with = 0;
  bool dropped = false;

 private:
  sio::transport::http_request request_;
};

}  // namespace

TEST_CASE("send_queue counts the user's frames against the budget, not the engine's own", "[engine]") {
  auto budget = std::make_shared<sio::transport::memory_budget>();
  {
    sio::engine::send_queue q(budget);
    frame hello = make_text_frame(packet_type::message, "hello");
    std::size_t cost = sio::engine::send_queue::frame_cost(hello);
    q.push_uncounted(make_text_frame(packet_type::open, "{}"));
    q.push(hello);
    CHECK(q.memory() == cost);
    CHECK(budget->used() == cost);
    q.push_uncounted(make_text_frame(packet_type::close));
    frame close = q.pop_back();
    CHECK(*close.bytes == "1");
    CHECK(q.take_payload() ==
          "0{}\x1e"
          "4hello");
    CHECK(q.empty());
    CHECK(q.memory() == 0);
    CHECK(budget->used() == 0);
    q.push(make_text_frame(packet_type::message, "left behind"));
    CHECK(budget->used() > 0);
  }
  // What a destroyed queue held leaves the budget with it.
  CHECK(budget->used() == 0);
}

TEST_CASE("send_queue hands its frames over in order and empties", "[engine]") {
  auto budget = std::make_shared<sio::transport::memory_budget>();
  sio::engine::send_queue q(budget);
  q.push(make_text_frame(packet_type::message, "a"));
  q.push(make_text_frame(packet_type::message, "b"));
  std::vector<std::string> taken;
  q.take_each([&](frame& f) { taken.push_back(*f.bytes); });
  CHECK(taken == std::vector<std::string>{"4a", "4b"});
  CHECK(q.empty());
  CHECK(budget->used() == 0);
}

TEST_CASE("heartbeat grants one grace per ping, and only while a pong is awaited", "[engine]") {
  asio::io_context io;
  sio::engine::heartbeat hb(asio::make_strand(io));
  CHECK_FALSE(hb.grant_grace());
  CHECK_FALSE(hb.pong_received());
  hb.ping_sent();
  CHECK(hb.awaiting_pong());
  CHECK(hb.grant_grace());
  CHECK_FALSE(hb.grant_grace());
  CHECK(hb.pong_received());
  CHECK_FALSE(hb.awaiting_pong());
  hb.ping_sent();
  CHECK(hb.grant_grace());
}

TEST_CASE("heartbeat: a wait armed again or stopped is no longer current", "[engine]") {
  asio::io_context io;
  sio::engine::heartbeat hb(asio::make_strand(io));
  std::vector<std::uint64_t> fired;
  hb.arm(std::chrono::milliseconds(0), [&](std::uint64_t g) { fired.push_back(g); });
  io.run();
  REQUIRE(fired.size() == 1);
  CHECK(hb.current(fired[0]));
  hb.stop();
  CHECK_FALSE(hb.current(fired[0]));
}

TEST_CASE("upgrade: probe, then the upgrade packet, hands the candidate over", "[engine]") {
  auto ws = std::make_shared<recording_channel>();
  sio::engine::upgrade up;
  CHECK_FALSE(up.active());
  up.begin(ws);
  CHECK(up.active());
  CHECK(up.is_candidate(ws.get()));
  CHECK(up.on_message("2probe", false) == sio::engine::upgrade::event::probed);
  CHECK(up.probed());
  REQUIRE(ws->sent.size() == 1);
  CHECK(ws->sent[0] == std::make_pair(false, std::string("3probe")));
  CHECK(up.on_message("5", false) == sio::engine::upgrade::event::complete);
  auto taken = up.complete();
  CHECK(taken == ws);
  CHECK_FALSE(up.active());
  CHECK_FALSE(up.probed());
  CHECK(ws->closed_with == 0);
}

TEST_CASE("upgrade: a second probe, a binary frame or anything else abandons it", "[engine]") {
  using event = sio::engine::upgrade::event;
  auto ws = std::make_shared<recording_channel>();
  sio::engine::upgrade up;
  up.begin(ws);
  CHECK(up.on_message("5", true) == event::invalid);
  CHECK(up.on_message("4hello", false) == event::invalid);
  CHECK(up.on_message("2probe", false) == event::probed);
  CHECK(up.on_message("2probe", false) == event::invalid);
  up.abort();
  CHECK_FALSE(up.active());
  CHECK(ws->closed_with == 1000);
  CHECK_FALSE(ws->handlers_set);
}

TEST_CASE("transport names are the protocol's", "[engine]") {
  CHECK(sio::engine::transport_name(sio::engine::transport_kind::polling) == "polling");
  CHECK(sio::engine::transport_name(sio::engine::transport_kind::websocket) == "websocket");
}
