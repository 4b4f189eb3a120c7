/*
 * test_framing.c - scenario framing over HTTP (docs/http-api.md,
 * "Scenario framing"): the impact/uncertainty grid's means, spreads and
 * marks against ratings set through the API; axes and cards (facilitators
 * only); robust moves and leading indicators (contributors add, author or
 * facilitator edits); validation errors by field path; the events; and
 * the "framing" object of the workspace document through export and
 * import, with its problems reported by path. One server for the group,
 * six accounts, a fresh workspace per test.
 */
#include "api.h"

#include <math.h>

enum { OWNER, FAC, CON, CON2, VIEW, OUT, NROLES };

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
    static const char *const tags[NROLES] = {
        "owner", "facilitator", "contributor", "second", "viewer", "outsider"};
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

static void join(void **state, ApiUser *who, const char *slug, const char *role)
{
    const ApiResp *r =
        api_json(U(state, OWNER), "POST", json_pack("{s:s}", "role", role),
                 "/api/w/%s/invites", slug);
    API_STATUS(r, 201);
    char token[256];
    api_copy(token, sizeof token, API_STR(r, "token"));
    API_STATUS(api_req(who, "POST", NULL, "/api/invites/%s/accept", token),
               200);
}

static void ws_make(void **state, const char *slug)
{
    const ApiResp *r = api_json(
        U(state, OWNER), "POST",
        json_pack("{s:s, s:s}", "name", slug, "slug", slug), "/api/workspaces");
    API_STATUS(r, 201);
    join(state, U(state, FAC), slug, "facilitator");
    join(state, U(state, CON), slug, "contributor");
    join(state, U(state, CON2), slug, "contributor");
    join(state, U(state, VIEW), slug, "viewer");
}

static long long item_add(ApiUser *u, const char *slug, const char *title)
{
    const ApiResp *r = api_json(u, "POST", json_pack("{s:s}", "title", title),
                                "/api/w/%s/items", slug);
    API_STATUS(r, 201);
    return API_INT(r, "item.id");
}

static void rate(ApiUser *u, const char *slug, long long id, int imp, int unc)
{
    API_STATUS(
        api_json(u, "PUT",
                 json_pack("{s:i, s:i}", "importance", imp, "uncertainty", unc),
                 "/api/w/%s/items/%lld/rating", slug, id),
        200);
}

static json_t *axes_body(long long x, long long y)
{
    return json_pack("{s:{s:I, s:s, s:s}, s:{s:I, s:s, s:s}}", "x", "item",
                     (json_int_t)x, "low", "funding falls", "high",
                     "funding rises", "y", "item", (json_int_t)y, "low",
                     "demand steady", "high", "demand surges");
}

static double num_at(const ApiResp *r, json_t *v, const char *what)
{
    if (!json_is_number(v))
        API_FAIL(r, "%s is not a number\n", what);
    return json_number_value(v);
}

static void near(double got, double want, const char *what)
{
    if (fabs(got - want) > 1e-9 * fmax(1.0, fabs(want))) {
        print_error("%s: got %.12g, want %.12g\n", what, got, want);
        fail();
    }
}

