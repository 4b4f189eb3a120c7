#!/bin/sh
# End-to-end tests of `territory dominance --loops all|strongest`: which
# method produced the loop set is said in the output; a model with more
# loops than --max gets strongest-path discovery; World3 (from
# ../shared/bench-models, skipped when absent) finishes in seconds.
set -u
. "$(dirname "$0")/lib/common.sh"

cat >"$tmp/logistic.xmile" <<'XML'
<xmile><sim_specs><start>0</start><stop>40</stop><dt>0.25</dt><save_step>1</save_step></sim_specs><model><variables>
<stock name="Population"><eqn>1</eqn><inflow>births</inflow><outflow>deaths</outflow></stock>
<flow name="births"><eqn>0.3 * Population</eqn></flow>
<flow name="deaths"><eqn>0.3 * Population * Population / 1000</eqn></flow>
</variables></model></xmile>
XML

# Two loops fit in --max: every one is scored, and the output says so.
run 0 "all by default" "$T" dominance "$tmp/logistic.xmile"
[ "$(head -1 "$tmp/out")" = "# method: all; 2 loops, every one scored" ] || fail "method line: $(head -1 "$tmp/out")"
run 0 "strongest asked for" "$T" dominance "$tmp/logistic.xmile" --loops strongest --format json
tr -d ' \n' <"$tmp/out" >"$tmp/flat"
grep -q '"method":"strongest","count":2,"exact":true,"scored":2,"listed":2,"times_searched":40,"complete":true' "$tmp/flat" || fail "strongest json: $(head -c 300 "$tmp/flat")"
grep -q '"dominant":\[null,"R1"' "$tmp/flat" || fail "strongest dominant: $(head -c 300 "$tmp/flat")"
# The same relative scores whichever method found the loops.
"$T" dominance "$tmp/logistic.xmile" --loops all --format json | tr -d ' \n' | sed 's/"method":"all",//; s/,"times_searched":40,"complete":true//' >"$tmp/all"
sed 's/"method":"strongest",//; s/,"times_searched":40,"complete":true//' "$tmp/flat" >"$tmp/strong"
cmp -s "$tmp/all" "$tmp/strong" || fail "all and strongest differ: $(head -c 200 "$tmp/all") / $(head -c 200 "$tmp/strong")"
# The loops (--loops) and the integration method (--method) are set apart.
run 0 "rk4 and strongest" "$T" dominance "$tmp/logistic.xmile" --method rk4 --loops strongest
head -1 "$tmp/out" | grep -q '^# method: strongest; 2 loops found at 40 saved times and scored, 2 listed; 2 loops in all$' || fail "rk4 strongest: $(head -1 "$tmp/out")"
run 2 "bad loops" "$T" dominance "$tmp/logistic.xmile" --loops fastest
grep -q "^territory: --loops takes all or strongest$" "$tmp/err" || fail "bad loops message: $(cat "$tmp/err")"
run 2 "bad method" "$T" dominance "$tmp/logistic.xmile" --method strongest
grep -q "^territory: --method takes euler, rk2 or rk4$" "$tmp/err" || fail "bad method message: $(cat "$tmp/err")"

