#pragma once
// Out-of-line definitions of sio::socket (need the namespace and connection handles).
#include "sio/connection.hpp"
#include "sio/impl/socket_state.hpp"
#include "sio/namespace.hpp"
#include "sio/socket.hpp"

namespace sio {

inline namespace_ socket::nsp() const { return detail::namespace_access::make(state_->nsp()); }
inline connection socket::conn() const { return connection{state_->owner_ptr()}; }

}  // namespace sio
