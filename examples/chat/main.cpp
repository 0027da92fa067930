// The chat app every Socket.IO tutorial ends with, on sio: a page and Socket.IO on one port.
//
//   sio_chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--client-dir DIR]
//
// --port 0 picks a free port; the line "listening on http://HOST:PORT/" says which.
//
// Events, client -> server:
//   "set nickname"    (name, ack)        ack({ok:true}) or ack({ok:false, error:"..."})
//   "chat message"    (text)             to everyone in the sender's room, the sender included
//   "typing"          (bool)             volatile, to the others in the room
//   "join room"       (room, ack)        leaves the previous room, joins this one; ack(bool)
//   "rejoin"          (name, room, ack)  after a reconnection: nickname and room back, quietly
//   "private message" (to_id, text, ack) to one socket, by id; ack(bool)
// Events, server -> client: "chat message", "private message", "user list", "typing", "notice",
//   "server shutdown" (time, ack) before the server closes on Ctrl-C.
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include <sio/server.hpp>

namespace {

struct user {
  std::string nickname;
  std::string room = "general";
  std::string token;  // the page's per-tab secret (handshake auth): lets a reconnecting tab keep its name
};

/// Who is here. Every client's handlers run on that client's strand, so this is shared: a mutex.
class directory {
 public:
  void add(const std::string& id, std::string token) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_[id].token = std::move(token);
  }
  /// Gives `nickname` to `id` unless someone else has it. A socket of the same tab (same token) that
  /// the server still believes alive after a dropped link is not "someone else": its id is returned
  /// in `stale` so that the caller can disconnect it.
  bool claim(const std::string& id, const std::string& nickname, std::string& stale) {
    std::lock_guard<std::mutex> lock(mutex_);
    user& me = users_[id];
    for (auto& [other, u] : users_) {
      if (other == id || u.nickname != nickname) continue;
      if (me.token.empty() || u.token != me.token) return false;
      u.nickname.clear();
      stale = other;
    }
    me.nickname = nickname;
    return true;
  }
  void set_room(const std::string& id, const std::string& room) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_[id].room = room;
  }
  user get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = users_.find(id);
    return it == users_.end() ? user{} : it->second;
  }
  void remove(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_.erase(id);
  }
  /// [{id, nickname, room}] of everyone who picked a nickname.
  sio::value list() {
    std::lock_guard<std::mutex> lock(mutex_);
    sio::array out;
    for (const auto& [id, u] : users_)
      if (!u.nickname.empty()) out.push_back({{"id", id}, {"nickname", u.nickname}, {"room", u.room}});
    return out;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, user> users_;
};

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
  return token && token->is_string() ? token->as_string() : std::string{};
}

