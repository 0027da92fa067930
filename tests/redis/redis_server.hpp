#pragma once
// A redis-server of the tests' own on a free loopback port (tests/redis): started in a temporary
// directory, stopped by its PID. Shared by redis_client_test.cpp and redis_adapter_test.cpp.
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <catch2/catch_test_macros.hpp>

extern char** environ;

namespace sio_test {

using namespace std::chrono_literals;

inline std::uint16_t free_loopback_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// A redis-server of its own: a free port, a temporary directory, no persistence.
class redis_process {
 public:
  explicit redis_process(std::vector<std::string> extra = {}, bool tls = false) : extra_(std::move(extra)), tls_(tls) {
    char dir[] = "/tmp/sio-redis-test-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    dir_ = dir;
    port_ = free_loopback_port();
    if (tls_) make_certificate();
    start();
  }
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;
  ~redis_process() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string url(const std::string& userinfo = "", const std::string& path = "") const {
    return std::string(tls_ ? "rediss://" : "redis://") + userinfo + "127.0.0.1:" + std::to_string(port_) + path;
  }

  // Starts it (again, on the same port) and waits until it accepts a connection.
  void start() {
    std::vector<std::string> args{SIO_REDIS_SERVER, "--bind", "127.0.0.1", "--save",           "", "--appendonly", "no",
                                  "--dir",          dir_,     "--logfile", dir_ + "/redis.log"};
    if (tls_) {
      for (const char* a : {"--port", "0", "--tls-port"}) args.emplace_back(a);
      args.push_back(std::to_string(port_));
      for (const char* a :
           {"--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem", "--tls-ca-cert-file", "cert.pem", "--tls-auth-clients", "no"})
        args.emplace_back(a);
    } else {
      args.emplace_back("--port");
      args.push_back(std::to_string(port_));
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its standard streams go nowhere: a server outliving a crashed test must not hold the test
    // runner's pipes open.
    posix_spawn_file_actions_t streams;
    posix_spawn_file_actions_init(&streams);
    for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&streams, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
    int spawned = posix_spawn(&pid_, argv[0], &streams, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&streams);
    REQUIRE(spawned == 0);
    wait_ready();
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  void make_certificate() {
    std::string command = "cd " + dir_ +
                          " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost"
                          " -addext subjectAltName=IP:127.0.0.1,DNS:localhost >openssl.log 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
  }

  // Connecting is the readiness test (redis-server listens once it is ready: no data to load).
  void wait_ready() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      int status = 0;
      REQUIRE(waitpid(pid_, &status, WNOHANG) == 0);  // it is still running
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      std::error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
      if (!ec) return;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(10ms);  // between connection attempts, not to wait for an event
    }
  }

  std::vector<std::string> extra_;
  bool tls_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sio_test
