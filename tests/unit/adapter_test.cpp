// The in-memory adapter alone, with a fake namespace that records deliveries: room algebra
// (to = union, except = difference), membership bookkeeping, and one shared buffer per broadcast.
#include <algorithm>
#include <map>

#include <catch2/catch_test_macros.hpp>
#include <sio/in_memory_adapter.hpp>
#include <sio/transport/strand_pool.hpp>

namespace {

struct recording_host : sio::adapter_host {
  std::map<sio::socket_id, std::vector<const std::vector<sio::engine::frame>*>> got;
  void deliver(const sio::socket_id& id, const sio::frame_list& frames, bool) override { got[id].push_back(frames.get()); }
  asio::any_io_executor executor() const override { return ctx.get_executor(); }
  const std::string& name() const noexcept override { return nsp; }
  mutable asio::io_context ctx;
  std::string nsp = "/";
};

std::vector<sio::socket_id> sorted(std::vector<sio::socket_id> v) {
  std::sort(v.begin(), v.end());
  return v;
}

sio::broadcast_options to(std::vector<sio::room_id> rooms, std::vector<sio::room_id> except = {}) {
  sio::broadcast_options o;
  o.rooms = std::move(rooms);
  o.except = std::move(except);
  return o;
}

}  // namespace

TEST_CASE("adapter: to() is the union of rooms, each socket once") {
  recording_host host;
  sio::in_memory_adapter a{host};
  a.add_all("s1", {"s1", "red", "blue"});
  a.add_all("s2", {"s2", "red"});
  a.add_all("s3", {"s3", "green"});
  CHECK(sorted(a.select(to({"red", "blue"}))) == std::vector<sio::socket_id>{"s1", "s2"});
  CHECK(sorted(a.select(to({"red", "green"}))) == std::vector<sio::socket_id>{"s1", "s2", "s3"});
  CHECK(a.select(to({"nobody"})).empty());
  CHECK(sorted(a.select(to({}))) == std::vector<sio::socket_id>{"s1", "s2", "s3"});  // no room: everyone
}

TEST_CASE("adapter: except() removes every member of the excluded rooms") {
  recording_host host;
  sio::in_memory_adapter a{host};
  a.add_all("s1", {"s1", "red", "blue"});
  a.add_all("s2", {"s2", "red"});
  a.add_all("s3", {"s3", "green"});
  CHECK(sorted(a.select(to({"red"}, {"blue"}))) == std::vector<sio::socket_id>{"s2"});
  CHECK(sorted(a.select(to({}, {"red"}))) == std::vector<sio::socket_id>{"s3"});
  CHECK(sorted(a.select(to({}, {"s3"}))) == std::vector<sio::socket_id>{"s1", "s2"});  // socket.broadcast
  CHECK(a.select(to({"red"}, {"red"})).empty());
}

TEST_CASE("adapter: leaving and disconnecting keep both maps consistent; empty rooms vanish") {
  recording_host host;
  sio::in_memory_adapter a{host};
  a.add_all("s1", {"s1", "red"});
  a.add_all("s2", {"s2", "red"});
  CHECK(a.room_size("red") == 2);
  a.del("s1", "red");
  CHECK(a.room_size("red") == 1);
  CHECK(sorted(a.socket_rooms("s1")) == std::vector<sio::room_id>{"s1"});
  a.del_all("s2");
  CHECK(a.room_size("red") == 0);
  CHECK(a.socket_rooms("s2").empty());
  CHECK(sorted(a.select(to({}))) == std::vector<sio::socket_id>{"s1"});
  a.del("ghost", "red");  // unknown ids are no-ops
  a.del_all("ghost");
}

TEST_CASE("adapter: a broadcast hands the same encoded buffer to every recipient") {
  recording_host host;
  sio::in_memory_adapter a{host};
  for (int i = 0; i < 50; ++i) a.add_all("s" + std::to_string(i), {"s" + std::to_string(i), "room"});
  auto frames = std::make_shared<const std::vector<sio::engine::frame>>(
      std::vector<sio::engine::frame>{sio::engine::make_text_frame(sio::engine::packet_type::message, "2[\"x\"]")});
  CHECK(a.broadcast(sio::parser::packet{}, frames, to({"room"}, {"s0"})) == 49);
  CHECK(host.got.size() == 49);
  for (const auto& [id, deliveries] : host.got) {
    REQUIRE(deliveries.size() == 1);
    CHECK(deliveries[0] == frames.get());  // no per-recipient copy or re-encoding
  }
}

