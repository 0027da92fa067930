#pragma once
// One encoded packet for many sessions (a broadcast). Sessions share a few strands
// (transport/strand_pool.hpp): those on the caller's strand are served at once, the others with
// one post per strand instead of one per session.
#include <memory>
#include <utility>
#include <vector>

#include <asio/post.hpp>

#include "sio/engine/session.hpp"

namespace sio::engine {

class fanout {
 public:
  using frame_list = std::shared_ptr<const std::vector<frame>>;

  /// `always_post`: sessions on the caller's strand wait their turn too, behind what was posted
  /// there before. What carries a recovery offset needs that: a session must get such packets in
  /// the order they were numbered, or a client's last offset would not say what it has.
  fanout(frame_list frames, bool is_volatile, bool always_post = false)
      : frames_(std::move(frames)), is_volatile_(is_volatile), always_post_(always_post) {}
  fanout(const fanout&) = delete;
  fanout& operator=(const fanout&) = delete;
  /// Posts what is left for other strands.
  ~fanout() {
    finish();
    if (metrics_) metrics_->broadcast(deliveries_);
  }

  void add(const session_ptr& s) {
    if (auto* m = s->metrics()) {
      metrics_ = m;
      ++deliveries_;
    }
    if (!always_post_ && s->strand().running_in_this_thread()) {
      s->send_on_strand(*frames_, is_volatile_);
      return;
    }
    for (auto& g : groups_)
      if (g.strand == s->strand()) return g.sessions.push_back(s);
    groups_.push_back(group{s->strand(), {s}});
  }

  void finish() {
    for (auto& g : groups_) {
      asio::post(g.strand, [sessions = std::move(g.sessions), frames = frames_, v = is_volatile_] {
        for (const auto& s : sessions) s->send_on_strand(*frames, v);
      });
    }
    groups_.clear();
  }

 private:
  struct group {
    transport::strand_type strand;
    std::vector<session_ptr> sessions;
  };
  frame_list frames_;
  bool is_volatile_;
  bool always_post_;
  std::vector<group> groups_;
  detail::metrics_registry* metrics_ = nullptr;  ///< from the sessions: null when metrics are off
  std::size_t deliveries_ = 0;
};

}  // namespace sio::engine
