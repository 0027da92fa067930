#pragma once
// The adapter: which sockets are in which rooms, and delivery of an already-encoded packet to a
// selection of them. An interface of its own so that a Redis adapter (compatible with the Node
// one) can replace the in-memory default without the namespace knowing.
//
// This is the one public extension point of the library: a multi-server adapter (Redis, #13) or
// connection state recovery (#14) derives from `adapter` and overrides the virtuals below; nothing
// else in the public headers is meant to be implemented outside the library.
//
// Threading rule, for every virtual unless its comment says otherwise:
// - It may be called from any thread (a socket's strand, an io_context thread, a user thread); an
//   implementation synchronises its own state.
// - It must not block on the network: an adapter that asks other servers returns at once and
//   completes the callback later, from any thread of its own. The library posts every completion
//   to the right executor before running user code, so a callback may run anywhere, once.
// - adapter_host members queue work and return; some complete at once, on the calling thread
//   (local_socket_details when nothing is selected, broadcast_local_with_ack's client_count), so
//   do not hold a lock there that the completion takes.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <asio/any_io_executor.hpp>

#include "sio/engine/packet.hpp"
#include "sio/handshake.hpp"
#include "sio/options.hpp"
#include "sio/parser/packet.hpp"
#include "sio/transport/memory_budget.hpp"

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
  /// The timeout() of a broadcast with ack: how long a multi-server adapter keeps gathering other
  /// servers' acks for it (Node's flags.timeout); unset, the adapter's request timeout.
  std::optional<std::chrono::milliseconds> ack_timeout;
};

/// One socket as fetch_sockets reports it, wherever it lives: what io.fetchSockets() gives in Node
/// (id, handshake, rooms, data). The library wraps it in a sio::remote_socket handle whose emit,
/// join, leave and disconnect go back through the adapter (broadcast / add_sockets / del_sockets /
/// disconnect_sockets with rooms = {id}), so they work for a socket on another server.
struct socket_details {
  socket_id id;
  handshake_info handshake;
  std::vector<room_id> rooms;
  value data;
};

/// What connection state recovery keeps of a socket that went away (Node's SessionToPersist).
struct persisted_session {
  socket_id sid;               ///< the socket's id, given back to the restored socket
  std::string pid;             ///< private id, sent to the client only, used to ask for recovery
  std::string nsp;             ///< namespace name
  std::vector<room_id> rooms;  ///< rooms the socket was in (its own id room excluded)
  value data;                  ///< socket.data
};

/// A packet missed by a restored socket: its encoded form, offset included (see with_offset).
struct kept_packet {
  std::string offset;
  frame_list frames;
};

/// Whether connection state recovery keeps (and numbers) this packet, as Node decides: an event
/// that asks for no ack and is not volatile.
inline bool is_recoverable(const parser::packet& packet, const broadcast_options& opts) noexcept {
  return (packet.type == parser::packet_type::event || packet.type == parser::packet_type::binary_event) && !packet.id && !opts.is_volatile;
}

/// `frames` (an encoded event packet) with `offset` appended as its last argument: what the
/// client keeps to ask for the packets after it. Attachments are shared, not copied. The offset
/// must need no JSON escaping (digits, letters, '-').
inline frame_list with_offset(const frame_list& frames, std::string_view offset) {
  auto out = std::make_shared<std::vector<engine::frame>>(*frames);
  const std::string& text = *frames->front().bytes;
  std::string tagged;
  tagged.reserve(text.size() + offset.size() + 3);
  std::size_t close = text.rfind(']');
  tagged.append(text, 0, close);
  if (text[close - 1] != '[') tagged.push_back(',');
  tagged.push_back('"');
  tagged.append(offset);
  tagged.push_back('"');
  tagged.append(text, close, std::string::npos);
  out->front().bytes = std::make_shared<const std::string>(std::move(tagged));
  return out;
}

/// Called once by a broadcast with an ack, before any ack, with how many clients will answer.
using client_count_handler = std::function<void(std::size_t)>;
/// Called once per client ack (its arguments).
using remote_ack_handler = std::function<void(std::vector<value>)>;
/// Collects what local_socket_details found.
using socket_details_handler = std::function<void(std::vector<socket_details>)>;

