#pragma once
// Socket.IO v5 wire text (+ binary attachments) -> packet. One decoder per Engine.IO connection:
// it holds a BINARY_EVENT/BINARY_ACK header while that packet's attachments arrive.
//
// Example:
//   std::string message = R"(2["chat",{"text":"hi"}])";  // an Engine.IO text message, "4" removed
//   sio::parser::decoder d;
//   auto r = d.feed_text(message);
//   if (r.failed()) std::cerr << "close: " << sio::parser::to_string(r.error) << "\n";  // every error is fatal (PROTOCOL.md §9)
//   else if (r.has_packet()) sio::parser::packet p = std::move(r.decoded);      // dispatch it
//   // else: r.needs_more(), feed the next binary messages to d.feed_binary(bytes)
//
// Bad input never throws or crashes: it yields decode_status::error and a reason, and the decoder
// forgets any half-received packet. (Only std::bad_alloc can escape.) Decoded binary packets are
// reported as EVENT / ACK with their binaries in place, as the reference decoder does: whether
// binary was involved is visible in the data, not in the type.

#include "sio/parser/json_reader.hpp"
#include "sio/parser/packet.hpp"
#include "sio/value.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::parser {

struct decoder_options {
  std::size_t max_attachments = 10;                 // binary attachments per packet (REF maxAttachments)
  std::size_t max_depth = json::default_max_depth;  // JSON nesting of a payload
};

enum class decode_error {
  none,
  empty_packet,              // an empty message
  unknown_type,              // first character is not 0..6
  invalid_attachment_count,  // BINARY_* header without "<digits>-", or a count of 0
  too_many_attachments,      // count above decoder_options::max_attachments
  invalid_ack_id,            // ack id beyond 64 bits
  invalid_json,              // malformed JSON (or trailing garbage, a non-digit where the id goes, ...)
  too_deep,                  // JSON nested deeper than decoder_options::max_depth
  invalid_payload,           // valid JSON of the wrong shape for the packet type (isPayloadValid)
  invalid_placeholder,       // {"_placeholder":true} whose num is not an integer in [0, attachments)
  unexpected_text,           // a text packet while attachments are still expected
  unexpected_binary,         // a binary message with no BINARY_* header pending
};

inline std::string_view to_string(decode_error e) noexcept {
  switch (e) {
    case decode_error::none: return "no error";
    case decode_error::empty_packet: return "empty packet";
    case decode_error::unknown_type: return "unknown packet type";
    case decode_error::invalid_attachment_count: return "illegal attachments";
    case decode_error::too_many_attachments: return "too many attachments";
    case decode_error::invalid_ack_id: return "invalid ack id";
    case decode_error::invalid_json: return "invalid JSON";
    case decode_error::too_deep: return "payload nested too deeply";
    case decode_error::invalid_payload: return "invalid payload";
    case decode_error::invalid_placeholder: return "illegal attachment placeholder";
    case decode_error::unexpected_text: return "got plaintext data when reconstructing a packet";
    case decode_error::unexpected_binary: return "got binary data when not reconstructing a packet";
  }
  return "unknown decode error";
}

enum class decode_status {
  need_more,  // a BINARY_* header was accepted; feed its attachments
  done,       // `decoded` holds a complete packet
  error,      // `error` says why; close the connection
};

struct decode_result {
  decode_status status = decode_status::need_more;
  packet decoded;                           // valid when status == done
  decode_error error = decode_error::none;  // set when status == error

  bool needs_more() const noexcept { return status == decode_status::need_more; }
  bool has_packet() const noexcept { return status == decode_status::done; }
  bool failed() const noexcept { return status == decode_status::error; }

  static decode_result more() { return {}; }
  static decode_result complete(packet p) { return {decode_status::done, std::move(p), decode_error::none}; }
  static decode_result failure(decode_error e) { return {decode_status::error, packet{}, e}; }
};

