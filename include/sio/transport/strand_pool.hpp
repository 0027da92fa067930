#pragma once
// The strands connections and sessions run on, and the output each strand holds back.
//
// One strand per connection would cost a post whenever one connection's handler hands another
// data: a broadcast would post once per recipient. sio hands out a few strands instead, about one
// per thread that runs the io_context, so that a broadcast reaches the recipients on its own strand
// directly and those on each other strand with one post. What the code relies on still holds:
// the handlers of one connection or session never run concurrently.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

namespace sio::transport {

using strand_type = asio::strand<asio::io_context::executor_type>;

/// Output waiting for its strand's batch (see strand_slot::defer_write).
class deferred_writer {
 public:
  virtual ~deferred_writer() = default;
  /// Runs on the strand the writer was deferred on.
  virtual void write_deferred() = 0;
};

/// A strand, and the writes its connections put off.
///
/// Output that is not the answer to a connection's own input (broadcasts, emits from timers or
/// from other connections) is written once the event loop has polled for input at least once
/// more and a turn went by in which the strand deferred nothing new (at most four turns). A
/// burst aimed at one client, such as several broadcasts read one after the other, then leaves
/// in one system call; on loopback a sendmsg costs about as much as the rest of a delivery
/// (bench/, broadcast to 1k clients with two in flight: 0.9 -> 0.5 sendmsg per delivery).
class strand_slot : public std::enable_shared_from_this<strand_slot> {
 public:
  explicit strand_slot(strand_type strand) : strand_(std::move(strand)) {}

  const strand_type& strand() const noexcept { return strand_; }

  /// Call on the strand. `w->write_deferred()` runs in a later turn of the strand.
  void defer_write(std::shared_ptr<deferred_writer> w) {
    waiting_.push_back(std::move(w));
    fresh_ = true;
    if (scheduled_) return;
    scheduled_ = true;
    turns_ = 0;
    next_turn();
  }

 private:
  static constexpr int min_turns = 2;  // the first runs before the reactor's next poll
  static constexpr int max_turns = 4;

  void next_turn() {
    fresh_ = false;
    asio::post(strand_, [self = shared_from_this()] { self->on_turn(); });
  }

  void on_turn() {
    ++turns_;
    if (turns_ < min_turns || (fresh_ && turns_ < max_turns)) return next_turn();
    scheduled_ = false;
    batch_.swap(waiting_);
    for (auto& w : batch_) w->write_deferred();
    batch_.clear();
  }

  strand_type strand_;
  std::vector<std::shared_ptr<deferred_writer>> waiting_;
  std::vector<std::shared_ptr<deferred_writer>> batch_;
  bool scheduled_ = false;
  bool fresh_ = false;
  int turns_ = 0;
};

using strand_slot_ptr = std::shared_ptr<strand_slot>;

/// A fixed set of strand slots handed out in turn. Thread safety: any thread.
class strand_pool {
 public:
  /// `size` 0: one strand per hardware thread.
  strand_pool(asio::io_context& ctx, std::size_t size) {
    if (size == 0) size = (std::max)(1u, std::thread::hardware_concurrency());
    slots_.reserve(size);
    for (std::size_t i = 0; i < size; ++i) slots_.push_back(std::make_shared<strand_slot>(asio::make_strand(ctx)));
  }

  const strand_slot_ptr& next() noexcept { return slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()]; }
  std::size_t size() const noexcept { return slots_.size(); }

 private:
  std::vector<strand_slot_ptr> slots_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace sio::transport
