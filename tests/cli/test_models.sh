#!/bin/sh
# The model library in models/: every model is sound XMILE with units on
# every variable, checks clean, runs, has the feedback loops its document
# names and a document that lists every parameter; every scenarios file
# runs with `territory compare`; and each model behaves as its document
# says, judged from runs (no reference numbers). Prints the sizes of the
# effects so they are reported.
set -u
command -v python3 >/dev/null 2>&1 || {
    echo "models: python3 is needed to read the runs; skipped"
    exit 77
}
. "$(dirname "$0")/lib/common.sh"

# same_run A.csv B.csv NAME...: the two runs agree exactly in every column
# but the parameters named (which were set to other values).
same_run() {
    python3 - "$@" <<'PY'
import csv, re, sys
a, b = (list(csv.reader(open(p))) for p in sys.argv[1:3])
canon = lambda s: re.sub(r"[\s_]+", "_", s.strip().lower())
moved = {canon(n) for n in sys.argv[3:]}
keep = [i for i, h in enumerate(a[0]) if canon(h) not in moved]
assert len(keep) == len(a[0]) - len(moved), "a moved parameter is not a column"
diff = [(ra[0], a[0][i]) for ra, rb in zip(a, b) for i in keep if ra[i] != rb[i]]
if len(a) != len(b) or diff:
    print("  differs at Time %s in '%s'" % diff[0] if diff else "  row counts differ")
    sys.exit(1)
PY
}

# ---- every model ----------------------------------------------------------
n=0
for m in models/*.xmile; do
    [ -f "$m" ] || continue
    n=$((n + 1))
    name=$(basename "$m" .xmile)
    doc=models/$name.md
    [ -f "$doc" ] || fail "$name: no document $doc"
    run 0 "$name: check" "$T" check "$m"
    grep -q ': ok: ' "$tmp/out" || fail "$name: check summary: $(cat "$tmp/out")"
    run 0 "$name: run" "$T" run "$m" -o "$tmp/$name.csv"
    [ "$(wc -l <"$tmp/$name.csv")" -gt 2 ] || fail "$name: run wrote too few rows"
    "$T" loops "$m" --format json >"$tmp/$name.loops.json" 2>"$tmp/err" ||
        fail "$name: loops json: $(cat "$tmp/err")"
    # XMILE 1.0 in its namespace, units on every variable, no NaN in the
    # run, a reinforcing and a balancing loop each named in the document
    # (every factor on it appears there), and every constant parameter in
    # the document.
    python3 - "$m" "$doc" "$tmp/$name.csv" "$tmp/$name.loops.json" <<'PY' || fail "$name: model, document or loops (above)"
import csv, json, math, re, sys
import xml.etree.ElementTree as ET
model, doc, run, loops = sys.argv[1:5]
ns = "{http://docs.oasis-open.org/xmile/ns/XMILE/v1.0}"
root = ET.parse(model).getroot()
ok = True
def bad(msg):
    global ok
    print("  " + msg)
    ok = False
if root.tag != ns + "xmile" or root.get("version") != "1.0":
    bad("root is not <xmile version=\"1.0\"> in the XMILE 1.0 namespace")
if root.find(ns + "header/" + ns + "vendor") is None:
    bad("no header vendor (Stella wants one)")
if root.find(ns + "sim_specs").get("time_units") is None:
    bad("sim_specs has no time_units")
text = open(doc, encoding="utf-8").read().lower()
canon = lambda s: re.sub(r"[\s_]+", " ", s.strip().lower())
text = canon(text.replace("\\_", "_"))
variables = root.find(ns + "model/" + ns + "variables")
for v in variables:
    kind = v.tag[len(ns):]
    name = v.get("name")
    u = v.find(ns + "units")
    if u is None or not (u.text or "").strip():
        bad("%s '%s' has no units" % (kind, name))
    eqn = (v.findtext(ns + "eqn") or "").strip()
    if kind == "aux" and re.fullmatch(r"[0-9.]+(\s*/\s*[0-9.]+)?", eqn):
        if canon(name) not in text:
            bad("parameter '%s' is not in the document" % name)
rows = list(csv.reader(open(run)))
for r in rows[1:]:
    for x in r:
        if not math.isfinite(float(x)):
            bad("run has a value that is not finite: %s" % r)
            break
