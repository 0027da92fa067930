// The HTTP/1.1 request parser (transport/http_parser.hpp): what it accepts, what it refuses with
// which status, and what it may hold in memory. Every input is fed whole, split in two at every
// byte boundary, and one byte at a time: the outcome must be the same each way.

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <sio/transport/http_parser.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using sio::transport::http_limits;
using sio::transport::http_request;
using sio::transport::http_request_parser;
using status = http_request_parser::status;
using namespace std::string_literals;

struct parsed_request {
  std::string method, target, path, query_string, body;
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  bool operator==(const parsed_request& o) const {
    return method == o.method && target == o.target && path == o.path && query_string == o.query_string && body == o.body &&
           version_minor == o.version_minor && headers == o.headers;
  }
};

struct outcome {
  std::vector<parsed_request> requests;
  int error = 0;         ///< the error status, 0 if none
  std::string unparsed;  ///< what take_unparsed() gives at the end (when no error)
  std::size_t peak_buffered = 0;
  bool upgraded = false;  ///< an upgrade request completed: the parser is done
  bool operator==(const outcome& o) const { return requests == o.requests && error == o.error && unparsed == o.unparsed; }
};

/// Parses everything that is complete, as the connection does (head, then body).
void drain(http_request_parser& parser, outcome& out) {
  if (out.upgraded) return;
  for (;;) {
    auto r = parser.parse();
    out.peak_buffered = std::max(out.peak_buffered, parser.buffered_bytes());
    if (r.state == status::head) continue;
    if (r.state == status::need_more) return;
    if (r.state == status::error) {
      REQUIRE(r.error_status != 0);
      REQUIRE((out.error == 0 || out.error == r.error_status));  // an error sticks
      out.error = r.error_status;
      return;
    }
    const http_request& req = parser.request();
    out.requests.push_back({req.method, req.target, req.path, req.query_string, req.body, req.version_minor, req.headers.fields()});
    // The connection stops parsing HTTP after an upgrade: the rest belongs to the next protocol.
    if (req.is_upgrade_to_websocket()) {
      out.upgraded = true;
      return;
    }
  }
}

/// Feeds `input` cut at the given offsets (ascending), parsing after each piece.
outcome run(std::string_view input, const std::vector<std::size_t>& cuts, http_limits limits = {}) {
  http_request_parser parser{limits};
  outcome out;
  std::size_t at = 0;
  auto piece = [&](std::size_t end) {
    parser.feed(input.data() + at, end - at);
    at = end;
    out.peak_buffered = std::max(out.peak_buffered, parser.buffered_bytes());
    drain(parser, out);
  };
  for (std::size_t cut : cuts) piece(cut);
  piece(input.size());
  if (out.error == 0) out.unparsed = parser.take_unparsed();
  return out;
}

/// The outcome of `input` fed whole, after checking that every split gives the same.
outcome parse_every_way(std::string_view input, http_limits limits = {}) {
  const outcome whole = run(input, {}, limits);
  for (std::size_t k = 1; k < input.size(); ++k) {
    const outcome split = run(input, {k}, limits);
    INFO("split at " << k << " of " << input.size());
    REQUIRE(split == whole);
  }
  std::vector<std::size_t> bytes;
  for (std::size_t k = 1; k < input.size(); ++k) bytes.push_back(k);
  const outcome one_by_one = run(input, bytes, limits);
  REQUIRE(one_by_one == whole);
  return whole;
}

int error_of(std::string_view input, http_limits limits = {}) {
  const outcome o = parse_every_way(input, limits);
  return o.error;
}

/// A POST head with the given extra header lines (each ending in CRLF).
std::string post(const std::string& fields) { return "POST /engine.io/?EIO=4 HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n"; }
std::string chunked(const std::string& body) { return post("Transfer-Encoding: chunked\r\n") + body; }

}  // namespace

