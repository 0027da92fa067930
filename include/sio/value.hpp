#pragma once
// sio::value: the data model of Socket.IO payloads — JSON plus binary buffers.
//
// JavaScript event arguments are JSON values in which Buffers/ArrayBuffers may appear at any depth,
// so binary is a kind of its own here rather than something encoded into strings. Objects keep their
// members in insertion order (a vector of key/value pairs) because what we send must come out in the
// order it was built, exactly like JSON.stringify. This header does not depend on any JSON library.
//
// JSON literals. A value can be written as braces, as in JavaScript:
//
//   sio::value v = {{"from", nick}, {"rooms", {"a", "b"}}, {"n", 3}, {"ok", true}, {"nothing", nullptr}};
//   // {"from":"...","rooms":["a","b"],"n":3,"ok":true,"nothing":null}
//
// The rule, applied to every braced list {e1, ..., en} of a literal, innermost first:
//   1. A *pair* is a braced list of exactly two elements whose first element is a string
//      (a string literal, std::string, std::string_view or a sio::value holding a string).
//   2. A braced list is an object when every one of its elements is a pair: {{"a", 1}, {"b", 2}}.
//      Keys repeated in one literal keep their first position and their last value, as in a JS
//      object literal. {} nested inside a literal is therefore an empty object.
//   3. Otherwise it is an array: {"a", "b"}, {1, {"a", 2}} (a pair inside an array is a
//      2-element array), {{"a", 1}, 2}. A braced {x} nested inside a literal is the array [x].
//   4. Exception, for the list that initializes a sio::value itself (sio::value{...},
//      `sio::value v = {...}`, a sio::value parameter or return value, an element of sio::array{...},
//      a member value of sio::object{...}): one element that is not itself a braced list stands for
//      that element, not for a one-element array. So sio::value{x} is x for every x (a string, a
//      number, a binary, another sio::value: braces copy), with every compiler and in C++17 and
//      C++20 alike. sio::value{} and `sio::value v = {};` are null (C++ value-initialization).
// Elements are anything sio::value is constructible from (null as nullptr, bool, every integer
// type, float and double, strings, sio::binary, sio::array, sio::object, sio::value), and any type
// sio::to_value converts (std::vector<int>, std::map<std::string, T>, std::optional<T>, your own
// types with to_json; see convert.hpp).
//
// Only braces written in the literal are taken for pairs: values that are already arrays
// (sio::array, a sio::value holding an array, a converted std::pair) always stay arrays. That is the
// escape hatch for the ambiguous case, an array whose elements are 2-element string-first arrays:
//   sio::value pairs = sio::array{{"a", 1}, {"b", 2}};   // [["a",1],["b",2]], not {"a":1,"b":2}
// and, for the other forms, sio::array{x} is the one-element array [x], sio::array{} is [] and
// sio::object{} is {}. (sio::array{...} is a std::vector<sio::value> whose elements are
// sio::value literals, rule 4; sio::object{{"k", ...}} is a vector of key/value pairs, always an
// object, whose member values are sio::value literals.)
//
// Access: non-const operator[](key) makes a null value an object and inserts missing keys as null,
// so `v["a"]["b"] = x` builds {"a":{"b":x}}. Const operator[](key) and at(key) never insert: a
// missing key (or a value that is not an object) throws std::out_of_range. operator[](index) and
// at(index), const or not, are bounds-checked (std::out_of_range) and never grow an array, because
// indices often come from peers; push_back appends (and makes a null value an array).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace sio {

// Raw bytes: what a JS Buffer / ArrayBuffer / Blob becomes on this side.
//
// Copies share the bytes (copy on write): a packet whose placeholders name one attachment a
// thousand times holds it once, and the same bytes go out as every attachment frame that
// carries them. Mutable access (data(), begin()) first takes a private copy if they are shared.
// Thread safety: like std::string; copies may be used from different threads.
class binary {
 public:
  using value_type = std::uint8_t;
  using iterator = std::uint8_t*;
  using const_iterator = const std::uint8_t*;

  binary() = default;
  binary(const std::vector<std::uint8_t>& bytes) : binary(bytes.data(), bytes.size()) {}
  binary(std::initializer_list<std::uint8_t> bytes) : binary(bytes.begin(), bytes.size()) {}
  binary(const void* data, std::size_t size)
      : bytes_(size ? std::make_shared<std::string>(static_cast<const char*>(data), size) : nullptr) {}
  // Text is not binary by default: converting a string to bytes must be asked for.
  explicit binary(std::string_view bytes) : binary(bytes.data(), bytes.size()) {}
  explicit binary(const std::vector<std::byte>& bytes) : binary(bytes.data(), bytes.size()) {}
  // Takes the string's buffer, without copying (a received WebSocket frame, for example).
  static binary adopt(std::string&& bytes) {
    binary b;
    if (!bytes.empty()) b.bytes_ = std::make_shared<std::string>(std::move(bytes));
    return b;
  }

