#pragma once
// sio::detail::recovery_store: what connection state recovery keeps in memory for one namespace
// (the in-memory adapter's part of Node's SessionAwareAdapter): the recoverable packets broadcast
// lately, each once with the options it went out with, and the sessions of sockets that went away.
// Not synchronised: its adapter holds its lock around every call.
//
// Bounds (connection_state_recovery_options): packets by count, bytes and age, and bytes
// server-wide; sessions by count and age. The oldest go first. A session whose missed packets are no longer all here is not
// restored: the client gets a new session rather than a replay with a hole in it.
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sio/adapter.hpp"
#include "sio/options.hpp"
#include "sio/transport/memory_budget.hpp"

namespace sio::detail {

class recovery_store {
 public:
  using clock = std::chrono::steady_clock;

  /// `total`: what every namespace's store keeps, together (null: no server-wide bound).
  recovery_store(const connection_state_recovery_options& options, std::shared_ptr<transport::memory_budget> total)
      : options_(options), total_(std::move(total)) {}
  recovery_store(const recovery_store&) = delete;
  recovery_store& operator=(const recovery_store&) = delete;
  ~recovery_store() {
    if (total_) total_->remove(bytes_);
  }

  /// Numbers a recoverable packet and keeps it; returns its frames tagged with its offset.
  frame_list keep(const frame_list& frames, const broadcast_options& opts, clock::time_point now) {
    std::uint64_t seq = next_seq_++;
    frame_list tagged = with_offset(frames, std::to_string(seq));
    std::size_t cost = 0;
    for (const auto& f : *tagged) cost += f.bytes->size();
    packets_.push_back(packet_entry{tagged, opts, now, cost});
    bytes_ += cost;
    if (total_) total_->add(cost);
    evict_packets(now);
    // Over the server-wide bound: this namespace gives back its own oldest, this one last. A
    // packet not kept is a hole for whoever missed it, and they get a new session.
    while (total_ && total_->exhausted() && !packets_.empty()) pop_oldest();
    return tagged;
  }

  void persist(persisted_session session, clock::time_point now) {
    evict_sessions(now);
    if (options_.max_sessions == 0) return;
    while (sessions_.size() >= options_.max_sessions) forget_oldest_session();
    std::string pid = session.pid;
    auto [it, fresh] = sessions_.insert_or_assign(std::move(pid), session_entry{std::move(session), now});
    (void)fresh;
    session_order_.emplace_back(it->first, now);
    // Restored sessions leave their place in the order behind: sweep when they outnumber the rest.
    if (session_order_.size() > 2 * sessions_.size() + 16) compact_order();
  }

  /// Takes the session `pid` names (a pid restores once) and the packets it missed after
  /// `offset`, filtered by its rooms; nothing when it is unknown, expired, or its replay would
  /// have a hole (a packet after `offset` already evicted, or an offset never handed out).
  std::optional<std::pair<persisted_session, std::vector<kept_packet>>> take(const std::string& pid, const std::string& offset,
                                                                             clock::time_point now) {
    evict_packets(now);
    auto it = sessions_.find(pid);
    if (it == sessions_.end()) return std::nullopt;
    session_entry entry = std::move(it->second);
    sessions_.erase(it);
    if (now - entry.disconnected_at > options_.max_disconnection_duration) return std::nullopt;
    auto seq = parse_offset(offset);
    // The packet after the offset must still be here (the offset itself may have been evicted).
    if (!seq || *seq == 0 || *seq >= next_seq_ || *seq < first_kept_seq() - 1) return std::nullopt;
    std::unordered_set<std::string_view> rooms(entry.session.rooms.begin(), entry.session.rooms.end());
    rooms.insert(entry.session.sid);
    std::vector<kept_packet> missed;
    for (std::size_t i = static_cast<std::size_t>(*seq + 1 - first_kept_seq()); i < packets_.size(); ++i)
      if (selects(packets_[i].opts, rooms)) missed.push_back(kept_packet{std::to_string(first_kept_seq() + i), packets_[i].frames});
    return std::make_pair(std::move(entry.session), std::move(missed));
  }

  std::size_t packet_count() const noexcept { return packets_.size(); }
  std::size_t packet_bytes() const noexcept { return bytes_; }
  std::size_t session_count() const noexcept { return sessions_.size(); }

 private:
  struct packet_entry {
    frame_list frames;  ///< tagged; shared with the send queues it went to
    broadcast_options opts;
    clock::time_point at;
    std::size_t bytes;
  };
  struct session_entry {
    persisted_session session;
    clock::time_point disconnected_at;
  };

  std::uint64_t first_kept_seq() const noexcept { return next_seq_ - packets_.size(); }

  /// An offset this store hands out: decimal digits only (no sign, no space), within 64 bits.
  static std::optional<std::uint64_t> parse_offset(const std::string& offset) {
    std::uint64_t n = 0;
    const char* end = offset.data() + offset.size();
    if (offset.empty() || offset.front() < '0' || offset.front() > '9') return std::nullopt;
    auto [at, ec] = std::from_chars(offset.data(), end, n);
    if (ec != std::errc{} || at != end) return std::nullopt;
    return n;
  }

  /// Node's shouldIncludePacket: one of the packet's rooms (or none named) and none of its except.
  static bool selects(const broadcast_options& opts, const std::unordered_set<std::string_view>& rooms) {
    bool included = opts.rooms.empty();
    for (const auto& r : opts.rooms)
      if (rooms.count(r)) {
        included = true;
        break;
      }
    if (!included) return false;
    for (const auto& r : opts.except)
      if (rooms.count(r)) return false;
    return true;
  }

  void evict_packets(clock::time_point now) {
    auto too_old = [&](const packet_entry& p) { return now - p.at > options_.max_disconnection_duration; };
    while (!packets_.empty() && (packets_.size() > options_.max_packets || bytes_ > options_.max_bytes || too_old(packets_.front())))
      pop_oldest();
  }

  void pop_oldest() {
    bytes_ -= packets_.front().bytes;
    if (total_) total_->remove(packets_.front().bytes);
    packets_.pop_front();
  }

  void evict_sessions(clock::time_point now) {
    while (!session_order_.empty()) {
      auto& [pid, at] = session_order_.front();
      auto it = sessions_.find(pid);
      bool current = it != sessions_.end() && it->second.disconnected_at == at;
      if (current && now - at <= options_.max_disconnection_duration) return;
      if (current) sessions_.erase(it);
      session_order_.pop_front();
    }
  }

  void forget_oldest_session() {
    while (!session_order_.empty()) {
      auto [pid, at] = std::move(session_order_.front());
      session_order_.pop_front();
      auto it = sessions_.find(pid);
      if (it != sessions_.end() && it->second.disconnected_at == at) {
        sessions_.erase(it);
        return;
      }
    }
  }

  void compact_order() {
    std::deque<std::pair<std::string, clock::time_point>> kept;
    for (auto& entry : session_order_) {
      auto it = sessions_.find(entry.first);
      if (it != sessions_.end() && it->second.disconnected_at == entry.second) kept.push_back(std::move(entry));
    }
    session_order_ = std::move(kept);
  }

  connection_state_recovery_options options_;
  std::shared_ptr<transport::memory_budget> total_;
  std::deque<packet_entry> packets_;
  std::size_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::unordered_map<std::string, session_entry> sessions_;
  std::deque<std::pair<std::string, clock::time_point>> session_order_;  ///< pids by disconnection time
};

}  // namespace sio::detail
