// sio's Redis client (include/sio/redis/) against a real redis-server, started here on a free
// loopback port in a temporary directory and stopped by its PID; and against tiny fake servers for
// what a real one never sends (garbage, an unsolicited sunsubscribe).
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <catch2/catch_test_macros.hpp>

#include "sio/redis/connection.hpp"
#include "sio/redis/url.hpp"
#include "redis_server.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using sio::redis::connection;
using sio::redis::errc;
using sio::redis::message;
using sio::redis::reply;
using sio::redis::url;

using sio_test::free_loopback_port;
using sio_test::redis_process;

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

struct state_event {
  connection::link_state state;
  std::error_code reason;
  std::string detail;
};

// One connection and everything it reported.
struct client {
  std::shared_ptr<connection> conn;
  std::shared_ptr<std::vector<state_event>> states = std::make_shared<std::vector<state_event>>();
  std::shared_ptr<std::vector<message>> messages = std::make_shared<std::vector<message>>();

  std::size_t count(connection::link_state s) const {
    std::size_t n = 0;
    for (const auto& e : *states) n += e.state == s;
    return n;
  }
};

class harness {
 public:
  ~harness() {
    for (auto& c : clients_) c->close();
    io.restart();
    io.run_for(2s);
  }

  client make(const std::string& address, sio::redis::options opts = {}, bool start = true) {
    client c;
    c.conn = connection::create(io.get_executor(), url::parse(address), std::move(opts));
    c.conn->on_state([states = c.states](connection::link_state s, std::error_code ec, const std::string& detail) {
      states->push_back({s, ec, detail});
    });
    c.conn->on_message([messages = c.messages](message m) { messages->push_back(std::move(m)); });
    clients_.push_back(c.conn);
    if (start) c.conn->start();
    return c;
  }

  client connected(const std::string& address, sio::redis::options opts = {}) {
    client c = make(address, std::move(opts));
    REQUIRE(run_until(io, [&] { return !c.states->empty(); }));
    REQUIRE(c.states->front().state == connection::link_state::connected);
    return c;
  }

  std::shared_ptr<outcome> send(const client& c, const std::vector<std::string_view>& args) {
    auto o = std::make_shared<outcome>();
    c.conn->command(args, [o](std::error_code ec, reply r) {
      REQUIRE_FALSE(o->done);  // exactly once
      o->done = true;
      o->ec = ec;
      o->r = std::move(r);
    });
    return o;
  }

  reply call(const client& c, const std::vector<std::string_view>& args) {
    auto o = send(c, args);
    REQUIRE(run_until(io, [&] { return o->done; }));
    REQUIRE_FALSE(o->ec);
    return o->r;
  }

  asio::io_context io;

 private:
  std::vector<std::shared_ptr<connection>> clients_;
};

}  // namespace

TEST_CASE("url: the good URLs and what they hold") {
  auto u = url::parse("redis://127.0.0.1");
  CHECK_FALSE(u.tls);
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 6379);
  CHECK(u.user.empty());
  CHECK_FALSE(u.password);
  CHECK_FALSE(u.db);

  u = url::parse("rediss://app:s3cr%3At%40%25@[::1]:6380/2");
  CHECK(u.tls);
  CHECK(u.user == "app");
  CHECK(u.password == std::string("s3cr:t@%"));
  CHECK(u.host == "::1");
  CHECK(u.port == 6380);
  CHECK(u.db == 2u);

  u = url::parse("REDIS://:only-password@redis.example:1/");
  CHECK(u.user.empty());
  CHECK(u.password == std::string("only-password"));
  CHECK(u.host == "redis.example");
  CHECK(u.port == 1);
  CHECK_FALSE(u.db);

  u = url::parse("redis://[::ffff:127.0.0.1]");
  CHECK(u.host == "::ffff:127.0.0.1");
  CHECK(u.port == 6379);

  u = url::parse("redis://u%00x:p%00w@h/0");
  CHECK(u.user == std::string("u\0x", 3));
  CHECK(u.password == std::string("p\0w", 3));
  CHECK(u.db == 0u);
}

