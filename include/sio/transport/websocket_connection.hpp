#pragma once
// A WebSocket (RFC 6455) on a stream whose upgrade request was accepted: the 101 answer, frames
// in (websocket_reader.hpp) and out (websocket_frame.hpp), ping and pong, the closing handshake
// and its timeout. It runs on the session's strand from the start; the HTTP connection that read
// the upgrade request (http_connection.hpp), or a mount point (sio/mount_point.hpp), hands it the
// stream once nothing of its own is pending on it.
//
// Output that is not the answer to this connection's own input waits for the strand's batch
// (strand_slot::defer_write); what reading one input produces leaves in one system call (cork).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio.hpp>

#include "sio/transport/connection_limiter.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/http_message.hpp"
#include "sio/transport/stream_connection.hpp"
#include "sio/transport/websocket_frame.hpp"
#include "sio/transport/websocket_handshake.hpp"
#include "sio/transport/websocket_reader.hpp"

namespace sio::transport {

template <class Stream>
class websocket_connection final : public std::enable_shared_from_this<websocket_connection<Stream>>,
                                   public stream_connection<websocket_connection<Stream>, Stream>,
                                   public websocket_channel,
                                   public deferred_writer {
  using base = stream_connection<websocket_connection<Stream>, Stream>;
  friend base;

 public:
  using on_open_handler = std::function<void(std::shared_ptr<websocket_channel>)>;

  /// `request` is the accepted upgrade request (websocket_handshake::request_error found nothing
  /// wrong with it); `ticket` the connection's place among the limits; `pacing` the read history
  /// of the connection so far.
  websocket_connection(Stream stream, strand_slot_ptr slot, std::shared_ptr<const connection_settings> settings,
                       std::size_t max_message_size, http_request request, connection_limiter::ticket ticket = {}, read_pacing pacing = {})
      : base(std::move(stream), std::move(slot), std::move(settings)),
        timer_(this->strand().get_inner_executor()),
        reader_(max_message_size),
        request_(std::move(request)),
        ticket_(std::move(ticket)) {
    this->pacing_ = pacing;
    this->check_socket_strand();
  }

  /// Writes the 101 (with `headers` added), hands the channel to `on_open`, then reads; `read_ahead`
  /// holds what the peer sent after the upgrade request. On the strand.
  void open(header_list headers, const on_open_handler& on_open, std::string read_ahead) {
    if (closed_) return;
    write_queue::chunk answer;
    std::string& head = answer.owned;
    head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    head += websocket_handshake::accept_key(request_.headers.get("Sec-WebSocket-Key"));
    head += "\r\n";
    // Like ws, the first subprotocol the client offers is taken.
    if (auto protocol = request_.headers.first_token("Sec-WebSocket-Protocol"); !protocol.empty())
      head.append("Sec-WebSocket-Protocol: ").append(protocol).append("\r\n");
    for (const auto& f : headers) head.append(f.first).append(": ").append(f.second).append("\r\n");
    head += "\r\n";
    cork();  // the 101 and what the session sends on open leave together
    enqueue(std::move(answer));
    on_open(std::static_pointer_cast<websocket_channel>(this->shared_from_this()));
    if (!read_ahead.empty() && !closed_) feed(read_ahead.data(), read_ahead.size());
    uncork();
    if (!closed_) do_read();
  }

  // websocket_channel
  const http_request& request() const noexcept override { return request_; }
  void set_handlers(message_handler on_message, close_handler on_close) override {
    // Replacing the message handler from inside it would destroy the running callable: keep the
    // old one alive until the callback returns.
    if (in_message_callback_) retired_handler_ = std::move(on_message_);
    on_message_ = std::move(on_message);
    on_close_ = std::move(on_close);
    if (closed_) notify_closed();
  }
  void on_drain(drain_handler fn) override { on_drain_ = std::move(fn); }
  void send(bool binary, std::shared_ptr<const std::string> bytes) override {
    if (closed_ || closing_ || !bytes) return;
    write_queue::chunk chunk;
    chunk.head_size =
        websocket_frame::write_header(chunk.head, binary ? websocket_frame::opcode_binary : websocket_frame::opcode_text, bytes->size());
    chunk.shared = std::move(bytes);
    enqueue(std::move(chunk));
  }
  void close(std::uint16_t code) override {
    if (closed_ || closing_) return;
    closing_ = true;
    send_close_frame(code, {});
    // The peer has close_timeout to answer our close frame.
    timer_.expires_after(this->settings_->close_timeout);
    timer_.async_wait(asio::bind_executor(this->strand(), [self = this->shared_from_this()](std::error_code e) {
      if (!e) self->shutdown_now();
    }));
  }
  void drop() override { shutdown_now(); }
  std::size_t buffered_bytes() const noexcept override { return this->out_.wire_bytes(); }
  std::size_t buffered_memory() const noexcept override { return this->out_.memory(); }

 private:
  // ---- reading ----------------------------------------------------------------------------

  bool closed() const noexcept { return closed_; }

  void do_read() {
    if (this->reading_ || closed_) return;
    if (this->out_.memory() > this->settings_->output_pause_bytes) return;  // resume_input() reads again
    this->read_some();
  }

  void on_read(std::error_code ec, char* data, std::size_t size) {
    if (closed_) return;
    if (ec) return shutdown_now();
    cork();
    feed(data, size);
    uncork();
    if (!closed_) do_read();
  }

  void resume_input() {
    if (!closed_) do_read();
  }

  void feed(char* data, std::size_t size) {
    if (failed_) return;
    std::uint16_t failure = reader_.consume(
        data, size, [this](websocket_reader::frame_kind kind, std::string&& payload) { return on_frame(kind, std::move(payload)); });
    if (failure && !closed_) fail(failure);
  }

  /// Returns whether to go on with the bytes that follow.
  bool on_frame(websocket_reader::frame_kind kind, std::string&& payload) {
    using kinds = websocket_reader::frame_kind;
    if (closed_) return false;
    switch (kind) {
      case kinds::text:
      case kinds::binary:
        if (closing_ || !on_message_) return true;  // after our close frame, data is ignored
        in_message_callback_ = true;
        on_message_(std::move(payload), kind == kinds::binary);
        in_message_callback_ = false;
        retired_handler_ = nullptr;
        return true;
      case kinds::ping:
        if (!closing_) send_pong(std::move(payload));
        return true;
      case kinds::pong: return true;
      case kinds::close: on_close_frame(payload); return false;
    }
    return true;
  }

  /// Answers a ping. A pong still waiting to be written answers the newer ping instead (RFC 6455
  /// §5.5.3): a peer that pings without reading makes the server hold one pong, not thousands.
  void send_pong(std::string payload) {
    std::array<char, 10> head{};
    std::uint8_t head_size = websocket_frame::write_header(head, websocket_frame::opcode_pong, payload.size());
    if (this->out_.replace_unsent_pong(payload, head_size, head)) return;
    write_queue::chunk chunk;
    chunk.head = head;
    chunk.head_size = head_size;
    chunk.is_pong = true;
    chunk.owned = std::move(payload);
    enqueue(std::move(chunk));
  }

  void on_close_frame(const std::string& payload) {
    if (!closing_) {
      // Answer with the same code and reason, then end the connection.
      std::uint16_t code = 0;
      std::string reason;
      websocket_reader::parse_close(payload, code, reason);  // checked by the reader
      closing_ = true;
      send_close_frame(code, reason);
    }  // else it answers ours: the closing handshake is complete
    end();
  }

  /// A protocol violation: a close frame with `code` alone (as ws sends it), then the connection ends.
  void fail(std::uint16_t code) {
    failed_ = true;
    if (!closing_) {
      closing_ = true;
      send_close_frame(code, {});
    }
    end();
  }

  /// The WebSocket is over: its user hears of it, and the TCP connection ends once what is
  /// queued (our close frame) is written.
  void end() {
    notify_closed();
    close_after_write_ = true;
    if (!this->out_.writing()) shutdown_after_write();
  }

  void send_close_frame(std::uint16_t code, std::string_view reason) {
    write_queue::chunk chunk;
    chunk.owned = websocket_frame::close_payload(code, reason);
    chunk.head_size = websocket_frame::write_header(chunk.head, websocket_frame::opcode_close, chunk.owned.size());
    enqueue(std::move(chunk));
  }

  void notify_closed() {
    if (in_message_callback_) retired_handler_ = std::move(on_message_);
    on_message_ = nullptr;
    on_drain_ = nullptr;
    if (auto fn = std::move(on_close_)) {
      on_close_ = nullptr;
      fn();
    }
  }

  // ---- writing and closing -----------------------------------------------------------------

  // While the connection handles input (corked), what that produces leaves in one system call at
  // the end. Otherwise (broadcasts, timers, emits from elsewhere) the strand's batch writes it
  // (strand_slot::defer_write), so that a burst aimed at this client leaves together.
  void enqueue(write_queue::chunk chunk) {
    if (closed_) return;
    this->out_.push(std::move(chunk));
    if (this->out_.writing() || corked_) return;
    schedule_flush();
  }

  void cork() noexcept { ++corked_; }
  void uncork() {
    if (--corked_ == 0 && !this->out_.writing() && !this->out_.empty() && !closed_) this->do_write();
  }

  void schedule_flush() {
    if (flush_deferred_) return;
    flush_deferred_ = true;
    this->slot_->defer_write(this->shared_from_this());
  }

  void write_deferred() override {
    flush_deferred_ = false;
    if (!closed_ && !this->out_.writing() && !corked_ && !this->out_.empty()) this->do_write();
  }

  void written_all(bool was_paused) {
    this->release_buffers();
    if (close_after_write_) return shutdown_after_write();
    if (on_drain_ && !closed_) on_drain_();
    if (was_paused) resume_input();
  }

  /// Ends the connection on the next turn of the strand, once nothing is left to write (never
  /// from inside the caller: this can be the engine).
  void shutdown_after_write() {
    asio::post(this->strand(), [self = this->shared_from_this()] {
      if (self->out_.writing() || !self->out_.empty()) return;
      self->shutdown_now();
    });
  }

  void peer_gone() { shutdown_now(); }

  /// Closes the stream now; pending operations complete with errors and release the connection.
  void shutdown_now() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    this->close_stream();
    this->out_.clear();
    ticket_.release();
    notify_closed();
    on_drain_ = nullptr;
  }

  asio::steady_timer timer_;  ///< the closing handshake's timeout
  websocket_reader reader_;
  http_request request_;
  connection_limiter::ticket ticket_;
  bool closed_ = false;
  bool closing_ = false;  ///< a close frame went out: only the peer's close frame matters now
  bool failed_ = false;   ///< a protocol violation: nothing more is read
  bool close_after_write_ = false;
  bool flush_deferred_ = false;  ///< waiting in the strand's batch
  std::uint8_t corked_ = 0;      ///< input being handled: writes wait for its end
  message_handler on_message_;
  message_handler retired_handler_;
  bool in_message_callback_ = false;
  close_handler on_close_;
  drain_handler on_drain_;
};

}  // namespace sio::transport
