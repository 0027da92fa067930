#pragma once

// Engine.IO v4 packets: the type enum, outgoing frames, incoming packets, and the open handshake body.
// This header knows nothing about transports; payload.hpp joins frames for HTTP long-polling.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sio/detail/json_string.hpp"

namespace sio::engine {

enum class packet_type : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

// Maps a wire type character to a packet type; anything outside '0'..'6' is not a packet.
constexpr std::optional<packet_type> to_packet_type(char c) noexcept {
  if (c >= '0' && c <= '6') return static_cast<packet_type>(c);
  return std::nullopt;
}

// An encoded packet as it goes out on the wire. The bytes are immutable and shared, so a broadcast
// is encoded once and the same buffer is queued on every recipient.
//   text:   bytes = type char + data ("4hello", "2", "3probe")
//   binary: bytes = the raw bytes of a binary message packet (no type prefix, as on a WS binary frame)
struct frame {
  bool binary = false;
  std::shared_ptr<const std::string> bytes;
};

inline frame make_text_frame(packet_type type, std::string_view data = {}) {
  std::string s;
  s.reserve(1 + data.size());
  s.push_back(static_cast<char>(type));
  s.append(data);
  return frame{false, std::make_shared<const std::string>(std::move(s))};
}

inline frame make_binary_frame(std::string bytes) { return frame{true, std::make_shared<const std::string>(std::move(bytes))}; }

// A decoded incoming packet. `binary` is true only for binary message packets (a WS binary frame
// or a 'b'-prefixed polling segment); `data` then holds the raw bytes.
struct packet {
  packet_type type;
  bool binary = false;
  std::string data;
};

// Decodes a WS text frame or one polling segment. An empty string or an unknown type character is
// a parse error (nullopt). The 'b' base64 prefix is not accepted here: it is only valid inside a
// polling payload (see parse_payload).
inline std::optional<packet_type> text_packet_type(std::string_view text) {
  return text.empty() ? std::nullopt : to_packet_type(text.front());
}
inline std::optional<packet> parse_text_packet(std::string_view text) {
  const auto type = text_packet_type(text);
  if (!type) return std::nullopt;
  return packet{*type, false, std::string(text.substr(1))};
}
// The same for a text the caller owns: its data is taken in place (no copy).
inline std::optional<packet> take_text_packet(std::string&& text) {
  const auto type = text_packet_type(text);
  if (!type) return std::nullopt;
  text.erase(0, 1);
  return packet{*type, false, std::move(text)};
}

// Decodes a WS binary frame: always a binary message.
inline packet parse_binary_packet(std::string bytes) { return packet{packet_type::message, true, std::move(bytes)}; }

// The JSON body of the open packet, without the leading '0' (send it with
// make_text_frame(packet_type::open, json)). Exactly the five keys the client expects, in the
// reference server's order. `upgrade_to_websocket` is true for sessions that started on polling.
inline std::string encode_open(std::string_view sid, bool upgrade_to_websocket, std::chrono::milliseconds ping_interval,
                               std::chrono::milliseconds ping_timeout, std::size_t max_payload) {
  std::string out;
  out.reserve(120 + sid.size());
  out.append("{\"sid\":");
  out.push_back('"');
  sio::detail::append_json_escaped(out, sid);  // a user-supplied id must not break the JSON
  out.push_back('"');
  out.append(upgrade_to_websocket ? ",\"upgrades\":[\"websocket\"]" : ",\"upgrades\":[]");
  out.append(",\"pingInterval\":");
  out.append(std::to_string(ping_interval.count()));
  out.append(",\"pingTimeout\":");
  out.append(std::to_string(ping_timeout.count()));
  out.append(",\"maxPayload\":");
  out.append(std::to_string(max_payload));
  out.push_back('}');
  return out;
}

}  // namespace sio::engine