TEST_CASE("url: bad URLs are refused with the reason") {
  struct bad {
    const char* text;
    const char* reason;
  };
  const bad table[] = {
      {"http://127.0.0.1", "scheme"},         {"redis:/127.0.0.1", "scheme"},        {"redis://", "host is missing"},
      {"redis://:6379", "host is missing"},   {"redis://h:", "port is empty"},       {"redis://h:0", "port must be"},
      {"redis://h:65536", "port must be"},    {"redis://h:12a", "port must be"},     {"redis://h/x", "path must be /db"},
      {"redis://h/1/2", "path must be /db"},  {"redis://h/-1", "path must be /db"},  {"redis://h?db=1", "query"},
      {"redis://h#x", "fragments"},           {"redis://[::1", "closing ']'"},       {"redis://[]:1", "IPv6 address is not valid"},
      {"redis://[::1]x", "only :port"},       {"redis://[::1]:", "port is empty"},   {"redis://user@h", "a user needs a password"},
      {"redis://u:p%zz@h", "two hex digits"}, {"redis://u:p%4@h", "two hex digits"}, {"redis://u%:p@h", "two hex digits"},
      {"redis://h st", "host is not valid"},
  };
  for (const auto& b : table) {
    INFO(b.text);
    try {
      url::parse(b.text);
      FAIL("accepted");
    } catch (const sio::redis::url_error& e) {
      CHECK(std::string(e.what()).find(b.reason) != std::string::npos);
      CHECK(std::string(e.what()).find("invalid Redis URL") == 0);
    }
  }
  // The message never repeats the URL (it may hold a password).
  try {
    url::parse("redis://u:secret@h:99999");
  } catch (const sio::redis::url_error& e) {
    CHECK(std::string(e.what()).find("secret") == std::string::npos);
  }
}

TEST_CASE("commands: binary values, integers, nil, arrays and error replies, pipelined in order") {
  redis_process server;
  harness h;
  auto c = h.connected(server.url());

  const std::string value("a\0b\r\n\0", 6);
  const std::string key("k\0ey", 4);
  std::vector<std::shared_ptr<outcome>> replies{
      h.send(c, {"SET", key, value}),     h.send(c, {"GET", key}),
      h.send(c, {"INCR", "n"}),           h.send(c, {"INCR", "n"}),
      h.send(c, {"INCR", key}),           h.send(c, {"GET", "missing"}),
      h.send(c, {"RPUSH", "l", "x", ""}), h.send(c, {"LRANGE", "l", "0", "-1"}),
  };
  REQUIRE(run_until(h.io, [&] { return replies.back()->done; }));
  for (auto& r : replies) {
    REQUIRE(r->done);
    REQUIRE_FALSE(r->ec);
  }
  CHECK(replies[0]->r.is_status());
  CHECK(replies[0]->r.str() == "OK");
  CHECK(replies[1]->r.is_string());
  CHECK(replies[1]->r.str() == value);
  CHECK(replies[2]->r.integer() == 1);
  CHECK(replies[3]->r.integer() == 2);
  CHECK(replies[4]->r.is_error());
  CHECK(replies[4]->r.str().rfind("ERR", 0) == 0);
  CHECK(replies[5]->r.is_nil());
  CHECK(replies[6]->r.integer() == 2);
  REQUIRE(replies[7]->r.is_array());
  REQUIRE(replies[7]->r.elements().size() == 2);
  CHECK(replies[7]->r.elements()[0].str() == "x");
  CHECK(replies[7]->r.elements()[1].is_string());
  CHECK(replies[7]->r.elements()[1].str().empty());
  CHECK(c.conn->pending_commands() == 0);

  // A large value crosses many reads and comes back whole.
  std::string large(3 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7);
  CHECK(h.call(c, {"SET", "large", large}).str() == "OK");
  CHECK(h.call(c, {"GET", "large"}).str() == large);

  // A command with no argument is refused without reaching the server.
  auto empty = h.send(c, {});
  REQUIRE(run_until(h.io, [&] { return empty->done; }));
  CHECK(empty->ec == errc::invalid_command);
}

