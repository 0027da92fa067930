// sio_bench_loadgen: the benchmark's load generator. Single-threaded and event-driven (one Asio
// io_context), loopback only, bounded in time and count, and strict: every reply is checked
// (ack ids, payload bytes, broadcast sequence per client) and any surprise ends the run with exit
// status 1. Timing never fails a run.
//
//   sio_bench_loadgen --scenario connect|echo|bcast|poll-echo --port P [options]
//   sio_bench_loadgen --scenario bcast --ports P1,P2 --pids PID1,PID2,... [options]   (a cluster)
//
// Prints one JSON object on stdout (the figures) and a one-line summary on stderr.
// See bench/README.md for the scenarios and every option.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <asio.hpp>

#include "clients.hpp"

namespace loadgen {
namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

struct config {
  std::string scenario;
  std::string mode = "sio";  ///< sio | raw
  std::string host = "127.0.0.1";
  std::vector<unsigned short> ports;  ///< --port P, or --ports P1,P2: clients round-robin over them
  std::string path;                   ///< default: /socket.io/ (sio) or / (raw)
  int clients = 100;
  double warmup = 1.0;
  double duration = 5.0;
  int window = 1;
  int payload = 32;
  int pid = 0;  ///< server process, for /proc figures
  int inflight = 200;
  int warmup_conns = 0;
  double settle = 0.5;
  double timeout = 30.0;  ///< longest wait for anything (a connection, a reply, the drain)
  int src_ips = 0;        ///< 0: as many 127.0.0.x source addresses as the connection count needs
  std::vector<int> pids;  ///< more processes (a cluster's nodes, Redis) whose CPU time is reported
};

template <class T>
std::vector<T> comma_list(const std::string& text) {
  std::vector<T> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(static_cast<T>(std::stoi(item)));
  return out;
}

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "sio_bench_loadgen: " << why << "\n"
            << "usage: sio_bench_loadgen --scenario connect|echo|bcast|poll-echo --port P\n"
               "       [--mode sio|raw] [--host 127.0.0.1] [--path /socket.io/] [--clients N]\n"
               "       [--warmup S] [--duration S] [--window W] [--payload BYTES] [--pid SERVER_PID]\n"
               "       [--inflight N] [--warmup-conns N] [--settle S] [--timeout S] [--src-ips K]\n"
               "       [--ports P1,P2,... instead of --port] [--pids PID1,PID2,...]\n";
  std::exit(2);
}

config parse_args(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    try {
      if (a == "--scenario")
        c.scenario = next();
      else if (a == "--mode")
        c.mode = next();
      else if (a == "--host")
        c.host = next();
      else if (a == "--port")
        c.ports = {static_cast<unsigned short>(std::stoi(next()))};
      else if (a == "--ports")
        c.ports = comma_list<unsigned short>(next());
      else if (a == "--pids")
        c.pids = comma_list<int>(next());
      else if (a == "--path")
        c.path = next();
      else if (a == "--clients")
        c.clients = std::stoi(next());
      else if (a == "--warmup")
        c.warmup = std::stod(next());
      else if (a == "--duration")
        c.duration = std::stod(next());
      else if (a == "--window")
        c.window = std::stoi(next());
      else if (a == "--payload")
        c.payload = std::stoi(next());
      else if (a == "--pid")
        c.pid = std::stoi(next());
      else if (a == "--inflight")
        c.inflight = std::stoi(next());
      else if (a == "--warmup-conns")
        c.warmup_conns = std::stoi(next());
      else if (a == "--settle")
        c.settle = std::stod(next());
      else if (a == "--timeout")
        c.timeout = std::stod(next());
      else if (a == "--src-ips")
        c.src_ips = std::stoi(next());
      else
        usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad value for " + a);
    }
  }
  if (c.scenario != "connect" && c.scenario != "echo" && c.scenario != "bcast" && c.scenario != "poll-echo")
    usage("--scenario must be connect, echo, bcast or poll-echo");
  if (c.mode != "sio" && c.mode != "raw") usage("--mode must be sio or raw");
  if (c.mode == "raw" && c.scenario == "poll-echo") usage("poll-echo needs --mode sio");
  if (c.ports.empty() || std::count(c.ports.begin(), c.ports.end(), 0) > 0) usage("--port or --ports is required");
  if (c.clients < 1 || c.window < 1 || c.payload < 0 || c.inflight < 1 || c.duration <= 0 || c.warmup < 0 || c.timeout <= 0)
    usage("counts and times must be positive");
  auto addr = asio::ip::make_address(c.host);
  if (!addr.is_loopback()) usage("the generator targets loopback only");
  if (c.path.empty()) c.path = c.mode == "sio" ? "/socket.io/" : "/";
  return c;
}

