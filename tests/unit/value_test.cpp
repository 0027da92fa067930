// sio::value, sio::binary, JSON literals and the typed conversions of convert.hpp.
#include <sio/convert.hpp>
#include <sio/detail/event_handler.hpp>
#include <sio/parser/encoder.hpp>
#include <sio/value.hpp>

#include <catch2/catch_test_macros.hpp>

#include <array>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

namespace shop {
// A user type converted through ADL: to_json / from_json next to the type.
struct item {
  std::string name;
  int qty = 0;
};
inline void to_json(sio::value& out, const item& i) { out = sio::object{{"name", i.name}, {"qty", i.qty}}; }
inline bool from_json(const sio::value& in, item& i) {
  const sio::value* name = in.find("name");
  const sio::value* qty = in.find("qty");
  return name && qty && sio::from_value(*name, i.name) && sio::from_value(*qty, i.qty);
}

// A user type whose from_json returns void and reports failure by throwing.
struct point {
  double x = 0, y = 0;
};
inline void to_json(sio::value& out, const point& p) { out = sio::array{p.x, p.y}; }
inline void from_json(const sio::value& in, point& p) {
  p.x = in[0].as_double();  // throws on a wrong shape
  p.y = in[1].as_double();
}
}  // namespace shop

// A type in a namespace one cannot add to: converted by specialising sio::converter.
struct legacy_id {
  std::uint32_t raw = 0;
};
template <>
struct sio::converter<legacy_id> {
  static void to(value& out, const legacy_id& id) { out = "id-" + std::to_string(id.raw); }
  static bool from(const value& in, legacy_id& id) {
    const auto* text = in.get_if<std::string>();
    if (!text || text->rfind("id-", 0) != 0) return false;
    id.raw = static_cast<std::uint32_t>(std::stoul(text->substr(3)));
    return true;
  }
};

TEST_CASE("value: kinds and construction", "[value]") {
  CHECK(sio::value{}.is_null());
  CHECK(sio::value{nullptr}.is_null());
  CHECK(sio::value{true}.is_bool());
  CHECK(sio::value{42}.is_int64());
  CHECK(sio::value{42u}.is_int64());  // fits int64: one representation per number
  CHECK(sio::value{std::numeric_limits<std::uint64_t>::max()}.is_uint64());
  CHECK(sio::value{std::int64_t{-1}}.as_int64() == -1);
  CHECK(sio::value{1.5}.is_double());
  CHECK(sio::value{1.5f}.as_double() == 1.5);
  CHECK(sio::value{"text"}.is_string());
  CHECK(sio::value{std::string_view{"text"}}.as_string() == "text");
  CHECK(sio::value{std::string{"text"}}.is_string());
  CHECK(sio::value{sio::binary{1, 2}}.is_binary());
  CHECK(sio::value{sio::array{1, "a", true}}.is_array());
  CHECK(sio::value{sio::object{{"a", 1}}}.is_object());
  CHECK(sio::value{}.kind() == sio::value_kind::null);
  CHECK(sio::value{sio::array{}}.kind() == sio::value_kind::array);
  CHECK(sio::value{7}.is_number());
  CHECK(sio::value{7}.as_double() == 7.0);
}

TEST_CASE("value: wrong-kind access is reported, never UB", "[value]") {
  sio::value v = "text";
  CHECK_THROWS_AS(v.as_int64(), std::bad_variant_access);
  CHECK_THROWS_AS(v.as_array(), std::bad_variant_access);
  CHECK(v.get_if<std::int64_t>() == nullptr);
  REQUIRE(v.get_if<std::string>() != nullptr);
  CHECK(v.find("x") == nullptr);

  const sio::value list = sio::array{1, 2};
  CHECK(list[1] == 2);
  CHECK_THROWS_AS(list[2], std::out_of_range);
  const sio::value obj = sio::object{{"a", 1}};
  CHECK(obj["a"] == 1);
  CHECK_THROWS_AS(obj["b"], std::out_of_range);
  CHECK_THROWS_AS(obj.at("b"), std::out_of_range);
}

TEST_CASE("value: objects keep insertion order, emplace replaces in place", "[value]") {
  sio::value v;
  v["z"] = 1;
  v["a"] = 2;
  v.emplace("m", 3);
  v.emplace("z", 9);  // existing key: value replaced, position kept
  const auto& members = v.as_object();
  REQUIRE(members.size() == 3);
  CHECK(members[0].first == "z");
  CHECK(members[0].second == 9);
  CHECK(members[1].first == "a");
  CHECK(members[2].first == "m");
  CHECK(v.contains("a"));
  CHECK_FALSE(v.contains("b"));
  REQUIRE(v.find("m") != nullptr);
  CHECK(*v.find("m") == 3);
}

