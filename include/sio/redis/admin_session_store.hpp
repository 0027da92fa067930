#pragma once
// sio::redis::admin_session_store: the Admin UI's login sessions in Redis, so that every node of a
// cluster accepts a session made on any of them (Node's RedisStore). Key `<prefix>#<session id>`,
// written `SET key 1 EX <duration>` and checked with EXISTS: Node's RedisStore reads the same keys.
//
//   auto store = sio::redis::admin_session_store::create(ctx, "redis://127.0.0.1:6379");
//   admin.store = store;  // sio::admin_ui::options
#include <chrono>
#include <memory>
#include <string>

#include <asio.hpp>

#include "sio/admin_ui.hpp"
#include "sio/redis/connection.hpp"
#include "sio/redis/url.hpp"

namespace sio::redis {

class admin_session_store : public sio::admin_ui::session_store {
 public:
  /// One Redis connection on a strand of `ctx`. Throws on a URL it cannot read.
  static std::shared_ptr<admin_session_store> create(asio::io_context& ctx, const std::string& url, std::string prefix = "socket.io-admin",
                                                     std::chrono::seconds duration = std::chrono::seconds{86400}, options opts = {}) {
    return std::shared_ptr<admin_session_store>(new admin_session_store(ctx, url, std::move(prefix), duration, std::move(opts)));
  }

  void save(const std::string& id) override {
    asio::post(strand_, [c = connection_, k = key(id), ttl = std::to_string(duration_.count())] {
      c->command({"SET", k, "1", "EX", ttl}, [](std::error_code, reply) {});  // a lost save: that login's session only
    });
  }
  void exists(const std::string& id, std::function<void(bool)> done) override {
    asio::post(strand_, [c = connection_, k = key(id), done = std::move(done)]() mutable {
      c->command({"EXISTS", k}, [done = std::move(done)](std::error_code ec, reply r) {
        done(!ec && r.is_integer() && r.integer() == 1);  // Redis away: no session, the login form
      });
    });
  }
  void close() override {
    asio::post(strand_, [c = connection_] { c->close(); });
  }

 private:
  admin_session_store(asio::io_context& ctx, const std::string& url, std::string prefix, std::chrono::seconds duration, options opts)
      : strand_(asio::make_strand(ctx)), prefix_(std::move(prefix)), duration_(duration) {
    connection_ = connection::create(strand_, url::parse(url), std::move(opts));
    asio::post(strand_, [c = connection_] { c->start(); });
  }
  std::string key(const std::string& id) const { return prefix_ + "#" + id; }

  asio::any_io_executor strand_;
  std::string prefix_;
  std::chrono::seconds duration_;
  std::shared_ptr<connection> connection_;
};

}  // namespace sio::redis
