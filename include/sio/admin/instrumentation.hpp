#pragma once
// sio::admin::instrumentation: what sio::admin_ui::instrument sets up (see sio/admin_ui.hpp): the
// dashboard's namespace, its login, its commands, and the observer (detail/observer.hpp) that
// turns the server's activity into the dashboard's events. Everything the dashboard is sent is an
// ordinary broadcast to that namespace: through a cluster adapter it reaches the dashboards of
// every node, as in Node.
#include <unistd.h>

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "sio/admin/in_memory_session_store.hpp"
#include "sio/admin/password_check.hpp"
#include "sio/admin/serialize.hpp"
#include "sio/admin_ui.hpp"
#include "sio/detail/observer.hpp"
#include "sio/server.hpp"

namespace sio::admin {

/// 8 random bytes as 16 lower-case hex characters (Node's session ids).
inline std::string new_session_id() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("sio admin_ui: no random bytes");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "sio";
  return buf;
}

class instrumentation : public detail::observer, public std::enable_shared_from_this<instrumentation> {
 public:
  static constexpr const char* invalid_credentials = "invalid credentials";

  static std::shared_ptr<instrumentation> start(const std::shared_ptr<detail::server_core>& core,
                                                const std::shared_ptr<engine::core>& engine, admin_ui::options opts) {
    if (std::holds_alternative<std::monostate>(opts.auth))
      throw std::invalid_argument("sio admin_ui: choose options.auth: admin_ui::no_auth{} or admin_ui::basic_auth{user, bcrypt hash}");
    if (const auto* basic = std::get_if<admin_ui::basic_auth>(&opts.auth); basic && !is_bcrypt_hash(basic->password_hash))
      throw std::invalid_argument("sio admin_ui: basic_auth.password_hash is not a bcrypt hash ($2a$/$2b$/$2y$, 60 characters)");
    if (opts.stats_interval <= std::chrono::milliseconds::zero())
      throw std::invalid_argument("sio admin_ui: stats_interval must be positive");
    if (opts.namespace_name.empty() || opts.namespace_name.front() != '/') opts.namespace_name = "/" + opts.namespace_name;
    if (opts.server_id.empty()) opts.server_id = host_name();
    if (!opts.store) opts.store = std::make_shared<admin_ui::in_memory_session_store>(opts.session_duration);
    core->of("/");  // Node's servers always have it: all_sockets and the stats list it
    auto self = std::shared_ptr<instrumentation>(new instrumentation(core, engine, std::move(opts)));
    self->install();
    core->set_observer(self);
    self->tick();
    return self;
  }

  ~instrumentation() override {
    if (checker_) checker_->stop();
  }

