#pragma once
// sio::remote_socket: a socket as fetch_sockets found it, on this server or another one of the
// cluster (Node's RemoteSocket). It is a snapshot: id, handshake, rooms and data as they were when
// fetched. Its actions (emit, join, leave, disconnect) go through the adapter to whichever server
// holds the socket, so they act on the socket as it is then, and do nothing once it has gone.
//
// Example:
//   asio::io_context ctx;
//   sio::server<> io{ctx};
//   io.in("lobby").fetch_sockets([](std::error_code ec, std::vector<sio::remote_socket> found) {
//     if (ec) return;  // errc::ack_timeout: a server did not answer in time
//     for (const auto& s : found) s.emit("hello", s.id());
//   });
//
// Thread safety: a remote_socket is a value; its actions may be called from any thread.
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "sio/adapter.hpp"
#include "sio/broadcast_operator.hpp"
#include "sio/convert.hpp"
#include "sio/detail/type_name.hpp"
#include "sio/error.hpp"

namespace sio {

class remote_socket {
 public:
  const socket_id& id() const noexcept { return details_.id; }
  const handshake_info& handshake() const noexcept { return details_.handshake; }
  /// The rooms it was in when fetched, its own id room included.
  const std::vector<room_id>& rooms() const noexcept { return details_.rooms; }
  /// socket.data as it travels between servers (to_value of the owner's data<T>(); null if none).
  const value& data() const noexcept { return details_.data; }
  /// The data converted to T; throws sio::data_type_error when it does not convert.
  template <class T>
  T data() const {
    T out{};
    if (!from_value(details_.data, out))
      throw data_type_error("sio: remote_socket::data<" + detail::type_name(typeid(T)) + ">(): socket " + details_.id +
                            "'s data does not convert to it");
    return out;
  }

  template <class... A>
  void emit(std::string_view event, A&&... args) const {
    only_this().emit(event, std::forward<A>(args)...);
  }
  /// One argument written as a literal: emit("m", {{"from", nick}}).
  void emit(std::string_view event, value arg) const { only_this().emit(event, std::move(arg)); }
  void join(const room_id& room) const { only_this().sockets_join({room}); }
  void join(const std::vector<room_id>& rooms) const { only_this().sockets_join(rooms); }
  void leave(const room_id& room) const { only_this().sockets_leave({room}); }
  void disconnect(bool close = false) const { only_this().disconnect_sockets(close); }

 private:
  friend class broadcast_operator;
  remote_socket(socket_details details, broadcast_operator nsp) : details_(std::move(details)), nsp_(std::move(nsp)) {}
  /// The socket's own room selects it on whichever server it lives.
  broadcast_operator only_this() const { return nsp_.to(details_.id); }

  socket_details details_;
  broadcast_operator nsp_;  ///< the whole namespace, no flags
};

}  // namespace sio
