/*
 * test_cache.c - the server's caches and group commit over HTTP
 * (docs/internals/web.md, "Caches"): the map cached per workspace
 * version shows every write at once (item add, edit, rating, link, hide);
 * its ETag gives a 304 and changes with every write; a non-member still
 * gets 404, ETag or not; one workspace's map never answers for another,
 * nor for a deleted workspace whose id a new one took; the gzipped form
 * is the same JSON; near-duplicates from the kept index match those of a
 * restarted server (which builds it afresh) after add, edit, merge,
 * delete, hide and restore; and writes sent at once from many clients
 * (one batch, one commit) are all acknowledged and all stored.
 */
#include "api.h"

#include <pthread.h>
#include <zlib.h>

enum { OWNER, CON, OUT, NROLES };

typedef struct T {
    ApiCtx ctx;
} T;

static ApiUser *U(void **state, int who)
{
    return &((T *)*state)->ctx.users[who];
}

static int group_setup(void **state)
{
    T *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    *state = t;
    static const char *const tags[NROLES] = {"owner", "contributor",
                                             "outsider"};
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

/* ---- helpers ---------------------------------------------------------- */

static void ws_make(void **state, const char *slug)
{
    const ApiResp *r = api_json(
        U(state, OWNER), "POST",
        json_pack("{s:s, s:s}", "name", slug, "slug", slug), "/api/workspaces");
    API_STATUS(r, 201);
    r = api_json(U(state, OWNER), "POST",
                 json_pack("{s:s}", "role", "contributor"), "/api/w/%s/invites",
                 slug);
    API_STATUS(r, 201);
    char token[256];
    api_copy(token, sizeof token, API_STR(r, "token"));
    API_STATUS(
        api_req(U(state, CON), "POST", NULL, "/api/invites/%s/accept", token),
        200);
}

static long long item_add(ApiUser *u, const char *slug, const char *title)
{
    const ApiResp *r = api_json(u, "POST", json_pack("{s:s}", "title", title),
                                "/api/w/%s/items", slug);
    API_STATUS(r, 201);
    return API_INT(r, "item.id");
}

/* The value of header name in r (copied to out), or -1 when absent. */
static int header(const ApiResp *r, const char *name, char *out, size_t n)
{
    size_t k = strlen(name);
    for (const char *p = r->head.data; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > k && !strncasecmp(p, name, k) && p[k] == ':') {
            const char *v = p + k + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(len - (size_t)(v - p)), v);
            return 0;
        }
        p = eol ? eol + 2 : NULL;
    }
    return -1;
}

/* GET of the map with one more header (or NULL); the ETag into etag. */
static const ApiResp *map_get(ApiUser *u, const char *slug, const char *extra,
                              char *etag, size_t n)
{
    char path[160];
    snprintf(path, sizeof path, "/api/w/%s/map", slug);
    ApiOpt o = {.header = extra, .any_shape = 1};
    const ApiResp *r = api_send(u, "GET", path, NULL, &o);
    if (etag && header(r, "ETag", etag, n) != 0)
        etag[0] = '\0';
    return r;
}

/* The node of id in a map answer, or NULL. */
static json_t *node(const ApiResp *r, long long id)
{
    return api_find_id(api_at(r->json, "nodes"), id);
}

/* ---- the map ---------------------------------------------------------- */

