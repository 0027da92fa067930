#pragma once
// What an HTTP connection and a WebSocket connection share: the stream, the strand they run on,
// how they read (the busy-read heuristic) and how they write (write_queue.hpp, gathered into one
// system call). The two derive from it (CRTP, so that the hot path makes no virtual call):
// http_connection.hpp and websocket_connection.hpp.
//
// The derived class provides, all called on the strand:
//   bool closed() const             nothing more may be done with the stream
//   void do_read()                  reads again, if it wants to (a readiness wait found nothing)
//   void on_read(ec, data, size)    what a read brought
//   void written_all(was_paused)    everything queued is written
//   void resume_input()             the output went back under its bound
//   void peer_gone()                a write failed
#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <system_error>
#include <vector>

#include <asio.hpp>

#include "sio/transport/connection_settings.hpp"
#include "sio/transport/read_pacing.hpp"
#include "sio/transport/stream.hpp"
#include "sio/transport/strand_pool.hpp"
#include "sio/transport/write_queue.hpp"

namespace sio::transport {

template <class Derived, class Stream>
class stream_connection {
 public:
  const strand_type& strand() const noexcept { return slot_->strand(); }

 protected:
  using traits = stream_traits<Stream>;

  stream_connection(Stream stream, strand_slot_ptr slot, std::shared_ptr<const connection_settings> settings)
      : stream_(std::move(stream)), slot_(std::move(slot)), settings_(std::move(settings)), out_(settings_->budget) {}

  Derived& derived() noexcept { return static_cast<Derived&>(*this); }

  // ---- reading ----------------------------------------------------------------------------

  /// Starts one read; derived().on_read gets what it brings. The caller has checked that the
  /// connection may read now.
  void read_some() {
    reading_ = true;
    if constexpr (traits::readiness_io) {
      if (pacing_.busy()) return read_busy();
      // The connection went quiet: give its read buffer back (see read_busy).
      read_buffer_.reset();
      // Wait for readiness, then read into a per-thread scratch buffer: an idle connection holds
      // no read buffer of its own (this matters at 100k connections).
      auto on_ready = [self = derived().shared_from_this()](std::error_code ec) {
        self->reading_ = false;
        if (ec) return self->on_read(ec, nullptr, 0);
        auto& scratch = read_scratch();
        std::error_code rec;
        std::size_t n = self->stream_.read_some(asio::buffer(scratch), rec);
        if (rec == asio::error::would_block || rec == asio::error::try_again) return self->do_read();
        if (!rec) self->pacing_.note_input();
        self->on_read(rec, scratch.data(), n);
      };
      if (socket_on_strand_)
        stream_.async_wait(asio::socket_base::wait_read, std::move(on_ready));
      else
        stream_.async_wait(asio::socket_base::wait_read, asio::bind_executor(strand(), std::move(on_ready)));
    } else {
      if (!tls_buffer_) tls_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
      stream_.async_read_some(asio::buffer(*tls_buffer_),
                              asio::bind_executor(strand(), [self = derived().shared_from_this()](std::error_code ec, std::size_t n) {
                                self->reading_ = false;
                                self->on_read(ec, self->tls_buffer_->data(), n);
                              }));
    }
  }

  static std::array<char, 64 * 1024>& read_scratch() {
    thread_local std::array<char, 64 * 1024> scratch;
    return scratch;
  }

