#pragma once
// sio's metrics: what a server has done since it started, read at once (io.metrics()) or in the
// Prometheus text format 0.0.4 (write_prometheus, and the opt-in `metrics_options::path`).
//
// Example:
//   asio::io_context ctx;
//   sio::server_options opts;
//   opts.metrics.enabled = true;                       // serves /metrics on the server's port
//   sio::server<> io{ctx, opts};
//   // ... later, from any thread:
//   sio::metrics_snapshot m = io.metrics();            // feed your own system
//   std::string text;
//   sio::write_prometheus(m, text);
//
// Labels are closed sets chosen by sio (transports, packet types, reasons, error codes): no
// namespace or event name appears, since clients choose those.
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sio/metrics_options.hpp"

namespace sio {

/// A histogram: `counts[i]` observations were <= `bounds[i]` (cumulative); `count` is all of
/// them (the +Inf bucket); `sum` their total, in seconds.
struct histogram_snapshot {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  std::uint64_t count = 0;
  double sum = 0;
};

/// A value per label value: `{label value, value}`, every value of the closed set present.
using labelled_values = std::vector<std::pair<std::string, double>>;

struct metrics_snapshot {
  // Engine.IO connections (sessions), by transport ("polling", "websocket").
  labelled_values connections_open;    ///< open now, by the transport in use
  labelled_values connections_total;   ///< opened, by the transport of the handshake
  std::uint64_t handshakes = 0;        ///< sessions opened
  std::uint64_t upgrades = 0;          ///< polling -> WebSocket upgrades completed
  std::uint64_t upgrade_failures = 0;  ///< upgrades begun and abandoned (timeout, bad probe, closed)
  /// Refused requests, by Engine.IO error code ("0".."5": unknown transport, unknown sid, bad
  /// handshake method, bad request, forbidden, unsupported protocol version).
  labelled_values connection_errors;
  /// Engine.IO sessions closed, by reason ("transport close", "ping timeout", ...).
  labelled_values engine_closes;
  /// Socket.IO sockets disconnected, by sio::disconnect_reason text.
  labelled_values disconnects;
  // Engine.IO packets and their bytes (as encoded, without transport framing), by packet type
  // ("open", "close", "ping", "pong", "message", "upgrade", "noop").
  labelled_values packets_in, bytes_in, packets_out, bytes_out;
  std::uint64_t broadcasts = 0;                          ///< broadcasts that reached a socket of this server
  std::uint64_t broadcast_deliveries = 0;                ///< the sockets they reached, in all
  histogram_snapshot ack_latency;                        ///< emit_with_ack to the client's answer, seconds
  std::uint64_t send_buffered_bytes = 0;                 ///< output waiting in every session's queue now
  std::uint64_t volatile_dropped = 0;                    ///< volatile packets a transport could not take
  std::uint64_t closed_max_buffered = 0;                 ///< sessions closed over max_buffered_bytes
  std::uint64_t shed_max_memory = 0;                     ///< sessions shed while over max_memory
  std::uint64_t namespaces = 0, rooms = 0, sockets = 0;  ///< now, on this server
  // Reserved for the Redis adapters (not fed yet: always 0, and not written by write_prometheus).
  std::uint64_t redis_links_up = 0;          ///< adapters whose Redis link is up now
  labelled_values redis_requests;            ///< requests to other servers, by outcome
  histogram_snapshot redis_request_latency;  ///< their answer time, seconds
};

namespace detail {

inline void prometheus_escape(std::string& out, std::string_view s, bool label) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && label)
      out += "\\\"";
    else
      out += c;
  }
}

inline void prometheus_number(std::string& out, double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%.17g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

inline void prometheus_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).push_back(' ');
  prometheus_escape(out, help, false);
  out.append("\n# TYPE ").append(name).push_back(' ');
  out.append(type).push_back('\n');
}

inline void prometheus_sample(std::string& out, std::string_view name, std::string_view label, std::string_view value_of_label, double v) {
  out.append(name);
  if (!label.empty()) {
    out.append("{").append(label).append("=\"");
    prometheus_escape(out, value_of_label, true);
    out.append("\"}");
  }
  out.push_back(' ');
  prometheus_number(out, v);
  out.push_back('\n');
}

inline void prometheus_scalar(std::string& out, std::string_view name, std::string_view type, std::string_view help, double v) {
  prometheus_family(out, name, type, help);
  prometheus_sample(out, name, {}, {}, v);
}

inline void prometheus_labelled(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                                std::string_view label, const labelled_values& values) {
  prometheus_family(out, name, type, help);
  for (const auto& [l, v] : values) prometheus_sample(out, name, label, l, v);
}

