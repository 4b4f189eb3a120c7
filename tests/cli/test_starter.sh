#!/bin/sh
# Checks the starter workspace (workspaces/starter.json): the documented
# workspace-document shape (docs/http-api.md, "The workspace document"),
# that it is big enough and every id resolves, that every quote is found
# verbatim in the source material it cites, and that `territory loops`
# finds both reinforcing and balancing loops in it.
# TERRITORY_STARTER names another document to check (to see the test fail on
# a broken copy); TERRITORY_SOURCE_MATERIAL the folder of source texts.
set -u
T=${TERRITORY:-build/territory}
DOC=${TERRITORY_STARTER:-workspaces/starter.json}
SRC=${TERRITORY_SOURCE_MATERIAL:-../shared/source-material}

if ! command -v python3 >/dev/null 2>&1; then
    echo "starter: python3 not found, skipped"
    exit 77
fi
if [ ! -f "$DOC" ]; then
    echo "FAIL: $DOC: no such file"
    exit 1
fi
if [ ! -d "$SRC" ]; then
    # Only the quote check needs the texts; the rest still runs.
    echo "starter: $SRC not found, quote check skipped"
    SRC=
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# The shape, the ids and the quotes. Prints one line per problem, with the
# field path, and exits 1 when there is any.
python3 - "$DOC" "$SRC" <<'PY' || fails=$((fails + 1))
import json, os, re, sys

path, src = sys.argv[1], sys.argv[2]
problems = []


def bad(where, msg):
    problems.append(f"{path}: {where}: {msg}")


def text(obj, key, where, empty_ok=False):
    v = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(v, str) or (not empty_ok and not v.strip()):
        bad(f"{where}.{key}", "missing or not a non-empty string")
        return None
    return v


try:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
except (OSError, ValueError) as e:
    print(f"FAIL: {path}: not valid JSON: {e}")
    sys.exit(1)
if not isinstance(doc, dict):
    print(f"FAIL: {path}: top level is not an object")
    sys.exit(1)

if doc.get("format") != "territory-workspace":
    bad("format", "not 'territory-workspace'")
if doc.get("version") != 1:
    bad("version", "not 1")
if doc.get("slug") != "local-public-service-reform":
    bad("slug", "not 'local-public-service-reform'")
text(doc, "name", "$")
text(doc, "description", "$")
for key in ("themes", "items", "links"):
    if not isinstance(doc.get(key), list):
        bad(key, "missing or not a list")
        doc[key] = []

theme_ids, colours = set(), set()
for n, t in enumerate(doc["themes"]):
    w = f"themes[{n}]"
    if not isinstance(t, dict):
        bad(w, "not an object")
        continue
    tid = text(t, "id", w)
    text(t, "name", w)
    c = text(t, "color", w)
    if tid in theme_ids:
        bad(f"{w}.id", f"duplicate theme '{tid}'")
    theme_ids.add(tid)
    if c is not None:
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", c):
            bad(f"{w}.color", f"not #rrggbb: '{c}'")
        elif c.lower() in colours:
            bad(f"{w}.color", f"colour '{c}' used twice")
        colours.add(c.lower())
if not 5 <= len(doc["themes"]) <= 8:
    bad("themes", f"{len(doc['themes'])} themes, wanted 5 to 8")

item_ids = set()
quotes = []  # (where of the document, where of the quote, document, quote)
for n, it in enumerate(doc["items"]):
    w = f"items[{n}]"
    if not isinstance(it, dict):
        bad(w, "not an object")
        continue
    iid = text(it, "id", w)
    if iid in item_ids:
        bad(f"{w}.id", f"duplicate item '{iid}'")
    item_ids.add(iid)
    text(it, "title", w)
    text(it, "body", w)
    if it.get("theme") not in theme_ids:
        bad(f"{w}.theme", f"unknown theme '{it.get('theme')}'")
    if it.get("status") != "open":
        bad(f"{w}.status", "not 'open'")
    s = it.get("source")
    if not isinstance(s, dict):
        bad(f"{w}.source", "missing: every item cites its source")
    else:
        d = text(s, "document", f"{w}.source")
        q = text(s, "quote", f"{w}.source")
        if d is not None and q is not None:
            quotes.append((f"{w}.source.document", f"{w}.source.quote", d, q))
    ev = it.get("evidence", [])
    if not isinstance(ev, list):
        bad(f"{w}.evidence", "not a list")
        ev = []
    for k, e in enumerate(ev):
        ew = f"{w}.evidence[{k}]"
        if not isinstance(e, dict) or e.get("kind") not in ("story", "quote", "figure"):
            bad(ew, "not an object with kind story, quote or figure")
            continue
        t = text(e, "text", ew)
        es = e.get("source")
        if e.get("kind") == "quote" and isinstance(es, str) and es.startswith("source-material/") and t:
            quotes.append((f"{ew}.source", f"{ew}.text", es, t))
for n, it in enumerate(doc["items"]):
    m = it.get("merged_into") if isinstance(it, dict) else None
    if m is not None and m not in item_ids:
        bad(f"items[{n}].merged_into", f"unknown item '{m}'")
