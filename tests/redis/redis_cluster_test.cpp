// sio::redis::cluster against a real 3-master Redis Cluster (redis_cluster.hpp), started on free
// loopback ports for each test and stopped by PID; sio::redis::key_slot against the cluster's own
// CLUSTER KEYSLOT; and scripted fake nodes for what redis 7.0 does not send here (empty hosts).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <catch2/catch_test_macros.hpp>

#include "sio/redis/cluster.hpp"
#include "sio/redis/connection.hpp"
#include "sio/redis/reader.hpp"
#include "sio/redis/slot.hpp"
#include "sio/redis/url.hpp"
#include "redis_cluster.hpp"

namespace {

using namespace std::chrono_literals;
using sio::redis::cluster;
using sio::redis::cluster_errc;
using sio::redis::connection;
using sio::redis::errc;
using sio::redis::key_slot;
using sio::redis::message;
using sio::redis::reply;
using sio::redis::url;
using sio_test::redis_cluster;

template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::steady_clock::duration limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_for(20ms);
  }
  return true;
}

struct outcome {
  bool done = false;
  std::error_code ec;
  reply r;
};

struct error_report {
  std::error_code ec;
  std::string what;
};

// The io_context, the clients made on it, and what they reported.
class harness {
 public:
  explicit harness(const redis_cluster& c) : redis(c) {}
  ~harness() {
    for (auto& c : clusters_) c->close();
    for (auto& c : connections_) c->close();
    io.restart();
    io.run_for(1s);
  }

  std::shared_ptr<cluster> make(int seed = 0, sio::redis::cluster_options opts = {}) {
    opts.on_error = [errors = errors](std::error_code ec, const std::string& what) { errors->push_back({ec, what}); };
    auto c = cluster::create(io.get_executor(), {url::parse(redis.url(seed))}, std::move(opts));
    clusters_.push_back(c);
    c->start();
    return c;
  }
  std::shared_ptr<cluster> ready(int seed = 0) {
    auto c = make(seed);
    REQUIRE(run_until(io, [&] { return c->ready(); }));
    return c;
  }

  // A plain connection to node i (no redirects followed).
  std::shared_ptr<connection> direct(int i) {
    auto c = connection::create(io.get_executor(), url::parse(redis.url(i)));
    connections_.push_back(c);
    c->start();
    return c;
  }

  template <class Client>
  std::shared_ptr<outcome> send(const Client& c, const std::vector<std::string_view>& args) {
    auto o = std::make_shared<outcome>();
    c->command(args, [o](std::error_code ec, reply r) {
      REQUIRE_FALSE(o->done);  // exactly once
      o->done = true;
      o->ec = ec;
      o->r = std::move(r);
    });
    return o;
  }
  template <class Client>
  reply call(const Client& c, const std::vector<std::string_view>& args) {
    auto o = send(c, args);
    REQUIRE(run_until(io, [&] { return o->done; }));
    INFO(o->ec.message() << " " << o->r.str());
    REQUIRE_FALSE(o->ec);
    return o->r;
  }

  std::size_t count(const std::shared_ptr<cluster>& c, bool shard, const std::string& channel) {
    bool done = false;
    std::error_code error;
    std::size_t n = 0;
    auto handler = [&](std::error_code ec, std::size_t count) {
      done = true;
      error = ec;
      n = count;
    };
    if (shard) {
      c->shardnumsub(channel, handler);
    } else {
      c->numsub(channel, handler);
    }
    REQUIRE(run_until(io, [&] { return done; }));
    REQUIRE_FALSE(error);
    return n;
  }

  // A key (name + n) for each master, in the order of redis's indexes.
  std::vector<std::string> key_per_node(const std::string& name) const {
    std::vector<std::string> keys(redis_cluster::size);
    for (int n = 0; std::count(keys.begin(), keys.end(), std::string()) > 0; ++n) {
      std::string key = name + std::to_string(n);
      int owner = owner_index(key);
      if (keys.at(static_cast<std::size_t>(owner)).empty()) keys[static_cast<std::size_t>(owner)] = key;
    }
    return keys;
  }
  // The node that owns `key` by the cluster itself (CLUSTER SLOTS of node 0 at the start).
  int owner_index(const std::string& key) const {
    // redis-cli --cluster create gives the three masters equal ranges, in the order given.
    int slot = key_slot(key);
    return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
  }

  const redis_cluster& redis;
  asio::io_context io;
  std::shared_ptr<std::vector<error_report>> errors = std::make_shared<std::vector<error_report>>();

 private:
  std::vector<std::shared_ptr<cluster>> clusters_;
  std::vector<std::shared_ptr<connection>> connections_;
};

// Messages a subscription heard.
struct inbox {
  std::shared_ptr<std::vector<message>> messages = std::make_shared<std::vector<message>>();
  cluster::message_handler handler() {
    return [messages = messages](const message& m) { messages->push_back(m); };
  }
  std::size_t size() const { return messages->size(); }
};

}  // namespace

