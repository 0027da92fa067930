#pragma once
// sio::server_core: the transport-independent part of sio::server: namespaces (static and
// dynamic), the client bundle, CORS, and the bridge from Engine.IO sessions to clients.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "sio/engine/core.hpp"
#include "sio/namespace.hpp"
#include "sio/options.hpp"

namespace sio {

using namespace_matcher = std::function<bool(const std::string& name, const transport::http_request& handshake, const value& auth)>;

class server_core : public std::enable_shared_from_this<server_core> {
 public:
  server_core(server_options opts, adapter_factory make_adapter)
      : options_(std::move(opts)), make_adapter_(std::move(make_adapter)) {}

  const server_options& options() const noexcept { return options_; }
  /// The namespace `name`, created on first use.
  std::shared_ptr<namespace_> of(const std::string& name);
  /// A dynamic namespace: children are created for every name the matcher accepts.
  std::shared_ptr<namespace_> of(namespace_matcher matcher);
  /// The namespace a client asks for: existing, or a new child of a matching dynamic one.
  std::shared_ptr<namespace_> resolve(const std::string& name, const transport::http_request& req, const value& auth);
  void on_new_namespace(std::function<void(namespace_&)> fn) { on_new_namespace_.push_back(std::move(fn)); }

  /// Installs serve_client, CORS and the session bridge on an engine core.
  void attach(engine::core& engine);
  void on_engine_connection(engine::session_ptr s);
  /// Every socket is told (reason "server shutting down"), then the sessions close.
  bool shutting_down() const noexcept { return shutting_down_.load(); }
  void set_shutting_down() noexcept { shutting_down_ = true; }
  std::string next_socket_id() {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.next();
  }
  /// Engine options with the Socket.IO layer's hooks (CORS headers) installed.
  engine::options engine_options() const;

 private:
  bool serve_client(const std::shared_ptr<transport::http_exchange>& ex) const;
  void add_cors_headers(transport::header_list& headers, const transport::http_request& req) const;

  server_options options_;
  adapter_factory make_adapter_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<namespace_>> namespaces_;
  std::vector<std::pair<namespace_matcher, std::shared_ptr<namespace_>>> parents_;
  std::vector<std::function<void(namespace_&)>> on_new_namespace_;
  engine::sid_generator ids_;
  std::atomic<bool> shutting_down_{false};
  mutable std::mutex client_files_mutex_;
  mutable std::map<std::string, std::shared_ptr<const std::string>> client_files_;
};

}  // namespace sio
