// sio::redis_adapter: two (or three) sio servers, each on its own io_context thread, share their
// namespace through one real redis-server started on a free loopback port; clients connect with the
// WebSocket test client. Every operation of the adapter interface crosses servers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <catch2/catch_test_macros.hpp>
#include <sio/redis/connection.hpp>
#include <sio/redis/msgpack_codec.hpp>
#include <sio/redis_adapter.hpp>
#include <sio/redis_emitter.hpp>
#include <sio/server.hpp>

#include "adapter_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using sio_test::acks_with;
using sio_test::eventually;
using sio_test::is_event;
const std::string test_key = "sio-test";

/// One sio server with the classic Redis adapter.
struct node : sio_test::redis_node {
  explicit node(const std::string& url, std::chrono::milliseconds request_timeout = 5s)
      : redis_node([&](asio::io_context& ctx, sio_test::redis_error_handler on_error) {
          sio::redis_adapter_options opts;
          opts.url = url;
          opts.key = test_key;
          opts.request_timeout = request_timeout;
          opts.on_error = std::move(on_error);
          return sio::redis_adapter::create(ctx, opts);
        }) {}
};

/// Waits until `n` connections subscribe to the request channel of "/" (each server subscribes
/// once, and last: its other subscriptions are in place then).
bool wait_servers(const sio_test::redis_process& redis, long long n, std::chrono::seconds limit = 10s) {
  return sio_test::wait_count(redis, {"PUBSUB", "NUMSUB", test_key + "-request#/#"}, n, limit);
}

}  // namespace

