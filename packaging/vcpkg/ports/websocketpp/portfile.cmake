# websocketpp 0.8.2, header-only, as an overlay port (vcpkg's curated registry removed websocketpp in
# March 2025). Installs the upstream headers unchanged plus a CMake package of its own: upstream's
# websocketpp-config.cmake creates its target unconditionally, so a second find_package() fails.
vcpkg_from_github(
  OUT_SOURCE_PATH SOURCE_PATH
  REPO zaphoyd/websocketpp
  REF "${VERSION}"
  # GitHub's archive of tag 0.8.2: the same tarball as Debian's websocketpp_0.8.2.orig.tar.gz
  # (SHA-256 6ce889d85ecdc2d8fa07408d6787e7352510750daa66b5ad44aacb47bea76755).
  SHA512 b2afc63edb69ce81a3a6c06b3d857b3e8820f0e22300ac32bb20ab30ff07bd58bd5ada3e526ed8ab52de934e0e3a26cad2118b0e68ecf3e5e9e8d7101348fd06
  HEAD_REF master
)

file(INSTALL "${SOURCE_PATH}/websocketpp" DESTINATION "${CURRENT_PACKAGES_DIR}/include"
     FILES_MATCHING PATTERN "*.hpp")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/websocketpp-config.cmake"
     DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
include(CMakePackageConfigHelpers)
write_basic_package_version_file("${CURRENT_PACKAGES_DIR}/share/${PORT}/websocketpp-config-version.cmake"
  VERSION "${VERSION}"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/COPYING")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
