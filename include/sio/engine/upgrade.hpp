#pragma once
// The move of a long-polling session to WebSocket, as the client drives it: on the candidate
// WebSocket it sends the "probe" ping and gets the probe pong, then waits for its pending GET to
// end (the session answers it with a noop) and sends the upgrade packet; the session then moves
// what it had queued onto the WebSocket (session.hpp). The whole exchange must finish within
// upgrade_timeout. Every call is made on the session's strand.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <asio.hpp>

#include "sio/engine/packet.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/strand_pool.hpp"

namespace sio::engine {

class upgrade {
 public:
  /// What a message on the candidate WebSocket asks of the session.
  enum class event {
    probed,    ///< the probe was answered: the pending GET must end
    complete,  ///< the upgrade packet: the WebSocket becomes the transport
    invalid,   ///< anything else: the upgrade is abandoned
  };

  /// A candidate WebSocket is being probed.
  bool active() const noexcept { return candidate_ != nullptr; }
  /// The probe was answered: GETs are answered at once with a noop until the upgrade ends.
  bool probed() const noexcept { return step_ == step::probed; }
  /// Whether `ws` is the candidate still (its callbacks may outlive it).
  bool is_candidate(const transport::websocket_channel* ws) const noexcept { return candidate_.get() == ws; }

  /// Takes `ws` as the candidate; the caller installs its handlers and then start_timer().
  transport::websocket_channel& begin(std::shared_ptr<transport::websocket_channel> ws) {
    candidate_ = std::move(ws);
    step_ = step::probing;
    return *candidate_;
  }
  /// `expired(ec)` runs after `timeout`, or with an error once the upgrade ended.
  template <class Handler>
  void start_timer(const transport::strand_type& strand, std::chrono::milliseconds timeout, Handler expired) {
    timer_ = std::make_unique<asio::steady_timer>(strand, timeout);
    timer_->async_wait(std::move(expired));
  }

  /// Reads a message of the candidate WebSocket and answers the probe.
  event on_message(const std::string& data, bool binary) {
    auto p = binary ? std::nullopt : parse_text_packet(data);
    if (p && p->type == packet_type::ping && p->data == "probe" && step_ == step::probing) {
      candidate_->send(false, make_text_frame(packet_type::pong, "probe").bytes);
      step_ = step::probed;
      return event::probed;
    }
    if (p && p->type == packet_type::upgrade) return event::complete;
    return event::invalid;
  }

  /// Abandons the upgrade: the candidate is closed without calling back.
  void abort() {
    auto ws = std::move(candidate_);
    step_ = step::none;
    timer_.reset();
    ws->set_handlers(nullptr, nullptr);
    ws->close(1000);
  }
  /// Ends the upgrade with success: the candidate, with its handlers still installed.
  std::shared_ptr<transport::websocket_channel> complete() {
    timer_.reset();
    step_ = step::none;
    return std::exchange(candidate_, nullptr);
  }

 private:
  enum class step { none, probing, probed };

  std::shared_ptr<transport::websocket_channel> candidate_;
  step step_ = step::none;
  std::unique_ptr<asio::steady_timer> timer_;
};

}  // namespace sio::engine
