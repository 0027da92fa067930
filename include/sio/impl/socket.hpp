#pragma once
// Out-of-line definitions of sio::socket, ack_sender and socket_ref (need the complete client and
// namespace types).
#include "sio/client.hpp"
#include "sio/namespace.hpp"
#include "sio/parser/encoder.hpp"
#include "sio/parser/json.hpp"
#include "sio/socket.hpp"

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
  for (const auto& b : attachments) frames->push_back(engine::make_binary_frame(std::string{b.view()}));
  return frames;
}

inline parser::packet event_packet(const std::string& nsp, std::string_view event, arguments args,
                                   std::optional<std::uint64_t> id) {
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

inline socket::socket(std::shared_ptr<namespace_> nsp, std::shared_ptr<client> owner, std::string id, handshake_info hs)
    : nsp_(std::move(nsp)), client_(std::move(owner)), id_(std::move(id)), handshake_(std::move(hs)) {}

inline engine::session& socket::conn() const noexcept { return client_->engine_session(); }
inline std::string_view socket::transport() const noexcept { return client_->session().transport_name(); }
inline const transport::strand_type& socket::strand() const noexcept { return client_->strand(); }

template <class Fn>
void socket::on_strand(Fn&& fn) {
  if (strand().running_in_this_thread()) return fn();
  asio::post(strand(), std::forward<Fn>(fn));
}

inline void socket::add_handler(std::string event, detail::erased_handler fn, bool once) {
  on_strand([self = shared_from_this(), event = std::move(event), fn = std::move(fn), once]() mutable {
    self->handlers_[event].push_back(handler_entry{std::make_shared<const detail::erased_handler>(std::move(fn)), once});
  });
}

inline socket& socket::off(const std::string& event) {
  on_strand([self = shared_from_this(), event] { self->handlers_.erase(event); });
  return *this;
}
inline socket& socket::on_any(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->any_handlers_.push_back(std::move(fn)); });
  return *this;
}
inline socket& socket::prepend_any(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->any_handlers_.insert(self->any_handlers_.begin(), std::move(fn));
  });
  return *this;
}
inline socket& socket::off_any() {
  on_strand([self = shared_from_this()] { self->any_handlers_.clear(); });
  return *this;
}
inline socket& socket::on_any_outgoing(any_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->any_outgoing_handlers_.push_back(std::move(fn)); });
  return *this;
}
inline socket& socket::use(packet_middleware fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->middleware_.push_back(std::move(fn)); });
  return *this;
}
inline socket& socket::on_disconnect(disconnect_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_disconnect_.push_back(std::move(fn)); });
  return *this;
}
inline socket& socket::on_disconnecting(disconnect_handler fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_disconnecting_.push_back(std::move(fn)); });
  return *this;
}
inline socket& socket::on_error(std::function<void(const std::string&)> fn) {
  on_strand([self = shared_from_this(), fn = std::move(fn)]() mutable { self->on_error_ = std::move(fn); });
  return *this;
}

inline socket::emitter socket::timeout(std::chrono::milliseconds ms) { return emitter{shared_from_this()}.timeout(ms); }
inline socket::emitter socket::volatile_() { return emitter{shared_from_this()}.volatile_(); }
inline socket::emitter socket::compress(bool on) { return emitter{shared_from_this()}.compress(on); }

inline void socket::emit_arguments(std::string_view event, arguments args, bool is_volatile) {
  on_strand([self = shared_from_this(), event = std::string{event}, args = std::move(args), is_volatile]() mutable {
    if (!self->connected_) return;
    for (auto& h : self->any_outgoing_handlers_) h(event, args);
    self->client_->write(detail::encode_frames(detail::event_packet(self->nsp_->name(), event, std::move(args), std::nullopt)),
                         is_volatile);
  });
}

inline void socket::emit_with_ack_erased(std::string event, arguments args, std::optional<std::chrono::milliseconds> timeout,
                                         ack_handler fn) {
  on_strand([self = shared_from_this(), event = std::move(event), args = std::move(args), timeout, fn = std::move(fn)]() mutable {
    if (!self->connected_) return fn(make_error_code(errc::socket_disconnected), {});
    std::uint64_t id = self->nsp_->next_ack_id();
    self->expect_ack(id, std::move(fn), timeout);
    for (auto& h : self->any_outgoing_handlers_) h(event, args);
    self->client_->write(detail::encode_frames(detail::event_packet(self->nsp_->name(), event, std::move(args), id)), false);
  });
}

inline void socket::expect_ack(std::uint64_t id, ack_handler fn, std::optional<std::chrono::milliseconds> timeout) {
  on_strand([self = shared_from_this(), id, fn = std::move(fn), timeout]() mutable {
    if (!self->connected_) return fn(make_error_code(errc::socket_disconnected), {});
    pending_ack entry{std::move(fn), nullptr};
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
      });
    }
    self->acks_[id] = std::move(entry);
  });
}

inline void socket::send_ack(std::uint64_t id, arguments args) {
  if (!connected_) return;
  parser::packet p;
  p.type = parser::packet_type::ack;
  p.nsp = nsp_->name();
  p.id = id;
  p.data = value(sio::array(std::move(args).values()));
  client_->write(detail::encode_frames(p), false);
}

inline void socket::send_connect_reply() {
  parser::packet p;
  p.type = parser::packet_type::connect;
  p.nsp = nsp_->name();
  p.data = value{sio::object{{"sid", value{id_}}}};
  client_->write(detail::encode_frames(p), false);
}

