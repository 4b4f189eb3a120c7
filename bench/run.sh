#!/bin/sh
# run.sh - the benchmarks of issue 8: builds the engine, bench_sim and
# bench_loops, installs the peers (the Debian packages of bench/deps.txt,
# and SDEverywhere with `npm ci` in bench/sde), generates the large models
# and graphs and SDEverywhere's C and JS of every model, times every case,
# prints one line per benchmark (name, Territory's figure, the peer's
# figure, their ratio, PASS/MISS against the issue's target), profiles the
# two cases furthest from their targets, and writes bench/RESULTS.md.
#
#   sh bench/run.sh           the whole bench (bench/README.md: how long)
#   sh bench/run.sh --smoke   the 1k chain and a 60-node graph, briefly,
#                             without peers: checks the harness
#
# Environment: TERRITORY_TEST_MODELS (default ../shared/test-models) for
# teacup and SIR; TERRITORY_BENCH_MODELS (default ../shared/bench-models)
# for World3; BENCH_MIN_SECONDS (default 2) is how long each model is
# simulated over and over; BENCH_NX_SECONDS (default 10) bounds networkx;
# BENCH_SDE_CPU_SECONDS (default 60) bounds each SDEverywhere code
# generation, in CPU seconds; BENCH_WRK_SECONDS (default 10) is each wrk
# run. Run from anywhere; it works in the repo root.
# Exit: 0 when every benchmark ran (a MISS is a result, not a failure),
# 1 when one failed to run or two engines disagreed, 2 usage error.

set -eu

usage() {
    echo "usage: sh bench/run.sh [--smoke]" >&2
    exit 2
}

smoke=0
case $# in
0) ;;
1) [ "$1" = "--smoke" ] || usage; smoke=1 ;;
*) usage ;;
esac

cd "$(dirname "$0")/.."
OUT=build/bench
MODELS=$OUT/models
[ $smoke = 0 ] || MODELS=$OUT/smoke-models
TM=${TERRITORY_TEST_MODELS:-../shared/test-models}
BM=${TERRITORY_BENCH_MODELS:-../shared/bench-models}
W3=$BM/wrld3-03/wrld3-03.mdl
MIN=${BENCH_MIN_SECONDS:-2}
mkdir -p "$OUT"
# The smoke test keeps its own files, so it never clobbers a full run's.
tag=
[ $smoke = 0 ] || tag=smoke-
LOG=$OUT/${tag}log          # every case's full output, case by case
ROWS=$OUT/${tag}rows.tsv    # name, Territory, peer, ratio, status
SIMS=$OUT/${tag}sims.tsv    # the result line of every bench_sim run
ONE=$OUT/${tag}one.log      # the case running now
LOOPS=$OUT/${tag}loops.tsv  # one line per graph of the loops benchmark
SDES=$OUT/${tag}sde.tsv     # one line per model run by SDEverywhere
MISSES=$OUT/${tag}miss.tsv  # shortfall, case, profile kind: what to profile
GRAPHS=$OUT/graphs          # the generated graphs (bench/gen_graphs.py)
: >"$LOG"
: >"$ROWS"
: >"$SIMS"
: >"$LOOPS"
: >"$SDES"
: >"$MISSES"
failed=0
started=$(date +%s)

# Other work on the machine skews every figure: keep the load at the start.
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# ---- build -----------------------------------------------------------------

# A plain build whatever make called us with: `make check-asan` passes
# SANITIZER=address down through MAKEFLAGS, which would build build/asan.
if ! (unset MAKEFLAGS MFLAGS MAKELEVEL; make --no-print-directory) \
    >"$OUT/make.log" 2>&1; then
    cat "$OUT/make.log" >&2
    echo "bench: make failed" >&2
    exit 1
fi
# Every whole-process case runs a copy of the binary: other work may
# rebuild build/territory while the bench runs, which would mix versions
# and leave perf unable to name the functions of the one it sampled.
TB=$OUT/territory
cp build/territory "$TB"
# The libraries the Makefile links (its PKGS), as the static library may
# need any of them.
pkgs=$(sed -n 's/^PKGS *:= *//p' Makefile)
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pkgs 2>/dev/null || echo -lexpat -ljansson \
    -lsqlite3 -lmicrohttpd -lsodium -lcurl -lzip -lz -lfreexl) -lcsv -lm \
    -lpthread"
for b in bench_sim bench_loops; do
    # Rebuilt when its source or the library changed (dash's test has -nt).
    # shellcheck disable=SC3013
    if [ "$OUT/$b" -nt bench/$b.c ] && [ "$OUT/$b" -nt build/libterritory.a ]
    then
        continue
    fi
    # shellcheck disable=SC2086
    gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
        -Isrc bench/$b.c build/libterritory.a $libs -o "$OUT/$b"
done
if [ $smoke = 1 ]; then
    python3 bench/gen_models.py "$MODELS" --smoke
    python3 bench/gen_graphs.py "$GRAPHS" --smoke
else
    python3 bench/gen_models.py "$MODELS"
    python3 bench/gen_graphs.py "$GRAPHS"
fi

# ---- peers -----------------------------------------------------------------

# Installs the Debian packages of bench/deps.txt that are missing (as root,
# or through sudo). Only the full bench needs them; a package that cannot
# be installed shows as a failed case, not here.
bench_deps() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    missing=
    for pkg in $(grep -v '^#' bench/deps.txt | grep -v '^$'); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
            grep -q 'install ok installed' || missing="$missing $pkg"
    done
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" -eq 0 ]; then
        sudo=
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo -n"
    else
        echo "bench: cannot install$missing: not root and no sudo" >&2
        return 0
    fi
    echo "bench: installing Debian packages:$missing" >&2
    # The package lists may be missing or stale: update only on failure.
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends $missing >"$OUT/apt.log" 2>&1; then
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq \
            >>"$OUT/apt.log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
                --no-install-recommends $missing >>"$OUT/apt.log" 2>&1 ||
            echo "bench: apt-get failed (see $OUT/apt.log)" >&2
    fi
}

# SDEverywhere from npm, pinned by bench/sde/package-lock.json (its xlsx
# dependency replaced by the local stub bench/sde/xlsx-stub). Sets
# $sde_ok to 1, or leaves it empty and says why in $sde_why.
SDE=bench/sde
SDE_OUT=$OUT/sde
SDE_CPU=${BENCH_SDE_CPU_SECONDS:-60}
sde_ok=
sde_why=
sde_version=
node_version=
sde_install() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
    then
        sde_why="node and npm are not installed (make deps)"
        return 0
    fi
    stamp=$SDE/node_modules/.package-lock.json
    # dash's test has -nt (newer than), as bash's and busybox's do.
    # shellcheck disable=SC3013
    if [ ! -f "$stamp" ] || [ $SDE/package-lock.json -nt "$stamp" ] ||
        [ $SDE/package.json -nt "$stamp" ]; then
        echo "bench: npm ci in $SDE" >&2
        if ! (cd $SDE && npm ci --no-audit --no-fund --loglevel=error) \
            >"$OUT/npm.log" 2>&1; then
            cat "$OUT/npm.log" >&2
            sde_why="npm ci in $SDE failed (see $OUT/npm.log)"
            return 0
        fi
    fi
    sde_version=$(node -p \
        'require("./bench/sde/node_modules/@sdeverywhere/compile/package.json").version')
    node_version=$(node --version)
    sde_ok=1
}
if [ $smoke = 0 ]; then
    bench_deps
    sde_install
fi

# ---- helpers ---------------------------------------------------------------

# The value of key=$1 in the tab-separated result line $2.
field() {
    printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p"
}

