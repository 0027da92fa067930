#pragma once
// Out-of-line definitions of sio::detail::server_core.
#include <fstream>
#include <sstream>

#include "sio/detail/error_report.hpp"
#include "sio/impl/client.hpp"
#include "sio/detail/server_core.hpp"

namespace sio::detail {

inline void server_core::report(const handler_error& e) const noexcept {
  try {
    if (options_.logger) {
      std::string line = std::string{"sio: "} + to_string(e.source) + ": " + e.message;
      if (!e.nsp.empty()) line += " (namespace " + e.nsp + ")";
      if (!e.socket_id.empty()) line += " (socket " + e.socket_id + ")";
      if (!e.event.empty()) line += " (event \"" + e.event + "\")";
      options_.logger(engine::log_level::warning, line);
    }
  } catch (...) {  // the logger's own failure has nowhere to go
  }
  try {
    if (options_.on_handler_error) options_.on_handler_error(e);
  } catch (...) {  // documented: ignored
  }
}

inline void server_core::report_http(std::string_view what, std::exception_ptr error) const noexcept {
  try {
    report(exception_report(error_source::http_hook, std::move(error), {{}, {}, std::string{what}}));
  } catch (...) {}
}

inline void server_core::report_limit(error_source source, const std::string& sid, const std::string& nsp, std::string message) const {
  report(limit_report(source, std::move(message), {sid, nsp}));
}

inline std::shared_ptr<namespace_state> server_core::make_namespace(const std::string& name) {
  const auto& recovery = options().connection_state_recovery;
  if (recovery && !recovery_budget_) recovery_budget_ = std::make_shared<transport::memory_budget>(recovery->max_total_bytes);
  auto nsp = std::make_shared<namespace_state>(name, executor_, make_adapter_, options(), recovery_budget_);
  nsp->report = [weak = weak_from_this()](const handler_error& e) {
    if (auto self = weak.lock()) self->report(e);
  };
  nsp->set_observer(get_observer());
  return nsp;
}

inline void server_core::set_observer(std::shared_ptr<observer> o) {
  std::lock_guard<std::mutex> lock(mutex_);
  observer_.store(o.get(), std::memory_order_release);
  for (auto& [name, nsp] : namespaces_) nsp->set_observer(o.get());
  for (auto& [matcher, parent] : parents_) parent->set_observer(o.get());
  observer_keep_ = std::move(o);
}

inline std::vector<std::pair<std::string, std::size_t>> server_core::namespace_counts() const {
  std::vector<std::shared_ptr<namespace_state>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, nsp] : namespaces_) all.push_back(nsp);
  }
  std::vector<std::pair<std::string, std::size_t>> out;
  out.reserve(all.size());
  for (const auto& nsp : all) out.emplace_back(nsp->name(), nsp->socket_count());
  return out;
}

inline std::shared_ptr<namespace_state> server_core::of(const std::string& name) {
  std::string key = name.empty() || name.front() != '/' ? "/" + name : name;
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = namespaces_[key];
  if (!slot) slot = make_namespace(key);
  return slot;
}

inline std::shared_ptr<namespace_state> server_core::of(namespace_matcher matcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto parent = make_namespace("/_dynamic_" + std::to_string(parents_.size()));
  parents_.emplace_back(std::move(matcher), parent);
  return parent;
}

inline void server_core::close_adapters_after_clients(std::function<void()> done) {
  bool close_now = false;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    closing_ = true;
    if (!adapters_closed_ && !clients_.empty()) {
      if (done) after_close_.push_back(std::move(done));
      return;
    }
    close_now = !adapters_closed_;
    adapters_closed_ = true;
  }
  if (close_now) close_adapters();
  if (done) done();
}

inline void server_core::remove_client(const client& c) {
  std::vector<std::function<void()>> done;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    clients_.erase(&c);
    if (!closing_ || adapters_closed_ || !clients_.empty()) return;
    adapters_closed_ = true;
    done = std::move(after_close_);
    after_close_.clear();
  }
  close_adapters();
  for (auto& fn : done) fn();
}

