/*
 * test_http.c - the HTTP API against its contract, docs/http-api.md: one
 * server on an ephemeral loopback port for the group, five accounts
 * (owner, facilitator, contributor, viewer and an outsider), and a fresh
 * workspace per test so that no test depends on another. Covers every
 * endpoint and role, CSRF, bad JSON, oversized bodies, unknown ids,
 * cross-workspace access, invites, lock, hide/restore, merge, rollback,
 * the Atom feed's escaping, the export formats and the import round trip.
 * api.h checks on every answer that it is never a 500, that errors have
 * the contract's shape and that no other user's e-mail address leaks.
 */
#include "api.h"

#include <arpa/inet.h>
#include <expat.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>

enum { OWNER, FAC, CON, VIEW, OUT, NROLES };

/* The group's state: the server and its users, and scratch clients a
 * test may make (freed by the per-test teardown even when it fails). */
typedef struct T {
    ApiCtx ctx;
    ApiUser tmp[6];
    int ntmp;
    ApiCtx *extra; /* a second server a test may start */
} T;

static T *T_of(void **state)
{
    return *state;
}

static ApiUser *U(void **state, int who)
{
    return &T_of(state)->ctx.users[who];
}

/* A fresh anonymous client (no cookies), freed after the test. */
static ApiUser *tmp_user(void **state)
{
    T *t = T_of(state);
    assert_true(t->ntmp < (int)(sizeof t->tmp / sizeof *t->tmp));
    ApiUser *u = &t->tmp[t->ntmp++];
    api_user_init(u, &t->ctx.srv);
    u->ctx = &t->ctx;
    return u;
}

/* A second client of who's session, freed after the test. */
static ApiUser *tmp_clone(void **state, int who)
{
    T *t = T_of(state);
    assert_true(t->ntmp < (int)(sizeof t->tmp / sizeof *t->tmp));
    ApiUser *u = &t->tmp[t->ntmp++];
    api_user_clone(u, U(state, who));
    return u;
}

static int group_setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    *state = t;
    static const char *const tags[NROLES] = {
        "owner", "facilitator", "contributor", "viewer", "outsider"};
    /* the first account becomes the starter workspace's owner */
    if (api_ctx_start(&t->ctx, tags, NROLES) != 0) {
        free(t);
        *state = NULL;
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    T *t = *state;
    if (!t)
        return 0;
    int rc = api_ctx_free(&t->ctx);
    free(t);
    return rc;
}

static int test_teardown(void **state)
{
    T *t = *state;
    for (int i = 0; i < t->ntmp; i++)
        api_user_free(&t->tmp[i]);
    t->ntmp = 0;
    if (t->extra) {
        api_ctx_free(t->extra);
        free(t->extra);
        t->extra = NULL;
    }
    return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Makes who a member of slug with role through an invite from inviter. */
static void join(void **state, int inviter, ApiUser *who, const char *slug,
                 const char *role)
{
    const ApiResp *r =
        api_json(U(state, inviter), "POST", json_pack("{s:s}", "role", role),
                 "/api/w/%s/invites", slug);
    API_STATUS(r, 201);
    char token[256];
    api_copy(token, sizeof token, API_STR(r, "token"));
    r = api_req(who, "POST", NULL, "/api/invites/%s/accept", token);
    API_STATUS(r, 200);
}

/* A new workspace owned by OWNER, with FAC, CON and VIEW as members. */
static void ws_make(void **state, const char *slug)
{
    const ApiResp *r =
        api_json(U(state, OWNER), "POST",
                 json_pack("{s:s, s:s, s:s}", "name", slug, "slug", slug,
                           "description", "a workspace for one test"),
                 "/api/workspaces");
    API_STATUS(r, 201);
    assert_string_equal(API_STR(r, "workspace.slug"), slug);
    join(state, OWNER, U(state, FAC), slug, "facilitator");
    join(state, OWNER, U(state, CON), slug, "contributor");
    join(state, OWNER, U(state, VIEW), slug, "viewer");
}

/* Adds an item; returns its id. */
static long long item_add(ApiUser *u, const char *slug, const char *title)
{
    const ApiResp *r = api_json(u, "POST", json_pack("{s:s}", "title", title),
                                "/api/w/%s/items", slug);
    API_STATUS(r, 201);
    return API_INT(r, "item.id");
}

/* Adds a link; returns its id. */
static long long link_add(ApiUser *u, const char *slug, long long from,
                          long long to, const char *polarity)
{
    const ApiResp *r =
        api_json(u, "POST",
                 json_pack("{s:I, s:I, s:s}", "from", (json_int_t)from, "to",
                           (json_int_t)to, "polarity", polarity),
                 "/api/w/%s/links", slug);
    API_STATUS(r, 201);
    return API_INT(r, "link.id");
}

/* Whether the list at path of u's last answer has an element with id. */
static int has_id(ApiUser *u, const char *path, long long id)
{
    return api_find_id(API_ARR(&u->r, path), id) != NULL;
}

/* Fails unless the answer is refused with 400 or 404 (the contract leaves
 * open which one for a reference to something that is not there) and,
 * for a 400 and when fld is given, names that field. */
#define REFUSED_REF(r, fld) refused_ref((r), (fld), __FILE__, __LINE__)
static void refused_ref(const ApiResp *r, const char *fld, const char *file,
                        int line)
{
    if (r->status != 400 && r->status != 404)
        API_FAIL(r, "%s:%d: status %ld, want 400 or 404\n", file, line,
                 r->status);
    const char *g = json_string_value(api_at(r->json, "error.field"));
    if (r->status == 400 && fld && (!g || strcmp(g, fld) != 0))
        API_FAIL(r, "%s:%d: error.field '%s', want '%s'\n", file, line,
                 g ? g : "(none)", fld);
}

/* Fails unless the answer is a client error (4xx): for what the contract
 * says must be refused without saying how. */
#define REFUSED(r) refused((r), __FILE__, __LINE__)
static void refused(const ApiResp *r, const char *file, int line)
{
    if (r->status < 400 || r->status >= 500)
        API_FAIL(r, "%s:%d: status %ld, want a 4xx refusal\n", file, line,
                 r->status);
}

/* s, or "" for NULL. */
static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ---- server, routing -------------------------------------------------- */

static void test_app_and_routing(void **state)
{
    ApiUser *anon = tmp_user(state);
    const ApiResp *r = api_req(anon, "GET", NULL, "/");
    API_STATUS(r, 200);
    if (!api_stristr(r->ctype, "text/html"))
        API_FAIL(r, "the app at / is not text/html\n");

    ApiUser *o = U(state, OWNER);
    API_ERROR(api_req(o, "GET", NULL, "/api/no-such-endpoint"), 404,
              "not_found", NULL);
    API_ERROR(api_req(o, "DELETE", NULL, "/api/me"), 405, "method", NULL);
    ws_make(state, "routing");
    API_ERROR(api_req(o, "PUT", "{}", "/api/w/routing/items"), 405, "method",
              NULL);
    API_ERROR(api_req(o, "GET", NULL, "/api/w/routing/items/1/merge"), 405,
              "method", NULL);
}

/* The value of header name in the last answer into out; 0 or -1. */
static int header_value(const ApiResp *r, const char *name, char *out, size_t n)
{
    char want[64];
    snprintf(want, sizeof want, "\n%s:", name);
    const char *p = api_stristr(r->head.data ? r->head.data : "", want);
    if (!p)
        return -1;
    p += strlen(want);
    while (*p == ' ')
        p++;
    size_t k = strcspn(p, "\r\n");
    snprintf(out, n, "%.*s", (int)k, p);
    return 0;
}

/* The app's files: security headers on every answer, an ETag that gets a
 * 304, no inline script allowed, nothing outside the compiled-in files. */
static void test_static_and_headers(void **state)
{
    ApiUser *anon = tmp_user(state);
    const ApiResp *r = api_req(anon, "GET", NULL, "/");
    API_STATUS(r, 200);
    char csp[512], etag[128], v[128];
    if (header_value(r, "Content-Security-Policy", csp, sizeof csp) != 0)
        API_FAIL(r, "no Content-Security-Policy\n");
    assert_non_null(strstr(csp, "default-src 'self'"));
    assert_null(strstr(csp, "unsafe-inline"));
    assert_int_equal(header_value(r, "X-Content-Type-Options", v, sizeof v), 0);
    assert_string_equal(v, "nosniff");
    assert_int_equal(header_value(r, "Referrer-Policy", v, sizeof v), 0);
    assert_string_equal(v, "same-origin");
    if (header_value(r, "ETag", etag, sizeof etag) != 0 || etag[0] != '"')
        API_FAIL(r, "no strong ETag on the app\n");
    char inm[200];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    ApiOpt cond = {.header = inm};
    r = api_send(anon, "GET", "/", NULL, &cond);
    API_STATUS(r, 304);
    assert_int_equal(r->body.len, 0);
    ApiOpt stale = {.header = "If-None-Match: \"not-the-etag\""};
    API_STATUS(api_send(anon, "GET", "/", NULL, &stale), 200);
    /* the API's answers carry the same policy, and are not cached */
    r = api_req(anon, "GET", NULL, "/api/me");
    assert_int_equal(header_value(r, "X-Content-Type-Options", v, sizeof v), 0);
    assert_int_equal(header_value(r, "Cache-Control", v, sizeof v), 0);
    assert_string_equal(v, "no-store");
    /* only the compiled-in files: no file system, no @data */
    ApiOpt any = {.any_shape = 1};
    r = api_send(anon, "GET", "/no-such-file.js", NULL, &any);
    API_STATUS(r, 404);
    r = api_send(anon, "GET", "/@starter.json", NULL, &any);
    API_STATUS(r, 404);
    r = api_send(anon, "GET", "/workspaces/starter.json", NULL, &any);
    API_STATUS(r, 404);
}

/* ---- accounts, sessions, CSRF ----------------------------------------- */

static void test_me_anonymous(void **state)
{
    ApiUser *anon = tmp_user(state);
    const ApiResp *r = api_req(anon, "GET", NULL, "/api/me");
    API_ERROR(r, 401, "unauthenticated", NULL);
    json_t *tok = api_at(r->json, "csrf_token");
    if (!json_is_string(tok))
        tok = api_at(r->json, "error.csrf_token");
    if (!json_is_string(tok) || strlen(json_string_value(tok)) < 16)
        API_FAIL(r, "no csrf_token (of at least 16 characters) in the 401\n");
    char line[512], cookie[256];
    if (api_set_cookie_header(r, "territory_csrf", line, sizeof line) != 0)
        API_FAIL(r, "GET /api/me set no territory_csrf cookie\n");
    assert_true(api_cookie_has(line, "SameSite=Strict"));
    assert_true(api_cookie_has(line, "Path=/"));
    assert_false(api_cookie_has(line, "HttpOnly")); /* script reads it */
    assert_int_equal(api_cookie(anon, "territory_csrf", cookie, sizeof cookie),
                     0);
    assert_string_equal(cookie, json_string_value(tok));

    /* a second GET keeps the cookie it already has */
    r = api_req(anon, "GET", NULL, "/api/me");
    API_STATUS(r, 401);
    if (api_set_cookie_header(r, "territory_csrf", line, sizeof line) == 0)
        API_FAIL(r, "territory_csrf replaced though the client had one\n");

    API_ERROR(api_req(anon, "GET", NULL, "/api/workspaces"), 401,
              "unauthenticated", NULL);
    API_ERROR(api_req(anon, "GET", NULL, "/api/w/routing/items"), 401,
              "unauthenticated", NULL);
}

static void test_signup_signin_signout(void **state)
{
    T *t = T_of(state);
    ApiUser *a = tmp_user(state);
    api_fetch_csrf(a);
    const char *path = "/api/signup";
    API_ERROR(api_json(a, "POST",
                       json_pack("{s:s, s:s}", "password", "long enough pw",
                                 "display_name", "Nobody"),
                       "%s", path),
              400, "missing_field", "email");
    API_ERROR(api_json(a, "POST",
                       json_pack("{s:s, s:s, s:s}", "email", "s@example.org",
                                 "password", "1234567", "display_name", "S"),
                       "%s", path),
              400, "bad_field", "password");
    API_ERROR(api_json(a, "POST",
                       json_pack("{s:s, s:i, s:s}", "email", "s@example.org",
                                 "password", 12345678, "display_name", "S"),
                       "%s", path),
              400, "bad_field", "password");
    API_ERROR(api_json(a, "POST",
                       json_pack("{s:s, s:s, s:s}", "email",
                                 U(state, CON)->email, "password",
                                 "another long one", "display_name", "Dup"),
                       "%s", path),
              409, "conflict", NULL);

    /* the good path, with the cookie's attributes */
    ApiUser *n = api_ctx_user(&t->ctx, "newcomer");
    const ApiResp *r = &n->r;
    assert_string_equal(API_STR(r, "user.email"), "newcomer@example.org");
    assert_string_equal(API_STR(r, "user.display_name"), n->name);
    char line[512];
    if (api_set_cookie_header(r, "territory_session", line, sizeof line) != 0)
        API_FAIL(r, "sign-up set no territory_session cookie\n");
    assert_true(api_cookie_has(line, "HttpOnly"));
    assert_true(api_cookie_has(line, "SameSite=Lax"));
    assert_true(api_cookie_has(line, "Path=/"));
    assert_false(api_cookie_has(line, "Secure"));
    /* sign-up replaced the CSRF cookie with the session's token */
    char value[256];
    assert_int_equal(api_cookie(n, "territory_csrf", value, sizeof value), 0);
    assert_string_equal(value, n->csrf);
    api_copy(value, sizeof value, strchr(line, '=') + 1);
    value[strcspn(value, ";")] = '\0';
    assert_true(strlen(value) >= 43); /* 256 bits in base64 or hex */

    r = api_req(n, "GET", NULL, "/api/me");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "user.id"), n->id);
    assert_string_equal(API_STR(r, "user.email"), n->email);
    assert_string_equal(API_STR(r, "csrf_token"), n->csrf);
    API_ARR(r, "workspaces");

    /* sign-in: wrong password, unknown e-mail, then right; through TLS
     * the cookie is Secure */
    ApiUser *b = tmp_user(state);
    api_copy(b->email, sizeof b->email, n->email); /* it signs in as n */
    api_fetch_csrf(b);
    API_ERROR(api_json(b, "POST",
                       json_pack("{s:s, s:s}", "email", n->email, "password",
                                 "wrong password"),
                       "/api/signin"),
              401, "unauthenticated", NULL);
    API_ERROR(api_json(b, "POST",
                       json_pack("{s:s, s:s}", "email", "nobody@example.org",
                                 "password", n->password),
                       "/api/signin"),
              401, "unauthenticated", NULL);
    json_t *j =
        json_pack("{s:s, s:s}", "email", n->email, "password", n->password);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    ApiOpt tls = {.header = "X-Forwarded-Proto: https"};
    b->scratch.len = 0;
    tbuf_puts(&b->scratch, body);
    free(body);
    r = api_send(b, "POST", "/api/signin", tbuf_cstr(&b->scratch), &tls);
    API_STATUS(r, 200);
    if (api_set_cookie_header(r, "territory_session", line, sizeof line) != 0)
        API_FAIL(r, "sign-in set no territory_session cookie\n");
    assert_true(api_cookie_has(line, "Secure"));
    assert_int_equal(API_INT(r, "user.id"), n->id);

    /* sign-out ends that session; a client still holding the cookie is
     * not signed in any more */
    ApiUser *replay = tmp_clone(state, t->ctx.nusers - 1);
    API_STATUS(api_req(n, "POST", NULL, "/api/signout"), 204);
    API_ERROR(api_req(n, "GET", NULL, "/api/me"), 401, "unauthenticated", NULL);
    API_ERROR(api_req(replay, "GET", NULL, "/api/me"), 401, "unauthenticated",
              NULL);
    /* the other session (b's) lives on */
    API_STATUS(api_req(b, "GET", NULL, "/api/me"), 200);
}

