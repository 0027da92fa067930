#pragma once
// One Engine.IO session (a "socket" in the JavaScript engine): its state (open, closing, closed),
// what it admits to send (the slow-consumer policy), what incoming packets do, and closing. The
// parts it drives, each on its own:
//   transport.hpp            the interface of the two transports, and which one is in use
//   polling_transport.hpp    long-polling: the held GET, the answers, the POSTs in flight
//   send_queue.hpp           what waits for a GET, counted against the memory budget
//   websocket_transport.hpp  the WebSocket the session's packets go through
//   upgrade.hpp              the polling -> WebSocket upgrade (probe, timeout)
//   heartbeat.hpp            the ping timer and the pong awaited
// Each of them knows nothing of the session; the session calls them and glues their events.
//
// Thread safety: every member function runs on the session's strand, except those documented as
// callable from any thread (send and close, which post there; track_post). User callbacks run on
// the strand.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio.hpp>

#include "sio/engine/error.hpp"
#include "sio/engine/heartbeat.hpp"
#include "sio/engine/options.hpp"
#include "sio/engine/packet.hpp"
#include "sio/engine/payload.hpp"
#include "sio/engine/polling_transport.hpp"
#include "sio/engine/send_queue.hpp"
#include "sio/engine/transport.hpp"
#include "sio/engine/upgrade.hpp"
#include "sio/engine/websocket_transport.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/memory_budget.hpp"

namespace sio::engine {

/// What became of a packet handed to a session (see SECURITY.md, "Slow consumers").
enum class send_status {
  queued,         ///< it will be written
  dropped,        ///< volatile, and the transport could not take it now (or the server is over its memory budget)
  closed,         ///< the session is closed or closing
  slow_consumer,  ///< this packet put the session over its bound: it is being disconnected
};

class session : public std::enable_shared_from_this<session> {
 public:
  using message_handler = std::function<void(std::string data, bool binary)>;
  using close_handler = std::function<void(close_reason reason)>;

  session(std::string id, transport::strand_slot_ptr slot, std::shared_ptr<const options> opts, transport::http_request handshake,
          std::function<void(const std::string&)> on_removed, std::shared_ptr<transport::memory_budget> budget = nullptr)
      : id_(std::move(id)),
        slot_(std::move(slot)),
        options_(std::move(opts)),
        metrics_(options_->metrics_registry.get()),
        handshake_(std::move(handshake)),
        on_removed_(std::move(on_removed)),
        polling_(id_, *options_, std::move(budget)),
        heartbeat_(strand()) {
    handshake_.body.clear();
  }

  const std::string& id() const noexcept { return id_; }
  /// "polling" or "websocket": the transport in use now.
  std::string_view transport_name() const noexcept { return engine::transport_name(transport_); }
  /// The request that opened the session (headers, query, address; no body).
  const transport::http_request& handshake() const noexcept { return handshake_; }
  const transport::strand_type& strand() const noexcept { return slot_->strand(); }
  bool is_open() const noexcept { return state_ == state::open; }
  /// The server's counters, or null when metrics are off (library-internal).
  detail::metrics_registry* metrics() const noexcept { return metrics_; }

  /// Set these in the connection callback, before returning from it.
  void on_message(message_handler fn) { on_message_ = std::move(fn); }
  void on_close(close_handler fn) { on_close_ = std::move(fn); }
  /// Runs when the session has moved from long-polling to WebSocket (conn.on("upgrade")). Register
  /// on the session's strand (e.g. in a connection handler).
  void on_upgrade(std::function<void(std::string_view transport)> fn) { on_upgrade_.push_back(std::move(fn)); }
  /// Runs each time everything queued has been handed to the transport (conn.on("drain")): the
  /// WebSocket wrote it all, or a polling GET took it. Register on the session's strand.
  void on_drain(std::function<void()> fn) {
    on_drain_.push_back(std::move(fn));
    if (on_drain_.size() == 1 && websocket_.attached()) watch_drain(websocket_.channel());
  }
  /// Memory the queued output costs now (polling queue or WebSocket write queue).
  std::size_t buffered_memory() const noexcept {
    return transport_ == transport_kind::websocket ? websocket_.buffered_memory() : polling_.buffered_memory();
  }

