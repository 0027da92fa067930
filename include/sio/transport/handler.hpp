#pragma once
// The seam between the transport (sockets, HTTP, WebSocket framing) and the engine above it.
// The transport calls a request_handler; the engine answers through the objects it is handed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sio/transport/http_message.hpp"
#include "sio/transport/strand_pool.hpp"

namespace sio::transport {

/// One HTTP request waiting for its response (for example a held long-polling GET).
class http_exchange {
 public:
  virtual ~http_exchange() = default;
  virtual http_request& request() noexcept = 0;
  /// Sends the response. Thread safety: callable from any thread; calls after the first are ignored.
  virtual void respond(http_response response) = 0;
  /// `fn` runs once if the peer goes away before the response is sent (on the connection's strand).
  virtual void on_abort(std::function<void()> fn) = 0;
};

/// An open WebSocket. Every call must be made on the strand it was accepted with.
class websocket_channel {
 public:
  using message_handler = std::function<void(std::string data, bool binary)>;
  using close_handler = std::function<void()>;
  using drain_handler = std::function<void()>;

  virtual ~websocket_channel() = default;
  virtual const http_request& request() const noexcept = 0;
  /// Installs the callbacks (run on the channel's strand). The close handler runs once, after which
  /// both are released.
  virtual void set_handlers(message_handler on_message, close_handler on_close) = 0;
  /// Queues one message frame. `bytes` is shared, never copied: a broadcast reuses one buffer.
  virtual void send(bool binary, std::shared_ptr<const std::string> bytes) = 0;
  /// Starts the closing handshake (or drops the connection if it is already broken).
  virtual void close(std::uint16_t code) = 0;
  /// Ends the connection now and frees what is queued (a slow consumer would never take it).
  virtual void drop() = 0;
  /// Runs (on the channel's strand) each time everything queued has been handed to the socket.
  virtual void on_drain(drain_handler fn) = 0;
  /// Bytes queued but not yet handed to the socket.
  virtual std::size_t buffered_bytes() const noexcept = 0;
  /// What the queue costs in memory (transport/write_queue.hpp): the figure limits are checked against.
  virtual std::size_t buffered_memory() const noexcept = 0;
};

/// A request that asks for a WebSocket and has not been answered yet.
class websocket_upgrade {
 public:
  virtual ~websocket_upgrade() = default;
  virtual http_request& request() noexcept = 0;
  /// The strand the connection runs on now: a new session can simply stay there.
  virtual const strand_slot_ptr& slot() const noexcept = 0;
  /// Answers with `response` and closes the TCP connection.
  virtual void reject(http_response response) = 0;
  /// Completes the handshake, adding `headers` to the 101 response. From then on the connection
  /// runs on `slot`'s strand, and `on_open` is called there with the channel (or not at all if the
  /// handshake fails).
  virtual void accept(strand_slot_ptr slot, std::size_t max_message_size, header_list headers,
                      std::function<void(std::shared_ptr<websocket_channel>)> on_open) = 0;
};

/// Implemented by the engine. Both calls come on the connection's own strand.
class request_handler {
 public:
  virtual ~request_handler() = default;
  virtual void handle_http(std::shared_ptr<http_exchange> exchange) = 0;
  virtual void handle_upgrade(std::shared_ptr<websocket_upgrade> upgrade) = 0;
  /// Called when a request's head is in, before its body. Whatever it returns is kept until the
  /// request is answered or abandoned (the engine uses it to see overlapping POSTs). `drop`
  /// ends the request's connection without an answer; callable from any thread, at any time.
  virtual std::shared_ptr<void> on_request_head(const http_request&, std::function<void()> drop) {
    (void)drop;
    return nullptr;
  }
};

}  // namespace sio::transport