/// Lets this process use every descriptor it may (the soft limit up to the hard one).
rlim_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

/// CPU time (user + system, all threads) and resident memory of a process, from /proc.
struct proc_sample {
  bool ok = false;
  double cpu_s = 0;
  long rss_kib = 0;
};

proc_sample sample_process(int pid) {
  proc_sample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  auto paren = line.rfind(')');
  if (paren == std::string::npos) return s;
  std::istringstream fields(line.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // After the command: state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
  for (int field = 3; field <= 15 && fields >> f; ++field) {
    if (field == 14) utime = std::stoull(f);
    if (field == 15) stime = std::stoull(f);
  }
  s.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_kib = std::stol(line.substr(6));
      break;
    }
  }
  s.ok = true;
  return s;
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double percentile_us(std::vector<std::uint64_t>& ns, double q) {
  if (ns.empty()) return 0;
  std::size_t k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ns.size()))) - 1;
  k = std::min(k, ns.size() - 1);
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
  return static_cast<double>(ns[k]) / 1000.0;
}

/// A deterministic JSON payload, so that every reply can be checked byte for byte.
void append_padding(std::string& out, std::uint64_t salt, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('a' + (salt + static_cast<std::uint64_t>(i)) % 26));
}

// ---------------------------------------------------------------------------------------------

class runner final : public client_events {
 public:
  explicit runner(config cfg) : cfg_(std::move(cfg)), ctx_(1), tick_(ctx_), rng_(0x5105EEDull ^ static_cast<std::uint64_t>(getpid())) {
    // Sized once: clients keep a reference to their endpoint.
    eps_.resize(cfg_.ports.size());
    for (std::size_t i = 0; i < eps_.size(); ++i) {
      auto& ep = eps_[i];
      ep.server = asio::ip::tcp::endpoint{asio::ip::make_address(cfg_.host), cfg_.ports[i]};
      ep.host_header = cfg_.host + ":" + std::to_string(cfg_.ports[i]);
      ep.path = cfg_.path;
      ep.socketio = cfg_.mode == "sio";
      ep.buffered_reads = cfg_.scenario != "connect";  // idle clients hold no read buffer
    }
    socketio_ = cfg_.mode == "sio";
    port_measured_.assign(eps_.size(), 0);
    port_latencies_.resize(eps_.size());
  }

  int run() {
    fd_limit_ = raise_fd_limit();
    const bool polling = cfg_.scenario == "poll-echo";
    const long sockets_needed = static_cast<long>(cfg_.clients + cfg_.warmup_conns) * (polling ? 2 : 1);
    if (static_cast<rlim_t>(sockets_needed + 64) > fd_limit_) {
      return finish_error("needs " + std::to_string(sockets_needed) + " sockets but RLIMIT_NOFILE is " + std::to_string(fd_limit_));
    }
    int k = cfg_.src_ips > 0 ? cfg_.src_ips : static_cast<int>((sockets_needed + 19999) / 20000);
    k = std::clamp(k, 1, 250);
    if (k > 1) {
      // Loopback answers on all of 127/8; each source address has its own ~28k ephemeral ports.
      for (int i = 0; i < k; ++i) sources_.push_back(asio::ip::make_address_v4("127.0.0." + std::to_string(1 + i)));
    }
    last_progress_ns_ = now_ns();
    if (cfg_.scenario == "connect" && cfg_.warmup_conns > 0) {
      phase_ = phase::warm_connect;
      open_batch(cfg_.warmup_conns);
    } else {
      begin_main_connect();
    }
    arm_tick();
    ctx_.run();
    for (auto& c : clients_) c->abort();
    for (auto& c : warm_clients_) c->abort();
    return exit_code_;
  }

