// A program on an installed sio's Admin UI component: a server instrumented with a bcrypt login,
// closed at once; the io_context must run out of work (the stats timer and login thread end).
#include <iostream>

#include <sio/admin_ui.hpp>
#include <sio/server.hpp>

int main() {
  asio::io_context ctx;
  sio::server<> io(ctx);
  sio::admin_ui::options admin;
  admin.auth = sio::admin_ui::basic_auth{"admin", "$2b$04$MyLmbI1ftycrvqjVNzGVrepL1Xju57d94IdGW.HmvF59TZjIS7v4u"};
  sio::admin_ui::instrument(io, admin);
  io.close();
  ctx.run();
  bool ok = sio::admin::bcrypt_verify("changeit", std::get<sio::admin_ui::basic_auth>(admin.auth).password_hash);
  if (ok) std::cout << "sio admin_ui consumer ran" << std::endl;
  return ok ? 0 : 1;
}
