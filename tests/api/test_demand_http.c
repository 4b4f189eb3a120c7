/*
 * test_demand_http.c - the demand study's API (docs/http-api.md, "Demand")
 * against a running server: uploading the sample log (the rejected rows
 * come back with their lines, the measures equal the command line's for
 * the same file), logs that fail as a whole, coding contacts and what it
 * changes, roles and CSRF, events, rules with their errors in place,
 * split dates, filters and paging, and the HTML report with its
 * script-free policy and escaped text. One server for the group, four
 * members (owner, facilitator, contributor, viewer) and an outsider; a
 * fresh workspace per test.
 */
#include "api.h"

#include <math.h>

enum { OWNER, FAC, CON, VIEW, OUT, NROLES };

#define SAMPLE "demand/housing-repairs.csv"
#define SAMPLE_RULES "demand/rules.txt"

typedef struct T {
    ApiCtx ctx;
    TBuf csv;   /* the sample log */
    TBuf rules; /* the sample rules */
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
    if (api_read_file(&t->csv, SAMPLE, (size_t)1 << 20) != 0 ||
        api_read_file(&t->rules, SAMPLE_RULES, (size_t)1 << 20) != 0) {
        print_error("cannot read %s or %s (run from the repository root)\n",
                    SAMPLE, SAMPLE_RULES);
        return -1;
    }
    static const char *const tags[NROLES] = {"downer", "dfac", "dcon", "dview",
                                             "dout"};
    return api_ctx_start(&t->ctx, tags, NROLES);
}

static int group_teardown(void **state)
{
    T *t = *state;
    if (!t)
        return 0;
    int rc = t->ctx.srv.pid ? api_ctx_free(&t->ctx) : 0;
    tbuf_free(&t->csv);
    tbuf_free(&t->rules);
    free(t);
    return rc;
}

static void join(void **state, ApiUser *who, const char *slug, const char *role)
{
    const ApiResp *r =
        api_json(U(state, OWNER), "POST", json_pack("{s:s}", "role", role),
                 "/api/w/%s/invites", slug);
    API_STATUS(r, 201);
    char token[256];
    api_copy(token, sizeof token, API_STR(r, "token"));
    r = api_req(who, "POST", NULL, "/api/invites/%s/accept", token);
    API_STATUS(r, 200);
}

static void ws_make(void **state, const char *slug)
{
    const ApiResp *r = api_json(
        U(state, OWNER), "POST",
        json_pack("{s:s, s:s}", "name", slug, "slug", slug), "/api/workspaces");
    API_STATUS(r, 201);
    join(state, U(state, FAC), slug, "facilitator");
    join(state, U(state, CON), slug, "contributor");
    join(state, U(state, VIEW), slug, "viewer");
}

/* Uploads text as a log named name by who; returns the answer. */
static const ApiResp *upload(void **state, int who, const char *slug,
                             const char *name, const char *csv)
{
    return api_json(U(state, who), "POST",
                    json_pack("{s:s, s:s}", "name", name, "csv", csv),
                    "/api/w/%s/demand/logs", slug);
}

/* Uploads the sample log as the contributor; returns its id. */
static long long upload_sample(void **state, const char *slug)
{
    T *t = *state;
    const ApiResp *r =
        upload(state, CON, slug, "Housing repairs", tbuf_cstr(&t->csv));
    API_STATUS(r, 201);
    return API_INT(r, "log.id");
}

static double num(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The command line's JSON report of the sample (with rules when given). */
static json_t *cli_report(const char *extra)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' demand %s %s --format json 2>/dev/null",
             api_server_bin(), SAMPLE, extra ? extra : "");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    TBuf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        tbuf_append(&b, chunk, n);
    assert_int_equal(pclose(p), 0);
    json_t *j = json_loadb(b.data, b.len, 0, NULL);
    tbuf_free(&b);
    assert_non_null(j);
    return j;
}

/* Whether x and y are the same JSON, numbers within 1e-9 relative (the
 * command line prints 12 significant digits), ignoring the key "rule"
 * (the place of a rule names the rules file: "rules:44" in a workspace,
 * "demand/rules.txt:44" on the command line). */