d = json.load(open(loops))
for pol, word in (("R", "reinforcing"), ("B", "balancing")):
    found = [l for l in d["loops"] if l["polarity"] == pol]
    if not found:
        bad("no %s loop found" % word)
        continue
    if word not in text:
        bad("the document never says '%s'" % word)
    named = [l for l in found if all(canon(x) in text for x in l["nodes"])]
    if not named:
        bad("no %s loop has all its factors named in the document, e.g. %s"
            % (word, " -> ".join(found[0]["nodes"])))
    else:
        print("  %s: %d loops; the document names %s: %s" % (
            model, len(d["loops"]), word, " -> ".join(named[0]["nodes"])))
sys.exit(0 if ok else 1)
PY
    s=models/$name.scenarios.json
    if [ -f "$s" ]; then
        run 0 "$name: compare" "$T" compare "$m" --scenario "$s" --format csv -o "$tmp/$name.cmp.csv"
        python3 - "$s" "$tmp/$name.cmp.csv" "$doc" <<'PY' || fail "$name: scenarios (above)"
import csv, json, sys
names = [s["name"] for s in json.load(open(sys.argv[1]))["scenarios"]]
got = {r["scenario"] for r in csv.DictReader(open(sys.argv[2]))}
doc = open(sys.argv[3], encoding="utf-8").read().lower()
ok = True
for n in names:
    if n not in got:
        print("  scenario '%s' missing from the comparison" % n)
        ok = False
    if n.lower() not in doc:
        print("  scenario '%s' is not described in the document" % n)
        ok = False
sys.exit(0 if ok else 1)
PY
    else
        fail "$name: no scenarios file $s"
    fi
done
[ "$n" -ge 3 ] || fail "expected at least 3 models in models/, found $n"

# ---- demand-spend: protecting prevention ends with fewer crisis cases ----
if [ -f "$tmp/demand-spend.cmp.csv" ]; then
    python3 - "$tmp/demand-spend.cmp.csv" <<'PY' || fail "demand-spend behaviour (above)"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def series(s, v):
    return [(float(r["Time"]), float(r[v])) for r in rows if r["scenario"] == s]
base = series("baseline", "Crisis Cases")
prot = series("protect prevention", "Crisis Cases")
deep = series("deeper cuts", "Crisis Cases")
b, p, d = base[-1][1], prot[-1][1], deep[-1][1]
print("  demand-spend: protecting prevention ends year %g with %.0f crisis cases "
      "against %.0f (%+.0f%%); deeper cuts %+.0f%%" % (
          base[-1][0], p, b, 100 * (p / b - 1), 100 * (d / b - 1)))
ok = p < b and d >= b
# the vicious cycle: in the baseline prevention spend runs out while crisis
# cases grow faster after it does
ps = series("baseline", "prevention spend")
zero = [t for t, x in ps if x <= 0]
if not zero:
    print("  baseline: prevention spend never runs out")
    ok = False
else:
    print("  demand-spend: the baseline's prevention spend runs out in year %g" % zero[0])
sys.exit(0 if ok else 1)
PY
fi

# ---- failure-demand --------------------------------------------------------
fd=models/failure-demand.xmile
if [ -f "$fd" ]; then
    # Off is the base case exactly: with the switch at 0, no locality
    # parameter can change a single number.
    run 0 "fd off" "$T" run "$fd" --set locality_working=0 -o "$tmp/fd_off.csv"
    run 0 "fd off, locality parameters moved" "$T" run "$fd" --set locality_working=0 \
        --set locality_resolution=0.9 --set locality_handoff_rate=0.01 \
        --set transition_dip=0.3 --set time_to_mature=3 --set transition_cost=9e6 \
        --set cost_per_locality_contact=1 --set strengths_demand_reduction=0.5 \
        --set time_to_build_strengths=10 --set locality_start=1 -o "$tmp/fd_off2.csv"
    same_run "$tmp/fd_off.csv" "$tmp/fd_off2.csv" locality_resolution \
        locality_handoff_rate transition_dip time_to_mature transition_cost \
        cost_per_locality_contact strengths_demand_reduction \
        time_to_build_strengths locality_start ||
        fail "failure-demand: locality parameters change the run with locality working off"
    run 0 "fd on" "$T" run "$fd" -o "$tmp/fd_on.csv"
    run 0 "fd compare" "$T" compare "$fd" --scenario models/failure-demand.scenarios.json \
        --format csv -o "$tmp/fd_cmp.csv"
    python3 - "$tmp/fd_off.csv" "$tmp/fd_on.csv" "$tmp/fd_cmp.csv" <<'PY' || fail "failure-demand behaviour (above)"
