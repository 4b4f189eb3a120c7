#!/bin/sh
# `territory digest` end to end: two members of the starter workspace set
# their digest through the HTTP API (an owner daily, a viewer weekly), the
# owner adds items (one with a hostile title) and hides one; then the
# digests are written as RFC 5322 files, parsed back with Python's email
# package (plain-text and HTML parts, the HTML escaped, the hidden item's
# text withheld from the viewer), are not written twice for the same
# events, are due again only after their period, and go through an SMTP
# relay (a small sink in Python) when one is given.
set -u
T=${TERRITORY:-build/territory}
if ! command -v python3 >/dev/null 2>&1; then
    echo "digest: python3 not found, skipped"
    exit 77
fi
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$T" serve --db "$tmp/t.db" --host 127.0.0.1 --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 1 100); do
    grep -q listening "$tmp/serve.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^territory: listening on \(http[^ ]*\)$/\1/p' "$tmp/serve.out")
[ -n "$url" ] || { echo "FAIL: the server did not start: $(cat "$tmp/serve.err")"; exit 1; }

python3 - "$url" <<'PY' || fail "setting up through the API"
import http.cookiejar, json, sys, urllib.request

base = sys.argv[1].rstrip("/")

class Client:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.op.open(req) as r:
                text = r.read()
        except urllib.error.HTTPError as e:
            text = e.read()
            if e.code >= 400 and path != "/api/me":
                raise SystemExit(f"{method} {path}: {e.code} {text[:200]!r}")
        return json.loads(text) if text else None

    def signup(self, email, name):
        me = self.call("GET", "/api/me")
        self.csrf = me["error"]["csrf_token"]
        r = self.call("POST", "/api/signup",
                      {"email": email, "password": "correct horse", "display_name": name})
        self.csrf = r["csrf_token"]

owner, viewer = Client(), Client()
owner.signup("owner@example.org", "Olu")
slug = owner.call("GET", "/api/workspaces")["workspaces"][0]["slug"]
w = f"/api/w/{slug}"
owner.call("PATCH", w + "/me", {"digest": "daily"})
tok = owner.call("POST", w + "/invites", {"role": "viewer"})["token"]
viewer.signup("viewer@example.org", "Vic")
viewer.call("POST", f"/api/invites/{tok}/accept")
viewer.call("PATCH", w + "/me", {"digest": "weekly"})
owner.call("POST", w + "/items", {"title": "Waiting lists <b>grow</b> & grow"})
secret = owner.call("POST", w + "/items", {"title": "A secret plan nobody should read"})
owner.call("POST", w + f"/items/{secret['item']['id']}/hide")

PY
kill "$pid"
wait "$pid" 2>/dev/null
pid=

# First run: both digests are due (never sent).
"$T" digest --db "$tmp/t.db" --out "$tmp/out" --now 2026-12-01T09:00:00Z >"$tmp/run1" 2>"$tmp/err1"
rc=$?
[ "$rc" -eq 0 ] || fail "digest exit $rc: $(cat "$tmp/err1")"
[ "$(wc -l <"$tmp/run1")" -eq 2 ] || fail "wanted 2 digests, got: $(cat "$tmp/run1") $(cat "$tmp/err1")"
grep -q "2 digests written" "$tmp/err1" || fail "summary: $(cat "$tmp/err1")"

python3 - "$tmp/out" <<'PY' || fail "the digests' content"
import email, email.policy, glob, sys
msgs = {}
for path in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    raw = open(path, "rb").read()
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b""), path
    m = email.message_from_bytes(raw, policy=email.policy.default)
    msgs[str(m["To"])] = m
assert len(msgs) == 2, list(msgs)
o = [m for to, m in msgs.items() if "owner@example.org" in to][0]
v = [m for to, m in msgs.items() if "viewer@example.org" in to][0]
for m in (o, v):
    assert m.get_content_type() == "multipart/alternative", m.get_content_type()
    assert m["Message-ID"] and m["Date"] and "Territory" in str(m["From"])
    assert "change" in str(m["Subject"])
