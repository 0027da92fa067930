#pragma once
// A real 3-master Redis Cluster of the tests' own (tests/redis): three redis-server processes with
// --cluster-enabled on free loopback ports, each in a temporary directory, joined with
// `redis-cli --cluster create … --cluster-replicas 0`, stopped by their PIDs. Needs SIO_REDIS_SERVER
// and SIO_REDIS_CLI (the paths CMake found).
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch_test_macros.hpp>

#include "redis_server.hpp"

namespace sio_test {

// What a command prints, and whether it exited with 0.
struct command_output {
  bool ok = false;
  std::string text;
};

inline command_output run_command(const std::string& command) {
  command_output out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.text.append(buffer.data(), n);
  int status = pclose(pipe);
  out.ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return out;
}

class redis_cluster {
 public:
  static constexpr int size = 3;  // masters; with replicas, nodes size..2*size-1 are their replicas

  // The default node timeout is long enough that a restart within a test never fails a node over;
  // a failover test asks for replicas and a short one.
  // `extra`: more redis-server arguments for every node.
  explicit redis_cluster(bool replicas = false, int node_timeout_ms = 15000, const std::vector<std::string>& extra = {}) {
    for (int i = 0; i < (replicas ? 2 * size : size); ++i) {
      std::vector<std::string> args{"--cluster-enabled",
                                    "yes",
                                    "--cluster-config-file",
                                    "nodes.conf",
                                    "--cluster-node-timeout",
                                    std::to_string(node_timeout_ms),
                                    "--cluster-replica-validity-factor",
                                    "0"};  // a replica may take over whatever its replication lag
      args.insert(args.end(), extra.begin(), extra.end());
      nodes_.push_back(std::make_unique<redis_process>(args));
    }
    std::string create = std::string(SIO_REDIS_CLI) + " --cluster create";
    for (const auto& n : nodes_) create += " 127.0.0.1:" + std::to_string(n->port());
    create += std::string(" --cluster-replicas ") + (replicas ? "1" : "0") + " --cluster-yes";
    auto created = run_command(create);
    INFO(created.text);
    REQUIRE(created.ok);
    wait_ok();
  }
  int node_count() const { return static_cast<int>(nodes_.size()); }

  std::uint16_t port(int i) const { return nodes_.at(static_cast<std::size_t>(i))->port(); }
  std::string url(int i) const { return nodes_.at(static_cast<std::size_t>(i))->url(); }
  std::string address(int i) const { return "127.0.0.1:" + std::to_string(port(i)); }
  int index_of(const std::string& address) const {
    for (int i = 0; i < node_count(); ++i)
      if (this->address(i) == address) return i;
    return -1;
  }

  // redis-cli against node i; its output without the trailing newline.
  std::string cli(int i, const std::string& args) const {
    auto out = run_command(std::string(SIO_REDIS_CLI) + " -h 127.0.0.1 -p " + std::to_string(port(i)) + " " + args);
    INFO(args << ": " << out.text);
    REQUIRE(out.ok);
    while (!out.text.empty() && (out.text.back() == '\n' || out.text.back() == '\r')) out.text.pop_back();
    return out.text;
  }
  std::string id(int i) const { return cli(i, "CLUSTER MYID"); }

  // Every running node says cluster_state:ok and knows all 16384 slots.
  void wait_ok() const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      bool ok = true;
      for (int i = 0; i < node_count() && ok; ++i) {
        if (!running(i)) continue;
        auto info = run_command(std::string(SIO_REDIS_CLI) + " -h 127.0.0.1 -p " + std::to_string(port(i)) + " CLUSTER INFO");
        ok = info.ok && info.text.find("cluster_state:ok") != std::string::npos &&
             info.text.find("cluster_slots_ok:16384") != std::string::npos;
      }
      if (ok) return;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // between polls of the state, not to wait for an event
    }
  }

  // Gives `slot` from node `from` to node `to` with no keys in it: IMPORTING, MIGRATING, then
  // SETSLOT NODE on the new owner first, the old one next (which then drops the slot's shard
  // subscriptions, sending each subscriber an unsolicited sunsubscribe), and the third last.
  void move_slot(int slot, int from, int to) const {
    std::string s = std::to_string(slot), from_id = id(from), to_id = id(to);
    REQUIRE(cli(to, "CLUSTER SETSLOT " + s + " IMPORTING " + from_id) == "OK");
    REQUIRE(cli(from, "CLUSTER SETSLOT " + s + " MIGRATING " + to_id) == "OK");
    finish_move(slot, from, to);
  }
  void finish_move(int slot, int from, int to) const {
    std::string s = std::to_string(slot), to_id = id(to);
    REQUIRE(cli(to, "CLUSTER SETSLOT " + s + " NODE " + to_id) == "OK");
    REQUIRE(cli(from, "CLUSTER SETSLOT " + s + " NODE " + to_id) == "OK");
    for (int i = 0; i < size; ++i)
      if (i != from && i != to) REQUIRE(cli(i, "CLUSTER SETSLOT " + s + " NODE " + to_id) == "OK");
  }

  void stop(int i) {
    nodes_.at(static_cast<std::size_t>(i))->stop();
    stopped_.push_back(i);
  }
  void start(int i) {
    nodes_.at(static_cast<std::size_t>(i))->start();
    stopped_.erase(std::remove(stopped_.begin(), stopped_.end(), i), stopped_.end());
  }
  bool running(int i) const { return std::find(stopped_.begin(), stopped_.end(), i) == stopped_.end(); }

 private:
  std::vector<std::unique_ptr<redis_process>> nodes_;
  std::vector<int> stopped_;
};

}  // namespace sio_test
