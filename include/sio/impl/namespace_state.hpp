#pragma once
// Out-of-line definitions of sio::detail::namespace_state and sio::broadcast_operator.
#include <mutex>

#include "sio/detail/client.hpp"
#include "sio/detail/error_report.hpp"
#include "sio/detail/namespace_state.hpp"
#include "sio/engine/fanout.hpp"
#include "sio/impl/socket.hpp"
#include "sio/remote_socket.hpp"

namespace sio {
namespace detail {

inline void namespace_state::deliver_locked(const socket_id& id, const frame_list& frames, bool is_volatile, engine::fanout& out) {
  if (auto it = sockets_.find(id); it != sockets_.end()) {
    socket_state& s = *it->second;
    if (!s.replay()) return out.add(s.owner().session_handle());
    if (!s.replay()->push(frames, is_volatile)) s.owner().engine_session().close_slow_consumer();
    return;
  }
  if (restoring_.empty()) return;
  if (auto it = restoring_.find(id); it != restoring_.end()) it->second->push(frames, is_volatile);  // over its bound: see accept_restored
}

inline void namespace_state::deliver(const socket_id& id, const frame_list& frames, bool is_volatile) {
  // With recovery on, posted even on this strand: in order with what was posted there before
  // (see engine::fanout's always_post).
  engine::fanout out(frames, is_volatile, recovery_ != nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  deliver_locked(id, frames, is_volatile, out);
  out.finish();
  if (auto* o = watcher()) {
    for (const auto& f : *frames) o->message_sent(f.bytes->size());
    o->event_sent(*this, id, frames);
  }
}

inline void namespace_state::deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) {
  engine::fanout out(frames, is_volatile, recovery_ != nullptr);
  // Under the lock: delivering only queues frames or posts, and never calls back.
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto* id : ids) deliver_locked(*id, frames, is_volatile, out);
  out.finish();
  if (auto* o = watcher())
    for (const auto* id : ids) {
      for (const auto& f : *frames) o->message_sent(f.bytes->size());
      o->event_sent(*this, *id, frames);  // per recipient, as Node's onAnyOutgoing
    }
}

inline frame_list namespace_state::encode(const parser::packet& packet) const { return detail::encode_frames(packet); }

inline void namespace_state::resume(const persisted_session& session, std::vector<kept_packet> missed) {
  std::lock_guard<std::mutex> lock(mutex_);
  restoring_[session.sid] = std::make_shared<replay_queue>(std::move(missed), max_buffered_bytes_);
}

inline bool namespace_state::end_replay(socket_state& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!s.replay()->empty()) return false;
  s.replay().reset();
  return true;
}

inline void namespace_state::connect(std::shared_ptr<socket_state> s) {
  // A restored socket skips the middleware (Node's skipMiddlewares); otherwise the session is
  // looked up once the middleware let the client in (accept).
  if (s->restore_requested() && recovery_->skip_middlewares)
    return restore(std::move(s), [self = shared_from_this()](std::shared_ptr<socket_state> fresh) { self->run_middleware(0, fresh); });
  run_middleware(0, std::move(s));
}

inline void namespace_state::restore(std::shared_ptr<socket_state> s, std::function<void(std::shared_ptr<socket_state>)> next) {
  auto [pid, offset] = s->take_restore_request();
  restore_attempt(std::move(s), std::move(pid), std::move(offset), std::move(next), true);
}

