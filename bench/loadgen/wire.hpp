#pragma once
// The wire formats the load generator speaks, client side: RFC 6455 frames (clients mask every
// frame), the opening handshake's key and accept check, and a small HTTP/1.1 response parser
// (Content-Length and chunked bodies, keep-alive). No dependency beyond OpenSSL's SHA-1.
#include <openssl/evp.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

/// xorshift64*: masking keys and handshake nonces need no cryptographic quality here.
class fast_rng {
 public:
  explicit fast_rng(std::uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  std::uint64_t next() noexcept {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }

 private:
  std::uint64_t s_;
};

inline std::string base64(const unsigned char* p, std::size_t n) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = std::uint32_t(p[i]) << 16;
    if (i + 1 < n) v |= std::uint32_t(p[i + 1]) << 8;
    if (i + 2 < n) v |= p[i + 2];
    out.push_back(table[(v >> 18) & 63]);
    out.push_back(table[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? table[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? table[v & 63] : '=');
  }
  return out;
}

/// Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2: base64(SHA-1(key + GUID))).
inline std::string websocket_accept(std::string_view key) {
  std::string text{key};
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  return base64(digest, len);
}

inline std::string websocket_key(fast_rng& rng) {
  unsigned char nonce[16];
  for (int i = 0; i < 16; i += 8) {
    std::uint64_t v = rng.next();
    std::memcpy(nonce + i, &v, 8);
  }
  return base64(nonce, 16);
}

namespace ws_opcode {
constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA;
}

/// Appends one masked, unfragmented client frame to `out`.
inline void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload, fast_rng& rng) {
  const std::size_t n = payload.size();
  char head[14];
  std::size_t h = 0;
  head[h++] = static_cast<char>(0x80 | opcode);
  if (n < 126) {
    head[h++] = static_cast<char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    head[h++] = static_cast<char>(0x80 | 126);
    head[h++] = static_cast<char>((n >> 8) & 0xFF);
    head[h++] = static_cast<char>(n & 0xFF);
  } else {
    head[h++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) head[h++] = static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF);
  }
  const std::uint32_t key32 = static_cast<std::uint32_t>(rng.next());
  unsigned char key[4];
  std::memcpy(key, &key32, 4);
  std::memcpy(head + h, key, 4);
  h += 4;
  const std::size_t base = out.size();
  out.resize(base + h + n);
  char* dst = out.data() + base;
  std::memcpy(dst, head, h);
  dst += h;
  for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<char>(payload[i] ^ key[i & 3]);
}

/// One frame as received from a server (servers never mask).
struct server_frame {
  bool fin = false;
  std::uint8_t opcode = 0;
  std::string_view payload;
};

enum class frame_status { ok, need_more, error };

