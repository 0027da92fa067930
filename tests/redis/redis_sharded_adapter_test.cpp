// sio::redis_sharded_adapter: two (or three) sio servers, each on its own io_context thread, share
// their namespace through sharded pub/sub on one real redis-server (7.0 takes SSUBSCRIBE and
// SPUBLISH without cluster mode) started on a free loopback port, in each subscription mode;
// clients connect with the WebSocket test client. And the bytes it publishes, against what Node's
// createShardedAdapter (@socket.io/redis-adapter 8.3.0 on socket.io-adapter 2.5) publishes for the
// same operations.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <asio.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <sio/redis/connection.hpp>
#include <sio/redis_sharded_adapter.hpp>
#include <sio/server.hpp>

#include "adapter_test_support.hpp"
#ifdef SIO_REDIS_CLI
#include "redis_cluster.hpp"
#endif

namespace {

using namespace std::chrono_literals;
using sio::redis_subscription_mode;
using sio_test::acks_with;
using sio_test::eventually;
using sio_test::is_event;
const std::string prefix = "sio-test";
const std::string main_channel = prefix + "#/#";

const char* mode_name(redis_subscription_mode mode) {
  switch (mode) {
    case redis_subscription_mode::dynamic: return "dynamic";
    case redis_subscription_mode::static_channels: return "static";
    case redis_subscription_mode::dynamic_private: return "dynamic-private";
  }
  return "?";
}

/// One sio server with the sharded Redis adapter.
struct node : sio_test::redis_node {
  explicit node(const std::string& url, redis_subscription_mode mode = redis_subscription_mode::dynamic,
                std::chrono::milliseconds request_timeout = 5s)
      : redis_node([&](asio::io_context& ctx, sio_test::redis_error_handler on_error) {
          sio::redis_sharded_adapter_options opts;
          opts.url = url;
          opts.channel_prefix = prefix;
          opts.subscription_mode = mode;
          opts.request_timeout = request_timeout;
          opts.on_error = std::move(on_error);
          return sio::redis_sharded_adapter::create(ctx, opts);
        }) {}
};

/// Waits until `n` connections hold a shard subscription to `channel`.
bool wait_subscribers(const sio_test::redis_process& redis, const std::string& channel, long long n, std::chrono::seconds limit = 10s) {
  return sio_test::wait_count(redis, {"PUBSUB", "SHARDNUMSUB", channel}, n, limit);
}
/// Each server subscribes to the namespace channel once, after its response channel.
bool wait_servers(const sio_test::redis_process& redis, long long n, std::chrono::seconds limit = 10s) {
  return wait_subscribers(redis, main_channel, n, limit);
}
std::string room_channel(const std::string& room) { return main_channel + room + "#"; }

/// A plain Redis client in the test's thread: SSUBSCRIBEs channels and records what arrives on
/// each, and SPUBLISHes what a Node server would.
class raw_redis {
 public:
  explicit raw_redis(const std::string& url)
      : sub_(sio::redis::connection::create(io_.get_executor(), sio::redis::url::parse(url))),
        pub_(sio::redis::connection::create(io_.get_executor(), sio::redis::url::parse(url))) {
    sub_->on_message([this](sio::redis::message m) {
      if (m.kind == sio::redis::message::type::smessage) received_[m.channel].push_back(m.payload);
    });
    sub_->start();
    pub_->start();
  }
  ~raw_redis() {
    sub_->close();
    pub_->close();
    io_.run_for(100ms);
  }
  bool ssubscribe(const std::string& channel) {
    bool done = false, ok = false;
    sub_->ssubscribe(channel, [&](std::error_code ec, const sio::redis::reply& r) {
      done = true;
      ok = !ec && !r.is_error();
    });
    run_until([&] { return done; });
    return ok;
  }
  void spublish(const std::string& channel, const std::string& payload) {
    bool done = false;
    pub_->command({"SPUBLISH", channel, payload}, [&](std::error_code, const sio::redis::reply&) { done = true; });
    run_until([&] { return done; });
  }
  /// The first `n` payloads that arrived on `channel` (waits for them, bounded).
  std::vector<std::string> take(const std::string& channel, std::size_t n) {
    run_until([&] { return received_[channel].size() >= n; });
    auto& list = received_[channel];
    std::vector<std::string> out(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(std::min(n, list.size())));
    list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(out.size()));
    return out;
  }