TEST_CASE("slot: CRC16-XMODEM and hash tags, as the cluster computes them") {
  static_assert(sio::redis::crc16("123456789") == 0x31C3);  // the XMODEM check value
  static_assert(sio::redis::crc16("") == 0);
  static_assert(key_slot("foo") == 12182);
  static_assert(sio::redis::hash_tag("a{b}c") == "b");
  static_assert(sio::redis::hash_tag("a{}c") == "a{}c");
  static_assert(sio::redis::hash_tag("a{b") == "a{b");
  static_assert(sio::redis::hash_tag("}a{b}") == "b");

  redis_cluster redis;
  harness h(redis);
  auto node = h.direct(0);
  const std::vector<std::string> keys = {
      "",
      "foo",
      "bar",
      "{user1000}.following",
      "{user1000}.followers",
      "foo{}{bar}",
      "foo{{bar}}zap",
      "foo{bar}{zap}",
      "{}foo",
      "}{",
      "{a}",
      "socket.io#/#",
      "socket.io#/#0123456789abcdef#",
      std::string("\x00\xff{\x80}\n", 6),
      std::string(1000, 'x'),
  };
  for (const auto& key : keys) {
    INFO("key of " << key.size() << " bytes: " << key.substr(0, 40));
    reply r = h.call(node, {"CLUSTER", "KEYSLOT", key});
    REQUIRE(r.is_integer());
    CHECK(key_slot(key) == r.integer());
  }
  // Every slot is reachable: "{n}" for enough n covers all 16384 (checked against the server for a sample).
  std::vector<bool> seen(sio::redis::slot_count);
  for (int n = 0; n < 200000; ++n) seen[key_slot(std::to_string(n))] = true;
  CHECK(std::count(seen.begin(), seen.end(), true) == sio::redis::slot_count);
}

TEST_CASE("cluster: commands reach the master of their key, on all three masters") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.ready(1);  // any node is a seed
  REQUIRE(c->masters().size() == 3);

  auto keys = h.key_per_node("key");
  for (int i = 0; i < redis_cluster::size; ++i) {
    const std::string& key = keys[static_cast<std::size_t>(i)];
    INFO(key);
    CHECK(c->owner_of(key) == redis.address(i));
    std::string value = "value of " + key + std::string("\0\r\n", 3);
    CHECK(h.call(c, {"SET", key, value}).equals("OK"));
    CHECK(h.call(c, {"GET", key}).str() == value);
    // The key is where the map says: the owner answers without a redirect.
    auto owner = h.direct(i);
    CHECK(h.call(owner, {"GET", key}).str() == value);
  }
  // command_for_key routes by the key given, wherever it sits in the arguments.
  CHECK(h.call(c, {"SET", keys[2], "2"}).equals("OK"));
  reply r;
  {
    auto o = std::make_shared<outcome>();
    c->command_for_key(keys[2], {"EVAL", "return redis.call('GET', KEYS[1])", "1", keys[2]}, [o](std::error_code ec, reply x) {
      o->done = true;
      o->ec = ec;
      o->r = std::move(x);
    });
    REQUIRE(run_until(h.io, [&] { return o->done; }));
    REQUIRE_FALSE(o->ec);
    r = o->r;
  }
  CHECK(r.str() == "2");
  // A command with no key goes to some master; error replies come back as replies.
  CHECK(h.call(c, {"PING"}).equals("PONG"));
  CHECK(h.call(c, {"NOSUCHCOMMAND", "x"}).is_error());
  // Commands given before the map was read wait for it, in order.
  auto early = h.make(2);
  auto a = h.send(early, {"INCR", keys[0] + "-counter"});
  auto b = h.send(early, {"INCR", keys[0] + "-counter"});
  REQUIRE(run_until(h.io, [&] { return a->done && b->done; }));
  CHECK(a->r.integer() == 1);
  CHECK(b->r.integer() == 2);
  CHECK(h.errors->empty());
}

TEST_CASE("cluster: MOVED after a slot moved updates the map; ASK during a migration is followed once") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.ready();
  auto keys = h.key_per_node("moved");
  const std::string key = keys[0];
  const int slot = key_slot(key);
  CHECK(h.call(c, {"SET", key, "before"}).equals("OK"));

  SECTION("MOVED") {
    // Migrate the slot with its key from node 0 to node 1, behind the client's back.
    std::string s = std::to_string(slot);
    REQUIRE(redis.cli(1, "CLUSTER SETSLOT " + s + " IMPORTING " + redis.id(0)) == "OK");
    REQUIRE(redis.cli(0, "CLUSTER SETSLOT " + s + " MIGRATING " + redis.id(1)) == "OK");
    REQUIRE(redis.cli(0, "MIGRATE 127.0.0.1 " + std::to_string(redis.port(1)) + " \"\" 0 5000 KEYS " + key) == "OK");
    redis.finish_move(slot, 0, 1);
    CHECK(c->owner_of(key) == redis.address(0));  // the client does not know yet
    std::size_t maps = c->slot_maps_read();
    CHECK(h.call(c, {"GET", key}).str() == "before");  // node 0 answered MOVED; node 1 answered
    CHECK(c->owner_of(key) == redis.address(1));
    CHECK(h.call(c, {"SET", key, "after"}).equals("OK"));
    CHECK(h.call(h.direct(1), {"GET", key}).str() == "after");
    REQUIRE(run_until(h.io, [&] { return c->slot_maps_read() > maps; }));  // MOVED asks for the map again
    CHECK(c->owner_of(key) == redis.address(1));
  }

  SECTION("ASK") {
    // Half-way: node 0 MIGRATING, node 1 IMPORTING; a key of the same slot moved already.
    const std::string moved = "{" + key + "}.moved", stayed = "{" + key + "}.stayed", fresh = "{" + key + "}.fresh";
    CHECK(h.call(c, {"SET", moved, "m"}).equals("OK"));
    CHECK(h.call(c, {"SET", stayed, "s"}).equals("OK"));
    std::string s = std::to_string(slot);
    REQUIRE(redis.cli(1, "CLUSTER SETSLOT " + s + " IMPORTING " + redis.id(0)) == "OK");
    REQUIRE(redis.cli(0, "CLUSTER SETSLOT " + s + " MIGRATING " + redis.id(1)) == "OK");
    REQUIRE(redis.cli(0, "MIGRATE 127.0.0.1 " + std::to_string(redis.port(1)) + " \"\" 0 5000 KEYS " + moved) == "OK");

    CHECK(h.call(c, {"GET", stayed}).str() == "s");      // still on node 0
    CHECK(h.call(c, {"GET", moved}).str() == "m");       // node 0: ASK; node 1 with ASKING: the value
    CHECK(h.call(c, {"SET", fresh, "f"}).equals("OK"));  // a new key of a migrating slot goes to the importer
    CHECK(c->owner_of(key) == redis.address(0));         // ASK does not change the map
    // Node 1 holds them, and without ASKING it still redirects to node 0.
    auto node1 = h.direct(1);
    reply plain = h.call(node1, {"GET", moved});
    CHECK(plain.is_error());
    CHECK(plain.str().rfind("MOVED " + s, 0) == 0);
    CHECK(h.call(node1, {"ASKING"}).equals("OK"));
    CHECK(h.call(node1, {"GET", fresh}).str() == "f");
  }
  CHECK(h.errors->empty());
}

