# Dependencies of sio's own test and benchmark programs, never of sio::sio (not installed):
#   sio_dev::websocketpp  websocketpp 0.8.2, an independent WebSocket implementation, used as the
#                         client of the C++ integration tests (tests/integration/test_client.hpp) and
#                         as the raw peer of the benchmarks (bench/peers/wspp_server.cpp).
# sio itself reads and writes WebSocket frames with its own code and needs none of it. websocketpp's
# Asio transport needs Asio <= 1.32 (io_service), so these programs do too; the library does not.
include_guard(GLOBAL)

if(NOT TARGET sio_dev::websocketpp)
  # websocketpp's config creates its target without checking whether it exists: load it once.
  if(NOT TARGET websocketpp::websocketpp)
    find_package(websocketpp CONFIG REQUIRED)
  endif()
  add_library(sio_dev::websocketpp INTERFACE IMPORTED)
  if(TARGET websocketpp::websocketpp)
    set_target_properties(sio_dev::websocketpp PROPERTIES INTERFACE_LINK_LIBRARIES websocketpp::websocketpp)
  else()
    set_target_properties(sio_dev::websocketpp PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${WEBSOCKETPP_INCLUDE_DIR}")
  endif()
endif()
