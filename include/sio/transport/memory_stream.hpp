#pragma once
// A byte stream held in memory: the server's connection on one side, a test (or a fuzzer) on the
// other. connection<memory_stream> runs exactly the code a TCP connection runs, with no socket,
// so that the engine can be driven deterministically: what the peer sends, when it reads, how much
// the "kernel" buffers before writes block (the window), and when the peer goes away.
//
//   asio::io_context ctx;
//   auto [stream, peer] = sio::transport::memory_stream::make_pair(strand);
//   auto c = std::make_shared<connection<memory_stream>>(std::move(stream), slot, settings);
//   c->start();
//   peer.send("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
//   ctx.poll();
//   std::string answer = peer.receive();
//
// Thread safety: none; use it from one thread (the tests run their io_context on one).
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <asio.hpp>

#include "sio/transport/stream.hpp"

namespace sio::transport {

class memory_stream {
 public:
  using executor_type = asio::any_io_executor;

  /// A move-only callable (asio's composed operations need not be copyable, so std::function
  /// cannot hold them).
  class task {
   public:
    task() = default;
    template <class F>
    task(F f) : impl_(std::make_unique<model<F>>(std::move(f))) {}
    explicit operator bool() const noexcept { return impl_ != nullptr; }
    void operator()() { impl_->run(); }

   private:
    struct concept_ {
      virtual ~concept_() = default;
      virtual void run() = 0;
    };
    template <class F>
    struct model final : concept_ {
      explicit model(F fn) : f(std::move(fn)) {}
      void run() override { f(); }
      F f;
    };
    std::unique_ptr<concept_> impl_;
  };

  /// The two ends' shared state.
  struct pipe {
    std::string inbound;              ///< sent by the peer, not read yet
    std::string outbound;             ///< written by the server, not received by the peer yet
    std::size_t window = 256 * 1024;  ///< how much outbound holds before writes block
    bool peer_done = false;           ///< the peer shut down its sending side (EOF after inbound)
    bool peer_reset = false;          ///< the peer vanished: operations fail with connection_reset
    bool server_done = false;         ///< the server shut down its sending side
    bool closed = false;              ///< the server closed its end
    executor_type ex;
    task reader;  ///< a read waiting for data
    task writer;  ///< a write waiting for room
  };

  /// The test's end.
  class peer {
   public:
    explicit peer(std::shared_ptr<pipe> p) : pipe_(std::move(p)) {}
    void send(std::string_view bytes) {
      pipe_->inbound.append(bytes);
      wake(pipe_->reader);
    }
    /// Takes what the server wrote (up to `max` bytes), making room in the window.
    std::string receive(std::size_t max = std::string::npos) {
      std::size_t n = std::min(max, pipe_->outbound.size());
      std::string out = pipe_->outbound.substr(0, n);
      pipe_->outbound.erase(0, n);
      if (n) wake(pipe_->writer);
      return out;
    }
    std::size_t pending_output() const noexcept { return pipe_->outbound.size(); }
    std::size_t unread_input() const noexcept { return pipe_->inbound.size(); }
    void set_window(std::size_t bytes) {
      pipe_->window = bytes;
      wake(pipe_->writer);
    }
    /// Half-close: the server reads EOF after what was sent.
    void shutdown_send() {
      pipe_->peer_done = true;
      wake(pipe_->reader);
    }
    /// The peer is gone at once (a reset): the server's pending reads and writes fail.
    void reset() {
      pipe_->peer_reset = true;
      wake(pipe_->reader);
      wake(pipe_->writer);
    }
    bool server_closed() const noexcept { return pipe_->closed; }
    bool server_done_sending() const noexcept { return pipe_->server_done || pipe_->closed; }

   private:
    void wake(task& waiting) {
      if (waiting) asio::post(pipe_->ex, std::exchange(waiting, task{}));
    }
    std::shared_ptr<pipe> pipe_;
  };

  memory_stream(executor_type ex, std::shared_ptr<pipe> p) : ex_(std::move(ex)), pipe_(std::move(p)) {}
  memory_stream(memory_stream&&) = default;

  /// A stream on `ex` and the peer that talks to it.
  static std::pair<memory_stream, peer> make_pair(executor_type ex) {
    auto p = std::make_shared<pipe>();
    p->ex = ex;
    return {memory_stream{std::move(ex), p}, peer{p}};
  }

  executor_type get_executor() const { return ex_; }
  asio::ip::tcp::endpoint remote_endpoint(std::error_code& ec) const {
    ec = pipe_->closed ? make_error_code(asio::error::bad_descriptor) : std::error_code{};
    return {asio::ip::make_address_v4("192.0.2.1"), 40000};  // TEST-NET-1: never a real peer
  }