inline void prometheus_histogram(std::string& out, const std::string& name, std::string_view help, const histogram_snapshot& h) {
  prometheus_family(out, name, "histogram", help);
  std::string bucket = name + "_bucket";
  for (std::size_t i = 0; i < h.bounds.size() && i < h.counts.size(); ++i) {
    std::string le;
    prometheus_number(le, h.bounds[i]);
    prometheus_sample(out, bucket, "le", le, static_cast<double>(h.counts[i]));
  }
  prometheus_sample(out, bucket, "le", "+Inf", static_cast<double>(h.count));
  prometheus_sample(out, name + "_sum", {}, {}, h.sum);
  prometheus_sample(out, name + "_count", {}, {}, static_cast<double>(h.count));
}

}  // namespace detail

/// Appends `m` to `out` in the Prometheus text format 0.0.4 (serve it as
/// `text/plain; version=0.0.4; charset=utf-8`). Every family has HELP and TYPE; counters end in
/// _total; the last line ends with '\n'.
inline void write_prometheus(const metrics_snapshot& m, std::string& out) {
  using namespace detail;
  auto u = [](std::uint64_t v) { return static_cast<double>(v); };
  prometheus_labelled(out, "sio_engine_connections", "gauge", "Engine.IO connections open now, by transport in use.", "transport",
                      m.connections_open);
  prometheus_labelled(out, "sio_engine_connections_total", "counter", "Engine.IO connections opened, by handshake transport.", "transport",
                      m.connections_total);
  prometheus_scalar(out, "sio_engine_handshakes_total", "counter", "Engine.IO handshakes completed (sessions opened).", u(m.handshakes));
  prometheus_scalar(out, "sio_engine_upgrades_total", "counter", "Upgrades from polling to WebSocket completed.", u(m.upgrades));
  prometheus_scalar(out, "sio_engine_upgrade_failures_total", "counter", "Upgrades begun and abandoned.", u(m.upgrade_failures));
  prometheus_labelled(out, "sio_engine_connection_errors_total", "counter",
                      "Requests refused, by Engine.IO error code (0 unknown transport, 1 unknown sid, 2 bad handshake method, "
                      "3 bad request, 4 forbidden, 5 unsupported protocol version).",
                      "code", m.connection_errors);
  prometheus_labelled(out, "sio_engine_closes_total", "counter", "Engine.IO sessions closed, by reason.", "reason", m.engine_closes);
  prometheus_labelled(out, "sio_disconnects_total", "counter", "Socket.IO sockets disconnected, by reason.", "reason", m.disconnects);
  prometheus_labelled(out, "sio_engine_packets_received_total", "counter", "Engine.IO packets received, by packet type.", "type",
                      m.packets_in);
  prometheus_labelled(out, "sio_engine_received_bytes_total", "counter", "Bytes of the Engine.IO packets received, by packet type.", "type",
                      m.bytes_in);
  prometheus_labelled(out, "sio_engine_packets_sent_total", "counter", "Engine.IO packets queued to send, by packet type.", "type",
                      m.packets_out);
  prometheus_labelled(out, "sio_engine_sent_bytes_total", "counter", "Bytes of the Engine.IO packets queued to send, by packet type.",
                      "type", m.bytes_out);
  prometheus_scalar(out, "sio_broadcasts_total", "counter", "Broadcasts that reached at least one socket of this server.", u(m.broadcasts));
  prometheus_scalar(out, "sio_broadcast_deliveries_total", "counter", "Sockets the broadcasts reached, in all.", u(m.broadcast_deliveries));
  prometheus_histogram(out, "sio_ack_latency_seconds", "Time from emit_with_ack to the client's acknowledgement.", m.ack_latency);
  prometheus_scalar(out, "sio_send_buffered_bytes", "gauge", "Output waiting in the sessions' send queues now.", u(m.send_buffered_bytes));
  prometheus_scalar(out, "sio_volatile_dropped_total", "counter", "Volatile packets dropped: the transport could not take them.",
                    u(m.volatile_dropped));
  prometheus_scalar(out, "sio_slow_consumer_closed_total", "counter", "Sessions closed for going over max_buffered_bytes.",
                    u(m.closed_max_buffered));
  prometheus_scalar(out, "sio_slow_consumer_shed_total", "counter", "Sessions shed while the server was over max_memory.",
                    u(m.shed_max_memory));
  prometheus_scalar(out, "sio_namespaces", "gauge", "Namespaces on this server.", u(m.namespaces));
  prometheus_scalar(out, "sio_rooms", "gauge", "Rooms in the local adapters (each socket's own room included).", u(m.rooms));
  prometheus_scalar(out, "sio_sockets", "gauge", "Socket.IO sockets connected to this server.", u(m.sockets));
}

}  // namespace sio
