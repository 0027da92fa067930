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
  /// Values passed as rvalues (a `value` or an `arguments`) are moved in, not copied.
  template <class... A>
  static arguments of(A&&... a) {
    std::vector<value> v;
    v.reserve(sizeof...(A));
    (append(v, std::forward<A>(a)), ...);
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
  static void append(std::vector<value>& v, T&& x) {
    using plain = std::decay_t<T>;
    constexpr bool movable = !std::is_lvalue_reference_v<T> && !std::is_const_v<std::remove_reference_t<T>>;
    if constexpr (std::is_same_v<plain, arguments> && movable)
      v.insert(v.end(), std::make_move_iterator(x.values_.begin()), std::make_move_iterator(x.values_.end()));
    else if constexpr (std::is_same_v<plain, arguments>)
      v.insert(v.end(), x.values_.begin(), x.values_.end());
    else if constexpr (std::is_same_v<plain, value>)
      v.push_back(std::forward<T>(x));
    else
      v.push_back(to_value(x));
  }

  std::vector<value> values_;
};

}  // namespace sio