import csv, sys
def load(path):
    return list(csv.DictReader(open(path)))
off, on, cmp_rows = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
def col(rows, v):
    return [float(r[v]) for r in rows]
def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
ok = True
def check(cond, msg):
    global ok
    if not cond:
        print("  " + msg)
        ok = False
# The base case is a steady state at the measured share of failure demand.
for v in ("total demand", "weekly cost", "Specialist Queues", "Unmet Needs"):
    s = col(off, v)
    check(all(close(x, s[0]) for x in s), "base case: '%s' is not steady" % v)
check(all(close(a, b) for a, b in zip(col(off, "failure share"),
                                      col(off, "measured failure share"))),
      "base case: failure share differs from measured failure share")
check(all(close(a, b) for a, b in zip(col(off, "weekly cost"), col(off, "base weekly cost"))),
      "base weekly cost differs from the base run's weekly cost")
# The scenario 'base case' is the run with the switch off.
bc = [r for r in cmp_rows if r["scenario"] == "base case"]
check(len(bc) == len(off) and all(close(float(a["weekly cost"]), float(b["weekly cost"]))
                                  for a, b in zip(bc, off)),
      "scenario 'base case' is not the run with locality working off")
# Central values: demand and cost end lower.
d0, d1 = col(off, "total demand")[-1], col(on, "total demand")[-1]
c0, c1 = col(off, "weekly cost")[-1], col(on, "weekly cost")[-1]
end = float(on[-1]["Time"])
check(d1 < d0, "central: total demand does not fall (%g against %g)" % (d1, d0))
check(c1 < c0, "central: weekly cost does not fall (%g against %g)" % (c1, c0))
print("  failure-demand: locality working cuts week-%g weekly cost by %.0f%% and "
      "demand by %.0f%% (failure share %.0f%% -> %.0f%%)" % (
          end, 100 * (1 - c1 / c0), 100 * (1 - d1 / d0),
          100 * col(off, "failure share")[-1], 100 * col(on, "failure share")[-1]))
# The transition dip: cost rises above the base case before it falls below.
times = col(on, "Time")
cost = col(on, "weekly cost")
above = [i for i, c in enumerate(cost) if c > c0 * (1 + 1e-9)]
below = [i for i, c in enumerate(cost) if c < c0 * (1 - 1e-9)]
check(above and below and above[0] < below[0],
      "central: no transition dip (cost does not rise above the base case before it falls)")
if above and below:
    peak = max(above, key=lambda i: cost[i])
    print("  failure-demand: the transition raises weekly cost by %.0f%% at week %g; "
          "cost is below the base case from week %g" % (
              100 * (cost[peak] / c0 - 1), times[peak], times[below[0]]))
saving = col(on, "net saving to date")
paid = [t for t, s in zip(times, saving) if t > times[above[0]] and s > 0] if above else []
print("  failure-demand: locality working has paid back its transition by week %s; "
      "5-year net saving %.1fm" % (paid[0] if paid else "never", saving[-1] / 1e6))
# The documented 'does not pay' scenario: cost ends no better than the base.
dnp = [r for r in cmp_rows if r["scenario"] == "does not pay"]
check(len(dnp) > 0, "no 'does not pay' scenario")
if dnp:
    c2 = float(dnp[-1]["weekly cost"])
    d2 = float(dnp[-1]["total demand"])
    check(c2 >= c0, "'does not pay': weekly cost %g is lower than the base case's %g" % (c2, c0))
    print("  failure-demand: 'does not pay' ends with weekly cost %+.0f%% and demand %+.0f%% "
          "against the base case" % (100 * (c2 / c0 - 1), 100 * (d2 / d0 - 1)))
sys.exit(0 if ok else 1)
PY
fi

