#pragma once
// What an exception says, for reports: its what(), or "unknown exception".
#include <exception>
#include <string>

namespace sio::detail {

inline std::string exception_message(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace sio::detail
