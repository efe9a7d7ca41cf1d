#!/bin/bash
# How query time grows with corpus size (issue 5, item 4): the anchors harness on the synthetic
# scale corpus at several sizes, then Benchmarks/scripts/growth.py for the table and the plot.
#
#   swift build -c release && bash Benchmarks/scripts/growth.sh      # from the repository root
#
# Environment: SIZES (default "500000 1000000 2000000 5000000"), ENGINES (default
# "quarry,tantivy"), REPEAT (default 3), BENCH (default ../shared/bench), WORK (default
# /tmp/growth-work), RESULTS (default /tmp/growth-results). Missing corpora are generated with
# the harness's make-scale-corpus (deterministic: the first N documents of any larger size).
# Finished steps are kept (--resume): delete WORK and RESULTS to measure again from scratch.
# Writes Benchmarks/growth.md and Benchmarks/growth.svg.
set -euo pipefail
cd "$(dirname "$0")/../.."
sizes="${SIZES:-500000 1000000 2000000 5000000}"
engines="${ENGINES:-quarry,tantivy}"
bench="$(cd "${BENCH:-../shared/bench}" && pwd)"
work="${WORK:-/tmp/growth-work}"
results="${RESULTS:-/tmp/growth-results}"
queries="$bench/queries/search-benchmark-game/union.txt"
[ -x .build/release/quarryd ] || { echo "growth.sh: build first: swift build -c release" >&2; exit 2; }
pairs=()
for n in $sizes; do
    corpus="/tmp/corpora/scale-$n.jsonl"
    if [ ! -f "$corpus" ]; then
        echo "growth.sh: generating $corpus" >&2
        (cd "$bench" && corpora/make-scale-corpus generate --docs "$n")
    fi
    echo "growth.sh: $n documents: $engines" >&2
    "$bench/anchors/anchors" run-all "$corpus" "$queries" "$work/$n" "$results/$n" \
        --engines "$engines" --repeat "${REPEAT:-3}" --resume
    pairs+=("$n=$results/$n")
done
python3 Benchmarks/scripts/growth.py Benchmarks/growth "${pairs[@]}"