/* A server of its own: --secure-cookies, and SIGINT stops it cleanly. */
static void test_secure_cookies_and_sigint(void **state)
{
    T *t = T_of(state);
    t->extra = calloc(1, sizeof *t->extra);
    ApiCtx *x = t->extra;
    assert_non_null(x);
    assert_int_equal(api_server_init(&x->srv), 0);
    x->srv.flag = "--secure-cookies";
    if (api_server_start(&x->srv) != 0) {
        api_server_dump(&x->srv);
        fail_msg("%s", x->srv.err);
    }
    ApiUser *u = api_ctx_user(x, "secure");
    char line[512];
    if (api_set_cookie_header(&u->r, "territory_session", line, sizeof line) !=
        0)
        API_FAIL(&u->r, "sign-up set no territory_session cookie\n");
    assert_true(api_cookie_has(line, "Secure"));
    assert_true(api_cookie_has(line, "HttpOnly"));
    assert_true(api_cookie_has(line, "SameSite=Lax"));
    if (api_server_stop_with(&x->srv, SIGINT) != 0) {
        api_server_dump(&x->srv);
        fail_msg("%s", x->srv.err);
    }
}

static void test_csrf(void **state)
{
    ws_make(state, "csrf");
    ApiUser *c = U(state, CON);
    const char *item = "{\"title\":\"written without a token\"}";
    ApiOpt none = {.no_csrf = 1}, wrong = {.csrf = "not-the-token"};
    API_ERROR(api_send(c, "POST", "/api/w/csrf/items", item, &none), 403,
              "csrf", NULL);
    API_ERROR(api_send(c, "POST", "/api/w/csrf/items", item, &wrong), 403,
              "csrf", NULL);
    /* before anything else: no such workspace, bad JSON, any method */
    API_ERROR(api_send(c, "POST", "/api/w/no-such-ws/items", item, &none), 403,
              "csrf", NULL);
    API_ERROR(api_send(c, "POST", "/api/w/csrf/items", "{bad", &none), 403,
              "csrf", NULL);
    API_ERROR(api_send(c, "PATCH", "/api/w/csrf", "{}", &none), 403, "csrf",
              NULL);
    API_ERROR(api_send(c, "PUT", "/api/w/csrf/items/1/rating", "{}", &none),
              403, "csrf", NULL);
    API_ERROR(api_send(c, "DELETE", "/api/w/csrf", NULL, &none), 403, "csrf",
              NULL);
    API_ERROR(api_send(c, "POST", "/api/signout", NULL, &none), 403, "csrf",
              NULL);

    /* double-submit alone is not enough when signed in: cookie and
     * header agree, but not with the session's token */
    ApiUser *forged = tmp_clone(state, CON);
    api_set_cookie(forged, "territory_csrf", "forged-token-0123456789");
    ApiOpt f = {.csrf = "forged-token-0123456789"};
    API_ERROR(api_send(forged, "POST", "/api/w/csrf/items", item, &f), 403,
              "csrf", NULL);

    /* an Origin that is not the Host */
    ApiOpt evil = {.origin = "http://evil.example"};
    API_ERROR(api_send(c, "POST", "/api/w/csrf/items", item, &evil), 403,
              "csrf", NULL);
    char origin[128];
    snprintf(origin, sizeof origin, "http://%s", c->srv->host);
    ApiOpt same = {.origin = origin};
    API_STATUS(api_send(c, "POST", "/api/w/csrf/items", item, &same), 201);

    /* a signed-out client with no token cannot sign up either */
    ApiUser *anon = tmp_user(state);
    API_ERROR(api_send(anon, "POST", "/api/signup",
                       "{\"email\":\"x@example.org\",\"password\":"
                       "\"12345678\",\"display_name\":\"X\"}",
                       &none),
              403, "csrf", NULL);

    /* the session still works and exactly one item was written */
    const ApiResp *r = api_req(c, "GET", NULL, "/api/w/csrf/items?status=all");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "items")), 1);
    /* nor did the refused sign-out end the session */
    API_STATUS(api_req(c, "GET", NULL, "/api/me"), 200);
}

/* ---- workspaces, members, invites ------------------------------------- */

static void test_workspaces(void **state)
{
    ApiUser *o = U(state, OWNER), *f = U(state, FAC), *c = U(state, CON),
            *v = U(state, VIEW);
    /* the starter workspace belongs to the first account */
    const ApiResp *r = api_req(o, "GET", NULL, "/api/workspaces");
    API_STATUS(r, 200);
    json_t *ws = API_ARR(r, "workspaces");
    assert_true(json_array_size(ws) >= 1);
    json_t *first = json_array_get(ws, 0);
    assert_true(json_is_string(json_object_get(first, "slug")));
    assert_true(json_is_string(json_object_get(first, "name")));
    assert_true(json_is_boolean(json_object_get(first, "locked")));
    int owns_one = 0;
    size_t i;
    json_t *w;
    json_array_foreach(ws, i, w)
    {
        owns_one |=
            json_is_string(json_object_get(w, "role")) &&
            strcmp(json_string_value(json_object_get(w, "role")), "owner") == 0;
    }
    if (!owns_one)
        API_FAIL(r, "the first account owns no workspace (the starter)\n");
    /* seeded from workspaces/starter.json (compared when the repo's copy
     * is at hand: the tests run from the repo root) */
    json_error_t jerr;
    json_t *starter = json_load_file("workspaces/starter.json", 0, &jerr);
    if (starter) {
        char slug0[128];
        size_t nitems = json_array_size(json_object_get(starter, "items"));
        size_t nlinks = json_array_size(json_object_get(starter, "links"));
        api_copy(slug0, sizeof slug0,
                 json_string_value(json_object_get(starter, "slug")));
        json_decref(starter);
        r = api_req(o, "GET", NULL, "/api/w/%s/export.json", slug0);
        API_STATUS(r, 200);
        assert_int_equal(json_array_size(API_ARR(r, "items")), nitems);
        assert_int_equal(json_array_size(API_ARR(r, "links")), nlinks);
        r = api_req(o, "GET", NULL, "/api/w/%s", slug0);
        assert_string_equal(API_STR(r, "workspace.role"), "owner");
        /* only the first account owns it; the others are not members */
        API_ERROR(api_req(f, "GET", NULL, "/api/w/%s", slug0), 404, "not_found",
                  NULL);
    }

    /* slug made from the name: [a-z0-9-], at most 64 */
    char name[201];
    static const char prefix[] = "Hello, World! Été ";
    memset(name, 'A', 200);
    name[200] = '\0';
    memcpy(name, prefix, sizeof prefix - 1);
    r = api_json(o, "POST", json_pack("{s:s}", "name", name),
                 "/api/workspaces");
    API_STATUS(r, 201);
    const char *slug = API_STR(r, "workspace.slug");
    assert_true(strlen(slug) >= 1 && strlen(slug) <= 64);
    assert_true(strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
                strlen(slug));
    assert_string_equal(API_STR(r, "workspace.name"), name);

    API_ERROR(api_json(o, "POST", json_pack("{s:s}", "slug", "no-name"),
                       "/api/workspaces"),
              400, "missing_field", "name");
    ws_make(state, "ws-main");
    API_ERROR(
        api_json(c, "POST",
                 json_pack("{s:s, s:s}", "name", "Taken", "slug", "ws-main"),
                 "/api/workspaces"),
        409, "conflict", NULL);
    API_ERROR(
        api_json(c, "POST",
                 json_pack("{s:s, s:s}", "name", "Bad", "slug", "Not A Slug!"),
                 "/api/workspaces"),
        400, "bad_field", "slug");

    r = api_req(v, "GET", NULL, "/api/w/ws-main");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.slug"), "ws-main");
    assert_string_equal(API_STR(r, "workspace.name"), "ws-main");
    assert_string_equal(API_STR(r, "workspace.description"),
                        "a workspace for one test");
    assert_string_equal(API_STR(r, "workspace.role"), "viewer");
    assert_string_equal(API_STR(r, "workspace.display_name"), v->name);
    assert_true(json_is_false(api_at(r->json, "workspace.locked")));
    API_STR(r, "workspace.digest");
    API_STR(r, "workspace.feed_url");
    assert_int_equal(API_INT(r, "workspace.counts.items"), 0);
    assert_int_equal(API_INT(r, "workspace.counts.links"), 0);
    assert_int_equal(API_INT(r, "workspace.counts.themes"), 0);
    assert_int_equal(API_INT(r, "workspace.counts.members"), 4);

    /* each member sees it in their list with their role */
    r = api_req(c, "GET", NULL, "/api/workspaces");
    w = NULL;
    json_array_foreach(API_ARR(r, "workspaces"), i, first)
    {
        if (strcmp(json_string_value(json_object_get(first, "slug")),
                   "ws-main") == 0)
            w = first;
    }
    if (!w)
        API_FAIL(r, "'ws-main' not in the contributor's list\n");
    assert_string_equal(json_string_value(json_object_get(w, "role")),
                        "contributor");

    /* edits: facilitator yes, contributor no */
    r = api_json(
        f, "PATCH",
        json_pack("{s:s, s:s}", "name", "Main", "description", "changed"),
        "/api/w/ws-main");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.name"), "Main");
    assert_string_equal(API_STR(r, "workspace.description"), "changed");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "name", "Mine"),
                       "/api/w/ws-main"),
              403, "forbidden", NULL);
    API_ERROR(
        api_json(f, "PATCH", json_pack("{s:i}", "name", 3), "/api/w/ws-main"),
        400, "bad_field", "name");

    /* one's own display name and digest, any member */
    r = api_json(
        v, "PATCH",
        json_pack("{s:s, s:s}", "display_name", "Vee", "digest", "weekly"),
        "/api/w/ws-main/me");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.display_name"), "Vee");
    assert_string_equal(API_STR(r, "workspace.digest"), "weekly");
    API_ERROR(api_json(v, "PATCH", json_pack("{s:s}", "digest", "hourly"),
                       "/api/w/ws-main/me"),
              400, "bad_field", "digest");
    r = api_req(c, "GET", NULL, "/api/w/ws-main/members");
    API_STATUS(r, 200);
    int seen = 0;
    json_array_foreach(API_ARR(r, "members"), i, w)
    {
        if (json_integer_value(json_object_get(w, "user_id")) == v->id) {
            seen = 1;
            assert_string_equal(
                json_string_value(json_object_get(w, "display_name")), "Vee");
        }
    }
    assert_true(seen);
}

static void test_members_and_roles(void **state)
{
    ApiUser *o = U(state, OWNER), *f = U(state, FAC), *c = U(state, CON),
            *v = U(state, VIEW);
    ws_make(state, "members");
    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/members/members");
    API_STATUS(r, 200);
    json_t *ms = API_ARR(r, "members");
    assert_int_equal(json_array_size(ms), 4);
    size_t i;
    json_t *m;
    json_array_foreach(ms, i, m)
    {
        assert_true(json_is_integer(json_object_get(m, "user_id")));
        assert_true(json_is_string(json_object_get(m, "display_name")));
        assert_true(json_is_string(json_object_get(m, "role")));
        assert_null(json_object_get(m, "email"));
        long long uid = json_integer_value(json_object_get(m, "user_id"));
        const char *role = json_string_value(json_object_get(m, "role"));
        const char *want = uid == o->id   ? "owner"
                           : uid == f->id ? "facilitator"
                           : uid == c->id ? "contributor"
                           : uid == v->id ? "viewer"
                                          : "?";
        assert_string_equal(role, want);
    }

    /* roles: owner only */
    API_ERROR(api_json(f, "PATCH", json_pack("{s:s}", "role", "viewer"),
                       "/api/w/members/members/%lld", c->id),
              403, "forbidden", NULL);
    API_ERROR(api_json(o, "PATCH", json_pack("{s:s}", "role", "emperor"),
                       "/api/w/members/members/%lld", c->id),
              400, "bad_field", "role");
    API_ERROR(api_json(o, "PATCH", json_pack("{s:s}", "role", "viewer"),
                       "/api/w/members/members/999999"),
              404, "not_found", NULL);
    r = api_json(o, "PATCH", json_pack("{s:s}", "role", "viewer"),
                 "/api/w/members/members/%lld", c->id);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "member.role"), "viewer");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "title", "demoted"),
                       "/api/w/members/items"),
              403, "forbidden", NULL);
    API_STATUS(api_json(o, "PATCH", json_pack("{s:s}", "role", "contributor"),
                        "/api/w/members/members/%lld", c->id),
               200);
    item_add(c, "members", "promoted again");

    /* removal: owner only; the removed member no longer sees it */
    API_ERROR(api_req(f, "DELETE", NULL, "/api/w/members/members/%lld", v->id),
              403, "forbidden", NULL);
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/members/members/%lld", v->id),
               204);
    API_ERROR(api_req(v, "GET", NULL, "/api/w/members"), 404, "not_found",
              NULL);
    API_ERROR(api_req(v, "GET", NULL, "/api/w/members/items"), 404, "not_found",
              NULL);
    r = api_req(v, "GET", NULL, "/api/workspaces");
    json_array_foreach(API_ARR(r, "workspaces"), i, m)
    {
        assert_string_not_equal(json_string_value(json_object_get(m, "slug")),
                                "members");
    }

    /* deleting the workspace: owner only */
    API_ERROR(api_req(f, "DELETE", NULL, "/api/w/members"), 403, "forbidden",
              NULL);
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/members"), 204);
    API_ERROR(api_req(o, "GET", NULL, "/api/w/members"), 404, "not_found",
              NULL);
    API_ERROR(api_req(c, "GET", NULL, "/api/w/members/items"), 404, "not_found",
              NULL);
}

