// A Boost.Beast HTTP server with sio mounted on it, the way socket.io mounts on Node's
// http.Server: one port serves the application's own routes, its static files and Socket.IO.
//
//   sio_beast_mount [--host 127.0.0.1] [--port 3000] [--public DIR] [--tls-cert FILE --tls-key FILE]
//
// --port 0 picks a free port; the line "listening <port>" says which. SIGTERM or SIGINT stops it.
// With --tls-cert and --tls-key it serves HTTPS: sio then reads and writes through Beast's
// ssl_stream, WebSocket included.
//
// Routes (Beast's): GET /hello (text), GET /count (requests served by Beast so far), and the files
// under --public (GET and HEAD). Everything under /socket.io/ goes to sio: Beast reads the request
// head, and sio::async_serve answers it on Beast's stream (long-polling) and gives the stream back,
// or keeps it (WebSocket). Socket.IO events: "echo" (args...) answers "echo" with the same
// arguments; "echo-ack" (args..., ack) acknowledges with them.
//
// Two event loops: Beast's boost::asio::io_context on the main thread, and sio's (standalone Asio)
// on a second one (sio_side.cpp). This file sees sio only through sio/mount_point.hpp and
// sio/mount_boost.hpp, which include no standalone Asio: Asio 1.22 and Boost.Asio 1.74 cannot be
// included in one translation unit.
#include <atomic>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <limits>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sio/mount_boost.hpp>

#include "sio_side.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct app {
  sio::mount_point mount;
  std::string public_dir;
  std::atomic<unsigned> served{0};   ///< requests Beast answered itself
  net::ssl::context* tls = nullptr;  ///< HTTPS when set
};

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

const char* mime_type(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript";
  if (ends(".css")) return "text/css";
  return "application/octet-stream";
}

