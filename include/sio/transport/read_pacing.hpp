#pragma once
// Whether a connection is busy enough to keep a read buffer of its own (stream_connection.hpp).
#include <chrono>
#include <cstdint>

namespace sio::transport {

/// Four reads with data, each less than a second after the one before, make a connection busy;
/// a longer gap makes it quiet again. Opening a connection takes two or three quick reads (the
/// upgrade request, the probe, the namespace's connect packet): an idle client stays quiet. A
/// WebSocket carries on with the count its HTTP connection had.
class read_pacing {
 public:
  bool busy() const noexcept { return busy_; }

  void note_input() noexcept {
    auto now = std::chrono::steady_clock::now();
    if (now - last_input_ >= std::chrono::seconds(1)) {
      quick_inputs_ = 0;
      busy_ = false;
    } else if (quick_inputs_ < busy_after) {
      busy_ = ++quick_inputs_ == busy_after;
    }
    last_input_ = now;
  }

 private:
  static constexpr std::uint8_t busy_after = 4;
  std::chrono::steady_clock::time_point last_input_{};
  std::uint8_t quick_inputs_ = 0;  ///< reads in a row that came within a second of the previous
  bool busy_ = false;
};

}  // namespace sio::transport
