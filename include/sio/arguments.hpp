#pragma once
// sio::arguments: an event's arguments exactly as they came (JSON values, binary included), for
// handlers that take everything (`(...args)` in JavaScript), proxies, echoes and on_any.
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "sio/convert.hpp"
#include "sio/value.hpp"

namespace sio {

class arguments {
 public:
  arguments() = default;
  explicit arguments(std::vector<value> values) noexcept : values_(std::move(values)) {}
  arguments(std::initializer_list<value> values) : values_(values) {}

  /// Builds the list from C++ values through sio::to_value. An `arguments` among them is spread
  /// in place, like `...args` in JavaScript: emit("ev", 1, args) sends 1 followed by every one of args.
  template <class... A>
  static arguments of(const A&... a) {
    std::vector<value> v;
    v.reserve(sizeof...(A));
    (append(v, a), ...);
    return arguments(std::move(v));
  }

  std::size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }
  const value& operator[](std::size_t i) const { return values_.at(i); }
  value& operator[](std::size_t i) { return values_.at(i); }
  auto begin() const noexcept { return values_.begin(); }
  auto end() const noexcept { return values_.end(); }
  auto begin() noexcept { return values_.begin(); }
  auto end() noexcept { return values_.end(); }
  /// Converts argument `i`; nullopt when it is missing or does not fit T.
  template <class T>
  std::optional<T> get(std::size_t i) const {
    if (i >= values_.size()) return std::nullopt;
    return from_value<T>(values_[i]);
  }
  const std::vector<value>& values() const& noexcept { return values_; }
  std::vector<value>&& values() && noexcept { return std::move(values_); }

 private:
  template <class T>
  static void append(std::vector<value>& v, const T& x) {
    if constexpr (std::is_same_v<T, arguments>)
      v.insert(v.end(), x.values_.begin(), x.values_.end());
    else
      v.push_back(to_value(x));
  }

  std::vector<value> values_;
};

}  // namespace sio