TEST_CASE("value: arrays", "[value]") {
  sio::value v;
  v.push_back(1);
  v.push_back("two");
  v.push_back(sio::array{3});
  REQUIRE(v.as_array().size() == 3);
  CHECK(v[0] == 1);
  CHECK(v[1] == "two");
  CHECK(v[2][0] == 3);
  v[0] = false;
  CHECK(v[0] == false);
}

TEST_CASE("value: equality follows JS", "[value]") {
  CHECK(sio::value{1} == sio::value{1.0});
  CHECK(sio::value{1.0} == sio::value{1});
  CHECK(sio::value{1} != sio::value{1.5});
  CHECK(sio::value{1} != sio::value{"1"});
  CHECK_FALSE(sio::value{std::numeric_limits<std::uint64_t>::max()} == sio::value{18446744073709551616.0});  // 2^64
  CHECK(sio::value{std::uint64_t{1} << 63} == sio::value{9223372036854775808.0});
  CHECK(sio::value{std::int64_t{1} << 53} != sio::value{(std::int64_t{1} << 53) + 1});
  CHECK(sio::value{9007199254740993LL} != sio::value{9007199254740992.0});  // no rounding through double
  CHECK(sio::value{sio::object{{"a", 1}, {"b", 2}}} == sio::value{sio::object{{"b", 2}, {"a", 1}}});
  CHECK(sio::value{sio::object{{"a", 1}}} != sio::value{sio::object{{"a", 1}, {"b", 2}}});
  CHECK(sio::value{sio::array{1, 2}} != sio::value{sio::array{2, 1}});
  CHECK(sio::value{sio::binary{1, 2}} != sio::value{sio::array{1, 2}});
  CHECK(sio::value{sio::binary{1, 2}} == sio::value{sio::binary{1, 2}});
  CHECK(sio::value{} == sio::value{nullptr});
  CHECK(sio::value{true} != sio::value{1});
}

TEST_CASE("value: moves are cheap and leave no copies behind", "[value]") {
  sio::value big = sio::array{sio::binary(std::vector<std::uint8_t>(1000, 7)), "x"};
  const auto* bytes = big[0].as_binary().data();
  sio::value moved = std::move(big);
  CHECK(moved[0].as_binary().data() == bytes);
}

TEST_CASE("binary: construction and access", "[value][binary]") {
  const sio::binary a{1, 2, 3};
  const sio::binary b(std::vector<std::uint8_t>{1, 2, 3});
  const char raw[] = {1, 2, 3};
  const sio::binary c(raw, sizeof raw);
  const sio::binary d(std::string_view("\x01\x02\x03", 3));
  const sio::binary e(std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{3}});
  CHECK(a == b);
  CHECK(a == c);
  CHECK(a == d);
  CHECK(a == e);
  CHECK(a.size() == 3);
  CHECK_FALSE(a.empty());
  CHECK(sio::binary{}.empty());
  CHECK(a.data()[2] == 3);
  CHECK(std::vector<std::uint8_t>(a.begin(), a.end()) == std::vector<std::uint8_t>{1, 2, 3});
  CHECK(a.view() == std::string_view("\x01\x02\x03", 3));
  CHECK(a != sio::binary{1, 2});
}

TEST_CASE("convert: scalars", "[convert]") {
  CHECK(sio::to_value(true) == true);
  CHECK(sio::to_value(42) == 42);
  CHECK(sio::to_value(2.5) == 2.5);
  CHECK(sio::to_value(std::string("s")) == "s");
  CHECK(sio::to_value(std::string_view("sv")) == "sv");
  CHECK(sio::to_value("literal") == "literal");
  const char* c_string = "c";
  CHECK(sio::to_value(c_string) == "c");
  const char* no_string = nullptr;
  CHECK(sio::to_value(no_string).is_null());
  CHECK(sio::to_value(nullptr).is_null());

  CHECK(sio::from_value<bool>(sio::value{true}) == true);
  CHECK(sio::from_value<int>(sio::value{42}) == 42);
  CHECK(sio::from_value<double>(sio::value{2.5}) == 2.5);
  CHECK(sio::from_value<double>(sio::value{2}) == 2.0);
  CHECK(sio::from_value<float>(sio::value{0.5}) == 0.5f);
  CHECK(sio::from_value<std::string>(sio::value{"s"}) == "s");
  CHECK(sio::from_value<std::nullptr_t>(sio::value{}).has_value());
  CHECK(sio::from_value<sio::value>(sio::value{sio::array{1}}) == sio::value{sio::array{1}});

  std::string out;
  CHECK(sio::from_value(sio::value{"into"}, out));
  CHECK(out == "into");
}

