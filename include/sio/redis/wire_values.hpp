#pragma once
// The pieces of Node's Redis adapter messages that the classic (sio::redis_adapter) and the sharded
// (sio::redis_sharded_adapter) formats share (docs/redis-wire.md §1-§3): a packet, broadcast
// options, one socket of a fetchSockets reply, and reading a payload that is JSON or msgpack.
// Free functions on sio::value; each format puts them in its own envelope.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sio/adapter.hpp"
#include "sio/parser/json_reader.hpp"
#include "sio/parser/json_writer.hpp"
#include "sio/redis/msgpack_codec.hpp"
#include "sio/value.hpp"

namespace sio::redis {

/// `object`'s member `name`, or null (also when `object` is no object).
inline const value& member(const value& object, std::string_view name) {
  static const value none;
  if (const auto* o = object.get_if<sio::object>())
    for (const auto& [key, v] : *o)
      if (key == name) return v;
  return none;
}

inline sio::array strings(const std::vector<std::string>& list) { return sio::array(list.begin(), list.end()); }

/// The strings of an array (anything else in it is skipped).
inline std::vector<std::string> strings_of(const value& v) {
  std::vector<std::string> out;
  if (const auto* list = v.get_if<sio::array>())
    for (const auto& s : *list)
      if (s.is_string()) out.push_back(s.as_string());
  return out;
}

/// JSON when it starts with '{' (what Node checks), msgpack otherwise; null when neither parses.
inline value parse_body(std::string_view payload) {
  if (!payload.empty() && payload.front() == '{') {
    value v;
    if (sio::json::parse(payload, v) != sio::json::json_error::none) return {};
    return v;
  }
  auto v = msgpack_codec::decode(payload);
  return v ? std::move(*v) : value();
}

/// Whether `v` holds a binary anywhere: Node's sharded adapter then sends the whole message as
/// msgpack instead of JSON (RA util.ts hasBinary).
inline bool has_binary(const value& v) {
  switch (v.kind()) {
    case value_kind::binary: return true;
    case value_kind::array:
      for (const auto& e : v.as_array())
        if (has_binary(e)) return true;
      return false;
    case value_kind::object:
      for (const auto& [key, e] : v.as_object())
        if (has_binary(e)) return true;
      return false;
    default: return false;
  }
}

/// {type: 2, data, (id), (nsp)}: the type stays EVENT on Redis, binaries or not. The classic
/// format stamps the namespace; the sharded one publishes before Node stamps it (empty `nsp`).
inline value packet_value(const parser::packet& packet, std::string_view nsp, bool with_id = true) {
  sio::object o{{"type", 2}, {"data", packet.data}};
  if (with_id && packet.id) o.emplace_back("id", *packet.id);
  if (!nsp.empty()) o.emplace_back("nsp", std::string(nsp));
  return o;
}

/// The event packet `v` describes, for namespace `nsp`; false unless it is one. A packet without
/// nsp belongs to `nsp_when_missing` ("/" in the classic format, where Node always stamps it).
inline bool packet_from_value(const value& v, const std::string& nsp, std::string_view nsp_when_missing, parser::packet& out) {
  const auto& stamped = member(v, "nsp");
  if (!v.is_object() || (stamped.is_string() ? std::string_view(stamped.as_string()) : nsp_when_missing) != nsp) return false;
  const auto& data = member(v, "data");
  if (!data.is_array() || data.as_array().empty()) return false;
  out.type = parser::packet_type::event;
  out.nsp = nsp;
  out.data = data;
  const auto& id = member(v, "id");
  if (id.is_int64() && id.as_int64() >= 0) out.id = static_cast<std::uint64_t>(id.as_int64());
  if (id.is_uint64()) out.id = id.as_uint64();
  return true;
}

/// {rooms, except, flags} (except without repeats); the classic requests other than broadcasts
/// carry no flags. `timeout_ms` is the flag Node sets with .timeout().
inline value opts_value(const broadcast_options& opts, bool with_flags, std::optional<std::int64_t> timeout_ms = {}) {
  sio::array except;
  std::set<std::string_view> seen;
  for (const auto& r : opts.except)
    if (seen.insert(r).second) except.emplace_back(r);
  sio::object o{{"rooms", strings(opts.rooms)}, {"except", std::move(except)}};
  if (with_flags) {
    sio::object flags;
    if (opts.is_volatile) flags.emplace_back("volatile", true);
    if (!opts.compress) flags.emplace_back("compress", false);
    if (timeout_ms) flags.emplace_back("timeout", *timeout_ms);
    o.emplace_back("flags", std::move(flags));
  }
  return o;
}

/// Options another server sent: they select this server's sockets only (local is set).
inline broadcast_options opts_from_value(const value& v) {
  broadcast_options opts;
  opts.rooms = strings_of(member(v, "rooms"));
  opts.except = strings_of(member(v, "except"));
  const auto& flags = member(v, "flags");
  opts.is_volatile = member(flags, "volatile").is_bool() && member(flags, "volatile").as_bool();
  opts.compress = !(member(flags, "compress").is_bool() && !member(flags, "compress").as_bool());
  opts.local = true;
  return opts;
}

inline std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

inline std::string percent_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

/// JavaScript's Date#toString in UTC, as Node writes handshake.time on a UTC machine.
inline std::string js_date_string(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[96];
  std::size_t n = std::strftime(text, sizeof text, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  return std::string(text, n);
}

/// socket.handshake as Node's RemoteSocket shows it (header names in lower case).
inline value handshake_value(const handshake_info& h) {
  sio::object headers, query;
  for (const auto& [name, v] : h.headers) headers.emplace_back(lower(name), v);
  for (const auto& [name, v] : h.query) query.emplace_back(name, v);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(h.time.time_since_epoch()).count();
  return sio::object{{"headers", std::move(headers)},
                     {"time", js_date_string(h.time)},
                     {"address", h.address},
                     {"xdomain", h.xdomain},
                     {"secure", h.secure},
                     {"issued", static_cast<std::int64_t>(ms)},
                     {"url", h.url},
                     {"query", std::move(query)},
                     {"auth", h.auth.is_null() ? value(sio::object{}) : h.auth}};
}

/// What Node's fetchSockets reply holds for one socket: {id, handshake, rooms, data}.
inline value details_value(const socket_details& d) {
  return sio::object{{"id", d.id}, {"handshake", handshake_value(d.handshake)}, {"rooms", strings(d.rooms)}, {"data", d.data}};
}

inline socket_details details_from_value(const value& v) {
  socket_details d;
  if (member(v, "id").is_string()) d.id = member(v, "id").as_string();
  d.rooms = strings_of(member(v, "rooms"));
  d.data = member(v, "data");
  const auto& h = member(v, "handshake");
  if (const auto* headers = member(h, "headers").get_if<sio::object>())
    for (const auto& [name, hv] : *headers)
      if (hv.is_string()) d.handshake.headers.add(name, hv.as_string());
  std::string query;
  if (const auto* params = member(h, "query").get_if<sio::object>())
    for (const auto& [name, qv] : *params)
      if (qv.is_string()) query += (query.empty() ? "" : "&") + percent_encode(name) + "=" + percent_encode(qv.as_string());
  d.handshake.query = transport::query_params(query);
  d.handshake.auth = member(h, "auth").is_object() ? member(h, "auth") : value(sio::object{});
  if (member(h, "address").is_string()) d.handshake.address = member(h, "address").as_string();
  if (member(h, "url").is_string()) d.handshake.url = member(h, "url").as_string();
  d.handshake.secure = member(h, "secure").is_bool() && member(h, "secure").as_bool();
  d.handshake.xdomain = member(h, "xdomain").is_bool() && member(h, "xdomain").as_bool();
  // Milliseconds since 1970, within what a system_clock time point holds.
  const auto& issued = member(h, "issued");
  double ms = issued.is_number() ? issued.as_double() : 0;
  if (ms > 0 && ms < 1e15)
    d.handshake.time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds(static_cast<std::int64_t>(ms))));
  return d;
}

}  // namespace sio::redis
