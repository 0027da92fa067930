#pragma once
// The frames a session holds until its transport takes them: the long-polling queue, which a GET
// empties, and everything sent while an upgrade is under way. What it holds is counted (frame_cost)
// for the session's own bound and against the server-wide memory budget; the session's admission
// policy (session::admit) reads that figure. Every call is made on the session's strand.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sio/engine/packet.hpp"
#include "sio/engine/payload.hpp"
#include "sio/transport/memory_budget.hpp"

namespace sio::engine {

class send_queue {
 public:
  explicit send_queue(std::shared_ptr<transport::memory_budget> budget) : budget_(std::move(budget)) {}
  ~send_queue() {
    if (budget_ && memory_) budget_->remove(memory_);
  }
  send_queue(const send_queue&) = delete;
  send_queue& operator=(const send_queue&) = delete;

  /// What a queued frame costs in memory: its bytes, and the queue's bookkeeping for it.
  static std::size_t frame_cost(const frame& f) noexcept { return sizeof(frame) + 16 + (f.bytes ? f.bytes->size() : 0); }

  /// Queues a frame and counts it.
  void push(frame f) {
    std::size_t cost = frame_cost(f);
    memory_ += cost;
    if (budget_) budget_->add(cost);
    frames_.push_back(std::move(f));
  }
  /// Queues one of the engine's own packets (open, close): not counted, as the user's bound is
  /// about what the user sends.
  void push_uncounted(frame f) { frames_.push_back(std::move(f)); }
  /// Takes the last frame off the queue (a closing session's close packet); its count stays until
  /// the queue is emptied.
  frame pop_back() {
    frame f = std::move(frames_.back());
    frames_.pop_back();
    return f;
  }

  bool empty() const noexcept { return frames_.empty(); }
  std::size_t size() const noexcept { return frames_.size(); }
  /// What the queued frames cost now (frame_cost), also counted in the budget.
  std::size_t memory() const noexcept { return memory_; }

  /// Everything queued, as one long-polling payload; the queue is left empty.
  std::string take_payload() {
    std::string body;
    std::size_t size = 0;
    for (const auto& f : frames_) size += f.bytes->size() + 1;
    body.reserve(size);
    for (const auto& f : frames_) append_to_payload(body, f);
    clear();
    return body;
  }
  /// Hands every frame to `fn` in order, then empties the queue.
  template <class Fn>
  void take_each(Fn&& fn) {
    for (auto& f : frames_) fn(f);
    clear();
  }
  void clear() noexcept {
    frames_.clear();
    if (budget_ && memory_) budget_->remove(memory_);
    memory_ = 0;
  }

  const std::shared_ptr<transport::memory_budget>& budget() const noexcept { return budget_; }

 private:
  std::vector<frame> frames_;
  std::size_t memory_ = 0;
  std::shared_ptr<transport::memory_budget> budget_;
};

}  // namespace sio::engine
