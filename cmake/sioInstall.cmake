# Install rules for sio (included when SIO_INSTALL is ON, the default for a top-level build):
#   <prefix>/include/sio/...                      the headers
#   <prefix>/share/cmake/sio/sioConfig.cmake      find_package(sio CONFIG) -> sio::sio
#                            sioConfigVersion.cmake  (SameMajorVersion, architecture-independent)
#                            sioTargets.cmake        the exported INTERFACE target
#                            sioDependencies.cmake   normalises Asio/RapidJSON/OpenSSL to sio_dep::*
#                            sioRedisDependencies.cmake  hiredis/msgpack-cxx, for the component redis
#                            sioAdminUiDependencies.cmake  libxcrypt, for the component admin_ui
#                            Findasio.cmake          for Asio installs without a CMake package (Debian)
#   <prefix>/share/pkgconfig/sio.pc               pkg-config --cflags --libs sio
#   <prefix>/share/doc/sio/{LICENSE,CHANGELOG.md}
# sio is header-only, so everything lives under share/ (no lib/); both locations can be moved with
# SIO_INSTALL_CMAKEDIR / SIO_INSTALL_PKGCONFIGDIR (the vcpkg port puts the config in share/sio).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIO_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/sio" CACHE STRING
    "Where sioConfig.cmake and its companions are installed (relative to the prefix)")
set(SIO_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig" CACHE STRING
    "Where sio.pc is installed (relative to the prefix)")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# The INTERFACE target, exported as sio::sio. Its INTERFACE_LINK_LIBRARIES name the sio_dep::* targets,
# which sioConfig.cmake recreates (through sioDependencies.cmake) before loading sioTargets.cmake.
install(TARGETS sio EXPORT sioTargets)
install(EXPORT sioTargets NAMESPACE sio:: DESTINATION "${SIO_INSTALL_CMAKEDIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/sioConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/sioConfig.cmake"
  INSTALL_DESTINATION "${SIO_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/sioConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES
  "${PROJECT_BINARY_DIR}/sioConfig.cmake"
  "${PROJECT_BINARY_DIR}/sioConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/sioDependencies.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/sioRedisDependencies.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/sioAdminUiDependencies.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/Findasio.cmake"
  DESTINATION "${SIO_INSTALL_CMAKEDIR}")

# pkg-config. The prefix is written relative to the .pc file's own directory, so the installed tree
# can be moved (a package manager's staging directory, a relocated prefix).
if(IS_ABSOLUTE "${SIO_INSTALL_PKGCONFIGDIR}")
  set(SIO_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _sio_pc_up "/sio-prefix/${SIO_INSTALL_PKGCONFIGDIR}" "/sio-prefix")
  string(REGEX REPLACE "/$" "" _sio_pc_up "${_sio_pc_up}")
  set(SIO_PC_PREFIX "\${pcfiledir}/${_sio_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SIO_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SIO_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

# Include directories of Asio and RapidJSON that the compiler would not search anyway (none on
# Debian, where both are in /usr/include). Asio ships no .pc file, so the paths go into Cflags as
# found now; OpenSSL comes through "Requires: openssl". A package manager that installs every
# dependency into sio's own prefix (vcpkg) turns this off: the paths would be absolute and
# ${includedir} already covers them.
option(SIO_PC_DEPENDENCY_INCLUDES "Write the dependencies' include directories into sio.pc" ON)
function(_sio_pc_collect_includes target out_var)
  set(dirs "")
  if(TARGET "${target}")
    get_target_property(_inc "${target}" INTERFACE_INCLUDE_DIRECTORIES)
    if(_inc)
      list(APPEND dirs ${_inc})
    endif()
    get_target_property(_links "${target}" INTERFACE_LINK_LIBRARIES)
    if(_links)
      foreach(_dep IN LISTS _links)
        if(TARGET "${_dep}" AND NOT _dep MATCHES "^(OpenSSL::|Threads::)")
          _sio_pc_collect_includes("${_dep}" _sub)
          list(APPEND dirs ${_sub})
        endif()
      endforeach()
    endif()
  endif()
  set(${out_var} "${dirs}" PARENT_SCOPE)
endfunction()
set(SIO_PC_DEPENDENCY_CFLAGS "")
set(_sio_pc_deps "")
if(SIO_PC_DEPENDENCY_INCLUDES)
  set(_sio_pc_deps sio_dep::asio sio_dep::rapidjson)
endif()
foreach(_sio_dep IN LISTS _sio_pc_deps)
  _sio_pc_collect_includes(${_sio_dep} _sio_dep_dirs)
  foreach(_dir IN LISTS _sio_dep_dirs)
    if(_dir MATCHES "\\$<" OR _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
      continue()  # generator expressions (multi-config packages) cannot go into a .pc file
    endif()
    if(NOT " ${SIO_PC_DEPENDENCY_CFLAGS} " MATCHES " -I${_dir} ")
      string(APPEND SIO_PC_DEPENDENCY_CFLAGS " -I${_dir}")
    endif()
  endforeach()
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/cmake/sio.pc.in" "${PROJECT_BINARY_DIR}/sio.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/sio.pc" DESTINATION "${SIO_INSTALL_PKGCONFIGDIR}")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
if(EXISTS "${PROJECT_SOURCE_DIR}/CHANGELOG.md")
  install(FILES "${PROJECT_SOURCE_DIR}/CHANGELOG.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
endif()