/// Reads the frame at the start of `data`; on ok, `used` is its full size.
inline frame_status parse_server_frame(const char* data, std::size_t size, server_frame& f, std::size_t& used) {
  if (size < 2) return frame_status::need_more;
  const auto b0 = static_cast<unsigned char>(data[0]);
  const auto b1 = static_cast<unsigned char>(data[1]);
  if (b1 & 0x80) return frame_status::error;  // a server must not mask (RFC 6455 §5.1)
  if (b0 & 0x70) return frame_status::error;  // no extension was negotiated: RSV bits must be 0
  std::uint64_t len = b1 & 0x7F;
  std::size_t h = 2;
  if (len == 126) {
    if (size < 4) return frame_status::need_more;
    len = (std::uint64_t(static_cast<unsigned char>(data[2])) << 8) | static_cast<unsigned char>(data[3]);
    h = 4;
  } else if (len == 127) {
    if (size < 10) return frame_status::need_more;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(data[2 + i]);
    h = 10;
    if (len > (1ull << 31)) return frame_status::error;
  }
  if (size - h < len) return frame_status::need_more;
  f.fin = (b0 & 0x80) != 0;
  f.opcode = b0 & 0x0F;
  f.payload = std::string_view{data + h, static_cast<std::size_t>(len)};
  used = h + static_cast<std::size_t>(len);
  return frame_status::ok;
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A response head: status and the few headers the generator looks at.
struct response_head {
  int status = 0;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool close = false;
  std::string accept;  ///< Sec-WebSocket-Accept
  bool upgrade_websocket = false;
};

/// Parses "HTTP/1.1 NNN ...\r\n" + header lines; `head` excludes the final empty line.
inline bool parse_response_head(std::string_view head, response_head& out) {
  auto eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") return false;
  out = response_head{};
  for (std::size_t i = 9; i < 12; ++i) {
    char c = status_line[i];
    if (c < '0' || c > '9') return false;
    out.status = out.status * 10 + (c - '0');
  }
  if (status_line[7] == '0') out.close = true;  // HTTP/1.0
  std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view name = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      out.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      out.chunked = value.size() >= 7 && iequals(value.substr(value.size() - 7), "chunked");
    } else if (iequals(name, "connection")) {
      if (iequals(value, "close")) out.close = true;
    } else if (iequals(name, "sec-websocket-accept")) {
      out.accept = std::string{value};
    } else if (iequals(name, "upgrade")) {
      out.upgrade_websocket = iequals(value, "websocket");
    }
  }
  return true;
}

/// Incremental HTTP/1.1 response reader for one keep-alive connection.
class response_reader {
 public:
  enum class result { need_more, done, error };

  /// Appends received bytes.
  void feed(const char* data, std::size_t n) { buf_.append(data, n); }

  /// Tries to complete the next response. On done, head() and body() hold it until the next call.
  result next() {
    if (consumed_) {
      buf_.erase(0, consumed_);
      consumed_ = 0;
      body_.clear();
    }
    auto end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return buf_.size() > 64 * 1024 ? result::error : result::need_more;
    if (!parse_response_head(std::string_view{buf_}.substr(0, end), head_)) return result::error;
    std::size_t pos = end + 4;
    if (head_.status == 101 || head_.status == 204 || head_.status == 304) {
      consumed_ = pos;
      return result::done;
    }
    if (head_.chunked) {
      std::string body;
      for (;;) {
        auto line_end = buf_.find("\r\n", pos);
        if (line_end == std::string::npos) return result::need_more;
        std::size_t size = 0;
        bool any = false;
        for (std::size_t i = pos; i < line_end; ++i) {
          char c = buf_[i];
          int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
          if (d < 0) break;  // chunk extensions
          size = size * 16 + static_cast<std::size_t>(d);
          any = true;
        }
        if (!any) return result::error;
        pos = line_end + 2;
        if (size == 0) {
          auto trailer_end = buf_.find("\r\n", pos);
          if (trailer_end == std::string::npos) return result::need_more;
          pos = trailer_end + 2;  // no trailers expected
          break;
        }
        if (buf_.size() < pos + size + 2) return result::need_more;
        body.append(buf_, pos, size);
        pos += size + 2;
      }
      body_ = std::move(body);
      consumed_ = pos;
      return result::done;
    }
    std::size_t length = head_.content_length.value_or(0);
    if (!head_.content_length && !head_.close) length = 0;
    if (buf_.size() < pos + length) return result::need_more;
    body_.assign(buf_, pos, length);
    consumed_ = pos + length;
    return result::done;
  }

  const response_head& head() const noexcept { return head_; }
  const std::string& body() const noexcept { return body_; }
  /// Bytes after the last completed response (for a 101: the first WebSocket frames).
  std::string take_rest() {
    std::string rest = buf_.substr(consumed_);
    buf_.clear();
    consumed_ = 0;
    return rest;
  }
  void reset() {
    buf_.clear();
    body_.clear();
    consumed_ = 0;
  }

 private:
  std::string buf_;
  std::string body_;
  std::size_t consumed_ = 0;
  response_head head_;
};

}  // namespace loadgen