static void test_invites(void **state)
{
    T *t = T_of(state);
    ApiUser *f = U(state, FAC), *c = U(state, CON), *x = U(state, OUT);
    ws_make(state, "invites");
    const ApiResp *r =
        api_json(f, "POST", json_pack("{s:s}", "role", "contributor"),
                 "/api/w/invites/invites");
    API_STATUS(r, 201);
    char token[256], url[300];
    api_copy(token, sizeof token, API_STR(r, "token"));
    snprintf(url, sizeof url, "/#/join/%s", token);
    assert_string_equal(API_STR(r, "url"), url);
    assert_true(strlen(token) >= 16);

    /* no higher than facilitator; only facilitators invite */
    r = api_json(f, "POST", json_pack("{s:s}", "role", "owner"),
                 "/api/w/invites/invites");
    if (r->status != 403 && r->status != 400)
        API_FAIL(r, "a facilitator made an owner invite\n");
    API_ERROR(api_json(f, "POST", json_pack("{s:s}", "role", "chief"),
                       "/api/w/invites/invites"),
              400, "bad_field", "role");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "role", "viewer"),
                       "/api/w/invites/invites"),
              403, "forbidden", NULL);

    /* accepting: signed in, a real token */
    ApiUser *anon = tmp_user(state);
    api_fetch_csrf(anon);
    API_ERROR(api_req(anon, "POST", NULL, "/api/invites/%s/accept", token), 401,
              "unauthenticated", NULL);
    API_ERROR(api_req(x, "POST", NULL, "/api/invites/%s/accept",
                      "no-such-token-0000"),
              404, "not_found", NULL);
    r = api_req(x, "POST", NULL, "/api/invites/%s/accept", token);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.slug"), "invites");
    r = api_req(x, "GET", NULL, "/api/w/invites");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.role"), "contributor");
    item_add(x, "invites", "the outsider's first item");

    /* an existing member keeps the higher role */
    join(state, FAC, f, "invites", "viewer");
    r = api_req(f, "GET", NULL, "/api/w/invites");
    assert_string_equal(API_STR(r, "workspace.role"), "facilitator");
    join(state, FAC, x, "invites", "facilitator");
    r = api_req(x, "GET", NULL, "/api/w/invites");
    assert_string_equal(API_STR(r, "workspace.role"), "facilitator");
    (void)t;
}

/* ---- roles on every endpoint ------------------------------------------ */

static void test_viewer_reads_only(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "viewer");
    long long a = item_add(c, "viewer", "an item to look at");
    long long b = item_add(c, "viewer", "another item to look at");
    long long l = link_add(c, "viewer", a, b, "+");

    static const char *const reads[] = {"",
                                        "/members",
                                        "/items",
                                        "/items/%lld",
                                        "/themes",
                                        "/links",
                                        "/map",
                                        "/loops",
                                        "/events",
                                        "/similar?text=item",
                                        "/export.json",
                                        "/export.graphml",
                                        "/export.dot",
                                        "/items.csv"};
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
        char path[256];
        snprintf(path, sizeof path, "/api/w/viewer");
        size_t n = strlen(path);
        snprintf(path + n, sizeof path - n, reads[i], a);
        API_STATUS(api_send(v, "GET", path, NULL, NULL), 200);
    }

    /* every write is forbidden to a viewer */
    API_ERROR(api_json(v, "POST", json_pack("{s:s}", "title", "no"),
                       "/api/w/viewer/items"),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "PATCH", json_pack("{s:s}", "title", "no"),
                       "/api/w/viewer/items/%lld", a),
              403, "forbidden", NULL);
    API_ERROR(api_req(v, "DELETE", NULL, "/api/w/viewer/items/%lld", a), 403,
              "forbidden", NULL);
    API_ERROR(
        api_json(v, "PUT",
                 json_pack("{s:i, s:i}", "importance", 3, "uncertainty", 3),
                 "/api/w/viewer/items/%lld/rating", a),
        403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST",
                       json_pack("{s:s, s:s}", "kind", "story", "text", "no"),
                       "/api/w/viewer/items/%lld/evidence", a),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST",
                       json_pack("{s:I, s:I, s:s}", "from", (json_int_t)b, "to",
                                 (json_int_t)a, "polarity", "-"),
                       "/api/w/viewer/links"),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "PATCH", json_pack("{s:s}", "polarity", "-"),
                       "/api/w/viewer/links/%lld", l),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST", json_pack("{s:s}", "name", "no"),
                       "/api/w/viewer/themes"),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST", json_pack("{s:s}", "role", "viewer"),
                       "/api/w/viewer/invites"),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST", json_pack("{}"), "/api/w/viewer/meetings"),
              403, "forbidden", NULL);
    API_ERROR(
        api_json(v, "PATCH", json_pack("{s:b}", "locked", 1), "/api/w/viewer"),
        403, "forbidden", NULL);
    API_ERROR(api_json(v, "POST", json_pack("{s:n}", "theme_id"),
                       "/api/w/viewer/items/%lld/theme", a),
              403, "forbidden", NULL);
}

static void test_contributor_limits(void **state)
{
    ApiUser *f = U(state, FAC), *c = U(state, CON);
    ws_make(state, "contrib");
    long long mine = item_add(c, "contrib", "the contributor's item");
    long long theirs = item_add(f, "contrib", "the facilitator's item");
    long long lmine = link_add(c, "contrib", mine, theirs, "+");
    long long ltheirs = link_add(f, "contrib", theirs, mine, "-");

    /* own things: yes */
    const ApiResp *r = api_json(
        c, "PATCH",
        json_pack("{s:s, s:s}", "title", "renamed", "body", "with a body"),
        "/api/w/contrib/items/%lld", mine);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.title"), "renamed");
    assert_string_equal(API_STR(r, "item.body"), "with a body");
    r = api_json(
        c, "PATCH",
        json_pack("{s:s, s:s}", "polarity", "-", "note", "on reflection"),
        "/api/w/contrib/links/%lld", lmine);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "link.polarity"), "-");
    assert_string_equal(API_STR(r, "link.note"), "on reflection");

    /* other people's things, and facilitator work: no */
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "title", "mine now"),
                       "/api/w/contrib/items/%lld", theirs),
              403, "forbidden", NULL);
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/contrib/items/%lld", theirs),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "polarity", "+"),
                       "/api/w/contrib/links/%lld", ltheirs),
              403, "forbidden", NULL);
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/contrib/links/%lld", ltheirs),
              403, "forbidden", NULL);
    API_ERROR(api_req(c, "POST", NULL, "/api/w/contrib/items/%lld/hide", mine),
              403, "forbidden", NULL);
    API_ERROR(
        api_req(c, "POST", NULL, "/api/w/contrib/items/%lld/restore", mine),
        403, "forbidden", NULL);
    API_ERROR(api_req(c, "POST", NULL, "/api/w/contrib/links/%lld/hide", lmine),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I}", "into", (json_int_t)theirs),
                       "/api/w/contrib/items/%lld/merge", mine),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{s:i}", "event_id", 1),
                       "/api/w/contrib/items/%lld/rollback", mine),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{s:i}", "event_id", 1),
                       "/api/w/contrib/links/%lld/rollback", lmine),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "name", "Mine"),
                       "/api/w/contrib/themes"),
              403, "forbidden", NULL);
    API_ERROR(
        api_json(c, "POST", json_pack("{}"), "/api/w/contrib/themes/suggest"),
        403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "role", "viewer"),
                       "/api/w/contrib/invites"),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{}"), "/api/w/contrib/meetings"),
              403, "forbidden", NULL);
    API_ERROR(
        api_json(c, "PATCH", json_pack("{s:b}", "locked", 1), "/api/w/contrib"),
        403, "forbidden", NULL);

    /* a facilitator edits anything, and ends meetings */
    r = api_json(f, "PATCH", json_pack("{s:s}", "title", "tidied"),
                 "/api/w/contrib/items/%lld", mine);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.title"), "tidied");
    API_STATUS(api_json(f, "PATCH", json_pack("{s:s}", "polarity", "+"),
                        "/api/w/contrib/links/%lld", lmine),
               200);
    r = api_json(f, "POST", json_pack("{s:s}", "note", "first session"),
                 "/api/w/contrib/meetings");
    API_STATUS(r, 201);
    API_INT(r, "meeting.id");
    assert_true(api_is_time(API_STR(r, "meeting.at")));

    /* own deletions: yes */
    API_STATUS(api_req(c, "DELETE", NULL, "/api/w/contrib/links/%lld", lmine),
               204);
    API_STATUS(api_req(c, "DELETE", NULL, "/api/w/contrib/items/%lld", mine),
               204);
}

/* ---- cross-workspace -------------------------------------------------- */

static void test_cross_workspace(void **state)
{
    ApiUser *c = U(state, CON), *x = U(state, OUT);
    ws_make(state, "inside");
    long long a = item_add(c, "inside", "inside item a");
    long long b = item_add(c, "inside", "inside item b");
    long long l = link_add(c, "inside", a, b, "+");

    /* the outsider has a workspace of its own */
    API_STATUS(
        api_json(x, "POST",
                 json_pack("{s:s, s:s}", "name", "Outside", "slug", "outside"),
                 "/api/workspaces"),
        201);
    long long xa = item_add(x, "outside", "outside item");

    /* to a non-member, a workspace is exactly as absent as a missing one */
    static const char *const gets[] = {"",
                                       "/members",
                                       "/items",
                                       "/items/%lld",
                                       "/themes",
                                       "/links",
                                       "/map",
                                       "/loops",
                                       "/events",
                                       "/export.json",
                                       "/export.graphml",
                                       "/export.dot",
                                       "/items.csv",
                                       "/similar?text=a"};
    for (size_t i = 0; i < sizeof gets / sizeof *gets; i++) {
        char p1[256], p2[256];
        snprintf(p1, sizeof p1, "/api/w/inside");
        snprintf(p2, sizeof p2, "/api/w/never-made");
        snprintf(p1 + strlen(p1), sizeof p1 - strlen(p1), gets[i], a);
        snprintf(p2 + strlen(p2), sizeof p2 - strlen(p2), gets[i], a);
        const ApiResp *r = api_send(x, "GET", p1, NULL, NULL);
        API_ERROR(r, 404, "not_found", NULL);
        char m1[512];
        api_copy(m1, sizeof m1, API_STR(r, "error.message"));
        r = api_send(x, "GET", p2, NULL, NULL);
        API_ERROR(r, 404, "not_found", NULL);
        /* the message must not tell the two apart either (it may name
         * the slug it was given) */
        char m2[512];
        api_copy(m2, sizeof m2, API_STR(r, "error.message"));
        char *s1 = strstr(m1, "inside"), *s2 = strstr(m2, "never-made");
        if (s1 && s2) {
            *s1 = *s2 = '\0';
        }
        assert_string_equal(m1, m2);
    }
    /* writes too: 404, not 403 */
    API_ERROR(api_json(x, "POST", json_pack("{s:s}", "title", "sneak"),
                       "/api/w/inside/items"),
              404, "not_found", NULL);
    API_ERROR(api_json(x, "PATCH", json_pack("{s:s}", "title", "sneak"),
                       "/api/w/inside/items/%lld", a),
              404, "not_found", NULL);
    API_ERROR(api_req(x, "DELETE", NULL, "/api/w/inside/items/%lld", a), 404,
              "not_found", NULL);
    API_ERROR(api_req(x, "DELETE", NULL, "/api/w/inside"), 404, "not_found",
              NULL);
    API_ERROR(api_json(x, "POST", json_pack("{s:s}", "role", "facilitator"),
                       "/api/w/inside/invites"),
              404, "not_found", NULL);
    API_ERROR(api_json(x, "PATCH", json_pack("{s:s}", "display_name", "spy"),
                       "/api/w/inside/me"),
              404, "not_found", NULL);

    /* ids of another workspace, through one's own */
    API_ERROR(api_req(x, "GET", NULL, "/api/w/outside/items/%lld", a), 404,
              "not_found", NULL);
    API_ERROR(api_json(x, "PATCH", json_pack("{s:s}", "title", "sneak"),
                       "/api/w/outside/items/%lld", a),
              404, "not_found", NULL);
    API_ERROR(api_req(x, "DELETE", NULL, "/api/w/outside/items/%lld", a), 404,
              "not_found", NULL);
    API_ERROR(
        api_json(x, "PUT",
                 json_pack("{s:i, s:i}", "importance", 1, "uncertainty", 1),
                 "/api/w/outside/items/%lld/rating", a),
        404, "not_found", NULL);
    API_ERROR(api_json(x, "POST",
                       json_pack("{s:s, s:s}", "kind", "story", "text", "x"),
                       "/api/w/outside/items/%lld/evidence", a),
              404, "not_found", NULL);
    API_ERROR(api_req(x, "DELETE", NULL, "/api/w/outside/links/%lld", l), 404,
              "not_found", NULL);
    API_ERROR(api_json(x, "PATCH", json_pack("{s:s}", "polarity", "-"),
                       "/api/w/outside/links/%lld", l),
              404, "not_found", NULL);
    REFUSED_REF(api_json(x, "POST",
                         json_pack("{s:I, s:I, s:s}", "from", (json_int_t)xa,
                                   "to", (json_int_t)a, "polarity", "+"),
                         "/api/w/outside/links"),
                "to");
    REFUSED_REF(api_json(x, "POST", json_pack("{s:I}", "into", (json_int_t)a),
                         "/api/w/outside/items/%lld/merge", xa),
                "into");
    /* and the other way: a member of 'inside' in 'outside' */
    API_ERROR(api_req(c, "GET", NULL, "/api/w/outside/items/%lld", xa), 404,
              "not_found", NULL);

    /* nothing changed inside */
    const ApiResp *r = api_req(c, "GET", NULL, "/api/w/inside/items/%lld", a);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.title"), "inside item a");
    r = api_req(c, "GET", NULL, "/api/w/inside/links");
    assert_int_equal(json_array_size(API_ARR(r, "links")), 1);

    /* the outsider's feed token does not open another workspace's feed */
    r = api_req(x, "GET", NULL, "/api/w/outside");
    char feed[512];
    api_copy(feed, sizeof feed, API_STR(r, "workspace.feed_url"));
    const char *tok = strstr(feed, "token=");
    assert_non_null(tok);
    ApiUser *anon = tmp_user(state);
    r = api_req(anon, "GET", NULL, "/api/w/inside/feed.atom?%s", tok);
    REFUSED(r);
    if (strstr(r->body.data, "inside item"))
        API_FAIL(r, "another workspace's feed token opened the feed\n");
}

