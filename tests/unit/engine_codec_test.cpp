// Engine.IO v4 codec: packets, polling payloads, base64, session ids.
// Expected strings were checked against Node 20 (Buffer base64, engine.io-parser 5.2.3).

#include <catch2/catch_test_macros.hpp>

#include <sio/detail/base64.hpp>
#include <sio/engine/packet.hpp>
#include <sio/engine/payload.hpp>
#include <sio/engine/sid_generator.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

using sio::engine::packet_type;
using namespace std::string_literals;

constexpr packet_type all_types[] = {packet_type::open,    packet_type::close,   packet_type::ping, packet_type::pong,
                                     packet_type::message, packet_type::upgrade, packet_type::noop};

std::string encode64(std::string_view in) {
  std::string out;
  sio::detail::base64_encode(in, out);
  return out;
}

std::string bytes_pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 151u + seed) & 0xFFu);
  return s;
}

std::string payload_of(const std::vector<sio::engine::frame>& frames) {
  std::string body;
  for (const auto& f : frames) sio::engine::append_to_payload(body, f);
  return body;
}

}  // namespace

TEST_CASE("packet: every type encodes as its digit and decodes back", "[engine][packet]") {
  char digit = '0';
  for (const auto type : all_types) {
    const auto bare = sio::engine::make_text_frame(type);
    CHECK_FALSE(bare.binary);
    REQUIRE(bare.bytes);
    CHECK(*bare.bytes == std::string(1, digit));

    const auto with_data = sio::engine::make_text_frame(type, "data");
    CHECK(*with_data.bytes == std::string(1, digit) + "data");

    const auto parsed = sio::engine::parse_text_packet(*with_data.bytes);
    REQUIRE(parsed);
    CHECK(parsed->type == type);
    CHECK_FALSE(parsed->binary);
    CHECK(parsed->data == "data");

    const auto parsed_bare = sio::engine::parse_text_packet(std::string(1, digit));
    REQUIRE(parsed_bare);
    CHECK(parsed_bare->type == type);
    CHECK(parsed_bare->data.empty());
    ++digit;
  }
}

TEST_CASE("packet: probe ping/pong", "[engine][packet]") {
  const auto ping = sio::engine::parse_text_packet("2probe");
  REQUIRE(ping);
  CHECK(ping->type == packet_type::ping);
  CHECK(ping->data == "probe");
  CHECK(*sio::engine::make_text_frame(packet_type::pong, "probe").bytes == "3probe");
  CHECK(*sio::engine::make_text_frame(packet_type::ping, "probe").bytes == "2probe");
}

TEST_CASE("packet: invalid text packets are parse errors", "[engine][packet]") {
  CHECK_FALSE(sio::engine::parse_text_packet(""));
  CHECK_FALSE(sio::engine::parse_text_packet("7"));
  CHECK_FALSE(sio::engine::parse_text_packet("7hello"));
  CHECK_FALSE(sio::engine::parse_text_packet("x"));
  CHECK_FALSE(sio::engine::parse_text_packet("/"));  // '0' - 1
  CHECK_FALSE(sio::engine::parse_text_packet(":"));  // '9' + 1
  CHECK_FALSE(
      sio::engine::parse_text_packet("\x1e"
                                     "4a"));
  // 'b' is a polling-payload prefix only, not a WS text packet type.
  CHECK_FALSE(sio::engine::parse_text_packet("bAQIDBA=="));
  CHECK_FALSE(sio::engine::to_packet_type('7'));
  CHECK(sio::engine::to_packet_type('4') == packet_type::message);
}

TEST_CASE("packet: binary frames carry raw bytes without a type prefix", "[engine][packet]") {
  const std::string raw = "\x00\x01\x1e\xff"s;
  const auto f = sio::engine::make_binary_frame(raw);
  CHECK(f.binary);
  CHECK(*f.bytes == raw);

  const auto p = sio::engine::parse_binary_packet(raw);
  CHECK(p.type == packet_type::message);
  CHECK(p.binary);
  CHECK(p.data == raw);

  const auto empty = sio::engine::parse_binary_packet({});
  CHECK(empty.binary);
  CHECK(empty.data.empty());
}

