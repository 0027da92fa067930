#pragma once
// A session's WebSocket transport (the interface is in transport.hpp): the open channel its packets
// go through, one message each.
// The channel (transport/handler.hpp) frames and writes them; this is what the session knows of
// it. Sending is a direct call, not through an interface of the engine's own: it is the hot path
// of every emit (bench/RESULTS.md). Every call is made on the session's strand.
#include <cstddef>
#include <memory>
#include <utility>

#include "sio/engine/packet.hpp"
#include "sio/transport/handler.hpp"

namespace sio::engine {

class websocket_transport {
 public:
  bool attached() const noexcept { return channel_ != nullptr; }
  /// Whether `ws` is the session's WebSocket still (its callbacks may outlive it).
  bool is(const transport::websocket_channel* ws) const noexcept { return channel_.get() == ws; }
  /// Takes `ws` as the transport; the caller installs its handlers on what this returns.
  transport::websocket_channel& attach(std::shared_ptr<transport::websocket_channel> ws) {
    channel_ = std::move(ws);
    return *channel_;
  }
  transport::websocket_channel& channel() noexcept { return *channel_; }

  /// One packet, one message. Call only while attached.
  void send(frame&& f) { channel_->send(f.binary, std::move(f.bytes)); }
  /// What the channel's queue costs in memory (nothing once ended).
  std::size_t buffered_memory() const noexcept { return channel_ ? channel_->buffered_memory() : 0; }
  /// Whether a packet would be written now: attached, with nothing waiting.
  bool ready() const noexcept { return channel_ && channel_->buffered_bytes() == 0; }

  /// Detaches the channel without calling back, then closes it with a closing handshake, or, with
  /// `drop`, ends it at once and frees its queue.
  void end(bool drop) {
    auto ws = std::exchange(channel_, nullptr);
    ws->set_handlers(nullptr, nullptr);
    if (drop)
      ws->drop();
    else
      ws->close(1000);
  }

 private:
  std::shared_ptr<transport::websocket_channel> channel_;
};

}  // namespace sio::engine
