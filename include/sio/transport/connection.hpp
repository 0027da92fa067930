#pragma once
// One accepted TCP (or TLS) connection: parses HTTP/1.1 requests (keep-alive), hands them to the
// engine, writes the answers, and, when a request upgrades, runs the WebSocket protocol on the same
// socket (frames in: websocket_reader.hpp). All of it on one strand; writes are gathered into one
// system call (write_queue.hpp).
//
// What a peer can make it hold is bounded: the parser's bytes by http_limits, the output by
// output_pause_bytes (reading and request processing pause while the output is over it), and the
// whole server's output by the memory budget. Pipelined requests are served by a loop, never by a
// recursion from one answer into the next request.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "sio/transport/client_address.hpp"
#include "sio/transport/connection_limiter.hpp"
#include "sio/transport/connection_registry.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/http_message.hpp"
#include "sio/transport/http_parser.hpp"
#include "sio/transport/stream.hpp"
#include "sio/transport/websocket_handshake.hpp"
#include "sio/transport/websocket_reader.hpp"
#include "sio/transport/write_queue.hpp"

namespace sio::transport {

/// What every connection of one listener shares (read-only once the listener runs).
struct connection_settings {
  http_limits limits;
  std::chrono::milliseconds idle_timeout{30000};       ///< keep-alive idle, or an incomplete request
  std::chrono::milliseconds close_timeout{5000};       ///< WebSocket closing handshake
  /// After an error response that leaves the request unread, how long the peer's bytes are read
  /// and dropped so that it reads the response rather than a reset (RFC 9112 §9.6).
  std::chrono::milliseconds linger_timeout{2000};
  /// Output queued beyond which the connection stops reading and serving pipelined requests.
  std::size_t output_pause_bytes = 256 * 1024;
  std::shared_ptr<request_handler> handler;
  std::shared_ptr<strand_pool> strands;                ///< where new connections run
  std::shared_ptr<memory_budget> budget;               ///< the server's output, all connections
  std::shared_ptr<connection_limiter> limiter;         ///< open connections, in all and per address
  std::shared_ptr<connection_registry> registry;       ///< the listener's connections, for closing
  proxy_trust proxies;
};

template <class Stream>
class connection final : public std::enable_shared_from_this<connection<Stream>>,
                         public websocket_upgrade,
                         public websocket_channel,
                         public deferred_writer,
                         public closable_connection {
  using traits = stream_traits<Stream>;

 public:
  connection(Stream stream, strand_slot_ptr slot, std::shared_ptr<const connection_settings> settings)
      : stream_(std::move(stream)),
        slot_(std::move(slot)),
        settings_(std::move(settings)),
        parser_(settings_->limits),
        timer_(slot_->strand().get_inner_executor()),
        out_(settings_->budget) {}
  ~connection() override {
    if (settings_->registry) settings_->registry->remove(this);
  }

  /// Reads a PROXY header if the peer is a trusted proxy that sends one, takes the connection's
  /// place among the limits, runs the TLS handshake if any, then reads requests.
  void start() {
    asio::dispatch(strand(), [self = this->shared_from_this()] { self->do_start(); });
  }

  // websocket_upgrade
  http_request& request() noexcept override { return upgrade_request_; }
  const strand_slot_ptr& slot() const noexcept override { return slot_; }
  // Both may be called from the session's strand (an upgrade of an existing session), while this
  // connection's own strand may still be inside serve_requests: they move to it first.
  void reject(http_response response) override {
    asio::post(strand(), [self = this->shared_from_this(), response = std::move(response)]() mutable {
      self->upgrade_pending_ = false;
      self->close_after_write_ = true;
      self->queue_response(std::move(response), false, false);
    });
  }
  void accept(strand_slot_ptr slot, std::size_t max_message_size, header_list headers,
              std::function<void(std::shared_ptr<websocket_channel>)> on_open) override {
    // Posted, never run inline: the handler that is serving the upgrade request on this strand
    // finishes first, whichever strand calls.
    asio::post(strand(), [self = this->shared_from_this(), slot = std::move(slot), max_message_size,
                          headers = std::move(headers), fn = std::move(on_open)]() mutable {
      self->handed_off_ = true;
      self->upgrade_pending_ = false;
      // Nothing may be left to complete on this strand once the session's strand owns the
      // connection: no read is pending while an upgrade is (do_read), the idle timer stops here,
      // and a write still in flight (answers to earlier requests) completes first.
      self->retire_timer_waits();
      self->timer_.cancel();
      self->handoff_ = [self, slot = std::move(slot), max_message_size, headers = std::move(headers),
                        fn = std::move(fn)]() mutable {
        self->slot_ = std::move(slot);
        self->check_socket_strand();
        asio::post(self->strand(), [self, max_message_size, headers = std::move(headers), fn = std::move(fn)]() mutable {
          self->start_websocket(max_message_size, std::move(headers), std::move(fn));
        });
      };
      if (!self->out_.writing()) self->complete_handoff();
    });
  }

  /// The server is closing (listener::close): a connection that is not in the middle of a
  /// request ends now; one that is ends after its answer. WebSocket connections belong to their
  /// sessions, which the engine closes. Thread safety: any thread.
  void close_if_idle() override {
    // The socket's executor is the strand the connection started on; a hand-off to another is
    // recorded there before it happens, so handed_off_ can be read there safely.
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->handed_off_ || self->mode_ == mode::closed || self->mode_ == mode::lingering) return;
      if (self->mode_ == mode::handshake || (!self->current_ && !self->upgrade_pending_ && self->out_.empty()))
        return self->shutdown_now();
      self->close_after_write_ = true;
    });
  }

  // websocket_channel
  const http_request& request() const noexcept override { return upgrade_request_; }
  void set_handlers(message_handler on_message, close_handler on_close) override {
    // Replacing the message handler from inside it would destroy the running callable: keep the
    // old one alive until the callback returns.
    if (in_message_callback_) retired_handler_ = std::move(on_message_);
    on_message_ = std::move(on_message);
    on_close_ = std::move(on_close);
    if (mode_ == mode::closed) notify_websocket_closed();
  }
  void on_drain(drain_handler fn) override { on_drain_ = std::move(fn); }
  void send(bool binary, std::shared_ptr<const std::string> bytes) override {
    if (mode_ != mode::websocket || ws_closing_ || !bytes) return;
    write_queue::chunk chunk;
    chunk.head_size = write_frame_header(chunk.head, binary ? opcode_binary : opcode_text, bytes->size());
    chunk.shared = std::move(bytes);
    enqueue(std::move(chunk));
  }
  void close(std::uint16_t code) override {
    if (mode_ != mode::websocket || ws_closing_) return;
    ws_closing_ = true;
    send_close_frame(code, {});
    // The peer has close_timeout to answer our close frame.
    retire_timer_waits();
    timer_.expires_after(settings_->close_timeout);
    timer_.async_wait(asio::bind_executor(strand(), [self = this->shared_from_this()](std::error_code e) {
      if (!e) self->shutdown_now();
    }));
  }
  void drop() override {
    if (mode_ == mode::websocket) shutdown_now();
  }
  std::size_t buffered_bytes() const noexcept override { return out_.wire_bytes(); }
  std::size_t buffered_memory() const noexcept override { return out_.memory(); }

 private:
  enum class mode { handshake, http, websocket, lingering, closed };

  /// A request waiting for the engine's answer. Holds the connection until it is answered.
  class exchange final : public http_exchange {
   public:
    exchange(std::shared_ptr<connection> owner, http_request req, std::shared_ptr<void> guard)
        : owner_(std::move(owner)), request_(std::move(req)), guard_(std::move(guard)) {}
    http_request& request() noexcept override { return request_; }
    void respond(http_response response) override {
      if (responded_.exchange(true)) return;
      guard_.reset();
      auto owner = std::move(owner_);
      asio::dispatch(owner->strand(), [owner, self = this, res = std::move(response)]() mutable {
        owner->finish_exchange(self, std::move(res));
      });
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
    std::shared_ptr<connection> owner_;
    http_request request_;
    std::shared_ptr<void> guard_;
    std::function<void()> abort_;
    std::atomic<bool> responded_{false};
  };

  // ---- opening ------------------------------------------------------------------------------

  void do_start() {
    check_socket_strand();
    if (settings_->registry) {
      settings_->registry->add(this->shared_from_this());
      if (settings_->registry->closing()) return shutdown_now();  // accepted as the server closed
    }
    traits::prepare(stream_);
    std::error_code ec;
    auto remote = traits::lowest_layer(stream_).remote_endpoint(ec);
    if (ec) return shutdown_now();
    peer_ = remote.address();
    remote_port_ = remote.port();
    peer_trusted_ = settings_->proxies.trusts(peer_);
    arm_idle_timer();
    if (peer_trusted_ && settings_->proxies.proxy_protocol) return read_proxy_header();
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
    asio::async_read(traits::lowest_layer(stream_), asio::buffer(proxy_buffer_->data() + old, want),
                     asio::bind_executor(strand(), [self = this->shared_from_this()](std::error_code e, std::size_t) {
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
    if (settings_->limiter && !(peer_trusted_ && !settings_->proxies.proxy_protocol)) {
      // A trusted proxy without PROXY headers carries many clients on its connections: each
      // request's X-Forwarded-For decides whose place the connection takes (see note_client).
      ticket_ = settings_->limiter->acquire(client_address_);
      if (!ticket_.held()) return shutdown_now();
    }
    traits::async_handshake(stream_, asio::bind_executor(strand(), [self = this->shared_from_this()](std::error_code e) {
      if (e || self->mode_ == mode::closed) return self->shutdown_now();
      self->mode_ = mode::http;
      self->do_read();
    }));
  }

  /// Behind a trusted HTTP proxy, the request's X-Forwarded-For names the client. Returns false
  /// when that client is over its connection limit.
  bool note_client(const http_request& req) {
    if (!peer_trusted_ || settings_->proxies.proxy_protocol) return true;
    auto forwarded = settings_->proxies.forwarded_for(req.headers.get("X-Forwarded-For"));
    std::string client = forwarded ? forwarded->to_string() : peer_.to_string();
    if (client != client_address_ || (settings_->limiter && !ticket_.held())) {
      client_address_ = std::move(client);
      if (settings_->limiter) {
        ticket_.release();
        ticket_ = settings_->limiter->acquire(client_address_);
        if (!ticket_.held()) return false;
      }
    }
    return true;
  }

  const strand_type& strand() const noexcept { return slot_->strand(); }

  // ---- reading ----------------------------------------------------------------------------

  /// Whether reading should wait: the peer has not taken what it was sent (or, on HTTP, is
  /// pipelining far ahead of the answers).
  bool input_paused() const noexcept {
    if (out_.memory() > settings_->output_pause_bytes) return true;
    return mode_ == mode::http && (current_ || upgrade_pending_) && parser_.unparsed_size() > settings_->limits.max_head_bytes + settings_->limits.max_body_bytes;
  }

  void do_read() {
    // Until the engine accepts or refuses an upgrade, the connection may be handed to another
    // strand at any moment: no read may be pending then, and nothing else may be looked at.
    if (upgrade_pending_) return;
    if (reading_ || mode_ == mode::closed || handed_off_pending()) return;
    if (mode_ != mode::lingering && input_paused()) return;  // resume_input() reads again
    reading_ = true;
    if constexpr (!traits::secure) {
      if (busy_) return read_busy();
      // The connection went quiet: give its read buffer back (see read_busy).
      read_buffer_.reset();
      // Wait for readiness, then read into a per-thread scratch buffer: an idle connection holds
      // no read buffer of its own (this matters at 100k connections).
      auto on_ready = [self = this->shared_from_this()](std::error_code ec) {
        self->reading_ = false;
        if (ec) return self->on_read(ec, nullptr, 0);
        auto& scratch = read_scratch();
        std::error_code rec;
        std::size_t n = self->stream_.read_some(asio::buffer(scratch), rec);
        if (rec == asio::error::would_block || rec == asio::error::try_again) return self->do_read();
        if (!rec) self->note_input();
        self->on_read(rec, scratch.data(), n);
      };
      if (socket_on_strand_) stream_.async_wait(asio::socket_base::wait_read, std::move(on_ready));
      else stream_.async_wait(asio::socket_base::wait_read, asio::bind_executor(strand(), std::move(on_ready)));
    } else {
      if (!tls_buffer_) tls_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
      stream_.async_read_some(asio::buffer(*tls_buffer_),
                              asio::bind_executor(strand(), [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
                                self->reading_ = false;
                                self->on_read(ec, self->tls_buffer_->data(), n);
                              }));
    }
  }

  /// An upgrade was accepted: the connection now belongs to the session's strand, and start_websocket
  /// (posted there) reads next.
  bool handed_off_pending() const noexcept { return handed_off_ && mode_ == mode::http; }

  static std::array<char, 64 * 1024>& read_scratch() {
    thread_local std::array<char, 64 * 1024> scratch;
    return scratch;
  }

  /// A connection that keeps sending reads into a small buffer of its own. Asio then reads as
  /// soon as epoll reports data, and the next read costs no system call; a readiness wait costs
  /// an epoll_ctl to re-arm every time, one system call in three on an echo.
  void read_busy() {
    if (!read_buffer_) read_buffer_ = std::make_unique<std::array<char, busy_read_buffer>>();
    auto on_data = [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
      self->reading_ = false;
      if (ec) return self->on_read(ec, nullptr, 0);
      char* data = self->read_buffer_->data();
      if (n == busy_read_buffer) {
        // A full buffer: read what else is there in one go rather than a kilobyte at a time.
        auto& scratch = read_scratch();
        std::copy_n(data, n, scratch.data());
        std::error_code more;
        n += self->stream_.read_some(asio::buffer(scratch.data() + n, scratch.size() - n), more);
        data = scratch.data();  // an error (would_block included) shows again on the next read
      }
      self->note_input();
      self->on_read(ec, data, n);
    };
    if (socket_on_strand_) stream_.async_read_some(asio::buffer(*read_buffer_), std::move(on_data));
    else stream_.async_read_some(asio::buffer(*read_buffer_), asio::bind_executor(strand(), std::move(on_data)));
  }

  /// Whether the socket's own executor is this connection's strand: it is the strand the
  /// connection was accepted on, until a WebSocket upgrade hands the connection to a session on
  /// another one. While it is, asio already runs read handlers there, and binding them to the
  /// strand again would add a second layer of work tracking and strand copies to every read.
  void check_socket_strand() {
    if constexpr (!traits::secure) {
      const auto executor = stream_.get_executor();
      const auto* target = executor.template target<strand_type>();
      socket_on_strand_ = target != nullptr && *target == strand();
    }
  }

  /// Four reads with data, each less than a second after the one before, make a connection busy;
  /// a longer gap makes it quiet again. Opening a connection takes two or three quick reads (the
  /// upgrade request, the probe, the namespace's connect packet): an idle client stays quiet.
  void note_input() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_input_ >= std::chrono::seconds(1)) {
      quick_inputs_ = 0;
      busy_ = false;
    } else if (quick_inputs_ < busy_after) {
      busy_ = ++quick_inputs_ == busy_after;
    }
    last_input_ = now;
  }

  void on_read(std::error_code ec, char* data, std::size_t size) {
    if (mode_ == mode::closed) return;
    if (ec == asio::error::eof && mode_ == mode::http && !current_ && parser_.has_partial_request()) {
      // The peer ended its side in the middle of a request: it may still read the answer.
      return fail_request(400);
    }
    if (ec) return peer_gone();
    if (mode_ == mode::lingering) return do_read();  // dropped: only the response matters now
    if (mode_ == mode::websocket) {
      cork();
      feed_websocket(data, size);
      uncork();
      if (mode_ == mode::websocket) do_read();
      return;
    }
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
      // own the connection at any moment, and only the flags this strand writes may be read.
      while (!upgrade_pending_ && !handed_off_ && mode_ == mode::http && !current_ && !close_after_write_ &&
             out_.memory() <= settings_->output_pause_bytes) {
        if (!serve_one()) break;
      }
    } while (serve_again_);
    serving_ = false;
  }

  /// Parses and dispatches one request; false when none is complete.
  bool serve_one() {
    auto r = parser_.parse();
    if (r.state == http_request_parser::status::head) {
      request_guard_ = settings_->handler->on_request_head(parser_.request(), [weak = this->weak_from_this()] {
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
      settings_->handler->handle_upgrade(std::static_pointer_cast<websocket_upgrade>(this->shared_from_this()));
      return true;
    }
    current_ = std::make_shared<exchange>(this->shared_from_this(), std::move(parsed), std::move(request_guard_));
    head_only_ = current_->request().method == "HEAD";
    settings_->handler->handle_http(current_);
    return true;
  }

  /// Ends the connection without an answer to the request whose body is coming (the engine
  /// closed the session it was for). Any thread. A request already complete is being answered,
  /// and a WebSocket belongs to its session: both are left alone.
  void drop_request() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
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
    bool keep = current_->request().keep_alive() && mode_ == mode::http && !close_after_write_ &&
                !(settings_->registry && settings_->registry->closing());
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
    if (mode_ == mode::http) {
      serve_requests();
      if (!handed_off_) do_read();
    } else if (mode_ == mode::websocket) {
      do_read();
    }
  }

  // The idle timeout is a deadline, moved on every response, not a timer cancelled and re-armed
  // per request (each cancel costs a completion through the strand): one wait is pending at a
  // time, and when it fires early it waits again for the deadline as it stands then.
  void arm_idle_timer() {
    idle_deadline_ = std::chrono::steady_clock::now() + settings_->idle_timeout;
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
    timer_.async_wait(asio::bind_executor(strand(), [self = this->shared_from_this(), generation = timer_generation_](std::error_code ec) {
      // Handed off to a session's strand: the connection is no longer this strand's to look at.
      if (self->handed_off_) return;
      if (generation != self->timer_generation_) return;
      self->idle_waiting_ = false;
      if (ec || self->idle_deadline_ == std::chrono::steady_clock::time_point::max()) return;
      if (std::chrono::steady_clock::now() < self->idle_deadline_) return self->wait_for_idle_deadline();
      // Idle, a request that never completed, or output the peer never read.
      if (self->mode_ != mode::websocket && !self->current_ && !self->upgrade_pending_) self->shutdown_now();
    }));
  }

  // ---- WebSocket ----------------------------------------------------------------------------

  void start_websocket(std::size_t max_message_size, header_list headers,
                       std::function<void(std::shared_ptr<websocket_channel>)> on_open) {
    if (mode_ == mode::closed) return;
    retire_timer_waits();
    timer_.cancel();
    if (auto problem = websocket_handshake::request_error(upgrade_request_); problem.status != 0) {
      // As the reference (ws) refuses a handshake it cannot complete.
      http_response res;
      res.status = problem.status;
      res.headers.add("Content-Type", "text/html");
      res.body.assign(problem.message);
      if (problem.status == 400 && problem.message.find("Version") != std::string_view::npos) res.headers.add("Sec-WebSocket-Version", "13, 8");
      if (problem.status == 405) res.headers.add("Allow", "GET");  // RFC 9110 §15.5.6 (ws omits it)
      close_after_write_ = true;
      return queue_response(std::move(res), false, false);
    }
    mode_ = mode::websocket;
    ws_ = std::make_unique<websocket_reader>(max_message_size);
    write_queue::chunk answer;
    std::string& head = answer.owned;
    head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
    head += websocket_handshake::accept_key(upgrade_request_.headers.get("Sec-WebSocket-Key"));
    head += "\r\n";
    // Like ws, the first subprotocol the client offers is taken.
    if (auto protocol = upgrade_request_.headers.first_token("Sec-WebSocket-Protocol"); !protocol.empty())
      head.append("Sec-WebSocket-Protocol: ").append(protocol).append("\r\n");
    for (const auto& f : headers) head.append(f.first).append(": ").append(f.second).append("\r\n");
    head += "\r\n";
    cork();  // the 101 and what the session sends on open leave together
    enqueue(std::move(answer));
    on_open(std::static_pointer_cast<websocket_channel>(this->shared_from_this()));
    std::string rest = parser_.take_unparsed();
    parser_ = http_request_parser{settings_->limits};
    if (!rest.empty() && mode_ == mode::websocket) feed_websocket(rest.data(), rest.size());
    uncork();
    if (mode_ == mode::websocket) do_read();
  }

  void feed_websocket(char* data, std::size_t size) {
    if (!ws_ || ws_failed_) return;
    std::uint16_t failure = ws_->consume(data, size, [this](websocket_reader::frame_kind kind, std::string&& payload) {
      return on_websocket_frame(kind, std::move(payload));
    });
    if (failure && mode_ == mode::websocket) fail_websocket(failure);
  }

  /// Returns whether to go on with the bytes that follow.
  bool on_websocket_frame(websocket_reader::frame_kind kind, std::string&& payload) {
    using kinds = websocket_reader::frame_kind;
    if (mode_ != mode::websocket) return false;
    switch (kind) {
      case kinds::text:
      case kinds::binary:
        if (ws_closing_ || !on_message_) return true;  // after our close frame, data is ignored
        in_message_callback_ = true;
        on_message_(std::move(payload), kind == kinds::binary);
        in_message_callback_ = false;
        retired_handler_ = nullptr;
        return true;
      case kinds::ping:
        if (!ws_closing_) send_pong(std::move(payload));
        return true;
      case kinds::pong:
        return true;
      case kinds::close:
        on_close_frame(payload);
        return false;
    }
    return true;
  }

  /// Answers a ping. A pong still waiting to be written answers the newer ping instead (RFC 6455
  /// §5.5.3): a peer that pings without reading makes the server hold one pong, not thousands.
  void send_pong(std::string payload) {
    std::array<char, 10> head{};
    std::uint8_t head_size = write_frame_header(head, opcode_pong, payload.size());
    if (out_.replace_unsent_pong(payload, head_size, head)) return;
    write_queue::chunk chunk;
    chunk.head = head;
    chunk.head_size = head_size;
    chunk.is_pong = true;
    chunk.owned = std::move(payload);
    enqueue(std::move(chunk));
  }

  void on_close_frame(const std::string& payload) {
    if (!ws_closing_) {
      // Answer with the same code and reason, then end the connection.
      std::uint16_t code = 0;
      std::string reason;
      websocket_reader::parse_close(payload, code, reason);  // checked by the reader
      ws_closing_ = true;
      send_close_frame(code, reason);
    }  // else it answers ours: the closing handshake is complete
    end_websocket();
  }

  /// A protocol violation: a close frame with `code` alone (as ws sends it), then the connection ends.
  void fail_websocket(std::uint16_t code) {
    ws_failed_ = true;
    if (!ws_closing_) {
      ws_closing_ = true;
      send_close_frame(code, {});
    }
    end_websocket();
  }

  /// The WebSocket is over: its user hears of it, and the TCP connection ends once what is
  /// queued (our close frame) is written.
  void end_websocket() {
    notify_websocket_closed();
    close_after_write_ = true;
    if (!out_.writing()) shutdown_after_write();
  }

  /// `code` 1005 ("no status") is never sent: the close frame then carries no payload.
  void send_close_frame(std::uint16_t code, std::string_view reason) {
    std::string payload;
    if (code != 1005) {
      payload.reserve(2 + reason.size());
      payload += static_cast<char>((code >> 8) & 0xFF);
      payload += static_cast<char>(code & 0xFF);
      payload.append(reason.substr(0, 123));  // a control frame carries at most 125 bytes
    }
    write_queue::chunk chunk;
    chunk.head_size = write_frame_header(chunk.head, opcode_close, payload.size());
    chunk.owned = std::move(payload);
    enqueue(std::move(chunk));
  }

  void notify_websocket_closed() {
    if (in_message_callback_) retired_handler_ = std::move(on_message_);
    on_message_ = nullptr;
    on_drain_ = nullptr;
    if (auto fn = std::move(on_close_)) {
      on_close_ = nullptr;
      fn();
    }
  }

  static constexpr std::uint8_t opcode_text = 0x1, opcode_binary = 0x2, opcode_close = 0x8, opcode_pong = 0xA;

  static std::uint8_t write_frame_header(std::array<char, 10>& h, std::uint8_t opcode, std::size_t size) noexcept {
    h[0] = static_cast<char>(0x80 | opcode);  // FIN + opcode; server frames are unmasked
    if (size < 126) {
      h[1] = static_cast<char>(size);
      return 2;
    }
    if (size <= 0xFFFF) {
      h[1] = 126;
      h[2] = static_cast<char>((size >> 8) & 0xFF);
      h[3] = static_cast<char>(size & 0xFF);
      return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<char>((static_cast<std::uint64_t>(size) >> (56 - 8 * i)) & 0xFF);
    return 10;
  }

  // ---- writing and closing -----------------------------------------------------------------

  // When WebSocket frames are written. While the connection handles input (corked), what that
  // produces leaves in one system call at the end. Otherwise (broadcasts, timers, emits from
  // elsewhere) the strand's batch writes it (strand_slot::defer_write), so that a burst aimed at
  // this client leaves together. HTTP responses are written at once.
  void enqueue(write_queue::chunk chunk) {
    if (mode_ == mode::closed || mode_ == mode::lingering) return;
    out_.push(std::move(chunk));
    if (out_.writing() || corked_) return;
    if (mode_ == mode::websocket) return schedule_flush();
    do_write();
  }

  void cork() noexcept { ++corked_; }
  void uncork() {
    if (--corked_ == 0 && !out_.writing() && !out_.empty() && mode_ != mode::closed) do_write();
  }

  void schedule_flush() {
    if (flush_deferred_) return;
    flush_deferred_ = true;
    slot_->defer_write(this->shared_from_this());
  }

  void write_deferred() override {
    flush_deferred_ = false;
    if (mode_ != mode::closed && !out_.writing() && !corked_ && !out_.empty()) do_write();
  }

  void do_write() {
    if (out_.empty()) return written_all();
    out_.gather(buffers_);
    if constexpr (!traits::secure) {
      if (try_write_now()) return;
    }
    asio::async_write(stream_, buffers_, asio::bind_executor(strand(), [self = this->shared_from_this()](std::error_code ec, std::size_t) {
      self->on_written(ec);
    }));
  }

  /// Plain TCP: hands the socket what it takes now (it is non-blocking). Usually that is
  /// everything, and then no asynchronous write, completion handler or strand turn is needed.
  /// Returns true when the queue is empty; otherwise the queue is gathered again and buffers_
  /// holds the rest for async_write (which also reports any error the attempt met, in its turn).
  bool try_write_now() {
    std::error_code ec;
    std::size_t n = stream_.write_some(buffers_, ec);
    if (ec) return false;
    bool was_paused = out_.memory() > settings_->output_pause_bytes;
    out_.consume(n);
    if (!out_.empty()) {
      out_.gather(buffers_);
      return false;
    }
    written_all(was_paused);
    return true;
  }

  /// Everything queued is written.
  void written_all(bool was_paused = false) {
    release_buffers();
    if (handoff_) return complete_handoff();
    if (close_after_write_) return shutdown_after_write();
    if (on_drain_ && mode_ == mode::websocket) on_drain_();
    if (was_paused) resume_input();
  }

  void complete_handoff() {
    if (mode_ == mode::closed) {
      handoff_ = nullptr;
      return;
    }
    auto handoff = std::move(handoff_);
    handoff_ = nullptr;
    handoff();
  }

  void release_buffers() {
    if (buffers_.capacity() > 2) std::vector<asio::const_buffer>{}.swap(buffers_);
  }

  /// Ends the connection on the next turn of the strand, once nothing is left to write (never
  /// from inside the caller: this can be the engine). An HTTP connection lingers first.
  void shutdown_after_write() {
    asio::post(strand(), [self = this->shared_from_this()] {
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
    parser_ = http_request_parser{settings_->limits};
    std::error_code ec;
    traits::lowest_layer(stream_).shutdown(asio::socket_base::shutdown_send, ec);
    if (ec) return shutdown_now();
    retire_timer_waits();
    timer_.expires_after(settings_->linger_timeout);
    timer_.async_wait(asio::bind_executor(strand(), [self = this->shared_from_this(), generation = timer_generation_](std::error_code e) {
      if (!e && generation == self->timer_generation_) self->shutdown_now();
    }));
    do_read();
  }

  void on_written(std::error_code ec) {
    if (mode_ == mode::closed) return;
    bool was_paused = out_.memory() > settings_->output_pause_bytes;
    out_.complete();
    if (ec) return peer_gone();
    if (!out_.empty()) {
      do_write();
      if (was_paused && out_.memory() <= settings_->output_pause_bytes) resume_input();
      return;
    }
    written_all(was_paused);
  }

  /// Closes the socket now; pending operations complete with errors and release the connection.
  void shutdown_now() {
    if (mode_ == mode::closed) return;
    bool was_websocket = mode_ == mode::websocket;
    mode_ = mode::closed;
    retire_timer_waits();
    timer_.cancel();
    std::error_code ec;
    auto& sock = traits::lowest_layer(stream_);
    sock.shutdown(asio::socket_base::shutdown_both, ec);
    sock.close(ec);
    out_.clear();
    handoff_ = nullptr;
    ticket_.release();
    if (was_websocket) notify_websocket_closed();
    on_drain_ = nullptr;
    request_guard_.reset();
    if (auto pending = std::move(current_)) pending->abort();
  }

  Stream stream_;
  strand_slot_ptr slot_;  ///< the strand this connection runs on
  std::shared_ptr<const connection_settings> settings_;
  http_request_parser parser_;
  asio::steady_timer timer_;  ///< the idle timeout (HTTP), the close timeout (WebSocket), or lingering
  std::chrono::steady_clock::time_point idle_deadline_ = std::chrono::steady_clock::time_point::max();
  bool idle_waiting_ = false;
  std::uint32_t timer_generation_ = 0;
  std::unique_ptr<std::array<char, 16 * 1024>> tls_buffer_;
  static constexpr std::size_t busy_read_buffer = 1024;
  std::unique_ptr<std::array<char, busy_read_buffer>> read_buffer_;  ///< only while busy
  std::chrono::steady_clock::time_point last_input_{};
  static constexpr std::uint8_t busy_after = 4;
  std::uint8_t quick_inputs_ = 0;  ///< reads in a row that came within a second of the previous
  bool busy_ = false;
  bool socket_on_strand_ = false;  ///< see check_socket_strand

  asio::ip::address peer_;         ///< the TCP peer
  bool peer_trusted_ = false;      ///< one of settings_->proxies
  std::string client_address_;     ///< the peer, or the client a trusted proxy names
  unsigned short remote_port_ = 0;
  connection_limiter::ticket ticket_;
  std::unique_ptr<std::string> proxy_buffer_;  ///< a PROXY header being read

  mode mode_ = mode::handshake;
  bool reading_ = false;
  bool flush_deferred_ = false;  ///< waiting in the strand's batch
  bool close_after_write_ = false;
  bool serving_ = false;        ///< serve_requests is on the stack
  bool serve_again_ = false;    ///< a response came while it was: go round once more
  bool head_only_ = false;      ///< the pending request is a HEAD
  std::shared_ptr<exchange> current_;
  std::shared_ptr<void> request_guard_;  ///< from on_request_head, until the request is complete
  bool upgrade_pending_ = false;
  bool handed_off_ = false;  ///< accept() moved the connection to the session's strand (written on the first strand only)
  std::function<void()> handoff_;  ///< the move to the session's strand, waiting for a write to complete
  std::uint8_t corked_ = 0;  ///< input being handled: writes wait for its end
  http_request upgrade_request_;

  write_queue out_;
  std::vector<asio::const_buffer> buffers_;

  std::unique_ptr<websocket_reader> ws_;
  bool ws_closing_ = false;  ///< a close frame went out: only the peer's close frame matters now
  bool ws_failed_ = false;   ///< a protocol violation: nothing more is read
  message_handler on_message_;
  message_handler retired_handler_;
  bool in_message_callback_ = false;
  close_handler on_close_;
  drain_handler on_drain_;
};

}  // namespace sio::transport
