#pragma once
// The engine's request router: checks each request against the Engine.IO rules (in the reference
// server's order), answers errors, opens sessions and hands requests to the session they name.
// It owns the session table. Transport-independent: any listener, or the user's own HTTP server,
// can feed it through the transport::request_handler interface.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "sio/engine/error.hpp"
#include "sio/engine/options.hpp"
#include "sio/engine/session.hpp"
#include "sio/engine/sid_generator.hpp"
#include "sio/transport/connection_limiter.hpp"
#include "sio/transport/handler.hpp"
#include "sio/transport/memory_budget.hpp"

namespace sio::engine {

class core final : public transport::request_handler, public std::enable_shared_from_this<core> {
 public:
  using connection_handler = std::function<void(session_ptr)>;
  /// Runs before the engine sees a request; returns true when it answered the request itself.
  using http_middleware = std::function<bool(const std::shared_ptr<transport::http_exchange>&)>;

  /// `policy_polling` / `policy_websocket`: what the transport policy compiles in.
  core(asio::io_context& ctx, options opts, bool policy_polling, bool policy_websocket)
      : options_(restricted(std::move(opts), policy_polling, policy_websocket)),
        strands_(std::make_shared<transport::strand_pool>(ctx, options_->strands)),
        budget_(std::make_shared<transport::memory_budget>(options_->max_memory)),
        limiter_(std::make_shared<transport::connection_limiter>(options_->max_connections, options_->max_connections_per_ip)) {}

  const options& opts() const noexcept { return *options_; }
  /// The strands of this engine's sessions; a listener feeding it should use them too.
  const std::shared_ptr<transport::strand_pool>& strands() const noexcept { return strands_; }
  /// The output memory of all sessions and connections (options::max_memory).
  const std::shared_ptr<transport::memory_budget>& budget() const noexcept { return budget_; }
  /// Open connections, in all and per client address (options::max_connections*).
  const std::shared_ptr<transport::connection_limiter>& limiter() const noexcept { return limiter_; }
  void on_connection(connection_handler fn) { on_connection_ = std::move(fn); }
  void add_http_middleware(http_middleware fn) { middleware_.push_back(std::move(fn)); }
  /// Answers requests outside the engine path (default 404).
  void set_fallback(std::function<void(const std::shared_ptr<transport::http_exchange>&)> fn) { fallback_ = std::move(fn); }

