#!/bin/sh
# `territory ensemble` and `territory compare` end to end: output shapes,
# reproducibility by seed, the numbers of a model whose answer is known,
# and the messages for bad input.
set -u
. "$(dirname "$0")/lib/common.sh"

# Level(t) = 10 + rate * t: at t = 4, Level's percentiles are 10 + 4 * rate's.
cat >"$tmp/m.xmile" <<'X'
<xmile><sim_specs><start>0</start><stop>4</stop><dt>0.5</dt><save_step>1</save_step></sim_specs>
<model><variables>
<stock name="Level"><eqn>10</eqn><inflow>fill</inflow></stock>
<flow name="fill"><eqn>rate</eqn></flow>
<aux name="rate"><eqn>2</eqn></aux>
</variables></model></xmile>
X

run 0 "ensemble csv" "$T" ensemble "$tmp/m.xmile" --runs 400 --vary 'rate=uniform(1,3)' --seed 3
cp "$tmp/out" "$tmp/a.csv"
[ "$(head -1 "$tmp/a.csv")" = "variable,Time,p5,p25,p50,p75,p95,mean" ] || fail "csv header: $(head -1 "$tmp/a.csv")"
[ "$(wc -l <"$tmp/a.csv")" -eq 16 ] || fail "csv rows: $(wc -l <"$tmp/a.csv")"
[ -s "$tmp/err" ] && fail "progress bar or noise on a non-terminal: $(cat "$tmp/err")"
python3 - "$tmp/a.csv" <<'PY' || fail "ensemble numbers"
import csv, sys
rows = {(r["variable"], float(r["Time"])): r for r in csv.DictReader(open(sys.argv[1]))}
rate = rows[("rate", 4.0)]
level = rows[("Level", 4.0)]
for k, p in (("p5", 5), ("p25", 25), ("p50", 50), ("p75", 75), ("p95", 95)):
    r = float(rate[k])
    # LHS on uniform(1, 3): the p-th percentile is within a stratum of 1 + 2p/100
    assert abs(r - (1 + 2 * p / 100)) <= 2 / 400 + 1e-6, (k, r)
    assert abs(float(level[k]) - (10 + 4 * r)) <= 1e-4 * (10 + 4 * r), (k, level[k], r)
assert abs(float(rows[("Level", 0.0)]["p95"]) - 10) < 1e-9
PY
run 0 "same seed" "$T" ensemble "$tmp/m.xmile" --runs 400 --vary 'rate=uniform(1,3)' --seed 3 --jobs 1
cmp -s "$tmp/out" "$tmp/a.csv" || fail "same seed, other thread count: different output"
run 0 "other seed" "$T" ensemble "$tmp/m.xmile" --runs 400 --vary 'rate=uniform(1,3)' --seed 4
cmp -s "$tmp/out" "$tmp/a.csv" && fail "another seed gave the same output"
run 0 "ensemble json" "$T" ensemble "$tmp/m.xmile" --runs 50 --vary 'rate=normal(2,0.5)' --vars Level --format json -o "$tmp/e.json"
python3 - "$tmp/e.json" <<'PY' || fail "ensemble json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["runs"] == 50 and d["percentiles"] == [5, 25, 50, 75, 95]
assert d["vary"] == [{"name": "rate", "dist": "normal", "params": [2, 0.5]}]
assert [v["name"] for v in d["vars"]] == ["Level"] and len(d["time"]) == 5
v = d["vars"][0]
for t in range(5):
    assert v["p5"][t] <= v["p25"][t] <= v["p50"][t] <= v["p75"][t] <= v["p95"][t]
PY

# --set fixes a value for every run: Level's initial 100 moves every band.
run 0 "ensemble --set" "$T" ensemble "$tmp/m.xmile" --runs 400 --vary 'rate=uniform(1,3)' --seed 3 --set Level=100 --vars Level
grep -q '^Level,0,100,100,100,100,100,100$' "$tmp/out" || fail "ensemble --set: $(head -3 "$tmp/out")"
run 1 "ensemble --set bad" "$T" ensemble "$tmp/m.xmile" --runs 4 --vary 'rate=uniform(1,3)' --set Level=lots
grep -q -- "--set Level: 'lots' is not a number" "$tmp/err" || fail "--set message: $(cat "$tmp/err")"

