#!/usr/bin/env python3
"""Offline check of packaging/conan (Conan itself cannot be installed on the CI machine).

Byte-compiles the recipe and its test_package, then runs the recipe's methods against a minimal
stand-in for the `conan` Python API (defined here, never in the recipe) and checks what they do:
the version comes from include/sio/version.hpp, export_sources + package produce every header and
the licence, requirements carry transitive_headers, Asio's range starts at 1.22 and has no 1.32
cap, nothing names websocketpp, and package_info names sio::sio with the defines; the redis option adds hiredis, msgpack-cxx
and sio::redis. What this cannot check: that Conan Center's
packages resolve and build, i.e. `conan create` itself.

Usage: check_recipe.py <sio repository root> <scratch directory>
"""
import fnmatch
import importlib.util
import os
import py_compile
import re
import shutil
import sys
import types

root, scratch = (os.path.abspath(p) for p in sys.argv[1:3])
recipe_dir = os.path.join(root, "packaging", "conan")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# --- 1. Both recipes compile.
for rel in ("conanfile.py", os.path.join("test_package", "conanfile.py")):
    try:
        py_compile.compile(os.path.join(recipe_dir, rel), cfile=os.path.join(scratch, "pyc", rel + "c"), doraise=True)
        check(True, f"py_compile packaging/conan/{rel}")
    except py_compile.PyCompileError as e:
        check(False, f"py_compile packaging/conan/{rel}: {e.msg}")

# --- 2. A stand-in for the parts of the conan API the recipes import.
class Options(dict):
    """self.options[pattern].name = value, recorded as {pattern: {name: value}}."""

    def __missing__(self, key):
        value = self[key] = types.SimpleNamespace()
        return value


class CppInfo(types.SimpleNamespace):
    """cpp_info and each of its components: properties, defines, requires, ..."""

    def __init__(self, with_components=True):
        super().__init__(properties={}, defines=[], system_libs=[], requires=[], bindirs=None, libdirs=None)
        if with_components:
            self.components = Components()

    def set_property(self, key, value):
        self.properties[key] = value


class Components(dict):
    def __missing__(self, key):
        value = self[key] = CppInfo(with_components=False)
        return value


class ConanFile:
    def __init__(self):
        self.options = Options()
        self.settings = types.SimpleNamespace(os="Linux")
        self.cpp_info = CppInfo()
        self.info = types.SimpleNamespace(cleared=False)
        self.info.clear = lambda: setattr(self.info, "cleared", True)
        self.requirements_seen = []

    def requires(self, ref, **traits):
        self.requirements_seen.append((ref, traits))


def copy(conanfile, pattern, src, dst, keep_path=True, excludes=None):
    copied = []
    for dirpath, _, files in os.walk(src):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), src)
            if fnmatch.fnmatch(rel, pattern):
                target = os.path.join(dst, rel if keep_path else name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(dirpath, name), target)
                copied.append(target)
    return copied


