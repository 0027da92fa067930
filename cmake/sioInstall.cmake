# Install rules: headers, the exported target, the config package (filled in by the packaging work).
include(GNUInstallDirs)
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