inline void socket::handle_packet(parser::packet&& p) {
  switch (p.type) {
    case parser::packet_type::event:
    case parser::packet_type::binary_event:
      return dispatch_event(arguments(std::move(p.data.as_array())), p.id);
    case parser::packet_type::ack:
    case parser::packet_type::binary_ack: {
      if (!p.id) return;
      auto it = acks_.find(*p.id);
      if (it == acks_.end()) return;  // unknown or already timed out: ignored
      auto fn = std::move(it->second.fn);
      acks_.erase(it);
      return fn({}, arguments(std::move(p.data.as_array())));
    }
    case parser::packet_type::disconnect:
      return handle_close(disconnect_reason::client_namespace_disconnect);
    default:
      return;
  }
}

inline void socket::dispatch_event(arguments&& args, std::optional<std::uint64_t> id) {
  if (middleware_.empty()) return deliver_event(std::move(args), id);
  run_middleware(0, std::make_shared<arguments>(std::move(args)), id);
}

inline void socket::run_middleware(std::size_t index, std::shared_ptr<arguments> args, std::optional<std::uint64_t> id) {
  if (!connected_) return;
  if (index == middleware_.size()) return deliver_event(std::move(*args), id);
  middleware_[index](*args, [self = shared_from_this(), index, args, id](std::optional<std::string> error) {
    asio::dispatch(self->strand(), [self, index, args, id, error = std::move(error)] {
      if (error) return self->report_error(*error);
      self->run_middleware(index + 1, args, id);
    });
  });
}

inline void socket::report_error(const std::string& message) {
  if (on_error_) on_error_(message);
}

inline void socket::deliver_event(arguments&& all, std::optional<std::uint64_t> id) {
  if (!connected_ || all.empty()) return;
  const value& name = all[0];
  std::string event = name.is_string() ? name.as_string() : json::stringify(name);
  std::vector<value> rest_values = std::move(all).values();
  rest_values.erase(rest_values.begin());
  arguments rest(std::move(rest_values));
  ack_sender ack = id ? ack_sender{weak_from_this(), *id} : ack_sender{};
  for (auto& h : any_handlers_) h(event, rest);
  auto it = handlers_.find(event);
  if (it == handlers_.end() || it->second.empty()) return;
  auto& listeners = it->second;
  const auto invoke = [&](const detail::erased_handler& fn, arguments&& args, ack_sender a) {
    if (!fn(std::move(args), std::move(a))) report_error("invalid arguments for event \"" + event + "\"");
  };
  if (listeners.size() == 1) {  // the usual case: no copy of the list
    auto fn = listeners.front().fn;
    if (listeners.front().once) listeners.clear();
    return invoke(*fn, std::move(rest), std::move(ack));
  }
  // Copy the list: a handler may add or remove handlers while it runs.
  auto entries = listeners;
  listeners.erase(std::remove_if(listeners.begin(), listeners.end(), [](const handler_entry& e) { return e.once; }),
                  listeners.end());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    bool last = i + 1 == entries.size();
    if (last) invoke(*entries[i].fn, std::move(rest), std::move(ack));
    else invoke(*entries[i].fn, arguments(rest), ack);
  }
}

inline void socket::join(const room_id& room) { nsp_->get_adapter().add_all(id_, {room}); }
inline void socket::join(const std::vector<room_id>& rooms) { nsp_->get_adapter().add_all(id_, rooms); }
inline void socket::leave(const room_id& room) { nsp_->get_adapter().del(id_, room); }
inline std::vector<room_id> socket::rooms() const { return nsp_->get_adapter().socket_rooms(id_); }

// socket.to(room) and friends leave the sender out, as in JavaScript.
inline broadcast_operator socket::to(const room_id& room) const { return broadcast().to(room); }
inline broadcast_operator socket::in(const room_id& room) const { return broadcast().to(room); }
inline broadcast_operator socket::except(const room_id& room) const { return broadcast().except(room); }
inline broadcast_operator socket::broadcast() const {
  broadcast_options opts;
  opts.except.push_back(id_);
  return broadcast_operator{nsp_, std::move(opts)};
}

inline void socket::disconnect(bool close) {
  on_strand([self = shared_from_this(), close] {
    if (!self->connected_) return;
    if (close) return self->client_->disconnect_all();
    parser::packet p;
    p.type = parser::packet_type::disconnect;
    p.nsp = self->nsp_->name();
    self->client_->write(detail::encode_frames(p), false);
    self->handle_close(disconnect_reason::server_namespace_disconnect);
  });
}

inline void socket::handle_close(disconnect_reason reason) {
  if (!connected_) return;
  auto keep = shared_from_this();
  for (auto& h : on_disconnecting_) h(reason);  // rooms still visible here
  connected_ = false;
  auto acks = std::move(acks_);
  acks_.clear();
  for (auto& [id, a] : acks) a.fn(make_error_code(errc::socket_disconnected), {});
  nsp_->get_adapter().del_all(id_);
  nsp_->remove(*this);
  client_->remove_socket(nsp_->name());
  auto handlers = std::move(on_disconnect_);
  for (auto& h : handlers) h(reason);
  // Release user callbacks: they often capture the socket itself.
  handlers_.clear();
  any_handlers_.clear();
  any_outgoing_handlers_.clear();
  middleware_.clear();
  on_disconnecting_.clear();
}

inline broadcast_operator socket_ref::to(const room_id& room) const { return s_->to(room); }
inline broadcast_operator socket_ref::in(const room_id& room) const { return s_->in(room); }
inline broadcast_operator socket_ref::except(const room_id& room) const { return s_->except(room); }
inline broadcast_operator socket_ref::broadcast() const { return s_->broadcast(); }

}  // namespace sio
