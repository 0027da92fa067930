// sio::admin_ui against a raw Socket.IO client (test_client.hpp): the /admin namespace as the
// @socket.io/admin-ui 0.5 dashboard speaks it (docs/admin-ui-wire.md): login, sessions, readonly,
// production and development modes, every event and command.
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch_test_macros.hpp>
#include <sio/admin_ui.hpp>
#include <sio/server.hpp>

#include "admin_test_support.hpp"
#include "running_server.hpp"
#include "test_client.hpp"

using namespace std::chrono_literals;

namespace {

// bcrypt hashes of "changeit" (libxcrypt), cost 4 for speed and cost 12 (~0.2 s) for the queue.
const std::string fast_hash = "$2b$04$MyLmbI1ftycrvqjVNzGVrepL1Xju57d94IdGW.HmvF59TZjIS7v4u";
const std::string slow_hash = "$2b$12$V6rhvlPTpoBjYhzB1cxsxOrFS8L1EA2s78hVIv1H1DW8NEfYaP1dO";

using sio_test::running_server;

using sio_test::admin_connect;
using sio_test::admin_event;
using sio_test::args_of;
using sio_test::is_admin_event;
using sio_test::str;

sio::admin_ui::options basic(const std::string& hash = fast_hash) {
  sio::admin_ui::options o;
  o.auth = sio::admin_ui::basic_auth{"admin", hash};
  o.stats_interval = 100ms;
  return o;
}

}  // namespace

TEST_CASE("admin_ui: auth must be chosen, and a configured hash must be bcrypt") {
  asio::io_context ctx;
  sio::server<> io(ctx);
  sio::admin_ui::options o;
  CHECK_THROWS_AS(sio::admin_ui::instrument(io, o), std::invalid_argument);
  o.auth = sio::admin_ui::basic_auth{"admin", "plaintext"};  // libxcrypt would take it for DES
  CHECK_THROWS_AS(sio::admin_ui::instrument(io, o), std::invalid_argument);
  o.auth = sio::admin_ui::basic_auth{"admin", "$2b$10$short"};
  CHECK_THROWS_AS(sio::admin_ui::instrument(io, o), std::invalid_argument);
  o.auth = sio::admin_ui::no_auth{};
  o.stats_interval = std::chrono::milliseconds{0};  // would send stats without end
  CHECK_THROWS_AS(sio::admin_ui::instrument(io, o), std::invalid_argument);
  CHECK(sio::admin::is_bcrypt_hash(fast_hash));
  CHECK(sio::admin::bcrypt_verify("changeit", fast_hash));
  CHECK_FALSE(sio::admin::bcrypt_verify("changeiT", fast_hash));
  CHECK_FALSE(sio::admin::bcrypt_verify(std::string("changeit\0x", 10), fast_hash));
}

TEST_CASE("admin_ui: login with a bcrypt password, refusals, and the session id reused") {
  running_server srv;
  auto store = std::make_shared<sio::admin_ui::in_memory_session_store>();
  auto o = basic();
  o.store = store;
  sio::admin_ui::instrument(srv.io, o);
  srv.start();

  // Refused with exactly Node's message, whatever is wrong (non-strings are no error).
  for (const char* auth :
       {R"({"username":"admin","password":"nope"})", R"({"username":"root","password":"changeit"})", R"({"username":"admin"})",
        R"({"username":"admin","password":42})", R"({"username":["admin"],"password":"changeit"})", R"({"sessionId":"0123456789abcdef"})",
        R"({"sessionId":null})", "", R"({"sessionId":7})"}) {
    sio_test::test_client c(srv.port());
    CHECK(admin_connect(c, auth) == R"(4/admin,{"message":"invalid credentials"})");
  }
  CHECK(store->size() == 0);

  std::string session;
  {
    sio_test::test_client c(srv.port());
    std::string reply = admin_connect(c, R"({"username":"admin","password":"changeit"})");
    REQUIRE(reply.rfind("0/admin,{\"sid\":", 0) == 0);
    auto s = args_of(c.next_matching(admin_event("session")));
    session = s[1].as_string();
    CHECK(session.size() == 16);
    CHECK(session.find_first_not_of("0123456789abcdef") == std::string::npos);
    // After the CONNECT reply: the session comes once the dashboard listens (see instrumentation.hpp).
    CHECK(is_admin_event(c.next_matching([](const std::string& p) { return p.rfind("2/admin,", 0) == 0; }), "config"));
  }
  CHECK(store->size() == 1);
  {
    sio_test::test_client c(srv.port());  // a page reload: the session alone
    CHECK(admin_connect(c, R"({"sessionId":")" + session + "\"}").rfind("0/admin,{\"sid\":", 0) == 0);
    CHECK(is_admin_event(c.next_matching([](const std::string& p) { return p.rfind("2/admin,", 0) == 0; }), "config"));
  }
  {
    sio_test::test_client c(srv.port());  // an unknown session, but good credentials: a new session
    CHECK(admin_connect(c, R"({"sessionId":"ffffffffffffffff","username":"admin","password":"changeit"})").rfind("0/admin,", 0) == 0);
    CHECK(args_of(c.next_matching(admin_event("session")))[1].as_string() != session);
  }
  CHECK(srv.shut_down());
}

