# Runs a vcpkg portfile of packaging/vcpkg/ports WITHOUT vcpkg (which cannot be downloaded on the CI
# machine), to exercise the portfile's own logic: its options to sio's CMake build, its install
# layout, its version check, what it copies. vcpkg's helper functions are replaced by small stand-ins
# defined below; they do what the real ones do for these two ports (release-only, header-only, config
# already in share/<port>) and refuse anything else rather than pretend. Dependencies are not built by
# vcpkg here: Asio, RapidJSON and OpenSSL are the system's (Debian) and vcpkg_from_github for
# websocketpp is served from Debian's websocketpp 0.8.2 headers, which are upstream's 0.8.2 headers
# unchanged (Debian's patches touch only build files); its SHA512 is checked for form only.
#
#   cmake -DPORT_DIR=<packaging/vcpkg/ports/NAME> -DINSTALLED_DIR=<dir> -DWORK_DIR=<scratch> -P run_portfile.cmake
#
# On success the port's files are merged into INSTALLED_DIR, as vcpkg merges packages into
# vcpkg_installed/<triplet>; a consumer then builds with -DCMAKE_PREFIX_PATH=<INSTALLED_DIR>, which is
# what vcpkg's toolchain file adds.
cmake_minimum_required(VERSION 3.19)  # string(JSON)

foreach(_v IN ITEMS PORT_DIR INSTALLED_DIR WORK_DIR)
  if(NOT DEFINED ${_v})
    message(FATAL_ERROR "pass -D${_v}=...")
  endif()
endforeach()
get_filename_component(PORT_DIR "${PORT_DIR}" ABSOLUTE)
file(READ "${PORT_DIR}/vcpkg.json" _manifest)
string(JSON PORT GET "${_manifest}" name)
string(JSON VERSION GET "${_manifest}" version)