/// One HTTP connection over `Stream` (beast::tcp_stream, or tls_stream). Beast reads each
/// request's head; sio's go to sio::async_serve with the stream, and come back as a new session
/// when sio is done with them.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
  static constexpr std::uint64_t max_body = 64 * 1024;  ///< of requests for Beast's own routes
  static constexpr bool secure = std::is_same_v<Stream, tls_stream>;

 public:
  session(Stream stream, app& a, std::string_view read_ahead = {}) : stream_(std::move(stream)), app_(a) {
    auto space = buffer_.prepare(read_ahead.size());
    net::buffer_copy(space, net::buffer(read_ahead.data(), read_ahead.size()));
    buffer_.commit(read_ahead.size());
  }

  /// A new connection: the TLS handshake first, when there is one.
  void start() {
    if constexpr (secure) {
      lowest().expires_after(std::chrono::seconds(30));
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();
        self->read_head();
      });
    } else {
      read_head();
    }
  }
  /// A connection sio gave back: its next request.
  void run() { read_head(); }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_head() {
    parser_.emplace();
    // Beast checks Content-Length against the body limit as soon as the head is in: sio's
    // requests have their own limit (max_payload), so Beast's applies from the body on.
    parser_->body_limit((std::numeric_limits<std::uint64_t>::max)());
    lowest().expires_after(std::chrono::seconds(30));
    http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      const auto& req = self->parser_->get();
      if (req.target().substr(0, 11) == "/socket.io/") return self->mount();
      if (self->parser_->content_length().value_or(0) > max_body) return self->close();
      self->parser_->body_limit(max_body);
      http::async_read(self->stream_, self->buffer_, *self->parser_, [self](beast::error_code e, std::size_t) {
        if (e) return self->close();
        self->answer(self->parser_->release());
      });
    });
  }

  /// Hands the request, what Beast read past its head, and the stream to sio.
  void mount() {
    const auto& req = parser_->get();
    sio::mounted_request head;
    head.method = std::string(req.method_string());
    head.target = std::string(req.target());
    head.version = req.version();
    for (const auto& field : req) head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    beast::error_code ec;
    auto remote = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      head.remote_address = remote.address().to_string();
      head.remote_port = remote.port();
    }
    head.secure = secure;
    std::string read_ahead = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    lowest().expires_never();  // sio keeps its own time from here
    app& a = app_;
    sio::async_serve(app_.mount, std::move(stream_), std::move(head), read_ahead, [&a](std::error_code e, Stream stream, std::string rest) {
      if (e == sio::mount_errc::upgraded) return;  // a WebSocket now, sio's
      if (e) {
        beast::error_code ignored;
        if (e == sio::mount_errc::close) beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      std::make_shared<session>(std::move(stream), a, rest)->run();
    });
  }

  void answer(http::request<http::string_body> req) {
    ++app_.served;
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req.version());
    res->set(http::field::server, "sio beast_mount");
    res->keep_alive(req.keep_alive());
    std::string target(req.target());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res->result(http::status::method_not_allowed);
      res->set(http::field::allow, "GET, HEAD");
    } else if (target == "/hello") {
      res->set(http::field::content_type, "text/plain");
      res->body() = "hello from Beast\n";
    } else if (target == "/count") {
      res->set(http::field::content_type, "text/plain");
      res->body() = std::to_string(app_.served.load());
    } else if (!serve_file(target, *res)) {
      res->result(http::status::not_found);
      res->set(http::field::content_type, "text/plain");
      res->body() = "not found\n";
    }
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();  // Content-Length stays
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) return self->close();
      self->read_head();
    });
  }

  /// Files under the public directory; no "..", nothing hidden.
  bool serve_file(std::string target, http::response<http::string_body>& res) {
    if (auto q = target.find('?'); q != std::string::npos) target.resize(q);
    if (target == "/") target = "/index.html";
    if (target.find("..") != std::string::npos || target.find("/.") != std::string::npos) return false;
    std::ifstream file(app_.public_dir + target, std::ios::binary);
    if (!file) return false;
    std::ostringstream content;
    content << file.rdbuf();
    res.set(http::field::content_type, mime_type(target));
    res.body() = content.str();
    return true;
  }

  // Without a TLS close_notify: the example's clients do not wait for one.
  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  Stream stream_;
  app& app_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, tcp::endpoint endpoint, app& a) : ioc_(ioc), acceptor_(net::make_strand(ioc)), app_(a) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void run() { accept(); }
  void close() {
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void accept() {
    // Each connection on a strand of its own: sio runs the stream's operations on its executor.
    acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec && self->app_.tls)
        std::make_shared<session<tls_stream>>(tls_stream(beast::tcp_stream(std::move(socket)), *self->app_.tls), self->app_)->start();
      else if (!ec)
        std::make_shared<session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), self->app_)->start();
      self->accept();
    });
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  app& app_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 3000;
  std::string public_dir = SIO_BEAST_MOUNT_PUBLIC_DIR;
  std::string tls_cert, tls_key;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--host")
      host = v;
    else if (a == "--port")
      port = static_cast<unsigned short>(std::stoi(v));
    else if (a == "--public")
      public_dir = v;
    else if (a == "--tls-cert")
      tls_cert = v;
    else if (a == "--tls-key")
      tls_key = v;
    else {
      std::cerr << "sio_beast_mount: unknown argument " << a << "\n";
      return 2;
    }
  }

  sio_side sio_server;
  net::io_context ioc;
  app a{sio_server.mount(), public_dir};
  std::optional<net::ssl::context> tls;
  if (!tls_cert.empty() || !tls_key.empty()) {
    tls.emplace(net::ssl::context::tls_server);
    tls->use_certificate_chain_file(tls_cert);
    tls->use_private_key_file(tls_key, net::ssl::context::pem);
    a.tls = &*tls;
  }
  auto server = std::make_shared<listener>(ioc, tcp::endpoint{net::ip::make_address(host), port}, a);
  server->run();
  std::cout << "listening " << server->port() << std::endl;

  // Beast's loop runs until sio has closed: with nothing of Beast's left to do it would return
  // early, and sio's shutdown, still running, would be cut short.
  auto until_sio_closed = net::make_work_guard(ioc);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    server->close();
    // Once sio is done (its last WebSocket closed through Beast's loop), Beast's loop stops too:
    // its idle keep-alive connections would keep it going.
    sio_server.close([&ioc] { net::post(ioc, [&ioc] { ioc.stop(); }); });
  });
  ioc.run();
  return 0;
}