/* The mean and population standard deviation of n scores. */
static void stats(const int *v, int n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    *mean = s / n;
    for (int i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *sd = sqrt(ss / n);
}

/* The newest event with this action in slug, or NULL (borrowed from r). */
static json_t *find_event(ApiUser *u, const char *slug, const char *action)
{
    const ApiResp *r =
        api_req(u, "GET", NULL, "/api/w/%s/events?limit=200", slug);
    API_STATUS(r, 200);
    size_t i;
    json_t *ev;
    json_array_foreach(API_ARR(r, "events"), i, ev)
    {
        const char *a = json_string_value(json_object_get(ev, "action"));
        if (a && !strcmp(a, action))
            return ev;
    }
    return NULL;
}

/* ---- tests ------------------------------------------------------------ */

static void test_grid(void **state)
{
    ApiUser *o = U(state, OWNER), *f = U(state, FAC), *c = U(state, CON),
            *v = U(state, VIEW);
    ws_make(state, "grid");
    long long a = item_add(c, "grid", "Councils merge into unitaries");
    long long b = item_add(c, "grid", "Central funding settlement");
    long long n = item_add(c, "grid", "Not rated by anyone");
    /* three raters on a, two on b: each row is one member's scores */
    static const int a_imp[] = {5, 4, 5}, a_unc[] = {1, 2, 2};
    static const int b_imp[] = {5, 3}, b_unc[] = {5, 4};
    ApiUser *ra[] = {o, f, c}, *rb[] = {f, c};
    for (int i = 0; i < 3; i++)
        rate(ra[i], "grid", a, a_imp[i], a_unc[i]);
    for (int i = 0; i < 2; i++)
        rate(rb[i], "grid", b, b_imp[i], b_unc[i]);
    rate(c, "grid", a, a_imp[2], a_unc[2]); /* replaced, not added */

    const ApiResp *r = api_req(v, "GET", NULL, "/api/w/grid/grid");
    API_STATUS(r, 200);
    json_t *items = API_ARR(r, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_non_null(json_string_value(api_at(r->json, "rule.spread")));
    double inev_imp = num_at(r, api_at(r->json, "rule.inevitable_impact_min"),
                             "inevitable_impact_min");
    double inev_unc =
        num_at(r, api_at(r->json, "rule.inevitable_uncertainty_max"),
               "inevitable_uncertainty_max");

    struct {
        long long id;
        const int *imp, *unc;
        int n;
    } want[] = {{a, a_imp, a_unc, 3}, {b, b_imp, b_unc, 2}};
    for (int k = 0; k < 2; k++) {
        json_t *it = api_find_id(items, want[k].id);
        assert_non_null(it);
        double mi, si, mu, su;
        stats(want[k].imp, want[k].n, &mi, &si);
        stats(want[k].unc, want[k].n, &mu, &su);
        assert_int_equal(json_integer_value(json_object_get(it, "raters")),
                         want[k].n);
        near(num_at(r, json_object_get(it, "impact"), "impact"), mi, "impact");
        near(num_at(r, json_object_get(it, "uncertainty"), "unc"), mu,
             "uncertainty");
        near(num_at(r, api_at(it, "spread.impact"), "spread"), si,
             "spread.impact");
        near(num_at(r, api_at(it, "spread.uncertainty"), "spread"), su,
             "spread.uncertainty");
        int lo = 5, hi = 1;
        for (int i = 0; i < want[k].n; i++) {
            lo = want[k].imp[i] < lo ? want[k].imp[i] : lo;
            hi = want[k].imp[i] > hi ? want[k].imp[i] : hi;
        }
        assert_int_equal(json_integer_value(api_at(it, "range.impact.0")), lo);
        assert_int_equal(json_integer_value(api_at(it, "range.impact.1")), hi);
        bool inev = mi >= inev_imp && mu <= inev_unc;
        assert_int_equal(json_is_true(json_object_get(it, "inevitable")), inev);
    }
    /* a is high impact and certain; b high impact and uncertain */
    assert_true(
        json_is_true(json_object_get(api_find_id(items, a), "inevitable")));
    assert_true(
        json_is_true(json_object_get(api_find_id(items, b), "critical")));
    assert_false(
        json_is_true(json_object_get(api_find_id(items, b), "inevitable")));
    json_t *un = api_find_id(items, n);
    assert_int_equal(json_integer_value(json_object_get(un, "raters")), 0);
    assert_true(json_is_null(json_object_get(un, "impact")));
    assert_true(json_is_null(json_object_get(un, "spread")));
    assert_false(json_is_true(json_object_get(un, "inevitable")));

    /* the caller's own rating, and the inevitables in the framing */
    r = api_req(c, "GET", NULL, "/api/w/grid/grid");
    assert_int_equal(
        json_integer_value(api_at(api_find_id(API_ARR(r, "items"), b),
                                  "my_rating.uncertainty")),
        b_unc[1]);
    r = api_req(v, "GET", NULL, "/api/w/grid/framing");
    API_STATUS(r, 200);
    json_t *inevs = API_ARR(r, "framing.inevitables");
    assert_int_equal(json_array_size(inevs), 1);
    assert_int_equal(API_INT(r, "framing.inevitables.0.id"), a);
    assert_true(json_is_null(api_at(r->json, "framing.axes")));
    assert_int_equal(json_array_size(API_ARR(r, "framing.cards")), 4);

    /* a hidden item leaves the grid; outsiders see nothing */
    API_STATUS(api_req(f, "POST", NULL, "/api/w/grid/items/%lld/hide", b), 200);
    r = api_req(v, "GET", NULL, "/api/w/grid/grid");
    assert_null(api_find_id(API_ARR(r, "items"), b));
    API_ERROR(api_req(U(state, OUT), "GET", NULL, "/api/w/grid/grid"), 404,
              "not_found", NULL);
}

static void test_axes_and_cards(void **state)
{
    ApiUser *f = U(state, FAC), *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "axes");
    ws_make(state, "axes-other");
    long long a = item_add(c, "axes", "Funding");
    long long b = item_add(c, "axes", "Demand");
    long long d = item_add(c, "axes", "Workforce");
    long long elsewhere = item_add(c, "axes-other", "Somewhere else");

    /* roles: contributors and viewers may not set axes or cards */
    API_ERROR(api_json(c, "PUT", axes_body(a, b), "/api/w/axes/framing/axes"),
              403, "forbidden", NULL);
    API_ERROR(api_json(v, "PUT", axes_body(a, b), "/api/w/axes/framing/axes"),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "name", "x"),
                       "/api/w/axes/framing/cards/1"),
              403, "forbidden", NULL);

    /* validation by field path */
    API_ERROR(api_json(f, "PUT", axes_body(a, a), "/api/w/axes/framing/axes"),
              400, "bad_field", "y.item");
    API_ERROR(api_json(f, "PUT",
                       json_pack("{s:{s:I, s:s}}", "x", "item", (json_int_t)a,
                                 "high", "h"),
                       "/api/w/axes/framing/axes"),
              400, "missing_field", "x.low");
    API_ERROR(
        api_json(f, "PUT", axes_body(a, 99999), "/api/w/axes/framing/axes"),
        400, "bad_field", "y.item");
    API_ERROR(
        api_json(f, "PUT", axes_body(elsewhere, b), "/api/w/axes/framing/axes"),
        400, "bad_field", "x.item");
    API_ERROR(api_json(f, "PUT", json_pack("{s:s, s:n}", "x", "a", "y"),
                       "/api/w/axes/framing/axes"),
              400, "bad_field", "x");

    const ApiResp *r =
        api_json(f, "PUT", axes_body(a, b), "/api/w/axes/framing/axes");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "framing.axes.x.item"), a);
    assert_string_equal(API_STR(r, "framing.axes.x.title"), "Funding");
    assert_string_equal(API_STR(r, "framing.axes.y.high"), "demand surges");

    /* cards: 1..4 only; items checked */
    API_ERROR(api_json(f, "PATCH", json_pack("{s:s}", "name", "x"),
                       "/api/w/axes/framing/cards/5"),
              404, "not_found", NULL);
    API_ERROR(api_json(f, "PATCH", json_pack("{s:[I]}", "items", 99999),
                       "/api/w/axes/framing/cards/1"),
              400, "bad_field", "items[0]");
    API_ERROR(api_json(f, "PATCH",
                       json_pack("{s:[I,s]}", "items", (json_int_t)a, "b"),
                       "/api/w/axes/framing/cards/1"),
              400, "bad_field", "items[1]");
    API_ERROR(
        api_json(f, "PATCH",
                 json_pack("{s:[I,I]}", "items", (json_int_t)a, (json_int_t)a),
                 "/api/w/axes/framing/cards/1"),
        400, "bad_field", "items[1]");
    API_ERROR(api_json(f, "PATCH", json_pack("{s:i}", "name", 3),
                       "/api/w/axes/framing/cards/1"),
              400, "bad_field", "name");
    static const char *const names[4] = {"Boom and surge", "Lean and busy",
                                         "Lean and calm", "Flush and calm"};
    for (int q = 1; q <= 4; q++) {
        r = api_json(f, "PATCH",
                     json_pack("{s:s, s:s, s:[I]}", "name", names[q - 1],
                               "narrative", "what this world looks like",
                               "items", (json_int_t)(q % 2 ? d : b)),
                     "/api/w/axes/framing/cards/%d", q);
        API_STATUS(r, 200);
    }
    /* a partial edit keeps the rest */
    API_STATUS(api_json(f, "PATCH", json_pack("{s:s}", "narrative", "renamed"),
                        "/api/w/axes/framing/cards/2"),
               200);
    r = api_req(v, "GET", NULL, "/api/w/axes/framing");
    API_STATUS(r, 200);
    for (int q = 1; q <= 4; q++) {
        char p[64];
        snprintf(p, sizeof p, "framing.cards.%d.name", q - 1);
        assert_string_equal(API_STR(r, p), names[q - 1]);
        snprintf(p, sizeof p, "framing.cards.%d.items.0.id", q - 1);
        assert_int_equal(API_INT(r, p), q % 2 ? d : b);
    }
    assert_string_equal(API_STR(r, "framing.cards.1.narrative"), "renamed");
    assert_string_equal(API_STR(r, "framing.cards.0.x"), "high");
    assert_string_equal(API_STR(r, "framing.cards.2.y"), "low");

    /* clearing the axes */
    r = api_req(f, "DELETE", NULL, "/api/w/axes/framing/axes");
    API_STATUS(r, 200);
    assert_true(json_is_null(api_at(r->json, "framing.axes")));
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/axes/framing/axes"), 403,
              "forbidden", NULL);
}