inline void namespace_state::restore_attempt(std::shared_ptr<socket_state> s, std::string pid, std::string offset,
                                             std::function<void(std::shared_ptr<socket_state>)> next, bool may_take_over) {
  auto done = [self = shared_from_this(), s, pid, offset, next, may_take_over](std::error_code ec,
                                                                               std::optional<persisted_session> found) mutable {
    asio::dispatch(s->strand(), [self, s, pid, offset, next, may_take_over, found = ec ? std::nullopt : std::move(found)]() mutable {
      if (found) return self->accept_restored(s, std::move(*found));
      auto holder = may_take_over ? self->holder_of(pid) : nullptr;
      if (!holder || holder == s) return next(s);
      // The client is back on a new connection before its old one was seen to drop: the pid
      // proves it is the same client. Its old connection is closed (which keeps the session, as
      // any drop does, on the old connection's strand at once), then the session is restored.
      holder->on_strand([self, s, holder, pid, offset, next]() mutable {
        holder->owner().close_connection();
        asio::dispatch(s->strand(), [self, s, pid, offset, next]() mutable {
          self->restore_attempt(s, std::move(pid), std::move(offset), std::move(next), false);
        });
      });
    });
  };
  adapter_->restore_session(pid, offset, std::move(done));
}

inline std::shared_ptr<socket_state> namespace_state::holder_of(const std::string& pid) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second.lock();
}

inline void namespace_state::accept_restored(std::shared_ptr<socket_state> s, persisted_session session) {
  if (!s->owner().session().is_open()) {
    // Gone before it could be told: keep the session for its next attempt.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      restoring_.erase(session.sid);
    }
    adapter_->del_all(session.sid);
    adapter_->persist_session(session);
    return s->abandon();
  }
  s->adopt(session);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = restoring_.find(session.sid);
    if (it != restoring_.end()) {
      s->replay() = std::move(it->second);
      restoring_.erase(it);
    }
    sockets_[s->id()] = s;
  }
  // More came for it meanwhile than it may be sent: a slow consumer like any other.
  if (s->replay() && s->replay()->overflowed()) s->owner().engine_session().close_slow_consumer();
  welcome(s);
}

inline void namespace_state::run_middleware(std::size_t index, std::shared_ptr<socket_state> s) {
  if (index == middleware_.size()) return accept(std::move(s));
  // Each step goes on once: at its first next() call, or never once the middleware threw first.
  auto step_done = std::make_shared<std::atomic<bool>>(false);
  connect_next next{[self = shared_from_this(), index, s, step_done](std::optional<connect_error> error) {
    if (step_done->exchange(true)) return;
    asio::dispatch(s->strand(), [self, index, s, error = std::move(error)] {
      if (!s->owner().session().is_open()) return s->abandon();
      if (!error) return self->run_middleware(index + 1, s);
      self->refuse(s, *error);
    });
  }};
  try {
    middleware_[index](socket_access::make(s), std::move(next));
  } catch (...) {
    bool went_on = step_done->exchange(true);
    s->user_code_failed(error_source::middleware, {}, std::current_exception());
    // After next(), the socket went on through the chain (and may be connected: the policy saw
    // to it). Before: nobody said yes, so it is refused.
    if (!went_on && s->owner().session().is_open()) refuse(s, connect_error{"Internal server error", std::nullopt});
  }
}

inline void namespace_state::refuse(const std::shared_ptr<socket_state>& s, const connect_error& error) {
  s->owner().remove_socket(name_);
  s->abandon();
  parser::packet p;
  p.type = parser::packet_type::connect_error;
  p.nsp = name_;
  sio::object body{{"message", value{error.message}}};
  if (error.data) body.emplace_back("data", *error.data);
  p.data = value{std::move(body)};
  s->owner().write(detail::encode_frames(p), false);
}

inline void namespace_state::accept(std::shared_ptr<socket_state> s) {
  if (!s->owner().session().is_open()) return s->abandon();
  if (s->restore_requested())  // recovery after the middleware (skip_middlewares false)
    return restore(std::move(s), [self = shared_from_this()](std::shared_ptr<socket_state> fresh) { self->accept(fresh); });
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sockets_[s->id()] = s;
  }
  adapter_->add_all(s->id(), {s->id()});  // every socket is in the room named after it
  welcome(s);
}

