#pragma once
// detail::socket_data: the storage behind socket.data<T>(). It holds one value of the user's
// type, created on first use, together with what converts it to a sio::value, so that the
// library can carry it (fetch_sockets across servers, connection state recovery, the Admin UI)
// without knowing T. Data that arrives as a sio::value (restored from another server) stays one
// until the first data<T>() converts it. Not synchronised: the socket keeps it on its strand.
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>

#include "sio/convert.hpp"
#include "sio/detail/type_name.hpp"
#include "sio/error.hpp"
#include "sio/value.hpp"

namespace sio::detail {

class socket_data {
 public:
  /// The data as a T: created (default-constructed) on first use, converted from a restored
  /// sio::value, or the existing one. Throws sio::data_type_error when the data is of another
  /// type, or a restored value does not convert to T.
  template <class T>
  T& get() {
    if (!held_) {
      auto made = std::make_unique<holder<T>>();
      if (restored_) {
        if (!from_value(*restored_, made->data))
          throw data_type_error("sio: socket.data<" + type_name(typeid(T)) + ">(): the socket's data (" + kind_name(restored_->kind()) +
                                ") does not convert to " + type_name(typeid(T)));
        restored_.reset();
      }
      held_ = std::move(made);
    }
    if (held_->type() != typeid(T))
      throw data_type_error("sio: socket.data<" + type_name(typeid(T)) + ">(), but the socket's data is of type " +
                            type_name(held_->type()));
    return static_cast<holder<T>&>(*held_).data;
  }

  bool empty() const noexcept { return !held_ && !restored_; }
  /// The data converted with sio::to_value; null when there is none.
  value to_value() const {
    if (held_) return held_->to_value();
    return restored_ ? *restored_ : value{};
  }
  /// Replaces the data by a value (from another server); the next get<T>() converts it.
  void assign(value v) {
    held_.reset();
    restored_ = std::move(v);
  }

 private:
  static const char* kind_name(value_kind k) noexcept {
    switch (k) {
      case value_kind::null: return "null";
      case value_kind::boolean: return "a boolean";
      case value_kind::integer:
      case value_kind::unsigned_integer:
      case value_kind::floating: return "a number";
      case value_kind::string: return "a string";
      case value_kind::binary: return "binary";
      case value_kind::array: return "an array";
      case value_kind::object: return "an object";
    }
    return "a value";
  }

  struct holder_base {
    virtual ~holder_base() = default;
    virtual const std::type_info& type() const noexcept = 0;
    virtual value to_value() const = 0;
  };
  template <class T>
  struct holder final : holder_base {
    T data{};
    const std::type_info& type() const noexcept override { return typeid(T); }
    value to_value() const override { return sio::to_value(data); }
  };

  std::unique_ptr<holder_base> held_;
  std::optional<value> restored_;
};

}  // namespace sio::detail
