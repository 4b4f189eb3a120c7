# common.sh - what the CLI tests share; a test sources it after `set -u`:
#   . "$(dirname "$0")/lib/common.sh"
# T           the binary ($TERRITORY, else build/territory)
# tmp         a fresh folder, removed when the test exits (a test that
#             needs more cleaning sets its own trap after sourcing this)
# fails       failures so far; the test exits non-zero when it is not 0
# fail MSG    counts a failure and says it
# run RC WHAT COMMAND...
#             runs COMMAND (stdin empty, stdout to $tmp/out, stderr to
#             $tmp/err) and fails WHAT unless it exits with RC
T=${TERRITORY:-build/territory}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() {
    want=$1; what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    [ "$got" -eq "$want" ] || fail "$what: exit $got, wanted $want ($(head -c 300 "$tmp/err"))"
    return 0
}