TEST_CASE("msgpack codec: notepack's bytes for a classic broadcast, and back") {
  // docs/redis-wire.md §2.7: io.to("room1").emit("hello", 1) from uid AbCdEf on "/".
  sio::value message = sio::array{"AbCdEf", sio::object{{"type", 2}, {"data", sio::array{"hello", 1}}, {"nsp", "/"}},
                                  sio::object{{"rooms", sio::array{"room1"}}, {"except", sio::array{}}, {"flags", sio::object{}}}};
  std::string bytes = sio::redis::msgpack_codec::encode(message);
  std::string expected =
      "\x93\xa6"
      "AbCdEf"
      "\x83\xa4type\x02\xa4"
      "data\x92\xa5hello\x01\xa3nsp\xa1/"
      "\x83\xa5rooms\x91\xa5room1\xa6"
      "except\x90\xa5"
      "flags\x80";
  CHECK(bytes == expected);
  auto back = sio::redis::msgpack_codec::decode(bytes);
  REQUIRE(back);
  CHECK(*back == message);

  // Binaries as bin8, integral doubles as integers, fractions as float64, 2^32 as uint64.
  CHECK(sio::redis::msgpack_codec::encode(sio::array{sio::binary{1, 2, 3}}) == std::string("\x91\xc4\x03\x01\x02\x03", 6));
  CHECK(sio::redis::msgpack_codec::encode(sio::array{3.0}) == std::string("\x91\x03"));
  CHECK(sio::redis::msgpack_codec::encode(sio::array{1.5}) == std::string("\x91\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00", 10));
  CHECK(sio::redis::msgpack_codec::encode(sio::array{std::int64_t{1} << 32}) ==
        std::string("\x91\xcf\x00\x00\x00\x01\x00\x00\x00\x00", 10));
  CHECK(sio::redis::msgpack_codec::encode(sio::array{std::string(40, 'x')}).substr(0, 3) == "\x91\xd9\x28");

  // Malformed or truncated input, and trailing bytes, give nothing.
  CHECK_FALSE(sio::redis::msgpack_codec::decode(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(sio::redis::msgpack_codec::decode(bytes + "\x01"));
  CHECK_FALSE(sio::redis::msgpack_codec::decode(std::string("\xc1", 1)));
  CHECK_FALSE(sio::redis::msgpack_codec::decode(std::string("\xdd\xff\xff\xff\xff", 5)));  // a 4G-element array, no bytes
}

TEST_CASE("broadcasts cross servers: to all, to one room, except a room, volatile, and binaries") {
  sio_test::redis_process redis;
  node a(redis.url()), b(redis.url());
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), in_room(b.port()), outside(b.port());
  client_a.connect();
  std::string in_room_id = in_room.connect();
  outside.connect();
  REQUIRE(eventually([&] { return connected.load() == 3; }));
  // Server a puts b's socket in "r" (sockets_join with its id, across).
  a.io->in(in_room_id).sockets_join({"r"});
  REQUIRE(eventually([&] { return b.io->in("r").sockets().size() == 1; }));

  a.io->emit("all", 1);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1]");

  a.io->to("r").emit("room", 2);
  a.io->except("r").emit("not-r", 3);
  a.io->to("nowhere").emit("no", 4);
  a.io->emit("bin", sio::binary{1, 2, 3});
  a.io->emit("marker", 6);
  // One publish connection, one subscriber: what a publishes reaches b in order, so after the
  // marker nothing of the earlier broadcasts is still on its way.
  in_room.next_matching([](const std::string& p) { return is_event(p, "marker"); });
  outside.next_matching([](const std::string& p) { return is_event(p, "marker"); });
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms) == "2[\"room\",2]");
  CHECK_THROWS(outside.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms));
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms) == "2[\"not-r\",3]");
  CHECK_THROWS(in_room.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms));
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "not-r"); }) == "2[\"not-r\",3]");
  for (auto* c : {&in_room, &outside}) {
    CHECK_THROWS(c->next_matching([](const std::string& p) { return is_event(p, "no"); }, 0ms));
    CHECK(c->next_matching([](const std::string& p) { return p.find("\"bin\"") != std::string::npos; }, 0ms) ==
          "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
  }

  // Volatile crosses too: b's clients have read all of the above, so their sockets are idle and
  // take it (a volatile packet is dropped only for a client busy writing).
  a.io->volatile_().emit("vol", 5);
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "vol"); }) == "2[\"vol\",5]");
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "vol"); }) == "2[\"vol\",5]");

  // From b to a, to one room (the single-room channel).
  a.io->sockets_join({"on-a"});
  REQUIRE(eventually([&] { return a.io->in("on-a").sockets().size() == 1; }));
  b.io->to("on-a").emit("to-a", 7);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "to-a"); }) == "2[\"to-a\",7]");
  CHECK(a.errors.load() == 0);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("fetch_sockets across servers with data; sockets_join, sockets_leave and disconnect_sockets reach the other server") {
  sio_test::redis_process redis;
  node a(redis.url()), b(redis.url());
  std::promise<void> a_ready, b_ready;
  a.io->on_connection([&](sio::socket s) {
    s.data<std::string>() = "on-a";
    a_ready.set_value();
  });
  b.io->on_connection([&](sio::socket s) {
    s.data<sio::value>() = sio::value(sio::object{{"name", "on-b"}, {"n", 2}});
    s.join("r");
    b_ready.set_value();
  });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), client_b(b.port());
  std::string client_a_id = client_a.connect();
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
  CHECK(remote.data() == sio::value(sio::object{{"name", "on-b"}, {"n", 2}}));
  auto rooms = remote.rooms();
  std::sort(rooms.begin(), rooms.end());
  auto expected = std::vector<sio::room_id>{"r", id_b};
  std::sort(expected.begin(), expected.end());
  CHECK(rooms == expected);
  CHECK(remote.handshake().address == "127.0.0.1");
  CHECK(remote.handshake().url.rfind("/socket.io/", 0) == 0);
  CHECK(remote.handshake().query.get("EIO") == "4");

  // The rooms of the whole cluster (Node's allRooms()) and the server count, asked of the others.
  std::vector<sio::room_id> all = a.io->fetch_all_rooms(asio::use_future).get();
  std::sort(all.begin(), all.end());
  std::vector<sio::room_id> expected_all{"r", id_b, client_a_id};
  std::sort(expected_all.begin(), expected_all.end());
  CHECK(all == expected_all);
  CHECK(a.io->fetch_server_count(asio::use_future).get() == 2);
  CHECK(b.io->fetch_server_count(asio::use_future).get() == 2);

  CHECK(a.io->local().fetch_sockets(asio::use_future).get().size() == 1);
  CHECK(a.io->in("r").fetch_sockets(asio::use_future).get().size() == 1);

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

  a.io->in("both").except("r").disconnect_sockets(true);
  client_b.wait_closed();
  client_a.wait_closed();
  REQUIRE(eventually([&] { return b.io->sockets().empty() && a.io->sockets().empty(); }));
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("a broadcast with acks counts the other server's clients and gets their acks") {
  sio_test::redis_process redis;
  node a(redis.url()), b(redis.url());
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

  auto local = a.io->local().timeout(5s).emit_with_ack("ask", 2, asio::use_future);
  REQUIRE(local.wait_for(10s) == std::future_status::ready);
  CHECK(local.get().size() == 1);
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("a broadcast with acks waits for other servers' acks as long as its own timeout, past the request timeout") {
  sio_test::redis_process redis;
  node a(redis.url(), 200ms), b(redis.url(), 200ms);
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client late(b.port());  // acks by hand, below
  late.connect();
  REQUIRE(eventually([&] { return connected.load() == 1; }));

  auto replies = a.io->timeout(5s).emit_with_ack("slow", 1, asio::use_future);
  std::string event =
      late.next_matching([](const std::string& p) { return p.rfind("2", 0) == 0 && p.find("\"slow\"") != std::string::npos; });
  // Answered after several of the adapters' 200 ms request timeouts: server a must still be
  // gathering, as Node's adapter keeps its ack request for flags.timeout.
  std::this_thread::sleep_for(700ms);
  late.send_sio("3" + event.substr(1, event.find('[') - 1) + "[\"late\"]");
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  auto got = replies.get();
  REQUIRE(got.size() == 1);
  CHECK(got[0].get<std::string>(0) == "late");
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
    if (event == "ping" || event == "quiet") reply(sio::value{"pong from c"});
  });
  std::promise<int> hello;
  std::promise<std::pair<std::error_code, std::size_t>> fetched_in_handler;
  a.io->on_server_side_event([&](const std::string& event, sio::arguments args) {
    if (event == "hello") hello.set_value(args.get<int>(0).value_or(-1));
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

  auto replies = a.io->server_side_emit_with_ack("ping", 5, asio::use_future);
  REQUIRE(replies.wait_for(10s) == std::future_status::ready);
  std::vector<std::string> texts;
  for (const auto& v : replies.get()) texts.push_back(sio::from_value<std::string>(v).value_or("?"));
  std::sort(texts.begin(), texts.end());
  CHECK(texts == std::vector<std::string>{"pong 5", "pong from c"});

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

  b.io->server_side_emit("hello", 9);
  auto heard = hello.get_future();
  REQUIRE(heard.wait_for(10s) == std::future_status::ready);
  CHECK(heard.get() == 9);

  b.io->server_side_emit("fetch");
  auto in_handler = fetched_in_handler.get_future();
  REQUIRE(in_handler.wait_for(10s) == std::future_status::ready);
  auto [handler_ec, handler_found] = in_handler.get();
  CHECK_FALSE(handler_ec);
  CHECK(handler_found == 0);  // no client anywhere: every server answered with none

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
  sio_test::redis_process redis;
  node a(redis.url()), b(redis.url());
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) { ++connected; });
  b.io->on_connection([&](sio::socket) { ++connected; });
  a.start();
  b.start();
  REQUIRE(wait_servers(redis, 2));
  sio_test::test_client client_a(a.port()), client_b(b.port());
  client_a.connect();
  client_b.connect();
  REQUIRE(eventually([&] { return connected.load() == 2; }));

  redis.stop();
  a.io->emit("during", 1);
  CHECK(client_a.next_matching([](const std::string& p) { return is_event(p, "during"); }) == "2[\"during\",1]");
  // The other servers cannot be counted: the request ends at its timeout with an error and no
  // partial list, as Node's fetchSockets rejects.
  std::promise<std::pair<std::error_code, std::size_t>> fetched;
  a.io->timeout(300ms).fetch_sockets([&](std::error_code e, std::vector<sio::remote_socket> found) {
    fetched.set_value({e, found.size()});
  });
  auto f = fetched.get_future();
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto [ec, n] = f.get();
  CHECK(ec == sio::errc::ack_timeout);
  CHECK(n == 0);

  redis.start();
  REQUIRE(wait_servers(redis, 2, 20s));
  a.io->emit("after", 2);
  CHECK(client_b.next_matching([](const std::string& p) { return is_event(p, "after"); }, 20s) == "2[\"after\",2]");
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}

