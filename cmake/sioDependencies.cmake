# Finds sio's dependencies and normalises them to one target each, whatever provided them
# (Debian packages, vcpkg, Conan): sio_dep::asio, sio_dep::rapidjson, sio_dep::openssl. That is all
# sio::sio needs (websocketpp is not one of them: see cmake/sioDevDependencies.cmake).
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
