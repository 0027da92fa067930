// detail::socket_data, the storage behind socket.data<T>(): fixed to its first type, checked, and
// convertible to and from sio::value without knowing T.
#include <map>
#include <string>
#include <vector>

#include <catch2/catch_test_macros.hpp>
#include <sio/detail/socket_data.hpp>
#include <sio/parser/json.hpp>

TEST_CASE("socket_data: created on first use, then the same object") {
  sio::detail::socket_data d;
  CHECK(d.empty());
  CHECK(d.to_value().is_null());
  d.get<std::vector<std::string>>().push_back("a");
  d.get<std::vector<std::string>>().push_back("b");
  CHECK_FALSE(d.empty());
  CHECK(d.get<std::vector<std::string>>() == std::vector<std::string>{"a", "b"});
  CHECK(sio::json::stringify(d.to_value()) == R"(["a","b"])");
}

TEST_CASE("socket_data: another type is a data_type_error naming both types") {
  sio::detail::socket_data d;
  d.get<int>() = 3;
  try {
    d.get<std::map<std::string, int>>();
    FAIL("no exception");
  } catch (const sio::data_type_error& e) {
    std::string what = e.what();
    CHECK(what.find("data<std::map<") != std::string::npos);
    CHECK(what.find("is of type int") != std::string::npos);
  }
  CHECK(d.get<int>() == 3);  // unchanged
}

TEST_CASE("socket_data: a value restored from elsewhere becomes a T at the first get<T>()") {
  sio::detail::socket_data d;
  d.assign(sio::object{{"a", sio::to_value(1)}, {"b", sio::to_value(2)}});
  CHECK(sio::json::stringify(d.to_value()) == R"({"a":1,"b":2})");
  auto& m = d.get<std::map<std::string, int>>();
  CHECK(m == std::map<std::string, int>{{"a", 1}, {"b", 2}});
  m["c"] = 3;
  CHECK(sio::json::stringify(d.to_value()) == R"({"a":1,"b":2,"c":3})");

  sio::detail::socket_data wrong;
  wrong.assign(sio::to_value(std::string{"text"}));
  try {
    wrong.get<int>();
    FAIL("no exception");
  } catch (const sio::data_type_error& e) {
    CHECK(std::string{e.what()}.find("a string") != std::string::npos);
  }
  CHECK(wrong.get<std::string>() == "text");  // still there for the type it fits
}
