#pragma once
// Incremental HTTP/1.1 request parser (RFC 9112): bytes in, complete requests out. Keep-alive
// (several requests on one connection, pipelined or not), Content-Length and chunked bodies.
//
// Strict where leniency lets a peer smuggle a request or make the server hold memory: every
// framing ambiguity is a 400 (see the list at http_request_parser), and every byte read counts
// against a limit, those already consumed included. What each kind of input may cost:
//
//   empty lines before a request line   at most max_leading_empty_lines (CRLF each), then 400
//   request line + header fields + CRLF  at most max_head_bytes in all (431), max_header_count
//                                        fields (431)
//   Content-Length body                 at most max_body_bytes, refused from the header (413)
//   chunk-size line                     16 hex digits at most (more: 400, an overflow); the
//                                        extensions of all chunks of a request together at most
//                                        max_chunk_extension_bytes (400)
//   chunk data                          at most max_body_bytes in all, refused from each chunk's
//                                        size line (413); each chunk costs its size line and CRLF
//   trailer section                     at most max_trailer_bytes (431), max_header_count fields
//                                        (431); trailers are checked and dropped
//
// Memory: bytes are dropped as soon as they are consumed (the head's are copied into the
// request, the body's appended to it), so the buffer holds only the unfinished line or the
// pipelined bytes the caller has not asked to parse yet. Parsing after each feed of at most P
// bytes, the parser holds O(max_head_bytes + max_body_bytes + P) whatever the peer sends
// (buffered_bytes()). Time is linear: each byte is examined a bounded number of times (a line
// search resumes where it stopped) and consumed bytes are moved at most once when compacting.
// No recursion.
//
// Every decision depends only on the bytes up to the point where it is made, so a request gives
// the same result whether it arrives in one piece or one byte at a time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sio/transport/http_message.hpp"

namespace sio::transport {

struct http_limits {
  std::size_t max_head_bytes = 16 * 1024;        ///< request line + header fields + empty line (431)
  std::size_t max_body_bytes = 1'000'000;        ///< the engine's max_payload (413)
  std::size_t max_header_count = 100;            ///< header fields; trailer fields too (431)
  std::size_t max_trailer_bytes = 8 * 1024;      ///< a chunked body's trailer section (431)
  std::size_t max_chunk_extension_bytes = 4096;  ///< all chunk extensions of one request (400)
  std::size_t max_leading_empty_lines = 8;       ///< CRLFs tolerated before a request line (RFC 9112 §2.2)
};

/// Refused with 400: a bare LF or a lone CR anywhere in the head, a chunk line or the trailers;
/// control bytes there (HTAB only inside field values, between chunk extensions and in quoted
/// strings); a malformed request line or an HTTP version other than 1.x (505 for 2.0 and up);
/// obs-fold; whitespace before a field's colon; a field name that is not a token; two Host
/// fields, or none on HTTP/1.1; two Content-Length fields (even equal, even "5, 5" in one);
/// a Content-Length that is not 1*DIGIT; Transfer-Encoding together with Content-Length, on
/// HTTP/1.0, twice, or other than exactly `chunked`; a bad chunk size, chunk extension or chunk
/// terminator. (Node's and Beast's parsers make the same calls.)
class http_request_parser {
 public:
  /// head: the request line and headers are in (request() holds them, body still empty); call
  /// parse() again for the body.
  enum class status { need_more, head, complete, error };
  struct result {
    status state = status::need_more;
    int error_status = 0;  ///< HTTP status to answer with when state == error (400, 413, 431, 505)
  };

  explicit http_request_parser(http_limits limits = {}) : limits_(limits) {}
  void set_limits(http_limits limits) noexcept { limits_ = limits; }
  const http_limits& limits() const noexcept { return limits_; }

  /// Appends received bytes. After an error they are dropped: nothing more will be parsed.
  void feed(const char* data, std::size_t size) {
    if (stage_ == stage::failed) return;
    buffer_.append(data, size);
  }
  /// Bytes received but not consumed by a parsed request (e.g. the first WebSocket frames after
  /// an upgrade request's head).
  std::string take_unparsed() {
    std::string rest = buffer_.substr(consumed_);
    buffer_.clear();
    consumed_ = 0;
    scan_ = 0;
    return rest;
  }
  bool has_unparsed() const noexcept { return buffer_.size() > consumed_; }
  /// Whether a request has begun and not completed (what an EOF now would cut short).
  bool has_partial_request() const noexcept { return stage_ != stage::idle || has_unparsed(); }
  std::size_t unparsed_size() const noexcept { return buffer_.size() - consumed_; }
  /// Memory the parser holds: its input buffer, the request head copied so far and the body.
  std::size_t buffered_bytes() const noexcept { return allocated(buffer_) + allocated(request_.body) + head_bytes_; }