TEST_CASE("adapter: try_add_all joins all or none within max_rooms, counting each new room once; 0 means no limit") {
  recording_host host;
  sio::in_memory_adapter a{host};
  CHECK(a.try_add_all("s1", {"s1", "red"}, 3));
  CHECK(a.try_add_all("s1", {"blue"}, 3));  // the limit
  CHECK(!a.try_add_all("s1", {"green"}, 3));
  CHECK(!a.try_add_all("s1", {"red", "green", "pink"}, 3));  // all or none
  CHECK(a.try_add_all("s1", {"red", "blue", "red"}, 3));     // nothing new
  CHECK(sorted(a.socket_rooms("s1")) == std::vector<sio::room_id>{"blue", "red", "s1"});
  CHECK(a.room_size("green") == 0);
  CHECK(a.room_size("pink") == 0);
  CHECK(!a.try_add_all("s2", {"a", "b", "c", "d"}, 3));
  CHECK(a.socket_rooms("s2").empty());
  CHECK(a.try_add_all("s2", {"a", "a", "a", "a"}, 1));  // a repeated name is one room
  CHECK(a.try_add_all("s3", {"a", "b", "c", "d"}, 0));
  CHECK(a.socket_rooms("s3").size() == 4);

  // The interface's default (for adapters that do not override it) keeps the same rules.
  struct plain_adapter : sio::in_memory_adapter {
    using in_memory_adapter::in_memory_adapter;
    bool try_add_all(const sio::socket_id& id, const std::vector<sio::room_id>& rooms, std::size_t max_rooms) override {
      return adapter::try_add_all(id, rooms, max_rooms);
    }
  };
  plain_adapter p{host};
  CHECK(p.try_add_all("s1", {"s1", "red"}, 2));
  CHECK(!p.try_add_all("s1", {"blue"}, 2));
  CHECK(p.try_add_all("s1", {"red", "red"}, 2));
  CHECK(sorted(p.socket_rooms("s1")) == std::vector<sio::room_id>{"red", "s1"});
}

namespace {
struct logging_writer : sio::transport::deferred_writer {
  std::vector<std::string>& log;
  explicit logging_writer(std::vector<std::string>& l) : log(l) {}
  void write_deferred() override { log.push_back("written"); }
};
}  // namespace

TEST_CASE("adapter: one process: all_rooms, server_count 1, no replies to server_side_emit_with_ack, nothing to restore") {
  recording_host host;
  sio::in_memory_adapter a{host};
  a.add_all("s1", {"s1", "red"});
  a.add_all("s2", {"s2", "red", "blue"});
  auto rooms = a.all_rooms();
  std::sort(rooms.begin(), rooms.end());
  CHECK(rooms == std::vector<sio::room_id>{"blue", "red", "s1", "s2"});
  CHECK(a.server_count() == 1);

  int completions = 0;
  a.server_side_emit_with_ack("ping", {}, std::chrono::milliseconds(50), [&](std::error_code ec, std::vector<sio::value> replies) {
    ++completions;
    CHECK(!ec);
    CHECK(replies.empty());
  });
  CHECK(completions == 1);  // at once: no other server to wait for

  std::size_t remote_clients = 99;
  a.broadcast_with_ack(
      sio::parser::packet{}, to({"red"}), [&](std::size_t n) { remote_clients = n; },
      [](std::vector<sio::value>) { FAIL("no remote ack in one process"); });
  CHECK(remote_clients == 0);  // the library delivers to local sockets itself; no other server
  CHECK(host.got.empty());

  a.persist_session(sio::persisted_session{"s1", "p1", "/", {"red"}, sio::value{}});
  bool restored_called = false;
  a.restore_session("p1", "0", [&](std::error_code ec, std::optional<sio::restored_session> r) {
    restored_called = true;
    CHECK(!ec);
    CHECK(!r);  // the in-memory adapter keeps no sessions until connection state recovery (#14)
  });
  CHECK(restored_called);
}

TEST_CASE("strand_slot: deferred writes wait while the strand keeps deferring, then go out together, once") {
  asio::io_context ctx;
  auto slot = std::make_shared<sio::transport::strand_slot>(asio::make_strand(ctx));
  std::vector<std::string> log;
  auto a = std::make_shared<logging_writer>(log);
  auto b = std::make_shared<logging_writer>(log);
  asio::post(slot->strand(), [&] {
    slot->defer_write(a);
    log.push_back("a deferred");
    // Handlers queued after the deferral (what the next poll brings) run before the write.
    asio::post(slot->strand(), [&] {
      log.push_back("next turn");
      slot->defer_write(b);  // a burst: b joins the same batch
    });
  });
  ctx.run();  // returns: the batch does not keep itself alive
  CHECK(log == std::vector<std::string>{"a deferred", "next turn", "written", "written"});

  log.clear();
  asio::post(slot->strand(), [&] { slot->defer_write(a); });
  ctx.restart();
  ctx.run();
  CHECK(log == std::vector<std::string>{"written"});  // a later deferral makes a batch of its own
}

TEST_CASE("strand_pool: hands out its strands in turn; 0 means one per hardware thread") {
  asio::io_context ctx;
  sio::transport::strand_pool three(ctx, 3);
  auto first = three.next();
  CHECK(three.next() != first);
  CHECK(three.next() != first);
  CHECK(three.next() == first);
  sio::transport::strand_pool automatic(ctx, 0);
  CHECK(automatic.size() == std::max(1u, std::thread::hardware_concurrency()));
}