namespace detail {

// The REF rule (isPayloadValid); `payload` is null when there is none. One deliberate difference:
// the reference decoder skips the check when a packet has no payload at all (so it lets "2" through
// as an EVENT without arguments); here a missing payload counts, so EVENT, ACK and CONNECT_ERROR
// must carry one. No Socket.IO client sends such packets.
inline bool is_payload_valid(packet_type type, bool has_payload, const value& payload) {
  switch (type) {
    case packet_type::connect: return !has_payload || payload.is_object();
    case packet_type::disconnect: return !has_payload;
    case packet_type::connect_error: return has_payload && (payload.is_object() || payload.is_string());
    case packet_type::event:
    case packet_type::binary_event: {
      const auto* args = payload.get_if<sio::array>();
      if (!has_payload || !args || args->empty()) return false;
      const value& name = args->front();
      if (name.is_number()) return true;
      if (!name.is_string()) return false;
      // Names with a meaning of their own in the JS API; a peer may not emit them.
      for (std::string_view reserved : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        if (name.as_string() == reserved) return false;
      return true;
    }
    case packet_type::ack:
    case packet_type::binary_ack: return has_payload && payload.is_array();
  }
  return false;
}

// Reads the run of decimal digits at text[pos], advancing pos past all of them. nullopt when there
// are none, or (with `overflow` set) when they do not fit in 64 bits.
inline std::optional<std::uint64_t> read_decimal(std::string_view text, std::size_t& pos, bool& overflow) {
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::size_t start = pos;
  std::uint64_t n = 0;
  overflow = false;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (n > (max - digit) / 10)
      overflow = true;
    else
      n = n * 10 + digit;
  }
  if (pos == start || overflow) return std::nullopt;
  return n;
}

// A binary placeholder is any object whose "_placeholder" is true (REF: `_placeholder === true`).
inline bool is_placeholder(const value& v) {
  const value* flag = v.find("_placeholder");
  return flag && flag->is_bool() && flag->as_bool();
}

// The attachment index a placeholder names, if it is a valid one for `count` attachments.
// JS has only numbers: 1 and 1.0 are the same index, 0.5 is none.
inline std::optional<std::size_t> placeholder_index(const value& placeholder, std::size_t count) {
  const value* num = placeholder.find("num");
  if (!num) return std::nullopt;
  if (num->is_int64() && num->as_int64() >= 0 && static_cast<std::uint64_t>(num->as_int64()) < count)
    return static_cast<std::size_t>(num->as_int64());
  if (num->is_double()) {
    const double d = num->as_double();
    if (d >= 0 && d < static_cast<double>(count) && std::trunc(d) == d) return static_cast<std::size_t>(d);
  }
  return std::nullopt;
}

// Checks every placeholder in `v` and counts how often each attachment is referenced.
inline bool count_placeholders(const value& v, std::vector<std::size_t>& uses) {
  if (const auto* elements = v.get_if<sio::array>()) {
    for (const value& element : *elements)
      if (!count_placeholders(element, uses)) return false;
  } else if (const auto* members = v.get_if<sio::object>()) {
    if (is_placeholder(v)) {
      const auto index = placeholder_index(v, uses.size());
      if (!index) return false;
      ++uses[*index];
      return true;
    }
    for (const auto& member : *members)
      if (!count_placeholders(member.second, uses)) return false;
  }
  return true;
}

// Puts the attachments in place of their (already checked) placeholders. Copies of a binary share
// its bytes, so memory stays O(attachments) however many placeholders name them.
inline void fill_placeholders(value& v, std::vector<binary>& attachments, std::vector<std::size_t>& uses) {
  if (auto* elements = v.get_if<sio::array>()) {
    for (value& element : *elements) fill_placeholders(element, attachments, uses);
  } else if (auto* members = v.get_if<sio::object>()) {
    if (is_placeholder(v)) {
      const std::size_t index = *placeholder_index(v, attachments.size());
      if (--uses[index] == 0)
        v = std::move(attachments[index]);
      else
        v = attachments[index];
      return;
    }
    for (auto& member : *members) fill_placeholders(member.second, attachments, uses);
  }
}

}  // namespace detail

