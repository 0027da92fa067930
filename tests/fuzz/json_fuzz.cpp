// libFuzzer target: the JSON reader and writer (parser/json.hpp).
//
// Input: text. Invariants:
//   - a failed parse leaves the output value untouched;
//   - what parses, written and parsed again, gives an equal value (JS semantics: 1 == 1.0), and
//     writing that gives the same text again (the writer's output is a fixed point);
//     one known difference is let through (see same_value.hpp): a double of 2^53 or more whose
//     shortest digits are written as an integer (1.2345678901234567e17 is written
//     123456789012345660) is read back as that exact integer, 4 away from the double; JS reads
//     both as the same Number, sio::value's == does not (tests/fuzz/regressions/json/);
//   - a tighter depth limit never accepts what the default refuses.
#include <sio/parser/json.hpp>
#include <sio/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "same_value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sio_fuzz::as_text(data, size);
  using sio::json::json_error;

  const sio::value sentinel{"untouched"};
  sio::value parsed = sentinel;
  const json_error error = sio::json::parse(text, parsed);
  sio::value shallow = sentinel;
  const json_error shallow_error = sio::json::parse(text, shallow, 3);
  if (error != json_error::none) {
    SIO_FUZZ_CHECK(parsed == sentinel);
    SIO_FUZZ_CHECK(shallow_error != json_error::none && shallow == sentinel);
    return 0;
  }
  SIO_FUZZ_CHECK(shallow_error == json_error::none ? shallow == parsed : shallow_error == json_error::too_deep);

  const std::string written = sio::json::stringify(parsed);
  sio::value reparsed;
  SIO_FUZZ_CHECK(sio::json::parse(written, reparsed) == json_error::none);
  SIO_FUZZ_CHECK(sio_fuzz::same_value(reparsed, parsed));
  SIO_FUZZ_CHECK(sio::json::stringify(reparsed) == written);
  return 0;
}
