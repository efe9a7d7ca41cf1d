#!/usr/bin/env bash
# Installs the Debian packages Quarry builds against, when missing. Safe to run again.
# Swift itself (6.x, with swift-corelibs) must already be on PATH.
set -euo pipefail
# systemd: systemd-analyze and systemd-socket-activate for Tests/ServiceTests (no init needed).
# python3: the load generator of Tests/ServiceTests.
packages=(liblz4-dev libstemmer-dev libzstd-dev zlib1g-dev libsystemd-dev pkg-config systemd python3)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null 2>&1 || { echo "swift is not on PATH (Swift 6 toolchain required)" >&2; exit 1; }