int usage(std::ostream& out, int status) {
  out << "usage: sio_chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--client-dir DIR]\n"
         "  --port 0 picks a free port; the page is served on http://HOST:PORT/\n";
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", public_dir = SIO_CHAT_PUBLIC_DIR;
  int port = 3000;
  sio::server_options opts;
  opts.serve_client_dir = SIO_CHAT_CLIENT_DIR;  // GET /socket.io/socket.io.js, as socket.io's serveClient
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
    if (a == "-h" || a == "--help") return usage(std::cout, 0);
    if (a == "--host" && !v.empty())
      host = v;
    else if (a == "--port" && !v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos)
      port = std::stoi(v);
    else if (a == "--public" && !v.empty())
      public_dir = v;
    else if (a == "--client-dir" && !v.empty())
      opts.serve_client_dir = v;
    else
      return usage(std::cerr, 2);
  }
  if (port > 65535) return usage(std::cerr, 2);

  asio::io_context ctx;
  asio::thread_pool file_reads{1};  // the page's files are read there, off the clients' strands
  sio::server<> io{ctx, opts};      // polling first, then the upgrade to WebSocket
  directory users;

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

  io.on_connection([&](sio::socket socket) {
    log() << "connected     " << socket.id() << " over " << socket.conn().transport() << " from " << socket.handshake().address
          << std::endl;
    socket.conn().on_upgrade(
        [id = socket.id()](std::string_view transport) { log() << "upgraded      " << id << " to " << transport << std::endl; });
    users.add(socket.id(), auth_token(socket));
    socket.join("general");
    socket.emit("user list", users.list());  // who is here, before the newcomer picks a name

    // Takes a nickname for this socket: "" when done, otherwise why not.
    auto take_nickname = [&, socket](const std::string& nickname) -> std::string {
      if (nickname.empty() || nickname.size() > 32) return "1 to 32 characters, please";
      std::string stale;
      if (!users.claim(socket.id(), nickname, stale)) return "That nickname is taken";
      // The same tab came back before its old connection timed out: close the old one.
      if (!stale.empty()) io.in(stale).disconnect_sockets(true);
      log() << "nickname      " << socket.id() << " is " << nickname << std::endl;
      return "";
    };
    auto enter_room = [&, socket](const std::string& room) {
      user u = users.get(socket.id());
      if (u.room == room) return;
      socket.leave(u.room);
      socket.join(room);
      users.set_room(socket.id(), room);
      log() << "room          " << socket.id() << " left #" << u.room << " for #" << room << std::endl;
    };
    auto result = [](const std::string& error) -> sio::value {
      if (error.empty()) return {{"ok", true}};
      return {{"ok", false}, {"error", error}};
    };

    socket.on("set nickname", [&, socket, take_nickname, result](std::string nickname, sio::ack_sender ack) {
      std::string error = take_nickname(nickname);
      ack(result(error));
      if (!error.empty()) return;
      io.emit("notice", nickname + " joined", now_ms());
      io.emit("user list", users.list());
    });

    // A page that reconnects (dropped link, server restart) takes its nickname and room back
    // with this, without a "joined" notice.
    socket.on("rejoin", [&, socket, take_nickname, enter_room, result](std::string nickname, std::string room, sio::ack_sender ack) {
      std::string error = take_nickname(nickname);
      if (error.empty() && !room.empty() && room.size() <= 32) enter_room(room);
      ack(result(error));
      if (error.empty()) io.emit("user list", users.list());
    });

    socket.on("chat message", [&, socket](std::string text) {
      user u = users.get(socket.id());
      if (u.nickname.empty() || text.empty()) return;
      log() << "message       #" << u.room << " " << u.nickname << ": " << text << std::endl;
      // io.to(room) reaches everyone in the room, the sender included; socket.to(room) would skip it.
      io.to(u.room).emit("chat message", {{"from", u.nickname}, {"id", socket.id()}, {"text", text}, {"room", u.room}, {"time", now_ms()}});
    });

    socket.on("typing", [&, socket](bool typing) {
      user u = users.get(socket.id());
      if (u.nickname.empty()) return;
      // Volatile: a typing hint that cannot be written now is worthless later, so it is dropped.
      socket.to(u.room).volatile_().emit("typing", u.nickname, typing);
    });

    socket.on("join room", [&, socket, enter_room](std::string room, sio::ack_sender ack) {
      if (room.empty() || room.size() > 32) return ack(false);
      enter_room(room);
      ack(true);
      if (!users.get(socket.id()).nickname.empty()) io.emit("user list", users.list());
    });

    socket.on("private message", [&, socket](std::string to, std::string text, sio::ack_sender ack) {
      user from = users.get(socket.id());
      if (from.nickname.empty() || text.empty() || users.get(to).nickname.empty()) return ack(false);
      log() << "private       " << from.nickname << " -> " << users.get(to).nickname << std::endl;
      // Every socket is in a room named after its id: that is how one client is reached.
      io.to(to).emit("private message", {{"from", from.nickname}, {"id", socket.id()}, {"text", text}, {"time", now_ms()}});
      ack(true);
    });

    socket.on_disconnect([&, socket](sio::disconnect_reason reason) {
      user u = users.get(socket.id());
      users.remove(socket.id());
      log() << "disconnected  " << socket.id() << " (" << sio::to_string(reason) << ") was on " << socket.conn().transport() << std::endl;
      // On Ctrl-C everyone goes at once: no "left" notices for connections that are closing anyway.
      if (!u.nickname.empty() && reason != sio::disconnect_reason::server_shutting_down) {
        io.emit("notice", u.nickname + " left", now_ms());
        io.emit("user list", users.list());
      }
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
    io.timeout(std::chrono::seconds(1)).emit_with_ack("server shutdown", now_ms(), [&](std::error_code, std::vector<sio::arguments>) {
      io.close();
      grace.expires_after(std::chrono::milliseconds(300));
      grace.async_wait([&](std::error_code) { ctx.stop(); });
    });
  });
  ctx.run();
  log() << "bye" << std::endl;
  return 0;
}
