#pragma once
// sio::value equality for the round-trip invariants of the fuzz targets (json, sio_decoder).
#include <sio/value.hpp>

#include <cmath>
#include <cstddef>

namespace sio_fuzz {

/// sio::value's == (and member order too), except for one known difference: the JSON writer
/// writes a double of 2^53 or more with its shortest digits, as JS does (1.2345678901234567e17
/// becomes 123456789012345660), and the reader reads that back as the exact integer, a few units
/// away from the double; JS reads both as the same Number. Here they are equal when the integer
/// converts to the double. Reported with tests/fuzz/regressions/json/.
inline bool same_value(const sio::value& a, const sio::value& b) {
  if (a.is_number() && b.is_number() && a.is_double() != b.is_double()) {
    const sio::value& d = a.is_double() ? a : b;
    const sio::value& n = a.is_double() ? b : a;
    const double as_double = n.is_int64() ? static_cast<double>(n.as_int64()) : static_cast<double>(n.as_uint64());
    if (std::fabs(d.as_double()) >= 9007199254740992.0) return as_double == d.as_double();
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* x = a.get_if<sio::array>()) {
    const auto& y = b.as_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)
      if (!same_value((*x)[i], y[i])) return false;
    return true;
  }
  if (const auto* x = a.get_if<sio::object>()) {
    const auto& y = b.as_object();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i)  // the writer keeps the members' order
      if ((*x)[i].first != y[i].first || !same_value((*x)[i].second, y[i].second)) return false;
    return true;
  }
  return a == b;
}

}  // namespace sio_fuzz
