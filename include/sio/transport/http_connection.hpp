#pragma once
// One accepted TCP (or TLS) connection while it speaks HTTP/1.1: the PROXY header of a trusted
// proxy, the connection limits, the TLS handshake, requests read and handed to the engine
// (keep-alive, pipelining), the answers, the idle timeout and the lingering close. A request that
// upgrades hands the stream to a websocket_connection on the session's strand.
//
// What a peer can make it hold is bounded: the parser's bytes by http_limits, the output by
// output_pause_bytes (reading and request processing pause while the output is over it), and the
// whole server's output by the memory budget. Pipelined requests are served by a loop, never by a
// recursion from one answer into the next request.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <asio.hpp>

#include "sio/transport/client_address.hpp"
#include "sio/transport/connection_limiter.hpp"
#include "sio/transport/connection_registry.hpp"
#include "sio/transport/connection_settings.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/http_message.hpp"
#include "sio/transport/http_parser.hpp"
#include "sio/transport/stream_connection.hpp"
#include "sio/transport/websocket_connection.hpp"
#include "sio/transport/websocket_handshake.hpp"

namespace sio::transport {

template <class Stream>
class http_connection final : public std::enable_shared_from_this<http_connection<Stream>>,
                              public stream_connection<http_connection<Stream>, Stream>,
                              public websocket_upgrade,
                              public closable_connection {
  using base = stream_connection<http_connection<Stream>, Stream>;
  using traits = typename base::traits;
  friend base;

 public:
  http_connection(Stream stream, strand_slot_ptr slot, std::shared_ptr<const connection_settings> settings)
      : base(std::move(stream), std::move(slot), std::move(settings)),
        parser_(this->settings_->limits),
        timer_(this->strand().get_inner_executor()) {}
  ~http_connection() override {
    if (this->settings_->registry) this->settings_->registry->remove(this);
  }

  /// Reads a PROXY header if the peer is a trusted proxy that sends one, takes the connection's
  /// place among the limits, runs the TLS handshake if any, then reads requests.
  void start() {
    asio::dispatch(this->strand(), [self = this->shared_from_this()] { self->do_start(); });
  }

  // websocket_upgrade
  http_request& request() noexcept override { return upgrade_request_; }
  const strand_slot_ptr& slot() const noexcept override { return this->slot_; }
  // Both may be called from the session's strand (an upgrade of an existing session), while this
  // connection's own strand may still be inside serve_requests: they move to it first.
  void reject(http_response response) override {
    asio::post(this->strand(), [self = this->shared_from_this(), response = std::move(response)]() mutable {
      self->upgrade_pending_ = false;
      self->close_after_write_ = true;
      self->queue_response(std::move(response), false, false);
    });
  }
  void accept(strand_slot_ptr slot, std::size_t max_message_size, header_list headers,
              std::function<void(std::shared_ptr<websocket_channel>)> on_open) override {
    // Posted, never run inline: the handler that is serving the upgrade request on this strand
    // finishes first, whichever strand calls.
    asio::post(this->strand(), [self = this->shared_from_this(), slot = std::move(slot), max_message_size, headers = std::move(headers),
                                fn = std::move(on_open)]() mutable {
      self->handed_off_ = true;
      self->upgrade_pending_ = false;
      // Nothing may be left to complete on this strand once the stream moves to the WebSocket:
      // no read is pending while an upgrade is (do_read), the idle timer stops here, and a write
      // still in flight (answers to earlier requests) completes first.
      self->retire_timer_waits();
      self->timer_.cancel();
      self->handoff_ = [self, slot = std::move(slot), max_message_size, headers = std::move(headers), fn = std::move(fn)]() mutable {
        self->hand_over(std::move(slot), max_message_size, std::move(headers), std::move(fn));
      };
      if (!self->out_.writing()) self->complete_handoff();
    });
  }

  /// The server is closing (listener::close): a connection that is not in the middle of a
  /// request ends now; one that is ends after its answer. WebSocket connections belong to their
  /// sessions, which the engine closes. Thread safety: any thread.
  void close_if_idle() override {
    asio::dispatch(this->strand(), [self = this->shared_from_this()] {
      if (self->handed_off_ || self->mode_ == mode::closed || self->mode_ == mode::lingering) return;
      if (self->mode_ == mode::handshake || (!self->current_ && !self->upgrade_pending_ && self->out_.empty())) return self->shutdown_now();
      self->close_after_write_ = true;
    });
  }

 private:
  enum class mode { handshake, http, lingering, closed };

  /// A request waiting for the engine's answer. Holds the connection until it is answered.
  class exchange final : public http_exchange {
   public:
    exchange(std::shared_ptr<http_connection> owner, http_request req, std::shared_ptr<void> guard)
        : owner_(std::move(owner)), request_(std::move(req)), guard_(std::move(guard)) {}
    http_request& request() noexcept override { return request_; }
    void respond(http_response response) override {
      if (responded_.exchange(true)) return;
      guard_.reset();
      auto owner = std::move(owner_);
      asio::dispatch(owner->strand(),
                     [owner, self = this, res = std::move(response)]() mutable { owner->finish_exchange(self, std::move(res)); });
    }
    void on_abort(std::function<void()> fn) override { abort_ = std::move(fn); }
    /// Runs the abort callback once, if no response was given. On the connection's strand.
    void abort() {
      if (responded_.exchange(true)) return;
      guard_.reset();
      owner_.reset();
      if (auto fn = std::move(abort_)) fn();
    }

   private:
    std::shared_ptr<http_connection> owner_;
    http_request request_;
    std::shared_ptr<void> guard_;
    std::function<void()> abort_;
    std::atomic<bool> responded_{false};
  };

  // ---- opening ------------------------------------------------------------------------------

  void do_start() {
    this->check_socket_strand();
    if (this->settings_->registry) {
      this->settings_->registry->add(this->shared_from_this());
      if (this->settings_->registry->closing()) return shutdown_now();  // accepted as the server closed
    }
    traits::prepare(this->stream_);
    std::error_code ec;
    auto remote = traits::lowest_layer(this->stream_).remote_endpoint(ec);
    if (ec) return shutdown_now();
    peer_ = remote.address();
    remote_port_ = remote.port();
    peer_trusted_ = this->settings_->proxies.trusts(peer_);
    arm_idle_timer();
    if (peer_trusted_ && this->settings_->proxies.proxy_protocol) return read_proxy_header();
    admit(peer_);
  }

  /// A trusted proxy's PROXY v2 header names the client; it comes before any TLS. Read exactly
  /// its bytes, so that nothing of what follows is taken from the socket.
  void read_proxy_header() {
    if (!proxy_buffer_) proxy_buffer_ = std::make_unique<std::string>();
    std::size_t want = proxy_buffer_->size() < 16 ? 16 - proxy_buffer_->size() : 0;
    if (want == 0) {
      proxy_header_reader probe;
      auto st = probe.parse(*proxy_buffer_);
      if (st == proxy_header_reader::status::error) return shutdown_now();
      want = probe.size() - proxy_buffer_->size();
    }
    std::size_t old = proxy_buffer_->size();
    proxy_buffer_->resize(old + want);
    asio::async_read(traits::lowest_layer(this->stream_), asio::buffer(proxy_buffer_->data() + old, want),
                     asio::bind_executor(this->strand(), [self = this->shared_from_this()](std::error_code e, std::size_t) {
                       if (e || self->mode_ == mode::closed) return self->shutdown_now();
                       proxy_header_reader reader;
                       switch (reader.parse(*self->proxy_buffer_)) {
                         case proxy_header_reader::status::error: return self->shutdown_now();
                         case proxy_header_reader::status::need_more: return self->read_proxy_header();
                         case proxy_header_reader::status::done: break;
                       }
                       auto client = reader.source().value_or(self->peer_);
                       self->proxy_buffer_.reset();
                       self->admit(client);
                     }));
  }

  /// Takes a place for `client` among the connection limits (or closes at once), then starts.
  void admit(const asio::ip::address& client) {
    client_address_ = client.to_string();
    const auto& settings = *this->settings_;
    if (settings.limiter && !(peer_trusted_ && !settings.proxies.proxy_protocol)) {
      // A trusted proxy without PROXY headers carries many clients on its connections: each
      // request's X-Forwarded-For decides whose place the connection takes (see note_client).
      ticket_ = settings.limiter->acquire(client_address_);
      if (!ticket_.held()) return shutdown_now();
    }
    traits::async_handshake(this->stream_, asio::bind_executor(this->strand(), [self = this->shared_from_this()](std::error_code e) {
                              if (e || self->mode_ == mode::closed) return self->shutdown_now();
                              self->mode_ = mode::http;
                              self->do_read();
                            }));
  }

  /// Behind a trusted HTTP proxy, the request's X-Forwarded-For names the client. Returns false
  /// when that client is over its connection limit.
  bool note_client(const http_request& req) {
    const auto& settings = *this->settings_;
    if (!peer_trusted_ || settings.proxies.proxy_protocol) return true;
    auto forwarded = settings.proxies.forwarded_for(req.headers.get("X-Forwarded-For"));
    std::string client = forwarded ? forwarded->to_string() : peer_.to_string();
    if (client != client_address_ || (settings.limiter && !ticket_.held())) {
      client_address_ = std::move(client);
      if (settings.limiter) {
        ticket_.release();
        ticket_ = settings.limiter->acquire(client_address_);
        if (!ticket_.held()) return false;
      }
    }
    return true;
  }

  // ---- reading ----------------------------------------------------------------------------

  bool closed() const noexcept { return mode_ == mode::closed; }

  /// Whether reading should wait: the peer has not taken what it was sent, or is pipelining far
  /// ahead of the answers.
  bool input_paused() const noexcept {
    const auto& settings = *this->settings_;
    if (this->out_.memory() > settings.output_pause_bytes) return true;
    return mode_ == mode::http && (current_ || upgrade_pending_) &&
           parser_.unparsed_size() > settings.limits.max_head_bytes + settings.limits.max_body_bytes;
  }

  void do_read() {
    // Until the engine accepts or refuses an upgrade, the connection may be handed to another
    // strand at any moment: no read may be pending then, and nothing else may be looked at.
    if (upgrade_pending_) return;
    if (this->reading_ || mode_ == mode::closed || handed_off_pending()) return;
    if (mode_ != mode::lingering && input_paused()) return;  // resume_input() reads again
    this->read_some();
  }

  /// An upgrade was accepted: the stream goes to the WebSocket (hand_over), nothing more is read here.
  bool handed_off_pending() const noexcept { return handed_off_ && mode_ == mode::http; }

  void on_read(std::error_code ec, char* data, std::size_t size) {
    if (mode_ == mode::closed) return;
    if (ec == asio::error::eof && mode_ == mode::http && !current_ && parser_.has_partial_request()) {
      // The peer ended its side in the middle of a request: it may still read the answer.
      return fail_request(400);
    }
    if (ec) return peer_gone();
    if (mode_ == mode::lingering) return do_read();  // dropped: only the response matters now
    parser_.feed(data, size);
    serve_requests();
    if (!upgrade_pending_ && mode_ == mode::http) do_read();
  }

  /// Serves the pipelined requests that are complete, one after another, while nothing is
  /// pending and the output is under its bound. A response given at once re-enters through
  /// finish_exchange, which only asks for another round: the stack never grows with the number
  /// of requests.
  void serve_requests() {
    if (serving_) {
      serve_again_ = true;
      return;
    }
    serving_ = true;
    do {
      serve_again_ = false;
      // upgrade_pending_ first: once an upgrade is handed to the engine, the session's strand may
      // call accept at any moment, and only the flags this strand writes may be read.
      while (!upgrade_pending_ && !handed_off_ && mode_ == mode::http && !current_ && !close_after_write_ &&
             this->out_.memory() <= this->settings_->output_pause_bytes) {
        if (!serve_one()) break;
      }
    } while (serve_again_);
    serving_ = false;
  }

  /// Parses and dispatches one request; false when none is complete.
  bool serve_one() {
    auto r = parser_.parse();
    const auto& handler = this->settings_->handler;
    if (r.state == http_request_parser::status::head) {
      request_guard_ = handler->on_request_head(parser_.request(), [weak = this->weak_from_this()] {
        if (auto self = weak.lock()) self->drop_request();
      });
      r = parser_.parse();
    }
    if (r.state == http_request_parser::status::need_more) return false;
    if (r.state == http_request_parser::status::error) {
      fail_request(r.error_status);
      return false;
    }
    disarm_idle_timer();
    http_request& parsed = parser_.request();
    if (!note_client(parsed)) {
      fail_request(503);
      return false;
    }
    parsed.remote_address = client_address_;
    parsed.remote_port = remote_port_;
    parsed.secure = traits::secure;
    if (parsed.is_upgrade_to_websocket()) {
      upgrade_request_ = std::move(parsed);
      upgrade_pending_ = true;
      handler->handle_upgrade(std::static_pointer_cast<websocket_upgrade>(this->shared_from_this()));
      return true;
    }
    current_ = std::make_shared<exchange>(this->shared_from_this(), std::move(parsed), std::move(request_guard_));
    head_only_ = current_->request().method == "HEAD";
    handler->handle_http(current_);
    return true;
  }

  /// Ends the connection without an answer to the request whose body is coming (the engine
  /// closed the session it was for). Any thread. A request already complete is being answered,
  /// and a WebSocket belongs to its session: both are left alone.
  void drop_request() {
    asio::dispatch(this->strand(), [self = this->shared_from_this()] {
      if (!self->handed_off_ && self->mode_ == mode::http && !self->current_) self->shutdown_now();
    });
  }

  /// A request the parser refused: the status, then the connection ends (see linger).
  void fail_request(int status) {
    request_guard_.reset();
    http_response res;
    res.status = status;
    close_after_write_ = true;
    queue_response(std::move(res), false, false);
  }

  void finish_exchange(exchange* ex, http_response res) {
    if (current_.get() != ex) return;
    const auto& registry = this->settings_->registry;
    bool keep = current_->request().keep_alive() && mode_ == mode::http && !close_after_write_ && !(registry && registry->closing());
    current_.reset();
    if (mode_ != mode::http) return;
    if (!keep) close_after_write_ = true;
    queue_response(std::move(res), keep, std::exchange(head_only_, false));
    if (!keep) return;
    arm_idle_timer();
    serve_requests();
    do_read();
  }

  /// `head_only`: the answer to a HEAD request, whose body is described but not sent.
  void queue_response(http_response res, bool keep_alive, bool head_only) {
    write_queue::chunk head;
    write_response_head(res, keep_alive, head.owned);
    bool has_body = res.status >= 200 && res.status != 204 && res.status != 304 && !res.body.empty() && !head_only;
    if (has_body) {
      if (res.body.size() < 4096) {
        head.owned.append(res.body);
      } else {
        write_queue::chunk body;
        body.owned = std::move(res.body);
        enqueue(std::move(head));
        enqueue(std::move(body));
        return;
      }
    }
    enqueue(std::move(head));
  }

  void peer_gone() {
    auto pending = std::move(current_);
    shutdown_now();
    if (pending) pending->abort();
  }

  /// Output went under its bound (or out entirely): serve and read what waited for it.
  void resume_input() {
    if (mode_ != mode::http) return;
    serve_requests();
    if (!handed_off_) do_read();
  }

  // ---- the idle timer -----------------------------------------------------------------------

  // The idle timeout is a deadline, moved on every response, not a timer cancelled and re-armed
  // per request (each cancel costs a completion through the strand): one wait is pending at a
  // time, and when it fires early it waits again for the deadline as it stands then.
  void arm_idle_timer() {
    idle_deadline_ = std::chrono::steady_clock::now() + this->settings_->idle_timeout;
    if (!idle_waiting_) wait_for_idle_deadline();
  }
  /// While a request is being served: the pending wait, if any, ends without effect.
  void disarm_idle_timer() noexcept { idle_deadline_ = std::chrono::steady_clock::time_point::max(); }
  /// Makes every pending wait of timer_ a no-op (before the timer is cancelled or reused).
  void retire_timer_waits() noexcept {
    ++timer_generation_;
    idle_waiting_ = false;
  }

  void wait_for_idle_deadline() {
    idle_waiting_ = true;
    timer_.expires_at(idle_deadline_);
    timer_.async_wait(
        asio::bind_executor(this->strand(), [self = this->shared_from_this(), generation = timer_generation_](std::error_code ec) {
          // Handed off to a WebSocket: the stream is no longer this connection's to look at.
          if (self->handed_off_) return;
          if (generation != self->timer_generation_) return;
          self->idle_waiting_ = false;
          if (ec || self->idle_deadline_ == std::chrono::steady_clock::time_point::max()) return;
          if (std::chrono::steady_clock::now() < self->idle_deadline_) return self->wait_for_idle_deadline();
          // Idle, a request that never completed, or output the peer never read.
          if (!self->current_ && !self->upgrade_pending_) self->shutdown_now();
        }));
  }

  // ---- the upgrade ----------------------------------------------------------------------------

  void complete_handoff() {
    if (mode_ == mode::closed) {
      handoff_ = nullptr;
      return;
    }
    auto handoff = std::move(handoff_);
    handoff_ = nullptr;
    handoff();
  }

  /// Nothing is pending on the stream: it goes to a WebSocket connection on `slot`'s strand,
  /// with what the peer sent after the upgrade request. A request the WebSocket handshake
  /// cannot answer is refused here instead, as ws refuses it.
  void hand_over(strand_slot_ptr slot, std::size_t max_message_size, header_list headers,
                 std::function<void(std::shared_ptr<websocket_channel>)> on_open) {
    if (http_response refusal = websocket_handshake::refusal_response(upgrade_request_); refusal.status != 0) {
      close_after_write_ = true;
      return queue_response(std::move(refusal), false, false);
    }
    auto ws = std::make_shared<websocket_connection<Stream>>(std::move(this->stream_), std::move(slot), this->settings_, max_message_size,
                                                             std::move(upgrade_request_), std::move(ticket_), this->pacing_);
    std::string read_ahead = parser_.take_unparsed();
    // The stream is the WebSocket's now: this connection ends without touching it.
    mode_ = mode::closed;
    request_guard_.reset();
    asio::post(ws->strand(), [ws, headers = std::move(headers), fn = std::move(on_open), read_ahead = std::move(read_ahead)]() mutable {
      ws->open(std::move(headers), fn, std::move(read_ahead));
    });
  }

  // ---- writing and closing -----------------------------------------------------------------

  /// HTTP responses are written at once.
  void enqueue(write_queue::chunk chunk) {
    if (mode_ == mode::closed || mode_ == mode::lingering) return;
    this->out_.push(std::move(chunk));
    if (this->out_.writing()) return;
    this->do_write();
  }

  /// Everything queued is written.
  void written_all(bool was_paused) {
    this->release_buffers();
    if (handoff_) return complete_handoff();
    if (close_after_write_) return shutdown_after_write();
    if (was_paused) resume_input();
  }

  /// Ends the connection on the next turn of the strand, once nothing is left to write (never
  /// from inside the caller: this can be the engine). It lingers first.
  void shutdown_after_write() {
    asio::post(this->strand(), [self = this->shared_from_this()] {
      if (self->out_.writing() || !self->out_.empty()) return;
      if (self->mode_ == mode::http) return self->linger();
      self->shutdown_now();
    });
  }

  /// After the last response: closes our side, then reads and drops what the peer still sends
  /// (the body of a refused request) until it closes too or linger_timeout passes. Closing with
  /// unread bytes would make the kernel send a reset, and the peer could lose the response.
  void linger() {
    mode_ = mode::lingering;
    auto pending = std::move(current_);
    if (pending) pending->abort();
    request_guard_.reset();
    parser_ = http_request_parser{this->settings_->limits};
    std::error_code ec;
    traits::lowest_layer(this->stream_).shutdown(asio::socket_base::shutdown_send, ec);
    if (ec) return shutdown_now();
    retire_timer_waits();
    timer_.expires_after(this->settings_->linger_timeout);
    timer_.async_wait(
        asio::bind_executor(this->strand(), [self = this->shared_from_this(), generation = timer_generation_](std::error_code e) {
          if (!e && generation == self->timer_generation_) self->shutdown_now();
        }));
    do_read();
  }

  /// Closes the socket now; pending operations complete with errors and release the connection.
  void shutdown_now() {
    if (mode_ == mode::closed) return;
    mode_ = mode::closed;
    retire_timer_waits();
    timer_.cancel();
    this->close_stream();
    this->out_.clear();
    handoff_ = nullptr;
    ticket_.release();
    request_guard_.reset();
    if (auto pending = std::move(current_)) pending->abort();
  }

  http_request_parser parser_;
  asio::steady_timer timer_;  ///< the idle timeout, or lingering
  std::chrono::steady_clock::time_point idle_deadline_ = std::chrono::steady_clock::time_point::max();
  bool idle_waiting_ = false;
  std::uint32_t timer_generation_ = 0;

  asio::ip::address peer_;      ///< the TCP peer
  bool peer_trusted_ = false;   ///< one of settings_->proxies
  std::string client_address_;  ///< the peer, or the client a trusted proxy names
  unsigned short remote_port_ = 0;
  connection_limiter::ticket ticket_;
  std::unique_ptr<std::string> proxy_buffer_;  ///< a PROXY header being read

  mode mode_ = mode::handshake;
  bool close_after_write_ = false;
  bool serving_ = false;      ///< serve_requests is on the stack
  bool serve_again_ = false;  ///< a response came while it was: go round once more
  bool head_only_ = false;    ///< the pending request is a HEAD
  std::shared_ptr<exchange> current_;
  std::shared_ptr<void> request_guard_;  ///< from on_request_head, until the request is complete
  bool upgrade_pending_ = false;
  bool handed_off_ = false;        ///< accept() gave the stream to a WebSocket, or is about to
  std::function<void()> handoff_;  ///< the hand-over, waiting for a write to complete
  http_request upgrade_request_;
};

}  // namespace sio::transport
