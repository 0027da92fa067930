// Socket.IO v5 packet layer: JSON reading/writing, encoder, decoder (PROTOCOL.md §9).
#include <sio/parser/decoder.hpp>
#include <sio/detail/json_string.hpp>
#include <sio/parser/encoder.hpp>
#include <sio/parser/json_reader.hpp>
#include <sio/parser/json_writer.hpp>
#include <sio/parser/packet.hpp>

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using sio::parser::decode_error;
using sio::parser::decoder;
using sio::parser::packet;
using sio::parser::packet_type;

std::string json_of(const sio::value& v) { return sio::json::stringify(v); }

sio::value json_value(std::string_view text) {
  sio::value v;
  const auto error = sio::json::parse(text, v);
  INFO(text);
  REQUIRE(error == sio::json::json_error::none);
  return v;
}

sio::json::json_error json_error_of(std::string_view text, std::size_t max_depth = sio::json::default_max_depth) {
  sio::value v;
  return sio::json::parse(text, v, max_depth);
}

struct encoded {
  std::string text;
  std::vector<sio::binary> attachments;
};

encoded encode(const packet& p) {
  encoded out;
  sio::parser::encode(p, out.text, out.attachments);
  return out;
}

// Decodes one text packet that is expected to be complete (no attachments).
packet decode_complete(std::string_view text) {
  decoder d;
  auto result = d.feed_text(text);
  INFO(text << " -> " << sio::parser::to_string(result.error));
  REQUIRE(result.has_packet());
  return std::move(result.decoded);
}