TEST_CASE("cluster: redirects are bounded") {
  redis_cluster redis;
  harness h(redis);
  sio::redis::cluster_options opts;
  opts.max_redirects = 0;
  auto c = h.make(0, opts);
  REQUIRE(run_until(h.io, [&] { return c->ready(); }));
  auto key = h.key_per_node("bounded")[0];
  redis.move_slot(key_slot(key), 0, 2);
  auto o = h.send(c, {"GET", key});
  REQUIRE(run_until(h.io, [&] { return o->done; }));
  CHECK(o->ec == cluster_errc::too_many_redirects);
  CHECK(o->r.str().rfind("MOVED", 0) == 0);
  // The MOVED was learnt: the next command goes straight to the new owner.
  CHECK(h.call(c, {"GET", key}).is_nil());
}

TEST_CASE("cluster: SSUBSCRIBE at each channel's master, SPUBLISH from another client, SHARDNUMSUB and NUMSUB") {
  redis_cluster redis;
  harness h(redis);
  auto subscriber = h.ready(0);
  auto other = h.ready(2);
  auto publisher = h.ready(1);
  auto channels = h.key_per_node("chan");

  std::map<std::string, inbox> heard;
  std::size_t confirmed = 0;
  for (const auto& ch : channels) {
    subscriber->ssubscribe(ch, heard[ch].handler(), [&](std::error_code ec, reply r) {
      CHECK_FALSE(ec);
      CHECK_FALSE(r.is_error());
      ++confirmed;
    });
  }
  REQUIRE(run_until(h.io, [&] { return confirmed == channels.size(); }));
  for (int i = 0; i < redis_cluster::size; ++i) {
    const auto& ch = channels[static_cast<std::size_t>(i)];
    CHECK(subscriber->subscribed_at(ch) == redis.address(i));
    // The master owning the slot holds the subscription, the others none.
    CHECK(redis.cli(i, "PUBSUB SHARDNUMSUB " + ch) == ch + "\n1");
    CHECK(redis.cli((i + 1) % 3, "PUBSUB SHARDNUMSUB " + ch) == ch + "\n0");
  }

  for (const auto& ch : channels) {
    std::string payload = "to " + ch + std::string("\0\xff", 2);
    CHECK(h.call(publisher, {"SPUBLISH", ch, payload}).integer() == 1);
  }
  REQUIRE(run_until(h.io, [&] {
    for (const auto& ch : channels)
      if (heard[ch].size() < 1) return false;
    return true;
  }));
  for (const auto& ch : channels) {
    REQUIRE(heard[ch].size() == 1);
    const message& m = heard[ch].messages->front();
    CHECK(m.kind == message::type::smessage);
    CHECK(m.channel == ch);
    CHECK(m.payload == "to " + ch + std::string("\0\xff", 2));
  }

  // SHARDNUMSUB summed over masters counts the subscribers of each channel, wherever it lives.
  for (const auto& ch : channels) CHECK(h.count(publisher, true, ch) == 1);
  inbox second;
  bool second_done = false;
  other->ssubscribe(channels[1], second.handler(), [&](std::error_code, reply) { second_done = true; });
  REQUIRE(run_until(h.io, [&] { return second_done; }));
  CHECK(h.count(publisher, true, channels[1]) == 2);
  bool spublished = false;
  publisher->spublish(channels[1], "both", [&](std::error_code ec, reply r) {
    CHECK_FALSE(ec);
    CHECK(r.integer() == 2);
    spublished = true;
  });
  REQUIRE(run_until(h.io, [&] { return spublished && second.size() == 1 && heard[channels[1]].size() == 2; }));
  bool unsubscribed = false;
  other->sunsubscribe(channels[1], [&](std::error_code ec, reply) {
    CHECK_FALSE(ec);
    unsubscribed = true;
  });
  REQUIRE(run_until(h.io, [&] { return unsubscribed; }));
  CHECK(h.count(publisher, true, channels[1]) == 1);
  CHECK(h.count(publisher, true, "nobody-listens") == 0);

  // NUMSUB is per node too: a classic subscriber on each of two nodes makes 2.
  auto classic0 = h.direct(0), classic2 = h.direct(2);
  CHECK(h.call(classic0, {"SUBSCRIBE", "classic"}).is_array());
  CHECK(h.call(classic2, {"SUBSCRIBE", "classic"}).is_array());
  CHECK(h.count(publisher, false, "classic") == 2);
  CHECK(h.errors->empty());
}

