# vcpkg port of sio (header-only). As an overlay port it builds the sio checkout it lives in
# (packaging/vcpkg/ports/sio -> the repository root): `--overlay-ports=<sio>/packaging/vcpkg/ports`.
# A copy of this port in a registry would fetch a release archive instead, e.g.
#   vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/sio REF "v${VERSION}" SHA512 <hash> HEAD_REF main)
# vcpkg hashes the port directory, not this source tree: after changing sio's sources, rebuild with
# `vcpkg remove sio` (classic mode) or `--no-binarycaching`, or bump "port-version".
get_filename_component(SOURCE_PATH "${CURRENT_PORT_DIR}/../../../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/include/sio/version.hpp")
  message(FATAL_ERROR "sio's port expects to sit in packaging/vcpkg/ports/sio of a sio checkout; "
                      "no include/sio/version.hpp under ${SOURCE_PATH}")
endif()
file(STRINGS "${SOURCE_PATH}/include/sio/version.hpp" _sio_version_line REGEX "^#define SIO_VERSION_STRING ")
if(NOT _sio_version_line MATCHES "\"${VERSION}\"")
  message(FATAL_ERROR "vcpkg.json says sio ${VERSION}, the sources say: ${_sio_version_line}")
endif()

set(VCPKG_BUILD_TYPE release)  # headers only: one configuration is enough

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DSIO_INSTALL=ON
    -DSIO_BUILD_TESTS=OFF
    -DSIO_BUILD_EXAMPLES=OFF
    -DSIO_BUILD_BENCH=OFF
    "-DSIO_INSTALL_CMAKEDIR=share/${PORT}"
    # vcpkg accepts share/pkgconfig only for .pc files without Libs; sio.pc has "Libs: -pthread".
    "-DSIO_INSTALL_PKGCONFIGDIR=lib/pkgconfig"
    -DSIO_PC_DEPENDENCY_INCLUDES=OFF  # the dependencies share sio's include directory
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup()  # the config is already in share/sio: nothing to move
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")  # the licence goes to share/sio/copyright
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
