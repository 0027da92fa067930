#pragma once
// The errors of sio's Redis client, as std::error_code (category "sio.redis").
#include <string>
#include <system_error>
#include <type_traits>

namespace sio::redis {

enum class errc {
  connection_lost = 1,  ///< the link dropped with the command sent and its reply not yet read
  closed,               ///< connection::close() was called, or the link is down and reconnect is off
  write_queue_full,     ///< the command would put the bytes waiting to be written over options::max_write_queue_bytes
  too_many_pending,     ///< options::max_pending_commands commands already wait for their replies
  reply_too_large,      ///< a reply grew over options::max_reply_bytes: the link was dropped
  protocol_error,       ///< the server sent what is not RESP2 (or a reply nobody asked for): the link was dropped
  auth_failed,          ///< the server refused AUTH
  select_failed,        ///< the server refused SELECT
  resubscribe_failed,   ///< the server refused a (P|S)SUBSCRIBE renewing a subscription after a reconnect
  connect_timeout,      ///< resolving, connecting and the TLS handshake took over options::connect_timeout
  invalid_command,      ///< no arguments, or (P|S)UNSUBSCRIBE with no channel
};

class error_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "sio.redis"; }
  std::string message(int e) const override {
    switch (static_cast<errc>(e)) {
      case errc::connection_lost: return "the connection to Redis was lost before the reply";
      case errc::closed: return "the Redis connection is closed";
      case errc::write_queue_full: return "too many bytes wait to be written to Redis (max_write_queue_bytes)";
      case errc::too_many_pending: return "too many Redis commands wait for their replies (max_pending_commands)";
      case errc::reply_too_large: return "a Redis reply is larger than max_reply_bytes";
      case errc::protocol_error: return "Redis protocol error";
      case errc::auth_failed: return "Redis refused AUTH";
      case errc::select_failed: return "Redis refused SELECT";
      case errc::resubscribe_failed: return "Redis refused to renew a subscription";
      case errc::connect_timeout: return "connecting to Redis timed out (connect_timeout)";
      case errc::invalid_command: return "invalid Redis command";
    }
    return "unknown sio.redis error";
  }
};

inline const std::error_category& error_category() noexcept {
  static const error_category_impl category;
  return category;
}
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace sio::redis

template <>
struct std::is_error_code_enum<sio::redis::errc> : std::true_type {};