  // client_events
  void on_ready(client_base& c) override {
    (void)c;
    last_progress_ns_ = now_ns();
    --connecting_;
    ++ready_count_;
    pump_connects();
    if (ready_count_ == target_count_) all_connected();
  }

  void on_message(client_base& c, std::string_view text) override {
    last_progress_ns_ = now_ns();
    if (cfg_.scenario == "echo" || cfg_.scenario == "poll-echo") return on_echo_reply(c, text);
    if (cfg_.scenario == "bcast") return on_delivery(c, text);
    fail("unexpected message on client " + std::to_string(c.index()) + ": " + std::string{text.substr(0, 80)});
  }

  void on_failure(client_base& c, std::string what) override { fail("client " + std::to_string(c.index()) + ": " + what); }

 private:
  enum class phase { warm_connect, warm_pause, connecting, settle, warmup, measure, drain, done };

  // ---- connections ----------------------------------------------------------------------

  /// Which of the ports a client uses: round-robin, so client 0 (the broadcaster) is on the first.
  std::size_t port_of(int index) const noexcept { return static_cast<std::size_t>(index) % eps_.size(); }

  std::unique_ptr<client_base> make_client(int index) {
    const auto& ep = eps_[port_of(index)];
    if (cfg_.scenario == "poll-echo") return std::make_unique<poll_client>(ctx_, *this, ep, index);
    return std::make_unique<ws_client>(ctx_, *this, ep, index, rng_);
  }