/* ---- items ------------------------------------------------------------ */

static void check_item_shape(const ApiResp *r, const char *at)
{
    char p[64];
    static const char *const keys[] = {
        "id",         "title",       "body",          "theme_id",
        "status",     "merged_into", "hidden",        "author",
        "created_at", "updated_at",  "importance",    "uncertainty",
        "ratings",    "my_rating",   "evidence_count"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        snprintf(p, sizeof p, "%s.%s", at, keys[i]);
        if (!api_at(r->json, p))
            API_FAIL(r, "'%s' missing\n", p);
    }
    snprintf(p, sizeof p, "%s.created_at", at);
    assert_true(api_is_time(json_string_value(api_at(r->json, p))));
    snprintf(p, sizeof p, "%s.updated_at", at);
    assert_true(api_is_time(json_string_value(api_at(r->json, p))));
    snprintf(p, sizeof p, "%s.hidden", at);
    assert_true(json_is_boolean(api_at(r->json, p)));
    snprintf(p, sizeof p, "%s.ratings", at);
    assert_true(json_is_integer(api_at(r->json, p)));
    snprintf(p, sizeof p, "%s.evidence_count", at);
    assert_true(json_is_integer(api_at(r->json, p)));
}

static void test_items_create_read(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "items");
    const char *title = "Waiting lists grow — \"fast\" & 'unevenly' ✓";
    const char *body = "line one\nline two\twith a tab\\ and </script>";
    const ApiResp *r = api_json(
        c, "POST", json_pack("{s:s, s:s}", "title", title, "body", body),
        "/api/w/items/items");
    API_STATUS(r, 201);
    check_item_shape(r, "item");
    long long id = API_INT(r, "item.id");
    assert_string_equal(API_STR(r, "item.title"), title);
    assert_string_equal(API_STR(r, "item.body"), body);
    assert_string_equal(API_STR(r, "item.status"), "open");
    assert_string_equal(API_STR(r, "item.author"), c->name);
    assert_true(json_is_null(api_at(r->json, "item.theme_id")));
    assert_true(json_is_null(api_at(r->json, "item.merged_into")));
    assert_true(json_is_null(api_at(r->json, "item.importance")));
    assert_true(json_is_null(api_at(r->json, "item.uncertainty")));
    assert_true(json_is_false(api_at(r->json, "item.hidden")));
    assert_int_equal(API_INT(r, "item.ratings"), 0);
    assert_int_equal(API_INT(r, "item.evidence_count"), 0);
    API_ARR(r, "similar");

    r = api_req(v, "GET", NULL, "/api/w/items/items/%lld", id);
    API_STATUS(r, 200);
    check_item_shape(r, "item");
    assert_string_equal(API_STR(r, "item.title"), title);
    assert_string_equal(API_STR(r, "item.body"), body);
    assert_int_equal(json_array_size(API_ARR(r, "item.evidence")), 0);

    /* titles: 1-500 characters (not bytes) */
    char t500[1001 + 4];
    size_t n = 0;
    for (int i = 0; i < 500; i++) {
        t500[n++] = (char)0xc3; /* é: two bytes, one character */
        t500[n++] = (char)0xa9;
    }
    t500[n] = '\0';
    r = api_json(c, "POST", json_pack("{s:s}", "title", t500),
                 "/api/w/items/items");
    API_STATUS(r, 201);
    assert_string_equal(API_STR(r, "item.title"), t500);
    char t501[502];
    memset(t501, 'x', 501);
    t501[501] = '\0';
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "title", t501),
                       "/api/w/items/items"),
              400, "bad_field", "title");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "title", ""),
                       "/api/w/items/items"),
              400, "bad_field", "title");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "body", "no title"),
                       "/api/w/items/items"),
              400, "missing_field", "title");
    API_ERROR(api_json(c, "POST", json_pack("{s:i}", "title", 42),
                       "/api/w/items/items"),
              400, "bad_field", "title");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:i}", "title", "t", "body", 42),
                       "/api/w/items/items"),
              400, "bad_field", "body");
    REFUSED_REF(
        api_json(c, "POST",
                 json_pack("{s:s, s:i}", "title", "t", "theme_id", 999999),
                 "/api/w/items/items"),
        "theme_id");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "title", ""),
                       "/api/w/items/items/%lld", id),
              400, "bad_field", "title");

    /* unknown and malformed ids */
    API_ERROR(api_req(v, "GET", NULL, "/api/w/items/items/999999"), 404,
              "not_found", NULL);
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "title", "x"),
                       "/api/w/items/items/999999"),
              404, "not_found", NULL);
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/items/items/999999"), 404,
              "not_found", NULL);
    API_ERROR(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 1, "uncertainty", 1),
                 "/api/w/items/items/999999/rating"),
        404, "not_found", NULL);
    static const char *const odd[] = {"abc", "-1",  "0",
                                      "1.5", "1e3", "99999999999999999999999",
                                      "%00", "1%20"};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        r = api_req(v, "GET", NULL, "/api/w/items/items/%s", odd[i]);
        if (r->status != 404 && r->status != 400)
            API_FAIL(r, "item id '%s' not refused with 404 or 400\n", odd[i]);
    }
}

static void test_items_delete_and_list(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "listing");
    long long a = item_add(c, "listing", "Bravo housing costs");
    long long b = item_add(f, "listing", "Alpha staff turnover");
    long long d = item_add(c, "listing", "Charlie demand for care");
    long long l = link_add(c, "listing", a, d, "+");

    /* default: open, not hidden, most recent first */
    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/listing/items");
    API_STATUS(r, 200);
    json_t *items = API_ARR(r, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_int_equal(API_INT(r, "items.0.id"), d);
    assert_int_equal(API_INT(r, "items.2.id"), a);
    check_item_shape(r, "items.0");
    r = api_req(v, "GET", NULL, "/api/w/listing/items?sort=oldest");
    assert_int_equal(API_INT(r, "items.0.id"), a);
    r = api_req(v, "GET", NULL, "/api/w/listing/items?sort=title");
    assert_int_equal(API_INT(r, "items.0.id"), b);
    assert_int_equal(API_INT(r, "items.1.id"), a);
    assert_int_equal(API_INT(r, "items.2.id"), d);
    r = api_req(v, "GET", NULL, "/api/w/listing/items?q=housing");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 1);
    assert_int_equal(API_INT(r, "items.0.id"), a);
    r = api_req(v, "GET", NULL, "/api/w/listing/items?theme=none");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 3);

    /* importance sort: highest first */
    API_STATUS(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 5, "uncertainty", 1),
                 "/api/w/listing/items/%lld/rating", b),
        200);
    API_STATUS(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 2, "uncertainty", 5),
                 "/api/w/listing/items/%lld/rating", d),
        200);
    r = api_req(v, "GET", NULL, "/api/w/listing/items?sort=importance");
    assert_int_equal(API_INT(r, "items.0.id"), b);
    r = api_req(v, "GET", NULL, "/api/w/listing/items?sort=uncertainty");
    assert_int_equal(API_INT(r, "items.0.id"), d);

    /* delete: status deleted, out of the default list, its links hidden */
    API_STATUS(api_req(c, "DELETE", NULL, "/api/w/listing/items/%lld", a), 204);
    r = api_req(v, "GET", NULL, "/api/w/listing/items/%lld", a);
    if (r->status == 200)
        assert_string_equal(API_STR(r, "item.status"), "deleted");
    else
        API_ERROR(r, 404, "not_found", NULL);
    r = api_req(v, "GET", NULL, "/api/w/listing/items");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 2);
    assert_false(has_id(v, "items", a));
    r = api_req(v, "GET", NULL, "/api/w/listing/links");
    assert_false(has_id(v, "links", l));
    r = api_req(v, "GET", NULL, "/api/w/listing/map");
    assert_false(has_id(v, "nodes", a));
    assert_false(has_id(v, "edges", l));
    /* deleted once is gone for links too */
    REFUSED_REF(api_json(c, "POST",
                         json_pack("{s:I, s:I, s:s}", "from", (json_int_t)a,
                                   "to", (json_int_t)b, "polarity", "+"),
                         "/api/w/listing/links"),
                "from");
}

static void test_similar(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "similar");
    long long a = item_add(c, "similar", "Rising demand for adult social care");
    item_add(c, "similar", "Parks maintenance budget");
    const ApiResp *r = api_json(
        c, "POST",
        json_pack("{s:s}", "title", "Rising demand for adult social care!"),
        "/api/w/similar/items");
    API_STATUS(r, 201);
    json_t *sim = API_ARR(r, "similar");
    json_t *hit = api_find_id(sim, a);
    if (!hit)
        API_FAIL(r, "the near-duplicate is not in 'similar'\n");
    assert_true(json_number_value(json_object_get(hit, "score")) >= 0.35);
    assert_string_equal(json_string_value(json_object_get(hit, "title")),
                        "Rising demand for adult social care");

    for (int i = 0; i < 7; i++) {
        char t[96];
        snprintf(t, sizeof t, "Rising demand for adult social care %d", i);
        item_add(c, "similar", t);
    }
    r = api_req(v, "GET", NULL,
                "/api/w/similar/similar?text=rising%%20demand%%20for%%20adult"
                "%%20social%%20care");
    API_STATUS(r, 200);
    sim = API_ARR(r, "similar");
    assert_true(json_array_size(sim) >= 1 && json_array_size(sim) <= 5);
    double last = 2;
    size_t i;
    json_t *s;
    json_array_foreach(sim, i, s)
    {
        double sc = json_number_value(json_object_get(s, "score"));
        assert_true(sc >= 0.35 && sc <= last + 1e-12);
        last = sc;
        assert_true(json_is_integer(json_object_get(s, "id")));
    }
    r = api_req(v, "GET", NULL,
                "/api/w/similar/similar?text=zebra%%20crossing");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "similar")), 0);
}

static void test_ratings(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "ratings");
    long long a = item_add(c, "ratings", "to be rated");
    const ApiResp *r = api_json(
        c, "PUT", json_pack("{s:i, s:i}", "importance", 4, "uncertainty", 2),
        "/api/w/ratings/items/%lld/rating", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.ratings"), 1);
    assert_true(
        fabs(json_number_value(api_at(r->json, "item.importance")) - 4) < 1e-9);
    assert_false(json_is_null(api_at(r->json, "item.my_rating")));
    r = api_json(f, "PUT",
                 json_pack("{s:i, s:i}", "importance", 1, "uncertainty", 5),
                 "/api/w/ratings/items/%lld/rating", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.ratings"), 2);
    assert_true(fabs(json_number_value(api_at(r->json, "item.importance")) -
                     2.5) < 1e-9);
    assert_true(fabs(json_number_value(api_at(r->json, "item.uncertainty")) -
                     3.5) < 1e-9);
    /* one per member: replaced */
    r = api_json(f, "PUT",
                 json_pack("{s:i, s:i}", "importance", 2, "uncertainty", 2),
                 "/api/w/ratings/items/%lld/rating", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.ratings"), 2);
    assert_true(
        fabs(json_number_value(api_at(r->json, "item.importance")) - 3) < 1e-9);
    assert_true(fabs(json_number_value(api_at(r->json, "item.uncertainty")) -
                     2) < 1e-9);
    /* a member who has not rated sees the means but no rating of theirs */
    r = api_req(v, "GET", NULL, "/api/w/ratings/items/%lld", a);
    assert_int_equal(API_INT(r, "item.ratings"), 2);
    assert_true(json_is_null(api_at(r->json, "item.my_rating")));

    API_ERROR(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 0, "uncertainty", 3),
                 "/api/w/ratings/items/%lld/rating", a),
        400, "bad_field", "importance");
    API_ERROR(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 3, "uncertainty", 6),
                 "/api/w/ratings/items/%lld/rating", a),
        400, "bad_field", "uncertainty");
    API_ERROR(
        api_json(c, "PUT",
                 json_pack("{s:s, s:i}", "importance", "3", "uncertainty", 3),
                 "/api/w/ratings/items/%lld/rating", a),
        400, "bad_field", "importance");
    API_ERROR(api_json(c, "PUT", json_pack("{s:i}", "importance", 3),
                       "/api/w/ratings/items/%lld/rating", a),
              400, "missing_field", "uncertainty");
    r = api_req(v, "GET", NULL, "/api/w/ratings/items/%lld", a);
    assert_int_equal(API_INT(r, "item.ratings"), 2);
}

static void test_evidence(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "evidence");
    long long a = item_add(c, "evidence", "needs evidence");
    const ApiResp *r = api_json(
        c, "POST",
        json_pack("{s:s, s:s}", "kind", "story", "text", "a family waited"),
        "/api/w/evidence/items/%lld/evidence", a);
    API_STATUS(r, 201);
    API_INT(r, "evidence.id");
    assert_string_equal(API_STR(r, "evidence.kind"), "story");
    assert_string_equal(API_STR(r, "evidence.text"), "a family waited");
    assert_string_equal(API_STR(r, "evidence.author"), c->name);
    assert_true(api_is_time(API_STR(r, "evidence.created_at")));
    r = api_json(c, "POST",
                 json_pack("{s:s, s:s, s:s, s:f}", "kind", "figure", "text",
                           "waiting time, weeks", "source",
                           "annual report 2025", "value", 12.5),
                 "/api/w/evidence/items/%lld/evidence", a);
    API_STATUS(r, 201);
    assert_true(fabs(json_number_value(api_at(r->json, "evidence.value")) -
                     12.5) < 1e-9);
    assert_string_equal(API_STR(r, "evidence.source"), "annual report 2025");

    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:s, s:s}", "kind", "figure", "text",
                                 "no value", "source", "s"),
                       "/api/w/evidence/items/%lld/evidence", a),
              400, "missing_field", "value");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:s, s:i}", "kind", "figure", "text",
                                 "no source", "value", 3),
                       "/api/w/evidence/items/%lld/evidence", a),
              400, "missing_field", "source");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:s}", "kind", "rumour", "text", "t"),
                       "/api/w/evidence/items/%lld/evidence", a),
              400, "bad_field", "kind");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "kind", "quote"),
                       "/api/w/evidence/items/%lld/evidence", a),
              400, "missing_field", "text");

    r = api_req(v, "GET", NULL, "/api/w/evidence/items/%lld", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.evidence_count"), 2);
    json_t *ev = API_ARR(r, "item.evidence");
    assert_int_equal(json_array_size(ev), 2);
    r = api_req(v, "GET", NULL, "/api/w/evidence/items");
    assert_int_equal(API_INT(r, "items.0.evidence_count"), 2);
}

