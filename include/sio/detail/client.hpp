#pragma once
// sio::detail::client: one Engine.IO session seen from the Socket.IO layer. Decodes packets,
// routes them to the namespace sockets it holds, enforces the connect timeout and the namespace
// limit, and writes encoded packets. Everything runs on the session's strand. Users see it
// through sio::connection (socket.conn()).
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <asio.hpp>

#include "sio/adapter.hpp"
#include "sio/engine/session.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"
#include "sio/options.hpp"
#include "sio/parser/decoder.hpp"

namespace sio::detail {

class client : public std::enable_shared_from_this<client> {
 public:
  client(std::shared_ptr<server_core> server, engine::session_ptr session);

  void start();
  void write(const frame_list& frames, bool is_volatile) {
    count_sent(frames);
    session_->send(frames, is_volatile);
  }
  /// The same, on the session's strand, saying what became of the packet.
  emit_status write_now(const frame_list& frames, bool is_volatile) {
    count_sent(frames);
    switch (session_->send_on_strand(*frames, is_volatile)) {
      case engine::send_status::queued: return emit_status::queued;
      case engine::send_status::dropped: return emit_status::dropped;
      case engine::send_status::closed: return emit_status::closed;
      case engine::send_status::slow_consumer: return emit_status::slow_consumer;
    }
    return emit_status::closed;
  }
  /// Closes the Engine.IO connection (and with it every socket of this client).
  void close_connection() { session_->close(); }
  const engine::session& session() const noexcept { return *session_; }
  engine::session& engine_session() const noexcept { return *session_; }
  /// socket.conn.on("close"): called on the strand after the sockets were told. Any thread.
  void on_connection_close(std::function<void(disconnect_reason)> fn);
  const engine::session_ptr& session_handle() const noexcept { return session_; }
  const transport::strand_type& strand() const noexcept { return session_->strand(); }
  const server_options& options() const noexcept;
  /// To server_options::on_handler_error (and the logger); any thread.
  void report(const handler_error& e) const noexcept;
  void remove_socket(const std::string& nsp) {
    sockets_.erase(nsp);
    connecting_.erase(nsp);
  }
  /// Called once a socket passed its middleware and is connected.
  void add_socket(const std::string& nsp, std::shared_ptr<socket_state> s);
  /// socket.disconnect(true): every namespace gets its DISCONNECT, then the connection closes.
  void disconnect_all();
  /// The server drains: the connection closes, with no DISCONNECT (the client reconnects, to
  /// another server) and its sockets persisted, as soon as no ack is pending either way. Any thread.
  void drain();
  /// A socket of this client settled an ack (sent one, or got or gave up one); on the strand.
  void ack_settled() {
    if (draining_) close_if_drained();
  }
  bool draining() const noexcept { return draining_.load(); }

  // ---- the server's list of clients that have not joined a namespace (max_pending_handshakes) --
  // Guarded by the server's mutex for that list.
  std::list<std::weak_ptr<client>>::iterator pending_pos;
  bool pending_listed = false;

 private:
  void on_message(std::string data, bool binary);
  void on_packet(parser::packet&& p);
  void connect(parser::packet&& p);
  void refuse_connect(const std::string& nsp, const char* message);
  void on_close(engine::close_reason reason);
  /// A protocol violation: the whole connection goes.
  void fail() { session_->close(); }
  void close_if_drained();
  void count_sent(const frame_list& frames) const;

  std::shared_ptr<server_core> server_;
  engine::session_ptr session_;
  parser::decoder decoder_;
  struct joined_socket {
    std::shared_ptr<socket_state> s;
    std::uint64_t order;  ///< when it joined: DISCONNECTs and closes go in that order, as in JavaScript
  };
  /// Its sockets in the order they joined.
  std::vector<std::shared_ptr<socket_state>> sockets_by_join_order() const;

  std::unordered_map<std::string, joined_socket> sockets_;
  std::uint64_t joins_ = 0;
  std::unordered_map<std::string, std::shared_ptr<socket_state>> connecting_;  ///< in middleware
  std::unique_ptr<asio::steady_timer> connect_timer_;
  bool joined_any_ = false;
  std::vector<std::function<void(disconnect_reason)>> on_connection_close_;
  bool closed_ = false;
  std::atomic<bool> draining_{false};
  bool drain_closing_ = false;
};

}  // namespace sio::detail