  /// Queues a frame. `is_volatile` frames are dropped when the transport cannot take them now.
  /// Thread safety: any thread; from another strand it waits for this one's turn (queuing never
  /// calls back into the caller either way: see overflowed()).
  void send(frame f, bool is_volatile = false) {
    if (strand().running_in_this_thread()) {
      send_here(std::move(f), is_volatile);
      return;
    }
    asio::post(strand(),
               [self = shared_from_this(), f = std::move(f), is_volatile]() mutable { self->send_here(std::move(f), is_volatile); });
  }
  /// Queues several frames that belong together (a Socket.IO packet and its attachments): all of
  /// them, or none when volatile and not writable. Thread safety: any thread.
  void send(std::shared_ptr<const std::vector<frame>> frames, bool is_volatile = false) {
    if (strand().running_in_this_thread()) {
      send_on_strand(*frames, is_volatile);
      return;
    }
    asio::post(strand(),
               [self = shared_from_this(), frames = std::move(frames), is_volatile] { self->send_on_strand(*frames, is_volatile); });
  }
  /// The same, for a caller that is on this session's strand (engine::fanout, an emit from a
  /// handler): says what became of the packet.
  send_status send_on_strand(const std::vector<frame>& frames, bool is_volatile) {
    std::size_t cost = 0;
    for (const auto& f : frames) cost += send_queue::frame_cost(f);
    send_status st = admit(cost, is_volatile);
    if (st != send_status::queued) return st;
    for (const auto& f : frames) enqueue(f);
    return st;
  }
  void send_text(std::string_view text) { send(make_text_frame(packet_type::message, text)); }
  void send_binary(std::string bytes) { send(make_binary_frame(std::move(bytes))); }

  /// Server-side close: the client gets a close packet after what is already queued.
  /// Thread safety: any thread.
  /// With `discard` (server shutdown) a polling session that has no GET to carry the close packet
  /// ends at once instead of waiting close_timeout for one.
  void close(bool discard = false) {
    asio::dispatch(strand(), [self = shared_from_this(), discard] {
      self->discard_on_close_ = discard;
      // A session already waiting for a GET to take its close packet stops waiting.
      if (discard && self->state_ == state::closing) return self->finish_closing();
      self->close_with(close_reason::forced_close);
    });
  }

  /// Closes the session as a slow consumer, for a caller that queues output for it elsewhere
  /// (a restored socket catching up) and found it over max_buffered_bytes. Any thread.
  void close_slow_consumer() {
    asio::dispatch(strand(), [self = shared_from_this()] {
      if (!self->overflowed_) self->overflowed();
    });
  }

  /// Whether a volatile frame would be written now rather than queued.
  bool writable() const noexcept {
    if (upgrade_.active() || state_ != state::open) return false;
    const auto& budget = queue().budget();
    if (budget && budget->exhausted()) return false;
    return transport_ == transport_kind::websocket ? websocket_.ready() : polling_.ready();
  }

  // ---- called by the engine core (on this strand unless noted) -----------------------------

 private:
  // Library-only: the engine's request handler (core) hands the session its requests and
  // transports through these; an application never calls them.
  friend class core;

  /// Counts a POST from its head to its answer; any thread. Two at once are a protocol error.
  /// `drop` ends the POST's connection: when the session closes while the body is still coming,
  /// the request is cut off unanswered, as the reference destroys it.
  std::shared_ptr<void> track_post(std::function<void()> drop) { return polling_.track_post(shared_from_this(), std::move(drop)); }

  void start_polling(std::shared_ptr<transport::http_exchange> first_get) {
    transport_ = transport_kind::polling;
    if (metrics_) metrics_->opened(0);
    queue().push_uncounted(open_frame(options_->allow_upgrades && options_->websocket));
    schedule_ping();
    handle_get(std::move(first_get));
  }

