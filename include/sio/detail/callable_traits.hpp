#pragma once
// The parameter list of a handler (lambda, function object or function pointer), so that
// socket.on("ev", [](std::string a, int b) {...}) can convert each argument to its type.
#include <tuple>
#include <type_traits>

namespace sio::detail {

template <class F>
struct callable_traits : callable_traits<decltype(&std::decay_t<F>::operator())> {};
template <class R, class... A>
struct callable_traits<R (*)(A...)> {
  using args = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const> {
  using args = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...)> {
  using args = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const noexcept> {
  using args = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) noexcept> {
  using args = std::tuple<std::decay_t<A>...>;
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

}  // namespace sio::detail