static void test_moves_and_indicators(void **state)
{
    ApiUser *f = U(state, FAC), *c = U(state, CON), *c2 = U(state, CON2),
            *v = U(state, VIEW);
    ws_make(state, "moves");
    long long a = item_add(c, "moves", "Funding");

    const ApiResp *r =
        api_json(c, "POST",
                 json_pack("{s:s, s:[i,i,i,i]}", "text", "Invest in prevention",
                           "cards", 1, 2, 3, 4),
                 "/api/w/moves/framing/moves");
    API_STATUS(r, 201);
    long long robust = API_INT(r, "id");
    json_t *m = api_find_id(API_ARR(r, "framing.moves"), robust);
    assert_true(json_is_true(json_object_get(m, "robust")));
    assert_true(json_is_true(json_object_get(m, "mine")));
    r = api_json(c2, "POST",
                 json_pack("{s:s, s:[i,i]}", "text", "Share a back office",
                           "cards", 2, 3),
                 "/api/w/moves/framing/moves");
    API_STATUS(r, 201);
    long long partial = API_INT(r, "id");
    m = api_find_id(API_ARR(r, "framing.moves"), partial);
    assert_false(json_is_true(json_object_get(m, "robust")));
    assert_int_equal(json_array_size(json_object_get(m, "cards")), 2);

    /* validation and roles */
    API_ERROR(api_json(v, "POST", json_pack("{s:s}", "text", "x"),
                       "/api/w/moves/framing/moves"),
              403, "forbidden", NULL);
    API_ERROR(api_json(c, "POST", json_pack("{s:[i]}", "cards", 1),
                       "/api/w/moves/framing/moves"),
              400, "missing_field", "text");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:[i,i]}", "text", "x", "cards", 1, 1),
                       "/api/w/moves/framing/moves"),
              400, "bad_field", "cards[1]");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:[i]}", "text", "x", "cards", 5),
                       "/api/w/moves/framing/moves"),
              400, "bad_field", "cards[0]");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "text", ""),
                       "/api/w/moves/framing/moves"),
              400, "bad_field", "text");

    /* the author or a facilitator edits and deletes */
    API_ERROR(api_json(c2, "PATCH", json_pack("{s:[]}", "cards"),
                       "/api/w/moves/framing/moves/%lld", robust),
              403, "forbidden", NULL);
    r = api_json(c2, "PATCH", json_pack("{s:[i,i,i,i]}", "cards", 4, 3, 2, 1),
                 "/api/w/moves/framing/moves/%lld", partial);
    API_STATUS(r, 200);
    m = api_find_id(API_ARR(r, "framing.moves"), partial);
    assert_true(json_is_true(json_object_get(m, "robust")));
    assert_string_equal(json_string_value(json_object_get(m, "text")),
                        "Share a back office");
    API_STATUS(api_json(f, "PATCH", json_pack("{s:s}", "text", "Edited"),
                        "/api/w/moves/framing/moves/%lld", robust),
               200);
    API_ERROR(
        api_req(c2, "DELETE", NULL, "/api/w/moves/framing/moves/%lld", robust),
        403, "forbidden", NULL);
    API_STATUS(
        api_req(f, "DELETE", NULL, "/api/w/moves/framing/moves/%lld", partial),
        204);
    API_ERROR(
        api_req(f, "DELETE", NULL, "/api/w/moves/framing/moves/%lld", partial),
        404, "not_found", NULL);
    API_ERROR(api_req(f, "DELETE", NULL, "/api/w/moves/framing/moves/abc"), 404,
              "not_found", NULL);

    /* indicators */
    r = api_json(c, "POST",
                 json_pack("{s:s, s:i, s:I}", "text", "Grant letters late",
                           "card", 2, "item", (json_int_t)a),
                 "/api/w/moves/framing/indicators");
    API_STATUS(r, 201);
    long long ind = API_INT(r, "id");
    json_t *in = api_find_id(API_ARR(r, "framing.indicators"), ind);
    assert_int_equal(json_integer_value(json_object_get(in, "card")), 2);
    assert_int_equal(json_integer_value(api_at(in, "item.id")), a);
    assert_string_equal(json_string_value(api_at(in, "item.title")), "Funding");
    API_ERROR(api_json(c, "POST", json_pack("{s:s}", "text", "x"),
                       "/api/w/moves/framing/indicators"),
              400, "missing_field", "card");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:i}", "text", "x", "card", 0),
                       "/api/w/moves/framing/indicators"),
              400, "bad_field", "card");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:i, s:i}", "text", "x", "card", 1,
                                 "item", 99999),
                       "/api/w/moves/framing/indicators"),
              400, "bad_field", "item");
    API_ERROR(api_json(c2, "PATCH", json_pack("{s:i}", "card", 3),
                       "/api/w/moves/framing/indicators/%lld", ind),
              403, "forbidden", NULL);
    r = api_json(c, "PATCH", json_pack("{s:i, s:n}", "card", 3, "item"),
                 "/api/w/moves/framing/indicators/%lld", ind);
    API_STATUS(r, 200);
    in = api_find_id(API_ARR(r, "framing.indicators"), ind);
    assert_int_equal(json_integer_value(json_object_get(in, "card")), 3);
    assert_true(json_is_null(json_object_get(in, "item")));
    API_STATUS(
        api_req(c, "DELETE", NULL, "/api/w/moves/framing/indicators/%lld", ind),
        204);
    r = api_req(v, "GET", NULL, "/api/w/moves/framing");
    assert_int_equal(json_array_size(API_ARR(r, "framing.indicators")), 0);
    assert_int_equal(json_array_size(API_ARR(r, "framing.moves")), 1);
}

