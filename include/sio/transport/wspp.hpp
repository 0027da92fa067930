#pragma once
// websocketpp, configured for sio: the WebSocket protocol engine (handshake, framing, masking,
// control frames, close handshake, UTF-8 checks) driven through its iostream transport, so that
// sio owns the socket, the buffers and the strand. The only header that includes websocketpp.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#pragma clang diagnostic ignored "-Wunused-parameter"
#pragma clang diagnostic ignored "-Wdeprecated-copy"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-copy"
#endif
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/server.hpp>
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace sio::transport {

/// websocketpp policy bundle: no locking (each connection lives on one strand), no logging,
/// no extensions, and a small staging buffer (sio feeds bytes from its own read buffer).
struct wspp_config : websocketpp::config::core {
  using type = wspp_config;
  using base = websocketpp::config::core;
  using concurrency_type = websocketpp::concurrency::none;
  using elog_type = websocketpp::log::stub;
  using alog_type = websocketpp::log::stub;

  struct transport_config : base::transport_config {
    using concurrency_type = websocketpp::concurrency::none;
    using elog_type = websocketpp::log::stub;
    using alog_type = websocketpp::log::stub;
    static const bool enable_multithreading = false;
  };
  using transport_type = websocketpp::transport::iostream::endpoint<transport_config>;

  static const bool enable_multithreading = false;
  static const std::size_t connection_read_buffer_size = 2048;
  static const bool enable_extensions = false;
  static const websocketpp::log::level elog_level = websocketpp::log::elevel::none;
  static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;
};

using wspp_server = websocketpp::server<wspp_config>;
using wspp_connection_ptr = wspp_server::connection_ptr;

}  // namespace sio::transport