static void test_map_after_writes(void **state)
{
    ApiUser *o = U(state, OWNER), *c = U(state, CON);
    ws_make(state, "mapw");
    long long a = item_add(o, "mapw", "Waiting lists grow");
    long long b = item_add(c, "mapw", "Staff leave");
    char e1[128], e2[128];
    const ApiResp *r = map_get(c, "mapw", NULL, e1, sizeof e1);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(api_at(r->json, "nodes")), 2);
    assert_true(e1[0] == '"');
    /* the same version: the same ETag and bytes */
    TBuf first = {0};
    tbuf_append(&first, r->body.data, r->body.len);
    r = map_get(o, "mapw", NULL, e2, sizeof e2);
    assert_string_equal(e1, e2);
    assert_int_equal(r->body.len, first.len);
    assert_memory_equal(r->body.data, first.data, first.len);
    tbuf_free(&first);
    /* every kind of write shows at once, with a new ETag each time */
    long long n = item_add(c, "mapw", "Overtime rises");
    r = map_get(o, "mapw", NULL, e2, sizeof e2);
    assert_non_null(node(r, n));
    assert_string_not_equal(e1, e2);
    api_copy(e1, sizeof e1, e2);
    API_STATUS(api_json(o, "PATCH", json_pack("{s:s}", "title", "Queues grow"),
                        "/api/w/mapw/items/%lld", a),
               200);
    r = map_get(c, "mapw", NULL, e2, sizeof e2);
    assert_string_equal(json_string_value(json_object_get(node(r, a), "title")),
                        "Queues grow");
    assert_string_not_equal(e1, e2);
    API_STATUS(
        api_json(c, "PUT",
                 json_pack("{s:i, s:i}", "importance", 4, "uncertainty", 2),
                 "/api/w/mapw/items/%lld/rating", b),
        200);
    r = map_get(o, "mapw", NULL, NULL, 0);
    assert_true(json_number_value(json_object_get(node(r, b), "importance")) ==
                4);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:I, s:I, s:s}", "from", (json_int_t)a,
                                  "to", (json_int_t)b, "polarity", "+"),
                        "/api/w/mapw/links"),
               201);
    r = map_get(o, "mapw", NULL, NULL, 0);
    assert_int_equal(json_array_size(api_at(r->json, "edges")), 1);
    API_STATUS(api_req(o, "POST", NULL, "/api/w/mapw/items/%lld/hide", b), 200);
    r = map_get(c, "mapw", NULL, NULL, 0);
    assert_null(node(r, b));
    assert_int_equal(json_array_size(api_at(r->json, "edges")), 0);
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/mapw/items/%lld", n), 204);
    r = map_get(c, "mapw", NULL, NULL, 0);
    assert_null(node(r, n));
    assert_int_equal(json_array_size(api_at(r->json, "nodes")), 1);
}

static void test_map_etag_304(void **state)
{
    ApiUser *o = U(state, OWNER);
    ws_make(state, "etag");
    item_add(o, "etag", "One");
    char e[128], e2[128], h[200];
    API_STATUS(map_get(o, "etag", NULL, e, sizeof e), 200);
    snprintf(h, sizeof h, "If-None-Match: %s", e);
    const ApiResp *r = map_get(o, "etag", h, e2, sizeof e2);
    API_STATUS(r, 304);
    assert_int_equal(r->body.len, 0);
    assert_string_equal(e, e2);
    /* a list holding it matches too; another tag does not */
    snprintf(h, sizeof h, "If-None-Match: \"x\", %s", e);
    API_STATUS(map_get(o, "etag", h, NULL, 0), 304);
    API_STATUS(map_get(o, "etag", "If-None-Match: \"m0-0-0-0\"", NULL, 0), 200);
    /* after a write the old tag gets the new map */
    item_add(o, "etag", "Two");
    snprintf(h, sizeof h, "If-None-Match: %s", e);
    r = map_get(o, "etag", h, e2, sizeof e2);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(api_at(r->json, "nodes")), 2);
    assert_string_not_equal(e, e2);
    /* revalidated by the member's browser, not stored elsewhere */
    char cc[128];
    assert_int_equal(header(r, "Cache-Control", cc, sizeof cc), 0);
    assert_non_null(strstr(cc, "private"));
    assert_non_null(strstr(cc, "no-cache"));
}

