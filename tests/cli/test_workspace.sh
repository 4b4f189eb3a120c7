#!/bin/sh
# End-to-end tests of `territory init`, `territory workspace list|export|
# import` and the start-up errors of `territory serve`: the starter
# workspace seeded and exported whole (compared with workspaces/starter.json
# by python3), an import under a new slug, a bad document reported problem
# by problem with nothing imported, and the exit codes of each failure.
set -u
. "$(dirname "$0")/lib/common.sh"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
db="$tmp/t.db"

run 0 "init" "$T" init --db "$db"
grep -q 'created with the starter workspace' "$tmp/out" || fail "init said: $(cat "$tmp/out")"
run 0 "init again" "$T" init --db "$db"
grep -q 'up to date' "$tmp/out" || fail "init again said: $(cat "$tmp/out")"
run 0 "list" "$T" workspace list --db "$db"
[ "$(cat "$tmp/out")" = "local-public-service-reform" ] || fail "list: $(cat "$tmp/out")"

run 0 "export" "$T" workspace export --db "$db" local-public-service-reform -o "$tmp/exp.json"
python3 - "$tmp/exp.json" workspaces/starter.json <<'PY' || fail "the export differs from the starter"
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
def shape(d):
    ids = {i["id"]: i["title"] for i in d["items"]}
    themes = {t["id"]: t["name"] for t in d["themes"]}
    items = sorted((i["title"], i.get("body", ""), themes.get(i.get("theme")),
                    i.get("status", "open"), json.dumps(i.get("source")),
                    len(i.get("evidence", []))) for i in d["items"])
    links = sorted((ids[l["from"]], ids[l["to"]], l["polarity"],
                    bool(l.get("delay")), l.get("note", "")) for l in d["links"])
    return d["slug"], d["name"], items, links, sorted(themes.values())
assert all(isinstance(i["id"], str) for i in got["items"]), "ids are strings"
if shape(got) != shape(want):
    sys.exit("differs")
PY

# the same document back in, under another slug, from standard input
"$T" workspace import --db "$db" --slug copy <"$tmp/exp.json" >"$tmp/out" 2>"$tmp/err" ||
    fail "import from stdin: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "copy" ] || fail "import printed: $(cat "$tmp/out")"
run 1 "import a taken slug" "$T" workspace import --db "$db" "$tmp/exp.json"
grep -q "the slug 'local-public-service-reform' is taken" "$tmp/err" || fail "taken: $(cat "$tmp/err")"

# a bad document: every problem with its field path, nothing imported
cat >"$tmp/bad.json" <<'JSON'
{"format": "territory-workspace", "version": 1, "slug": "bad", "name": "Bad",
 "themes": [{"id": "demand", "name": "Demand"}],
 "items": [{"id": "a", "title": "A", "theme": "demnd"}, {"id": "b", "title": ""}],
 "links": [{"from": "a", "to": "zz", "polarity": "+"}]}
JSON
run 1 "import a bad document" "$T" workspace import --db "$db" "$tmp/bad.json"
grep -q "bad.json: items\[0\].theme: unknown theme 'demnd'" "$tmp/err" || fail "theme problem: $(cat "$tmp/err")"
grep -q "bad.json: items\[1\].title: must be 1 to 500 characters" "$tmp/err" || fail "title problem: $(cat "$tmp/err")"
grep -q "bad.json: links\[0\].to: unknown item 'zz'" "$tmp/err" || fail "link problem: $(cat "$tmp/err")"
run 0 "list after" "$T" workspace list --db "$db"
[ "$(tr '\n' ' ' <"$tmp/out")" = "copy local-public-service-reform " ] || fail "list after: $(cat "$tmp/out")"
printf '{"format": "territory-workspace", "version": 1, "name": ' >"$tmp/broken.json"
run 1 "import malformed JSON" "$T" workspace import --db "$db" "$tmp/broken.json"
grep -q "malformed JSON at line 1, column" "$tmp/err" || fail "malformed: $(cat "$tmp/err")"

# failures and their exit codes
run 1 "export an unknown slug" "$T" workspace export --db "$db" nope
grep -q "no workspace 'nope'" "$tmp/err" || fail "unknown slug: $(cat "$tmp/err")"
run 1 "list a missing database" "$T" workspace list --db "$tmp/none.db"
[ ! -e "$tmp/none.db" ] || fail "list made a database"
run 2 "an unknown action" "$T" workspace frobnicate --db "$db"
run 2 "export without a slug" "$T" workspace export --db "$db"
run 2 "serve with a bad port" "$T" serve --port 70000
run 1 "serve on a database it cannot open" "$T" serve --db "$tmp/no/such/dir/t.db" --port 0
grep -q "cannot open database" "$tmp/err" || fail "bad database: $(cat "$tmp/err")"

# a port in use is a one-line error, exit 1
"$T" serve --db "$tmp/s.db" --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
i=0
while ! grep -q listening "$tmp/serve.out" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
port=$(sed -n 's#^territory: listening on http://127.0.0.1:\([0-9]*\)/$#\1#p' "$tmp/serve.out")
if [ -z "$port" ]; then
    fail "serve did not say where it listens: $(cat "$tmp/serve.out" "$tmp/serve.err")"
else
    run 1 "serve on a port in use" "$T" serve --db "$tmp/s2.db" --port "$port"
    grep -q "cannot listen on 127.0.0.1:$port: " "$tmp/err" || fail "port in use: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "port in use: more than one line"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "serve stopped by SIGTERM exited $rc"

[ "$fails" -eq 0 ] && echo "workspace cli: all passed"
[ "$fails" -eq 0 ]