# Five layers of six auxiliaries, each reading all of the layer before:
# 6^5 = 7776 loops, more than --max. The last auxiliary of each layer
# weighs 20 times the others, so the loop through those dominates.
{
    printf '<xmile><sim_specs><start>0</start><stop>10</stop><dt>0.5</dt></sim_specs><model><variables>\n'
    printf '<stock name="S"><eqn>1</eqn><inflow>grow</inflow></stock>\n'
    for l in 1 2 3 4 5; do
        for j in 0 1 2 3 4 5; do
            w=1; [ $j -eq 5 ] && w=20
            if [ $l -eq 1 ]; then
                printf '<aux name="x%s_%s"><eqn>S * %s</eqn></aux>\n' $l $j $w
            else
                p=$((l - 1))
                printf '<aux name="x%s_%s"><eqn>(x%s_0 + x%s_1 + x%s_2 + x%s_3 + x%s_4 + 20 * x%s_5) / 25</eqn></aux>\n' $l $j $p $p $p $p $p $p
            fi
        done
    done
    printf '<flow name="grow"><eqn>0.05 * (x5_0 + x5_1 + x5_2 + x5_3 + x5_4 + 20 * x5_5) / 25</eqn></flow>\n'
    printf '</variables></model></xmile>\n'
} >"$tmp/parallel.xmile"
run 0 "many loops: strongest by default" "$T" dominance "$tmp/parallel.xmile" --max 5
head -1 "$tmp/out" | grep -q '^# method: strongest; [0-9]* loops found at 20 saved times and scored, [0-9]* listed; 7776 loops in all$' || fail "parallel method line: $(head -1 "$tmp/out")"
heavy="S -> x1_5 -> x2_5 -> x3_5 -> x4_5 -> x5_5 -> grow -> S"
sed -n 2p "$tmp/out" | grep -q "R[0-9]*: $heavy" || fail "heavy loop not listed: $(sed -n 2p "$tmp/out")"
id=$(sed -n 2p "$tmp/out" | tr ',' '\n' | grep ": $heavy\$" | cut -d: -f1)
[ "$(sed -n '4,$p' "$tmp/out" | cut -d, -f2 | sort -u)" = "$id" ] || fail "heavy loop $id does not dominate: $(sed -n '3,6p' "$tmp/out")"
cp "$tmp/out" "$tmp/first"
run 0 "same output twice" "$T" dominance "$tmp/parallel.xmile" --max 5
cmp -s "$tmp/out" "$tmp/first" || fail "two runs differ"
run 0 "many loops: all asked for" "$T" dominance "$tmp/parallel.xmile" --max 5 --loops all --format json
tr -d ' \n' <"$tmp/out" >"$tmp/flat"
grep -q '"method":"shortest","count":7776,"exact":true,"scored":5,"listed":5' "$tmp/flat" || fail "shortest json: $(head -c 200 "$tmp/flat")"

# World3: 1.8 million loops; strongest-path finds its loops in seconds.
W=../shared/bench-models/wrld3-03/wrld3-03.mdl
if [ ! -f "$W" ]; then
    [ "$fails" -eq 0 ] || exit 1
    echo "skip: World3 not found at $W (the rest passed)"
    exit 77
fi
limit=10
case "$T" in *asan*) limit=60 ;; esac
start=$(date +%s)
run 0 "World3" "$T" dominance "$W" --format json
secs=$(($(date +%s) - start))
[ "$secs" -le "$limit" ] || fail "World3 took $secs s, more than $limit"
tr -d ' \n' <"$tmp/out" >"$tmp/w3"
# The count of all loops stops at a time budget on a loaded machine
# ("exact": false); the loops found do not depend on time.
grep -q '^{"method":"strongest","count":[0-9]*,"exact":\(true\|false\),"scored":[0-9]*,"listed":100,"times_searched":400,"complete":true' "$tmp/w3" || fail "World3 json: $(head -c 300 "$tmp/w3")"
scored=$(sed 's/.*"scored":\([0-9]*\).*/\1/' "$tmp/w3")
[ "$scored" -ge 500 ] || fail "World3: only $scored loops found"
# Every saved time after the first names a dominant loop that is listed.
nulls=$(sed 's/.*"dominant":\[\([^]]*\)\].*/\1/' "$tmp/w3" | tr ',' '\n' | grep -c null)
[ "$nulls" -eq 1 ] || fail "World3: $nulls times without a dominant loop"
run 0 "World3 again" "$T" dominance "$W" --format json
sed 's/"count":[0-9]*,"exact":[a-z]*,//' "$tmp/w3" >"$tmp/w3a"
tr -d ' \n' <"$tmp/out" | sed 's/"count":[0-9]*,"exact":[a-z]*,//' | cmp -s - "$tmp/w3a" || fail "World3: two runs differ"

[ "$fails" -eq 0 ] || exit 1
echo "dominance cli: all passed"
