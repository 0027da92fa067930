#pragma once
// The load generator's two kinds of client, both driven by one single-threaded io_context:
//  - ws_client:   a raw WebSocket (RFC 6455, masked client frames) that, in "sio" mode, speaks
//                 Engine.IO v4 / Socket.IO v5 on top (open packet, CONNECT to "/", ping -> pong);
//                 in "raw" mode every text frame is a message as is.
//  - poll_client: Engine.IO v4 HTTP long-polling over two keep-alive TCP connections (one for the
//                 held GET, one for the POSTs), as a browser does.
// Neither knows about scenarios: they report to a client_events sink (ready / message / failure).
#include <asio.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wire.hpp"

namespace loadgen {

/// What a scenario receives from its clients. Every call comes from the io_context's thread.
class client_events {
 public:
  virtual ~client_events() = default;
  virtual void on_ready(class client_base& c) = 0;
  virtual void on_message(class client_base& c, std::string_view text) = 0;
  virtual void on_failure(class client_base& c, std::string what) = 0;
};

struct endpoint_config {
  asio::ip::tcp::endpoint server;
  std::string host_header;
  std::string path;      ///< "/socket.io/" (sio mode) or "/" (raw mode)
  bool socketio = true;  ///< false: raw WebSocket messages, no Engine.IO framing
  /// true: each client reads into a buffer of its own with async_read_some (one recv per
  /// readiness, no epoll_ctl); false: readiness waits and the shared scratch buffer (no memory
  /// per idle client, but Asio re-arms epoll for every wait). Traffic scenarios use true.
  bool buffered_reads = false;
};

/// Size of a client's own read buffer in buffered mode.
constexpr std::size_t own_read_buffer = 4096;

/// State the scenarios keep per client (echo: outstanding request ids; broadcast: next sequence).
class client_base {
 public:
  client_base(client_events& events, const endpoint_config& cfg, int index) : events_(events), cfg_(cfg), index_(index) {}
  virtual ~client_base() = default;
  client_base(const client_base&) = delete;
  client_base& operator=(const client_base&) = delete;

  virtual void start(const asio::ip::address* source) = 0;
  /// Sends one message (a Socket.IO packet without the Engine.IO "4" prefix is NOT assumed:
  /// `text` is the Engine.IO packet, e.g. "42[...]", or the raw message in raw mode).
  virtual void send_message(std::string_view text) = 0;
  /// Drops the connection(s) with a TCP reset: no TIME_WAIT left on either side.
  virtual void abort() = 0;
  bool ready() const noexcept { return ready_; }
  int index() const noexcept { return index_; }
  std::uint64_t pings() const noexcept { return pings_; }

  // Scenario bookkeeping.
  struct sent {
    std::uint64_t id;
    std::uint64_t t_ns;
  };
  std::deque<sent> outstanding;
  std::uint64_t next_id = 1;
  std::uint64_t next_seq = 0;

