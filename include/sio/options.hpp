#pragma once
// Socket.IO server options: the engine's, plus the Socket.IO layer's, with the JavaScript
// server's defaults.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "sio/engine/options.hpp"

namespace sio {

struct cors_options {
  /// Allowed origins; "*" allows any. Empty: no CORS headers at all (the JavaScript default).
  std::vector<std::string> origins;
  /// Decides per origin instead of the list when set.
  std::function<bool(const std::string& origin)> allow_origin;
  bool credentials = false;
  std::string methods = "GET,HEAD,PUT,PATCH,POST,DELETE";
  std::string allowed_headers;  ///< empty: echo Access-Control-Request-Headers
  bool enabled() const noexcept { return !origins.empty() || allow_origin; }
};

struct server_options : engine::options {
  server_options() { path = "/socket.io/"; }
  /// Time a client has to connect to a namespace after the Engine.IO handshake.
  std::chrono::milliseconds connect_timeout{45000};
  /// Directory holding socket.io.js & co. (e.g. node_modules/socket.io-client/dist); empty: not served.
  std::string serve_client_dir;
  /// ETag of the served client files; the reference uses its own version.
  std::string client_version = "4.8.1";
  cors_options cors;
  /// Binary attachments per packet (socket.io-parser's maxAttachments).
  std::size_t max_attachments = 10;
  /// Remove a dynamically created namespace when its last socket leaves.
  bool cleanup_empty_child_namespaces = false;
};

}  // namespace sio
