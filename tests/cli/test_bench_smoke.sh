#!/bin/sh
# The benchmark harness still runs (briefly, on the smallest model); the
# figures themselves are measured by `make bench`, never asserted here.
cd "$(dirname "$0")/../.." || exit 1
out=$(sh bench/run.sh --smoke 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    echo "$out" | tail -20
    echo "bench smoke: harness failed (exit $rc)"
    exit 1
fi
echo "bench smoke: harness ran"