static void test_hide_restore(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "hiding");
    const char *secret = "Unkind remark zq7x about a colleague";
    long long a = item_add(c, "hiding", secret);
    long long b = item_add(c, "hiding", "a kept item");
    long long l = link_add(c, "hiding", b, a, "+");
    long long l2 = link_add(c, "hiding", a, b, "-");

    const ApiResp *r =
        api_req(f, "POST", NULL, "/api/w/hiding/items/%lld/hide", a);
    API_STATUS(r, 200);
    assert_true(json_is_true(api_at(r->json, "item.hidden")));
    r = api_req(v, "GET", NULL, "/api/w/hiding/items");
    assert_false(has_id(v, "items", a));
    assert_true(has_id(v, "items", b));
    r = api_req(f, "GET", NULL, "/api/w/hiding/items?hidden=1");
    API_STATUS(r, 200);
    assert_true(has_id(f, "items", a));
    /* hidden=1 is for facilitators: refused, or not obeyed */
    r = api_req(c, "GET", NULL, "/api/w/hiding/items?hidden=1");
    if (r->status == 200)
        assert_false(has_id(c, "items", a));
    else
        API_ERROR(r, 403, "forbidden", NULL);
    r = api_req(v, "GET", NULL, "/api/w/hiding/items?status=all");
    assert_false(has_id(v, "items", a));
    r = api_req(v, "GET", NULL, "/api/w/hiding/map");
    assert_false(has_id(v, "nodes", a));
    /* a hidden contribution's text is for facilitators only */
    r = api_req(v, "GET", NULL, "/api/w/hiding/events");
    API_STATUS(r, 200);
    if (strstr(r->body.data, "zq7x"))
        API_FAIL(r, "a viewer's events show a hidden item's text\n");
    r = api_req(f, "GET", NULL, "/api/w/hiding/events");
    if (!strstr(r->body.data, "zq7x"))
        API_FAIL(r, "a facilitator's events lack the hidden item's text\n");

    r = api_req(f, "POST", NULL, "/api/w/hiding/items/%lld/restore", a);
    API_STATUS(r, 200);
    assert_true(json_is_false(api_at(r->json, "item.hidden")));
    r = api_req(v, "GET", NULL, "/api/w/hiding/items");
    assert_true(has_id(v, "items", a));

    /* links */
    r = api_req(f, "POST", NULL, "/api/w/hiding/links/%lld/hide", l);
    API_STATUS(r, 200);
    assert_true(json_is_true(api_at(r->json, "link.hidden")));
    r = api_req(v, "GET", NULL, "/api/w/hiding/links");
    assert_false(has_id(v, "links", l));
    assert_true(has_id(v, "links", l2));
    r = api_req(v, "GET", NULL, "/api/w/hiding/map");
    assert_false(has_id(v, "edges", l));
    r = api_req(f, "GET", NULL, "/api/w/hiding/links?hidden=1");
    assert_true(has_id(f, "links", l));
    r = api_req(f, "POST", NULL, "/api/w/hiding/links/%lld/restore", l);
    API_STATUS(r, 200);
    r = api_req(v, "GET", NULL, "/api/w/hiding/links");
    assert_true(has_id(v, "links", l));

    API_ERROR(api_req(f, "POST", NULL, "/api/w/hiding/items/999999/hide"), 404,
              "not_found", NULL);
    API_ERROR(api_req(f, "POST", NULL, "/api/w/hiding/links/999999/restore"),
              404, "not_found", NULL);
}

/* Counts the links from -> to in the last answer's "links". */
static int count_links(ApiUser *u, long long from, long long to)
{
    int n = 0;
    size_t i;
    json_t *l;
    json_array_foreach(API_ARR(&u->r, "links"), i, l)
    {
        n += json_integer_value(json_object_get(l, "from")) == from &&
             json_integer_value(json_object_get(l, "to")) == to;
    }
    return n;
}

static void test_merge(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "merging");
    long long a = item_add(c, "merging", "Too few social workers");
    long long b = item_add(c, "merging", "Shortage of social workers");
    long long x = item_add(c, "merging", "Caseloads per worker");
    long long y = item_add(c, "merging", "Agency staff spending");
    link_add(c, "merging", a, x, "+"); /* moves to b -> x: duplicate */
    link_add(c, "merging", b, x, "+");
    link_add(c, "merging", a, b, "-"); /* would be b -> b: dropped */
    link_add(c, "merging", y, a, "+"); /* moves to y -> b */
    link_add(c, "merging", a, y, "+"); /* moves to b -> y */
    API_STATUS(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 5, "uncertainty", 4),
                 "/api/w/merging/items/%lld/rating", a),
        200);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:s, s:s}", "kind", "quote", "text",
                                  "we cannot recruit"),
                        "/api/w/merging/items/%lld/evidence", a),
               201);

    API_ERROR(api_json(f, "POST", json_pack("{s:I}", "into", (json_int_t)a),
                       "/api/w/merging/items/%lld/merge", a),
              400, "bad_field", "into");
    REFUSED_REF(api_json(f, "POST", json_pack("{s:i}", "into", 999999),
                         "/api/w/merging/items/%lld/merge", a),
                "into");
    API_ERROR(api_json(f, "POST", json_pack("{}"),
                       "/api/w/merging/items/%lld/merge", a),
              400, "missing_field", "into");

    const ApiResp *r =
        api_json(f, "POST", json_pack("{s:I}", "into", (json_int_t)b),
                 "/api/w/merging/items/%lld/merge", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.id"), b);

    r = api_req(v, "GET", NULL, "/api/w/merging/items/%lld", a);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.status"), "merged");
    assert_int_equal(API_INT(r, "item.merged_into"), b);
    assert_int_equal(API_INT(r, "item.ratings"), 1);
    json_t *ev = API_ARR(r, "item.evidence");
    assert_int_equal(json_array_size(ev), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(ev, 0), "text")),
        "we cannot recruit");

    r = api_req(v, "GET", NULL, "/api/w/merging/links");
    API_STATUS(r, 200);
    assert_int_equal(count_links(v, b, x), 1);
    assert_int_equal(count_links(v, b, b), 0);
    assert_int_equal(count_links(v, y, b), 1);
    assert_int_equal(count_links(v, b, y), 1);
    assert_int_equal(count_links(v, a, x) + count_links(v, y, a) +
                         count_links(v, a, y) + count_links(v, a, b),
                     0);
    assert_int_equal(json_array_size(API_ARR(r, "links")), 3);

    r = api_req(v, "GET", NULL, "/api/w/merging/items");
    assert_false(has_id(v, "items", a));
    r = api_req(v, "GET", NULL, "/api/w/merging/items?status=merged");
    assert_true(has_id(v, "items", a));
    assert_false(has_id(v, "items", b));
    r = api_req(v, "GET", NULL, "/api/w/merging/items?status=all");
    assert_true(has_id(v, "items", a));
    assert_true(has_id(v, "items", b));
    /* a merged item is not a merge target */
    REFUSED(api_json(f, "POST", json_pack("{s:I}", "into", (json_int_t)a),
                     "/api/w/merging/items/%lld/merge", x));
}

/* The id of the newest event of action on target id, or 0. */
static long long find_event(ApiUser *u, const char *slug, const char *action,
                            long long target, const char *after_key,
                            const char *after_value)
{
    const ApiResp *r =
        api_req(u, "GET", NULL, "/api/w/%s/events?limit=200", slug);
    API_STATUS(r, 200);
    size_t i;
    json_t *e;
    json_array_foreach(API_ARR(r, "events"), i, e)
    {
        if (strcmp(nz(json_string_value(json_object_get(e, "action"))),
                   action) != 0 ||
            json_integer_value(json_object_get(e, "target_id")) != target)
            continue;
        if (after_key) {
            json_t *av =
                json_object_get(json_object_get(e, "after"), after_key);
            if (!json_is_string(av) ||
                strcmp(json_string_value(av), after_value) != 0)
                continue;
        }
        return json_integer_value(json_object_get(e, "id"));
    }
    return 0;
}

static void test_rollback(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC);
    ws_make(state, "rollback");
    long long a = item_add(c, "rollback", "version one");
    long long other = item_add(c, "rollback", "another item");
    API_STATUS(api_json(c, "PATCH", json_pack("{s:s}", "title", "version two"),
                        "/api/w/rollback/items/%lld", a),
               200);
    API_STATUS(api_json(f, "PATCH",
                        json_pack("{s:s}", "title", "version three"),
                        "/api/w/rollback/items/%lld", a),
               200);
    long long e2 =
        find_event(f, "rollback", "item.edit", a, "title", "version two");
    long long e1 = find_event(f, "rollback", "item.add", a, NULL, NULL);
    long long eo = find_event(f, "rollback", "item.add", other, NULL, NULL);
    assert_true(e1 > 0 && e2 > e1 && eo > 0);

    const ApiResp *r =
        api_json(f, "POST", json_pack("{s:I}", "event_id", (json_int_t)e2),
                 "/api/w/rollback/items/%lld/rollback", a);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.title"), "version two");
    long long rb = find_event(f, "rollback", "item.rollback", a, NULL, NULL);
    assert_true(rb > e2);
    r = api_json(f, "POST", json_pack("{s:I}", "event_id", (json_int_t)e1),
                 "/api/w/rollback/items/%lld/rollback", a);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "item.title"), "version one");
    r = api_req(c, "GET", NULL, "/api/w/rollback/items/%lld", a);
    assert_string_equal(API_STR(r, "item.title"), "version one");

    /* an event of another item, an unknown one, none */
    REFUSED_REF(api_json(f, "POST",
                         json_pack("{s:I}", "event_id", (json_int_t)eo),
                         "/api/w/rollback/items/%lld/rollback", a),
                "event_id");
    REFUSED_REF(api_json(f, "POST", json_pack("{s:i}", "event_id", 999999),
                         "/api/w/rollback/items/%lld/rollback", a),
                "event_id");
    API_ERROR(api_json(f, "POST", json_pack("{}"),
                       "/api/w/rollback/items/%lld/rollback", a),
              400, "missing_field", "event_id");

    /* links roll back too */
    long long l = link_add(c, "rollback", a, other, "+");
    API_STATUS(api_json(f, "PATCH",
                        json_pack("{s:s, s:b}", "polarity", "-", "delay", 1),
                        "/api/w/rollback/links/%lld", l),
               200);
    long long la = find_event(f, "rollback", "link.add", l, NULL, NULL);
    assert_true(la > 0);
    r = api_json(f, "POST", json_pack("{s:I}", "event_id", (json_int_t)la),
                 "/api/w/rollback/links/%lld/rollback", l);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "link.polarity"), "+");
    assert_true(json_is_false(api_at(r->json, "link.delay")));
    assert_true(find_event(f, "rollback", "link.rollback", l, NULL, NULL) > la);
}

static void test_lock(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "locking");
    long long a = item_add(c, "locking", "before the lock");
    long long b = item_add(c, "locking", "also before the lock");
    const ApiResp *r =
        api_json(f, "PATCH", json_pack("{s:b}", "locked", 1), "/api/w/locking");
    API_STATUS(r, 200);
    assert_true(json_is_true(api_at(r->json, "workspace.locked")));
    r = api_req(v, "GET", NULL, "/api/w/locking");
    assert_true(json_is_true(api_at(r->json, "workspace.locked")));

    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "title", "too late"),
                       "/api/w/locking/items"),
              409, "locked", NULL);
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "title", "changed"),
                       "/api/w/locking/items/%lld", a),
              409, "locked", NULL);
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/locking/items/%lld", a), 409,
              "locked", NULL);
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I, s:I, s:s}", "from", (json_int_t)a, "to",
                                 (json_int_t)b, "polarity", "+"),
                       "/api/w/locking/links"),
              409, "locked", NULL);
    /* facilitators still may */
    long long fi = item_add(f, "locking", "added by the facilitator");
    link_add(f, "locking", a, fi, "-");
    r = api_req(v, "GET", NULL, "/api/w/locking/items");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 3);

    r = api_json(f, "PATCH", json_pack("{s:b}", "locked", 0), "/api/w/locking");
    API_STATUS(r, 200);
    assert_true(json_is_false(api_at(r->json, "workspace.locked")));
    item_add(c, "locking", "after the lock");
    r = api_req(v, "GET", NULL, "/api/w/locking/events");
    int lock = 0, unlock = 0;
    size_t i;
    json_t *e;
    json_array_foreach(API_ARR(r, "events"), i, e)
    {
        const char *act = json_string_value(json_object_get(e, "action"));
        lock += act && strcmp(act, "workspace.lock") == 0;
        unlock += act && strcmp(act, "workspace.unlock") == 0;
    }
    assert_int_equal(lock, 1);
    assert_int_equal(unlock, 1);
}

/* ---- themes ----------------------------------------------------------- */

static int is_color(const char *s)
{
    if (!s || strlen(s) != 7 || s[0] != '#')
        return 0;
    return strspn(s + 1, "0123456789abcdef") == 6;
}