TEST_CASE("http parser: a GET with its query and headers", "[http_parser]") {
  const outcome o = parse_every_way(
      "GET /socket.io/?EIO=4&transport=polling&t=a%20b HTTP/1.1\r\nHost: example.com:3000\r\n"
      "Accept:\t*/* \r\nX-Empty:\r\nX-Obs-Text: caf\xC3\xA9\r\n\r\n");
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 1);
  const parsed_request& r = o.requests[0];
  CHECK(r.method == "GET");
  CHECK(r.target == "/socket.io/?EIO=4&transport=polling&t=a%20b");
  CHECK(r.path == "/socket.io/");
  CHECK(r.query_string == "EIO=4&transport=polling&t=a%20b");
  CHECK(r.version_minor == 1);
  CHECK(r.body.empty());
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Host", "example.com:3000"}, {"Accept", "*/*"}, {"X-Empty", ""}, {"X-Obs-Text", "caf\xC3\xA9"}};
  CHECK(r.headers == headers);
  CHECK(o.unparsed.empty());
}

TEST_CASE("http parser: the query is decoded into parameters", "[http_parser]") {
  http_request_parser parser;
  const std::string in = "GET /p?EIO=4&t=a%20b&flag HTTP/1.1\r\nHost: x\r\n\r\n";
  parser.feed(in.data(), in.size());
  REQUIRE(parser.parse().state == status::head);
  REQUIRE(parser.parse().state == status::complete);
  CHECK(parser.request().query.get("EIO") == "4");
  CHECK(parser.request().query.get("t") == "a b");
  CHECK(parser.request().query.contains("flag"));
}

TEST_CASE("http parser: the head is reported before the body", "[http_parser]") {
  http_request_parser parser;
  const std::string head = post("Content-Length: 5\r\n");
  parser.feed(head.data(), head.size());
  auto r = parser.parse();
  REQUIRE(r.state == status::head);
  CHECK(parser.request().headers.get("Content-Length") == "5");
  CHECK(parser.parse().state == status::need_more);
  parser.feed("hel", 3);
  CHECK(parser.parse().state == status::need_more);
  parser.feed("lo", 2);
  REQUIRE(parser.parse().state == status::complete);
  CHECK(parser.request().body == "hello");
}

TEST_CASE("http parser: Content-Length and chunked bodies", "[http_parser]") {
  SECTION("Content-Length") {
    const outcome o = parse_every_way(post("Content-Length: 11\r\n") + "hello world");
    REQUIRE(o.error == 0);
    REQUIRE(o.requests.size() == 1);
    CHECK(o.requests[0].body == "hello world");
  }
  SECTION("Content-Length: 0 and leading zeros") {
    const outcome o = parse_every_way(post("Content-Length: 0\r\n") + post("Content-Length: 0003\r\n") + "abc");
    REQUIRE(o.error == 0);
    REQUIRE(o.requests.size() == 2);
    CHECK(o.requests[0].body.empty());
    CHECK(o.requests[1].body == "abc");
  }
  SECTION("chunked, with extensions and trailers") {
    const outcome o =
        parse_every_way(chunked("5;name=value\r\nhello\r\n"
                                "6 ; a ; b = \"q \\\"x\\\" ;\"\t;c=d\r\n world\r\n"
                                "A\r\n0123456789\r\n"
                                "000;last\r\nX-Trailer: 1\r\nX-Other:\t2\r\n\r\n"));
    REQUIRE(o.error == 0);
    REQUIRE(o.requests.size() == 1);
    CHECK(o.requests[0].body == "hello world0123456789");
    CHECK(o.requests[0].headers.back() == std::pair<std::string, std::string>{"Transfer-Encoding", "chunked"});
  }
  SECTION("Transfer-Encoding is a case-insensitive token with optional whitespace around") {
    const outcome o = parse_every_way(post("transfer-encoding:  CHUNKED \r\n") + "1\r\nx\r\n0\r\n\r\n");
    REQUIRE(o.error == 0);
    REQUIRE(o.requests.size() == 1);
    CHECK(o.requests[0].body == "x");
  }
}

TEST_CASE("http parser: versions", "[http_parser]") {
  SECTION("HTTP/1.0 needs no Host") {
    const outcome o = parse_every_way("GET / HTTP/1.0\r\n\r\n");
    REQUIRE(o.error == 0);
    REQUIRE(o.requests.size() == 1);
    CHECK(o.requests[0].version_minor == 0);
  }
  SECTION("a later HTTP/1.x is read as 1.1") {
    const outcome o = parse_every_way("GET / HTTP/1.2\r\nHost: x\r\n\r\n");
    REQUIRE(o.requests.size() == 1);
    CHECK(o.requests[0].version_minor == 1);
  }
  SECTION("HTTP/2 and later: 505; 0.9 and garbage: 400") {
    CHECK(error_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n") == 505);
    CHECK(error_of("GET / HTTP/0.9\r\n\r\n") == 400);
    CHECK(error_of("GET / HTTP/1.10\r\nHost: x\r\n\r\n") == 400);
    CHECK(error_of("GET / http/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(error_of("GET / HTTP/1\r\nHost: x\r\n\r\n") == 400);
  }
}

TEST_CASE("http parser: pipelined requests in one feed", "[http_parser]") {
  const std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string b = post("Content-Length: 3\r\n") + "abc";
  const std::string c = chunked("2\r\nde\r\n0\r\n\r\n");
  const std::string d = "\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n";  // a stray CRLF between requests is tolerated
  const outcome o = parse_every_way(a + b + c + d + "GET /partial");
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 4);
  CHECK(o.requests[0].target == "/a");
  CHECK(o.requests[1].body == "abc");
  CHECK(o.requests[2].body == "de");
  CHECK(o.requests[3].target == "/d");
  CHECK(o.unparsed == "GET /partial");
}

TEST_CASE("http parser: take_unparsed after an upgrade request gives the bytes after its head", "[http_parser]") {
  const std::string head =
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string frames = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"s + "\r\n\r\nGET / HTTP/1.1\r\n";
  const outcome o = parse_every_way(head + frames);
  REQUIRE(o.error == 0);
  REQUIRE(o.requests.size() == 1);
  CHECK(o.unparsed == frames);
}

TEST_CASE("http parser: leading empty lines are tolerated, a few", "[http_parser]") {
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  http_limits limits;
  std::string crlf;
  for (std::size_t i = 0; i < limits.max_leading_empty_lines; ++i) crlf += "\r\n";
  SECTION("up to the limit") {
    const outcome o = parse_every_way(crlf + get);
    REQUIRE(o.error == 0);
    CHECK(o.requests.size() == 1);
  }
  SECTION("one more is refused") { CHECK(error_of(crlf + "\r\n" + get) == 400); }
}

TEST_CASE("http parser: 400 for framing that two parsers could read differently", "[http_parser]") {
  const auto [name, input] = GENERATE(table<const char*, std::string>({
      {"two equal Content-Length", post("Content-Length: 5\r\nContent-Length: 5\r\n") + "hello"},
      {"two different Content-Length", post("Content-Length: 3\r\nContent-Length: 4\r\n") + "4ab"},
      {"a Content-Length list", post("Content-Length: 5, 5\r\n") + "hello"},
      {"a Content-Length list without space", post("Content-Length: 5,5\r\n") + "hello"},
      {"Content-Length then Transfer-Encoding", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n"},
      {"Transfer-Encoding then Content-Length", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + "0\r\n\r\n"},
      {"gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n"},
      {"chunked, chunked", post("Transfer-Encoding: chunked, chunked\r\n") + "0\r\n\r\n"},
      {"two Transfer-Encoding fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n"},
      {"empty Transfer-Encoding", post("Transfer-Encoding:\r\n") + "0\r\n\r\n"},
      {"identity", post("Transfer-Encoding: identity\r\n")},
      {"gzip", post("Transfer-Encoding: gzip\r\n")},
      {"chunked with a parameter", post("Transfer-Encoding: chunked;q=1\r\n") + "0\r\n\r\n"},
      {"Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"s},
      {"negative Content-Length", post("Content-Length: -5\r\n")},
      {"signed Content-Length", post("Content-Length: +5\r\n") + "hello"},
      {"space inside Content-Length", post("Content-Length: 1 2\r\n") + "hello world!"},
      {"hex Content-Length", post("Content-Length: 0x5\r\n") + "hello"},
      {"Content-Length with letters", post("Content-Length: 5a\r\n") + "hello"},
      {"empty Content-Length", post("Content-Length:\r\n")},
      {"missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"s},
      {"duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"s},
      {"HTTP/1.0 with two Hosts", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"s},
  }));
  INFO(name);
  CHECK(error_of(input) == 400);
}

TEST_CASE("http parser: 400 for a bare LF, a lone CR or a control byte anywhere", "[http_parser]") {
  const auto [name, input] = GENERATE(table<const char*, std::string>({
      {"LF ending the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"s},
      {"LF ending a header", "GET / HTTP/1.1\r\nHost: x\n\r\n"s},
      {"LF ending the head", "GET / HTTP/1.1\r\nHost: x\r\n\n"s},
      {"LF as a leading empty line", "\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"CR alone in the request line", "GET /\r HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"CR alone in a header value", "GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"s},
      {"LF ending a chunk-size line", chunked("5\nhello\r\n0\r\n\r\n")},
      {"LF after chunk data", chunked("5\r\nhello\n0\r\n\r\n")},
      {"CR without LF after chunk data", chunked("5\r\nhello\rx0\r\n\r\n")},
      {"data longer than its chunk size", chunked("5\r\nhello!\r\n0\r\n\r\n")},
      {"LF ending a trailer", chunked("0\r\nX: y\n\r\n")},
      {"LF ending the trailers", chunked("0\r\nX: y\r\n\n")},
      {"NUL in the target", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"HTAB in the target", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"HTAB between method and target", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"control byte in the method", "G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"DEL in the target", "GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"control byte in a header name", "GET / HTTP/1.1\r\nHost: x\r\nX-\x02: 1\r\n\r\n"s},
      {"ESC in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX: \x1b[31m\r\n\r\n"s},
      {"NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n"s},
      {"DEL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX: \x7f\r\n\r\n"s},
      {"control byte in a chunk extension", chunked("5;a=\x01\r\nhello\r\n0\r\n\r\n")},
      {"NUL in a quoted chunk extension", chunked("5;a=\"\0\"\r\nhello\r\n0\r\n\r\n"s)},
      {"control byte in a trailer", chunked("0\r\nX: \x7f\r\n\r\n")},
  }));
  INFO(name);
  CHECK(error_of(input) == 400);
}

TEST_CASE("http parser: 400 for malformed lines", "[http_parser]") {
  const auto [name, input] = GENERATE(table<const char*, std::string>({
      {"two spaces after the method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"space in the target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"no version", "GET /\r\nHost: x\r\n\r\n"s},
      {"trailing space after the version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n"s},
      {"leading space", " GET / HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"method not a token", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"s},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"s},
      {"obs-fold with HTAB", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n"s},
      {"space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"s},
      {"HTAB before the colon", "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n"s},
      {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n"s},
      {"empty field name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"s},
      {"field name not a token", "GET / HTTP/1.1\r\nHost: x\r\nX(y): v\r\n\r\n"s},
      {"chunk size not hex", chunked("zz\r\nxx\r\n0\r\n\r\n")},
      {"empty chunk-size line", chunked("\r\n0\r\n\r\n")},
      {"extension without size", chunked(";a\r\n0\r\n\r\n")},
      {"chunk size of 17 digits (overflow)", chunked("00000000000000001\r\nx\r\n0\r\n\r\n")},
      {"chunk size over 64 bits", chunked("10000000000000000\r\n")},
      {"no semicolon before an extension", chunked("2 erf\r\naa\r\n0\r\n\r\n")},
      {"nothing after a semicolon", chunked("2;\r\naa\r\n0\r\n\r\n")},
      {"whitespace after the size", chunked("2 \r\naa\r\n0\r\n\r\n")},
      {"extension value missing", chunked("2;a=\r\naa\r\n0\r\n\r\n")},
      {"extension name missing", chunked("2;=b\r\naa\r\n0\r\n\r\n")},
      {"extension value with a space", chunked("2;a=b c\r\naa\r\n0\r\n\r\n")},
      {"unterminated quoted extension", chunked("2;a=\"abc\r\naa\r\n0\r\n\r\n")},
      {"trailer without colon", chunked("0\r\nnot a field\r\n\r\n")},
      {"trailer obs-fold", chunked("0\r\nX: a\r\n b\r\n\r\n")},
  }));
  INFO(name);
  CHECK(error_of(input) == 400);
}

TEST_CASE("http parser: a peer that is not speaking HTTP is refused before any line ends", "[http_parser]") {
  for (const std::string& garbage : {"{\"json\": \"not http\""s, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, "<html>"s}) {
    http_request_parser parser;
    parser.feed(garbage.data(), garbage.size());
    auto r = parser.parse();
    CHECK(r.state == status::error);
    CHECK(r.error_status == 400);
  }
}

TEST_CASE("http parser: 413 for a body over max_body_bytes, decided before the body", "[http_parser]") {
  http_limits limits;
  limits.max_body_bytes = 100;
  SECTION("at the limit is fine") {
    const outcome o = parse_every_way(post("Content-Length: 100\r\n") + std::string(100, 'x'), limits);
    REQUIRE(o.error == 0);
    CHECK(o.requests.at(0).body.size() == 100);
  }
  SECTION("Content-Length over the limit: from the header line") {
    CHECK(error_of(post("Content-Length: 101\r\n"), limits) == 413);
    CHECK(error_of(post("Content-Length: 99999999999999999999999999999\r\n"), limits) == 413);
    // Refused as soon as the field line ends, before the head does.
    http_request_parser parser{limits};
    const std::string head = "POST / HTTP/1.1\r\nContent-Length: 101\r\n";
    parser.feed(head.data(), head.size());
    CHECK(parser.parse().error_status == 413);
  }
  SECTION("one chunk over the limit: from its size, before its line ends") {
    CHECK(error_of(chunked("65\r\n"), limits) == 413);
    CHECK(error_of(chunked("FFFFFFFFFFFFFFFF\r\n"), limits) == 413);
    http_request_parser parser{limits};
    const std::string in = chunked("65;");
    parser.feed(in.data(), in.size());
    REQUIRE(parser.parse().state == status::head);
    CHECK(parser.parse().error_status == 413);
  }
  SECTION("chunks that together go over the limit") {
    CHECK(error_of(chunked("32\r\n" + std::string(50, 'x') + "\r\n33\r\n"), limits) == 413);
    const outcome o =
        parse_every_way(chunked("32\r\n" + std::string(50, 'x') + "\r\n32\r\n" + std::string(50, 'y') + "\r\n0\r\n\r\n"), limits);
    REQUIRE(o.error == 0);
    CHECK(o.requests.at(0).body.size() == 100);
  }
}

TEST_CASE("http parser: 431 for a head over max_head_bytes or too many fields", "[http_parser]") {
  http_limits limits;
  limits.max_head_bytes = 200;
  limits.max_header_count = 5;
  const std::string start = "GET / HTTP/1.1\r\nHost: x\r\n";  // 25 bytes
  SECTION("a head of exactly max_head_bytes is fine, one byte more is not") {
    const std::string filler = "X: " + std::string(200 - start.size() - 2 - 5, 'a') + "\r\n";
    REQUIRE(start.size() + filler.size() + 2 == 200);
    const outcome o = parse_every_way(start + filler + "\r\n", limits);
    CHECK(o.error == 0);
    CHECK(o.requests.size() == 1);
    const std::string longer = "X: " + std::string(200 - start.size() - 2 - 4, 'a') + "\r\n";
    CHECK(error_of(start + longer + "\r\n", limits) == 431);
  }
  SECTION("a request line that never ends") { CHECK(error_of("GET /" + std::string(300, 'a'), limits) == 431); }
  SECTION("a header line that never ends: refused at the limit, whatever comes after") {
    CHECK(error_of(start + "X: " + std::string(300, 'a'), limits) == 431);
    CHECK(error_of(start + "X: " + std::string(200, 'a') + "\x01", limits) == 431);
  }
  SECTION("field count") {
    std::string fields;
    for (int i = 0; i < 4; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    CHECK(parse_every_way(start + fields + "\r\n", limits).requests.size() == 1);
    CHECK(error_of(start + fields + "X-4: v\r\n\r\n", limits) == 431);
  }
}

TEST_CASE("http parser: limits on trailers and chunk extensions", "[http_parser]") {
  http_limits limits;
  limits.max_trailer_bytes = 40;
  limits.max_chunk_extension_bytes = 20;
  limits.max_header_count = 3;
  SECTION("trailer bytes") {
    CHECK(parse_every_way(chunked("0\r\nX: " + std::string(33, 'a') + "\r\n\r\n"), limits).requests.size() == 1);
    CHECK(error_of(chunked("0\r\nX: " + std::string(34, 'a') + "\r\n\r\n"), limits) == 431);
    CHECK(error_of(chunked("0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\n\r\n"), limits) == 431);
  }
  SECTION("trailer count") {
    CHECK(parse_every_way(chunked("0\r\nA:\r\nB:\r\nC:\r\n\r\n"), limits).requests.size() == 1);
    CHECK(error_of(chunked("0\r\nA:\r\nB:\r\nC:\r\nD:\r\n\r\n"), limits) == 431);
  }
  SECTION("extensions count for the whole request") {
    // 20 bytes of extensions in all is fine: ";a=1234567" is 10.
    CHECK(parse_every_way(chunked("1;a=1234567\r\nx\r\n0;a=1234567\r\n\r\n"), limits).requests.size() == 1);
    CHECK(error_of(chunked("1;a=1234567\r\nx\r\n1;a=12345678\r\ny\r\n0\r\n\r\n"), limits) == 400);
    CHECK(error_of(chunked("1;" + std::string(100, 'a')), limits) == 400);
  }
}

TEST_CASE("http parser: errors stick, and later bytes are dropped", "[http_parser]") {
  http_request_parser parser;
  const std::string bad = "GET / HTTP/1.1\nHost: x\r\n\r\n";
  parser.feed(bad.data(), bad.size());
  CHECK(parser.parse().error_status == 400);
  const std::string more(100'000, 'x');
  parser.feed(more.data(), more.size());
  CHECK(parser.parse().error_status == 400);
  CHECK(parser.buffered_bytes() == 0);
  CHECK_FALSE(parser.has_unparsed());
}

namespace {

/// Feeds `total` bytes made by repeating `unit`, in pieces of `piece` bytes after `prefix`, parsing
/// after each; returns the first error (0 if none) and the peak of buffered_bytes().
std::pair<int, std::size_t> flood(http_limits limits, const std::string& prefix, const std::string& unit, std::size_t total,
                                  std::size_t piece) {
  http_request_parser parser{limits};
  std::size_t peak = 0;
  int error = 0;
  auto feed = [&](std::string_view bytes) {
    parser.feed(bytes.data(), bytes.size());
    peak = std::max(peak, parser.buffered_bytes());
    for (;;) {
      auto r = parser.parse();
      peak = std::max(peak, parser.buffered_bytes());
      if (r.state == status::error && error == 0) error = r.error_status;
      if (r.state != status::head) break;
    }
  };
  feed(prefix);
  std::string stream;
  while (stream.size() < piece + unit.size()) stream += unit;
  // Pieces of `piece` bytes cut anywhere in the repeated unit.
  for (std::size_t sent = 0, offset = 0; sent < total; sent += piece) {
    feed(std::string_view{stream}.substr(offset, piece));
    offset = (offset + piece) % unit.size();
  }
  return {error, peak};
}

constexpr std::size_t ten_mb = 10 * 1024 * 1024;

}  // namespace

TEST_CASE("http parser: a 10 MB flood is refused at its limit", "[http_parser][memory]") {
  const http_limits limits;
  SECTION("CRLF before a request line") {
    auto [error, peak] = flood(limits, "", "\r\n", ten_mb, 1000);
    CHECK(error == 400);
    CHECK(peak <= 2 * 1000);
  }
  SECTION("trailer lines") {
    auto [error, peak] = flood(limits, chunked("1\r\nx\r\n0\r\n"), "X-Trailer: 0123456789\r\n", ten_mb, 1000);
    CHECK(error == 431);
    CHECK(peak <= limits.max_head_bytes + 2 * (limits.max_trailer_bytes + 1000));
  }
  SECTION("chunk extensions") {
    auto [error, peak] = flood(limits, chunked(""), "1;ext=0123456789\r\nx\r\n", ten_mb, 1000);
    CHECK(error == 400);
    CHECK(peak <= limits.max_head_bytes + 2 * (limits.max_chunk_extension_bytes + 1000) + 1000);
  }
  SECTION("one long chunk extension") {
    auto [error, peak] = flood(limits, chunked("1;e="), "a", ten_mb, 1000);
    CHECK(error == 400);
    CHECK(peak <= limits.max_head_bytes + 2 * (limits.max_chunk_extension_bytes + 1000));
  }
  SECTION("header lines") {
    auto [error, peak] = flood(limits, "GET / HTTP/1.1\r\n", "X-Header: 0123456789\r\n", ten_mb, 1000);
    CHECK(error == 431);
    CHECK(peak <= 3 * (limits.max_head_bytes + 1000));
  }
}

TEST_CASE("http parser: without a limit, consumed bytes are still dropped (memory stays flat)", "[http_parser][memory]") {
  // Limits lifted to show that memory does not depend on them for these inputs: the bytes are
  // consumed and dropped, so the buffer holds about one piece.
  http_limits limits;
  limits.max_leading_empty_lines = SIZE_MAX;
  limits.max_trailer_bytes = SIZE_MAX;
  limits.max_header_count = SIZE_MAX;
  limits.max_chunk_extension_bytes = SIZE_MAX;
  limits.max_body_bytes = SIZE_MAX;
  SECTION("CRLF") {
    auto [error, peak] = flood(limits, "", "\r\n", ten_mb, 1000);
    CHECK(error == 0);
    CHECK(peak <= 4 * 1000);
  }
  SECTION("trailer lines") {
    auto [error, peak] = flood(limits, chunked("0\r\n"), "X-Trailer: 0123456789\r\n", ten_mb, 1000);
    CHECK(error == 0);
    CHECK(peak <= 4 * 1000 + 1024);
  }
  SECTION("chunk extensions (the body grows by one byte per chunk, the extensions do not stay)") {
    const std::string unit = "1;ext=0123456789abcdefghijklmnopqrstuvwxyz\r\nx\r\n";
    auto [error, peak] = flood(limits, chunked(""), unit, ten_mb, 1000);
    CHECK(error == 0);
    const std::size_t body = ten_mb / unit.size() + 1;
    CHECK(peak <= 2 * body + 4 * 1000 + 1024);
  }
}

TEST_CASE("http parser: linear time when fed one byte at a time", "[http_parser]") {
  // A quadratic parser (rescanning its buffer on every feed) would take minutes here.
  http_limits limits;
  limits.max_head_bytes = 4 * 1024 * 1024;
  http_request_parser parser{limits};
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(2 * 1024 * 1024, 'a') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  status last = status::need_more;
  for (char c : head) {
    parser.feed(&c, 1);
    last = parser.parse().state;
    REQUIRE(last != status::error);
  }
  CHECK(last == status::head);
  CHECK(parser.parse().state == status::complete);
  CHECK(parser.request().headers.get("X").size() == 2 * 1024 * 1024);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{30});
}

TEST_CASE("http parser: thousands of pipelined requests in one feed", "[http_parser]") {
  // Compaction must not move the remaining bytes once per request (quadratic).
  std::string in;
  const std::string one = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int i = 0; i < 20'000; ++i) in += one;
  http_request_parser parser;
  parser.feed(in.data(), in.size());
  int complete = 0;
  for (;;) {
    auto r = parser.parse();
    if (r.state == status::complete)
      ++complete;
    else if (r.state != status::head)
      break;
  }
  CHECK(complete == 20'000);
  CHECK_FALSE(parser.has_unparsed());
}