# Appends a row to the summary: name, Territory's figure, peer, ratio, status.
row() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$ROWS"
    printf '%-28s %-44s %-34s %-6s %s\n' "$1" "$2" "$3" "$4" "$5"
}

# Records how far case $2 is from its target: $1 is the shortfall (the
# factor by which the figure must improve; 1 or less meets the target),
# $3 how to profile it (see profile_case). The two largest are profiled.
shortfall() {
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$MISSES"
}

# Runs the in-process bench $1 (bench_sim or bench_loops) as case $2
# (further arguments go to it); sets $res to its result line, or empty when
# it failed, which counts as a failure.
inproc() {
    bin=$1
    name=$2
    shift 2
    echo "== $name" >>"$LOG"
    if "$OUT/$bin" "$@" </dev/null >"$ONE" 2>&1; then
        res=$(grep '^result' "$ONE" || true)
    else
        res=
    fi
    cat "$ONE" >>"$LOG"
    if [ -z "$res" ]; then
        failed=$((failed + 1))
        echo "bench: $name failed:" >&2
        cat "$ONE" >&2
    fi
}

# Runs bench_sim on model $2 as case $1 (further arguments go to it); sets
# $res to its result line, or empty when it failed.
sim() {
    inproc bench_sim "$@"
    [ -z "$res" ] || printf '%s\t%s\n' "$1" "$res" >>"$SIMS"
}

# Runs `build/territory loops MAP --format json --max 0` on map $1 three
# times, each timed whole-process with `date +%s%N` (which adds a
# millisecond or so of `date` itself). Sets $lcount to the cycle count and
# $lproc to the best time in ms; both empty when a run failed, the count
# was not exact (the time budget stopped it) or the runs disagreed, which
# counts as a failure.
LOOPS_BUDGET=300 # seconds; far above any run here, so counts are exact
loops_proc() {
    lcount=
    lproc=
    first=
    : >"$OUT/loops-times.txt"
    echo "== territory loops $1 --format json --max 0, 3 runs" >>"$LOG"
    i=0
    while [ $i -lt 3 ]; do
        t0=$(date +%s%N)
        if ! "$TB" loops "$1" --format json --max 0 \
            --budget $LOOPS_BUDGET >"$OUT/loops.json" 2>"$ONE"; then
            cat "$ONE" >>"$LOG"
            failed=$((failed + 1))
            echo "bench: territory loops $1 failed:" >&2
            cat "$ONE" >&2
            return 0
        fi
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$OUT/loops-times.txt"
        head -n 4 "$OUT/loops.json" >>"$LOG"
        c=$(sed -n 's/^ *"count": *\([0-9]*\).*/\1/p' "$OUT/loops.json")
        e=$(sed -n 's/^ *"exact": *\([a-z]*\).*/\1/p' "$OUT/loops.json")
        if [ -z "$c" ] || [ "$e" != true ] ||
            { [ -n "$first" ] && [ "$c" != "$first" ]; }; then
            failed=$((failed + 1))
            echo "bench: territory loops $1: count '$c' (exact: '$e')" \
                "after '$first'" >&2
            return 0
        fi
        first=$c
        i=$((i + 1))
    done
    lcount=$first
    lproc=$(sort -n "$OUT/loops-times.txt" | head -n 1 |
        awk '{ printf "%.2f", $1 / 1000 }')
    echo "times us: $(tr '\n' ' ' <"$OUT/loops-times.txt")" >>"$LOG"
}

# PASS when $1 < $2 (numbers), else MISS.
below() {
    awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? "PASS" : "MISS" }'
}

# $1 / $2, printed with format $3 (default %.2f).
ratio() {
    awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" \
        'BEGIN { if (b + 0 == 0) print "-"; else printf f, a / b }'
}

# 1 when the numbers $1 and $2 agree to a relative 1e-6 (absolute floor
# 1e-9), else 0; 0 too when either is not a number.
agree() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/ ||
            b !~ /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?$/) { print 0; exit }
        d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a
        print (d <= 1e-6 * m + 1e-9) ? 1 : 0 }'
}

# "X us" or "X ms" for a time in microseconds.
us_fmt() {
    awk -v u="$1" 'BEGIN {
        if (u >= 10000) printf "%.1f ms", u / 1000; else printf "%.1f us", u }'
}

# Prints the simulation row of case $1 from $res (bench_sim), with peer $2,
# ratio $3 and, when $4 is set, that status instead of the ns target.
sim_row() {
    ns=$(field ns_per_var_step "$res")
    best=$(field best_us "$res")
    med=$(field median_us "$res")
    fig=$(awk -v n="$ns" -v b="$best" -v m="$med" 'BEGIN {
        u = b >= 10000 ? "ms" : "us"; d = u == "ms" ? 1000 : 1
        printf "%.2f ns/var-step (%.1f/%.1f %s)", n, b / d, m / d, u }')
    st=${4:-$(below "$ns" 10)}
    row "sim $1" "$fig" "$2" "$3" "$st"
    if [ -z "${4:-}" ]; then
        shortfall "$(ratio "$ns" 10)" "sim $1" "sim"
    fi
}

if [ $smoke = 1 ]; then
    sim chain-1k "$MODELS/chain-1k.xmile" --min-seconds 0.05
    if [ -z "$res" ]; then
        exit 1
    fi
    simres=$res
    # Loop finding on the 60-node graph, without networkx: the command and
    # bench_loops must run and agree.
    loops_proc "$GRAPHS/loops-tiny.json"
    inproc bench_loops loops-tiny "$GRAPHS/loops-tiny.json" --min-seconds 0.05
    if [ -z "$lcount" ] || [ -z "$res" ]; then
        exit 1
    fi
    if [ "$(field count "$res")" != "$lcount" ]; then
        echo "bench: loops-tiny: territory loops counts $lcount cycles," \
            "bench_loops $(field count "$res")" >&2
        exit 1
    fi
    # The C peer's runtime (bench/sde/sde_run.c, sde.h) on a hand-written
    # model in the shape of SDEverywhere's C: it must end where Territory
    # does on the same model in XMILE. No npm needed.
    gcc -O2 -std=gnu11 -Wall -Werror -I$SDE $SDE/smoke/model.c \
        $SDE/sde_run.c -lm -o "$OUT/smoke-sde_run"
    cres=$("$OUT/smoke-sde_run" --min-seconds 0 --var level | grep '^result')
    res=
    sim sde-smoke $SDE/smoke/model.xmile --vars level --check level \
        --min-seconds 0
    if [ -z "$res" ] || [ "$(field rows "$cres")" != "$(field rows "$res")" ] ||
        [ "$(agree "$(field last "$cres")" "$(field check "$res")")" != 1 ]
    then
        echo "bench: the C peer's runtime and Territory differ on" \
            "$SDE/smoke/model.c: $(field rows "$cres") rows, level" \
            "$(field last "$cres"); Territory: $(field rows "$res") rows," \
            "level $(field check "$res")" >&2
        exit 1
    fi
    echo "bench smoke: ok ($(field runs "$simres") runs of chain-1k," \
        "$(field ns_per_var_step "$simres") ns/var-step; loops-tiny:" \
        "$lcount cycles, $lproc ms; the C peer's runtime agrees:" \
        "level $(field last "$cres"))"
    exit 0
fi

# ---- SDEverywhere: generate and compile ------------------------------------

