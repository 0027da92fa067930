// sio's metrics after real traffic over loopback: the counts, the text format (checked here for
// what promtool does not check, and by promtool itself when it is installed), the access check,
// and that nothing is counted or served when metrics are off.
#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <sio/server.hpp>

#include "../integration/running_server.hpp"
#include "../integration/test_client.hpp"

using namespace std::chrono_literals;

namespace {

using sio_test::eventually;
using sio_test::running_server;

/// One HTTP/1.1 request on its own connection; the whole response.
std::string http(unsigned short port, const std::string& method, const std::string& target, const std::string& body = {},
                 const std::string& extra_headers = {}) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers +
                    "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(sock, asio::buffer(req));
  std::string out;
  std::error_code ec;
  asio::read(sock, asio::dynamic_buffer(out), ec);
  return out;
}
int status_of(const std::string& response) { return response.size() > 12 ? std::atoi(response.c_str() + 9) : 0; }
std::string body_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string{} : response.substr(at + 4);
}

double value_of(const sio::labelled_values& values, const std::string& label) {
  for (const auto& [l, v] : values)
    if (l == label) return v;
  FAIL("no label value " << label);
  return -1;
}

/// What promtool does not check (docs/admin-ui-wire.md §6.2): every family has HELP then TYPE
/// before its samples and is one group; each series once; histograms cumulative, in order, ending
/// with +Inf equal to _count; the text ends with a line feed and has no CR.
void check_exposition(const std::string& text) {
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  CHECK(text.find('\r') == std::string::npos);
  std::istringstream in(text);
  std::string line, family, type;
  std::set<std::string> families, series;
  std::map<std::string, double> last_bucket, inf_bucket, counts;
  std::map<std::string, double> last_le;
  const std::regex sample(R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"\})? (\S+))re");
  bool help_seen = false;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      CHECK(families.insert(family).second);  // one group per family
      help_seen = true;
      type.clear();
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      CHECK(help_seen);
      CHECK(line.substr(7, line.find(' ', 7) - 7) == family);
      type = line.substr(line.rfind(' ') + 1);
      CHECK((type == "counter" || type == "gauge" || type == "histogram"));
      if (type == "counter") CHECK(family.size() > 6);
      if (type == "counter") CHECK(family.substr(family.size() - 6) == "_total");
      continue;
    }
    std::smatch m;
    REQUIRE(std::regex_match(line, m, sample));
    std::string name = m[1];
    CHECK(!type.empty());
    CHECK(series.insert(name + "{" + std::string{m[3]} + "=" + std::string{m[4]} + "}").second);
    double v = std::stod(m[5]);
    if (type == "histogram") {
      if (name == family + "_bucket") {
        CHECK(m[3] == "le");
        double le = m[4] == "+Inf" ? 1e300 : std::stod(m[4]);
        if (last_le.count(family)) CHECK(le > last_le[family]);
        if (last_bucket.count(family)) CHECK(v >= last_bucket[family]);
        last_le[family] = le;
        last_bucket[family] = v;
        if (m[4] == "+Inf") inf_bucket[family] = v;
      } else if (name == family + "_count") {
        counts[family] = v;
      } else {
        CHECK(name == family + "_sum");
      }
    } else {
      CHECK(name == family);
    }
  }
  for (const auto& [f, c] : counts) {
    REQUIRE(inf_bucket.count(f));
    CHECK(inf_bucket[f] == c);
  }
}