class decoder {
 public:
  decoder() = default;
  explicit decoder(decoder_options options) : options_(options) {}

  // One Engine.IO text message (the Socket.IO packet text).
  decode_result feed_text(std::string_view text) {
    if (awaiting_attachments()) {
      reset();
      return decode_result::failure(decode_error::unexpected_text);
    }
    if (text.empty()) return decode_result::failure(decode_error::empty_packet);
    if (text[0] < '0' || text[0] > '6') return decode_result::failure(decode_error::unknown_type);

    packet p;
    p.type = static_cast<packet_type>(text[0] - '0');
    std::size_t pos = 1;
    bool overflow = false;

    std::size_t attachments = 0;
    const bool is_binary = p.type == packet_type::binary_event || p.type == packet_type::binary_ack;
    if (is_binary) {
      const auto count = detail::read_decimal(text, pos, overflow);
      if (overflow) return decode_result::failure(decode_error::too_many_attachments);
      if (!count || *count == 0 || pos >= text.size() || text[pos] != '-')
        return decode_result::failure(decode_error::invalid_attachment_count);
      if (*count > options_.max_attachments) return decode_result::failure(decode_error::too_many_attachments);
      attachments = static_cast<std::size_t>(*count);
      ++pos;  // '-'
    }

    // The namespace runs to the next ',' or to the end of the text (so "40/custom" means "/custom").
    if (pos < text.size() && text[pos] == '/') {
      const std::size_t comma = text.find(',', pos);
      const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
      p.nsp.assign(text.substr(pos, end - pos));
      pos = comma == std::string_view::npos ? end : comma + 1;
    }

    if (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      p.id = detail::read_decimal(text, pos, overflow);
      if (overflow) return decode_result::failure(decode_error::invalid_ack_id);
    }

    const bool has_payload = pos < text.size();
    if (has_payload) {
      switch (json::parse(text.substr(pos), p.data, options_.max_depth)) {
        case json::json_error::none: break;
        case json::json_error::too_deep: return decode_result::failure(decode_error::too_deep);
        default: return decode_result::failure(decode_error::invalid_json);
      }
    }
    if (!detail::is_payload_valid(p.type, has_payload, p.data)) return decode_result::failure(decode_error::invalid_payload);

    if (!is_binary) return decode_result::complete(std::move(p));

    std::vector<std::size_t> uses(attachments, 0);
    if (!detail::count_placeholders(p.data, uses)) return decode_result::failure(decode_error::invalid_placeholder);
    p.type = p.type == packet_type::binary_event ? packet_type::event : packet_type::ack;
    pending_ = std::move(p);
    uses_ = std::move(uses);
    expected_ = attachments;
    received_.reserve(attachments);
    return decode_result::more();
  }

  // One Engine.IO binary message: the next attachment of the pending BINARY_* packet.
  decode_result feed_binary(binary bytes) {
    if (!awaiting_attachments()) return decode_result::failure(decode_error::unexpected_binary);
    received_.push_back(std::move(bytes));
    if (received_.size() < expected_) return decode_result::more();
    packet complete = std::move(pending_);
    detail::fill_placeholders(complete.data, received_, uses_);
    reset();
    return decode_result::complete(std::move(complete));
  }
  decode_result feed_binary(std::string_view bytes) { return feed_binary(binary(bytes)); }
  decode_result feed_binary(std::string&& bytes) { return feed_binary(binary::adopt(std::move(bytes))); }

  bool awaiting_attachments() const noexcept { return expected_ > 0; }

  // Forgets a half-received packet (e.g. when the connection closes).
  void reset() {
    pending_ = packet{};
    received_.clear();
    uses_.clear();
    expected_ = 0;
  }

  const decoder_options& options() const noexcept { return options_; }

 private:
  decoder_options options_;
  packet pending_;                 // header of a BINARY_* packet, placeholders still in
  std::vector<binary> received_;   // its attachments so far
  std::vector<std::size_t> uses_;  // placeholder references per attachment
  std::size_t expected_ = 0;       // attachments announced by the header; 0 when none pending
};

}  // namespace sio::parser