inline void server_core::drain(std::chrono::milliseconds deadline, std::function<void()> force_close,
                               std::function<void(std::function<void()>)> finish, std::function<void()> done) {
  if (draining_.exchange(true) || shutting_down()) {  // under way already: only wait for its end
    close_adapters_after_clients(std::move(done));
    return;
  }
  std::vector<std::shared_ptr<client>> open;
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    for (auto& [key, weak] : clients_)
      if (auto c = weak.lock()) open.push_back(std::move(c));
  }
  // The deadline closes what is still open; the end of the drain cancels it (on its strand, so
  // that the cancel never races the wait's completion).
  auto strand = asio::make_strand(executor_);
  auto timer = std::make_shared<asio::steady_timer>(strand, deadline);
  timer->async_wait([weak = weak_from_this(), force_close](std::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->set_shutting_down();
    force_close();
  });
  // The deadline holds until the engine's last close handshakes are over too (a polling client
  // that never comes back for its close packet).
  close_adapters_after_clients([strand, timer, finish = std::move(finish), done = std::move(done)]() mutable {
    finish([strand, timer, done = std::move(done)] {
      asio::post(strand, [timer] { timer->cancel(); });
      if (done) done();
    });
  });
  for (auto& c : open) c->drain();
}

inline void server_core::close_adapters() {
  std::vector<std::shared_ptr<namespace_state>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [name, nsp] : namespaces_) all.push_back(nsp);
    for (auto& [matcher, parent] : parents_) all.push_back(parent);
  }
  if (auto* o = get_observer()) o->server_closing();
  for (auto& nsp : all) nsp->get_adapter().close();
}

/// The namespace `name` if it exists, with a place reserved; needs mutex_.
inline std::shared_ptr<namespace_state> server_core::find_reserved(const std::string& name) {
  auto it = namespaces_.find(name);
  if (it == namespaces_.end()) return nullptr;
  auto& nsp = it->second;
  nsp->reserve();
  // An empty child that gets a socket again is no longer a candidate for removal.
  if (auto pos = empty_positions_.find(nsp.get()); pos != empty_positions_.end()) {
    empty_children_.erase(pos->second);
    empty_positions_.erase(pos);
  }
  return nsp;
}

inline std::shared_ptr<namespace_state> server_core::resolve(const std::string& name, const transport::http_request& req, const value& auth,
                                                             const std::string& sid) {
  decltype(parents_) parents;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto nsp = find_reserved(name)) return nsp;
    if (parents_.empty()) return nullptr;
    parents = parents_;
  }
  // The user's matchers run outside the lock (they may be slow, or call io.of()).
  std::shared_ptr<namespace_state> parent;
  for (auto& [matches, candidate] : parents) {
    bool yes = false;
    try {
      yes = matches(name, req, auth);
    } catch (...) {  // counts as "no"
      report(exception_report(error_source::namespace_matcher, std::current_exception(), {sid, name}));
    }
    if (yes) {
      parent = candidate;
      break;
    }
  }
  if (!parent) return nullptr;

  std::shared_ptr<namespace_state> child;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto nsp = find_reserved(name)) return nsp;  // created meanwhile by another client
    std::size_t limit = options_.max_dynamic_namespaces;
    if (limit && children_ >= limit && !empty_children_.empty()) {
      // Make room: the child empty the longest goes (sockets still in it keep it alive, apart).
      namespace_state* oldest = empty_children_.front();
      empty_children_.pop_front();
      empty_positions_.erase(oldest);
      std::string oldest_name = oldest->name();  // not a reference into what erase destroys
      namespaces_.erase(oldest_name);
      --children_;
    }
    if (limit && children_ >= limit) {
      child = nullptr;
    } else {
      child = make_namespace(name);
      child->inherit_from(*parent);
      child->on_empty = [weak = weak_from_this()](namespace_state& c) {
        if (auto self = weak.lock()) self->child_emptied(c);
      };
      child->reserve();
      namespaces_[name] = child;
      ++children_;
      parent->add_child(child);
    }
  }
  if (!child) {
    report_limit(error_source::dynamic_namespace_limit, sid, name, "max_dynamic_namespaces reached, none of them empty");
    return nullptr;
  }
  for (auto& fn : on_new_namespace_) {
    try {
      fn(namespace_access::make(child));
    } catch (...) {
      report(exception_report(error_source::new_namespace_handler, std::current_exception(), {sid, name}));
    }
  }
  return child;
}

inline void server_core::child_emptied(namespace_state& child) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Still ours, and still empty (a client may have reserved a place since: that happens under mutex_).
  auto it = namespaces_.find(child.name());
  if (it == namespaces_.end() || it->second.get() != &child || child.occupants() != 0) return;
  if (options_.cleanup_empty_child_namespaces) {
    namespaces_.erase(it);
    --children_;
    return;
  }
  if (empty_positions_.count(&child)) return;
  empty_positions_.emplace(&child, empty_children_.insert(empty_children_.end(), &child));
}