static void test_map_members_only(void **state)
{
    ApiUser *o = U(state, OWNER), *x = U(state, OUT), *c = U(state, CON);
    ws_make(state, "members");
    item_add(o, "members", "Secret plan");
    char e[128], h[200];
    API_STATUS(map_get(o, "members", NULL, e, sizeof e), 200); /* cached */
    snprintf(h, sizeof h, "If-None-Match: %s", e);
    const ApiResp *r = map_get(x, "members", NULL, NULL, 0);
    API_ERROR(r, 404, "not_found", NULL);
    assert_null(strstr(r->body.data, "Secret"));
    API_ERROR(map_get(x, "members", h, NULL, 0), 404, "not_found", NULL);
    /* signed out: 401 */
    ApiUser anon;
    api_user_init(&anon, &((T *)*state)->ctx.srv);
    API_STATUS(map_get(&anon, "members", h, NULL, 0), 401);
    api_user_free(&anon);
    /* a member removed loses the cached map at once */
    API_STATUS(map_get(c, "members", NULL, NULL, 0), 200);
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/members/members/%lld", c->id),
               204);
    API_ERROR(map_get(c, "members", h, NULL, 0), 404, "not_found", NULL);
    API_ERROR(map_get(c, "members", NULL, NULL, 0), 404, "not_found", NULL);
}

static void test_map_no_leak(void **state)
{
    ApiUser *o = U(state, OWNER);
    ws_make(state, "leak-a");
    ws_make(state, "leak-b");
    item_add(o, "leak-a", "Alpha only");
    item_add(o, "leak-b", "Beta only");
    char ea[128], eb[128], h[200];
    for (int i = 0; i < 3; i++) {
        const ApiResp *r = map_get(o, "leak-a", NULL, ea, sizeof ea);
        assert_non_null(strstr(r->body.data, "Alpha only"));
        assert_null(strstr(r->body.data, "Beta only"));
        r = map_get(o, "leak-b", NULL, eb, sizeof eb);
        assert_non_null(strstr(r->body.data, "Beta only"));
        assert_null(strstr(r->body.data, "Alpha only"));
    }
    assert_string_not_equal(ea, eb);
    /* a's tag is no good for b */
    snprintf(h, sizeof h, "If-None-Match: %s", ea);
    const ApiResp *r = map_get(o, "leak-b", h, NULL, 0);
    API_STATUS(r, 200);
    assert_non_null(strstr(r->body.data, "Beta only"));
    /* a deleted workspace's cached map never answers for a new one, even
     * when the new one gets its id and slug back */
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/leak-b"), 204);
    ws_make(state, "leak-b");
    r = map_get(o, "leak-b", NULL, NULL, 0);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(api_at(r->json, "nodes")), 0);
    assert_null(strstr(r->body.data, "Beta only"));
}

