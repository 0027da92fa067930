#pragma once

// Engine.IO session ids: 20 characters from [A-Za-z0-9_-], i.e. 15 bytes from the OS CSPRNG in
// unpadded base64url, the same shape as the reference server's ids. The sid is the only credential
// a polling request carries, so all 120 bits are random (no counter); uniqueness is probabilistic,
// with a collision chance far below anything observable.
//
// Thread safety: one sid_generator is NOT thread-safe. The engine server calls next() from where it
// registers the new session in its session table, which is serialised already; give each server
// instance its own generator. Distinct objects may be used concurrently.

#include <array>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>
#if defined(__linux__) && __has_include(<sys/random.h>)
#include <sys/random.h>
#endif

#include <sio/detail/base64.hpp>

namespace sio::engine {

namespace sid_detail {

// Reads exactly `size` bytes from /dev/urandom; the fallback when getrandom(2) is missing.
inline void read_dev_urandom(unsigned char* buf, std::size_t size) {
  int fd;
  do {
    fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "open /dev/urandom");
  while (size > 0) {
    const ssize_t n = ::read(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw std::system_error(err, std::system_category(), "read /dev/urandom");
    }
    buf += n;
    size -= static_cast<std::size_t>(n);
  }
  ::close(fd);
}

// Fills `buf` from the OS CSPRNG; throws std::system_error if it cannot.
inline void fill_random(unsigned char* buf, std::size_t size) {
#if defined(__linux__) && __has_include(<sys/random.h>)
  while (size > 0) {
    // Requests above 256 bytes may return short (signals); loop until full.
    const ssize_t n = ::getrandom(buf, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOSYS) break;  // kernel older than 3.17: use the device
      throw std::system_error(errno, std::system_category(), "getrandom");
    }
    buf += n;
    size -= static_cast<std::size_t>(n);
  }
  if (size == 0) return;
#endif
  read_dev_urandom(buf, size);
}

}  // namespace sid_detail

class sid_generator {
 public:
  static constexpr std::size_t random_bytes_per_id = 15;
  static constexpr std::size_t id_length = 20;
  // 273 ids per refill: one syscall per 4 KiB (a multiple of 15, so no byte is wasted).
  static constexpr std::size_t buffer_size = random_bytes_per_id * 273;

  sid_generator() = default;
  // Copying would hand out the same buffered bytes twice, i.e. duplicate ids.
  sid_generator(const sid_generator&) = delete;
  sid_generator& operator=(const sid_generator&) = delete;
  // A moved-from generator has no buffer and refills on its next use.
  sid_generator(sid_generator&&) noexcept = default;
  sid_generator& operator=(sid_generator&&) noexcept = default;

  // Returns a fresh id. Throws std::system_error if the OS random source fails.
  std::string next() {
    if (!buffer_ || used_ + random_bytes_per_id > buffer_size) refill();
    std::string id;
    id.reserve(id_length);
    sio::detail::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(buffer_->data() + used_), random_bytes_per_id),
        id);
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
