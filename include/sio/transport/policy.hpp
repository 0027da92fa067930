#pragma once
// Transport policies: which Engine.IO transports a server offers and on which byte stream.
// `sio::server<Policy>` and `sio::engine::server<Policy>` take one of these (default: any).
#include <type_traits>

#include "sio/transport/stream.hpp"

namespace sio::transport {

/// WebSocket only: clients must connect with transports: ["websocket"].
struct websocket_only {
  static constexpr bool polling = false;
  static constexpr bool websocket = true;
  using stream_type = tcp_stream;
};

/// HTTP long-polling only.
struct polling_only {
  static constexpr bool polling = true;
  static constexpr bool websocket = false;
  using stream_type = tcp_stream;
};

/// Both, with the polling -> WebSocket upgrade (the JavaScript server's default).
struct any {
  static constexpr bool polling = true;
  static constexpr bool websocket = true;
  using stream_type = tcp_stream;
};

/// The same transports over TLS (https / wss); the server then needs an asio::ssl::context.
template <class Base>
struct tls : Base {
  using stream_type = tls_stream;
};

template <class P, class = void>
struct is_policy : std::false_type {};
template <class P>
struct is_policy<P, std::void_t<decltype(bool{P::polling}), decltype(bool{P::websocket}), typename P::stream_type>>
    : std::bool_constant<(P::polling || P::websocket) &&
                         (std::is_same_v<typename P::stream_type, tcp_stream> || std::is_same_v<typename P::stream_type, tls_stream>)> {};

template <class P>
constexpr bool is_secure_policy = std::is_same_v<typename P::stream_type, tls_stream>;

}  // namespace sio::transport