def load(conanfile, path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        return f.read()


calls = []
modules = {
    "conan": {"ConanFile": ConanFile},
    "conan.errors": {"ConanInvalidConfiguration": type("ConanInvalidConfiguration", (Exception,), {})},
    "conan.tools": {},
    "conan.tools.build": {"check_min_cppstd": lambda cf, v: calls.append(("check_min_cppstd", str(v))),
                          "can_run": lambda cf: True},
    "conan.tools.files": {"copy": copy, "load": load},
    "conan.tools.layout": {"basic_layout": lambda cf, **kw: calls.append(("basic_layout",))},
    "conan.tools.cmake": {"CMake": object, "cmake_layout": lambda cf, **kw: None},
}
for name, attrs in modules.items():
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module


def load_recipe(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- 3. The recipe's behaviour.
recipe = load_recipe(os.path.join(recipe_dir, "conanfile.py"), "sio_recipe")
cls = next(v for v in vars(recipe).values() if isinstance(v, type) and issubclass(v, ConanFile) and v is not ConanFile)
cf = cls()
cf.recipe_folder = recipe_dir
check(getattr(cls, "options", {}).get("redis") == [True, False] and cls.default_options.get("redis") is False,
      "option redis (True/False), off by default")
check(cls.default_options.get("msgpack-cxx/*:use_boost") is False, "msgpack-cxx without Boost")
cf.options = types.SimpleNamespace(redis=False)

with open(os.path.join(root, "include", "sio", "version.hpp"), encoding="utf-8") as f:
    header_version = re.search(r'#define SIO_VERSION_STRING "([^"]+)"', f.read()).group(1)
cf.set_version()
check(cf.version == header_version, f"set_version() -> {cf.version} (version.hpp: {header_version})")
check(cf.name == "sio" and cf.package_type == "header-library", "name sio, package_type header-library")
check(cf.license == "MIT", "license MIT")

export_dir = os.path.join(scratch, "export")
package_dir = os.path.join(scratch, "package")
shutil.rmtree(export_dir, ignore_errors=True)
shutil.rmtree(package_dir, ignore_errors=True)
cf.export_sources_folder = export_dir
cf.export_sources()
cf.source_folder = export_dir
cf.package_folder = package_dir
cf.package()
headers = sorted(os.path.relpath(os.path.join(d, n), os.path.join(root, "include"))
                 for d, _, files in os.walk(os.path.join(root, "include")) for n in files)
missing = [h for h in headers if not os.path.isfile(os.path.join(package_dir, "include", h))]
check(headers and not missing, f"package() holds all {len(headers)} headers" + (f" (missing {missing[:3]})" if missing else ""))
check(os.path.isfile(os.path.join(package_dir, "licenses", "LICENSE")), "package() holds licenses/LICENSE")

check(not hasattr(cf, "configure"), "no configure(): no options of dependencies to set")
with open(os.path.join(recipe_dir, "conanfile.py"), encoding="utf-8") as f:
    check("websocketpp" not in f.read(), "the recipe does not name websocketpp")

cf.requirements()
reqs = {ref.split("/")[0]: (ref, traits) for ref, traits in cf.requirements_seen}
check(set(reqs) == {"asio", "rapidjson", "openssl"}, f"requires exactly asio, rapidjson, openssl ({sorted(reqs)})")
check(all(t.get("transitive_headers") for _, t in reqs.values()), "every requirement has transitive_headers=True")
check(reqs.get("openssl", ("", {}))[1].get("transitive_libs") is True, "openssl has transitive_libs=True")
check(not any(t.get("force") for _, t in reqs.values()), "no requirement is forced")
asio_ref = reqs.get("asio", ("asio/?", {}))[0]
asio_range = re.fullmatch(r"asio/\[>=(\d+)\.(\d+)(?:\.(\d+))? <(\d+)\]", asio_ref)
check(asio_range is not None and (int(asio_range[1]), int(asio_range[2])) == (1, 22) and int(asio_range[4]) >= 2,
      f"asio range from 1.22 with no cap below 2 ({asio_ref}): 1.22 and the newest Asio are built in CI")

cf.requirements_seen = []
cf.options.redis = True
cf.requirements()
redis_reqs = {ref.split("/")[0]: (ref, traits) for ref, traits in cf.requirements_seen}
check(set(redis_reqs) == {"asio", "rapidjson", "openssl", "hiredis", "msgpack-cxx"},
      f"redis=True adds exactly hiredis and msgpack-cxx ({sorted(redis_reqs)})")
check(all(redis_reqs[n][1].get("transitive_headers") for n in ("hiredis", "msgpack-cxx") if n in redis_reqs),
      "hiredis and msgpack-cxx have transitive_headers=True")
check(redis_reqs.get("hiredis", ("", {}))[1].get("transitive_libs") is True, "hiredis has transitive_libs=True")
cf.options.redis = False

cf.validate()
check(("check_min_cppstd", "17") in calls, "validate() requires C++17")
cf.package_id()
check(cf.info.cleared, "package_id() clears settings (one package for every configuration)")

cf.package_info()
props = cf.cpp_info.properties
core = cf.cpp_info.components.get("core")
check(props.get("cmake_file_name") == "sio" and core is not None and core.properties.get("cmake_target_name") == "sio::sio",
      f"package_info: find_package(sio) -> sio::sio ({props}, {core and core.properties})")
check(core is not None and {"ASIO_STANDALONE", "RAPIDJSON_HAS_STDSTRING=1"} <= set(core.defines),
      f"package_info defines {core and core.defines}")
check(core is not None and set(core.requires) == {"asio::asio", "rapidjson::rapidjson", "openssl::openssl"},
      f"sio::sio requires asio, rapidjson and openssl ({core and core.requires})")
check(cf.cpp_info.libdirs == [] and cf.cpp_info.bindirs == [] and core.libdirs == [] and core.bindirs == [],
      "no lib/bin directories (header-only)")
check("redis" not in cf.cpp_info.components, "no sio::redis without the redis option")

cf.cpp_info = CppInfo()
cf.options.redis = True
cf.package_info()
redis = cf.cpp_info.components.get("redis")
check(redis is not None and redis.properties.get("cmake_target_name") == "sio::redis"
      and set(redis.requires) == {"core", "hiredis::hiredis", "msgpack-cxx::msgpack-cxx"},
      f"redis=True: sio::redis on sio::sio, hiredis and msgpack-cxx ({redis and redis.properties}, {redis and redis.requires})")

# --- 4. The test_package recipe builds the package's consumer with CMake and runs it.
tp = load_recipe(os.path.join(recipe_dir, "test_package", "conanfile.py"), "sio_test_package")
tcls = next(v for v in vars(tp).values() if isinstance(v, type) and issubclass(v, ConanFile) and v is not ConanFile)
t = tcls()
t.tested_reference_str = f"sio/{header_version}"
t.requirements()
check(t.requirements_seen == [(f"sio/{header_version}", {})], "test_package requires the tested reference")
check(set(getattr(tcls, "generators", ())) >= {"CMakeDeps", "CMakeToolchain"}, "test_package uses CMakeDeps + CMakeToolchain")

print(f"conan recipe: {len(failures)} failed")
sys.exit(1 if failures else 0)
