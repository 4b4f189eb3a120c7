#!/bin/sh
# run.sh - the benchmarks of issue 8: builds the engine, bench_sim and
# bench_loops, installs the peers of bench/deps.txt, generates the large
# models and graphs, times every case, prints one line per benchmark (name,
# Territory's figure, the peer's figure, their ratio, PASS/MISS against the
# issue's target) and writes bench/RESULTS.md.
#
#   sh bench/run.sh           the whole bench (about a minute)
#   sh bench/run.sh --smoke   the 1k chain and a 60-node graph, briefly,
#                             without peers: checks the harness
#
# Environment: TERRITORY_TEST_MODELS (default ../shared/test-models) for
# teacup and SIR; BENCH_MIN_SECONDS (default 2) is how long each model is
# simulated over and over. Run from anywhere; it works in the repo root.
# Exit: 0 when every benchmark ran (a MISS is a result, not a failure),
# 1 when one failed to run, 2 usage error.

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
TM=${TERRITORY_TEST_MODELS:-../shared/test-models}
MIN=${BENCH_MIN_SECONDS:-2}
mkdir -p "$OUT"
# The smoke test keeps its own files, so it never clobbers a full run's.
tag=
[ $smoke = 0 ] || tag=smoke-
LOG=$OUT/${tag}log          # bench_sim's full output, case by case
ROWS=$OUT/${tag}rows.tsv    # name, Territory, peer, ratio, status
SIMS=$OUT/${tag}sims.tsv    # the result line of every bench_sim run
ONE=$OUT/${tag}one.log      # the case running now
LOOPS=$OUT/${tag}loops.tsv  # one line per graph of the loops benchmark
GRAPHS=$OUT/graphs          # the generated graphs (bench/gen_graphs.py)
: >"$LOG"
: >"$ROWS"
: >"$SIMS"
: >"$LOOPS"
failed=0

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
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
    bench/bench_sim.c build/libterritory.a -lexpat -lm -o "$OUT/bench_sim"
libs=$(pkg-config --libs jansson expat 2>/dev/null || echo -ljansson -lexpat)
# shellcheck disable=SC2086
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
    bench/bench_loops.c build/libterritory.a $libs -lm -lpthread \
    -o "$OUT/bench_loops"
python3 bench/gen_models.py "$MODELS"
if [ $smoke = 1 ]; then
    python3 bench/gen_graphs.py "$GRAPHS" --smoke
else
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
[ $smoke = 1 ] || bench_deps

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

