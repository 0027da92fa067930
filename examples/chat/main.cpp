// The chat app every Socket.IO tutorial ends with, on sio: a page and Socket.IO on one port.
//
//   sio_chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--client-dir DIR] [--redis URL] [--admin-ui] [--metrics]
//
// --port 0 picks a free port; the line "listening on http://HOST:PORT/" says which.
// --redis redis://127.0.0.1:6379 makes this server one node of a cluster: run several, each on its
// own port, with the same URL. Users on every node see one user list, nicknames are unique across
// the cluster, and messages, private messages and typing hints cross nodes.
// --admin-ui opens the server to the official dashboard (@socket.io/admin-ui 0.5) WITHOUT a login
// and in development mode (every socket, room and event, cookies included): a local demo only.
// Open https://admin.socket.io (or its files served from http://localhost) and connect it to
// http://HOST:PORT with "websocket only"; see README "Operating sio" for production use.
// --metrics serves the server's metrics in the Prometheus text format at /metrics (no access check:
// a local demo).
//
// Events, client -> server:
//   "set nickname"    (name, ack)        ack({ok:true}) or ack({ok:false, error:"..."})
//   "chat message"    (text)             to everyone in the sender's room, the sender included
//   "typing"          (bool)             volatile, to the others in the room
//   "join room"       (room, ack)        leaves the previous room, joins this one; ack(bool)
//   "rejoin"          (name, room, ack)  after a reconnection that did not recover the session (a
//                                        server restart, a cluster node): nickname and room back
//   "private message" (to_id, text, ack) to one socket, by id (on any node); ack(bool)
// Events, server -> client: "chat message", "private message", "user list", "typing", "notice",
//   "server shutdown" (time, ack) before the server closes on Ctrl-C.
//
// Who is who lives in each socket's data ({nickname, room, claimed_at}), so that fetch_sockets
// finds it on every node; nicknames.hpp keeps the claims.
//
// A page whose link drops comes back with connection state recovery (one server): the same socket,
// nickname and room, and the messages it missed; its nickname is held for it meanwhile and nobody
// sees it leave.
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <sio/server.hpp>
#ifdef SIO_CHAT_WITH_ADMIN_UI
#include <sio/admin_ui.hpp>
#endif
#ifdef SIO_CHAT_WITH_REDIS
#include <sio/redis_adapter.hpp>
#endif

#include "nicknames.hpp"

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// "14:03:27 " in front of every log line.
std::ostream& log() {
  std::time_t t = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S ", std::localtime(&t));
  return std::cout << buf;
}

std::string auth_token(const sio::socket& socket) {
  const sio::value* token = socket.handshake().auth.find("token");
  return token && token->is_string() && token->as_string().size() <= 64 ? token->as_string() : std::string{};
}

/// A socket's {nickname, room}: socket.data, which fetch_sockets carries between nodes. On the
/// socket's strand (its handlers) only.
sio::value& profile(const sio::socket& socket) {
  sio::value& data = socket.data<sio::value>();
  if (!data.is_object()) data = {{"nickname", ""}, {"room", "general"}};
  return data;
}
std::string field(const sio::value& data, const char* name) {
  const sio::value* v = data.find(name);
  return v && v->is_string() ? v->as_string() : std::string{};
}
std::int64_t claimed_at(const sio::value& data) {
  const sio::value* v = data.find("claimed_at");
  return v && v->is_int64() ? v->as_int64() : 0;
}