/// Connected: the CONNECT reply (then, for a restored socket, what it missed), then the
/// connection handlers.
inline void namespace_state::welcome(const std::shared_ptr<socket_state>& s) {
  if (!s->pid().empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    by_pid_[s->pid()] = s;
  }
  s->mark_connected();
  s->owner().add_socket(name_, s);
  s->send_connect_reply();
  if (s->replay()) s->pump_replay();
  if (auto* o = watcher()) o->socket_connected(*s);  // before the handlers, as Node's prependListener
  for (auto& h : on_connection_) {
    if (!s->connected()) break;
    try {
      h(socket_access::make(s));
    } catch (...) {
      s->user_code_failed(error_source::connection_handler, {}, std::current_exception());
    }
  }
}

inline void namespace_state::remove(const socket_state& s) {
  std::lock_guard<std::mutex> lock(mutex_);
  sockets_.erase(s.id());
  if (!s.pid().empty())
    if (auto it = by_pid_.find(s.pid()); it != by_pid_.end() && it->second.lock().get() == &s) by_pid_.erase(it);
}

inline std::vector<std::shared_ptr<socket_state>> namespace_state::selected(const broadcast_options& opts) const {
  std::vector<std::shared_ptr<socket_state>> out;
  for (const auto& id : adapter_->select(opts))
    if (auto s = find(id)) out.push_back(std::move(s));  // else: selected while leaving
  return out;
}

inline void namespace_state::broadcast_local(const parser::packet& packet, broadcast_options opts) {
  opts.local = true;
  adapter_->broadcast(packet, detail::encode_frames(packet), opts);
}

inline void namespace_state::local_socket_details(const broadcast_options& opts, socket_details_handler done) {
  auto found = selected(opts);
  if (found.empty()) return done({});
  // A socket's data lives on its strand: each socket describes itself there, and the last one
  // to report completes.
  struct gathering {
    std::mutex mutex;
    std::vector<socket_details> details;
    std::size_t pending = 0;
    socket_details_handler done;
  };
  auto g = std::make_shared<gathering>();
  g->pending = found.size();
  g->done = std::move(done);
  g->details.reserve(found.size());
  for (auto& s : found) {
    s->on_strand([self = shared_from_this(), g, s] {
      socket_details d{s->id(), s->handshake(), self->adapter_->socket_rooms(s->id()), s->data_value()};
      if (auto* o = self->watcher()) d.data = o->socket_data(*s, std::move(d.data));
      std::unique_lock<std::mutex> lock(g->mutex);
      if (s->connected()) g->details.push_back(std::move(d));  // gone meanwhile: not reported
      if (--g->pending != 0) return;
      auto fn = std::move(g->done);
      auto all = std::move(g->details);
      lock.unlock();
      fn(std::move(all));
    });
  }
}

inline void namespace_state::broadcast_local_with_ack(const parser::packet& packet, const broadcast_options& opts,
                                                      client_count_handler client_count, remote_ack_handler on_ack) {
  auto targets = selected(opts);
  client_count(targets.size());
  if (targets.empty()) return;
  // Numbered by this namespace, whatever id came over the wire (Node's sharded adapter sends
  // none), as Node's broadcastWithAck numbers it.
  parser::packet numbered = packet;
  numbered.id = next_ack_id();
  auto frames = detail::encode_frames(numbered);
  // A socket that leaves, or has too many acks pending, never answers: the asking server's
  // timeout covers it, as in Node.
  for (auto& s : targets)
    s->emit_frames_with_ack(*numbered.id, frames, opts.is_volatile, [on_ack](std::error_code ec, arguments a) {
      if (!ec) on_ack(std::move(a).values());
    });
}

inline void namespace_state::join_local(const broadcast_options& opts, const std::vector<room_id>& rooms) {
  for (auto& s : selected(opts)) s->join(rooms);  // through the socket: its room limit, and not after it left
}

inline bool namespace_state::leave_local(const broadcast_options& opts, const std::vector<room_id>& rooms) {
  for (const auto& id : adapter_->select(opts)) {
    auto s = find(id);
    for (const auto& r : rooms)
      if (s)
        s->leave(r);  // reports a real change to the observer
      else
        adapter_->del(id, r);  // not connected (leaving, or being restored)
  }
  return true;
}