# The models both engines run: name, file, the outputs SDEverywhere writes
# ("-": every variable, as Territory saves them), the variable whose
# final value the engines must agree on. Territory saves the same: every
# variable, or the one output.
save_of() {
    awk -F '\t' -v f="$1" '$1 == f { print $5 }' "$MODELS/models.tsv"
}
CASES=$OUT/cases.tsv
: >"$CASES"
add_case() {
    if [ -f "$2" ]; then
        printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$CASES"
    else
        echo "skip $1: no $2"
        echo "skip $1: no $2" >>"$LOG"
    fi
}
add_case teacup "$TM/samples/teacup/teacup.mdl" - "Teacup Temperature"
add_case SIR "$TM/samples/SIR/SIR.mdl" - "Infectious"
add_case World3 "$W3" - "population"
for size in 1k 10k 100k; do
    for shape in chain lattice; do
        f=$shape-$size.xmile
        o=-
        c=$(save_of "$f")
        # The first stage of a chain moves from the start (the chain's far
        # end is still at its initial level when the run ends).
        [ $shape != chain ] || c=s_1
        if [ $size = 100k ]; then
            o=$(save_of "$f")
            c=$o
        fi
        add_case "$shape-$size" "$MODELS/$f" "$o" "$c"
    done
done
add_case arrayed-10k "$MODELS/arrayed-10k.mdl" total total

# Generates SDEverywhere's target $2 (c or js) of case $1 from model $3
# with outputs $4 ("-": all), into $SDE_OUT/$1/, under a CPU-time limit. The result
# is kept, keyed by the inputs (model, generate.mjs, the lockfile, the
# outputs, the limit), so a second run reuses it; $SDE_OUT/$1/$2.status
# holds "ok MS" or "fail REASON".
sde_gen() {
    d=$SDE_OUT/$1
    mkdir -p "$d"
    if [ "$2" = c ]; then f=$d/model.c; else f=$d/model.mjs; fi
    key=$(cat "$3" $SDE/generate.mjs $SDE/package-lock.json |
        sha256sum | cut -c1-16)-$4-$SDE_CPU
    if [ -f "$d/$2.status" ] && [ "$(cat "$d/$2.key" 2>/dev/null)" = "$key" ]
    then
        return 0
    fi
    rm -f "$d/$2.status" "$f"
    # A new C makes the compiled one stale.
    [ "$2" != c ] || rm -f "$d/cc.status" "$d/cc.key" "$d/sde_run"
    o=
    [ "$4" = - ] || o=$4
    # dash's ulimit has -t (CPU seconds), as bash's does. The outer
    # subshell keeps the shell's "Killed" off the terminal.
    # shellcheck disable=SC3045
    if ( (ulimit -t "$SDE_CPU" &&
        exec node $SDE/generate.mjs "$2" "$3" "$f" \
            ${o:+--outputs "$o"}) >"$d/$2.log" 2>&1) 2>/dev/null; then
        echo "ok $(field gen_ms "$(grep '^result' "$d/$2.log")")" \
            >"$d/$2.status"
    else
        rc=$?
        # ulimit -t ends the process with SIGXCPU (or SIGKILL past it).
        if [ $rc = 152 ] || [ $rc = 137 ]; then
            echo "fail generation used its $SDE_CPU s of CPU" >"$d/$2.status"
        else
            echo "fail $(grep -v 'no var with name' "$d/$2.log" |
                grep -m 1 -i 'error\|generate:' | cut -c 1-100)" \
                >"$d/$2.status"
        fi
    fi
    echo "$key" >"$d/$2.key"
}

# Compiles case $1's model.c with sde_run.c (gcc -O2); same caching;
# $SDE_OUT/$1/cc.status holds "ok MS" or "fail REASON".
sde_cc() {
    d=$SDE_OUT/$1
    key=$(cat "$d/model.c" $SDE/sde_run.c $SDE/sde.h | sha256sum | cut -c1-16)
    if [ -f "$d/cc.status" ] && [ -x "$d/sde_run" ] &&
        [ "$(cat "$d/cc.key" 2>/dev/null)" = "$key" ]; then
        return 0
    fi
    t0=$(date +%s%N)
    if gcc -O2 -std=gnu11 -w -I$SDE "$d/model.c" $SDE/sde_run.c -lm \
        -o "$d/sde_run" >"$d/cc.log" 2>&1; then
        echo "ok $((($(date +%s%N) - t0) / 1000000))" >"$d/cc.status"
    else
        echo "fail gcc: $(grep -m 1 error "$d/cc.log" | cut -c 1-100)" \
            >"$d/cc.status"
    fi
    echo "$key" >"$d/cc.key"
}

# Runs the jobs named in $SDE_OUT/jobs.txt ("FUNCTION ARGS...", one a
# line, case names and files without blanks) two at a time, one per core;
# each job's stderr (the shell's "Killed" of a capped one) is dropped.
sde_jobs() {
    set --
    while read -r fn a b c d; do
        "$fn" "$a" "$b" "$c" "$d" 2>/dev/null &
        set -- "$@" x
        if [ $# -ge 2 ]; then
            wait
            set --
        fi
    done <"$SDE_OUT/jobs.txt"
    wait
}

gen_started=$(date +%s)
if [ -n "$sde_ok" ]; then
    echo "bench: SDEverywhere $sde_version: generating C and JS of each" \
        "model (kept in $SDE_OUT)" >&2
    mkdir -p "$SDE_OUT"
    # The C of every model, then the JS of those whose C did not use up
    # the CPU cap (the JS would, as generating it is the same work).
    awk -F '\t' '{ print "sde_gen", $1, "c", $2, $3 }' "$CASES" \
        >"$SDE_OUT/jobs.txt"
    sde_jobs
    : >"$SDE_OUT/jobs.txt"
    while IFS='	' read -r name file outs check; do
        case $(cat "$SDE_OUT/$name/c.status") in
        *"of CPU")
            sed 's/^fail /fail not tried: the C /' "$SDE_OUT/$name/c.status" \
                >"$SDE_OUT/$name/js.status"
            rm -f "$SDE_OUT/$name/js.key"
            ;;
        *) echo "sde_gen $name js $file $outs" >>"$SDE_OUT/jobs.txt" ;;
        esac
    done <"$CASES"
    sde_jobs
    # The C compiles.
    : >"$SDE_OUT/jobs.txt"
    while IFS='	' read -r name file outs check; do
        case $(cat "$SDE_OUT/$name/c.status") in
        ok*) echo "sde_cc $name" >>"$SDE_OUT/jobs.txt" ;;
        esac
    done <"$CASES"
    sde_jobs
fi

gen_took=$(($(date +%s) - gen_started))

# ---- the cases -------------------------------------------------------------

printf '%-28s %-44s %-34s %-6s %s\n' benchmark Territory peer ratio target
printf '%-28s %-44s %-34s %-6s %s\n' --------- --------- ---- ----- ------

# Times SDEverywhere's C and JS of case $1 with the check variable $2.
# Sets $cres and $jres to their result lines (empty when they did not
# run) and $peer to a short text: the figures, or why there are none.
sde_time() {
    cres=
    jres=
    peer=
    if [ -z "$sde_ok" ]; then
        peer="— SDEverywhere: $sde_why"
        return 0
    fi
    d=$SDE_OUT/$1
    cst=$(cat "$d/c.status")
    case $cst in ok*) cst=$(cat "$d/cc.status" 2>/dev/null || echo fail) ;; esac
    case $cst in
    ok*)
        echo "== SDEverywhere C $1" >>"$LOG"
        if "$d/sde_run" --min-seconds "$MIN" --var "$2" </dev/null \
            >"$ONE" 2>&1; then
            cres=$(grep '^result' "$ONE" || true)
        fi
        cat "$ONE" >>"$LOG"
        [ -n "$cres" ] || {
            failed=$((failed + 1))
            echo "bench: SDEverywhere C of $1 failed:" >&2
            cat "$ONE" >&2
        }
        ;;
    esac
    case $(cat "$d/js.status") in
    ok*)
        echo "== SDEverywhere JS $1" >>"$LOG"
        if node $SDE/bench_sde.mjs "$d/model.mjs" --min-seconds "$MIN" \
            --var "$2" </dev/null >"$ONE" 2>&1; then
            jres=$(grep '^result' "$ONE" || true)
        fi
        cat "$ONE" >>"$LOG"
        [ -n "$jres" ] || {
            failed=$((failed + 1))
            echo "bench: SDEverywhere JS of $1 failed:" >&2
            cat "$ONE" >&2
        }
        ;;
    esac
    c=${cres:+C $(us_fmt "$(field best_us "$cres")")}
    j=${jres:+JS $(us_fmt "$(field best_us "$jres")")}
    peer=$(echo "$c${c:+${j:+, }}$j" | sed 's/^$//')
    if [ -z "$peer" ]; then
        peer="— SDE: $(sed 's/^fail //' "$d/cc.status" 2>/dev/null ||
            sed 's/^fail //' "$d/c.status")"
    fi
}

