#!/bin/sh
# run-tests.sh - runs the test binaries named as arguments, then the CLI
# tests in tests/cli/*.sh, and prints one closing line:
#   N passed, N failed, N skipped
# Exits 1 when anything failed. Run from the repo root (`make check` does):
#   B=build sh tests/run-tests.sh build/tests/test_a build/tests/test_b
# B is the build folder; the CLI tests get TERRITORY=$B/territory.

B=${B:-build}

# Any sanitizer report must fail the binary that made it: leaks included,
# and abort rather than carry on. Plain builds ignore these variables, so
# they are set whatever B is; a value already in the environment wins.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The counting below reads cmocka's plain-text summary.
CMOCKA_MESSAGE_OUTPUT=stdout
export ASAN_OPTIONS UBSAN_OPTIONS CMOCKA_MESSAGE_OUTPUT

# Tests that start the server or run the CLI find the binary here.
TERRITORY=${TERRITORY:-$B/territory}
export TERRITORY

passed=0
failed=0
skipped=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/territory-tests.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Sums the N of every cmocka summary line in a log: "[  PASSED  ] N
# test(s)." or "[  FAILED  ] N test(s), listed below:" (not the lines that
# list the tests by name).
count() {
    sed -n -e "s/^\[  $1 *\] \([0-9][0-9]*\) test(s)\.\$/\1/p" \
        -e "s/^\[  $1 *\] \([0-9][0-9]*\) test(s), listed below:\$/\1/p" \
        "$2" | awk '{ n += $1 } END { print n + 0 }'
}

for t in "$@"; do
    echo "== $t"
    if [ ! -x "$t" ]; then
        echo "run-tests: $t: no such test binary"
        failed=$((failed + 1))
        continue
    fi
    # Show the output as it comes, and keep it and the exit code.
    { "$t" 2>&1; echo $? >"$tmp/rc"; } | tee "$tmp/log"
    rc=$(cat "$tmp/rc")
    p=$(count PASSED "$tmp/log")
    f=$(count FAILED "$tmp/log")
    s=$(count SKIPPED "$tmp/log")
    # A crash, a sanitizer report or a leak found at exit makes the exit
    # code non-zero after (or instead of) a clean summary: one failure.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run-tests: $t exited with status $rc"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
done

for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue # the pattern matched nothing
    echo "== $t"
    sh "$t"
    rc=$?
    case $rc in
    0) passed=$((passed + 1)) ;;
    77)
        echo "run-tests: $t skipped"
        skipped=$((skipped + 1))
        ;;
    *)
        echo "run-tests: $t failed with status $rc"
        failed=$((failed + 1))
        ;;
    esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