inline void server_core::add_pending(const std::shared_ptr<client>& c) {
  std::shared_ptr<client> evicted;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    c->pending_pos = pending_.insert(pending_.end(), c);
    c->pending_listed = true;
    std::size_t limit = options_.max_pending_handshakes;
    while (limit && pending_.size() > limit) {
      auto oldest = pending_.front().lock();
      pending_.pop_front();
      if (!oldest) continue;
      oldest->pending_listed = false;
      evicted = std::move(oldest);
      break;
    }
  }
  // Outside the lock: its close may run at once (same strand) and come back to remove_pending.
  if (evicted) {
    report_limit(error_source::pending_handshake_limit, evicted->session().id(), {},
                 "max_pending_handshakes reached: the oldest handshake without a CONNECT is closed");
    // Discarded: a polling session ends now instead of keeping its close packet for a GET that
    // an abandoned handshake will not send (close_timeout); a client that does come back is told
    // its session is unknown, and reconnects.
    evicted->engine_session().close(/*discard=*/true);
  }
}

inline void server_core::remove_pending(client& c) {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  if (!c.pending_listed) return;
  pending_.erase(c.pending_pos);
  c.pending_listed = false;
}

inline engine::options server_core::engine_options() const {
  engine::options o = options_;
  // The engine calls these user hooks; what they throw must not reach it.
  auto guarded_headers = [self = this](std::function<void(transport::header_list&, const transport::http_request&)> user) {
    return [self, user = std::move(user)](transport::header_list& h, const transport::http_request& req) {
      try {
        user(h, req);
      } catch (...) {
        self->report_http(req.target, std::current_exception());
      }
    };
  };
  if (o.initial_headers) o.initial_headers = guarded_headers(std::move(o.initial_headers));
  if (o.headers) o.headers = guarded_headers(std::move(o.headers));
  if (options_.cors.enabled()) {
    auto user = o.headers;
    o.headers = [self = this, user](transport::header_list& h, const transport::http_request& req) {
      self->add_cors_headers(h, req);
      if (user) user(h, req);
    };
  }
  if (o.allow_request) {
    o.allow_request = [self = this, user = std::move(o.allow_request)](const transport::http_request& req, engine::allow_callback done) {
      // The answer goes once: a hook that answers and then throws has answered.
      auto answered = std::make_shared<std::atomic<bool>>(false);
      auto once = [answered, done](std::optional<std::string> refusal) {
        if (!answered->exchange(true)) done(std::move(refusal));
      };
      try {
        user(req, once);
      } catch (...) {
        self->report_http(req.target, std::current_exception());
        once(std::string{"Internal server error"});
      }
    };
  }
  if (o.on_connection_error) {
    o.on_connection_error = [self = this, user = std::move(o.on_connection_error)](const transport::http_request& req,
                                                                                   engine::request_error code, std::string_view text) {
      try {
        user(req, code, text);
      } catch (...) {
        self->report_http(req.target, std::current_exception());
      }
    };
  }
  if (o.generate_id) {
    o.generate_id = [self = this, user = std::move(o.generate_id)](const transport::http_request& req) {
      try {
        return user(req);
      } catch (...) {
        self->report_http(req.target, std::current_exception());
        return const_cast<server_core*>(self)->next_socket_id();  // sio's own ids: unique and URL-safe
      }
    };
  }
  if (o.logger) {
    o.logger = [user = std::move(o.logger)](engine::log_level level, std::string_view line) {
      try {
        user(level, line);
      } catch (...) {  // nowhere to report a failing logger
      }
    };
  }
  return o;
}

inline void server_core::add_cors_headers(transport::header_list& h, const transport::http_request& req) const {
  const auto& cors = options_.cors;
  const std::string* origin = req.headers.find("Origin");
  bool any = std::find(cors.origins.begin(), cors.origins.end(), "*") != cors.origins.end();
  // An origin is reflected only when it is listed by name, or accepted by allow_origin. "*" is
  // answered with "*": reflecting any Origin with credentials would let every site read
  // credentialed responses, and the literal "null" (sandboxed frames, file://) the same.
  bool named = false;
  if (origin) {
    if (cors.allow_origin) {
      try {
        named = cors.allow_origin(*origin);
      } catch (...) {
        report_http(req.target, std::current_exception());
      }
    } else {
      named = std::find(cors.origins.begin(), cors.origins.end(), *origin) != cors.origins.end();
    }
  }
  bool reflect = named && (cors.credentials || !any);
  if (reflect)
    h.set("Access-Control-Allow-Origin", *origin);
  else if (any)
    h.set("Access-Control-Allow-Origin", "*");
  if (!any || cors.credentials) h.set("Vary", "Origin");  // the answer depends on the Origin
  // As the npm cors package: also beside "*", which browsers refuse for credentialed requests.
  if (cors.credentials && (reflect || any)) h.set("Access-Control-Allow-Credentials", "true");
}

