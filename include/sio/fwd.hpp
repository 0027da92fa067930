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
class socket_ref;
class namespace_;
class client;
class server_core;
class broadcast_operator;
class adapter;
class in_memory_adapter;
struct server_options;
template <class Transport = transport::any, class Adapter = in_memory_adapter>
class server;
}  // namespace sio
