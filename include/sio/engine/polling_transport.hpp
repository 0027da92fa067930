#pragma once
// A session's long-polling transport (the interface is in transport.hpp): what waits for a GET
// (send_queue.hpp), the GET held open until there is something to send, the answers to GETs and
// POSTs with their headers, and the count of POSTs in flight. What a POST brings, and when the
// session closes, the session decides (session.hpp). Every call is made on the session's strand,
// except track_post and what it returns, which any thread may call.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sio/engine/error.hpp"
#include "sio/engine/options.hpp"
#include "sio/engine/packet.hpp"
#include "sio/engine/send_queue.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/memory_budget.hpp"

namespace sio::engine {

class polling_transport {
 public:
  /// `sid` and `opts` belong to the session, which outlives this; `budget` is the server's.
  polling_transport(const std::string& sid, const options& opts, std::shared_ptr<transport::memory_budget> budget)
      : sid_(sid), options_(opts), queue_(std::move(budget)) {}

  // ---- the transport interface (transport.hpp) -----------------------------------------------

  /// Queues `f` for a GET. True if a GET is held and no flush is on its way yet: the caller
  /// schedules one.
  bool send(frame&& f) {
    queue_.push(std::move(f));
    return holding() && schedule_flush();
  }
  std::size_t buffered_memory() const noexcept { return queue_.memory(); }
  /// As in the reference: the held GET takes the first packet; until it is answered, nothing more.
  bool ready() const noexcept { return holding() && queue_.empty(); }

  /// What waits for a GET (or for the end of an upgrade).
  send_queue& queue() noexcept { return queue_; }
  const send_queue& queue() const noexcept { return queue_; }

  // ---- the held GET --------------------------------------------------------------------------

  bool holding() const noexcept { return held_ != nullptr; }
  /// Holds `get` until there is something to send; the caller watches it on what this returns.
  transport::http_exchange& hold(std::shared_ptr<transport::http_exchange> get) {
    held_ = std::move(get);
    return *held_;
  }
  /// Forgets the held GET if it is `get` (its peer went away). True if it was.
  bool forget(const transport::http_exchange* get) noexcept {
    if (held_.get() != get) return false;
    held_.reset();
    return true;
  }
  /// Answers the held GET with `payload`. Call only while holding.
  void answer(std::string payload) { respond(std::exchange(held_, nullptr), std::move(payload)); }

  /// Flushes wait for the next turn of the strand: true if one is not already on its way.
  bool schedule_flush() noexcept { return !std::exchange(flush_scheduled_, true); }
  void flush_begun() noexcept { flush_scheduled_ = false; }

  // ---- answers -------------------------------------------------------------------------------

  /// A GET's answer: `payload`, with the handshake's headers on the first one.
  void respond(const std::shared_ptr<transport::http_exchange>& ex, std::string payload) {
    transport::http_response res;
    res.headers.add("Content-Type", "text/plain; charset=UTF-8");
    res.headers.add("Cache-Control", "no-store");
    if (!handshake_sent_) {
      handshake_sent_ = true;
      if (options_.initial_headers) options_.initial_headers(res.headers, ex->request());
      if (options_.cookie) res.headers.add("Set-Cookie", options_.cookie->serialize(sid_));
    }
    add_common_headers(res, ex->request());
    res.body = std::move(payload);
    ex->respond(std::move(res));
  }

  /// A POST's answer.
  void respond_ok(const std::shared_ptr<transport::http_exchange>& ex) {
    transport::http_response res;
    res.headers.add("Content-Type", "text/html");
    res.headers.add("Cache-Control", "no-store");
    add_common_headers(res, ex->request());
    res.body = "ok";
    ex->respond(std::move(res));
  }

  void refuse(transport::http_exchange& ex, request_error code) {
    report_connection_error(options_, ex.request(), code);
    auto res = error_response(code);
    add_common_headers(res, ex.request());
    ex.respond(std::move(res));
  }

  // ---- POSTs in flight -----------------------------------------------------------------------

  /// Counts a POST from its head to its answer; any thread. `owner` (the session) is kept alive
  /// until then. `drop` ends the POST's connection: when the session closes while the body is still
  /// coming, the request is cut off unanswered, as the reference destroys it.
  std::shared_ptr<void> track_post(std::shared_ptr<void> owner, std::function<void()> drop) {
    posts_in_flight_.fetch_add(1, std::memory_order_relaxed);
    std::uint64_t ticket;
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      ticket = ++post_tickets_;
      unfinished_posts_.emplace_back(ticket, std::move(drop));
    }
    return std::shared_ptr<void>(nullptr, [owner = std::move(owner), this, ticket](void*) {
      posts_in_flight_.fetch_sub(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(post_mutex_);
      for (auto it = unfinished_posts_.begin(); it != unfinished_posts_.end(); ++it)
        if (it->first == ticket) {
          unfinished_posts_.erase(it);
          break;
        }
    });
  }
  int posts_in_flight() const noexcept { return posts_in_flight_.load(std::memory_order_relaxed); }

  /// POSTs whose body is still coming when the session closes are cut off unanswered.
  void drop_unfinished_posts() {
    std::vector<std::pair<std::uint64_t, std::function<void()>>> posts;
    {
      std::lock_guard<std::mutex> lock(post_mutex_);
      posts.swap(unfinished_posts_);
    }
    for (auto& p : posts) p.second();
  }

 private:
  void add_common_headers(transport::http_response& res, const transport::http_request& req) const {
    if (options_.headers) options_.headers(res.headers, req);
  }

  const std::string& sid_;
  const options& options_;
  send_queue queue_;
  std::shared_ptr<transport::http_exchange> held_;
  bool flush_scheduled_ = false;
  bool handshake_sent_ = false;
  std::atomic<int> posts_in_flight_{0};
  std::mutex post_mutex_;
  std::uint64_t post_tickets_ = 0;
  /// The POSTs between their head and their answer, and how to end their connections.
  std::vector<std::pair<std::uint64_t, std::function<void()>>> unfinished_posts_;
};

}  // namespace sio::engine
