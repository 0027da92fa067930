#pragma once
// One request that the user's HTTP server read and handed to sio (sio/mount_point.hpp), on the user's
// stream: the rest of its body is read (bounded by http_limits, within idle_timeout), the engine
// answers it, and the answer is written (within idle_timeout); then the stream goes back to the
// user's server (finish), or, for an accepted upgrade, on to a websocket_connection.
//
// The user's server accepted the connection: the connection limits, PROXY headers and trusted
// proxies of connection_settings are its business. What a peer can make sio hold here is what an
// http_connection holds for one request.
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <asio.hpp>

#include "sio/transport/connection_settings.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/http_message.hpp"
#include "sio/transport/http_parser.hpp"
#include "sio/transport/mounted_stream.hpp"
#include "sio/transport/websocket_connection.hpp"
#include "sio/transport/websocket_handshake.hpp"

namespace sio::transport {

/// How a mounted request ended, as the mount point reports it.
enum class mounted_outcome {
  keep_alive,  ///< answered; the connection may carry the next request
  close,       ///< answered (or refused); the connection must end now
  upgraded,    ///< the stream is a WebSocket now, sio's to keep
  failed,      ///< the stream failed or timed out (see the error code)
};

class mounted_connection final : public std::enable_shared_from_this<mounted_connection>, public http_exchange, public websocket_upgrade {
 public:
  /// Runs once on the strand: the outcome, the error (for failed), and what the peer sent after
  /// the request.
  using finish_handler = std::function<void(mounted_outcome, std::error_code, std::string read_ahead)>;

  /// What the user's server knows of the connection.
  struct peer_info {
    std::string address;
    unsigned short port = 0;
    bool secure = false;
  };

  mounted_connection(mounted_stream stream, strand_slot_ptr slot, std::shared_ptr<const connection_settings> settings,
                     finish_handler finish)
      : stream_(std::move(stream)),
        slot_(std::move(slot)),
        settings_(std::move(settings)),
        parser_(settings_->limits),
        timer_(slot_->strand().get_inner_executor()),
        finish_(std::move(finish)) {}

  /// `head`: the request head, serialized; `read_ahead`: the bytes the user's server read after it.
  void start(std::string head, std::string_view read_ahead, peer_info peer) {
    head.append(read_ahead);
    asio::dispatch(strand(), [self = shared_from_this(), head = std::move(head), peer = std::move(peer)]() mutable {
      self->peer_ = std::move(peer);
      self->parser_.feed(head.data(), head.size());
      self->arm_timer();
      self->step();
    });
  }

  // http_exchange
  http_request& request() noexcept override { return request_; }
  void respond(http_response response) override {
    if (responded_.exchange(true)) return;
    asio::dispatch(strand(), [self = shared_from_this(), res = std::move(response)]() mutable {
      self->guard_.reset();
      bool keep = self->request_.keep_alive();
      self->write(std::move(res), keep, self->request_.method == "HEAD");
    });
  }
  void on_abort(std::function<void()> fn) override { abort_ = std::move(fn); }

  // websocket_upgrade
  const strand_slot_ptr& slot() const noexcept override { return slot_; }
  void reject(http_response response) override {
    asio::post(strand(), [self = shared_from_this(), res = std::move(response)]() mutable { self->write(std::move(res), false, false); });
  }
  void accept(strand_slot_ptr slot, std::size_t max_message_size, header_list headers,
              std::function<void(std::shared_ptr<websocket_channel>)> on_open) override {
    asio::post(strand(), [self = shared_from_this(), slot = std::move(slot), max_message_size, headers = std::move(headers),
                          fn = std::move(on_open)]() mutable {
      if (http_response refusal = websocket_handshake::refusal_response(self->request_); refusal.status != 0)
        return self->write(std::move(refusal), false, false);
      auto owned = mounted_stream{self->stream_.get_executor(), self->stream_.user_stream()->take()};
      auto ws = std::make_shared<websocket_connection<mounted_stream>>(std::move(owned), std::move(slot), self->settings_, max_message_size,
                                                                       std::move(self->request_));
      asio::post(ws->strand(), [ws, headers = std::move(headers), fn = std::move(fn), rest = self->parser_.take_unparsed()]() mutable {
        ws->open(std::move(headers), fn, std::move(rest));
      });
      self->end(mounted_outcome::upgraded, {});
    });
  }

