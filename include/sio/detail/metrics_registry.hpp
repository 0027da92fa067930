#pragma once
// sio::detail::metrics_registry: the counters behind sio/metrics.hpp. Made only when
// server_options::metrics.enabled; every hook is `if (registry) ...`, so a server without metrics
// pays one null test per event.
//
// Counters are relaxed atomics in a few shards, each on its own cache lines: a thread keeps to one
// shard, so threads that deliver a broadcast at the same time do not fight over one line. A read
// sums the shards (a scrape is rare; an increment is not). Gauges are counters that also go down.
// Every index is a closed set chosen by sio, never a value from a client.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace sio::detail {

/// Upper bounds (seconds) of the latency histograms' buckets; a last bucket takes the rest (+Inf).
inline constexpr std::array<double, 14> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class metrics_registry {
 public:
  static constexpr std::size_t transports = 2;           ///< polling, websocket
  static constexpr std::size_t packet_types = 7;         ///< engine packet types '0'..'6'
  static constexpr std::size_t request_errors = 6;       ///< engine::request_error 0..5
  static constexpr std::size_t close_reasons = 6;        ///< engine::close_reason
  static constexpr std::size_t disconnect_reasons = 10;  ///< sio::disconnect_reason
  static constexpr std::size_t buckets = latency_bounds.size() + 1;
  static constexpr std::size_t redis_outcomes = 2;  ///< answered, timed out

  // The layout of one shard: an index per counter.
  enum index : std::size_t {
    connections_open = 0,                               // [transport]
    connections_total = connections_open + transports,  // [transport]
    handshakes = connections_total + transports,
    upgrades,
    upgrade_failures,
    connection_errors,                                   // [request_error]
    engine_closes = connection_errors + request_errors,  // [close_reason]
    disconnects = engine_closes + close_reasons,         // [disconnect_reason]
    packets_in = disconnects + disconnect_reasons,       // [packet type]
    bytes_in = packets_in + packet_types,
    packets_out = bytes_in + packet_types,
    bytes_out = packets_out + packet_types,
    broadcasts = bytes_out + packet_types,
    broadcast_deliveries,
    volatile_dropped,
    closed_max_buffered,
    shed_max_memory,
    ack_buckets,  // [bucket], not cumulative
    ack_sum_ns = ack_buckets + buckets,
    redis_links_up,
    redis_requests,                                   // [outcome]
    redis_buckets = redis_requests + redis_outcomes,  // [bucket]
    redis_sum_ns = redis_buckets + buckets,
    size
  };

  metrics_registry() noexcept {
    for (auto& s : shards_)
      for (auto& v : s.values) v.store(0, std::memory_order_relaxed);
  }

  void add(std::size_t i, std::int64_t n = 1) noexcept { mine().values[i].fetch_add(n, std::memory_order_relaxed); }
  std::int64_t read(std::size_t i) const noexcept {
    std::int64_t total = 0;
    for (const auto& s : shards_) total += s.values[i].load(std::memory_order_relaxed);
    return total;
  }

  // ---- the hooks -----------------------------------------------------------------------------
  void opened(std::size_t transport) noexcept {
    add(handshakes);
    add(connections_total + transport);
    add(connections_open + transport);
  }
  void upgraded() noexcept {
    add(upgrades);
    add(connections_open + 0, -1);
    add(connections_open + 1);
  }
  void closed(std::size_t transport, std::size_t reason) noexcept {
    add(connections_open + transport, -1);
    add(engine_closes + reason);
  }
  /// A packet of engine type `type` ('0'..'6'), `bytes` long as encoded (type character included).
  void packet_in(char type, std::size_t bytes) noexcept { traffic(packets_in, bytes_in, type, bytes); }
  void packet_out(char type, std::size_t bytes) noexcept { traffic(packets_out, bytes_out, type, bytes); }
  void broadcast(std::size_t deliveries) noexcept {
    add(broadcasts);
    add(broadcast_deliveries, static_cast<std::int64_t>(deliveries));
  }
  void ack_latency(std::chrono::steady_clock::duration d) noexcept { observe(ack_buckets, ack_sum_ns, d); }
  void redis_request(std::chrono::steady_clock::duration d, bool answered) noexcept {
    add(redis_requests + (answered ? 0 : 1));
    observe(redis_buckets, redis_sum_ns, d);
  }

 private:
  struct alignas(64) shard {
    std::array<std::atomic<std::int64_t>, size> values;
  };
  static constexpr std::size_t shard_count = 8;

  shard& mine() noexcept {
    static std::atomic<unsigned> next{0};
    thread_local const unsigned n = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
    return shards_[n];
  }
  void traffic(std::size_t packets, std::size_t bytes, char type, std::size_t size) noexcept {
    std::size_t t = static_cast<unsigned char>(type - '0');
    if (t >= packet_types) return;
    shard& s = mine();
    s.values[packets + t].fetch_add(1, std::memory_order_relaxed);
    s.values[bytes + t].fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
  }
  void observe(std::size_t first_bucket, std::size_t sum, std::chrono::steady_clock::duration d) noexcept {
    double seconds = std::chrono::duration<double>(d).count();
    std::size_t b = 0;
    while (b < latency_bounds.size() && seconds > latency_bounds[b]) ++b;
    shard& s = mine();
    s.values[first_bucket + b].fetch_add(1, std::memory_order_relaxed);
    s.values[sum].fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), std::memory_order_relaxed);
  }

  std::array<shard, shard_count> shards_;
};

/// `fn`, observing the time until it is called without an error (an ack's round trip) when
/// `m` is set. Fn: a callable taking (std::error_code, Args).
template <class Fn>
Fn timed_ack(metrics_registry* m, Fn fn) {
  if (!m) return fn;
  return [m, fn = std::move(fn), start = std::chrono::steady_clock::now()](auto ec, auto args) mutable {
    if (!ec) m->ack_latency(std::chrono::steady_clock::now() - start);
    fn(ec, std::move(args));
  };
}

}  // namespace sio::detail
