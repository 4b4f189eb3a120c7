#!/bin/sh
# End-to-end tests of `territory demand`: the generator reproduces the
# committed sample log byte for byte; the JSON report on that log has the
# documented shape and its totals add up (checked against Python's own
# reading of the CSV); the HTML report parses and escapes hostile text;
# errors exit with the documented codes and file:line messages.
set -u
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 is needed"; exit 77; }
. "$(dirname "$0")/lib/common.sh"
log=demand/housing-repairs.csv

# The sample log is exactly what the generator writes.
python3 scripts/gen-contacts.py --seed 7 --rows 400 >"$tmp/gen.csv" ||
    fail "gen-contacts.py failed"
cmp -s "$tmp/gen.csv" "$log" || fail "scripts/gen-contacts.py --seed 7 --rows 400 differs from $log"
python3 scripts/gen-contacts.py --seed 8 --rows 50 >"$tmp/gen8.csv" &&
    [ "$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], encoding="utf-8"))) - 1)' "$tmp/gen8.csv")" -eq 50 ] ||
    fail "--rows 50 does not give 50 rows"

# JSON: shape and totals.
run 0 "json" "$T" demand "$log" --rules demand/rules.txt --split 2026-03-02 --format json
cp "$tmp/out" "$tmp/report.json"
grep -q "^$log:[0-9][0-9]*: warning: row rejected: " "$tmp/err" || fail "rejected rows not on stderr: $(cat "$tmp/err")"
python3 - "$tmp/report.json" "$log" <<'PY' || fail "json report checks"
import csv, json, math, re, sys
r = json.load(open(sys.argv[1]))
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

for k in ("total", "value", "failure", "unclassified", "rejected",
          "suggested", "by_service", "by_channel", "by_type", "pareto",
          "first_contact", "handoffs", "end_to_end", "xmr"):
    check(k in r, "missing key %s" % k)
check(r["value"] + r["failure"] + r["unclassified"] == r["total"],
      "value + failure + unclassified != total")

# Python's own reading of the log: each record's first physical line.
rows, start, prev = [], [], 0
with open(sys.argv[2], encoding="utf-8", newline="") as f:
    rd = csv.reader(f)
    header = next(rd)
    prev = rd.line_num
    for rec in rd:
        rows.append(dict(zip(header, rec)))
        start.append(prev + 1)
        prev = rd.line_num
check(r["total"] + len(r["rejected"]) == len(rows),
      "loaded + rejected (%d + %d) != rows (%d)" %
      (r["total"], len(r["rejected"]), len(rows)))
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
bad = [start[i] for i, row in enumerate(rows)
       if not iso.match(row["received_at"]) or
       (row["handoffs"] and not row["handoffs"].isdigit())]
check([x["line"] for x in r["rejected"]] == bad,
      "rejected lines %s, expected %s" % ([x["line"] for x in r["rejected"]], bad))
check(all(x["reason"] for x in r["rejected"]), "a rejected row without reason")
good = [row for i, row in enumerate(rows) if start[i] not in bad]
check(r["failure"] == sum(1 for x in good if x["demand"] == "failure"),
      "failure count differs from the CSV")
check(r["value"] == sum(1 for x in good if x["demand"] == "value"),
      "value count differs from the CSV")
check(abs(r["failure_share"] - r["failure"] / (r["value"] + r["failure"])) < 1e-9,
      "failure share is not over classified contacts")

for key in ("by_service", "by_channel", "by_type"):
    g = r[key]
    check(sum(x["total"] for x in g) == r["total"], key + " totals")
    check(sum(x["failure"] for x in g) == r["failure"], key + " failure")
    for x in g:
        check(x["value"] + x["failure"] + x["unclassified"] == x["total"],
              key + " group does not add up")
        check(set(x) >= {"name", "total", "share", "failure_share"},
              key + " fields")
    check([x["total"] for x in g] == sorted((x["total"] for x in g), reverse=True),
          key + " not sorted")