  std::size_t session_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
  }
  session_ptr find(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }
  /// Closes every session (server shutdown): a client gets a close packet where a transport can
  /// carry one now; a polling session with no GET pending ends at once.
  /// Runs `fn` once no session is left (at once if none is): a drain's end waits for the last
  /// close handshakes (a polling client's GET taking its close packet). Any thread.
  void when_no_sessions(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!sessions_.empty()) {
        when_no_sessions_ = std::move(fn);
        return;
      }
    }
    fn();
  }

  /// A drain started: handshakes of new sessions are refused with 503 from now on; the sessions
  /// already open go on (their requests still come in). Any thread.
  void stop_accepting() noexcept { accepting_ = false; }

  void close_all() {
    std::vector<session_ptr> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [id, s] : sessions_) all.push_back(s);
    }
    for (auto& s : all) s->close(/*discard=*/true);
  }

  // transport::request_handler
  void handle_http(std::shared_ptr<transport::http_exchange> ex) override {
    for (auto& mw : middleware_)
      if (mw(ex)) return;
    auto& req = ex->request();
    if (!matches_path(req.path)) {
      if (fallback_) return fallback_(ex);
      transport::http_response res;
      res.status = 404;
      return ex->respond(std::move(res));
    }
    auto failure = verify(req, false);
    if (failure) return refuse(*ex, *failure);
    if (const std::string* sid = req.query.find("sid")) {
      auto s = find(*sid);
      if (!s) return refuse(*ex, request_error::unknown_sid);
      asio::dispatch(s->strand(), [s, ex = std::move(ex)]() mutable { s->handle_polling(std::move(ex)); });
      return;
    }
    if (!accepting_) return ex->respond(unavailable_response());
    check_allowed(req, [self = shared_from_this(), ex](std::optional<std::string> refusal) mutable {
      if (refusal) return self->refuse(*ex, request_error::forbidden, *refusal);
      self->open_polling_session(std::move(ex));
    });
  }

  std::shared_ptr<void> on_request_head(const transport::http_request& req, std::function<void()> drop) override {
    if (req.method != "POST" || !matches_path(req.path)) return nullptr;
    const std::string* sid = req.query.find("sid");
    auto s = sid ? find(*sid) : nullptr;
    return s ? s->track_post(std::move(drop)) : nullptr;
  }

  void handle_upgrade(std::shared_ptr<transport::websocket_upgrade> up) override {
    auto& req = up->request();
    if (!matches_path(req.path)) return refuse(*up, request_error::bad_request);
    auto failure = verify(req, true);
    if (failure) return refuse(*up, *failure);
    if (req.query.get("transport") != "websocket") {
      // Polling does not take upgrades: as the reference, complete the handshake (ws may still
      // refuse it) and close the WebSocket at once.
      return up->accept(up->slot(), options_->max_payload, {},
                        [](std::shared_ptr<transport::websocket_channel> ws) { session::refuse_websocket(*ws); });
    }
    if (const std::string* sid = req.query.find("sid")) {
      auto s = find(*sid);
      if (!s) return refuse(*up, request_error::unknown_sid);
      // The decision needs the session's state: take it on the session's strand. The connection
      // waits, idle, until accept or reject.
      asio::dispatch(s->strand(), [s, up = std::move(up)]() mutable { s->handle_upgrade(std::move(up)); });
      return;
    }
    if (!accepting_) return up->reject(unavailable_response());
    check_allowed(req, [self = shared_from_this(), up](std::optional<std::string> refusal) mutable {
      if (refusal) return self->refuse(*up, request_error::forbidden, *refusal);
      self->open_websocket_session(std::move(up));
    });
  }

 private:
  void refuse(transport::http_exchange& ex, request_error code, std::string_view message = {}) {
    report_connection_error(*options_, ex.request(), code, message);
    ex.respond(with_headers(error_response(code, message), ex.request()));
  }
  void refuse(transport::websocket_upgrade& up, request_error code, std::string_view message = {}) {
    report_connection_error(*options_, up.request(), code, message);
    up.reject(websocket_error_response(code, message));
  }

  static std::shared_ptr<const options> restricted(options o, bool policy_polling, bool policy_websocket) {
    o.polling = o.polling && policy_polling;
    o.websocket = o.websocket && policy_websocket;
    // A raw engine with metrics on gets its own counters; sio::server passes its own in.
    if (o.metrics.enabled && !o.metrics_registry) o.metrics_registry = std::make_shared<detail::metrics_registry>();
    return std::make_shared<const options>(std::move(o));
  }

  /// Everything under the path is the engine's (as in the reference, "/socket.io/x" is answered by
  /// the engine, with its errors); the path without its trailing slash too.
  bool matches_path(std::string_view path) const noexcept {
    std::string_view p = options_->path;
    if (path.substr(0, p.size()) == p) return true;
    if (!p.empty() && p.back() == '/') p.remove_suffix(1);
    return path == p;
  }

  /// The reference server's checks, in its order.
  std::optional<request_error> verify(const transport::http_request& req, bool upgrade) const {
    std::string_view transport = req.query.get("transport");
    bool known = (transport == "polling" && options_->polling) || (transport == "websocket" && options_->websocket);
    if (!known) return request_error::unknown_transport;
    if (const std::string* origin = req.headers.find("Origin")) {
      for (char c : *origin)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f) return request_error::bad_request;
    }
    if (const std::string* sid = req.query.find("sid")) {
      (void)sid;
      // A request for an existing session must use that session's transport unless it upgrades;
      // checked on the session's strand (transport mismatch → bad request).
      if (!upgrade && transport == "websocket") return request_error::bad_request;
      return std::nullopt;
    }
    if (req.method != "GET") return request_error::bad_handshake_method;
    if (transport == "websocket" && !upgrade) return request_error::bad_request;
    if (req.query.get("EIO") != "4") return request_error::unsupported_protocol_version;
    return std::nullopt;
  }

  void check_allowed(const transport::http_request& req, allow_callback done) {
    if (!options_->allow_request) return done(std::nullopt);
    options_->allow_request(req, std::move(done));
  }

  transport::http_response with_headers(transport::http_response res, const transport::http_request& req) const {
    if (options_->headers) options_->headers(res.headers, req);
    return res;
  }

  std::string next_id(const transport::http_request& req) {
    if (options_->generate_id) return options_->generate_id(req);
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.next();
  }

  session_ptr create_session(std::string id, const transport::http_request& req, transport::strand_slot_ptr slot) {
    if (options_->logger) log(*options_, log_level::debug, "session " + id + " opened (" + req.target + ")");
    auto s = std::make_shared<session>(
        id, std::move(slot), options_, req,
        [weak = weak_from_this()](const std::string& sid) {
          if (auto self = weak.lock()) self->forget(sid);
        },
        budget_);
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.emplace(std::move(id), s);
    return s;
  }

  void forget(const std::string& id) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sessions_.erase(id);
      if (sessions_.empty()) fn = std::exchange(when_no_sessions_, nullptr);
    }
    if (fn) fn();
  }

  void open_polling_session(std::shared_ptr<transport::http_exchange> ex) {
    auto s = create_session(next_id(ex->request()), ex->request(), strands_->next());
    asio::dispatch(s->strand(), [self = shared_from_this(), s, ex = std::move(ex)]() mutable {
      s->start_polling(std::move(ex));
      if (self->on_connection_) self->on_connection_(s);
    });
  }

  void open_websocket_session(std::shared_ptr<transport::websocket_upgrade> up) {
    // The session stays on its connection's strand: taking another from the pool would move the
    // pool's turn twice per connection (with two strands, every WebSocket session on one).
    auto slot = up->slot();
    std::string id = next_id(up->request());
    transport::header_list headers;
    if (options_->initial_headers) options_->initial_headers(headers, up->request());
    if (options_->headers) options_->headers(headers, up->request());
    if (options_->cookie) headers.add("Set-Cookie", options_->cookie->serialize(id));
    up->accept(slot, options_->max_payload, std::move(headers),
               [self = shared_from_this(), slot, id = std::move(id)](std::shared_ptr<transport::websocket_channel> ws) {
                 auto s = self->create_session(std::move(id), ws->request(), slot);
                 s->start_websocket(std::move(ws));
                 if (self->on_connection_) self->on_connection_(s);
               });
  }

  std::shared_ptr<const options> options_;
  std::shared_ptr<transport::strand_pool> strands_;
  std::shared_ptr<transport::memory_budget> budget_;
  std::shared_ptr<transport::connection_limiter> limiter_;
  connection_handler on_connection_;
  std::vector<http_middleware> middleware_;
  std::function<void(const std::shared_ptr<transport::http_exchange>&)> fallback_;
  std::atomic<bool> accepting_{true};
  mutable std::mutex mutex_;
  std::function<void()> when_no_sessions_;  ///< under mutex_
  std::unordered_map<std::string, session_ptr> sessions_;
  sid_generator ids_;
};

}  // namespace sio::engine