TEST_CASE("packet: UTF-8 text is kept byte-exact", "[engine][packet]") {
  const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD";  // héllo € 😀 中
  const auto f = sio::engine::make_text_frame(packet_type::message, text);
  CHECK(*f.bytes == "4" + text);
  const auto p = sio::engine::parse_text_packet(*f.bytes);
  REQUIRE(p);
  CHECK(p->data == text);
}

TEST_CASE("packet: frames share one immutable buffer when copied", "[engine][packet]") {
  const auto f = sio::engine::make_text_frame(packet_type::message, "broadcast");
  const auto copy = f;
  CHECK(copy.bytes.get() == f.bytes.get());
}

TEST_CASE("packet: open handshake JSON", "[engine][packet]") {
  using std::chrono::milliseconds;
  CHECK(sio::engine::encode_open("abcdefghij0123456789", true, milliseconds{25000}, milliseconds{20000}, 1000000) ==
        R"({"sid":"abcdefghij0123456789","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
  CHECK(sio::engine::encode_open("A-_z", false, milliseconds{300}, milliseconds{200}, 42) ==
        R"({"sid":"A-_z","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":42})");
  // A custom id must not be able to break out of the JSON string (escaped as JSON.stringify does).
  CHECK(sio::engine::encode_open("a\"b\\c\n", false, milliseconds{1}, milliseconds{2}, 3) ==
        R"({"sid":"a\"b\\c\n","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})");

  const auto json = sio::engine::encode_open("s", true, std::chrono::seconds{25}, std::chrono::seconds{20}, 1000000);
  CHECK(*sio::engine::make_text_frame(packet_type::open, json).bytes ==
        R"(0{"sid":"s","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
}

TEST_CASE("payload: the PROTOCOL example both ways", "[engine][payload]") {
  const std::string wire =
      "4hello\x1e"
      "bAQIDBA==";
  const std::string raw = "\x01\x02\x03\x04";

  CHECK(payload_of({sio::engine::make_text_frame(packet_type::message, "hello"), sio::engine::make_binary_frame(raw)}) == wire);

  const auto packets = sio::engine::parse_payload(wire);
  REQUIRE(packets);
  REQUIRE(packets->size() == 2);
  CHECK((*packets)[0].type == packet_type::message);
  CHECK_FALSE((*packets)[0].binary);
  CHECK((*packets)[0].data == "hello");
  CHECK((*packets)[1].type == packet_type::message);
  CHECK((*packets)[1].binary);
  CHECK((*packets)[1].data == raw);
}

TEST_CASE("payload: one frame has no separator", "[engine][payload]") {
  CHECK(payload_of({sio::engine::make_text_frame(packet_type::ping)}) == "2");
  CHECK(payload_of({sio::engine::make_text_frame(packet_type::noop)}) == "6");
  CHECK(payload_of({sio::engine::make_binary_frame("\xff")}) == "b/w==");
}

TEST_CASE("payload: many packets round trip in order", "[engine][payload]") {
  std::vector<sio::engine::frame> frames;
  for (int i = 0; i < 200; ++i) {
    if (i % 5 == 4)
      frames.push_back(sio::engine::make_binary_frame(bytes_pattern(static_cast<std::size_t>(i), 3)));
    else
      frames.push_back(sio::engine::make_text_frame(all_types[i % 7], "p" + std::to_string(i)));
  }
  const auto body = payload_of(frames);
  const auto packets = sio::engine::parse_payload(body);
  REQUIRE(packets);
  REQUIRE(packets->size() == frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto& p = (*packets)[i];
    if (frames[i].binary) {
      CHECK(p.binary);
      CHECK(p.type == packet_type::message);
      CHECK(p.data == *frames[i].bytes);
    } else {
      CHECK_FALSE(p.binary);
      CHECK(static_cast<char>(p.type) == frames[i].bytes->front());
      CHECK(p.data == frames[i].bytes->substr(1));
    }
  }
}

TEST_CASE("payload: mixed control packets and UTF-8", "[engine][payload]") {
  const std::string utf8 = "\xE2\x82\xAC\xF0\x9F\x98\x80";
  const auto packets = sio::engine::parse_payload(
      "2\x1e"
      "3probe\x1e"
      "4" +
      utf8 +
      "\x1e"
      "5\x1e"
      "6\x1e"
      "1");
  REQUIRE(packets);
  REQUIRE(packets->size() == 6);
  CHECK((*packets)[0].type == packet_type::ping);
  CHECK((*packets)[1].type == packet_type::pong);
  CHECK((*packets)[1].data == "probe");
  CHECK((*packets)[2].type == packet_type::message);
  CHECK((*packets)[2].data == utf8);
  CHECK((*packets)[3].type == packet_type::upgrade);
  CHECK((*packets)[4].type == packet_type::noop);
  CHECK((*packets)[5].type == packet_type::close);
}

TEST_CASE("payload: binary bytes that look like separators survive", "[engine][payload]") {
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  const auto body = payload_of({sio::engine::make_binary_frame(all), sio::engine::make_text_frame(packet_type::message, "x")});
  CHECK(body.find('\x1e') == 1 + encode64(all).size());
  const auto packets = sio::engine::parse_payload(body);
  REQUIRE(packets);
  REQUIRE(packets->size() == 2);
  CHECK((*packets)[0].data == all);
  CHECK((*packets)[1].data == "x");
}

TEST_CASE("payload: 'b' alone is an empty binary message, as the JS client sends it", "[engine][payload]") {
  CHECK(payload_of({sio::engine::make_binary_frame({})}) == "b");
  const auto packets = sio::engine::parse_payload(
      "451-[\"e\",{\"_placeholder\":true,\"num\":0}]\x1e"
      "b");
  REQUIRE(packets);
  REQUIRE(packets->size() == 2);
  CHECK((*packets)[1].binary);
  CHECK((*packets)[1].data.empty());
  // Unpadded base64 after 'b' is accepted too (Node accepts it).
  const auto unpadded = sio::engine::parse_payload("bAQIDBA");
  REQUIRE(unpadded);
  CHECK((*unpadded)[0].data == "\x01\x02\x03\x04");
}

TEST_CASE("payload: invalid bodies are parse errors", "[engine][payload]") {
  const char* const bad[] = {
      "",      // empty body
      "\x1e",  // only a separator
      "\x1e"
      "4a",      // separator at start
      "4a\x1e",  // separator at end
      "4a\x1e\x1e"
      "4b",  // empty segment in the middle
      "7",   // unknown type
      "4a\x1e"
      "7",  // unknown type after a good packet
      "x",  // unknown type
      "4a\x1e"
      "xyz",        // unknown type
      "b!!!!",      // bad base64 characters
      "bAQIDB",     // 5 base64 characters: one left over after a quad
      "bA",         // a single base64 char cannot encode a byte
      "bAQ=",       // partial padding
      "bAQ==\x1e",  // good binary then trailing separator
      "4a\x1e"
      "bA=A",  // padding inside data
  };
  for (const char* body : bad) {
    INFO("body: " << body);
    CHECK_FALSE(sio::engine::parse_payload(body));
  }
  CHECK(sio::engine::parse_payload("bAQIDBA"));  // the valid neighbour of "bAQIDB"
}

TEST_CASE("base64: RFC 4648 vectors", "[base64]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(encode64(plain) == encoded);
    const auto decoded = sio::detail::base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
}

TEST_CASE("base64: vectors from Node's Buffer", "[base64]") {
  std::string all(256, '\0');
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<char>(i);
  const std::string node_all =
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNE"
      "RUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJ"
      "iouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3O"
      "z9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
  CHECK(encode64(all) == node_all);
  CHECK(sio::detail::base64_decode(node_all) == all);

  // bytes 255 - 17*i
  const std::pair<std::size_t, const char*> high[] = {
      {1, "/w=="}, {2, "/+4="}, {3, "/+7d"}, {4, "/+7dzA=="}, {5, "/+7dzLs="}, {7, "/+7dzLuqmQ=="}, {8, "/+7dzLuqmYg="},
  };
  for (const auto& [n, expected] : high) {
    std::string in(n, '\0');
    for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<char>(255 - i * 17);
    CHECK(encode64(in) == expected);
    CHECK(sio::detail::base64_decode(expected) == in);
  }

  CHECK(sio::detail::base64_decode("aMOpbGxvIOKCrPCfmIA=") == "h\xC3\xA9llo \xE2\x82\xAC\xF0\x9F\x98\x80");

  std::string url;
  sio::detail::base64url_encode("\xfb\xff\xbf\xfe", url);
  CHECK(url == "-_-__g");
  CHECK(encode64("\xfb\xff\xbf\xfe") == "+/+//g==");
}

TEST_CASE("base64: round trips for lengths 0..64, padded and unpadded", "[base64]") {
  for (std::size_t n = 0; n <= 64; ++n) {
    for (unsigned seed : {0u, 77u, 200u}) {
      const auto in = bytes_pattern(n, seed);
      const auto enc = encode64(in);
      INFO("n=" << n << " seed=" << seed << " enc=" << enc);
      CHECK(enc.size() == (n + 2) / 3 * 4);
      CHECK(enc.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == std::string::npos);
      CHECK(sio::detail::base64_decode(enc) == in);

      std::string unpadded = enc;
      while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
      CHECK(sio::detail::base64_decode(unpadded) == in);

      std::string url;
      sio::detail::base64url_encode(in, url);
      CHECK(url.size() == unpadded.size());
    }
  }
}

TEST_CASE("base64: encode appends", "[base64]") {
  std::string out = "b";
  sio::detail::base64_encode("\x01\x02\x03\x04", out);
  CHECK(out == "bAQIDBA==");
}

TEST_CASE("base64: strict decoding", "[base64]") {
  const char* const bad[] = {
      "A",
      "AAAAA",
      "A===",
      "====",
      "=",
      "==",
      "AB=",
      "=AAA",
      "AA=A",
      "AQ==AQ==",
      "AQ\n==",
      " AQ==",
      "AQ== ",
      "AQ-_",
      "AQ_=",
      "AQ.=",
      "AQIDBA=",
      "AQIDBA===",
      "\xC3\xA9\x41\x41",
  };
  for (const char* s : bad) {
    INFO("input: " << s);
    CHECK_FALSE(sio::detail::base64_decode(s));
  }
  CHECK_FALSE(sio::detail::base64_decode(std::string_view("AQ\0=", 4)));

  // Accepted: unpadded forms, and (like Node) non-zero unused low bits.
  CHECK(sio::detail::base64_decode("AQ") == "\x01");
  CHECK(sio::detail::base64_decode("AQI") == "\x01\x02");
  CHECK(sio::detail::base64_decode("AR==") == "\x01");
  CHECK(sio::detail::base64_decode("") == "");
}

TEST_CASE("sid_generator: 20 chars of [A-Za-z0-9_-], unique", "[engine][sid]") {
  sio::engine::sid_generator gen;
  std::unordered_set<std::string> seen;
  constexpr std::size_t count = 10000;
  bool all_ok = true;
  for (std::size_t i = 0; i < count; ++i) {
    auto id = gen.next();
    const bool ok =
        id.size() == 20 && id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
    if (!ok) {
      all_ok = false;
      FAIL_CHECK("bad id: " << id);
    }
    seen.insert(std::move(id));
  }
  CHECK(all_ok);
  CHECK(seen.size() == count);  // 10000 > 273 ids per buffer, so refills are exercised
}

TEST_CASE("sid_generator: separate and moved generators keep producing distinct ids", "[engine][sid]") {
  sio::engine::sid_generator a;
  sio::engine::sid_generator b;
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 300; ++i) {
    seen.insert(a.next());
    seen.insert(b.next());
  }
  sio::engine::sid_generator c = std::move(a);
  for (int i = 0; i < 300; ++i) seen.insert(c.next());
  // The moved-from generator refills rather than reusing bytes c now owns.
  for (int i = 0; i < 300; ++i) seen.insert(a.next());  // NOLINT(bugprone-use-after-move)
  CHECK(seen.size() == 1200);

  // Not every id starts or ends the same way (catches a stuck buffer or a constant prefix).
  std::unordered_set<char> firsts;
  for (int i = 0; i < 200; ++i) firsts.insert(b.next().front());
  CHECK(firsts.size() > 20);
}