for kind in ("failure", "value"):
    p = r["pareto"][kind]
    counts = [x["count"] for x in p]
    check(counts == sorted(counts, reverse=True), "pareto %s not sorted" % kind)
    check(sum(counts) == r[kind], "pareto %s does not cover %s" % (kind, kind))
    check(abs(p[-1]["cumulative"] - 1) < 1e-9, "pareto cumulative ends at 1")
    run = 0
    for x in p:
        run += x["count"]
        check(abs(x["cumulative"] - run / r[kind]) < 1e-9, "cumulative share")

fc = r["first_contact"]
check(fc["yes"] + fc["no"] + fc["not_recorded"] == r["total"], "first contact")
check(abs(fc["share"] - fc["yes"] / (fc["yes"] + fc["no"])) < 1e-9, "fc share")
h = r["handoffs"]
check(sum(x["count"] for x in h["distribution"]) == h["recorded"], "handoffs")
e = r["end_to_end"]
check(e["closed"] + e["open"] + e["closed_before_first_contact"] == e["cases"], "cases")
check(e["min"] <= e["median"] <= e["p85"] <= e["max"], "e2e order")

names = [x["name"] for x in r["xmr"]]
check(names == ["daily_failure_share", "end_to_end_days"], "xmr names %s" % names)
for x in r["xmr"]:
    for k in ("mean", "upper", "lower", "mr_mean", "mr_upper", "points",
              "signals", "parts"):
        check(k in x, "xmr %s lacks %s" % (x["name"], k))
    check(len(x["parts"]) == 2, "two parts with one split")
    check(x["parts"][1]["from"] == "2026-03-02", "split date")
    check(abs(x["upper"] - (x["mean"] + 2.66 * x["mr_mean"])) < 1e-9 or
          x["upper_capped"], "upper limit")
    check(abs(x["mr_upper"] - 3.268 * x["mr_mean"]) < 1e-9, "mr upper")
    check(x["lower"] >= 0, "lower limit floored at 0")
    pts = x["points"]
    check(sum(p["n"] for p in x["parts"]) == len(pts), "parts cover points")
    for p in pts:
        check(set(p) >= {"x", "value", "mr", "signal"}, "point fields")
    for part in x["parts"]:
        if part["n"]:
            first = sum(q["n"] for q in x["parts"][:part["part"]])
            check(pts[first]["mr"] is None, "a part's first point has no mR")
    for s in x["signals"]:
        check(pts[s["first"]]["signal"] is not None, "signal point marked")
share = r["xmr"][0]
check(share["parts"][0]["mean"] > share["parts"][1]["mean"] + 0.1,
      "the sample shows less failure demand after the change")
check(r["suggested"] and all(s["demand"] in ("value", "failure")
                             for s in r["suggested"]), "suggestions")
if errors:
    print("\n".join(errors))
    sys.exit(1)
PY

# Text is the default.
run 0 "text" "$T" demand "$log"
grep -q '^Demand study: demand/housing-repairs.csv$' "$tmp/out" || fail "text title: $(head -2 "$tmp/out")"
grep -q 'shares are of the [0-9]* coded contacts' "$tmp/out" || fail "text does not say what shares are over"
grep -q '^Capability chart: ' "$tmp/out" || fail "text has no capability chart"
grep -q '^Pareto of failure demand types' "$tmp/out" || fail "text has no Pareto"

# HTML with hostile text (in the log and in the rules, which put the
# words in the suggestions and disagreements tables): parses, and the text
# stays text.
cat >"$tmp/hostile.csv" <<'CSV'
id,received_at,channel,service,words,demand,type,what_matters,resolved_first_contact,handoffs,case_id,case_closed_at
"</td><td>",2026-03-02T09:00:00,phone,<b>bold</b>,"<script>alert(1)</script>",,"<img src=x onerror=alert(1)>",,N,1,C1,2026-03-05T10:00:00
h2,2026-03-03T09:00:00,web,"A & B ""quoted""",'single' & <i>,value,report,,Y,0,C1,2026-03-05T10:00:00
h3,2026-03-04T09:00:00,web,x,"]]><!-- -->",,,,Y,0,C1,2026-03-05T10:00:00
h4,not a date <br>,web,x,y,,,,Y,0,,
CSV
printf 'alert => <u>odd</u> & type, failure\n/single/ => wrong <place>, failure\n' >"$tmp/hostile.txt"
run 0 "html" "$T" demand "$tmp/hostile.csv" --rules "$tmp/hostile.txt" --format html -o "$tmp/r.html"
[ -s "$tmp/out" ] && fail "-o also wrote to stdout"
python3 - "$tmp/r.html" <<'PY' || fail "html checks"
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text, self.errors = [], set(), [], []
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.errors.append("event attribute %s" % k)
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else ""))
        else:
            self.stack.pop()
    def handle_data(self, d):
        self.text.append(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
text = "".join(p.text)
err = p.errors
if p.stack:
    err.append("unclosed: %s" % p.stack)
for bad in ("script", "img", "b", "i", "u", "place"):
    if bad in p.tags:
        err.append("hostile <%s> became a tag" % bad)
for want in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
             "<b>bold</b>", "A & B \"quoted\"", "</td><td>", "]]><!-- -->",
             "'single' & <i>", "not a date <br>", "<u>odd</u> & type",
             "wrong <place>"):
    if want not in text:
        err.append("text %r not shown as text" % want)