 protected:
  client_events& events_;
  const endpoint_config& cfg_;
  int index_;
  bool ready_ = false;
  bool failed_ = false;
  std::uint64_t pings_ = 0;
};

/// One scratch read buffer for the whole (single-threaded) generator: idle clients hold none.
inline std::vector<char>& scratch_buffer() {
  static std::vector<char> buf(256 * 1024);
  return buf;
}

inline void reset_socket(asio::ip::tcp::socket& s) {
  std::error_code ec;
  if (!s.is_open()) return;
  s.set_option(asio::socket_base::linger(true, 0), ec);
  s.close(ec);
}

inline void open_socket(asio::ip::tcp::socket& s, const asio::ip::address* source, std::error_code& ec) {
  s.open(asio::ip::tcp::v4(), ec);
  if (ec || !source) return;
#ifdef IP_BIND_ADDRESS_NO_PORT
  // Pick the port at connect time (per 4-tuple), not at bind time: many more ports per address.
  int one = 1;
  ::setsockopt(s.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  s.bind(asio::ip::tcp::endpoint{*source, 0}, ec);
}

/// Non-blocking writer shared by both clients: writes now, waits for writability only when the
/// kernel buffer is full.
class byte_writer {
 public:
  explicit byte_writer(asio::ip::tcp::socket& s) : sock_(s) {}
  std::string& buffer() noexcept { return out_; }
  /// Returns false on a write error.
  template <class OnError>
  void flush(OnError on_error) {
    if (waiting_ || out_.empty()) return;
    while (!out_.empty()) {
      std::error_code ec;
      std::size_t n = sock_.write_some(asio::buffer(out_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        waiting_ = true;
        sock_.async_wait(asio::socket_base::wait_write, [this, on_error](std::error_code e) {
          waiting_ = false;
          if (e == asio::error::operation_aborted) return;
          if (e) return on_error(e);
          flush(on_error);
        });
        return;
      }
      if (ec) return on_error(ec);
      out_.erase(0, n);
    }
  }
  void clear() noexcept {
    out_.clear();
    waiting_ = false;
  }

 private:
  asio::ip::tcp::socket& sock_;
  std::string out_;
  bool waiting_ = false;
};

// ---------------------------------------------------------------------------------------------

class ws_client final : public client_base {
 public:
  ws_client(asio::io_context& ctx, client_events& events, const endpoint_config& cfg, int index, fast_rng& rng)
      : client_base(events, cfg, index), sock_(ctx), writer_(sock_), rng_(rng) {}

  void start(const asio::ip::address* source) override {
    std::error_code ec;
    open_socket(sock_, source, ec);
    if (ec) return fail("socket/bind: " + ec.message());
    state_ = state::connecting;
    sock_.async_connect(cfg_.server, [this](std::error_code e) {
      if (state_ == state::closed) return;
      if (e) return fail("connect: " + e.message());
      on_connected();
    });
  }

  void send_message(std::string_view text) override {
    if (state_ == state::closed) return;
    queue_message(text);
    if (!in_read_) flush();  // inside a read handler: one write for everything, at its end
  }

  void abort() override {
    state_ = state::closed;
    writer_.clear();
    reset_socket(sock_);
  }

 private:
  enum class state { idle, connecting, upgrading, eio_open, sio_connect, ready, closed };

  void on_connected() {
    std::error_code ec;
    sock_.set_option(asio::ip::tcp::no_delay(true), ec);
    sock_.non_blocking(true, ec);
    key_ = websocket_key(rng_);
    std::string& out = writer_.buffer();
    out += "GET ";
    out += cfg_.path;
    if (cfg_.socketio) out += "?EIO=4&transport=websocket";
    out += " HTTP/1.1\r\nHost: ";
    out += cfg_.host_header;
    out += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    out += key_;
    out += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    state_ = state::upgrading;
    flush();
    arm_read();
  }

  void queue_message(std::string_view text) { append_client_frame(writer_.buffer(), ws_opcode::text, text, rng_); }

  void flush() {
    writer_.flush([this](std::error_code e) { fail("write: " + e.message()); });
  }

  void arm_read() {
    if (cfg_.buffered_reads) {
      if (!own_buf_) own_buf_ = std::make_unique<char[]>(own_read_buffer);
      sock_.async_read_some(asio::buffer(own_buf_.get(), own_read_buffer), [this](std::error_code e, std::size_t n) {
        if (state_ == state::closed) return;
        if (e == asio::error::eof) return fail("server closed the connection");
        if (e) return fail("read: " + e.message());
        in_read_ = true;
        feed(own_buf_.get(), n);
        if (state_ == state::closed) return;
        in_read_ = false;
        flush();
        if (state_ != state::closed) arm_read();
      });
      return;
    }
    sock_.async_wait(asio::socket_base::wait_read, [this](std::error_code e) {
      if (state_ == state::closed) return;
      if (e) return fail("wait: " + e.message());
      on_readable();
    });
  }

  void on_readable() {
    auto& scratch = scratch_buffer();
    in_read_ = true;
    for (;;) {
      std::error_code ec;
      std::size_t n = sock_.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec == asio::error::eof) return fail("server closed the connection");
      if (ec) return fail("read: " + ec.message());
      feed(scratch.data(), n);
      if (state_ == state::closed) return;
      if (n < scratch.size()) break;
    }
    in_read_ = false;
    flush();
    if (state_ != state::closed) arm_read();
  }

  void feed(const char* data, std::size_t n) {
    if (state_ == state::upgrading) {
      http_.feed(data, n);
      auto r = http_.next();
      if (r == response_reader::result::need_more) return;
      if (r == response_reader::result::error) return fail("bad HTTP response to the upgrade");
      const auto& h = http_.head();
      if (h.status != 101) return fail("upgrade refused: HTTP " + std::to_string(h.status));
      if (!h.upgrade_websocket || h.accept != websocket_accept(key_)) return fail("bad Sec-WebSocket-Accept");
      std::string rest = http_.take_rest();
      http_ = response_reader{};
      if (cfg_.socketio) {
        state_ = state::eio_open;
      } else {
        state_ = state::ready;
        ready_ = true;
        events_.on_ready(*this);
      }
      if (!rest.empty() && state_ != state::closed) feed(rest.data(), rest.size());
      return;
    }
    if (!rbuf_.empty()) {
      rbuf_.append(data, n);
      std::size_t used = parse_frames(rbuf_.data(), rbuf_.size());
      if (state_ != state::closed) rbuf_.erase(0, used);
    } else {
      std::size_t used = parse_frames(data, n);
      if (used < n && state_ != state::closed) rbuf_.assign(data + used, n - used);
    }
  }

  std::size_t parse_frames(const char* data, std::size_t n) {
    std::size_t off = 0;
    while (state_ != state::closed && off < n) {
      server_frame f;
      std::size_t used = 0;
      auto st = parse_server_frame(data + off, n - off, f, used);
      if (st == frame_status::need_more) break;
      if (st == frame_status::error) {
        fail("malformed WebSocket frame from the server");
        break;
      }
      off += used;
      on_frame(f);
    }
    return off;
  }

  void on_frame(const server_frame& f) {
    switch (f.opcode) {
      case ws_opcode::text:
        if (f.fin) return on_text(f.payload);
        fragments_.assign(f.payload);
        in_fragments_ = true;
        return;
      case ws_opcode::continuation:
        if (!in_fragments_) return fail("continuation frame without a start");
        fragments_.append(f.payload);
        if (f.fin) {
          in_fragments_ = false;
          std::string whole = std::move(fragments_);
          fragments_.clear();
          on_text(whole);
        }
        return;
      case ws_opcode::ping: append_client_frame(writer_.buffer(), ws_opcode::pong, f.payload, rng_); return;
      case ws_opcode::pong: return;
      case ws_opcode::close: return fail("server sent a close frame");
      default: return fail("unexpected WebSocket opcode " + std::to_string(f.opcode));
    }
  }

  void on_text(std::string_view text) {
    switch (state_) {
      case state::ready:
        if (cfg_.socketio && text == "2") {
          ++pings_;
          return queue_message("3");
        }
        return events_.on_message(*this, text);
      case state::eio_open:
        if (text.substr(0, 9) != "0{\"sid\":\"") return fail("expected the Engine.IO open packet, got: " + std::string{text.substr(0, 80)});
        state_ = state::sio_connect;
        return queue_message("40");
      case state::sio_connect:
        if (text == "2") {
          ++pings_;
          return queue_message("3");
        }
        if (text.substr(0, 10) != "40{\"sid\":\"") return fail("expected the CONNECT reply, got: " + std::string{text.substr(0, 80)});
        state_ = state::ready;
        ready_ = true;
        return events_.on_ready(*this);
      default: return fail("unexpected text frame");
    }
  }

  void fail(std::string what) {
    in_read_ = false;
    if (state_ == state::closed) return;
    abort();
    if (failed_) return;
    failed_ = true;
    events_.on_failure(*this, std::move(what));
  }

  asio::ip::tcp::socket sock_;
  byte_writer writer_;
  fast_rng& rng_;
  state state_ = state::idle;
  std::string key_;
  response_reader http_;
  std::unique_ptr<char[]> own_buf_;  ///< buffered mode only
  std::string rbuf_;                 ///< a partial frame between reads (usually empty)
  std::string fragments_;
  bool in_fragments_ = false;
  bool in_read_ = false;
};

// ---------------------------------------------------------------------------------------------

class poll_client final : public client_base {
 public:
  poll_client(asio::io_context& ctx, client_events& events, const endpoint_config& cfg, int index)
      : client_base(events, cfg, index), get_(ctx, *this, true), post_(ctx, *this, false) {}

  void start(const asio::ip::address* source) override {
    source_ = source;
    get_.request(request_line("GET", false) + "\r\n", source_);
  }

  void send_message(std::string_view text) override {
    if (closed_) return;
    posts_.emplace_back(text);
    pump_posts();
  }

  void abort() override {
    closed_ = true;
    get_.abort();
    post_.abort();
  }

  std::uint64_t reconnects() const noexcept { return get_.reconnects + post_.reconnects; }

 private:
  /// One keep-alive HTTP connection with at most one request outstanding.
  class http_conn {
   public:
    http_conn(asio::io_context& ctx, poll_client& owner, bool is_get) : sock_(ctx), writer_(sock_), owner_(owner), is_get_(is_get) {}

    void request(std::string bytes, const asio::ip::address* source) {
      pending_ = true;
      writer_.buffer() += bytes;
      if (connected_) return flush();
      if (connecting_) return;
      if (sock_.is_open()) {
        ++reconnects;
        reset_socket(sock_);
      }
      std::error_code ec;
      open_socket(sock_, source, ec);
      if (ec) return owner_.fail("socket/bind: " + ec.message());
      connecting_ = true;
      sock_.async_connect(owner_.cfg_.server, [this](std::error_code e) {
        connecting_ = false;
        if (owner_.closed_) return;
        if (e) return owner_.fail("connect: " + e.message());
        std::error_code ec2;
        sock_.set_option(asio::ip::tcp::no_delay(true), ec2);
        sock_.non_blocking(true, ec2);
        connected_ = true;
        flush();
        arm_read();
      });
    }

    void abort() {
      writer_.clear();
      connected_ = false;
      reset_socket(sock_);
    }

    std::uint64_t reconnects = 0;

   private:
    void flush() {
      writer_.flush([this](std::error_code e) { owner_.fail(std::string{"write: "} + e.message()); });
    }

    void arm_read() {
      if (owner_.cfg_.buffered_reads) {
        if (!own_buf_) own_buf_ = std::make_unique<char[]>(own_read_buffer);
        sock_.async_read_some(asio::buffer(own_buf_.get(), own_read_buffer), [this](std::error_code e, std::size_t n) {
          if (owner_.closed_ || !connected_) return;
          if (e) return on_read_error(e);
          if (on_bytes(own_buf_.get(), n) && connected_ && !owner_.closed_) arm_read();
        });
        return;
      }
      sock_.async_wait(asio::socket_base::wait_read, [this](std::error_code e) {
        if (owner_.closed_ || !connected_) return;
        if (e) return owner_.fail("wait: " + e.message());
        on_readable();
      });
    }

    void on_read_error(std::error_code ec) {
      // The server may end a keep-alive connection between requests; not in the middle of one.
      connected_ = false;
      if (pending_) return owner_.fail(std::string{is_get_ ? "GET" : "POST"} + " connection lost: " + ec.message());
      reader_.reset();
    }

    /// Handles received bytes; false when the connection is done with (closed or failed).
    bool on_bytes(const char* data, std::size_t n) {
      reader_.feed(data, n);
      for (;;) {
        auto r = reader_.next();
        if (r == response_reader::result::need_more) return true;
        if (r == response_reader::result::error) {
          owner_.fail("bad HTTP response");
          return false;
        }
        if (!pending_) {
          owner_.fail("response without a request");
          return false;
        }
        pending_ = false;
        bool close = reader_.head().close;
        owner_.on_response(is_get_, reader_.head().status, reader_.body());
        if (owner_.closed_) return false;
        if (close) {
          connected_ = false;
          reader_.reset();
          return false;
        }
      }
    }

    void on_readable() {
      auto& scratch = scratch_buffer();
      for (;;) {
        std::error_code ec;
        std::size_t n = sock_.read_some(asio::buffer(scratch), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        if (ec) return on_read_error(ec);
        if (!on_bytes(scratch.data(), n)) return;
        if (n < scratch.size()) break;
      }
      if (connected_ && !owner_.closed_) arm_read();
    }

    asio::ip::tcp::socket sock_;
    byte_writer writer_;
    std::unique_ptr<char[]> own_buf_;
    response_reader reader_;
    poll_client& owner_;
    bool is_get_;
    bool connected_ = false;
    bool connecting_ = false;
    bool pending_ = false;
  };

  std::string request_line(const char* method, bool with_sid) const {
    std::string r = method;
    r += ' ';
    r += cfg_.path;
    r += "?EIO=4&transport=polling";
    if (with_sid) {
      r += "&sid=";
      r += sid_;
    }
    r += " HTTP/1.1\r\nHost: ";
    r += cfg_.host_header;
    r += "\r\n";
    return r;
  }

  void issue_get() { get_.request(request_line("GET", true) + "\r\n", source_); }

  void pump_posts() {
    if (post_in_flight_ || posts_.empty() || sid_.empty()) return;
    std::string body;
    for (std::size_t i = 0; i < posts_.size(); ++i) {
      if (i) body.push_back('\x1e');
      body += posts_[i];
    }
    posts_.clear();
    post_in_flight_ = true;
    std::string req = request_line("POST", true);
    req += "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ";
    req += std::to_string(body.size());
    req += "\r\n\r\n";
    req += body;
    post_.request(std::move(req), source_);
  }

  void on_response(bool is_get, int status, const std::string& body) {
    if (status != 200)
      return fail(std::string{is_get ? "GET" : "POST"} + " answered HTTP " + std::to_string(status) + ": " + body.substr(0, 80));
    if (!is_get) {
      if (body != "ok") return fail("POST answered " + body.substr(0, 40));
      post_in_flight_ = false;
      return pump_posts();
    }
    std::string_view rest{body};
    while (!closed_) {
      auto sep = rest.find('\x1e');
      on_packet(rest.substr(0, sep));
      if (sep == std::string_view::npos) break;
      rest.remove_prefix(sep + 1);
    }
    if (!closed_) issue_get();
  }

  void on_packet(std::string_view p) {
    if (sid_.empty()) {
      // The handshake: 0{"sid":"...",...}
      constexpr std::string_view prefix = "0{\"sid\":\"";
      if (p.substr(0, prefix.size()) != prefix) return fail("expected the open packet, got: " + std::string{p.substr(0, 80)});
      auto end = p.find('"', prefix.size());
      if (end == std::string_view::npos) return fail("bad open packet");
      sid_ = std::string{p.substr(prefix.size(), end - prefix.size())};
      posts_.emplace_back("40");
      pump_posts();
      return;
    }
    if (p == "2") {
      ++pings_;
      posts_.emplace_back("3");
      return pump_posts();
    }
    if (p == "6") return;
    if (!ready_) {
      if (p.substr(0, 10) != "40{\"sid\":\"") return fail("expected the CONNECT reply, got: " + std::string{p.substr(0, 80)});
      ready_ = true;
      return events_.on_ready(*this);
    }
    events_.on_message(*this, p);
  }

  void fail(std::string what) {
    if (closed_) return;
    abort();
    if (failed_) return;
    failed_ = true;
    events_.on_failure(*this, std::move(what));
  }

  http_conn get_;
  http_conn post_;
  const asio::ip::address* source_ = nullptr;
  std::string sid_;
  std::vector<std::string> posts_;
  bool post_in_flight_ = false;
  bool closed_ = false;
};

}  // namespace loadgen
