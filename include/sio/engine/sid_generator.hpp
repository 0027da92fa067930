#pragma once

// Engine.IO session ids: 20 characters from [A-Za-z0-9_-], i.e. 15 bytes from OpenSSL's CSPRNG
// (RAND_bytes, seeded by the OS; OpenSSL is linked for TLS anyway, and it is the same on every
// platform) in unpadded base64url, the same shape as the reference server's ids. The sid is the
// only credential a polling request carries, so all 120 bits are random (no counter); uniqueness is
// probabilistic, with a collision chance far below anything observable.
//
// Thread safety: one sid_generator is NOT thread-safe. The engine server calls next() from where it
// registers the new session in its session table, which is serialised already; give each server
// instance its own generator. Distinct objects may be used concurrently (RAND_bytes is thread-safe).

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sio/detail/base64.hpp"

namespace sio::engine {

namespace sid_detail {

// Fills `buf` from OpenSSL's CSPRNG; throws std::runtime_error if it cannot (it was never seeded,
// or a provider failed), with OpenSSL's reason.
inline void fill_random(unsigned char* buf, std::size_t size) {
  constexpr std::size_t max_chunk = 1 << 30;  // RAND_bytes takes an int
  while (size > 0) {
    const std::size_t chunk = size < max_chunk ? size : max_chunk;
    if (RAND_bytes(buf, static_cast<int>(chunk)) != 1) break;
    buf += chunk;
    size -= chunk;
  }
  if (size == 0) return;
  char reason[256] = "no reason given";
  if (unsigned long err = ERR_get_error(); err != 0) ERR_error_string_n(err, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(std::string{"RAND_bytes: "} + reason);
}

}  // namespace sid_detail

class sid_generator {
 public:
  static constexpr std::size_t random_bytes_per_id = 15;
  static constexpr std::size_t id_length = 20;
  // 273 ids per refill: one RAND_bytes call per 4 KiB (a multiple of 15, so no byte is wasted).
  static constexpr std::size_t buffer_size = random_bytes_per_id * 273;

  sid_generator() = default;
  // Copying would hand out the same buffered bytes twice, i.e. duplicate ids.
  sid_generator(const sid_generator&) = delete;
  sid_generator& operator=(const sid_generator&) = delete;
  // A moved-from generator has no buffer and refills on its next use.
  sid_generator(sid_generator&&) noexcept = default;
  sid_generator& operator=(sid_generator&&) noexcept = default;

  // Returns a fresh id. Throws std::runtime_error if OpenSSL's random generator fails.
  std::string next() {
    if (!buffer_ || used_ + random_bytes_per_id > buffer_size) refill();
    std::string id;
    id.reserve(id_length);
    sio::detail::base64url_encode(std::string_view(reinterpret_cast<const char*>(buffer_->data() + used_), random_bytes_per_id), id);
    used_ += random_bytes_per_id;
    return id;
  }

 private:
  void refill() {
    if (!buffer_) buffer_ = std::make_unique<std::array<unsigned char, buffer_size>>();
    used_ = buffer_size;  // if filling throws, nothing half-filled is ever handed out
    sid_detail::fill_random(buffer_->data(), buffer_->size());
    used_ = 0;
  }

  std::unique_ptr<std::array<unsigned char, buffer_size>> buffer_;
  std::size_t used_ = 0;
};

}  // namespace sio::engine
