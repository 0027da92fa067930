#pragma once
// What a subscribed connection hears without asking: a published message, or the server ending a
// shard subscription on its own (redis-wire.md §7.2: the slot moved to another node; SSUBSCRIBE
// again where it now lives).
#include <string>

namespace sio::redis {

struct message {
  enum class type {
    message,       ///< PUBLISH to a channel subscribed with SUBSCRIBE
    pmessage,      ///< PUBLISH to a channel matching a PSUBSCRIBE pattern (`pattern` is set)
    smessage,      ///< SPUBLISH to a shard channel subscribed with SSUBSCRIBE
    sunsubscribe,  ///< the server dropped the shard subscription to `channel` (no payload)
  };
  type kind = type::message;
  std::string pattern;
  std::string channel;
  std::string payload;
};

}  // namespace sio::redis