TEST_CASE("cluster: a slot that moves ends the subscription there; it is renewed at the new owner and messages keep arriving") {
  redis_cluster redis;
  harness h(redis);
  auto subscriber = h.ready(0);
  auto publisher = h.ready(1);
  const std::string ch = h.key_per_node("moving")[0];
  inbox heard;
  subscriber->ssubscribe(ch, heard.handler());
  REQUIRE(run_until(h.io, [&] { return subscriber->subscribed_at(ch) == redis.address(0); }));
  CHECK(h.call(publisher, {"SPUBLISH", ch, "one"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return heard.size() == 1; }));

  std::size_t maps = subscriber->slot_maps_read();
  redis.move_slot(key_slot(ch), 0, 2);
  // Node 0 ended the subscription (unsolicited sunsubscribe); the client reads the map again and
  // subscribes at node 2.
  REQUIRE(run_until(h.io, [&] { return subscriber->subscribed_at(ch) == redis.address(2); }));
  CHECK(subscriber->slot_maps_read() > maps);
  CHECK(redis.cli(2, "PUBSUB SHARDNUMSUB " + ch) == ch + "\n1");
  CHECK(redis.cli(0, "PUBSUB SHARDNUMSUB " + ch) == ch + "\n0");
  // The publisher's map is stale: MOVED, then the new owner, which has the subscriber.
  CHECK(h.call(publisher, {"SPUBLISH", ch, "two"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return heard.size() == 2; }));
  CHECK(heard.messages->at(1).payload == "two");

  // And back again, to the node that had it first.
  redis.move_slot(key_slot(ch), 2, 0);
  REQUIRE(run_until(h.io, [&] { return subscriber->subscribed_at(ch) == redis.address(0); }));
  CHECK(h.call(publisher, {"SPUBLISH", ch, "three"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return heard.size() == 3; }));
  CHECK(heard.messages->at(2).payload == "three");
  CHECK(h.count(publisher, true, ch) == 1);
  CHECK(h.errors->empty());
}

TEST_CASE("cluster: commands and subscriptions go on through a redis-cli --cluster reshard, nothing lost or doubled") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.ready(0);
  auto publisher = h.ready(2);
  // redis-cli moves the source's lowest slots first: 0..499 go from node 0 to node 1.
  std::vector<std::string> keys, channels;
  for (int n = 0; keys.size() < 100; ++n)
    if (key_slot("counter" + std::to_string(n)) < 500) keys.push_back("counter" + std::to_string(n));
  for (int n = 0; channels.size() < 3; ++n)
    if (key_slot("news" + std::to_string(n)) < 500) channels.push_back("news" + std::to_string(n));
  std::map<std::string, inbox> heard;
  for (const auto& ch : channels) c->ssubscribe(ch, heard[ch].handler());
  REQUIRE(run_until(h.io, [&] {
    return std::all_of(channels.begin(), channels.end(), [&](const std::string& ch) { return !c->subscribed_at(ch).empty(); });
  }));

  sio_test::command_output resharded;
  bool reshard_done = false;
  std::atomic<bool> reshard_ended{false};
  const std::string command = std::string(SIO_REDIS_CLI) + " --cluster reshard " + redis.address(0) + " --cluster-from " + redis.id(0) +
                              " --cluster-to " + redis.id(1) + " --cluster-slots 500 --cluster-yes";
  std::thread reshard([&] {
    resharded = sio_test::run_command(command);
    reshard_ended = true;
  });
  // INCRs, 64 in flight at a time, round-robin over the keys, until the reshard has ended.
  std::map<std::string, long long> sent;
  std::size_t in_flight = 0, answered = 0, failed = 0, next = 0;
  std::vector<std::string> failures;
  std::function<void()> send_one = [&] {
    const std::string& key = keys[next++ % keys.size()];
    ++sent[key];
    ++in_flight;
    c->command({"INCR", key}, [&, key](std::error_code ec, reply r) {
      --in_flight;
      ++answered;
      if (ec || !r.is_integer()) {
        ++failed;
        if (failures.size() < 5) failures.push_back(key + ": " + (ec ? ec.message() : r.str()));
      }
      if (!reshard_done) send_one();
    });
  };
  for (int i = 0; i < 64; ++i) send_one();
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!reshard_done && std::chrono::steady_clock::now() < deadline) {
    h.io.run_for(50ms);
    reshard_done = reshard_ended;
  }
  reshard.join();
  reshard_done = true;
  INFO(resharded.text.substr(resharded.text.size() > 2000 ? resharded.text.size() - 2000 : 0));
  REQUIRE(resharded.ok);
  REQUIRE(run_until(h.io, [&] { return in_flight == 0; }));
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failed == 0);
  CHECK(answered > keys.size());
  CHECK(c->redirects_followed() > 0);
  WARN("reshard of 500 slots: " << answered << " INCRs answered, " << c->redirects_followed() << " redirects followed, "
                                << c->slot_maps_read() << " slot maps read");
  // Every INCR counted once: the values are what was sent, read through node 1 without redirects.
  auto node1 = h.direct(1);
  for (const auto& key : keys) {
    INFO(key);
    CHECK(c->owner_of(key) == redis.address(1));
    CHECK(h.call(node1, {"GET", key}).str() == std::to_string(sent[key]));
  }
  // The subscriptions followed their slots to node 1, and messages arrive there.
  for (const auto& ch : channels) {
    REQUIRE(run_until(h.io, [&] { return c->subscribed_at(ch) == redis.address(1); }));
    std::size_t before = heard[ch].size();
    CHECK(h.call(publisher, {"SPUBLISH", ch, "after reshard"}).integer() == 1);
    REQUIRE(run_until(h.io, [&] { return heard[ch].size() == before + 1; }));
    CHECK(heard[ch].messages->back().payload == "after reshard");
  }
  CHECK(h.errors->empty());
}