  void open_batch(int n) {
    auto& list = phase_ == phase::warm_connect ? warm_clients_ : clients_;
    list.clear();
    list.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) list.push_back(make_client(i));
    next_start_ = 0;
    ready_count_ = 0;
    connecting_ = 0;
    target_count_ = n;
    starting_ = &list;
    pump_connects();
  }

  void pump_connects() {
    while (starting_ && next_start_ < starting_->size() && connecting_ < cfg_.inflight) {
      const asio::ip::address* src = sources_.empty() ? nullptr : &sources_[source_rr_++ % sources_.size()];
      ++connecting_;
      (*starting_)[next_start_++]->start(src);
    }
  }

  void begin_main_connect() {
    phase_ = phase::connecting;
    base_ = sample_process(cfg_.pid);
    connect_start_ns_ = now_ns();
    gen_cpu_connect_begin_ = self_cpu_s();
    open_batch(cfg_.clients);
  }

  void all_connected() {
    if (phase_ == phase::warm_connect) {
      for (auto& c : warm_clients_) c->abort();
      phase_ = phase::warm_pause;
      phase_end_ns_ = now_ns() + 300'000'000ull;  // let the server release them
      return;
    }
    connect_end_ns_ = now_ns();
    gen_cpu_connect_end_ = self_cpu_s();
    connected_ = sample_process(cfg_.pid);
    if (cfg_.scenario == "connect") {
      phase_ = phase::settle;
      phase_end_ns_ = now_ns() + static_cast<std::uint64_t>(cfg_.settle * 1e9);
      return;
    }
    start_traffic();
  }

  // ---- phases ---------------------------------------------------------------------------

  void arm_tick() {
    tick_.expires_after(std::chrono::milliseconds(10));
    tick_.async_wait([this](std::error_code ec) {
      if (ec || phase_ == phase::done) return;
      on_tick();
      if (phase_ != phase::done) arm_tick();
    });
  }

  void on_tick() {
    const std::uint64_t now = now_ns();
    const auto timeout_ns = static_cast<std::uint64_t>(cfg_.timeout * 1e9);
    switch (phase_) {
      case phase::warm_pause:
        if (now >= phase_end_ns_) begin_main_connect();
        return;
      case phase::settle:
        if (now >= phase_end_ns_) finish_connect();
        return;
      case phase::warmup:
        if (now >= phase_end_ns_) begin_measure();
        break;
      case phase::measure:
        if (now >= phase_end_ns_) end_measure();
        break;
      case phase::drain:
        if (outstanding_total() == 0) return finish_traffic();
        break;
      default: break;
    }
    if (phase_ != phase::done && now - last_progress_ns_ > timeout_ns) {
      if (phase_ == phase::connecting || phase_ == phase::warm_connect)
        return fail("stalled: " + std::to_string(ready_count_) + " of " + std::to_string(target_count_) + " clients connected after " +
                    std::to_string(cfg_.timeout) + " s without progress");
      return fail("stalled: no reply for " + std::to_string(cfg_.timeout) + " s, " + std::to_string(outstanding_total()) +
                  " replies missing");
    }
  }

  void start_traffic() {
    phase_ = phase::warmup;
    phase_end_ns_ = now_ns() + static_cast<std::uint64_t>(cfg_.warmup * 1e9);
    if (cfg_.scenario == "bcast") {
      for (int i = 0; i < cfg_.window; ++i) emit_broadcast();
    } else {
      for (auto& c : clients_)
        for (int i = 0; i < cfg_.window; ++i) send_echo(*c);
    }
    if (cfg_.warmup == 0) begin_measure();
  }

  void begin_measure() {
    phase_ = phase::measure;
    measure_start_ns_ = now_ns();
    phase_end_ns_ = measure_start_ns_ + static_cast<std::uint64_t>(cfg_.duration * 1e9);
    measure_begin_ = sample_process(cfg_.pid);
    pids_begin_.clear();
    for (int pid : cfg_.pids) pids_begin_.push_back(sample_process(pid));
    gen_cpu_begin_ = self_cpu_s();
    measured_ = 0;
    latencies_.clear();
    port_measured_.assign(eps_.size(), 0);
    for (auto& l : port_latencies_) l.clear();
  }

  void end_measure() {
    measure_end_ns_ = now_ns();
    measure_end_ = sample_process(cfg_.pid);
    pids_end_.clear();
    for (int pid : cfg_.pids) pids_end_.push_back(sample_process(pid));
    gen_cpu_end_ = self_cpu_s();
    phase_ = phase::drain;
  }

  bool sending() const noexcept { return phase_ == phase::warmup || phase_ == phase::measure; }

  std::size_t outstanding_total() const {
    if (cfg_.scenario == "bcast") return broadcasts_in_flight_;
    std::size_t n = 0;
    for (const auto& c : clients_) n += c->outstanding.size();
    return n;
  }

  // ---- echo -----------------------------------------------------------------------------

  std::string echo_payload(int client, std::uint64_t id) const {
    std::string p = "{\"c\":" + std::to_string(client) + ",\"i\":" + std::to_string(id) + ",\"p\":\"";
    append_padding(p, static_cast<std::uint64_t>(client) + id, cfg_.payload);
    p += "\"}";
    return p;
  }

  void send_echo(client_base& c) {
    std::uint64_t id = c.next_id++;
    std::string msg;
    if (socketio_) {
      msg = "42" + std::to_string(id) + "[\"echo\"," + echo_payload(c.index(), id) + "]";
    } else {
      msg = "e" + echo_payload(c.index(), id);
    }
    c.outstanding.push_back({id, now_ns()});
    c.send_message(msg);
  }

  void on_echo_reply(client_base& c, std::string_view text) {
    const std::uint64_t t = now_ns();
    if (c.outstanding.empty())
      return fail("client " + std::to_string(c.index()) + ": reply without a request: " + std::string{text.substr(0, 80)});
    auto sent = c.outstanding.front();
    std::string expected;
    if (socketio_) {
      expected = "43" + std::to_string(sent.id) + "[" + echo_payload(c.index(), sent.id) + "]";
    } else {
      expected = "e" + echo_payload(c.index(), sent.id);
    }
    if (text != expected)
      return fail("client " + std::to_string(c.index()) + ": wrong reply: expected " + expected + ", got " +
                  std::string{text.substr(0, 120)});
    c.outstanding.pop_front();
    ++total_replies_;
    if (phase_ == phase::measure) count_measured(c, t - sent.t_ns);
    if (sending()) send_echo(c);
  }

  void count_measured(const client_base& c, std::uint64_t latency_ns) {
    ++measured_;
    latencies_.push_back(latency_ns);
    if (eps_.size() > 1) {
      ++port_measured_[port_of(c.index())];
      port_latencies_[port_of(c.index())].push_back(latency_ns);
    }
  }

  // ---- broadcast ------------------------------------------------------------------------

  struct broadcast_record {
    std::uint64_t t_emit;
    std::uint32_t received = 0;
    std::string text;
  };

  void emit_broadcast() {
    std::uint64_t seq = broadcasts_.size();
    std::string data = "{\"s\":" + std::to_string(seq) + ",\"p\":\"";
    append_padding(data, seq, cfg_.payload);
    data += "\"}";
    std::string msg = socketio_ ? "42[\"bcast\"," + data + "]" : "b" + data;
    broadcasts_.push_back({now_ns(), 0, msg});
    ++broadcasts_in_flight_;
    clients_.front()->send_message(msg);
  }

  /// With connection state recovery on, a server appends the packet's offset (a JSON string) as
  /// the event's last argument: `42["bcast",{...},"OFFSET"]`. Everything else must match.
  static bool is_with_offset(std::string_view text, std::string_view sent) {
    const std::string_view head = sent.substr(0, sent.size() - 1);  // without the closing ]
    if (text.size() < head.size() + 5 || text.substr(0, head.size()) != head) return false;
    std::string_view rest = text.substr(head.size());
    if (rest.substr(0, 2) != ",\"" || rest.substr(rest.size() - 2) != "\"]") return false;
    const std::string_view offset = rest.substr(2, rest.size() - 4);
    return !offset.empty() && offset.find_first_of("\"\\") == std::string_view::npos;
  }

  void on_delivery(client_base& c, std::string_view text) {
    const std::uint64_t t = now_ns();
    constexpr std::string_view key = "{\"s\":";
    auto pos = text.find(key);
    std::uint64_t seq = 0;
    bool digits = false;
    if (pos != std::string_view::npos) {
      for (std::size_t i = pos + key.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        seq = seq * 10 + static_cast<std::uint64_t>(text[i] - '0');
        digits = true;
      }
    }
    if (!digits || seq >= broadcasts_.size())
      return fail("client " + std::to_string(c.index()) + ": unexpected message " + std::string{text.substr(0, 120)});
    if (seq != c.next_seq)
      return fail("client " + std::to_string(c.index()) + ": broadcast " + std::to_string(seq) + " arrived, expected " +
                  std::to_string(c.next_seq) + " (lost or reordered)");
    auto& rec = broadcasts_[seq];
    if (text != rec.text) {
      if (!socketio_ || !is_with_offset(text, rec.text))
        return fail("client " + std::to_string(c.index()) + ": broadcast " + std::to_string(seq) +
                    " differs: " + std::string{text.substr(0, 120)});
      ++offsets_;
    }
    ++c.next_seq;
    ++total_replies_;
    if (phase_ == phase::measure) count_measured(c, t - rec.t_emit);
    if (++rec.received == clients_.size()) {
      --broadcasts_in_flight_;
      if (sending()) emit_broadcast();
    }
  }

  // ---- results --------------------------------------------------------------------------

  void finish_connect() {
    settled_ = sample_process(cfg_.pid);
    const double secs = static_cast<double>(connect_end_ns_ - connect_start_ns_) / 1e9;
    std::ostringstream o;
    o.precision(6);
    o << "{\"ok\":true,\"scenario\":\"connect\",\"mode\":\"" << cfg_.mode << "\",\"clients\":" << cfg_.clients << ",\"seconds\":" << secs
      << ",\"conns_per_s\":" << cfg_.clients / secs;
    if (base_.ok && settled_.ok) {
      o << ",\"rss_base_kib\":" << base_.rss_kib << ",\"rss_kib\":" << settled_.rss_kib
        << ",\"kib_per_conn\":" << static_cast<double>(settled_.rss_kib - base_.rss_kib) / cfg_.clients
        << ",\"server_cpu_us_per_conn\":" << (connected_.cpu_s - base_.cpu_s) * 1e6 / cfg_.clients
        << ",\"server_cpu_pct\":" << (connected_.cpu_s - base_.cpu_s) / secs * 100;
    }
    o << ",\"gen_cpu_pct\":" << (gen_cpu_connect_end_ - gen_cpu_connect_begin_) / secs * 100;
    o << ",\"fd_limit\":" << fd_limit_ << ",\"source_addresses\":" << std::max<std::size_t>(1, sources_.size()) << "}";
    std::cout << o.str() << std::endl;
    std::cerr << "connect " << cfg_.clients << ": " << static_cast<long>(cfg_.clients / secs) << " conn/s";
    if (base_.ok && settled_.ok)
      std::cerr << ", server RSS " << base_.rss_kib << " -> " << settled_.rss_kib << " KiB ("
                << static_cast<double>(settled_.rss_kib - base_.rss_kib) / cfg_.clients << " KiB/conn)";
    std::cerr << "\n";
    done(0);
  }

  void finish_traffic() {
    // Counts: everything sent was answered (the drain waited for it); for a broadcast, every
    // client saw every sequence number in order.
    if (cfg_.scenario == "bcast") {
      for (const auto& c : clients_)
        if (c->next_seq != broadcasts_.size())
          return fail("client " + std::to_string(c->index()) + " got " + std::to_string(c->next_seq) + " of " +
                      std::to_string(broadcasts_.size()) + " broadcasts");
    }
    const double secs = static_cast<double>(measure_end_ns_ - measure_start_ns_) / 1e9;
    const double rate = static_cast<double>(measured_) / secs;
    const double p50 = percentile_us(latencies_, 0.50);
    const double p99 = percentile_us(latencies_, 0.99);
    const char* rate_name = cfg_.scenario == "bcast" ? "deliveries_per_s" : "acks_per_s";
    std::uint64_t pings = 0, reconnects = 0;
    for (const auto& c : clients_) {
      pings += c->pings();
      if (auto* p = dynamic_cast<poll_client*>(c.get())) reconnects += p->reconnects();
    }
    std::ostringstream o;
    o.precision(6);
    o << "{\"ok\":true,\"scenario\":\"" << cfg_.scenario << "\",\"mode\":\"" << cfg_.mode << "\",\"clients\":" << cfg_.clients
      << ",\"window\":" << cfg_.window << ",\"payload\":" << cfg_.payload << ",\"seconds\":" << secs << ",\"messages\":" << measured_
      << ",\"" << rate_name << "\":" << rate << ",\"p50_us\":" << p50 << ",\"p99_us\":" << p99 << ",\"total_replies\":" << total_replies_
      << ",\"pings\":" << pings << ",\"reconnects\":" << reconnects << ",\"gen_cpu_pct\":" << (gen_cpu_end_ - gen_cpu_begin_) / secs * 100;
    // offsets: deliveries that carried a recovery offset (0 when recovery is off).
    if (cfg_.scenario == "bcast") o << ",\"broadcasts\":" << broadcasts_.size() << ",\"offsets\":" << offsets_;
    if (measure_begin_.ok && measure_end_.ok && measured_ > 0) {
      const double cpu = measure_end_.cpu_s - measure_begin_.cpu_s;
      o << ",\"server_cpu_pct\":" << cpu / secs * 100 << ",\"server_cpu_us_per_msg\":" << cpu * 1e6 / static_cast<double>(measured_)
        << ",\"rss_kib\":" << measure_end_.rss_kib;
    }
    if (base_.ok && connected_.ok)
      o << ",\"conns_per_s\":" << cfg_.clients / (static_cast<double>(connect_end_ns_ - connect_start_ns_) / 1e9);
    if (eps_.size() > 1) {
      // Per port: with a broadcast from client 0, every port but the first received it through
      // the cluster (another server).
      o << ",\"ports\":[";
      for (std::size_t i = 0; i < eps_.size(); ++i) {
        const auto n = static_cast<double>(port_measured_[i]);
        o << (i ? "," : "") << "{\"port\":" << cfg_.ports[i]
          << ",\"clients\":" << (cfg_.clients + static_cast<int>(eps_.size() - i) - 1) / static_cast<int>(eps_.size())
          << ",\"messages\":" << port_measured_[i] << ",\"per_s\":" << n / secs << ",\"p50_us\":" << percentile_us(port_latencies_[i], 0.50)
          << ",\"p99_us\":" << percentile_us(port_latencies_[i], 0.99) << "}";
      }
      o << "]";
    }
    if (!cfg_.pids.empty()) {
      // CPU seconds of each --pids process over the measured interval (-1: it could not be read).
      o << ",\"pids\":[";
      for (std::size_t i = 0; i < cfg_.pids.size(); ++i) {
        const bool ok = pids_begin_[i].ok && pids_end_[i].ok;
        o << (i ? "," : "") << "{\"pid\":" << cfg_.pids[i] << ",\"cpu_s\":" << (ok ? pids_end_[i].cpu_s - pids_begin_[i].cpu_s : -1.0)
          << ",\"rss_kib\":" << pids_end_[i].rss_kib << "}";
      }
      o << "]";
    }
    o << "}";
    std::cout << o.str() << std::endl;
    std::cerr << cfg_.scenario << " " << cfg_.clients << " clients: " << static_cast<long>(rate) << " " << rate_name << ", p50 " << p50
              << " us, p99 " << p99 << " us\n";
    done(0);
  }

  int finish_error(const std::string& what) {
    std::cout << "{\"ok\":false,\"scenario\":\"" << cfg_.scenario << "\",\"error\":\"";
    for (char ch : what) {
      if (ch == '"' || ch == '\\') std::cout << '\\';
      if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
      std::cout << ch;
    }
    std::cout << "\"}" << std::endl;
    std::cerr << "sio_bench_loadgen: FAILED: " << what << "\n";
    return 1;
  }

  void fail(const std::string& what) {
    if (phase_ == phase::done) return;
    finish_error(what);
    done(1);
  }

  void done(int code) {
    phase_ = phase::done;
    exit_code_ = code;
    tick_.cancel();
    for (auto& c : clients_) c->abort();
    for (auto& c : warm_clients_) c->abort();
  }

  config cfg_;
  asio::io_context ctx_;
  asio::steady_timer tick_;
  fast_rng rng_;
  std::vector<endpoint_config> eps_;  ///< one per port
  bool socketio_ = true;
  rlim_t fd_limit_ = 0;
  std::vector<asio::ip::address> sources_;
  std::size_t source_rr_ = 0;

  std::vector<std::unique_ptr<client_base>> clients_;
  std::vector<std::unique_ptr<client_base>> warm_clients_;
  std::vector<std::unique_ptr<client_base>>* starting_ = nullptr;
  std::size_t next_start_ = 0;
  int connecting_ = 0;
  int ready_count_ = 0;
  int target_count_ = 0;

  phase phase_ = phase::connecting;
  std::uint64_t phase_end_ns_ = 0;
  std::uint64_t last_progress_ns_ = 0;
  std::uint64_t connect_start_ns_ = 0, connect_end_ns_ = 0;
  double gen_cpu_connect_begin_ = 0, gen_cpu_connect_end_ = 0;
  std::uint64_t measure_start_ns_ = 0, measure_end_ns_ = 0;
  proc_sample base_, connected_, settled_, measure_begin_, measure_end_;
  double gen_cpu_begin_ = 0, gen_cpu_end_ = 0;

  std::uint64_t measured_ = 0;
  std::uint64_t total_replies_ = 0;
  std::uint64_t offsets_ = 0;  ///< broadcast deliveries that carried a recovery offset
  std::vector<std::uint64_t> latencies_;
  std::vector<std::uint64_t> port_measured_;                ///< measured replies per port (--ports)
  std::vector<std::vector<std::uint64_t>> port_latencies_;  ///< their latencies
  std::vector<proc_sample> pids_begin_, pids_end_;          ///< --pids, over the measured interval
  std::vector<broadcast_record> broadcasts_;
  std::size_t broadcasts_in_flight_ = 0;
  int exit_code_ = 1;
};

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
  auto cfg = loadgen::parse_args(argc, argv);
  try {
    loadgen::runner r{std::move(cfg)};
    return r.run();
  } catch (const std::exception& e) {
    std::cerr << "sio_bench_loadgen: " << e.what() << "\n";
    return 1;
  }
}