TEST_CASE("admin_ui: logins wait for their bcrypt check in a bounded queue; the rest are refused at once") {
  running_server srv;
  auto o = basic(slow_hash);  // ~0.2 s per check
  o.max_pending_logins = 1;
  sio::admin_ui::instrument(srv.io, o);
  srv.start();
  std::vector<std::unique_ptr<sio_test::test_client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<sio_test::test_client>(srv.port()));
    clients.back()->send_sio(R"(0/admin,{"username":"admin","password":"changeit"})");
  }
  int accepted = 0, refused = 0;
  for (auto& c : clients) {
    auto r = c->next_matching([](const std::string& p) { return p.rfind("0/admin,", 0) == 0 || p.rfind("4/admin,", 0) == 0; });
    if (r.rfind("0/admin,", 0) == 0) ++accepted;
    if (r == R"(4/admin,{"message":"too many logins in progress"})") ++refused;
  }
  // One checked at a time plus one waiting: at least 3 of 5 sent together find the queue full.
  CHECK(accepted >= 1);
  CHECK(accepted <= 2);
  CHECK(accepted + refused == 5);
  CHECK(srv.shut_down());
}

TEST_CASE("admin_ui: production mode sends stats, and no socket, handshake or event") {
  running_server srv;
  srv.io.on_connection([](sio::socket s) {
    s.join("lobby");
    s.on("hello", [s](std::string x) { s.emit("hi", x); });
  });
  auto o = basic();
  o.server_id = "node-a";
  sio::admin_ui::instrument(srv.io, o);
  srv.start();
  sio_test::test_client admin(srv.port());
  REQUIRE(admin_connect(admin, R"({"username":"admin","password":"changeit"})").rfind("0/admin,", 0) == 0);
  auto config = args_of(admin.next_matching(admin_event("config")));
  CHECK(sio::json::stringify(config[1]) ==
        R"({"supportedFeatures":["JOIN","LEAVE","DISCONNECT","MJOIN","MLEAVE","MDISCONNECT","AGGREGATED_EVENTS"]})");
  sio_test::test_client user(srv.port());
  user.connect();
  user.send_sio(R"(2["hello","secret"])");
  user.next_matching([](const std::string& p) { return p == R"(2["hi","secret"])"; });
  // Stats until they have shown the user's socket, a connection and traffic in.
  bool seen = false, connection = false, bytes_in = false;
  for (int i = 0; i < 100 && !(seen && connection && bytes_in); ++i) {
    auto stats = args_of(admin.next_matching(admin_event("server_stats")))[1];
    CHECK(str(stats, "serverId") == "node-a");
    CHECK(stats.find("pid")->is_integer());
    CHECK(stats.find("uptime")->is_number());
    CHECK(stats.find("clientsCount")->as_double() >= 1);
    for (const auto& ns : stats.find("namespaces")->as_array())
      if (str(ns, "name") == "/") seen = ns.find("socketsCount")->as_double() == 1;
    for (const auto& e : stats.find("aggregatedEvents")->as_array()) {
      connection |= str(e, "type") == "rawConnection";
      bytes_in |= str(e, "type") == "bytesIn";
      CHECK(e.find("timestamp")->as_double() > 1.7e12);
    }
  }
  CHECK(seen);
  CHECK(connection);
  CHECK(bytes_in);
  user.close();
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    auto stats = args_of(admin.next_matching(admin_event("server_stats")))[1];
    for (const auto& e : stats.find("aggregatedEvents")->as_array())
      if (str(e, "type") == "rawDisconnection") closed = str(e, "subType") == "transport close";
  }
  CHECK(closed);
  // Nothing about the user's socket, handshake or events reached the dashboard.
  for (const char* ev : {"all_sockets", "socket_connected", "room_joined", "event_received", "event_sent", "socket_disconnected"})
    CHECK_THROWS(admin.next_matching(admin_event(ev), 1ms));
  CHECK(srv.shut_down());
}