  /// Tries to complete one request from what was fed. On `complete`, `request()` holds it until
  /// the next call. The body is framed by Content-Length or chunked coding (none: no body), on
  /// upgrade requests too; what follows is left unparsed (take_unparsed). After an error every
  /// call returns the same error.
  result parse() {
    result r = step();
    if (r.state == status::error) {
      fail(r.error_status);
    } else {
      compact();
    }
    return r;
  }

  http_request& request() noexcept { return request_; }

 private:
  enum class stage { idle, fields, body, no_body, chunk_size, chunk_data, chunk_data_end, trailers, failed };
  enum class line_status { none, found, bad, too_long };

  static constexpr std::size_t max_chunk_size_digits = 16;  // 64 bits

  /// tchar (RFC 9110 §5.6.2): visible ASCII except the delimiters.
  static bool is_token_char(unsigned char c) noexcept {
    struct table {
      bool bits[256] = {};
      constexpr table() {
        for (int c = 33; c < 127; ++c) bits[c] = true;
        for (char d : {'(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}'})
          bits[static_cast<unsigned char>(d)] = false;
      }
    };
    static constexpr table tchar{};
    return tchar.bits[c];
  }
  static bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
      if (!is_token_char(static_cast<unsigned char>(c))) return false;
    return true;
  }
  static int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static result error(int code) noexcept { return {status::error, code}; }
  /// Heap bytes behind a string (none while it fits in the string itself).
  static std::size_t allocated(const std::string& s) noexcept { return s.capacity() > std::string{}.capacity() ? s.capacity() : 0; }
  static std::size_t saturating_add(std::size_t a, std::size_t b) noexcept { return b > SIZE_MAX - a ? SIZE_MAX : a + b; }

  result step() {
    for (;;) {
      switch (stage_) {
        case stage::failed: return error(error_status_);
        case stage::idle: {
          std::size_t allowance = limits_.max_head_bytes;
          if (int code = check_method_prefix(allowance)) return error(code);
          std::string_view line;
          switch (next_line(allowance, line)) {
            case line_status::none: return {};
            case line_status::bad: return error(400);
            case line_status::too_long: return error(431);
            case line_status::found: break;
          }
          if (line.empty()) {  // an empty line before the request line (RFC 9112 §2.2)
            if (++empty_lines_ > limits_.max_leading_empty_lines) return error(400);
            break;
          }
          head_bytes_ = line.size() + 2;
          if (int code = parse_request_line(line)) return error(code);
          stage_ = stage::fields;
          break;
        }
        case stage::fields: {
          std::string_view line;
          switch (next_line(limits_.max_head_bytes - head_bytes_, line)) {
            case line_status::none: return {};
            case line_status::bad: return error(400);
            case line_status::too_long: return error(431);
            case line_status::found: break;
          }
          head_bytes_ += line.size() + 2;
          if (!line.empty()) {
            if (int code = parse_header_field(line)) return error(code);
            break;
          }
          if (int code = plan_body()) return error(code);
          return {status::head, 0};
        }
        case stage::no_body: return finish();
        case stage::body: {
          std::size_t take = std::min(buffer_.size() - consumed_, body_remaining_);
          request_.body.append(buffer_, consumed_, take);
          consume(take);
          body_remaining_ -= take;
          if (body_remaining_ > 0) return {};
          return finish();
        }
        case stage::chunk_size: {
          if (int code = check_chunk_size_prefix()) return error(code);
          std::string_view line;
          const std::size_t allowance = saturating_add(max_chunk_size_digits + 2, limits_.max_chunk_extension_bytes - extension_bytes_);
          switch (next_line(allowance, line)) {
            case line_status::none: return {};
            case line_status::bad:
            case line_status::too_long: return error(400);
            case line_status::found: break;
          }
          if (int code = parse_chunk_size_line(line)) return error(code);
          break;
        }
        case stage::chunk_data: {
          std::size_t take = std::min(buffer_.size() - consumed_, body_remaining_);
          request_.body.append(buffer_, consumed_, take);
          consume(take);
          body_remaining_ -= take;
          if (body_remaining_ > 0) return {};
          stage_ = stage::chunk_data_end;
          break;
        }
        case stage::chunk_data_end: {
          // Exactly CRLF after the data: a bare LF or anything else is refused at the first byte.
          const std::size_t have = buffer_.size() - consumed_;
          if (have >= 1 && buffer_[consumed_] != '\r') return error(400);
          if (have >= 2 && buffer_[consumed_ + 1] != '\n') return error(400);
          if (have < 2) return {};
          consume(2);
          stage_ = stage::chunk_size;
          break;
        }
        case stage::trailers: {
          std::string_view line;
          switch (next_line(limits_.max_trailer_bytes - trailer_bytes_, line)) {
            case line_status::none: return {};
            case line_status::bad: return error(400);
            case line_status::too_long: return error(431);
            case line_status::found: break;
          }
          trailer_bytes_ += line.size() + 2;
          if (line.empty()) return finish();
          if (!is_field_line(line)) return error(400);
          if (++trailer_count_ > limits_.max_header_count) return error(431);
          break;  // checked and dropped: nothing in sio reads trailers
        }
      }
    }
  }

