# Finds what sio::redis (the Redis client and the Redis adapters and emitter) needs, normalised to
# one target each: sio_dep::hiredis (the RESP reader and command formatter, ≥ 0.14) and
# sio_dep::msgpack (msgpack-cxx, for the adapters' notepack-compatible messages). Both optional:
# whatever is missing leaves its target undefined, and sio::redis with it. Used by sio's own build
# and by the installed sioConfig.cmake, so both see the same thing.
if(NOT TARGET sio_dep::hiredis)
  # Debian's HiredisConfig.cmake sets variables only (HIREDIS_INCLUDE_DIRS, HIREDIS_LIBRARIES), and
  # fails without a requested version; vcpkg and Conan provide hiredis::hiredis; pkg-config's
  # hiredis.pc is the other way in.
  find_package(hiredis CONFIG QUIET)
  if(NOT TARGET hiredis::hiredis)
    find_package(Hiredis 0.14 CONFIG QUIET)
  endif()
  if(TARGET hiredis::hiredis)
    add_library(sio_dep::hiredis INTERFACE IMPORTED)
    set_target_properties(sio_dep::hiredis PROPERTIES INTERFACE_LINK_LIBRARIES hiredis::hiredis)
  elseif(HIREDIS_LIBRARIES)
    add_library(sio_dep::hiredis INTERFACE IMPORTED)
    set_target_properties(sio_dep::hiredis PROPERTIES
      INTERFACE_LINK_LIBRARIES "${HIREDIS_LIBRARIES}"
      INTERFACE_INCLUDE_DIRECTORIES "${HIREDIS_INCLUDE_DIRS}")
  else()
    find_package(PkgConfig QUIET)
    if(PkgConfig_FOUND)
      pkg_check_modules(SIO_HIREDIS QUIET IMPORTED_TARGET hiredis)
    endif()
    if(TARGET PkgConfig::SIO_HIREDIS)
      add_library(sio_dep::hiredis INTERFACE IMPORTED)
      set_target_properties(sio_dep::hiredis PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::SIO_HIREDIS)
    endif()
  endif()
endif()

if(NOT TARGET sio_dep::msgpack)
  # Debian's libmsgpack-cxx-dev: msgpack-config.cmake with the target msgpackc-cxx (msgpack-cxx in
  # newer releases).
  find_package(msgpack CONFIG QUIET)
  if(NOT TARGET msgpackc-cxx AND NOT TARGET msgpack-cxx)
    find_package(msgpack-cxx CONFIG QUIET)
  endif()
  if(TARGET msgpackc-cxx OR TARGET msgpack-cxx)
    add_library(sio_dep::msgpack INTERFACE IMPORTED)
    set_target_properties(sio_dep::msgpack PROPERTIES INTERFACE_LINK_LIBRARIES
      "$<IF:$<TARGET_EXISTS:msgpackc-cxx>,msgpackc-cxx,msgpack-cxx>")
  endif()
endif()
