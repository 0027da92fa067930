# Finds what sio::admin_ui (sio/admin_ui.hpp: the Admin UI dashboard's server side) needs:
# libcrypt from libxcrypt (Debian's libcrypt-dev), for bcrypt through crypt_rn and crypt_checksalt,
# as the target sio_dep::crypt. Optional: without it sio_dep::crypt, and sio::admin_ui with it,
# stay undefined. Used by sio's own build and by the installed sioConfig.cmake.
if(NOT TARGET sio_dep::crypt)
  find_path(SIO_CRYPT_INCLUDE_DIR crypt.h)
  find_library(SIO_CRYPT_LIBRARY crypt)
  if(SIO_CRYPT_INCLUDE_DIR AND SIO_CRYPT_LIBRARY)
    # crypt_checksalt and crypt_rn are libxcrypt's (glibc's old libcrypt has neither).
    include(CheckSymbolExists)
    include(CMakePushCheckState)
    cmake_push_check_state(RESET)
    set(CMAKE_REQUIRED_INCLUDES "${SIO_CRYPT_INCLUDE_DIR}")
    set(CMAKE_REQUIRED_LIBRARIES "${SIO_CRYPT_LIBRARY}")
    set(CMAKE_REQUIRED_QUIET ON)
    check_symbol_exists(crypt_checksalt crypt.h SIO_HAVE_CRYPT_CHECKSALT)
    cmake_pop_check_state()
    if(SIO_HAVE_CRYPT_CHECKSALT)
      add_library(sio_dep::crypt INTERFACE IMPORTED)
      set_target_properties(sio_dep::crypt PROPERTIES
        INTERFACE_LINK_LIBRARIES "${SIO_CRYPT_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${SIO_CRYPT_INCLUDE_DIR}")
    endif()
  endif()
endif()
