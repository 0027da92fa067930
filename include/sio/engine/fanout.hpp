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

  fanout(frame_list frames, bool is_volatile) : frames_(std::move(frames)), is_volatile_(is_volatile) {}
  fanout(const fanout&) = delete;
  fanout& operator=(const fanout&) = delete;
  /// Posts what is left for other strands.
  ~fanout() { finish(); }

  void add(const session_ptr& s) {
    if (s->strand().running_in_this_thread()) {
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
  std::vector<group> groups_;
};

}  // namespace sio::engine