int usage(std::ostream& out, int status) {
  out << "usage: sio_chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--client-dir DIR] [--redis URL] [--admin-ui] [--metrics]\n"
         "  --port 0 picks a free port; the page is served on http://HOST:PORT/\n"
         "  --redis redis://HOST:PORT joins the cluster of chat servers on that Redis\n"
         "  --admin-ui accepts the Admin UI dashboard without a login (a local demo)\n"
         "  --metrics serves Prometheus metrics at http://HOST:PORT/metrics\n";
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", public_dir = SIO_CHAT_PUBLIC_DIR, redis_url;
  int port = 3000;
  sio::server_options opts;
  opts.serve_client_dir = SIO_CHAT_CLIENT_DIR;  // GET /socket.io/socket.io.js, as socket.io's serveClient
  bool admin_ui = false;
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "-h" || a == "--help") return usage(std::cout, 0);
    if (a == "--metrics" || a == "--admin-ui") {  // flags: no value follows
      if (a == "--metrics") opts.metrics.enabled = true;
      if (a == "--admin-ui") admin_ui = true;
      --i;
      continue;
    }
    if (a == "--host" && !v.empty())
      host = v;
    else if (a == "--port" && !v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos)
      port = std::stoi(v);
    else if (a == "--public" && !v.empty())
      public_dir = v;
    else if (a == "--client-dir" && !v.empty())
      opts.serve_client_dir = v;
    else if (a == "--redis" && !v.empty())
      redis_url = v;
    else
      return usage(std::cerr, 2);
  }
  if (port > 65535) return usage(std::cerr, 2);
  // One server keeps what a dropped page needs to come back (two minutes, as Node's default). The
  // Redis pub/sub adapter of a cluster cannot, as in Node: there pages "rejoin".
  const bool recovery = redis_url.empty();
  if (recovery) opts.connection_state_recovery.emplace();
  if (admin_ui) {
    // The dashboard is another page (the hosted one, or its files served locally): it connects
    // cross-origin, with credentials.
    opts.cors.allow_origin = [](const std::string& origin) {
      auto local = [&origin](const char* prefix) { return origin.rfind(prefix, 0) == 0; };
      return origin == "https://admin.socket.io" || local("http://localhost:") || local("http://127.0.0.1:");
    };
    opts.cors.credentials = true;
  }

  asio::io_context ctx;
  asio::thread_pool file_reads{1};  // the page's files are read there, off the clients' strands
  std::shared_ptr<nicknames> names = std::make_shared<local_nicknames>();
  std::unique_ptr<sio::server<>> server;  // polling first, then the upgrade to WebSocket
  if (redis_url.empty()) {
    server = std::make_unique<sio::server<>>(ctx, opts);
  } else {
#ifdef SIO_CHAT_WITH_REDIS
    try {
      sio::redis_adapter_options cluster;
      cluster.url = redis_url;
      cluster.on_error = [](std::error_code ec, const std::string& what) {
        log() << "redis         " << what << ": " << ec.message() << std::endl;
      };
      server = std::make_unique<sio::server<>>(ctx, opts, sio::redis_adapter::create(ctx, cluster));
      names = redis_nicknames::create(ctx, redis_url);
    } catch (const std::exception& e) {
      std::cerr << "--redis " << redis_url << ": " << e.what() << "\n";
      return 2;
    }
#else
    std::cerr << "this sio_chat was built without Redis support (hiredis and msgpack-cxx)\n";
    return 2;
#endif
  }
  sio::server<>& io = *server;
  if (admin_ui) {
#ifdef SIO_CHAT_WITH_ADMIN_UI
    sio::admin_ui::options admin;
    admin.auth = sio::admin_ui::no_auth{};
    admin.mode = sio::admin_ui::mode::development;
    admin.server_id = "chat-" + std::to_string(port);
    sio::admin_ui::instrument(io, admin);
#else
    std::cerr << "this sio_chat was built without the Admin UI (libxcrypt's libcrypt-dev)\n";
    return 2;
#endif
  }

  // Requests that are not for /socket.io/ come here: the page's three files.
  io.on_http_request(file_reads.get_executor(), [public_dir](const std::shared_ptr<sio::transport::http_exchange>& ex) {
    struct file {
      const char* name;
      const char* type;
    };
    static const std::map<std::string, file> files = {{"/", {"index.html", "text/html"}},
                                                      {"/index.html", {"index.html", "text/html"}},
                                                      {"/style.css", {"style.css", "text/css"}},
                                                      {"/chat.js", {"chat.js", "text/javascript"}}};
    sio::transport::http_response res;
    const std::string& method = ex->request().method;
    if (method != "GET" && method != "HEAD") {  // HEAD gets the headers alone (sio drops its body)
      res.status = 405;
      res.headers.add("Allow", "GET, HEAD");
      return ex->respond(std::move(res));
    }
    auto it = files.find(ex->request().path);
    if (it != files.end()) res.body = read_file(public_dir + "/" + it->second.name);
    if (res.body.empty()) {
      res.status = 404;
      return ex->respond(std::move(res));
    }
    res.headers.add("Content-Type", std::string{it->second.type} + "; charset=utf-8");
    res.headers.add("Cache-Control", "no-cache");
    ex->respond(std::move(res));
  });

  // [{id, nickname, room}] of everyone on every node who picked a nickname, sent to one socket
  // (`to`) or to everyone (""). `leaving` is left out: it may still be listed while it goes.
  auto send_user_list = [&io](std::string to, std::string leaving = {}) {
    io.fetch_sockets([&io, to, leaving](std::error_code ec, std::vector<sio::remote_socket> sockets) {
      if (ec) return;  // a node did not answer in time: the next change sends a fresh list
      // While a tab's new connection takes its name over, the old one may still be listed: the
      // latest claim is the user.
      std::map<std::string, const sio::remote_socket*> latest;
      for (const auto& s : sockets) {
        std::string nickname = field(s.data(), "nickname");
        if (nickname.empty() || s.id() == leaving) continue;
        auto& best = latest[nickname];
        if (!best || claimed_at(s.data()) > claimed_at(best->data())) best = &s;
      }
      sio::array list;
      for (const auto& [nickname, s] : latest)
        list.push_back({{"id", s->id()}, {"nickname", nickname}, {"room", field(s->data(), "room")}});
      if (to.empty())
        io.emit("user list", std::move(list));
      else
        io.to(to).emit("user list", std::move(list));
    });
  };

  // Pages whose link dropped, by socket id, with the timer that lets their nickname go if they do
  // not come back in time. Touched on the io_context's one thread only.
  std::map<std::string, std::shared_ptr<asio::steady_timer>> away;

  io.on_connection([&, names](sio::socket socket) {
    log() << (socket.recovered() ? "recovered     " : "connected     ") << socket.id() << " over " << socket.conn().transport() << " from "
          << socket.handshake().address << std::endl;
    socket.conn().on_upgrade(
        [id = socket.id()](std::string_view transport) { log() << "upgraded      " << id << " to " << transport << std::endl; });
    if (socket.recovered()) {
      // Same socket, data and rooms; the messages it missed are on their way. Its name was held.
      if (auto it = away.find(socket.id()); it != away.end()) {
        it->second->cancel();
        away.erase(it);
      }
      send_user_list("");
    } else {
      profile(socket);
      socket.join("general");
      send_user_list(socket.id());  // who is here, before the newcomer picks a name
    }

    // The owner of this socket's nickname claims: the tab's token, so that the same tab coming
    // back (on any node, before its old connection timed out) gets its name back.
    std::string token = auth_token(socket);
    std::string owner = token.empty() ? socket.id() : "tab:" + token;

    // Takes a nickname for this socket, then calls done("") or done(why not). On its strand.
    auto take_nickname = [&io, names, socket, owner](const std::string& nickname, std::function<void(std::string)> done) {
      if (nickname.empty() || nickname.size() > 32) return done("1 to 32 characters, please");
      names->claim(nickname, owner, socket.id(), [&io, names, socket, owner, nickname, done](bool ok) {
        // Back on the socket's strand, where its data lives.
        socket.with_data<sio::value>([&io, names, socket, owner, nickname, done, ok](sio::value& data) {
          if (!ok) return done("That nickname is taken");
          std::string previous = field(data, "nickname");
          if (!previous.empty() && previous != nickname) names->release(previous, owner, socket.id(), [](bool) {});
          data["nickname"] = nickname;
          data["claimed_at"] = now_ms();
          // The same tab's older connection, on any node: it is this user, so it goes.
          io.fetch_sockets([nickname, me = socket.id()](std::error_code, std::vector<sio::remote_socket> sockets) {
            for (const auto& s : sockets)
              if (s.id() != me && field(s.data(), "nickname") == nickname) s.disconnect(true);
          });
          log() << "nickname      " << socket.id() << " is " << nickname << std::endl;
          done("");
        });
      });
    };
    auto enter_room = [socket](const std::string& room) {
      sio::value& data = profile(socket);
      std::string previous = field(data, "room");
      if (previous == room) return;
      socket.leave(previous);
      socket.join(room);
      data["room"] = room;
      log() << "room          " << socket.id() << " left #" << previous << " for #" << room << std::endl;
    };
    auto result = [](const std::string& error) -> sio::value {
      if (error.empty()) return {{"ok", true}};
      return {{"ok", false}, {"error", error}};
    };

    socket.on("set nickname", [&, take_nickname, result](std::string nickname, sio::ack_sender ack) {
      take_nickname(nickname, [&, nickname, ack, result](const std::string& error) {
        ack(result(error));
        if (!error.empty()) return;
        io.emit("notice", nickname + " joined", now_ms());
        send_user_list("");
      });
    });

    // A page that reconnects without its session (server restart, cluster) takes its nickname
    // and room back with this, without a "joined" notice.
    socket.on("rejoin", [&, socket, take_nickname, enter_room, result](std::string nickname, std::string room, sio::ack_sender ack) {
      take_nickname(nickname, [&, socket, room, ack, enter_room, result](const std::string& error) {
        if (error.empty() && !room.empty() && room.size() <= 32) enter_room(room);
        ack(result(error));
        if (error.empty()) send_user_list("");
      });
    });

    socket.on("chat message", [&, socket](std::string text) {
      const sio::value& me = profile(socket);
      std::string nickname = field(me, "nickname"), room = field(me, "room");
      if (nickname.empty() || text.empty()) return;
      log() << "message       #" << room << " " << nickname << ": " << text << std::endl;
      // io.to(room) reaches everyone in the room, the sender included; socket.to(room) would skip it.
      io.to(room).emit("chat message", {{"from", nickname}, {"id", socket.id()}, {"text", text}, {"room", room}, {"time", now_ms()}});
    });

    socket.on("typing", [socket](bool typing) {
      const sio::value& me = profile(socket);
      if (field(me, "nickname").empty()) return;
      // Volatile: a typing hint that cannot be written now is worthless later, so it is dropped.
      socket.to(field(me, "room")).volatile_().emit("typing", field(me, "nickname"), typing);
    });

    socket.on("join room", [&, socket, enter_room](std::string room, sio::ack_sender ack) {
      if (room.empty() || room.size() > 32) return ack(false);
      enter_room(room);
      ack(true);
      if (!field(profile(socket), "nickname").empty()) send_user_list("");
    });

    socket.on("private message", [&, socket](std::string to, std::string text, sio::ack_sender ack) {
      std::string from = field(profile(socket), "nickname");
      if (from.empty() || text.empty() || to.size() > 64) return ack(false);
      // Every socket is in a room named after its id: that is how one client is reached, on
      // whichever node it is.
      io.in(to).fetch_sockets([&io, from, to, text, ack, id = socket.id()](std::error_code ec, std::vector<sio::remote_socket> found) {
        if (ec || found.empty() || field(found.front().data(), "nickname").empty()) return ack(false);
        log() << "private       " << from << " -> " << field(found.front().data(), "nickname") << std::endl;
        io.to(to).emit("private message", {{"from", from}, {"id", id}, {"text", text}, {"time", now_ms()}});
        ack(true);
      });
    });

    socket.on_disconnect([&, socket, names, owner](sio::disconnect_reason reason) {
      std::string nickname = field(profile(socket), "nickname");
      log() << "disconnected  " << socket.id() << " (" << sio::to_string(reason) << ") was on " << socket.conn().transport() << std::endl;
      if (nickname.empty()) return;
      // On Ctrl-C everyone goes at once: no "left" notices for connections that are closing anyway.
      bool tell = reason != sio::disconnect_reason::server_shutting_down;
      auto leave = [&io, names, send_user_list, nickname, owner, tell, id = socket.id()] {
        names->release(nickname, owner, id, [&io, send_user_list, nickname, tell, id](bool released) {
          // Not released: the same tab came back on a new connection, which holds the name now, so
          // no notice; the list still loses this connection.
          if (!tell) return;
          if (released) io.emit("notice", nickname + " left", now_ms());
          send_user_list("", id);
        });
      };
      bool link_dropped = reason == sio::disconnect_reason::transport_close || reason == sio::disconnect_reason::transport_error ||
                          reason == sio::disconnect_reason::ping_timeout || reason == sio::disconnect_reason::forced_close;
      if (!recovery || !link_dropped) return leave();
      // It may come back with its session: hold the name for as long as the server keeps that.
      auto timer = std::make_shared<asio::steady_timer>(ctx, opts.connection_state_recovery->max_disconnection_duration);
      away[socket.id()] = timer;
      timer->async_wait([&away, leave, id = socket.id(), mine = timer.get()](std::error_code ec) {
        auto it = away.find(id);
        if (ec || it == away.end() || it->second.get() != mine) return;  // it came back
        away.erase(it);
        leave();
      });
    });
  });

  std::error_code ec;
  io.listen(static_cast<unsigned short>(port), host, ec);
  if (ec) {  // port in use, bad address, ...
    std::cerr << "cannot listen on " << host << ":" << port << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "listening on http://" << host << ":" << io.port() << "/" << std::endl;

  // Ctrl-C: say goodbye to every page and wait for their acks (at most a second), so that the
  // goodbye is read before the connections close; then close them, let the close packets leave
  // and exit 0. The pages see a "transport close" and reconnect when the server is back.
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  asio::steady_timer grace(ctx);
  signals.async_wait([&](std::error_code, int) {
    log() << "shutting down" << std::endl;
    io.local()
        .timeout(std::chrono::seconds(1))
        .emit_with_ack("server shutdown", now_ms(), [&](std::error_code, std::vector<sio::arguments>) {
          io.close();
          names->close();
          grace.expires_after(std::chrono::milliseconds(300));
          grace.async_wait([&](std::error_code) { ctx.stop(); });
        });
  });
  ctx.run();
  log() << "bye" << std::endl;
  return 0;
}