# A status file's time in ms, or "-" when it failed or is missing.
sde_st() {
    sed 's/^ok //; s/^fail .*/-/' "$1" 2>/dev/null || echo -
}

# Records case $1 for RESULTS.md's SDEverywhere table, from $res (bench_sim,
# may be empty), $cres and $jres; sets $agreed to 0 when a final value
# differs from Territory's (a MISMATCH, counted as a failure).
sde_record() {
    d=$SDE_OUT/$1
    tc=$(field check "$res")
    cc=$(field last "$cres")
    jc=$(field last "$jres")
    agreed=1
    note=
    if [ -n "$jres" ] &&
        [ "$(field rows "$jres")" != "$(field expected_rows "$jres")" ]; then
        # Its final value is then unknown, not wrong.
        note="JS runtime saved $(field rows "$jres") of $(field expected_rows "$jres") rows"
        jc=
    fi
    for v in "$cc" "$jc"; do
        [ -n "$v" ] && [ -n "$tc" ] || continue
        if [ "$(agree "$tc" "$v")" != 1 ]; then
            agreed=0
        fi
    done
    if [ $agreed = 0 ]; then
        failed=$((failed + 1))
        echo "bench: $1: final values differ: Territory $tc, SDE C $cc," \
            "SDE JS $jc" >&2
    fi
    # Every field non-empty ("-"): read splits on runs of tabs.
    for v in "$1" "$(sde_st "$d/c.status")" "$(sde_st "$d/js.status")" \
        "$(sde_st "$d/cc.status")" "$(field outputs "$cres")" \
        "$(field best_us "$cres")" "$(field median_us "$cres")" \
        "$(field best_us "$jres")" "$(field median_us "$jres")" \
        "$(field call_best_us "$jres")" "$tc" "$cc" "$(field last "$jres")"
    do
        printf '%s\t' "${v:--}" >>"$SDES"
    done
    printf '%s\n' "${note:--}" >>"$SDES"
}

# Ratio text of SDE's C and JS best over Territory's best ($1, us).
sde_ratio() {
    c=${cres:+C $(ratio "$(field best_us "$cres")" "$1" %.2fx)}
    j=${jres:+JS $(ratio "$(field best_us "$jres")" "$1" %.1fx)}
    r="$c${c:+${j:+, }}$j"
    echo "${r:-—}"
}

# The simulation cases, each model run by Territory (bench_sim) and by
# SDEverywhere's C and JS; the final value of the check variable must
# agree between them.
while IFS='	' read -r name file outs check; do
    if [ "$outs" != - ]; then
        sim "$name" "$file" --vars "$outs" --check "$check" \
            --min-seconds "$MIN"
    else
        sim "$name" "$file" --check "$check" --min-seconds "$MIN"
    fi
    tres=$res
    if [ -z "$tres" ] && [ "$name" = arrayed-10k ]; then
        # Arrays may not be there yet: a refusal is "not yet", not a
        # failure (inproc counted it).
        failed=$((failed - 1))
        why=$(grep -m 1 'not supported\|arrays' "$ONE" | cut -c 1-60)
        sde_time "$name" "$check"
        res=
        sde_record "$name"
        row "sim arrayed-10k" "— territory run refuses it: ${why:-see log}" \
            "$peer" "—" "not yet"
        continue
    fi
    [ -n "$tres" ] || continue
    sde_time "$name" "$check"
    res=$tres
    sde_record "$name"
    tb=$(field best_us "$tres")
    mis=
    [ "$agreed" = 1 ] || mis=MISMATCH
    case $name in
    World3)
        # Within 2x of SDEverywhere's C, at least 4x faster than its JS.
        if [ -n "$cres" ]; then
            cb=$(field best_us "$cres")
            st=$(awk -v t="$tb" -v c="$cb" 'BEGIN {
                print (t <= 2 * c) ? "PASS" : "MISS" }')
            row "sim World3 vs SDE C" \
                "$(us_fmt "$tb") ($(field ns_per_var_step "$tres") ns/var-step)" \
                "SDE C (gcc -O2) $(us_fmt "$cb")" \
                "$(ratio "$cb" "$tb" %.2fx)" "${mis:-$st} (>= 0.5x)"
            shortfall "$(awk -v t="$tb" -v c="$cb" 'BEGIN { print t / (2 * c) }')" \
                "sim World3 vs SDE C" "sim"
        else
            row "sim World3 vs SDE C" "$(us_fmt "$tb")" "$peer" "—" "n/a"
        fi
        if [ -n "$jres" ]; then
            jb=$(field best_us "$jres")
            st=$(awk -v t="$tb" -v j="$jb" 'BEGIN {
                print (j >= 4 * t) ? "PASS" : "MISS" }')
            row "sim World3 vs SDE JS" "$(us_fmt "$tb")" \
                "SDE JS (node) $(us_fmt "$jb")" \
                "$(ratio "$jb" "$tb" %.1fx)" "${mis:-$st} (>= 4x)"
            shortfall "$(awk -v t="$tb" -v j="$jb" 'BEGIN { print 4 * t / j }')" \
                "sim World3 vs SDE JS" "sim"
        else
            row "sim World3 vs SDE JS" "$(us_fmt "$tb")" "$peer" "—" "n/a"
        fi
        ;;
    arrayed-10k)
        # The engine counts an array as one variable: report per element.
        el=$(awk -F '\t' '$1 == "arrayed-10k.mdl" { print $3 }' \
            "$MODELS/models.tsv")
        ns=$(awk -v b="$tb" -v e="$el" -v s="$(field steps "$tres")" \
            'BEGIN { printf "%.2f", b * 1000 / (e * s) }')
        row "sim arrayed-10k" \
            "$ns ns/element-step ($(us_fmt "$tb") best)" "$peer" \
            "$(sde_ratio "$tb")" "${mis:-$(below "$ns" 10)}"
        shortfall "$(ratio "$ns" 10)" "sim arrayed-10k" "sim"
        ;;
    *)
        sim_row "$name" "$peer" "$(sde_ratio "$tb")" "$mis"
        ;;
    esac
done <"$CASES"

# Linear growth: ns per variable-step at 100k over that at 1k. The issue
# asks for linear cost and gives no bound; this bench calls a ratio under 2
# linear.
for shape in chain lattice; do
    a=$(awk -F '\t' -v n="$shape-1k" '$1 == n' "$SIMS")
    b=$(awk -F '\t' -v n="$shape-100k" '$1 == n' "$SIMS")
    if [ -n "$a" ] && [ -n "$b" ]; then
        r=$(awk -v a="$(field ns_per_var_step "$a")" \
            -v b="$(field ns_per_var_step "$b")" 'BEGIN { printf "%.2f", b / a }')
        row "growth $shape 1k->100k" "${r}x ns/var-step" "—" "—" "$(below "$r" 2)"
    fi
