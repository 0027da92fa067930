#pragma once
// The frames a server writes (RFC 6455 §5.2): unmasked, final, one per message. Reading them is
// websocket_reader.hpp's.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sio::transport::websocket_frame {

constexpr std::uint8_t opcode_text = 0x1, opcode_binary = 0x2, opcode_close = 0x8, opcode_pong = 0xA;

/// Writes the head of a frame of `size` payload bytes into `h`; returns its length (2, 4 or 10).
inline std::uint8_t write_header(std::array<char, 10>& h, std::uint8_t opcode, std::size_t size) noexcept {
  h[0] = static_cast<char>(0x80 | opcode);  // FIN + opcode; server frames are unmasked
  if (size < 126) {
    h[1] = static_cast<char>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    h[1] = 126;
    h[2] = static_cast<char>((size >> 8) & 0xFF);
    h[3] = static_cast<char>(size & 0xFF);
    return 4;
  }
  h[1] = 127;
  for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<char>((static_cast<std::uint64_t>(size) >> (56 - 8 * i)) & 0xFF);
  return 10;
}

/// A close frame's payload. `code` 1005 ("no status") is never sent: the payload is then empty.
inline std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  if (code != 1005) {
    payload.reserve(2 + reason.size());
    payload += static_cast<char>((code >> 8) & 0xFF);
    payload += static_cast<char>(code & 0xFF);
    payload.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
  }
  return payload;
}

}  // namespace sio::transport::websocket_frame
