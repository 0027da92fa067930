#pragma once
// The seam by which the user's own HTTP server hands requests to sio, as socket.io mounts on
// Node's http.Server. This header includes no Asio: sio runs on standalone Asio, and a server on
// Boost.Asio (Beast) cannot include both in one translation unit (Asio 1.22 and Boost 1.74
// define the same global names). So the seam is two halves:
//
//   sio's half, where sio is included (sio/mount.hpp):
//     sio::mount_point mount = sio::make_mount_point(io);      // copyable, thread-safe
//   the HTTP server's half, where its requests are read:
//     sio::async_serve(mount, std::move(stream), head, read_ahead, token);
//       with <sio/mount.hpp> for a stream of standalone Asio, or <sio/mount_boost.hpp> for one of
//       Boost.Asio or Beast (beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>).
//
// async_serve hands sio a request the server has read: its head (mounted_request), the bytes the
// server read past the head (the start of the body, or of the next request), and the stream. sio
// answers a long-polling GET or POST and gives the stream back for the next request, or, for a
// WebSocket upgrade, keeps the stream and runs the WebSocket on it.
//
// Completion signature: void(std::error_code ec, Stream stream, std::string read_ahead), through
// the token's executor (never inside async_serve).
//   ec == {}                     answered; the connection is the caller's again: `read_ahead` holds
//                                what the peer sent after the request (the next request's start).
//   ec == mount_errc::close      answered (or refused) with `Connection: close`: close `stream`.
//   ec == mount_errc::upgraded   the stream is a WebSocket now, sio's to keep; `stream` is a
//                                moved-from object, only to be destroyed.
//   otherwise                    the stream failed, or timed out (std::errc::timed_out).
//
// The stream: sio runs its operations on the stream's executor (if that executor's io_context
// runs on several threads, make it a strand, as Beast requires anyway). Clear the stream's own
// timeouts (beast::tcp_stream::expires_never) first: a WebSocket stays open, and a long-polling
// GET is held for up to pingInterval.
//
// Limits (SECURITY.md): the request's body is bounded like any other (http_limits,
// max_payload); the peer has http_idle_timeout to send the rest of the request and as long to read
// the answer; a WebSocket has the limits it has on sio's own listener. Accepting connections, and
// so the connection limits and trusted proxies, stays the user's server's job: `remote_address` is
// the address sio reports (fill it in after your own proxy handling).
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace sio {

/// How a mounted request ended, when the caller does not get the connection back as it was.
enum class mount_errc {
  upgraded = 1,  ///< the stream is sio's: a WebSocket
  close = 2,     ///< sio's answer ends the connection
};

inline const std::error_category& mount_category() noexcept {
  struct category final : std::error_category {
    const char* name() const noexcept override { return "sio.mount"; }
    std::string message(int value) const override {
      switch (static_cast<mount_errc>(value)) {
        case mount_errc::upgraded: return "the connection is a WebSocket now, owned by sio";
        case mount_errc::close: return "the answer ends the connection";
      }
      return "unknown";
    }
  };
  static const category instance;
  return instance;
}
inline std::error_code make_error_code(mount_errc e) noexcept { return {static_cast<int>(e), mount_category()}; }

}  // namespace sio

template <>
struct std::is_error_code_enum<sio::mount_errc> : std::true_type {};

namespace sio {

/// A request head as the user's server read it.
struct mounted_request {
  std::string method;     ///< e.g. "GET"
  std::string target;     ///< e.g. "/socket.io/?EIO=4&transport=polling"
  unsigned version = 11;  ///< 10 for HTTP/1.0, 11 for HTTP/1.1 (Beast's numbering)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string remote_address;  ///< the client, as sio reports it (the handshake's address)
  unsigned short remote_port = 0;
  bool secure = false;  ///< it came over TLS
};

namespace detail {

/// A move-only callable (what an Asio stream's completion holds need not be copyable).
template <class Signature>
class unique_function;
template <class R, class... A>
class unique_function<R(A...)> {
 public:
  unique_function() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_function>>>
  unique_function(F f) : impl_(std::make_unique<model<F>>(std::move(f))) {}
  explicit operator bool() const noexcept { return impl_ != nullptr; }
  R operator()(A... args) { return impl_->call(std::forward<A>(args)...); }

