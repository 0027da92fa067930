#pragma once
// sio::metrics_options: whether a server counts what it does, and where it shows it
// (server_options::metrics). The counters and the text format are in sio/metrics.hpp.
#include <functional>
#include <string>

#include "sio/transport/http_message.hpp"

namespace sio {

struct metrics_options {
  /// Off by default: then nothing is counted and `path` is not served (404).
  bool enabled = false;
  /// Where the Prometheus text format is served, on the server's own port; empty: not served
  /// (io.metrics() still works, e.g. when sio is mounted on the user's HTTP server).
  std::string path = "/metrics";
  /// Decides who may read `path`: returns 0 to answer, or the status to refuse with (401, 403,
  /// ...). Unset: everyone may. Called on a connection's strand: must not block. Example:
  ///   [](const sio::transport::http_request& r) { return r.headers.get("Authorization") == "Bearer s3cret" ? 0 : 401; }
  std::function<int(const transport::http_request&)> access;
};

}  // namespace sio