static bool near(json_t *x, json_t *y)
{
    if (json_is_number(x) && json_is_number(y))
        return fabs(num(x) - num(y)) <= 1e-9 * fmax(1.0, fabs(num(y)));
    if (json_is_array(x) && json_is_array(y)) {
        if (json_array_size(x) != json_array_size(y))
            return false;
        for (size_t i = 0; i < json_array_size(x); i++)
            if (!near(json_array_get(x, i), json_array_get(y, i)))
                return false;
        return true;
    }
    if (json_is_object(x) && json_is_object(y)) {
        if (json_object_size(x) != json_object_size(y))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(x, k, v)
        {
            if (strcmp(k, "rule") && !near(v, json_object_get(y, k)))
                return false;
        }
        return true;
    }
    return x && y && json_equal(x, y);
}

/* Fails unless a and b hold the same values at path (as near() says). */
static void same_at(json_t *a, json_t *b, const char *path)
{
    json_t *x = api_at(a, path), *y = api_at(b, path);
    if (!near(x, y)) {
        char *s = x ? json_dumps(x, JSON_ENCODE_ANY) : NULL;
        char *t = y ? json_dumps(y, JSON_ENCODE_ANY) : NULL;
        print_error("%s: %.300s (API) against %.300s (command line)\n", path,
                    s ? s : "(none)", t ? t : "(none)");
        free(s);
        free(t);
        fail();
    }
}

/* The first contact of a page of the log's contacts with this filter. */
static json_t *first_contact(void **state, const char *slug, long long log,
                             const char *filter)
{
    const ApiResp *r =
        api_req(U(state, VIEW), "GET", NULL,
                "/api/w/%s/demand/logs/%lld/contacts?filter=%s&limit=1", slug,
                log, filter);
    API_STATUS(r, 200);
    json_t *c = api_at(r->json, "contacts.0");
    assert_non_null(c);
    return json_incref(c);
}

/* ---- tests ------------------------------------------------------------ */

static void test_upload_sample_matches_engine(void **state)
{
    ws_make(state, "dm-upload");
    long long id = upload_sample(state, "dm-upload");
    ApiUser *v = U(state, VIEW);
    const ApiResp *r =
        api_req(v, "GET", NULL, "/api/w/dm-upload/demand/logs/%lld", id);
    API_STATUS(r, 200);
    json_t *cli = cli_report(NULL);
    /* the rejected rows, with their lines and reasons, as the engine */
    same_at(api_at(r->json, "log"), cli, "rejected");
    assert_int_equal(API_INT(r, "log.contacts"),
                     json_integer_value(json_object_get(cli, "total")));
    assert_true(json_array_size(API_ARR(r, "log.rejected")) > 0);
    assert_true(API_INT(r, "log.rejected.0.line") > 1);
    assert_true(strlen(API_STR(r, "log.rejected.0.reason")) > 0);
    r = api_req(v, "GET", NULL, "/api/w/dm-upload/demand/logs");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "logs.0.id"), id);

    /* the measures are the engine's for the same file */
    r = api_req(v, "GET", NULL, "/api/w/dm-upload/demand/logs/%lld/measures",
                id);
    API_STATUS(r, 200);
    static const char *const paths[] = {
        "total",         "value",
        "failure",       "unclassified",
        "failure_share", "suggested",
        "by_service",    "by_channel",
        "by_type",       "pareto",
        "first_contact", "handoffs",
        "end_to_end",    "repeats",
        "xmr.0.mean",    "xmr.0.upper",
        "xmr.0.points",  "xmr.1.points",
        "xmr.1.signals", "failure_share_with_suggestions"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        same_at(r->json, cli, paths[i]);
    json_decref(cli);
}