  void start_websocket(std::shared_ptr<transport::websocket_channel> ws) {
    transport_ = transport_kind::websocket;
    if (metrics_) metrics_->opened(1);
    attach_main_websocket(std::move(ws));
    send_here(open_frame(false), false);
    schedule_ping();
  }

  /// A WebSocket for this session that cannot be one of its transports (it asked for
  /// transport=polling, or the session already has its WebSocket): closed at once, as ws's
  /// websocket.close() does in the reference.
  static void refuse_websocket(transport::websocket_channel& ws) { ws.close(1005); }

  void handle_polling(std::shared_ptr<transport::http_exchange> ex) {
    auto& req = ex->request();
    if (state_ == state::closed) return polling_.refuse(*ex, request_error::unknown_sid);
    if (transport_ != transport_kind::polling) return polling_.refuse(*ex, request_error::bad_request);  // transport mismatch
    if (req.method == "GET") return handle_get(std::move(ex));
    if (req.method == "POST") return handle_post(std::move(ex));
    transport::http_response res;
    res.status = 500;
    ex->respond(std::move(res));
  }

  void handle_upgrade(std::shared_ptr<transport::websocket_upgrade> up) {
    if (state_ != state::open) {
      report_connection_error(*options_, up->request(), request_error::unknown_sid);
      return up->reject(websocket_error_response(request_error::unknown_sid));
    }
    if (!options_->allow_upgrades) {
      report_connection_error(*options_, up->request(), request_error::bad_request);
      return up->reject(websocket_error_response(request_error::bad_request));
    }
    transport::header_list headers;
    if (options_->headers) options_->headers(headers, up->request());
    // A session already on WebSocket, or already upgrading, gets no second one (spec: MUST close).
    bool refuse = transport_ == transport_kind::websocket || upgrade_.active();
    up->accept(slot_, options_->max_payload, std::move(headers),
               [self = shared_from_this(), refuse](std::shared_ptr<transport::websocket_channel> ws) {
                 if (refuse) return refuse_websocket(*ws);
                 self->begin_upgrade(std::move(ws));
               });
  }

 private:
  enum class state { open, closing, closed };

  frame open_frame(bool with_upgrade) const {
    return make_text_frame(packet_type::open,
                           encode_open(id_, with_upgrade, options_->ping_interval, options_->ping_timeout, options_->max_payload));
  }

  // ---- long-polling ------------------------------------------------------------------------

  /// What waits for a GET, or for the end of an upgrade (which moves it to the WebSocket).
  send_queue& queue() noexcept { return polling_.queue(); }
  const send_queue& queue() const noexcept { return polling_.queue(); }

  void handle_get(std::shared_ptr<transport::http_exchange> ex) {
    if (polling_.holding()) {
      // Two GETs at once: protocol error. The held one is closed, the new one refused.
      transport::http_response bad;
      bad.status = 400;
      ex->respond(std::move(bad));
      close_with(close_reason::transport_error);
      return;
    }
    if (state_ == state::closing) {
      // The close packet goes in a response of its own, after what was queued before it (see
      // close_with): a client would drop the packets of a payload that also closes it.
      if (queue().size() > 1) {
        frame close_packet = queue().pop_back();
        polling_.respond(ex, queue().take_payload());
        queue().push_uncounted(std::move(close_packet));
        return;
      }
      polling_.respond(ex, queue().take_payload());
      return finish_closing();
    }
    if (upgrade_.probed()) return polling_.respond(ex, "6");
    auto& held = polling_.hold(std::move(ex));
    held.on_abort([weak = weak_from_this(), get = &held] {
      if (auto self = weak.lock())
        asio::post(self->strand(), [self, get] {
          if (self->polling_.forget(get)) self->close_with(close_reason::transport_close);
        });
    });
    if (!queue().empty()) flush_polling();
  }