 private:
  template <class Pred>
  void run_until(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!pred() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(20ms);
  }
  asio::io_context io_;
  std::shared_ptr<sio::redis::connection> sub_, pub_;
  std::map<std::string, std::deque<std::string>> received_;
};

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}
std::string unhex(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return out;
}
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("the bytes on Redis are what Node's sharded adapter publishes for the same operations") {
  // Expected payloads: printed by @socket.io/redis-adapter 8.3.0's createShardedAdapter (socket.io
  // 4.8.4, socket.io-adapter 2.5.x, notepack.io 3.0.1) under Node 20, its uid set to
  // 0123456789abcdef, for the same calls; here that uid is replaced by the sio server's.
  const std::string node_uid = "0123456789abcdef";
  sio_test::redis_process redis;
  raw_redis raw(redis.url());
  const std::string asker = "fedcba9876543210";  // a Node server asking the sio one
  REQUIRE(raw.ssubscribe(main_channel));
  REQUIRE(raw.ssubscribe(room_channel("room1")));
  REQUIRE(raw.ssubscribe(room_channel(asker)));
  node a(redis.url(), redis_subscription_mode::dynamic, 300ms);
  a.io->on_server_side_event([](const std::string& event, sio::arguments, std::function<void(sio::value)> reply) {
    if (event == "ping") reply(sio::value("pong"));
  });
  a.start();
  REQUIRE(wait_servers(redis, 2));  // the sio server and `raw`

  a.io->to("room1").emit("hello", 1);
  a.io->to("ABCDEFGHIJKLMNOPQRST").emit("private", 2);  // 20 characters: a socket id, main channel
  a.io->except("x").emit("bin", sio::binary{1, 2, 3});
  a.io->volatile_().to("a").to("b").emit("v", "\xc3\xa9");
  a.io->in("room1").sockets_join({"r2"});
  a.io->in("room1").sockets_leave({"r2"});
  a.io->except("r").disconnect_sockets(true);
  a.io->server_side_emit("sse", sio::value(sio::object{{"k", sio::array{1, 2.5, nullptr, true}}}));
  a.io->server_side_emit("sseb", sio::binary{9});

  auto room = raw.take(room_channel("room1"), 1);
  REQUIRE(room.size() == 1);
  auto uid_at = room[0].find("\"uid\":\"");
  REQUIRE(uid_at != std::string::npos);
  const std::string uid = room[0].substr(uid_at + 7, 16);
  CHECK(std::regex_match(uid, std::regex("[0-9a-f]{16}")));
  auto with_uid = [&](const std::string& node_bytes) { return replace_all(node_bytes, node_uid, uid); };

  CHECK(room[0] ==
        with_uid(R"({"type":3,"data":{"packet":{"type":2,"data":["hello",1]},"opts":{"rooms":["room1"],"except":[],"flags":{}}},)"
                 R"("uid":"0123456789abcdef","nsp":"/"})"));
  auto main = raw.take(main_channel, 8);
  REQUIRE(main.size() == 8);
  CHECK(main[0] == with_uid(R"({"type":3,"data":{"packet":{"type":2,"data":["private",2]},)"
                            R"("opts":{"rooms":["ABCDEFGHIJKLMNOPQRST"],"except":[],"flags":{}}},"uid":"0123456789abcdef","nsp":"/"})"));
  // With a binary the whole message is notepack msgpack.
  CHECK(hex(main[1]) ==
        hex(with_uid(unhex("84a47479706503a46461746182a67061636b657482a47479706502a46461746192a362696ec403010203a46f70747383a5"
                           "726f6f6d7390a665786365707491a178a5666c61677380a3756964b030313233343536373839616263646566a36e7370"
                           "a12f"))));
  CHECK(main[2] == with_uid("{\"type\":3,\"data\":{\"packet\":{\"type\":2,\"data\":[\"v\",\"\xc3\xa9\"]},\"opts\":{\"rooms\":[\"a\",\"b\"],"
                            "\"except\":[],\"flags\":{\"volatile\":true}}},\"uid\":\"0123456789abcdef\",\"nsp\":\"/\"}"));
  CHECK(main[3] == with_uid(R"({"type":4,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},"rooms":["r2"]},)"
                            R"("uid":"0123456789abcdef","nsp":"/"})"));
  CHECK(main[4] == with_uid(R"({"type":5,"data":{"opts":{"rooms":["room1"],"except":[],"flags":{}},"rooms":["r2"]},)"
                            R"("uid":"0123456789abcdef","nsp":"/"})"));
  CHECK(main[5] == with_uid(R"({"type":6,"data":{"opts":{"rooms":[],"except":["r"],"flags":{}},"close":true},)"
                            R"("uid":"0123456789abcdef","nsp":"/"})"));
  CHECK(main[6] == with_uid(R"({"type":9,"data":{"packet":["sse",{"k":[1,2.5,null,true]}]},"uid":"0123456789abcdef","nsp":"/"})"));
  CHECK(hex(main[7]) ==
        hex(with_uid(unhex("84a47479706509a46461746181a67061636b657492a473736562c40109a3756964b03031323334353637383961626364"
                           "6566a36e7370a12f"))));

  // Requests carry a fresh 16-hex-digit request id each ("R" below). `raw` counts as a server
  // that never answers: each of them ends at the 300 ms request timeout.
  std::promise<void> fetched, acked, replied;
  a.io->timeout(1000ms).fetch_sockets([&](std::error_code, std::vector<sio::remote_socket>) { fetched.set_value(); });
  a.io->timeout(1000ms).emit_with_ack("ack", 1, [&](std::error_code, std::vector<sio::arguments>) { acked.set_value(); });
  a.io->server_side_emit_with_ack("w", 1, [&](std::error_code, std::vector<sio::value>) { replied.set_value(); });
  auto requests = raw.take(main_channel, 3);
  REQUIRE(requests.size() == 3);
  for (auto& r : requests) {
    std::smatch id;
    REQUIRE(std::regex_search(r, id, std::regex("\"requestId\":\"([0-9a-f]{16})\"")));
    r = replace_all(r, id[1].str(), "R");
  }
  std::sort(requests.begin(), requests.end());
  std::vector<std::string> expected{
      with_uid(R"({"type":7,"data":{"opts":{"rooms":[],"except":[],"flags":{"timeout":1000}},"requestId":"R"},)"
               R"("uid":"0123456789abcdef","nsp":"/"})"),
      with_uid(R"({"type":3,"data":{"packet":{"type":2,"data":["ack",1]},"requestId":"R",)"
               R"("opts":{"rooms":[],"except":[],"flags":{"timeout":1000}}},)"
               R"("uid":"0123456789abcdef","nsp":"/"})"),
      with_uid(R"({"type":9,"data":{"requestId":"R","packet":["w",1]},"uid":"0123456789abcdef","nsp":"/"})"),
  };
  std::sort(expected.begin(), expected.end());
  CHECK(requests == expected);
  for (auto* p : {&fetched, &acked, &replied}) CHECK(p->get_future().wait_for(10s) == std::future_status::ready);

  // Answers to a Node server's requests go to its own channel.
  raw.spublish(main_channel, R"({"type":7,"data":{"opts":{"rooms":[],"except":[],"flags":{}},"requestId":"req1"},)"
                             R"("uid":"fedcba9876543210","nsp":"/"})");
  raw.spublish(main_channel, R"({"type":3,"data":{"packet":{"type":2,"data":["q"]},"requestId":"req2","opts":{"rooms":[],"except":[],)"
                             R"("flags":{}}},"uid":"fedcba9876543210","nsp":"/"})");
  raw.spublish(main_channel, R"({"type":9,"data":{"requestId":"req3","packet":["ping",1]},"uid":"fedcba9876543210","nsp":"/"})");
  auto answers = raw.take(room_channel(asker), 3);
  std::sort(answers.begin(), answers.end());
  std::vector<std::string> node_answers{
      with_uid(R"({"type":11,"data":{"requestId":"req2","clientCount":0},"uid":"0123456789abcdef","nsp":"/"})"),
      with_uid(R"({"type":10,"data":{"requestId":"req3","packet":"pong"},"uid":"0123456789abcdef","nsp":"/"})"),
      with_uid(R"({"type":8,"data":{"requestId":"req1","sockets":[]},"uid":"0123456789abcdef","nsp":"/"})"),
  };
  std::sort(node_answers.begin(), node_answers.end());
  CHECK(answers == node_answers);
  CHECK(a.shut_down());
}

