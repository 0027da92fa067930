#pragma once
// Forward declarations; the one place where default template arguments appear.
namespace sio {
namespace transport {
struct any;
}
class value;
class arguments;
class ack_sender;
class socket;
class namespace_;
class connection;
class broadcast_operator;
class adapter;
class in_memory_adapter;
struct server_options;
template <class Transport = transport::any, class Adapter = in_memory_adapter>
class server;
namespace detail {
class socket_state;
class namespace_state;
class client;
class server_core;
struct socket_access;
struct namespace_access;
}  // namespace detail
}  // namespace sio
