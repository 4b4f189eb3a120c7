#!/bin/sh
# End-to-end tests of the territory command: formats, options, exit codes
# and the exact shape of error messages. Run by tests/run-tests.sh with
# TERRITORY set to the binary under test.
set -u
. "$(dirname "$0")/lib/common.sh"
expect_rc() { # expected-rc description command...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, wanted $want ($(head -c 300 "$tmp/err"))"
}
model=models/demand-spend.xmile

# run: CSV by default, Time first, one row per saved time (0..15 by 0.5).
expect_rc 0 "run csv" "$T" run "$model"
head -1 "$tmp/out" | grep -q '^Time,Emerging Need,Crisis Cases,' || fail "csv header: $(head -1 "$tmp/out")"
[ "$(wc -l <"$tmp/out")" -eq 32 ] || fail "csv rows: $(wc -l <"$tmp/out")"
grep -q '^15,' "$tmp/out" || fail "last saved time 15 missing"

expect_rc 0 "run tsv" "$T" run "$model" --format tsv --vars 'crisis cases,Prevention_Spend'
[ "$(head -1 "$tmp/out")" = "$(printf 'Time\tCrisis Cases\tprevention spend')" ] || fail "tsv header: $(head -1 "$tmp/out")"

# --vars keeps the order asked; Time is always first and never twice.
expect_rc 0 "run --vars order" "$T" run "$model" --vars 'budget,TIME,Crisis Cases'
[ "$(head -1 "$tmp/out")" = "Time,budget,Crisis Cases" ] || fail "--vars order: $(head -1 "$tmp/out")"

expect_rc 0 "run json" "$T" run "$model" --format json --vars budget
head -1 "$tmp/out" | grep -q '^{"columns": \["Time", "budget"\],' || fail "json head: $(head -1 "$tmp/out")"
grep -q '^  \[0, 12000000\],' "$tmp/out" || fail "json first row"

# --set changes a constant; -o writes a file.
expect_rc 0 "run --set -o" "$T" run "$model" --set initial_budget=1000 --vars budget -o "$tmp/set.csv"
sed -n 2p "$tmp/set.csv" | grep -q '^0,1000$' || fail "--set: $(sed -n 2p "$tmp/set.csv")"

# --method rk4 runs and differs from Euler on this nonlinear model.
expect_rc 0 "run rk4" "$T" run "$model" --method rk4 --vars 'Crisis Cases'
tail -1 "$tmp/out" >"$tmp/rk4"
"$T" run "$model" --vars 'Crisis Cases' | tail -1 >"$tmp/euler"
cmp -s "$tmp/rk4" "$tmp/euler" && fail "rk4 gave the same result as euler"

# check: a summary and exit 0 for a sound model.
expect_rc 0 "check ok" "$T" check "$model"
grep -q 'ok: 21 variables (2 stocks, 4 flows, 15 auxiliaries)' "$tmp/out" || fail "check summary: $(cat "$tmp/out")"

