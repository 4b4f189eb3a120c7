#!/bin/sh
# The benchmark harness still runs (briefly, on the smallest model, with
# no peer installed: no npm, no network); the figures themselves are
# measured by `make bench`, never asserted here. Besides running, the smoke
# checks two agreements: `territory loops` and bench_loops count the same
# cycles, and the C peer's runtime (bench/sde/sde_run.c) ends a small model
# where Territory does.
cd "$(dirname "$0")/../.." || exit 1
out=$(sh bench/run.sh --smoke 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    echo "$out" | tail -20
    echo "bench smoke: harness failed (exit $rc)"
    exit 1
fi
case $out in
*"bench smoke: ok"*"the C peer's runtime agrees"*) ;;
*)
    echo "$out" | tail -20
    echo "bench smoke: no 'ok' line naming the C peer's check"
    exit 1
    ;;
esac
echo "$out" | grep 'bench smoke: ok'
echo "bench smoke: harness ran"
