#!/bin/sh
# Runs the browser tests (tests/e2e/*.test.mjs): node drives Debian's
# Chromium through playwright-core against `$TERRITORY serve` on a fresh
# database, and leaves screenshots in build/e2e/. Skips (77) when node,
# web/node_modules/playwright-core or /usr/bin/chromium is missing.
set -u
T=${TERRITORY:-build/territory}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if ! command -v node >/dev/null 2>&1; then
    echo "e2e: node not found, skipped"
    exit 77
fi
if [ ! -f web/node_modules/playwright-core/package.json ]; then
    echo "e2e: web/node_modules/playwright-core not installed (cd web && npm ci), skipped"
    exit 77
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "e2e: $CHROMIUM not found (make deps installs it), skipped"
    exit 77
fi
if [ ! -x "$T" ]; then
    echo "FAIL: e2e: $T: no such binary"
    exit 1
fi

# One test file at a time: each starts its own server and browser, and two
# at once on a 2-core machine make their waits flaky. The timeout only
# stops a hang.
TERRITORY=$T CHROMIUM=$CHROMIUM timeout -k 5 300 \
    node --test --test-concurrency=1 --test-reporter=spec tests/e2e/*.test.mjs
rc=$?
if [ "$rc" -eq 124 ]; then
    echo "FAIL: e2e: the browser tests did not finish in 300 s"
fi
exit "$rc"
