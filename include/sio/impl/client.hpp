#pragma once
// Out-of-line definitions of sio::detail::client.
#include <algorithm>

#include "sio/detail/client.hpp"
#include "sio/detail/error_report.hpp"
#include "sio/detail/server_core.hpp"
#include "sio/impl/namespace_state.hpp"

namespace sio::detail {

inline client::client(std::shared_ptr<server_core> server, engine::session_ptr session)
    : server_(std::move(server)),
      session_(std::move(session)),
      decoder_(parser::decoder_options{server_->options().max_attachments, json::default_max_depth}) {}

inline void client::count_sent(const frame_list& frames) const {
  if (auto* o = server_->get_observer())
    for (const auto& f : *frames) o->message_sent(f.bytes->size());
}

inline const server_options& client::options() const noexcept { return server_->options(); }
inline void client::report(const handler_error& e) const noexcept { server_->report(e); }

inline void client::start() {
  // These callbacks keep the client alive; the session drops them when it closes.
  session_->on_message([self = shared_from_this()](std::string data, bool binary) { self->on_message(std::move(data), binary); });
  session_->on_close([self = shared_from_this()](engine::close_reason r) { self->on_close(r); });
  if (auto* o = server_->get_observer()) {
    o->connection_opened(*this);
    session_->on_upgrade([weak = weak_from_this()](std::string_view) {
      if (auto self = weak.lock())
        if (auto* w = self->server_->get_observer()) w->connection_upgraded(*self);
    });
  }
  connect_timer_ = std::make_unique<asio::steady_timer>(session_->strand(), server_->options().connect_timeout);
  connect_timer_->async_wait([weak = weak_from_this()](std::error_code ec) {
    auto self = weak.lock();
    // Closes a connection that never joined a namespace (a refused CONNECT does not count).
    if (!ec && self && !self->joined_any_) self->fail();
  });
  server_->add_pending(shared_from_this());
}

inline void client::add_socket(const std::string& nsp, std::shared_ptr<socket_state> s) {
  connecting_.erase(nsp);
  sockets_[nsp] = joined_socket{std::move(s), joins_++};
  if (joined_any_) return;
  joined_any_ = true;
  if (connect_timer_) connect_timer_->cancel();
  server_->remove_pending(*this);
}

inline void client::on_message(std::string data, bool binary) {
  if (auto* o = server_->get_observer()) o->message_received(data.size());
  // Every call into user code below catches what it throws; this is the net for sio's own
  // failures (out of memory while decoding, ...): this client goes, the server and the session's
  // own bookkeeping (it is still inside its callback) do not notice.
  try {
    auto r = binary ? decoder_.feed_binary(std::string_view{data}) : decoder_.feed_text(data);
    if (r.failed()) return fail();
    if (r.has_packet()) on_packet(std::move(r.decoded));
  } catch (...) {
    report(exception_report(error_source::internal, std::current_exception(), {session_->id()}));
    fail();
  }
}

inline void client::on_packet(parser::packet&& p) {
  auto it = sockets_.find(p.nsp);
  if (it == sockets_.end()) {
    if (p.type == parser::packet_type::connect && !connecting_.count(p.nsp)) return connect(std::move(p));
    return fail();  // anything but CONNECT for a namespace not joined, or a CONNECT while one is pending
  }
  if (p.type == parser::packet_type::connect || p.type == parser::packet_type::connect_error) return fail();
  auto s = it->second.s;
  s->handle_packet(std::move(p));
}

inline void client::refuse_connect(const std::string& nsp, const char* message) {
  parser::packet refusal;
  refusal.type = parser::packet_type::connect_error;
  refusal.nsp = nsp;
  refusal.data = value{sio::object{{"message", value{message}}}};
  write(detail::encode_frames(refusal), false);
}

inline void client::connect(parser::packet&& p) {
  std::size_t limit = options().max_namespaces_per_client;
  if (limit && sockets_.size() + connecting_.size() >= limit) {
    report(limit_report(error_source::namespace_limit, "client over max_namespaces_per_client", {session_->id(), p.nsp}));
    return refuse_connect(p.nsp, "Too many namespaces");
  }
  value auth = p.data.is_object() ? std::move(p.data) : value{sio::object{}};
  const auto& req = session_->handshake();
  auto nsp = server_->resolve(p.nsp, req, auth, session_->id());  // counts the socket in (namespace_state::reserve)
  if (!nsp) return refuse_connect(p.nsp, "Invalid namespace");
  handshake_info hs;
  hs.headers = req.headers;
  hs.query = req.query;
  hs.auth = std::move(auth);
  hs.address = req.remote_address;
  hs.time = std::chrono::system_clock::now();
  hs.url = req.target;
  hs.secure = req.secure;
  hs.xdomain = req.headers.contains("Origin");
  auto s = std::make_shared<socket_state>(nsp, shared_from_this(), server_->next_socket_id(), std::move(hs));
  if (options().connection_state_recovery) {
    // A client that had a session sends its pid and the offset of the last packet it got.
    const value* pid = s->handshake().auth.find("pid");
    const value* offset = s->handshake().auth.find("offset");
    std::optional<std::pair<std::string, std::string>> request;
    if (pid && offset && pid->is_string() && offset->is_string()) request.emplace(pid->as_string(), offset->as_string());
    s->prepare_recovery(server_->next_socket_id(), std::move(request));
  }
  connecting_[p.nsp] = s;
  nsp->connect(s);
}

inline std::vector<std::shared_ptr<socket_state>> client::sockets_by_join_order() const {
  std::vector<const joined_socket*> entries;
  entries.reserve(sockets_.size());
  for (const auto& [name, entry] : sockets_) entries.push_back(&entry);
  std::sort(entries.begin(), entries.end(), [](const joined_socket* a, const joined_socket* b) { return a->order < b->order; });
  std::vector<std::shared_ptr<socket_state>> out;
  out.reserve(entries.size());
  for (const auto* e : entries) out.push_back(e->s);
  return out;
}

inline void client::disconnect_all() {
  for (auto& s : sockets_by_join_order()) s->disconnect(false);
  close_connection();
}

inline void client::drain() {
  asio::dispatch(strand(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->draining_ = true;
    self->close_if_drained();
  });
}

inline void client::close_if_drained() {
  if (closed_ || drain_closing_) return;
  for (const auto& [name, entry] : sockets_)
    if (!entry.s->acks_settled()) return;
  drain_closing_ = true;
  // Posted: the caller may be a socket of this client, still in the middle of its work. What
  // is queued goes out before the close.
  asio::post(strand(), [self = shared_from_this()] { self->close_connection(); });
}

inline void client::on_close(engine::close_reason reason) {
  if (auto* o = server_->get_observer()) o->connection_closed(*this, engine::to_string(reason));
  if (connect_timer_) connect_timer_->cancel();
  server_->remove_pending(*this);
  // A drain's close is the server's shutdown as the sockets see it: recoverable, persisted.
  bool shutdown = server_->shutting_down() || drain_closing_;
  disconnect_reason why = shutdown ? disconnect_reason::server_shutting_down : from_engine(reason);
  auto all = sockets_by_join_order();
  sockets_.clear();
  auto connecting = std::move(connecting_);
  connecting_.clear();
  // Sockets still in middleware never join: their namespace counts them out now.
  for (auto& [name, s] : connecting) s->abandon();
  for (auto& s : all) s->handle_close(why);
  closed_ = true;
  auto listeners = std::move(on_connection_close_);
  on_connection_close_.clear();
  for (auto& fn : listeners) fn(from_engine(reason));
  server_->remove_client(*this);
}

inline void client::on_connection_close(std::function<void(disconnect_reason)> fn) {
  asio::dispatch(strand(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
    if (!self->closed_) self->on_connection_close_.push_back(std::move(fn));
  });
}

}  // namespace sio::detail
