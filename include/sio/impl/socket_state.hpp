#pragma once
// Out-of-line definitions of sio::detail::socket_state and sio::ack_sender (need the complete
// client and namespace types).
#include "sio/detail/client.hpp"
#include "sio/detail/error_report.hpp"
#include "sio/detail/namespace_state.hpp"
#include "sio/detail/socket_state.hpp"
#include "sio/parser/encoder.hpp"
#include "sio/parser/json.hpp"

namespace sio {
namespace detail {

/// Encodes a packet once: the Engine.IO text frame ("4" + Socket.IO text), then its attachments.
inline frame_list encode_frames(const parser::packet& p) {
  std::string text;
  text.reserve(128);  // most packets fit: one allocation instead of three as the text grows
  text.push_back('4');
  std::vector<binary> attachments;
  parser::encode(p, text, attachments);
  auto frames = std::make_shared<std::vector<engine::frame>>();
  frames->reserve(1 + attachments.size());
  frames->push_back(engine::frame{false, std::make_shared<const std::string>(std::move(text))});
  // Attachments go out in the buffers they came in: an attachment named many times is sent as
  // many frames, all sharing one buffer.
  for (const auto& b : attachments) frames->push_back(b.empty() ? engine::make_binary_frame({}) : engine::frame{true, b.shared()});
  return frames;
}

inline parser::packet event_packet(const std::string& nsp, std::string_view event, arguments args, std::optional<std::uint64_t> id) {
  parser::packet p;
  p.type = parser::packet_type::event;
  p.nsp = nsp;
  p.id = id;
  sio::array data;
  data.reserve(args.size() + 1);
  data.emplace_back(std::string{event});
  for (auto& a : std::move(args).values()) data.push_back(std::move(a));
  p.data = value{std::move(data)};
  return p;
}

}  // namespace detail

inline void ack_sender::send(arguments args) const {
  if (!state_ || state_->sent.exchange(true)) return;
  auto owner = state_->owner.lock();
  if (!owner) return;
  std::uint64_t id = state_->id;
  // Acknowledging from the handler itself is the usual case: no trip through the strand.
  if (owner->strand().running_in_this_thread()) return owner->send_ack(id, std::move(args));
  asio::post(owner->strand(), [owner, id, args = std::move(args)]() mutable { owner->send_ack(id, std::move(args)); });
}

inline ack_sender::state::~state() {
  if (sent.load()) return;
  if (auto o = owner.lock()) o->ack_dropped();
}

namespace detail {

inline socket_state::socket_state(std::shared_ptr<namespace_state> nsp, std::shared_ptr<client> owner, std::string id, handshake_info hs)
    : nsp_(std::move(nsp)), client_(std::move(owner)), id_(std::move(id)), handshake_(std::move(hs)) {
  const server_options& o = options();
  if (o.max_events_per_second > 0) {
    using period = std::chrono::steady_clock::period;
    static_assert(period::num == 1, "steady_clock ticks are fractions of a second");
    event_interval_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(period::den) / o.max_events_per_second);
    event_capacity_ = event_interval_ * static_cast<std::int64_t>(std::max<std::uint32_t>(o.max_event_burst, 1));
    event_credit_ = event_capacity_;  // full
    event_refilled_at_ = std::chrono::steady_clock::now().time_since_epoch().count();
  }
}

inline const transport::strand_type& socket_state::strand() const noexcept { return client_->strand(); }
inline const server_options& socket_state::options() const noexcept { return client_->options(); }

/// A copy of `list` with `fn` added (at the front or the back).
template <class T>
std::shared_ptr<const std::vector<T>> with_added(const std::shared_ptr<const std::vector<T>>& list, T fn, bool front = false) {
  auto next = list ? std::make_shared<std::vector<T>>(*list) : std::make_shared<std::vector<T>>();
  next->insert(front ? next->begin() : next->end(), std::move(fn));
  return next;
}

inline void socket_state::add_handler(std::string event, detail::erased_handler fn, bool once) {
  on_strand([self = shared_from_this(), event = std::move(event), fn = std::move(fn), once]() mutable {
    self->handlers_[event].push_back(handler_entry{std::make_shared<const detail::erased_handler>(std::move(fn)), once});
  });
}

inline void socket_state::off(const std::string& event) {
  on_strand([self = shared_from_this(), event] { self->handlers_.erase(event); });
}
inline void socket_state::on_any(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->any_handlers_ = detail::with_added(self->any_handlers_, std::move(fn));
  });
}
inline void socket_state::prepend_any(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->any_handlers_ = detail::with_added(self->any_handlers_, std::move(fn), true);
  });
}
inline void socket_state::off_any() {
  on_strand([self = shared_from_this()] { self->any_handlers_ = nullptr; });
}
inline void socket_state::on_any_outgoing(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->any_outgoing_handlers_ = detail::with_added(self->any_outgoing_handlers_, std::move(fn));
  });
}
inline void socket_state::use(packet_middleware fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->middleware_ = detail::with_added(self->middleware_, std::move(fn));
  });
}
inline void socket_state::on_disconnect(disconnect_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_disconnect_.push_back(std::move(fn)); });
}
inline void socket_state::on_disconnecting(disconnect_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_disconnecting_.push_back(std::move(fn)); });
}
inline void socket_state::on_error(error_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_error_ = std::move(fn); });
}

