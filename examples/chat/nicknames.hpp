#pragma once
// Who holds which nickname: in this process, or across a cluster of chat servers through Redis.
//
// A nickname belongs to an owner: the browser tab's token (so that a tab that reconnects, on any
// node, gets its name back) or the socket id; and it is held by one socket of that owner, the
// last to claim it. Releasing is the holder's: when a tab's old connection goes after its new one
// took the name over, the name stays. In a cluster the claim is one atomic step in Redis
// (a script that sets the key unless another owner has it), never a check through fetch_sockets
// and a set after it: two nodes claiming one name at the same moment cannot both win. Claims
// expire unless renewed, so the names of a node that dies come free again.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <asio.hpp>

#ifdef SIO_CHAT_WITH_REDIS
#include <sio/redis/connection.hpp>
#endif

class nicknames {
 public:
  using done_handler = std::function<void(bool ok)>;
  virtual ~nicknames() = default;
  /// Gives `name` to `holder` (a socket id) of `owner` unless another owner has it. `done` runs
  /// once, on any thread.
  virtual void claim(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) = 0;
  /// Gives `name` up if `holder` still holds it; done(true) when it did.
  virtual void release(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) = 0;
  virtual void close() {}
};

/// One server: a map.
class local_nicknames : public nicknames {
 public:
  void claim(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) override {
    bool ok;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto [it, added] = claims_.emplace(name, std::make_pair(owner, holder));
      ok = added || it->second.first == owner;
      if (ok) it->second.second = holder;
    }
    done(ok);
  }
  void release(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) override {
    bool released = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = claims_.find(name);
      if (it != claims_.end() && it->second == std::make_pair(owner, holder)) {
        claims_.erase(it);
        released = true;
      }
    }
    done(released);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, std::string>> claims_;  // name -> (owner, holder)
};

#ifdef SIO_CHAT_WITH_REDIS
/// A cluster: keys `sio-chat:nickname:<name>` holding "<owner> <holder>", with an expiry this
/// node renews for the names its sockets hold.
class redis_nicknames : public nicknames, public std::enable_shared_from_this<redis_nicknames> {
 public:
  static std::shared_ptr<redis_nicknames> create(asio::io_context& io, const std::string& url) {
    std::shared_ptr<redis_nicknames> self(new redis_nicknames(io, url));
    asio::post(self->strand_, [self] {
      self->redis_->start();
      self->renew_later();
    });
    return self;
  }

  void claim(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) override {
    asio::post(strand_, [self = shared_from_this(), name, owner, value = owner + " " + holder, done = std::move(done)] {
      // Free, or the owner's (whichever of its sockets holds it): it is this holder's now.
      static const char* script =
          "local v = redis.call('get', KEYS[1]) "
          "if v == false or string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then "
          "redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0";
      self->redis_->command({"EVAL", script, "1", key(name), owner, value, ttl_ms()},
                            [self, name, value, done](std::error_code ec, sio::redis::reply r) {
                              bool ok = !ec && r.is_integer() && r.integer() == 1;
                              if (ok) self->held_[name] = value;
                              done(ok);
                            });
    });
  }
  void release(const std::string& name, const std::string& owner, const std::string& holder, done_handler done) override {
    asio::post(strand_, [self = shared_from_this(), name, value = owner + " " + holder, done = std::move(done)] {
      if (auto it = self->held_.find(name); it != self->held_.end() && it->second == value) self->held_.erase(it);
      static const char* script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";
      self->redis_->command({"EVAL", script, "1", key(name), value},
                            [done](std::error_code ec, sio::redis::reply r) { done(!ec && r.is_integer() && r.integer() == 1); });
    });
  }
  void close() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->renew_.cancel();
      self->redis_->close();
    });
  }

 private:
  static constexpr std::chrono::seconds ttl{30};

  redis_nicknames(asio::io_context& io, const std::string& url)
      : strand_(asio::make_strand(io)), redis_(sio::redis::connection::create(strand_, sio::redis::url::parse(url))), renew_(strand_) {}

  static std::string key(const std::string& name) { return "sio-chat:nickname:" + name; }

  static std::string ttl_ms() { return std::to_string(std::chrono::milliseconds(ttl).count()); }

  // Every third of the expiry, the names held here are claimed again.
  void renew_later() {
    renew_.expires_after(ttl / 3);
    renew_.async_wait([weak = weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      // Renewed while still this holder's, and set again if it expired (a Redis restart).
      static const char* script =
          "local v = redis.call('get', KEYS[1]) "
          "if v == false or v == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end return 0";
      for (const auto& [name, value] : self->held_)
        self->redis_->command({"EVAL", script, "1", key(name), value, ttl_ms()}, [](std::error_code, sio::redis::reply) {});
      self->renew_later();
    });
  }

  asio::any_io_executor strand_;
  std::shared_ptr<sio::redis::connection> redis_;
  asio::steady_timer renew_;
  std::map<std::string, std::string> held_;  // name -> "<owner> <holder>", on strand_
};
#endif
