#pragma once
// The transport a session sends through: long-polling (polling_transport.hpp) or WebSocket
// (websocket_transport.hpp). Both answer the same three calls:
//   send(frame&&)       take one packet (the WebSocket writes it; polling queues it for a GET)
//   buffered_memory()   what the output not yet handed to the socket costs
//   ready()             whether a packet would leave now rather than wait (volatile packets go
//                       only then)
// The session picks one by a branch on transport_kind, not through a virtual call: the WebSocket
// send is the hot path of every emit (bench/RESULTS.md), and the channel under it is virtual
// already. The upgrade from one to the other is upgrade.hpp's.
#include <string_view>

namespace sio::engine {

enum class transport_kind { polling, websocket };

/// The name the protocol gives the transport (the `transport` query parameter).
constexpr std::string_view transport_name(transport_kind kind) noexcept {
  return kind == transport_kind::websocket ? "websocket" : "polling";
}

}  // namespace sio::engine