// ---- errors ------------------------------------------------------------------------------------

inline void socket_state::user_code_failed(error_source source, std::string_view event, std::exception_ptr error) {
  client_->report(exception_report(source, std::move(error), {id_, nsp_->name(), std::string{event}}));
  if (options().after_handler_error != handler_error_policy::disconnect) return;
  // Only a connected socket is disconnected (on its strand); disconnect handlers and refused or
  // closing sockets are past that.
  on_strand([self = shared_from_this()] {
    if (self->connected_ && !self->closing_) self->disconnect(false);
  });
}

inline void socket_state::limit_hit(error_source source, std::string_view event, std::string message) {
  client_->report(limit_report(source, std::move(message), {id_, nsp_->name(), std::string{event}}));
}

inline void socket_state::report_error(const std::exception& error) {
  if (!on_error_) return;
  try {
    on_error_(error);
  } catch (...) {
    user_code_failed(error_source::error_handler, {}, std::current_exception());
  }
}

// ---- outgoing ----------------------------------------------------------------------------------

inline void socket_state::run_outgoing_handlers(const std::string& event, const arguments& args) {
  auto handlers = any_outgoing_handlers_;  // a snapshot: a handler may change the list
  for (auto& h : *handlers) {
    try {
      h(event, args);
    } catch (...) {
      user_code_failed(error_source::outgoing_any_handler, event, std::current_exception());
    }
    if (!connected_) return;
  }
}

inline emit_status socket_state::emit_arguments(std::string_view event, arguments args, bool is_volatile) {
  auto send = [self = shared_from_this(), is_volatile](const std::string& event, arguments args) {
    // Gone, but kept for recovery: the adapter keeps what is emitted meanwhile, as in Node.
    if (!self->connected_ && (!self->persisted_ || is_volatile)) return emit_status::closed;
    if (self->any_outgoing_handlers_) {
      self->run_outgoing_handlers(event, args);
      if (!self->connected_) return emit_status::closed;
    }
    auto packet = detail::event_packet(self->nsp_->name(), event, std::move(args), std::nullopt);
    auto& adapter = self->nsp_->get_adapter();
    if (!is_volatile && adapter.keeps_packets()) {
      // As in Node: through the adapter, which numbers and keeps it for a replay.
      broadcast_options only_me;
      only_me.rooms.push_back(self->id_);
      return adapter.broadcast(packet, detail::encode_frames(packet), only_me) ? emit_status::queued : emit_status::closed;
    }
    auto frames = detail::encode_frames(packet);
    if (auto* o = self->nsp_->watcher()) o->event_sent(*self->nsp_, self->id_, frames);
    if (self->replay_) {
      self->write(frames, is_volatile);
      return emit_status::queued;
    }
    return self->client_->write_now(frames, is_volatile);
  };
  if (strand().running_in_this_thread()) return send(std::string{event}, std::move(args));
  asio::post(strand(),
             [send = std::move(send), event = std::string{event}, args = std::move(args)]() mutable { send(event, std::move(args)); });
  return emit_status::posted;
}

