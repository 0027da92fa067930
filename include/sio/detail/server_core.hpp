#pragma once
// sio::detail::server_core: the transport-independent part of sio::server: namespaces (static and
// dynamic), the client bundle, CORS, the bridge from Engine.IO sessions to clients, and the
// server-wide limits (pending handshakes, dynamic namespaces) and error reports.
#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <regex>
#include <string>
#include <vector>

#include "sio/engine/core.hpp"
#include "sio/detail/namespace_state.hpp"
#include "sio/detail/observer.hpp"
#include "sio/metrics.hpp"
#include "sio/namespace.hpp"
#include "sio/options.hpp"

namespace sio {

using namespace_matcher = std::function<bool(const std::string& name, const transport::http_request& handshake, const value& auth)>;

namespace detail {

class server_core : public std::enable_shared_from_this<server_core> {
 public:
  /// `executor`: where namespaces and adapters run their timers (the server's io_context).
  server_core(asio::any_io_executor executor, server_options opts, adapter_factory make_adapter)
      : options_(std::move(opts)), executor_(std::move(executor)), make_adapter_(std::move(make_adapter)) {
    if (options_.metrics.enabled && !options_.metrics_registry) options_.metrics_registry = std::make_shared<metrics_registry>();
  }

  const server_options& options() const noexcept { return options_; }
  /// The namespace `name`, created on first use.
  std::shared_ptr<namespace_state> of(const std::string& name);
  /// A dynamic namespace: children are created for every name the matcher accepts.
  std::shared_ptr<namespace_state> of(namespace_matcher matcher);
  /// The namespace a client asks for: existing, or a new child of a matching dynamic one (within
  /// max_dynamic_namespaces); null when there is none. A place in it is reserved for the socket
  /// (namespace_state::reserve). `sid` (the Engine.IO session's) is for reports.
  std::shared_ptr<namespace_state> resolve(const std::string& name, const transport::http_request& req, const value& auth,
                                           const std::string& sid = {});
  void on_new_namespace(std::function<void(namespace_)> fn) { on_new_namespace_.push_back(std::move(fn)); }

  /// To on_handler_error and the logger; never throws. Any thread.
  void report(const handler_error& e) const noexcept;
  /// A user hook of the HTTP layer threw (`what`: the request target).
  void report_http(std::string_view what, std::exception_ptr error) const noexcept;
  /// Clients that have not joined a namespace yet (max_pending_handshakes): a new one may push
  /// out the oldest, which is closed. Any thread.
  void add_pending(const std::shared_ptr<client>& c);
  void remove_pending(client& c);
  std::size_t pending_handshakes() const {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    return pending_.size();
  }
  /// Children of dynamic namespaces that exist now.
  std::size_t dynamic_namespaces() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return children_;
  }

  /// Installs serve_client, CORS, the readiness path and the session bridge on an engine core.
  void attach(engine::core& engine);
  void on_engine_connection(engine::session_ptr s);
  /// A client's connection closed and its sockets were told (and persisted). On its strand.
  void remove_client(const client& c);
  /// Every socket is told (reason "server shutting down"), then the sessions close.
  bool shutting_down() const noexcept { return shutting_down_.load(); }
  void set_shutting_down() noexcept { shutting_down_ = true; }
  /// io.close(): every namespace's adapter closes (a cluster adapter its connections) once the
  /// last client is gone, so that the sockets persist their sessions first. `done` runs then
  /// (at once when there is no client). Any thread.
  void close_adapters_after_clients(std::function<void()> done = {});
  /// io.drain(deadline): every client closes its connection once it has no ack pending either
  /// way (its sockets persisted, recoverable); at the deadline `force_close` closes what is left.
  /// Once the last client is gone the adapters close, then `finish` (the engine's last sessions
  /// and its listener) and `done`. Any thread.
  void drain(std::chrono::milliseconds deadline, std::function<void()> force_close, std::function<void(std::function<void()>)> finish,
             std::function<void()> done);
  bool draining() const noexcept { return draining_.load(); }
  std::string next_socket_id() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.next();
  }
  /// Engine options with the Socket.IO layer's hooks (CORS headers) installed.
  engine::options engine_options() const;
  /// What the counters say now (all zero when metrics are off). Any thread.
  metrics_snapshot metrics() const;

  /// The instrument watching this server (detail/observer.hpp), or null. Set it before the
  /// io_context runs; every namespace, present and future, reports to it. Kept until the server goes.
  void set_observer(std::shared_ptr<observer> o);
  observer* get_observer() const noexcept { return observer_.load(std::memory_order_acquire); }
  /// Every namespace that exists now (children of dynamic ones included, their parents not), with
  /// its connected sockets on this server.
  std::vector<std::pair<std::string, std::size_t>> namespace_counts() const;
  /// The namespace `name` if it exists (never creates one).
  std::shared_ptr<namespace_state> find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = namespaces_.find(name);
    return it == namespaces_.end() ? nullptr : it->second;
  }

 private:
  bool serve_client(const std::shared_ptr<transport::http_exchange>& ex) const;
  bool serve_metrics(const std::shared_ptr<transport::http_exchange>& ex) const;
  void add_cors_headers(transport::header_list& headers, const transport::http_request& req) const;
  std::shared_ptr<namespace_state> make_namespace(const std::string& name);
  std::shared_ptr<namespace_state> find_reserved(const std::string& name);
  void child_emptied(namespace_state& child);
  void report_limit(error_source source, const std::string& sid, const std::string& nsp, std::string message) const;
  void close_adapters();

  server_options options_;
  asio::any_io_executor executor_;
  adapter_factory make_adapter_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<namespace_state>> namespaces_;
  std::vector<std::pair<namespace_matcher, std::shared_ptr<namespace_state>>> parents_;
  // Dynamic children (under mutex_): how many exist, and the empty ones, longest empty first,
  // each with its place in that list so that a reserve takes it out in O(1).
  std::size_t children_ = 0;
  std::list<namespace_state*> empty_children_;
  std::map<const namespace_state*, std::list<namespace_state*>::iterator> empty_positions_;
  mutable std::mutex pending_mutex_;
  std::list<std::weak_ptr<client>> pending_;  ///< oldest first
  std::vector<std::function<void(namespace_)>> on_new_namespace_;
  engine::sid_generator ids_;
  std::shared_ptr<transport::memory_budget> recovery_budget_;  ///< kept packets of every namespace
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> draining_{false};
  // The clients whose connection is open, for drain and for closing the adapters after them.
  mutable std::mutex clients_mutex_;
  std::unordered_map<const client*, std::weak_ptr<client>> clients_;
  bool closing_ = false;          ///< under clients_mutex_: adapters close when clients_ empties
  bool adapters_closed_ = false;  ///< under clients_mutex_
  std::vector<std::function<void()>> after_close_;
  std::atomic<observer*> observer_{nullptr};
  std::shared_ptr<observer> observer_keep_;
  std::shared_ptr<transport::memory_budget> send_budget_;  ///< the engine's output memory (set by attach)
  mutable std::mutex client_files_mutex_;
  mutable std::map<std::string, std::shared_ptr<const std::string>> client_files_;
};

}  // namespace detail
}  // namespace sio
