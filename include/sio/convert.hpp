#pragma once
// Typed conversions between C++ values and sio::value (handler arguments, emit arguments, acks).
//
// Example:
//   std::map<std::string, int> x{{"a", 1}}, y;
//   sio::value v = sio::to_value(x);                       // C++ -> value; never fails
//   auto t = sio::from_value<std::map<std::string, int>>(v);  // value -> C++; nullopt when v does not fit
//   bool ok = sio::from_value(v, y);                       // same, into an existing object
//
// A failed conversion is always reported (nullopt / false), never UB and never an exception from
// the built-in conversions: wrong kind, an integer out of T's range, a number with a fraction for
// an integral T, a wrong array length for std::array/std::pair/std::tuple. With the bool form, `out`
// may be partly written when it fails. Numbers follow JavaScript, which has only one number type:
// an integral T accepts 3.0, a floating T accepts any number.
//
// Built-in mappings:
//   bool <-> boolean; integral types <-> numbers (range-checked); float/double <-> numbers;
//   std::string <-> string; std::string_view, const char*, char[N] -> string (to only);
//   std::nullptr_t <-> null; sio::value, sio::array, sio::object <-> themselves; sio::binary, std::vector<std::uint8_t> and
//   std::vector<std::byte> <-> binary (like a JS Buffer); std::vector<T>, std::list<T>,
//   std::deque<T>, std::array<T, N>, std::pair, std::tuple <-> arrays; std::map<std::string, T>,
//   std::unordered_map<std::string, T> <-> objects; std::optional<T> <-> T, or null for nullopt.
//
// Your own types: define free functions next to the type, found by argument-dependent lookup.
// Example:
//   namespace shop {
//   struct item { std::string name; int qty = 0; };
//
//   inline void to_json(sio::value& out, const item& i) {
//       out = sio::object{{"name", i.name}, {"qty", i.qty}};
//   }
//   inline bool from_json(const sio::value& in, item& i) {   // false = does not fit
//       const sio::value* name = in.find("name");
//       const sio::value* qty = in.find("qty");
//       return name && qty && sio::from_value(*name, i.name) && sio::from_value(*qty, i.qty);
//   }
//   }  // namespace shop
//
// from_json may also return void and report failure by throwing a std::exception, which
// from_value catches and turns into a failure. For types whose namespace you cannot add to,
// specialise sio::converter<T> instead (static void to(value&, const T&); static bool from(const
// value&, T&)).
//
// Errors with details: sio::conversion_error (below) says which argument did not convert, to
// what C++ type, and what JSON came instead. Event handlers report it (socket.on_error receives
// its what(), e.g. `argument 1 of "move": expected int, got string`), and
// sio::convert_argument<T>(v, index) throws it.

#include "sio/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sio {

// converter<T, Enable> is declared in value.hpp (its literals convert through it).

// C++ -> value.
template <class T>
value to_value(const T& x) {
  if constexpr (std::is_array_v<T>) {
    static_assert(std::is_same_v<std::remove_cv_t<std::remove_extent_t<T>>, char>,
                  "sio::to_value: of C arrays only string literals (char[N]) are supported");
    const std::string_view text(x, std::extent_v<T>);
    return value(text.substr(0, text.find('\0')));  // stop at the terminator, never read past N
  } else {
    value out;
    converter<T>::to(out, x);
    return out;
  }
}

// value -> C++, into `out`. Returns false when `in` does not fit T.
template <class T>
bool from_value(const value& in, T& out) {
  return converter<T>::from(in, out);
}

// value -> C++. nullopt when `in` does not fit T. T must be default-constructible.
template <class T>
std::optional<T> from_value(const value& in) {
  std::optional<T> out{std::in_place};
  if (!converter<T>::from(in, *out)) out.reset();
  return out;
}