inline void socket_state::on_drain(std::function<void()> fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    if (!self->connected_) return;
    self->client_->engine_session().on_drain([weak = self->weak_from_this(), fn = std::move(fn)] {
      auto me = weak.lock();
      if (!me || !me->connected_) return;
      try {
        fn();
      } catch (...) {
        me->user_code_failed(error_source::drain_handler, "drain", std::current_exception());
      }
    });
  });
}

inline void socket_state::emit_with_ack_erased(std::string event, arguments args, std::optional<std::chrono::milliseconds> timeout,
                                               ack_handler fn) {
  on_strand([self = shared_from_this(), event = std::move(event), args = std::move(args), timeout, fn = std::move(fn)]() mutable {
    if (!self->connected_) return fn(make_error_code(errc::socket_disconnected), {});
    std::size_t limit = self->options().max_pending_acks;
    if (limit && self->acks_.size() >= limit) return fn(make_error_code(errc::too_many_pending_acks), {});
    if (self->any_outgoing_handlers_) {
      self->run_outgoing_handlers(event, args);
      // Disconnected by a handler's exception: the ack fails as for any disconnected socket.
      if (!self->connected_) return fn(make_error_code(errc::socket_disconnected), {});
    }
    std::uint64_t id = self->nsp_->next_ack_id();
    pending_ack entry{timed_ack(self->options().metrics_registry.get(), std::move(fn)), nullptr};
    if (timeout) {
      entry.timer = std::make_unique<asio::steady_timer>(self->strand(), *timeout);
      entry.timer->async_wait([weak = self->weak_from_this(), id](std::error_code ec) {
        auto s = weak.lock();
        if (ec || !s) return;
        auto it = s->acks_.find(id);
        if (it == s->acks_.end()) return;
        auto done = std::move(it->second.fn);
        s->acks_.erase(it);
        done(make_error_code(errc::ack_timeout), {});
        s->client_->ack_settled();
      });
    }
    self->acks_[id] = std::move(entry);
    auto frames = detail::encode_frames(detail::event_packet(self->nsp_->name(), event, std::move(args), id));
    if (auto* o = self->nsp_->watcher()) o->event_sent(*self->nsp_, self->id_, frames);
    self->write(frames, false);
  });
}

inline void socket_state::emit_frames_with_ack(std::uint64_t id, frame_list frames, bool is_volatile, ack_handler fn) {
  on_strand([self = shared_from_this(), id, frames = std::move(frames), is_volatile, fn = std::move(fn)]() mutable {
    if (!self->connected_) return fn(make_error_code(errc::socket_disconnected), {});
    std::size_t limit = self->options().max_pending_acks;
    if (limit && self->acks_.size() >= limit) return fn(make_error_code(errc::too_many_pending_acks), {});
    self->acks_[id] = pending_ack{std::move(fn), nullptr};
    if (auto* o = self->nsp_->watcher()) o->event_sent(*self->nsp_, self->id_, frames);
    self->write(frames, is_volatile);
  });
}

inline void socket_state::ack_dropped() {
  owed_acks_.fetch_sub(1, std::memory_order_acq_rel);
  if (client_->draining()) asio::post(strand(), [self = shared_from_this()] { self->client_->ack_settled(); });
}

inline void socket_state::send_ack(std::uint64_t id, arguments args) {
  owed_acks_.fetch_sub(1, std::memory_order_acq_rel);
  if (!connected_) return;
  parser::packet p;
  p.type = parser::packet_type::ack;
  p.nsp = nsp_->name();
  p.id = id;
  p.data = value(sio::array(std::move(args).values()));
  write(detail::encode_frames(p), false);
  client_->ack_settled();
}

inline void socket_state::send_connect_reply() {
  parser::packet p;
  p.type = parser::packet_type::connect;
  p.nsp = nsp_->name();
  sio::object body{{"sid", value{id_}}};
  if (!pid_.empty()) body.emplace_back("pid", value{pid_});
  p.data = value{std::move(body)};
  client_->write(detail::encode_frames(p), false);  // ahead of any replay
}