static void test_themes(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "themes");
    long long a = item_add(c, "themes", "Housing costs");
    long long b = item_add(c, "themes", "Rents rising");
    long long d = item_add(f, "themes", "Staff morale");
    json_t *ids = json_pack("[I, I]", (json_int_t)a, (json_int_t)b);
    const ApiResp *r = api_json(
        f, "POST", json_pack("{s:s, s:o}", "name", "Housing", "items", ids),
        "/api/w/themes/themes");
    API_STATUS(r, 201);
    long long th = API_INT(r, "theme.id");
    assert_string_equal(API_STR(r, "theme.name"), "Housing");
    assert_true(is_color(API_STR(r, "theme.color")));
    assert_int_equal(API_INT(r, "theme.items"), 2);
    r = api_json(
        f, "POST",
        json_pack("{s:s, s:s}", "name", "Workforce", "color", "#1b9e77"),
        "/api/w/themes/themes");
    API_STATUS(r, 201);
    long long tw = API_INT(r, "theme.id");
    assert_string_equal(API_STR(r, "theme.color"), "#1b9e77");
    API_ERROR(api_json(f, "POST",
                       json_pack("{s:s, s:s}", "name", "Bad", "color", "red"),
                       "/api/w/themes/themes"),
              400, "bad_field", "color");
    API_ERROR(api_json(f, "POST", json_pack("{s:s}", "color", "#000000"),
                       "/api/w/themes/themes"),
              400, "missing_field", "name");
    REFUSED_REF(
        api_json(f, "POST",
                 json_pack("{s:s, s:[i]}", "name", "Ghosts", "items", 999999),
                 "/api/w/themes/themes"),
        NULL);

    r = api_req(v, "GET", NULL, "/api/w/themes/themes");
    API_STATUS(r, 200);
    json_t *t = api_find_id(API_ARR(r, "themes"), th);
    assert_non_null(t);
    assert_int_equal(json_integer_value(json_object_get(t, "items")), 2);
    r = api_req(v, "GET", NULL, "/api/w/themes/items?theme=%lld", th);
    assert_int_equal(json_array_size(API_ARR(r, "items")), 2);
    assert_true(has_id(v, "items", a) && has_id(v, "items", b));
    r = api_req(v, "GET", NULL, "/api/w/themes/items?theme=none");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 1);
    assert_true(has_id(v, "items", d));
    r = api_req(v, "GET", NULL, "/api/w/themes/items/%lld", a);
    assert_int_equal(API_INT(r, "item.theme_id"), th);
    r = api_req(v, "GET", NULL, "/api/w/themes/map");
    json_t *node = api_find_id(API_ARR(r, "nodes"), a);
    assert_non_null(node);
    assert_int_equal(json_integer_value(json_object_get(node, "theme_id")), th);

    r = api_json(f, "PATCH",
                 json_pack("{s:s, s:s}", "name", "Homes", "color", "#7570b3"),
                 "/api/w/themes/themes/%lld", th);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "theme.name"), "Homes");
    assert_string_equal(API_STR(r, "theme.color"), "#7570b3");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "name", "Mine"),
                       "/api/w/themes/themes/%lld", th),
              403, "forbidden", NULL);
    API_ERROR(api_json(f, "PATCH", json_pack("{s:s}", "name", "X"),
                       "/api/w/themes/themes/999999"),
              404, "not_found", NULL);

    /* assigning one item: the author or a facilitator */
    r = api_json(c, "POST", json_pack("{s:I}", "theme_id", (json_int_t)tw),
                 "/api/w/themes/items/%lld/theme", a);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "item.theme_id"), tw);
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I}", "theme_id", (json_int_t)tw),
                       "/api/w/themes/items/%lld/theme", d),
              403, "forbidden", NULL);
    r = api_json(f, "POST", json_pack("{s:I}", "theme_id", (json_int_t)tw),
                 "/api/w/themes/items/%lld/theme", d);
    API_STATUS(r, 200);
    r = api_json(c, "POST", json_pack("{s:n}", "theme_id"),
                 "/api/w/themes/items/%lld/theme", a);
    API_STATUS(r, 200);
    assert_true(json_is_null(api_at(r->json, "item.theme_id")));
    REFUSED_REF(api_json(c, "POST", json_pack("{s:i}", "theme_id", 999999),
                         "/api/w/themes/items/%lld/theme", a),
                "theme_id");

    /* deleting a theme leaves its items unthemed */
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/themes/themes/%lld", tw), 403,
              "forbidden", NULL);
    API_STATUS(api_req(f, "DELETE", NULL, "/api/w/themes/themes/%lld", tw),
               204);
    r = api_req(v, "GET", NULL, "/api/w/themes/items/%lld", d);
    assert_true(json_is_null(api_at(r->json, "item.theme_id")));
    r = api_req(v, "GET", NULL, "/api/w/themes/themes");
    assert_null(api_find_id(API_ARR(r, "themes"), tw));

    /* suggestions store nothing */
    for (int i = 0; i < 6; i++) {
        char title[64];
        snprintf(title, sizeof title, "%s %d",
                 i % 2 ? "budget cuts to services" : "hospital discharge delay",
                 i);
        item_add(c, "themes", title);
    }
    r = api_json(f, "POST", json_pack("{s:i}", "k", 2),
                 "/api/w/themes/themes/suggest");
    API_STATUS(r, 200);
    json_t *sug = API_ARR(r, "suggestions");
    assert_true(json_array_size(sug) >= 1);
    json_t *s0 = json_array_get(sug, 0);
    assert_true(json_is_string(json_object_get(s0, "name")));
    assert_true(json_is_array(json_object_get(s0, "items")));
    assert_true(json_is_array(json_object_get(s0, "terms")));
    r = api_req(v, "GET", NULL, "/api/w/themes/themes");
    assert_int_equal(json_array_size(API_ARR(r, "themes")), 1);
}

/* ---- links, map, loops, events ---------------------------------------- */

static void test_links(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "links");
    long long a = item_add(c, "links", "Demand");
    long long b = item_add(c, "links", "Spending");
    const ApiResp *r =
        api_json(c, "POST",
                 json_pack("{s:I, s:I, s:s, s:b, s:s}", "from", (json_int_t)a,
                           "to", (json_int_t)b, "polarity", "+", "delay", 1,
                           "note", "more demand, more spend"),
                 "/api/w/links/links");
    API_STATUS(r, 201);
    long long l = API_INT(r, "link.id");
    assert_int_equal(API_INT(r, "link.from"), a);
    assert_int_equal(API_INT(r, "link.to"), b);
    assert_string_equal(API_STR(r, "link.polarity"), "+");
    assert_true(json_is_true(api_at(r->json, "link.delay")));
    assert_string_equal(API_STR(r, "link.note"), "more demand, more spend");
    assert_true(json_is_false(api_at(r->json, "link.hidden")));
    assert_string_equal(API_STR(r, "link.author"), c->name);
    assert_true(api_is_time(API_STR(r, "link.created_at")));

    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I, s:I, s:s}", "from", (json_int_t)a, "to",
                                 (json_int_t)b, "polarity", "-"),
                       "/api/w/links/links"),
              409, "conflict", NULL);
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I, s:I, s:s}", "from", (json_int_t)b, "to",
                                 (json_int_t)a, "polarity", "x"),
                       "/api/w/links/links"),
              400, "bad_field", "polarity");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:I, s:s}", "from", (json_int_t)b,
                                 "polarity", "+"),
                       "/api/w/links/links"),
              400, "missing_field", "to");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:I, s:s}", "from", "1", "to",
                                 (json_int_t)a, "polarity", "+"),
                       "/api/w/links/links"),
              400, "bad_field", "from");
    REFUSED_REF(api_json(c, "POST",
                         json_pack("{s:i, s:I, s:s}", "from", 999999, "to",
                                   (json_int_t)a, "polarity", "+"),
                         "/api/w/links/links"),
                "from");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "polarity", "++"),
                       "/api/w/links/links/%lld", l),
              400, "bad_field", "polarity");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "polarity", "-"),
                       "/api/w/links/links/999999"),
              404, "not_found", NULL);

    r = api_json(c, "PATCH", json_pack("{s:b}", "delay", 0),
                 "/api/w/links/links/%lld", l);
    API_STATUS(r, 200);
    assert_true(json_is_false(api_at(r->json, "link.delay")));
    r = api_req(v, "GET", NULL, "/api/w/links/links");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "links")), 1);
    API_STATUS(api_req(c, "DELETE", NULL, "/api/w/links/links/%lld", l), 204);
    r = api_req(v, "GET", NULL, "/api/w/links/links");
    assert_int_equal(json_array_size(API_ARR(r, "links")), 0);
    /* once deleted, the pair is free again */
    link_add(c, "links", a, b, "-");
}

static void test_map_and_loops(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "loops");
    long long a = item_add(c, "loops", "Demand");
    long long b = item_add(c, "loops", "Waiting times");
    long long d = item_add(c, "loops", "Complaints");
    long long l1 = link_add(c, "loops", a, b, "+");
    link_add(c, "loops", b, a, "-");
    link_add(c, "loops", b, d, "+");

    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/loops/map");
    API_STATUS(r, 200);
    json_t *nodes = API_ARR(r, "nodes"), *edges = API_ARR(r, "edges");
    assert_int_equal(json_array_size(nodes), 3);
    assert_int_equal(json_array_size(edges), 3);
    json_t *n = api_find_id(nodes, a);
    assert_non_null(n);
    assert_string_equal(json_string_value(json_object_get(n, "title")),
                        "Demand");
    static const char *const nkeys[] = {"theme_id", "color", "importance",
                                        "uncertainty"};
    for (size_t i = 0; i < 4; i++)
        assert_non_null(json_object_get(n, nkeys[i]));
    json_t *e = api_find_id(edges, l1);
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "from")), a);
    assert_int_equal(json_integer_value(json_object_get(e, "to")), b);
    assert_string_equal(json_string_value(json_object_get(e, "polarity")), "+");
    assert_true(json_is_boolean(json_object_get(e, "delay")));

    r = api_req(v, "GET", NULL, "/api/w/loops/loops");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "count"), 1);
    assert_int_equal(API_INT(r, "listed"), 1);
    assert_int_equal(API_INT(r, "loops.0.length"), 2);
    json_t *ln = API_ARR(r, "loops.0.nodes");
    assert_int_equal(json_array_size(ln), 2);
    assert_non_null(api_at(r->json, "loops.0.delay"));
    const char *pol = API_STR(r, "loops.0.polarity");
    /* one + and one -: balancing, however it is spelt */
    if (!strchr("Bb-", pol[0]))
        API_FAIL(r, "loop polarity '%s' is not balancing\n", pol);
    int has_a = 0, has_b = 0;
    size_t i;
    json_t *x;
    json_array_foreach(ln, i, x)
    {
        has_a |= json_integer_value(x) == a;
        has_b |= json_integer_value(x) == b;
    }
    assert_true(has_a && has_b);
    json_t *lev = API_ARR(r, "leverage");
    json_t *lb = api_find_id(lev, b);
    assert_non_null(lb);
    assert_int_equal(json_integer_value(json_object_get(lb, "loops")), 1);
    assert_int_equal(json_integer_value(json_object_get(lb, "in")), 1);
    assert_int_equal(json_integer_value(json_object_get(lb, "out")), 2);
    assert_true(json_is_number(json_object_get(lb, "betweenness")));

    r = api_req(v, "GET", NULL, "/api/w/loops/loops?max=0");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "count"), 1);
    assert_int_equal(API_INT(r, "listed"), 0);
    assert_int_equal(json_array_size(API_ARR(r, "loops")), 0);
    r = api_req(v, "GET", NULL, "/api/w/loops/loops?max=banana");
    API_ERROR(r, 400, "bad_field", "max");
}

static int is_action(const char *a)
{
    static const char *const acts[] = {
        "item.add",       "item.edit",        "item.delete",   "item.merge",
        "item.hide",      "item.restore",     "item.rollback", "item.theme",
        "rating.set",     "evidence.add",     "link.add",      "link.edit",
        "link.delete",    "link.hide",        "link.restore",  "link.rollback",
        "theme.add",      "theme.edit",       "theme.delete",  "workspace.edit",
        "workspace.lock", "workspace.unlock", "member.join",   "member.role",
        "member.remove",  "meeting.end"};
    for (size_t i = 0; a && i < sizeof acts / sizeof *acts; i++)
        if (strcmp(a, acts[i]) == 0)
            return 1;
    return 0;
}

static void test_events(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "events");
    long long a = item_add(c, "events", "first");
    API_STATUS(api_json(c, "PATCH",
                        json_pack("{s:s}", "title", "first, edited"),
                        "/api/w/events/items/%lld", a),
               200);
    long long b = item_add(c, "events", "second");
    link_add(c, "events", a, b, "+");

    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/events/events");
    API_STATUS(r, 200);
    json_t *evs = API_ARR(r, "events");
    assert_true(json_array_size(evs) >= 4 + 3); /* + three joins */
    long long prev = 0;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        long long id = json_integer_value(json_object_get(e, "id"));
        assert_true(id > 0);
        if (prev)
            assert_true(id < prev); /* newest first */
        prev = id;
        assert_true(api_is_time(json_string_value(json_object_get(e, "at"))));
        assert_true(json_is_string(json_object_get(e, "actor")));
        const char *act = json_string_value(json_object_get(e, "action"));
        if (!is_action(act))
            API_FAIL(r, "unknown action '%s'\n", act ? act : "(none)");
        assert_true(json_is_string(json_object_get(e, "target_type")));
        assert_non_null(json_object_get(e, "target_id"));
        assert_true(json_is_string(json_object_get(e, "summary")));
        assert_non_null(json_object_get(e, "before"));
        assert_non_null(json_object_get(e, "after"));
    }
    /* the newest is the link, by the contributor */
    e = json_array_get(evs, 0);
    assert_string_equal(json_string_value(json_object_get(e, "action")),
                        "link.add");
    assert_string_equal(json_string_value(json_object_get(e, "actor")),
                        c->name);
    assert_true(json_is_null(json_object_get(e, "before")));
    /* the edit has both states */
    json_array_foreach(evs, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "action")),
                   "item.edit") == 0) {
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(e, "before"), "title")),
                                "first");
            assert_string_equal(json_string_value(json_object_get(
                                    json_object_get(e, "after"), "title")),
                                "first, edited");
        }
    }

    /* paging */
    r = api_req(v, "GET", NULL, "/api/w/events/events?limit=2");
    API_STATUS(r, 200);
    evs = API_ARR(r, "events");
    assert_int_equal(json_array_size(evs), 2);
    long long second = API_INT(r, "events.1.id");
    r = api_req(v, "GET", NULL, "/api/w/events/events?before=%lld&limit=2",
                second);
    API_STATUS(r, 200);
    evs = API_ARR(r, "events");
    assert_int_equal(json_array_size(evs), 2);
    json_array_foreach(evs, i, e)
    {
        assert_true(json_integer_value(json_object_get(e, "id")) < second);
    }
}

/* ---- feed, exports, escaping ------------------------------------------ */

/* What an XML document holds, as expat sees it. */
typedef struct XmlDoc {
    char root[64];     /* name of the root element */
    char root_ns[128]; /* its xmlns attribute */
    int depth;
    int entries;    /* <entry> elements */
    int nodes;      /* <node> elements */
    int html_depth; /* depth of an open type="html" element, or 0 */
    int live_tags;  /* <img> or <script> elements (xhtml content) */
    TBuf text;      /* all character data */
    TBuf html;      /* character data inside type="html" elements */
} XmlDoc;

