// The chat app every Socket.IO tutorial ends with, on sio.
//
//   sio_chat [--host 127.0.0.1] [--port 3000] [--public DIR] [--client-dir DIR]
//
// Events (client -> server):
//   "set nickname"  (name, ack)        ack({ok:true}) or ack({ok:false, error:"..."})
//   "chat message"  (text)             to everyone in the sender's current room
//   "typing"        (bool)             volatile, to the others in the room
//   "join room"     (room, ack)        leaves the previous room, joins this one
//   "private message" (to_id, text, ack)
// Events (server -> client): "chat message", "private message", "user list", "typing", "notice".
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include <sio/server.hpp>

namespace {

struct user {
  std::string nickname;
  std::string room = "general";
};

/// Who is here. Shared by every client's strand, hence the mutex.
class directory {
 public:
  bool claim(const std::string& id, const std::string& nickname) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [other, u] : users_)
      if (other != id && u.nickname == nickname) return false;
    users_[id].nickname = nickname;
    return true;
  }
  void set_room(const std::string& id, const std::string& room) {
    std::lock_guard<std::mutex> lock(mutex_);
    users_[id].room = room;
  }
  user get(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return users_[id];
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
      if (!u.nickname.empty())
        out.push_back(sio::object{{"id", sio::value{id}}, {"nickname", sio::value{u.nickname}}, {"room", sio::value{u.room}}});
    return sio::value{std::move(out)};
  }

 private:
  std::mutex mutex_;
  std::map<std::string, user> users_;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string log_time() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", public_dir = SIO_CHAT_PUBLIC_DIR;
  unsigned short port = 3000;
  sio::server_options opts;
  opts.serve_client_dir = SIO_CHAT_CLIENT_DIR;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--host") host = v;
    else if (a == "--port") port = static_cast<unsigned short>(std::stoi(v));
    else if (a == "--public") public_dir = v;
    else if (a == "--client-dir") opts.serve_client_dir = v;
    else {
      std::cerr << "usage: sio_chat [--host H] [--port P] [--public DIR] [--client-dir DIR]\n";
      return 2;
    }
  }

  asio::io_context ctx;
  sio::server<> io{ctx, opts};
  directory users;

  // The page itself, from the same port as Socket.IO.
  io.on_http_request([public_dir](const std::shared_ptr<sio::transport::http_exchange>& ex) {
    sio::transport::http_response res;
    std::string path = ex->request().path == "/" ? "/index.html" : ex->request().path;
    if (path.find("..") != std::string::npos || (path != "/index.html" && path != "/style.css" && path != "/chat.js")) {
      res.status = 404;
      return ex->respond(std::move(res));
    }
    res.body = read_file(public_dir + path);
    const char* type = path.rfind(".css") != std::string::npos ? "text/css" : path.rfind(".js") != std::string::npos ? "application/javascript" : "text/html";
    res.headers.add("Content-Type", std::string{type} + "; charset=utf-8");
    ex->respond(std::move(res));
  });

  io.on_connection([&](sio::socket_ref socket) {
    std::cout << log_time() << " connected    " << socket.id() << " (" << socket.transport() << ")" << std::endl;
    socket.join("general");
    socket.emit("user list", users.list());

    socket.on("set nickname", [&, socket](std::string nickname, sio::ack_sender ack) {
      if (nickname.empty() || nickname.size() > 32) return ack(sio::object{{"ok", sio::value{false}}, {"error", sio::value{"1 to 32 characters"}}});
      if (!users.claim(socket.id(), nickname)) return ack(sio::object{{"ok", sio::value{false}}, {"error", sio::value{"nickname taken"}}});
      ack(sio::object{{"ok", sio::value{true}}});
      std::cout << log_time() << " nickname     " << socket.id() << " = " << nickname << std::endl;
      io.emit("notice", nickname + " joined", now_ms());
      io.emit("user list", users.list());
    });

    socket.on("chat message", [&, socket](std::string text) {
      user u = users.get(socket.id());
      if (u.nickname.empty() || text.empty()) return;
      // Everyone in the room, the sender included (io.to, not socket.to).
      io.to(u.room).emit("chat message", sio::object{{"from", sio::value{u.nickname}}, {"id", sio::value{socket.id()}},
                                                     {"text", sio::value{text}}, {"room", sio::value{u.room}}, {"time", sio::value{now_ms()}}});
    });

    socket.on("typing", [&, socket](bool typing) {
      user u = users.get(socket.id());
      if (u.nickname.empty()) return;
      // Volatile: a typing hint that cannot go out now is worth nothing later.
      socket.to(u.room).volatile_().emit("typing", u.nickname, typing);
    });

    socket.on("join room", [&, socket](std::string room, sio::ack_sender ack) {
      if (room.empty() || room.size() > 32) return ack(false);
      user u = users.get(socket.id());
      socket.leave(u.room);
      socket.join(room);
      users.set_room(socket.id(), room);
      ack(true);
      io.emit("user list", users.list());
    });

    socket.on("private message", [&, socket](std::string to, std::string text, sio::ack_sender ack) {
      user from = users.get(socket.id());
      if (from.nickname.empty() || text.empty()) return ack(false);
      // Every socket is in a room named after its id: that is how one client is reached.
      io.to(to).emit("private message", sio::object{{"from", sio::value{from.nickname}}, {"id", sio::value{socket.id()}},
                                                    {"text", sio::value{text}}, {"time", sio::value{now_ms()}}});
      ack(true);
    });

    socket.on_disconnect([&, socket](sio::disconnect_reason reason) {
      user u = users.get(socket.id());
      users.remove(socket.id());
      std::cout << log_time() << " disconnected " << socket.id() << " (" << sio::to_string(reason) << ")" << std::endl;
      if (!u.nickname.empty()) {
        io.emit("notice", u.nickname + " left", now_ms());
        io.emit("user list", users.list());
      }
    });
  });

  io.listen(port, host);
  std::cout << "sio chat on http://" << host << ":" << io.port() << "/" << std::endl;

  // Ctrl-C: tell every client, let the queues drain, exit 0.
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  asio::steady_timer grace(ctx);
  signals.async_wait([&](std::error_code, int) {
    std::cout << log_time() << " shutting down" << std::endl;
    io.close();
    grace.expires_after(std::chrono::milliseconds(300));  // time for the close packets to leave
    grace.async_wait([&](std::error_code) { ctx.stop(); });
  });
  ctx.run();
  return 0;
}