  void handle_post(std::shared_ptr<transport::http_exchange> ex) {
    auto& req = ex->request();
    if (state_ != state::open) return polling_.respond_ok(ex);
    if (polling_.posts_in_flight() > 1) {
      transport::http_response bad;
      bad.status = 400;
      ex->respond(std::move(bad));
      return close_with(close_reason::transport_error);
    }
    if (transport::iequals(req.headers.get("Content-Type"), "application/octet-stream")) {
      ex->respond(error_response(request_error::bad_request));
      return close_with(close_reason::transport_error);
    }
    auto packets = parse_payload(req.body);
    if (!packets) {
      // As the reference: the POST itself is answered "ok"; the session is gone for the next one.
      polling_.respond_ok(ex);
      return close_with(close_reason::parse_error);
    }
    for (auto& p : *packets) {
      if (state_ != state::open) break;
      if (p.type == packet_type::close) {
        // The held GET is released with a noop; the session ends.
        if (polling_.holding()) polling_.answer("6");
        close_with(close_reason::transport_close);
        break;
      }
      on_packet(std::move(p));
    }
    polling_.respond_ok(ex);
  }

  void flush_polling() {
    polling_.flush_begun();
    if (!polling_.holding() || queue().empty() || upgrade_.probed()) return;
    polling_.answer(queue().take_payload());
    notify_drain();
  }

  // ---- sending -----------------------------------------------------------------------------

  send_status send_here(frame f, bool is_volatile) {
    if (!f.bytes) return send_status::dropped;
    send_status st = admit(send_queue::frame_cost(f), is_volatile);
    if (st == send_status::queued) enqueue(std::move(f));
    return st;
  }

  /// The slow-consumer policy, in order: a closed session takes nothing; a volatile packet goes
  /// only if the transport can take it now; a packet that would put the session over
  /// max_buffered_bytes disconnects it; so does any packet for a session more than
  /// shed_threshold behind while the server is over its memory budget.
  send_status admit(std::size_t cost, bool is_volatile) {
    if (state_ != state::open || overflowed_) return send_status::closed;
    if (is_volatile && !writable()) {
      if (metrics_) metrics_->add(detail::metrics_registry::volatile_dropped);
      return send_status::dropped;
    }
    std::size_t mine = buffered_memory();
    bool over_own = mine + cost > options_->max_buffered_bytes;
    const auto& budget = queue().budget();
    bool shed = budget && budget->exhausted() && mine > options_->shed_threshold;
    if (over_own || shed) {
      if (metrics_) metrics_->add(over_own ? detail::metrics_registry::closed_max_buffered : detail::metrics_registry::shed_max_memory);
      overflowed();
      return send_status::slow_consumer;
    }
    return send_status::queued;
  }

  void enqueue(frame f) {
    if (metrics_ && f.bytes) metrics_->packet_out(f.binary ? '4' : f.bytes->empty() ? '\0' : f.bytes->front(), f.bytes->size() + f.binary);
    if (transport_ == transport_kind::websocket && !upgrade_.active()) return websocket_.send(std::move(f));
    // Flush on the next turn of the strand: what a handler sends in one go leaves in one response.
    if (polling_.send(std::move(f))) asio::post(strand(), [self = shared_from_this()] { self->flush_polling(); });
  }

  /// A client that does not read what it is sent: the session closes in the strand's next turn,
  /// never inside send (its caller may be a broadcast holding the adapter's and namespace's
  /// locks, and close handlers leave rooms). Until then nothing more is queued.
  void overflowed() {
    overflowed_ = true;
    asio::post(strand(), [self = shared_from_this()] { self->close_with(close_reason::slow_consumer); });
  }

  void notify_drain() {
    if (on_drain_.empty() || !queue().empty()) return;
    auto listeners = on_drain_;  // a listener may add another
    for (auto& fn : listeners) fn();
  }

  void watch_drain(transport::websocket_channel& ws) {
    ws.on_drain([weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->state_ == state::open) self->notify_drain();
    });
  }

  // ---- incoming packets and heartbeat ------------------------------------------------------