static void XMLCALL xml_start(void *ud, const XML_Char *name,
                              const XML_Char **attrs)
{
    XmlDoc *d = ud;
    if (d->depth++ == 0) {
        api_copy(d->root, sizeof d->root, name);
        for (int i = 0; attrs[i]; i += 2)
            if (strcmp(attrs[i], "xmlns") == 0)
                api_copy(d->root_ns, sizeof d->root_ns, attrs[i + 1]);
    }
    for (int i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], "type") == 0 && strcmp(attrs[i + 1], "html") == 0)
            d->html_depth = d->depth;
    d->entries += strcmp(name, "entry") == 0;
    d->nodes += strcmp(name, "node") == 0;
    d->live_tags += strcmp(name, "img") == 0 || strcmp(name, "script") == 0;
}

static void XMLCALL xml_end(void *ud, const XML_Char *name)
{
    XmlDoc *d = ud;
    (void)name;
    if (d->html_depth == d->depth)
        d->html_depth = 0;
    d->depth--;
}

static void XMLCALL xml_text(void *ud, const XML_Char *s, int len)
{
    XmlDoc *d = ud;
    tbuf_append(&d->text, s, (size_t)len);
    if (d->html_depth)
        tbuf_append(&d->html, s, (size_t)len);
}

static void xml_free(XmlDoc *d)
{
    tbuf_free(&d->text);
    tbuf_free(&d->html);
}

/* Parses the last answer as XML into d; fails when it is not. */
static void parse_xml(const ApiResp *r, XmlDoc *d)
{
    memset(d, 0, sizeof *d);
    XML_Parser p = XML_ParserCreate("UTF-8");
    assert_non_null(p);
    XML_SetUserData(p, d);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_text);
    enum XML_Status st = XML_Parse(p, r->body.data, (int)r->body.len, XML_TRUE);
    char why[256] = "";
    if (st != XML_STATUS_OK)
        snprintf(why, sizeof why, "line %lu: %s",
                 (unsigned long)XML_GetCurrentLineNumber(p),
                 XML_ErrorString(XML_GetErrorCode(p)));
    XML_ParserFree(p);
    tbuf_cstr(&d->text);
    tbuf_cstr(&d->html);
    /* HTML content a feed reader will render: the user's markup must
     * arrive there escaped once more, as text */
    int live = d->live_tags || strstr(d->html.data, "<img") ||
               strstr(d->html.data, "<script");
    if (why[0] || live) {
        xml_free(d);
        if (why[0])
            API_FAIL(r, "not well-formed XML: %s\n", why);
        API_FAIL(r, "user markup would render as HTML in the feed\n");
    }
}

static void test_feed_and_escaping(void **state)
{
    ApiUser *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "escaping");
    const ApiResp *r =
        api_json(c, "POST",
                 json_pack("{s:s, s:s}", "title", API_XSS, "body",
                           "<script>alert('b')</script> & \"quotes\""),
                 "/api/w/escaping/items");
    API_STATUS(r, 201);
    long long x = API_INT(r, "item.id");
    assert_string_equal(API_STR(r, "item.title"), API_XSS);
    long long y = item_add(c, "escaping", "an ordinary item");
    link_add(c, "escaping", x, y, "+");

    /* JSON: verbatim everywhere */
    r = api_req(v, "GET", NULL, "/api/w/escaping/items/%lld", x);
    assert_string_equal(API_STR(r, "item.title"), API_XSS);
    assert_string_equal(API_STR(r, "item.body"),
                        "<script>alert('b')</script> & \"quotes\"");
    r = api_req(v, "GET", NULL, "/api/w/escaping/items");
    assert_string_equal(json_string_value(json_object_get(
                            api_find_id(API_ARR(r, "items"), x), "title")),
                        API_XSS);
    r = api_req(v, "GET", NULL, "/api/w/escaping/map");
    assert_string_equal(json_string_value(json_object_get(
                            api_find_id(API_ARR(r, "nodes"), x), "title")),
                        API_XSS);
    r = api_req(v, "GET", NULL, "/api/w/escaping/export.json");
    API_STATUS(r, 200);
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(API_ARR(r, "items"), i, it)
    {
        found |= strcmp(nz(json_string_value(json_object_get(it, "title"))),
                        API_XSS) == 0;
    }
    assert_true(found);

    /* enough events that the feed must cut at 50 */
    for (int k = 0; k < 52; k++) {
        char t[64];
        snprintf(t, sizeof t, "filler item %d", k);
        item_add(c, "escaping", t);
    }
    /* the XSS title must be in the last 50 events: edit it once more */
    API_STATUS(api_json(c, "PATCH",
                        json_pack("{s:s}", "body", "touched " API_XSS),
                        "/api/w/escaping/items/%lld", x),
               200);

    r = api_req(v, "GET", NULL, "/api/w/escaping");
    char feed[512];
    api_copy(feed, sizeof feed, API_STR(r, "workspace.feed_url"));
    const char *q = strstr(feed, "/api/w/escaping/feed.atom?token=");
    if (!q)
        API_FAIL(r, "feed_url '%s' is not /api/w/SLUG/feed.atom?token=T\n",
                 feed);
    char token[256];
    api_copy(token, sizeof token, strchr(q, '=') + 1);

    ApiUser *anon = tmp_user(state); /* no cookie needed */
    r = api_req(anon, "GET", NULL, "/api/w/escaping/feed.atom?token=%s", token);
    API_STATUS(r, 200);
    if (!api_stristr(r->ctype, "application/atom+xml"))
        API_FAIL(r, "feed Content-Type is not application/atom+xml\n");
    if (strstr(r->body.data, "<img") || strstr(r->body.data, "<script"))
        API_FAIL(r, "the feed has user text unescaped\n");
    XmlDoc d;
    parse_xml(r, &d);
    int ok = strcmp(d.root, "feed") == 0 &&
             strcmp(d.root_ns, "http://www.w3.org/2005/Atom") == 0;
    int has_title = strstr(tbuf_cstr(&d.text), API_XSS) != NULL;
    int entries = d.entries;
    xml_free(&d);
    if (!ok)
        API_FAIL(r, "root is not an Atom <feed>\n");
    if (!has_title)
        API_FAIL(r, "the feed's text lacks the title as typed\n");
    assert_int_equal(entries, 50);

    REFUSED(api_req(anon, "GET", NULL,
                    "/api/w/escaping/feed.atom?token=wrong%s", token));
    REFUSED(api_req(anon, "GET", NULL, "/api/w/escaping/feed.atom"));

    /* the other documents carry it as text of their own formats */
    r = api_req(v, "GET", NULL, "/api/w/escaping/export.graphml");
    API_STATUS(r, 200);
    if (strstr(r->body.data, "<img"))
        API_FAIL(r, "GraphML has user text unescaped\n");
    parse_xml(r, &d);
    has_title = strstr(tbuf_cstr(&d.text), API_XSS) != NULL;
    xml_free(&d);
    assert_true(has_title);
    r = api_req(v, "GET", NULL, "/api/w/escaping/items.csv");
    API_STATUS(r, 200);
    assert_non_null(strstr(r->body.data, API_XSS));
    r = api_req(v, "GET", NULL, "/api/w/escaping/export.dot");
    API_STATUS(r, 200);
    if (api_stristr(r->ctype, "html"))
        API_FAIL(r, "DOT served as HTML\n");
}

/* Parses RFC 4180 CSV into rows of fields (a JSON array of arrays of
 * strings, caller decrefs); NULL when it is not well formed. */
static json_t *parse_csv(const char *s, size_t n)
{
    json_t *rows = json_array(), *row = json_array();
    TBuf f = {0};
    size_t i = 0;
    int quoted = 0, bad = 0;
    while (i <= n && !bad) {
        char ch = i < n ? s[i] : '\n';
        if (quoted) {
            if (i == n) {
                bad = 1;
            } else if (ch == '"' && i + 1 < n && s[i + 1] == '"') {
                tbuf_putc(&f, '"');
                i++;
            } else if (ch == '"') {
                quoted = 0;
                if (i + 1 < n && !strchr(",\r\n", s[i + 1]))
                    bad = 1;
            } else {
                tbuf_putc(&f, ch);
            }
        } else if (ch == '"' && f.len == 0) {
            quoted = 1;
        } else if (ch == ',') {
            json_array_append_new(row, json_stringn(tbuf_cstr(&f), f.len));
            f.len = 0;
        } else if (ch == '\r' || ch == '\n') {
            if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            if (i < n || f.len || json_array_size(row)) {
                json_array_append_new(row, json_stringn(tbuf_cstr(&f), f.len));
                json_array_append_new(rows, row);
                row = json_array();
            }
            f.len = 0;
        } else {
            tbuf_putc(&f, ch);
        }
        i++;
    }
    tbuf_free(&f);
    json_decref(row);
    if (bad) {
        json_decref(rows);
        return NULL;
    }
    return rows;
}

static void test_exports(void **state)
{
    ApiUser *c = U(state, CON), *f = U(state, FAC), *v = U(state, VIEW);
    ws_make(state, "exports");
    const char *tricky = "comma, \"quote\"\nand a new line";
    const ApiResp *r = api_json(
        c, "POST",
        json_pack("{s:s, s:s}", "title", "Tricky, \"one\"", "body", tricky),
        "/api/w/exports/items");
    API_STATUS(r, 201);
    long long a = API_INT(r, "item.id");
    long long b = item_add(c, "exports", "Plain");
    long long d = item_add(c, "exports", "Third");
    link_add(c, "exports", a, b, "+");
    link_add(c, "exports", b, d, "-");
    API_STATUS(api_json(f, "POST",
                        json_pack("{s:s, s:[I]}", "name", "Odd", "items",
                                  (json_int_t)a),
                        "/api/w/exports/themes"),
               201);

    r = api_req(v, "GET", NULL, "/api/w/exports/export.json");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "format"), "territory-workspace");
    assert_int_equal(API_INT(r, "version"), 1);
    assert_string_equal(API_STR(r, "slug"), "exports");
    assert_int_equal(json_array_size(API_ARR(r, "items")), 3);
    assert_int_equal(json_array_size(API_ARR(r, "links")), 2);
    assert_int_equal(json_array_size(API_ARR(r, "themes")), 1);
    assert_true(json_is_string(api_at(r->json, "items.0.id")));
    assert_true(json_is_string(api_at(r->json, "links.0.from")));
    assert_true(json_is_string(api_at(r->json, "themes.0.id")));
    /* the document's references resolve inside it */
    const char *tid = API_STR(r, "themes.0.id");
    int themed = 0;
    size_t i;
    json_t *it;
    json_array_foreach(API_ARR(r, "items"), i, it)
    {
        json_t *th = json_object_get(it, "theme");
        themed += json_is_string(th) && strcmp(json_string_value(th), tid) == 0;
    }
    assert_int_equal(themed, 1);

    r = api_req(v, "GET", NULL, "/api/w/exports/export.graphml");
    API_STATUS(r, 200);
    XmlDoc xd;
    parse_xml(r, &xd);
    xml_free(&xd);
    assert_string_equal(xd.root, "graphml");
    assert_int_equal(xd.nodes, 3);

    r = api_req(v, "GET", NULL, "/api/w/exports/export.dot");
    API_STATUS(r, 200);
    const char *dot = r->body.data;
    while (*dot == ' ' || *dot == '\n')
        dot++;
    if (strncmp(dot, "digraph", 7) != 0 && strncmp(dot, "strict digraph", 14))
        API_FAIL(r, "DOT does not start with 'digraph'\n");
    int arrows = 0;
    for (const char *p = r->body.data; (p = strstr(p, "->")) != NULL; p += 2)
        arrows++;
    assert_int_equal(arrows, 2);

    r = api_req(v, "GET", NULL, "/api/w/exports/items.csv");
    API_STATUS(r, 200);
    if (!api_stristr(r->ctype, "text/csv"))
        API_FAIL(r, "items.csv is not text/csv\n");
    json_t *rows = parse_csv(r->body.data, r->body.len);
    if (!rows)
        API_FAIL(r, "items.csv is not RFC 4180 CSV\n");
    size_t nrows = json_array_size(rows);
    json_t *head = json_array_get(rows, 0);
    size_t width = json_array_size(head);
    int title_col = -1, ok = nrows == 4, tricky_found = 0;
    for (size_t k = 0; k < width; k++)
        if (strcmp(json_string_value(json_array_get(head, k)), "title") == 0)
            title_col = (int)k;
    for (size_t k = 1; k < nrows; k++) {
        json_t *row = json_array_get(rows, k);
        ok &= json_array_size(row) == width;
        for (size_t m = 0; m < json_array_size(row); m++)
            tricky_found |=
                strcmp(json_string_value(json_array_get(row, m)), tricky) == 0;
    }
    json_decref(rows);
    if (title_col < 0 || !ok || !tricky_found)
        API_FAIL(r,
                 "items.csv: want a header with 'title', 3 rows as wide as "
                 "it, and the body as typed (title column %d, %zu rows)\n",
                 title_col, nrows);
}

/* Titles of the open items and "from->to" titles of the links of an
 * export document, sorted, as one string (to compare two workspaces). */
static void summarize(json_t *doc, TBuf *out)
{
    json_t *titles = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(doc, "items"), i, it)
    {
        json_t *th = json_object_get(it, "theme");
        const char *theme_name = "";
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(doc, "themes"), k, t)
        {
            if (json_is_string(th) &&
                strcmp(nz(json_string_value(json_object_get(t, "id"))),
                       json_string_value(th)) == 0)
                theme_name = nz(json_string_value(json_object_get(t, "name")));
        }
        char line[1200];
        snprintf(line, sizeof line, "item %s | %s | %s | %s",
                 nz(json_string_value(json_object_get(it, "title"))),
                 nz(json_string_value(json_object_get(it, "status"))),
                 theme_name,
                 nz(json_string_value(json_object_get(it, "body"))));
        json_array_append_new(titles, json_string(line));
    }
    json_array_foreach(json_object_get(doc, "links"), i, it)
    {
        const char *from = "", *to = "";
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(doc, "items"), k, t)
        {
            const char *id = json_string_value(json_object_get(t, "id"));
            if (id && strcmp(id, nz(json_string_value(
                                     json_object_get(it, "from")))) == 0)
                from = nz(json_string_value(json_object_get(t, "title")));
            if (id &&
                strcmp(id, nz(json_string_value(json_object_get(it, "to")))) ==
                    0)
                to = nz(json_string_value(json_object_get(t, "title")));
        }
        char line[1200];
        snprintf(line, sizeof line, "link %s -> %s %s", from, to,
                 nz(json_string_value(json_object_get(it, "polarity"))));
        json_array_append_new(titles, json_string(line));
    }
    /* sort: a plain insertion sort on the few lines */
    size_t n = json_array_size(titles);
    const char **v = calloc(n ? n : 1, sizeof *v);
    for (i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(titles, i));
        size_t j = i;
        while (j > 0 && strcmp(v[j - 1], s) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = s;
    }
    for (i = 0; i < n; i++)
        tbuf_printf(out, "%s\n", v[i]);
    free(v);
    json_decref(titles);
}

