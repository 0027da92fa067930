# Conan 2 recipe for sio, a header-only C++17 Socket.IO server.
#   conan create packaging/conan --build=missing          (from the root of sio's repository)
# The recipe takes the headers from the repository it sits in (export_sources), and its version from
# include/sio/version.hpp, so a checkout always packages what it contains under the number it reports.
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class SioConan(ConanFile):
    name = "sio"
    description = "Header-only C++17 Socket.IO v5 / Engine.IO v4 server on standalone Asio"
    license = "MIT"
    topics = ("socket.io", "engine.io", "websocket", "asio", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # redis=True adds sio::redis (sio/redis_adapter.hpp, sio/redis_emitter.hpp): hiredis for RESP
    # and msgpack-cxx for the adapters' messages. msgpack-cxx needs no Boost for what sio uses.
    options = {"redis": [True, False]}
    default_options = {"redis": False, "msgpack-cxx/*:use_boost": False}
    no_copy_source = True

    @property
    def _repo_root(self):
        return os.path.join(self.recipe_folder, "..", "..")

    def set_version(self):
        header = load(self, os.path.join(self._repo_root, "include", "sio", "version.hpp"))
        match = re.search(r'#define SIO_VERSION_STRING "([^"]+)"', header)
        self.version = match.group(1)

    def export_sources(self):
        copy(self, "*", src=os.path.join(self._repo_root, "include"),
             dst=os.path.join(self.export_sources_folder, "include"))
        copy(self, "LICENSE", src=self._repo_root, dst=self.export_sources_folder)

    def layout(self):
        basic_layout(self)

    def requirements(self):
        # Asio from 1.22 (Debian 12) on, deprecated APIs removed or not (ASIO_NO_DEPRECATED): CI builds
        # 1.22 and the newest Asio Debian ships. The WebSocket code is sio's own.
        self.requires("asio/[>=1.22.1 <2]", transitive_headers=True)
        self.requires("rapidjson/1.1.0", transitive_headers=True)
        self.requires("openssl/[>=1.1 <4]", transitive_headers=True, transitive_libs=True)
        if self.options.redis:
            # hiredis's reader and formatter only: sio does the I/O (and TLS) on Asio.
            self.requires("hiredis/[>=1.0 <2]", transitive_headers=True, transitive_libs=True)
            self.requires("msgpack-cxx/[>=4.1 <8]", transitive_headers=True)

    def validate(self):
        check_min_cppstd(self, 17)

    def package_id(self):
        self.info.clear()

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "sio")
        self.cpp_info.set_property("pkg_config_name", "sio")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "sio::sio")
        core.requires = ["asio::asio", "rapidjson::rapidjson", "openssl::openssl"]
        core.bindirs = []
        core.libdirs = []
        # The same defines as the CMake target and sio.pc: consumers never set them by hand.
        core.defines = ["ASIO_STANDALONE", "RAPIDJSON_HAS_STDSTRING=1"]
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]
        if self.options.redis:
            # find_package(sio CONFIG REQUIRED COMPONENTS redis), as with sio's own sioConfig.cmake.
            redis = self.cpp_info.components["redis"]
            redis.set_property("cmake_target_name", "sio::redis")
            redis.requires = ["core", "hiredis::hiredis", "msgpack-cxx::msgpack-cxx"]
            redis.bindirs = []
            redis.libdirs = []
