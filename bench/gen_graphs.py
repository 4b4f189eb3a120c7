#!/usr/bin/env python3
"""gen_graphs.py - writes the random sparse directed graphs of the loop
finding benchmark (issues 5 and 8), each twice: as a Territory map (a
workspace export document) and as an edge list that networkx reads.

Each graph is a uniform random digraph G(n, m): m distinct ordered pairs
(u, v), u != v, drawn from random.Random(SEED), so every run writes the
same files. No self-loops and no parallel links: networkx's DiGraph would
merge parallel links that Territory counts as distinct loops when their
polarities differ, and the counts must be comparable. Each link gets a
polarity + or - at random (it changes no count, only the loops' polarity).

Why these link counts. A sparse random digraph with mean out-degree c < 1
has about sum_k c^k / k elementary cycles, a handful; as c passes 1 a
giant strongly connected component forms and the count explodes, by orders
of magnitude between neighbouring m (already 10^6 and more by c ~ 1.16 at
10,000 nodes, hours for networkx). The benchmark wants 10^4 to 10^5 cycles:
enough that networkx takes seconds and the count, not reading the file,
dominates Territory's time, and few enough that the whole bench stays in a
few minutes. Since the count jumps as m grows, m is pinned per graph, found
by counting for neighbouring m with this seed (the graphs for growing m
share their first links, so the count only grows with m):

  name        nodes    links   mean degree   elementary cycles
  loops-1k     1,000    1,345     1.345           10,085
  loops-10k   10,000   11,160     1.116           17,395
  loops-tiny      60      110     1.83               105   (smoke test)

The smaller graph needs the higher degree: its giant component forms later
at this size. With 1,335 links loops-1k has 8,397 cycles, with 1,355 45,898;
loops-10k has 10,597 at 11,120 links and 36,948 at 11,180. SEED 4 was
picked among 1 to 4 because its counts grow most evenly with m at both
sizes (a 10,000-node graph drawn from Random(10005), tried first, jumps
from 3,394 to 63,147 cycles on one added link).

Usage: gen_graphs.py [DIR] [--smoke]   (default build/bench/graphs)
Writes DIR/NAME.json (the map), DIR/NAME.edges ("u v" per line, nodes
numbered from 0; the map's ids are "n" + that number) and DIR/graphs.tsv:
name, nodes, links, seed. With --smoke only loops-tiny, and the table
in DIR/smoke-graphs.tsv.
"""

import json
import os
import random
import sys

SEED = 4  # random.Random(SEED) draws every graph
GRAPHS = [("loops-1k", 1000, 1345), ("loops-10k", 10000, 11160)]
SMOKE = [("loops-tiny", 60, 110)]


def random_digraph(n, m, seed):
    """m distinct ordered pairs (u, v) with u != v, in the order drawn."""
    rng = random.Random(seed)
    seen = set()
    edges = []
    while len(edges) < m:
        u = rng.randrange(n)
        v = rng.randrange(n)
        if u == v or (u, v) in seen:
            continue
        seen.add((u, v))
        edges.append((u, v))
    pols = [rng.choice("+-") for _ in edges]
    return edges, pols


def write_if_changed(path, text):
    """Leaves an identical file alone, so its timestamp says when it last
    changed."""
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_graph(out, name, n, m):
    seed = SEED
    edges, pols = random_digraph(n, m, seed)
    doc = {
        "items": [{"id": "n%d" % i, "title": "n%d" % i} for i in range(n)],
        "links": [{"from": "n%d" % u, "to": "n%d" % v, "polarity": p}
                  for (u, v), p in zip(edges, pols)],
    }
    # One item or link per line: readable, and diff-friendly.
    lines = ['{"items": [']
    lines.append(",\n".join(json.dumps(i) for i in doc["items"]))
    lines.append('],\n"links": [')
    lines.append(",\n".join(json.dumps(link) for link in doc["links"]))
    lines.append("]}\n")
    write_if_changed(os.path.join(out, name + ".json"), "\n".join(lines))
    write_if_changed(os.path.join(out, name + ".edges"),
                     "".join("%d %d\n" % e for e in edges))
    return "%s\t%d\t%d\t%d\n" % (name, n, m, seed)


def main(argv):
    args = [a for a in argv[1:] if a != "--smoke"]
    smoke = len(args) != len(argv) - 1
    if len(args) > 1:
        print("usage: gen_graphs.py [DIR] [--smoke]", file=sys.stderr)
        return 2
    out = args[0] if args else "build/bench/graphs"
    os.makedirs(out, exist_ok=True)
    rows = [write_graph(out, name, n, m)
            for name, n, m in (SMOKE if smoke else SMOKE + GRAPHS)]
    tsv = "smoke-graphs.tsv" if smoke else "graphs.tsv"
    write_if_changed(os.path.join(out, tsv), "name\tnodes\tlinks\tseed\n"
                     + "".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
