#pragma once
// A Redis server address: redis://[user[:password]@]host[:port][/db], or rediss:// for TLS.
//
// - user and password are percent-decoded ("p%40ss" is "p@ss"); "redis://:password@host" has a
//   password and no user (AUTH password), "redis://user:password@host" both (AUTH user password,
//   an ACL user). A user without a password is refused: AUTH needs one.
// - host is a name, an IPv4 address or a bracketed IPv6 address ("[::1]", kept without brackets);
// - port defaults to 6379; db, when given, is selected with SELECT after AUTH. Pub/sub ignores the
//   db: a db number isolates keys, not channels.
// Query strings and fragments are refused rather than ignored.
//
// Example:
//   #include <sio/redis/url.hpp>
//   auto u = sio::redis::url::parse("rediss://app:s3cr%3At@[::1]:6380/2");
//   // u.tls, u.user == "app", *u.password == "s3cr:t", u.host == "::1", u.port == 6380, *u.db == 2
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sio::redis {

/// A URL url::parse refuses; what() says what is wrong with it.
class url_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class url {
 public:
  bool tls = false;
  std::string host;
  std::uint16_t port = 6379;
  std::string user;                     ///< empty: the default user
  std::optional<std::string> password;  ///< set: AUTH is sent
  std::optional<unsigned> db;           ///< set: SELECT is sent

  /// Parses `text`; throws url_error naming the problem.
  static url parse(std::string_view text) {
    url u;
    std::string_view rest;
    if (starts_with_nocase(text, "redis://")) {
      rest = text.substr(8);
    } else if (starts_with_nocase(text, "rediss://")) {
      u.tls = true;
      rest = text.substr(9);
    } else {
      fail(text, "the scheme must be redis:// or rediss://");
    }
    if (rest.find_first_of("?#") != std::string_view::npos) fail(text, "query strings and fragments are not supported");

    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path = rest.substr(authority.size());

    // userinfo: up to the last '@' (a raw '@' in a password belongs percent-encoded, but be lenient).
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      authority = authority.substr(at + 1);
      auto colon = userinfo.find(':');
      u.user = decode(text, userinfo.substr(0, colon));
      if (colon != std::string_view::npos) u.password = decode(text, userinfo.substr(colon + 1));
      if (!u.password && !u.user.empty()) fail(text, "a user needs a password (user:password@)");
      if (u.password && u.password->empty() && u.user.empty()) u.password.reset();  // "redis://:@host"
    }

    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
      auto close = authority.find(']');
      if (close == std::string_view::npos) fail(text, "an IPv6 address needs its closing ']'");
      u.host = std::string(authority.substr(1, close - 1));
      if (u.host.empty() || u.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
        fail(text, "the IPv6 address is not valid");
      std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') fail(text, "only :port may follow the IPv6 address");
        port = after.substr(1);
        if (port.empty()) fail(text, "the port is empty");
      }
    } else {
      auto colon = authority.find(':');
      u.host = std::string(authority.substr(0, colon));
      if (colon != std::string_view::npos) {
        port = authority.substr(colon + 1);
        if (port.empty()) fail(text, "the port is empty");
      }
      if (u.host.find_first_of(" []%") != std::string::npos) fail(text, "the host is not valid");
    }
    if (u.host.empty()) fail(text, "the host is missing");
    if (!port.empty()) {
      unsigned long value = 0;
      if (!parse_number(port, 65535, value) || value == 0) fail(text, "the port must be a number from 1 to 65535");
      u.port = static_cast<std::uint16_t>(value);
    }

    if (path.size() > 1) {
      unsigned long value = 0;
      if (!parse_number(path.substr(1), 1000000, value)) fail(text, "the path must be /db, a database number");
      u.db = static_cast<unsigned>(value);
    }
    return u;
  }

 private:
  [[noreturn]] static void fail(std::string_view text, const char* why) {
    // The URL may hold a password: the message names the problem, not the URL.
    (void)text;
    throw url_error(std::string("invalid Redis URL: ") + why);
  }

  static bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  }

  static bool parse_number(std::string_view digits, unsigned long max, unsigned long& value) {
    if (digits.empty() || digits.size() > 7) return false;
    value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    return value <= max;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static std::string decode(std::string_view text, std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '%') {
        out += s[i];
        continue;
      }
      int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail(text, "a '%' in the user or password must be followed by two hex digits");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    return out;
  }
};

}  // namespace sio::redis
