// libFuzzer target: the RFC 6455 frame reader (transport/websocket_reader.hpp).
//
// Input: one configuration byte (the low 3 bits choose the message size limit, the rest where
// the stream is cut), then the bytes a client sends after the handshake. The stream is read
// twice, whole and in pieces. Invariants:
//   - both runs report the same frames and the same failure;
//   - a failure is 1002, 1007 or 1009, and nothing is reported after it;
//   - a text or binary message is never larger than the limit; a text message is valid UTF-8;
//   - a control frame carries at most 125 bytes; a close frame's payload is empty or holds a
//     valid status code and a UTF-8 reason;
//   - a message's memory follows the bytes received, not the lengths announced.
#include <sio/detail/utf8.hpp>
#include <sio/transport/websocket_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using sio::transport::websocket_reader;
using kind = websocket_reader::frame_kind;

struct outcome {
  std::vector<std::pair<kind, std::string>> frames;
  std::uint16_t failure = 0;
  bool operator==(const outcome& o) const { return frames == o.frames && failure == o.failure; }
};

bool valid_close_code(unsigned code) {
  return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) || (code >= 3000 && code <= 4999);
}

outcome run(std::string stream, const std::vector<std::size_t>& cuts, std::size_t max_message) {
  websocket_reader reader{max_message};
  outcome out;
  bool closed = false;
  std::size_t at = 0;
  for (std::size_t n : cuts) {
    if (closed || out.failure) break;
    const std::uint16_t failure = reader.consume(stream.data() + at, n, [&](kind k, std::string&& payload) {
      SIO_FUZZ_CHECK(!closed);
      switch (k) {
        case kind::text: SIO_FUZZ_CHECK(sio::detail::is_valid_utf8(payload)); [[fallthrough]];
        case kind::binary: SIO_FUZZ_CHECK(payload.size() <= max_message); break;
        case kind::close:
          SIO_FUZZ_CHECK(payload.size() != 1);
          if (payload.size() >= 2) {
            std::uint16_t code = 0;
            std::string reason;
            websocket_reader::parse_close(payload, code, reason);
            SIO_FUZZ_CHECK(valid_close_code(code));
            SIO_FUZZ_CHECK(sio::detail::is_valid_utf8(reason));
          }
          [[fallthrough]];
        case kind::ping:
        case kind::pong: SIO_FUZZ_CHECK(payload.size() <= 125); break;
      }
      // A message never holds more than the bytes that came in for it.
      SIO_FUZZ_CHECK(payload.capacity() <= 2 * (stream.size() + 64 * 1024));
      out.frames.emplace_back(k, std::move(payload));
      closed = k == kind::close;  // the connection answers and stops reading here
      return !closed;
    });
    at += n;
    if (failure) {
      SIO_FUZZ_CHECK(failure == websocket_reader::protocol_error || failure == websocket_reader::invalid_data ||
                     failure == websocket_reader::message_too_big);
      out.failure = failure;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::size_t limits[] = {0, 1, 125, 126, 1000, 65535, 65536, 1'000'000};
  const std::uint8_t config = data[0];
  const std::size_t max_message = limits[config & 7];
  const std::string stream{sio_fuzz::as_text(data + 1, size - 1)};
  // consume() unmasks in place: each run reads its own copy.
  const outcome whole = run(stream, {stream.size()}, max_message);
  const outcome split = run(stream, sio_fuzz::pieces(config >> 3, stream.size()), max_message);
  SIO_FUZZ_CHECK(whole == split);
  return 0;
}
