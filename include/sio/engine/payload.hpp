#pragma once

// Engine.IO v4 HTTP long-polling payloads: packets joined by the record separator 0x1e, with
// binary messages written as 'b' + base64 (there is no '4' type char for them).

#include <cassert>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sio/detail/base64.hpp"
#include "sio/engine/packet.hpp"

namespace sio::engine {

// The spec forbids 0x1e inside a packet: Socket.IO's JSON escapes it as \u001e and binary goes as
// base64, so a plain byte search splits correctly.
inline constexpr char payload_separator = '\x1e';

// Appends one frame to a GET response body, separating it from what is already there.
// A frame without bytes (default-constructed) is a caller bug; release builds skip it rather than
// write an empty segment, which the client would reject as a parse error.
inline void append_to_payload(std::string& body, const frame& f) {
  assert(f.bytes && "append_to_payload: frame has no bytes");
  if (!f.bytes) return;
  if (!body.empty()) body.push_back(payload_separator);
  if (f.binary) {
    body.push_back('b');
    sio::detail::base64_encode(*f.bytes, body);
  } else {
    body.append(*f.bytes);
  }
}

// Decodes one polling segment: a text packet, or 'b' + base64 for a binary message.
// "b" alone is an empty binary message: the reference client sends exactly that for an empty
// buffer (and engine.io-parser's encodePayload produces it too).
inline std::optional<packet> parse_payload_segment(std::string_view segment) {
  if (!segment.empty() && segment.front() == 'b') {
    auto bytes = sio::detail::base64_decode(segment.substr(1));
    if (!bytes) return std::nullopt;
    return packet{packet_type::message, true, std::move(*bytes)};
  }
  return parse_text_packet(segment);
}

// Splits a POST body into packets, in order. An empty body, an empty segment (including a leading
// or trailing separator), an unknown type char or bad base64 makes the whole payload a parse error.
inline std::optional<std::vector<packet>> parse_payload(std::string_view body) {
  if (body.empty()) return std::nullopt;
  std::vector<packet> packets;
  const char* p = body.data();
  const char* const end = p + body.size();
  for (;;) {
    const auto* sep = static_cast<const char*>(std::memchr(p, payload_separator, static_cast<std::size_t>(end - p)));
    const char* seg_end = sep ? sep : end;
    auto pkt = parse_payload_segment(std::string_view(p, static_cast<std::size_t>(seg_end - p)));
    if (!pkt) return std::nullopt;
    packets.push_back(std::move(*pkt));
    if (!sep) break;
    p = sep + 1;
  }
  return packets;
}

}  // namespace sio::engine
