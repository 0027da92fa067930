#!/usr/bin/env bash
# Installs what is missing, builds the chat example and starts it on http://localhost:3000.
# Extra arguments go to the server (e.g. --port 8080 --host 0.0.0.0).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSIO_BUILD_TESTS=OFF >/dev/null
cmake --build build --target sio_chat -j"${SIO_JOBS:-2}"
exec ./build/examples/chat/sio_chat "$@"
