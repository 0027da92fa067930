#pragma once
// Incremental HTTP/1.1 request parser: bytes in, complete requests out. Supports keep-alive
// (several requests on one connection), Content-Length and chunked bodies, and limits.
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "sio/transport/http_message.hpp"

namespace sio::transport {

struct http_limits {
  std::size_t max_head_bytes = 16 * 1024;  ///< request line + headers
  std::size_t max_body_bytes = 1'000'000;  ///< the engine's max_payload
};

class http_request_parser {
 public:
  /// head: the request line and headers are in (request() holds them, body still empty); call
  /// parse() again for the body.
  enum class status { need_more, head, complete, error };
  struct result {
    status state = status::need_more;
    int error_status = 0;  ///< HTTP status to answer with when state == error (400, 413, 431, 501)
  };

  explicit http_request_parser(http_limits limits = {}) : limits_(limits) {}
  void set_limits(http_limits limits) noexcept { limits_ = limits; }

  /// Appends received bytes.
  void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
  /// Bytes received but not consumed by a parsed request (e.g. the first WebSocket frames).
  std::string take_unparsed() {
    std::string rest = buffer_.substr(consumed_);
    buffer_.clear();
    consumed_ = 0;
    return rest;
  }
  bool has_unparsed() const noexcept { return buffer_.size() > consumed_; }
  std::size_t unparsed_size() const noexcept { return buffer_.size() - consumed_; }

  /// Tries to complete one request from what was fed. On `complete`, `request()` holds it until
  /// the next call. A request with an Upgrade header completes after its head (no body is read).
  result parse() {
    if (!head_done_) {
      std::string_view view{buffer_};
      view.remove_prefix(consumed_);
      // Tolerate empty lines before a request (RFC 9112 §2.2).
      while (view.size() >= 2 && view[0] == '\r' && view[1] == '\n') {
        view.remove_prefix(2);
        consumed_ += 2;
      }
      std::size_t end = view.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        if (view.size() > limits_.max_head_bytes) return {status::error, 431};
        if (!plausible_partial_head(view)) return {status::error, 400};
        return {};
      }
      if (end + 4 > limits_.max_head_bytes) return {status::error, 431};
      request_ = http_request{};
      if (!parse_head(view.substr(0, end + 2))) return {status::error, 400};
      consumed_ += end + 4;
      head_done_ = true;
      if (auto r = plan_body(); r.state == status::error) return r;
      return {status::head, 0};
    }
    if (chunked_) {
      auto r = parse_chunks();
      if (r.state != status::complete) return r;
    } else {
      if (buffer_.size() - consumed_ < content_length_) return {};
      request_.body.assign(buffer_, consumed_, content_length_);
      consumed_ += content_length_;
    }
    head_done_ = false;
    compact();
    return {status::complete, 0};
  }

  http_request& request() noexcept { return request_; }

 private:
  static bool is_token_char(char c) noexcept {
    if (static_cast<unsigned char>(c) <= 32 || static_cast<unsigned char>(c) >= 127) return false;
    return std::string_view{"()<>@,;:\\\"/[]?={}"}.find(c) == std::string_view::npos;
  }

  /// Rejects early what can never become a request, instead of waiting for the head's end: a
  /// method that is not a token, or a bare LF line ending.
  static bool plausible_partial_head(std::string_view view) noexcept {
    std::size_t method_end = view.find(' ');
    std::string_view method = view.substr(0, method_end);
    if (method.size() > 32) return false;
    for (char c : method)
      if (!is_token_char(c)) return false;
    for (std::size_t i = view.find('\n'); i != std::string_view::npos; i = view.find('\n', i + 1))
      if (i == 0 || view[i - 1] != '\r') return false;
    return true;
  }

  bool parse_head(std::string_view head) {
    std::size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) return false;
    std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    for (char c : method)
      if (!is_token_char(c)) return false;
    for (char c : target)
      if (static_cast<unsigned char>(c) <= 32 || c == 127) return false;
    if (version == "HTTP/1.1")
      request_.version_minor = 1;
    else if (version == "HTTP/1.0")
      request_.version_minor = 0;
    else
      return false;
    request_.method.assign(method);
    request_.target.assign(target);
    std::size_t q = target.find('?');
    request_.path.assign(target.substr(0, q));
    if (q != std::string_view::npos) request_.query_string.assign(target.substr(q + 1));
    request_.query = query_params{request_.query_string};