decode_error decode_failure(std::string_view text, sio::parser::decoder_options options = {}) {
  decoder d(options);
  const auto result = d.feed_text(text);
  INFO(text);
  REQUIRE(result.failed());
  return result.error;
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

// ------------------------------------------------------------------------------------------------
// JSON

TEST_CASE("json: numbers are read as integers when they are integers", "[json]") {
  CHECK(json_value("1").is_int64());
  CHECK(json_value("-1").as_int64() == -1);
  CHECK(json_value("9223372036854775807").as_int64() == std::numeric_limits<std::int64_t>::max());
  CHECK(json_value("-9223372036854775808").as_int64() == std::numeric_limits<std::int64_t>::min());
  CHECK(json_value("18446744073709551615").as_uint64() == std::numeric_limits<std::uint64_t>::max());
  CHECK(json_value("18446744073709551616").is_double());  // beyond 64 bits: a double, as in JS
  CHECK(json_value("-9223372036854775809").is_double());
  CHECK(json_value("1.0").is_double());
  CHECK(json_value("1.0") == 1);
  CHECK(json_value("1e2").as_double() == 100.0);
  CHECK(json_value("0.1").as_double() == 0.1);
  CHECK(json_value("5e-324").as_double() > 0);
  CHECK(json_value("-0").as_double() == 0.0);
}

TEST_CASE("json: structure, order and whitespace", "[json]") {
  const sio::value v = json_value(R"( {"z":[1,{"b":null,"a":true}],"y":"s"} )");
  CHECK(json_of(v) == R"({"z":[1,{"b":null,"a":true}],"y":"s"})");
  CHECK(json_value("\t\r\n[ 1 , 2 ]\n") == sio::value{sio::array{1, 2}});
  CHECK(json_of(json_value(R"("a\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00")")) == R"("a\"\\/\b\f\n\r\tAé😀")");
  CHECK(json_value(R"("a\u0000b")").as_string() == std::string("a\0b", 3));
}

TEST_CASE("json: duplicate keys keep the first position and the last value, like JSON.parse", "[json]") {
  CHECK(json_of(json_value(R"({"a":1,"b":2,"a":3})")) == R"({"a":3,"b":2})");
  // Large objects take the sorting path.
  std::string text = "{";
  for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += R"("k3":"last","k0":"zero","k3":"really"})";
  const sio::value v = json_value(text);
  REQUIRE(v.as_object().size() == 40);
  CHECK(v.as_object()[0].second == "zero");
  CHECK(v.as_object()[3].second == "really");
  CHECK(v.as_object()[39].first == "k39");
}

TEST_CASE("json: invalid input is rejected", "[json]") {
  using sio::json::json_error;
  for (std::string_view bad :
       {"",   " ",  "[1,]", "{\"a\":1,}", "[1] x",   "[1][2]",   "{a:1}",          "'a'", "NaN", "Infinity", "-", "01",
        "1.", ".5", "[1",   "\"abc",      "// c\n1", "[\"\t\"]", "\xEF\xBB\xBF[]", "tru", "nul"}) {
    INFO(bad);
    CHECK(json_error_of(bad) == json_error::syntax);
  }
  CHECK(json_error_of(std::string_view("[1]\0 junk", 9)) == json_error::syntax);  // NUL is not an end
  CHECK(json_error_of(std::string_view("[1]\0", 4)) == json_error::syntax);
  CHECK(json_error_of(std::string_view("[\"a\0\"]", 6)) == json_error::syntax);
  CHECK(json_error_of("\"\xFF\"") == json_error::invalid_unicode);
  CHECK(json_error_of("\"\xC0\x80\"") == json_error::invalid_unicode);      // overlong
  CHECK(json_error_of("\"\xED\xA0\x80\"") == json_error::invalid_unicode);  // encoded surrogate
  CHECK(json_error_of("\"\xE2\x82\"") == json_error::invalid_unicode);      // truncated
  CHECK(json_error_of(R"("\ud800")") == json_error::invalid_unicode);       // lone surrogate escape
  CHECK(json_error_of("1e400") == json_error::number_out_of_range);
  CHECK(json_error_of("-1e400") == json_error::number_out_of_range);
  CHECK(json_error_of("[1" + std::string(400, '0') + "]") == json_error::number_out_of_range);
  CHECK(json_error_of("1e-400") == json_error::number_out_of_range);
  CHECK(json_error_of("0." + std::string(100000, '0') + "1e-2147483647") == json_error::number_out_of_range);

  sio::value untouched = "kept";
  CHECK(sio::json::parse("[1,", untouched) != json_error::none);
  CHECK(untouched == "kept");
}

TEST_CASE("json: nesting depth is limited", "[json]") {
  using sio::json::json_error;
  CHECK(json_error_of(nested(64)) == json_error::none);
  CHECK(json_error_of(nested(65)) == json_error::too_deep);
  CHECK(json_error_of(std::string(100000, '[')) == json_error::too_deep);
  CHECK(json_error_of(R"({"a":{"b":[1]}})", 3) == json_error::none);
  CHECK(json_error_of(R"({"a":{"b":[1]}})", 2) == json_error::too_deep);
}

TEST_CASE("json: numbers are written as JavaScript writes them", "[json]") {
  // Expected strings are what Node 20's JSON.stringify prints for the same numbers.
  const std::pair<double, std::string_view> cases[] = {
      {1.0, "1"},
      {-1.0, "-1"},
      {100.0, "100"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {-1.5, "-1.5"},
      {123.456, "123.456"},
      {-0.0, "0"},
      {1e21, "1e+21"},
      {1e20, "100000000000000000000"},
      {123456789012345680000.0, "123456789012345680000"},
      {1.5e300, "1.5e+300"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {1e-6, "0.000001"},
      {1.2e-6, "0.0000012"},
      {1e-7, "1e-7"},
      {-1e-7, "-1e-7"},
      {1.25e-7, "1.25e-7"},
      {5e-324, "5e-324"},
      {9007199254740994.0, "9007199254740994"},
      {2.5e21, "2.5e+21"},
      {1234.5e-2, "12.345"},
      {std::numeric_limits<double>::quiet_NaN(), "null"},
      {std::numeric_limits<double>::infinity(), "null"},
      {-std::numeric_limits<double>::infinity(), "null"},
  };
  for (const auto& [number, expected] : cases) {
    INFO(expected);
    CHECK(json_of(sio::value{number}) == expected);
  }
  CHECK(json_of(sio::value{std::numeric_limits<std::int64_t>::min()}) == "-9223372036854775808");
  CHECK(json_of(sio::value{std::numeric_limits<std::uint64_t>::max()}) == "18446744073709551615");
  CHECK(json_of(sio::value{0}) == "0");
}

TEST_CASE("json: strings are escaped as JavaScript escapes them", "[json]") {
  CHECK(json_of(sio::value{std::string("\x1f\0\b\f\n\r\t\"\\/\x7f", 11)}) == R"("\u001f\u0000\b\f\n\r\t\"\\/)"
                                                                             "\x7f\"");
  CHECK(json_of(sio::value{"é 😀 \u2028"}) == "\"é 😀 \u2028\"");  // non-ASCII as is
  // Surrogate code points (WTF-8) come out as \u escapes, as JS writes lone surrogates.
  CHECK(json_of(sio::value{"\xED\xA0\x80"}) == R"("\ud800")");
  CHECK(json_of(sio::value{"\xED\xB0\x80x"}) == R"("\udc00x")");
  // Other ill-formed UTF-8 becomes U+FFFD, one per maximal ill-formed subpart.
  CHECK(json_of(sio::value{"a\xFF"
                           "b"}) ==
        "\"a\xEF\xBF\xBD"
        "b\"");
  CHECK(json_of(sio::value{"\xE2\x82"}) == "\"\xEF\xBF\xBD\"");
  CHECK(json_of(sio::value{"\xE2\x82"
                           "A"}) ==
        "\"\xEF\xBF\xBD"
        "A\"");
  CHECK(json_of(sio::value{"\xC0\x80"}) == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(json_of(sio::value{"\xF4\x90\x80\x80"}) == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(json_of(sio::value{"\xF0\x9F\x98"}) == "\"\xEF\xBF\xBD\"");
  CHECK(json_of(sio::value{sio::object{{"k\"", "v"}}}) == R"({"k\"":"v"})");
}

namespace {
struct escape_row {
  template <std::size_t N, std::size_t M>
  escape_row(const char (&in)[N], const char (&out)[M]) : input(in, N - 1), stringified(out, M - 1) {}
  std::string_view input;
  std::string_view stringified;
};
}  // namespace

TEST_CASE("json: the one escaper writes what JSON.stringify writes", "[json]") {
  // Generated with node 20. Input: a JS string's bytes in C++ (UTF-8; lone surrogates as 3-byte
  // WTF-8 sequences); output: Buffer.from(JSON.stringify(s)). The last rows are bytes that are
  // not UTF-8 (no JS string has them): output is JSON.stringify of what TextDecoder reads them as.
  const escape_row rows[] = {
      {"", "\"\""},
      {"plain text", "\"plain text\""},
      {"\"", "\"\\\"\""},
      {"\\", "\"\\\\\""},
      {"/", "\"/\""},
      {"\x08", "\"\\b\""},
      {"\x0C", "\"\\f\""},
      {"\x0A", "\"\\n\""},
      {"\x0D", "\"\\r\""},
      {"\x09", "\"\\t\""},
      {"\x0B", "\"\\u000b\""},
      {"\x00", "\"\\u0000\""},
      {"\x01", "\"\\u0001\""},
      {"\x1F", "\"\\u001f\""},
      {"\x7F", "\"\x7F\""},
      {"\xC2\x80", "\"\xC2\x80\""},
      {"\xC3\xA9", "\"\xC3\xA9\""},
      {"\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},
      {"\xE2\x80\xA8\xE2\x80\xA9", "\"\xE2\x80\xA8\xE2\x80\xA9\""},
      {"\xED\xA0\x80", "\"\\ud800\""},
      {"\xED\xAF\xBF", "\"\\udbff\""},
      {"\xED\xB0\x80", "\"\\udc00\""},
      {"\xED\xBF\xBF", "\"\\udfff\""},
      {"a\xED\xA0\x80"
       "b",
       "\"a\\ud800b\""},
      {"\xED\xA0\xBD", "\"\\ud83d\""},
      {"\xED\xB8\x80x", "\"\\ude00x\""},
      {"\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},
      {"say \"hi\"\\ to\x0A/all\x09!", "\"say \\\"hi\\\"\\\\ to\\n/all\\t!\""},
      {"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C\x0D\x0E\x0F\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1A\x1B\x1C\x1D\x1E\x1F",
       "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\"
       "u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\""},
      {"\xFF", "\"\xEF\xBF\xBD\""},
      {"a\xFF"
       "b",
       "\"a\xEF\xBF\xBD"
       "b\""},
      {"\xC0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"\xE2\x82", "\"\xEF\xBF\xBD\""},
      {"\xE2\x82"
       "A",
       "\"\xEF\xBF\xBD"
       "A\""},
      {"\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"\xF0\x9F\x98", "\"\xEF\xBF\xBD\""},
      {"\x80", "\"\xEF\xBF\xBD\""},
      {"\xED\xA0", "\"\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"\xF8\x88\x80\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
      {"\xC3", "\"\xEF\xBF\xBD\""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.input);
    CHECK(json_of(sio::value{row.input}) == row.stringified);  // the JSON writer
    std::string engine_text = "\"";                            // the engine's own JSON documents
    sio::detail::append_json_escaped(engine_text, row.input);
    engine_text += '"';
    CHECK(engine_text == row.stringified);
    CHECK(json_of(sio::value{{std::string(row.input), 1}}) == "{" + std::string(row.stringified) + ":1}");  // keys
  }
  // A surrogate pair written as two 3-byte sequences (CESU-8, not WTF-8) stays two escapes: the
  // same JS string as JSON.stringify's "😀", in other bytes.
  CHECK(json_of(sio::value{"\xED\xA0\xBD\xED\xB8\x80"}) == R"("\ud83d\ude00")");
}

TEST_CASE("json: a reader and a writer of one's own work like parse and write", "[json]") {
  sio::json::reader reader;
  sio::value v;
  REQUIRE(reader.read(R"({"a":[1,"x",null]})", v) == sio::json::json_error::none);
  CHECK(v == sio::value{{"a", {1, "x", nullptr}}});
  CHECK(reader.read("[[1]]", v, 1) == sio::json::json_error::too_deep);
  CHECK(v == sio::value{{"a", {1, "x", nullptr}}});  // untouched on failure
  sio::json::writer writer;
  std::string out = ">";
  writer.write(v, out);
  CHECK(out == R"(>{"a":[1,"x",null]})");
}

TEST_CASE("json: strings are escaped wherever the character falls in a long plain run", "[json]") {
  // The writer skips plain ASCII eight bytes at a time; every special byte must still be seen.
  const std::pair<std::string, std::string> specials[] = {{"\"", "\\\""},
                                                          {"\\", "\\\\"},
                                                          {"\n", "\\n"},
                                                          {std::string(1, '\0'), "\\u0000"},
                                                          {"\x1f", "\\u001f"},
                                                          {"\xC3\xA9", "\xC3\xA9"},
                                                          {"\xFF", "\xEF\xBF\xBD"},
                                                          {" ", " "},
                                                          {"\x7f", "\x7f"}};
  for (const auto& [raw, written] : specials) {
    for (std::size_t at = 0; at <= 17; ++at) {
      const std::string before(at, 'a'), after(17 - at, 'z');
      CAPTURE(raw, at);
      CHECK(json_of(sio::value{before + raw + after}) == "\"" + before + written + after + "\"");
    }
  }
}

TEST_CASE("json: compact output keeps order; binary is written like a Node Buffer", "[json]") {
  const sio::value v = sio::object{
      {"b", sio::array{1, 2.5, "x", nullptr, true, false}}, {"a", sio::object{}}, {"c", sio::array{}}, {"bin", sio::binary{1, 255}}};
  CHECK(json_of(v) == R"({"b":[1,2.5,"x",null,true,false],"a":{},"c":[],"bin":{"type":"Buffer","data":[1,255]}})");
  std::string out = "prefix:";
  sio::json::write(sio::value{1}, out);
  CHECK(out == "prefix:1");
}

// ------------------------------------------------------------------------------------------------
// Encoder

TEST_CASE("encoder: every packet type, with and without namespace and ack id", "[parser][encoder]") {
  const sio::value event_args = sio::array{"hello", 1, sio::object{{"a", true}}};
  const std::pair<packet, std::string_view> cases[] = {
      {{packet_type::connect, "/", {}, {}}, "0"},
      {{packet_type::connect, "/admin", {}, {}}, "0/admin,"},
      {{packet_type::connect, "/", {}, sio::object{{"sid", "abc"}}}, R"(0{"sid":"abc"})"},
      {{packet_type::connect, "/admin", {}, sio::object{{"token", "t"}}}, R"(0/admin,{"token":"t"})"},
      {{packet_type::disconnect, "/", {}, {}}, "1"},
      {{packet_type::disconnect, "/admin", {}, {}}, "1/admin,"},
      {{packet_type::event, "/", {}, event_args}, R"(2["hello",1,{"a":true}])"},
      {{packet_type::event, "/admin", {}, event_args}, R"(2/admin,["hello",1,{"a":true}])"},
      {{packet_type::event, "/", 12, event_args}, R"(212["hello",1,{"a":true}])"},
      {{packet_type::event, "/admin", 12, event_args}, R"(2/admin,12["hello",1,{"a":true}])"},
      {{packet_type::ack, "/", 456, sio::array{}}, "3456[]"},
      {{packet_type::ack, "/admin", 0, sio::array{"ok"}}, R"(3/admin,0["ok"])"},
      {{packet_type::connect_error, "/", {}, sio::object{{"message", "Invalid namespace"}}}, R"(4{"message":"Invalid namespace"})"},
      {{packet_type::connect_error, "/random", {}, sio::object{{"message", "Invalid namespace"}}},
       R"(4/random,{"message":"Invalid namespace"})"},
      {{packet_type::connect_error, "/", {}, "not authorized"}, R"(4"not authorized")"},
      // No binary in the data: plain EVENT / ACK whatever type was asked for.
      {{packet_type::binary_event, "/", {}, sio::array{"x"}}, R"(2["x"])"},
      {{packet_type::binary_ack, "/", 3, sio::array{}}, "33[]"},
      {{packet_type::event, "", {}, sio::array{"x"}}, R"(2["x"])"},  // empty nsp means "/"
  };
  for (const auto& [p, expected] : cases) {
    const encoded e = encode(p);
    CHECK(e.text == expected);
    CHECK(e.attachments.empty());
  }
}

TEST_CASE("encoder: binary turns EVENT/ACK into BINARY_EVENT/BINARY_ACK", "[parser][encoder]") {
  const encoded event = encode({packet_type::event, "/", {}, sio::array{"file", sio::binary{1, 2}}});
  CHECK(event.text == R"(51-["file",{"_placeholder":true,"num":0}])");
  REQUIRE(event.attachments.size() == 1);
  CHECK(event.attachments[0] == sio::binary{1, 2});

  const encoded with_nsp_and_id = encode({packet_type::event, "/admin", 7, sio::array{"file", sio::binary{1}, sio::binary{2}}});
  CHECK(with_nsp_and_id.text == R"(52-/admin,7["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");

  const encoded ack = encode({packet_type::ack, "/admin", 9, sio::array{sio::binary{}}});
  CHECK(ack.text == R"(61-/admin,9[{"_placeholder":true,"num":0}])");
  REQUIRE(ack.attachments.size() == 1);
  CHECK(ack.attachments[0].empty());
}

TEST_CASE("encoder: nested binaries are numbered depth-first in order", "[parser][encoder]") {
  const sio::value data = sio::array{
      "ev",
      sio::object{{"a", sio::binary{0}}, {"b", sio::array{sio::binary{1}, sio::object{{"c", sio::binary{2}}}}}},
      sio::binary{3},
  };
  CHECK(sio::parser::has_binary(data));
  CHECK(sio::parser::count_binaries(data) == 4);
  CHECK_FALSE(sio::parser::has_binary(sio::array{"x", sio::object{{"y", sio::array{1}}}}));

  encoded out;
  out.text = "4";                              // the caller's Engine.IO prefix stays in front
  out.attachments.push_back(sio::binary{99});  // numbering is per packet, not per output vector
  sio::parser::encode({packet_type::event, "/", {}, data}, out.text, out.attachments);
  CHECK(out.text == R"(454-["ev",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1},)"
                    R"({"c":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}])");
  REQUIRE(out.attachments.size() == 5);
  for (std::uint8_t i = 0; i < 4; ++i) CHECK(out.attachments[i + 1u] == sio::binary{i});
}

TEST_CASE("encoder: copies of one binary are one attachment, named by every placeholder", "[parser][encoder]") {
  const sio::binary shared{7, 8, 9};
  const sio::value data = sio::array{"ev", shared, sio::object{{"again", shared}}, sio::binary{1}, shared};
  encoded out;
  sio::parser::encode({packet_type::event, "/", {}, data}, out.text, out.attachments);
  CHECK(out.text == R"(52-["ev",{"_placeholder":true,"num":0},{"again":{"_placeholder":true,"num":0}},)"
                    R"({"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])");
  REQUIRE(out.attachments.size() == 2);
  CHECK(out.attachments[0].shared() == shared.shared());  // the same buffer, not a copy
  CHECK(out.attachments[1] == sio::binary{1});
  // Equal bytes in different buffers stay two attachments, as the reference sends them.
  encoded twice;
  sio::parser::encode({packet_type::event, "/", {}, sio::array{"ev", sio::binary{1}, sio::binary{1}}}, twice.text, twice.attachments);
  CHECK(twice.attachments.size() == 2);
}

TEST_CASE("encoder/decoder: the PROTOCOL.md ack example", "[parser]") {
  // The client sends 42456["ev",1,"2",{"3":[false]}]; acking with the same arguments must put
  // exactly 43456[1,"2",{"3":[false]}] on the wire.
  const packet received = decode_complete(R"(2456["ev",1,"2",{"3":[false]}])");
  CHECK(received.type == packet_type::event);
  CHECK(received.nsp == "/");
  REQUIRE(received.id);
  CHECK(*received.id == 456);
  sio::array args = received.data.as_array();
  args.erase(args.begin());

  std::string wire = "4";
  std::vector<sio::binary> attachments;
  sio::parser::encode({packet_type::ack, received.nsp, received.id, std::move(args)}, wire, attachments);
  CHECK(wire == R"(43456[1,"2",{"3":[false]}])");
  CHECK(attachments.empty());
}

// ------------------------------------------------------------------------------------------------
// Decoder

TEST_CASE("decoder: round trips of every packet type", "[parser][decoder]") {
  const sio::value args = sio::array{"ev", 1.5, sio::object{{"k", sio::array{nullptr, "v"}}}};
  const packet cases[] = {
      {packet_type::connect, "/", {}, {}},
      {packet_type::connect, "/admin", {}, sio::object{{"token", "t"}}},
      {packet_type::disconnect, "/", {}, {}},
      {packet_type::disconnect, "/admin", {}, {}},
      {packet_type::event, "/", {}, args},
      {packet_type::event, "/admin", 1, args},
      {packet_type::event, "/", std::numeric_limits<std::uint64_t>::max(), sio::array{42}},
      {packet_type::ack, "/", 0, sio::array{}},
      {packet_type::ack, "/admin", 77, args},
      {packet_type::connect_error, "/", {}, sio::object{{"message", "m"}, {"data", sio::object{}}}},
      {packet_type::connect_error, "/admin", {}, "reason"},
  };
  for (const packet& p : cases) {
    const encoded e = encode(p);
    INFO(e.text);
    CHECK(decode_complete(e.text) == p);
  }

  // BINARY_EVENT / BINARY_ACK come back as EVENT / ACK with the binaries in place.
  const packet binary_cases[] = {
      {packet_type::event, "/", {}, sio::array{"up", sio::binary{1, 2, 3}}},
      {packet_type::event, "/admin", 5, sio::array{"up", sio::object{{"f", sio::array{sio::binary{4}}}}}},
      {packet_type::ack, "/", 8, sio::array{sio::binary{}, sio::binary{9}}},
      {packet_type::ack, "/admin", 8, sio::array{sio::binary{7}}},
  };
  for (const packet& p : binary_cases) {
    const encoded e = encode(p);
    INFO(e.text);
    decoder d;
    auto result = d.feed_text(e.text);
    for (const sio::binary& attachment : e.attachments) {
      REQUIRE(result.needs_more());
      CHECK(d.awaiting_attachments());
      result = d.feed_binary(attachment);
    }
    REQUIRE(result.has_packet());
    CHECK(result.decoded == p);
    CHECK_FALSE(d.awaiting_attachments());
  }
}

TEST_CASE("decoder: namespace ends at ',' or at the end of the text", "[parser][decoder]") {
  CHECK(decode_complete("0/custom") == packet{packet_type::connect, "/custom", {}, {}});
  CHECK(decode_complete("0/custom,") == packet{packet_type::connect, "/custom", {}, {}});
  // Reference quirk: without a comma everything is namespace, the JSON included.
  CHECK(decode_complete(R"(0/custom{"a":1})") == packet{packet_type::connect, R"(/custom{"a":1})", {}, {}});
  CHECK(decode_complete(R"(0/custom,{"a":1})").data == sio::value{sio::object{{"a", 1}}});
  CHECK(decode_complete("1/chat,").nsp == "/chat");
  const packet p = decode_complete(R"(2/chat,007["x"])");  // leading zeros are digits too
  CHECK(p.nsp == "/chat");
  CHECK(p.id == std::optional<std::uint64_t>{7});
  CHECK(decode_complete(R"(2["x"])").nsp == "/");
  CHECK(decode_complete(R"(2 ["x"] )").data == sio::value{sio::array{"x"}});  // JSON.parse's whitespace
}

TEST_CASE("decoder: binary reassembly", "[parser][decoder]") {
  decoder d;
  auto r = d.feed_text(R"(52-["two",{"_placeholder":true,"num":1},{"deep":[{"_placeholder":true,"num":0}]}])");
  REQUIRE(r.needs_more());
  r = d.feed_binary(std::string_view("\x00\x01", 2));
  REQUIRE(r.needs_more());
  r = d.feed_binary(sio::binary{0xFF});
  REQUIRE(r.has_packet());
  CHECK(r.decoded.type == packet_type::event);
  CHECK(r.decoded.data == sio::value{sio::array{"two", sio::binary{0xFF}, sio::object{{"deep", sio::array{sio::binary{0, 1}}}}}});

  // The same attachment may be referenced twice; num may be written 1.0 (one JS number).
  r = d.feed_text(R"(61-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0.0}])");
  REQUIRE(r.needs_more());
  r = d.feed_binary(sio::binary{5});
  REQUIRE(r.has_packet());
  CHECK(r.decoded.type == packet_type::ack);
  CHECK(r.decoded.id == std::optional<std::uint64_t>{3});
  CHECK(r.decoded.data == sio::value{sio::array{sio::binary{5}, sio::binary{5}}});

  // Placeholders are only honoured in binary packets; elsewhere they are plain objects.
  const packet plain = decode_complete(R"(2["x",{"_placeholder":true,"num":0}])");
  CHECK(plain.data[1].is_object());
  // An object with _placeholder not true is not a placeholder.
  r = d.feed_text(R"(51-["x",{"_placeholder":1,"num":7},{"_placeholder":true,"num":0}])");
  REQUIRE(r.needs_more());
  r = d.feed_binary(sio::binary{});
  REQUIRE(r.has_packet());
  CHECK(r.decoded.data[1] == sio::value{sio::object{{"_placeholder", 1}, {"num", 7}}});
}

TEST_CASE("decoder: reassembly errors", "[parser][decoder]") {
  decoder d;
  auto r = d.feed_binary(sio::binary{1});
  REQUIRE(r.failed());
  CHECK(r.error == decode_error::unexpected_binary);

  r = d.feed_text(R"(52-["x",{"_placeholder":true,"num":0}])");
  REQUIRE(r.needs_more());
  r = d.feed_binary(sio::binary{1});
  REQUIRE(r.needs_more());
  r = d.feed_text(R"(2["x"])");
  REQUIRE(r.failed());
  CHECK(r.error == decode_error::unexpected_text);
  CHECK_FALSE(d.awaiting_attachments());  // forgotten after the error
  CHECK(d.feed_text(R"(2["x"])").has_packet());

  for (std::string_view bad :
       {R"(51-["x",{"_placeholder":true,"num":1}])", R"(51-["x",{"_placeholder":true,"num":-1}])",
        R"(51-["x",{"_placeholder":true,"num":0.5}])", R"(51-["x",{"_placeholder":true,"num":"0"}])", R"(51-["x",{"_placeholder":true}])",
        R"(51-["x",[[{"_placeholder":true,"num":3}]]])", R"(61-[{"_placeholder":true,"num":null}])"}) {
    CHECK(decode_failure(bad) == decode_error::invalid_placeholder);
  }

  // A failed header leaves nothing pending.
  r = d.feed_text(R"(51-["x",{"_placeholder":true,"num":1}])");
  REQUIRE(r.failed());
  CHECK(d.feed_binary(sio::binary{}).error == decode_error::unexpected_binary);
  d.reset();
}

TEST_CASE("decoder: attachment count", "[parser][decoder]") {
  for (std::string_view bad :
       {R"(5-["x"])", R"(50-["x"])", R"(5["x"])", R"(51["x"])", R"(5a-["x"])", "5", "51", R"(6-1[])", R"(5 1-["x"])"}) {
    CHECK(decode_failure(bad) == decode_error::invalid_attachment_count);
  }
  CHECK(decode_failure(R"(511-["x"])") == decode_error::too_many_attachments);
  CHECK(decode_failure(R"(599999999999999999999999999-["x"])") == decode_error::too_many_attachments);
  CHECK(decode_failure(R"(53-["x"])", {2, sio::json::default_max_depth}) == decode_error::too_many_attachments);
  decoder d;
  CHECK(d.feed_text(R"(510-["x"])").needs_more());  // 10 is the default limit, inclusive
  CHECK(decoder(sio::parser::decoder_options{20}).feed_text(R"(520-["x"])").needs_more());
}

TEST_CASE("decoder: payload validity per packet type (isPayloadValid)", "[parser][decoder]") {
  for (std::string_view good :
       {"0", R"(0{})", R"(0/a,{"x":[1]})", "1", "1/a,", R"(2["e"])", R"(2[1,2])", R"(2[0])", "01", R"(2["connection"])", R"(2["connect "])",
        R"(2/a,5["e",{}])", "3[]", R"(31[null])", R"(3/a,1[])", R"(4{})", R"(4"msg")", R"(4/a,{"message":"m"})"}) {
    decoder d;
    INFO(good);
    CHECK(d.feed_text(good).has_packet());
  }
  for (std::string_view bad : {R"(0[])",      R"(0"x")", "0null",  R"(1{})",   R"(1/a,{})", R"(1[])",       "1null",    "2",
                               "2/a,",        "27",      R"(2[])", R"(2{})",   R"(2"e")",   R"(2[null])",   R"(2[{}])", R"(2[true])",
                               R"(2[["e"]])", "3",       "31",     R"(3{})",   R"(3"x")",   "3null",        "4",        "41",
                               R"(4[])",      "4null",   "4true",  R"(51-[])", R"(51-{})",  R"(51-[null])", "61-",      R"(61-{})"}) {
    CHECK(decode_failure(bad) == decode_error::invalid_payload);
  }
  for (std::string_view reserved : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
    CHECK(decode_failure("2[\"" + std::string(reserved) + "\",1]") == decode_error::invalid_payload);
    CHECK(decode_failure("51-[\"" + std::string(reserved) + "\",{\"_placeholder\":true,\"num\":0}]") == decode_error::invalid_payload);
  }
}

TEST_CASE("decoder: malformed and hostile input", "[parser][decoder]") {
  CHECK(decode_failure("") == decode_error::empty_packet);
  for (std::string_view bad : {"7", "9[]", "a", "-1", " 2[\"x\"]", "\xFF"}) {
    CHECK(decode_failure(bad) == decode_error::unknown_type);
  }
  for (std::string_view bad : {R"(2["x"]x)", R"(2["x"]])", R"(2abc["x"])", R"(2-1["x"])", R"(2/a,b["x"])", R"(2["x",1e400])", "2[\"\xFF\"]",
                               R"(2["\ud800"])", R"(2["x",NaN])", "2{\"a\"", "0/a,{", R"(2['x'])", R"(212x)", R"(201-["x"])"}) {
    CHECK(decode_failure(bad) == decode_error::invalid_json);
  }
  CHECK(decode_failure(std::string_view("2[\"x\"]\0", 7)) == decode_error::invalid_json);
  CHECK(decode_failure(R"(2123456789012345678901234567890["x"])") == decode_error::invalid_ack_id);
  CHECK(decode_failure(R"(218446744073709551616["x"])") == decode_error::invalid_ack_id);

  CHECK(decode_failure("2[\"x\"," + nested(64) + "]") == decode_error::too_deep);
  CHECK(decode_failure("2[\"x\"," + std::string(1000000, '[')) == decode_error::too_deep);
  decoder shallow({10, 3});
  CHECK(shallow.feed_text(R"(2["x",[[[1]]]])").error == decode_error::too_deep);
  CHECK(shallow.feed_text(R"(2["x",[[1]]])").has_packet());

  // Big numbers that JSON allows are fine: JS makes them doubles too.
  const packet big = decode_complete(R"(2["x",123456789012345678901234567890,-1e300])");
  CHECK(big.data[1].is_double());
  CHECK(big.data[2].as_double() == -1e300);

  for (decode_error e : {decode_error::none, decode_error::invalid_payload, decode_error::unexpected_binary}) {
    CHECK_FALSE(sio::parser::to_string(e).empty());
  }
}