  const std::uint8_t* data() const noexcept { return bytes_ ? reinterpret_cast<const std::uint8_t*>(bytes_->data()) : nullptr; }
  std::uint8_t* data() { return bytes_ ? reinterpret_cast<std::uint8_t*>(own().data()) : nullptr; }
  std::size_t size() const noexcept { return bytes_ ? bytes_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const_iterator begin() const noexcept { return data(); }
  const_iterator end() const noexcept { return data() + size(); }
  iterator begin() { return data(); }
  iterator end() { return data() + size(); }

  // A copy of the bytes as a vector.
  std::vector<std::uint8_t> bytes() const { return {begin(), end()}; }

  // The bytes seen as chars, e.g. to hand them to a transport's send(const char*, size).
  std::string_view view() const noexcept { return bytes_ ? std::string_view{*bytes_} : std::string_view{}; }
  // The shared buffer itself (null when empty): a transport can send it without a copy.
  std::shared_ptr<const std::string> shared() const noexcept { return bytes_; }

  friend bool operator==(const binary& a, const binary& b) noexcept { return a.view() == b.view(); }
  friend bool operator!=(const binary& a, const binary& b) noexcept { return !(a == b); }

 private:
  // The bytes for writing: a private copy first if anyone else holds them.
  std::string& own() {
    if (bytes_.use_count() > 1) bytes_ = std::make_shared<std::string>(*bytes_);
    return *bytes_;
  }

  std::shared_ptr<std::string> bytes_;
};

class value;
using array = std::vector<value>;

// Conversions of other C++ types to and from sio::value (convert.hpp); literals use them.
template <class T, class Enable = void>
struct converter;

namespace detail {
class literal_element;
}
// Members in insertion order. Keys are unique when built through value's own member functions.
using object = std::vector<std::pair<std::string, value>>;

// `unsigned_integer` only ever holds values above INT64_MAX: every integer that fits in int64 is
// stored as `integer`, so there is one representation per number and no signedness to guess.
enum class value_kind { null, boolean, integer, unsigned_integer, floating, string, binary, array, object };

class value {
 public:
  value() noexcept = default;
  value(std::nullptr_t) noexcept {}

  // Templates so that pointers and other scalars do not silently become bools or numbers.
  template <class T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  value(T b) noexcept : data_(b) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  value(T n) noexcept : data_(make_integer(n)) {}
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  value(T d) noexcept : data_(static_cast<double>(d)) {}

  value(const char* s) : data_(std::string(s)) {}
  value(std::string_view s) : data_(std::string(s)) {}
  value(std::string s) noexcept : data_(std::move(s)) {}
  value(binary b) noexcept : data_(std::move(b)) {}
  value(sio::array a) noexcept : data_(std::move(a)) {}
  value(sio::object o) noexcept : data_(std::move(o)) {}
  // A JSON literal: {{"key", 1}, {"list", {1, 2}}}. See the rule in the header comment.
  value(std::initializer_list<detail::literal_element> elements);

  value_kind kind() const noexcept { return static_cast<value_kind>(data_.index()); }

  bool is_null() const noexcept { return kind() == value_kind::null; }
  bool is_bool() const noexcept { return kind() == value_kind::boolean; }
  bool is_int64() const noexcept { return kind() == value_kind::integer; }
  bool is_uint64() const noexcept { return kind() == value_kind::unsigned_integer; }
  bool is_integer() const noexcept { return is_int64() || is_uint64(); }
  bool is_double() const noexcept { return kind() == value_kind::floating; }
  bool is_number() const noexcept { return is_integer() || is_double(); }
  bool is_string() const noexcept { return kind() == value_kind::string; }
  bool is_binary() const noexcept { return kind() == value_kind::binary; }
  bool is_array() const noexcept { return kind() == value_kind::array; }
  bool is_object() const noexcept { return kind() == value_kind::object; }

  // Checked accessors: the wrong kind throws std::bad_variant_access (never UB).
  // For lenient, range-checked numeric conversions use sio::from_value (convert.hpp).
  bool as_bool() const { return std::get<bool>(data_); }
  std::int64_t as_int64() const { return std::get<std::int64_t>(data_); }
  std::uint64_t as_uint64() const { return std::get<std::uint64_t>(data_); }
  double as_double() const {  // any number, converted to double
    if (is_int64()) return static_cast<double>(as_int64());
    if (is_uint64()) return static_cast<double>(as_uint64());
    return std::get<double>(data_);
  }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  std::string& as_string() { return std::get<std::string>(data_); }
  const binary& as_binary() const { return std::get<binary>(data_); }
  binary& as_binary() { return std::get<binary>(data_); }
  const sio::array& as_array() const { return std::get<sio::array>(data_); }
  sio::array& as_array() { return std::get<sio::array>(data_); }
  const sio::object& as_object() const { return std::get<sio::object>(data_); }
  sio::object& as_object() { return std::get<sio::object>(data_); }