  /// Looks for the end of the line that starts at consumed_, resuming the search where the last
  /// one stopped. A line may hold visible bytes, SP, HTAB and obs-text; it ends with CRLF. The
  /// line plus its CRLF may take at most `allowance` bytes, and bytes beyond it are never looked
  /// at: the outcome does not depend on how the input was split.
  line_status next_line(std::size_t allowance, std::string_view& line) {
    const char* data = buffer_.data();
    const std::size_t size = buffer_.size();
    const std::size_t stop = consumed_ + std::min(size - consumed_, allowance);
    std::size_t i = scan_;
    while (i < stop) {
      // Eight ordinary bytes at a time (the common case), then one by one around the others.
      if (stop - i >= 8 && ordinary8(data + i)) {
        i += 8;
        continue;
      }
      const auto c = static_cast<unsigned char>(data[i]);
      if ((c >= 0x20 && c != 0x7F) || c == '\t') {
        ++i;
        continue;
      }
      if (c != '\r') return line_status::bad;  // a bare LF or another control byte
      if (i + 1 == size) break;                // its LF may come next
      if (data[i + 1] != '\n') return line_status::bad;
      if (i + 2 - consumed_ > allowance) return line_status::too_long;
      line = std::string_view{data + consumed_, i - consumed_};
      consume(i + 2 - consumed_);
      return line_status::found;
    }
    scan_ = i;
    if (i - consumed_ == allowance) return line_status::too_long;
    return line_status::none;
  }

