#pragma once
// Turns a user's handler with typed parameters into the one erased form sockets store. Each
// parameter is, in any order:
//   sio::arguments    -> the arguments from its position on, as they came (all of them when it
//                        comes first; like `...rest` in JavaScript)
//   sio::ack_sender   -> the acknowledgement callback (empty when the client asked for none)
//   anything else T   -> the next argument, converted with sio::from_value<T>; a std::optional<T>
//                        parameter also accepts a missing argument or null
// The handler is not called when an argument is missing or does not convert (bad_arguments: the
// first such argument is described by a sio::conversion_error handed back in
// event_call::conversion_error), nor when a conversion throws (conversion_threw: the exception is
// handed back, apart from what the handler itself throws, which propagates).
//
// Copies: the last (usually the only) listener of an event owns the arguments and takes what it
// asks for without copying (a sio::value, std::string or sio::binary parameter, a rest parameter).
// Other listeners copy exactly the arguments their parameters ask for, once each: never the whole
// list per listener.
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sio/ack.hpp"
#include "sio/arguments.hpp"
#include "sio/convert.hpp"
#include "sio/detail/callable_traits.hpp"

namespace sio::detail {

enum class invoke_result { called, bad_arguments, conversion_threw };

/// One listener call: the event's arguments (without its name) and ack.
struct event_call {
  arguments& args;
  ack_sender& ack;
  bool owned;  ///< the listener may take (move from) args and ack: nobody reads them after it
  /// Set with bad_arguments (a sio::conversion_error) and with conversion_threw (what was thrown).
  std::exception_ptr conversion_error = nullptr;
  std::string_view event{};  ///< the event's name, for the conversion_error's message
};

using erased_handler = std::function<invoke_result(event_call&)>;

template <class T>
constexpr bool is_value_param = !std::is_same_v<T, arguments> && !std::is_same_v<T, ack_sender>;

/// Types an owned argument is moved into instead of converted (a copy) when it has that kind.
template <class T>
constexpr bool is_movable_param = std::is_same_v<T, value> || std::is_same_v<T, std::string> || std::is_same_v<T, binary>;

template <class Tuple, std::size_t... J>
constexpr std::size_t value_index(std::size_t i, std::index_sequence<J...>) {
  return ((J < i && is_value_param<std::tuple_element_t<J, Tuple>> ? 1u : 0u) + ... + 0u);
}

template <class Tuple, std::size_t... J>
constexpr std::size_t count_value_params(std::index_sequence<J...>) {
  return ((is_value_param<std::tuple_element_t<J, Tuple>> ? 1u : 0u) + ... + 0u);
}

template <class Tuple, std::size_t... J>
constexpr std::size_t count_rest_params(std::index_sequence<J...>) {
  return ((std::is_same_v<std::tuple_element_t<J, Tuple>, arguments> ? 1u : 0u) + ... + 0u);
}

template <class Tuple, std::size_t... J>
constexpr std::size_t ack_param_count(std::index_sequence<J...>) {
  return ((std::is_same_v<std::tuple_element_t<J, Tuple>, ack_sender> ? 1u : 0u) + ... + 0u);
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

/// Argument k moved out into a T (value, std::string or binary), or converted when its kind differs.
template <class T>
std::optional<T> take_argument(arguments& args, std::size_t k) {
  if (k >= args.size()) return std::nullopt;
  value& v = args[k];
  if constexpr (std::is_same_v<T, value>) {
    return std::optional<value>{std::move(v)};
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v.is_string()) return std::optional<std::string>{std::move(v.as_string())};
    return std::nullopt;
  } else {
    if (v.is_binary()) return std::optional<binary>{std::move(v.as_binary())};
    return std::nullopt;
  }
}

template <class Tuple, std::size_t I>
auto parameter(event_call& call) {
  using T = std::tuple_element_t<I, Tuple>;
  using all = std::make_index_sequence<std::tuple_size_v<Tuple>>;
  constexpr std::size_t k = value_index<Tuple>(I, all{});
  constexpr std::size_t rest_params = count_rest_params<Tuple>(all{});
  arguments& args = call.args;
  if constexpr (std::is_same_v<T, arguments>) {
    // The rest: what the value parameters before this one did not take (JavaScript's ...rest).
    // Moved when nothing else reads these arguments: one rest parameter and no value parameter after it.
    constexpr bool sole_reader = rest_params == 1 && count_value_params<Tuple>(all{}) == k;
    if constexpr (k == 0) {
      if (sole_reader && call.owned) return std::optional<arguments>{std::move(args)};
      return std::optional<arguments>{args};
    } else {
      std::vector<value> rest;
      if (k < args.size()) {
        if (sole_reader && call.owned)
          rest.assign(std::make_move_iterator(args.begin() + static_cast<std::ptrdiff_t>(k)), std::make_move_iterator(args.end()));
        else
          rest.assign(args.begin() + static_cast<std::ptrdiff_t>(k), args.end());
      }
      return std::optional<arguments>{arguments(std::move(rest))};
    }
  } else if constexpr (std::is_same_v<T, ack_sender>) {
    // The usual single ack_sender parameter takes it over (no reference-count traffic).
    if constexpr (ack_param_count<Tuple>(all{}) == 1) {
      if (call.owned) return std::optional<ack_sender>{std::move(call.ack)};
    }
    return std::optional<ack_sender>{call.ack};
  } else if constexpr (is_movable_param<T> && rest_params == 0) {
    // Each value parameter has its own index; without a rest parameter nothing else reads it.
    if (call.owned) return take_argument<T>(args, k);
    return convert_argument<T>(args, k);
  } else {
    return convert_argument<T>(args, k);
  }
}

/// Records, for the first parameter whose argument did not convert, a sio::conversion_error.
/// The argument is still there: arguments are only moved out into parameters that took them.
template <class Tuple, std::size_t I, class Params>
void note_bad_argument(const Params& params, event_call& call) {
  using T = std::tuple_element_t<I, Tuple>;
  if constexpr (is_value_param<T>) {
    if (call.conversion_error || std::get<I>(params).has_value()) return;
    constexpr std::size_t k = value_index<Tuple>(I, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
    const value* received = k < call.args.size() ? &call.args[k] : nullptr;
    call.conversion_error = std::make_exception_ptr(sio::conversion_error(k, type_name<T>(), received, std::string(call.event)));
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
invoke_result invoke_typed(F& f, event_call& call, std::index_sequence<I...>) {
  if constexpr (takes_only_arguments<Tuple>()) {
    if (call.owned)
      f(std::move(call.args));  // the common "take everything" form: no copy
    else
      f(arguments(call.args));
    return invoke_result::called;
  } else {
    using params_type = std::tuple<decltype(parameter<Tuple, I>(call))...>;
    std::optional<params_type> params;
    try {
      params.emplace(params_type{parameter<Tuple, I>(call)...});  // braces: left to right
    } catch (...) {
      // A user from_json / converter threw (or a conversion ran out of memory): not the handler.
      call.conversion_error = std::current_exception();
      return invoke_result::conversion_threw;
    }
    if (!(std::get<I>(*params).has_value() && ...)) {
      (note_bad_argument<Tuple, I>(*params, call), ...);
      return invoke_result::bad_arguments;
    }
    f(std::move(*std::get<I>(*params))...);
    return invoke_result::called;
  }
}

template <class F>
erased_handler make_event_handler(F&& f) {
  using Tuple = typename callable_traits<std::decay_t<F>>::args;
  return [fn = std::forward<F>(f)](event_call& call) mutable {
    return invoke_typed<Tuple>(fn, call, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
  };
}

}  // namespace sio::detail
