#pragma once
// The default adapter: rooms kept in this process (socket.io-adapter's in-memory adapter). With
// connection state recovery on, it also keeps what a restored socket needs (Node's
// SessionAwareAdapter): see detail/recovery_store.hpp for what is kept and its bounds.
#include <algorithm>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "sio/adapter.hpp"
#include "sio/detail/recovery_store.hpp"

namespace sio {

class in_memory_adapter : public adapter {
 public:
  explicit in_memory_adapter(adapter_host& host) : in_memory_adapter(host, true) {}

  void add_all(const socket_id& id, const std::vector<room_id>& rooms) override {
    std::lock_guard<std::mutex> lock(mutex_);
    join_locked(id, rooms);
  }

  bool try_add_all(const socket_id& id, const std::vector<room_id>& rooms, std::size_t max_rooms) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& mine = socket_rooms_[id];
    if (max_rooms && mine.size() + rooms.size() > max_rooms) {
      // Count the rooms new to the socket, each once (a list may repeat a name).
      std::unordered_set<std::string_view> added;
      for (const auto& r : rooms)
        if (!mine.count(r) && added.insert(r).second && mine.size() + added.size() > max_rooms) {
          if (mine.empty()) socket_rooms_.erase(id);
          return false;
        }
    }
    for (const auto& r : rooms) {
      mine.insert(r);
      rooms_[r].insert(id);
    }
    return true;
  }

  void del(const socket_id& id, const room_id& room) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = socket_rooms_.find(id); it != socket_rooms_.end()) it->second.erase(room);
    erase_member(room, id);
  }

  void del_all(const socket_id& id) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = socket_rooms_.find(id);
    if (it == socket_rooms_.end()) return;
    for (const auto& r : it->second) erase_member(r, id);
    socket_rooms_.erase(it);
  }

  std::vector<socket_id> select(const broadcast_options& opts) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<socket_id> out;
    for_each_selected(opts, [&out](const socket_id& id) { out.push_back(id); });
    return out;
  }

  /// Without copying a single id: the recipients are handed to the namespace while this lock
  /// keeps them valid (bench/: ~1,500 fewer instructions per delivery than select + deliver).
  /// A recoverable packet is numbered, kept and delivered under the same lock, so a restore
  /// (which takes it too) sees each packet either among the missed ones or delivered after.
  std::size_t broadcast(const parser::packet& packet, const frame_list& frames, const broadcast_options& opts) override {
    thread_local std::vector<const socket_id*> recipients;
    std::lock_guard<std::mutex> lock(mutex_);
    const frame_list& out = store_ && is_recoverable(packet, opts) ? store_->keep(frames, opts, recovery_store::clock::now()) : frames;
    recipients.clear();
    for_each_selected(opts, [](const socket_id& id) { recipients.push_back(&id); });
    host_.deliver_all(recipients, out, opts.is_volatile);
    return recipients.size();
  }

  bool keeps_packets() const noexcept override { return store_.has_value(); }

  void persist_session(const persisted_session& session) override {
    if (!store_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    store_->persist(session, recovery_store::clock::now());
  }

  void restore_session(const std::string& pid, const std::string& offset, restore_session_handler done) override {
    if (!store_) return done({}, std::nullopt);
    std::optional<persisted_session> restored;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = store_->take(pid, offset, recovery_store::clock::now());
      if (found) {
        auto& [session, missed] = *found;
        std::vector<room_id> rooms = session.rooms;
        rooms.push_back(session.sid);
        join_locked(session.sid, rooms);
        // Under the lock: no broadcast can reach the socket between its missed packets and this.
        host_.resume(session, std::move(missed));
        restored = std::move(session);
      }
    }
    done({}, std::move(restored));
  }

  std::vector<room_id> socket_rooms(const socket_id& id) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = socket_rooms_.find(id);
    if (it == socket_rooms_.end()) return {};
    return {it->second.begin(), it->second.end()};
  }

  std::vector<room_id> all_rooms() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<room_id> out;
    out.reserve(rooms_.size());
    for (const auto& entry : rooms_) out.push_back(entry.first);
    return out;
  }

  std::size_t room_size(const room_id& room) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = rooms_.find(room);
    return it == rooms_.end() ? 0 : it->second.size();
  }

 protected:
  /// For adapters built on this one that keep no packets of their own here (the Redis pub/sub
  /// adapters: Node's do not recover sessions either) or keep them elsewhere.
  in_memory_adapter(adapter_host& host, bool keep_sessions) : adapter(host) {
    if (keep_sessions && host.recovery()) store_.emplace(*host.recovery(), host.recovery_budget());
  }

 private:
  using recovery_store = detail::recovery_store;

  void join_locked(const socket_id& id, const std::vector<room_id>& rooms) {
    auto& mine = socket_rooms_[id];
    for (const auto& r : rooms) {
      mine.insert(r);
      rooms_[r].insert(id);
    }
  }

  /// Calls fn(id) once for every socket `opts` selects. Needs the lock.
  template <class Fn>
  void for_each_selected(const broadcast_options& opts, Fn&& fn) const {
    // Views into the maps: valid while the lock is held, and no id is copied.
    std::unordered_set<std::string_view> excluded;
    for (const auto& r : opts.except)
      if (auto it = rooms_.find(r); it != rooms_.end()) excluded.insert(it->second.begin(), it->second.end());
    auto wanted = [&excluded](const socket_id& id) { return excluded.empty() || !excluded.count(id); };
    if (opts.rooms.empty()) {
      for (const auto& entry : socket_rooms_)
        if (wanted(entry.first)) fn(entry.first);
      return;
    }
    // A socket in several of the rooms goes once; with one room (the common case) none can repeat.
    const bool may_repeat = opts.rooms.size() > 1;
    std::unordered_set<std::string_view> seen;
    for (const auto& r : opts.rooms) {
      auto it = rooms_.find(r);
      if (it == rooms_.end()) continue;
      for (const auto& id : it->second)
        if (wanted(id) && (!may_repeat || seen.insert(id).second)) fn(id);
    }
  }

  void erase_member(const room_id& room, const socket_id& id) {
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.erase(id);
    if (it->second.empty()) rooms_.erase(it);  // rooms exist while they have members
  }

  mutable std::mutex mutex_;
  std::unordered_map<room_id, std::unordered_set<socket_id>> rooms_;
  std::unordered_map<socket_id, std::unordered_set<room_id>> socket_rooms_;
  std::optional<recovery_store> store_;  ///< connection state recovery is on
};

}  // namespace sio