namespace detail::adl {
// Poison pills: hide any other to_json/from_json from ordinary lookup so that only
// argument-dependent lookup (the user's namespace) can supply them.
void to_json() = delete;
void from_json() = delete;

template <class T, class = void>
struct has_to_json : std::false_type {};
template <class T>
struct has_to_json<T, std::void_t<decltype(to_json(std::declval<value&>(), std::declval<const T&>()))>> : std::true_type {};

template <class T, class = void>
struct has_from_json : std::false_type {};
template <class T>
struct has_from_json<T, std::void_t<decltype(from_json(std::declval<const value&>(), std::declval<T&>()))>> : std::true_type {};

template <class T>
void call_to_json(value& out, const T& x) {
  static_assert(has_to_json<T>::value,
                "sio: no conversion to sio::value for this type. Define `void to_json(sio::value&, const T&)` "
                "in T's namespace, or specialise sio::converter<T>.");
  to_json(out, x);
}

template <class T>
bool call_from_json(const value& in, T& out) {
  static_assert(has_from_json<T>::value,
                "sio: no conversion from sio::value for this type. Define `bool from_json(const sio::value&, T&)` "
                "in T's namespace, or specialise sio::converter<T>.");
  using result = decltype(from_json(in, out));
  if constexpr (std::is_void_v<result>) {
    try {
      from_json(in, out);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  } else {
    static_assert(std::is_convertible_v<result, bool>, "sio: from_json must return bool (or void)");
    return static_cast<bool>(from_json(in, out));
  }
}
}  // namespace detail::adl

// Primary template: user types, through ADL to_json / from_json.
template <class T, class Enable>
struct converter {
  static void to(value& out, const T& x) { detail::adl::call_to_json(out, x); }
  static bool from(const value& in, T& out) { return detail::adl::call_from_json(in, out); }
};

template <>
struct converter<value> {
  static void to(value& out, const value& x) { out = x; }
  static bool from(const value& in, value& out) {
    out = in;
    return true;
  }
};

// sio::array / sio::object are vectors, but they are the value's own arrays and objects.
template <>
struct converter<sio::array> {
  static void to(value& out, const sio::array& x) { out = x; }
  static bool from(const value& in, sio::array& out) {
    if (!in.is_array()) return false;
    out = in.as_array();
    return true;
  }
};
template <>
struct converter<sio::object> {
  static void to(value& out, const sio::object& x) { out = x; }
  static bool from(const value& in, sio::object& out) {
    if (!in.is_object()) return false;
    out = in.as_object();
    return true;
  }
};

template <>
struct converter<std::nullptr_t> {
  static void to(value& out, std::nullptr_t) { out = nullptr; }
  static bool from(const value& in, std::nullptr_t& out) {
    out = nullptr;
    return in.is_null();
  }
};

template <>
struct converter<bool> {
  static void to(value& out, bool b) { out = b; }
  static bool from(const value& in, bool& out) {
    if (!in.is_bool()) return false;
    out = in.as_bool();
    return true;
  }
};

template <class T>
struct converter<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static void to(value& out, T n) { out = n; }

  static bool from(const value& in, T& out) {
    using limits = std::numeric_limits<T>;
    if (in.is_int64()) {
      const std::int64_t n = in.as_int64();
      if constexpr (std::is_signed_v<T>) {
        if (n < static_cast<std::int64_t>(limits::min()) || n > static_cast<std::int64_t>(limits::max())) return false;
      } else {
        if (n < 0 || static_cast<std::uint64_t>(n) > static_cast<std::uint64_t>(limits::max())) return false;
      }
      out = static_cast<T>(n);
      return true;
    }
    if (in.is_uint64()) {  // always > INT64_MAX
      if (in.as_uint64() > static_cast<std::uint64_t>(limits::max())) return false;
      out = static_cast<T>(in.as_uint64());
      return true;
    }
    if (in.is_double()) {
      // JS numbers are doubles: 3.0 is a perfectly good 3. Bounds are powers of two, exact in double.
      const double d = in.as_double();
      const double upper = std::ldexp(1.0, limits::digits);  // max() + 1
      const double lower = static_cast<double>(limits::min());
      if (!(d >= lower && d < upper) || std::trunc(d) != d) return false;
      out = static_cast<T>(d);
      return true;
    }
    return false;
  }
};

template <class T>
struct converter<T, std::enable_if_t<std::is_floating_point_v<T>>> {
  static void to(value& out, T d) { out = d; }
  static bool from(const value& in, T& out) {
    if (!in.is_number()) return false;
    const double d = in.as_double();
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(d);
    return true;
  }
};

template <>
struct converter<std::string> {
  static void to(value& out, const std::string& s) { out = s; }
  static bool from(const value& in, std::string& out) {
    if (!in.is_string()) return false;
    out = in.as_string();
    return true;
  }
};

// Views and C strings only go out: a view into a value could dangle.
template <>
struct converter<std::string_view> {
  static void to(value& out, std::string_view s) { out = s; }
};
template <>
struct converter<const char*> {
  static void to(value& out, const char* s) {
    if (s)
      out = s;
    else
      out = nullptr;
  }
};
template <>
struct converter<char*> : converter<const char*> {};

