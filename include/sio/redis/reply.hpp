#pragma once
// One RESP2 reply as sio keeps it: nil, status, error, integer, bulk string (binary-safe) or array.
// reader.hpp builds it straight from hiredis's reader, without a redisReply in between.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::redis {

class reply {
 public:
  enum class type { nil, status, error, integer, string, array };

  reply() = default;  // nil
  static reply make_status(std::string s) { return reply(type::status, std::move(s)); }
  static reply make_error(std::string s) { return reply(type::error, std::move(s)); }
  static reply make_string(std::string s) { return reply(type::string, std::move(s)); }
  static reply make_integer(long long v) {
    reply r;
    r.type_ = type::integer;
    r.integer_ = v;
    return r;
  }
  static reply make_array() {
    reply r;
    r.type_ = type::array;
    return r;
  }

  type kind() const noexcept { return type_; }
  bool is_nil() const noexcept { return type_ == type::nil; }
  bool is_status() const noexcept { return type_ == type::status; }
  bool is_error() const noexcept { return type_ == type::error; }
  bool is_integer() const noexcept { return type_ == type::integer; }
  bool is_string() const noexcept { return type_ == type::string; }
  bool is_array() const noexcept { return type_ == type::array; }

  /// The text of a status or an error, or the bytes of a bulk string; empty for the other types.
  const std::string& str() const noexcept { return string_; }
  std::string& str() noexcept { return string_; }
  long long integer() const noexcept { return integer_; }
  const std::vector<reply>& elements() const noexcept { return elements_; }
  std::vector<reply>& elements() noexcept { return elements_; }

  /// Whether this is a bulk string or status equal to `s` (pub/sub kinds, "OK").
  bool equals(std::string_view s) const noexcept { return (type_ == type::string || type_ == type::status) && string_ == s; }

 private:
  reply(type t, std::string s) : type_(t), string_(std::move(s)) {}

  type type_ = type::nil;
  long long integer_ = 0;
  std::string string_;
  std::vector<reply> elements_;
};

}  // namespace sio::redis
