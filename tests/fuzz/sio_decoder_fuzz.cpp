// libFuzzer target: the Socket.IO v5 decoder with binary reassembly (parser/decoder.hpp), and the
// encoder as its inverse.
//
// Input: one configuration byte (bit 0: at most 2 attachments instead of 10; bit 1: JSON depth
// 4 instead of the default), then a sequence of Engine.IO messages separated by the byte 0xFE
// (never part of UTF-8 text); a message starting with 'B' is binary (the rest of it), any other
// is text. Invariants:
//   - an error leaves the decoder waiting for nothing; so does a complete packet;
//   - "need more" comes only from a BINARY_EVENT/BINARY_ACK header, and only while attachments
//     are awaited;
//   - a complete packet is CONNECT, DISCONNECT, EVENT, ACK or CONNECT_ERROR (binary ones are
//     reported as EVENT/ACK) with a namespace that starts with '/' and holds no ',', a payload
//     the protocol allows, and no placeholder left where an attachment was;
//   - attachments are shared, never copied per placeholder: the binaries in a packet point to
//     no more distinct buffers than attachments were received (memory is O(attachments),
//     whatever the number of placeholders);
//   - encoding a complete packet and decoding the result (text, then attachments) gives it back
//     (numbers compared as same_value.hpp says).
#include <sio/parser/decoder.hpp>
#include <sio/parser/encoder.hpp>
#include <sio/value.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "same_value.hpp"

namespace {

using namespace sio::parser;

/// Whether a placeholder object ({"_placeholder":true, ...}) is left anywhere in `v`.
bool has_placeholder(const sio::value& v) {
  if (const auto* elements = v.get_if<sio::array>()) {
    for (const auto& e : *elements)
      if (has_placeholder(e)) return true;
  } else if (v.get_if<sio::object>()) {
    if (detail::is_placeholder(v)) return true;
    for (const auto& member : v.as_object())
      if (has_placeholder(member.second)) return true;
  }
  return false;
}

/// The distinct buffers behind the non-empty binaries in `v`.
void collect_buffers(const sio::value& v, std::set<const void*>& buffers) {
  if (v.is_binary()) {
    if (!v.as_binary().empty()) buffers.insert(v.as_binary().data());
  } else if (const auto* elements = v.get_if<sio::array>()) {
    for (const auto& e : *elements) collect_buffers(e, buffers);
  } else if (const auto* members = v.get_if<sio::object>()) {
    for (const auto& member : *members) collect_buffers(member.second, buffers);
  }
}

void check_packet(const packet& p, std::size_t attachments_received, const decoder_options& options) {
  const bool from_binary = attachments_received > 0;
  SIO_FUZZ_CHECK(p.type == packet_type::connect || p.type == packet_type::disconnect || p.type == packet_type::event ||
                 p.type == packet_type::ack || p.type == packet_type::connect_error);
  SIO_FUZZ_CHECK(!p.nsp.empty() && p.nsp.front() == '/' && p.nsp.find(',') == std::string::npos);
  SIO_FUZZ_CHECK(detail::is_payload_valid(p.type, !p.data.is_null(), p.data));
  if (from_binary) {
    SIO_FUZZ_CHECK(p.type == packet_type::event || p.type == packet_type::ack);
    SIO_FUZZ_CHECK(!has_placeholder(p.data));
  }
  std::set<const void*> buffers;
  collect_buffers(p.data, buffers);
  SIO_FUZZ_CHECK(buffers.size() <= attachments_received);

  // Encode, then decode with a fresh decoder: the same packet.
  std::string text;
  std::vector<sio::binary> attachments;
  encode(p, text, attachments);
  // Binaries that share their buffer are one attachment: a packet goes out with at most as many
  // attachments as it came with, so the same decoder options read it back.
  SIO_FUZZ_CHECK(attachments.size() <= count_binaries(p.data));
  SIO_FUZZ_CHECK(attachments.size() <= attachments_received);
  decoder again{options};
  decode_result r = again.feed_text(text);
  if (!attachments.empty()) {
    for (auto& bytes : attachments) {
      SIO_FUZZ_CHECK(r.needs_more());
      r = again.feed_binary(std::move(bytes));
    }
  }
  if (!r.has_packet()) {
    std::fprintf(stderr, "re-encoded packet did not decode: %.*s (%s)\n", static_cast<int>(text.size()), text.data(),
                 std::string{to_string(r.error)}.c_str());
  }
  SIO_FUZZ_CHECK(r.has_packet());
  const packet& back = r.decoded;
  SIO_FUZZ_CHECK(back.type == p.type && back.nsp == p.nsp && back.id == p.id);
  SIO_FUZZ_CHECK(sio_fuzz::same_value(back.data, p.data));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  decoder_options options;
  if (data[0] & 1) options.max_attachments = 2;
  if (data[0] & 2) options.max_depth = 4;
  decoder d{options};
  std::string_view rest = sio_fuzz::as_text(data + 1, size - 1);
  std::size_t attachments_received = 0;  // for the BINARY_* packet being reassembled
  for (;;) {
    const std::size_t end = rest.find('\xFE');
    const std::string_view message = rest.substr(0, end);
    decode_result r;
    const bool binary = !message.empty() && message.front() == 'B';
    if (binary) {
      r = d.feed_binary(message.substr(1));
    } else {
      r = d.feed_text(message);
    }
    if (r.failed()) {
      SIO_FUZZ_CHECK(r.error != decode_error::none);
      SIO_FUZZ_CHECK(!d.awaiting_attachments());
      attachments_received = 0;
    } else if (r.needs_more()) {
      SIO_FUZZ_CHECK(d.awaiting_attachments());
      if (binary)
        ++attachments_received;
      else
        SIO_FUZZ_CHECK(message.front() == '5' || message.front() == '6');
    } else {
      SIO_FUZZ_CHECK(!d.awaiting_attachments());
      // A packet completes from a text (no attachments) or from its last attachment.
      check_packet(r.decoded, binary ? attachments_received + 1 : 0, options);
      attachments_received = 0;
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return 0;
}
