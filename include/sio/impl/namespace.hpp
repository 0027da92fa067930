#pragma once
// Out-of-line definitions of sio::namespace_ and sio::broadcast_operator.
#include <mutex>

#include "sio/client.hpp"
#include "sio/engine/fanout.hpp"
#include "sio/impl/socket.hpp"
#include "sio/namespace.hpp"

namespace sio {

inline void namespace_::deliver(const socket_id& id, const frame_list& frames, bool is_volatile) {
  std::shared_ptr<socket> s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    s = it->second;
  }
  s->owner().write(frames, is_volatile);
}

inline void namespace_::deliver_all(const std::vector<const socket_id*>& ids, const frame_list& frames, bool is_volatile) {
  engine::fanout out(frames, is_volatile);
  // Under the lock: delivering only queues frames or posts, and never calls back.
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto* id : ids)
    if (auto it = sockets_.find(*id); it != sockets_.end()) out.add(it->second->owner().session_handle());
  out.finish();
}

inline void namespace_::connect(std::shared_ptr<socket> s) { run_middleware(0, std::move(s)); }

inline void namespace_::run_middleware(std::size_t index, std::shared_ptr<socket> s) {
  if (index == middleware_.size()) return accept(std::move(s));
  middleware_[index](socket_ref{s}, [self = shared_from_this(), index, s](std::optional<connect_error> error) {
    asio::dispatch(s->strand(), [self, index, s, error = std::move(error)] {
      if (!s->owner().session().is_open()) return;
      if (!error) return self->run_middleware(index + 1, s);
      s->owner().remove_socket(self->name_);
      parser::packet p;
      p.type = parser::packet_type::connect_error;
      p.nsp = self->name_;
      sio::object body{{"message", value{error->message}}};
      if (error->data) body.emplace_back("data", *error->data);
      p.data = value{std::move(body)};
      s->owner().write(detail::encode_frames(p), false);
    });
  });
}

inline void namespace_::accept(std::shared_ptr<socket> s) {
  if (!s->owner().session().is_open()) return;
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
    h(socket_ref{s});
  }
}

inline void namespace_::remove(const socket& s) {
  bool empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sockets_.erase(s.id());
    empty = sockets_.empty();
  }
  if (empty && on_empty) on_empty(*this);
}

inline void broadcast_operator::emit_arguments(std::string_view event, arguments args) const {
  if (nsp_->is_parent()) {
    // Each child namespace encodes once with its own name.
    for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.emit_arguments(event, args);
    return;
  }
  auto packet = detail::event_packet(nsp_->name(), event, std::move(args), std::nullopt);
  nsp_->get_adapter().broadcast(packet, detail::encode_frames(packet), opts_);
}

inline std::vector<socket_ref> broadcast_operator::fetch_sockets() const {
  std::vector<socket_ref> out;
  for (const auto& child : nsp_->children()) {
    auto more = broadcast_operator{child, opts_}.fetch_sockets();
    out.insert(out.end(), more.begin(), more.end());
  }
  for (const auto& id : nsp_->get_adapter().select(opts_))
    if (auto s = nsp_->find(id)) out.push_back(std::move(s));
  return out;
}

inline void broadcast_operator::sockets_join(const std::vector<room_id>& rooms) const {
  for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.sockets_join(rooms);
  for (const auto& id : nsp_->get_adapter().select(opts_)) nsp_->get_adapter().add_all(id, rooms);
}

inline void broadcast_operator::sockets_leave(const std::vector<room_id>& rooms) const {
  for (const auto& child : nsp_->children()) broadcast_operator{child, opts_}.sockets_leave(rooms);
  for (const auto& id : nsp_->get_adapter().select(opts_))
    for (const auto& r : rooms) nsp_->get_adapter().del(id, r);
}

inline void broadcast_operator::disconnect_sockets(bool close) const {
  for (auto& s : fetch_sockets()) s.disconnect(close);
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
  std::vector<std::shared_ptr<socket>> targets;
  for (const auto& sid : nsp_->get_adapter().select(opts_))
    if (auto s = nsp_->find(sid)) targets.push_back(s.get());
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
  for (auto& s : targets) {
    s->expect_ack(id, [collector](std::error_code ec, arguments a) { collector->add(ec, std::move(a)); }, std::nullopt);
    s->owner().write(frames, opts_.is_volatile);
  }
}

}  // namespace sio