static void test_bad_logs(void **state)
{
    ws_make(state, "dm-bad");
    /* no received_at column: the whole log fails, at line 1 */
    const ApiResp *r =
        upload(state, CON, "dm-bad", "x", "id,words\nA1,hello\n");
    API_ERROR(r, 400, "bad_field", "csv");
    assert_non_null(strstr(API_STR(r, "error.message"), "line 1"));
    r = upload(state, CON, "dm-bad", "x", "");
    API_ERROR(r, 400, "bad_field", "csv");
    /* bad rows are rejected with their line; the good ones load */
    r = upload(state, CON, "dm-bad", "mixed",
               "id,received_at,demand\n"
               "A1,2026-03-02,value\n"
               "A2,2026-02-30,failure\n"
               "A3,2026-03-03,maybe\n"
               "A1,2026-03-04,value\n"
               "A5,\"2026-03-05\",failure\n");
    API_STATUS(r, 201);
    assert_int_equal(API_INT(r, "log.contacts"), 2);
    assert_int_equal(API_INT(r, "log.rejected_rows"), 3);
    assert_int_equal(API_INT(r, "log.rejected.0.line"), 3);
    assert_int_equal(API_INT(r, "log.rejected.1.line"), 4);
    assert_int_equal(API_INT(r, "log.rejected.2.line"), 5);
    assert_non_null(strstr(API_STR(r, "log.rejected.2.reason"), "duplicate"));
    /* fields */
    r = api_json(U(state, CON), "POST", json_pack("{s:s}", "csv", "a"),
                 "/api/w/dm-bad/demand/logs");
    API_ERROR(r, 400, "missing_field", "name");
    r = api_json(U(state, CON), "POST",
                 json_pack("{s:s, s:i}", "name", "n", "csv", 3),
                 "/api/w/dm-bad/demand/logs");
    API_ERROR(r, 400, "bad_field", "csv");
    r = api_json(U(state, CON), "POST",
                 json_pack("{s:s, s:s, s:{s:s}}", "name", "n", "csv",
                           "Date\n2026-03-02\n", "map", "recieved", "Date"),
                 "/api/w/dm-bad/demand/logs");
    API_ERROR(r, 400, "bad_field", "map.recieved");
    /* a mapping reads another header */
    r = api_json(U(state, CON), "POST",
                 json_pack("{s:s, s:s, s:{s:s}}", "name", "n", "csv",
                           "Date,What\n2026-03-02,hi\n", "map", "received_at",
                           "Date"),
                 "/api/w/dm-bad/demand/logs");
    API_STATUS(r, 201);
    assert_int_equal(API_INT(r, "log.contacts"), 1);
    assert_string_equal(API_STR(r, "log.map.received_at"), "Date");
    /* a mapped header that is not there fails the log */
    r = api_json(U(state, CON), "POST",
                 json_pack("{s:s, s:s, s:{s:s}}", "name", "n", "csv",
                           "received_at\n2026-03-02\n", "map", "words",
                           "What they said"),
                 "/api/w/dm-bad/demand/logs");
    API_ERROR(r, 400, "bad_field", "csv");
}