static void test_events(void **state)
{
    ApiUser *f = U(state, FAC), *c = U(state, CON), *v = U(state, VIEW);
    ws_make(state, "fevents");
    long long a = item_add(c, "fevents", "Funding");
    long long b = item_add(c, "fevents", "Demand");
    API_STATUS(
        api_json(f, "PUT", axes_body(a, b), "/api/w/fevents/framing/axes"),
        200);
    API_STATUS(api_json(f, "PATCH", json_pack("{s:s}", "name", "Boom"),
                        "/api/w/fevents/framing/cards/1"),
               200);
    const ApiResp *r = api_json(
        c, "POST", json_pack("{s:s, s:[i]}", "text", "Pilot", "cards", 1),
        "/api/w/fevents/framing/moves");
    API_STATUS(r, 201);
    long long mid = API_INT(r, "id");
    API_STATUS(api_json(c, "PATCH", json_pack("{s:s}", "text", "Pilot more"),
                        "/api/w/fevents/framing/moves/%lld", mid),
               200);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:s, s:i}", "text", "Queues", "card", 1),
                        "/api/w/fevents/framing/indicators"),
               201);
    API_STATUS(
        api_req(c, "DELETE", NULL, "/api/w/fevents/framing/moves/%lld", mid),
        204);

    json_t *ev = find_event(v, "fevents", "framing.axes");
    assert_non_null(ev);
    assert_true(json_is_null(json_object_get(ev, "before")));
    assert_int_equal(json_integer_value(api_at(ev, "after.x.item")), a);
    assert_non_null(
        strstr(json_string_value(json_object_get(ev, "summary")), "Funding"));
    ev = find_event(v, "fevents", "framing.card");
    assert_non_null(ev);
    assert_string_equal(json_string_value(api_at(ev, "after.name")), "Boom");
    assert_string_equal(json_string_value(api_at(ev, "before.name")), "");
    ev = find_event(v, "fevents", "framing.move.edit");
    assert_non_null(ev);
    assert_string_equal(json_string_value(api_at(ev, "before.text")), "Pilot");
    assert_string_equal(json_string_value(api_at(ev, "after.text")),
                        "Pilot more");
    ev = find_event(v, "fevents", "framing.move.delete");
    assert_non_null(ev);
    assert_true(json_is_null(json_object_get(ev, "after")));
    assert_non_null(find_event(v, "fevents", "framing.move.add"));
    assert_non_null(find_event(v, "fevents", "framing.indicator.add"));
    /* a refused write leaves no event */
    API_STATUS(
        api_json(f, "PUT", axes_body(a, a), "/api/w/fevents/framing/axes"),
        400);
    r = api_req(v, "GET", NULL, "/api/w/fevents/events?limit=200");
    size_t i, naxes = 0;
    json_t *e;
    json_array_foreach(API_ARR(r, "events"), i, e)
    {
        if (!strcmp(json_string_value(json_object_get(e, "action")),
                    "framing.axes"))
            naxes++;
    }
    assert_int_equal(naxes, 1);
}

