#pragma once
// What the server knew about a client when its socket connected (socket.handshake in JavaScript).
#include <chrono>
#include <string>

#include "sio/transport/http_message.hpp"
#include "sio/value.hpp"

namespace sio {

struct handshake_info {
  transport::header_list headers;
  transport::query_params query;
  value auth;           ///< the CONNECT payload; an empty object when the client sent none
  std::string address;  ///< the client's IP address
  std::chrono::system_clock::time_point time;
  std::string url;       ///< the request target of the first Engine.IO request
  bool secure = false;   ///< TLS
  bool xdomain = false;  ///< an Origin header was present
  std::chrono::system_clock::time_point issued() const noexcept { return time; }
};

}  // namespace sio