inline void socket_state::write(const frame_list& frames, bool is_volatile) {
  if (!replay_) return client_->write(frames, is_volatile);
  if (!replay_->push(frames, is_volatile)) client_->engine_session().close_slow_consumer();
}

// ---- connection state recovery -----------------------------------------------------------------

inline void socket_state::adopt(const persisted_session& session) {
  id_ = session.sid;
  pid_ = session.pid;
  data_.assign(session.data);
  recovered_ = true;
}

inline void socket_state::pump_replay() {
  auto& session = client_->engine_session();
  // Up to a quarter of the connection's bound at a time: room is left for what is sent meanwhile,
  // and the rest follows as the client reads.
  const std::size_t high_water = std::max<std::size_t>(options().max_buffered_bytes / 4, 1);
  while (replay_ && connected_) {
    if (session.buffered_memory() >= high_water) {
      if (!std::exchange(watching_drain_, true))
        session.on_drain([weak = weak_from_this()] {
          if (auto s = weak.lock(); s && s->replay_) s->pump_replay();
        });
      return;
    }
    if (auto frames = replay_->pop()) {
      if (client_->write_now(frames, false) != emit_status::queued) return;  // the connection is closing
    } else if (nsp_->end_replay(*this)) {
      return;
    }
  }
}

inline void socket_state::persist(disconnect_reason reason) {
  if (pid_.empty()) return;
  switch (reason) {  // Node's RECOVERABLE_DISCONNECT_REASONS, and a client that fell behind
    case disconnect_reason::transport_error:
    case disconnect_reason::transport_close:
    case disconnect_reason::forced_close:
    case disconnect_reason::ping_timeout:
    case disconnect_reason::server_shutting_down:
    case disconnect_reason::forced_server_close:
    case disconnect_reason::slow_consumer: break;
    default: return;
  }
  auto& adapter = nsp_->get_adapter();
  auto rooms = adapter.socket_rooms(id_);
  rooms.erase(std::remove(rooms.begin(), rooms.end(), id_), rooms.end());
  adapter.persist_session(persisted_session{id_, pid_, nsp_->name(), std::move(rooms), data_value()});
  persisted_ = true;
}

// ---- incoming ----------------------------------------------------------------------------------

inline bool socket_state::take_event_token() noexcept {
  if (event_credit_ < event_interval_) {
    // Refilled late, in one go: never more than a bucket refilled all along would have allowed.
    std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    event_credit_ = std::min(event_capacity_, event_credit_ + (now - event_refilled_at_));
    event_refilled_at_ = now;
    if (event_credit_ < event_interval_) return false;
  }
  event_credit_ -= event_interval_;
  return true;
}

inline void socket_state::over_event_rate(const parser::packet& p) {
  std::string event;
  if (p.data.is_array() && !p.data.as_array().empty() && p.data.as_array().front().is_string())
    event = p.data.as_array().front().as_string();
  limit_hit(error_source::event_rate_limit, event, "incoming event rate over max_events_per_second");
  if (options().event_rate_policy == rate_limit_policy::disconnect) disconnect(false);
}

inline void socket_state::handle_packet(parser::packet&& p) {
  switch (p.type) {
    case parser::packet_type::event:
    case parser::packet_type::binary_event:
      if (event_interval_ && !take_event_token()) return over_event_rate(p);
      return dispatch_event(arguments(std::move(p.data.as_array())), p.id);
    case parser::packet_type::ack:
    case parser::packet_type::binary_ack: {
      if (!p.id) return;
      auto it = acks_.find(*p.id);
      if (it == acks_.end()) return;  // unknown or already timed out: ignored
      auto fn = std::move(it->second.fn);
      acks_.erase(it);
      fn({}, arguments(std::move(p.data.as_array())));
      return client_->ack_settled();
    }
    case parser::packet_type::disconnect: return handle_close(disconnect_reason::client_namespace_disconnect);
    default: return;
  }
}

/// An event on its way through the socket's middleware (socket.use): the chain as it was when the
/// event came, and the packet ([name, ...args]) the middleware may change.
struct socket_state::middleware_run {
  shared_list<packet_middleware> chain;
  arguments packet;
  std::optional<std::uint64_t> id;
  std::string event;  ///< the name when the current middleware was called, for reports
};

