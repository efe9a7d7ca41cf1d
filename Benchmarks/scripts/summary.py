#!/usr/bin/env python3
"""Medians of a benchmark run, at full precision, as the two tables in README.md.

The text output rounds throughput to whole units of its display scale (27 G for memcpy), too
coarse for a ratio. This reads the raw HDR histograms instead:

    swift package --allow-writing-to-package-directory benchmark \
        --format histogramEncoded --path /tmp/quarry-bench
    python3 scripts/summary.py /tmp/quarry-bench
"""
import glob
import json
import os
import re
import sys


def median(path):
    h = json.load(open(path))
    half_magnitude = (h["subBucketMask"] + 1).bit_length() - 2  # log2(subBucketCount) - 1
    half_count = 1 << half_magnitude
    unit = h["unitMagnitude"]
    target = h["_totalCount"] / 2
    seen = 0
    for i, count in enumerate(h["counts"]):
        if not count:
            continue
        seen += count
        if seen >= target:
            bucket = (i >> half_magnitude) - 1
            sub = (i & (half_count - 1)) + half_count
            if bucket < 0:
                sub -= half_count
                bucket = 0
            return sub << (bucket + unit)
    return 0


def load(directory):
    results = {}
    for path in glob.glob(os.path.join(directory, "*.histogram.json")):
        m = re.match(r".*?\.(BlockDecode|Query)\.(.+)\.(\w+)\.histogram\.json$", os.path.basename(path))
        if m:
            target, name, metric = m.groups()
            results.setdefault(target, {}).setdefault(name.replace("_", " "), {})[metric] = median(path)
    return results


def main():
    results = load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/quarry-bench")
    decode = results.get("BlockDecode", {})
    if decode:
        # Each measurement decodes 10^6 integers, so measurements/s x 10^6 = integers/s.
        print("| width | unpack (Gints/s) | memcpy (Gints/s) | naive (Gints/s) | unpack / memcpy | unpack / naive |")
        print("|---:|---:|---:|---:|---:|---:|")
        widths = sorted({int(k.split("w=")[1]) for k in decode})
        for w in widths:
            key = lambda kind: f"{kind} w={w:02d}"
            g = {kind: decode.get(key(kind), {}).get("throughput", 0) / 1e3 for kind in ("unpack", "memcpy", "naive")}
            ratio = lambda a, b: f"{a / b:.3f}" if b else "-"
            print(f"| {w} | {g['unpack']:.2f} | {g['memcpy']:.1f} | {g['naive']:.3f} | "
                  f"{ratio(g['unpack'], g['memcpy'])} | {g['naive'] and g['unpack'] / g['naive']:.1f}x |")
    if any(k.startswith("simd ") for k in decode):
        # Full blocks: the vertical SIMD layout, decoded by the unrolled C kernels ("simd"),
        # the Swift kernel ("simdswift") and with running sums as doc ids are ("simdsums").
        print()
        print("| width | simd (Gints/s) | simd, running sums | simd, Swift kernel | memcpy (Gints/s) | simd / memcpy | sums / memcpy | simd / Swift kernel |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        widths = sorted({int(k.split("w=")[1]) for k in decode})
        for w in widths:
            g = {kind: decode.get(f"{kind} w={w:02d}", {}).get("throughput", 0) / 1e3
                 for kind in ("simd", "simdsums", "simdswift", "memcpy")}
            ratio = lambda a, b: f"{a / b:.2f}" if b else "-"
            print(f"| {w} | {g['simd']:.2f} | {g['simdsums']:.2f} | {g['simdswift']:.2f} | {g['memcpy']:.1f} | "
                  f"{ratio(g['simd'], g['memcpy'])} | {ratio(g['simdsums'], g['memcpy'])} | {ratio(g['simd'], g['simdswift'])}x |")
    query = results.get("Query", {})
    if query:
        print()
        print("| query | p50 wall (us) | queries/s (p50) | mallocs / query (p50) |")
        print("|---|---:|---:|---:|")
        for name in sorted(query):
            q = query[name]
            print(f"| {name} | {q.get('wallClock', 0) / 1e3:.0f} | {q.get('throughput', 0)} | {q.get('mallocCountTotal', 0)} |")


if __name__ == "__main__":
    main()
