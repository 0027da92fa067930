#pragma once
// The byte streams a connection can run on, plain TCP and TLS (and, for tests, memory_stream.hpp),
// behind one small trait so that the connection code is written once.
//
// A trait says:
//   secure        whether the stream is TLS (http_request::secure);
//   readiness_io  whether the stream takes non-blocking synchronous reads and writes and
//                 async_wait (a plain socket): the connection then tries them first, see
//                 stream_connection::read_some and try_write_now;
//   lowest_layer  the object shutdown and close are called on;
//   prepare, async_handshake  what opening the connection takes.
#include <asio.hpp>
#include <asio/ssl.hpp>

namespace sio::transport {

using tcp_stream = asio::ip::tcp::socket;
using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;

template <class Stream>
struct stream_traits;

template <>
struct stream_traits<tcp_stream> {
  static constexpr bool secure = false;
  static constexpr bool readiness_io = true;
  static asio::ip::tcp::socket& lowest_layer(tcp_stream& s) noexcept { return s; }
  /// Socket options set once: no Nagle delay, and non-blocking for the synchronous attempts
  /// the connection makes before it waits (see stream_connection::read_some, try_write_now).
  static void prepare(tcp_stream& s) noexcept {
    std::error_code ec;
    s.set_option(asio::ip::tcp::no_delay(true), ec);
    s.non_blocking(true, ec);
  }
  template <class Handler>
  static void async_handshake(tcp_stream&, Handler&& h) {
    std::forward<Handler>(h)(std::error_code{});
  }
};

template <>
struct stream_traits<tls_stream> {
  static constexpr bool secure = true;
  static constexpr bool readiness_io = false;
  static asio::ip::tcp::socket& lowest_layer(tls_stream& s) noexcept { return s.next_layer(); }
  static void prepare(tls_stream& s) noexcept {
    std::error_code ec;
    s.next_layer().set_option(asio::ip::tcp::no_delay(true), ec);
  }
  template <class Handler>
  static void async_handshake(tls_stream& s, Handler&& h) {
    s.async_handshake(asio::ssl::stream_base::server, std::forward<Handler>(h));
  }
};

}  // namespace sio::transport
