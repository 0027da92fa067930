#pragma once
// sio::detail::namespace_state: a Socket.IO namespace ("/" or "/chat", or a child of a dynamic
// one): its middleware, its connection handlers, its sockets and its adapter (rooms). The object
// behind the sio::namespace_ handle (namespace.hpp); what is public here beyond what the handle
// forwards is for the server, the client, the sockets and the adapter.
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
#include "sio/detail/observer.hpp"
#include "sio/detail/replay_queue.hpp"
#include "sio/engine/fanout.hpp"
#include "sio/error.hpp"
#include "sio/handlers.hpp"
#include "sio/options.hpp"
#include "sio/socket.hpp"

namespace sio {

/// What another server sent with server_side_emit (reply: a no-op) or server_side_emit_with_ack
/// (reply: its answer, once).
using server_side_handler = std::function<void(const std::string& event, arguments args, std::function<void(value)> reply)>;

namespace detail {

class namespace_state : public std::enable_shared_from_this<namespace_state>, public adapter_host {
 public:
  /// `options`: the server's, which outlive this; `recovery_budget`: what every namespace's kept
  /// packets may cost together (with connection state recovery on).
  namespace_state(std::string name, asio::any_io_executor executor, const adapter_factory& make_adapter, const server_options& options,
                  std::shared_ptr<transport::memory_budget> recovery_budget = nullptr)
      : name_(std::move(name)),
        executor_(std::move(executor)),
        recovery_(options.connection_state_recovery ? &*options.connection_state_recovery : nullptr),
        max_buffered_bytes_(options.max_buffered_bytes),
        recovery_budget_(std::move(recovery_budget)),
        adapter_(make_adapter(*this)) {}

  // ---- what the handle forwards (configured before clients arrive) ----------------------------
  const std::string& name() const noexcept override { return name_; }
  void on_connection(connection_handler fn) { on_connection_.push_back(std::move(fn)); }
  void use(middleware fn) { middleware_.push_back(std::move(fn)); }
  /// Every socket of the namespace (and of its children, for a dynamic parent).
  broadcast_operator all() { return broadcast_operator{shared_from_this()}; }
  void server_side_emit(const std::string& event, std::vector<value> args) { adapter_->server_side_emit(event, args); }
  void on_server_side_event(server_side_handler fn) { on_server_side_event_ = std::move(fn); }
  std::size_t socket_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sockets_.size();
  }