/// promtool check metrics, when Debian's prometheus package is installed: a parser that is not
/// ours. Any finding (exit code other than 0) fails the test. In CI (CI=true), or with
/// SIO_REQUIRE_PROMTOOL set, its absence is a failure too.
void check_with_promtool(const std::string& text) {
  bool present = std::system("command -v promtool > /dev/null 2>&1") == 0;
  if (!present) {
    const char* ci = std::getenv("CI");
    CHECK((ci == nullptr || std::string{ci} != "true"));  // CI installs it (scripts/setup.sh)
    CHECK(std::getenv("SIO_REQUIRE_PROMTOOL") == nullptr);
    WARN("promtool is not installed: the format was checked by this test only");
    return;
  }
  char name[] = "/tmp/sio-metrics-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  ::close(fd);
  { std::ofstream(name, std::ios::binary) << text; }
  std::string out = std::string{name} + ".out";
  int rc = std::system(("promtool check metrics < " + std::string{name} + " > " + out + " 2>&1").c_str());
  std::ifstream report(out);
  std::string findings((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  INFO("promtool: " << findings);
  CHECK(rc == 0);
  std::remove(name);
  std::remove(out.c_str());
}

std::string sid_of(const std::string& open) {
  auto at = open.find("\"sid\":\"");
  REQUIRE(at != std::string::npos);
  return open.substr(at + 7, open.find('"', at + 7) - at - 7);
}

}  // namespace

TEST_CASE("metrics are off by default: /metrics is 404 and io.metrics() counts nothing") {
  running_server srv;
  srv.io.on_connection([](sio::socket) {});
  srv.start();
  sio_test::test_client c(srv.port());
  c.connect();
  CHECK(status_of(http(srv.port(), "GET", "/metrics")) == 404);
  auto m = srv.io.metrics();
  CHECK(m.handshakes == 0);
  CHECK(value_of(m.connections_open, "websocket") == 0);
  CHECK(m.sockets == 0);
}

TEST_CASE("metrics count real traffic: both transports, upgrade, refusal, broadcast, ack latency, disconnect reasons") {
  sio::server_options opts;
  opts.metrics.enabled = true;
  running_server srv(opts);
  std::mutex mutex;
  std::vector<sio::socket> sockets;
  srv.io.on_connection([&](sio::socket s) {
    std::lock_guard<std::mutex> lock(mutex);
    sockets.push_back(s);
  });
  srv.start();
  auto acker = [](const std::string& p) -> std::string {
    auto bracket = p.find('[');
    if (p.rfind("2", 0) != 0 || bracket <= 1) return "";
    return "3" + p.substr(1, bracket - 1) + "[\"yes\"]";
  };

  // Two WebSocket clients, one long-polling client that then upgrades, a refused handshake.
  sio_test::test_client a(srv.port(), acker), b(srv.port(), acker);
  a.connect();
  b.connect();
  std::string sid = sid_of(body_of(http(srv.port(), "GET", "/socket.io/?EIO=4&transport=polling")));
  std::string session = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
  CHECK(body_of(http(srv.port(), "POST", session, "40")) == "ok");
  CHECK(body_of(http(srv.port(), "GET", session)).rfind("40{", 0) == 0);
  sio_test::test_client up(srv.port(), sid, {});
  up.wait_upgraded();
  CHECK(status_of(http(srv.port(), "GET", "/socket.io/?EIO=4&transport=nope")) == 400);
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return sockets.size() == 3;
  }));
  REQUIRE(eventually([&] { return srv.io.metrics().upgrades == 1; }));

  auto m = srv.io.metrics();
  CHECK(m.handshakes == 3);
  CHECK(value_of(m.connections_total, "websocket") == 2);
  CHECK(value_of(m.connections_total, "polling") == 1);
  CHECK(value_of(m.connections_open, "websocket") == 3);
  CHECK(value_of(m.connections_open, "polling") == 0);
  CHECK(value_of(m.connection_errors, "0") == 1);
  CHECK(m.sockets == 3);
  CHECK(m.namespaces == 1);
  CHECK(m.rooms == 3);  // each socket's own room

  // A broadcast reaches three sockets; one ack from a client is timed.
  srv.io.emit("news", "hello");
  for (auto* c : {&a, &b, &up}) c->next_matching([](const std::string& p) { return p.rfind("2[\"news\"", 0) == 0; });
  std::promise<std::error_code> acked;
  sockets.at(0).emit_with_ack("ask", 1, [&](std::error_code ec, sio::arguments) { acked.set_value(ec); });
  CHECK(acked.get_future().get() == std::error_code{});
  m = srv.io.metrics();
  CHECK(m.broadcasts == 1);
  CHECK(m.broadcast_deliveries == 3);
  CHECK(m.ack_latency.count == 1);
  CHECK(m.ack_latency.sum > 0);
  CHECK(m.ack_latency.counts.back() <= 1);
  CHECK(value_of(m.packets_in, "message") >= 3);   // the CONNECTs and the ack
  CHECK(value_of(m.packets_out, "message") >= 7);  // CONNECT replies, the broadcast, the ask
  CHECK(value_of(m.bytes_out, "message") > value_of(m.packets_out, "message"));

  // Disconnect reasons: the client closes its transport; the server disconnects a socket.
  a.close();
  REQUIRE(eventually([&] { return value_of(srv.io.metrics().disconnects, "transport close") == 1; }));
  sockets.at(1).disconnect();
  REQUIRE(eventually([&] { return value_of(srv.io.metrics().disconnects, "server namespace disconnect") == 1; }));
  REQUIRE(eventually([&] { return srv.io.metrics().sockets == 1; }));
  m = srv.io.metrics();
  CHECK(value_of(m.engine_closes, "transport close") >= 1);

  // The served text says the same and is well formed.
  std::string res = http(srv.port(), "GET", "/metrics");
  CHECK(status_of(res) == 200);
  CHECK(res.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != std::string::npos);
  std::string text = body_of(res);
  CHECK(text.find("sio_engine_handshakes_total 3\n") != std::string::npos);
  CHECK(text.find("sio_disconnects_total{reason=\"transport close\"} 1\n") != std::string::npos);
  CHECK(text.find("sio_ack_latency_seconds_count 1\n") != std::string::npos);
  CHECK(text.find("sio_ack_latency_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(text.find("sio_broadcast_deliveries_total 3\n") != std::string::npos);
  check_exposition(text);
  check_with_promtool(text);
}

TEST_CASE("metrics count the slow-consumer actions: volatile dropped, closed over max_buffered_bytes") {
  sio::server_options opts;
  opts.metrics.enabled = true;
  opts.max_buffered_bytes = 16 * 1024;
  running_server srv(opts);
  std::promise<sio::socket> connected;
  srv.io.on_connection([&](sio::socket s) { connected.set_value(s); });
  srv.start();
  // A polling client that stops asking: nothing it is sent leaves the server.
  std::string sid = sid_of(body_of(http(srv.port(), "GET", "/socket.io/?EIO=4&transport=polling")));
  CHECK(body_of(http(srv.port(), "POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid, "40")) == "ok");
  sio::socket s = connected.get_future().get();
  s.volatile_().emit("v", 1);
  REQUIRE(eventually([&] { return srv.io.metrics().volatile_dropped == 1; }));
  std::string big(10 * 1024, 'x');
  s.emit("big", big);
  s.emit("big", big);
  REQUIRE(eventually([&] { return srv.io.metrics().closed_max_buffered == 1; }));
  REQUIRE(eventually([&] { return value_of(srv.io.metrics().disconnects, "slow consumer") == 1; }));
  CHECK(srv.io.metrics().shed_max_memory == 0);
}

TEST_CASE("metrics: the access check refuses (401, 403) or lets through; other methods get 405; another path") {
  sio::server_options opts;
  opts.metrics.enabled = true;
  opts.metrics.path = "/internal/metrics";
  opts.metrics.access = [](const sio::transport::http_request& r) {
    std::string_view auth = r.headers.get("Authorization");
    if (auth.empty()) return 401;
    return auth == "Bearer s3cret" ? 0 : 403;
  };
  running_server srv(opts);
  srv.start();
  CHECK(status_of(http(srv.port(), "GET", "/metrics")) == 404);
  CHECK(status_of(http(srv.port(), "GET", "/internal/metrics")) == 401);
  CHECK(status_of(http(srv.port(), "GET", "/internal/metrics", {}, "Authorization: Bearer nope\r\n")) == 403);
  std::string ok = http(srv.port(), "GET", "/internal/metrics", {}, "Authorization: Bearer s3cret\r\n");
  CHECK(status_of(ok) == 200);
  check_exposition(body_of(ok));
  CHECK(status_of(http(srv.port(), "POST", "/internal/metrics", "x", "Authorization: Bearer s3cret\r\n")) == 405);
}

TEST_CASE("write_prometheus escapes label values and HELP text as the format asks") {
  sio::metrics_snapshot m;
  m.disconnects = {{"a \"quoted\" back\\slash new\nline", 2}};
  std::string text;
  sio::write_prometheus(m, text);
  CHECK(text.find("sio_disconnects_total{reason=\"a \\\"quoted\\\" back\\\\slash new\\nline\"} 2\n") != std::string::npos);
  check_exposition(text);
  check_with_promtool(text);
}
