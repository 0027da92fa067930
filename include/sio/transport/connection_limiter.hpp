#pragma once
// Counts open connections, in all and per client address, against the server's limits. A
// connection holds a ticket for its address; the ticket gives its place back when it goes.
//
// Thread safety: any thread (one mutex, taken once when a connection opens or changes address
// and once when it closes; never per request or message).
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace sio::transport {

class connection_limiter : public std::enable_shared_from_this<connection_limiter> {
 public:
  /// A place held for one address. Movable; releases on destruction.
  class ticket {
   public:
    ticket() = default;
    ticket(ticket&& other) noexcept : owner_(std::move(other.owner_)), address_(std::move(other.address_)) {}
    ticket& operator=(ticket&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::move(other.owner_);
        address_ = std::move(other.address_);
      }
      return *this;
    }
    ~ticket() { release(); }
    bool held() const noexcept { return owner_ != nullptr; }
    const std::string& address() const noexcept { return address_; }
    void release() {
      if (auto owner = std::move(owner_)) owner->give_back(address_);
    }

   private:
    friend class connection_limiter;
    ticket(std::shared_ptr<connection_limiter> owner, std::string address) : owner_(std::move(owner)), address_(std::move(address)) {}
    std::shared_ptr<connection_limiter> owner_;
    std::string address_;
  };

  /// 0 means no limit.
  connection_limiter(std::size_t max_total, std::size_t max_per_address) : max_total_(max_total), max_per_address_(max_per_address) {}

  /// A place for a new connection from `address`, or an empty ticket when a limit is reached.
  ticket acquire(std::string address) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (max_total_ && total_ >= max_total_) return {};
    std::size_t& count = per_address_[address];
    if (max_per_address_ && count >= max_per_address_) {
      if (count == 0) per_address_.erase(address);
      return {};
    }
    ++count;
    ++total_;
    return ticket{shared_from_this(), std::move(address)};
  }

  std::size_t total() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return total_;
  }
  std::size_t count(const std::string& address) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = per_address_.find(address);
    return it == per_address_.end() ? 0 : it->second;
  }

 private:
  void give_back(const std::string& address) {
    std::lock_guard<std::mutex> lock(mutex_);
    --total_;
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace sio::transport
