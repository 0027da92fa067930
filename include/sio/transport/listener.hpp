#pragma once
// Accepts TCP connections on one endpoint and starts a connection<Stream> for each.
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
      : acceptor_(asio::make_strand(ctx)), settings_(std::move(settings)), tls_(tls) {}

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

  /// Stops accepting (open connections go on until their sessions close).
  void close() {
    asio::dispatch(acceptor_.get_executor(), [self = this->shared_from_this()] {
      std::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  void do_accept() {
    auto slot = settings_->strands->next();
    acceptor_.async_accept(slot->strand(), [self = this->shared_from_this(), slot](std::error_code ec, asio::ip::tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (!ec) self->start(std::move(sock), slot);
      // Out of descriptors and the like: keep accepting rather than dying.
      self->do_accept();
    });
  }

  void start(asio::ip::tcp::socket sock, strand_slot_ptr slot) {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      auto c = std::make_shared<connection<Stream>>(Stream(std::move(sock), *tls_), std::move(slot), settings_);
      c->start();
    } else {
      auto c = std::make_shared<connection<Stream>>(std::move(sock), std::move(slot), settings_);
      c->start();
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const connection_settings> settings_;
  asio::ssl::context* tls_;
};

}  // namespace sio::transport
