// libFuzzer target: base64 (detail/base64.hpp), both ways.
//
// Input: bytes, used as data to encode and as text to decode. Invariants:
//   - decode(encode(x)) == x, padded or with the padding stripped; the encodings have the
//     lengths and alphabets RFC 4648 gives them;
//   - decoding arbitrary text never crashes; what decodes has the length the text implies, and
//     encoding it and decoding again gives it back.
#include <sio/detail/base64.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = sio_fuzz::as_text(data, size);
  using namespace sio::detail;

  std::string padded;
  base64_encode(bytes, padded);
  SIO_FUZZ_CHECK(padded.size() == (size + 2) / 3 * 4);
  const std::size_t unpadded_size = padded.find('=') == std::string::npos ? padded.size() : padded.find('=');
  SIO_FUZZ_CHECK(padded.size() - unpadded_size <= 2);
  for (std::size_t i = 0; i < unpadded_size; ++i)
    SIO_FUZZ_CHECK(std::string_view{base64_tables::standard_alphabet}.find(padded[i]) != std::string_view::npos);
  const auto decoded = base64_decode(padded);
  SIO_FUZZ_CHECK(decoded && *decoded == bytes);
  const auto decoded_unpadded = base64_decode(std::string_view{padded}.substr(0, unpadded_size));
  SIO_FUZZ_CHECK(decoded_unpadded && *decoded_unpadded == bytes);

  std::string url;
  base64url_encode(bytes, url);
  SIO_FUZZ_CHECK(url.size() == unpadded_size);
  for (char c : url) SIO_FUZZ_CHECK(std::string_view{base64_tables::url_alphabet}.find(c) != std::string_view::npos);

  // The input as base64 text, most of it garbage.
  const auto garbage = base64_decode(bytes);
  if (garbage) {
    std::size_t significant = size;
    while (significant > 0 && bytes[significant - 1] == '=') --significant;
    SIO_FUZZ_CHECK(size - significant <= 2);
    SIO_FUZZ_CHECK(significant % 4 != 1);
    SIO_FUZZ_CHECK(garbage->size() == significant * 3 / 4);
    std::string again;
    base64_encode(*garbage, again);
    const auto round = base64_decode(again);
    SIO_FUZZ_CHECK(round && *round == *garbage);
  }
  return 0;
}