TEST_CASE("AUTH: a password, an ACL user, a percent-encoded password, a wrong password") {
  redis_process server({"--requirepass", "top secret"});
  harness h;
  auto admin = h.connected(server.url(":top%20secret@"));
  CHECK(h.call(admin, {"PING"}).str() == "PONG");
  CHECK(h.call(admin, {"ACL", "SETUSER", "alice", "on", ">p@ss:w%rd", "~*", "&*", "+@all"}).str() == "OK");

  auto alice = h.connected(server.url("alice:p%40ss%3Aw%25rd@"));
  CHECK(h.call(alice, {"ACL", "WHOAMI"}).str() == "alice");

  // Commands given before the link is up wait for AUTH, then go.
  auto early = h.make(server.url("alice:p%40ss%3Aw%25rd@"));
  auto who = h.send(early, {"ACL", "WHOAMI"});
  REQUIRE(run_until(h.io, [&] { return who->done; }));
  CHECK_FALSE(who->ec);
  CHECK(who->r.str() == "alice");

  sio::redis::options opts;
  opts.reconnect_initial_delay = 10ms;
  auto wrong = h.make(server.url("alice:nope@"), opts);
  auto ping = h.send(wrong, {"PING"});
  REQUIRE(run_until(h.io, [&] { return !wrong.states->empty(); }));
  CHECK(wrong.states->front().state == connection::link_state::disconnected);
  CHECK(wrong.states->front().reason == errc::auth_failed);
  CHECK(wrong.states->front().detail.find("WRONGPASS") != std::string::npos);
  // The command was never sent: it waits (bounded) for a link that would take it.
  CHECK_FALSE(ping->done);
  wrong.conn->close();
  REQUIRE(run_until(h.io, [&] { return ping->done; }));
  CHECK(ping->ec == errc::closed);
}

TEST_CASE("SELECT: the db of the URL is selected before the first command") {
  redis_process server;
  harness h;
  auto db3 = h.connected(server.url("", "/3"));
  auto db0 = h.connected(server.url("", "/0"));
  auto plain = h.connected(server.url());
  CHECK(h.call(db3, {"SET", "where", "three"}).str() == "OK");
  CHECK(h.call(db0, {"GET", "where"}).is_nil());
  CHECK(h.call(plain, {"GET", "where"}).is_nil());
  auto again = h.connected(server.url("", "/3"));
  CHECK(h.call(again, {"GET", "where"}).str() == "three");

  sio::redis::options opts;
  opts.reconnect = false;
  auto bad = h.make(server.url("", "/99999"), opts);
  REQUIRE(run_until(h.io, [&] { return !bad.states->empty(); }));
  CHECK(bad.states->front().reason == errc::select_failed);
}