 private:
  const strand_type& strand() const noexcept { return slot_->strand(); }

  /// Parses what is in; reads more while the request is incomplete; hands a complete one on.
  void step() {
    auto r = parser_.parse();
    const auto& handler = settings_->handler;
    if (r.state == http_request_parser::status::head) {
      guard_ = handler->on_request_head(parser_.request(), [weak = weak_from_this()] {
        if (auto self = weak.lock()) asio::dispatch(self->strand(), [self] { self->fail(asio::error::connection_aborted); });
      });
      r = parser_.parse();
    }
    if (r.state == http_request_parser::status::error) {
      guard_.reset();
      responded_ = true;
      http_response res;
      res.status = r.error_status;
      return write(std::move(res), false, false);
    }
    if (r.state == http_request_parser::status::need_more) return read_more();
    timer_.cancel();
    request_ = std::move(parser_.request());
    request_.remote_address = peer_.address;
    request_.remote_port = peer_.port;
    request_.secure = peer_.secure;
    if (request_.is_upgrade_to_websocket()) return handler->handle_upgrade(shared_from_this());
    handler->handle_http(shared_from_this());
  }

  void read_more() {
    if (!buffer_) buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
    stream_.async_read_some(asio::buffer(*buffer_),
                            asio::bind_executor(strand(), [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              if (self->ended_) return;
                              if (ec) return self->fail(self->timed_out_ ? make_error_code(asio::error::timed_out) : ec);
                              self->parser_.feed(self->buffer_->data(), n);
                              self->step();
                            }));
  }

  /// `head_only`: the answer to a HEAD request, whose body is described but not sent.
  void write(http_response res, bool keep_alive, bool head_only) {
    if (ended_) return;
    keep_alive_ = keep_alive;
    write_response_head(res, keep_alive, out_);
    bool has_body = res.status >= 200 && res.status != 204 && res.status != 304 && !head_only;
    if (has_body) out_.append(res.body);
    arm_timer();
    asio::async_write(stream_, asio::buffer(out_),
                      asio::bind_executor(strand(), [self = shared_from_this()](std::error_code ec, std::size_t) {
                        self->timer_.cancel();
                        if (self->ended_) return;
                        if (ec) return self->fail(self->timed_out_ ? make_error_code(asio::error::timed_out) : ec);
                        self->end(self->keep_alive_ ? mounted_outcome::keep_alive : mounted_outcome::close, {});
                      }));
  }

  /// The peer has idle_timeout to send the request's body, and as long to read the answer.
  void arm_timer() {
    timer_.expires_after(settings_->idle_timeout);
    timer_.async_wait(asio::bind_executor(strand(), [self = shared_from_this()](std::error_code ec) {
      if (ec || self->ended_) return;
      self->timed_out_ = true;
      self->stream_.user_stream()->close();
    }));
  }

  void fail(std::error_code ec) {
    if (ended_) return;
    stream_.user_stream()->close();
    if (!responded_.exchange(true)) {
      if (auto fn = std::move(abort_)) fn();
    }
    end(mounted_outcome::failed, ec);
  }

  void end(mounted_outcome outcome, std::error_code ec) {
    if (ended_) return;
    ended_ = true;
    timer_.cancel();
    guard_.reset();
    abort_ = nullptr;
    std::string rest = outcome == mounted_outcome::keep_alive ? parser_.take_unparsed() : std::string{};
    if (auto fn = std::move(finish_)) fn(outcome, ec, std::move(rest));
  }

  mounted_stream stream_;
  strand_slot_ptr slot_;
  std::shared_ptr<const connection_settings> settings_;
  http_request_parser parser_;
  asio::steady_timer timer_;
  finish_handler finish_;
  peer_info peer_;
  http_request request_;
  std::shared_ptr<void> guard_;  ///< from on_request_head, until the request is complete
  std::function<void()> abort_;
  std::unique_ptr<std::array<char, 16 * 1024>> buffer_;
  std::string out_;
  std::atomic<bool> responded_{false};
  bool keep_alive_ = false;
  bool timed_out_ = false;
  bool ended_ = false;
};

}  // namespace sio::transport
