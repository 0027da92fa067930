#pragma once
// websocketpp, configured for sio: the WebSocket protocol engine (handshake, framing, masking,
// control frames, close handshake, UTF-8 checks) driven through a small transport policy of sio's
// own (below), so that sio owns the socket, the buffers and the strand. The only header that
// includes websocketpp.
#include "sio/detail/dependency_warnings_push.hpp"
#include <websocketpp/common/connection_hdl.hpp>
#include <websocketpp/common/memory.hpp>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/server.hpp>
#include <websocketpp/transport/base/connection.hpp>
#include <websocketpp/transport/base/endpoint.hpp>
#include <websocketpp/uri.hpp>
#include "sio/detail/dependency_warnings_pop.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace sio::transport {

namespace wspp_detail {

/// websocketpp's transport policy for sio: the bytes come from sio's own socket code (read_some)
/// and go back to it (the write handlers). The same contract as websocketpp's iostream transport,
/// which sio used before, without its per-read cost: that one formats a log line into a
/// std::stringstream on every async_read_at_least (even with logging compiled out) and copies
/// the read handler (a heap-allocated std::bind) twice per frame. Here handlers are moved.
using write_handler = std::function<std::error_code(websocketpp::connection_hdl, const char*, std::size_t)>;
using vector_write_handler =
    std::function<std::error_code(websocketpp::connection_hdl, const std::vector<websocketpp::transport::buffer>&)>;
using shutdown_handler = std::function<std::error_code(websocketpp::connection_hdl)>;

/// websocketpp asks for timers (handshake and pong timeouts); sio runs its own, so none is armed.
struct no_timer {
  void cancel() {}
};

template <class config>
class stream_connection : public websocketpp::lib::enable_shared_from_this<stream_connection<config>> {
 public:
  using type = stream_connection<config>;
  using ptr = websocketpp::lib::shared_ptr<type>;
  using timer_ptr = websocketpp::lib::shared_ptr<no_timer>;
  using alog_type = typename config::alog_type;
  using elog_type = typename config::elog_type;

  stream_connection(bool, const websocketpp::lib::shared_ptr<alog_type>&, const websocketpp::lib::shared_ptr<elog_type>&) {}

  ptr get_shared() { return type::shared_from_this(); }

  /// Feeds received bytes to the pending read; returns how many it took (0 when none is pending).
  std::size_t read_some(const char* data, std::size_t size) {
    if (!reading_) return 0;
    std::size_t n = (std::min)(size, len_ - cursor_);
    std::copy(data, data + n, buf_ + cursor_);
    cursor_ += n;
    if (cursor_ >= needed_) complete_read(std::error_code{});
    return n;
  }
  /// Reading straight into websocketpp's buffer instead of through read_some: whether a read is
  /// pending, where its bytes go and how many fit, and how many arrived there.
  bool read_pending() const noexcept { return reading_; }
  char* read_space() const noexcept { return buf_ + cursor_; }
  std::size_t read_space_size() const noexcept { return len_ - cursor_; }
  void bytes_read(std::size_t n) {
    cursor_ += n;
    if (cursor_ >= needed_) complete_read(std::error_code{});
  }
  /// The peer closed the stream.
  void eof() {
    if (reading_) complete_read(websocketpp::transport::error::make_error_code(websocketpp::transport::error::eof));
  }
  /// The stream broke.
  void fatal_error() {
    if (reading_) complete_read(websocketpp::transport::error::make_error_code(websocketpp::transport::error::pass_through));
  }

  void set_write_handler(write_handler h) { write_ = std::move(h); }
  void set_vector_write_handler(vector_write_handler h) { vector_write_ = std::move(h); }
  void set_shutdown_handler(shutdown_handler h) { shutdown_ = std::move(h); }

  bool is_secure() const { return false; }
  std::string get_remote_endpoint() const { return "sio"; }
  websocketpp::connection_hdl get_handle() const { return hdl_; }
  void set_uri(websocketpp::uri_ptr) {}
  timer_ptr set_timer(long, websocketpp::transport::timer_handler) { return timer_ptr(); }

 protected:
  void init(websocketpp::transport::init_handler handler) { handler(std::error_code{}); }