  // Non-throwing access: nullptr when the kind differs. T is one of std::nullptr_t, bool,
  // std::int64_t, std::uint64_t, double, std::string, binary, array, object.
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&data_);
  }
  template <class T>
  T* get_if() noexcept {
    return std::get_if<T>(&data_);
  }

  // --- arrays -----------------------------------------------------------------------------
  // Element access is bounds-checked (std::out_of_range) because indices often come from peers;
  // it never grows the array. Not an array: std::bad_variant_access.
  value& operator[](std::size_t index) { return as_array().at(index); }
  const value& operator[](std::size_t index) const { return as_array().at(index); }
  value& at(std::size_t index) { return as_array().at(index); }
  const value& at(std::size_t index) const { return as_array().at(index); }

  // Appends; a null value becomes an empty array first (so `value v; v.push_back(1);` works).
  value& push_back(value element) {
    if (is_null()) data_ = sio::array{};
    auto& elements = as_array();
    elements.push_back(std::move(element));
    return elements.back();
  }

  // --- objects ----------------------------------------------------------------------------
  // nullptr when this is not an object or has no such key.
  const value* find(std::string_view key) const noexcept { return find_member(*this, key); }
  value* find(std::string_view key) noexcept { return find_member(*this, key); }
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

  // Member lookup that never inserts; a missing key, or a value that is not an object, throws
  // std::out_of_range.
  const value& at(std::string_view key) const { return member_at(*this, key); }
  value& at(std::string_view key) { return member_at(*this, key); }
  const value& operator[](std::string_view key) const { return at(key); }

  // Member access that inserts null for a missing key (appended, keeping insertion order);
  // a null value becomes an empty object first, so v["a"]["b"] = x builds {"a":{"b":x}}.
  // Neither null nor an object: std::bad_variant_access.
  value& operator[](std::string_view key) {
    if (value* member = find(key)) return *member;
    return emplace(std::string(key), value{});
  }

  // Sets a member: replaces the value of an existing key in place (its position is kept, as when
  // assigning to an existing JS property), otherwise appends. A null value becomes an object first.
  value& emplace(std::string key, value member_value) {
    if (is_null()) data_ = sio::object{};
    auto& members = as_object();
    for (auto& member : members) {
      if (member.first == key) {
        member.second = std::move(member_value);
        return member.second;
      }
    }
    members.emplace_back(std::move(key), std::move(member_value));
    return members.back().second;
  }

  // Deep equality with JS semantics for numbers (1 == 1.0 whatever the storage) and for objects
  // (member order does not matter). Binary equals binary only, never an array of numbers.
  friend bool operator==(const value& a, const value& b) noexcept { return equal(a, b); }
  friend bool operator!=(const value& a, const value& b) noexcept { return !equal(a, b); }

 private:
  using storage = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, binary, sio::array, sio::object>;

  // Shared by the const and non-const find(): yields `const value*` or `value*` accordingly.
  template <class Self>
  static auto find_member(Self& self, std::string_view key) noexcept -> decltype(&self.as_object().front().second) {
    if (auto* members = self.template get_if<sio::object>())
      for (auto& member : *members)
        if (member.first == key) return &member.second;
    return nullptr;
  }

  template <class Self>
  static auto member_at(Self& self, std::string_view key) -> decltype(*self.find(key)) {
    if (auto* member = self.find(key)) return *member;
    throw std::out_of_range("sio::value: no member named '" + std::string(key) + "'");
  }

  template <class T>
  static storage make_integer(T n) noexcept {
    if constexpr (std::is_signed_v<T>) {
      return static_cast<std::int64_t>(n);
    } else {
      if (static_cast<std::uint64_t>(n) <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(n);
      return static_cast<std::uint64_t>(n);
    }
  }

  // Exact comparison of an integer with a double (no rounding through double).
  template <class Int>
  static bool equal_number(double d, Int n) noexcept {
    constexpr double two_pow_63 = 9223372036854775808.0;
    constexpr double upper = std::is_signed_v<Int> ? two_pow_63 : 2.0 * two_pow_63;
    constexpr double lower = std::is_signed_v<Int> ? -two_pow_63 : 0.0;
    if (!(d >= lower && d < upper) || std::trunc(d) != d) return false;
    return static_cast<Int>(d) == n;
  }

  static bool equal(const value& a, const value& b) noexcept {
    if (a.is_number() && b.is_number()) {
      if (a.kind() == b.kind()) return a.data_ == b.data_;
      if (a.is_integer() && b.is_integer()) return false;  // int64 and >INT64_MAX never meet
      const value& d = a.is_double() ? a : b;
      const value& n = a.is_double() ? b : a;
      return n.is_int64() ? equal_number(d.as_double(), n.as_int64()) : equal_number(d.as_double(), n.as_uint64());
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_object()) {
      const auto& members = a.as_object();
      if (members.size() != b.as_object().size()) return false;
      for (const auto& member : members) {
        const value* other = b.find(member.first);
        if (!other || !equal(member.second, *other)) return false;
      }
      return true;
    }
    if (a.is_array()) {
      const auto& x = a.as_array();
      const auto& y = b.as_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!equal(x[i], y[i])) return false;
      return true;
    }
    return a.data_ == b.data_;
  }

  storage data_;
};

