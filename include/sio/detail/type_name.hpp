#pragma once
// A readable name of a C++ type for error messages ("std::vector<int>", not "St6vectorIiSaIiEE").
#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#if defined(__GNUG__)
#include <cxxabi.h>
#endif

namespace sio::detail {

inline std::string type_name(const std::type_info& type) {
#if defined(__GNUG__)
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free};
  if (status == 0 && name) return name.get();
#endif
  return type.name();
}

}  // namespace sio::detail