TEST_CASE("broadcasts cross servers in every subscription mode: all, one room, a socket id, except, volatile, binaries") {
  auto mode =
      GENERATE(redis_subscription_mode::dynamic, redis_subscription_mode::static_channels, redis_subscription_mode::dynamic_private);
  INFO("subscription mode " << mode_name(mode));
  sio_test::redis_process redis;
  node a(redis.url(), mode), b(redis.url(), mode);
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), in_room(b.port()), outside(b.port());
  client_a.connect();
  std::string in_room_id = in_room.connect();
  std::string outside_id = outside.connect();
  REQUIRE(eventually([&] { return connected.load() == 3; }));
  REQUIRE(in_room_id.size() == 20);

  // Which channels b holds: a public room's in the dynamic modes, a socket's own room's only in
  // dynamic-private.
  a.io->in(in_room_id).sockets_join({"r"});
  REQUIRE(eventually([&] { return b.io->in("r").sockets().size() == 1; }));
  bool dynamic = mode != redis_subscription_mode::static_channels;
  bool private_rooms = mode == redis_subscription_mode::dynamic_private;
  CHECK(wait_subscribers(redis, room_channel("r"), dynamic ? 1 : 0));
  CHECK(wait_subscribers(redis, room_channel(outside_id), private_rooms ? 1 : 0));
  CHECK(wait_subscribers(redis, room_channel(in_room_id), private_rooms ? 1 : 0));

  a.io->emit("all", 1);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");

  a.io->to("r").emit("room", 2);
  a.io->to(outside_id).emit("direct", 3);  // a socket id: the main channel, or its own in dynamic-private
  a.io->except("r").emit("not-r", 4);
  a.io->to("nowhere").emit("no", 5);
  a.io->emit("bin", sio::binary{1, 2, 3});
  a.io->emit("marker", 6);
  // One publishing connection, one subscriber on one redis-server: what a publishes reaches b in
  // order, whatever the channel, so after the marker nothing earlier is still on its way.
  in_room.next_matching([](const std::string& p) { return is_event(p, "marker"); });
  outside.next_matching([](const std::string& p) { return is_event(p, "marker"); });
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms) == "2[\"room\",2]");
  CHECK_THROWS(outside.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms));
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "direct"); }, 0ms) == "2[\"direct\",3]");
  CHECK_THROWS(in_room.next_matching([](const std::string& p) { return is_event(p, "direct"); }, 0ms));
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms) == "2[\"not-r\",4]");
  CHECK_THROWS(in_room.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms));
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "not-r"); }) == "2[\"not-r\",4]");
  for (auto* c : {&in_room, &outside}) {
    CHECK_THROWS(c->next_matching([](const std::string& p) { return is_event(p, "no"); }, 0ms));
    CHECK(c->next_matching([](const std::string& p) { return p.find("\"bin\"") != std::string::npos; }, 0ms) ==
          "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
  }

  // Volatile crosses too: b's clients have read all of the above, so their sockets are idle.
  a.io->volatile_().emit("vol", 7);
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "vol"); }) == "2[\"vol\",7]");
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "vol"); }) == "2[\"vol\",7]");

  // From b to a, to one room.
  a.io->sockets_join({"on-a"});
  REQUIRE(eventually([&] { return a.io->in("on-a").sockets().size() == 1; }));
  // sockets_join reaches every server: b's sockets join too, and both servers hold the channel.
  CHECK(wait_subscribers(redis, room_channel("on-a"), dynamic ? 2 : 0));
  b.io->to("on-a").emit("to-a", 8);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "to-a"); }) == "2[\"to-a\",8]");

  // The room's last member leaves: its channel goes.
  a.io->in("r").sockets_leave({"r"});
  REQUIRE(eventually([&] { return b.io->in("r").sockets().empty(); }));
  CHECK(wait_subscribers(redis, room_channel("r"), 0));
  CHECK(a.errors.load() == 0);
  CHECK(b.errors.load() == 0);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("fetch_sockets with data, remote join/leave/disconnect, sockets_join/leave and disconnect_sockets cross servers") {
  auto mode =
      GENERATE(redis_subscription_mode::dynamic, redis_subscription_mode::static_channels, redis_subscription_mode::dynamic_private);
  INFO("subscription mode " << mode_name(mode));
  sio_test::redis_process redis;
  node a(redis.url(), mode), b(redis.url(), mode);
  std::promise<void> a_ready, b_ready;
  a.io->on_connection([&](sio::socket s) {
    s.data<std::string>() = "on-a";
    a_ready.set_value();
  });
  b.io->on_connection([&](sio::socket s) {
    // A binary in socket.data: the fetch answer is msgpack then.
    s.data<sio::value>() = sio::value(sio::object{{"name", "on-b"}, {"n", 2}, {"key", sio::binary{7, 8}}});
    s.join("r");
    b_ready.set_value();
  });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), client_b(b.port());
  client_a.connect();
  std::string id_b = client_b.connect();
  a_ready.get_future().get();
  b_ready.get_future().get();

  auto fetched = a.io->fetch_sockets(asio::use_future);
  REQUIRE(fetched.wait_for(10s) == std::future_status::ready);
  std::vector<sio::remote_socket> found = fetched.get();
  REQUIRE(found.size() == 2);
  auto on_b = std::find_if(found.begin(), found.end(), [&](const sio::remote_socket& s) { return s.id() == id_b; });
  REQUIRE(on_b != found.end());
  sio::remote_socket remote = *on_b;
  CHECK(remote.data() == sio::value(sio::object{{"name", "on-b"}, {"n", 2}, {"key", sio::binary{7, 8}}}));
  auto rooms = remote.rooms();
  std::sort(rooms.begin(), rooms.end());
  auto expected = std::vector<sio::room_id>{"r", id_b};
  std::sort(expected.begin(), expected.end());
  CHECK(rooms == expected);
  CHECK(remote.handshake().address == "127.0.0.1");
  CHECK(remote.handshake().url.rfind("/socket.io/", 0) == 0);
  CHECK(remote.handshake().query.get("EIO") == "4");

  CHECK(a.io->local().fetch_sockets(asio::use_future).get().size() == 1);
  auto in_r = a.io->in("r").fetch_sockets(asio::use_future);
  REQUIRE(in_r.wait_for(10s) == std::future_status::ready);
  CHECK(in_r.get().size() == 1);

  remote.emit("direct", 7);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "direct"); }) == "2[\"direct\",7]");
  remote.join("x");
  REQUIRE(eventually([&] { return b.io->in("x").sockets().size() == 1; }));
  remote.leave("r");
  REQUIRE(eventually([&] { return b.io->in("r").sockets().empty(); }));
  a.io->in("x").sockets_leave({"x"});
  REQUIRE(eventually([&] { return b.io->in("x").sockets().empty(); }));
  a.io->sockets_join({"both"});
  REQUIRE(eventually([&] { return b.io->in("both").sockets().size() == 1 && a.io->in("both").sockets().size() == 1; }));

  remote.disconnect(true);
  client_b.wait_closed();
  REQUIRE(eventually([&] { return b.io->sockets().empty(); }));
  a.io->in("both").disconnect_sockets(true);
  client_a.wait_closed();
  REQUIRE(eventually([&] { return a.io->sockets().empty(); }));
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("a broadcast with acks counts the other server's clients and gets their acks") {
  auto mode =
      GENERATE(redis_subscription_mode::dynamic, redis_subscription_mode::static_channels, redis_subscription_mode::dynamic_private);
  INFO("subscription mode " << mode_name(mode));
  sio_test::redis_process redis;
  node a(redis.url(), mode), b(redis.url(), mode);
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port(), acks_with("a")), client_b1(b.port(), acks_with("b1")), client_b2(b.port(), acks_with("b2"));
  client_a.connect();
  client_b1.connect();
  client_b2.connect();
  REQUIRE(eventually([&] { return connected.load() == 3; }));

  auto replies = a.io->timeout(5s).emit_with_ack("ask", 1, asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  std::vector<std::string> names;
  for (const auto& r : replies.get()) names.push_back(r.get<std::string>(0).value_or("?"));
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"a", "b1", "b2"});

  // To one room (with an ack it still goes to the namespace channel: every server must count).
  b.io->local().sockets_join({"pair"});  // b's two clients only
  REQUIRE(eventually([&] { return b.io->in("pair").sockets().size() == 2; }));
  auto room = a.io->to("pair").timeout(5s).emit_with_ack("ask", 2, asio::use_future);
  REQUIRE(room.wait_for(10s) == std::future_status::ready);
  CHECK(room.get().size() == 2);

  auto local = a.io->local().timeout(5s).emit_with_ack("ask", 3, asio::use_future);
  REQUIRE(local.wait_for(10s) == std::future_status::ready);
  CHECK(local.get().size() == 1);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("server_side_emit with and without ack; a server that stops answering makes requests time out") {
  sio_test::redis_process redis;
  node a(redis.url()), b(redis.url()), c(redis.url());
  b.io->on_server_side_event([](const std::string& event, sio::arguments args, std::function<void(sio::value)> reply) {
    if (event == "ping") reply(sio::value{"pong " + std::to_string(args.get<int>(0).value_or(-1))});
  });
  c.io->on_server_side_event([](const std::string& event, sio::arguments, std::function<void(sio::value)> reply) {
    if (event == "ping" || event == "quiet") reply(sio::value{sio::binary{4, 2}});  // a binary reply: msgpack
  });
  std::promise<sio::value> hello;
  std::promise<std::pair<std::error_code, std::size_t>> fetched_in_handler;
  a.io->on_server_side_event([&](const std::string& event, sio::arguments args) {
    if (event == "hello") hello.set_value(args.get<sio::value>(0).value_or(sio::value()));
    // A handler may ask the cluster in turn (it runs while the adapter handles b's message).
    if (event == "fetch")
      a.io->timeout(2s).fetch_sockets([&](std::error_code ec, std::vector<sio::remote_socket> found) {
        fetched_in_handler.set_value({ec, found.size()});
      });
  });
  a.start();
  b.start();
  c.start();
  REQUIRE(wait_servers(redis, 3));

  // Counted now by SHARDNUMSUB; the rooms are this server's only (Node's sharded adapter has no
  // cluster-wide list).
  auto servers = a.io->fetch_server_count(asio::use_future);
  REQUIRE(servers.wait_for(10s) == std::future_status::ready);
  CHECK(servers.get() == 3);
  sio_test::test_client client_b(b.port());
  client_b.connect();  // b has a room now: its socket's own
  REQUIRE(eventually([&] { return b.io->sockets().size() == 1; }));
  auto rooms = a.io->fetch_all_rooms(asio::use_future);
  REQUIRE(rooms.wait_for(10s) == std::future_status::ready);
  CHECK(rooms.get().empty());

  auto replies = a.io->server_side_emit_with_ack("ping", 5, asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  auto got = replies.get();
  REQUIRE(got.size() == 2);
  CHECK(std::count(got.begin(), got.end(), sio::value{"pong 5"}) == 1);
  CHECK(std::count(got.begin(), got.end(), sio::value{sio::binary{4, 2}}) == 1);

  // b does not answer "quiet": the request times out, and the callback still has c's reply.
  std::promise<std::pair<std::error_code, std::size_t>> partial;
  a.io->timeout(300ms).server_side_emit_with_ack("quiet", 6, [&](std::error_code ec, std::vector<sio::value> r) {
    partial.set_value({ec, r.size()});
  });
  auto outcome = partial.get_future();
  REQUIRE(outcome.wait_for(10s) == std::future_status::ready);
  auto [ec, count] = outcome.get();
  CHECK(ec == sio::errc::ack_timeout);
  CHECK(count == 1);

  b.io->server_side_emit("hello", sio::binary{1, 2});
  auto heard = hello.get_future();
  REQUIRE(heard.wait_for(10s) == std::future_status::ready);
  CHECK(heard.get() == sio::value(sio::binary{1, 2}));

  b.io->server_side_emit("fetch");
  auto in_handler = fetched_in_handler.get_future();
  REQUIRE(in_handler.wait_for(10s) == std::future_status::ready);
  auto [handler_ec, handler_found] = in_handler.get();
  CHECK_FALSE(handler_ec);
  CHECK(handler_found == 1);  // client_b's socket

  // c's io_context stops: Redis still counts its connections, but it answers nothing.
  c.ctx.stop();
  c.thread.join();
  std::promise<std::pair<std::error_code, std::size_t>> fetched;
  a.io->timeout(300ms).fetch_sockets([&](std::error_code e, std::vector<sio::remote_socket> found) {
    fetched.set_value({e, found.size()});
  });
  auto f = fetched.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get().first == sio::errc::ack_timeout);

  // Once its connections are gone, Redis no longer counts it and the requests complete.
  CHECK(c.shut_down());
  c.ctx.restart();
  c.ctx.run_for(2s);  // what close() posted: c's Redis connections end
  REQUIRE(wait_servers(redis, 2));
  auto again = a.io->server_side_emit_with_ack("ping", 1, asio::use_future);
  REQUIRE(again.wait_for(10s) == std::future_status::ready);
  CHECK(again.get().size() == 1);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("local delivery goes on while Redis is away; cross-server delivery resumes after it restarts") {
  auto mode = GENERATE(redis_subscription_mode::dynamic, redis_subscription_mode::dynamic_private);
  INFO("subscription mode " << mode_name(mode));
  sio_test::redis_process redis;
  node a(redis.url(), mode), b(redis.url(), mode);
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket s) {
    s.join("room");
    ++connected;
  });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), client_b(b.port());
  client_a.connect();
  client_b.connect();
  REQUIRE(eventually([&] { return connected.load() == 2; }));
  REQUIRE(wait_subscribers(redis, room_channel("room"), 1));

  redis.stop();
  a.io->emit("during", 1);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "during"); }) == "2[\"during\",1]");
  std::promise<std::error_code> fetched;
  a.io->timeout(300ms).fetch_sockets([&](std::error_code e, std::vector<sio::remote_socket>) { fetched.set_value(e); });
  auto f = fetched.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get() == sio::errc::ack_timeout);

  // The shard subscriptions, room channels included, are taken again on the new link.
  redis.start();
  REQUIRE(wait_servers(redis, 2, 20s));
  REQUIRE(wait_subscribers(redis, room_channel("room"), 1, 20s));
  a.io->to("room").emit("after", 2);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "after"); }, 20s) == "2[\"after\",2]");
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

