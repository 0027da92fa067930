#pragma once
// Socket.IO v5 packet -> wire text (+ binary attachments).
//
//   <type>[<attachments>-][<nsp>,][<ack id>][<JSON>]
//
// EVENT and ACK packets whose data holds binary anywhere become BINARY_EVENT / BINARY_ACK: every
// binary is replaced by {"_placeholder":true,"num":i} (numbered depth-first, in order) and handed
// back as an attachment, to be sent after the text as separate Engine.IO binary messages.
//
// One difference from the reference encoder: copies of one sio::binary (they share their bytes)
// are one attachment, named by several placeholders, which every Socket.IO decoder accepts. The
// reference sends a Buffer named twice as two attachments; echoing a packet whose placeholders
// all name one attachment would otherwise multiply the bytes sent by their number.

#include "sio/parser/json_writer.hpp"
#include "sio/parser/packet.hpp"
#include "sio/value.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sio::parser {

// True when `v` is or contains (at any depth) a binary.
inline bool has_binary(const value& v) noexcept {
  switch (v.kind()) {
    case value_kind::binary: return true;
    case value_kind::array:
      for (const value& element : v.as_array())
        if (has_binary(element)) return true;
      return false;
    case value_kind::object:
      for (const auto& member : v.as_object())
        if (has_binary(member.second)) return true;
      return false;
    default: return false;
  }
}

// Number of binaries in `v`, at any depth.
inline std::size_t count_binaries(const value& v) noexcept {
  switch (v.kind()) {
    case value_kind::binary: return 1;
    case value_kind::array: {
      std::size_t n = 0;
      for (const value& element : v.as_array()) n += count_binaries(element);
      return n;
    }
    case value_kind::object: {
      std::size_t n = 0;
      for (const auto& member : v.as_object()) n += count_binaries(member.second);
      return n;
    }
    default: return 0;
  }
}

namespace detail {

// The distinct buffers among the binaries of `v`, depth-first in order of first appearance.
// Empty binaries (no buffer: nullptr here) are all alike, and share one attachment too.
inline void collect_attachments(const value& v, std::vector<const std::string*>& out) {
  switch (v.kind()) {
    case value_kind::binary: {
      const std::string* bytes = v.as_binary().shared().get();
      if (std::find(out.begin(), out.end(), bytes) == out.end()) out.push_back(bytes);
      return;
    }
    case value_kind::array:
      for (const value& element : v.as_array()) collect_attachments(element, out);
      return;
    case value_kind::object:
      for (const auto& member : v.as_object()) collect_attachments(member.second, out);
      return;
    default: return;
  }
}

}  // namespace detail

// Appends the wire text of `p` to `text_out` (so that a caller can write the Engine.IO "4" first,
// or build one buffer shared by every recipient of a broadcast) and appends its binary attachments,
// in placeholder order, to `attachments_out`.
//
// The type written is chosen from the data: EVENT/BINARY_EVENT become BINARY_EVENT when the data
// holds binary and EVENT otherwise; likewise ACK/BINARY_ACK. Other types are written as given (a
// binary inside them is written as JSON.stringify writes a Buffer). The namespace is written only
// when it is neither empty nor "/"; it must not contain ','. Null data means "no payload".
inline void encode(const packet& p, std::string& text_out, std::vector<binary>& attachments_out) {
  packet_type type = p.type;
  std::size_t attachments = 0;
  std::vector<const std::string*> distinct;  // attachment i's buffer
  if (type == packet_type::event || type == packet_type::binary_event || type == packet_type::ack || type == packet_type::binary_ack) {
    const bool is_event = type == packet_type::event || type == packet_type::binary_event;
    if (has_binary(p.data)) {
      detail::collect_attachments(p.data, distinct);
      attachments = distinct.size();
    }
    if (attachments > 0)
      type = is_event ? packet_type::binary_event : packet_type::binary_ack;
    else
      type = is_event ? packet_type::event : packet_type::ack;
  }

  text_out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  if (attachments > 0) {
    json::detail::write_integer(attachments, text_out);
    text_out.push_back('-');
  }
  if (!p.nsp.empty() && p.nsp != "/") {
    text_out.append(p.nsp);
    text_out.push_back(',');
  }
  if (p.id) json::detail::write_integer(*p.id, text_out);
  if (p.data.is_null()) return;

  if (attachments > 0) {
    attachments_out.reserve(attachments_out.size() + attachments);
    std::size_t next = 0;  // numbered within this packet, whatever attachments_out held before
    auto to_placeholder = [&](const binary& bytes, json::detail::text_sink& out) {
      const std::string* buffer = bytes.shared().get();
      auto num = static_cast<std::size_t>(std::find(distinct.begin(), distinct.end(), buffer) - distinct.begin());
      if (num == next) {  // the first placeholder for this buffer
        attachments_out.push_back(bytes);
        ++next;
      }
      out.append(R"({"_placeholder":true,"num":)");
      json::detail::write_integer(num, out);
      out.push_back('}');
    };
    json::detail::write_to_string(p.data, text_out, to_placeholder);
  } else {
    json::write(p.data, text_out);
  }
}

}  // namespace sio::parser