static void test_export_import(void **state)
{
    ApiUser *o = U(state, OWNER), *f = U(state, FAC), *c = U(state, CON);
    ws_make(state, "fexport");
    long long a = item_add(c, "fexport", "Funding");
    long long b = item_add(c, "fexport", "Demand");
    long long d = item_add(c, "fexport", "Workforce");
    API_STATUS(
        api_json(f, "PUT", axes_body(a, b), "/api/w/fexport/framing/axes"),
        200);
    API_STATUS(api_json(f, "PATCH",
                        json_pack("{s:s, s:s, s:[I,I]}", "name", "Boom",
                                  "narrative", "money and need", "items",
                                  (json_int_t)d, (json_int_t)a),
                        "/api/w/fexport/framing/cards/1"),
               200);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:s, s:[i,i,i,i]}", "text", "Prevent",
                                  "cards", 1, 2, 3, 4),
                        "/api/w/fexport/framing/moves"),
               201);
    API_STATUS(api_json(c, "POST",
                        json_pack("{s:s, s:i, s:I}", "text", "Queues", "card",
                                  4, "item", (json_int_t)d),
                        "/api/w/fexport/framing/indicators"),
               201);

    const ApiResp *r = api_req(o, "GET", NULL, "/api/w/fexport/export.json");
    API_STATUS(r, 200);
    json_t *doc = json_deep_copy(r->json);
    assert_non_null(doc);
    char want[32];
    snprintf(want, sizeof want, "%lld", a);
    assert_string_equal(json_string_value(api_at(doc, "framing.axes.x.item")),
                        want);
    assert_int_equal(json_array_size(api_at(doc, "framing.cards")), 1);
    json_object_set_new(doc, "slug", json_string("fexport-copy"));
    r = api_json(o, "POST", doc, "/api/workspaces/import");
    API_STATUS(r, 201);

    r = api_req(o, "GET", NULL, "/api/w/fexport-copy/framing");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "framing.axes.x.title"), "Funding");
    assert_string_equal(API_STR(r, "framing.axes.y.title"), "Demand");
    assert_string_equal(API_STR(r, "framing.axes.x.low"), "funding falls");
    assert_string_equal(API_STR(r, "framing.cards.0.name"), "Boom");
    assert_string_equal(API_STR(r, "framing.cards.0.narrative"),
                        "money and need");
    assert_string_equal(API_STR(r, "framing.cards.0.items.0.title"),
                        "Workforce");
    assert_string_equal(API_STR(r, "framing.cards.0.items.1.title"), "Funding");
    assert_true(json_is_true(api_at(r->json, "framing.moves.0.robust")));
    assert_int_equal(API_INT(r, "framing.indicators.0.card"), 4);
    assert_string_equal(API_STR(r, "framing.indicators.0.item.title"),
                        "Workforce");
    /* the copy's ids are its own */
    assert_int_not_equal(API_INT(r, "framing.axes.x.item"), a);

    /* a workspace with no framing exports none */
    ws_make(state, "fexport-none");
    r = api_req(o, "GET", NULL, "/api/w/fexport-none/export.json");
    assert_null(api_at(r->json, "framing"));
}