inline void namespace_state::disconnect_local(const broadcast_options& opts, bool close) {
  for (auto& s : selected(opts)) s->disconnect(close);
}

inline void namespace_state::server_side_event(const std::string& event, std::vector<value> args) {
  server_side_event_with_ack(event, std::move(args), [](value) {});
}

inline void namespace_state::server_side_event_with_ack(const std::string& event, std::vector<value> args,
                                                        std::function<void(value)> reply) {
  if (!on_server_side_event_) return;
  try {
    on_server_side_event_(event, arguments(std::move(args)), std::move(reply));
  } catch (...) {
    if (report) report(exception_report(error_source::server_side_event, std::current_exception(), {{}, name_, event}));
  }
}

/// Completes once when several parts of one request have answered (each namespace of a dynamic
/// parent, or local and remote halves): keeps the first error and concatenates the results.
template <class Item>
struct request_join {
  std::mutex mutex;
  std::size_t pending = 0;
  std::error_code error;
  std::vector<Item> items;
  std::function<void(std::error_code, std::vector<Item>)> done;

  void add(std::error_code ec, std::vector<Item> more) {
    std::unique_lock<std::mutex> lock(mutex);
    if (ec && !error) error = ec;
    for (auto& i : more) items.push_back(std::move(i));
    if (--pending != 0) return;
    auto fn = std::move(done);
    auto all = std::move(items);
    auto err = error;
    lock.unlock();
    fn(err, std::move(all));
  }
};

}  // namespace detail

inline void broadcast_operator::emit_arguments(std::string_view event, arguments args) const {
  if (nsp_->is_parent()) {
    // Each child namespace encodes once with its own name.
    for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.emit_arguments(event, args);
    return;
  }
  auto packet = detail::event_packet(nsp_->name(), event, std::move(args), std::nullopt);
  nsp_->get_adapter().broadcast(packet, detail::encode_frames(packet), opts_);
}

inline std::vector<socket> broadcast_operator::sockets() const {
  std::vector<socket> out;
  for (const auto& child : nsp_->children()) {
    auto more = broadcast_operator{child, opts_}.sockets();
    out.insert(out.end(), more.begin(), more.end());
  }
  for (auto& s : nsp_->selected(opts_)) out.push_back(detail::socket_access::make(std::move(s)));
  return out;
}

inline void broadcast_operator::fetch_sockets_erased(remote_sockets_handler fn) const {
  auto targets = nsp_->children();
  targets.push_back(nsp_);
  auto join = std::make_shared<detail::request_join<remote_socket>>();
  join->pending = targets.size();
  join->done = std::move(fn);
  for (auto& target : targets) {
    target->get_adapter().fetch_sockets(opts_, timeout_, [join, target](std::error_code ec, std::vector<socket_details> found) {
      std::vector<remote_socket> handles;
      if (!ec) {
        handles.reserve(found.size());
        for (auto& d : found) handles.push_back(remote_socket{std::move(d), broadcast_operator{target}});
      }
      join->add(ec, std::move(handles));
    });
  }
}

inline void broadcast_operator::fetch_all_rooms_erased(rooms_handler fn) const {
  nsp_->get_adapter().fetch_all_rooms(timeout_, std::move(fn));
}

inline void broadcast_operator::fetch_server_count_erased(server_count_handler fn) const {
  nsp_->get_adapter().fetch_server_count(std::move(fn));
}

inline void broadcast_operator::server_side_emit_with_ack_erased(const std::string& event, const std::vector<value>& args,
                                                                 std::function<void(std::error_code, std::vector<value>)> fn) const {
  nsp_->get_adapter().server_side_emit_with_ack(event, args, timeout_, std::move(fn));
}