inline void server_core::attach(engine::core& engine) {
  send_budget_ = engine.budget();
  if (options_.metrics_registry && !options_.metrics.path.empty()) {
    engine.add_http_middleware([weak = weak_from_this()](const std::shared_ptr<transport::http_exchange>& ex) {
      auto self = weak.lock();
      return self && self->serve_metrics(ex);
    });
  }
  engine.on_connection([weak = weak_from_this()](engine::session_ptr s) {
    if (auto self = weak.lock()) self->on_engine_connection(std::move(s));
  });
  if (options_.cors.enabled()) {
    engine.add_http_middleware([weak = weak_from_this()](const std::shared_ptr<transport::http_exchange>& ex) {
      auto self = weak.lock();
      if (!self || ex->request().method != "OPTIONS") return false;
      transport::http_response res;
      res.status = 204;
      self->add_cors_headers(res.headers, ex->request());
      res.headers.set("Access-Control-Allow-Methods", self->options_.cors.methods);
      std::string requested{ex->request().headers.get("Access-Control-Request-Headers")};
      std::string headers = self->options_.cors.allowed_headers.empty() ? requested : self->options_.cors.allowed_headers;
      if (!headers.empty()) res.headers.set("Access-Control-Allow-Headers", headers);
      ex->respond(std::move(res));
      return true;
    });
  }
  if (!options_.readiness_path.empty()) {
    engine.add_http_middleware([weak = weak_from_this()](const std::shared_ptr<transport::http_exchange>& ex) {
      auto self = weak.lock();
      const auto& req = ex->request();
      if (!self || req.path != self->options_.readiness_path || (req.method != "GET" && req.method != "HEAD")) return false;
      bool ready = !self->draining() && !self->shutting_down();
      transport::http_response res;
      res.status = ready ? 200 : 503;
      res.headers.add("Content-Type", "text/plain");
      res.headers.add("Cache-Control", "no-store");
      res.body = ready ? "ready\n" : "draining\n";
      ex->respond(std::move(res));
      return true;
    });
  }
  // After CORS, as in the reference: a preflight for the bundle is a preflight.
  engine.add_http_middleware([weak = weak_from_this()](const std::shared_ptr<transport::http_exchange>& ex) {
    auto self = weak.lock();
    return self && self->serve_client(ex);
  });
}

inline void server_core::on_engine_connection(engine::session_ptr s) {
  auto c = std::make_shared<client>(shared_from_this(), std::move(s));
  {
    std::lock_guard<std::mutex> lock(clients_mutex_);
    clients_.emplace(c.get(), c);
  }
  c->start();
  // A handshake that was under way when the drain started: this client drains too.
  if (draining_) c->drain();
}