TEST_CASE("pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE round trips, and unsubscribing") {
  redis_process server;
  harness h;
  auto pub = h.connected(server.url());
  auto sub = h.connected(server.url());

  auto s1 = h.call(sub, {"SUBSCRIBE", "news", "sport"});  // completes with the last confirmation
  REQUIRE(s1.is_array());
  CHECK(s1.elements()[0].str() == "subscribe");
  CHECK(s1.elements()[1].str() == "sport");
  CHECK(s1.elements()[2].integer() == 2);
  auto s2 = std::make_shared<outcome>();
  sub.conn->psubscribe({"room:*"}, [s2](std::error_code ec, reply r) {
    s2->done = true;
    s2->ec = ec;
    s2->r = std::move(r);
  });
  auto s3 = h.send(sub, {"ssubscribe", "shard{1}"});  // the name is matched whatever its case
  auto pong = h.send(sub, {"PING"});                  // in RESP2 subscribed mode: ["pong", ""]
  REQUIRE(run_until(h.io, [&] { return s2->done && s3->done && pong->done; }));
  CHECK_FALSE(s2->ec);
  CHECK(s2->r.elements()[0].str() == "psubscribe");
  CHECK(s3->r.elements()[0].str() == "ssubscribe");
  CHECK(s3->r.elements()[2].integer() == 1);
  REQUIRE(pong->r.is_array());
  CHECK(pong->r.elements()[0].str() == "pong");
  CHECK(sub.conn->channels().size() == 2);
  CHECK(sub.conn->patterns().size() == 1);
  CHECK(sub.conn->shard_channels().size() == 1);

  const std::string payload("\0binary\xff", 8);
  CHECK(h.call(pub, {"PUBLISH", "news", payload}).integer() == 1);
  CHECK(h.call(pub, {"PUBLISH", "room:42", "hello"}).integer() == 1);
  CHECK(h.call(pub, {"SPUBLISH", "shard{1}", "sharded"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return sub.messages->size() == 3; }));
  const auto& m = *sub.messages;
  CHECK(m[0].kind == message::type::message);
  CHECK(m[0].channel == "news");
  CHECK(m[0].payload == payload);
  CHECK(m[1].kind == message::type::pmessage);
  CHECK(m[1].pattern == "room:*");
  CHECK(m[1].channel == "room:42");
  CHECK(m[1].payload == "hello");
  CHECK(m[2].kind == message::type::smessage);
  CHECK(m[2].channel == "shard{1}");
  CHECK(m[2].payload == "sharded");

  // UNSUBSCRIBE with no channel: one confirmation per channel, completed by the last.
  auto u1 = h.call(sub, {"UNSUBSCRIBE"});
  CHECK(u1.elements()[0].str() == "unsubscribe");
  CHECK(sub.conn->channels().empty());
  auto u2 = std::make_shared<outcome>();
  sub.conn->punsubscribe({"room:*"}, [u2](std::error_code ec, reply) {
    u2->done = true;
    u2->ec = ec;
  });
  auto u3 = h.send(sub, {"SUNSUBSCRIBE", "shard{1}"});
  REQUIRE(run_until(h.io, [&] { return u2->done && u3->done; }));
  CHECK(sub.conn->patterns().empty());
  CHECK(sub.conn->shard_channels().empty());
  CHECK(h.call(pub, {"PUBLISH", "news", "nobody"}).integer() == 0);
  // Out of subscribed mode: ordinary commands again.
  CHECK(h.call(sub, {"SET", "after", "1"}).str() == "OK");
}

TEST_CASE("reconnect: a restarted server gets AUTH, SELECT and every subscription again; sent commands fail at once") {
  redis_process server({"--requirepass", "pw"});
  harness h;
  sio::redis::options opts;
  opts.reconnect_initial_delay = 20ms;
  opts.reconnect_max_delay = 200ms;
  auto pub = h.connected(server.url(":pw@", "/1"), opts);
  auto sub = h.connected(server.url(":pw@", "/1"), opts);
  h.call(sub, {"SUBSCRIBE", "a", "b"});
  h.call(sub, {"PSUBSCRIBE", "p:*"});
  h.call(sub, {"SSUBSCRIBE", "s1"});
  h.call(sub, {"SSUBSCRIBE", "s2"});

  // A command the server holds (BLPOP forever) is sent when the server dies: it fails at once.
  auto blocked = h.send(pub, {"BLPOP", "never", "0"});
  REQUIRE(run_until(h.io, [&] { return pub.conn->queued_bytes() == 0; }));
  server.stop();
  REQUIRE(run_until(h.io, [&] { return blocked->done && sub.count(connection::link_state::disconnected) == 1; }));
  CHECK(blocked->ec == errc::connection_lost);
  CHECK_FALSE(sub.conn->connected());
  // Given while the server is away: waits for the next link.
  auto later = h.send(pub, {"SET", "k", "v"});

  server.start();
  REQUIRE(run_until(h.io, [&] {
    return later->done && sub.count(connection::link_state::connected) == 2 && pub.count(connection::link_state::connected) == 2;
  }));
  CHECK_FALSE(later->ec);
  CHECK(later->r.str() == "OK");
  CHECK(sub.count(connection::link_state::disconnected) == 1);  // one report per lost link, not per attempt
  CHECK(h.call(pub, {"CLIENT", "INFO"}).str().find(" db=1 ") != std::string::npos);

  CHECK(h.call(pub, {"PUBLISH", "b", "1"}).integer() == 1);
  CHECK(h.call(pub, {"PUBLISH", "p:x", "2"}).integer() == 1);
  CHECK(h.call(pub, {"SPUBLISH", "s2", "3"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return sub.messages->size() == 3; }));
  CHECK((*sub.messages)[0].channel == "b");
  CHECK((*sub.messages)[1].pattern == "p:*");
  CHECK((*sub.messages)[2].kind == message::type::smessage);
  CHECK((*sub.messages)[2].payload == "3");
  CHECK(sub.conn->channels().size() == 2);
  CHECK(sub.conn->shard_channels().size() == 2);
}