  void on_packet(packet p) {
    if (metrics_) metrics_->packet_in(static_cast<char>(p.type), p.data.size() + 1);
    if (p.type != packet_type::pong && heartbeat_.grant_grace()) {
      // Incoming data is a sign of life: give the pong one more ping_timeout (as the reference does).
      arm_heartbeat(options_->ping_timeout, &session::on_ping_timeout);
    }
    switch (p.type) {
      case packet_type::pong:
        if (heartbeat_.pong_received()) schedule_ping();
        break;
      case packet_type::ping:  // v4: only the server pings
        close_with(close_reason::transport_error);
        break;
      case packet_type::message:
        if (on_message_) {
          // The handler may close the session, which releases it: keep it alive while it runs.
          ++callback_depth_;
          on_message_(std::move(p.data), p.binary);
          if (--callback_depth_ == 0 && state_ != state::open) on_message_ = nullptr;
        }
        break;
      case packet_type::close: close_with(close_reason::transport_close); break;
      default:  // open, upgrade, noop: nothing to do on an established transport
        break;
    }
  }

  void schedule_ping() { arm_heartbeat(options_->ping_interval, &session::on_ping_due); }

  void on_ping_due() {
    send_here(make_text_frame(packet_type::ping), false);
    heartbeat_.ping_sent();
    // The clock starts when the ping is queued, not when a GET carries it out.
    arm_heartbeat(options_->ping_timeout, &session::on_ping_timeout);
  }

  void on_ping_timeout() {
    if (heartbeat_.awaiting_pong()) close_with(close_reason::ping_timeout);
  }

  void arm_heartbeat(std::chrono::milliseconds after, void (session::*what)()) {
    heartbeat_.arm(after, [weak = weak_from_this(), what](std::uint64_t generation) {
      auto self = weak.lock();
      if (!self || !self->heartbeat_.current(generation) || self->state_ != state::open) return;
      (self.get()->*what)();
    });
  }

  // ---- WebSocket ---------------------------------------------------------------------------

  void attach_main_websocket(std::shared_ptr<transport::websocket_channel> ws) {
    auto& channel = websocket_.attach(std::move(ws));
    if (!on_drain_.empty()) watch_drain(channel);
    channel.set_handlers(
        [self = shared_from_this()](std::string data, bool binary) { self->on_websocket_message(std::move(data), binary); },
        [self = shared_from_this(), ws = &channel] {
          if (self->websocket_.is(ws)) self->close_with(close_reason::transport_close);
        });
  }

  void on_websocket_message(std::string data, bool binary) {
    if (state_ != state::open) return;
    if (binary) return on_packet(parse_binary_packet(std::move(data)));
    auto p = take_text_packet(std::move(data));
    if (!p) return close_with(close_reason::parse_error);
    on_packet(std::move(*p));
  }

  void begin_upgrade(std::shared_ptr<transport::websocket_channel> ws) {
    if (state_ != state::open || transport_ != transport_kind::polling || upgrade_.active()) return refuse_websocket(*ws);
    auto* candidate = ws.get();
    upgrade_.begin(std::move(ws))
        .set_handlers(
            [self = shared_from_this(), candidate](std::string data, bool binary) {
              if (self->upgrade_.is_candidate(candidate)) self->on_upgrade_message(std::move(data), binary);
            },
            [self = shared_from_this(), candidate] {
              if (self->upgrade_.is_candidate(candidate)) self->abort_upgrade();
            });
    upgrade_.start_timer(strand(), options_->upgrade_timeout, [self = shared_from_this(), candidate](std::error_code ec) {
      if (!ec && self->upgrade_.is_candidate(candidate)) self->abort_upgrade();
    });
  }

  void on_upgrade_message(std::string data, bool binary) {
    switch (upgrade_.on_message(data, binary)) {
      case upgrade::event::probed:
        // The client waits for its pending GET to end before it sends the upgrade packet.
        if (polling_.holding()) polling_.answer("6");
        return;
      case upgrade::event::complete: return complete_upgrade();
      case upgrade::event::invalid: return abort_upgrade();
    }
  }

