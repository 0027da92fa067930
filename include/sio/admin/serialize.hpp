#pragma once
// How sio::admin_ui writes what the dashboard reads: timestamps as JavaScript writes a Date
// (JSON: ISO 8601 with milliseconds; Date.toString for handshake.time) and sockets as Node's
// admin-ui serializes them (id, clientId, transport, nsp, data, handshake, rooms).
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "sio/handshake.hpp"
#include "sio/parser/json_reader.hpp"
#include "sio/value.hpp"

namespace sio::admin {

using system_time = std::chrono::system_clock::time_point;

inline std::int64_t epoch_ms(system_time t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }

/// "2026-12-05T06:54:22.311Z", as JSON.stringify writes a Date.
inline std::string iso_time(system_time t) {
  std::int64_t ms = epoch_ms(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the fields could hold (-Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

/// "Sat Dec 05 2026 06:54:22 GMT+0000 (Coordinated Universal Time)", as Date.toString in UTC.
inline std::string js_date_string(system_time t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::strftime(buf, sizeof buf, "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm);
  return buf;
}

/// socket.handshake as the dashboard shows it (auth left out, as Node does). The address is
/// sio's (which follows X-Forwarded-For only from trusted proxies), not Node's reading of
/// cf-connecting-ip / x-forwarded-for from anyone.
inline value handshake_value(const handshake_info& hs) {
  sio::object headers;
  for (const auto& [name, v] : hs.headers) {
    std::string key = name;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool merged = false;
    for (auto& [k, existing] : headers)
      if (k == key) {
        existing.as_string() += ", " + v;
        merged = true;
      }
    if (!merged) headers.emplace_back(std::move(key), value{v});
  }
  sio::object query;
  for (const auto& [k, v] : hs.query) query.emplace_back(k, value{v});
  return value{sio::object{{"address", value{hs.address}},
                           {"headers", value{std::move(headers)}},
                           {"query", value{std::move(query)}},
                           {"issued", value{epoch_ms(hs.time)}},
                           {"secure", value{hs.secure}},
                           {"time", value{js_date_string(hs.time)}},
                           {"url", value{hs.url}},
                           {"xdomain", value{hs.xdomain}}}};
}

/// A socket's data without the `_admin` member sio adds for the dashboard (client id, transport).
inline value visible_data(const value& data) {
  if (!data.is_object()) return data.is_null() ? value{sio::object{}} : data;
  sio::object out;
  for (const auto& [k, v] : data.as_object())
    if (k != "_admin") out.emplace_back(k, v);
  return value{std::move(out)};
}

inline std::string member_string(const value& v, std::string_view key) {
  const value* m = v.find(key);
  return m && m->is_string() ? m->as_string() : std::string{};
}

/// The SerializedSocket of Node's admin-ui.
inline value socket_value(const std::string& id, const std::string& client_id, const std::string& transport, const std::string& nsp,
                          const value& data, const handshake_info& hs, const std::vector<std::string>& rooms,
                          const std::string& own_room_first) {
  sio::array room_list;
  room_list.reserve(rooms.size());
  // The socket's own room first, as Node lists it.
  for (const auto& r : rooms)
    if (r == own_room_first) room_list.emplace_back(r);
  for (const auto& r : rooms)
    if (r != own_room_first) room_list.emplace_back(r);
  return value{sio::object{{"id", value{id}},
                           {"clientId", value{client_id}},
                           {"transport", value{transport}},
                           {"nsp", value{nsp}},
                           {"data", visible_data(data)},
                           {"handshake", handshake_value(hs)},
                           {"rooms", value{std::move(room_list)}}}};
}

/// The event of an encoded EVENT packet (the first frame's text: "42/nsp,12[...]"), as the
/// array [name, ...args]; null for any other packet. Binary attachments stay placeholders.
inline value event_of_frame(std::string_view text) {
  if (text.size() < 3 || text[0] != '4') return value{};
  std::size_t pos = 1;
  char type = text[pos++];
  if (type != '2' && type != '5') return value{};
  if (type == '5') {
    while (pos < text.size() && text[pos] != '-') ++pos;
    ++pos;
  }
  if (pos < text.size() && text[pos] == '/') {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) return value{};
    pos = comma + 1;
  }
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;  // an ack id
  value out;
  if (pos >= text.size() || json::parse(text.substr(pos), out) != json::json_error::none || !out.is_array()) return value{};
  return out;
}

}  // namespace sio::admin