# Errors point into the file with line, column, the line and a caret.
cat >"$tmp/bad.xmile" <<'XML'
<xmile><sim_specs><start>0</start><stop>1</stop></sim_specs><model><variables>
<aux name="growth rate"><eqn>0.1</eqn></aux>
<aux name="y"><eqn>growth_rat * 2</eqn></aux>
<aux name="z"><eqn>(y + </eqn></aux>
<aux name="w"><eqn>SMTH1(y)</eqn></aux>
</variables></model></xmile>
XML
expect_rc 1 "check bad" "$T" check "$tmp/bad.xmile"
grep -q "bad.xmile:3:20: unknown variable 'growth_rat'; did you mean 'growth rate'?" "$tmp/err" || fail "unknown variable message: $(cat "$tmp/err")"
grep -q "bad.xmile:4:25: expected a number, a name or '(', found end of equation" "$tmp/err" || fail "parse error message: $(cat "$tmp/err")"
grep -q "bad.xmile:5:20: 'SMTH1' takes 2 to 3 arguments, not 1" "$tmp/err" || fail "arity message: $(cat "$tmp/err")"
grep -q "^ \{21\}\^$" "$tmp/err" || fail "caret line: $(cat "$tmp/err")"

printf '<xmile><model>\n<variables></model>' >"$tmp/malformed.xmile"
expect_rc 1 "malformed xml" "$T" run "$tmp/malformed.xmile"
grep -q 'malformed.xmile:2:14: malformed XML: mismatched tag' "$tmp/err" || fail "xml message: $(cat "$tmp/err")"

cat >"$tmp/loop.xmile" <<'XML'
<xmile><sim_specs><start>0</start><stop>1</stop></sim_specs><model><variables>
<aux name="a"><eqn>b + 1</eqn></aux>
<aux name="b"><eqn>a * 2</eqn></aux>
</variables></model></xmile>
XML
expect_rc 1 "algebraic loop" "$T" check "$tmp/loop.xmile"
grep -q "algebraic loop among variables: 'a' -> 'b' -> 'a'" "$tmp/err" || fail "loop message: $(cat "$tmp/err")"

printf '<xmile><model><variables><aux name="a"><eqn>1</eqn></aux></variables></model></xmile>' >"$tmp/nospecs.xmile"
expect_rc 1 "missing sim specs" "$T" run "$tmp/nospecs.xmile"
grep -q 'missing <sim_specs>' "$tmp/err" || fail "sim specs message: $(cat "$tmp/err")"

expect_rc 1 "missing file" "$T" run "$tmp/nope.xmile"
grep -q 'nope.xmile: cannot read: No such file or directory' "$tmp/err" || fail "missing file message: $(cat "$tmp/err")"
expect_rc 1 "unknown --set" "$T" run "$model" --set nosuch=1
grep -q "unknown variable 'nosuch'" "$tmp/err" || fail "--set message: $(cat "$tmp/err")"
expect_rc 1 "unknown --vars" "$T" run "$model" --vars nosuch
expect_rc 2 "unknown option" "$T" run "$model" --frobnicate
expect_rc 2 "bad format" "$T" run "$model" --format xml
expect_rc 2 "no model" "$T" run
expect_rc 2 "unknown command" "$T" frobnicate
expect_rc 2 "no command" "$T"

# --seed: the random functions' draws repeat with the same seed (the
# default one too) and differ with another.
cat >"$tmp/noise.xmile" <<'XML'
<xmile><sim_specs><start>0</start><stop>20</stop><dt>1</dt></sim_specs><model><variables>
<aux name="noise"><eqn>RANDOM(0, 1)</eqn></aux>
</variables></model></xmile>
XML
for s in "" "--seed 7" "--seed 8"; do
    # shellcheck disable=SC2086 # the seed option is two words or none
    "$T" run "$tmp/noise.xmile" $s >"$tmp/n1.csv" 2>"$tmp/err" &&
        "$T" run "$tmp/noise.xmile" $s >"$tmp/n2.csv" 2>>"$tmp/err" ||
        fail "run $s: $(head -c 300 "$tmp/err")"
    cmp -s "$tmp/n1.csv" "$tmp/n2.csv" || fail "run $s twice gives other draws"
    cp "$tmp/n1.csv" "$tmp/seed${s#--seed }.csv"
done
cmp -s "$tmp/seed7.csv" "$tmp/seed8.csv" && fail "--seed 7 and --seed 8 give the same draws"
[ "$(cut -d, -f2 "$tmp/seed7.csv" | sort -u | wc -l)" -gt 10 ] ||
    fail "the draws do not change from step to step"
expect_rc 2 "bad seed" "$T" run "$tmp/noise.xmile" --seed -3

if [ "$fails" -ne 0 ]; then
    echo "cli: $fails failed"
    exit 1
fi
echo "cli: all passed"
