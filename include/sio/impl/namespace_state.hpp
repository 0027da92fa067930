#pragma once
// Out-of-line definitions of sio::detail::namespace_state and sio::broadcast_operator.
#include <mutex>

#include "sio/detail/client.hpp"
#include "sio/detail/namespace_state.hpp"
#include "sio/engine/fanout.hpp"
#include "sio/impl/socket.hpp"

namespace sio {
namespace detail {

inline void namespace_state::deliver(const socket_id& id, const frame_list& frames, bool is_volatile) {
  std::shared_ptr<socket_state> s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    s = it->second;
  }
  s->owner().write(frames, is_volatile);
}

inline void namespace_state::deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) {
  engine::fanout out(frames, is_volatile);
  // Under the lock: delivering only queues frames or posts, and never calls back.
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto* id : ids)
    if (auto it = sockets_.find(*id); it != sockets_.end()) out.add(it->second->owner().session_handle());
  out.finish();
}

inline void namespace_state::connect(std::shared_ptr<socket_state> s) { run_middleware(0, std::move(s)); }

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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sockets_[s->id()] = s;
  }
  adapter_->add_all(s->id(), {s->id()});  // every socket is in the room named after it
  s->mark_connected();
  s->owner().add_socket(name_, s);
  s->send_connect_reply();
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
}

// TODO(#12): data is left null here: socket data is read on the socket's strand only, so the
// asynchronous fetch_sockets must gather it there (one post per socket) before completing.
inline std::vector<socket_details> namespace_state::local_socket_details(const broadcast_options& opts) {
  std::vector<socket_details> out;
  for (const auto& id : adapter_->select(opts)) {
    auto s = find(id);
    if (!s) continue;  // selected while leaving
    out.push_back(socket_details{id, s->handshake(), adapter_->socket_rooms(id), value{}});
  }
  return out;
}

inline void namespace_state::join_local(const broadcast_options& opts, const std::vector<room_id>& rooms) {
  for (const auto& id : adapter_->select(opts))
    if (auto s = find(id)) s->join(rooms);  // through the socket: its room limit, and not after it left
}

inline void namespace_state::disconnect_local(const broadcast_options& opts, bool close) {
  for (const auto& id : adapter_->select(opts))
    if (auto s = find(id)) s->disconnect(close);
}

inline void namespace_state::server_side_event(const std::string& event, std::vector<value> args) {
  if (!on_server_side_event_) return;
  try {
    on_server_side_event_(event, arguments(std::move(args)));
  } catch (...) {
    if (!report) return;
    handler_error e;
    e.source = error_source::server_side_event;
    e.nsp = name_;
    e.event = event;
    e.message = detail::exception_message(std::current_exception());
    e.exception = std::current_exception();
    report(e);
  }
}

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

inline std::vector<socket> broadcast_operator::fetch_sockets() const {
  std::vector<socket> out;
  for (const auto& child : nsp_->children()) {
    auto more = broadcast_operator{child, opts_}.fetch_sockets();
    out.insert(out.end(), more.begin(), more.end());
  }
  for (const auto& id : nsp_->get_adapter().select(opts_))
    if (auto s = nsp_->find(id)) out.push_back(detail::socket_access::make(std::move(s)));
  return out;
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
/// Gathers the acknowledgements of a broadcast; completes once, when all arrived or on timeout.
struct ack_collector {
  std::mutex mutex;
  std::size_t expected = 0;
  std::vector<arguments> responses;
  broadcast_ack_handler done;
  std::unique_ptr<asio::steady_timer> timer;

  void add(std::error_code ec, arguments args) {
    std::unique_lock<std::mutex> lock(mutex);
    if (!done) return;
    if (!ec) responses.push_back(std::move(args));  // a socket that left counts, without an answer
    if (--expected == 0) finish(lock, {});
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
  auto frames = detail::encode_frames(detail::event_packet(nsp_->name(), event, std::move(args), id));
  std::vector<std::shared_ptr<detail::socket_state>> targets;
  for (const auto& sid : nsp_->get_adapter().select(opts_))
    if (auto s = nsp_->find(sid)) targets.push_back(std::move(s));
  auto collector = std::make_shared<detail::ack_collector>();
  collector->expected = targets.size();
  collector->done = std::move(fn);
  if (targets.empty()) {
    std::unique_lock<std::mutex> lock(collector->mutex);
    return collector->finish(lock, {});
  }
  if (timeout_) {
    collector->timer = std::make_unique<asio::steady_timer>(targets.front()->strand().get_inner_executor(), *timeout_);
    collector->timer->async_wait([collector](std::error_code ec) {
      if (ec) return;
      std::unique_lock<std::mutex> lock(collector->mutex);
      if (collector->done) collector->finish(lock, make_error_code(errc::ack_timeout));
    });
  }
  for (auto& s : targets)
    s->emit_frames_with_ack(id, frames, opts_.is_volatile, [collector](std::error_code ec, arguments a) { collector->add(ec, std::move(a)); });
}

inline void broadcast_operator::ack_callback_failed(const std::weak_ptr<detail::namespace_state>& weak, const std::string& event,
                                                    std::exception_ptr error) {
  auto nsp = weak.lock();
  if (!nsp || !nsp->report) return;
  handler_error e;
  e.source = error_source::ack_callback;
  e.nsp = nsp->name();
  e.event = event;
  e.message = detail::exception_message(error);
  e.exception = std::move(error);
  nsp->report(e);
}

}  // namespace sio