TEST_CASE("bounds: the write queue while not connected, and the pending commands") {
  redis_process server;
  harness h;
  sio::redis::options opts;
  opts.max_write_queue_bytes = 1000;
  auto c = h.make(server.url(), opts, /*start=*/false);
  const std::string value(60, 'v');
  std::vector<std::shared_ptr<outcome>> accepted;
  std::shared_ptr<outcome> refused;
  for (int i = 0; i < 100 && !refused; ++i) {
    std::size_t before = c.conn->queued_bytes();
    auto o = h.send(c, {"SET", "key" + std::to_string(i), value});
    if (c.conn->queued_bytes() == before) {
      refused = o;
    } else {
      accepted.push_back(o);
    }
    CHECK(c.conn->queued_bytes() <= 1000);
  }
  REQUIRE(refused);
  REQUIRE(run_until(h.io, [&] { return refused->done; }));
  CHECK(refused->ec == errc::write_queue_full);
  CHECK(accepted.size() >= 5);
  CHECK(c.conn->queued_bytes() > 1000 - 100);  // refused because the next ~90-byte SET would not fit
  // Once connected, what was queued is sent and answered.
  c.conn->start();
  REQUIRE(run_until(h.io, [&] { return accepted.back()->done; }));
  for (auto& o : accepted) CHECK(o->r.str() == "OK");
  CHECK(c.conn->queued_bytes() == 0);

  sio::redis::options few;
  few.max_pending_commands = 3;
  auto d = h.make(server.url(), few, /*start=*/false);
  auto a = h.send(d, {"PING"});
  auto b = h.send(d, {"PING"});
  auto e = h.send(d, {"PING"});
  auto over = h.send(d, {"PING"});
  REQUIRE(run_until(h.io, [&] { return over->done; }));
  CHECK(over->ec == errc::too_many_pending);
  CHECK(d.conn->pending_commands() == 3);
  d.conn->start();
  REQUIRE(run_until(h.io, [&] { return a->done && b->done && e->done; }));
  CHECK(e->r.str() == "PONG");
}

TEST_CASE("bounds: a reply over max_reply_bytes drops the link with reply_too_large, by size or by element count") {
  redis_process server;
  harness h;
  auto setup = h.connected(server.url());
  CHECK(h.call(setup, {"SET", "big", std::string(100 * 1024, 'x')}).str() == "OK");
  std::vector<std::string> items(3000, "x");
  std::vector<std::string_view> rpush{"RPUSH", "many"};
  rpush.insert(rpush.end(), items.begin(), items.end());
  CHECK(h.call(setup, rpush).integer() == 3000);

  sio::redis::options opts;
  opts.max_reply_bytes = 64 * 1024;
  opts.reconnect_initial_delay = 10ms;
  auto c = h.connected(server.url(), opts);
  auto big = h.send(c, {"GET", "big"});
  auto after = h.send(c, {"PING"});  // sent on the same link: fails with it
  REQUIRE(run_until(h.io, [&] { return big->done && after->done; }));
  CHECK(big->ec == errc::reply_too_large);
  CHECK(after->ec == errc::reply_too_large);
  REQUIRE(c.states->size() >= 2);
  CHECK((*c.states)[1].state == connection::link_state::disconnected);
  CHECK((*c.states)[1].reason == errc::reply_too_large);

  // 3000 one-byte elements are ~21 KB on the wire but more than 64 KiB of values.
  REQUIRE(run_until(h.io, [&] { return c.conn->connected(); }));
  CHECK(h.call(c, {"LRANGE", "many", "0", "99"}).elements().size() == 100);
  auto many = h.send(c, {"LRANGE", "many", "0", "-1"});
  REQUIRE(run_until(h.io, [&] { return many->done; }));
  CHECK(many->ec == errc::reply_too_large);
  REQUIRE(run_until(h.io, [&] { return c.conn->connected(); }));
  CHECK(h.call(c, {"PING"}).str() == "PONG");
}