/// What an adapter needs from its namespace: handing a packet to one local socket.
class adapter_host {
 public:
  virtual ~adapter_host() = default;
  virtual void deliver(const socket_id& id, const frame_list& frames, bool is_volatile) = 0;
  /// The server's executor (its io_context): where an adapter runs its timers and I/O.
  virtual asio::any_io_executor executor() const = 0;
  /// The namespace's name ("/", "/chat"): what a cluster adapter names its channels after.
  virtual const std::string& name() const noexcept = 0;
  /// The server's connection_state_recovery options, or null when recovery is off.
  virtual const connection_state_recovery_options* recovery() const noexcept { return nullptr; }
  /// What every namespace's kept packets cost together (bounded by max_total_bytes); null: none.
  virtual std::shared_ptr<transport::memory_budget> recovery_budget() const { return nullptr; }
  /// Encodes a packet for the wire (what a replay of a packet read back from elsewhere needs).
  virtual frame_list encode(const parser::packet& packet) const {
    (void)packet;
    return std::make_shared<const std::vector<engine::frame>>();
  }
  /// restore_session found a session (see adapter::restore_session): from now on the host queues
  /// what is delivered to session.sid behind `missed` (oldest first, already filtered by the
  /// session's rooms), until the restored socket has written them. Called by the adapter before
  /// it delivers anything newer to that id; never calls back into the adapter.
  virtual void resume(const persisted_session& session, std::vector<kept_packet> missed) {
    (void)session;
    (void)missed;
  }
  /// Delivers a packet another server broadcast to the local sockets `opts` selects: encodes it
  /// once and hands it to adapter::broadcast with opts.local set, so it goes no further.
  virtual void broadcast_local(const parser::packet& packet, broadcast_options opts) {
    (void)packet;
    (void)opts;
  }
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
  /// The same, sent with server_side_emit_with_ack: the handler calls `reply` with its answer
  /// (one value, as in Node; an adapter forwards it to the asking server). A handler that does not
  /// reply lets the asking server time out.
  virtual void server_side_event_with_ack(const std::string& event, std::vector<value> args, std::function<void(value)> reply) {
    (void)event;
    (void)args;
    (void)reply;
  }
  /// The local sockets `opts` selects, described (for fetch_sockets, and for another server's
  /// fetch request). Asynchronous because socket data is read on each socket's strand: `done`
  /// runs once, on some socket's strand or at once when none is selected.
  virtual void local_socket_details(const broadcast_options& opts, socket_details_handler done) {
    (void)opts;
    done({});
  }
  /// Delivers an event packet that asks for an ack to the local sockets `opts` selects, each
  /// registering an ack id of this namespace's in its ack table (packet.id is not used: Node's
  /// sharded adapter sends none, and Node numbers the packet itself too). What another server's
  /// broadcast with ack needs: `client_count` once with how many were sent it, then `on_ack` for
  /// each ack that comes.
  virtual void broadcast_local_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                                        remote_ack_handler on_ack) {
    (void)packet;
    (void)opts;
    (void)on_ack;
    client_count(0);
  }
  /// Joins the local sockets `opts` selects to `rooms`, each within its room limit.
  virtual void join_local(const broadcast_options& opts, const std::vector<room_id>& rooms) {
    (void)opts;
    (void)rooms;
  }
  /// Takes the local sockets `opts` selects out of `rooms`, through the sockets (which report it
  /// to an observer). False: this host leaves that to the adapter (del per socket and room).
  virtual bool leave_local(const broadcast_options& opts, const std::vector<room_id>& rooms) {
    (void)opts;
    (void)rooms;
    return false;
  }
  /// Disconnects the local sockets `opts` selects (close: also close the underlying connection).
  virtual void disconnect_local(const broadcast_options& opts, bool close) {
    (void)opts;
    (void)close;
  }
};

