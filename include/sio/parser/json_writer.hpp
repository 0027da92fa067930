#pragma once
// sio::json::writer: sio::value -> JSON text, byte for byte what JavaScript's JSON.stringify
// writes for the same data. json::write() and json::stringify() are the usual entry points; they
// use one writer per thread. Strings go through the one escaper, detail/json_string.hpp.
//
// Reading is json_reader.hpp's. This header does not depend on RapidJSON.

#include "sio/detail/json_string.hpp"
#include "sio/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sio::json {

namespace detail {

// Where the writer puts its text: the writer's byte buffer, whose appends the compiler inlines
// (std::string's are calls into libstdc++, a score of them per small packet), copied to the
// caller's string once at the end. It offers the few std::string members the writer uses.
class text_sink {
 public:
  explicit text_sink(std::vector<char>& bytes) : bytes_(bytes) { bytes_.clear(); }
  void push_back(char c) { bytes_.push_back(c); }
  void append(const char* p, std::size_t n) { bytes_.insert(bytes_.end(), p, p + n); }
  void append(const char* s) { append(s, std::strlen(s)); }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void append(std::size_t n, char c) { bytes_.insert(bytes_.end(), n, c); }
  void copy_to(std::string& out) const { out.append(bytes_.data(), bytes_.size()); }

 private:
  std::vector<char>& bytes_;
};

// A JSON string, quotes included, as JSON.stringify writes it (see detail/json_string.hpp).
inline void write_string(std::string_view s, text_sink& out) { sio::detail::append_json_escaped<true>(out, s); }

template <class Int, class Out>
void write_integer(Int n, Out& out) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), n);
  out.append(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
}

// A double as JS's Number.prototype.toString (ECMA-262 Number::toString) writes it: the shortest
// digits that round-trip, plain notation for 1e-7 < |x| < 1e21, otherwise d.ddde±n. NaN and the
// infinities are not JSON: JSON.stringify writes null. -0 is written 0.
inline void write_double(double d, text_sink& out) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  if (d == 0) {
    out.push_back('0');
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02": take digits and exponent.
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d, std::chars_format::scientific);
  const std::string_view sci(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  const std::size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  if (mantissa.front() == '-') {
    out.push_back('-');
    mantissa.remove_prefix(1);
  }
  std::array<char, 20> digit_buffer{};  // at most 17 significant digits
  std::size_t k = 0;
  for (char c : mantissa)
    if (c != '.') digit_buffer[k++] = c;
  const std::string_view digits(digit_buffer.data(), k);
  int exponent = 0;
  const std::string_view exp_text = sci.substr(e_pos + 1);
  std::from_chars(exp_text.data() + (exp_text.front() == '+' ? 1 : 0), exp_text.data() + exp_text.size(), exponent);
  const int n = exponent + 1;  // value = 0.digits × 10^n
  const int count = static_cast<int>(k);

  if (count <= n && n <= 21) {  // integral: digits then zeros
    out.append(digits);
    out.append(static_cast<std::size_t>(n - count), '0');
  } else if (0 < n && n <= 21) {  // decimal point inside the digits
    out.append(digits.substr(0, static_cast<std::size_t>(n)));
    out.push_back('.');
    out.append(digits.substr(static_cast<std::size_t>(n)));
  } else if (-6 < n && n <= 0) {  // 0.000ddd
    out.append("0.");
    out.append(static_cast<std::size_t>(-n), '0');
    out.append(digits);
  } else {  // exponential
    out.push_back(digits.front());
    if (count > 1) {
      out.push_back('.');
      out.append(digits.substr(1));
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    write_integer(n - 1 < 0 ? 1 - n : n - 1, out);
  }
}

// What JSON.stringify does with a Node Buffer (Buffer.prototype.toJSON).
inline void write_buffer_object(const binary& bytes, text_sink& out) {
  out.append(R"({"type":"Buffer","data":[)");
  bool first = true;
  for (std::uint8_t byte : bytes) {
    if (!first) out.push_back(',');
    first = false;
    write_integer(static_cast<unsigned>(byte), out);
  }
  out.append("]}");
}

// Writes `v`; every binary is handed to on_binary(const binary&, text_sink& out), which writes
// whatever stands for it (the encoder writes a placeholder there).
template <class OnBinary>
void write_value(const value& v, text_sink& out, OnBinary& on_binary) {
  switch (v.kind()) {
    case value_kind::null: out.append("null"); break;
    case value_kind::boolean: out.append(v.as_bool() ? "true" : "false"); break;
    case value_kind::integer: write_integer(v.as_int64(), out); break;
    case value_kind::unsigned_integer: write_integer(v.as_uint64(), out); break;
    case value_kind::floating: write_double(v.as_double(), out); break;
    case value_kind::string: write_string(v.as_string(), out); break;
    case value_kind::binary: on_binary(v.as_binary(), out); break;
    case value_kind::array: {
      out.push_back('[');
      bool first = true;
      for (const value& element : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        write_value(element, out, on_binary);
      }
      out.push_back(']');
      break;
    }
    case value_kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : v.as_object()) {
        if (!first) out.push_back(',');
        first = false;
        write_string(member.first, out);
        out.push_back(':');
        write_value(member.second, out, on_binary);
      }
      out.push_back('}');
      break;
    }
  }
}

}  // namespace detail

// Writes sio::value as JSON. It keeps its buffer between writes: keep one per thread (write()
// does), not one per message. Thread safety: one writer per thread.
class writer {
 public:
  // Appends `v` as JSON to `out`; every binary is handed to on_binary(const binary&,
  // detail::text_sink&), which writes whatever stands for it (the encoder writes a placeholder).
  template <class OnBinary>
  void write(const value& v, std::string& out, OnBinary& on_binary) {
    detail::text_sink sink(bytes_);
    detail::write_value(v, sink, on_binary);
    sink.copy_to(out);
    if (bytes_.capacity() > 64 * 1024) std::vector<char>{}.swap(bytes_);  // do not keep a huge one
  }

  // Appends `v` as compact JSON, exactly as JavaScript's JSON.stringify would write the same
  // data: no whitespace, members in insertion order, integers as integers, doubles as
  // Number#toString (1.0 -> 1, 1e21 -> 1e+21, 1e-7 -> 1e-7, NaN/Infinity -> null). A binary is
  // written the way JSON.stringify writes a Node Buffer: {"type":"Buffer","data":[1,2,3]}. (The
  // Socket.IO encoder does not use this form: it moves binaries out as attachments.)
  void write(const value& v, std::string& out) {
    auto as_buffer_object = [](const binary& bytes, detail::text_sink& text) { detail::write_buffer_object(bytes, text); };
    write(v, out, as_buffer_object);
  }

 private:
  std::vector<char> bytes_;
};

namespace detail {
// writer::write with this thread's writer.
inline writer& thread_writer() {
  thread_local writer per_thread;
  return per_thread;
}

template <class OnBinary>
void write_to_string(const value& v, std::string& out, OnBinary& on_binary) {
  thread_writer().write(v, out, on_binary);
}
}  // namespace detail

// writer::write with this thread's writer.
inline void write(const value& v, std::string& out) { detail::thread_writer().write(v, out); }

inline std::string stringify(const value& v) {
  std::string out;
  write(v, out);
  return out;
}

}  // namespace sio::json
