#pragma once
// UTF-8 checks shared by the WebSocket reader (text messages and close reasons must be valid
// UTF-8) and the JSON parser (which skips its own check on pure ASCII). Both are on every
// message's path, so ASCII, the usual case, is tested eight bytes at a time.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sio::detail {

/// True when no byte has its high bit set.
inline bool is_ascii(std::string_view text) noexcept {
  const char* p = text.data();
  std::size_t n = text.size();
  std::uint64_t bits = 0;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    bits |= word;
  }
  for (; n > 0; ++p, --n) bits |= static_cast<unsigned char>(*p);
  return (bits & 0x8080808080808080ull) == 0;
}

/// Length of the well-formed UTF-8 sequence at s[i] (non-ASCII lead byte), or, when ill-formed,
/// minus the length of its maximal ill-formed prefix (Unicode's "maximal subpart", at least 1).
/// Surrogates encoded as 3 bytes (ED A0..BF xx, "WTF-8") are reported through `surrogate`
/// (0 otherwise): JSON writing turns them into \u escapes, validation refuses them.
inline int utf8_sequence(std::string_view s, std::size_t i, unsigned& surrogate) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned lead = byte(i);
  int length = 0;
  unsigned low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    if (i + static_cast<std::size_t>(k) >= s.size()) return -k;
    const unsigned c = byte(i + static_cast<std::size_t>(k));
    if (c < (k == 1 ? low : 0x80u) || c > (k == 1 ? high : 0xBFu)) return -k;
  }
  surrogate = 0;
  if (lead == 0xED && byte(i + 1) >= 0xA0) surrogate = 0xD000u | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu);
  return length;
}

/// Well-formed UTF-8 (RFC 3629): shortest forms only, no surrogates, nothing above U+10FFFF.
inline bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.size() - i >= 8 && is_ascii(text.substr(i, 8))) {
      i += 8;
      continue;
    }
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    unsigned surrogate = 0;
    const int length = utf8_sequence(text, i, surrogate);
    if (length < 0 || surrogate != 0) return false;
    i += static_cast<std::size_t>(length);
  }
  return true;
}

}  // namespace sio::detail
