#!/usr/bin/env bash
# The C++ sources keep the style of .clang-format (clang-format 14, Debian 12): a change that is
# not formatted fails here, with the files and lines to fix (`clang-format -i <file>` fixes them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files 'include/*.hpp' 'examples/*.cpp' 'examples/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp' 'packaging/*.cpp')
clang-format --dry-run -Werror "${files[@]}"
echo "ok    ${#files[@]} files formatted as .clang-format says (clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1))"
