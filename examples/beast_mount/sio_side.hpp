#pragma once
// sio's half of the example: the Socket.IO server on its own io_context and thread. This header
// includes no Asio, so that main.cpp (Beast, on Boost.Asio) can use it: standalone Asio and Boost.Asio
// cannot share a translation unit.
#include <functional>
#include <memory>

#include <sio/mount_point.hpp>

class sio_side {
 public:
  /// Starts sio's thread. Socket.IO events: "echo" (args...) answers "echo" with the same
  /// arguments; "echo-ack" (args..., ack) acknowledges with them.
  sio_side();
  ~sio_side();
  /// Where Beast hands sio its requests.
  sio::mount_point mount() const;
  /// Closes the server; `done` runs on sio's thread once sio has nothing left to do.
  void close(std::function<void()> done);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};