TEST_CASE("admin_ui: development mode reports sockets, rooms and events; the dashboard's commands act") {
  running_server srv;
  srv.io.on_connection([&srv](sio::socket s) {
    s.join("lobby");
    s.on("hello", [s](std::string x) { s.emit("hi", x); });
    s.on("shout", [&srv](std::string x) { srv.io.emit("all", x); });
  });
  sio::admin_ui::options o;
  o.auth = sio::admin_ui::no_auth{};
  o.mode = sio::admin_ui::mode::development;
  o.stats_interval = 100ms;
  sio::admin_ui::instrument(srv.io, o);
  srv.start();

  sio_test::test_client admin(srv.port());
  REQUIRE(admin_connect(admin, "").rfind("0/admin,", 0) == 0);
  auto config = args_of(admin.next_matching(admin_event("config")));
  CHECK(sio::json::stringify(config[1].find("supportedFeatures")->as_array().back()) == "\"ALL_EVENTS\"");
  auto first = args_of(admin.next_matching(admin_event("all_sockets")))[1];
  REQUIRE(first.as_array().size() == 1);  // the dashboard's own socket
  CHECK(str(first[0], "nsp") == "/admin");

  sio_test::test_client user(srv.port());
  std::string id = user.connect();
  // (The dashboard's own socket was reported first: every namespace is watched, /admin too.)
  auto connected = args_of(
      admin.next_matching([&](const std::string& p) { return is_admin_event(p, "socket_connected") && p.find(id) != std::string::npos; }));
  const auto& sock = connected[1];
  CHECK(str(sock, "id") == id);
  CHECK(str(sock, "nsp") == "/");
  CHECK(str(sock, "transport") == "websocket");
  CHECK(str(sock, "clientId").size() == 12);
  CHECK(sock.find("handshake")->find("headers")->find("host") != nullptr);
  CHECK(sock.find("handshake")->find("issued")->is_integer());
  CHECK(sock.find("handshake")->find("auth") == nullptr);
  CHECK(sio::json::stringify(*sock.find("rooms")) == "[\"" + id + "\"]");  // before the connection handler
  CHECK(connected[2].as_string().size() == 24);                            // "2026-12-05T06:54:22.311Z"
  CHECK(connected[2].as_string().back() == 'Z');
  auto joined = args_of(admin.next_matching(admin_event("room_joined")));
  CHECK(sio::json::stringify(joined).rfind(R"(["room_joined","/","lobby",")" + id + "\"", 0) == 0);

  user.send_sio(R"(2["hello","x"])");
  auto received = args_of(admin.next_matching(admin_event("event_received")));
  CHECK(sio::json::stringify(received).rfind(R"(["event_received","/",")" + id + R"(",["hello","x"],")", 0) == 0);
  auto sent = args_of(admin.next_matching(admin_event("event_sent")));
  CHECK(sio::json::stringify(sent).rfind(R"(["event_sent","/",")" + id + R"(",["hi","x"],")", 0) == 0);
  user.send_sio(R"(2["shout","y"])");
  auto broadcast = args_of(
      admin.next_matching([](const std::string& p) { return is_admin_event(p, "event_sent") && p.find("\"all\"") != std::string::npos; }));
  CHECK(sio::json::stringify(broadcast[3]) == R"(["all","y"])");  // a room broadcast, reported per recipient

  // A second dashboard is sent every socket at once, with its rooms and client.
  sio_test::test_client admin2(srv.port());
  REQUIRE(admin_connect(admin2, "").rfind("0/admin,", 0) == 0);
  auto all = args_of(admin2.next_matching(admin_event("all_sockets")))[1];
  bool found = false;
  for (const auto& s : all.as_array())
    if (str(s, "id") == id) {
      found = true;
      CHECK(sio::json::stringify(*s.find("rooms")) == "[\"" + id + "\",\"lobby\"]");
      CHECK(str(s, "clientId") == str(sock, "clientId"));
      CHECK(str(s, "transport") == "websocket");
      CHECK(sio::json::stringify(*s.find("data")) == "{}");  // sio's _admin member is not shown
    }
  CHECK(found);
  CHECK(all.as_array().size() == 3);

  // Commands: join, leave, through the adapter; a namespace that does not exist is not created.
  admin.send_sio(R"(2/admin,["join","/","room2",")" + id + "\"]");
  CHECK(sio::json::stringify(args_of(admin.next_matching(admin_event("room_joined")))).rfind(R"(["room_joined","/","room2",")" + id, 0) ==
        0);
  admin.send_sio(R"(2/admin,["leave","/","room2",")" + id + "\"]");
  CHECK(sio::json::stringify(args_of(admin.next_matching(admin_event("room_left")))).rfind(R"(["room_left","/","room2",")" + id, 0) == 0);
  admin.send_sio(R"(2/admin,["join","/nowhere","r"])");
  admin.send_sio(R"(2/admin,["join",7,"r"])");
  admin.send_sio(R"(2/admin,["_disconnect","/","yes"])");  // close must be a bool
  admin.send_sio(R"(2/admin,["_disconnect","/",false,")" + id + "\"]");
  user.next_matching([](const std::string& p) { return p == "1"; });
  auto gone = args_of(admin.next_matching(admin_event("socket_disconnected")));
  CHECK(sio::json::stringify(gone).rfind(R"(["socket_disconnected","/",")" + id + R"(","server namespace disconnect",")", 0) == 0);
  std::set<std::string> left;
  for (int i = 0; i < 2; ++i) left.insert(args_of(admin.next_matching(admin_event("room_left")))[2].as_string());
  CHECK(left == std::set<std::string>{id, "lobby"});
  CHECK(srv.io.core()->find("/nowhere") == nullptr);

  // close=true ends the whole connection of a client, by room.
  sio_test::test_client user2(srv.port());
  std::string id2 = user2.connect();
  admin.send_sio(R"(2/admin,["_disconnect","/",true,"lobby"])");
  user2.wait_closed();
  auto gone2 = args_of(admin.next_matching(
      [&](const std::string& p) { return is_admin_event(p, "socket_disconnected") && p.find(id2) != std::string::npos; }));
  CHECK(gone2[3].as_string() == "server namespace disconnect");  // as Node: each namespace's DISCONNECT, then the close
  CHECK(srv.shut_down());
}