inline void socket_state::dispatch_event(arguments&& args, std::optional<std::uint64_t> id) {
  if (!middleware_) return deliver_event(std::move(args), id);
  auto run = std::make_shared<middleware_run>();
  run->chain = middleware_;
  run->packet = std::move(args);
  run->id = id;
  run_middleware(0, std::move(run));
}

inline void socket_state::run_middleware(std::size_t index, std::shared_ptr<middleware_run> run) {
  if (!connected_) return;
  if (index == run->chain->size()) return deliver_event(std::move(run->packet), run->id);
  if (!run->packet.empty() && run->packet[0].is_string()) run->event = run->packet[0].as_string();
  // Each step goes on once: at its next() call, or not at all once the middleware threw.
  auto step_done = std::make_shared<std::atomic<bool>>(false);
  packet_next next{[self = shared_from_this(), index, run, step_done](std::optional<std::string> error) {
    if (step_done->exchange(true)) return;
    asio::dispatch(self->strand(), [self, index, run, error = std::move(error)]() mutable {
      if (error) return self->report_error(middleware_error{*error});
      self->run_middleware(index + 1, std::move(run));
    });
  }};
  try {
    (*run->chain)[index](run->packet, std::move(next));
  } catch (...) {
    // Before next(): the event is dropped. After it: the event went on (or is going on); only
    // the report and the policy remain.
    step_done->store(true);
    user_code_failed(error_source::packet_middleware, run->event, std::current_exception());
  }
}

inline bool socket_state::run_listener(const detail::erased_handler& fn, const std::string& event, detail::event_call& call) {
  call.event = event;
  try {
    switch (fn(call)) {
      case detail::invoke_result::called: break;
      case detail::invoke_result::bad_arguments:  // a sio::conversion_error, handed over as one
        try {
          std::rethrow_exception(call.conversion_error);
        } catch (const std::exception& e) {
          report_error(e);
        }
        break;
      case detail::invoke_result::conversion_threw:
        user_code_failed(error_source::argument_conversion, event, call.conversion_error);
        break;
    }
  } catch (...) {
    user_code_failed(error_source::event_handler, event, std::current_exception());
  }
  return connected_;
}

inline void socket_state::deliver_event(arguments&& all, std::optional<std::uint64_t> id) {
  if (!connected_ || all.empty()) return;
  if (auto* o = nsp_->watcher()) o->event_received(*this, all);
  const value& name = all[0];
  std::string event = name.is_string() ? name.as_string() : json::stringify(name);
  std::vector<value> rest_values = std::move(all).values();
  rest_values.erase(rest_values.begin());
  arguments rest(std::move(rest_values));
  if (id) owed_acks_.fetch_add(1, std::memory_order_acq_rel);
  ack_sender ack = id ? ack_sender{weak_from_this(), *id} : ack_sender{};
  if (any_handlers_) {
    auto handlers = any_handlers_;  // a snapshot: a handler may change the list, or disconnect
    for (auto& h : *handlers) {
      try {
        h(event, rest);
      } catch (...) {
        user_code_failed(error_source::any_handler, event, std::current_exception());
      }
      if (!connected_) return;
    }
  }
  auto it = handlers_.find(event);
  if (it == handlers_.end() || it->second.empty()) return;
  auto& listeners = it->second;
  if (listeners.size() == 1) {  // the usual case: no copy of the list
    auto fn = listeners.front().fn;
    if (listeners.front().once) listeners.clear();  // before the call: it stays removed if it throws
    detail::event_call call{rest, ack, true};
    run_listener(*fn, event, call);
    return;
  }
  // Copy the list: a handler may add or remove handlers while it runs.
  auto entries = listeners;
  listeners.erase(std::remove_if(listeners.begin(), listeners.end(), [](const handler_entry& e) { return e.once; }), listeners.end());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    // Only the last listener may take the arguments; the others copy what they ask for.
    detail::event_call call{rest, ack, i + 1 == entries.size()};
    if (!run_listener(*entries[i].fn, event, call)) return;
  }
}

// ---- rooms -------------------------------------------------------------------------------------