# Bad input: the column of the problem, with the spec and a caret.
run 1 "bad distribution" "$T" ensemble "$tmp/m.xmile" --runs 5 --vary 'rate=unifrom(1,3)'
grep -q "^--vary:1:6: error: unknown distribution 'unifrom'" "$tmp/err" || grep -q "^--vary:1:6: unknown distribution 'unifrom'" "$tmp/err" || fail "bad distribution message: $(cat "$tmp/err")"
grep -q '^ *\^' "$tmp/err" || fail "no caret: $(cat "$tmp/err")"
run 1 "unknown variable" "$T" ensemble "$tmp/m.xmile" --runs 5 --vary 'rte=uniform(1,3)'
grep -q "unknown variable 'rte'" "$tmp/err" || fail "unknown variable message: $(cat "$tmp/err")"
run 2 "no runs" "$T" ensemble "$tmp/m.xmile" --vary 'rate=uniform(1,3)'
run 2 "bad runs" "$T" ensemble "$tmp/m.xmile" --runs many --vary 'rate=uniform(1,3)'

# compare: the baseline and two scenarios, at two times.
cat >"$tmp/s.json" <<'J'
{"scenarios": [
  {"name": "fast", "description": "twice the rate", "set": {"rate": 4}},
  {"name": "stop", "set": {"rate": 0}}
]}
J
run 0 "compare text" "$T" compare "$tmp/m.xmile" --scenario "$tmp/s.json" --vars Level --at 2,4
grep -q '^variable .*baseline .*fast .*stop' "$tmp/out" || fail "compare header: $(cat "$tmp/out")"
grep -q '^Level  *4  *18  *26 (+44.4%)  *10 (-44.4%)' "$tmp/out" || fail "compare row: $(cat "$tmp/out")"
run 0 "compare csv" "$T" compare "$tmp/m.xmile" --scenario "$tmp/s.json" --format csv
[ "$(head -1 "$tmp/out")" = "scenario,Time,Level,fill,rate" ] || fail "compare csv header: $(head -1 "$tmp/out")"
grep -q '^fast,4,26,4,4$' "$tmp/out" || fail "compare csv row: $(cat "$tmp/out")"
run 0 "compare json" "$T" compare "$tmp/m.xmile" --scenario "$tmp/s.json" --vars Level --format json --no-baseline
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [s["name"] for s in d["scenarios"]] == ["fast", "stop"], d["scenarios"]
assert d["vars"][0]["series"] == [[10, 14, 18, 22, 26], [10, 10, 10, 10, 10]], d["vars"]
assert d["table"] == [{"var": "Level", "time": 4, "values": [26, 10]}], d["table"]
' <"$tmp/out" || fail "compare json: $(head -c 400 "$tmp/out")"
printf '{"name": "x", "set": {"rat": 1}}' >"$tmp/bad.json"
run 1 "compare unknown" "$T" compare "$tmp/m.xmile" --scenario "$tmp/bad.json"
grep -q "unknown variable 'rat'" "$tmp/err" || fail "compare unknown message: $(cat "$tmp/err")"
grep -q "in scenario 'x'" "$tmp/err" || fail "compare names the scenario: $(cat "$tmp/err")"
printf '{"name": "x",\n "set": [}' >"$tmp/broken.json"
run 1 "compare broken" "$T" compare "$tmp/m.xmile" --scenario "$tmp/broken.json"
grep -q "broken.json:2:.*malformed JSON" "$tmp/err" || fail "broken json message: $(cat "$tmp/err")"
run 1 "compare at" "$T" compare "$tmp/m.xmile" --scenario "$tmp/s.json" --at 2.5
grep -q -- "--at: 2.5 is not a saved time (saved from 0 to 4)" "$tmp/err" || fail "--at message: $(cat "$tmp/err")"
run 2 "compare no scenario" "$T" compare "$tmp/m.xmile"

if [ "$fails" -ne 0 ]; then
    echo "scenario cli: $fails failed"
    exit 1
fi
echo "scenario cli: all passed"
