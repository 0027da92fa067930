#pragma once
// The output memory of a whole server: every connection's write queue and every session's
// polling queue add to it. When it is over its limit, volatile packets are dropped everywhere and
// the clients furthest behind are shed first (see engine::session's slow-consumer policy).
#include <atomic>
#include <cstddef>

namespace sio::transport {

class memory_budget {
 public:
  /// `limit` 0: no limit (the total is still counted).
  explicit memory_budget(std::size_t limit = 0) noexcept : limit_(limit) {}

  void add(std::size_t n) noexcept { used_.fetch_add(n, std::memory_order_relaxed); }
  void remove(std::size_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }
  bool exhausted() const noexcept { return limit_ != 0 && used() > limit_; }

 private:
  std::atomic<std::size_t> used_{0};
  const std::size_t limit_;
};

}  // namespace sio::transport