 private:
  struct concept_ {
    virtual ~concept_() = default;
    virtual R call(A... args) = 0;
  };
  template <class F>
  struct model final : concept_ {
    explicit model(F fn) : f(std::move(fn)) {}
    R call(A... args) override { return f(std::forward<A>(args)...); }
    F f;
  };
  std::unique_ptr<concept_> impl_;
};

}  // namespace detail

/// The user's stream, seen through what sio needs of it (async_serve makes one). Each call may come
/// from any thread; `done` may run on any thread.
class mount_stream {
 public:
  using completion = detail::unique_function<void(std::error_code, std::size_t)>;
  struct buffer {
    const void* data;
    std::size_t size;
  };
  virtual ~mount_stream() = default;
  virtual void read_some(void* data, std::size_t size, completion done) = 0;
  virtual void write_some(std::vector<buffer> buffers, completion done) = 0;
  /// Ends the connection; pending operations complete with errors.
  virtual void close() = 0;
  /// A new mount_stream that owns the stream from now on (this one keeps a moved-from stream).
  virtual std::shared_ptr<mount_stream> take() = 0;
};

/// sio's half of the seam: a server's way in for requests read elsewhere. Made by
/// sio::make_mount_point (sio/mount.hpp); copyable; any thread.
class mount_point {
 public:
  /// Runs once, on sio's side: the outcome as an error code (see the top of this header), and
  /// what the peer sent after the request.
  using finish_handler = std::function<void(std::error_code, std::string read_ahead)>;
  using serve_function = std::function<void(std::shared_ptr<mount_stream>, mounted_request, std::string_view, finish_handler)>;

  mount_point() = default;
  explicit mount_point(serve_function serve) : serve_(std::move(serve)) {}
  explicit operator bool() const noexcept { return static_cast<bool>(serve_); }

  void serve(std::shared_ptr<mount_stream> stream, mounted_request request, std::string_view read_ahead, finish_handler finish) const {
    serve_(std::move(stream), std::move(request), read_ahead, std::move(finish));
  }

 private:
  serve_function serve_;
};

namespace detail {

template <class S, class = void>
struct has_next_layer : std::false_type {};
template <class S>
struct has_next_layer<S, std::void_t<decltype(std::declval<S&>().next_layer())>> : std::true_type {};
template <class S, class = void>
struct has_socket : std::false_type {};
template <class S>
struct has_socket<S, std::void_t<decltype(std::declval<S&>().socket())>> : std::true_type {};

/// The socket under any layers (TLS: ssl::stream::next_layer(); Beast: basic_stream::socket()).
template <class S>
auto& lowest_layer_of(S& s) {
  if constexpr (has_next_layer<S>::value)
    return lowest_layer_of(s.next_layer());
  else if constexpr (has_socket<S>::value)
    return lowest_layer_of(s.socket());
  else
    return s;
}

/// A stream of one Asio flavour (`Net`: mount_net in sio/mount.hpp or sio/mount_boost.hpp) behind
/// mount_stream.
template <class Stream, class Net>
class mount_stream_of final : public mount_stream, public std::enable_shared_from_this<mount_stream_of<Stream, Net>> {
 public:
  explicit mount_stream_of(Stream s) : stream(std::move(s)) {}

  void read_some(void* data, std::size_t size, completion done) override {
    Net::dispatch(stream, [self = this->shared_from_this(), data, size, done = std::move(done)]() mutable {
      self->stream.async_read_some(typename Net::mutable_buffer(data, size),
                                   [done = std::move(done)](auto ec, std::size_t n) mutable { done(Net::to_std(ec), n); });
    });
  }
  void write_some(std::vector<buffer> buffers, completion done) override {
    std::vector<typename Net::const_buffer> list;
    list.reserve(buffers.size());
    for (const auto& b : buffers) list.emplace_back(b.data, b.size);
    Net::dispatch(stream, [self = this->shared_from_this(), list = std::move(list), done = std::move(done)]() mutable {
      self->stream.async_write_some(list, [done = std::move(done)](auto ec, std::size_t n) mutable { done(Net::to_std(ec), n); });
    });
  }
  void close() override {
    Net::dispatch(stream, [self = this->shared_from_this()] { Net::close(lowest_layer_of(self->stream)); });
  }
  std::shared_ptr<mount_stream> take() override { return std::make_shared<mount_stream_of>(std::move(stream)); }

  Stream stream;
};

}  // namespace detail

/// How sio reaches a stream of one Asio flavour: specialised by sio/mount.hpp (standalone Asio)
/// and sio/mount_boost.hpp (Boost.Asio). An incomplete type here means neither is included.
template <class Stream, class = void>
struct mount_net;

/// Hands a request that the user's server read to sio, with the stream (see the top of this
/// header). `read_ahead` is copied before async_serve returns. Thread safety: any thread.
template <class Stream, class CompletionToken>
auto async_serve(const mount_point& mount, Stream stream, mounted_request request, std::string_view read_ahead, CompletionToken&& token) {
  using Net = mount_net<Stream>;
  using signature = void(std::error_code, Stream, std::string);
  auto init = [mount, request = std::move(request), read_ahead = std::string(read_ahead)](auto handler, Stream stream) mutable {
    auto adapted = std::make_shared<detail::mount_stream_of<Stream, Net>>(std::move(stream));
    auto work = Net::track(handler, adapted->stream);
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    mount.serve(adapted, std::move(request), read_ahead, [adapted, shared_handler, work](std::error_code ec, std::string rest) {
      Net::complete(work, [adapted, shared_handler, ec, rest = std::move(rest)]() mutable {
        (*shared_handler)(ec, std::move(adapted->stream), std::move(rest));
      });
    });
  };
  return Net::template initiate<signature>(std::move(init), std::forward<CompletionToken>(token), std::move(stream));
}

}  // namespace sio