inline bool socket_state::join(const std::vector<room_id>& rooms) {
  if (abandoned_.load()) return false;
  auto& adapter = nsp_->get_adapter();
  auto* watcher = nsp_->watcher();
  std::vector<room_id> before;
  if (watcher) before = adapter.socket_rooms(id_);  // to report real changes only
  if (!adapter.try_add_all(id_, rooms, options().max_rooms_per_socket)) return false;
  // Joined from another thread while the socket closed: undo, or the rooms would keep it forever.
  if (abandoned_.load()) {
    adapter.del_all(id_);
    return false;
  }
  if (watcher)
    for (std::size_t i = 0; i < rooms.size(); ++i) {
      const auto& r = rooms[i];
      bool seen =
          std::find(before.begin(), before.end(), r) != before.end() || std::find(rooms.begin(), rooms.begin() + i, r) != rooms.begin() + i;
      if (!seen) watcher->room_joined(*nsp_, r, id_);
    }
  return true;
}
inline void socket_state::leave(const room_id& room) {
  auto& adapter = nsp_->get_adapter();
  auto* watcher = nsp_->watcher();
  if (!watcher) return adapter.del(id_, room);
  auto before = adapter.socket_rooms(id_);
  adapter.del(id_, room);
  if (std::find(before.begin(), before.end(), room) != before.end()) watcher->room_left(*nsp_, room, id_);
}
inline std::vector<room_id> socket_state::rooms() const { return nsp_->get_adapter().socket_rooms(id_); }

inline broadcast_operator socket_state::broadcast() const {
  broadcast_options opts;
  opts.except.push_back(id_);
  return broadcast_operator{nsp_, std::move(opts)};
}

// ---- leaving -----------------------------------------------------------------------------------

inline void socket_state::disconnect(bool close) {
  on_strand([self = shared_from_this(), close] {
    if (!self->connected_ || self->closing_) return;
    if (close) return self->client_->disconnect_all();
    parser::packet p;
    p.type = parser::packet_type::disconnect;
    p.nsp = self->nsp_->name();
    self->write(detail::encode_frames(p), false);
    self->handle_close(disconnect_reason::server_namespace_disconnect);
  });
}

inline void socket_state::abandon() {
  if (!abandoned_.exchange(true)) nsp_->get_adapter().del_all(id_);
  if (std::exchange(holds_nsp_slot_, false)) nsp_->release();
}

inline void socket_state::handle_close(disconnect_reason reason) {
  if (!connected_ || closing_) return;
  closing_ = true;  // a handler below that disconnects again finds the close under way
  if (auto* m = options().metrics_registry.get()) m->add(metrics_registry::disconnects + static_cast<std::size_t>(reason));
  auto keep = shared_from_this();
  auto disconnecting = std::move(on_disconnecting_);
  on_disconnecting_.clear();
  for (auto& h : disconnecting) {  // rooms still visible here
    try {
      h(reason);
    } catch (...) {
      user_code_failed(error_source::disconnecting_handler, {}, std::current_exception());
    }
  }
  persist(reason);  // rooms and data as the disconnecting handlers left them
  connected_ = false;
  auto acks = std::move(acks_);
  acks_.clear();
  for (auto& [id, a] : acks) a.fn(make_error_code(errc::socket_disconnected), {});
  nsp_->remove(*this);
  client_->remove_socket(nsp_->name());
  if (auto* o = nsp_->watcher()) {
    // Node's order: the disconnection, then one room_left per room.
    o->socket_disconnected(*this, reason);
    auto rooms = nsp_->get_adapter().socket_rooms(id_);
    abandon();
    for (const auto& r : rooms) o->room_left(*nsp_, r, id_);
  } else {
    abandon();
  }
  auto handlers = std::move(on_disconnect_);
  on_disconnect_.clear();
  for (auto& h : handlers) {
    try {
      h(reason);
    } catch (...) {
      user_code_failed(error_source::disconnect_handler, {}, std::current_exception());
    }
  }
  // Release user callbacks: they often capture the socket itself.
  handlers_.clear();
  any_handlers_ = nullptr;
  any_outgoing_handlers_ = nullptr;
  middleware_ = nullptr;
  on_error_ = nullptr;
}

}  // namespace detail
}  // namespace sio
