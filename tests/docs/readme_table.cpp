// README's JavaScript-to-sio table, compiled: every code span of its sio column is here, as code
// (tests/docs/snippets.mjs fails the configure when one is missing). One block per row, each with
// the names its spans use.
#include <chrono>
#include <functional>
#include <iostream>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sio/server.hpp>

namespace readme_table {

struct my_data {
  int score = 0;
};
inline void to_json(sio::value& out, const my_data& d) { out = {{"score", d.score}}; }
inline bool from_json(const sio::value& in, my_data& d) {
  const sio::value* score = in.find("score");
  return score && sio::from_value(*score, d.score);
}

[[maybe_unused]] void table(sio::server<>& io, sio::socket socket, sio::server_options& options) {
  const sio::room_id r = "r", x = "x";
  const int a = 1;
  const std::string b = "b";
  const std::chrono::milliseconds ms{500};
  const sio::value data = {{"reason", "why"}};
  unsigned short port = 3000;
  std::error_code ec;
  using any_listener = void(const std::string& event, const sio::arguments&);
  std::function<any_listener> log = [](const std::string& event, const sio::arguments&) { std::cout << event; };

  // connection
  io.on_connection([](sio::socket socket) { /* ... */ });
  // of
  {
    io.of("/chat"), io.of(std::regex{R"(^/dyn-\d+$)"}),
        io.of([](const std::string& name, const sio::transport::http_request&, const sio::value& auth) { return name.size() < 16; });
  }
  // use
  io.use([](sio::socket s, sio::connect_next next) {
    next(); /* or next(sio::connect_error{"msg", data}) */
  });
  io.use([data](sio::socket, sio::connect_next next) { next(sio::connect_error{"msg", data}); });
  // on, with ack
  socket.on("ev", [](int a, std::string b, sio::ack_sender ack) { ack(a, b); });
  // on, with the rest
  socket.on("ev", [socket](int a, sio::arguments rest) { socket.emit("ev", a, rest); });
  // once, off, any
  socket.once("ev", [] {}), socket.off("ev"), socket.on_any(log), socket.prepend_any(log), socket.off_any(), socket.on_any_outgoing(log);
  // packet middleware
  socket.use([](sio::arguments& ev, sio::packet_next next) {
    next(); /* or next("error") */
  });
  // error
  socket.on_error([](const std::exception& e) { /* a sio::conversion_error or sio::middleware_error */ });
  // disconnecting, disconnect
  socket.on_disconnecting([](sio::disconnect_reason) {}),
      socket.on_disconnect([](sio::disconnect_reason r) { std::cout << sio::to_string(r); });
  // emit
  {
    sio::emit_status st = socket.emit("ev", a, b);
    (void)st;
    socket.emit("bin", sio::binary{}, std::vector<std::uint8_t>{1, 2});
    socket.emit("ev", a, b, [](sio::emit_status) {});
  }
  // a literal
  socket.emit("ev", {{"a", 1}, {"list", {1, 2}}});
  // drain
  socket.on_drain([] {}), socket.conn().on_drain([] {});
  // ack with a timeout
  socket.timeout(ms).emit_with_ack("ev", a, asio::use_future);
  // broadcasts
  socket.broadcast().emit("ev", a), socket.to(r).emit("ev", a);
  io.to(r).except(x).emit("ev", a);
  io.timeout(ms).emit_with_ack("ev", [](std::error_code ec, std::vector<sio::arguments> replies) {});
  socket.volatile_().emit("ev", a);
  // rooms
  socket.join(r), socket.join(std::vector<sio::room_id>{r, x}), socket.leave(r), socket.rooms();
  // data, handshake
  try {
    socket.data<my_data>(), socket.with_data<my_data>([](my_data& d) {}), (void)socket.handshake().auth;
  } catch (const sio::data_type_error&) {}
  // server-wide operations
  io.in(r).fetch_sockets([](std::error_code ec, std::vector<sio::remote_socket> found) {});
  for (const sio::remote_socket& s : std::vector<sio::remote_socket>{}) {
    (void)s.id(), (void)s.handshake(), (void)s.rooms(), (void)s.data(), (void)s.data<my_data>();
    s.emit("ev", a), s.join(r), s.leave(r), s.disconnect();
  }
  (void)io.in(r).sockets();
  io.in(r).sockets_join({x}), io.in(r).sockets_leave({x}), io.disconnect_sockets();
  socket.disconnect(true), io.close();
  // the connection
  socket.conn().transport(), socket.conn().on_upgrade([](std::string_view transport) {}), socket.conn().close();
  {
    sio::namespace_ chat = io.of("/chat");
    (void)chat;
  }
  // listen
  try {
    io.listen(port);
  } catch (const std::system_error&) {}
  io.listen(port, "0.0.0.0", ec);
  // options
  (void)options.on_connection_error, (void)options.initial_headers, (void)options.headers, (void)options.serve_client_dir;
  io.server_side_emit("ev", a);
  io.on_server_side_event([](const std::string& ev, sio::arguments args) {});
  io.server_side_emit_with_ack("ev", a, [](std::error_code ec, std::vector<sio::value> replies) {});
  io.timeout(ms).server_side_emit_with_ack("ev", a, [](std::error_code ec, std::vector<sio::value> replies) {});
  io.on_server_side_event([](const std::string& ev, sio::arguments args, std::function<void(sio::value)> reply) { reply("pong"); });
}

}  // namespace readme_table