  /// Whether none of these eight bytes is a control byte (HTAB included: the caller looks at
  /// those one by one).
  static bool ordinary8(const char* p) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    const std::uint64_t below_space = (w - 0x20 * ones) & ~w & highs;  // exact for "any byte < 0x20"
    const std::uint64_t x = w ^ (0x7F * ones);
    const std::uint64_t del = (x - ones) & ~x & highs;  // any byte == 0x7F
    return (below_space | del) == 0;
  }

  void consume(std::size_t n) noexcept {
    consumed_ += n;
    scan_ = consumed_;
    method_checked_ = 0;
  }

  /// Refuses a request line early (before its end) when its method is not a token: a peer
  /// speaking something else than HTTP gets its 400 at once.
  int check_method_prefix(std::size_t allowance) noexcept {
    if (method_checked_ == SIZE_MAX) return 0;
    const std::size_t stop = consumed_ + std::min(buffer_.size() - consumed_, allowance);
    for (std::size_t i = consumed_ + method_checked_; i < stop; ++i) {
      const auto c = static_cast<unsigned char>(buffer_[i]);
      if (is_token_char(c)) continue;
      if (c == ' ' && i > consumed_) {
        method_checked_ = SIZE_MAX;  // the method is complete
        return 0;
      }
      if (c == '\r' && i == consumed_) return 0;  // an empty line: next_line decides
      return 400;
    }
    method_checked_ = stop - consumed_;
    return 0;
  }

  /// request-line = method SP request-target SP HTTP-version
  int parse_request_line(std::string_view line) {
    const std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return 400;
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return 400;
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) return 400;
    for (char c : target)  // no HTAB either (next_line let it through)
      if (static_cast<unsigned char>(c) <= 0x20) return 400;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT; a later 1.x is read as 1.1 (RFC 9110 §2.5).
    if (version.size() != 8 || version.compare(0, 5, "HTTP/") != 0 || version[6] != '.' || version[5] < '0' || version[5] > '9' ||
        version[7] < '0' || version[7] > '9')
      return 400;
    if (version[5] != '1') return version[5] == '0' ? 400 : 505;

    request_ = http_request{};
    request_.version_minor = version[7] == '0' ? 0 : 1;
    request_.method.assign(method);
    request_.target.assign(target);
    const std::size_t q = target.find('?');
    request_.path.assign(target.substr(0, q));
    if (q != std::string_view::npos) request_.query_string.assign(target.substr(q + 1));
    request_.query = query_params{request_.query_string};
    request_.headers.reserve(count_header_lines());
    return 0;
  }

  /// The number of field lines already buffered (the whole head usually arrives at once), so
  /// that the header list is allocated once.
  std::size_t count_header_lines() const noexcept {
    const char* p = buffer_.data() + consumed_;
    const char* end = p + std::min(buffer_.size() - consumed_, limits_.max_head_bytes);
    std::size_t lines = 0;
    while (p < end && *p != '\r' && lines < limits_.max_header_count) {
      const auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (!lf) break;
      ++lines;
      p = lf + 1;
    }
    return lines;
  }

  /// field-line = field-name ":" OWS field-value OWS (next_line already refused control bytes).
  static bool is_field_line(std::string_view line) noexcept {
    const std::size_t colon = line.find(':');
    // Also refuses obs-fold (a line starting with SP or HTAB) and whitespace before the colon.
    return colon != std::string_view::npos && is_token(line.substr(0, colon));
  }

  int parse_header_field(std::string_view line) {
    if (!is_field_line(line)) return 400;
    if (++header_count_ > limits_.max_header_count) return 431;
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_whitespace(line.substr(colon + 1));
    switch (name.size()) {
      case 4:
        if (iequals(name, "Host")) {
          if (has_host_) return 400;
          has_host_ = true;
        }
        break;
      case 14:
        if (iequals(name, "Content-Length")) {
          if (has_content_length_ || chunked_) return 400;
          has_content_length_ = true;
          // 1*DIGIT: no sign, no spaces inside, no list. Decided here: 413 before any body byte.
          if (value.empty()) return 400;
          std::size_t n = 0;
          bool too_large = false;
          for (char c : value) {
            if (c < '0' || c > '9') return 400;
            const auto digit = static_cast<std::size_t>(c - '0');
            if (too_large || n > (SIZE_MAX - digit) / 10) {
              too_large = true;
            } else {
              n = n * 10 + digit;
              too_large = n > limits_.max_body_bytes;
            }
          }
          if (too_large) return 413;
          body_remaining_ = n;
        }
        break;
      case 17:
        if (iequals(name, "Transfer-Encoding")) {
          // Only `chunked` alone: another coding could not be undone, and a list or a second
          // field is how requests get smuggled past a proxy that reads them differently.
          if (chunked_ || has_content_length_ || request_.version_minor == 0) return 400;
          if (!iequals(value, "chunked")) return 400;
          chunked_ = true;
        }
        break;
      default: break;
    }
    request_.headers.add(std::string{name}, std::string{value});
    return 0;
  }

  int plan_body() {
    if (request_.version_minor == 1 && !has_host_) return 400;
    if (chunked_) {
      body_remaining_ = 0;
      stage_ = stage::chunk_size;
    } else {
      stage_ = body_remaining_ > 0 ? stage::body : stage::no_body;
    }
    return 0;
  }

  /// Decides what the first bytes of a chunk-size line allow, before its end: a size over the
  /// body limit is refused as soon as its last digit is followed by something (413).
  int check_chunk_size_prefix() const noexcept {
    const std::size_t have = std::min(buffer_.size() - consumed_, max_chunk_size_digits + 1);
    std::uint64_t size = 0;
    for (std::size_t i = 0; i < have; ++i) {
      const int digit = hex_value(buffer_[consumed_ + i]);
      if (digit >= 0) {
        if (i == max_chunk_size_digits) return 400;  // more than 64 bits
        size = size * 16 + static_cast<unsigned>(digit);
        continue;
      }
      if (i == 0) return 400;  // no size at all
      return size > limits_.max_body_bytes - request_.body.size() ? 413 : 0;
    }
    return 0;
  }

  /// chunk-size [ chunk-ext ], the prefix already checked by check_chunk_size_prefix.
  int parse_chunk_size_line(std::string_view line) {
    std::size_t digits = 0;
    std::uint64_t size = 0;
    for (; digits < line.size() && hex_value(line[digits]) >= 0; ++digits)
      size = size * 16 + static_cast<unsigned>(hex_value(line[digits]));
    const std::string_view extensions = line.substr(digits);
    extension_bytes_ += extensions.size();
    if (extension_bytes_ > limits_.max_chunk_extension_bytes) return 400;
    if (!valid_chunk_extensions(extensions)) return 400;
    if (size == 0) {
      stage_ = stage::trailers;
    } else {
      body_remaining_ = static_cast<std::size_t>(size);
      stage_ = stage::chunk_data;
    }
    return 0;
  }

  /// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ),
  /// chunk-ext-val = token / quoted-string. Checked, then ignored.
  static bool valid_chunk_extensions(std::string_view ext) noexcept {
    std::size_t i = 0;
    const std::size_t n = ext.size();
    auto skip_whitespace = [&] {
      while (i < n && (ext[i] == ' ' || ext[i] == '\t')) ++i;
    };
    auto token = [&] {
      const std::size_t start = i;
      while (i < n && is_token_char(static_cast<unsigned char>(ext[i]))) ++i;
      return i > start;
    };
    while (i < n) {
      skip_whitespace();
      if (i == n || ext[i] != ';') return false;
      ++i;
      skip_whitespace();
      if (!token()) return false;
      const std::size_t after_name = i;
      skip_whitespace();
      if (i == n || ext[i] != '=') {
        i = after_name;  // whitespace only counts before another ';'
        continue;
      }
      ++i;
      skip_whitespace();
      if (i < n && ext[i] == '"') {
        // quoted-string: qdtext / quoted-pair up to the closing quote (control bytes other
        // than HTAB never reach here).
        for (++i;; ++i) {
          if (i == n) return false;
          if (ext[i] == '"') break;
          if (ext[i] == '\\' && ++i == n) return false;
        }
        ++i;
      } else if (!token()) {
        return false;
      }
    }
    return true;
  }

  result finish() {
    stage_ = stage::idle;
    empty_lines_ = 0;
    head_bytes_ = 0;
    header_count_ = 0;
    trailer_bytes_ = 0;
    trailer_count_ = 0;
    extension_bytes_ = 0;
    body_remaining_ = 0;
    has_host_ = false;
    has_content_length_ = false;
    chunked_ = false;
    return {status::complete, 0};
  }

  void fail(int code) {
    stage_ = stage::failed;
    error_status_ = code;
    std::string{}.swap(buffer_);  // nothing more will be parsed: hold nothing
    request_ = http_request{};
    head_bytes_ = 0;
    consumed_ = 0;
    scan_ = 0;
  }

  /// Drops consumed bytes. Only when they are at least as many as those kept (or all of them):
  /// each byte is then moved at most once, however the input is split or pipelined.
  void compact() {
    const std::size_t rest = buffer_.size() - consumed_;
    if (rest == 0) {
      buffer_.clear();
      // A burst left a large buffer behind: give it back (small ones are kept for reuse).
      if (buffer_.capacity() > 64 * 1024) std::string{}.swap(buffer_);
    } else if (consumed_ >= rest) {
      buffer_.erase(0, consumed_);
    } else {
      return;
    }
    scan_ -= consumed_;
    consumed_ = 0;
  }

  http_limits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;        ///< bytes of buffer_ parsed (the next line starts here)
  std::size_t scan_ = 0;            ///< where the search for the end of that line resumes
  std::size_t method_checked_ = 0;  ///< bytes of the request line's method checked (SIZE_MAX: all)
  stage stage_ = stage::idle;
  int error_status_ = 0;
  std::size_t empty_lines_ = 0;
  std::size_t head_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t trailer_count_ = 0;
  std::size_t extension_bytes_ = 0;
  std::size_t body_remaining_ = 0;  ///< of the Content-Length body, or of the current chunk
  bool has_host_ = false;
  bool has_content_length_ = false;
  bool chunked_ = false;
  http_request request_;
};

}  // namespace sio::transport
