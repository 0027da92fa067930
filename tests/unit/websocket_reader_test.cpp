// Incoming WebSocket frames (transport/websocket_reader.hpp) and the UTF-8 check behind them.
// The close code for each violation is the one ws 8 sends (tests/protocol/websocket.test.mjs
// checks the same against both servers over a socket).

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>

#include <sio/detail/utf8.hpp>
#include <sio/transport/websocket_reader.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using sio::transport::websocket_reader;
using kind = websocket_reader::frame_kind;
using namespace std::string_literals;

struct frame_spec {
  bool fin = true;
  std::uint8_t opcode = 0x1;
  std::string payload;
  std::uint8_t rsv = 0;  // bits 0x70 of the first byte
  bool masked = true;
  int length_form = 0;                   // 0: shortest, 16 or 64: that extended form
  std::uint64_t announced = UINT64_MAX;  // a length other than the payload's
};

std::string frame(const frame_spec& f) {
  std::string out;
  out += static_cast<char>((f.fin ? 0x80 : 0) | f.rsv | f.opcode);
  const std::uint64_t n = f.announced != UINT64_MAX ? f.announced : f.payload.size();
  const char mask_bit = f.masked ? static_cast<char>(0x80) : 0;
  if (f.length_form == 64 || (f.length_form == 0 && n > 0xFFFF)) {
    out += static_cast<char>(mask_bit | 127);
    for (int k = 7; k >= 0; --k) out += static_cast<char>((n >> (8 * k)) & 0xFF);
  } else if (f.length_form == 16 || n > 125) {
    out += static_cast<char>(mask_bit | 126);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | static_cast<char>(n));
  }
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (f.masked) out.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < f.payload.size(); ++i) out += f.masked ? static_cast<char>(f.payload[i] ^ key[i % 4]) : f.payload[i];
  return out;
}
std::string text(std::string payload, bool fin = true) { return frame({fin, 0x1, std::move(payload)}); }

struct result {
  std::vector<std::pair<kind, std::string>> frames;
  std::uint16_t failure = 0;
};

/// Feeds `bytes` in pieces of `piece` bytes (0: all at once).
result feed(const std::string& bytes, std::size_t piece = 0, std::size_t max_message = 1 << 20) {
  websocket_reader reader(max_message);
  result r;
  std::string copy = bytes;
  std::size_t step = piece == 0 ? copy.size() : piece;
  for (std::size_t at = 0; at < copy.size() && r.failure == 0; at += step) {
    std::size_t n = std::min(step, copy.size() - at);
    r.failure = reader.consume(copy.data() + at, n, [&](kind k, std::string&& payload) {
      r.frames.emplace_back(k, std::move(payload));
      return true;
    });
  }
  return r;
}

}  // namespace

TEST_CASE("websocket reader: messages arrive whole however the bytes are split", "[transport][websocket]") {
  const std::string long_text(70000, 'x');                   // 64-bit length form
  const std::string mid_text = std::string(300, 'y') + "é";  // 16-bit length form, non-ASCII
  std::string bytes = text("hello") + frame({true, 0x2, "\x00\xff\x80"s}) + text("") + text(mid_text) + frame({false, 0x1, "frag"}) +
                      frame({true, 0x9, "ping!"}) + frame({false, 0x0, "ment"}) + frame({true, 0x0, "ed"}) + text(long_text) +
                      frame({true, 0xA, ""});
  const std::size_t piece = GENERATE(0u, 1u, 2u, 3u, 7u, 13u, 64u, 1000u);
  CAPTURE(piece);
  result r = feed(bytes, piece);
  REQUIRE(r.failure == 0);
  REQUIRE(r.frames.size() == 8);
  CHECK(r.frames[0] == std::make_pair(kind::text, "hello"s));
  CHECK(r.frames[1] == std::make_pair(kind::binary, "\x00\xff\x80"s));
  CHECK(r.frames[2] == std::make_pair(kind::text, ""s));
  CHECK(r.frames[3] == std::make_pair(kind::text, mid_text));
  CHECK(r.frames[4] == std::make_pair(kind::ping, "ping!"s));  // a control frame between fragments
  CHECK(r.frames[5] == std::make_pair(kind::text, "fragmented"s));
  CHECK(r.frames[6] == std::make_pair(kind::text, long_text));
  CHECK(r.frames[7] == std::make_pair(kind::pong, ""s));
}

TEST_CASE("websocket reader: lengths in a longer form than needed are accepted, as ws does", "[transport][websocket]") {
  result r = feed(frame({true, 0x1, "abc", 0, true, 16}) + frame({true, 0x1, "de", 0, true, 64}));
  REQUIRE(r.failure == 0);
  REQUIRE(r.frames.size() == 2);
  CHECK(r.frames[0].second == "abc");
  CHECK(r.frames[1].second == "de");
}

