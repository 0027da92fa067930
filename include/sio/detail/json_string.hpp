#pragma once
// The one JSON string escaper of sio, shared by the JSON writer (parser/json_writer.hpp) and the
// engine's own small JSON documents (the open packet, error bodies), which must not depend on the
// parser layer. It writes a string exactly as JavaScript's JSON.stringify does:
//   - '"' and '\\' as \" and \\; \b \f \n \r \t in their short forms; the other control characters
//     below 0x20 as \u00xx (lowercase hex); everything else, '/', DEL and non-ASCII included, as is;
//   - surrogate code points, which well-formed UTF-8 cannot hold but WTF-8 can (a JS string's lone
//     surrogate, as some C++ code encodes it), as \udxxx, as JSON.stringify writes lone surrogates
//     since ES2019;
//   - other ill-formed UTF-8 (a JS string cannot hold it) as U+FFFD, one per maximal ill-formed
//     subpart, as a browser's TextDecoder would read those bytes: the output is always valid UTF-8,
//     which a WebSocket text frame must be.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sio/detail/utf8.hpp"

namespace sio::detail {

/// Whether eight bytes are all printable ASCII other than '"' and '\\' (may say false for some that
/// are: the caller then looks at them one by one).
inline bool plain_json_ascii8(const char* p) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  const std::uint64_t below_space = (w - 0x20 * ones) & ~w & highs;
  return ((w & highs) | below_space | has_zero(w ^ ('"' * ones)) | has_zero(w ^ ('\\' * ones))) == 0;
}

template <class Out>
void append_json_u_escape(Out& out, unsigned code_unit) {
  constexpr char hex[] = "0123456789abcdef";  // JSON.stringify uses lowercase
  const char escape[6] = {
      '\\', 'u', hex[(code_unit >> 12) & 0xF], hex[(code_unit >> 8) & 0xF], hex[(code_unit >> 4) & 0xF], hex[code_unit & 0xF]};
  out.append(escape, sizeof escape);
}

/// The non-ASCII sequences from s[i] on, kept out of append_json_escaped's ASCII loop: well-formed
/// ones join the pending run; an ill-formed one or a surrogate ends it, and its replacement is
/// written. Returns the index of the next ASCII byte (or the end).
template <class Out>
std::size_t append_json_non_ascii(Out& out, std::string_view s, std::size_t i, std::size_t& run) {
  while (i < s.size() && static_cast<unsigned char>(s[i]) >= 0x80) {
    unsigned surrogate = 0;
    int length = utf8_sequence(s, i, surrogate);
    if (length > 0 && surrogate == 0) {
      i += static_cast<std::size_t>(length);
      continue;
    }
    // A broken surrogate (ED A0..BF, then no continuation byte) is no prefix of UTF-8 proper: a
    // UTF-8 decoder (TextDecoder) replaces its lead byte alone.
    if (length < -1 && static_cast<unsigned char>(s[i]) == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0) length = -1;
    out.append(s.data() + run, i - run);
    if (length > 0)
      append_json_u_escape(out, surrogate);
    else
      out.append("\xEF\xBF\xBD", 3);  // U+FFFD REPLACEMENT CHARACTER
    i += static_cast<std::size_t>(length > 0 ? length : -length);
    run = i;
  }
  return i;
}

/// Appends `s` escaped for use inside a JSON string literal, between quotes when `Quoted`. `Out`
/// is std::string or anything with push_back(char) and append(const char*, std::size_t).
template <bool Quoted = false, class Out>
void append_json_escaped(Out& out, std::string_view s) {
  if constexpr (Quoted) out.push_back('"');
  const char* const data = s.data();
  std::size_t run = 0;  // start of the pending stretch that needs no change
  std::size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 8 && plain_json_ascii8(data + i)) {
      i += 8;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      i = append_json_non_ascii(out, s, i, run);
      continue;
    }
    out.append(data + run, i - run);
    switch (c) {
      case '"': out.append("\\\"", 2); break;
      case '\\': out.append("\\\\", 2); break;
      case '\b': out.append("\\b", 2); break;
      case '\f': out.append("\\f", 2); break;
      case '\n': out.append("\\n", 2); break;
      case '\r': out.append("\\r", 2); break;
      case '\t': out.append("\\t", 2); break;
      default: append_json_u_escape(out, c); break;
    }
    run = ++i;
  }
  out.append(data + run, s.size() - run);
  if constexpr (Quoted) out.push_back('"');
}

}  // namespace sio::detail
