#!/bin/sh
# End-to-end tests of `territory export`: the starter workspace as GraphML
# (read back with Python's XML parser: keys declared, one node per item,
# one edge per link, labels equal to the titles), DOT (`dot -Tsvg` when
# Graphviz is installed, else a structural check of every statement in
# Python) and CSV (read back with Python's csv module, every field equal to
# the document's); -o FILE; and the errors: field paths, exit codes.
set -u
DOC=workspaces/starter.json
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is needed"; exit 77; }
. "$(dirname "$0")/lib/common.sh"

# ---- GraphML ----
run 0 "graphml" "$T" export "$DOC" --format graphml
cp "$tmp/out" "$tmp/map.graphml"
python3 - "$DOC" "$tmp/map.graphml" <<'PY' || fail "graphml checks"
import json, sys
import xml.etree.ElementTree as ET
doc = json.load(open(sys.argv[1], encoding="utf-8"))
ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
root = ET.parse(sys.argv[2]).getroot()
keys = {k.get("id"): k.get("for") for k in root.findall("g:key", ns)}
graph = root.find("g:graph", ns)
assert graph.get("edgedefault") == "directed"
nodes = graph.findall("g:node", ns)
edges = graph.findall("g:edge", ns)
items = [i for i in doc["items"] if i.get("status", "open") == "open"]
assert len(nodes) == len(items), (len(nodes), len(items))
assert len(edges) == len(doc["links"]), (len(edges), len(doc["links"]))
themes = {t["id"]: t for t in doc["themes"]}
ids = {}
for n, it in zip(nodes, items):
    data = {}
    for d in n.findall("g:data", ns):
        assert keys.get(d.get("key")) == "node", d.get("key")
        data[d.get("key")] = d.text or ""
    assert data["label"] == it["title"], (data["label"], it["title"])
    assert data["item"] == it["id"]
    assert data["theme"] == themes[it["theme"]]["name"]
    assert data["color"].lower() == themes[it["theme"]]["color"].lower()
    ids[n.get("id")] = it["id"]
for e, l in zip(edges, doc["links"]):
    data = {}
    for d in e.findall("g:data", ns):
        assert keys.get(d.get("key")) == "edge", d.get("key")
        data[d.get("key")] = d.text or ""
    assert ids[e.get("source")] == l["from"] and ids[e.get("target")] == l["to"]
    assert data["polarity"] == l["polarity"]
    assert data["delay"] == ("true" if l.get("delay") else "false")
PY

# ---- DOT ----
run 0 "dot" "$T" export "$DOC" --format dot
cp "$tmp/out" "$tmp/map.dot"
if command -v dot >/dev/null 2>&1; then
    dot -Tsvg "$tmp/map.dot" >"$tmp/map.svg" 2>"$tmp/dot.err" || fail "dot -Tsvg: $(head -c 300 "$tmp/dot.err")"
    grep -q '<svg' "$tmp/map.svg" || fail "dot made no svg"
else
    echo "note: graphviz not installed; checking the DOT's structure only"
fi
python3 - "$DOC" "$tmp/map.dot" <<'PY' || fail "dot checks"
import json, re, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
text = open(sys.argv[2], encoding="utf-8").read()
# Tokens as Graphviz reads them: quoted strings (with \" and \\ inside),
# identifiers, ->, punctuation. Anything else is an error.
tok = re.compile(r'\s*(?:"((?:[^"\\\n]|\\["\\n])*)"|([A-Za-z0-9_#.]+)|(->)|([{}\[\]=;,]))')
pos, toks = 0, []
while pos < len(text.rstrip()):
    m = tok.match(text, pos)
    assert m, "cannot read DOT at %r" % text[pos:pos + 40]
    pos = m.end()
    if m.group(1) is not None:
        s = m.group(1)
        s = re.sub(r'\\(["\\n])', lambda k: {'"': '"', "\\": "\\", "n": "\n"}[k.group(1)], s)
        toks.append(("s", s))
    else:
        toks.append(("p", m.group(2) or m.group(3) or m.group(4)))
assert toks[0] == ("p", "digraph") and toks[1] == ("s", doc["name"]) and toks[2] == ("p", "{")
assert toks[-1] == ("p", "}")
# Statements: split on ';' at depth 0 of [].
stmts, cur = [], []
for t in toks[3:-1]:
    if t == ("p", ";"):
        stmts.append(cur)
        cur = []
    else:
        cur.append(t)