namespace {

// A loopback server that answers each connection's first bytes with `answer`, then keeps it open
// (or closes it after the answer, or at once).
class fake_server {
 public:
  enum class hang_up { never, after_answer, at_once };
  fake_server(asio::io_context& io, std::string answer, hang_up when = hang_up::never)
      : io_(io), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}), answer_(std::move(answer)), hang_up_(when) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port()); }
  std::size_t connections = 0;
  std::vector<std::chrono::steady_clock::time_point> accepted_at;

 private:
  struct peer {
    explicit peer(asio::io_context& io) : socket(io) {}
    asio::ip::tcp::socket socket;
    std::array<char, 4096> buffer{};
  };
  void accept() {
    auto p = std::make_shared<peer>(io_);
    acceptor_.async_accept(p->socket, [this, p](std::error_code ec) {
      if (ec) return;
      ++connections;
      accepted_at.push_back(std::chrono::steady_clock::now());
      peers_.push_back(p);
      if (hang_up_ == hang_up::at_once) {
        std::error_code ignored;
        p->socket.close(ignored);
        return accept();
      }
      p->socket.async_read_some(asio::buffer(p->buffer), [this, p](std::error_code ec, std::size_t) {
        if (ec) return;
        asio::async_write(p->socket, asio::buffer(answer_), [this, p](std::error_code, std::size_t) {
          std::error_code ignored;
          if (hang_up_ == hang_up::after_answer) p->socket.close(ignored);
        });
      });
      accept();
    });
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string answer_;
  hang_up hang_up_;
  std::vector<std::shared_ptr<peer>> peers_;
};

}  // namespace

TEST_CASE("protocol error: garbage from the server fails every sent command and drops the link") {
  harness h;
  fake_server garbage(h.io, "+OK\r\n?what is this\r\n");
  sio::redis::options opts;
  opts.reconnect = false;
  auto c = h.make(garbage.url(), opts);
  auto first = h.send(c, {"SET", "a", "1"});
  auto second = h.send(c, {"GET", "a"});
  auto third = h.send(c, {"GET", "b"});
  REQUIRE(run_until(h.io, [&] { return first->done && second->done && third->done; }));
  CHECK_FALSE(first->ec);  // the reply before the garbage still counts
  CHECK(first->r.str() == "OK");
  CHECK(second->ec == errc::protocol_error);
  CHECK(third->ec == errc::protocol_error);
  REQUIRE(c.states->size() == 2);
  CHECK(c.states->back().state == connection::link_state::disconnected);
  CHECK(c.states->back().reason == errc::protocol_error);
  CHECK(c.states->back().detail.find("Protocol error") != std::string::npos);
  // reconnect is off: the connection is closed for good.
  auto late = h.send(c, {"PING"});
  REQUIRE(run_until(h.io, [&] { return late->done; }));
  CHECK(late->ec == errc::closed);
  CHECK(garbage.connections == 1);
}

TEST_CASE("protocol error: a reply nobody asked for drops the link") {
  harness h;
  fake_server chatty(h.io, "+OK\r\n+OK\r\n");
  sio::redis::options opts;
  opts.reconnect = false;
  auto c = h.make(chatty.url(), opts);
  auto one = h.send(c, {"PING"});
  REQUIRE(run_until(h.io, [&] { return c.states->size() == 2; }));
  CHECK(one->r.str() == "OK");
  CHECK(c.states->back().reason == errc::protocol_error);
}

TEST_CASE("pub/sub: an unsolicited sunsubscribe (slot moved) reaches the message handler") {
  harness h;
  fake_server node(h.io,
                   "*3\r\n$10\r\nssubscribe\r\n$2\r\nch\r\n:1\r\n"
                   "*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
                   "*3\r\n$12\r\nsunsubscribe\r\n$2\r\nch\r\n:0\r\n");
  auto c = h.make(node.url());
  auto s = h.send(c, {"SSUBSCRIBE", "ch"});
  REQUIRE(run_until(h.io, [&] { return s->done && c.messages->size() == 2; }));
  CHECK((*c.messages)[0].kind == message::type::smessage);
  CHECK((*c.messages)[0].payload == "hi");
  CHECK((*c.messages)[1].kind == message::type::sunsubscribe);
  CHECK((*c.messages)[1].channel == "ch");
  CHECK(c.conn->shard_channels().empty());
  CHECK(c.conn->connected());
}

