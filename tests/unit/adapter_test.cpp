// The in-memory adapter alone, with a fake namespace that records deliveries: room algebra
// (to = union, except = difference), membership bookkeeping, and one shared buffer per broadcast.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include <catch2/catch_test_macros.hpp>
#include <sio/in_memory_adapter.hpp>
#include <sio/transport/strand_pool.hpp>

namespace {

struct recording_host : sio::adapter_host {
  std::map<sio::socket_id, std::vector<const std::vector<sio::engine::frame>*>> got;
  std::map<sio::socket_id, std::vector<std::string>> got_text;  ///< the first frame of each, as text
  void deliver(const sio::socket_id& id, const sio::frame_list& frames, bool) override {
    got[id].push_back(frames.get());
    if (!frames->empty() && frames->front().bytes) got_text[id].push_back(*frames->front().bytes);
  }
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
  a.restore_session("p1", "0", [&](std::error_code ec, std::optional<sio::persisted_session> r) {
    restored_called = true;
    CHECK(!ec);
    CHECK(!r);  // without connection state recovery the in-memory adapter keeps no sessions
  });
  CHECK(restored_called);
}

// ---- connection state recovery: the in-memory store ------------------------------------------

namespace {

/// A host with recovery on, recording what restore_session hands to resume().
struct recovering_host : recording_host {
  sio::connection_state_recovery_options options;
  std::vector<std::pair<sio::persisted_session, std::vector<sio::kept_packet>>> resumed;
  std::shared_ptr<sio::transport::memory_budget> budget;  ///< shared by hosts of one "server"
  const sio::connection_state_recovery_options* recovery() const noexcept override { return &options; }
  std::shared_ptr<sio::transport::memory_budget> recovery_budget() const override { return budget; }
  void resume(const sio::persisted_session& s, std::vector<sio::kept_packet> missed) override {
    resumed.emplace_back(s, std::move(missed));
  }
};

sio::parser::packet event(std::string name, int n) {
  sio::parser::packet p;
  p.type = sio::parser::packet_type::event;
  p.nsp = "/";
  p.data = sio::value{sio::array{sio::value{std::move(name)}, sio::value{n}}};
  return p;
}

sio::frame_list frames_of(const std::string& text) {
  return std::make_shared<const std::vector<sio::engine::frame>>(
      std::vector<sio::engine::frame>{sio::engine::frame{false, std::make_shared<const std::string>(text)}});
}

/// Broadcasts event `name` n (encoded by hand as 42["name",n]) to `opts`.
void send(sio::adapter& a, const std::string& name, int n, sio::broadcast_options opts = {}) {
  a.broadcast(event(name, n), frames_of("42[\"" + name + "\"," + std::to_string(n) + "]"), opts);
}

/// The text of every frame a socket got, in order.
std::vector<std::string> texts(const recording_host& host, const sio::socket_id& id) {
  auto it = host.got_text.find(id);
  return it == host.got_text.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> texts(const std::vector<sio::kept_packet>& missed) {
  std::vector<std::string> out;
  for (const auto& p : missed) out.push_back(*p.frames->front().bytes);
  return out;
}

/// restore_session, waited for (the in-memory adapter completes at once).
std::optional<sio::persisted_session> restore(sio::adapter& a, const std::string& pid, const std::string& offset) {
  std::optional<sio::persisted_session> out;
  bool done = false;
  a.restore_session(pid, offset, [&](std::error_code ec, std::optional<sio::persisted_session> s) {
    CHECK_FALSE(ec);
    out = std::move(s);
    done = true;
  });
  REQUIRE(done);
  return out;
}

sio::persisted_session session(std::string sid, std::string pid, std::vector<sio::room_id> rooms) {
  return sio::persisted_session{std::move(sid), std::move(pid), "/", std::move(rooms),
                                sio::value{sio::object{{"nick", sio::value{"ann"}}}}};
}

}  // namespace

TEST_CASE("recovery: with_offset appends the offset as the last argument, attachments shared") {
  CHECK(*sio::with_offset(frames_of("42[\"a\",1]"), "7")->front().bytes == "42[\"a\",1,\"7\"]");
  CHECK(*sio::with_offset(frames_of("42/chat,[\"a\"]"), "12-0")->front().bytes == "42/chat,[\"a\",\"12-0\"]");
  auto attachment = sio::engine::make_binary_frame("xyz");
  auto binary = std::make_shared<const std::vector<sio::engine::frame>>(std::vector<sio::engine::frame>{
      sio::engine::frame{false, std::make_shared<const std::string>("451-[\"b\",{\"_placeholder\":true,\"num\":0}]")}, attachment});
  auto tagged = sio::with_offset(binary, "3");
  CHECK(*tagged->front().bytes == "451-[\"b\",{\"_placeholder\":true,\"num\":0},\"3\"]");
  CHECK(tagged->at(1).bytes == attachment.bytes);
}

TEST_CASE("recovery: kept packets are numbered, delivered tagged, and replayed filtered by the session's rooms") {
  recovering_host host;
  sio::in_memory_adapter a{host};
  REQUIRE(a.keeps_packets());
  a.add_all("s1", {"s1", "red"});
  send(a, "hello", 1);  // offset 1, to everyone
  CHECK(texts(host, "s1") == std::vector<std::string>{"42[\"hello\",1,\"1\"]"});
  a.persist_session(session("s1", "p1", {"red"}));
  a.del_all("s1");
  send(a, "all", 2);                       // 2: everyone
  send(a, "red", 3, to({"red"}));          // 3: its room
  send(a, "blue", 4, to({"blue"}));        // 4: not its room
  send(a, "mine", 5, to({"s1"}));          // 5: socket.emit while it was away
  send(a, "not-red", 6, to({}, {"red"}));  // 6: excluded
  sio::broadcast_options volatile_opts;
  volatile_opts.is_volatile = true;
  send(a, "volatile", 7, volatile_opts);  // not kept, no offset
  auto restored = restore(a, "p1", "1");
  REQUIRE(restored);
  CHECK(restored->sid == "s1");
  CHECK(restored->rooms == std::vector<sio::room_id>{"red"});
  CHECK(restored->data.as_object().front().second.as_string() == "ann");
  REQUIRE(host.resumed.size() == 1);
  CHECK(texts(host.resumed[0].second) == std::vector<std::string>{"42[\"all\",2,\"2\"]", "42[\"red\",3,\"3\"]", "42[\"mine\",5,\"5\"]"});
  CHECK(sorted(a.socket_rooms("s1")) == std::vector<sio::socket_id>{"red", "s1"});  // back in its rooms before resume
  // A pid restores once.
  CHECK_FALSE(restore(a, "p1", "1"));
}

TEST_CASE("recovery: no restore for an unknown pid, a bad offset, or a replay with a hole") {
  recovering_host host;
  host.options.max_packets = 3;
  sio::in_memory_adapter a{host};
  for (int i = 1; i <= 3; ++i) send(a, "e", i);  // offsets 1..3
  auto try_offset = [&](const std::string& offset) {
    a.persist_session(session("s", "p", {}));
    return restore(a, "p", offset).has_value();
  };
  CHECK(try_offset("3"));         // nothing missed
  CHECK(try_offset("1"));         // 2 and 3 missed, both here
  CHECK_FALSE(try_offset("0"));   // never handed out
  CHECK_FALSE(try_offset("4"));   // not yet handed out
  CHECK_FALSE(try_offset("x1"));  // not an offset
  CHECK_FALSE(try_offset(""));
  CHECK_FALSE(try_offset("99999999999999999999999"));
  send(a, "e", 4);  // evicts 1: a session at 1 still has 2..4, one at... 0 never existed
  CHECK(try_offset("1"));
  send(a, "e", 5);  // evicts 2: 2 is the offset itself, 3..5 are here
  CHECK(try_offset("2"));
  CHECK_FALSE(try_offset("1"));  // 2 is gone: a new session rather than a replay with a hole
  CHECK_FALSE(restore(a, "nobody", "5"));
  CHECK(host.resumed.size() == 4);  // only the successful restores resumed a socket
}

TEST_CASE("recovery: what is kept is bounded in packets, bytes, sessions and time") {
  recovering_host host;
  host.options.max_packets = 1000;
  host.options.max_bytes = 10 * 15;  // ten packets of 15 bytes: 42["e",NN,"NN"]
  host.options.max_sessions = 2;
  sio::in_memory_adapter a{host};
  for (int i = 10; i < 40; ++i) send(a, "e", i);
  a.persist_session(session("s", "p", {}));
  CHECK_FALSE(restore(a, "p", "19"));  // offsets 1..20 are gone: only ten packets fit
  a.persist_session(session("s", "p", {}));
  REQUIRE(restore(a, "p", "20"));
  CHECK(host.resumed.back().second.size() == 10);

  a.persist_session(session("a", "pa", {}));
  a.persist_session(session("b", "pb", {}));
  a.persist_session(session("c", "pc", {}));  // over max_sessions: the oldest (a) goes
  CHECK_FALSE(restore(a, "pa", "30"));
  CHECK(restore(a, "pb", "30"));
  CHECK(restore(a, "pc", "30"));
}

TEST_CASE("recovery: namespaces share max_total_bytes; over it a namespace gives back its own packets, the new one last") {
  auto budget = std::make_shared<sio::transport::memory_budget>(150);
  {
    recovering_host host_a, host_b;
    host_a.budget = host_b.budget = budget;
    sio::in_memory_adapter a{host_a}, b{host_b};
    for (int i = 10; i < 20; ++i) send(a, "e", i);  // offsets 1..10: 141 bytes
    CHECK(budget->used() == 141);
    send(b, "e", 1);  // 14 more would be 155: b keeps nothing, a keeps all
    CHECK(budget->used() == 141);
    b.persist_session(session("s", "p", {}));
    CHECK(restore(b, "p", "1"));  // it got packet 1 itself: nothing missed
    send(b, "e", 2);              // not kept either
    b.persist_session(session("s", "p", {}));
    CHECK_FALSE(restore(b, "p", "1"));  // it missed packet 2, which is gone: a new session
    a.persist_session(session("s", "p", {}));
    REQUIRE(restore(a, "p", "1"));
    CHECK(host_a.resumed.back().second.size() == 9);
    send(a, "e", 20);  // a is over too: its own oldest goes
    CHECK(budget->used() <= 150);
  }
  CHECK(budget->used() == 0);  // namespaces that go give their bytes back
}

TEST_CASE("recovery: a session past max_disconnection_duration is not restored") {
  recovering_host host;
  host.options.max_disconnection_duration = std::chrono::milliseconds{0};
  sio::in_memory_adapter a{host};
  send(a, "e", 1);
  a.persist_session(session("s", "p", {}));
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{2};
  while (std::chrono::steady_clock::now() < until) {}  // the clock must move past the (zero) window
  CHECK_FALSE(restore(a, "p", "1"));
}

TEST_CASE("recovery: off (no options), or an adapter that keeps nothing: no offset, nothing restored") {
  recording_host host;
  sio::in_memory_adapter a{host};
  CHECK_FALSE(a.keeps_packets());
  a.add_all("s1", {"s1"});
  send(a, "e", 1);
  CHECK(texts(host, "s1") == std::vector<std::string>{"42[\"e\",1]"});
  a.persist_session(session("s1", "p", {}));
  CHECK_FALSE(restore(a, "p", "1"));
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