TEST_CASE("admin_ui: readonly has no command handlers; the dashboard's commands are ignored") {
  running_server srv;
  auto o = basic();
  o.readonly = true;
  o.mode = sio::admin_ui::mode::development;
  sio::admin_ui::instrument(srv.io, o);
  // The application's own handler on the admin namespace: its ack shows the commands before it were read.
  srv.io.of("/admin").on_connection([](sio::socket s) { s.on("probe", [](sio::ack_sender ack) { ack("done"); }); });
  srv.start();
  sio_test::test_client user(srv.port());
  std::string id = user.connect();
  sio_test::test_client admin(srv.port());
  REQUIRE(admin_connect(admin, R"({"username":"admin","password":"changeit"})").rfind("0/admin,", 0) == 0);
  auto config = args_of(admin.next_matching(admin_event("config")));
  CHECK(sio::json::stringify(config[1]) == R"({"supportedFeatures":["AGGREGATED_EVENTS","ALL_EVENTS"]})");
  admin.send_sio(R"(2/admin,["_disconnect","/",true])");
  admin.send_sio(R"(2/admin,["join","/","room2"])");
  admin.send_sio(R"(2/admin,1["probe"])");
  admin.next_matching([](const std::string& p) { return p == R"(3/admin,1["done"])"; });
  CHECK(srv.io.sockets().size() == 1);
  CHECK(srv.io.sockets()[0].rooms().size() == 1);
  CHECK_FALSE(user.closed());
  CHECK(srv.shut_down());
}
