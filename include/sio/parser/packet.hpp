#pragma once
// A Socket.IO v5 packet, as the default parser (socket.io-parser) sees it.

#include "sio/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::parser {

// Wire values: the first character of an encoded packet is the number.
enum class packet_type : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

inline std::string_view to_string(packet_type type) noexcept {
  switch (type) {
    case packet_type::connect: return "CONNECT";
    case packet_type::disconnect: return "DISCONNECT";
    case packet_type::event: return "EVENT";
    case packet_type::ack: return "ACK";
    case packet_type::connect_error: return "CONNECT_ERROR";
    case packet_type::binary_event: return "BINARY_EVENT";
    case packet_type::binary_ack: return "BINARY_ACK";
  }
  return "UNKNOWN";
}

struct packet {
  packet_type type = packet_type::event;
  std::string nsp = "/";            // must not contain ',' (the wire ends a namespace there)
  std::optional<std::uint64_t> id;  // ack id
  sio::value data;                  // null when the packet has no payload

  friend bool operator==(const packet& a, const packet& b) noexcept {
    return a.type == b.type && a.nsp == b.nsp && a.id == b.id && a.data == b.data;
  }
  friend bool operator!=(const packet& a, const packet& b) noexcept { return !(a == b); }
};

}  // namespace sio::parser
