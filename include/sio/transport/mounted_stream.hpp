#pragma once
// A stream that sio did not accept: the user's HTTP server read a request on it and handed it over
// (sio/mount_point.hpp). Whatever its type (a socket of standalone Asio or of Boost.Asio, a TLS
// stream, Beast's tcp_stream), the transport sees it through this one class, an Asio AsyncStream
// over sio::mount_stream, so that the WebSocket connection is compiled once for all of them.
//
// Its operations run on the stream's own executor (the user's event loop); their completions come
// back to the handler's executor (sio's strand), which is kept busy meanwhile.
#include <cstddef>
#include <memory>
#include <system_error>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/mount_point.hpp"
#include "sio/transport/stream.hpp"

namespace sio::transport {

class mounted_stream {
 public:
  using executor_type = asio::any_io_executor;

  /// `ex`: where completions go when the handler names no executor of its own.
  mounted_stream(executor_type ex, std::shared_ptr<mount_stream> s) : ex_(std::move(ex)), stream_(std::move(s)) {}
  mounted_stream(mounted_stream&&) = default;

  executor_type get_executor() const { return ex_; }
  const std::shared_ptr<mount_stream>& user_stream() const noexcept { return stream_; }

  template <class MutableBufferSequence, class Handler>
  void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    asio::mutable_buffer b = *asio::buffer_sequence_begin(buffers);
    stream_->read_some(b.data(), b.size(), back_to(std::forward<Handler>(handler)));
  }

  template <class ConstBufferSequence, class Handler>
  void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    std::vector<mount_stream::buffer> list;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
      asio::const_buffer b = *it;
      if (b.size() != 0) list.push_back({b.data(), b.size()});
    }
    stream_->write_some(std::move(list), back_to(std::forward<Handler>(handler)));
  }

  /// What the connections call on a stream's lowest layer: both end the connection.
  void shutdown(asio::socket_base::shutdown_type what, std::error_code& ec) {
    ec = {};
    if (what != asio::socket_base::shutdown_receive) stream_->close();
  }
  void close(std::error_code& ec) {
    ec = {};
    stream_->close();
  }

 private:
  /// The completion for the user's stream: runs `handler` on its own executor, kept busy until then.
  template <class Handler>
  mount_stream::completion back_to(Handler&& handler) {
    auto work = asio::prefer(asio::get_associated_executor(handler, ex_), asio::execution::outstanding_work.tracked);
    return [h = std::forward<Handler>(handler), work = std::move(work)](std::error_code ec, std::size_t n) mutable {
      asio::post(work, [h = std::move(h), ec, n]() mutable { h(ec, n); });
    };
  }

  executor_type ex_;
  std::shared_ptr<mount_stream> stream_;
};

template <>
struct stream_traits<mounted_stream> {
  static constexpr bool secure = false;  // the mount point says (http_request::secure)
  static constexpr bool readiness_io = false;
  static mounted_stream& lowest_layer(mounted_stream& s) noexcept { return s; }
  static void prepare(mounted_stream&) noexcept {}
  template <class Handler>
  static void async_handshake(mounted_stream&, Handler&& h) {
    std::forward<Handler>(h)(std::error_code{});
  }
};

}  // namespace sio::transport
