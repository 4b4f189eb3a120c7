#!/usr/bin/env python3
"""server_setup.py - readies a running `territory serve` for the server
benchmark (issue 8; bench/README.md): an account and a workspace of N items.

  server_setup.py BASE_URL setup N    sign up, import a workspace of N items
  server_setup.py BASE_URL count SLUG COOKIE
                                      the workspace's open item count

setup follows docs/http-api.md: GET /api/me for the CSRF cookie (the
double-submit token; the answer is 401 before anyone signs in), POST
/api/signup with that token in X-CSRF-Token, which answers with the
session's own token and cookies, then POST /api/workspaces/import with a
generated workspace document: N items in 10 themes and 3N/2 distinct links
with random polarities (random.Random(8), so every run imports the same
map). It checks the import through GET /api/w/SLUG (counts.items) and
prints, one per line: cookie=<Cookie header value>, csrf=<token>,
slug=<slug>, items=<count>. Python's standard library only.

Every failure exits 1 with a message naming the request and the server's
answer; 2 is a usage error.
"""

import http.cookiejar
import json
import random
import sys
import urllib.error
import urllib.request

TIMEOUT = 30  # seconds per request
SEED = 8  # issue 8


def fail(msg):
    sys.stderr.write("server_setup: %s\n" % msg)
    sys.exit(1)


class Client:
    """Cookies kept across requests, JSON in and out."""

    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar))
        self.headers = {}  # sent with every request (a Cookie given)

    def cookie(self, name):
        for c in self.jar:
            if c.name == name:
                return c.value
        return None

    def call(self, method, path, body=None, csrf=None, ok=(200, 201)):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        for k, v in self.headers.items():
            req.add_header(k, v)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if csrf is not None:
            req.add_header("X-CSRF-Token", csrf)
        try:
            with self.opener.open(req, timeout=TIMEOUT) as resp:
                status, text = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            fail("%s %s: %s" % (method, path, e))
        try:
            doc = json.loads(text) if text else {}
        except ValueError:
            fail("%s %s: answer %d is not JSON: %r"
                 % (method, path, status, text[:200]))
        if status not in ok:
            fail("%s %s: answer %d: %s"
                 % (method, path, status, json.dumps(doc)[:300]))
        return doc


def workspace(n):
    """The workspace document: n items, 10 themes, 3n/2 links."""
    rng = random.Random(SEED)
    themes = [{"id": "t%d" % k, "name": "Theme %d" % k,
               "color": "#%06x" % rng.randrange(1 << 24)} for k in range(10)]
    items = [{"id": "i%d" % i,
              "title": "Issue %d: %s" % (i, " ".join(
                  rng.choice(WORDS) for _ in range(5))),
              "body": "Generated for the server benchmark.",
              "theme": "t%d" % (i % 10), "status": "open",
              "merged_into": None} for i in range(n)]
    pairs = set()
    while len(pairs) < n * 3 // 2 and n > 1:
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            pairs.add((a, b))
    links = [{"from": "i%d" % a, "to": "i%d" % b,
              "polarity": rng.choice("+-"), "delay": False, "note": ""}
             for a, b in sorted(pairs)]
    return {"format": "territory-workspace", "version": 1,
            "slug": "bench-%d" % n, "name": "Bench map of %d items" % n,
            "description": "bench/server_setup.py", "themes": themes,
            "items": items, "links": links}


WORDS = ("demand", "budget", "care", "housing", "prevention", "staff",
         "locality", "trust", "referral", "waiting", "council", "health",
         "youth", "data", "partnership", "culture", "failure", "value")


def setup(base, n):
    c = Client(base)
    me = c.call("GET", "/api/me", ok=(200, 401))
    token = c.cookie("territory_csrf") or (me.get("error") or {}).get(
        "csrf_token") or me.get("csrf_token")
    if not token:
        fail("GET /api/me: no territory_csrf cookie and no csrf_token")
    user = c.call("POST", "/api/signup",
                  {"email": "bench@example.org", "password": "bench-password",
                   "display_name": "Bench"}, csrf=token)
    token = user.get("csrf_token") or c.cookie("territory_csrf")
    if not token or not c.cookie("territory_session"):
        fail("POST /api/signup: no session cookie or csrf_token")
    ws = c.call("POST", "/api/workspaces/import", workspace(n), csrf=token)
    slug = (ws.get("workspace") or {}).get("slug")
    if not slug:
        fail("POST /api/workspaces/import: no workspace.slug in the answer")
    got = item_count(c, slug)
    if got != n:
        fail("GET /api/w/%s: %s items after importing %d" % (slug, got, n))
    nodes = len(c.call("GET", "/api/w/%s/map" % slug).get("nodes") or [])
    if nodes != n:
        fail("GET /api/w/%s/map: %d nodes after importing %d items"
             % (slug, nodes, n))
    cookie = "; ".join("%s=%s" % (k.name, k.value) for k in c.jar)
    print("cookie=%s" % cookie)
    print("csrf=%s" % token)
    print("slug=%s" % slug)
    print("items=%d" % got)


def item_count(c, slug):
    doc = c.call("GET", "/api/w/%s" % slug)
    return ((doc.get("workspace") or {}).get("counts") or {}).get("items")


def main(argv):
    if len(argv) == 4 and argv[2] == "setup" and argv[3].isdigit():
        setup(argv[1], int(argv[3]))
        return 0
    if len(argv) == 5 and argv[2] == "count":
        c = Client(argv[1])
        c.headers["Cookie"] = argv[4]
        print(item_count(c, argv[3]))
        return 0
    sys.stderr.write("usage: server_setup.py BASE_URL setup N\n"
                     "       server_setup.py BASE_URL count SLUG COOKIE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