/* Whether the 400's problems name field. */
static int has_problem(const ApiResp *r, const char *field)
{
    size_t i;
    json_t *p;
    json_array_foreach(api_at(r->json, "error.problems"), i, p)
    {
        const char *f = json_string_value(json_object_get(p, "field"));
        if (f && !strcmp(f, field))
            return 1;
    }
    return 0;
}

static void test_import_errors(void **state)
{
    ApiUser *o = U(state, OWNER);
    static const char doc[] =
        "{\"format\": \"territory-workspace\", \"version\": 1,"
        " \"slug\": \"bad-framing\", \"name\": \"Bad\","
        " \"items\": [{\"id\": \"a\", \"title\": \"A\"},"
        "             {\"id\": \"b\", \"title\": \"B\"}],"
        " \"framing\": {"
        "  \"axes\": {\"x\": {\"item\": \"zz\", \"low\": \"l\", \"high\": "
        "\"h\"},"
        "             \"y\": {\"item\": \"b\", \"low\": \"\", \"high\": "
        "\"h\"}},"
        "  \"cards\": [{\"quadrant\": 7}, {\"quadrant\": 1, \"items\": [\"a\","
        "              \"a\"]}],"
        "  \"moves\": [{\"text\": \"m\", \"cards\": [9]}, {\"cards\": []}],"
        "  \"indicators\": [{\"text\": \"i\"}, {\"text\": \"j\", \"card\": 2,"
        "                   \"item\": \"nope\"}]}}";
    const ApiResp *r = api_req(o, "POST", doc, "/api/workspaces/import");
    API_ERROR(r, 400, "bad_field", NULL);
    static const char *const fields[] = {
        "framing.axes.x.item",        "framing.axes.y.low",
        "framing.cards[0].quadrant",  "framing.cards[1].items[1]",
        "framing.moves[0].cards[0]",  "framing.moves[1].text",
        "framing.indicators[0].card", "framing.indicators[1].item"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!has_problem(r, fields[i]))
            API_FAIL(r, "no problem reported at %s\n", fields[i]);
    /* nothing was imported */
    API_ERROR(api_req(o, "GET", NULL, "/api/w/bad-framing"), 404, "not_found",
              NULL);
    /* framing that is not an object */
    r = api_req(o, "POST",
                "{\"format\": \"territory-workspace\", \"version\": 1,"
                " \"name\": \"Bad\", \"framing\": [1]}",
                "/api/workspaces/import");
    API_ERROR(r, 400, "bad_field", "framing");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_axes_and_cards),
        cmocka_unit_test(test_moves_and_indicators),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_export_import),
        cmocka_unit_test(test_import_errors),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
