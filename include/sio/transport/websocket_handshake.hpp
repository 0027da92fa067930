#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 section 4.2): what is wrong with
// an upgrade request, in the words of the reference server (ws), and the Sec-WebSocket-Accept
// digest (SHA-1 from OpenSSL, which TLS links anyway; sio's own base64). The WebSocket
// connection (websocket_connection.hpp) writes the answer; frames are read by websocket_reader.hpp.
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "sio/detail/base64.hpp"
#include "sio/transport/http_message.hpp"

namespace sio::transport::websocket_handshake {

/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)).
/// Empty if OpenSSL cannot compute SHA-1 (out of memory, or a provider configuration without it);
/// the client then refuses the handshake, as RFC 6455 section 4.1 requires, and nothing throws.
inline std::string accept_key(std::string_view key) {
  std::string input{key};
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  std::string accept;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1 || digest_size != 20) return accept;
  sio::detail::base64_encode(std::string_view{reinterpret_cast<const char*>(digest), digest_size}, accept);
  return accept;
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

/// The answer to an upgrade request that cannot get a 101 (as ws gives it), or status 0.
inline http_response refusal_response(const http_request& req) {
  http_response res;
  refusal problem = request_error(req);
  res.status = problem.status;
  if (problem.status == 0) return res;
  res.headers.add("Content-Type", "text/html");
  res.body.assign(problem.message);
  if (problem.status == 400 && problem.message.find("Version") != std::string_view::npos) res.headers.add("Sec-WebSocket-Version", "13, 8");
  if (problem.status == 405) res.headers.add("Allow", "GET");  // RFC 9110 §15.5.6 (ws omits it)
  return res;
}

}  // namespace sio::transport::websocket_handshake