  void async_read_at_least(std::size_t num_bytes, char* buf, std::size_t len, websocketpp::transport::read_handler handler) {
    if (num_bytes > len) {
      return handler(websocketpp::transport::iostream::error::make_error_code(websocketpp::transport::iostream::error::invalid_num_bytes),
                     std::size_t{0});
    }
    if (reading_) {
      return handler(websocketpp::transport::iostream::error::make_error_code(websocketpp::transport::iostream::error::double_read),
                     std::size_t{0});
    }
    if (num_bytes == 0 || len == 0) return handler(std::error_code{}, std::size_t{0});
    buf_ = buf;
    len_ = len;
    needed_ = num_bytes;
    cursor_ = 0;
    read_handler_ = std::move(handler);
    reading_ = true;
  }

  void async_write(const char* buf, std::size_t len, websocketpp::transport::write_handler handler) {
    std::error_code ec;
    if (write_) {
      ec = write_(hdl_, buf, len);
    } else {
      ec = websocketpp::transport::iostream::error::make_error_code(websocketpp::transport::iostream::error::output_stream_required);
    }
    handler(ec);
  }

  void async_write(const std::vector<websocketpp::transport::buffer>& bufs, websocketpp::transport::write_handler handler) {
    std::error_code ec;
    if (vector_write_) {
      ec = vector_write_(hdl_, bufs);
    } else if (write_) {
      for (const auto& b : bufs) {
        ec = write_(hdl_, b.buf, b.len);
        if (ec) break;
      }
    } else {
      ec = websocketpp::transport::iostream::error::make_error_code(websocketpp::transport::iostream::error::output_stream_required);
    }
    handler(ec);
  }

  void set_handle(websocketpp::connection_hdl hdl) { hdl_ = std::move(hdl); }

  std::error_code dispatch(websocketpp::transport::dispatch_handler handler) {
    handler();
    return std::error_code{};
  }

  void async_shutdown(websocketpp::transport::shutdown_handler handler) {
    std::error_code ec;
    if (shutdown_) ec = shutdown_(hdl_);
    handler(ec);
  }

 private:
  void complete_read(const std::error_code& ec) {
    reading_ = false;
    auto handler = std::move(read_handler_);
    read_handler_ = nullptr;
    handler(ec, cursor_);
  }

  char* buf_ = nullptr;
  std::size_t len_ = 0;
  std::size_t needed_ = 0;
  std::size_t cursor_ = 0;
  bool reading_ = false;
  websocketpp::transport::read_handler read_handler_;
  websocketpp::connection_hdl hdl_;
  write_handler write_;
  vector_write_handler vector_write_;
  shutdown_handler shutdown_;
};

template <class config>
class stream_endpoint {
 public:
  using type = stream_endpoint;
  using ptr = websocketpp::lib::shared_ptr<type>;
  using concurrency_type = typename config::concurrency_type;
  using elog_type = typename config::elog_type;
  using alog_type = typename config::alog_type;
  using transport_con_type = stream_connection<config>;
  using transport_con_ptr = typename transport_con_type::ptr;

  bool is_secure() const { return false; }

 protected:
  void init_logging(websocketpp::lib::shared_ptr<alog_type>, websocketpp::lib::shared_ptr<elog_type>) {}
  std::error_code init(transport_con_ptr) { return std::error_code{}; }
};

}  // namespace wspp_detail

/// websocketpp policy bundle: no locking (each connection lives on one strand), no logging,
/// no extensions, and a small staging buffer (sio feeds bytes from its own read buffer).
struct wspp_config : websocketpp::config::core {
  using type = wspp_config;
  using base = websocketpp::config::core;
  using concurrency_type = websocketpp::concurrency::none;
  using elog_type = websocketpp::log::stub;
  using alog_type = websocketpp::log::stub;

  struct transport_config : base::transport_config {
    using concurrency_type = websocketpp::concurrency::none;
    using elog_type = websocketpp::log::stub;
    using alog_type = websocketpp::log::stub;
    static const bool enable_multithreading = false;
  };
  using transport_type = wspp_detail::stream_endpoint<transport_config>;

  static const bool enable_multithreading = false;
  // websocketpp keeps this buffer inside every connection, idle or not; sio hands it bytes from
  // its own read buffer, and a larger message is simply fed in several pieces. 512 bytes hold a
  // typical Socket.IO packet and save 1.5 KiB per connection over 2048 (14.25 -> 12.78 KiB per
  // idle connection at 10k, bench/); a 20 KB message costs 1 % more instructions.
  static const std::size_t connection_read_buffer_size = 512;
  static const bool enable_extensions = false;
  static const websocketpp::log::level elog_level = websocketpp::log::elevel::none;
  static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;
};

using wspp_server = websocketpp::server<wspp_config>;
using wspp_connection_ptr = wspp_server::connection_ptr;

}  // namespace sio::transport
