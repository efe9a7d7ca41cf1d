#!/usr/bin/env bash
# The README's second command (and what CI runs): install what is missing, build every product
# (the end-to-end tests run the real binaries), run the whole test suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"
swift build
swift test