/* gunzips in into out; 0 on success. */
static int gunzip(const char *in, size_t n, TBuf *out)
{
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
        z.next_out = (Bytef *)buf;
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        tbuf_append(out, buf, sizeof buf - z.avail_out);
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static void test_map_gzip(void **state)
{
    ApiUser *o = U(state, OWNER);
    ws_make(state, "gz");
    for (int i = 0; i < 30; i++) {
        char title[64];
        snprintf(title, sizeof title, "Item number %d of the gzip test", i);
        item_add(o, "gz", title);
    }
    char ep[128], eg[128], v[128], enc[64];
    const ApiResp *r = map_get(o, "gz", NULL, ep, sizeof ep);
    API_STATUS(r, 200);
    assert_int_equal(header(r, "Content-Encoding", enc, sizeof enc), -1);
    TBuf plain = {0};
    tbuf_append(&plain, r->body.data, r->body.len);
    /* twice: made, then from the cache */
    for (int i = 0; i < 2; i++) {
        r = map_get(o, "gz", "Accept-Encoding: gzip, deflate", eg, sizeof eg);
        API_STATUS(r, 200);
        assert_int_equal(header(r, "Content-Encoding", enc, sizeof enc), 0);
        assert_string_equal(enc, "gzip");
        assert_int_equal(header(r, "Vary", v, sizeof v), 0);
        assert_non_null(api_stristr(v, "Accept-Encoding"));
        assert_true(r->body.len < plain.len);
        TBuf un = {0};
        assert_int_equal(gunzip(r->body.data, r->body.len, &un), 0);
        assert_int_equal(un.len, plain.len);
        assert_memory_equal(un.data, plain.data, plain.len);
        tbuf_free(&un);
    }
    tbuf_free(&plain);
    /* each form has its own tag */
    assert_string_not_equal(ep, eg);
    char h[200];
    snprintf(h, sizeof h, "If-None-Match: %s", eg);
    API_STATUS(map_get(o, "gz", h, NULL, 0), 200); /* plain asked: no match */
    /* refused with q=0: plain */
    r = map_get(o, "gz", "Accept-Encoding: gzip;q=0, identity", NULL, 0);
    API_STATUS(r, 200);
    assert_int_equal(header(r, "Content-Encoding", enc, sizeof enc), -1);
    assert_non_null(r->json);
}

/* ---- near-duplicates from the kept index ------------------------------ */

static const char *const QUERIES[] = {
    "waiting lists for housing repairs",  "staff sickness and overtime",
    "repeat calls about repairs",         "youth services budget cut",
    "trust between council and partners",
};
#define NQ ((int)(sizeof QUERIES / sizeof *QUERIES))

/* The near-duplicates of every query, as one JSON text. */
static char *similar_all(ApiUser *u, const char *slug)
{
    json_t *all = json_array();
    for (int q = 0; q < NQ; q++) {
        char *esc = curl_easy_escape(u->curl, QUERIES[q], 0);
        const ApiResp *r =
            api_req(u, "GET", NULL, "/api/w/%s/similar?text=%s", slug, esc);
        curl_free(esc);
        API_STATUS(r, 200);
        json_array_append(all, api_at(r->json, "similar"));
    }
    char *s = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    assert_non_null(s);
    return s;
}

/* What the running server (its kept index) answers equals what it
 * answers after a restart (the index built afresh from the database). */
static void same_after_restart(void **state, const char *slug)
{
    T *t = *state;
    ApiUser *o = U(state, OWNER);
    char *kept = similar_all(o, slug);
    assert_int_equal(api_server_stop(&t->ctx.srv), 0);
    assert_int_equal(api_server_start(&t->ctx.srv), 0);
    char *fresh = similar_all(o, slug);
    assert_string_equal(kept, fresh);
    free(kept);
    free(fresh);
}

static void test_similar_kept(void **state)
{
    ApiUser *o = U(state, OWNER), *c = U(state, CON);
    ws_make(state, "dups");
    static const char *const titles[] = {
        "Waiting lists for repairs grow",
        "Housing repairs take weeks",
        "Staff sickness rises",
        "Overtime covers staff gaps",
        "Repeat calls about the same repair",
        "Youth budget is cut",
        "Council and partners lack trust",
        "Partners share data late",
    };
    long long id[8];
    for (int i = 0; i < 8; i++)
        id[i] = item_add(i % 2 ? c : o, "dups", titles[i]);
    /* prime the kept index, then change it in every way */
    char *before = similar_all(o, "dups");
    assert_non_null(strstr(before, "Housing repairs take weeks"));
    free(before);
    same_after_restart(state, "dups"); /* after adds */
    free(similar_all(o, "dups"));      /* kept again */
    API_STATUS(api_json(o, "PATCH",
                        json_pack("{s:s, s:s}", "title", "Sickness of staff",
                                  "body", "overtime and agency costs"),
                        "/api/w/dups/items/%lld", id[2]),
               200);
    item_add(c, "dups", "Repairs backlog and repeat calls");
    same_after_restart(state, "dups"); /* after an edit and an add */
    free(similar_all(o, "dups"));
    API_STATUS(api_json(o, "POST",
                        json_pack("{s:I}", "into", (json_int_t)id[1]),
                        "/api/w/dups/items/%lld/merge", id[0]),
               200);
    API_STATUS(api_req(o, "DELETE", NULL, "/api/w/dups/items/%lld", id[5]),
               204);
    same_after_restart(state, "dups"); /* after a merge and a delete */
    char *s = similar_all(o, "dups");
    assert_null(strstr(s, "Youth budget is cut"));
    free(s);
    API_STATUS(api_req(o, "POST", NULL, "/api/w/dups/items/%lld/hide", id[4]),
               200);
    s = similar_all(o, "dups");
    assert_null(strstr(s, "Repeat calls about the same repair"));
    free(s);
    same_after_restart(state, "dups"); /* after a hide */
    free(similar_all(o, "dups"));
    API_STATUS(
        api_req(o, "POST", NULL, "/api/w/dups/items/%lld/restore", id[4]), 200);
    s = similar_all(o, "dups");
    assert_non_null(strstr(s, "Repeat calls about the same repair"));
    free(s);
    same_after_restart(state, "dups"); /* after a restore */
}

/* ---- group commit ----------------------------------------------------- */

#define WRITERS 8
#define WRITES 25

typedef struct Writer {
    ApiUser u;   /* its own client of the owner's session */
    int k;       /* which writer */
    int ok;      /* writes answered 201 */
    long status; /* the first other status, 0 when none */
} Writer;

static void *writer(void *arg)
{
    Writer *w = arg;
    CURL *c = w->u.curl;
    char url[256], body[128], tok[200];
    snprintf(url, sizeof url, "%s/api/w/burst/items", w->u.srv->base);
    snprintf(tok, sizeof tok, "X-CSRF-Token: %s", w->u.csrf);
    struct curl_slist *h = curl_slist_append(NULL, tok);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &w->u.r.body);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &w->u.r.head);
    for (int i = 0; i < WRITES; i++) {
        snprintf(body, sizeof body, "{\"title\": \"burst %d.%d\"}", w->k, i);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        w->u.r.body.len = w->u.r.head.len = 0;
        long st = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        if (st == 201)
            w->ok++;
        else if (!w->status)
            w->status = st ? st : -1;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return NULL;
}