  /// A connection that keeps sending reads into a small buffer of its own. Asio then reads as
  /// soon as epoll reports data, and the next read costs no system call; a readiness wait costs
  /// an epoll_ctl to re-arm every time, one system call in three on an echo.
  void read_busy() {
    if (!read_buffer_) read_buffer_ = std::make_unique<std::array<char, busy_read_buffer>>();
    auto on_data = [self = derived().shared_from_this()](std::error_code ec, std::size_t n) {
      self->reading_ = false;
      if (ec) return self->on_read(ec, nullptr, 0);
      char* data = self->read_buffer_->data();
      if (n == busy_read_buffer) {
        // A full buffer: read what else is there in one go rather than a kilobyte at a time.
        auto& scratch = read_scratch();
        std::copy_n(data, n, scratch.data());
        std::error_code more;
        n += self->stream_.read_some(asio::buffer(scratch.data() + n, scratch.size() - n), more);
        data = scratch.data();  // an error (would_block included) shows again on the next read
      }
      self->pacing_.note_input();
      self->on_read(ec, data, n);
    };
    if (socket_on_strand_)
      stream_.async_read_some(asio::buffer(*read_buffer_), std::move(on_data));
    else
      stream_.async_read_some(asio::buffer(*read_buffer_), asio::bind_executor(strand(), std::move(on_data)));
  }

  /// Whether the socket's own executor is this connection's strand: it is for a connection
  /// accepted on it, not for a WebSocket whose session runs on another one. While it is, asio
  /// already runs read handlers there, and binding them to the strand again would add a second
  /// layer of work tracking and strand copies to every read.
  void check_socket_strand() {
    if constexpr (traits::readiness_io) {
      const auto executor = stream_.get_executor();
      const auto* target = executor.template target<strand_type>();
      socket_on_strand_ = target != nullptr && *target == strand();
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  void do_write() {
    if (out_.empty()) return derived().written_all(false);
    out_.gather(buffers_);
    if constexpr (traits::readiness_io) {
      if (try_write_now()) return;
    }
    asio::async_write(
        stream_, buffers_,
        asio::bind_executor(strand(), [self = derived().shared_from_this()](std::error_code ec, std::size_t) { self->on_written(ec); }));
  }

  /// Plain TCP: hands the socket what it takes now (it is non-blocking). Usually that is
  /// everything, and then no asynchronous write, completion handler or strand turn is needed.
  /// Returns true when the queue is empty; otherwise the queue is gathered again and buffers_
  /// holds the rest for async_write (which also reports any error the attempt met, in its turn).
  bool try_write_now() {
    std::error_code ec;
    std::size_t n = stream_.write_some(buffers_, ec);
    if (ec) return false;
    bool was_paused = out_.memory() > settings_->output_pause_bytes;
    out_.consume(n);
    if (!out_.empty()) {
      out_.gather(buffers_);
      return false;
    }
    derived().written_all(was_paused);
    return true;
  }

  void on_written(std::error_code ec) {
    if (derived().closed()) return;
    bool was_paused = out_.memory() > settings_->output_pause_bytes;
    out_.complete();
    if (ec) return derived().peer_gone();
    if (!out_.empty()) {
      do_write();
      if (was_paused && out_.memory() <= settings_->output_pause_bytes) derived().resume_input();
      return;
    }
    derived().written_all(was_paused);
  }

  void release_buffers() {
    if (buffers_.capacity() > 2) std::vector<asio::const_buffer>{}.swap(buffers_);
  }

  /// Shuts the stream down both ways and closes it; pending operations complete with errors.
  void close_stream() {
    std::error_code ec;
    auto& sock = traits::lowest_layer(stream_);
    sock.shutdown(asio::socket_base::shutdown_both, ec);
    sock.close(ec);
  }

  Stream stream_;
  strand_slot_ptr slot_;  ///< the strand this connection runs on
  std::shared_ptr<const connection_settings> settings_;
  write_queue out_;
  std::vector<asio::const_buffer> buffers_;
  bool reading_ = false;
  bool socket_on_strand_ = false;  ///< see check_socket_strand
  read_pacing pacing_;
  std::unique_ptr<std::array<char, 16 * 1024>> tls_buffer_;
  static constexpr std::size_t busy_read_buffer = 1024;
  std::unique_ptr<std::array<char, busy_read_buffer>> read_buffer_;  ///< only while busy
};

}  // namespace sio::transport