static void test_coding_and_roles(void **state)
{
    ws_make(state, "dm-code");
    long long id = upload_sample(state, "dm-code");
    ApiUser *con = U(state, CON), *view = U(state, VIEW);
    const ApiResp *r = api_req(view, "GET", NULL,
                               "/api/w/dm-code/demand/logs/%lld/measures", id);
    API_STATUS(r, 200);
    long long value = API_INT(r, "value"), failure = API_INT(r, "failure");
    long long uncl = API_INT(r, "unclassified");

    json_t *c = first_contact(state, "dm-code", id, "uncoded");
    long long cid = json_integer_value(json_object_get(c, "id"));
    assert_string_equal(json_string_value(json_object_get(c, "demand")), "");
    json_decref(c);

    /* a viewer reads but does not code; an outsider sees nothing */
    r = api_json(view, "PUT", json_pack("{s:s}", "demand", "failure"),
                 "/api/w/dm-code/demand/contacts/%lld", cid);
    API_ERROR(r, 403, "forbidden", NULL);
    r = api_json(U(state, OUT), "PUT", json_pack("{s:s}", "demand", "value"),
                 "/api/w/dm-code/demand/contacts/%lld", cid);
    API_ERROR(r, 404, "not_found", NULL);
    r = api_req(U(state, OUT), "GET", NULL,
                "/api/w/dm-code/demand/logs/%lld/measures", id);
    API_ERROR(r, 404, "not_found", NULL);
    /* bad codes */
    r = api_json(con, "PUT", json_pack("{s:s}", "demand", "maybe"),
                 "/api/w/dm-code/demand/contacts/%lld", cid);
    API_ERROR(r, 400, "bad_field", "demand");
    r = api_json(con, "PUT", json_pack("{s:s}", "type", "x"),
                 "/api/w/dm-code/demand/contacts/%lld", cid);
    API_ERROR(r, 400, "missing_field", "demand");
    r = api_json(con, "PUT", json_pack("{s:s}", "demand", "value"),
                 "/api/w/dm-code/demand/contacts/999999");
    API_ERROR(r, 404, "not_found", NULL);

    /* a contributor codes it: failure goes up by one */
    r = api_json(con, "PUT",
                 json_pack("{s:s, s:s}", "demand", "failure", "type",
                           "progress-chasing"),
                 "/api/w/dm-code/demand/contacts/%lld", cid);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "contact.coding.demand"), "failure");
    assert_string_equal(API_STR(r, "contact.imported.demand"), "");
    r = api_req(view, "GET", NULL, "/api/w/dm-code/demand/logs/%lld/measures",
                id);
    assert_int_equal(API_INT(r, "failure"), failure + 1);
    assert_int_equal(API_INT(r, "value"), value);
    assert_int_equal(API_INT(r, "unclassified"), uncl - 1);

    /* recoding a contact coded in the import changes it, and clearing
     * the coding gives the import back */
    c = first_contact(state, "dm-code", id, "coded");
    long long coded = json_integer_value(json_object_get(c, "id"));
    const char *was = json_string_value(api_at(c, "imported.demand"));
    const char *other = !strcmp(was, "value") ? "failure" : "value";
    int to_failure = !strcmp(other, "failure");
    json_decref(c);
    r = api_json(con, "PUT",
                 json_pack("{s:s, s:s}", "demand", other, "type", ""),
                 "/api/w/dm-code/demand/contacts/%lld", coded);
    API_STATUS(r, 200);
    r = api_req(view, "GET", NULL, "/api/w/dm-code/demand/logs/%lld/measures",
                id);
    assert_int_equal(API_INT(r, "failure"),
                     failure + 1 + (to_failure ? 1 : -1));
    r = api_json(con, "PUT", json_pack("{s:n}", "demand"),
                 "/api/w/dm-code/demand/contacts/%lld", coded);
    API_STATUS(r, 200);
    assert_true(json_is_null(api_at(r->json, "contact.coding")));
    r = api_req(view, "GET", NULL, "/api/w/dm-code/demand/logs/%lld/measures",
                id);
    assert_int_equal(API_INT(r, "failure"), failure + 1);
    r = api_req(view, "GET", NULL,
                "/api/w/dm-code/demand/logs/%lld/contacts?filter=uncoded", id);
    assert_int_equal(API_INT(r, "counts.uncoded"), uncl - 1);
    assert_int_equal(API_INT(r, "matched"), uncl - 1);

    /* the events, with the coding before and after */
    r = api_req(view, "GET", NULL, "/api/w/dm-code/events?limit=4");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "events.0.action"), "demand.code");
    assert_true(json_is_null(api_at(r->json, "events.0.after")));
    assert_string_equal(API_STR(r, "events.0.before.demand"), other);
    assert_string_equal(API_STR(r, "events.2.action"), "demand.code");
    assert_string_equal(API_STR(r, "events.2.after.type"), "progress-chasing");
    assert_string_equal(API_STR(r, "events.3.action"), "demand.import");

    /* deleting is for facilitators */
    r = api_req(con, "DELETE", NULL, "/api/w/dm-code/demand/logs/%lld", id);
    API_ERROR(r, 403, "forbidden", NULL);
    r = api_req(U(state, FAC), "DELETE", NULL,
                "/api/w/dm-code/demand/logs/%lld", id);
    API_STATUS(r, 204);
    r = api_req(view, "GET", NULL, "/api/w/dm-code/demand/logs/%lld", id);
    API_ERROR(r, 404, "not_found", NULL);
    r = api_req(view, "GET", NULL, "/api/w/dm-code/events?limit=1");
    assert_string_equal(API_STR(r, "events.0.action"), "demand.delete");
}

static void test_csrf_and_viewer_upload(void **state)
{
    T *t = *state;
    ws_make(state, "dm-csrf");
    ApiOpt no = {.no_csrf = 1};
    const ApiResp *r =
        api_send(U(state, CON), "POST", "/api/w/dm-csrf/demand/logs",
                 "{\"name\":\"n\",\"csv\":\"received_at\\n\"}", &no);
    API_ERROR(r, 403, "csrf", NULL);
    ApiOpt bad = {.csrf = "forged"};
    r = api_send(U(state, CON), "PUT", "/api/w/dm-csrf/demand/rules",
                 "{\"text\":\"\"}", &bad);
    API_ERROR(r, 403, "csrf", NULL);
    r = upload(state, VIEW, "dm-csrf", "n", tbuf_cstr(&t->csv));
    API_ERROR(r, 403, "forbidden", NULL);
    r = api_req(U(state, VIEW), "GET", NULL, "/api/w/dm-csrf/demand/logs");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "logs")), 0);
    /* nothing was written */
    r = api_req(U(state, VIEW), "GET", NULL, "/api/w/dm-csrf/demand/rules");
    assert_string_equal(API_STR(r, "rules.text"), "");
}