TEST_CASE("convert: integers are range-checked, integral doubles accepted", "[convert]") {
  CHECK(sio::from_value<int>(sio::value{3.0}) == 3);  // JS has only numbers
  CHECK(sio::from_value<std::uint8_t>(sio::value{255}) == 255);
  CHECK_FALSE(sio::from_value<std::uint8_t>(sio::value{256}));
  CHECK_FALSE(sio::from_value<std::uint8_t>(sio::value{-1}));
  CHECK_FALSE(sio::from_value<unsigned>(sio::value{-1}));
  CHECK(sio::from_value<std::int8_t>(sio::value{-128}) == -128);
  CHECK_FALSE(sio::from_value<std::int8_t>(sio::value{-129}));
  CHECK_FALSE(sio::from_value<int>(sio::value{3.5}));   // fraction
  CHECK_FALSE(sio::from_value<int>(sio::value{1e10}));  // out of range
  CHECK_FALSE(sio::from_value<int>(sio::value{std::numeric_limits<double>::infinity()}));
  CHECK_FALSE(sio::from_value<int>(sio::value{std::numeric_limits<double>::quiet_NaN()}));
  CHECK(sio::from_value<std::int64_t>(sio::value{-9223372036854775808.0}) == std::numeric_limits<std::int64_t>::min());
  CHECK_FALSE(sio::from_value<std::int64_t>(sio::value{9223372036854775808.0}));  // 2^63
  CHECK(sio::from_value<std::uint64_t>(sio::value{9223372036854775808.0}) == (std::uint64_t{1} << 63));
  CHECK_FALSE(sio::from_value<std::uint64_t>(sio::value{18446744073709551616.0}));  // 2^64
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  CHECK(sio::from_value<std::uint64_t>(sio::value{big}) == big);
  CHECK_FALSE(sio::from_value<std::int64_t>(sio::value{big}));
  CHECK_FALSE(sio::from_value<int>(sio::value{"3"}));  // no string parsing
  CHECK_FALSE(sio::from_value<int>(sio::value{true}));
  CHECK_FALSE(sio::from_value<bool>(sio::value{1}));       // no truthiness
  CHECK_FALSE(sio::from_value<float>(sio::value{1e300}));  // beyond float
  CHECK_FALSE(sio::from_value<double>(sio::value{"1"}));
  CHECK_FALSE(sio::from_value<std::string>(sio::value{1}));
  CHECK_FALSE(sio::from_value<std::nullptr_t>(sio::value{0}));
}

TEST_CASE("convert: byte vectors are binary, like a JS Buffer", "[convert]") {
  const std::vector<std::uint8_t> bytes{1, 2, 3};
  const sio::value v = sio::to_value(bytes);
  REQUIRE(v.is_binary());
  CHECK(v.as_binary() == sio::binary{1, 2, 3});
  CHECK(sio::from_value<std::vector<std::uint8_t>>(v) == bytes);
  CHECK(sio::to_value(std::vector<std::byte>{std::byte{9}}) == sio::value{sio::binary{9}});
  CHECK(sio::from_value<std::vector<std::byte>>(v) == std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{3}});
  CHECK(sio::from_value<sio::binary>(v) == sio::binary{1, 2, 3});
  CHECK(sio::to_value(sio::binary{4}).is_binary());
  // An array of numbers is not a buffer, and a buffer is not an array.
  CHECK_FALSE(sio::from_value<std::vector<std::uint8_t>>(sio::value{sio::array{1, 2}}));
  CHECK_FALSE(sio::from_value<std::vector<int>>(v));
}