TEST_CASE("cluster: a node restart fails what was sent to it, then commands and subscriptions resume there") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.ready(1);
  auto publisher = h.ready(2);
  auto keys = h.key_per_node("restart");
  const std::string key = keys[0], list = "{" + keys[0] + "}.list", ch = keys[0];
  CHECK(h.call(c, {"SET", key, "kept?"}).equals("OK"));
  inbox heard;
  c->ssubscribe(ch, heard.handler());
  REQUIRE(run_until(h.io, [&] { return c->subscribed_at(ch) == redis.address(0); }));

  // A command sent and blocked at node 0 when it dies fails with connection_lost.
  auto blocked = h.send(c, {"BLPOP", list, "0"});
  REQUIRE(run_until(h.io, [&] { return redis.cli(0, "INFO clients").find("blocked_clients:1") != std::string::npos; }));
  redis.stop(0);
  REQUIRE(run_until(h.io, [&] { return blocked->done; }));
  CHECK(blocked->ec == errc::connection_lost);
  REQUIRE(run_until(h.io, [&] { return c->subscribed_at(ch).empty(); }));  // the subscriber link noticed too
  // Commands for the other masters go on meanwhile.
  CHECK(h.call(c, {"SET", keys[1], "1"}).equals("OK"));
  // A command for node 0 waits for it (it is not sent to a dead link).
  auto waiting = h.send(c, {"INCR", "{" + keys[0] + "}.counter"});
  REQUIRE(run_until(h.io, [&] { return c->waiting_commands() == 1; }));

  redis.start(0);
  redis.wait_ok();
  REQUIRE(run_until(
      h.io, [&] { return waiting->done; }, 15s));
  CHECK_FALSE(waiting->ec);
  CHECK(waiting->r.integer() == 1);  // no persistence: node 0 came back empty
  REQUIRE(run_until(
      h.io, [&] { return c->subscribed_at(ch) == redis.address(0); }, 15s));
  CHECK(h.call(publisher, {"SPUBLISH", ch, "after restart"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return heard.size() == 1; }));
  CHECK(heard.messages->front().payload == "after restart");
}

TEST_CASE("cluster: after a failover, commands and subscriptions go to the promoted replica") {
  redis_cluster redis(true, 1000);  // 3 masters with a replica each, failover after ~1 s
  harness h(redis);
  auto c = h.ready(0);
  auto publisher = h.ready(1);
  const std::string key = "failover", ch = "{failover}.news";
  const int master = redis.index_of(c->owner_of(key));
  REQUIRE(master >= 0);
  int replica = -1;
  for (int i = 0; i < redis.node_count(); ++i) {
    std::string role = redis.cli(i, "ROLE");
    if (role.rfind("slave\n", 0) == 0 && role.find("\n" + std::to_string(redis.port(master)) + "\n") != std::string::npos) replica = i;
  }
  REQUIRE(replica >= 0);
  CHECK(h.call(c, {"SET", key, "replicated"}).equals("OK"));
  // WAIT has no key: command_for_key sends it to the key's master. One replica has the write.
  outcome waited;
  c->command_for_key(key, {"WAIT", "1", "5000"}, [&](std::error_code ec, reply r) {
    waited.done = true;
    waited.ec = ec;
    waited.r = std::move(r);
  });
  REQUIRE(run_until(h.io, [&] { return waited.done; }));
  CHECK(waited.r.integer() == 1);
  inbox heard;
  c->ssubscribe(ch, heard.handler());
  REQUIRE(run_until(h.io, [&] { return c->subscribed_at(ch) == redis.address(master); }));

  redis.stop(master);
  REQUIRE(run_until(h.io, [&] { return !c->connected_to(redis.address(master)) && c->subscribed_at(ch).empty(); }));
  auto got = h.send(c, {"GET", key});  // waits: not sent to a link that is down
  auto stopped_at = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      h.io, [&] { return got->done; }, 30s));
  auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped_at).count();
  WARN("failover: the GET waited " << waited_ms << " ms (node timeout 1000 ms), " << c->slot_maps_read() << " slot maps read");
  CHECK_FALSE(got->ec);
  CHECK(got->r.str() == "replicated");
  CHECK(c->owner_of(key) == redis.address(replica));
  REQUIRE(run_until(
      h.io, [&] { return c->subscribed_at(ch) == redis.address(replica); }, 15s));
  CHECK(h.call(publisher, {"SPUBLISH", ch, "from the new master"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return heard.size() == 1; }));
  CHECK(heard.messages->front().payload == "from the new master");
  CHECK(h.count(publisher, true, ch) == 1);
}