  void abort_upgrade() {
    if (!upgrade_.active()) return;
    if (metrics_) metrics_->add(detail::metrics_registry::upgrade_failures);
    upgrade_.abort();
    if (polling_.holding() && !queue().empty()) flush_polling();
  }

  void complete_upgrade() {
    auto ws = upgrade_.complete();
    transport_ = transport_kind::websocket;
    if (metrics_) metrics_->upgraded();
    attach_main_websocket(std::move(ws));
    if (polling_.holding()) polling_.answer("6");
    queue().take_each([this](frame& f) { websocket_.send(std::move(f)); });
    for (auto& fn : on_upgrade_) fn(transport_name());
  }

  // ---- closing -----------------------------------------------------------------------------

  void close_with(close_reason reason) {
    if (state_ != state::open) return;
    if (options_->logger) log(*options_, log_level::debug, "session " + id_ + " closed: " + std::string{to_string(reason)});
    heartbeat_.stop();
    if (upgrade_.active()) abort_upgrade();
    if (metrics_) metrics_->closed(transport_ == transport_kind::websocket ? 1 : 0, static_cast<std::size_t>(reason));
    bool forced = reason == close_reason::forced_close;
    if (transport_ == transport_kind::websocket) {
      // No close packet on a WebSocket, as in the reference (PROTOCOL.md §8): the client sees the
      // transport close and reconnects; a close packet would tell it not to.
      // A slow consumer would not take a close frame either: its queue is freed at once.
      websocket_.end(/*drop=*/reason == close_reason::slow_consumer);
      state_ = state::closed;
    } else if (polling_.holding() && (!forced || queue().empty())) {
      queue().push_uncounted(make_text_frame(packet_type::close));
      polling_.answer(queue().take_payload());
      state_ = state::closed;
    } else if (forced && !discard_on_close_) {
      // What is queued goes first, and the close packet in a response of its own: a client
      // handles a payload's packets in a later tick than a close, and would lose them.
      if (polling_.holding()) polling_.answer(queue().take_payload());
      // Keep the session a while so that the client's next GET gets the close packet.
      queue().push_uncounted(make_text_frame(packet_type::close));
      state_ = state::closing;
      heartbeat_.wait_closing(options_->close_timeout, [self = shared_from_this()](std::error_code ec) {
        if (!ec) self->finish_closing();
      });
    } else {
      if (polling_.holding()) polling_.answer(queue().take_payload());
      state_ = state::closed;
    }
    if (state_ == state::closed) remove();
    polling_.drop_unfinished_posts();
    if (callback_depth_ == 0) on_message_ = nullptr;
    on_upgrade_.clear();
    on_drain_.clear();
    if (auto fn = std::exchange(on_close_, nullptr)) fn(reason);
  }

  void finish_closing() {
    heartbeat_.cancel();
    queue().clear();
    state_ = state::closed;
    remove();
  }

  void remove() {
    if (auto fn = std::exchange(on_removed_, nullptr)) fn(id_);
  }

  std::string id_;
  transport::strand_slot_ptr slot_;  ///< the strand this session runs on (shared with others)
  std::shared_ptr<const options> options_;
  detail::metrics_registry* metrics_;  ///< null when metrics are off (owned by options_)
  transport::http_request handshake_;
  std::function<void(const std::string&)> on_removed_;

  state state_ = state::open;
  transport_kind transport_ = transport_kind::polling;
  message_handler on_message_;
  close_handler on_close_;
  std::vector<std::function<void(std::string_view)>> on_upgrade_;
  int callback_depth_ = 0;

  polling_transport polling_;  ///< with the frames waiting for a GET or for the end of an upgrade
  std::vector<std::function<void()>> on_drain_;
  bool discard_on_close_ = false;
  bool overflowed_ = false;  ///< the send buffer limit was passed: closing, queue nothing more

  websocket_transport websocket_;
  upgrade upgrade_;

  heartbeat heartbeat_;
};

using session_ptr = std::shared_ptr<session>;

}  // namespace sio::engine