TEST_CASE("convert: containers", "[convert]") {
  CHECK(sio::to_value(std::vector<int>{1, 2}) == sio::value{sio::array{1, 2}});
  CHECK(sio::to_value(std::list<std::string>{"a"}) == sio::value{sio::array{"a"}});
  CHECK(sio::to_value(std::deque<bool>{true}) == sio::value{sio::array{true}});
  CHECK(sio::to_value(std::array<int, 2>{5, 6}) == sio::value{sio::array{5, 6}});
  CHECK(sio::to_value(std::vector<bool>{true, false}) == sio::value{sio::array{true, false}});
  CHECK(sio::to_value(std::pair<int, std::string>{1, "x"}) == sio::value{sio::array{1, "x"}});
  CHECK(sio::to_value(std::tuple<int, bool, double>{1, true, 0.5}) == sio::value{sio::array{1, true, 0.5}});

  const sio::value map_value = sio::to_value(std::map<std::string, int>{{"b", 2}, {"a", 1}});
  REQUIRE(map_value.is_object());
  CHECK(map_value.as_object()[0].first == "a");  // std::map order
  CHECK(map_value == sio::value{sio::object{{"a", 1}, {"b", 2}}});
  CHECK(sio::to_value(std::unordered_map<std::string, int>{{"k", 1}}) == sio::value{sio::object{{"k", 1}}});

  CHECK(sio::from_value<std::vector<int>>(sio::value{sio::array{1, 2.0}}) == std::vector<int>{1, 2});
  CHECK(sio::from_value<std::list<int>>(sio::value{sio::array{3}}) == std::list<int>{3});
  CHECK(sio::from_value<std::array<int, 2>>(sio::value{sio::array{1, 2}}) == std::array<int, 2>{1, 2});
  CHECK_FALSE(sio::from_value<std::array<int, 2>>(sio::value{sio::array{1, 2, 3}}));
  CHECK(sio::from_value<std::pair<int, std::string>>(sio::value{sio::array{1, "x"}}) == std::pair<int, std::string>{1, "x"});
  CHECK_FALSE(sio::from_value<std::pair<int, std::string>>(sio::value{sio::array{1, 2}}));
  CHECK(sio::from_value<std::tuple<int, bool>>(sio::value{sio::array{1, true}}) == std::tuple<int, bool>{1, true});
  CHECK_FALSE(sio::from_value<std::tuple<int, bool>>(sio::value{sio::array{1}}));
  CHECK_FALSE(sio::from_value<std::vector<int>>(sio::value{sio::array{1, "2"}}));
  CHECK_FALSE(sio::from_value<std::vector<int>>(sio::value{sio::object{}}));

  const auto map = sio::from_value<std::map<std::string, int>>(sio::value{sio::object{{"a", 1}, {"b", 2}}});
  REQUIRE(map);
  CHECK(map->at("b") == 2);
  CHECK_FALSE(sio::from_value<std::map<std::string, int>>(sio::value{sio::object{{"a", "x"}}}));
  CHECK_FALSE(sio::from_value<std::unordered_map<std::string, int>>(sio::value{sio::array{}}));
  CHECK(sio::from_value<std::vector<std::vector<int>>>(sio::value{sio::array{sio::array{1}, sio::array{}}}) ==
        std::vector<std::vector<int>>{{1}, {}});

  // sio's own arrays and objects map to themselves, not to arrays of pairs.
  CHECK(sio::to_value(sio::object{{"a", 1}}).is_object());
  CHECK(sio::from_value<sio::object>(sio::value{sio::object{{"a", 1}}}));
  CHECK_FALSE(sio::from_value<sio::array>(sio::value{sio::object{}}));
}

TEST_CASE("convert: optional maps nullopt to null", "[convert]") {
  CHECK(sio::to_value(std::optional<int>{}).is_null());
  CHECK(sio::to_value(std::optional<int>{3}) == 3);
  const auto absent = sio::from_value<std::optional<int>>(sio::value{});
  REQUIRE(absent);       // the conversion succeeded...
  CHECK_FALSE(*absent);  // ...to nullopt
  CHECK(sio::from_value<std::optional<int>>(sio::value{4}) == std::optional<std::optional<int>>{4});
  CHECK_FALSE(sio::from_value<std::optional<int>>(sio::value{"x"}));  // failure, not nullopt
  CHECK(sio::to_value(std::vector<std::optional<int>>{1, std::nullopt}) == sio::value{sio::array{1, nullptr}});
}

TEST_CASE("convert: user types through ADL and converter specialisation", "[convert]") {
  const shop::item item{"pen", 3};
  const sio::value v = sio::to_value(item);
  CHECK(v == sio::value{sio::object{{"name", "pen"}, {"qty", 3}}});
  const auto back = sio::from_value<shop::item>(v);
  REQUIRE(back);
  CHECK(back->name == "pen");
  CHECK(back->qty == 3);
  CHECK_FALSE(sio::from_value<shop::item>(sio::value{sio::object{{"name", "pen"}}}));
  CHECK_FALSE(sio::from_value<shop::item>(sio::value{sio::object{{"name", "pen"}, {"qty", 1.5}}}));

  // Nested in standard containers.
  const auto items = sio::from_value<std::vector<shop::item>>(sio::value{sio::array{v, v}});
  REQUIRE(items);
  CHECK(items->size() == 2);
  CHECK(sio::to_value(std::map<std::string, shop::item>{{"x", item}})["x"]["qty"] == 3);

  // void from_json: a thrown std::exception is a failed conversion.
  CHECK(sio::to_value(shop::point{1, 2}) == sio::value{sio::array{1, 2}});
  const auto p = sio::from_value<shop::point>(sio::value{sio::array{1, 2.5}});
  REQUIRE(p);
  CHECK(p->y == 2.5);
  CHECK_FALSE(sio::from_value<shop::point>(sio::value{sio::array{1}}));
  CHECK_FALSE(sio::from_value<shop::point>(sio::value{"nope"}));

  CHECK(sio::to_value(legacy_id{7}) == "id-7");
  REQUIRE(sio::from_value<legacy_id>(sio::value{"id-9"}));
  CHECK(sio::from_value<legacy_id>(sio::value{"id-9"})->raw == 9);
  CHECK_FALSE(sio::from_value<legacy_id>(sio::value{9}));
}

