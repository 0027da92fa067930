// sio's half of the example (see sio_side.hpp).
#include "sio_side.hpp"

#include <thread>

#include <sio/mount.hpp>
#include <sio/server.hpp>

struct sio_side::impl {
  asio::io_context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  sio::server<> io{ctx};  // it listens nowhere: Beast hands it its requests
  std::function<void()> on_done;
  std::thread thread;
};

sio_side::sio_side() : impl_(std::make_unique<impl>()) {
  impl_->io.on_connection([](sio::socket socket) {
    socket.on("echo", [socket](sio::arguments args) { socket.emit("echo", std::move(args)); });
    socket.on("echo-ack", [](sio::arguments args, sio::ack_sender ack) { ack(args); });
  });
  impl_->thread = std::thread([i = impl_.get()] {
    i->ctx.run();
    if (i->on_done) i->on_done();
  });
}

sio_side::~sio_side() {
  if (impl_->thread.joinable()) {
    impl_->ctx.stop();
    impl_->thread.join();
  }
}

sio::mount_point sio_side::mount() const { return sio::make_mount_point(impl_->io); }

void sio_side::close(std::function<void()> done) {
  asio::post(impl_->ctx, [i = impl_.get(), done = std::move(done)]() mutable {
    i->on_done = std::move(done);
    i->io.close();
    i->work.reset();
  });
}
