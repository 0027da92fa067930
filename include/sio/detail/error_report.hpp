#pragma once
// The two kinds of handler_error report, built in one place: an exception that user code threw,
// and a limit that was hit (no exception).
#include <exception>
#include <string>
#include <utility>

#include "sio/detail/exception_message.hpp"
#include "sio/options.hpp"

namespace sio::detail {

/// Where a report comes from; any part may be empty (see handler_error's fields).
struct report_site {
  report_site(std::string socket_id = {}, std::string nsp = {}, std::string event = {})
      : socket_id(std::move(socket_id)), nsp(std::move(nsp)), event(std::move(event)) {}
  std::string socket_id;
  std::string nsp;
  std::string event;
};

/// A limit that was hit: no exception, the message says which.
inline handler_error limit_report(error_source source, std::string message, report_site site = {}) {
  handler_error e;
  e.source = source;
  e.socket_id = std::move(site.socket_id);
  e.nsp = std::move(site.nsp);
  e.event = std::move(site.event);
  e.message = std::move(message);
  return e;
}

/// An exception that user code threw: the message is its what().
inline handler_error exception_report(error_source source, std::exception_ptr error, report_site site = {}) {
  handler_error e = limit_report(source, exception_message(error), std::move(site));
  e.exception = std::move(error);
  return e;
}

}  // namespace sio::detail
