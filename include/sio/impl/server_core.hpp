#pragma once
// Out-of-line definitions of sio::server_core.
#include <fstream>
#include <sstream>

#include "sio/impl/client.hpp"
#include "sio/server_core.hpp"

namespace sio {

inline std::shared_ptr<namespace_> server_core::of(const std::string& name) {
  std::string key = name.empty() || name.front() != '/' ? "/" + name : name;
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = namespaces_[key];
  if (!slot) slot = std::make_shared<namespace_>(key, make_adapter_);
  return slot;
}

inline std::shared_ptr<namespace_> server_core::of(namespace_matcher matcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto parent = std::make_shared<namespace_>("/_dynamic_" + std::to_string(parents_.size()), make_adapter_);
  parents_.emplace_back(std::move(matcher), parent);
  return parent;
}

inline std::shared_ptr<namespace_> server_core::resolve(const std::string& name, const transport::http_request& req, const value& auth) {
  std::shared_ptr<namespace_> child;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = namespaces_.find(name); it != namespaces_.end()) return it->second;
    for (auto& [matches, parent] : parents_) {
      if (!matches(name, req, auth)) continue;
      child = std::make_shared<namespace_>(name, make_adapter_);
      child->inherit_from(*parent);
      if (options_.cleanup_empty_child_namespaces) {
        child->on_empty = [weak = weak_from_this(), name](namespace_&) {
          if (auto self = weak.lock()) {
            std::lock_guard<std::mutex> l(self->mutex_);
            self->namespaces_.erase(name);
          }
        };
      }
      namespaces_[name] = child;
      parent->add_child(child);
      break;
    }
  }
  if (child)
    for (auto& fn : on_new_namespace_) fn(*child);
  return child;
}

inline engine::options server_core::engine_options() const {
  engine::options o = options_;
  if (options_.cors.enabled()) {
    auto user = o.headers;
    o.headers = [self = this, user](transport::header_list& h, const transport::http_request& req) {
      self->add_cors_headers(h, req);
      if (user) user(h, req);
    };
  }
  return o;
}

inline void server_core::add_cors_headers(transport::header_list& h, const transport::http_request& req) const {
  const auto& cors = options_.cors;
  std::string origin{req.headers.get("Origin")};
  bool any = std::find(cors.origins.begin(), cors.origins.end(), "*") != cors.origins.end();
  bool allowed = any || (cors.allow_origin ? cors.allow_origin(origin)
                                          : std::find(cors.origins.begin(), cors.origins.end(), origin) != cors.origins.end());
  if (!allowed) return;
  if (any && !cors.credentials) {
    h.set("Access-Control-Allow-Origin", "*");
  } else if (!origin.empty()) {
    h.set("Access-Control-Allow-Origin", origin);
    h.set("Vary", "Origin");
  }
  if (cors.credentials) h.set("Access-Control-Allow-Credentials", "true");
}

inline void server_core::attach(engine::core& engine) {
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
  // After CORS, as in the reference: a preflight for the bundle is a preflight.
  engine.add_http_middleware([weak = weak_from_this()](const std::shared_ptr<transport::http_exchange>& ex) {
    auto self = weak.lock();
    return self && self->serve_client(ex);
  });
}

inline void server_core::on_engine_connection(engine::session_ptr s) {
  std::make_shared<client>(shared_from_this(), std::move(s))->start();
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

}  // namespace sio