template <>
struct converter<binary> {
  static void to(value& out, const binary& b) { out = b; }
  static bool from(const value& in, binary& out) {
    if (!in.is_binary()) return false;
    out = in.as_binary();
    return true;
  }
};

// Byte vectors are buffers, not arrays of numbers (a JS Buffer on the other side).
template <>
struct converter<std::vector<std::uint8_t>> {
  static void to(value& out, const std::vector<std::uint8_t>& bytes) { out = binary(bytes); }
  static bool from(const value& in, std::vector<std::uint8_t>& out) {
    if (!in.is_binary()) return false;
    out = in.as_binary().bytes();
    return true;
  }
};
template <>
struct converter<std::vector<std::byte>> {
  static void to(value& out, const std::vector<std::byte>& bytes) { out = binary(bytes); }
  static bool from(const value& in, std::vector<std::byte>& out) {
    if (!in.is_binary()) return false;
    const binary& b = in.as_binary();
    out.resize(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = static_cast<std::byte>(b.data()[i]);
    return true;
  }
};

namespace detail {
// Shared by the growable sequences (vector, list, deque).
template <class Sequence>
struct sequence_converter {
  static void to(value& out, const Sequence& elements) {
    sio::array result;
    result.reserve(elements.size());
    for (const auto& element : elements) result.push_back(to_value(element));
    out = std::move(result);
  }
  static bool from(const value& in, Sequence& out) {
    const auto* elements = in.get_if<sio::array>();
    if (!elements) return false;
    Sequence result;
    for (const value& element : *elements) {
      typename Sequence::value_type converted{};
      if (!from_value(element, converted)) return false;
      result.push_back(std::move(converted));
    }
    out = std::move(result);
    return true;
  }
};

// Shared by the string-keyed maps.
template <class Map>
struct map_converter {
  static void to(value& out, const Map& members) {
    sio::object result;
    result.reserve(members.size());
    for (const auto& member : members) result.emplace_back(member.first, to_value(member.second));
    out = std::move(result);
  }
  static bool from(const value& in, Map& out) {
    const auto* members = in.get_if<sio::object>();
    if (!members) return false;
    Map result;
    for (const auto& member : *members) {
      typename Map::mapped_type converted{};
      if (!from_value(member.second, converted)) return false;
      result.insert_or_assign(member.first, std::move(converted));
    }
    out = std::move(result);
    return true;
  }
};

// Fixed-size tuple-likes (std::array, std::pair, std::tuple): an array of exactly that length.
template <class Tuple>
struct tuple_converter {
  static constexpr std::size_t size = std::tuple_size_v<Tuple>;

  static void to(value& out, const Tuple& t) {
    sio::array result;
    result.reserve(size);
    std::apply([&](const auto&... elements) { (result.push_back(to_value(elements)), ...); }, t);
    out = std::move(result);
  }
  static bool from(const value& in, Tuple& out) {
    const auto* elements = in.get_if<sio::array>();
    if (!elements || elements->size() != size) return false;
    return from_each(*elements, out, std::make_index_sequence<size>{});
  }

