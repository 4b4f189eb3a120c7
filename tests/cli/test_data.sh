#!/bin/sh
# Vensim's data functions (GET DIRECT/GET XLS DATA, CONSTANTS, LOOKUPS,
# SUBSCRIPT) reading CSV files and .xlsx workbooks beside the model, data
# variables in each mode (:INTERPOLATE:, :HOLD BACKWARD:, :LOOK FORWARD:,
# :RAW:), data variables with no equation given their data at run time
# (`territory run --data FILE`, .tab and .csv), `territory convert` of data (carried into XMILE as graphical
# functions of Time; :RAW: refused), and the messages for bad data. Every
# expected number is computed here from the CSV files themselves, read by
# Python's csv module, not copied from a run. The .xlsx workbooks are made
# at run time from the same CSV files (tests/fixtures/data/make_xlsx.py).
# The SDXorg suite's tests/get_data and tests/get_constants (CSV files, no
# reference output) are checked the same way when the suite is there.
# Run by tests/run-tests.sh with TERRITORY set.
set -u
F=$(pwd)/tests/fixtures/data
MK="python3 $F/make_xlsx.py"
. "$(dirname "$0")/lib/common.sh"
command -v python3 >/dev/null || { echo "skip: python3 is needed"; exit 77; }

# check DIR RESULT.csv SPEC...: files are in DIR; each SPEC is COLUMN=MODE:FILE:AXIS:CELL:K for a
# series (MODE interp, hold, forward, raw or lookup with its input the
# time divided by 2), or COLUMN=const:FILE:ROW:COL for one cell (0-based).
# Files are read with Python's csv module (a .tsv with tabs).
check() {
    why=$(python3 - "$@" <<'PY'
import csv, math, os, sys
os.chdir(sys.argv[1])
res, specs = sys.argv[2], sys.argv[3:]
def load(path):
    with open(path, newline='', encoding='utf-8') as f:
        return [[c.strip() for c in row] for row in csv.reader(
            f, delimiter='\t' if path.endswith(('.tsv', '.tab')) else ',')]
def cellnum(t):
    try:
        return float(t)
    except ValueError:
        return None
def colidx(s):
    c = 0
    for ch in s:
        c = c * 26 + ord(ch.upper()) - 64
    return c - 1
def series(path, axis, cell, k):
    g = load(path)
    letters = ''.join(ch for ch in cell if ch.isalpha())
    r0, c0 = int(cell[len(letters):]) - 1, colidx(letters)
    pts = []
    if axis.isdigit():
        tr, vr = int(axis) - 1, r0 + k
        for c in range(c0, max(len(g[tr]), len(g[vr]))):
            t = cellnum(g[tr][c]) if c < len(g[tr]) else None
            v = cellnum(g[vr][c]) if c < len(g[vr]) else None
            if t is not None and v is not None:
                pts.append((t, v))
    else:
        tc, vc = colidx(axis), c0 + k
        for row in g[r0:]:
            t = cellnum(row[tc]) if tc < len(row) else None
            v = cellnum(row[vc]) if vc < len(row) else None
            if t is not None and v is not None:
                pts.append((t, v))
    return pts
def at(pts, t, mode):
    xs = [p[0] for p in pts]
    if mode == 'raw':
        return pts[xs.index(t)][1] if t in xs else float('nan')
    if t <= xs[0]:
        return pts[0][1]
    if t >= xs[-1]:
        return pts[-1][1]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        if x0 <= t < x1:
            if mode == 'hold':
                return y0
            if mode == 'forward':
                return y0 if t == x0 else y1
            return y0 + (t - x0) * (y1 - y0) / (x1 - x0)
rows = list(csv.reader(open(res, newline='')))
head, body = rows[0], rows[1:]
why = []
for spec in specs:
    col, _, rest = spec.partition('=')
    parts = rest.split(':')
    if col not in head:
        why.append('no column %s' % col)
        continue
    j = head.index(col)
    for row in body:
        t, got = float(row[0]), float(row[j])
        if parts[0] == 'const':
            want = cellnum(load(parts[1])[int(parts[2])][int(parts[3])])
        else:
            pts = series(parts[1], parts[2], parts[3], int(parts[4]))
            want = at(pts, t / 2 if parts[0] == 'lookup' else t,
                      'interp' if parts[0] == 'lookup' else parts[0])
        same = (math.isnan(want) and math.isnan(got)) or \
            abs(got - want) <= 1e-9 * max(1, abs(want))
        if not same:
            why.append('%s at %g: %r, wanted %r' % (col, t, got, want))
            break
print('; '.join(why))
sys.exit(1 if why else 0)
PY
) || fail "$2: $why"
}
expect_err() { # description pattern model
    if "$T" run "$3" >"$tmp/out" 2>"$tmp/err"; then
        fail "$1: ran, wanted an error"
    elif ! grep -q -- "$2" "$tmp/err"; then
        fail "$1: message '$(head -c 300 "$tmp/err")' lacks '$2'"
    fi
}

