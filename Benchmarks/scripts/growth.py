#!/usr/bin/env python3
"""How query time grows with corpus size: a table and an SVG plot from anchors results.

    python3 scripts/growth.py OUT_PREFIX N1=RESULTS_DIR1 N2=RESULTS_DIR2 ...

Each RESULTS_DIR is what `anchors run-all` wrote for the scale corpus of N documents
(`ENGINE.MODE.json` per engine and mode). For every engine present (quarry, tantivy, pisa) and
mode (union, intersection, phrase) the table gives p50 and p99 in microseconds: Quarry's engine
time (the daemon's took_us, `engine_latencies_us`), the others' in-process latency, as the
anchors summary does. Writes OUT_PREFIX.md (the table) and OUT_PREFIX.svg (p50 and p99 of union
and intersection against the number of documents, log-log, one line per engine).
Only the standard library: the machines have no plotting package.
"""
import json
import math
import os
import sys

ENGINES = ["quarry", "tantivy", "pisa"]
MODES = ["union", "intersection", "phrase"]
PLOTTED = ["union", "intersection"]
COLOURS = {"quarry": "#c0392b", "tantivy": "#2e86c1", "pisa": "#27ae60"}


def percentile(values, p):
    """Linear interpolation between closest ranks (numpy's default), as the anchors summary."""
    v = sorted(values)
    k = (len(v) - 1) * p
    f = int(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def latencies(path):
    with open(path) as f:
        data = json.load(f)
    engine = data.get("engine_latencies_us") or (data.get("extra") or {}).get("engine_latencies_us")
    return engine or data.get("latencies_us")


def load(pairs):
    rows = {}  # (engine, mode) -> [(docs, p50, p99)]
    for docs, directory in pairs:
        for engine in ENGINES:
            for mode in MODES:
                path = os.path.join(directory, f"{engine}.{mode}.json")
                if not os.path.exists(path):
                    continue
                values = latencies(path)
                if not values:
                    continue
                rows.setdefault((engine, mode), []).append((docs, percentile(values, 0.5), percentile(values, 0.99)))
    return rows


def label(docs):
    return f"{docs / 1e6:.2g}M"


def table(rows, sizes):
    lines = ["| engine | mode | " + " | ".join(f"{label(n)} p50 / p99" for n in sizes) + " | p50 growth, first to last |",
             "|---|---|" + "---:|" * (len(sizes) + 1)]
    for mode in MODES:
        for engine in ENGINES:
            points = dict((n, (a, b)) for n, a, b in rows.get((engine, mode), []))
            if not points:
                continue
            cells = [f"{points[n][0]:.0f} / {points[n][1]:.0f}" if n in points else "" for n in sizes]
            present = [n for n in sizes if n in points]
            growth = f"{points[present[-1]][0] / points[present[0]][0]:.1f}x for {present[-1] / present[0]:.1f}x docs" \
                if len(present) > 1 else ""
            lines.append(f"| {engine} | {mode} | " + " | ".join(cells) + f" | {growth} |")
    return "\n".join(lines) + "\n"


def svg(rows, sizes):
    width, height, margin = 900, 420, 60
    panel = (width - 3 * margin) / 2
    values = [v for (e, m), pts in rows.items() if m in PLOTTED for _, a, b in pts for v in (a, b)]
    low, high = math.log10(max(1.0, min(values))), math.log10(max(values))
    low, high = math.floor(low), math.ceil(high)
    xlow, xhigh = math.log10(min(sizes)), math.log10(max(sizes))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for index, mode in enumerate(PLOTTED):
        left = margin + index * (panel + margin)
        top, bottom = 40, height - margin

        def x(n):
            return left + (math.log10(n) - xlow) / max(1e-9, xhigh - xlow) * panel

        def y(v):
            return bottom - (math.log10(max(v, 1.0)) - low) / max(1e-9, high - low) * (bottom - top)

        out.append(f'<text x="{left + panel / 2}" y="24" text-anchor="middle" font-weight="bold">{mode}, top-10 (µs, log scale)</text>')
        out.append(f'<line x1="{left}" y1="{bottom}" x2="{left + panel}" y2="{bottom}" stroke="black"/>')
        out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>')
        for decade in range(low, high + 1):
            out.append(f'<line x1="{left}" y1="{y(10 ** decade)}" x2="{left + panel}" y2="{y(10 ** decade)}" stroke="#ddd"/>')
            out.append(f'<text x="{left - 6}" y="{y(10 ** decade) + 4}" text-anchor="end">{10 ** decade:g}</text>')
        for n in sizes:
            out.append(f'<text x="{x(n)}" y="{bottom + 16}" text-anchor="middle">{label(n)}</text>')
        out.append(f'<text x="{left + panel / 2}" y="{bottom + 34}" text-anchor="middle">documents</text>')
        for engine in ENGINES:
            points = sorted(rows.get((engine, mode), []))
            if not points:
                continue
            for column, dash in ((1, ""), (2, ' stroke-dasharray="5,4"')):
                path = " ".join(f"{x(p[0]):.1f},{y(p[column]):.1f}" for p in points)
                out.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[engine]}" stroke-width="2"{dash}/>')
                for p in points:
                    out.append(f'<circle cx="{x(p[0]):.1f}" cy="{y(p[column]):.1f}" r="3" fill="{COLOURS[engine]}"/>')
    legend_y = height - 12
    legend_x = margin
    for engine in ENGINES:
        if any(e == engine for e, _ in rows):
            out.append(f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 24}" y2="{legend_y - 4}" stroke="{COLOURS[engine]}" stroke-width="2"/>')
            out.append(f'<text x="{legend_x + 30}" y="{legend_y}">{engine}</text>')
            legend_x += 110
    out.append(f'<text x="{legend_x}" y="{legend_y}">solid: p50, dashed: p99</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    prefix = sys.argv[1]
    pairs = []
    for argument in sys.argv[2:]:
        docs, _, directory = argument.partition("=")
        pairs.append((int(docs), directory))
    rows = load(pairs)
    if not rows:
        sys.exit("growth.py: no ENGINE.MODE.json results found")
    sizes = sorted({n for n, _ in pairs})
    with open(prefix + ".md", "w") as f:
        f.write(table(rows, sizes))
    with open(prefix + ".svg", "w") as f:
        f.write(svg(rows, sizes))
    sys.stdout.write(table(rows, sizes))


if __name__ == "__main__":
    main()