TEST_CASE("bounds: the write queue of a connected link to a server that stops reading") {
  harness h;
  fake_server deaf(h.io, "");  // reads once, then never again
  sio::redis::options opts;
  opts.max_write_queue_bytes = 256 * 1024;
  auto c = h.make(deaf.url(), opts);
  REQUIRE(run_until(h.io, [&] { return c.conn->connected(); }));
  const std::string value(64 * 1024, 'w');
  std::shared_ptr<outcome> refused;
  std::size_t sent = 0;
  // The kernel's socket buffers take a few MB first; 1000 x 64 KiB is far more than they hold.
  for (int i = 0; i < 1000 && !refused; ++i) {
    std::size_t before = c.conn->queued_bytes();
    auto o = h.send(c, {"SET", "k", value});
    if (c.conn->queued_bytes() == before) refused = o;
    ++sent;
    CHECK(c.conn->queued_bytes() <= opts.max_write_queue_bytes);
    h.io.poll();  // let the writes that can complete, complete
  }
  REQUIRE(refused);
  REQUIRE(run_until(h.io, [&] { return refused->done; }));
  CHECK(refused->ec == errc::write_queue_full);
  CHECK(c.conn->connected());  // a full queue refuses commands; it does not drop the link
  INFO(sent << " commands before the refusal");
  CHECK(sent > 4);
}

TEST_CASE("connect timeout: a server that never answers AUTH") {
  harness h;
  fake_server silent(h.io, "");
  sio::redis::options opts;
  opts.connect_timeout = 200ms;
  opts.reconnect = false;
  auto start = std::chrono::steady_clock::now();
  auto c = h.make("redis://:pw@127.0.0.1:" + std::to_string(silent.port()), opts);
  auto ping = h.send(c, {"PING"});
  REQUIRE(run_until(h.io, [&] { return ping->done; }));
  CHECK(std::chrono::steady_clock::now() - start >= 200ms);
  CHECK(ping->ec == errc::closed);  // never sent; reconnect is off
  REQUIRE(c.states->size() == 1);
  CHECK(c.states->front().reason == errc::connect_timeout);
}