done

# Open (read + compile) time, which the issue has no target for.
for name in World3 chain-1k lattice-1k chain-10k lattice-10k chain-100k \
    lattice-100k; do
    l=$(awk -F '\t' -v n="$name" '$1 == n' "$SIMS")
    [ -n "$l" ] || continue
    row "open $name" "$(awk -v o="$(field open_ms "$l")" \
        -v r="$(field read_ms "$l")" -v c="$(field compile_ms "$l")" \
        'BEGIN { printf "%.1f ms (read %.1f + compile %.1f)", o, r, c }')" \
        "—" "—" "n/a"
done

# Peak memory of the whole command on the 100k models: under 200 MB.
if [ -x /usr/bin/time ]; then
    for shape in chain lattice; do
        v=$(save_of "$shape-100k.xmile")
        if /usr/bin/time -f %M -o "$OUT/time.out" "$TB" run \
            "$MODELS/$shape-100k.xmile" --vars "$v" -o /dev/null \
            >>"$LOG" 2>&1; then
            kb=$(tail -n 1 "$OUT/time.out")
            mb=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
            echo "memory $shape-100k: $kb KiB" >>"$LOG"
            row "memory $shape-100k" "$mb MB peak RSS" "—" "—" \
                "$(below "$mb" 200)"
        else
            failed=$((failed + 1))
            row "memory $shape-100k" "failed (see $LOG)" "—" "—" "n/a"
        fi
    done
else
    row "memory 100k" "not measured: no /usr/bin/time" "—" "—" \
        "n/a (apt-get install time)"
fi

# Whole process: `territory run` on World3 (target under 20 ms) and on the
# 10k chain with every variable written as CSV (to /dev/null), then with
# one. proc_time sets $proc to "best median cpu" in ms (cpu: user + system,
# mean; "-" without hyperfine), or empty when a run failed.
if command -v hyperfine >/dev/null 2>&1; then
    how="hyperfine, 20 runs after 3 warm-ups"
else
    how="20 runs each timed with date +%s%N (hyperfine not installed)"
fi
proc_time() {
    echo "== territory run $*" >>"$LOG"
    if command -v hyperfine >/dev/null 2>&1; then
        if hyperfine -N --warmup 3 --runs 20 --export-json "$OUT/hf.json" \
            "$TB run $*" >>"$LOG" 2>&1; then
            proc=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f %.1f" % (r["min"] * 1e3, r["median"] * 1e3,
                          (r["user"] + r["system"]) * 1e3))' "$OUT/hf.json")
        else
            proc=
        fi
        return 0
    fi
    : >"$OUT/proc.txt"
    i=0
    proc=x
    while [ $i -lt 20 ]; do
        t0=$(date +%s%N)
        "$TB" run "$@" >>"$LOG" 2>&1 || proc=
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$OUT/proc.txt"
        i=$((i + 1))
    done
    [ -z "$proc" ] || proc=$(sort -n "$OUT/proc.txt" | awk '{ v[NR] = $1 }
        END { printf "%.1f %.1f -", v[1] / 1000, (v[10] + v[11]) / 2000 }')
}
proc_w3=
if [ -f "$W3" ]; then
    proc_time "$W3" -o /dev/null
    proc_w3=$proc
    if [ -n "$proc" ]; then
        # shellcheck disable=SC2086
        set -- $proc
        row "process World3" "$1 ms best, $2 ms median (CPU $3 ms)" "—" "—" \
            "$(below "$1" 20) (< 20 ms)"
        shortfall "$(ratio "$1" 20)" "process World3" "process"
    else
        failed=$((failed + 1))
        row "process World3" "failed (see $LOG)" "—" "—" "n/a"
    fi
fi
m=$MODELS/chain-10k.xmile
v=$(save_of chain-10k.xmile)
proc_all=
proc_one=
for what in all one; do
    if [ $what = all ]; then
        proc_time "$m" -o /dev/null
        proc_all=$proc
    else
        proc_time "$m" --vars "$v" -o /dev/null
        proc_one=$proc
    fi
    if [ -n "$proc" ]; then
        row "process chain-10k, $what" \
            "$(echo "$proc" | awk '{ printf "%s ms best, %s ms median", $1, $2 }')" \
            "—" "—" "n/a"
    else
        failed=$((failed + 1))
        row "process chain-10k, $what" "failed (see $LOG)" "—" "—" "n/a"
    fi
done

# Ensemble: 10,000 runs of the 100-variable model on 2 cores in under 5 s,
# whole process, four constants drawn by Latin hypercube, the bands of one
# variable written to a file. The best of 3 runs after one warm-up.
ENS_MODEL=$MODELS/ensemble-100.xmile
ENS_ARGS="--runs 10000 --jobs 2 --seed 8 --vars $(save_of ensemble-100.xmile) --quiet"
ENS_SH=$OUT/ensemble.sh # the command, for the timing and for perf
cat >"$ENS_SH" <<EOF
exec $TB ensemble $ENS_MODEL $ENS_ARGS \\
    --vary 'input=uniform(5,15)' --vary 'base_time=triangular(1,2,4)' \\
    --vary 'capacity=uniform(50,150)' \\
    --vary 'initial_level=uniform(50,150)' -o $OUT/ensemble.csv
EOF
echo "== ensemble: $(tr -d '\\\n' <"$ENS_SH")" >>"$LOG"
ens=
if sh "$ENS_SH" </dev/null >>"$LOG" 2>&1; then
    : >"$OUT/ens.txt"
    for i in 1 2 3; do
        t0=$(date +%s%N)
        sh "$ENS_SH" </dev/null >>"$LOG" 2>&1 || { ens=; break; }
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$OUT/ens.txt"
        ens=x
    done
fi
if [ -n "$ens" ]; then
    ens=$(sort -n "$OUT/ens.txt" | awk '{ v[NR] = $1 }
        END { printf "%.2f %.2f", v[1] / 1e6, v[2] / 1e6 }')
    # shellcheck disable=SC2086
    set -- $ens
    row "ensemble 10k runs" "$1 s best, $2 s median (2 jobs)" "—" "—" \
        "$(below "$1" 5) (< 5 s)"
    shortfall "$(ratio "$1" 5)" "ensemble 10k runs" "ensemble"
else
    failed=$((failed + 1))
    row "ensemble 10k runs" "failed (see $LOG)" "—" "—" "n/a"
fi

# The server: bench/server.sh starts `territory serve`, imports 1,000
# items and drives it with wrk (GETs of the map, then item writes).
SRV=$OUT/server
echo "== server (bench/server.sh)" >>"$LOG"
srv_rc=0
sh bench/server.sh "$TB" "$SRV" >"$OUT/server.tsv" 2>"$ONE" ||
    srv_rc=$?
cat "$OUT/server.tsv" "$ONE" >>"$LOG"
srv_get=
srv_post=
srv_items=
case $srv_rc in
0)
    srv_get=$(sed -n 's/^get\t//p' "$OUT/server.tsv")
    srv_post=$(sed -n 's/^post\t//p' "$OUT/server.tsv")
    srv_items=$(sed -n 's/^items\t//p' "$OUT/server.tsv")
    rps=$(field rps "$srv_get")
    p99=$(field p99_ms "$srv_get")
    # A non-2xx answer is a fault; a timeout (5 s) is a slow answer.
    st=$(awk -v r="$rps" -v p="$p99" -v b="$(field non2xx "$srv_get")" \
        -v t="$(field timeout "$srv_get")" 'BEGIN {
        print (b > 0) ? "FAIL" : (r >= 20000 && p < 20 && t == 0) ? \
            "PASS" : "MISS" }')
    [ "$st" != FAIL ] || failed=$((failed + 1))
    to=$(field timeout "$srv_get")
    [ "$to" = 0 ] && to= || to=", $to timeouts"
    row "server GET map (1k items)" "$rps req/s, p99 $p99 ms$to" \
        "— (64 connections)" "—" "$st (>= 20000/s, p99 < 20 ms)"
    shortfall "$(awk -v r="$rps" -v p="$p99" 'BEGIN {
        a = r > 0 ? 20000 / r : 1e9; b = p / 20; print (a > b ? a : b) }')" \
        "server GET map" "server-get"
    wps=$(field rps "$srv_post")
    before=$(echo "$srv_items" | cut -f1)
    after=$(echo "$srv_items" | cut -f2)
    ok=$(($(field requests "$srv_post") - $(field non2xx "$srv_post")))
    # Every write answered with success must be in the database after.
    st=$(awk -v w="$wps" -v ok="$ok" -v b="$before" -v a="$after" \
        -v n="$(field non2xx "$srv_post")" 'BEGIN {
        print (n > 0 || a - b < ok) ? "FAIL" : (w >= 2000) ? "PASS" : "MISS" }')
    [ "$st" != FAIL ] || failed=$((failed + 1))
    row "server item writes" \
        "$wps writes/s, p99 $(field p99_ms "$srv_post") ms" \
        "— ($((after - before)) items added)" "—" "$st (>= 2000/s)"
    shortfall "$(ratio 2000 "$wps")" "server item writes" "server-post"
    ;;
