#pragma once
// A server connection: HTTP/1.1 until a request upgrades, then a WebSocket on the same stream.
//   stream_connection.hpp     the stream, its strand, reading and writing (shared by the two below)
//   http_connection.hpp       HTTP: limits, TLS handshake, keep-alive, idle timer, lingering close
//   websocket_connection.hpp  the WebSocket: 101, frames, ping/pong, closing handshake
//   write_queue.hpp           the output of either, gathered into one system call
#include "sio/transport/http_connection.hpp"

namespace sio::transport {

/// What a listener starts for each accepted stream.
template <class Stream>
using connection = http_connection<Stream>;

}  // namespace sio::transport
