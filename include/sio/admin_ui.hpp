#pragma once
// sio::admin_ui: the server half of the official Socket.IO dashboard, @socket.io/admin-ui 0.5
// (Node's `instrument(io, options)`). The dashboard connects to a namespace of this server
// ("/admin"), logs in, and is sent the server's stats every 2 s and, in development mode, every
// socket, room and event; it can make sockets join or leave rooms and disconnect them.
//
//   sio::admin_ui::options admin;
//   admin.auth = sio::admin_ui::basic_auth{"admin", "$2b$10$..."};  // a bcrypt hash, see README
//   sio::admin_ui::instrument(io, admin);
//
// Serve the dashboard's files (`ui/dist` of the npm package) from any page, or use the hosted
// https://admin.socket.io with CORS (server_options::cors) allowing it with credentials.
//
// Security: production mode (the default) sends no handshake, no socket data and no event
// argument to the dashboard. Development mode sends every client's handshake (its headers, cookies
// included, and query string), its data and the arguments of every event, to every dashboard: use
// it only on a machine of your own. Logins are checked off the io_context on one worker thread
// (bcrypt costs ~60 ms at cost 10); at most options::max_pending_logins wait, others are refused.
//
// Links with libcrypt (libxcrypt, Debian's libcrypt-dev): target sio::admin_ui.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace sio::admin_ui {

/// No login at all: anyone who reaches the namespace sees the dashboard (a local demo).
struct no_auth {};
/// A username and a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters) of the password.
struct basic_auth {
  std::string username;
  std::string password_hash;
};

enum class mode { production, development };

/// Where login sessions are kept: the dashboard may log in again with a session id. A cluster
/// shares one (sio/redis/admin_session_store.hpp) so that a session works on every node.
class session_store {
 public:
  virtual ~session_store() = default;
  /// Keeps `id` (16 hex characters) as a valid session.
  virtual void save(const std::string& id) = 0;
  /// Calls done(true) when `id` is a session kept and not expired; from any thread.
  virtual void exists(const std::string& id, std::function<void(bool)> done) = 0;
  /// The server closes: let go of connections (the io_context must run out of work).
  virtual void close() {}
};

struct options {
  /// The namespace the dashboard connects to.
  std::string namespace_name = "/admin";
  /// Must be chosen (as in Node): no_auth{} or basic_auth{...}. Left unset, instrument() throws.
  std::variant<std::monostate, no_auth, basic_auth> auth;
  /// No join, leave or disconnect from the dashboard.
  bool readonly = false;
  /// See the header comment: development leaks handshakes, cookies and event arguments.
  admin_ui::mode mode = admin_ui::mode::production;
  /// How this server is named on the dashboard; default: the host name (set it when several
  /// servers share a host).
  std::string server_id;
  /// Default: an in-memory store (sessions live session_duration; at most 10,000).
  std::shared_ptr<session_store> store;
  std::chrono::seconds session_duration{86400};
  std::chrono::milliseconds stats_interval{2000};
  /// Logins waiting for their bcrypt check (one runs at a time); beyond, refused at once.
  std::size_t max_pending_logins = 16;
};

}  // namespace sio::admin_ui

#include "sio/admin/instrumentation.hpp"

namespace sio::admin_ui {

/// Instruments `io` (any sio::server): the dashboard's namespace and the hooks. Call it while
/// configuring, before the io_context runs. Throws std::invalid_argument on a bad option (auth not
/// chosen, a hash that is not bcrypt).
template <class Server>
void instrument(Server& io, options opts) {
  admin::instrumentation::start(io.core(), io.engine().core(), std::move(opts));
}

}  // namespace sio::admin_ui