    head.remove_prefix(line_end + 2);
    std::size_t lines = 0;
    for (std::size_t i = head.find("\r\n"); i != std::string_view::npos; i = head.find("\r\n", i + 2)) ++lines;
    request_.headers.reserve(lines);
    while (!head.empty()) {
      std::size_t eol = head.find("\r\n");
      std::string_view field = head.substr(0, eol);
      head.remove_prefix(eol + 2);
      std::size_t colon = field.find(':');
      if (colon == std::string_view::npos || colon == 0) return false;  // also rejects obs-fold
      std::string_view name = field.substr(0, colon);
      for (char c : name)
        if (!is_token_char(c)) return false;
      std::string_view value = field.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      for (char c : value)
        if (c == '\0' || c == '\r' || c == '\n') return false;
      request_.headers.add(std::string{name}, std::string{value});
    }
    return true;
  }

  result plan_body() {
    chunked_ = false;
    content_length_ = 0;
    const std::string* te = request_.headers.find("Transfer-Encoding");
    const std::string* cl = request_.headers.find("Content-Length");
    if (te) {
      if (cl || !iequals(*te, "chunked")) return {status::error, cl ? 400 : 501};
      chunked_ = true;
      chunk_state_ = chunk_state::size_line;
      return {};
    }
    if (cl) {
      if (cl->empty() || cl->size() > 19) return {status::error, cl->empty() ? 400 : 413};
      std::size_t n = 0;
      for (char c : *cl) {
        if (c < '0' || c > '9') return {status::error, 400};
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      if (n > limits_.max_body_bytes) return {status::error, 413};
      content_length_ = n;
    }
    return {};
  }

  result parse_chunks() {
    for (;;) {
      std::string_view view{buffer_};
      view.remove_prefix(consumed_);
      switch (chunk_state_) {
        case chunk_state::size_line: {
          std::size_t eol = view.find("\r\n");
          if (eol == std::string_view::npos) return view.size() > 1024 ? result{status::error, 400} : result{};
          std::string_view line = view.substr(0, eol);
          line = line.substr(0, line.find(';'));  // chunk extensions are ignored
          if (line.empty() || line.size() > 15) return {status::error, 400};
          std::size_t n = 0;
          for (char c : line) {
            int d = (c >= '0' && c <= '9') ? c - '0'
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (d < 0) return {status::error, 400};
            n = n * 16 + static_cast<std::size_t>(d);
          }
          consumed_ += eol + 2;
          if (n == 0) {
            chunk_state_ = chunk_state::trailers;
          } else {
            if (request_.body.size() + n > limits_.max_body_bytes) return {status::error, 413};
            chunk_remaining_ = n;
            chunk_state_ = chunk_state::data;
          }
          break;
        }
        case chunk_state::data: {
          if (view.size() < chunk_remaining_ + 2) return {};
          if (view[chunk_remaining_] != '\r' || view[chunk_remaining_ + 1] != '\n') return {status::error, 400};
          request_.body.append(view.data(), chunk_remaining_);
          consumed_ += chunk_remaining_ + 2;
          chunk_state_ = chunk_state::size_line;
          break;
        }
        case chunk_state::trailers: {
          std::size_t eol = view.find("\r\n");
          if (eol == std::string_view::npos) return view.size() > limits_.max_head_bytes ? result{status::error, 431} : result{};
          consumed_ += eol + 2;
          if (eol == 0) return {status::complete, 0};
          break;
        }
      }
    }
  }

  void compact() {
    if (consumed_ == buffer_.size()) {
      buffer_.clear();
      consumed_ = 0;
    } else if (consumed_ > 4096) {
      buffer_.erase(0, consumed_);
      consumed_ = 0;
    }
  }

  enum class chunk_state { size_line, data, trailers };

  http_limits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool head_done_ = false;
  bool chunked_ = false;
  chunk_state chunk_state_ = chunk_state::size_line;
  std::size_t chunk_remaining_ = 0;
  std::size_t content_length_ = 0;
  http_request request_;
};

}  // namespace sio::transport