TEST_CASE("sio::redis_emitter reaches a server's clients: to all, a room, except, another namespace; joins, leaves, disconnects") {
  sio_test::redis_process redis;
  node a(redis.url());
  std::promise<void> ready;
  std::atomic<int> connected{0};
  a.io->on_connection([&](sio::socket) {
    if (++connected == 2) ready.set_value();
  });
  std::promise<std::string> server_side;
  a.io->on_server_side_event([&](const std::string& ev, sio::arguments args, std::function<void(sio::value)>) {
    server_side.set_value(ev + ":" + sio::json::stringify(sio::value(args.values())));
  });
  a.start();
  REQUIRE(wait_servers(redis, 1));
  sio_test::test_client in_room(a.port()), outside(a.port());
  std::string in_room_id = in_room.connect();
  outside.connect();
  ready.get_future().get();

  asio::io_context io;
  std::atomic<int> errors{0};
  sio::redis_emitter_options opts;
  opts.url = redis.url();
  opts.key = test_key;
  opts.on_error = [&](std::error_code, const std::string&) { ++errors; };
  sio::redis_emitter emitter(io, opts);
  auto guard = asio::make_work_guard(io);
  std::promise<void> emitter_done;
  std::thread emitter_thread([&] {
    io.run();
    emitter_done.set_value();
  });

  emitter.to(in_room_id).sockets_join({"r"});
  REQUIRE(eventually([&] { return a.io->in("r").sockets().size() == 1; }));
  emitter.emit("all", 1, "x");
  emitter.to("r").emit("room", sio::object{{"k", 2}});
  emitter.except("r").emit("not-r", 3);
  emitter.of("/other").emit("elsewhere", 4);
  emitter.emit("bin", sio::binary{1, 2});
  emitter.emit("marker", 5);
  for (auto* c : {&in_room, &outside}) {
    CHECK(c->next_matching([](const std::string& p) { return is_event(p, "all"); }) == "2[\"all\",1,\"x\"]");
    CHECK(c->next_matching([](const std::string& p) { return p.find("\"bin\"") != std::string::npos; }) ==
          "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
    c->next_matching([](const std::string& p) { return is_event(p, "marker"); });
    CHECK_THROWS(c->next_matching([](const std::string& p) { return is_event(p, "elsewhere"); }, 0ms));
  }
  CHECK(in_room.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms) == "2[\"room\",{\"k\":2}]");
  CHECK_THROWS(outside.next_matching([](const std::string& p) { return is_event(p, "room"); }, 0ms));
  CHECK(outside.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms) == "2[\"not-r\",3]");
  CHECK_THROWS(in_room.next_matching([](const std::string& p) { return is_event(p, "not-r"); }, 0ms));
  CHECK_THROWS(emitter.emit("disconnect"));

  emitter.server_side_emit("hello", 1, "two");
  auto said = server_side.get_future();
  REQUIRE(said.wait_for(10s) == std::future_status::ready);
  CHECK(said.get() == "hello:[1,\"two\"]");

  emitter.in("r").sockets_leave({"r"});
  REQUIRE(eventually([&] { return a.io->in("r").sockets().empty(); }));
  emitter.except(in_room_id).disconnect_sockets(true);
  outside.wait_closed();
  REQUIRE(eventually([&] { return a.io->sockets().size() == 1; }));
  CHECK(errors.load() == 0);

  // close() lets the emitter's io_context run out of work.
  emitter.close();
  guard.reset();
  CHECK(emitter_done.get_future().wait_for(10s) == std::future_status::ready);
  if (!io.stopped()) io.stop();
  emitter_thread.join();
  CHECK(a.shut_down());
}