# ---- restructure-vs-culture -----------------------------------------------
rc=models/restructure-vs-culture.xmile
if [ -f "$rc" ]; then
    run 0 "rc off" "$T" run "$rc" --set restructure=0 --set culture_change=0 -o "$tmp/rc_off.csv"
    run 0 "rc off, parameters moved" "$T" run "$rc" --set restructure=0 --set culture_change=0 \
        --set relationship_loss=0.9 --set restructure_turnover=2 --set norm_setback=5 \
        --set structural_gain=0.5 --set culture_effort=10 --set time_on_culture_work=0.3 \
        -o "$tmp/rc_off2.csv"
    # (relationship loss rate is computed from relationship loss)
    same_run "$tmp/rc_off.csv" "$tmp/rc_off2.csv" relationship_loss \
        restructure_turnover norm_setback structural_gain culture_effort \
        time_on_culture_work relationship_loss_rate ||
        fail "restructure-vs-culture: intervention parameters change the run with both switched off"
    run 0 "rc compare" "$T" compare "$rc" --scenario models/restructure-vs-culture.scenarios.json \
        --format csv -o "$tmp/rc_cmp.csv"
    python3 - "$rc" "$tmp/rc_off.csv" "$tmp/rc_cmp.csv" <<'PY' || fail "restructure-vs-culture behaviour (above)"
import csv, sys
import xml.etree.ElementTree as ET
ns = "{http://docs.oasis-open.org/xmile/ns/XMILE/v1.0}"
params = {v.get("name"): v.findtext(ns + "eqn")
          for v in ET.parse(sys.argv[1]).getroot().iter(ns + "aux")}
r0 = float(params["restructure start"])
rt = float(params["reorganisation time"])
c0 = float(params["culture start"])
off = list(csv.DictReader(open(sys.argv[2])))
rows = list(csv.DictReader(open(sys.argv[3])))
ok = True
def check(cond, msg):
    global ok
    if not cond:
        print("  " + msg)
        ok = False
base = [float(r["performance"]) for r in off]
check(all(abs(x - base[0]) <= 1e-9 for x in base), "base case: performance is not steady")
p0 = base[0]
def series(s):
    return [(float(r["Time"]), float(r["performance"])) for r in rows if r["scenario"] == s]
def at(ser, t):
    return min(ser, key=lambda tp: abs(tp[0] - t))[1]
res = series("restructure only")
cul = series("culture change only")
check(res and cul, "scenarios 'restructure only' and 'culture change only' are needed")
if res and cul:
    # The restructure: a dip during the disruption, at its deepest by the
    # time the reorganisation ends.
    low_t, low = min(res, key=lambda tp: tp[1])
    check(low < p0 * 0.99, "restructure: no dip in performance (lowest %g)" % low)
    check(r0 <= low_t <= r0 + rt + 0.5,
          "restructure: the dip is at year %g, not during the disruption (%g to %g)"
          % (low_t, r0, r0 + rt))
    back = [t for t, p in res if t > low_t and p >= p0]
    print("  restructure-vs-culture: the restructure cuts performance by %.0f%% at year %g; "
          "back to today's level by year %s; year %g: %+.0f%%" % (
              100 * (1 - low / p0), low_t, back[0] if back else "never",
              res[-1][0], 100 * (res[-1][1] / p0 - 1)))
    # Culture change: slower to start. After a year it has a small part of
    # its eventual gain, and in its first half-year it moves performance
    # less than the restructure does.
    g_end = cul[-1][1] - p0
    g_1 = at(cul, c0 + 1) - p0
    check(g_end > 0, "culture change: no gain by the end")
    check(g_1 < 0.25 * g_end,
          "culture change: not slow to start (%.3f after a year, %.3f at the end)" % (g_1, g_end))
    move_r = abs(at(res, r0 + 0.5) - p0)
    move_c = abs(at(cul, c0 + 0.5) - p0)
    check(move_c < move_r, "culture change moves performance as fast as the restructure "
          "in the first half-year (%.3f against %.3f)" % (move_c, move_r))
    print("  restructure-vs-culture: culture change gives %+.1f%% after a year and "
          "%+.0f%% by year %g" % (100 * g_1 / p0, 100 * g_end / p0, cul[-1][0]))
sys.exit(0 if ok else 1)
PY
fi

if [ "$fails" -ne 0 ]; then
    echo "models: $fails failed"
    exit 1
fi
echo "models: all passed"
