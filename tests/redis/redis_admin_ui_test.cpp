// sio::admin_ui across two sio nodes joined by the classic Redis adapter and a real redis-server:
// a dashboard on one node sees both nodes' stats and the other node's sockets, rooms and events,
// and its commands act there; a login made on one node is a session on the other
// (sio::redis::admin_session_store).
#include <chrono>
#include <future>
#include <set>
#include <string>

#include <catch2/catch_test_macros.hpp>
#include <sio/admin_ui.hpp>
#include <sio/redis/admin_session_store.hpp>
#include <sio/redis_adapter.hpp>
#include <sio/server.hpp>

#include "../integration/admin_test_support.hpp"
#include "adapter_test_support.hpp"

namespace {

using namespace std::chrono_literals;
const std::string test_key = "sio-test";
const std::string fast_hash = "$2b$04$MyLmbI1ftycrvqjVNzGVrepL1Xju57d94IdGW.HmvF59TZjIS7v4u";  // "changeit"

struct node : sio_test::redis_node {
  node(const std::string& url, const std::string& id)
      : redis_node([&](asio::io_context& ctx, sio_test::redis_error_handler on_error) {
          sio::redis_adapter_options opts;
          opts.url = url;
          opts.key = test_key;
          opts.on_error = std::move(on_error);
          return sio::redis_adapter::create(ctx, opts);
        }) {
    sio::admin_ui::options o;
    o.auth = sio::admin_ui::basic_auth{"admin", fast_hash};
    o.mode = sio::admin_ui::mode::development;
    o.server_id = id;
    o.stats_interval = 100ms;
    o.store = sio::redis::admin_session_store::create(ctx, url, "sio-test-admin");
    sio::admin_ui::instrument(*io, o);
  }
};

using sio_test::admin_connect;
using sio_test::admin_event;
using sio_test::args_of;
using sio_test::is_admin_event;
using sio_test::str;

}  // namespace

TEST_CASE("admin_ui over Redis: one dashboard sees and acts on both nodes; a login is a session on every node") {
  sio_test::redis_process redis;
  node a(redis.url(), "node-a"), b(redis.url(), "node-b");
  b.io->on_connection([](sio::socket s) {
    s.join("lobby");
    s.on("hello", [s](std::string x) { s.emit("hi", x); });
  });
  a.start();
  b.start();
  // Both nodes listen on the admin namespace's request channel (each subscribes there last).
  REQUIRE(sio_test::wait_count(redis, {"PUBSUB", "NUMSUB", test_key + "-request#/admin#"}, 2, 10s));
  REQUIRE(sio_test::wait_count(redis, {"PUBSUB", "NUMSUB", test_key + "-request#/#"}, 2, 10s));

  sio_test::test_client user(b.port());
  std::string id = user.connect();

  sio_test::test_client dash(a.port());
  REQUIRE(admin_connect(dash, R"({"username":"admin","password":"changeit"})").rfind("0/admin,", 0) == 0);
  std::string session = args_of(dash.next_matching(admin_event("session")))[1].as_string();

  // all_sockets from both nodes: b's user with its client id and transport (sio's _admin data).
  auto all = args_of(dash.next_matching(admin_event("all_sockets")))[1];
  bool found = false;
  for (const auto& s : all.as_array())
    if (str(s, "id") == id) {
      found = true;
      CHECK(str(s, "nsp") == "/");
      CHECK(str(s, "clientId").size() == 12);
      CHECK(str(s, "transport") == "websocket");
      CHECK(sio::json::stringify(*s.find("rooms")) == "[\"" + id + "\",\"lobby\"]");
      CHECK(sio::json::stringify(*s.find("data")) == "{}");
    }
  CHECK(found);

  // Stats of both servers reach the dashboard on a.
  std::set<std::string> servers;
  for (int i = 0; i < 100 && servers.size() < 2; ++i)
    servers.insert(str(args_of(dash.next_matching(admin_event("server_stats")))[1], "serverId"));
  CHECK(servers == std::set<std::string>{"node-a", "node-b"});

  // The session made on a is valid on b (one Redis store).
  sio_test::test_client dash_b(b.port());
  CHECK(admin_connect(dash_b, R"({"sessionId":")" + session + "\"}").rfind("0/admin,", 0) == 0);

  // b's events reach a's dashboard; a's commands reach b's socket.
  user.send_sio(R"(2["hello","x"])");
  auto received = args_of(dash.next_matching(admin_event("event_received")));
  CHECK(sio::json::stringify(received).rfind(R"(["event_received","/",")" + id + R"(",["hello","x"],")", 0) == 0);
  dash.send_sio(R"(2/admin,["join","/","room2",")" + id + "\"]");
  CHECK(args_of(dash.next_matching(admin_event("room_joined")))[2].as_string() == "room2");
  dash.send_sio(R"(2/admin,["_disconnect","/",false,")" + id + "\"]");
  user.next_matching([](const std::string& p) { return p == "1"; });
  auto gone = args_of(dash.next_matching(admin_event("socket_disconnected")));
  CHECK(gone[2].as_string() == id);
  CHECK(gone[3].as_string() == "server namespace disconnect");
  CHECK(a.shut_down());
  CHECK(b.shut_down());
}
