#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): what is wrong with
// an upgrade request, in the words of the reference server (ws), and the Sec-WebSocket-Accept
// digest. The only header that includes websocketpp (its SHA-1 and base64). The connection
// (connection.hpp) writes the answer; frames are read by websocket_reader.hpp.
#include "sio/detail/dependency_warnings_push.hpp"
#include <websocketpp/base64/base64.hpp>
#include <websocketpp/sha1/sha1.hpp>
#include "sio/detail/dependency_warnings_pop.hpp"

#include <string>
#include <string_view>

#include "sio/transport/http_message.hpp"

namespace sio::transport::websocket_handshake {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
inline std::string accept_key(std::string_view key) {
  std::string input{key};
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[20];
  websocketpp::sha1::calc(input.data(), input.size(), digest);
  return websocketpp::base64_encode(digest, sizeof digest);
}

/// Why an upgrade request cannot be answered with a 101: the status and ws's words for it.
struct refusal {
  int status = 0;  ///< 0: nothing is wrong
  std::string_view message;
};

/// What is wrong with an upgrade request, checked in ws's order; status 0 if nothing.
inline refusal request_error(const http_request& req) {
  if (req.method != "GET") return {405, "Invalid HTTP method"};
  std::string_view key = req.headers.get("Sec-WebSocket-Key");
  bool key_ok = key.size() == 24 && key[22] == '=' && key[23] == '=';
  for (std::size_t i = 0; key_ok && i < 22; ++i) {
    char c = key[i];
    key_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  }
  if (!key_ok) return {400, "Missing or invalid Sec-WebSocket-Key header"};
  std::string_view version = req.headers.get("Sec-WebSocket-Version");
  if (version != "13" && version != "8") return {400, "Missing or invalid Sec-WebSocket-Version header"};
  return {};
}

}  // namespace sio::transport::websocket_handshake
