// libFuzzer target: the HTTP/1.1 request parser (transport/http_parser.hpp).
//
// Input: one configuration byte (bit 0: small limits, so that every limit is reached by short
// inputs; the rest chooses where the stream is cut), then the bytes a peer sends. The stream is
// parsed twice, whole and in pieces, parsing after each piece as a connection does.
// Invariants:
//   - both runs give the same requests, the same error and the same unparsed rest;
//   - buffered_bytes() stays within a bound set by the limits and the piece size;
//   - an error is 400, 413, 431 or 505 and sticks;
//   - a completed request obeys RFC 9112 as the parser promises (one Host on HTTP/1.1, at most one
//     Content-Length and then a body of that size, Transfer-Encoding only `chunked` and never
//     with Content-Length or on HTTP/1.0, tokens where tokens go, no control bytes, the limits).
#include <sio/transport/http_parser.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using sio::transport::http_limits;
using sio::transport::http_request;
using sio::transport::http_request_parser;
using sio::transport::iequals;
using status = http_request_parser::status;

struct seen_request {
  std::string method, target, body;
  int version_minor;
  std::vector<std::pair<std::string, std::string>> headers;
  bool operator==(const seen_request& o) const {
    return method == o.method && target == o.target && body == o.body && version_minor == o.version_minor && headers == o.headers;
  }
};

struct outcome {
  std::vector<seen_request> requests;
  int error = 0;
  std::string unparsed;
  bool operator==(const outcome& o) const { return requests == o.requests && error == o.error && unparsed == o.unparsed; }
};

http_limits small_limits() {
  http_limits l;
  l.max_head_bytes = 160;
  l.max_body_bytes = 64;
  l.max_header_count = 4;
  l.max_trailer_bytes = 40;
  l.max_chunk_extension_bytes = 24;
  l.max_leading_empty_lines = 2;
  return l;
}

bool is_tchar(unsigned char c) {
  return c > 32 && c < 127 && std::string_view{"()<>@,;:\\\"/[]?={}"}.find(static_cast<char>(c)) == std::string_view::npos;
}
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

/// What the parser promises about every request it completes.
void check_request(const http_request& r, const http_limits& limits) {
  SIO_FUZZ_CHECK(is_token(r.method));
  SIO_FUZZ_CHECK(!r.target.empty());
  for (char c : r.target) SIO_FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7F);
  SIO_FUZZ_CHECK(r.version_minor == 0 || r.version_minor == 1);
  SIO_FUZZ_CHECK(r.headers.fields().size() <= limits.max_header_count);
  std::size_t head = r.method.size() + r.target.size() + 12;  // two SP, HTTP/1.x, CRLF
  std::size_t hosts = 0, lengths = 0, encodings = 0;
  const std::string* length = nullptr;
  for (const auto& [name, value] : r.headers) {
    SIO_FUZZ_CHECK(is_token(name));
    for (char c : value) SIO_FUZZ_CHECK(c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F));
    if (!value.empty()) {
      SIO_FUZZ_CHECK(value.front() != ' ' && value.front() != '\t');
      SIO_FUZZ_CHECK(value.back() != ' ' && value.back() != '\t');
    }
    head += name.size() + 1 + value.size() + 2;
    if (iequals(name, "Host")) ++hosts;
    if (iequals(name, "Content-Length")) {
      ++lengths;
      length = &value;
    }
    if (iequals(name, "Transfer-Encoding")) {
      ++encodings;
      SIO_FUZZ_CHECK(iequals(value, "chunked"));
    }
  }
  SIO_FUZZ_CHECK(head + 2 <= limits.max_head_bytes);
  SIO_FUZZ_CHECK(r.version_minor == 0 ? hosts <= 1 : hosts == 1);
  SIO_FUZZ_CHECK(lengths <= 1 && encodings <= 1 && lengths + encodings <= 1);
  if (encodings) SIO_FUZZ_CHECK(r.version_minor == 1);
  SIO_FUZZ_CHECK(r.body.size() <= limits.max_body_bytes);
  if (length) {
    SIO_FUZZ_CHECK(!length->empty() && std::all_of(length->begin(), length->end(), [](char c) { return c >= '0' && c <= '9'; }));
    std::string digits = length->substr(std::min(length->find_first_not_of('0'), length->size()));
    SIO_FUZZ_CHECK(digits == (r.body.empty() ? "" : std::to_string(r.body.size())));
  } else if (!encodings) {
    SIO_FUZZ_CHECK(r.body.empty());
  }
}

outcome run(std::string_view stream, const std::vector<std::size_t>& cuts, const http_limits& limits) {
  http_request_parser parser{limits};
  outcome out;
  std::size_t largest_piece = 0;
  for (std::size_t n : cuts) largest_piece = std::max(largest_piece, n);
  // The longest line the parser may have to hold, and what growing a string by doubling costs.
  const std::size_t line = std::max({limits.max_head_bytes, limits.max_trailer_bytes, 18 + limits.max_chunk_extension_bytes});
  const std::size_t bound = 4 * line + 2 * largest_piece + 2 * limits.max_body_bytes + limits.max_head_bytes + 64;
  bool upgraded = false;
  std::size_t at = 0;
  for (std::size_t n : cuts) {
    if (upgraded || out.error) break;
    parser.feed(stream.data() + at, n);
    at += n;
    for (;;) {
      const auto r = parser.parse();
      SIO_FUZZ_CHECK(parser.buffered_bytes() <= bound);
      if (r.state == status::head) continue;
      if (r.state == status::need_more) break;
      if (r.state == status::error) {
        SIO_FUZZ_CHECK(r.error_status == 400 || r.error_status == 413 || r.error_status == 431 || r.error_status == 505);
        const auto again = parser.parse();
        SIO_FUZZ_CHECK(again.state == status::error && again.error_status == r.error_status);
        SIO_FUZZ_CHECK(!parser.has_unparsed());
        out.error = r.error_status;
        break;
      }
      const http_request& req = parser.request();
      check_request(req, limits);
      out.requests.push_back({req.method, req.target, req.body, req.version_minor, req.headers.fields()});
      if (req.is_upgrade_to_websocket()) {  // the connection stops parsing HTTP here
        upgraded = true;
        break;
      }
    }
  }
  if (!out.error) {
    // What an upgrade hands to the WebSocket reader: everything after the request, fed or not.
    out.unparsed = parser.take_unparsed();
    out.unparsed.append(stream.substr(at));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const std::string_view stream = sio_fuzz::as_text(data + 1, size - 1);
  const http_limits limits = (config & 1) ? small_limits() : http_limits{};
  const outcome whole = run(stream, {stream.size()}, limits);
  const outcome split = run(stream, sio_fuzz::pieces(config >> 1, stream.size()), limits);
  SIO_FUZZ_CHECK(whole == split);
  return 0;
}