static void test_rules(void **state)
{
    T *t = *state;
    ws_make(state, "dm-rules");
    long long id = upload_sample(state, "dm-rules");
    ApiUser *con = U(state, CON), *view = U(state, VIEW);
    const ApiResp *r =
        api_json(con, "PUT",
                 json_pack("{s:s}", "text",
                           "# ok\nstill waiting => chasing, failure\n"
                           "no arrow here\n/unclosed => x, value\n"),
                 "/api/w/dm-rules/demand/rules");
    API_ERROR(r, 400, "bad_field", "text");
    assert_string_equal(API_STR(r, "error.message"),
                        "rules: line 3, column 14: expected '=>' (a rule is: "
                        "phrase => type, value|failure)");
    assert_int_equal(API_INT(r, "error.errors.0.line"), 3);
    assert_int_equal(API_INT(r, "error.errors.1.line"), 4);
    assert_true(API_INT(r, "error.errors.1.column") >= 1);
    r = api_json(con, "PUT", json_pack("{s:s}", "text", "a => b, sometimes"),
                 "/api/w/dm-rules/demand/rules");
    API_ERROR(r, 400, "bad_field", "text");
    assert_non_null(
        strstr(API_STR(r, "error.message"), "rules: line 1, column"));
    r = api_json(view, "PUT", json_pack("{s:s}", "text", ""),
                 "/api/w/dm-rules/demand/rules");
    API_ERROR(r, 403, "forbidden", NULL);

    /* the sample rules: the suggestions are the engine's with them */
    r = api_json(con, "PUT", json_pack("{s:s}", "text", tbuf_cstr(&t->rules)),
                 "/api/w/dm-rules/demand/rules");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "rules.text"), tbuf_cstr(&t->rules));
    json_t *cli = cli_report("--rules " SAMPLE_RULES);
    r = api_req(view, "GET", NULL, "/api/w/dm-rules/demand/logs/%lld/measures",
                id);
    API_STATUS(r, 200);
    same_at(r->json, cli, "suggested_value");
    same_at(r->json, cli, "suggested_failure");
    same_at(r->json, cli, "disagreements");
    size_t nsug = json_array_size(api_at(cli, "suggested"));
    json_decref(cli);
    r = api_req(view, "GET", NULL,
                "/api/w/dm-rules/demand/logs/%lld/contacts?filter=suggested"
                "&limit=1000",
                id);
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "matched"), (long long)nsug);
    assert_true(json_is_object(api_at(r->json, "contacts.0.suggestion")));
    r = api_req(view, "GET", NULL, "/api/w/dm-rules/events?limit=1");
    assert_string_equal(API_STR(r, "events.0.action"), "demand.rules");
}

static void test_filters_and_paging(void **state)
{
    ws_make(state, "dm-page");
    long long id = upload_sample(state, "dm-page");
    ApiUser *v = U(state, VIEW);
    const ApiResp *r = api_req(
        v, "GET", NULL,
        "/api/w/dm-page/demand/logs/%lld/contacts?offset=10&limit=5", id);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "contacts")), 5);
    long long line10 = API_INT(r, "contacts.0.line");
    long long total = API_INT(r, "matched");
    r = api_req(v, "GET", NULL,
                "/api/w/dm-page/demand/logs/%lld/contacts?offset=9&limit=2",
                id);
    assert_int_equal(API_INT(r, "contacts.1.line"), line10);
    assert_true(API_INT(r, "contacts.0.line") < line10);
    r = api_req(v, "GET", NULL,
                "/api/w/dm-page/demand/logs/%lld/contacts?service=gas%%20AND"
                "%%20heating&limit=1000",
                id);
    API_STATUS(r, 200);
    long long gas = API_INT(r, "matched");
    assert_true(gas > 0 && gas < total);
    assert_string_equal(API_STR(r, "contacts.0.service"), "Gas and heating");
    r = api_req(v, "GET", NULL,
                "/api/w/dm-page/demand/logs/%lld/contacts?type=Progress%%20"
                "Chasing&limit=1000",
                id);
    assert_true(API_INT(r, "matched") > 0);
    assert_true(!strcasecmp(API_STR(r, "contacts.0.type"), "progress-chasing"));
    r = api_req(v, "GET", NULL,
                "/api/w/dm-page/demand/logs/%lld/contacts?filter=odd", id);
    API_ERROR(r, 400, "bad_field", "filter");
    r = api_req(v, "GET", NULL,
                "/api/w/dm-page/demand/logs/%lld/contacts?limit=0", id);
    API_ERROR(r, 400, "bad_field", "limit");
    r = api_req(v, "GET", NULL, "/api/w/dm-page/demand/logs/abc/contacts");
    API_ERROR(r, 404, "not_found", NULL);
}

