#!/usr/bin/env bash
# The README's first command: install what is missing, build in release mode, index the bundled
# sample collection, start quarryd on a private socket, ask it a query through the quarry client,
# print the answer, stop the daemon.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
query=${1:-"hacker humor"}

"$root/scripts/install-deps.sh"
echo "== building (release)"
swift build -c release 2>&1 | tail -n 1
bin="$root/.build/release"

work=$(mktemp -d "${TMPDIR:-/tmp}/quarry-quickstart.XXXXXX")
daemon_pid=
cleanup() {
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid"; wait "$daemon_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== indexing samples/public-domain.jsonl.gz"
"$bin/quarry-index" --index "$work/index" "$root/samples/public-domain.jsonl.gz"

echo "== starting quarryd on $work/quarry.sock"
"$bin/quarryd" --index "$work/index" --socket "$work/quarry.sock" 2>"$work/quarryd.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
    "$bin/quarry" --socket "$work/quarry.sock" ping >/dev/null 2>&1 && break
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/quarryd.log" >&2; exit 1; }
    sleep 0.1
done

echo "== quarry search --limit 5 \"$query\""
status=0
"$bin/quarry" --socket "$work/quarry.sock" search --limit 5 "$query" || status=$?
echo "== quarry status"
"$bin/quarry" --socket "$work/quarry.sock" status
exit "$status"
