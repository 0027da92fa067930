# websocketpp (header-only), from sio's vcpkg overlay port. Provides websocketpp::websocketpp and, like
# upstream's file, WEBSOCKETPP_INCLUDE_DIR / WEBSOCKETPP_FOUND. Safe to load more than once.
get_filename_component(_websocketpp_prefix "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(WEBSOCKETPP_INCLUDE_DIR "${_websocketpp_prefix}/include")
set(WEBSOCKETPP_FOUND TRUE)
if(NOT TARGET websocketpp::websocketpp)
  add_library(websocketpp::websocketpp INTERFACE IMPORTED)
  set_target_properties(websocketpp::websocketpp PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${WEBSOCKETPP_INCLUDE_DIR}")
endif()
unset(_websocketpp_prefix)