// ------------------------------------------------------------------------------------------------
// JSON literals (the rule is in value.hpp's header comment)

namespace {

// What the Socket.IO encoder sends for `v` as an event's one argument: 2["t",<v>], or with
// attachments 5N-["t",<v with placeholders>].
std::string sent_as_argument(const sio::value& v, std::vector<sio::binary>* attachments = nullptr) {
  std::string text;
  std::vector<sio::binary> bins;
  sio::parser::encode({sio::parser::packet_type::event, "/", {}, sio::array{"t", v}}, text, bins);
  if (attachments) *attachments = std::move(bins);
  return text;
}

struct literal_row {
  const char* written;
  sio::value literal;
  std::string_view json;
};
#define LITERAL(json, ...) \
  literal_row { #__VA_ARGS__, __VA_ARGS__, json }

}  // namespace

TEST_CASE("literals: each literal beside the JSON the encoder sends for it", "[value][literal]") {
  const std::string nick = "ann";
  const std::string std_string = "std";
  const std::string_view view = "view";
  const char* c_string = "ptr";
  const sio::value key = "k";
  const sio::value copied = sio::array{1, "x"};
  const literal_row rows[] = {
      // The issue's example: objects, a nested array, numbers, bool, null.
      LITERAL(R"({"from":"ann","rooms":["a","b"],"n":3,"ok":true,"nothing":null})",
              sio::value{{"from", nick}, {"rooms", {"a", "b"}}, {"n", 3}, {"ok", true}, {"nothing", nullptr}}),
      // Objects: every element a braced 2-element list starting with a string.
      LITERAL(R"({"a":1})", sio::value{{"a", 1}}),
      LITERAL(R"({"a":"b"})", sio::value{{"a", "b"}}),
      LITERAL(R"({"a":{"b":{"c":[1,{"d":null}]}}})", sio::value{{"a", {{"b", {{"c", {1, {{"d", nullptr}}}}}}}}}),
      LITERAL(R"({"a":3,"b":2})", sio::value{{"a", 1}, {"b", 2}, {"a", 3}}),  // JS: first place, last value
      LITERAL(R"({"k":1,"std":2,"view":3})", sio::value{{key, 1}, {std::string{"std"}, 2}, {std::string_view{"view"}, 3}}),
      // Arrays: anything else.
      LITERAL(R"(["a","b"])", sio::value{"a", "b"}),
      LITERAL(R"(["a",1])", sio::value{"a", 1}),
      LITERAL("[1,2,3]", sio::value{1, 2, 3}),
      LITERAL("[[1,2]]", sio::value{{1, 2}}),
      LITERAL(R"([["a",1],2])", sio::value{{"a", 1}, 2}),  // a pair in an array is an array
      LITERAL(R"([["a",1],["b"]])", sio::value{{"a", 1}, {"b"}}),
      LITERAL(R"([["a",1],["b",2,3]])", sio::value{{"a", 1}, {"b", 2, 3}}),
      LITERAL(R"([[1,"a"]])", sio::value{{1, "a"}}),  // a pair's first element is a string
      // Objects in arrays, arrays in objects.
      LITERAL(R"({"list":[{"id":1},{"id":2}]})", sio::value{{"list", {{{"id", 1}}, {{"id", 2}}}}}),
      LITERAL(R"({"users":[{"name":"ann","age":30},{"name":"bob","age":31}]})",
              sio::value{{"users", {{{"name", "ann"}, {"age", 30}}, {{"name", "bob"}, {"age", 31}}}}}),
      LITERAL(R"([{"a":1},[1,2],"x"])", sio::value{{{"a", 1}}, {1, 2}, "x"}),
      // Arrays of pairs: spelled with sio::array (values that are arrays are never taken for pairs).
      LITERAL(R"([["a",1],["b",2]])", sio::array{{"a", 1}, {"b", 2}}),
      LITERAL(R"([["a",1],["b",2]])", sio::value{sio::array{"a", 1}, sio::array{"b", 2}}),
      LITERAL(R"({"pairs":[["a",1],["b",2]]})", sio::value{{"pairs", sio::array{{"a", 1}, {"b", 2}}}}),
      LITERAL(R"([["a",1]])", sio::array{{"a", 1}}),
      // Empty ones.
      LITERAL("null", sio::value{}),
      LITERAL(R"({"o":{}})", sio::value{{"o", {}}}),
      LITERAL(R"({"a":[]})", sio::value{{"a", sio::array{}}}),
      LITERAL("{}", sio::object{}),
      LITERAL("[]", sio::array{}),
      LITERAL("{}", sio::value{sio::object{}}),
      LITERAL("[]", sio::value{sio::array{}}),
      LITERAL("[{},1]", sio::value{{}, 1}),
      // Single elements: sio::value{x} is x; a braced {x} inside a literal is [x].
      LITERAL(R"("x")", sio::value{"x"}),
      LITERAL("1", sio::value{1}),
      LITERAL(R"([1,"x"])", sio::value{copied}),
      LITERAL(R"({"r":["a"]})", sio::value{{"r", {"a"}}}),
      LITERAL("[[1]]", sio::value{{1}}),
      LITERAL(R"(["x"])", sio::array{"x"}),
      LITERAL("[1]", sio::array{{1}}),                     // an element of sio::array is a sio::value literal: {1} is 1
      LITERAL(R"({"r":"a"})", sio::object{{"r", {"a"}}}),  // likewise a member value of sio::object
      LITERAL(R"({"r":["a"]})", sio::object{{"r", sio::array{"a"}}}),
      // Strings of every C++ spelling.
      LITERAL(R"({"lit":"lit","std":"std","view":"view","ptr":"ptr","esc":"q\"\n"})",
              sio::value{{"lit", "lit"}, {"std", std_string}, {"view", view}, {"ptr", c_string}, {"esc", "q\"\n"}}),
      // Integers of every width, at their limits.
      LITERAL(R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,"u32":4294967295})",
              sio::value{{"i8", std::int8_t{-128}},
                         {"u8", std::uint8_t{255}},
                         {"i16", std::int16_t{-32768}},
                         {"u16", std::uint16_t{65535}},
                         {"i32", std::numeric_limits<std::int32_t>::min()},
                         {"u32", std::numeric_limits<std::uint32_t>::max()}}),
      LITERAL(R"({"i64":-9223372036854775808,"u64":18446744073709551615,"short":-1,"long":2,"ll":3,"size":4})",
              sio::value{{"i64", std::numeric_limits<std::int64_t>::min()},
                         {"u64", std::numeric_limits<std::uint64_t>::max()},
                         {"short", short{-1}},
                         {"long", 2L},
                         {"ll", 3LL},
                         {"size", std::size_t{4}}}),
      // Doubles as JS writes them.
      LITERAL(R"([2.5,0.5,1,1e+21,1e-7,null,0,-1.25])", sio::value{2.5, 0.5f, 1.0, 1e21, 1e-7, std::nan(""), -0.0, -1.25}),
      // bool and null.
      LITERAL(R"({"t":true,"f":false,"n":null})", sio::value{{"t", true}, {"f", false}, {"n", nullptr}}),
      LITERAL("null", sio::value{nullptr}),
      LITERAL("true", sio::value{true}),
      // Anything sio::to_value converts.
      LITERAL(R"({"v":[1,2],"m":{"x":1},"none":null,"some":5,"item":{"name":"pen","qty":2}})",
              sio::value{{"v", std::vector<int>{1, 2}},
                         {"m", std::map<std::string, int>{{"x", 1}}},
                         {"none", std::optional<int>{}},
                         {"some", std::optional<int>{5}},
                         {"item", shop::item{"pen", 2}}}),
  };
  for (const auto& row : rows) {
    CAPTURE(row.written);
    CHECK(sent_as_argument(row.literal) == "2[\"t\"," + std::string(row.json) + "]");
  }
}