static_assert(std::is_nothrow_move_constructible_v<value> && std::is_nothrow_move_assignable_v<value>,
              "sio::value must move cheaply: containers of values rely on it");

namespace detail {

// One element of a braced sio::value literal, as written: a value, a nested braced list (already
// read as an array or object), or a nested pair {"key", v} whose fate its parent list decides.
// Elements sit in a std::initializer_list, whose elements are const: what they hold is mutable so
// that the list that consumes them moves it out instead of copying it (each element is consumed
// once, by the literal it was written in).
class literal_element {
 public:
  template <class T, std::enable_if_t<!std::is_same_v<std::remove_cv_t<std::remove_reference_t<T>>, literal_element>, int> = 0>
  literal_element(T&& x) : value_(make(std::forward<T>(x))) {}

  literal_element(std::initializer_list<literal_element> elements) {
    if (elements.size() == 2 && elements.begin()->is_key()) {
      shape_ = shape::pair;
      key_ = std::move(elements.begin()->value_.as_string());
      value_ = elements.begin()[1].take();
    } else {
      shape_ = shape::list;
      value_ = list(elements);
    }
  }

  // A list that initializes a sio::value itself (rule 4): one unbraced element is that element.
  static value top_level(std::initializer_list<literal_element> elements) {
    if (elements.size() == 1 && elements.begin()->shape_ == shape::plain) return elements.begin()->take();
    return list(elements);
  }

 private:
  enum class shape : unsigned char { plain, list, pair };

  template <class T>
  static value make(T&& x) {
    if constexpr (std::is_constructible_v<value, T&&>) {
      return value(std::forward<T>(x));
    } else {
      value out;
      converter<std::remove_cv_t<std::remove_reference_t<T>>>::to(out, x);
      return out;
    }
  }

  bool is_key() const noexcept { return shape_ == shape::plain && value_.is_string(); }

  // Moves the element's value out; a pair that did not become a member is a 2-element array.
  value take() const {
    if (shape_ != shape::pair) return std::move(value_);
    sio::array pair;
    pair.reserve(2);
    pair.emplace_back(std::move(key_));
    pair.push_back(std::move(value_));
    return value(std::move(pair));
  }

  // Rules 2 and 3: an object when every element is a pair, otherwise an array.
  static value list(std::initializer_list<literal_element> elements) {
    bool all_pairs = true;
    for (const auto& element : elements) all_pairs = all_pairs && element.shape_ == shape::pair;
    if (!all_pairs) {
      sio::array result;
      result.reserve(elements.size());
      for (const auto& element : elements) result.push_back(element.take());
      return value(std::move(result));
    }
    sio::object members;
    members.reserve(elements.size());
    for (const auto& element : elements) {
      // A repeated key keeps its first position and takes the last value, as in JS. Literals
      // are written by hand and short: a linear search is cheaper than anything cleverer.
      auto same_key = [&](const auto& member) { return member.first == element.key_; };
      auto it = std::find_if(members.begin(), members.end(), same_key);
      if (it != members.end())
        it->second = std::move(element.value_);
      else
        members.emplace_back(std::move(element.key_), std::move(element.value_));
    }
    return value(std::move(members));
  }

  mutable value value_;
  mutable std::string key_;  // a pair's key
  shape shape_ = shape::plain;
};

}  // namespace detail

inline value::value(std::initializer_list<detail::literal_element> elements) : value(detail::literal_element::top_level(elements)) {}

}  // namespace sio

// Literals convert any type that sio::to_value converts: the converters come with value.hpp.
#include "sio/convert.hpp"