if len(doc["items"]) < 40:
    bad("items", f"{len(doc['items'])} items, wanted at least 40")

pairs, linked = set(), set()
for n, l in enumerate(doc["links"]):
    w = f"links[{n}]"
    if not isinstance(l, dict):
        bad(w, "not an object")
        continue
    a, b = l.get("from"), l.get("to")
    for key, v in (("from", a), ("to", b)):
        if v not in item_ids:
            bad(f"{w}.{key}", f"unknown item '{v}'")
    if a == b:
        bad(w, f"links '{a}' to itself")
    if (a, b) in pairs:
        bad(w, f"duplicate link '{a}' -> '{b}'")
    pairs.add((a, b))
    linked.update((a, b))
    if l.get("polarity") not in ("+", "-"):
        bad(f"{w}.polarity", f"not '+' or '-': '{l.get('polarity')}'")
    if not isinstance(l.get("delay"), bool):
        bad(f"{w}.delay", "not true or false")
    text(l, "note", w)
if len(doc["links"]) < 50:
    bad("links", f"{len(doc['links'])} links, wanted at least 50")
unlinked = sorted(i for i in item_ids if i not in linked)
if len(unlinked) * 4 > len(item_ids):
    bad("links", f"most items should be linked; unlinked: {', '.join(unlinked)}")

# Every quote must be in the file it names, character for character.
if src:
    cache = {}
    for wd, wq, d, q in quotes:
        name = d[len("source-material/"):] if d.startswith("source-material/") else None
        if not name or "/" in name:
            bad(wd, f"not 'source-material/<file name>': '{d}'")
            continue
        if name not in cache:
            try:
                with open(os.path.join(src, name), encoding="utf-8") as f:
                    cache[name] = f.read()
            except OSError:
                cache[name] = None
        if cache[name] is None:
            bad(wd, f"no such source '{d}'")
        elif q not in cache[name]:
            bad(wq, f"not found verbatim in '{d}': '{q}'")

for p in problems:
    print("FAIL: " + p)
print(f"starter: {len(doc['items'])} items, {len(doc['links'])} links, "
      f"{len(doc['themes'])} themes, {len(quotes)} quotes"
      + ("" if src else " (not checked)"))
sys.exit(1 if problems else 0)
PY

# `territory loops` reads the document and finds R and B loops in it.
if [ ! -x "$T" ]; then
    fail "$T: no such binary (run make first)"
else
    "$T" loops "$DOC" --format json >"$tmp/loops.json" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "territory loops: exit $rc ($(head -c 300 "$tmp/err"))"
    else
        python3 - "$tmp/loops.json" <<'PY' || fails=$((fails + 1))
import json, sys

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        out = json.load(f)
    kinds = [l["polarity"] for l in out["loops"]]
except (OSError, ValueError, KeyError, TypeError) as e:
    print(f"FAIL: territory loops: unreadable output: {e}")
    sys.exit(1)
r, b = kinds.count("R"), kinds.count("B")
print(f"starter: {out.get('count')} loops, {r} R and {b} B listed")
if r < 1 or b < 1:
    print("FAIL: territory loops: wanted at least one R and one B loop")
    sys.exit(1)

# The main loops the source material describes, by the titles of their
# factors, with the polarity the texts give them.
main = {
    "the vicious cycle of demand and spend": ("R", [
        "Demand for services keeps rising",
        "Spending on each need keeps falling",
        "Failure demand: work caused by not getting it right first time"]),
    "efficiency drives fragment services and make failure demand": ("R", [
        "Demand for services keeps rising",
        "Pressures on services remain high",
        "Efficiency measures are forced through",
        "Services become more fragmented and dysfunctional",
        "Failure demand: work caused by not getting it right first time"]),
    "rationing holds demand down": ("B", [
        "Demand for services keeps rising",
        "Pressures on services remain high",
        "Help is rationed to those most in need"]),
    "efficiency measures hold costs down": ("B", [
        "The cost of running services",
        "Pressures on services remain high",
        "Efficiency measures are forced through"]),
    "letting go builds community-led solutions": ("R", [
        "Officers let go of control for systems leadership",
        "Resilient, community-led solutions",
        "People create new ways to collaborate",
        "Hierarchical councils\u2019 legitimacy is challenged"]),
}
found = {tuple(sorted(l["nodes"])): l for l in out["loops"]}
bad = 0
for name, (pol, nodes) in main.items():
    l = found.get(tuple(sorted(nodes)))
    if l is None:
        print(f"FAIL: loop '{name}' not found")
        bad += 1
    elif l["polarity"] != pol:
        print(f"FAIL: loop '{name}' is {l['polarity']}, wanted {pol}")
        bad += 1
if bad:
    sys.exit(1)
print(f"starter: the {len(main)} main loops have their polarities")
PY
    fi
fi

if [ "$fails" -ne 0 ]; then
    echo "starter workspace: $fails failed"
    exit 1
fi
echo "starter workspace: all passed"