  // ---- observer ------------------------------------------------------------------------------
  void connection_opened(detail::client& c) override {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    count_locked("rawConnection", {}, 1);
    if (c.session().transport_name() == "polling") polling_.insert(&c);
  }
  void connection_upgraded(detail::client& c) override {
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      polling_.erase(&c);
    }
    if (!development_) return;
    std::vector<std::pair<std::string, std::string>> sockets;
    {
      std::lock_guard<std::mutex> lock(sockets_mutex_);
      if (auto it = by_client_.find(&c); it != by_client_.end()) sockets = it->second;
    }
    for (const auto& [nsp, id] : sockets)
      admin_.emit("socket_updated", value{sio::object{{"id", value{id}}, {"nsp", value{nsp}}, {"transport", value{"websocket"}}}});
  }
  void connection_closed(detail::client& c, std::string_view reason) override {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    count_locked("rawDisconnection", std::string{reason}, 1);
    polling_.erase(&c);
  }
  void message_received(std::size_t bytes) override {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    count_locked("packetsIn", {}, 1);
    count_locked("bytesIn", {}, static_cast<std::int64_t>(bytes));
  }
  void message_sent(std::size_t bytes) override {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    count_locked("packetsOut", {}, 1);
    count_locked("bytesOut", {}, static_cast<std::int64_t>(bytes));
  }
  void socket_connected(detail::socket_state& s) override {
    if (!development_) return;
    {
      std::lock_guard<std::mutex> lock(sockets_mutex_);
      by_client_[&s.owner()].emplace_back(s.nsp()->name(), s.id());
    }
    admin_.emit("socket_connected", serialize(s), iso_time(std::chrono::system_clock::now()));
  }
  void socket_disconnected(detail::socket_state& s, disconnect_reason reason) override {
    if (!development_) return;
    {
      std::lock_guard<std::mutex> lock(sockets_mutex_);
      if (auto it = by_client_.find(&s.owner()); it != by_client_.end()) {
        auto& list = it->second;
        list.erase(std::remove(list.begin(), list.end(), std::make_pair(s.nsp()->name(), s.id())), list.end());
        if (list.empty()) by_client_.erase(it);
      }
    }
    admin_.emit("socket_disconnected", s.nsp()->name(), s.id(), std::string{to_string(reason)}, now());
  }
  void room_joined(const detail::namespace_state& nsp, const room_id& room, const socket_id& id) override {
    if (development_) admin_.emit("room_joined", nsp.name(), room, id, now());
  }
  void room_left(const detail::namespace_state& nsp, const room_id& room, const socket_id& id) override {
    if (development_) admin_.emit("room_left", nsp.name(), room, id, now());
  }
  void event_received(detail::socket_state& s, const arguments& args) override {
    // Not for the dashboards' own namespace: reporting its traffic to itself would never end.
    if (!development_ || s.nsp().get() == admin_state_.get()) return;
    admin_.emit("event_received", s.nsp()->name(), s.id(), value{args.values()}, now());
  }
  void event_sent(const detail::namespace_state& nsp, const socket_id& id, const frame_list& frames) override {
    if (!development_ || &nsp == admin_state_.get() || !frames || frames->empty()) return;
    value event = event_of_frame(*frames->front().bytes);
    if (event.is_null()) return;
    admin_.emit("event_sent", nsp.name(), id, std::move(event), now());
  }
  value socket_data(detail::socket_state& s, value data) override {
    // What a dashboard on another node needs to show this socket (Node's nodes expect the same).
    if (!data.is_null() && !data.is_object()) return data;
    if (data.is_null()) data = value{sio::object{}};
    data.as_object().emplace_back("_admin", value{sio::object{{"clientId", value{client_id(s)}},
                                                              {"transport", value{std::string{s.owner().session().transport_name()}}}}});
    return data;
  }
  void server_closing() override {
    closed_ = true;
    asio::dispatch(timer_strand_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->timer_.cancel();
    });
    if (checker_) checker_->stop();
    options_.store->close();
  }

 private:
  instrumentation(const std::shared_ptr<detail::server_core>& core, const std::shared_ptr<engine::core>& engine, admin_ui::options opts)
      : core_(core),
        engine_(engine),
        options_(std::move(opts)),
        development_(options_.mode == admin_ui::mode::development),
        admin_state_(core->of(options_.namespace_name)),
        admin_(detail::namespace_access::make(admin_state_)),
        timer_strand_(asio::make_strand(admin_state_->executor())),
        timer_(timer_strand_),
        started_(std::chrono::steady_clock::now()) {
    if (const auto* basic = std::get_if<admin_ui::basic_auth>(&options_.auth))
      checker_ = std::make_unique<password_checker>(basic->password_hash, options_.max_pending_logins);
  }

  static std::string now() { return iso_time(std::chrono::system_clock::now()); }
  static std::string client_id(const detail::socket_state& s) { return s.owner().session().id().substr(0, 12); }

  static value serialize(detail::socket_state& s) {
    return socket_value(s.id(), client_id(s), std::string{s.owner().session().transport_name()}, s.nsp()->name(), s.data_value(),
                        s.handshake(), s.rooms(), s.id());
  }

  void install() {
    auto weak = weak_from_this();
    if (std::holds_alternative<admin_ui::basic_auth>(options_.auth))
      admin_.use([weak](sio::socket s, sio::connect_next next) {
        if (auto self = weak.lock()) self->authenticate(s, std::move(next));
      });
    admin_.on_connection([weak](sio::socket s) {
      if (auto self = weak.lock()) self->welcome(s);
    });
  }

  // ---- login ---------------------------------------------------------------------------------
  /// A session id it holds, else a username and password: anything else (missing, not strings)
  /// is a failed login, never an error.
  void authenticate(const sio::socket& s, sio::connect_next next) {
    const value& auth = s.handshake().auth;
    std::string session = member_string(auth, "sessionId");
    if (!session.empty() && session.size() <= 64) {
      options_.store->exists(session, [weak = weak_from_this(), s, next](bool found) {
        if (found) return next();
        if (auto self = weak.lock()) self->check_password(s, next);
      });
      return;
    }
    check_password(s, std::move(next));
  }

  void check_password(const sio::socket& s, sio::connect_next next) {
    const auto& basic = std::get<admin_ui::basic_auth>(options_.auth);
    const value& auth = s.handshake().auth;
    const value* user = auth.find("username");
    const value* password = auth.find("password");
    if (!user || !password || !user->is_string() || !password->is_string() || !constant_time_equal(user->as_string(), basic.username))
      return next(connect_error{invalid_credentials, std::nullopt});
    auto logins = logins_;
    auto store = options_.store;
    std::string id = s.id();
    bool queued = checker_->submit(password->as_string(), [logins, store, id, next](bool ok) {
      if (!ok) return next(connect_error{invalid_credentials, std::nullopt});
      std::string session = new_session_id();
      store->save(session);
      logins->add(id, session);
      next();
    });
    if (!queued) next(connect_error{"too many logins in progress", std::nullopt});
  }

  /// Sessions made by a login, until their socket's connection handler sends them.
  struct login_sessions {
    std::mutex mutex;
    std::unordered_map<std::string, std::string> by_socket;
    std::deque<std::string> order;
    static constexpr std::size_t max = 1024;  // sockets gone before their handler leave theirs behind
    void add(const std::string& socket, const std::string& session) {
      std::lock_guard<std::mutex> lock(mutex);
      if (order.size() >= max) {
        by_socket.erase(order.front());
        order.pop_front();
      }
      by_socket[socket] = session;
      order.push_back(socket);
    }
    std::string take(const std::string& socket) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = by_socket.find(socket);
      if (it == by_socket.end()) return {};
      std::string out = std::move(it->second);
      by_socket.erase(it);
      order.erase(std::remove(order.begin(), order.end(), socket), order.end());
      return out;
    }
  };

  // ---- a dashboard connected -----------------------------------------------------------------
  void welcome(const sio::socket& s) {
    // `session` goes after the CONNECT reply (Node sends it before, where the 0.5.1 dashboard's
    // client drops it: it only listens once connected). Either order is valid Socket.IO.
    std::string session = logins_->take(s.id());
    if (!session.empty()) s.emit("session", session);
    sio::array features;
    if (!options_.readonly)
      for (const char* f : {"JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"}) features.emplace_back(f);
    features.emplace_back("AGGREGATED_EVENTS");
    if (development_) features.emplace_back("ALL_EVENTS");
    s.emit("config", value{sio::object{{"supportedFeatures", value{std::move(features)}}}});
    if (development_) send_all_sockets(s);
    if (options_.readonly) return;  // no command handler at all: what the dashboard sends is ignored
    auto weak = weak_from_this();
    s.on("join", [weak](sio::arguments args) {
      if (auto self = weak.lock()) self->rooms_command(args, true);
    });
    s.on("leave", [weak](sio::arguments args) {
      if (auto self = weak.lock()) self->rooms_command(args, false);
    });
    s.on("_disconnect", [weak](sio::arguments args) {
      if (auto self = weak.lock()) self->disconnect_command(args);
    });
  }

  /// The namespace a command names, if it exists: a dashboard cannot create namespaces.
  std::optional<sio::namespace_> target(const sio::arguments& args) const {
    auto core = core_.lock();
    if (!core || args.size() < 2 || !args[0].is_string()) return std::nullopt;
    auto nsp = core->find(args[0].as_string());
    if (!nsp) return std::nullopt;
    return detail::namespace_access::make(nsp);
  }
  static std::optional<std::string> filter_of(const sio::arguments& args, std::size_t index) {
    if (args.size() <= index || !args[index].is_string() || args[index].as_string().empty()) return std::nullopt;
    return args[index].as_string();
  }

  /// join / leave (nsp, room, filter?): every socket of nsp, or those in room `filter` (a socket
  /// id names one socket). Through the adapter: the whole cluster.
  void rooms_command(const sio::arguments& args, bool join) const {
    auto nsp = target(args);
    if (!nsp || !args[1].is_string()) return;
    std::vector<room_id> rooms{args[1].as_string()};
    auto filter = filter_of(args, 2);
    if (filter) {
      if (join)
        nsp->in(*filter).sockets_join(rooms);
      else
        nsp->in(*filter).sockets_leave(rooms);
    } else if (join) {
      nsp->sockets_join(rooms);
    } else {
      nsp->sockets_leave(rooms);
    }
  }

  /// _disconnect (nsp, close, filter?).
  void disconnect_command(const sio::arguments& args) const {
    auto nsp = target(args);
    if (!nsp || !args[1].is_bool()) return;
    bool close = args[1].as_bool();
    if (auto filter = filter_of(args, 2))
      nsp->in(*filter).disconnect_sockets(close);
    else
      nsp->disconnect_sockets(close);
  }

  /// all_sockets: every socket of every namespace this server has, from every node.
  void send_all_sockets(const sio::socket& s) {
    auto core = core_.lock();
    if (!core) return;
    auto names = core->namespace_counts();
    struct gathering {
      std::mutex mutex;
      std::size_t pending = 0;
      sio::array sockets;
    };
    auto g = std::make_shared<gathering>();
    g->pending = names.size();
    if (names.empty()) return;
    for (const auto& [name, count] : names) {
      auto nsp = core->find(name);
      if (!nsp) {
        finish_gathering(g, s, {});
        continue;
      }
      std::string nsp_name = name;
      detail::namespace_access::make(nsp).fetch_sockets(
          [g, s, nsp_name](std::error_code, std::vector<sio::remote_socket> found) {  // a node that did not answer: its sockets are missing
            sio::array serialized;
            for (const auto& r : found) {
              const value* admin = r.data().find("_admin");
              std::string client = admin ? member_string(*admin, "clientId") : std::string{};
              std::string transport = admin ? member_string(*admin, "transport") : std::string{};
              serialized.push_back(socket_value(r.id(), client, transport, nsp_name, r.data(), r.handshake(), r.rooms(), r.id()));
            }
            finish_gathering(g, s, std::move(serialized));
          });
    }
  }
  template <class G>
  static void finish_gathering(const std::shared_ptr<G>& g, const sio::socket& s, sio::array more) {
    std::unique_lock<std::mutex> lock(g->mutex);
    for (auto& v : more) g->sockets.push_back(std::move(v));
    if (--g->pending != 0) return;
    auto all = std::move(g->sockets);
    lock.unlock();
    s.emit("all_sockets", value{std::move(all)});
  }

  // ---- server_stats --------------------------------------------------------------------------
  void count_locked(const char* type, std::string sub_type, std::int64_t n) {
    auto second = epoch_ms(std::chrono::system_clock::now()) / 1000 * 1000;
    events_[std::make_tuple(second, type, std::move(sub_type))] += n;
  }

  void tick() {
    if (closed_) return;
    send_stats();
    timer_.expires_after(options_.stats_interval);
    timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->tick();
    });
  }

  void send_stats() {
    auto core = core_.lock();
    if (!core) return;
    sio::array aggregated;
    std::size_t polling = 0;
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      for (const auto& [key, count] : events_) {
        const auto& [timestamp, type, sub_type] = key;
        sio::object e{{"timestamp", value{timestamp}}, {"type", value{type}}};
        if (!sub_type.empty()) e.emplace_back("subType", value{sub_type});
        e.emplace_back("count", value{count});
        aggregated.emplace_back(std::move(e));
      }
      events_.clear();
      polling = polling_.size();
    }
    sio::array namespaces;
    for (const auto& [name, count] : core->namespace_counts())
      namespaces.emplace_back(sio::object{{"name", value{name}}, {"socketsCount", value{count}}});
    auto engine = engine_.lock();
    double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    admin_.emit("server_stats", value{sio::object{{"serverId", value{options_.server_id}},
                                                  {"hostname", value{host_name()}},
                                                  {"pid", value{static_cast<std::int64_t>(getpid())}},
                                                  {"uptime", value{uptime}},
                                                  {"clientsCount", value{engine ? engine->session_count() : 0}},
                                                  {"pollingClientsCount", value{polling}},
                                                  {"aggregatedEvents", value{std::move(aggregated)}},
                                                  {"namespaces", value{std::move(namespaces)}}}});
  }

  std::weak_ptr<detail::server_core> core_;
  std::weak_ptr<engine::core> engine_;
  admin_ui::options options_;
  const bool development_;
  std::shared_ptr<detail::namespace_state> admin_state_;
  sio::namespace_ admin_;
  asio::strand<asio::any_io_executor> timer_strand_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point started_;
  std::atomic<bool> closed_{false};
  std::unique_ptr<password_checker> checker_;
  std::shared_ptr<login_sessions> logins_ = std::make_shared<login_sessions>();

  std::mutex stats_mutex_;
  std::map<std::tuple<std::int64_t, std::string, std::string>, std::int64_t> events_;  ///< per second, type, sub-type
  std::unordered_set<const detail::client*> polling_;

  std::mutex sockets_mutex_;
  std::unordered_map<const detail::client*, std::vector<std::pair<std::string, std::string>>> by_client_;  ///< development: for upgrades
};

}  // namespace sio::admin
