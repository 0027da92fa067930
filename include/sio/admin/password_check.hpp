#pragma once
// sio::admin::password_check: bcrypt through libxcrypt (crypt_rn), and the one worker thread that
// runs it off the io_context, behind a bounded queue: a flood of logins gets refusals, not a
// growing backlog.
#include <crypt.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sio::admin {

/// True for a bcrypt hash libxcrypt accepts: $2a$, $2b$ or $2y$, two cost digits, 53 characters of
/// salt and hash. Anything else would make crypt_rn silently use another algorithm (DES for a
/// plain string), so nothing else is ever passed to it.
inline bool is_bcrypt_hash(const std::string& h) {
  if (h.size() != 60 || h[0] != '$' || h[1] != '2' || (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' || h[6] != '$')
    return false;
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9') return false;
  for (std::size_t i = 7; i < h.size(); ++i) {
    char c = h[i];
    bool ok = c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return crypt_checksalt(h.c_str()) == CRYPT_SALT_OK;
}

/// Equal contents, in a time that depends on the lengths only.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

/// bcrypt(password) == hash; `hash` passed is_bcrypt_hash. Blocks for the hash's cost.
inline bool bcrypt_verify(const std::string& password, const std::string& hash) {
  // A C string: a NUL inside would cut the password short. bcrypt reads 72 bytes; a longer
  // password is refused here rather than hashed for nothing.
  if (password.find('\0') != std::string::npos || password.size() > 1024) return false;
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  std::memset(data.get(), 0, sizeof *data);
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof *data);
  if (!out || out[0] == '*') return false;  // "*0" / "*1": libxcrypt's failure tokens
  return constant_time_equal(out, hash);
}

/// One thread checking passwords, `max_waiting` at most in its queue.
class password_checker {
 public:
  password_checker(std::string hash, std::size_t max_waiting) : hash_(std::move(hash)), max_waiting_(max_waiting) {
    thread_ = std::thread([this] { run(); });
  }
  password_checker(const password_checker&) = delete;
  password_checker& operator=(const password_checker&) = delete;
  ~password_checker() { stop(); }

  /// Queues a check; `done(ok)` runs on the worker thread. False (and `done` not called) when the
  /// queue is full or the checker stopped.
  bool submit(std::string password, std::function<void(bool)> done) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_ || queue_.size() >= max_waiting_) return false;
    queue_.push_back(job{std::move(password), std::move(done)});
    wake_.notify_one();
    return true;
  }
  /// Ends the thread; what still waits is answered `false`. Idempotent; not from the worker.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  std::size_t waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

 private:
  struct job {
    std::string password;
    std::function<void(bool)> done;
  };
  void run() {
    for (;;) {
      job j;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (queue_.empty()) return;
        j = std::move(queue_.front());
        queue_.pop_front();
        if (stopped_) {
          lock.unlock();
          j.done(false);
          continue;
        }
      }
      bool ok = bcrypt_verify(j.password, hash_);
      j.done(ok);
    }
  }

  const std::string hash_;
  const std::size_t max_waiting_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace sio::admin
