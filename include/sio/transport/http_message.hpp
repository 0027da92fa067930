#pragma once
// HTTP requests and responses as the transport hands them to the engine: parsed, owned, and
// independent of the socket they came from.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::transport {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

/// `text` without the spaces and tabs around it (HTTP's optional whitespace).
inline std::string_view trim_whitespace(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// Header fields in arrival order; names compare case-insensitively.
class header_list {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  void reserve(std::size_t n) { fields_.reserve(n); }
  /// Replaces every field named `name` by one with `value`.
  void set(std::string_view name, std::string value) {
    erase(name);
    fields_.emplace_back(std::string{name}, std::move(value));
  }
  void erase(std::string_view name) {
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const auto& f) { return iequals(f.first, name); }), fields_.end());
  }
  /// The first field named `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept {
    for (const auto& f : fields_)
      if (iequals(f.first, name)) return &f.second;
    return nullptr;
  }
  std::string_view get(std::string_view name) const noexcept {
    const std::string* v = find(name);
    return v ? std::string_view{*v} : std::string_view{};
  }
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// True when a comma-separated header (Connection, Upgrade, ...) holds `token`.
  bool has_token(std::string_view name, std::string_view token) const noexcept {
    for (const auto& f : fields_) {
      if (!iequals(f.first, name)) continue;
      std::string_view v = f.second;
      while (!v.empty()) {
        std::size_t comma = v.find(',');
        if (iequals(trim_whitespace(v.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
    return false;
  }
  /// The first item of a comma-separated header (Sec-WebSocket-Protocol, ...); empty if none.
  std::string_view first_token(std::string_view name) const noexcept {
    std::string_view v = get(name);
    return trim_whitespace(v.substr(0, v.find(',')));
  }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }
  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  bool empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

/// Decodes %XX escapes and '+' (as a space) of a URL query component.
inline std::string url_decode(std::string_view in) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool plain = true;  // the usual case: nothing to decode
  for (char c : in) plain = plain && c != '%' && c != '+';
  if (plain) return std::string{in};
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// Query parameters in arrival order (decoded). The first occurrence of a key wins on lookup.
class query_params {
 public:
  query_params() = default;
  explicit query_params(std::string_view query) {
    if (query.empty()) return;
    params_.reserve(static_cast<std::size_t>(std::count(query.begin(), query.end(), '&')) + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      if (!item.empty()) {
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos)
          params_.emplace_back(url_decode(item), std::string{});
        else
          params_.emplace_back(url_decode(item.substr(0, eq)), url_decode(item.substr(eq + 1)));
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  const std::string* find(std::string_view key) const noexcept {
    for (const auto& p : params_)
      if (p.first == key) return &p.second;
    return nullptr;
  }
  std::string_view get(std::string_view key) const noexcept {
    const std::string* v = find(key);
    return v ? std::string_view{*v} : std::string_view{};
  }
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  auto begin() const noexcept { return params_.begin(); }
  auto end() const noexcept { return params_.end(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

struct http_request {
  std::string method;        ///< as sent, e.g. "GET"
  std::string target;        ///< the request target as sent, e.g. "/engine.io/?EIO=4&transport=polling"
  std::string path;          ///< target up to '?', undecoded
  std::string query_string;  ///< target after '?', undecoded
  query_params query;
  header_list headers;
  std::string body;
  int version_minor = 1;       ///< HTTP/1.x
  std::string remote_address;  ///< peer IP as text
  unsigned short remote_port = 0;
  bool secure = false;  ///< arrived over TLS

  bool is_upgrade_to_websocket() const noexcept {
    return headers.has_token("Connection", "upgrade") && iequals(headers.get("Upgrade"), "websocket");
  }
  /// Whether the client wants the TCP connection kept after the response.
  bool keep_alive() const noexcept {
    if (headers.has_token("Connection", "close")) return false;
    if (version_minor == 0) return headers.has_token("Connection", "keep-alive");
    return true;
  }
};

struct http_response {
  int status = 200;
  header_list headers;
  std::string body;
};

/// The reason phrase of every status code in IANA's HTTP Status Code Registry (RFC 9110 names,
/// e.g. 413 "Content Too Large"). An unregistered code gets its class's name: a status line's
/// reason is only informative (RFC 9112 §4), but an empty one confuses some clients.
inline std::string_view status_reason(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: break;
  }
  switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Success";
    case 3: return "Redirection";
    case 4: return "Client Error";
    case 5: return "Server Error";
    default: return "Unknown";
  }
}

/// Serialises the status line and headers (adding Content-Length and Connection) into `out`.
/// The body is left to the caller so that it can be written without another copy.
inline void write_response_head(const http_response& res, bool keep_alive, std::string& out) {
  std::size_t size = out.size() + 96;
  for (const auto& f : res.headers) size += f.first.size() + f.second.size() + 4;
  out.reserve(size);
  out.append("HTTP/1.1 ");
  out.append(std::to_string(res.status));
  out.push_back(' ');
  out.append(status_reason(res.status));
  out.append("\r\n");
  for (const auto& f : res.headers) {
    if (iequals(f.first, "Content-Length") || iequals(f.first, "Connection")) continue;
    out.append(f.first);
    out.append(": ");
    out.append(f.second);
    out.append("\r\n");
  }
  if (res.status != 204 && res.status != 304 && res.status >= 200) {
    out.append("Content-Length: ");
    out.append(std::to_string(res.body.size()));
    out.append("\r\n");
  }
  out.append(keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

}  // namespace sio::transport