inline void broadcast_operator::sockets_join(const std::vector<room_id>& rooms) const {
  for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.sockets_join(rooms);
  nsp_->get_adapter().add_sockets(opts_, rooms);
}

inline void broadcast_operator::sockets_leave(const std::vector<room_id>& rooms) const {
  for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.sockets_leave(rooms);
  nsp_->get_adapter().del_sockets(opts_, rooms);
}

inline void broadcast_operator::disconnect_sockets(bool close) const {
  for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.disconnect_sockets(close);
  nsp_->get_adapter().disconnect_sockets(opts_, close);
}

namespace detail {
/// Gathers the acknowledgements of a broadcast, this server's clients' and, through the adapter,
/// other servers'; completes once, when all arrived or on timeout.
struct ack_collector {
  std::mutex mutex;
  std::size_t local_pending = 0;
  std::optional<std::size_t> remote_expected;  // until the adapter has counted the other servers' clients
  std::size_t remote_received = 0;
  std::vector<arguments> responses;
  broadcast_ack_handler done;
  std::unique_ptr<asio::steady_timer> timer;

  void add_local(std::error_code ec, arguments args) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!done) return;
    if (!ec) responses.push_back(std::move(args));  // a socket that left counts, without an answer
    --local_pending;
    finish_if_complete(lock);
  }
  void set_remote_count(std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!done || remote_expected) return;
    remote_expected = n;
    finish_if_complete(lock);
  }
  void add_remote(std::vector<value> args) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!done || (remote_expected && remote_received >= *remote_expected)) return;
    responses.emplace_back(std::move(args));
    ++remote_received;
    finish_if_complete(lock);
  }
  void finish_if_complete(std::unique_lock<std::mutex>& lock) {
    if (local_pending == 0 && remote_expected && remote_received >= *remote_expected) finish(lock, {});
  }
  void finish(std::unique_lock<std::mutex>& lock, std::error_code ec) {
    auto fn = std::move(done);
    done = nullptr;
    auto r = std::move(responses);
    if (timer) timer->cancel();
    lock.unlock();
    if (fn) fn(ec, std::move(r));
  }
};
}  // namespace detail

inline void broadcast_operator::emit_with_ack_erased(std::string event, arguments args, broadcast_ack_handler fn) const {
  std::uint64_t id = nsp_->next_ack_id();
  auto packet = detail::event_packet(nsp_->name(), event, std::move(args), id);
  auto frames = detail::encode_frames(packet);
  auto targets = nsp_->selected(opts_);
  auto collector = std::make_shared<detail::ack_collector>();
  collector->local_pending = targets.size();
  collector->done = std::move(fn);
  if (timeout_) {
    std::lock_guard<std::mutex> lock(collector->mutex);  // finish() reads `timer`
    collector->timer = std::make_unique<asio::steady_timer>(nsp_->executor(), *timeout_);
    collector->timer->async_wait([collector](std::error_code ec) {
      if (ec) return;
      std::unique_lock<std::mutex> lock(collector->mutex);
      if (collector->done) collector->finish(lock, make_error_code(errc::ack_timeout));
    });
  }
  for (auto& s : targets)
    s->emit_frames_with_ack(id, frames, opts_.is_volatile,
                            [collector](std::error_code ec, arguments a) { collector->add_local(ec, std::move(a)); });
  broadcast_options opts = opts_;
  opts.ack_timeout = timeout_;
  nsp_->get_adapter().broadcast_with_ack(
      packet, opts, [collector](std::size_t n) { collector->set_remote_count(n); },
      [collector](std::vector<value> a) { collector->add_remote(std::move(a)); });
}

inline void broadcast_operator::callback_failed(const std::weak_ptr<detail::namespace_state>& weak, const std::string& event,
                                                error_source source, std::exception_ptr error) {
  auto nsp = weak.lock();
  if (!nsp || !nsp->report) return;
  nsp->report(detail::exception_report(source, std::move(error), {{}, nsp->name(), event}));
}

}  // namespace sio