# The variables vcpkg gives a portfile (the subset these ports use).
set(CURRENT_PORT_DIR "${PORT_DIR}")
set(TARGET_TRIPLET x64-linux)
set(CURRENT_INSTALLED_DIR "${INSTALLED_DIR}")
set(CURRENT_PACKAGES_DIR "${WORK_DIR}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_BUILDTREES_DIR "${WORK_DIR}/buildtrees/${PORT}")
set(VCPKG_TARGET_IS_LINUX ON)
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${CURRENT_INSTALLED_DIR}")
message(STATUS "[vcpkg stand-in] ${PORT} ${VERSION} from ${PORT_DIR}")

function(_stand_in_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[vcpkg stand-in] failed (${rc}): ${ARGN}\n${out}")
  endif()
endfunction()

function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF" "PATCHES")
  string(LENGTH "${arg_SHA512}" len)
  if(NOT arg_SHA512 MATCHES "^[0-9a-f]+$" OR NOT len EQUAL 128)
    message(FATAL_ERROR "vcpkg_from_github: SHA512 must be 128 hex digits, got '${arg_SHA512}'")
  endif()
  if(NOT (arg_REPO STREQUAL "zaphoyd/websocketpp" AND arg_REF STREQUAL "0.8.2") OR arg_PATCHES)
    message(FATAL_ERROR "[vcpkg stand-in] no offline source for ${arg_REPO}@${arg_REF} (patches: ${arg_PATCHES})")
  endif()
  set(src "${CURRENT_BUILDTREES_DIR}/src/websocketpp-0.8.2")
  if(NOT EXISTS "/usr/include/websocketpp/version.hpp")
    message(FATAL_ERROR "[vcpkg stand-in] Debian's libwebsocketpp-dev is not installed")
  endif()
  file(STRINGS "/usr/include/websocketpp/version.hpp" _v REGEX "(major|minor|patch)_version = ")
  if(NOT _v MATCHES "major_version = 0[^0-9].*minor_version = 8[^0-9].*patch_version = 2[^0-9]")
    message(FATAL_ERROR "[vcpkg stand-in] /usr/include/websocketpp is not 0.8.2: ${_v}")
  endif()
  file(COPY "/usr/include/websocketpp" DESTINATION "${src}")
  file(COPY_FILE "/usr/share/doc/libwebsocketpp-dev/copyright" "${src}/COPYING")
  message(STATUS "[vcpkg stand-in] ${arg_REPO}@${arg_REF}: Debian's 0.8.2 headers stand in for the download")
  set(${arg_OUT_SOURCE_PATH} "${src}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG")
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    message(FATAL_ERROR "[vcpkg stand-in] only release-only ports are simulated (set VCPKG_BUILD_TYPE release)")
  endif()
  # What vcpkg passes besides the port's options (less its toolchain and Ninja).
  _stand_in_run(${CMAKE_COMMAND} -S "${arg_SOURCE_PATH}" -B "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel"
    -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
    "-DCMAKE_PREFIX_PATH=${CURRENT_INSTALLED_DIR}"
    -DCMAKE_INSTALL_BINDIR=bin -DCMAKE_INSTALL_LIBDIR=lib
    ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
endfunction()

function(vcpkg_cmake_install)
  _stand_in_run(${CMAKE_COMMAND} --build "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel" -j2)
  _stand_in_run(${CMAKE_COMMAND} --install "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
endfunction()

function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "PACKAGE_NAME;CONFIG_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  if(arg_CONFIG_PATH AND NOT arg_CONFIG_PATH STREQUAL "share/${arg_PACKAGE_NAME}")
    message(FATAL_ERROR "[vcpkg stand-in] moving a config from ${arg_CONFIG_PATH} is not simulated")
  endif()
  set(dir "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
  file(GLOB configs "${dir}/*Config.cmake" "${dir}/*-config.cmake")
  if(NOT configs)
    message(FATAL_ERROR "vcpkg_cmake_config_fixup: no CMake config in share/${arg_PACKAGE_NAME}")
  endif()
  # The real function rewrites absolute paths; this port must not produce any.
  file(GLOB cmake_files "${dir}/*.cmake")
  foreach(f IN LISTS cmake_files)
    file(READ "${f}" text)
    foreach(bad IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${CURRENT_INSTALLED_DIR}")
      string(FIND "${text}" "${bad}" at)
      if(at GREATER -1)
        message(FATAL_ERROR "vcpkg_cmake_config_fixup: ${f} contains the absolute path ${bad}")
      endif()
    endforeach()
  endforeach()
endfunction()

function(vcpkg_fixup_pkgconfig)
  file(GLOB pcs "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc")
  foreach(pc IN LISTS pcs)
    file(READ "${pc}" text)
    string(FIND "${text}" "${CURRENT_PACKAGES_DIR}" at)
    if(at GREATER -1)
      message(FATAL_ERROR "vcpkg_fixup_pkgconfig: ${pc} holds the absolute staging path")
    endif()
    if(NOT text MATCHES "prefix=\\\${pcfiledir}/")
      message(FATAL_ERROR "vcpkg_fixup_pkgconfig: ${pc} is not relocatable (prefix not relative to pcfiledir)")
    endif()
    get_filename_component(pcdir "${pc}" DIRECTORY)
    get_filename_component(pcname "${pc}" NAME_WE)
    _stand_in_run(${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${pcdir}" pkg-config --validate "${pcname}")
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "FILE_LIST")
  set(text "")
  foreach(f IN LISTS arg_FILE_LIST)
    file(READ "${f}" part)
    string(APPEND text "${part}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${text}")
endfunction()

set(CMAKE_INSTALL_MESSAGE NEVER)  # file(INSTALL) in the portfiles: quiet, as in vcpkg
include("${PORT_DIR}/portfile.cmake")

# A few of vcpkg's post-build checks that apply to a header-only port.
if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright")
  message(FATAL_ERROR "post-build: share/${PORT}/copyright missing")
endif()
if(EXISTS "${PORT_DIR}/usage" AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/${PORT}/usage")
  message(FATAL_ERROR "post-build: the port's usage file was not installed")
endif()
foreach(d IN ITEMS debug lib bin)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${d}")
    message(FATAL_ERROR "post-build: a header-only port installed ${d}/")
  endif()
endforeach()
file(GLOB_RECURSE headers RELATIVE "${CURRENT_PACKAGES_DIR}/include" "${CURRENT_PACKAGES_DIR}/include/*.hpp")
if(NOT headers)
  message(FATAL_ERROR "post-build: no headers in include/")
endif()
file(GLOB_RECURSE all_dirs LIST_DIRECTORIES true "${CURRENT_PACKAGES_DIR}/*")
foreach(d IN LISTS all_dirs)
  if(IS_DIRECTORY "${d}")
    file(GLOB content "${d}/*")
    if(NOT content)
      message(FATAL_ERROR "post-build: empty directory ${d}")
    endif()
  endif()
endforeach()

# Merge into the installed tree; two ports owning the same file is an error, as in vcpkg.
file(GLOB_RECURSE files RELATIVE "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/*")
foreach(f IN LISTS files)
  if(EXISTS "${CURRENT_INSTALLED_DIR}/${f}")
    message(FATAL_ERROR "install: ${f} is already installed by another port")
  endif()
endforeach()
file(COPY "${CURRENT_PACKAGES_DIR}/" DESTINATION "${CURRENT_INSTALLED_DIR}")
list(LENGTH files n)
list(LENGTH headers nh)
message(STATUS "[vcpkg stand-in] ${PORT} ${VERSION}: ${n} files (${nh} headers) installed into ${CURRENT_INSTALLED_DIR}")