TEST_CASE("cluster: nodes that announce a host name are reached by that name, in the map and in MOVED") {
  redis_cluster redis(false, 15000, {"--cluster-announce-hostname", "localhost", "--cluster-preferred-endpoint-type", "hostname"});
  harness h(redis);
  auto c = h.ready(0);
  auto keys = h.key_per_node("named");
  for (int i = 0; i < redis_cluster::size; ++i) {
    const std::string& key = keys[static_cast<std::size_t>(i)];
    CHECK(c->owner_of(key) == "localhost:" + std::to_string(redis.port(i)));
    if (i > 0) CHECK(h.call(c, {"INCR", key}).integer() == 1);
  }
  redis.move_slot(key_slot(keys[0]), 0, 1);  // nothing was stored in that slot
  std::size_t redirects = c->redirects_followed();
  CHECK(h.call(c, {"SET", keys[0], "moved"}).equals("OK"));  // MOVED <slot> localhost:<port>
  CHECK(c->redirects_followed() == redirects + 1);
  CHECK(c->owner_of(keys[0]) == "localhost:" + std::to_string(redis.port(1)));
  CHECK(h.call(h.direct(1), {"GET", keys[0]}).str() == "moved");
}

TEST_CASE("cluster: a handler that throws is reported, and the cluster goes on") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.ready();
  auto ch = h.key_per_node("throw")[1];
  std::size_t calls = 0;
  c->ssubscribe(ch, [&](const message&) {
    ++calls;
    throw std::runtime_error("smessage boom");
  });
  REQUIRE(run_until(h.io, [&] { return !c->subscribed_at(ch).empty(); }));
  c->spublish(ch, "x", [](std::error_code, reply) { throw std::runtime_error("reply boom"); });
  c->spublish(ch, "y", [](std::error_code, reply) {});
  REQUIRE(run_until(h.io, [&] { return calls == 2 && h.errors->size() == 3; }));
  std::size_t reply_reports = 0, message_reports = 0;
  for (const auto& e : *h.errors) {
    CHECK(e.ec == cluster_errc::handler_threw);
    reply_reports += e.what.find("reply boom") != std::string::npos;
    message_reports += e.what.find("smessage boom") != std::string::npos;
  }
  CHECK(reply_reports == 1);
  CHECK(message_reports == 2);
  CHECK(h.call(c, {"PING"}).equals("PONG"));
}

TEST_CASE("redirect: MOVED and ASK replies, with names, IPv6 and empty hosts; others are not redirects") {
  sio::redis::redirect r;
  REQUIRE(sio::redis::parse_redirect("MOVED 3999 127.0.0.1:6381", r));
  CHECK(r.moved);
  CHECK(r.slot == 3999);
  CHECK(r.host == "127.0.0.1");
  CHECK(r.port == 6381);
  REQUIRE(sio::redis::parse_redirect("ASK 16383 redis-2.example:7000", r));
  CHECK_FALSE(r.moved);
  CHECK(r.slot == 16383);
  CHECK(r.host == "redis-2.example");
  CHECK(r.port == 7000);
  REQUIRE(sio::redis::parse_redirect("MOVED 0 :6380", r));
  CHECK(r.host.empty());
  CHECK(r.port == 6380);
  REQUIRE(sio::redis::parse_redirect("MOVED 1 ::1:6381", r));
  CHECK(r.host == "::1");
  REQUIRE(sio::redis::parse_redirect("ASK 1 [fe80::1]:6381", r));
  CHECK(r.host == "fe80::1");
  CHECK(r.port == 6381);
  for (const char* bad : {"MOVED", "MOVED 1", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 h:",
                          "moved 1 h:1", "ERR MOVED 1 h:1", "ASK -1 h:1", "MOVED 1 a b:1", "CLUSTERDOWN The cluster is down"}) {
    INFO(bad);
    CHECK_FALSE(sio::redis::parse_redirect(bad, r));
  }
}

namespace {

// A scripted cluster node on loopback: each command it reads (hiredis's reader parses them) is
// recorded and answered by `script`.
class fake_node {
 public:
  using script = std::function<std::string(const std::vector<std::string>& command)>;
  fake_node(asio::io_context& io, script answer) : acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}), answer_(std::move(answer)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::vector<std::string>> commands;

 private:
  struct peer {
    explicit peer(asio::any_io_executor ex) : socket(ex), input(1 << 20) {}
    asio::ip::tcp::socket socket;
    sio::redis::reader input;
    std::array<char, 4096> buffer{};
    std::string output;
  };
  void accept() {
    auto p = std::make_shared<peer>(acceptor_.get_executor());
    acceptor_.async_accept(p->socket, [this, p](std::error_code ec) {
      if (ec) return;
      peers_.push_back(p);
      read(p);
      accept();
    });
  }
  void read(const std::shared_ptr<peer>& p) {
    p->socket.async_read_some(asio::buffer(p->buffer), [this, p](std::error_code ec, std::size_t n) {
      if (ec || !p->input.feed(p->buffer.data(), n)) return;
      reply r;
      std::string out;
      while (p->input.next(r) == sio::redis::reader::result::reply) {
        std::vector<std::string> command;
        for (const auto& e : r.elements()) command.push_back(e.str());
        commands.push_back(command);
        out += answer_(command);
      }
      auto bytes = std::make_shared<std::string>(std::move(out));
      asio::async_write(p->socket, asio::buffer(*bytes), [this, p, bytes](std::error_code ec, std::size_t) {
        if (!ec) read(p);
      });
    });
  }

  asio::ip::tcp::acceptor acceptor_;
  script answer_;
  std::vector<std::shared_ptr<peer>> peers_;
};