TEST_CASE("literals: binaries inside literals become attachments", "[value][literal]") {
  std::vector<sio::binary> attachments;
  CHECK(sent_as_argument(sio::value{{"file", sio::binary{1, 2}}, {"name", "f"}}, &attachments) ==
        R"(51-["t",{"file":{"_placeholder":true,"num":0},"name":"f"}])");
  REQUIRE(attachments.size() == 1);
  CHECK(attachments[0] == sio::binary{1, 2});

  CHECK(sent_as_argument(sio::value{sio::binary{1}, {"x", std::vector<std::uint8_t>{2}}}, &attachments) ==
        R"(52-["t",[{"_placeholder":true,"num":0},["x",{"_placeholder":true,"num":1}]]])");
  REQUIRE(attachments.size() == 2);
  CHECK(attachments[1] == sio::binary{2});

  // sio::value{b} is the binary itself.
  CHECK(sent_as_argument(sio::value{sio::binary{9}}, &attachments) == R"(51-["t",{"_placeholder":true,"num":0}])");
}

TEST_CASE("literals: braces copy a value, whatever the compiler's reading of CWG 1467/2137", "[value][literal]") {
  const sio::value object = sio::value{{"a", 1}};
  const sio::value copy{object};
  const sio::value copy_list = {object};
  CHECK(copy == object);
  CHECK(copy_list == object);
  CHECK(copy.is_object());

  sio::value big = sio::array{sio::binary(std::vector<std::uint8_t>(100, 1))};
  const auto* bytes = big[0].as_binary().data();
  sio::value moved{std::move(big)};
  CHECK(moved[0].as_binary().data() == bytes);  // moved through the literal, not copied

  const std::string name = "ann";
  CHECK(sio::value{name} == "ann");
  CHECK(sio::value{std::string_view{name}} == "ann");
  CHECK(sio::value{sio::binary{1}}.is_binary());
}

