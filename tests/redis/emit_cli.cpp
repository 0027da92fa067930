// Publishes what its command line says through sio::redis_emitter, then exits once Redis has
// answered it all: tests/redis/interop/cluster.test.mjs checks that every node's clients get it.
//
//   sio_redis_emit_cli --redis redis://127.0.0.1:6379 --key K STEP [STEP]...
//
// A step is a selection followed by one action; every step starts from the whole namespace "/":
//   [to ROOM | except ROOM]... emit EVENT ARG       the event with one string argument
//   [to ROOM | except ROOM]... sockets-join ROOM     socketsJoin
//   [to ROOM | except ROOM]... sockets-leave ROOM    socketsLeave
//   server-side-emit EVENT ARG                       serverSideEmit
// The steps go out in order on one connection. Exits 0, or 2 on a bad command line, or 1 if a
// publish failed.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <sio/redis_emitter.hpp>

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "emit_cli: " << why << "\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  sio::redis_emitter_options opts;
  std::size_t i = 0;
  for (; i + 1 < a.size() && a[i].rfind("--", 0) == 0; i += 2) {
    if (a[i] == "--redis")
      opts.url = a[i + 1];
    else if (a[i] == "--key")
      opts.key = a[i + 1];
    else
      usage("unknown option " + a[i]);
  }
  bool failed = false;
  opts.on_error = [&failed](std::error_code ec, const std::string& what) {
    std::cerr << "emit_cli: " << what << ": " << ec.message() << "\n";
    failed = true;
  };

  asio::io_context ctx;
  sio::redis_emitter emitter(ctx, opts);
  auto need = [&](std::size_t n, const std::string& what) {
    if (i + n > a.size()) usage("missing arguments of " + what);
  };
  auto op = emitter.of("/");
  while (i < a.size()) {
    const std::string word = a[i++];
    if (word == "to" || word == "except") {
      need(1, word);
      op = word == "to" ? op.to(a[i]) : op.except(a[i]);
      ++i;
      continue;
    }
    if (word == "emit") {
      need(2, word);
      op.emit(a[i], a[i + 1]);
      i += 2;
    } else if (word == "sockets-join" || word == "sockets-leave") {
      need(1, word);
      if (word == "sockets-join")
        op.sockets_join({a[i]});
      else
        op.sockets_leave({a[i]});
      i += 1;
    } else if (word == "server-side-emit") {
      need(2, word);
      op.server_side_emit(a[i], a[i + 1]);
      i += 2;
    } else {
      usage("unknown step " + word);
    }
    op = emitter.of("/");
  }
  emitter.close();
  ctx.run();
  return failed ? 1 : 0;
}