std::string bulk(const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; }

// CLUSTER SLOTS: all 16384 slots at a node with an empty host ("the node you asked") and `port`.
std::string all_slots_at(std::uint16_t port) {
  return "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n" + bulk("") + ":" + std::to_string(port) + "\r\n" + bulk("id") + "";
}

}  // namespace

TEST_CASE("cluster: an empty host in CLUSTER SLOTS, MOVED and ASK names the node that answered") {
  asio::io_context io;
  const std::string key = "k";
  const std::string slot = std::to_string(key_slot(key));
  // b holds the key; a owns every slot, sends GET k to b with ASK and SET k with MOVED.
  fake_node b(io, [&](const std::vector<std::string>& c) -> std::string {
    if (c[0] == "CLUSTER") return "*0\r\n";  // unusable: the map comes from a
    if (c[0] == "ASKING") return "+OK\r\n";
    if (c[0] == "GET") return bulk("from b");
    if (c[0] == "SET") return "+OK\r\n";
    return "-ERR unknown\r\n";
  });
  std::uint16_t a_port = 0;
  bool moved = false;
  fake_node a(io, [&](const std::vector<std::string>& c) -> std::string {
    if (c[0] == "CLUSTER") return all_slots_at(moved ? b.port() : a_port);
    if (c[0] == "GET") return "-ASK " + slot + " :" + std::to_string(b.port()) + "\r\n";
    moved = true;
    if (c[0] == "SET") return "-MOVED " + slot + " :" + std::to_string(b.port()) + "\r\n";
    return "-ERR unknown\r\n";
  });
  a_port = a.port();
  auto c = cluster::create(io.get_executor(), {url::parse("redis://127.0.0.1:" + std::to_string(a.port()))});
  c->start();
  REQUIRE(run_until(io, [&] { return c->ready(); }));
  CHECK(c->owner_of(key) == "127.0.0.1:" + std::to_string(a.port()));

  outcome got, set;
  c->command({"GET", key}, [&](std::error_code ec, reply r) {
    got.done = true;
    got.ec = ec;
    got.r = std::move(r);
  });
  REQUIRE(run_until(io, [&] { return got.done; }));
  CHECK_FALSE(got.ec);
  CHECK(got.r.str() == "from b");
  CHECK(c->owner_of(key) == "127.0.0.1:" + std::to_string(a.port()));  // ASK changes no map
  REQUIRE(b.commands.size() >= 2);
  CHECK(b.commands[b.commands.size() - 2] == std::vector<std::string>{"ASKING"});  // right before the command
  CHECK(b.commands.back() == std::vector<std::string>{"GET", key});

  std::size_t maps = c->slot_maps_read();
  c->command({"SET", key, "v"}, [&](std::error_code ec, reply r) {
    set.done = true;
    set.ec = ec;
    set.r = std::move(r);
  });
  REQUIRE(run_until(io, [&] { return set.done; }));
  CHECK_FALSE(set.ec);
  CHECK(set.r.equals("OK"));
  CHECK(c->owner_of(key) == "127.0.0.1:" + std::to_string(b.port()));  // MOVED does
  REQUIRE(run_until(io, [&] { return c->slot_maps_read() > maps; }));  // and asks for the map again
  CHECK(c->owner_of(key) == "127.0.0.1:" + std::to_string(b.port()));
  CHECK(b.commands.back() == std::vector<std::string>{"SET", key, "v"});
  CHECK(b.commands[b.commands.size() - 2] != std::vector<std::string>{"ASKING"});
  c->close();
  io.run_for(200ms);
}

TEST_CASE(
    "cluster: a command for a slot no master serves waits, the map is polled with the back-off, and it goes once the slot is served") {
  asio::io_context io;
  bool covered = false;
  std::uint16_t port = 0;
  fake_node a(io, [&](const std::vector<std::string>& c) -> std::string {
    if (c[0] == "CLUSTER") {
      std::string last = covered ? "16383" : "100";
      return "*1\r\n*3\r\n:0\r\n:" + last + "\r\n*3\r\n" + bulk("127.0.0.1") + ":" + std::to_string(port) + "\r\n" + bulk("id");
    }
    if (c[0] == "GET") return bulk("served");
    return "-ERR unknown\r\n";
  });
  port = a.port();
  auto c = cluster::create(io.get_executor(), {url::parse("redis://127.0.0.1:" + std::to_string(port))});
  c->start();
  outcome got;
  c->command({"GET", "foo"}, [&](std::error_code ec, reply r) {  // slot 12182
    got.done = true;
    got.ec = ec;
    got.r = std::move(r);
  });
  REQUIRE(run_until(io, [&] { return c->ready(); }));
  // The map is asked again with the back-off (100, 200, 400 ms...), not in a busy loop.
  io.run_for(1s);
  CHECK_FALSE(got.done);
  CHECK(c->waiting_commands() == 1);
  CHECK(c->slot_maps_read() >= 2);
  CHECK(c->slot_maps_read() <= 6);
  covered = true;
  REQUIRE(run_until(io, [&] { return got.done; }));
  CHECK_FALSE(got.ec);
  CHECK(got.r.str() == "served");
  c->close();
  io.run_for(200ms);
}

