// libFuzzer target: the Engine.IO v4 polling payload decoder (engine/payload.hpp, packet.hpp).
//
// Input: a POST body. Invariants:
//   - a body that decodes has one packet per record separator plus one, each of a known type;
//   - encoding the packets again (append_to_payload) and decoding that gives the same packets;
//   - a single segment decodes like a one-packet payload; parse_text_packet and take_text_packet
//     (the copy-free variant) agree.
#include <sio/engine/packet.hpp>
#include <sio/engine/payload.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace sio::engine;

bool same(const packet& a, const packet& b) { return a.type == b.type && a.binary == b.binary && a.data == b.data; }

bool same(const std::vector<packet>& a, const std::vector<packet>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const packet& x, const packet& y) { return same(x, y); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = sio_fuzz::as_text(data, size);

  const auto text = parse_text_packet(body);
  const auto taken = take_text_packet(std::string{body});
  SIO_FUZZ_CHECK(text.has_value() == taken.has_value());
  if (text) SIO_FUZZ_CHECK(same(*text, *taken) && !text->binary && text->data == body.substr(1));

  const auto packets = parse_payload(body);
  if (!packets) return 0;
  SIO_FUZZ_CHECK(packets->size() == static_cast<std::size_t>(std::count(body.begin(), body.end(), payload_separator)) + 1);
  std::string again;
  for (const packet& p : *packets) {
    SIO_FUZZ_CHECK(static_cast<char>(p.type) >= '0' && static_cast<char>(p.type) <= '6');
    SIO_FUZZ_CHECK(!p.binary || p.type == packet_type::message);
    if (!p.binary) SIO_FUZZ_CHECK(p.data.find(payload_separator) == std::string::npos);
    append_to_payload(again, p.binary ? make_binary_frame(p.data) : make_text_frame(p.type, p.data));
  }
  const auto reparsed = parse_payload(again);
  SIO_FUZZ_CHECK(reparsed && same(*packets, *reparsed));
  if (packets->size() == 1) {
    const auto segment = parse_payload_segment(body);
    SIO_FUZZ_CHECK(segment && same(*segment, packets->front()));
  }
  return 0;
}