# Runs the in-process bench $1 (bench_sim or bench_loops) as case $2
# (further arguments go to it); sets $res to its result line, or empty when
# it failed, which counts as a failure.
inproc() {
    bin=$1
    name=$2
    shift 2
    echo "== $name" >>"$LOG"
    if "$OUT/$bin" "$@" >"$ONE" 2>&1; then
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
        if ! build/territory loops "$1" --format json --max 0 \
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

# Prints the simulation row of case $1 from $res; $2 says why no peer.
sim_row() {
    ns=$(field ns_per_var_step "$res")
    best=$(field best_us "$res")
    med=$(field median_us "$res")
    fig=$(awk -v n="$ns" -v b="$best" -v m="$med" 'BEGIN {
        u = b >= 10000 ? "ms" : "us"; d = u == "ms" ? 1000 : 1
        printf "%.2f ns/var-step (%.1f/%.1f %s)", n, b / d, m / d, u }')
    row "sim $1" "$fig" "$2" "—" "$(below "$ns" 10)"
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
    echo "bench smoke: ok ($(field runs "$simres") runs of chain-1k," \
        "$(field ns_per_var_step "$simres") ns/var-step; loops-tiny:" \
        "$lcount cycles, $lproc ms)"
    exit 0
fi

# ---- the cases -------------------------------------------------------------

printf '%-28s %-44s %-34s %-6s %s\n' benchmark Territory peer ratio target
printf '%-28s %-44s %-34s %-6s %s\n' --------- --------- ---- ----- ------
NO_SDE="— SDEverywhere not installed yet"
NO_MDL="— SDE reads .mdl only (issue 3)"

# The test-models samples; SDEverywhere could run their .mdl twins, but the
# harness does not install it yet.
for s in teacup SIR; do
    f=$TM/samples/$s/$s.xmile
    if [ -f "$f" ]; then
        sim "$s" "$f" --min-seconds "$MIN"
        if [ -n "$res" ]; then sim_row "$s" "$NO_SDE"; fi
    else
        echo "skip $s: no $f (set TERRITORY_TEST_MODELS)"
        echo "skip $s: no $f" >>"$LOG"
    fi
done

# The generated models: all variables saved up to 10k, one at 100k.
for size in 1k 10k 100k; do
    for shape in chain lattice; do
        m=$MODELS/$shape-$size.xmile
        if [ $size = 100k ]; then
            v=$(awk -F '\t' -v f="$shape-$size.xmile" '$1 == f { print $5 }' \
                "$MODELS/models.tsv")
            sim "$shape-$size" "$m" --vars "$v" --min-seconds "$MIN"
        else
            sim "$shape-$size" "$m" --min-seconds "$MIN"
        fi
        if [ -n "$res" ]; then sim_row "$shape-$size" "$NO_MDL"; fi
    done
done

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
for size in 1k 10k 100k; do
    for shape in chain lattice; do
        l=$(awk -F '\t' -v n="$shape-$size" '$1 == n' "$SIMS")
        [ -n "$l" ] || continue
        row "open $shape-$size" "$(awk -v o="$(field open_ms "$l")" \
            -v r="$(field read_ms "$l")" -v c="$(field compile_ms "$l")" \
            'BEGIN { printf "%.1f ms (read %.1f + compile %.1f)", o, r, c }')" \
            "—" "—" "n/a"
    done
done

# Peak memory of the whole command on the 100k models: under 200 MB.
if [ -x /usr/bin/time ]; then
    for shape in chain lattice; do
        v=$(awk -F '\t' -v f="$shape-100k.xmile" '$1 == f { print $5 }' \
            "$MODELS/models.tsv")
        if /usr/bin/time -f %M -o "$OUT/time.out" build/territory run \
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

# Whole process on the 10k chain: `territory run` with every variable
# written as CSV (to /dev/null), then with one, which leaves reading,
# compiling and simulating. Sets $proc to "best median" in ms, or empty.
if command -v hyperfine >/dev/null 2>&1; then
    how="hyperfine, 10 runs after 2 warm-ups"
else
    how="10 runs each timed with date +%s%N (hyperfine not installed)"
fi
proc_time() {
    if command -v hyperfine >/dev/null 2>&1; then
        if hyperfine -N --warmup 2 --runs 10 --export-json "$OUT/hf.json" \
            "build/territory run $*" >>"$LOG" 2>&1; then
            proc=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["min"] * 1e3, r["median"] * 1e3))' "$OUT/hf.json")
        else
            proc=
        fi
        return 0
    fi
    : >"$OUT/proc.txt"
    i=0
    proc=x
    while [ $i -lt 10 ]; do
        t0=$(date +%s%N)
        build/territory run "$@" >>"$LOG" 2>&1 || proc=
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$OUT/proc.txt"
        i=$((i + 1))
    done
    [ -z "$proc" ] || proc=$(sort -n "$OUT/proc.txt" | awk '{ v[NR] = $1 }
        END { printf "%.1f %.1f", v[1] / 1000, (v[5] + v[6]) / 2000 }')
}
m=$MODELS/chain-10k.xmile
v=$(awk -F '\t' '$1 == "chain-10k.xmile" { print $5 }' "$MODELS/models.tsv")
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
            "— no peer on XMILE" "—" "n/a"
    else
        failed=$((failed + 1))
        row "process chain-10k, $what" "failed (see $LOG)" "—" "—" "n/a"
    fi
done

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

# What cannot be measured yet, and why.
row "sim World3" "— needs the .mdl reader (issue 3)" \
    "— SDE C ~235 us, JS: not run" "—" "not yet"
row "process World3" "— needs the .mdl reader (issue 3)" "—" "—" "not yet"
row "sim arrayed-10k" "— needs arrays (issue 3)" "—" "—" "not yet"
row "ensemble 10k runs" "— no ensemble yet (issue 6)" "—" "—" "not yet"
row "server GET/writes" "— no server yet (issue 4)" "— wrk not run" "—" \
    "not yet"

# ---- RESULTS.md ------------------------------------------------------------

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
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Commit: $commit"
    echo "- Machine: $(nproc) CPUs, $cpu, $mem memory, Linux $(uname -r)"
    echo "- Compiler: $(gcc --version | head -n 1)"
    echo "- Load average (1, 5, 15 min) when the bench started: $load"
    echo "- Each model simulated over and over for at least $MIN s" \
        "(and 3 runs) after one warm-up run"
    echo
    echo "## Summary"
    echo
    echo "Targets from issue 8: simulation single-digit ns per" \
        "variable-step (PASS if < 10); cost linear in variables x steps" \
        "(PASS if the 100k figure is under 2x the 1k one); a 100,000-variable" \
        "model compiles and runs in under 200 MB; loop finding gives the" \
        "same cycle counts as networkx and is at least 50x faster (PASS if" \
        "networkx's time over Territory's whole process is 50 or more;" \
        "MISMATCH, a failure, when the counts differ)."
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
    echo "## Whole process"
    echo
    echo "\`build/territory run build/bench/models/chain-10k.xmile -o /dev/null\`"
    echo "(read, compile, simulate, write all 10,000 columns as CSV), then the"
    echo "same with \`--vars $v\` (one column): $how."
    for what in all one; do
        if [ $what = all ]; then p=$proc_all; else p=$proc_one; fi
        [ -n "$p" ] || continue
        echo "$p" | awk -v w=$what '{ printf "- %s: best %s ms, median %s ms\n", \
            w == "all" ? "every column" : "one column", $1, $2 }'
    done
    echo
    echo "Peak memory (/usr/bin/time %M) of \`build/territory run MODEL --vars X"
    echo "-o /dev/null\` on the 100k models is in the summary above."
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
    echo "## Not measured yet"
    echo
    echo "World3 and its SDEverywhere comparison wait for the .mdl reader and"
    echo "the arrayed model for arrays (issue 3); the ensemble for issue 6;"
    echo "the server (wrk) for issue 4."
    echo "No profile is summarised here yet."
} >bench/RESULTS.md

echo
echo "wrote bench/RESULTS.md; the output of every case is in $LOG"
if [ $failed -gt 0 ]; then
    echo "bench: $failed benchmark(s) failed to run" >&2
    exit 1
fi