inline bool server_core::serve_client(const std::shared_ptr<transport::http_exchange>& ex) const {
  if (options_.serve_client_dir.empty()) return false;
  std::string_view path = ex->request().path;
  std::string_view base = options_.path;
  if (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (path.size() <= base.size() + 1 || path.substr(0, base.size()) != base || path[base.size()] != '/') return false;
  std::string file{path.substr(base.size() + 1)};
  static constexpr std::string_view served[] = {"socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.msgpack.min.js"};
  bool is_map = file.size() > 4 && file.compare(file.size() - 4, 4, ".map") == 0;
  std::string_view script = is_map ? std::string_view{file}.substr(0, file.size() - 4) : std::string_view{file};
  if (std::find(std::begin(served), std::end(served), script) == std::end(served)) return false;

  std::string etag = "\"" + options_.client_version + "\"";
  transport::http_response res;
  if (options_.cors.enabled()) add_cors_headers(res.headers, ex->request());
  res.headers.add("Cache-Control", "public, max-age=0");
  res.headers.add("ETag", etag);
  std::string_view inm = ex->request().headers.get("If-None-Match");
  if (inm == etag || inm == "W/" + etag) {
    res.status = 304;
    ex->respond(std::move(res));
    return true;
  }
  std::shared_ptr<const std::string> content;
  {
    std::lock_guard<std::mutex> lock(client_files_mutex_);
    auto& slot = client_files_[file];
    if (!slot) {
      std::ifstream in(options_.serve_client_dir + "/" + file, std::ios::binary);
      if (in) {
        std::ostringstream buf;
        buf << in.rdbuf();
        slot = std::make_shared<const std::string>(buf.str());
      }
    }
    content = slot;
  }
  if (!content) {
    res.status = 404;
    ex->respond(std::move(res));
    return true;
  }
  res.headers.add("Content-Type", is_map ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8");
  res.body = *content;
  ex->respond(std::move(res));
  return true;
}

inline bool server_core::serve_metrics(const std::shared_ptr<transport::http_exchange>& ex) const {
  const auto& req = ex->request();
  if (req.path != options_.metrics.path) return false;
  transport::http_response res;
  if (req.method != "GET" && req.method != "HEAD") {
    res.status = 405;
    res.headers.set("Allow", "GET, HEAD");
    ex->respond(std::move(res));
    return true;
  }
  if (options_.metrics.access) {
    int refusal = 500;
    try {
      refusal = options_.metrics.access(req);
    } catch (...) {
      report_http(req.target, std::current_exception());
    }
    if (refusal != 0) {
      res.status = refusal >= 400 && refusal <= 599 ? refusal : 403;
      if (res.status == 401) res.headers.set("WWW-Authenticate", "Bearer");
      ex->respond(std::move(res));
      return true;
    }
  }
  res.status = 200;
  res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  res.headers.set("Cache-Control", "no-store");
  write_prometheus(metrics(), res.body);
  ex->respond(std::move(res));
  return true;
}

inline metrics_snapshot server_core::metrics() const {
  metrics_snapshot m;
  const metrics_registry* r = options_.metrics_registry.get();
  auto get = [r](std::size_t i) -> std::uint64_t {
    std::int64_t v = r ? r->read(i) : 0;
    return v > 0 ? static_cast<std::uint64_t>(v) : 0;  // a gauge read while shards move may dip below 0
  };
  auto labelled = [&](std::size_t first, std::initializer_list<std::string_view> names) {
    labelled_values out;
    std::size_t i = 0;
    for (auto name : names) out.emplace_back(std::string{name}, static_cast<double>(get(first + i++)));
    return out;
  };
  auto histogram = [&](std::size_t first, std::size_t sum) {
    histogram_snapshot h;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
      running += get(first + i);
      h.bounds.push_back(latency_bounds[i]);
      h.counts.push_back(running);
    }
    h.count = running + get(first + latency_bounds.size());
    h.sum = static_cast<double>(get(sum)) / 1e9;
    return h;
  };
  using R = metrics_registry;
  const std::initializer_list<std::string_view> transports{"polling", "websocket"};
  const std::initializer_list<std::string_view> types{"open", "close", "ping", "pong", "message", "upgrade", "noop"};
  m.connections_open = labelled(R::connections_open, transports);
  m.connections_total = labelled(R::connections_total, transports);
  m.handshakes = get(R::handshakes);
  m.upgrades = get(R::upgrades);
  m.upgrade_failures = get(R::upgrade_failures);
  m.connection_errors = labelled(R::connection_errors, {"0", "1", "2", "3", "4", "5"});
  labelled_values closes;
  for (std::size_t i = 0; i < R::close_reasons; ++i)
    closes.emplace_back(std::string{engine::to_string(static_cast<engine::close_reason>(i))},
                        static_cast<double>(get(R::engine_closes + i)));
  m.engine_closes = std::move(closes);
  labelled_values disconnects;
  for (std::size_t i = 0; i < R::disconnect_reasons; ++i)
    disconnects.emplace_back(std::string{to_string(static_cast<disconnect_reason>(i))}, static_cast<double>(get(R::disconnects + i)));
  m.disconnects = std::move(disconnects);
  m.packets_in = labelled(R::packets_in, types);
  m.bytes_in = labelled(R::bytes_in, types);
  m.packets_out = labelled(R::packets_out, types);
  m.bytes_out = labelled(R::bytes_out, types);
  m.broadcasts = get(R::broadcasts);
  m.broadcast_deliveries = get(R::broadcast_deliveries);
  m.ack_latency = histogram(R::ack_buckets, R::ack_sum_ns);
  m.send_buffered_bytes = r && send_budget_ ? send_budget_->used() : 0;
  m.volatile_dropped = get(R::volatile_dropped);
  m.closed_max_buffered = get(R::closed_max_buffered);
  m.shed_max_memory = get(R::shed_max_memory);
  m.redis_links_up = get(R::redis_links_up);
  m.redis_requests = labelled(R::redis_requests, {"answered", "timed out"});
  m.redis_request_latency = histogram(R::redis_buckets, R::redis_sum_ns);
  if (!r) return m;
  std::vector<std::shared_ptr<namespace_state>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, nsp] : namespaces_) all.push_back(nsp);
  }
  m.namespaces = all.size();
  for (const auto& nsp : all) {
    m.sockets += nsp->socket_count();
    m.rooms += nsp->get_adapter().all_rooms().size();
  }
  return m;
}

}  // namespace sio::detail