for want in ("svg", "style", "table"):
    if want not in p.tags:
        err.append("no <%s>" % want)
if "@media print" not in text:
    err.append("no print CSS")
if err:
    print("\n".join(err))
    sys.exit(1)
PY

# --map reads other headers.
printf 'When,What they said,Kind\n2026-03-02T09:00,"When is someone coming?",failure\n2026-03-03T09:00,fix my tap,value\n' >"$tmp/mapped.csv"
run 0 "--map" "$T" demand "$tmp/mapped.csv" --map received_at=When --map 'words=What they said' --map demand=Kind --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if (r["total"],r["failure"],r["value"])==(2,1,1) else 1)' "$tmp/out" || fail "--map: $(head -c 300 "$tmp/out")"

# Errors.
run 1 "missing file" "$T" demand "$tmp/none.csv"
grep -q "^$tmp/none.csv: cannot read: " "$tmp/err" || fail "missing file message: $(cat "$tmp/err")"
printf '2026-03-02,failure\n' >"$tmp/noheader.csv"
run 1 "no header" "$T" demand "$tmp/noheader.csv"
grep -q "^$tmp/noheader.csv:1: no 'received_at' column in the header" "$tmp/err" || fail "no header message: $(cat "$tmp/err")"
: >"$tmp/empty.csv"
run 1 "empty file" "$T" demand "$tmp/empty.csv"
grep -q "^$tmp/empty.csv:1: no header row" "$tmp/err" || fail "empty message: $(cat "$tmp/err")"
run 1 "unmapped header" "$T" demand "$tmp/mapped.csv" --map received_at=Date
grep -q "^$tmp/mapped.csv:1: no column 'Date' in the header" "$tmp/err" || fail "map message: $(cat "$tmp/err")"
printf '# rules\nok => fine, value\nbroken => type, maybe\n' >"$tmp/rules.txt"
run 1 "bad rules" "$T" demand "$log" --rules "$tmp/rules.txt"
grep -q "^$tmp/rules.txt:3:17: expected value or failure, not 'maybe'$" "$tmp/err" || fail "rules message: $(cat "$tmp/err")"
run 2 "bad split" "$T" demand "$log" --split 2026-02-30
grep -q "split takes a date YYYY-MM-DD" "$tmp/err" || fail "split message: $(cat "$tmp/err")"
run 2 "bad format" "$T" demand "$log" --format pdf
run 2 "bad map" "$T" demand "$log" --map nosuch=X
grep -q "unknown column 'nosuch' in --map" "$tmp/err" || fail "map usage message: $(cat "$tmp/err")"
run 2 "unknown option" "$T" demand "$log" --frobnicate
run 2 "no file" "$T" demand

# A gigabyte of junk is refused by the size cap, quickly and plainly (a
# sparse file: it takes no disk).
if truncate -s 1G "$tmp/junk.csv" 2>/dev/null; then
    run 1 "1 GB of junk" timeout 20 "$T" demand "$tmp/junk.csv"
    grep -q "junk.csv: cannot read: larger than 64 MiB" "$tmp/err" || fail "size cap message: $(cat "$tmp/err")"
    rm -f "$tmp/junk.csv"
fi

[ "$fails" -eq 0 ]
