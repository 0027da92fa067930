# Finds sio's dependencies and normalises them to three targets, whatever provided them
# (Debian packages, vcpkg, Conan): sio_dep::asio, sio_dep::websocketpp, sio_dep::rapidjson.
# Used by sio's own build and by the installed sioConfig.cmake, so both see the same thing.
include(CMakeFindDependencyMacro)
list(PREPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

if(NOT TARGET sio_dep::asio)
  find_package(asio CONFIG QUIET)                  # vcpkg / Conan provide asio::asio
  if(NOT TARGET asio::asio)
    find_dependency(asio MODULE)                   # cmake/Findasio.cmake
  endif()
  add_library(sio_dep::asio INTERFACE IMPORTED)
  set_target_properties(sio_dep::asio PROPERTIES
    INTERFACE_LINK_LIBRARIES asio::asio
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE")
endif()

if(NOT TARGET sio_dep::websocketpp)
  # websocketpp's config creates its target without checking whether it exists: load it once.
  if(NOT TARGET websocketpp::websocketpp)
    find_dependency(websocketpp CONFIG)
  endif()
  add_library(sio_dep::websocketpp INTERFACE IMPORTED)
  if(TARGET websocketpp::websocketpp)
    set_target_properties(sio_dep::websocketpp PROPERTIES INTERFACE_LINK_LIBRARIES websocketpp::websocketpp)
  else()
    set_target_properties(sio_dep::websocketpp PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${WEBSOCKETPP_INCLUDE_DIR}")
  endif()
endif()

if(NOT TARGET sio_dep::rapidjson)
  find_dependency(RapidJSON CONFIG)
  add_library(sio_dep::rapidjson INTERFACE IMPORTED)
  if(TARGET rapidjson)                             # vcpkg
    set_target_properties(sio_dep::rapidjson PROPERTIES INTERFACE_LINK_LIBRARIES rapidjson)
  elseif(TARGET RapidJSON::RapidJSON)              # Conan
    set_target_properties(sio_dep::rapidjson PROPERTIES INTERFACE_LINK_LIBRARIES RapidJSON::RapidJSON)
  else()                                           # Debian: variables only
    set(_sio_rj_inc "${RapidJSON_INCLUDE_DIRS}${RAPIDJSON_INCLUDE_DIRS}")
    set_target_properties(sio_dep::rapidjson PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_sio_rj_inc}")
  endif()
  set_property(TARGET sio_dep::rapidjson APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS "RAPIDJSON_HAS_STDSTRING=1")
endif()

if(NOT TARGET sio_dep::openssl)
  find_dependency(OpenSSL)
  add_library(sio_dep::openssl INTERFACE IMPORTED)
  set_target_properties(sio_dep::openssl PROPERTIES INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;OpenSSL::Crypto")
endif()