#ifdef SIO_REDIS_CLI
TEST_CASE("on a 3-master Redis Cluster: broadcasts to rooms, fetch_sockets and server-side emits cross servers") {
  sio_test::redis_cluster cluster;
  // Each server is given a different node: the others are found from it.
  node a(cluster.url(0)), b(cluster.url(1));
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket s) {
    s.join("room-on-b");
    ++connected;
  });
  b.io->on_server_side_event([](const std::string& event, sio::arguments, std::function<void(sio::value)> reply) {
    if (event == "ping") reply(sio::value("pong"));
  });
  a.start();
  b.start();
  auto count = [&] {
    auto n = a.io->fetch_server_count(asio::use_future);
    return n.wait_for(10s) == std::future_status::ready ? n.get() : 0;
  };
  REQUIRE(eventually([&] { return count() == 2; }, 20s));  // SHARDNUMSUB summed over the masters
  sio_test::test_client client_a(a.port()), client_b(b.port());
  client_a.connect();
  std::string id_b = client_b.connect();
  REQUIRE(eventually([&] { return connected.load() == 2; }));

  auto found = a.io->in("room-on-b").fetch_sockets(asio::use_future);
  REQUIRE(found.wait_for(10s) == std::future_status::ready);
  CHECK(found.get().size() == 1);
  a.io->emit("all", 1);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");
  // Node's count of a channel: SHARDNUMSUB at every master, summed.
  auto shard_subscribers = [&](const std::string& channel) {
    long long total = 0;
    for (int i = 0; i < sio_test::redis_cluster::size; ++i) {
      auto out = cluster.cli(i, "PUBSUB SHARDNUMSUB '" + channel + "'");
      total += std::stoll(out.substr(out.rfind('\n') + 1));
    }
    return total;
  };
  REQUIRE(eventually([&] { return shard_subscribers(room_channel("room-on-b")) == 1; }, 20s));
  a.io->to("room-on-b").emit("room", 1);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "room"); }) == "2[\"room\",1]");
  a.io->to(id_b).emit("direct", 2);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "direct"); }) == "2[\"direct\",2]");
  auto replies = a.io->server_side_emit_with_ack("ping", asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  CHECK(replies.get() == std::vector<sio::value>{sio::value("pong")});
  CHECK(a.errors.load() == 0);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}
#endif
