#pragma once
// RFC 6455 for sio's server connections, on websocketpp's protocol processor (hybi13): incoming
// frames (masking, fragmentation, UTF-8 of text, control-frame rules, the size limit), the
// close-frame payload rules, the Sec-WebSocket-Accept digest. The connection (connection.hpp)
// owns the socket, writes its own unmasked frames and runs the opening and closing handshakes.
//
// Why not websocketpp::connection: its state machine re-parses the request that sio has already
// parsed, keeps it in std::maps, and formats log lines into std::stringstreams even with logging
// compiled out. That was half of the server's work per new connection and ~3.5 KiB of every idle
// one (bench/: 195k -> ~95k instructions per connection). The only header that includes websocketpp.
#include "sio/detail/dependency_warnings_push.hpp"
#include <websocketpp/base64/base64.hpp>
#include <websocketpp/close.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/frame.hpp>
#include <websocketpp/processors/hybi13.hpp>
#include <websocketpp/sha1/sha1.hpp>
#include "sio/detail/dependency_warnings_pop.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "sio/transport/http_message.hpp"

namespace sio::transport {

/// websocketpp's policy bundle; the processor uses only its message, buffer and size types.
/// No extensions: permessage-deflate is not offered.
struct wspp_config : websocketpp::config::core {
  using type = wspp_config;
  static const bool enable_extensions = false;
};

/// One server-side WebSocket's incoming protocol state.
class websocket_codec {
 public:
  enum class frame_kind { text, binary, ping, pong, close };

  explicit websocket_codec(std::size_t max_message_size) : processor_(false, true, messages(), rng()) {
    processor_.set_max_message_size(max_message_size);
  }

  /// Feeds received bytes (unmasked in place). Calls `on_frame(kind, std::string&& payload)` for
  /// every complete message and control frame, in order, until it returns false. Returns 0, or on
  /// a protocol violation the close code to fail the connection with (1002, 1007, 1009); nothing
  /// can be fed after that.
  template <class OnFrame>
  std::uint16_t consume(char* data, std::size_t size, OnFrame&& on_frame) {
    auto* p = reinterpret_cast<std::uint8_t*>(data);
    while (size > 0 || processor_.ready()) {
      std::error_code ec;
      std::size_t used = processor_.consume(p, size, ec);
      if (ec) return static_cast<std::uint16_t>(websocketpp::processor::error::to_ws(ec));
      p += used;
      size -= used;
      if (!processor_.ready()) break;  // everything taken, the frame is incomplete
      auto msg = processor_.get_message();
      if (!on_frame(kind_of(msg->get_opcode()), std::move(msg->get_raw_payload()))) return 0;
    }
    return 0;
  }

  /// A received close frame's payload: false if the code or the reason is invalid (fail with 1002).
  static bool parse_close(const std::string& payload, std::uint16_t& code, std::string& reason) {
    std::error_code ec;
    code = static_cast<std::uint16_t>(websocketpp::close::extract_code(payload, ec));
    if (ec) return false;
    reason = websocketpp::close::extract_reason(payload, ec);
    return !ec;
  }

  /// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
  static std::string accept_key(std::string_view key) {
    std::string input{key};
    input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[20];
    websocketpp::sha1::calc(input.data(), input.size(), digest);
    return websocketpp::base64_encode(digest, sizeof digest);
  }

  /// What is wrong with an upgrade request, as the reference server (ws) words it; empty if
  /// nothing. Anything but GET has been refused before (405).
  static std::string_view handshake_error(const http_request& req) {
    std::string_view key = req.headers.get("Sec-WebSocket-Key");
    bool key_ok = key.size() == 24 && key[22] == '=' && key[23] == '=';
    for (std::size_t i = 0; key_ok && i < 22; ++i) {
      char c = key[i];
      key_ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    }
    if (!key_ok) return "Missing or invalid Sec-WebSocket-Key header";
    std::string_view version = req.headers.get("Sec-WebSocket-Version");
    if (version != "13" && version != "8") return "Missing or invalid Sec-WebSocket-Version header";
    return {};
  }

 private:
  using processor_type = websocketpp::processor::hybi13<wspp_config>;
  using message_manager = wspp_config::con_msg_manager_type;

  static frame_kind kind_of(websocketpp::frame::opcode::value op) {
    switch (op) {
      case websocketpp::frame::opcode::binary: return frame_kind::binary;
      case websocketpp::frame::opcode::ping: return frame_kind::ping;
      case websocketpp::frame::opcode::pong: return frame_kind::pong;
      case websocketpp::frame::opcode::close: return frame_kind::close;
      default: return frame_kind::text;
    }
  }
  /// Message objects come from a manager that only allocates them: one serves every connection.
  static const std::shared_ptr<message_manager>& messages() {
    static const auto manager = std::make_shared<message_manager>();
    return manager;
  }
  /// Masking keys are only drawn by clients; the processor wants a generator all the same.
  static wspp_config::rng_type& rng() {
    static wspp_config::rng_type none;
    return none;
  }

  processor_type processor_;
};

}  // namespace sio::transport