static void test_import_round_trip(void **state)
{
    ApiUser *o = U(state, OWNER), *c = U(state, CON), *f = U(state, FAC),
            *v = U(state, VIEW);
    ws_make(state, "origin");
    long long a = item_add(c, "origin", "Demand rises");
    long long b = item_add(c, "origin", "Spending rises");
    long long m = item_add(c, "origin", "Demand grows");
    link_add(c, "origin", a, b, "+");
    link_add(c, "origin", b, a, "-");
    API_STATUS(api_json(f, "POST",
                        json_pack("{s:s, s:[I,I]}", "name", "Money", "items",
                                  (json_int_t)a, (json_int_t)b),
                        "/api/w/origin/themes"),
               201);
    API_STATUS(api_json(f, "POST", json_pack("{s:I}", "into", (json_int_t)a),
                        "/api/w/origin/items/%lld/merge", m),
               200);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:s, s:s, s:s}", "kind", "quote", "text",
                                  "we see it daily", "source", "front desk"),
                        "/api/w/origin/items/%lld/evidence", a),
               201);

    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/origin/export.json");
    API_STATUS(r, 200);
    json_t *doc = json_deep_copy(r->json);
    json_object_set_new(doc, "slug", json_string("copy"));
    json_object_set_new(doc, "name", json_string("The copy"));
    /* the buffers belong to users, so a failure below leaks nothing */
    TBuf *want = &v->scratch, *got = &c->scratch, *body = &o->scratch;
    want->len = got->len = body->len = 0;
    summarize(doc, want);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    tbuf_puts(body, text);
    free(text);
    r = api_send(o, "POST", "/api/workspaces/import", tbuf_cstr(body), NULL);
    API_STATUS(r, 201);
    assert_string_equal(API_STR(r, "workspace.slug"), "copy");
    r = api_req(o, "GET", NULL, "/api/w/copy");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "workspace.role"), "owner");
    r = api_req(o, "GET", NULL, "/api/w/copy/export.json");
    API_STATUS(r, 200);
    summarize(r->json, got);
    if (strcmp(tbuf_cstr(want), tbuf_cstr(got)) != 0)
        API_FAIL(r, "the copy differs; want:\n%s\ngot:\n%s\n", tbuf_cstr(want),
                 tbuf_cstr(got));
    /* the merged item still points at its target, the evidence came along */
    size_t i;
    json_t *it;
    int merged_ok = 0, evidence_ok = 0;
    json_array_foreach(API_ARR(r, "items"), i, it)
    {
        const char *t = nz(json_string_value(json_object_get(it, "title")));
        if (strcmp(t, "Demand grows") == 0) {
            json_t *into = json_object_get(it, "merged_into");
            json_t *target = NULL;
            size_t k;
            json_t *x;
            json_array_foreach(API_ARR(r, "items"), k, x)
            {
                if (json_is_string(into) &&
                    strcmp(nz(json_string_value(json_object_get(x, "id"))),
                           json_string_value(into)) == 0)
                    target = x;
            }
            merged_ok =
                target &&
                strcmp(nz(json_string_value(json_object_get(target, "title"))),
                       "Demand rises") == 0;
        }
        if (strcmp(t, "Demand rises") == 0)
            evidence_ok =
                json_array_size(json_object_get(it, "evidence")) == 1 &&
                strcmp(nz(json_string_value(json_object_get(
                           json_array_get(json_object_get(it, "evidence"), 0),
                           "text"))),
                       "we see it daily") == 0;
    }
    assert_true(merged_ok);
    assert_true(evidence_ok);

    /* a bad document: every problem by field path, nothing imported */
    const char *bad =
        "{\"format\":\"territory-workspace\",\"version\":1,"
        "\"slug\":\"bad-import\",\"name\":\"Bad\",\"description\":\"\","
        "\"themes\":[{\"id\":\"demand\",\"name\":\"Demand\","
        "\"color\":\"#d95f02\"}],"
        "\"items\":[{\"id\":\"a\",\"title\":\"A\",\"theme\":\"demand\"},"
        "{\"id\":\"b\",\"title\":\"B\",\"theme\":\"demnd\"}],"
        "\"links\":[{\"from\":\"a\",\"to\":\"b\",\"polarity\":\"+\"}]}";
    r = api_send(o, "POST", "/api/workspaces/import", bad, NULL);
    API_ERROR(r, 400, "bad_field", "items[1].theme");
    if (!strstr(API_STR(r, "error.message"), "'demnd'"))
        API_FAIL(r, "the message does not quote 'demnd'\n");
    API_ERROR(api_req(o, "GET", NULL, "/api/w/bad-import"), 404, "not_found",
              NULL);
    const char *bad_link =
        "{\"format\":\"territory-workspace\",\"version\":1,"
        "\"slug\":\"bad-import\",\"name\":\"Bad\",\"themes\":[],"
        "\"items\":[{\"id\":\"a\",\"title\":\"A\"},"
        "{\"id\":\"b\",\"title\":\"B\"}],"
        "\"links\":[{\"from\":\"a\",\"to\":\"b\",\"polarity\":\"+\"},"
        "{\"from\":\"zz\",\"to\":\"a\",\"polarity\":\"+\"}]}";
    r = api_send(o, "POST", "/api/workspaces/import", bad_link, NULL);
    API_ERROR(r, 400, "bad_field", "links[1].from");
    API_ERROR(api_req(o, "GET", NULL, "/api/w/bad-import"), 404, "not_found",
              NULL);
    r = api_send(o, "POST", "/api/workspaces/import",
                 "{\"format\":\"something-else\",\"version\":1}", NULL);
    API_STATUS(r, 400);
    /* a slug taken */
    r = api_send(o, "POST", "/api/workspaces/import",
                 "{\"format\":\"territory-workspace\",\"version\":1,"
                 "\"slug\":\"copy\",\"name\":\"Again\",\"themes\":[],"
                 "\"items\":[],\"links\":[]}",
                 NULL);
    API_ERROR(r, 409, "conflict", NULL);
}

/* ---- malformed requests ----------------------------------------------- */

static void test_bad_json(void **state)
{
    ApiUser *c = U(state, CON);
    ws_make(state, "badjson");
    const ApiResp *r =
        api_req(c, "POST", "{\"title\": }", "/api/w/badjson/items");
    API_ERROR(r, 400, "bad_json", NULL);
    if (!strstr(API_STR(r, "error.message"), "line 1, column"))
        API_FAIL(r, "no 'line 1, column' in the message\n");
    r = api_req(c, "POST", "{\n  \"title\": \"x\",\n  \"body\": nope\n}",
                "/api/w/badjson/items");
    API_ERROR(r, 400, "bad_json", NULL);
    if (!strstr(API_STR(r, "error.message"), "line 3, column"))
        API_FAIL(r, "no 'line 3, column' in the message\n");
    API_STATUS(api_req(c, "POST", "", "/api/w/badjson/items"), 400);
    API_ERROR(api_req(c, "POST", "{\"title\":\"a\"} trailing",
                      "/api/w/badjson/items"),
              400, "bad_json", NULL);
    API_ERROR(
        api_req(c, "POST", "{\"title\":\"\xff\xfe\"}", "/api/w/badjson/items"),
        400, "bad_json", NULL);
    r = api_req(c, "POST", "[\"title\"]", "/api/w/badjson/items");
    if (r->status != 400)
        API_FAIL(r, "a JSON array as the body is not refused with 400\n");
    r = api_req(c, "POST", "\"just a string\"", "/api/w/badjson/items");
    API_STATUS(r, 400);
    r = api_req(c, "POST", "{\"title\":\"nul \\u0000 inside\"}",
                "/api/w/badjson/items");
    if (r->status != 201 && r->status != 400)
        API_FAIL(r, "a NUL escape neither stored nor refused\n");
    r = api_req(c, "POST", "{\"title\":\"a\",\"title\":\"b\"}",
                "/api/w/badjson/items");
    if (r->status != 201 && r->status != 400)
        API_FAIL(r, "duplicate keys neither taken nor refused\n");

    /* deep nesting: refused, the server lives */
    size_t depth = 100000;
    TBuf *deep = &c->scratch;
    deep->len = 0;
    tbuf_puts(deep, "{\"title\":");
    for (size_t i = 0; i < depth; i++)
        tbuf_putc(deep, '[');
    for (size_t i = 0; i < depth; i++)
        tbuf_putc(deep, ']');
    tbuf_putc(deep, '}');
    r = api_send(c, "POST", "/api/w/badjson/items", tbuf_cstr(deep), NULL);
    API_STATUS(r, 400);

    /* JSON sent as something else: taken or refused, never a fault */
    ApiOpt text = {.ctype = "text/plain"};
    r = api_send(c, "POST", "/api/w/badjson/items", "{\"title\":\"plain\"}",
                 &text);
    if (r->status != 201 && r->status != 400 && r->status != 415)
        API_FAIL(r, "text/plain body: want 201, 400 or 415\n");

    /* nothing but the accepted ones was stored */
    r = api_req(c, "GET", NULL, "/api/w/badjson/items?status=all");
    API_STATUS(r, 200);
    assert_true(json_array_size(API_ARR(r, "items")) <= 3);
}

static void test_oversized(void **state)
{
    ApiUser *c = U(state, CON);
    ws_make(state, "big");
    size_t n = ((size_t)1 << 20) + 1;
    TBuf *b = &c->scratch; /* c's: freed even when a check fails */
    b->len = 0;
    tbuf_puts(b, "{\"title\":\"big\",\"body\":\"");
    while (b->len < n)
        tbuf_puts(b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    tbuf_puts(b, "\"}");
    const ApiResp *r =
        api_send(c, "POST", "/api/w/big/items", tbuf_cstr(b), NULL);
    API_ERROR(r, 413, "too_large", NULL);
    /* a body over the cap is refused on sign-up as well */
    ApiUser *anon = tmp_user(state);
    api_fetch_csrf(anon);
    r = api_send(anon, "POST", "/api/signup", tbuf_cstr(b), NULL);
    API_ERROR(r, 413, "too_large", NULL);
    /* and a much bigger one does not take the server down */
    while (b->len < ((size_t)8 << 20))
        tbuf_puts(b,
                  "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
    r = api_send(c, "POST", "/api/w/big/items", tbuf_cstr(b), NULL);
    API_ERROR(r, 413, "too_large", NULL);

    /* just under the cap is read (and then refused for its content) */
    b->len = 0;
    tbuf_puts(b, "{\"title\":\"");
    while (b->len < ((size_t)1 << 20) - 100)
        tbuf_puts(b, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
    tbuf_puts(b, "\"}");
    r = api_send(c, "POST", "/api/w/big/items", tbuf_cstr(b), NULL);
    API_ERROR(r, 400, "bad_field", "title");

    r = api_req(c, "GET", NULL, "/api/w/big/items?status=all");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "items")), 0);
}

/* Sends raw bytes on a new connection and reads what comes back. */
static void raw_exchange(const ApiServer *s, const char *req, size_t len,
                         char *out, size_t cap)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        if (write(fd, req, len) >= 0) {
            shutdown(fd, SHUT_WR);
            size_t got = 0;
            ssize_t k;
            while (got + 1 < cap &&
                   (k = read(fd, out + got, cap - 1 - got)) > 0)
                got += (size_t)k;
            out[got] = '\0';
        }
    }
    close(fd);
}

static void test_hostile_http(void **state)
{
    T *t = T_of(state);
    ApiUser *c = U(state, CON);
    char out[4096];
    static const char *const reqs[] = {
        "GARBAGE\r\n\r\n",
        "GET /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Length: "
        "99999999999999999999\r\n\r\n{}",
        "POST /api/signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\nzz\r\n",
        "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/w/%00/items HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        raw_exchange(&t->ctx.srv, reqs[i], strlen(reqs[i]), out, sizeof out);
        if (strncmp(out, "HTTP/1.", 7) == 0 && out[9] == '5')
            fail_msg("raw request %zu got a 5xx: %.80s", i, out);
        if (strstr(out, "root:"))
            fail_msg("raw request %zu read a file outside the app", i);
    }
    /* odd paths and queries through the client */
    ApiUser *v = U(state, VIEW);
    ws_make(state, "hostile");
    api_req(v, "GET", NULL,
            "/api/w/hostile/items?sort=%%ff%%00&q=%%00&theme=x");
    api_req(v, "GET", NULL, "/api/w/hostile/items?theme=-1&status=bogus");
    api_req(v, "GET", NULL, "/api/w/hostile/events?before=abc&limit=-3");
    api_req(v, "GET", NULL, "/api/w/hostile/loops?max=99999999999999999999");
    api_req(v, "GET", NULL, "/api/w/%%2e%%2e/items");
    api_req(v, "GET", NULL, "/api/w/hostile/similar");
    TBuf *longp = &c->scratch;
    longp->len = 0;
    tbuf_puts(longp, "/api/w/hostile/items?q=");
    while (longp->len < 100000)
        tbuf_puts(longp, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    /* a 100 kB URL: refused or served, the server lives on */
    ApiOpt any = {.any_shape = 1};
    api_send(c, "GET", tbuf_cstr(longp), NULL, &any);
    assert_true(api_server_alive(&t->ctx.srv));
    API_STATUS(api_req(c, "GET", NULL, "/api/me"), 200);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T_(f) cmocka_unit_test_teardown(f, test_teardown)
    const struct CMUnitTest tests[] = {
        T_(test_app_and_routing),
        T_(test_static_and_headers),
        T_(test_me_anonymous),
        T_(test_signup_signin_signout),
        T_(test_secure_cookies_and_sigint),
        T_(test_csrf),
        T_(test_workspaces),
        T_(test_members_and_roles),
        T_(test_invites),
        T_(test_viewer_reads_only),
        T_(test_contributor_limits),
        T_(test_cross_workspace),
        T_(test_items_create_read),
        T_(test_items_delete_and_list),
        T_(test_similar),
        T_(test_ratings),
        T_(test_evidence),
        T_(test_hide_restore),
        T_(test_merge),
        T_(test_rollback),
        T_(test_lock),
        T_(test_themes),
        T_(test_links),
        T_(test_map_and_loops),
        T_(test_events),
        T_(test_feed_and_escaping),
        T_(test_exports),
        T_(test_import_round_trip),
        T_(test_bad_json),
        T_(test_oversized),
        T_(test_hostile_http),
    };
#undef T_
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
