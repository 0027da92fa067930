#pragma once
// sio::detail::observer: what the Socket.IO layer tells an instrument watching it (the Admin UI,
// sio/admin_ui.hpp). None is set by default: each hook costs one null-pointer test then. Set one
// with server_core::set_observer before the io_context runs; it must outlive the server's work.
//
// Threading: hooks about one client or socket run on that client's strand; room and delivery
// hooks run on the thread that changed the room or delivered (any thread). An observer must not
// call back into the socket or namespace it is told about from inside a hook (locks may be held):
// it records, or posts.
#include <cstddef>
#include <string>
#include <string_view>

#include "sio/adapter.hpp"
#include "sio/error.hpp"
#include "sio/fwd.hpp"
#include "sio/value.hpp"

namespace sio::detail {

class client;
class namespace_state;
class socket_state;

class observer {
 public:
  virtual ~observer() = default;

  // ---- Engine.IO connections, as the Socket.IO layer sees them (on the client's strand) -------
  virtual void connection_opened(client& c) { (void)c; }
  /// The connection moved from polling to WebSocket.
  virtual void connection_upgraded(client& c) { (void)c; }
  /// `reason`: Engine.IO's close reason ("transport close", "ping timeout", ...).
  virtual void connection_closed(client& c, std::string_view reason) {
    (void)c;
    (void)reason;
  }
  /// One Engine.IO message received (`bytes`: its payload) or written to a connection.
  virtual void message_received(std::size_t bytes) { (void)bytes; }
  virtual void message_sent(std::size_t bytes) { (void)bytes; }

  // ---- Socket.IO sockets ---------------------------------------------------------------------
  /// A socket was accepted (after its CONNECT reply, before the connection handlers); on its strand.
  virtual void socket_connected(socket_state& s) { (void)s; }
  /// A socket went (before it leaves its rooms: room_left follows for each); on its strand.
  virtual void socket_disconnected(socket_state& s, disconnect_reason reason) {
    (void)s;
    (void)reason;
  }
  /// A real change of membership (joining a room twice reports once).
  virtual void room_joined(const namespace_state& nsp, const room_id& room, const socket_id& id) {
    (void)nsp;
    (void)room;
    (void)id;
  }
  virtual void room_left(const namespace_state& nsp, const room_id& room, const socket_id& id) {
    (void)nsp;
    (void)room;
    (void)id;
  }
  /// An EVENT the socket received (`args`: the event name first), before its handlers.
  virtual void event_received(socket_state& s, const arguments& args) {
    (void)s;
    (void)args;
  }
  /// An EVENT packet (`frames`, encoded) sent to socket `id`: by the socket itself or by a
  /// broadcast (reported once per local recipient, as Node's onAnyOutgoing is).
  virtual void event_sent(const namespace_state& nsp, const socket_id& id, const frame_list& frames) {
    (void)nsp;
    (void)id;
    (void)frames;
  }
  /// What the socket's details (fetch_sockets) carry as its data; on its strand. Default: as is.
  virtual value socket_data(socket_state& s, value data) {
    (void)s;
    return data;
  }
  /// io.close(): the server stops (timers and threads of the observer should end).
  virtual void server_closing() {}
};

}  // namespace sio::detail
