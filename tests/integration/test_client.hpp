#pragma once
// A small Socket.IO test client for in-process C++ tests: raw Engine.IO v4 over a websocketpp
// client on its own thread. It answers pings, connects to namespaces, records every packet, and
// can acknowledge events automatically. Waits are bounded and event-driven (condition variable).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sio/detail/dependency_warnings_push.hpp>
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/logger/stub.hpp>
#include <sio/detail/dependency_warnings_pop.hpp>

namespace sio_test {

struct client_config : websocketpp::config::asio_client {
  using alog_type = websocketpp::log::stub;
  using elog_type = websocketpp::log::stub;
  struct transport_config : websocketpp::config::asio_client::transport_config {
    using alog_type = websocketpp::log::stub;
    using elog_type = websocketpp::log::stub;
  };
  using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};

class test_client {
 public:
  using clock = std::chrono::steady_clock;
  /// Called (on the client thread) for each Socket.IO packet text ("2[...]", "3...", ...); may
  /// return a reply text to send back ("" for none).
  using responder = std::function<std::string(const std::string& sio_packet)>;

  explicit test_client(unsigned short port, responder respond = {}) : test_client(port, std::string{}, std::move(respond)) {}
  /// With `upgrade_sid`: upgrades that long-polling session to WebSocket (probe, then upgrade)
  /// instead of opening a new one; wait_upgraded() waits for it.
  test_client(unsigned short port, std::string upgrade_sid, responder respond)
      : respond_(std::move(respond)), upgrade_sid_(std::move(upgrade_sid)) {
    endpoint_.init_asio();
    endpoint_.set_message_handler([this](websocketpp::connection_hdl hdl, client::message_ptr msg) { on_message(hdl, msg); });
    endpoint_.set_open_handler([this](websocketpp::connection_hdl hdl) {
      std::lock_guard<std::mutex> lock(mutex_);
      hdl_ = hdl;
      open_ = true;
      cv_.notify_all();
    });
    endpoint_.set_close_handler([this](websocketpp::connection_hdl) { mark_closed(); });
    endpoint_.set_fail_handler([this](websocketpp::connection_hdl) { mark_closed(); });
    std::error_code ec;
    std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/socket.io/?EIO=4&transport=websocket";
    if (!upgrade_sid_.empty()) url += "&sid=" + upgrade_sid_;
    auto con = endpoint_.get_connection(url, ec);
    if (ec) throw std::runtime_error("test_client: " + ec.message());
    endpoint_.connect(con);
    thread_ = std::thread([this] { endpoint_.run(); });
    wait_for([this] { return open_ || closed_; }, "websocket open");
    if (!open_) throw std::runtime_error("test_client: connection failed");
    if (!upgrade_sid_.empty()) send_text("2probe");
  }
  ~test_client() {
    close();
    endpoint_.stop();
    thread_.join();
  }
  /// Closes the WebSocket (a normal close) and waits for it; the packets received stay readable.
  void close() {
    // close arms a timer that the client thread also touches: it runs there, as sends do.
    on_client_thread([this] {
      websocketpp::connection_hdl hdl;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!open_ || closed_) return;
        hdl = hdl_;
      }
      std::error_code ec;
      endpoint_.close(hdl, websocketpp::close::status::normal, "", ec);
    });
    wait_for([this] { return closed_; }, "close", std::chrono::seconds{5}, false);
  }

  /// Sends CONNECT for `nsp` (with `auth`, a JSON object, when given) and waits for the reply;
  /// returns the socket id, and the whole reply in `reply` when asked.
  std::string connect(const std::string& nsp = "/", const std::string& auth = {}, std::string* whole_reply = nullptr) {
    send_sio((nsp == "/" ? "0" : "0" + nsp + ",") + auth);
    std::string prefix = nsp == "/" ? "0{" : "0" + nsp + ",{";
    std::string reply = next_matching([&](const std::string& p) { return p.rfind(prefix, 0) == 0 || p[0] == '4'; });
    if (whole_reply) *whole_reply = reply;
    auto pos = reply.find("\"sid\":\"");
    if (pos == std::string::npos) throw std::runtime_error("test_client: connect refused: " + reply);
    return reply.substr(pos + 7, reply.find('"', pos + 7) - pos - 7);
  }
  void send_sio(const std::string& packet) { send_text("4" + packet); }

  /// The first recorded packet (removed) that satisfies `pred`, waiting up to `timeout`.
  std::string next_matching(const std::function<bool(const std::string&)>& pred,
                            std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto deadline = clock::now() + timeout;
    for (;;) {
      for (auto it = packets_.begin(); it != packets_.end(); ++it) {
        if (pred(*it)) {
          std::string p = *it;
          packets_.erase(it);
          return p;
        }
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
        throw std::runtime_error("test_client: timed out waiting for a packet");
    }
  }
  /// Waits until `n` packets satisfy `pred` (without removing them); returns them in order.
  std::vector<std::string> wait_count(const std::function<bool(const std::string&)>& pred, std::size_t n,
                                      std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto deadline = clock::now() + timeout;
    for (;;) {
      std::vector<std::string> out;
      for (const auto& p : packets_)
        if (pred(p)) out.push_back(p);
      if (out.size() >= n) return out;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
        throw std::runtime_error("test_client: got " + std::to_string(out.size()) + " of " + std::to_string(n) + " packets");
    }
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  void wait_upgraded(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    wait_for([this] { return upgraded_; }, "upgrade", timeout);
  }
  void wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds{10}) {
    wait_for([this] { return closed_; }, "close", timeout);
  }

 private:
  using client = websocketpp::client<client_config>;

  void send_text(const std::string& text) {
    on_client_thread([this, text] {
      websocketpp::connection_hdl hdl;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        hdl = hdl_;
      }
      std::error_code ec;
      endpoint_.send(hdl, text, websocketpp::frame::opcode::text, ec);
    });
  }
  // websocketpp's connection is not safe to drive from two threads: every call on it is posted
  // to the client thread. Its single-threaded io_context keeps posted sends in order.
  template <class Fn>
  void on_client_thread(Fn fn) {
    websocketpp::lib::asio::post(endpoint_.get_io_service(), std::move(fn));
  }

  void on_message(websocketpp::connection_hdl hdl, client::message_ptr msg) {
    const std::string& text = msg->get_payload();
    if (text.empty()) return;
    std::error_code ec;
    if (text[0] == '2') {  // ping -> pong
      endpoint_.send(hdl, "3", websocketpp::frame::opcode::text, ec);
      return;
    }
    if (text == "3probe") {  // the probe came back: complete the upgrade
      endpoint_.send(hdl, "5", websocketpp::frame::opcode::text, ec);
      std::lock_guard<std::mutex> lock(mutex_);
      upgraded_ = true;
      cv_.notify_all();
      return;
    }
    if (text[0] != '4') return;
    std::string packet = text.substr(1);
    if (respond_) {
      std::string reply = respond_(packet);
      if (!reply.empty()) endpoint_.send(hdl, "4" + reply, websocketpp::frame::opcode::text, ec);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    packets_.push_back(std::move(packet));
    cv_.notify_all();
  }

  void mark_closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    cv_.notify_all();
  }

  template <class Pred>
  void wait_for(Pred pred, const char* what, std::chrono::milliseconds timeout = std::chrono::seconds{10}, bool throw_on_timeout = true) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_for(lock, timeout, pred) && throw_on_timeout) throw std::runtime_error(std::string{"test_client: timed out: "} + what);
  }

  responder respond_;
  std::string upgrade_sid_;
  client endpoint_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  websocketpp::connection_hdl hdl_;
  bool open_ = false;
  bool closed_ = false;
  bool upgraded_ = false;
  std::deque<std::string> packets_;
};

}  // namespace sio_test