  // ---- reading ----

  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, std::error_code& ec) {
    ec = read_state();
    if (ec) return 0;
    return take_inbound(buffers);
  }

  template <class Handler>
  void async_wait(asio::socket_base::wait_type, Handler&& handler) {
    when_readable([this, h = std::forward<Handler>(handler)]() mutable {
      std::error_code ec = pipe_->closed ? make_error_code(asio::error::operation_aborted) : std::error_code{};
      complete(std::move(h), ec);
    });
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    when_readable([this, buffers, h = std::forward<Handler>(handler)]() mutable {
      std::error_code ec = pipe_->closed ? make_error_code(asio::error::operation_aborted) : read_state();
      std::size_t n = ec ? 0 : take_inbound(buffers);
      complete(std::move(h), ec, n);
    });
  }

  // ---- writing ----

  template <class Buffers>
  std::size_t write_some(const Buffers& buffers, std::error_code& ec) {
    ec = write_state();
    if (ec) return 0;
    std::size_t room = pipe_->window > pipe_->outbound.size() ? pipe_->window - pipe_->outbound.size() : 0;
    if (room == 0) {
      ec = make_error_code(asio::error::would_block);
      return 0;
    }
    std::size_t written = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers) && room > 0; ++it) {
      asio::const_buffer b = *it;
      std::size_t n = std::min(room, b.size());
      pipe_->outbound.append(static_cast<const char*>(b.data()), n);
      room -= n;
      written += n;
    }
    return written;
  }

  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    when_writable([this, buffers, h = std::forward<Handler>(handler)]() mutable {
      std::error_code ec;
      std::size_t n = pipe_->closed ? 0 : write_some(buffers, ec);
      if (pipe_->closed) ec = make_error_code(asio::error::operation_aborted);
      complete(std::move(h), ec, n);
    });
  }

  // ---- closing ----

  void shutdown(asio::socket_base::shutdown_type what, std::error_code& ec) {
    ec = {};
    if (what != asio::socket_base::shutdown_receive) pipe_->server_done = true;
  }
  void close(std::error_code& ec) {
    ec = {};
    if (pipe_->closed) return;
    pipe_->closed = true;
    // Pending operations end with operation_aborted, as on a socket.
    if (pipe_->reader) asio::post(ex_, std::exchange(pipe_->reader, task{}));
    if (pipe_->writer) asio::post(ex_, std::exchange(pipe_->writer, task{}));
  }

 private:
  std::error_code read_state() const {
    if (pipe_->closed) return make_error_code(asio::error::bad_descriptor);
    if (pipe_->peer_reset) return make_error_code(asio::error::connection_reset);
    if (!pipe_->inbound.empty()) return {};
    if (pipe_->peer_done) return make_error_code(asio::error::eof);
    return make_error_code(asio::error::would_block);
  }
  std::error_code write_state() const {
    if (pipe_->closed) return make_error_code(asio::error::bad_descriptor);
    if (pipe_->peer_reset) return make_error_code(asio::error::connection_reset);
    if (pipe_->server_done) return make_error_code(asio::error::shut_down);
    return {};
  }

  template <class Buffers>
  std::size_t take_inbound(const Buffers& buffers) {
    std::size_t n = asio::buffer_copy(buffers, asio::buffer(pipe_->inbound));
    pipe_->inbound.erase(0, n);
    return n;
  }

  /// Runs `fn` in a later turn once a read would not block (data, EOF, reset or close).
  template <class F>
  void when_readable(F&& fn) {
    if (read_state() != asio::error::would_block) return asio::post(ex_, std::forward<F>(fn));
    pipe_->reader = task{std::forward<F>(fn)};
  }
  template <class F>
  void when_writable(F&& fn) {
    bool blocked = !write_state() && pipe_->outbound.size() >= pipe_->window;
    if (!blocked) return asio::post(ex_, std::forward<F>(fn));
    pipe_->writer = task{std::forward<F>(fn)};
  }

  template <class Handler, class... Args>
  void complete(Handler&& h, Args... args) {
    auto ex = asio::get_associated_executor(h, ex_);
    asio::dispatch(ex, [h = std::forward<Handler>(h), args...]() mutable { h(args...); });
  }

  executor_type ex_;
  std::shared_ptr<pipe> pipe_;
};

template <>
struct stream_traits<memory_stream> {
  static constexpr bool secure = false;
  static constexpr bool readiness_io = true;
  static memory_stream& lowest_layer(memory_stream& s) noexcept { return s; }
  static void prepare(memory_stream&) noexcept {}
  template <class Handler>
  static void async_handshake(memory_stream&, Handler&& h) {
    std::forward<Handler>(h)(std::error_code{});
  }
};

}  // namespace sio::transport
