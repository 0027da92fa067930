#pragma once

// Base64 (RFC 4648 section 4) for Engine.IO polling payloads, plus the unpadded URL-safe variant
// (section 5) used for session ids.
//
// Decoding is strict where the JS server is lenient, because a malformed payload must be a parse
// error rather than silently different bytes:
//   - only the 64 alphabet characters and trailing '=' are allowed (no whitespace, no '-'/'_');
//   - padded input must be complete ("AQ==", length a multiple of 4); unpadded input ("AQ") is
//     accepted too, as Node's Buffer does; partial padding ("AQ=") and a lone trailing character
//     (length % 4 == 1) are rejected;
//   - non-zero bits in the last character's unused low bits ("AR==") are ignored, as Node does:
//     they carry no data and rejecting them would buy nothing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::detail {

namespace base64_tables {

inline constexpr char standard_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Marks a byte that is not in the alphabet. The high bit lets one OR over a quad detect any.
inline constexpr std::uint8_t invalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(standard_alphabet[i])] = i;
  return table;
}

inline constexpr std::array<std::uint8_t, 256> decode = make_decode_table();

}  // namespace base64_tables

namespace base64_impl {

// Encodes with the given 64-character alphabet; pads with '=' when `pad` is set.
inline void encode(std::string_view in, std::string& out, const char* alphabet, bool pad) {
  const std::size_t n = in.size();
  const std::size_t full = n / 3;
  const std::size_t rest = n % 3;
  const std::size_t tail_chars = rest == 0 ? 0 : (pad ? 4 : rest + 1);
  const std::size_t old = out.size();
  out.resize(old + full * 4 + tail_chars);

  auto* src = reinterpret_cast<const unsigned char*>(in.data());
  char* dst = &out[old];
  for (std::size_t i = 0; i < full; ++i, src += 3, dst += 4) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8) | src[2];
    dst[0] = alphabet[(v >> 18) & 0x3F];
    dst[1] = alphabet[(v >> 12) & 0x3F];
    dst[2] = alphabet[(v >> 6) & 0x3F];
    dst[3] = alphabet[v & 0x3F];
  }
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{src[0]} << 16;
    dst[0] = alphabet[(v >> 18) & 0x3F];
    dst[1] = alphabet[(v >> 12) & 0x3F];
    if (pad) {
      dst[2] = '=';
      dst[3] = '=';
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8);
    dst[0] = alphabet[(v >> 18) & 0x3F];
    dst[1] = alphabet[(v >> 12) & 0x3F];
    dst[2] = alphabet[(v >> 6) & 0x3F];
    if (pad) dst[3] = '=';
  }
}

}  // namespace base64_impl

// Appends the standard, padded base64 encoding of `in` to `out` (one resize, no other allocation).
inline void base64_encode(std::string_view in, std::string& out) { base64_impl::encode(in, out, base64_tables::standard_alphabet, true); }

// Appends the URL-safe alphabet ('-', '_') without padding, as used for session ids.
inline void base64url_encode(std::string_view in, std::string& out) { base64_impl::encode(in, out, base64_tables::url_alphabet, false); }

// Decodes standard base64, padded or unpadded (see the rules at the top of this file).
// Returns nullopt on any invalid character or length.
inline std::optional<std::string> base64_decode(std::string_view in) {
  // Strip complete padding only: "xx==" or "xxx=" in the final quad.
  std::size_t len = in.size();
  if (len % 4 == 0 && len > 0 && in[len - 1] == '=') {
    len -= (in[len - 2] == '=') ? 2u : 1u;
  }
  const std::size_t rest = len % 4;
  if (rest == 1) return std::nullopt;

  const auto& table = base64_tables::decode;
  const std::size_t full = len / 4;
  std::string out;
  out.resize(full * 3 + (rest == 0 ? 0 : rest - 1));

  auto* src = reinterpret_cast<const unsigned char*>(in.data());
  char* dst = out.data();
  for (std::size_t i = 0; i < full; ++i, src += 4, dst += 3) {
    const std::uint8_t a = table[src[0]], b = table[src[1]], c = table[src[2]], d = table[src[3]];
    if ((a | b | c | d) & 0x80) return std::nullopt;  // also catches a stray '=' inside the data
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6) | d;
    dst[0] = static_cast<char>(v >> 16);
    dst[1] = static_cast<char>((v >> 8) & 0xFF);
    dst[2] = static_cast<char>(v & 0xFF);
  }
  if (rest >= 2) {
    const std::uint8_t a = table[src[0]], b = table[src[1]];
    const std::uint8_t c = rest == 3 ? table[src[2]] : std::uint8_t{0};
    if ((a | b | c) & 0x80) return std::nullopt;
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{c} << 6);
    dst[0] = static_cast<char>(v >> 16);
    if (rest == 3) dst[1] = static_cast<char>((v >> 8) & 0xFF);
  }
  return out;
}

}  // namespace sio::detail