/// Completion of fetch_sockets: every selected socket of every server, or an error (errc::ack_timeout
/// when some server did not answer within the request timeout).
using fetch_sockets_handler = std::function<void(std::error_code, std::vector<socket_details>)>;
/// Completion of server_side_emit_with_ack: each other server's reply, and errc::ack_timeout if
/// some did not answer in time (the replies received are still given).
using server_replies_handler = std::function<void(std::error_code, std::vector<value>)>;
/// Completion of fetch_all_rooms: the rooms, each once.
using rooms_handler = std::function<void(std::error_code, std::vector<room_id>)>;
/// Completion of fetch_server_count.
using server_count_handler = std::function<void(std::error_code, std::size_t)>;
/// How long to wait for other servers: empty means the adapter's own request timeout.
using request_timeout = std::optional<std::chrono::milliseconds>;
/// Completion of restore_session: the session, or nothing when it cannot be restored.
using restore_session_handler = std::function<void(std::error_code, std::optional<persisted_session>)>;

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

  /// The other servers' part of a broadcast with an ack (packet.id set). The library has already
  /// delivered it to this server's sockets, whose acks come back through their own ack tables. An
  /// adapter spanning servers forwards it (unless opts.local), calls `client_count` once with how
  /// many clients the others reached, and then `on_ack` for each of their acks; the other servers
  /// deliver it through adapter_host::broadcast_local_with_ack. The default has no other server.
  virtual void broadcast_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                                  remote_ack_handler on_ack) {
    (void)packet;
    (void)opts;
    (void)on_ack;
    client_count(0);
  }

  /// io.fetchSockets: the sockets `opts` selects on every server (opts.local: this one only).
  /// `timeout` bounds the wait for other servers. The default completes with the local ones.
  virtual void fetch_sockets(const broadcast_options& opts, request_timeout timeout, fetch_sockets_handler done) {
    (void)timeout;
    host_.local_socket_details(opts, [done = std::move(done)](std::vector<socket_details> found) { done({}, std::move(found)); });
  }
  /// socketsJoin / socketsLeave / disconnectSockets, on every server (opts.local: this one only).
  virtual void add_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) { host_.join_local(opts, rooms); }
  virtual void del_sockets(const broadcast_options& opts, const std::vector<room_id>& rooms) {
    if (host_.leave_local(opts, rooms)) return;
    for (const auto& id : select(opts))
      for (const auto& r : rooms) del(id, r);
  }
  virtual void disconnect_sockets(const broadcast_options& opts, bool close) { host_.disconnect_local(opts, close); }

  /// Every room with a member on this server, at once.
  virtual std::vector<room_id> all_rooms() const = 0;
  /// How many servers share this adapter's namespace, this one included, as last known (at once).
  virtual std::size_t server_count() const { return 1; }
  /// Node's adapter.allRooms(): every room with a member on any server of the cluster; a cluster
  /// adapter asks the others (errc::ack_timeout after `timeout`, with the rooms gathered). The
  /// default has no other server.
  virtual void fetch_all_rooms(request_timeout timeout, rooms_handler done) {
    (void)timeout;
    done({}, all_rooms());
  }
  /// Node's adapter.serverCount(): a cluster adapter counts the servers now (Redis: PUBSUB NUMSUB).
  virtual void fetch_server_count(server_count_handler done) { done({}, server_count()); }

  /// io.serverSideEmit: an event for the other servers of the cluster (never for clients). A
  /// single-process adapter has no one to tell.
  virtual void server_side_emit(const std::string& event, const std::vector<value>& args) {
    (void)event;
    (void)args;
  }
  /// io.serverSideEmitWithAck: the same, and `done` gets every other server's reply, or
  /// errc::ack_timeout after `timeout` with the replies that came. One process: no replies, at once.
  virtual void server_side_emit_with_ack(const std::string& event, const std::vector<value>& args, request_timeout timeout,
                                         server_replies_handler done) {
    (void)event;
    (void)args;
    (void)timeout;
    done({}, {});
  }

  /// Connection state recovery (#14).
  /// Whether broadcast keeps recoverable packets (is_recoverable): it then gives each an offset,
  /// delivers it tagged with with_offset, and keeps it for restore_session. A socket's own emits
  /// go through broadcast (rooms = {its id}) when this is true, so that they are kept too.
  virtual bool keeps_packets() const noexcept { return false; }
  /// Keeps what a socket that went away needs to come back (its pid is the key).
  virtual void persist_session(const persisted_session& session) { (void)session; }
  /// Takes the session `pid` names: a pid restores once. Completes with nothing when the session
  /// is unknown, expired, or when a packet after `offset` is no longer kept (a new session then,
  /// never a partial replay). Found, the adapter first puts session.sid in its rooms (and its own
  /// id room), then calls adapter_host::resume with the session and what it missed, before it
  /// delivers anything newer to that id, and then completes. The default keeps nothing.
  virtual void restore_session(const std::string& pid, const std::string& offset, restore_session_handler done) {
    (void)pid;
    (void)offset;
    done({}, std::nullopt);
  }

  /// The server closes (io.close()): a cluster adapter stops talking to the other servers and
  /// closes its connections, so the io_context can run out of work. Local delivery still works.
  virtual void close() {}

 protected:
  adapter_host& host_;
};

/// Makes a namespace's adapter (Node's io.adapter(...)): given to sio::server to replace its
/// Adapter type, e.g. by sio::redis_adapter::create(). Called once per namespace.
using adapter_factory = std::function<std::unique_ptr<adapter>(adapter_host&)>;

}  // namespace sio
