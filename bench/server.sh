#!/bin/sh
# server.sh - the server case of the bench (issue 8; bench/README.md):
# starts `TERRITORY serve` on a fresh database on an ephemeral loopback
# port, signs up and imports a workspace of 1,000 items
# (bench/server_setup.py), then drives it with wrk: GETs of the map, then
# item writes (POSTs with the session cookie and the CSRF header;
# bench/wrk/*.lua), each for BENCH_WRK_SECONDS (default 10) at 64
# connections on 2 threads, and checks that every write it was answered
# for is in the database. The server is stopped (SIGTERM) at the end.
#
#   sh bench/server.sh [TERRITORY OUTDIR]
#
# Run alone (no arguments) it uses build/territory (made with `make` when
# missing) and build/bench/server, and prints the two results readably
# after the lines above.
#
# Prints, for bench/run.sh, a line `get<TAB>result...` and a line
# `post<TAB>result...` (the fields of bench/wrk/report.lua) and a line
# `items<TAB>BEFORE<TAB>AFTER` (the workspace's items around the writes).
# Exit: 0 measured; 3 the build has no `serve` command yet (the reason on
# standard output); 1 anything else failed (the reason on standard error;
# the server's own output is in OUTDIR).
#
# With BENCH_PERF=get or post and BENCH_PERF_OUT=FILE, `perf record`
# samples the server while that wrk run lasts (bench/run.sh's profiles).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
alone=0
if [ $# -eq 0 ]; then
    alone=1
    root=$(cd "$here/.." && pwd)
    [ -x "$root/build/territory" ] || make -C "$root" -j2 build/territory >&2
    set -- "$root/build/territory" "$root/build/bench/server"
fi
[ $# -eq 2 ] || { echo "usage: sh bench/server.sh [TERRITORY OUTDIR]" >&2; exit 2; }
bin=$1
out=$2
secs=${BENCH_WRK_SECONDS:-10}
conns=64
items=1000

# The command list in the usage text names every command of the build.
if ! "$bin" 2>&1 | grep -Eq '^ +serve( |$)'; then
    echo "no 'territory serve' in this build yet (issue 4)"
    exit 3
fi
if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: wrk is not installed (bench/deps.txt)" >&2
    exit 1
fi
mkdir -p "$out"
db=$out/bench.db
rm -f "$db" "$db-wal" "$db-shm" "$db-journal"

"$bin" serve --db "$db" --host 127.0.0.1 --port 0 \
    >"$out/serve.out" 2>"$out/serve.err" &
pid=$!
stop() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 1' INT TERM HUP PIPE

# The server prints one line once it listens: wait up to 30 s for it.
url=
i=0
while [ $i -lt 300 ]; do
    url=$(sed -n 's|^territory: listening on \(http://[^ ]*/\)$|\1|p' \
        "$out/serve.out")
    [ -z "$url" ] || break
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "bench: territory serve exited before listening:" >&2
        cat "$out/serve.err" >&2
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
if [ -z "$url" ]; then
    echo "bench: territory serve printed no 'listening on' line in 30 s" >&2
    exit 1
fi

setup=$(python3 "$here/server_setup.py" "$url" setup $items)
cookie=$(printf '%s\n' "$setup" | sed -n 's/^cookie=//p')
csrf=$(printf '%s\n' "$setup" | sed -n 's/^csrf=//p')
slug=$(printf '%s\n' "$setup" | sed -n 's/^slug=//p')
BENCH_COOKIE=$cookie
BENCH_CSRF=$csrf
BENCH_WRK_DIR=$here/wrk
export BENCH_COOKIE BENCH_CSRF BENCH_WRK_DIR

# Runs wrk with script $1 on path $2; prints its result line.
run_wrk() {
    perf_pid=
    if [ "${BENCH_PERF:-}" = "$1" ]; then
        perf record -q -F 499 --call-graph dwarf,8192 -p "$pid" \
            -o "$BENCH_PERF_OUT" -- \
            sleep "$secs" >"$out/perf.log" 2>&1 &
        perf_pid=$!
    fi
    wrk -t2 -c$conns -d"${secs}s" --timeout 5s -s "$here/wrk/$1.lua" \
        "${url}$2" >"$out/wrk-$1.out" 2>&1 || {
        echo "bench: wrk $1 failed:" >&2
        cat "$out/wrk-$1.out" >&2
        exit 1
    }
    [ -z "$perf_pid" ] || wait "$perf_pid" || {
        echo "bench: perf record failed:" >&2
        cat "$out/perf.log" >&2
        exit 1
    }
    r=$(grep '^result' "$out/wrk-$1.out" || true)
    if [ -z "$r" ]; then
        echo "bench: wrk $1 printed no result:" >&2
        cat "$out/wrk-$1.out" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$1" "$r"
}

run_wrk get "api/w/$slug/map"
before=$(python3 "$here/server_setup.py" "$url" count "$slug" "$cookie")
run_wrk post "api/w/$slug/items"
after=$(python3 "$here/server_setup.py" "$url" count "$slug" "$cookie")
printf 'items\t%s\t%s\n' "$before" "$after"
if [ $alone -eq 1 ]; then
    # the wrk lines, as wrk printed them, for a person
    for k in get post; do
        echo "== $k:"
        grep -E 'Requests/sec|Latency|Non-2xx|Socket errors|requests in' \
            "$out/wrk-$k.out" || true
    done
fi