namespace {
// A stand-in for an emit-style API: a variadic template (which cannot take a braced list) beside a
// sio::value overload (which can). Returns which one was called.
struct emitter {
  template <class... A>
  std::string emit(std::string_view, A&&...) {
    return "template";
  }
  std::string emit(std::string_view, sio::value v) { return "value:" + sio::json::stringify(v); }
};
sio::value reply(bool ok) { return {{"ok", ok}}; }
}  // namespace

TEST_CASE("literals: where users write them, as arguments and return values", "[value][literal]") {
  emitter e;
  CHECK(e.emit("x", sio::value{{"a", 1}}) == R"(value:{"a":1})");  // an exact match for the value overload
  CHECK(e.emit("x", {{"a", 1}, {"rooms", {"r"}}}) == R"(value:{"a":1,"rooms":["r"]})");
  CHECK(e.emit("x", {"a", "b"}) == R"(value:["a","b"])");
  CHECK(e.emit("x", 1) == "template");  // everything else still goes to the template
  CHECK(e.emit("x", "s") == "template");
  CHECK(reply(true) == sio::value{{"ok", true}});
  sio::value v;
  v = {{"a", 1}};
  CHECK(v["a"] == 1);
  v = {1, 2};
  CHECK(v.as_array().size() == 2);
}

TEST_CASE("value: v[\"a\"][\"b\"] = x builds objects; const access never inserts", "[value]") {
  sio::value v;
  v["a"]["b"] = 1;
  v["a"]["c"] = {1, 2};
  v["d"] = {{"e", "f"}};
  CHECK(sio::json::stringify(v) == R"({"a":{"b":1,"c":[1,2]},"d":{"e":"f"}})");
  v["a"]["b"] = 2;  // an existing key: replaced in place
  CHECK(sio::json::stringify(v) == R"({"a":{"b":2,"c":[1,2]},"d":{"e":"f"}})");
  CHECK(v["a"]["c"][1] == 2);
  v["a"]["c"][1] = "x";
  CHECK(v.at("a").at("c").at(1) == "x");

  const sio::value& c = v;
  CHECK(c["a"]["b"] == 2);
  CHECK_THROWS_AS(c["missing"], std::out_of_range);
  CHECK_THROWS_AS(c["a"]["missing"], std::out_of_range);
  CHECK_THROWS_AS(v.at("missing"), std::out_of_range);  // at() never inserts, const or not
  CHECK_FALSE(v.contains("missing"));
  CHECK_THROWS_AS(c["a"]["c"]["x"], std::out_of_range);  // not an object: no such member

  // Arrays: indices are bounds-checked and never grow the array.
  CHECK_THROWS_AS(v["a"]["c"][2], std::out_of_range);
  CHECK_THROWS_AS(v["a"]["c"].at(5), std::out_of_range);
  CHECK(v["a"]["c"].as_array().size() == 2);
  sio::value null;
  CHECK_THROWS_AS(null[0], std::bad_variant_access);  // a null value is not an array
  // Neither null nor an object: no member can be inserted.
  sio::value number = 1;
  CHECK_THROWS_AS(number["a"], std::bad_variant_access);
}

// ------------------------------------------------------------------------------------------------
// Conversion errors

namespace {
template <class T>
struct tag {
  using type = T;
};
}  // namespace