 private:
  template <std::size_t... I>
  static bool from_each(const sio::array& elements, Tuple& out, std::index_sequence<I...>) {
    return (from_value(elements[I], std::get<I>(out)) && ...);
  }
};
}  // namespace detail

template <class T, class A>
struct converter<std::vector<T, A>, std::enable_if_t<!std::is_same_v<T, std::uint8_t> && !std::is_same_v<T, std::byte>>>
    : detail::sequence_converter<std::vector<T, A>> {};
template <class T, class A>
struct converter<std::list<T, A>> : detail::sequence_converter<std::list<T, A>> {};
template <class T, class A>
struct converter<std::deque<T, A>> : detail::sequence_converter<std::deque<T, A>> {};

template <class T, std::size_t N>
struct converter<std::array<T, N>> : detail::tuple_converter<std::array<T, N>> {};
template <class A, class B>
struct converter<std::pair<A, B>> : detail::tuple_converter<std::pair<A, B>> {};
template <class... Ts>
struct converter<std::tuple<Ts...>> : detail::tuple_converter<std::tuple<Ts...>> {};

template <class T, class C, class A>
struct converter<std::map<std::string, T, C, A>> : detail::map_converter<std::map<std::string, T, C, A>> {};
template <class T, class H, class E, class A>
struct converter<std::unordered_map<std::string, T, H, E, A>> : detail::map_converter<std::unordered_map<std::string, T, H, E, A>> {};

template <class T>
struct converter<std::optional<T>> {
  static void to(value& out, const std::optional<T>& x) {
    if (x)
      out = to_value(*x);
    else
      out = nullptr;
  }
  static bool from(const value& in, std::optional<T>& out) {
    if (in.is_null()) {
      out.reset();
      return true;
    }
    T converted{};
    if (!from_value(in, converted)) return false;
    out = std::move(converted);
    return true;
  }
};

// ------------------------------------------------------------------------------------------------
// Conversion errors

// The C++ name a conversion error gives T: "int", "std::string", "std::vector<int>",
// "std::optional<double>", "shop::item" (for your own types, the compiler's spelling of the name).
template <class T>
std::string type_name();

namespace detail {
// The compiler's name for T, cut out of the signature of this function.
template <class T>
constexpr std::string_view compiler_type_name() noexcept {
#if defined(__clang__) || defined(__GNUC__)
  // clang: "... compiler_type_name() [T = shop::item]"
  // g++:   "... compiler_type_name() [with T = shop::item; std::string_view = ...]"
  const std::string_view signature = __PRETTY_FUNCTION__;
  const std::size_t start = signature.find("T = ") + 4;
  std::size_t end = signature.find("; ", start);
  if (end == std::string_view::npos) end = signature.rfind(']');
  return signature.substr(start, end - start);
#elif defined(_MSC_VER)
  // "... compiler_type_name<struct shop::item>(void) noexcept"
  std::string_view name = __FUNCSIG__;
  name.remove_prefix(name.find("compiler_type_name<") + 19);
  name = name.substr(0, name.rfind(">(void)"));
  for (std::string_view tag : {"struct ", "class ", "enum ", "union "})
    if (name.substr(0, tag.size()) == tag) name.remove_prefix(tag.size());
  return name;
#else
  return "a C++ type";
#endif
}

template <class T>
struct type_name_of {
  static std::string get() {
    if constexpr (std::is_same_v<T, bool>)
      return "bool";
    else if constexpr (std::is_same_v<T, char>)
      return "char";
    else if constexpr (std::is_same_v<T, signed char>)
      return "signed char";
    else if constexpr (std::is_same_v<T, unsigned char>)
      return "unsigned char";
    else if constexpr (std::is_same_v<T, short>)
      return "short";
    else if constexpr (std::is_same_v<T, unsigned short>)
      return "unsigned short";
    else if constexpr (std::is_same_v<T, int>)
      return "int";
    else if constexpr (std::is_same_v<T, unsigned>)
      return "unsigned int";
    else if constexpr (std::is_same_v<T, long>)
      return "long";
    else if constexpr (std::is_same_v<T, unsigned long>)
      return "unsigned long";
    else if constexpr (std::is_same_v<T, long long>)
      return "long long";
    else if constexpr (std::is_same_v<T, unsigned long long>)
      return "unsigned long long";
    else if constexpr (std::is_same_v<T, float>)
      return "float";
    else if constexpr (std::is_same_v<T, double>)
      return "double";
    else if constexpr (std::is_same_v<T, long double>)
      return "long double";
    else if constexpr (std::is_same_v<T, std::string>)
      return "std::string";
    else if constexpr (std::is_same_v<T, std::nullptr_t>)
      return "std::nullptr_t";
    else if constexpr (std::is_same_v<T, value>)
      return "sio::value";
    else if constexpr (std::is_same_v<T, sio::array>)
      return "sio::array";
    else if constexpr (std::is_same_v<T, sio::object>)
      return "sio::object";
    else if constexpr (std::is_same_v<T, binary>)
      return "sio::binary";
    else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>)
      return "std::vector<std::uint8_t>";
    else if constexpr (std::is_same_v<T, std::vector<std::byte>>)
      return "std::vector<std::byte>";
    else
      return std::string(compiler_type_name<T>());
  }
};

template <class... Ts>
std::string type_names() {
  std::string names;
  ((names += (names.empty() ? "" : ", ") + type_name<Ts>()), ...);
  return names;
}

template <class T, class A>
struct type_name_of<std::vector<T, A>> {
  static std::string get() {
    if constexpr (std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::byte>)
      return std::string(compiler_type_name<std::vector<T, A>>());
    else
      return "std::vector<" + type_name<T>() + ">";
  }
};
template <class T, class A>
struct type_name_of<std::list<T, A>> {
  static std::string get() { return "std::list<" + type_name<T>() + ">"; }
};
template <class T, class A>
struct type_name_of<std::deque<T, A>> {
  static std::string get() { return "std::deque<" + type_name<T>() + ">"; }
};
template <class T, std::size_t N>
struct type_name_of<std::array<T, N>> {
  static std::string get() { return "std::array<" + type_name<T>() + ", " + std::to_string(N) + ">"; }
};
template <class A, class B>
struct type_name_of<std::pair<A, B>> {
  static std::string get() { return "std::pair<" + type_names<A, B>() + ">"; }
};
template <class... Ts>
struct type_name_of<std::tuple<Ts...>> {
  static std::string get() { return "std::tuple<" + type_names<Ts...>() + ">"; }
};
template <class T, class C, class A>
struct type_name_of<std::map<std::string, T, C, A>> {
  static std::string get() { return "std::map<std::string, " + type_name<T>() + ">"; }
};
template <class T, class H, class E, class A>
struct type_name_of<std::unordered_map<std::string, T, H, E, A>> {
  static std::string get() { return "std::unordered_map<std::string, " + type_name<T>() + ">"; }
};
template <class T>
struct type_name_of<std::optional<T>> {
  static std::string get() { return "std::optional<" + type_name<T>() + ">"; }
};

// A missing argument converts to std::optional<T> (nullopt), to nothing else.
template <class T>
struct accepts_missing : std::false_type {};
template <class T>
struct accepts_missing<std::optional<T>> : std::true_type {};

// A number as the error message shows it (shortest round-trip form).
template <class N>
std::string number_text(N n) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
  return std::string(buffer, result.ptr);
}
}  // namespace detail

