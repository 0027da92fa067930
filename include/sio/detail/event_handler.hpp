#pragma once
// Turns a user's handler with typed parameters into the one erased form sockets store:
// bool(arguments&&, ack_sender). Each parameter is, in any order:
//   sio::arguments    -> the arguments from its position on, as they came (all of them when it
//                        comes first; like `...rest` in JavaScript)
//   sio::ack_sender   -> the acknowledgement callback (empty when the client asked for none)
//   anything else T   -> the next argument, converted with sio::from_value<T>; a std::optional<T>
//                        parameter also accepts a missing argument or null
// It returns false, without calling the handler, when an argument is missing or does not convert.
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sio/ack.hpp"
#include "sio/arguments.hpp"
#include "sio/convert.hpp"
#include "sio/detail/callable_traits.hpp"

namespace sio::detail {

using erased_handler = std::function<bool(arguments&&, ack_sender)>;

template <class T>
constexpr bool is_value_param = !std::is_same_v<T, arguments> && !std::is_same_v<T, ack_sender>;

template <class Tuple, std::size_t... J>
constexpr std::size_t value_index(std::size_t i, std::index_sequence<J...>) {
  return ((J < i && is_value_param<std::tuple_element_t<J, Tuple>> ? 1u : 0u) + ... + 0u);
}

template <class T>
std::optional<T> convert_argument(const arguments& args, std::size_t k) {
  if constexpr (is_optional<T>::value) {
    if (k >= args.size() || args[k].is_null()) return T{};
    auto v = from_value<typename T::value_type>(args[k]);
    if (!v) return std::nullopt;
    return T{std::move(*v)};
  } else {
    if (k >= args.size()) return std::nullopt;
    return from_value<T>(args[k]);
  }
}

template <class Tuple, std::size_t... J>
constexpr bool has_rest_param(std::index_sequence<J...>) {
  return (std::is_same_v<std::tuple_element_t<J, Tuple>, arguments> || ... || false);
}

template <class Tuple, std::size_t... J>
constexpr std::size_t ack_param_count(std::index_sequence<J...>) {
  return ((std::is_same_v<std::tuple_element_t<J, Tuple>, ack_sender> ? 1u : 0u) + ... + 0u);
}

template <class Tuple, std::size_t I>
auto parameter(arguments& args, ack_sender& ack) {
  using T = std::tuple_element_t<I, Tuple>;
  constexpr bool has_rest = has_rest_param<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  if constexpr (std::is_same_v<T, arguments>) {
    // The rest: what the value parameters before this one did not take (JavaScript's ...rest).
    constexpr std::size_t k = value_index<Tuple>(I, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    if constexpr (k == 0) return std::optional<arguments>{args};
    std::vector<value> rest;
    if (k < args.size()) rest.assign(args.begin() + static_cast<std::ptrdiff_t>(k), args.end());
    return std::optional<arguments>{arguments(std::move(rest))};
  } else if constexpr (std::is_same_v<T, ack_sender>) {
    // The usual single ack_sender parameter takes it over (no reference-count traffic).
    if constexpr (ack_param_count<Tuple>(std::make_index_sequence<std::tuple_size_v<Tuple>>{}) == 1)
      return std::optional<ack_sender>{std::move(ack)};
    else
      return std::optional<ack_sender>{ack};
  } else if constexpr (std::is_same_v<T, value> && !has_rest) {
    // The handler owns the arguments: a sio::value parameter takes its argument without a copy
    // (each value parameter has its own index; without a rest parameter nothing else reads it).
    constexpr std::size_t k = value_index<Tuple>(I, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    if (k >= args.size()) return std::optional<value>{};
    return std::optional<value>{std::move(args[k])};
  } else {
    constexpr std::size_t k = value_index<Tuple>(I, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    return convert_argument<T>(args, k);
  }
}

template <class Tuple>
constexpr bool takes_only_arguments() {
  if constexpr (std::tuple_size_v<Tuple> == 1)
    return std::is_same_v<std::tuple_element_t<0, Tuple>, arguments>;
  else
    return false;
}

template <class Tuple, class F, std::size_t... I>
bool invoke_typed(F& f, arguments&& args, ack_sender&& ack, std::index_sequence<I...>) {
  if constexpr (takes_only_arguments<Tuple>()) {
    f(std::move(args));  // the common "take everything" form: no copy
    return true;
  } else {
    auto params = std::make_tuple(parameter<Tuple, I>(args, ack)...);
    if (!(std::get<I>(params).has_value() && ...)) return false;
    f(std::move(*std::get<I>(params))...);
    return true;
  }
}

template <class F>
erased_handler make_event_handler(F&& f) {
  using Tuple = typename callable_traits<std::decay_t<F>>::args;
  return [fn = std::forward<F>(f)](arguments&& args, ack_sender ack) mutable {
    return invoke_typed<Tuple>(fn, std::move(args), std::move(ack), std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  };
}

}  // namespace sio::detail