static void test_group_commit(void **state)
{
    ApiUser *o = U(state, OWNER);
    ws_make(state, "burst");
    static Writer w[WRITERS];
    pthread_t th[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        api_user_clone(&w[k].u, o);
        w[k].k = k;
        w[k].ok = 0;
        w[k].status = 0;
        assert_int_equal(pthread_create(&th[k], NULL, writer, &w[k]), 0);
    }
    int ok = 0;
    long bad = 0;
    for (int k = 0; k < WRITERS; k++) {
        pthread_join(th[k], NULL);
        ok += w[k].ok;
        if (w[k].status && !bad)
            bad = w[k].status;
        api_user_free(&w[k].u);
    }
    if (bad)
        fail_msg("a write was answered %ld", bad);
    assert_int_equal(ok, WRITERS * WRITES);
    /* every acknowledged write is there, once */
    const ApiResp *r = api_req(o, "GET", NULL, "/api/w/burst/items");
    json_t *items = API_ARR(r, "items");
    assert_int_equal(json_array_size(items), WRITERS * WRITES);
    for (int k = 0; k < WRITERS; k++)
        for (int i = 0; i < WRITES; i++) {
            char t[64];
            snprintf(t, sizeof t, "\"burst %d.%d\"", k, i);
            const char *p = strstr(r->body.data, t);
            assert_non_null(p);
            assert_null(strstr(p + 1, t));
        }
    /* and the map and history agree */
    r = map_get(o, "burst", NULL, NULL, 0);
    assert_int_equal(json_array_size(api_at(r->json, "nodes")),
                     WRITERS * WRITES);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_after_writes),
        cmocka_unit_test(test_map_etag_304),
        cmocka_unit_test(test_map_members_only),
        cmocka_unit_test(test_map_no_leak),
        cmocka_unit_test(test_map_gzip),
        cmocka_unit_test(test_similar_kept),
        cmocka_unit_test(test_group_commit),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