3)
    why=$(cat "$OUT/server.tsv")
    row "server GET/writes" "— $why" "— wrk not run" "—" "not yet"
    ;;
*)
    failed=$((failed + 1))
    cat "$ONE" >&2
    row "server GET/writes" "failed (see $LOG)" "—" "—" "n/a"
    ;;
esac

# Loop finding against networkx (issues 5 and 8): the same cycle count on
# each generated graph, and Territory at least 50x faster. Territory's
# figure is the whole `territory loops` process (start, read the JSON map,
# count, print), the best of 3; networkx's is simple_cycles alone, counted
# in Debian's python3 after the edge list is read (reading is timed apart),
# the best of up to 3 runs or as many as fit in BENCH_NX_SECONDS (default
# 10; at least one). bench_loops adds Territory's in-process figure.
NX_PYTHON=/usr/bin/python3
NX_SECONDS=${BENCH_NX_SECONDS:-10}
NX_PY='import sys, time
import networkx as nx
t = time.perf_counter()
G = nx.read_edgelist(sys.argv[1], create_using=nx.DiGraph, nodetype=int)
read = time.perf_counter() - t
times, count = [], None
while len(times) < 3 and (not times or sum(times) < float(sys.argv[2])):
    t = time.perf_counter()
    c = sum(1 for _ in nx.simple_cycles(G))
    times.append(time.perf_counter() - t)
    if count is not None and c != count:
        sys.exit("networkx: the count changed between runs")
    count = c
print("networkx %s: %d nodes, %d edges, %d cycles, runs (s): %s"
      % (nx.__version__, G.number_of_nodes(), G.number_of_edges(), count,
         " ".join("%.3f" % x for x in times)))
print("result\tcount=%d\tbest_s=%.4f\truns=%d\tread_s=%.4f\tversion=%s"
      % (count, min(times), len(times), read, nx.__version__))'
nx_version=
if "$NX_PYTHON" -c 'import networkx' >/dev/null 2>&1; then
    nx_version=$("$NX_PYTHON" -c \
        'import networkx; print(networkx.__version__)')
fi
for g in loops-1k loops-10k; do
    map=$GRAPHS/$g.json
    loops_proc "$map"
    inproc bench_loops "loops $g, in-process" "$map" --min-seconds "$MIN" \
        --budget $LOOPS_BUDGET
    ipres=$res
    nxres=
    if [ -n "$nx_version" ]; then
        echo "== networkx simple_cycles $GRAPHS/$g.edges" >>"$LOG"
        if "$NX_PYTHON" -c "$NX_PY" "$GRAPHS/$g.edges" "$NX_SECONDS" \
            >"$ONE" 2>&1; then
            nxres=$(grep '^result' "$ONE" || true)
        fi
        cat "$ONE" >>"$LOG"
        if [ -z "$nxres" ]; then
            failed=$((failed + 1))
            echo "bench: networkx on $g failed:" >&2
            cat "$ONE" >&2
        fi
    fi
    if [ -z "$lcount" ]; then
        row "loops $g" "failed (see $LOG)" "—" "—" "n/a"
        continue
    fi
    nxc=$(field count "$nxres")
    ipc=$(field count "$ipres")
    nxs=$(field best_s "$nxres")
    fig="$lcount cycles, $lproc ms process"
    if [ -z "$nx_version" ]; then
        failed=$((failed + 1))
        row "loops $g" "$fig" "— networkx not installed" "—" \
            "n/a (bench/deps.txt)"
        continue
    fi
    [ -n "$nxres" ] || { row "loops $g" "$fig" "failed (see $LOG)" "—" \
        "n/a"; continue; }
    peer=$(awk -v c="$nxc" -v s="$nxs" -v r="$(field runs "$nxres")" \
        'BEGIN { printf "%d cycles, %.2f s (best of %d)", c, s, r }')
    ratio=$(awk -v n="$nxs" -v t="$lproc" \
        'BEGIN { printf "%.0fx", n * 1000 / t }')
    if [ "$nxc" != "$lcount" ] ||
        { [ -n "$ipres" ] && [ "$ipc" != "$lcount" ]; }; then
        failed=$((failed + 1))
        status=MISMATCH
        echo "bench: $g: territory loops counts $lcount cycles, bench_loops" \
            "${ipc:-?}, networkx $nxc" >&2
    else
        status=$(awk -v n="$nxs" -v t="$lproc" \
            'BEGIN { print (n * 1000 / t >= 50) ? "PASS" : "MISS" }')
        shortfall "$(awk -v n="$nxs" -v t="$lproc" 'BEGIN { print 50 * t / (n * 1000) }')" \
            "loops $g" "none"
    fi
    row "loops $g" "$fig" "$peer" "$ratio" "$status"
    if [ -n "$ipres" ]; then
        ipfig=$(awk -v b="$(field best_us "$ipres")" \
            -v r="$(field read_ms "$ipres")" \
            -v c="$(field ns_per_cycle "$ipres")" \
            'BEGIN { printf "%.2f ms count + %.1f ms read, %.0f ns/cycle", \
                b / 1000, r, c }')
        ipratio=$(awk -v n="$nxs" -v b="$(field best_us "$ipres")" \
            'BEGIN { printf "%.0fx", n * 1e6 / b }')
        row "loops $g, in-process" "$ipfig" "same (count only)" \
            "$ipratio" "n/a"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$g" "$(field nodes "$ipres")" "$(field links "$ipres")" "$lcount" \
        "$lproc" "$(field best_us "$ipres")" "$(field median_us "$ipres")" \
        "$(field runs "$ipres")" "$(field read_ms "$ipres")" \
        "$(field ns_per_cycle "$ipres")" "$nxc" "$nxs" \
        "$(field runs "$nxres")" "$(field read_s "$nxres")" "$status" \
        >>"$LOOPS"
done

# ---- profiles --------------------------------------------------------------

