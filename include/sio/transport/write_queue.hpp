#pragma once
// The output of one connection: chunks waiting to be written, gathered into one system call, and
// what they cost in memory.
//
// Two sizes are kept. wire_bytes() is what the peer still has to receive; memory() is what the
// queue really holds: every chunk's bookkeeping and its owned bytes, and shared buffers (a
// broadcast's) in full, as if this connection alone held them. Bounds are checked against
// memory(): a 2-byte pong costs a chunk of about a hundred bytes, and a peer that makes the server
// queue pongs must pay for that.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/buffer.hpp>

#include "sio/transport/memory_budget.hpp"

namespace sio::transport {

class write_queue {
 public:
  /// One piece of output: an optional frame head, then owned bytes, then shared bytes.
  struct chunk {
    std::array<char, 10> head{};
    std::uint8_t head_size = 0;
    bool is_pong = false;  ///< a pong not yet written may be replaced by a newer one
    std::string owned;
    std::shared_ptr<const std::string> shared;

    std::size_t wire_size() const noexcept { return head_size + owned.size() + (shared ? shared->size() : 0); }
    std::size_t memory() const noexcept {
      // Short strings live inside the chunk (SSO); longer ones cost their capacity.
      std::size_t heap = owned.capacity() > sizeof(std::string) ? owned.capacity() : 0;
      return sizeof(chunk) + heap + (shared ? shared->size() : 0);
    }
  };

  /// How many chunks one write gathers at most.
  static constexpr std::size_t max_gather = 128;

  write_queue() = default;
  explicit write_queue(std::shared_ptr<memory_budget> budget) : budget_(std::move(budget)) {}
  write_queue(const write_queue&) = delete;
  write_queue& operator=(const write_queue&) = delete;
  ~write_queue() { clear(); }

  bool empty() const noexcept { return pending() == 0 && backlog_.empty(); }
  std::size_t wire_bytes() const noexcept { return wire_bytes_; }
  std::size_t memory() const noexcept { return memory_; }
  /// Whether a gathered write is waiting for its completion (see gather / complete).
  bool writing() const noexcept { return writing_; }

  /// Appends a chunk. While an asynchronous write reads from the queue, chunks wait in a backlog:
  /// the chunks being written must not move (their heads and short strings live inside them).
  void push(chunk c) {
    account(c, +1);
    (writing_ ? backlog_ : queue_).push_back(std::move(c));
  }

  /// Replaces the payload of a pong that is queued and not yet being written, so that a ping
  /// flood costs one pong (RFC 6455 §5.5.3 lets a server answer only the most recent ping).
  /// Returns false (and leaves `payload` alone) when there is no such pong.
  bool replace_unsent_pong(std::string& payload, std::uint8_t head_size, const std::array<char, 10>& head) {
    chunk* last = nullptr;
    if (!backlog_.empty()) {
      last = &backlog_.back();
    } else if (pending() > in_flight_) {
      std::size_t index = queue_.size() - 1;
      bool partly_written = index == head_ && front_written_ > 0;
      if (!partly_written) last = &queue_.back();
    }
    if (!last || !last->is_pong) return false;
    account(*last, -1);
    last->owned = std::move(payload);
    last->head = head;
    last->head_size = head_size;
    account(*last, +1);
    return true;
  }

  /// Fills `buffers` with up to max_gather pending chunks (less what of the first one is already
  /// written) and marks them as being written.
  void gather(std::vector<asio::const_buffer>& buffers) {
    buffers.clear();
    in_flight_ = 0;
    std::size_t skip = front_written_;
    auto add = [&buffers, &skip](const char* p, std::size_t n) {
      if (skip >= n) {
        skip -= n;
        return;
      }
      buffers.emplace_back(p + skip, n - skip);
      skip = 0;
    };
    for (std::size_t i = head_; i < queue_.size() && in_flight_ < max_gather; ++i, ++in_flight_) {
      const chunk& c = queue_[i];
      if (c.head_size) add(c.head.data(), c.head_size);
      if (!c.owned.empty()) add(c.owned.data(), c.owned.size());
      if (c.shared && !c.shared->empty()) add(c.shared->data(), c.shared->size());
    }
    writing_ = true;
  }

  /// `n` bytes of the gathered chunks were written synchronously: drops what is done. The write
  /// is over (writing() is false again); gather again for the rest.
  void consume(std::size_t n) {
    while (n > 0 && head_ < queue_.size()) {
      std::size_t rest = queue_[head_].wire_size() - front_written_;
      if (n < rest) {
        front_written_ += n;
        break;
      }
      n -= rest;
      pop_front();
    }
    end_write();
  }

  /// The asynchronous write of everything gathered completed.
  void complete() {
    for (std::size_t i = 0; i < in_flight_ && head_ < queue_.size(); ++i) pop_front();
    end_write();
  }

  /// Drops everything (the connection is closed).
  void clear() {
    for (std::size_t i = head_; i < queue_.size(); ++i) account(queue_[i], -1);
    for (auto& c : backlog_) account(c, -1);
    std::vector<chunk>{}.swap(queue_);
    std::vector<chunk>{}.swap(backlog_);
    head_ = in_flight_ = front_written_ = 0;
    writing_ = false;
  }

 private:
  std::size_t pending() const noexcept { return queue_.size() - head_; }

  void pop_front() {
    account(queue_[head_], -1);
    queue_[head_] = chunk{};  // releases its bytes now
    ++head_;
    front_written_ = 0;
  }

  void end_write() {
    writing_ = false;
    in_flight_ = 0;
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
      queue_.swap(backlog_);
    } else {
      if (head_ > queue_.size() / 2) {
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
      for (auto& c : backlog_) queue_.push_back(std::move(c));
      backlog_.clear();
    }
    // Most connections are idle most of the time (100k idle connections): a queue that grew for a
    // burst gives its storage back; two chunks' worth stay so that steady traffic allocates nothing.
    if (queue_.empty() && queue_.capacity() > 2) std::vector<chunk>{}.swap(queue_);
    if (backlog_.capacity() > 0 && backlog_.empty()) std::vector<chunk>{}.swap(backlog_);
  }

  void account(const chunk& c, int sign) noexcept {
    if (sign > 0) {
      wire_bytes_ += c.wire_size();
      memory_ += c.memory();
    } else {
      wire_bytes_ -= c.wire_size();
      memory_ -= c.memory();
    }
    publish();
  }

  /// Tells the server-wide budget in steps of budget_step, or when the queue empties: a
  /// connection that keeps up never touches the shared counter.
  void publish() noexcept {
    if (!budget_) return;
    bool moved = memory_ > published_ + budget_step || memory_ + budget_step < published_;
    if (!moved && !(memory_ == 0 && published_ != 0)) return;
    if (memory_ > published_)
      budget_->add(memory_ - published_);
    else
      budget_->remove(published_ - memory_);
    published_ = memory_;
  }

  static constexpr std::size_t budget_step = 16 * 1024;

  std::shared_ptr<memory_budget> budget_;
  // A vector drained through head_, not a deque: an empty std::deque still holds a 512-byte
  // block, and erasing from a vector's front per write would be O(n) for a long queue.
  std::vector<chunk> queue_;
  std::vector<chunk> backlog_;  ///< pushed while an asynchronous write runs
  std::size_t head_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t front_written_ = 0;  ///< bytes of queue_[head_] already written
  std::size_t wire_bytes_ = 0;
  std::size_t memory_ = 0;
  std::size_t published_ = 0;  ///< the part of memory_ the budget knows of
  bool writing_ = false;
};

}  // namespace sio::transport