# ---- the fixtures: every function and mode, from CSV files ------------
cp "$F"/*.csv "$F"/*.tsv "$F"/data.mdl "$tmp/"
if ! "$T" run "$tmp/data.mdl" >"$tmp/data.csv" 2>"$tmp/err"; then
    fail "data.mdl does not run: $(head -c 300 "$tmp/err")"
else
    check "$tmp" data.csv \
        interp=interp:series.csv:A:B2:0 held=hold:series.csv:A:B2:0 \
        ahead=forward:series.csv:A:B2:0 'arr[pa]=interp:series.csv:A:C2:0' \
        'arr[pb]=interp:series.csv:A:C2:1' across=interp:across.tsv:1:B2:0 \
        'k[r1,c1]=const:consts.csv:1:1' 'k[r1,c3]=const:consts.csv:1:3' \
        'k[r2,c2]=const:consts.csv:2:2' 'kt[c1,r2]=const:consts.csv:2:1' \
        'kt[c3,r1]=const:consts.csv:1:3' 'kt[c2,r2]=const:consts.csv:2:2' \
        'share[north]=const:names.csv:1:1' 'share[east]=const:names.csv:1:3' \
        looked=lookup:series.csv:A:E2:0
    head -1 "$tmp/data.csv" | grep -q 'share\[south\]' ||
        fail "GET DIRECT SUBSCRIPT: no element south read from names.csv"
fi

# The same model with GET XLS reading an .xlsx workbook of the same cells
# (xl.mdl): one sheet per CSV file, found by name.
(cd "$tmp" && $MK book.xlsx 'Series=series.csv' 'Across=across.tsv' \
    'Consts=consts.csv' 'Names=names.csv') || fail "make_xlsx.py failed"
cp "$F/xl.mdl" "$tmp/"
if "$T" run "$tmp/xl.mdl" >"$tmp/xl.csv" 2>"$tmp/err"; then
    cmp -s "$tmp/data.csv" "$tmp/xl.csv" ||
        fail "the .xlsx gives other numbers: $(diff "$tmp/data.csv" "$tmp/xl.csv" | head -3)"
else
    fail "xl.mdl does not run: $(head -c 300 "$tmp/err")"
fi

# And from an Excel 97-2003 workbook (.xls), made with xlwt (Debian's
# python3-xlwt, which pyenv's python may not see).
XLS_PY=
for py in python3 /usr/bin/python3; do
    if "$py" -c 'import xlwt' 2>/dev/null; then XLS_PY=$py; break; fi
done
if [ -n "$XLS_PY" ]; then
    (cd "$tmp" && "$XLS_PY" "$F/make_xls.py" book.xls 'Series=series.csv' \
        'Across=across.tsv' 'Consts=consts.csv' 'Names=names.csv') ||
        fail "make_xls.py failed"
    sed "s/'book.xlsx'/'book.xls'/" "$F/xl.mdl" >"$tmp/xls.mdl"
    if "$T" run "$tmp/xls.mdl" >"$tmp/xls.csv" 2>"$tmp/err"; then
        cmp -s "$tmp/data.csv" "$tmp/xls.csv" ||
            fail "the .xls gives other numbers: $(diff "$tmp/data.csv" "$tmp/xls.csv" | head -3)"
    else
        fail "xls.mdl does not run: $(head -c 300 "$tmp/err")"
    fi
else
    echo "note: no python3 with xlwt (python3-xlwt): .xls workbooks not tested"
fi

# :RAW: is missing (NaN) between the times of its data.
cat >"$tmp/raw.mdl" <<'M'
raw data:RAW::= GET DIRECT DATA('series.csv', ',', 'A', 'B2') ~~|
INITIAL TIME = 0 ~~|
FINAL TIME = 8 ~~|
TIME STEP = 1 ~~|
M
if "$T" run "$tmp/raw.mdl" >"$tmp/raw.csv" 2>"$tmp/err"; then
    check "$tmp" raw.csv 'raw data=raw:series.csv:A:B2:0'
else
    fail "raw.mdl does not run: $(head -c 300 "$tmp/err")"
fi

# ---- convert: data becomes graphical functions of Time; :RAW: refused --
if "$T" convert "$tmp/data.mdl" "$tmp/data.xmile" 2>"$tmp/err"; then
    "$T" run "$tmp/data.xmile" >"$tmp/conv.csv" 2>&1
    cmp -s "$tmp/data.csv" "$tmp/conv.csv" ||
        fail "converted data differ: $(diff "$tmp/data.csv" "$tmp/conv.csv" | head -3)"
    grep -q '<gf type="discrete">' "$tmp/data.xmile" ||
        fail "HOLD BACKWARD data not written as a discrete graphical function"
else
    fail "convert data.mdl: $(head -c 300 "$tmp/err")"
fi
if "$T" convert "$tmp/raw.mdl" "$tmp/raw.xmile" 2>"$tmp/err"; then
    fail "convert of :RAW: data succeeded"
else
    grep -q "'raw data' is missing (NaN) between the times of its data" \
        "$tmp/err" || fail "convert :RAW: message: $(head -c 300 "$tmp/err")"
fi

# ---- messages: they name the file, sheet and cell ------------------------
bad() { # name equation: a model with one variable x
    printf 'x %s ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\n' "$2" \
        >"$tmp/$1.mdl"
}
bad nofile ":= GET DIRECT DATA('none.csv', ',', 'A', 'B2')"
expect_err "missing file" "cannot read 'none.csv'" "$tmp/nofile.mdl"
printf 'Time,v\n0,1\n1,oops\n' >"$tmp/text.csv"
bad text ":= GET DIRECT DATA('text.csv', ',', 'A', 'B2')"
expect_err "text cell" "'text.csv', cell B3: 'oops' is not a number" "$tmp/text.mdl"
printf 'Time,v\n1,1\n0,2\n' >"$tmp/order.csv"
bad order ":= GET DIRECT DATA('order.csv', ',', 'A', 'B2')"
expect_err "times out of order" "cell A3: times must ascend" "$tmp/order.mdl"
bad cell "= GET DIRECT CONSTANTS('consts.csv', ',', 'B')"
expect_err "bad cell" "'B' is not a cell like 'B2'" "$tmp/cell.mdl"
bad empty "= GET DIRECT CONSTANTS('consts.csv', ',', 'A1')"
expect_err "empty cell" "'consts.csv', cell A1: empty" "$tmp/empty.mdl"
bad sheet "= GET XLS CONSTANTS('book.xlsx', 'Nope', 'B2')"
expect_err "missing sheet" "'book.xlsx' has no sheet 'Nope' (its sheets: 'Series', 'Across', 'Consts', 'Names')" "$tmp/sheet.mdl"
bad xcell "= GET XLS CONSTANTS('book.xlsx', 'Consts', 'A2')"
expect_err "xlsx text cell" "'book.xlsx' sheet 'Consts', cell A2: 'r1' is not a number" "$tmp/xcell.mdl"
printf 'not a workbook' >"$tmp/fake.xls"
bad xls "= GET XLS CONSTANTS('fake.xls', 'Sheet1', 'B2')"
expect_err ".xls not a workbook" "'fake.xls' is not an Excel 97-2003 workbook (.xls) FreeXL can read" "$tmp/xls.mdl"
if [ -n "$XLS_PY" ]; then
    bad xsheet "= GET XLS CONSTANTS('book.xls', 'Nope', 'B2')"
    expect_err ".xls missing sheet" "'book.xls' has no sheet 'Nope' (its sheets: 'Series', 'Across', 'Consts', 'Names')" "$tmp/xsheet.mdl"
    bad xlcell "= GET XLS CONSTANTS('book.xls', 'Consts', 'A3')"
    expect_err ".xls text cell" "'book.xls' sheet 'Consts', cell A3: 'r2' is not a number" "$tmp/xlcell.mdl"
fi
printf 'not a zip' >"$tmp/fake.xlsx"
bad fake "= GET XLS CONSTANTS('fake.xlsx', 'Sheet1', 'B2')"
expect_err "not a workbook" "'fake.xlsx' is not an .xlsx workbook" "$tmp/fake.mdl"
bad delim "= GET DIRECT CONSTANTS('consts.csv', ';;', 'B2')"
expect_err "delimiter" "whose delimiter must be one character" "$tmp/delim.mdl"
bad args "= GET DIRECT CONSTANTS('consts.csv', ',')"
expect_err "argument count" "takes 3 arguments" "$tmp/args.mdl"
bad unquoted "= GET DIRECT CONSTANTS(consts.csv, ',', 'B2')"
expect_err "unquoted" "argument 1 of 'GET DIRECT CONSTANTS' must be text in quotes" "$tmp/unquoted.mdl"
bad part "= 2 * GET DIRECT CONSTANTS('consts.csv', ',', 'B2')"
expect_err "GET inside an expression" "GET DIRECT CONSTANTS' is not supported" "$tmp/part.mdl"
printf 'x:INTERPOLATE: ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\n' >"$tmp/vdf.mdl"
expect_err "data given at run time" "a data variable whose values Vensim is given at run time" "$tmp/vdf.mdl"
expect_err "data given at run time" "give its data with --data FILE" "$tmp/vdf.mdl"

# ---- data given at run time: territory run --data FILE -----------------
# runtime.mdl's data variables have no equation; runtime.tab gives each
# mode a column (blank cells missing), and arr[d] its elements.
cp "$F/runtime.mdl" "$F/runtime.tab" "$tmp/"
if ! "$T" run "$tmp/runtime.mdl" --data "$tmp/runtime.tab" >"$tmp/rt.csv" \
    2>"$tmp/err"; then
    fail "runtime.mdl --data runtime.tab does not run: $(head -c 300 "$tmp/err")"
else
    check "$tmp" rt.csv interp=interp:runtime.tab:A:B2:0 \
        plain=interp:runtime.tab:A:C2:0 held=hold:runtime.tab:A:D2:0 \
        ahead=forward:runtime.tab:A:E2:0 raw=raw:runtime.tab:A:F2:0 \
        'arr[a]=hold:runtime.tab:A:G2:0' 'arr[b]=hold:runtime.tab:A:H2:0'
fi
# The same data transposed (names down the first column, times across the
# row Time heads) as CSV, and split over two files: the same run. In the
# split, the second file's interp differs: the first file with a column
# gives it.
python3 - "$tmp" <<'PY' || fail "could not write the transposed data"
import csv, sys
d = sys.argv[1]
rows = [r for r in csv.reader(open(d + '/runtime.tab', newline=''),
                              delimiter='\t') if r]
width = max(len(r) for r in rows)
rows = [r + [''] * (width - len(r)) for r in rows]
csv.writer(open(d + '/across.csv', 'w', newline='')).writerows(zip(*rows))
w = csv.writer(open(d + '/one.tab', 'w', newline=''), delimiter='\t')
w.writerows([r[:6] for r in rows])
w = csv.writer(open(d + '/two.csv', 'w', newline=''))
w.writerows([[r[0], r[1] if i == 0 else 'junk'] + r[6:] for i, r in
             enumerate(rows)])
PY
for args in "--data $tmp/across.csv" "--data $tmp/one.tab --data $tmp/two.csv"; do
    # shellcheck disable=SC2086
    if ! "$T" run "$tmp/runtime.mdl" $args >"$tmp/rt2.csv" 2>"$tmp/err"; then
        fail "run $args: $(head -c 300 "$tmp/err")"
    elif ! cmp -s "$tmp/rt.csv" "$tmp/rt2.csv"; then
        fail "run $args gives other numbers: $(diff "$tmp/rt.csv" "$tmp/rt2.csv" | head -3)"
    fi
done
"$T" check "$tmp/runtime.mdl" --data "$tmp/runtime.tab" >"$tmp/out" 2>"$tmp/err" ||
    fail "check --data: $(head -c 300 "$tmp/err")"
# The other commands that run a model take --data the same way: compare's
# baseline and an ensemble's median of one fixed run give run's numbers.
printf '{"name": "same", "set": {}}\n' >"$tmp/same.json"
if "$T" compare "$tmp/runtime.mdl" --data "$tmp/runtime.tab" --scenario "$tmp/same.json" \
    --vars twice --format csv >"$tmp/cmp.csv" 2>"$tmp/err"; then
    want=$(python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(r[-1]["twice"])' "$tmp/rt.csv")
    grep -q "$want" "$tmp/cmp.csv" || fail "compare --data: twice at the end is not $want: $(tail -2 "$tmp/cmp.csv")"
else
    fail "compare --data: $(head -c 300 "$tmp/err")"
fi
"$T" dominance "$tmp/runtime.mdl" --data "$tmp/runtime.tab" >"$tmp/out" 2>"$tmp/err" ||
    fail "dominance --data: $(head -c 300 "$tmp/err")"
"$T" compare "$tmp/runtime.mdl" --scenario "$tmp/same.json" >"$tmp/out" 2>"$tmp/err" &&
    fail "compare without --data ran"
grep -q "give its data with --data FILE" "$tmp/err" ||
    fail "compare without --data: $(head -c 300 "$tmp/err")"
expect_data_err() { # description pattern file-text [name]
    f="$tmp/${4:-bad.tab}"
    printf "$3" >"$f"
    if "$T" run "$tmp/runtime.mdl" --data "$f" >"$tmp/out" 2>"$tmp/err"; then
        fail "$1: ran, wanted an error"
    elif ! grep -q -- "$2" "$tmp/err"; then
        fail "$1: message '$(head -c 300 "$tmp/err")' lacks '$2'"
    fi
}
all='interp\tplain\theld\tahead\traw'
expect_err "no --data" "runtime.mdl:7:1: 'interp' has no equation: .*give its data with --data FILE" "$tmp/runtime.mdl"
expect_data_err "unknown column" "bad.tab:1:8: unknown column 'arr\[c\]': 'arr' has no such element" \
    "Time\t$all\tarr[a]\tarr[c]\tarr[b]\n0\t1\t1\t1\t1\t1\t1\t1\t1\n"
expect_data_err "missing element" "no data file has a column 'arr\[b\]' for data variable 'arr'" \
    "Time\t$all\tarr[a]\n0\t1\t1\t1\t1\t1\t1\n"
expect_data_err "no Time column" "bad.tab:1:1: no Time column: the first cell is 'T'" \
    "T\t$all\n0\t1\t1\t1\t1\t1\n"
expect_data_err "bad number" "bad.tab:3:3: 'oops' is not a number (a value of 'plain')" \
    "Time\t$all\tarr[a]\tarr[b]\n0\t1\t1\t1\t1\t1\t1\t1\n1\t1\toops\t1\t1\t1\t1\t1\n"
expect_data_err "bad time" "bad.tab:3:1: the time 'soon' is not a number" \
    "Time\tinterp\n0\t1\nsoon\t2\n"
expect_data_err "times out of order" "bad.tab:3:1: times must ascend" \
    "Time\tinterp\n1\t1\n0\t2\n"
expect_data_err "no values" "bad.tab:1:2: 'interp' has no values" \
    "Time\tinterp\n0\t\n1\t\n"
expect_data_err "not .tab or .csv" "a data file must be .tab (tabs) or .csv" \
    "Time\n" bad.xlsx
"$T" run "$tmp/runtime.mdl" --data "$tmp/none.tab" >"$tmp/out" 2>"$tmp/err" &&
    fail "a missing data file ran"
grep -q "none.tab: cannot read it" "$tmp/err" ||
    fail "missing data file: message '$(head -c 300 "$tmp/err")'"

# ---- the SDXorg suite's own data tests ------------------------------------
S=${TERRITORY_TEST_MODELS:-../shared/test-models}
if [ -d "$S/tests/get_data" ]; then
    mkdir "$tmp/gd" "$tmp/gc"
    cp "$S/tests/get_data/"*.csv "$S/tests/get_data/test_get_data.mdl" "$tmp/gd/"
    # The GET XLS lines name .xls workbooks the suite does not ship: they
    # are made here from the same CSV files, as .xls (the model as it is)
    # and as .xlsx (the model reading those).
    specs="'direct data down=interp:data down.csv:A:B2:0'
'direct data across=interp:data across.csv:1:B2:0'
'xls data down=interp:data down.csv:A:B2:0'
'xls data across=interp:data across.csv:1:B2:0'"
    if [ -n "$XLS_PY" ]; then
        (cd "$tmp/gd" && "$XLS_PY" "$F/make_xls.py" 'data down.xls' 'தாள்=data down.csv' &&
            "$XLS_PY" "$F/make_xls.py" 'data across.xls' 'தாள்=data across.csv') ||
            fail "make_xls.py failed"
        if "$T" run "$tmp/gd/test_get_data.mdl" >"$tmp/gd/xls.csv" 2>"$tmp/err"; then
            eval check "\"\$tmp/gd\"" xls.csv $specs
        else
            fail "get_data (.xls): $(head -c 300 "$tmp/err")"
        fi
    fi
    (cd "$tmp/gd" && $MK 'data down.xlsx' 'தாள்=data down.csv' &&
        $MK 'data across.xlsx' 'தாள்=data across.csv') || fail "make_xlsx.py failed"
    sed "s/\\.xls'/.xlsx'/" "$tmp/gd/test_get_data.mdl" >"$tmp/gd/xlsx.mdl"
    if "$T" run "$tmp/gd/xlsx.mdl" >"$tmp/gd/out.csv" 2>"$tmp/err"; then
        eval check "\"\$tmp/gd\"" out.csv $specs
    else
        fail "get_data (.xlsx): $(head -c 300 "$tmp/err")"
    fi
    # get_constants names data.csv and data.xls; the suite ships the cells
    # as 'data down.csv'.
    cp "$S/tests/get_constants/data down.csv" "$tmp/gc/data.csv"
    cp "$S/tests/get_constants/test_get_constants.mdl" "$tmp/gc/"
    (cd "$tmp/gc" && $MK data.xlsx 'தாள்=data.csv') || fail "make_xlsx.py failed"
    if [ -n "$XLS_PY" ]; then
        (cd "$tmp/gc" && "$XLS_PY" "$F/make_xls.py" data.xls 'தாள்=data.csv') ||
            fail "make_xls.py failed"
        if "$T" run "$tmp/gc/test_get_constants.mdl" >"$tmp/gc/xls.csv" 2>"$tmp/err"; then
            check "$tmp/gc" xls.csv 'direct constants=const:data.csv:1:0' \
                'xls constants=const:data.csv:1:0'
        else
            fail "get_constants (.xls): $(head -c 300 "$tmp/err")"
        fi
    fi
    sed "s/\\.xls'/.xlsx'/" "$tmp/gc/test_get_constants.mdl" >"$tmp/gc/xlsx.mdl"
    if "$T" run "$tmp/gc/xlsx.mdl" >"$tmp/gc/out.csv" 2>"$tmp/err"; then
        check "$tmp/gc" out.csv 'direct constants=const:data.csv:1:0' \
            'xls constants=const:data.csv:1:0'
    else
        fail "get_constants (.xlsx): $(head -c 300 "$tmp/err")"
    fi
else
    echo "note: no SDXorg suite at $S; its get_data and get_constants not run"
fi

[ "$fails" -eq 0 ] || exit 1
echo "test_data: all checks passed"
