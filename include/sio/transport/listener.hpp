#pragma once
// Accepts TCP connections on one endpoint and starts an http_connection<Stream> for each. Out of
// descriptors (EMFILE, ENFILE) or kernel memory, it waits a while before the next accept instead of
// spinning: the failed accept leaves the pending connection in the backlog, so an immediate retry
// fails again at once, at 100 % CPU.
#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "sio/transport/connection.hpp"

namespace sio::transport {

template <class Stream>
class listener : public std::enable_shared_from_this<listener<Stream>> {
 public:
  /// `tls` is required when Stream is tls_stream and ignored otherwise.
  listener(asio::io_context& ctx, std::shared_ptr<const connection_settings> settings, asio::ssl::context* tls = nullptr)
      : acceptor_(asio::make_strand(ctx)), backoff_timer_(acceptor_.get_executor()), settings_(std::move(settings)), tls_(tls) {}

  /// Binds and listens; throws std::system_error when the address is taken.
  void listen(const asio::ip::tcp::endpoint& endpoint, int backlog = asio::socket_base::max_listen_connections) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(backlog);
    do_accept();
  }

  unsigned short port() const {
    std::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }

  /// Stops accepting; connections between requests end now, the others after their answer
  /// (WebSocket connections end with their sessions).
  void close() {
    asio::dispatch(acceptor_.get_executor(), [self = this->shared_from_this()] {
      std::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_timer_.cancel();
      if (self->settings_->registry) self->settings_->registry->close_all_idle();
    });
  }

 private:
  void do_accept() {
    auto slot = settings_->strands->next();
    acceptor_.async_accept(slot->strand(), [self = this->shared_from_this(), slot](std::error_code ec, asio::ip::tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (!ec) {
        self->backoff_ = {};
        self->start(std::move(sock), slot);
        return self->do_accept();
      }
      if (!is_resource_shortage(ec)) return self->do_accept();  // e.g. the peer already gave up
      // Out of descriptors or memory: wait, longer each time it happens again, up to a second.
      self->backoff_ = std::clamp(self->backoff_ * 2, min_backoff, max_backoff);
      self->backoff_timer_.expires_after(self->backoff_);
      self->backoff_timer_.async_wait([self](std::error_code e) {
        if (!e && self->acceptor_.is_open()) self->do_accept();
      });
    });
  }

  static bool is_resource_shortage(const std::error_code& ec) noexcept {
    return ec == asio::error::no_descriptors || ec == std::errc::too_many_files_open_in_system || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory;
  }

  static constexpr std::chrono::milliseconds min_backoff{10};
  static constexpr std::chrono::milliseconds max_backoff{1000};

  void start(asio::ip::tcp::socket sock, strand_slot_ptr slot) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      auto c = std::make_shared<http_connection<Stream>>(Stream(std::move(sock), *tls_), std::move(slot), settings_);
      c->start();
    } else {
      auto c = std::make_shared<http_connection<Stream>>(std::move(sock), std::move(slot), settings_);
      c->start();
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_timer_;
  std::chrono::milliseconds backoff_{0};
  std::shared_ptr<const connection_settings> settings_;
  asio::ssl::context* tls_;
};

}  // namespace sio::transport