TEST_CASE("reconnect: the back-off doubles from reconnect_initial_delay up to reconnect_max_delay") {
  harness h;
  fake_server dropping(h.io, "", fake_server::hang_up::after_answer);  // reads AUTH, then hangs up
  sio::redis::options opts;
  opts.reconnect_initial_delay = 20ms;
  opts.reconnect_max_delay = 80ms;
  auto c = h.make("redis://:pw@127.0.0.1:" + std::to_string(dropping.port()), opts);
  REQUIRE(run_until(h.io, [&] { return dropping.connections >= 6; }));
  const std::chrono::milliseconds expected[] = {20ms, 40ms, 80ms, 80ms, 80ms};
  for (std::size_t i = 0; i < 5; ++i) {
    auto gap = dropping.accepted_at[i + 1] - dropping.accepted_at[i];
    INFO("attempt " << i + 1 << ": " << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
    CHECK(gap >= expected[i]);
    CHECK(gap < expected[i] + 1s);
  }
  // Never connected: one report of the failure, not one per attempt.
  REQUIRE(c.states->size() == 1);
  CHECK(c.states->front().state == connection::link_state::disconnected);
  CHECK(c.states->front().reason == asio::error::eof);
}

TEST_CASE("reconnect: a server that accepts and hangs up at once does not reset the back-off") {
  harness h;
  fake_server dropping(h.io, "", fake_server::hang_up::at_once);
  sio::redis::options opts;
  opts.reconnect_initial_delay = 20ms;
  opts.reconnect_max_delay = 80ms;
  auto c = h.make(dropping.url(), opts);  // no AUTH: the link is "connected" as soon as TCP is
  REQUIRE(run_until(h.io, [&] { return dropping.connections >= 4; }));
  const std::chrono::milliseconds expected[] = {20ms, 40ms, 80ms};
  for (std::size_t i = 0; i < 3; ++i) {
    auto gap = dropping.accepted_at[i + 1] - dropping.accepted_at[i];
    INFO("attempt " << i + 1 << ": " << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
    CHECK(gap >= expected[i]);
  }
  CHECK(c.count(connection::link_state::connected) >= 3);
}

TEST_CASE("rediss: TLS with the server's certificate as CA; an unknown CA is refused") {
  redis_process server({}, /*tls=*/true);
  harness h;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->load_verify_file(server.dir() + "/cert.pem");
  sio::redis::options opts;
  opts.tls_context = ctx;
  auto c = h.connected(server.url(), opts);
  CHECK(h.call(c, {"SET", "t", std::string(200 * 1024, 't')}).str() == "OK");
  CHECK(h.call(c, {"GET", "t"}).str().size() == 200 * 1024);
  auto sub = h.connected(server.url(), opts);
  h.call(sub, {"SUBSCRIBE", "tls"});
  CHECK(h.call(c, {"PUBLISH", "tls", "over TLS"}).integer() == 1);
  REQUIRE(run_until(h.io, [&] { return sub.messages->size() == 1; }));
  CHECK(sub.messages->front().payload == "over TLS");

  sio::redis::options system_cas;  // the default context: the self-signed certificate is not trusted
  system_cas.reconnect = false;
  auto refused = h.make(server.url(), system_cas);
  REQUIRE(run_until(h.io, [&] { return !refused.states->empty(); }));
  CHECK(refused.states->front().state == connection::link_state::disconnected);
  CHECK(refused.states->front().detail == "TLS handshake");
}

TEST_CASE("close: what waits fails with closed, and nothing is sent after") {
  redis_process server;
  harness h;
  auto c = h.connected(server.url());
  auto blocked = h.send(c, {"BLPOP", "never", "0"});
  auto queued = h.send(c, {"PING"});
  c.conn->close();
  REQUIRE(run_until(h.io, [&] { return blocked->done && queued->done; }));
  CHECK(blocked->ec == errc::closed);
  CHECK(queued->ec == errc::closed);
  auto after = h.send(c, {"PING"});
  REQUIRE(run_until(h.io, [&] { return after->done; }));
  CHECK(after->ec == errc::closed);
}

TEST_CASE("threads: connections on strands of an io_context run by two threads") {
  redis_process server;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });

  auto commands_strand = asio::make_strand(io);
  auto subscriber_strand = asio::make_strand(io);
  auto commands = connection::create(commands_strand, url::parse(server.url()));
  auto subscriber = connection::create(subscriber_strand, url::parse(server.url()));
  constexpr int count = 2000;
  constexpr int published = count / 10;
  std::promise<long long> last_incr;
  std::promise<std::error_code> subscribed;  // Catch2 asserts on the test's thread only
  std::promise<int> received;
  auto messages = std::make_shared<int>(0);  // touched on subscriber_strand only

  asio::post(subscriber_strand, [&, messages] {
    subscriber->on_message([&, messages](message) {
      if (++*messages == published) received.set_value(*messages);
    });
    subscriber->start();
    subscriber->subscribe({"t"}, [&](std::error_code ec, reply) { subscribed.set_value(ec); });
  });
  auto subscribe_done = subscribed.get_future();
  REQUIRE(subscribe_done.wait_for(20s) == std::future_status::ready);
  REQUIRE_FALSE(subscribe_done.get());

  asio::post(commands_strand, [&] {
    commands->start();
    for (int i = 1; i <= count; ++i) {
      commands->command({"INCR", "counter"}, [&, i](std::error_code ec, reply r) {
        if (i == count) last_incr.set_value(ec ? -1 : r.integer());
      });
      if (i % 10 == 0) commands->command({"PUBLISH", "t", std::to_string(i)}, nullptr);
    }
  });
  auto incr = last_incr.get_future();
  REQUIRE(incr.wait_for(20s) == std::future_status::ready);
  CHECK(incr.get() == count);
  auto got = received.get_future();
  REQUIRE(got.wait_for(20s) == std::future_status::ready);
  CHECK(got.get() == published);

  asio::post(commands_strand, [commands] { commands->close(); });
  asio::post(subscriber_strand, [subscriber] { subscriber->close(); });
  work.reset();
  for (auto& t : threads) t.join();
}