assert not cur, cur
def attrs(ts):
    assert ts[0] == ("p", "[") and ts[-1] == ("p", "]"), ts
    out, body = {}, ts[1:-1]
    for i in range(0, len(body), 4):
        k, eq, v = body[i], body[i + 1], body[i + 2]
        assert eq == ("p", "=") and (i + 3 == len(body) or body[i + 3] == ("p", ","))
        out[k[1]] = v[1]
    return out
nodes, edges = {}, []
for s in stmts:
    if s[0][1] in ("graph", "node", "edge"):
        attrs(s[1:])
    elif len(s) > 2 and s[1] == ("p", "->"):
        assert s[0][1] in nodes and s[2][1] in nodes
        edges.append((nodes[s[0][1]]["id"], nodes[s[2][1]]["id"], attrs(s[3:])))
    else:
        nodes[s[0][1]] = attrs(s[1:])
items = [i for i in doc["items"] if i.get("status", "open") == "open"]
assert [n["label"] for n in nodes.values()] == [i["title"] for i in items]
assert len(edges) == len(doc["links"])
for (f, t, a), l in zip(edges, doc["links"]):
    assert (f, t) == (l["from"], l["to"])
    assert a["label"] == l["polarity"] + (" ||" if l.get("delay") else "")
PY

# ---- CSV ----
run 0 "csv" "$T" export "$DOC" --format csv
cp "$tmp/out" "$tmp/items.csv"
python3 - "$DOC" "$tmp/items.csv" <<'PY' || fail "csv checks"
import csv, json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
raw = open(sys.argv[2], "rb").read()
assert raw.endswith(b"\r\n")
rows = list(csv.reader(open(sys.argv[2], encoding="utf-8", newline="")))
assert rows[0] == ["id", "title", "body", "theme", "status", "merged_into",
                   "importance", "uncertainty", "ratings"], rows[0]
themes = {t["id"]: t["name"] for t in doc["themes"]}
assert len(rows) == 1 + len(doc["items"])
for r, it in zip(rows[1:], doc["items"]):
    assert r[:6] == [it["id"], it["title"], it.get("body") or "",
                     themes.get(it.get("theme"), ""), it.get("status", "open"),
                     it.get("merged_into") or ""], r
PY

# ---- -o FILE writes the same bytes ----
run 0 "csv -o" "$T" export "$DOC" --format csv -o "$tmp/o.csv"
[ -s "$tmp/out" ] && fail "-o also wrote to stdout"
cmp -s "$tmp/o.csv" "$tmp/items.csv" || fail "-o FILE differs from stdout"

# ---- errors ----
cat >"$tmp/bad.json" <<'JSON'
{"items": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"},
           {"id": "c", "title": "C"}, {"title": "no id"}],
 "links": [{"from": "a", "to": "b", "polarity": "+"},
           {"from": "b", "to": "c", "polarity": "-"},
           {"from": "c", "to": "x", "polarity": "+"}]}
JSON
run 1 "invalid document" "$T" export "$tmp/bad.json" --format graphml
[ -s "$tmp/out" ] && fail "invalid document: wrote output"
grep -qx "$tmp/bad.json: items\[3\].id: missing" "$tmp/err" || fail "items[3].id message: $(cat "$tmp/err")"
grep -qx "$tmp/bad.json: links\[2\].to: unknown item 'x'" "$tmp/err" || fail "links[2].to message: $(cat "$tmp/err")"
run 1 "invalid document -o" "$T" export "$tmp/bad.json" --format csv -o "$tmp/none.csv"
[ -e "$tmp/none.csv" ] && fail "invalid document: created the -o file"

printf '{"items": [\n  {"id": 1,, }\n]}\n' >"$tmp/broken.json"
run 1 "malformed JSON" "$T" export "$tmp/broken.json" --format dot
grep -q "broken.json:2:12: malformed JSON" "$tmp/err" || fail "malformed JSON: $(cat "$tmp/err")"
run 1 "missing file" "$T" export "$tmp/nothing.json" --format csv
grep -q "cannot read" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
run 2 "no format" "$T" export "$DOC"
run 2 "bad format" "$T" export "$DOC" --format pdf
grep -q "graphml, dot or csv" "$tmp/err" || fail "bad format message: $(cat "$tmp/err")"
run 2 "no document" "$T" export --format csv
run 2 "two documents" "$T" export "$DOC" "$DOC" --format csv
run 2 "unknown option" "$T" export "$DOC" --format csv --frobnicate

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "export: all checks passed"