TEST_CASE("conversion_error: index, expected C++ type, received JSON kind", "[convert][error]") {
  const auto error_of = [](auto tag, const sio::value* v, std::size_t index) {
    using T = typename decltype(tag)::type;
    try {
      sio::convert_argument<T>(v, index, "ev");
    } catch (const sio::conversion_error& e) {
      return e;
    }
    FAIL("no conversion_error");
    return sio::conversion_error(0, "", nullptr);
  };
  const sio::value text = "x";
  const auto e = error_of(tag<int>{}, &text, 2);
  CHECK(e.index() == 2);
  CHECK(e.expected() == "int");
  CHECK(e.received() == "string");
  CHECK(e.event() == "ev");
  CHECK(std::string(e.what()) == R"(argument 2 of "ev": expected int, got string)");

  const sio::value big = 300, fraction = 3.5, object = sio::value{{"a", 1}}, list = sio::value{1, "x"};
  const sio::value huge = std::numeric_limits<std::uint64_t>::max(), yes = true, null;
  CHECK(std::string(error_of(tag<std::uint8_t>{}, &big, 0).what()) == R"(argument 0 of "ev": expected unsigned char, got number 300)");
  CHECK(std::string(error_of(tag<long>{}, &fraction, 1).what()) == R"(argument 1 of "ev": expected long, got number 3.5)");
  CHECK(std::string(error_of(tag<std::int64_t>{}, &huge, 1).what()) ==
        R"(argument 1 of "ev": expected )" + sio::type_name<std::int64_t>() + ", got number 18446744073709551615");
  CHECK(std::string(error_of(tag<std::string>{}, nullptr, 3).what()) == R"(argument 3 of "ev": expected std::string, got undefined)");
  CHECK(error_of(tag<std::vector<int>>{}, &list, 0).expected() == "std::vector<int>");
  CHECK(error_of(tag<std::vector<int>>{}, &object, 0).received() == "object");
  CHECK(error_of(tag<std::map<std::string, double>>{}, &list, 0).received() == "array");
  CHECK(error_of(tag<std::map<std::string, double>>{}, &list, 0).expected() == "std::map<std::string, double>");
  CHECK(error_of(tag<bool>{}, &null, 0).received() == "null");
  CHECK(error_of(tag<std::optional<int>>{}, &yes, 0).expected() == "std::optional<int>");
  CHECK(error_of(tag<shop::item>{}, &yes, 0).expected() == "shop::item");
  CHECK(error_of(tag<legacy_id>{}, &yes, 0).received() == "boolean");
  CHECK(error_of(tag<legacy_id>{}, &yes, 0).expected() == "legacy_id");
  CHECK(error_of(tag<sio::binary>{}, &text, 0).expected() == "sio::binary");
  CHECK(error_of(tag<std::tuple<int, std::string>>{}, &text, 0).expected() == "std::tuple<int, std::string>");
  CHECK(error_of(tag<std::array<float, 2>>{}, &text, 0).expected() == "std::array<float, 2>");

  // What does convert.
  CHECK(sio::convert_argument<int>(&big, 0) == 300);
  CHECK_FALSE(sio::convert_argument<std::optional<int>>(nullptr, 0));  // missing: nullopt
  CHECK_FALSE(sio::convert_argument<std::optional<int>>(&null, 0));
  const sio::conversion_error plain(1, "int", &text);  // no event: no name in the message
  CHECK(std::string(plain.what()) == "argument 1: expected int, got string");
  const std::runtime_error& base = plain;  // catchable as a std::runtime_error
  CHECK(std::string(base.what()) == plain.what());
}

TEST_CASE("conversion_error: an event handler's argument that does not convert is described", "[convert][error]") {
  const auto call = [](auto handler, sio::arguments args) {
    auto erased = sio::detail::make_event_handler(std::move(handler));
    sio::ack_sender ack;
    sio::detail::event_call c{args, ack, true};
    c.event = "move";
    const auto result = erased(c);
    std::string message;
    if (c.conversion_error) {
      try {
        std::rethrow_exception(c.conversion_error);
      } catch (const sio::conversion_error& e) {
        message = e.what();
      }
    }
    return std::make_pair(result, message);
  };
  using sio::detail::invoke_result;
  int calls = 0;
  auto typed = [&](std::string, int) { ++calls; };
  CHECK(call(typed, {"a", 1}) == std::make_pair(invoke_result::called, std::string{}));
  CHECK(call(typed, {"a", "b"}) ==
        std::make_pair(invoke_result::bad_arguments, std::string(R"(argument 1 of "move": expected int, got string)")));
  CHECK(call(typed, {1, "b"}) ==  // the first argument that fails is the one reported
        std::make_pair(invoke_result::bad_arguments, std::string(R"(argument 0 of "move": expected std::string, got number 1)")));
  CHECK(call(typed, {"a"}) ==
        std::make_pair(invoke_result::bad_arguments, std::string(R"(argument 1 of "move": expected int, got undefined)")));
  // Ack and rest parameters take no argument index.
  auto with_ack = [&](sio::ack_sender, double, sio::arguments) { ++calls; };
  CHECK(call(with_ack, {"x"}) ==
        std::make_pair(invoke_result::bad_arguments, std::string(R"(argument 0 of "move": expected double, got string)")));
  auto after_rest = [&](std::string, sio::arguments, bool) { ++calls; };
  CHECK(call(after_rest, {"a", 2}) ==
        std::make_pair(invoke_result::bad_arguments, std::string(R"(argument 1 of "move": expected bool, got number 2)")));
  CHECK(calls == 1);
}
