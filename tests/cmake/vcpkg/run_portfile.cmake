# Runs a vcpkg portfile of packaging/vcpkg/ports WITHOUT vcpkg (which cannot be downloaded on the CI
# machine), to exercise the portfile's own logic: its options to sio's CMake build, its install
# layout, its version check, what it copies. vcpkg's helper functions are replaced by small stand-ins
# defined below; they do what the real ones do for sio's port (release-only, header-only, config
# already in share/<port>) and refuse anything else rather than pretend. Dependencies are not built by
# vcpkg here: Asio, RapidJSON and OpenSSL are the system's (Debian).
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
  message(FATAL_ERROR "[vcpkg stand-in] no offline source for ${arg_REPO}@${arg_REF}: downloads are not simulated")
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
    foreach(bad IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_INSTALLED_DIR}")
      string(FIND "${text}" "${bad}" at)
      if(at GREATER -1)
        message(FATAL_ERROR "vcpkg_fixup_pkgconfig: ${pc} holds the absolute path ${bad}")
      endif()
    endforeach()
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

include("${PORT_DIR}/portfile.cmake")

# A few of vcpkg's post-build checks that apply to a header-only port.
if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright")
  message(FATAL_ERROR "post-build: share/${PORT}/copyright missing")
endif()
if(EXISTS "${PORT_DIR}/usage" AND NOT EXISTS "${CURRENT_PACKAGES_DIR}/share/${PORT}/usage")
  message(FATAL_ERROR "post-build: the port's usage file was not installed")
endif()
foreach(d IN ITEMS debug bin)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${d}")
    message(FATAL_ERROR "post-build: a header-only port installed ${d}/")
  endif()
endforeach()
file(GLOB_RECURSE lib_files RELATIVE "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/lib/*")
list(FILTER lib_files EXCLUDE REGEX "^lib/pkgconfig/[^/]+\\.pc$")
if(lib_files)
  message(FATAL_ERROR "post-build: a header-only port installed into lib/: ${lib_files}")
endif()
# vcpkg's misplaced-pkgconfig check: .pc files belong in lib/pkgconfig, or in share/pkgconfig if they
# have no (non-empty) Libs/Libs.private line.
file(GLOB_RECURSE pcs RELATIVE "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/*.pc")
foreach(pc IN LISTS pcs)
  if(pc MATCHES "^lib/pkgconfig/[^/]+$")
    continue()
  endif()
  file(STRINGS "${CURRENT_PACKAGES_DIR}/${pc}" libs_lines REGEX "^Libs[^:]*:[ ]*[^ ]")
  if(libs_lines OR NOT pc MATCHES "^share/pkgconfig/[^/]+$")
    message(FATAL_ERROR "post-build: misplaced pkgconfig file ${pc} (${libs_lines})")
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