# The two cases furthest from their targets (largest shortfall above 1)
# are profiled with perf: where the time goes, by function. Each kind of
# case has its own command; bench/profiles.md says what was found and done.
PROF=$OUT/profiles
mkdir -p "$PROF"
rm -f "$PROF"/*.txt
# Runs perf record on the command after $1 (the output name), with call
# graphs from DWARF (the build keeps no frame pointers), then perf_report.
perf_cmd() {
    n=$1
    shift
    perf record -q -F 499 --call-graph dwarf,8192 -o "$PROF/$n.data" -- \
        "$@" >>"$LOG" 2>&1 || return 1
    perf_report "$n"
}
# Writes $PROF/$1.txt: the functions with the most samples of their own,
# then the functions with what they call (inclusive), without the
# kernel's, the thread starts and the frames perf could not name.
perf_report() {
    {
        echo "own time (dso, function):"
        perf report -i "$PROF/$1.data" --no-children --sort dso,symbol \
            --stdio -g none --percent-limit 1.5 2>/dev/null |
            grep '%' | grep -v '^#' | sed 's/ *- *- *$//; s/ *$//' |
            head -n 12
        echo
        echo "with what they call (inclusive, own; named user functions):"
        perf report -i "$PROF/$1.data" --children --sort symbol \
            --stdio -g none --percent-limit 2 2>/dev/null |
            grep '%' | grep -v '^#' |
            grep -v '\[k\]\|0x0000\|_start\|start_thread\|clone' |
            sed 's/ *- *- *$//; s/ *$//' | head -n 14
    } >"$PROF/$1.txt"
}
profile_case() {
    n=$(echo "$2" | tr ' /' '__')
    case $1 in
    sim)
        m=$(awk -F '\t' -v c="$(echo "$2" | sed 's/^sim //; s/ vs .*//')" \
            '$1 == c { print $2 }' "$CASES")
        [ -n "$m" ] || return 1
        perf_cmd "$n" "$OUT/bench_sim" "$m" --min-seconds 3
        ;;
    process)
        perf_cmd "$n" sh -c 'i=0; while [ $i -lt 100 ]; do
            "$2" run "$1" -o /dev/null || exit 1
            i=$((i + 1)); done' sh "$W3" "$TB"
        ;;
    ensemble)
        perf_cmd "$n" sh "$ENS_SH"
        ;;
    server-get | server-post)
        BENCH_PERF=${1#server-} BENCH_PERF_OUT=$PROF/$n.data \
            BENCH_WRK_SECONDS=5 sh bench/server.sh "$TB" \
            "$OUT/server-perf" </dev/null >>"$LOG" 2>&1 || return 1
        perf_report "$n"
        ;;
    *) return 1 ;;
    esac
}
profiled=
if command -v perf >/dev/null 2>&1; then
    sort -t '	' -k1,1 -g -r "$MISSES" |
        awk -F '\t' '$1 > 1 && $3 != "none"' | head -n 2 >"$PROF/cases.tsv"
    while IFS='	' read -r sf name kind; do
        echo "bench: profiling '$name' (${sf}x from its target)" >&2
        if profile_case "$kind" "$name"; then
            profiled="$profiled $name"
        else
            echo "bench: profiling '$name' failed (see $LOG)" >&2
        fi
    done <"$PROF/cases.tsv"
fi

# ---- RESULTS.md ------------------------------------------------------------

