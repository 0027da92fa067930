#pragma once
// sio::namespace_: a Socket.IO namespace ("/" or "/chat", or a child of a dynamic one): its
// middleware, its connection handlers, its sockets and its adapter (rooms).
// (`namespace` is a C++ keyword, hence the trailing underscore.)
//
// Thread safety: configure (on_connection, use) before clients arrive; emit and the operators
// are callable from any thread.
//
// Exceptions: a middleware that throws before calling next() refuses the socket (CONNECT_ERROR
// "Internal server error"); one that throws after it, or a connection handler that throws, is
// reported and the socket kept or disconnected as server_options::after_handler_error says.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sio/adapter.hpp"
#include "sio/broadcast_operator.hpp"
#include "sio/error.hpp"
#include "sio/options.hpp"
#include "sio/socket.hpp"

namespace sio {

using connection_handler = std::function<void(socket_ref)>;
/// Namespace middleware (io.use / nsp.use): call next() to accept, next(connect_error{...}) to
/// refuse; it may call next later, from any thread. Calls of next after the first are ignored.
using middleware = std::function<void(socket_ref, std::function<void(std::optional<connect_error>)> next)>;
using adapter_factory = std::function<std::unique_ptr<adapter>(adapter_host&)>;

class namespace_ : public std::enable_shared_from_this<namespace_>, public adapter_host {
 public:
  namespace_(std::string name, const adapter_factory& make_adapter) : name_(std::move(name)), adapter_(make_adapter(*this)) {}

  const std::string& name() const noexcept { return name_; }
  namespace_& on_connection(connection_handler fn) {
    on_connection_.push_back(std::move(fn));
    return *this;
  }
  namespace_& use(middleware fn) {
    middleware_.push_back(std::move(fn));
    return *this;
  }

  broadcast_operator to(const room_id& room) { return all().to(room); }
  broadcast_operator in(const room_id& room) { return all().to(room); }
  broadcast_operator except(const room_id& room) { return all().except(room); }
  broadcast_operator volatile_() { return all().volatile_(); }
  broadcast_operator local() { return all().local(); }
  broadcast_operator timeout(std::chrono::milliseconds ms) { return all().timeout(ms); }
  template <class... A>
  void emit(std::string_view event, A&&... args) {
    all().emit(event, std::forward<A>(args)...);
  }
  template <class... A>
  void send(A&&... args) {
    all().emit("message", std::forward<A>(args)...);
  }
  std::vector<socket_ref> fetch_sockets() { return all().fetch_sockets(); }
  /// io.serverSideEmit: to the other servers of a cluster (through the adapter), never to clients.
  template <class... A>
  void server_side_emit(const std::string& event, const A&... args) {
    adapter_->server_side_emit(event, arguments::of(args...).values());
  }
  /// What other servers send with server_side_emit (io.on(event) on the receiving side).
  namespace_& on_server_side_event(std::function<void(const std::string& event, arguments args)> fn) {
    on_server_side_event_ = std::move(fn);
    return *this;
  }
  void server_side_event(const std::string& event, std::vector<value> args) override;
  void sockets_join(const std::vector<room_id>& rooms) { all().sockets_join(rooms); }
  void sockets_leave(const std::vector<room_id>& rooms) { all().sockets_leave(rooms); }
  void disconnect_sockets(bool close = false) { all().disconnect_sockets(close); }

  adapter& get_adapter() noexcept { return *adapter_; }
  std::size_t socket_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sockets_.size();
  }
  socket_ref find(const socket_id& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sockets_.find(id);
    return it == sockets_.end() ? socket_ref{} : socket_ref{it->second};
  }

  // ---- internal ----------------------------------------------------------------------------
  void deliver(const socket_id& id, const frame_list& frames, bool is_volatile) override;
  void deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) override;
  /// Runs the middleware, then connects the socket (or refuses it); on the client's strand.
  void connect(std::shared_ptr<socket> s);
  void remove(const socket& s);
  std::uint64_t next_ack_id() noexcept { return ack_ids_.fetch_add(1, std::memory_order_relaxed); }
  /// Occupants: sockets connected or on their way (in middleware). A client's CONNECT reserves a
  /// place (server_core::resolve) and the socket releases it once, when it is refused, abandoned
  /// or closed (socket::abandon). A dynamic child with none may be removed.
  void reserve() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++occupants_;
  }
  void release() {
    bool empty = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      empty = --occupants_ == 0;
    }
    if (empty && on_empty) on_empty(*this);
  }
  std::size_t occupants() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return occupants_;
  }
  /// A dynamic namespace's child copies its parent's middleware and handlers.
  void inherit_from(const namespace_& parent) {
    middleware_ = parent.middleware_;
    on_connection_ = parent.on_connection_;
    on_server_side_event_ = parent.on_server_side_event_;
  }
  /// Set on dynamic children before they are shared: called (outside any lock) each time the last
  /// occupant leaves.
  std::function<void(namespace_&)> on_empty;
  /// Where this namespace reports exceptions from user code (set by the server).
  std::function<void(const handler_error&)> report;
  /// A dynamic namespace's children: what is emitted on the parent goes to each of them.
  void add_child(const std::shared_ptr<namespace_>& child) {
    std::lock_guard<std::mutex> lock(mutex_);
    // Removed children leave expired entries (and their memory block: make_shared) behind:
    // sweep them whenever the list has doubled, so that it stays within twice the live ones.
    if (children_.size() >= prune_children_at_) {
      children_.erase(std::remove_if(children_.begin(), children_.end(), [](const auto& w) { return w.expired(); }),
                      children_.end());
      prune_children_at_ = std::max<std::size_t>(16, children_.size() * 2);
    }
    children_.push_back(child);
    is_parent_ = true;
  }
  bool is_parent() const noexcept { return is_parent_; }
  std::vector<std::shared_ptr<namespace_>> children() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<namespace_>> out;
    for (const auto& w : children_)
      if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
  }

 private:
  broadcast_operator all() { return broadcast_operator{shared_from_this()}; }
  void run_middleware(std::size_t index, std::shared_ptr<socket> s);
  void refuse(const std::shared_ptr<socket>& s, const connect_error& error);
  void accept(std::shared_ptr<socket> s);

  std::string name_;
  std::unique_ptr<adapter> adapter_;
  std::vector<middleware> middleware_;
  std::vector<connection_handler> on_connection_;
  std::function<void(const std::string&, arguments)> on_server_side_event_;
  mutable std::mutex mutex_;
  std::unordered_map<socket_id, std::shared_ptr<socket>> sockets_;
  std::size_t occupants_ = 0;
  std::atomic<std::uint64_t> ack_ids_{0};
  std::vector<std::weak_ptr<namespace_>> children_;
  std::size_t prune_children_at_ = 16;
  std::atomic<bool> is_parent_{false};
};

}  // namespace sio