ot = o.get_body(("plain",)).get_content()
oh = o.get_body(("html",)).get_content()
assert "Hello Olu" in ot, ot
assert "Waiting lists <b>grow</b> & grow" in ot, ot
assert "Waiting lists &lt;b&gt;grow&lt;/b&gt; &amp; grow" in oh, oh
assert "<b>grow</b>" not in oh
assert "A secret plan nobody should read" in ot, "a facilitator sees hidden texts"
assert "every day" in ot
vt = v.get_body(("plain",)).get_content()
assert "Hello Vic" in vt and "every week" in vt, vt
assert "A secret plan" not in vt and "A secret plan" not in v.get_body(("html",)).get_content(), vt
# The viewer joined after the starter was imported: its import is not news.
assert "Waiting lists" in vt
PY

# The same events are not sent twice; a day later, nothing new: nothing.
"$T" digest --db "$tmp/t.db" --out "$tmp/out2" --now 2026-12-01T09:05:00Z >"$tmp/run2" 2>"$tmp/err2"
[ ! -s "$tmp/run2" ] || fail "a second run wrote again: $(cat "$tmp/run2")"
grep -q "0 digests written" "$tmp/err2" || fail "second summary: $(cat "$tmp/err2")"
"$T" digest --db "$tmp/t.db" --out "$tmp/out3" --now 2026-12-02T09:00:00Z >"$tmp/run3" 2>"$tmp/err3"
[ ! -s "$tmp/run3" ] || fail "no new events, yet a digest: $(cat "$tmp/run3")"

# --since resends what happened since a date, through an SMTP relay.
python3 - "$tmp" <<'PY' &
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
open(sys.argv[1] + "/smtp.port", "w").write(str(srv.getsockname()[1]))
got = []
srv.settimeout(20)
while True:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        break
    f = c.makefile("rb")
    c.sendall(b"220 sink ready\r\n")
    data = None
    while True:
        line = f.readline()
        if not line:
            break
        cmd = line.strip().upper()
        if data is not None:
            if line == b".\r\n":
                got.append(b"".join(data))
                data = None
                c.sendall(b"250 queued\r\n")
            else:
                data.append(line[1:] if line.startswith(b"..") else line)
        elif cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
            c.sendall(b"250 sink\r\n")
        elif cmd == b"DATA":
            data = []
            c.sendall(b"354 go ahead\r\n")
        elif cmd == b"QUIT":
            c.sendall(b"221 bye\r\n")
            break
        else:
            c.sendall(b"250 ok\r\n")
    c.close()
    open(sys.argv[1] + "/smtp.got", "ab").write(b"".join(got))
    got = []
PY
sink=$!
for _ in $(seq 1 50); do [ -s "$tmp/smtp.port" ] && break; sleep 0.1; done
port=$(cat "$tmp/smtp.port")
"$T" digest --db "$tmp/t.db" --out "$tmp/out4" --since 2026-01-01 --now 2026-12-03T09:00:00Z \
    --smtp "smtp://127.0.0.1:$port" --from digests@example.org >"$tmp/run4" 2>"$tmp/err4"
rc=$?
[ "$rc" -eq 0 ] || fail "smtp digest exit $rc: $(cat "$tmp/err4")"
grep -q "2 digests written, 2 sent" "$tmp/err4" || fail "smtp summary: $(cat "$tmp/err4")"
kill "$sink" 2>/dev/null
wait "$sink" 2>/dev/null
grep -q "^Subject: " "$tmp/smtp.got" 2>/dev/null || fail "the relay got no message"
grep -q "viewer@example.org" "$tmp/smtp.got" 2>/dev/null || fail "the relay did not get the viewer's digest"

# Bad input.
"$T" digest --db "$tmp/t.db" --since yesterday >/dev/null 2>"$tmp/err5"
[ $? -eq 2 ] || fail "bad --since: wanted exit 2"
grep -q -- "--since: 'yesterday' is not a date" "$tmp/err5" || fail "--since message: $(cat "$tmp/err5")"
"$T" digest --db "$tmp/t.db" --smtp smtp://127.0.0.1:1 >/dev/null 2>"$tmp/err6"
grep -q -- "--smtp needs --from" "$tmp/err6" || fail "--from message: $(cat "$tmp/err6")"
"$T" digest --db "$tmp/none.db" >/dev/null 2>"$tmp/err7"
[ $? -eq 1 ] || fail "missing database: wanted exit 1 ($(cat "$tmp/err7"))"

if [ "$fails" -ne 0 ]; then
    echo "digest: $fails failed"
    exit 1
fi
echo "digest: all passed"