took=$(($(date +%s) - started))
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
{
    echo "# Benchmark results"
    echo
    echo "Written by \`sh bench/run.sh\` (\`make bench\`); do not edit by hand."
    echo "What each figure means: bench/README.md."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); the run took ${took} s," \
        "${gen_took} s of it SDEverywhere's code generation and C compiles" \
        "(kept for the next run when their inputs do not change)"
    echo "- Commit: $commit"
    echo "- Machine: $(nproc) CPUs, $cpu, $mem memory, Linux $(uname -r)"
    echo "- Compiler: $(gcc --version | head -n 1)"
    echo "- Load average (1, 5, 15 min) at the start: $load; at the end:" \
        "$load_end (other work on the machine slows every figure)"
    echo "- Each model simulated over and over for at least $MIN s" \
        "(and 3 runs) after one warm-up run"
    if [ -n "$sde_ok" ]; then
        echo "- Peer: SDEverywhere $sde_version (@sdeverywhere/compile and" \
            "runtime), node $node_version; its C compiled with gcc -O2"
    else
        echo "- Peer: SDEverywhere not run: $sde_why"
    fi
    echo
    echo "## Summary"
    echo
    echo "Targets from issue 8: simulation single-digit ns per" \
        "variable-step (PASS if < 10); on World3 within 2x of" \
        "SDEverywhere's generated C (its time over Territory's >= 0.5) and" \
        "at least 4x faster than its JS; cost linear in variables x steps" \
        "(PASS if the 100k figure is under 2x the 1k one); \`territory run" \
        "wrld3-03.mdl\` under 20 ms whole process; 10,000 ensemble runs of" \
        "a 100-variable model on 2 cores under 5 s; a 100,000-variable" \
        "model in under 200 MB; the server's GET of a 1,000-item map at" \
        ">= 20,000 requests/s with p99 < 20 ms at 64 connections and" \
        ">= 2,000 item writes/s; loop finding with networkx's cycle counts" \
        "and at least 50x faster. A ratio is the peer's time over" \
        "Territory's (above 1: Territory is faster). MISMATCH (a failure):" \
        "the engines' results differ."
    echo
    echo "| benchmark | Territory | peer | ratio | target |"
    echo "|---|---|---|---|---|"
    awk -F '\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' \
        "$ROWS"
    echo
    echo "## Simulation, in-process (bench/bench_sim.c)"
    echo
    echo "Open is \`territory_model_open\` (read + compile), timed once; read"
    echo "and compile are timed apart on a second load. A run is one"
    echo "\`territory_simulate\` (Euler); ns/var-step is the best run divided"
    echo "by variables x steps. Name lookup is the time to resolve the saved"
    echo "variable's name, which \`territory_simulate\` does on every call, so"
    echo "it is inside each run (timed apart with \`sd_program_find\`). Peak"
    echo "RSS is bench_sim's own, whole process."
    echo
    echo "| model | variables | saved | steps | open ms | read ms | compile ms | runs | best µs | median µs | ns/var-step | name lookup µs | peak RSS MB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    while IFS='	' read -r name l; do
        printf '| %s | %s | %s | %s | %.2f | %.2f | %.2f | %s | %.1f | %.1f | %.2f | %s | %.1f |\n' \
            "$name" "$(field vars "$l")" "$(field saved "$l")" \
            "$(field steps "$l")" "$(field open_ms "$l")" \
            "$(field read_ms "$l")" "$(field compile_ms "$l")" \
            "$(field runs "$l")" "$(field best_us "$l")" \
            "$(field median_us "$l")" "$(field ns_per_var_step "$l")" \
            "$(field lookup_us "$l")" \
            "$(awk -v k="$(field maxrss_kb "$l")" 'BEGIN { print k / 1024 }')"
    done <"$SIMS"
    echo
    echo "## SDEverywhere (bench/sde)"
    echo
    if [ -n "$sde_ok" ]; then
        echo "The same model files, generated by SDEverywhere $sde_version"
        echo "(\`bench/sde/generate.mjs\`; a Vensim two-argument"
        echo "LOG(x, b) is rewritten LN(x)/LN(b) first) into C, compiled with"
        echo "\`gcc -O2\` and timed in-process by bench/sde/sde_run.c, and into"
        echo "JS, timed in node $node_version by \`bench/sde/bench_sde.mjs\`, through"
        echo "\`createSynchronousModelRunner\`: *JS sim* is the runtime's own"
        echo "timer (generated code and run loop), *runModelSync* the whole"
        echo "call (the outputs copied into Series too); the JS after 3 s of"
        echo "untimed runs, for V8's optimizing compiler. Each for at least"
        echo "$MIN s, best and median. Generation is capped at $SDE_CPU s of"
        echo "CPU (BENCH_SDE_CPU_SECONDS) and kept between runs. Outputs:"
        echo "every variable, as Territory saves them, except on the 100k and"
        echo "arrayed models (one, on both sides). *Final value*: the check"
        echo "variable at the final time, which must agree (relative 1e-6)."
        echo
        echo "| model | gen C ms | gen JS ms | gcc ms | outputs | C best / median µs | JS sim best / median µs | runModelSync best µs | final value: Territory / C / JS | note |"
        echo "|---|---|---|---|---|---|---|---|---|---|"
        while IFS='	' read -r n gc gj cc no cb cm jb jm jcb tv cv jv note; do
            printf '| %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s / %s / %s | %s |\n' \
                "$n" "$gc" "$gj" "$cc" "$no" "$cb" "$cm" "$jb" "$jm" "$jcb" \
                "$tv" "$cv" "$jv" "$(echo "$note" | sed 's/^-$//')"
        done <"$SDES"
        echo
        echo "Generation or compile failures, as recorded:"
        echo
        for f in "$SDE_OUT"/*/*.status; do
            case $(cat "$f") in
            fail*)
                echo "- $(basename "$(dirname "$f")") $(basename "$f" .status):" \
                    "$(sed 's/^fail //' "$f")"
                ;;
            esac
        done
    else
        echo "Not run: $sde_why."
    fi
    echo
    echo "## Whole process"
    echo
    echo "\`build/territory run MODEL -o /dev/null\` (read, compile, simulate,"
    echo "write every variable as CSV): $how; best and median wall time,"
    echo "CPU the mean user + system time."
    echo
    for what in w3 all one; do
        case $what in
        w3) p=$proc_w3 d="World3 (\`$W3\`)" ;;
        all) p=$proc_all d="chain-10k, every column" ;;
        one) p=$proc_one d="chain-10k, one column (\`--vars $v\`)" ;;
        esac
        [ -n "$p" ] || continue
        echo "$p" | awk -v d="$d" '{ printf "- %s: best %s ms, median %s ms, CPU %s ms\n", \
            d, $1, $2, $3 }'
    done
    echo
    echo "Peak memory (/usr/bin/time %M) of \`build/territory run MODEL --vars X"
    echo "-o /dev/null\` on the 100k models is in the summary above."
    echo
    echo "## Ensemble"
    echo
    echo "\`build/territory ensemble build/bench/models/ensemble-100.xmile"
    echo "$ENS_ARGS\` with four \`--vary\` (uniform, triangular),"
    echo "writing the bands to a file: 100 variables, 400 steps, 10,000 runs,"
    echo "whole process, of 3 runs after a warm-up:"
    if [ -n "$ens" ]; then
        echo "$ens" | awk '{ printf "best %s s, median %s s.\n", $1, $2 }'
    else
        echo "failed (see build/bench/log)."
    fi
    echo
    echo "## Server (bench/server.sh)"
    echo
    if [ -n "$srv_get" ]; then
        echo "\`build/territory serve\` on a fresh database, an account and a"
        echo "workspace of 1,000 items and 1,500 links imported"
        echo "(bench/server_setup.py), then wrk (2 threads, 64 connections,"
        echo "${BENCH_WRK_SECONDS:-10} s each, on the same 2 cores as the"
        echo "server) with the session cookie: GET /api/w/SLUG/map, then"
        echo "POST /api/w/SLUG/items (with the CSRF header; bench/wrk/*.lua)."
        echo "$srv_items" | awk -F '\t' '{ printf "Items before the writes: %s;" \
        " after: %s.\n", $1, $2 }'
        echo
        echo "| case | requests | req/s | p50 ms | p99 ms | max ms | non-2xx | timeouts |"
        echo "|---|---|---|---|---|---|---|---|"
        for c in get post; do
            if [ $c = get ]; then l=$srv_get; else l=$srv_post; fi
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$c" \
                "$(field requests "$l")" "$(field rps "$l")" \
                "$(field p50_ms "$l")" "$(field p99_ms "$l")" \
                "$(field max_ms "$l")" "$(field non2xx "$l")" \
                "$(field timeout "$l")"
        done
    else
        echo "Not measured: see the summary."
    fi
    echo
    echo "## Loop finding (bench/gen_graphs.py, bench/bench_loops.c)"
    echo
    echo "Random sparse digraphs G(n, m) with a fixed seed, no self-loops or"
    echo "parallel links (bench/gen_graphs.py says why these m). Territory"
    echo "process: \`build/territory loops G.json --format json --max 0\`,"
    echo "whole process (start, read the JSON map, count, print), best of 3,"
    echo "each timed with \`date +%s%N\`. In-process: \`map_loops_find\`"
    echo "with nothing listed, best and median of repeated counts over at"
    echo "least $MIN s; read is the file, JSON and graph, once. networkx"
    echo "${nx_version:-(not installed)} (Debian's python3-networkx, in"
    echo "$NX_PYTHON): \`sum(1 for _ in nx.simple_cycles(G))\` on the graph"
    echo "read from the edge list, best of up to 3 runs within $NX_SECONDS s"
    echo "(at least one); reading the edge list is timed apart."
    echo
    echo "| graph | nodes | links | cycles | process ms | in-process best / median ms (runs) | read ms | ns/cycle | networkx cycles | networkx s (runs) | networkx read s | ratio (process) | ratio (in-process) | target |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    while IFS='	' read -r g n e c pm ib im ir rm nc xc xs xr xread st; do
        awk -v g="$g" -v n="$n" -v e="$e" -v c="$c" -v pm="$pm" -v ib="$ib" \
            -v im="$im" -v ir="$ir" -v rm="$rm" -v nc="$nc" -v xc="$xc" \
            -v xs="$xs" -v xr="$xr" -v xread="$xread" -v st="$st" 'BEGIN {
            printf "| %s | %s | %s | %s | %.2f | %.2f / %.2f (%s) | %.1f | %.0f | %s | %.2f (%s) | %.3f | %.0fx | %.0fx | %s |\n",
                g, n, e, c, pm, ib / 1000, im / 1000, ir, rm, nc, xc, xs, xr,
                xread, xs * 1000 / pm, (ib > 0 ? xs * 1e6 / ib : 0), st }'
    done <"$LOOPS"
    echo
    echo "## Profiles of the two cases furthest from their targets"
    echo
    echo "Chosen by this run: the largest shortfalls (the factor a figure"
    echo "must improve by to meet its target). \`perf record --call-graph"
    echo "dwarf\` at 499 Hz: the functions with the most samples of their own"
    echo "(at least 1.5%), then the named functions with everything they"
    echo "call (at least 2%; the first column inclusive, the second own)."
    echo
    if [ -s "$PROF/cases.tsv" ]; then
        while IFS='	' read -r sf name kind; do
            n=$(echo "$name" | tr ' /' '__')
            echo "### $name ($(printf '%.1f' "$sf")x from its target)"
            echo
            if [ -s "$PROF/$n.txt" ]; then
                echo '```'
                cat "$PROF/$n.txt"
                echo '```'
            else
                echo "No profile (perf failed; see build/bench/log)."
            fi
            echo
        done <"$PROF/cases.tsv"
    elif ! command -v perf >/dev/null 2>&1; then
        echo "Not profiled: perf is not installed (bench/deps.txt)."
        echo
    else
        echo "Every case meets its target."
        echo
    fi
    echo "### What the profiles show, and what was done (bench/profiles.md)"
    echo
    sed '1,/^<!-- results -->$/d' bench/profiles.md
} >bench/RESULTS.md

echo
echo "wrote bench/RESULTS.md in ${took} s; the output of every case is in $LOG"
if [ $failed -gt 0 ]; then
    echo "bench: $failed benchmark(s) failed to run" >&2
    exit 1
fi
