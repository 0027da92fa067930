#pragma once
// Mounting sio on the user's own HTTP server (the seam itself: sio/mount_point.hpp).
//
// Example:
//   asio::io_context ctx;
//   sio::server<> io{ctx};
//   sio::mount_point mount = sio::make_mount_point(io);   // sio's half
//   // in the HTTP server, once a request for /socket.io/ is read (its head and what came after):
//   asio::ip::tcp::socket stream{ctx};
//   sio::mounted_request head{"GET", "/socket.io/?EIO=4&transport=polling"};
//   std::string read_ahead;
//   sio::async_serve(mount, std::move(stream), std::move(head), read_ahead,
//                    [](std::error_code ec, asio::ip::tcp::socket stream, std::string read_ahead) {});
//
// This header serves streams of standalone Asio (asio::ip::tcp::socket, asio::ssl::stream<...>);
// for Boost.Asio and Beast, see sio/mount_boost.hpp.
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <asio.hpp>

#include "sio/engine/server.hpp"
#include "sio/fwd.hpp"
#include "sio/mount_point.hpp"
#include "sio/transport/mounted_connection.hpp"
#include "sio/transport/mounted_stream.hpp"

namespace sio {

/// Streams of standalone Asio.
template <class Stream>
struct mount_net<Stream, std::enable_if_t<asio::execution::is_executor<typename Stream::executor_type>::value>> {
  using mutable_buffer = asio::mutable_buffer;
  using const_buffer = asio::const_buffer;
  static std::error_code to_std(const std::error_code& ec) noexcept { return ec; }
  template <class F>
  static void dispatch(Stream& s, F&& f) {
    asio::dispatch(s.get_executor(), std::forward<F>(f));
  }
  template <class Signature, class Initiation, class Token, class... Args>
  static auto initiate(Initiation&& init, Token&& token, Args&&... args) {
    return asio::async_initiate<Token, Signature>(std::forward<Initiation>(init), token, std::forward<Args>(args)...);
  }
  /// The handler's executor, kept busy until complete() runs.
  template <class Handler>
  static auto track(const Handler& h, Stream& s) {
    return asio::prefer(asio::get_associated_executor(h, s.get_executor()), asio::execution::outstanding_work.tracked);
  }
  template <class Work, class F>
  static void complete(const Work& work, F&& f) {
    asio::post(work, std::forward<F>(f));
  }
  template <class Socket>
  static void close(Socket& s) {
    std::error_code ec;
    s.shutdown(asio::socket_base::shutdown_both, ec);
    s.close(ec);
  }
};

namespace detail {
/// "GET /socket.io/?... HTTP/1.1\r\n" and the header fields, as the parser reads them.
inline std::string serialize_head(const mounted_request& req) {
  std::string head;
  head.reserve(64 + req.target.size());
  head.append(req.method).append(" ").append(req.target).append(req.version == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (const auto& [name, value] : req.headers) head.append(name).append(": ").append(value).append("\r\n");
  head.append("\r\n");
  return head;
}
}  // namespace detail

/// sio's half of the seam for an Engine.IO server.
template <class Policy>
mount_point make_mount_point(engine::server<Policy>& eio) {
  return mount_point{[settings = eio.mount_settings()](std::shared_ptr<mount_stream> stream, mounted_request request,
                                                       std::string_view read_ahead, mount_point::finish_handler finish) {
    auto slot = settings->strands->next();
    auto done = [finish = std::move(finish)](transport::mounted_outcome outcome, std::error_code ec, std::string rest) {
      switch (outcome) {
        case transport::mounted_outcome::keep_alive: ec = {}; break;
        case transport::mounted_outcome::close: ec = make_error_code(mount_errc::close); break;
        case transport::mounted_outcome::upgraded: ec = make_error_code(mount_errc::upgraded); break;
        case transport::mounted_outcome::failed: break;
      }
      finish(ec, std::move(rest));
    };
    transport::mounted_stream wrapped{slot->strand().get_inner_executor(), std::move(stream)};
    auto c = std::make_shared<transport::mounted_connection>(std::move(wrapped), std::move(slot), settings, std::move(done));
    c->start(detail::serialize_head(request), read_ahead, {request.remote_address, request.remote_port, request.secure});
  }};
}

/// sio's half of the seam for a Socket.IO server.
template <class Transport, class Adapter>
mount_point make_mount_point(server<Transport, Adapter>& io) {
  return make_mount_point(io.engine());
}

/// async_serve on a server directly (a stream of standalone Asio, in the server's translation unit).
template <class Transport, class Adapter, class Stream, class CompletionToken>
auto async_serve(server<Transport, Adapter>& io, Stream stream, mounted_request request, std::string_view read_ahead,
                 CompletionToken&& token) {
  return async_serve(make_mount_point(io), std::move(stream), std::move(request), read_ahead, std::forward<CompletionToken>(token));
}
template <class Policy, class Stream, class CompletionToken>
auto async_serve(engine::server<Policy>& eio, Stream stream, mounted_request request, std::string_view read_ahead,
                 CompletionToken&& token) {
  return async_serve(make_mount_point(eio), std::move(stream), std::move(request), read_ahead, std::forward<CompletionToken>(token));
}

}  // namespace sio
