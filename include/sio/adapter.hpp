#pragma once
// The adapter: which sockets are in which rooms, and delivery of an already-encoded packet to a
// selection of them. An interface of its own so that a Redis adapter (compatible with the Node
// one) can replace the in-memory default without the namespace knowing.
//
// Thread safety: every member may be called from any thread.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sio/engine/packet.hpp"
#include "sio/parser/packet.hpp"

namespace sio {

using room_id = std::string;
using socket_id = std::string;
/// A Socket.IO packet encoded once: an Engine.IO text frame, then its binary attachments.
using frame_list = std::shared_ptr<const std::vector<engine::frame>>;

struct broadcast_options {
  std::vector<room_id> rooms;   ///< empty: every socket of the namespace
  std::vector<room_id> except;  ///< sockets in any of these rooms are skipped
  bool is_volatile = false;     ///< drop for clients that cannot take it now
  bool local = false;           ///< this server only (matters for multi-server adapters)
  bool compress = true;
};

/// What an adapter needs from its namespace: handing a packet to one local socket.
class adapter_host {
 public:
  virtual ~adapter_host() = default;
  virtual void deliver(const socket_id& id, const frame_list& frames, bool is_volatile) = 0;
  /// The same for many sockets, looked up together. An adapter may call it with its own lock
  /// held: delivering only queues frames and never calls back into the adapter.
  virtual void deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) {
    for (const auto* id : ids) deliver(*id, frames, is_volatile);
  }
  /// An event another server sent with server_side_emit.
  virtual void server_side_event(const std::string& event, std::vector<value> args) {
    (void)event;
    (void)args;
  }
};

class adapter {
 public:
  explicit adapter(adapter_host& host) : host_(host) {}
  virtual ~adapter() = default;

  virtual void add_all(const socket_id& id, const std::vector<room_id>& rooms) = 0;
  /// add_all unless that would put the socket in more than `max_rooms` rooms (0: no limit): all
  /// of them or none. Returns whether it joined. This default is not atomic against concurrent
  /// joins of the same socket (at worst a few rooms over); in_memory_adapter's is.
  virtual bool try_add_all(const socket_id& id, const std::vector<room_id>& rooms, std::size_t max_rooms) {
    if (max_rooms) {
      auto current = socket_rooms(id);
      std::unordered_set<std::string_view> mine(current.begin(), current.end());
      std::size_t total = mine.size();
      for (const auto& r : rooms)
        if (mine.insert(r).second && ++total > max_rooms) return false;
    }
    add_all(id, rooms);
    return true;
  }
  virtual void del(const socket_id& id, const room_id& room) = 0;
  virtual void del_all(const socket_id& id) = 0;
  /// Sockets selected by `opts` (rooms ∪, minus except), each once.
  virtual std::vector<socket_id> select(const broadcast_options& opts) const = 0;
  virtual std::vector<room_id> socket_rooms(const socket_id& id) const = 0;
  virtual std::size_t room_size(const room_id& room) const = 0;

  /// Delivers `frames` (the encoded form of `packet`) to every selected local socket; returns how
  /// many that was. An adapter spanning several servers also forwards `packet` and `opts` to the
  /// others (unless opts.local), which encode it for their own sockets.
  virtual std::size_t broadcast(const parser::packet& packet, const frame_list& frames, const broadcast_options& opts) {
    (void)packet;
    auto ids = select(opts);
    for (const auto& id : ids) host_.deliver(id, frames, opts.is_volatile);
    return ids.size();
  }

  /// io.serverSideEmit: an event for the other servers of the cluster (never for clients). A
  /// single-process adapter has no one to tell.
  virtual void server_side_emit(const std::string& event, const std::vector<value>& args) {
    (void)event;
    (void)args;
  }

 protected:
  adapter_host& host_;
};

}  // namespace sio