TEST_CASE("cluster: close fails what waits; a node whose slot map is unusable is reported and asked again; what waits is bounded") {
  redis_cluster redis;
  harness h(redis);
  auto c = h.make(0);
  auto early = h.send(c, {"GET", "x"});
  c->close();
  REQUIRE(run_until(h.io, [&] { return early->done; }));
  CHECK(early->ec == errc::closed);
  auto late = h.send(c, {"GET", "x"});
  REQUIRE(run_until(h.io, [&] { return late->done; }));
  CHECK(late->ec == errc::closed);

  // A node that answers CLUSTER SLOTS with nothing usable: reported, retried, commands wait.
  fake_node mute(
      h.io, [](const std::vector<std::string>& command) -> std::string { return command[0] == "CLUSTER" ? "*0\r\n" : "-ERR unknown\r\n"; });
  auto reports = std::make_shared<std::vector<error_report>>();
  sio::redis::cluster_options opts;
  opts.on_error = [reports](std::error_code ec, const std::string& what) { reports->push_back({ec, what}); };
  opts.max_waiting_commands = 3;
  opts.connection.max_write_queue_bytes = 1000;
  auto lone = cluster::create(h.io.get_executor(), {url::parse("redis://127.0.0.1:" + std::to_string(mute.port()))}, opts);
  lone->start();
  auto waits = h.send(lone, {"GET", "x"});
  REQUIRE(run_until(h.io, [&] { return reports->size() >= 2; }));
  CHECK(reports->front().ec == cluster_errc::bad_slot_map);
  CHECK_FALSE(waits->done);  // it waits for a map
  CHECK(lone->waiting_commands() == 1);
  CHECK(lone->waiting_bytes() == 4);  // "GET" "x"

  // What waits is bounded in bytes (connection.max_write_queue_bytes) and in count.
  auto big = h.send(lone, {"SET", "x", std::string(1000, 'v')});
  REQUIRE(run_until(h.io, [&] { return big->done; }));
  CHECK(big->ec == cluster_errc::too_many_waiting);
  auto fits = h.send(lone, {"SET", "x", std::string(900, 'v')});
  auto third = h.send(lone, {"GET", "y"});
  auto over_count = h.send(lone, {"GET", "z"});
  REQUIRE(run_until(h.io, [&] { return over_count->done; }));
  CHECK(over_count->ec == cluster_errc::too_many_waiting);
  CHECK(lone->waiting_commands() == 3);
  CHECK(lone->waiting_bytes() == 4 + 904 + 4);
  lone->close();
  REQUIRE(run_until(h.io, [&] { return waits->done && fits->done && third->done; }));
  CHECK(waits->ec == errc::closed);
  CHECK(fits->ec == errc::closed);
  CHECK(lone->waiting_bytes() == 0);
}

TEST_CASE("cluster: a redis-server without cluster support is a cluster of one, db included") {
  sio_test::redis_process plain;
  asio::io_context io;
  auto reports = std::make_shared<std::vector<error_report>>();
  sio::redis::cluster_options opts;
  opts.on_error = [reports](std::error_code ec, const std::string& what) { reports->push_back({ec, what}); };
  auto c = cluster::create(io.get_executor(), {url::parse(plain.url("", "/3"))}, opts);
  c->start();
  REQUIRE(run_until(io, [&] { return c->ready(); }));
  CHECK(c->masters() == std::vector<std::string>{"127.0.0.1:" + std::to_string(plain.port())});
  auto call = [&](const std::vector<std::string_view>& args) {
    outcome o;
    c->command(args, [&](std::error_code ec, reply r) {
      o.done = true;
      o.ec = ec;
      o.r = std::move(r);
    });
    REQUIRE(run_until(io, [&] { return o.done; }));
    REQUIRE_FALSE(o.ec);
    return o.r;
  };
  for (const char* key : {"a", "b", "c", "{x}y"}) CHECK(call({"SET", key, key}).equals("OK"));
  CHECK(call({"DBSIZE"}).integer() == 4);  // in db 3
  inbox heard;
  c->ssubscribe("news", heard.handler());
  REQUIRE(run_until(io, [&] { return !c->subscribed_at("news").empty(); }));
  bool counted = false;
  c->shardnumsub("news", [&](std::error_code ec, std::size_t n) {
    CHECK_FALSE(ec);
    CHECK(n == 1);
    counted = true;
  });
  CHECK(call({"SPUBLISH", "news", "one server"}).integer() == 1);
  REQUIRE(run_until(io, [&] { return counted && heard.size() == 1; }));
  CHECK(heard.messages->front().payload == "one server");
  CHECK(reports->empty());
  c->close();
  io.run_for(200ms);
}
