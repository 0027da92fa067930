#pragma once
// Shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp): an invariant check that makes
// libFuzzer record the input as a crash, and a way to cut the input into pieces.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

/// Like assert, in every build: prints what failed and aborts (libFuzzer then saves the input).
#define SIO_FUZZ_CHECK(condition)                                                              \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

namespace sio_fuzz {

/// Piece sizes that add up to `total`, chosen by `seed` (a byte of the input, so the fuzzer
/// explores the cuts too): mostly small pieces, single bytes often, sometimes a long one.
inline std::vector<std::size_t> pieces(std::uint32_t seed, std::size_t total) {
  std::vector<std::size_t> out;
  std::uint32_t state = seed * 2654435761u + 0x9E3779B9u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  for (std::size_t left = total; left > 0;) {
    const std::uint32_t r = next();
    std::size_t n;
    switch (r % 4) {
      case 0: n = 1; break;
      case 1: n = 1 + (r >> 8) % 8; break;
      case 2: n = 1 + (r >> 8) % 64; break;
      default: n = 1 + (r >> 8) % 1024; break;
    }
    if (n > left) n = left;
    out.push_back(n);
    left -= n;
  }
  return out;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }

}  // namespace sio_fuzz