template <class T>
std::string type_name() {
  return detail::type_name_of<std::remove_cv_t<T>>::get();
}

// The JSON kind of a value as JavaScript names it: "null", "boolean", "number", "string",
// "binary", "array", "object"; "undefined" for no value at all (an argument that was not sent).
inline std::string_view kind_name(const value* v) noexcept {
  if (!v) return "undefined";
  switch (v->kind()) {
    case value_kind::null: return "null";
    case value_kind::boolean: return "boolean";
    case value_kind::integer:
    case value_kind::unsigned_integer:
    case value_kind::floating: return "number";
    case value_kind::string: return "string";
    case value_kind::binary: return "binary";
    case value_kind::array: return "array";
    case value_kind::object: return "object";
  }
  return "unknown";
}

// An event argument that does not convert to the handler's parameter type.
//   index()    - its position among the event's arguments, from 0 (the event name not counted),
//                as in sio::arguments: args[e.index()] is the argument that failed
//   expected() - the C++ parameter type (type_name<T>())
//   received() - the JSON kind that came (kind_name()), "undefined" when the argument is missing
//   event()    - the event's name, when known
// what(): `argument 1 of "move": expected int, got string`; a number that is the right kind but
// does not fit also shows its value: `argument 0: expected unsigned char, got number 300`.
class conversion_error : public std::runtime_error {
 public:
  conversion_error(std::size_t index, std::string expected, const value* received, std::string event = {})
      : std::runtime_error(message(index, expected, received, event)),
        index_(index),
        expected_(std::move(expected)),
        received_(kind_name(received)),
        event_(std::move(event)) {}

  std::size_t index() const noexcept { return index_; }
  const std::string& expected() const noexcept { return expected_; }
  const std::string& received() const noexcept { return received_; }
  const std::string& event() const noexcept { return event_; }

 private:
  static std::string message(std::size_t index, const std::string& expected, const value* received, const std::string& event) {
    std::string text = "argument " + std::to_string(index);
    if (!event.empty()) text += " of \"" + event + "\"";
    text += ": expected " + expected + ", got ";
    text += kind_name(received);
    if (received && received->is_int64())
      text += " " + detail::number_text(received->as_int64());
    else if (received && received->is_uint64())
      text += " " + detail::number_text(received->as_uint64());
    else if (received && received->is_double())
      text += " " + detail::number_text(received->as_double());
    return text;
  }

  std::size_t index_;
  std::string expected_;
  std::string received_;
  std::string event_;
};

// Argument `index` of an event converted to T, or a conversion_error saying why not. `v` is null
// when the argument is missing; a std::optional<U> T accepts that, and null, as nullopt.
template <class T>
T convert_argument(const value* v, std::size_t index, std::string_view event = {}) {
  T out{};
  if (v ? from_value(*v, out) : detail::accepts_missing<T>::value) return out;
  throw conversion_error(index, type_name<T>(), v, std::string(event));
}

}  // namespace sio