TEST_CASE("websocket reader: protocol violations fail with 1002", "[transport][websocket]") {
  const std::string bad = GENERATE(frame({true, 0x1, "x", 0x40}),                       // RSV1 without permessage-deflate
                                   frame({true, 0x1, "x", 0x20}),                       // RSV2
                                   frame({true, 0x1, "x", 0x10}),                       // RSV3
                                   frame({true, 0x3, "x"}),                             // reserved data opcode
                                   frame({true, 0xB, "x"}),                             // reserved control opcode
                                   frame({true, 0x1, "x", 0, false}),                   // not masked
                                   frame({true, 0x0, "x"}),                             // continuation of nothing
                                   frame({false, 0x1, "a"}) + frame({true, 0x1, "b"}),  // a new message inside a fragmented one
                                   frame({false, 0x9, "x"}),                            // fragmented ping
                                   frame({true, 0x9, std::string(126, 'p')}),           // control payload over 125 bytes
                                   frame({true, 0x8, "\x03"}),                          // close payload of one byte
                                   frame({true, 0x8, "\x03\xed"}),                      // close code 1005 may not be sent
                                   frame({true, 0x8, "\x03\xec"}),                      // 1004 is reserved
                                   frame({true, 0x8, "\x0b\xb7"}),                      // 2999
                                   frame({true, 0x8, "\x13\x88"}));                     // 5000
  result r = feed(bad);
  CHECK(r.failure == websocket_reader::protocol_error);
  CHECK(r.frames.empty());
}

TEST_CASE("websocket reader: invalid UTF-8 in text or a close reason fails with 1007, binary is not checked", "[transport][websocket]") {
  CHECK(feed(text("ok\xc3")).failure == websocket_reader::invalid_data);
  // a sequence split across fragments is fine; one left unfinished at the end is not
  result split = feed(frame({false, 0x1, "caf\xc3"}) + frame({true, 0x0, "\xa9"}));
  REQUIRE(split.failure == 0);
  CHECK(split.frames.at(0).second == "caf\xc3\xa9");
  CHECK(feed(frame({false, 0x1, "caf"}) + frame({true, 0x0, "\xc3"})).failure == websocket_reader::invalid_data);
  CHECK(feed(frame({true, 0x8, "\x03\xe8\xff"})).failure == websocket_reader::invalid_data);
  CHECK(feed(frame({true, 0x2, "\xff\xfe"})).failure == 0);
}

TEST_CASE("websocket reader: close frames carry their code and reason", "[transport][websocket]") {
  result r = feed(frame({true, 0x8,
                         "\x0f\xa0"
                         "bye"}) +
                  text("after"));
  REQUIRE(r.failure == 0);
  REQUIRE(r.frames.size() == 2);  // the reader goes on; the connection stops at the close
  std::uint16_t code = 0;
  std::string reason;
  websocket_reader::parse_close(r.frames[0].second, code, reason);
  CHECK(code == 4000);
  CHECK(reason == "bye");
  websocket_reader::parse_close("", code, reason);
  CHECK(code == 1005);
  CHECK(reason.empty());
}

TEST_CASE("websocket reader: messages over the limit fail with 1009, counted across fragments", "[transport][websocket]") {
  CHECK(feed(text(std::string(101, 'a')), 0, 100).failure == websocket_reader::message_too_big);
  CHECK(feed(text(std::string(100, 'a')), 0, 100).failure == 0);
  CHECK(feed(frame({false, 0x1, std::string(60, 'a')}) + frame({true, 0x0, std::string(41, 'a')}), 0, 100).failure ==
        websocket_reader::message_too_big);
  // A length no one could send: refused from the header alone, nothing is allocated for it.
  frame_spec huge{true, 0x2, "", 0, true, 64, 0x7FFFFFFFFFFFFFFFull};
  CHECK(feed(frame(huge)).failure == websocket_reader::message_too_big);
  // RFC 6455 §5.2: a 64-bit length with its top bit set is a protocol error (ws says 1009).
  frame_spec top_bit{true, 0x2, "", 0, true, 64, 0x8000000000000005ull};
  CHECK(feed(frame(top_bit)).failure == websocket_reader::protocol_error);
  CHECK(feed(frame(top_bit), 3).failure == websocket_reader::protocol_error);
  // Control frames do not count towards a message.
  CHECK(feed(frame({false, 0x1, std::string(90, 'a')}) + frame({true, 0x9, std::string(100, 'p')}) + frame({true, 0x0, "b"}), 0, 100)
            .failure == 0);
}

TEST_CASE("websocket reader: nothing is delivered after the callback says stop", "[transport][websocket]") {
  websocket_reader reader(1000);
  std::string bytes = text("one") + text("two");
  int seen = 0;
  CHECK(reader.consume(bytes.data(), bytes.size(), [&](kind, std::string&&) { return ++seen < 1; }) == 0);
  CHECK(seen == 1);
}

TEST_CASE("utf8: well-formed text only", "[detail][utf8]") {
  using sio::detail::is_valid_utf8;
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii, longer than eight bytes"));
  CHECK(is_valid_utf8("\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));
  CHECK_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x9f\xbf"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  CHECK_FALSE(is_valid_utf8("abcdefgh\xe2\x82"));  // cut short after an ASCII run
  CHECK_FALSE(is_valid_utf8("\xe2\x28\xa1"));      // a bad continuation byte
  CHECK(sio::detail::is_ascii("12345678abc"));
  CHECK_FALSE(sio::detail::is_ascii("1234567\x80"));
}
