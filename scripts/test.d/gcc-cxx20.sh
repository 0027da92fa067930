#!/usr/bin/env bash
# The library under g++ in C++20, through what the two echo examples include (sio/server.hpp and
# the Engine.IO server), with warnings as errors. (The test programs themselves run under clang++ in C++20: the websocketpp client the
# integration tests use does not compile as C++20 with g++ 12; sio includes only websocketpp's
# SHA-1 and base64, which do.)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
for example in examples/sio_echo/main.cpp examples/engine_echo/main.cpp; do
  g++ -std=c++20 -DASIO_STANDALONE -DRAPIDJSON_HAS_STDSTRING=1 -Iinclude -Wall -Wextra -Werror -fsyntax-only "$example"
  echo "ok    $example (g++ $(g++ -dumpversion), C++20)"
done
