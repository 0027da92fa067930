#pragma once
// The Redis Cluster hash slot of a key or shard channel (docs/redis-wire.md §7.3): CRC16-XMODEM
// (polynomial 0x1021, initial value 0, no reflection) modulo 16384. When the key holds a "{...}"
// with at least one byte inside, only those bytes are hashed (the first '{' and the first '}'
// after it), so that "{user1}.name" and "{user1}.mail" share a slot.
//
// Example:
//   #include <sio/redis/slot.hpp>
//   static_assert(sio::redis::crc16("123456789") == 0x31C3);
//   // sio::redis::key_slot("foo") == 12182, sio::redis::key_slot("{user1000}.following") == 3443
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sio::redis {

inline constexpr std::uint16_t slot_count = 16384;

namespace detail {

// One entry per value of the byte that leaves the register: the 8 shifts it causes, done once.
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    unsigned value = byte << 8;
    for (int bit = 0; bit < 8; ++bit) value = (value & 0x8000) ? (value << 1) ^ 0x1021 : value << 1;
    table[byte] = static_cast<std::uint16_t>(value & 0xFFFF);
  }
  return table;
}
inline constexpr std::array<std::uint16_t, 256> crc16_table = make_crc16_table();

}  // namespace detail

/// CRC16-XMODEM of `bytes`.
constexpr std::uint16_t crc16(std::string_view bytes) {
  unsigned crc = 0;
  for (char c : bytes) {
    unsigned index = ((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xFF;
    crc = ((crc << 8) ^ detail::crc16_table[index]) & 0xFFFF;
  }
  return static_cast<std::uint16_t>(crc);
}

/// The part of `key` that is hashed: what the first "{...}" holds when it is not empty, else all of it.
constexpr std::string_view hash_tag(std::string_view key) {
  auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

/// The slot (0..16383) of a key or shard channel.
constexpr std::uint16_t key_slot(std::string_view key) { return crc16(hash_tag(key)) % slot_count; }

}  // namespace sio::redis
