#!/bin/sh
# territory convert: any model written as XMILE 1.0 that reads back to the
# same numbers (XMILE with arrays, a Vensim model with subscripts, a
# macro and a stock whose rate is an expression, Stella's modules), and
# its exit codes and messages. Run by tests/run-tests.sh with TERRITORY set.
set -u
. "$(dirname "$0")/lib/common.sh"
expect_rc() { # expected-rc description command...
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, wanted $want ($(head -c 300 "$tmp/err"))"
}
# same MODEL CONVERTED [VARS]: both run to the same table (the variables
# asked, or all of them).
same() {
    if [ $# -eq 3 ]; then
        "$T" run "$1" --vars "$3" >"$tmp/a.csv" 2>&1
        "$T" run "$2" --vars "$3" >"$tmp/b.csv" 2>&1
    else
        "$T" run "$1" >"$tmp/a.csv" 2>&1
        "$T" run "$2" >"$tmp/b.csv" 2>&1
    fi
    cmp -s "$tmp/a.csv" "$tmp/b.csv" || fail "$1 and its XMILE differ: $(diff "$tmp/a.csv" "$tmp/b.csv" | head -5)"
}

# The model library converts and runs the same.
for m in models/*.xmile; do
    expect_rc 0 "convert $m" "$T" convert "$m" "$tmp/lib.xmile"
    grep -q 'xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"' "$tmp/lib.xmile" || fail "$m: no XMILE 1.0 namespace"
    same "$m" "$tmp/lib.xmile"
done

# XMILE arrays: a dimension, an element equation, SUM.
cat >"$tmp/arr.xmile" <<'X'
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
<sim_specs><start>0</start><stop>3</stop><dt>1</dt></sim_specs>
<dimensions><dim name="D"><elem name="a"/><elem name="b"/></dim></dimensions>
<model><variables>
<aux name="k"><dimensions><dim name="D"/></dimensions>
  <element subscript="a"><eqn>1</eqn></element>
  <element subscript="b"><eqn>k[a] + 2</eqn></element></aux>
<stock name="s"><dimensions><dim name="D"/></dimensions><eqn>k * 10</eqn>
  <inflow>f</inflow></stock>
<flow name="f"><dimensions><dim name="D"/></dimensions><eqn>s / SUM(s[*])</eqn></flow>
</variables></model></xmile>
X
expect_rc 0 "convert arrays" "$T" convert "$tmp/arr.xmile" "$tmp/arr2.xmile"
grep -q '<dim name="D"><elem name="a"/><elem name="b"/></dim>' "$tmp/arr2.xmile" || fail "arrays: dimension not written"
same "$tmp/arr.xmile" "$tmp/arr2.xmile"

# Vensim: subscripts, a mapping, :EXCEPT:, a macro, an INTEG whose rate is
# an expression (it gets a flow of its own: compare the shared columns).
cat >"$tmp/v.mdl" <<'M'
{UTF-8}
:MACRO: DOUBLE(x)
DOUBLE = 2 * x ~~|
:END OF MACRO:
d: d1, d2, d3 -> e ~~|
e: e1, e2, e3 ~~|
v[d] = 1, 2, 3 ~~|
w[e] = v[d] * 10 ~~|
x[d] :EXCEPT: [d2] = DOUBLE(v[d]) ~~|
x[d2] = SMOOTH N(v[d2], 2, 0, 3) ~~|
s[d] = INTEG(v[d] * Time - s[d] / 4, 1) ~~|
total = SUM(s[d!]) ~~|
INITIAL TIME = 0 ~~|
FINAL TIME = 5 ~~|
TIME STEP = 0.5 ~~|
SAVEPER = 1 ~~|
M
expect_rc 0 "convert mdl" "$T" convert "$tmp/v.mdl" "$tmp/v.xmile"
grep -q '<options namespace="std, vensim"/>' "$tmp/v.xmile" || fail "mdl: vensim namespace not declared"
grep -q '<tt:map to="e"/>' "$tmp/v.xmile" || fail "mdl: mapping not written"
grep -q 'tt:except="d2"' "$tmp/v.xmile" || fail "mdl: :EXCEPT: not written"
grep -q '<flow name="s rate">' "$tmp/v.xmile" || fail "mdl: no flow for the INTEG rate"
same "$tmp/v.mdl" "$tmp/v.xmile" 'w[e2],x[d1],x[d2],s[d3],total'

# Errors: a model that does not compile is not converted; usage; a file
# that cannot be written.
printf '{UTF-8}\nx = y + 1 ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\n' >"$tmp/bad.mdl"
expect_rc 1 "convert bad model" "$T" convert "$tmp/bad.mdl" "$tmp/none.xmile"
grep -q "bad.mdl:2:5: unknown variable 'y'" "$tmp/err" || fail "bad model message: $(cat "$tmp/err")"
[ -e "$tmp/none.xmile" ] && fail "a bad model was written"
expect_rc 2 "convert usage" "$T" convert "$tmp/v.mdl"
grep -q "usage: territory convert MODEL OUT.xmile" "$tmp/err" || fail "usage message: $(cat "$tmp/err")"
expect_rc 1 "convert unwritable" "$T" convert "$tmp/v.mdl" "$tmp/no/such/dir.xmile"
grep -q "cannot write '$tmp/no/such/dir.xmile'" "$tmp/err" || fail "write message: $(cat "$tmp/err")"

[ $fails -eq 0 ] && echo "convert: all passed"
[ $fails -eq 0 ]