static void test_splits(void **state)
{
    ws_make(state, "dm-split");
    long long id = upload_sample(state, "dm-split");
    ApiUser *con = U(state, CON);
    const ApiResp *r =
        api_json(con, "PUT", json_pack("{s:[s]}", "splits", "2026-02-30"),
                 "/api/w/dm-split/demand/logs/%lld/splits", id);
    API_ERROR(r, 400, "bad_field", "splits[0]");
    r = api_json(con, "PUT", json_pack("{s:s}", "splits", "2026-03-02"),
                 "/api/w/dm-split/demand/logs/%lld/splits", id);
    API_ERROR(r, 400, "bad_field", "splits");
    r = api_json(U(state, VIEW), "PUT", json_pack("{s:[]}", "splits"),
                 "/api/w/dm-split/demand/logs/%lld/splits", id);
    API_ERROR(r, 403, "forbidden", NULL);
    r = api_json(con, "PUT", json_pack("{s:[s]}", "splits", "2026-03-02"),
                 "/api/w/dm-split/demand/logs/%lld/splits", id);
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "log.splits.0"), "2026-03-02");
    json_t *cli = cli_report("--split 2026-03-02");
    r = api_req(U(state, VIEW), "GET", NULL,
                "/api/w/dm-split/demand/logs/%lld/measures", id);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "xmr.0.parts")), 2);
    same_at(r->json, cli, "xmr.0.parts");
    same_at(r->json, cli, "xmr.1.parts");
    same_at(r->json, cli, "splits");
    json_decref(cli);
    r = api_req(U(state, VIEW), "GET", NULL, "/api/w/dm-split/events?limit=1");
    assert_string_equal(API_STR(r, "events.0.action"), "demand.splits");
}

static void test_report_html(void **state)
{
    ws_make(state, "dm-html");
    const ApiResp *r =
        upload(state, CON, "dm-html", "xss",
               "id,received_at,service,words,demand,type\n"
               "X1,2026-03-02," API_XSS "," API_XSS ",failure," API_XSS "\n"
               "X2,2026-03-03,s,\"<script>alert(1)</script>\",value,v\n");
    API_STATUS(r, 201);
    long long id = API_INT(r, "log.id");
    ApiOpt any = {.any_shape = 1};
    char path[256];
    snprintf(path, sizeof path, "/api/w/dm-html/demand/logs/%lld/report.html",
             id);
    r = api_send(U(state, VIEW), "GET", path, NULL, &any);
    API_STATUS(r, 200);
    assert_non_null(api_stristr(r->ctype, "text/html"));
    assert_non_null(strstr(r->body.data, "<svg"));
    assert_null(strstr(r->body.data, "<script>alert"));
    const char *csp = api_stristr(r->head.data, "\ncontent-security-policy:");
    assert_non_null(csp);
    char line[512];
    api_copy(line, sizeof line, csp + 1);
    line[strcspn(line, "\r\n")] = '\0';
    assert_non_null(strstr(line, "default-src 'none'"));
    assert_null(strstr(line, "script-src"));
    assert_null(
        api_stristr(csp + 1 + strlen(line), "\ncontent-security-policy:"));
    r = api_send(U(state, OUT), "GET", path, NULL, &any);
    API_ERROR(r, 404, "not_found", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_sample_matches_engine),
        cmocka_unit_test(test_bad_logs),
        cmocka_unit_test(test_coding_and_roles),
        cmocka_unit_test(test_csrf_and_viewer_upload),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_filters_and_paging),
        cmocka_unit_test(test_splits),
        cmocka_unit_test(test_report_html),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
