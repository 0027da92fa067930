#pragma once
// What the Admin UI tests share (tests/integration/admin_ui_test.cpp, tests/redis/
// redis_admin_ui_test.cpp): reading the /admin namespace's packets as a raw client sees them.
#include <functional>
#include <string>
#include <string_view>

#include <catch2/catch_test_macros.hpp>
#include <sio/parser/json_reader.hpp>
#include <sio/value.hpp>

#include "test_client.hpp"

namespace sio_test {

inline bool is_admin_event(const std::string& p, const std::string& name) { return p.rfind("2/admin,[\"" + name + "\"", 0) == 0; }
inline std::function<bool(const std::string&)> admin_event(const std::string& name) {
  return [name](const std::string& p) { return is_admin_event(p, name); };
}
/// The arguments of an admin EVENT packet, the event name first.
inline sio::value args_of(const std::string& p) {
  sio::value v;
  REQUIRE(sio::json::parse(std::string_view{p}.substr(std::string{"2/admin,"}.size()), v) == sio::json::json_error::none);
  return v;
}
inline std::string str(const sio::value& v, const char* key) {
  const sio::value* m = v.find(key);
  return m && m->is_string() ? m->as_string() : std::string{};
}

/// Sends the dashboard's CONNECT; returns the reply ("0/admin,{...}" or "4/admin,{...}").
inline std::string admin_connect(sio_test::test_client& c, const std::string& auth) {
  c.send_sio("0/admin," + auth);
  return c.next_matching([](const std::string& p) { return p.rfind("0/admin,", 0) == 0 || p.rfind("4/admin,", 0) == 0; });
}

}  // namespace sio_test
