#pragma once
// Incoming RFC 6455 frames on a server connection: masking, fragmentation, control-frame rules,
// UTF-8 of text messages and close reasons, and the message size limit, with the close codes the
// reference server (ws) uses for each violation. The connection (connection.hpp) owns the socket,
// writes its own unmasked frames and runs the opening and closing handshakes.
//
// Why not websocketpp's hybi13 processor, which sio used before: it unmasks and checks UTF-8 one
// byte at a time and allocates a message object per frame; on the benchmark's echo that was an
// eighth of the server's user-space instructions. This reader unmasks and checks eight bytes at a
// time and assembles a message straight into the string it hands over.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sio/detail/utf8.hpp"

namespace sio::transport {

class websocket_reader {
 public:
  enum class frame_kind { text, binary, ping, pong, close };

  /// Close codes for a violation, as ws sends them.
  static constexpr std::uint16_t protocol_error = 1002;
  static constexpr std::uint16_t invalid_data = 1007;  ///< text that is not UTF-8
  static constexpr std::uint16_t message_too_big = 1009;

  explicit websocket_reader(std::size_t max_message_size) : max_message_size_(max_message_size) {}

  /// Feeds received bytes (unmasked in place). Calls `on_frame(kind, std::string&& payload)` for
  /// every complete message and control frame, in order, until it returns false. Returns 0, or on
  /// a protocol violation the close code to fail the connection with; nothing can be fed after
  /// that. A close frame's payload has been checked (see parse_close).
  template <class OnFrame>
  std::uint16_t consume(char* data, std::size_t size, OnFrame&& on_frame) {
    auto* p = reinterpret_cast<std::uint8_t*>(data);
    while (size > 0) {
      if (!in_payload_) {
        std::size_t used = 0;
        if (std::uint16_t failure = read_header(p, size, used)) return failure;
        p += used;
        size -= used;
        if (!in_payload_) break;  // the header is incomplete
      } else {
        std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size));
        std::string& into = is_control(opcode_) ? control_ : message_;
        std::size_t offset = into.size();
        into.append(reinterpret_cast<const char*>(p), take);
        unmask(into.data() + offset, take);
        remaining_ -= take;
        p += take;
        size -= take;
      }
      if (in_payload_ && remaining_ == 0) {
        in_payload_ = false;
        bool go_on = true;
        if (std::uint16_t failure = finish_frame(on_frame, go_on)) return failure;
        if (!go_on) return 0;
      }
    }
    return 0;
  }

  /// A close frame's status code and reason; code 1005 (no status) for an empty payload.
  static void parse_close(std::string_view payload, std::uint16_t& code, std::string& reason) {
    if (payload.size() < 2) {
      code = 1005;
      reason.clear();
      return;
    }
    code = close_code(payload);
    reason.assign(payload.substr(2));
  }

 private:
  static bool is_control(std::uint8_t opcode) noexcept { return opcode >= 0x8; }
  /// The status code at the start of a close payload of at least two bytes.
  static std::uint16_t close_code(std::string_view payload) noexcept {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
  }

  /// Codes a peer may send (ws's isValidStatusCode).
  static bool is_valid_close_code(unsigned code) noexcept {
    return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) || (code >= 3000 && code <= 4999);
  }

  /// Parses a frame header, buffering it when it arrives in pieces. Checks come in ws's order so
  /// that a frame with several faults gets the same close code.
  std::uint16_t read_header(const std::uint8_t* p, std::size_t size, std::size_t& used) {
    const std::uint8_t* head = p;
    std::size_t have = size;
    if (head_size_ > 0 || size < 2) {
      // Gather into head_ until the whole header is there (at most 14 bytes).
      std::size_t want = head_size_ < 2 ? 2 : header_length(head_.data());
      while (head_size_ < want && used < size) {
        head_[head_size_++] = p[used++];
        if (head_size_ == 2) want = header_length(head_.data());
      }
      if (head_size_ < want) return 0;
      head = head_.data();
      have = head_size_;
    }
    const std::size_t length = header_length(head);
    if (have < length) {  // only possible when reading in place: start gathering
      std::memcpy(head_.data(), p, size);
      head_size_ = static_cast<std::uint8_t>(size);
      used = size;
      return 0;
    }
    if (head == p) used = length;
    head_size_ = 0;

    const std::uint8_t b0 = head[0], b1 = head[1];
    if (b0 & 0x30) return protocol_error;  // RSV2, RSV3: no extension defines them
    if (b0 & 0x40) return protocol_error;  // RSV1: permessage-deflate is not offered
    const bool fin = (b0 & 0x80) != 0;
    std::uint8_t opcode = b0 & 0x0F;
    std::uint64_t payload = b1 & 0x7F;
    if (opcode == 0x0) {
      if (message_opcode_ == 0) return protocol_error;  // a continuation of nothing
    } else if (opcode == 0x1 || opcode == 0x2) {
      if (message_opcode_ != 0) return protocol_error;  // a new message inside a fragmented one
    } else if (opcode >= 0x8 && opcode <= 0xA) {
      if (!fin) return protocol_error;  // control frames are never fragmented
      if (payload > 125 || (opcode == 0x8 && payload == 1)) return protocol_error;
    } else {
      return protocol_error;  // reserved opcode
    }
    if (!(b1 & 0x80)) return protocol_error;  // clients must mask
    std::size_t at = 2;
    if (payload == 126) {
      payload = (std::uint64_t{head[2]} << 8) | head[3];
      at = 4;
    } else if (payload == 127) {
      payload = 0;
      for (int k = 0; k < 8; ++k) payload = (payload << 8) | head[2 + k];
      at = 10;
      // RFC 6455 §5.2: the most significant bit MUST be 0. ws answers 1009 here (it only sees a
      // length too big); sio says what it is, a protocol error.
      if (payload >> 63) return protocol_error;
    }
    if (!is_control(opcode) && payload > 0) {
      // The message so far plus this frame; the subtraction cannot wrap (64-bit lengths are huge).
      if (payload > max_message_size_ || message_.size() > max_message_size_ - payload) return message_too_big;
    }
    std::memcpy(mask_.data(), head + at, 4);
    mask_phase_ = 0;
    fin_ = fin;
    opcode_ = opcode;
    if (opcode == 0x1 || opcode == 0x2) message_opcode_ = opcode;
    if (is_control(opcode)) control_.clear();
    // Room for the first frame of a message, but not more than a little on the peer's word:
    // what it announces and never sends must not cost memory. Later fragments grow the string
    // geometrically as they append.
    else if (message_.empty())
      message_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(payload, 64 * 1024)));
    remaining_ = payload;
    in_payload_ = true;
    return 0;
  }

  /// Bytes in the header that starts with these two bytes.
  static std::size_t header_length(const std::uint8_t* head) noexcept {
    const unsigned len7 = head[1] & 0x7F;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((head[1] & 0x80) ? 4 : 0);
  }

  /// XORs with the masking key, continuing where the previous piece of the frame stopped.
  void unmask(char* data, std::size_t size) noexcept {
    std::uint8_t key[4];
    for (int k = 0; k < 4; ++k) key[k] = mask_[(mask_phase_ + k) & 3];
    std::uint32_t key32;
    std::memcpy(&key32, key, 4);
    const std::uint64_t key64 = (std::uint64_t{key32} << 32) | key32;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, data + i, 8);
      word ^= key64;
      std::memcpy(data + i, &word, 8);
    }
    for (; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
    mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + size) & 3);
  }

  template <class OnFrame>
  std::uint16_t finish_frame(OnFrame& on_frame, bool& go_on) {
    switch (opcode_) {
      case 0x8: {
        if (control_.size() >= 2) {
          if (!is_valid_close_code(close_code(control_))) return protocol_error;
          if (!detail::is_valid_utf8(std::string_view(control_).substr(2))) return invalid_data;
        }
        go_on = on_frame(frame_kind::close, std::move(control_));
        return 0;
      }
      case 0x9: go_on = on_frame(frame_kind::ping, std::move(control_)); return 0;
      case 0xA: go_on = on_frame(frame_kind::pong, std::move(control_)); return 0;
      default: break;
    }
    if (!fin_) return 0;  // more fragments to come
    const bool text = message_opcode_ == 0x1;
    message_opcode_ = 0;
    if (text && !detail::is_valid_utf8(message_)) return invalid_data;
    std::string message = std::move(message_);
    message_.clear();  // moved-from: make it empty for certain
    go_on = on_frame(text ? frame_kind::text : frame_kind::binary, std::move(message));
    return 0;
  }

  std::size_t max_message_size_;
  std::string message_;                  ///< the data message being assembled
  std::string control_;                  ///< the control frame being read
  std::uint64_t remaining_ = 0;          ///< payload bytes of the current frame still to come
  std::array<std::uint8_t, 14> head_{};  ///< a header that arrived in pieces
  std::array<std::uint8_t, 4> mask_{};
  std::uint8_t head_size_ = 0;
  std::uint8_t mask_phase_ = 0;
  std::uint8_t opcode_ = 0;          ///< of the current frame
  std::uint8_t message_opcode_ = 0;  ///< 1 or 2 while a message is in progress, else 0
  bool fin_ = false;
  bool in_payload_ = false;
};

}  // namespace sio::transport
