#pragma once
// sio::async_serve (sio/mount_point.hpp) for streams of Boost.Asio, and so of Boost.Beast
// (beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>, boost::asio::ip::tcp::socket).
//
// Include it where the Beast server reads its requests, and sio/mount.hpp (with the rest of sio)
// in another translation unit: standalone Asio 1.22 and Boost.Asio 1.74 define the same global
// names and cannot share one. The sio side makes a sio::mount_point, which includes no Asio, and
// hands it over (examples/beast_mount). The two event loops stay separate; sio crosses from one
// to the other with a post. Boost.Asio's completion tokens work (a lambda, yield_context,
// use_awaitable); the completion's error code is a std::error_code all the same.
// Needs Boost 1.74 or newer; sio does not link it.
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/error_code.hpp>

#include "sio/mount_point.hpp"

namespace sio {

template <class Stream>
struct mount_net<Stream, std::enable_if_t<boost::asio::execution::is_executor<typename Stream::executor_type>::value>> {
  using mutable_buffer = boost::asio::mutable_buffer;
  using const_buffer = boost::asio::const_buffer;
  static std::error_code to_std(const boost::system::error_code& ec) { return ec; }
  template <class F>
  static void dispatch(Stream& s, F&& f) {
    boost::asio::dispatch(s.get_executor(), std::forward<F>(f));
  }
  template <class Signature, class Initiation, class Token, class... Args>
  static auto initiate(Initiation&& init, Token&& token, Args&&... args) {
    return boost::asio::async_initiate<Token, Signature>(std::forward<Initiation>(init), token, std::forward<Args>(args)...);
  }
  template <class Handler>
  static auto track(const Handler& h, Stream& s) {
    return boost::asio::prefer(boost::asio::get_associated_executor(h, s.get_executor()), boost::asio::execution::outstanding_work.tracked);
  }
  template <class Work, class F>
  static void complete(const Work& work, F&& f) {
    boost::asio::post(work, std::forward<F>(f));
  }
  template <class Socket>
  static void close(Socket& s) {
    boost::system::error_code ec;
    s.shutdown(boost::asio::socket_base::shutdown_both, ec);
    s.close(ec);
  }
};

}  // namespace sio
