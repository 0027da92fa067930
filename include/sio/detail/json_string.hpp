#pragma once
// The minimal JSON string escaping the engine needs for its own small JSON documents (the open
// packet, error bodies) without pulling in the parser layer.
#include <string>
#include <string_view>

namespace sio::detail {

/// Appends `s` escaped for use inside a JSON string literal (quotes not included).
inline void append_json_escaped(std::string& out, std::string_view s) {
  constexpr char hex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out.append("\\u00");
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
}

}  // namespace sio::detail