  // ---- internal ----------------------------------------------------------------------------
  adapter& get_adapter() noexcept { return *adapter_; }
  /// The server's observer (detail/observer.hpp), or null: what the hooks test.
  observer* watcher() const noexcept { return observer_.load(std::memory_order_acquire); }
  void set_observer(observer* o) noexcept { observer_.store(o, std::memory_order_release); }
  /// The connected local sockets `opts` selects.
  std::vector<std::shared_ptr<socket_state>> selected(const broadcast_options& opts) const;
  /// The connected socket with this id, or null.
  std::shared_ptr<socket_state> find(const socket_id& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : it->second;
  }
  void server_side_event(const std::string& event, std::vector<value> args) override;
  void server_side_event_with_ack(const std::string& event, std::vector<value> args, std::function<void(value)> reply) override;
  void deliver(const socket_id& id, const frame_list& frames, bool is_volatile) override;
  asio::any_io_executor executor() const override { return executor_; }
  void broadcast_local(const parser::packet& packet, broadcast_options opts) override;
  void local_socket_details(const broadcast_options& opts, socket_details_handler done) override;
  void broadcast_local_with_ack(const parser::packet& packet, const broadcast_options& opts, client_count_handler client_count,
                                remote_ack_handler on_ack) override;
  void join_local(const broadcast_options& opts, const std::vector<room_id>& rooms) override;
  bool leave_local(const broadcast_options& opts, const std::vector<room_id>& rooms) override;
  void disconnect_local(const broadcast_options& opts, bool close) override;
  void deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) override;
  const connection_state_recovery_options* recovery() const noexcept override { return recovery_; }
  std::shared_ptr<transport::memory_budget> recovery_budget() const override { return recovery_budget_; }
  frame_list encode(const parser::packet& packet) const override;
  void resume(const persisted_session& session, std::vector<kept_packet> missed) override;
  /// A restored socket wrote everything queued behind its replay: deliveries go to its connection
  /// again. False when more came meanwhile (the socket writes that first). On the strand.
  bool end_replay(socket_state& s);
  /// Runs the middleware, then connects the socket (or refuses it); on the client's strand.
  void connect(std::shared_ptr<socket_state> s);
  void remove(const socket_state& s);
  std::uint64_t next_ack_id() noexcept { return ack_ids_.fetch_add(1, std::memory_order_relaxed); }
  /// Occupants: sockets connected or on their way (in middleware). A client's CONNECT reserves a
  /// place (server_core::resolve) and the socket releases it once, when it is refused, abandoned
  /// or closed (socket_state::abandon). A dynamic child with none may be removed.
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
  void inherit_from(const namespace_state& parent) {
    middleware_ = parent.middleware_;
    on_connection_ = parent.on_connection_;
    on_server_side_event_ = parent.on_server_side_event_;
  }
  /// Set on dynamic children before they are shared: called (outside any lock) each time the last
  /// occupant leaves.
  std::function<void(namespace_state&)> on_empty;
  /// Where this namespace reports exceptions from user code (set by the server).
  std::function<void(const handler_error&)> report;
  /// A dynamic namespace's children: what is emitted on the parent goes to each of them.
  void add_child(const std::shared_ptr<namespace_state>& child) {
    std::lock_guard<std::mutex> lock(mutex_);
    // Removed children leave expired entries (and their memory block: make_shared) behind:
    // sweep them whenever the list has doubled, so that it stays within twice the live ones.
    if (children_.size() >= prune_children_at_) {
      children_.erase(std::remove_if(children_.begin(), children_.end(), [](const auto& w) { return w.expired(); }), children_.end());
      prune_children_at_ = std::max<std::size_t>(16, children_.size() * 2);
    }
    children_.push_back(child);
    is_parent_ = true;
  }
  bool is_parent() const noexcept { return is_parent_; }
  std::vector<std::shared_ptr<namespace_state>> children() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<namespace_state>> out;
    for (const auto& w : children_)
      if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
  }

 private:
  void run_middleware(std::size_t index, std::shared_ptr<socket_state> s);
  void refuse(const std::shared_ptr<socket_state>& s, const connect_error& error);
  void accept(std::shared_ptr<socket_state> s);
  /// Asks the adapter for the session the client's CONNECT named; then `next` (a new session) or
  /// accept_restored. On the strand.
  void restore(std::shared_ptr<socket_state> s, std::function<void(std::shared_ptr<socket_state>)> next);
  void restore_attempt(std::shared_ptr<socket_state> s, std::string pid, std::string offset,
                       std::function<void(std::shared_ptr<socket_state>)> next, bool may_take_over);
  /// The connected socket holding private id `pid` here, or null.
  std::shared_ptr<socket_state> holder_of(const std::string& pid) const;
  void accept_restored(std::shared_ptr<socket_state> s, persisted_session session);
  void welcome(const std::shared_ptr<socket_state>& s);
  /// Hands a delivery to `s` (connected or being restored) to `out`, or to its replay queue while
  /// it catches up. Needs the lock.
  void deliver_locked(const socket_id& id, const frame_list& frames, bool is_volatile, engine::fanout& out);

  std::string name_;
  asio::any_io_executor executor_;                     // before adapter_: the adapter may ask for it when made
  const connection_state_recovery_options* recovery_;  // the same
  std::size_t max_buffered_bytes_;                     ///< what a restored socket may get while it catches up
  std::shared_ptr<transport::memory_budget> recovery_budget_;
  std::unique_ptr<adapter> adapter_;
  std::vector<middleware> middleware_;
  std::vector<connection_handler> on_connection_;
  server_side_handler on_server_side_event_;
  mutable std::mutex mutex_;
  std::unordered_map<socket_id, std::shared_ptr<socket_state>> sockets_;
  /// Restored sockets between adapter_host::resume and their CONNECT reply: what reaches them
  /// meanwhile waits behind their missed packets.
  std::unordered_map<socket_id, std::shared_ptr<replay_queue>> restoring_;
  /// Connected sockets by private id (recovery on): a client back before its old connection was
  /// seen to drop takes its session over from it.
  std::unordered_map<std::string, std::weak_ptr<socket_state>> by_pid_;
  std::size_t occupants_ = 0;
  std::atomic<std::uint64_t> ack_ids_{0};
  std::vector<std::weak_ptr<namespace_state>> children_;
  std::size_t prune_children_at_ = 16;
  std::atomic<bool> is_parent_{false};
  std::atomic<observer*> observer_{nullptr};
};

}  // namespace detail
}  // namespace sio
