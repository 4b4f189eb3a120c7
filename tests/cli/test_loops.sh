#!/bin/sh
# End-to-end tests of `territory loops` on a map document and on a model.
set -u
. "$(dirname "$0")/lib/common.sh"

# The demand-spend cycle as a map: demand and spend, prevention, crisis.
cat >"$tmp/map.json" <<'JSON'
{"items": [
  {"id": "d", "title": "crisis demand"},
  {"id": "s", "title": "crisis spend"},
  {"id": "p", "title": "prevention spend"},
  {"id": "w", "title": "waiting lists"}
 ],
 "links": [
  {"from": "d", "to": "s", "polarity": "+"},
  {"from": "s", "to": "p", "polarity": "-"},
  {"from": "p", "to": "d", "polarity": "-", "delay": true},
  {"from": "d", "to": "w", "polarity": "+"},
  {"from": "w", "to": "d", "polarity": "-"},
  {"from": "w", "to": "w", "polarity": "?"}
 ]}
JSON
run 0 "loops text" "$T" loops "$tmp/map.json"
grep -q '^3 loops$' "$tmp/out" || fail "count line: $(head -1 "$tmp/out")"
grep -q '^?1 .*length 1 .*waiting lists -> waiting lists$' "$tmp/out" || fail "self-loop: $(cat "$tmp/out")"
grep -q '^B1 .*length 2 .*crisis demand -> waiting lists -> crisis demand$' "$tmp/out" || fail "balancing loop: $(cat "$tmp/out")"
grep -q '^R1 .*length 3 .*delay .*crisis demand -> crisis spend -> prevention spend -> crisis demand$' "$tmp/out" || fail "vicious cycle: $(cat "$tmp/out")"

run 0 "loops json --max 1" "$T" loops "$tmp/map.json" --format json --max 1
tr -d ' \n' <"$tmp/out" >"$tmp/flat"
grep -q '"count":3,"exact":true,"listed":1,"loops":\[{"id":"?1","polarity":"?","length":1,"delay":false,"nodes":\["waitinglists"\]}\]' "$tmp/flat" || fail "json: $(cat "$tmp/flat")"

run 0 "leverage" "$T" loops "$tmp/map.json" --leverage --format json
tr -d ' \n' <"$tmp/out" >"$tmp/flat"
grep -q '{"name":"crisisdemand","loops":2,"in":2,"out":2,"betweenness":' "$tmp/flat" || fail "leverage: $(cat "$tmp/flat")"

# A model: the demo's vicious cycle is found and reinforcing.
run 0 "loops model" "$T" loops models/demand-spend.xmile
grep -q '^R[0-9]* .*length 6 .*Crisis Cases -> crisis spend -> prevention spend -> prevention capacity -> prevention coverage -> escalation -> Crisis Cases$' "$tmp/out" || fail "model loop: $(cat "$tmp/out")"

# Dominance: logistic growth with a births loop and a crowding loop; the
# balancing loop takes over at the inflection point (t = ln 999 / 0.3 = 23).
cat >"$tmp/logistic.xmile" <<'XML'
<xmile><sim_specs><start>0</start><stop>40</stop><dt>0.25</dt><save_step>1</save_step></sim_specs><model><variables>
<stock name="Population"><eqn>1</eqn><inflow>births</inflow><outflow>deaths</outflow></stock>
<flow name="births"><eqn>growth_rate * Population</eqn></flow>
<flow name="deaths"><eqn>growth_rate * Population * Population / capacity</eqn></flow>
<aux name="growth rate"><eqn>0.3</eqn></aux>
<aux name="capacity"><eqn>1000</eqn></aux>
</variables></model></xmile>
XML
run 0 "dominance csv" "$T" dominance "$tmp/logistic.xmile"
[ "$(sed -n 2p "$tmp/out")" = "Time,dominant,R1: Population -> births -> Population,B1: Population -> deaths -> Population" ] || fail "dominance header: $(sed -n 2p "$tmp/out")"
grep -q '^23,R1,' "$tmp/out" || fail "R1 dominates at 23: $(sed -n 25p "$tmp/out")"
grep -q '^24,B1,' "$tmp/out" || fail "B1 dominates at 24: $(sed -n 26p "$tmp/out")"
run 0 "dominance json" "$T" dominance "$tmp/logistic.xmile" --format json
grep -q '"dominant": *\[null, *"R1"' "$tmp/out" || grep -q '"dominant":\[null,"R1"' "$tmp/out" || fail "dominance json: $(head -c 300 "$tmp/out")"

# A Vensim model: the stock's rate is an INTEG expression, and its loops
# get their polarity from it.
cat >"$tmp/pop.mdl" <<'MDL'
Population = INTEG(births - deaths, 100)
~ people ~ |
births = Population * birth rate ~ people/year ~ |
deaths = Population / lifetime ~ people/year ~ |
birth rate = 0.03 ~ 1/year ~ |
lifetime = 70 ~ years ~ |
INITIAL TIME = 0 ~ year ~ |
FINAL TIME = 10 ~ year ~ |
TIME STEP = 1 ~ year ~ |
SAVEPER = TIME STEP ~ year ~ |
MDL
run 0 "mdl loops" "$T" loops "$tmp/pop.mdl"
cp "$tmp/out" "$tmp/mdl.out"
grep -q '^2 loops$' "$tmp/mdl.out" || fail "mdl count: $(cat "$tmp/mdl.out")"
grep -q '^R1 .*length 2 .*Population -> births -> Population$' "$tmp/mdl.out" || fail "mdl R loop: $(cat "$tmp/mdl.out")"
grep -q '^B1 .*length 2 .*Population -> deaths -> Population$' "$tmp/mdl.out" || fail "mdl B loop: $(cat "$tmp/mdl.out")"

# Bad input names the field or the JSON position.
printf '{"items": [{"id": "a"}], "links": [{"from": "a", "to": "zz"}]}' >"$tmp/bad.json"
run 1 "unknown item" "$T" loops "$tmp/bad.json"
grep -q "bad.json: links\[0\].to: unknown item 'zz'" "$tmp/err" || fail "unknown item message: $(cat "$tmp/err")"
printf '{"items": [\n  {"id": "a"},\n]}' >"$tmp/broken.json"
run 1 "malformed json" "$T" loops "$tmp/broken.json"
grep -q 'broken.json:3:1: malformed JSON' "$tmp/err" || fail "json message: $(cat "$tmp/err")"
run 2 "bad --max" "$T" loops "$tmp/map.json" --max lots
run 2 "no file" "$T" loops

if [ "$fails" -ne 0 ]; then
    echo "loops cli: $fails failed"
    exit 1
fi
echo "loops cli: all passed"
