/*
 * test_models.c - the model library over HTTP (docs/http-api.md, "Models
 * and scenarios"): the list and one model, run, compare, ensemble and
 * dominance, with their numbers checked against the engine run directly
 * through sd.h on the same models/ files, their errors (with the field at
 * fault), caps, sign-in and CSRF; and a workspace's saved scenarios:
 * roles, authorship, events and the export/import round trip.
 */
#include "api.h"

#include <math.h>

#include "sd/sd.h"

enum { OWNER, FAC, CON, VIEW, OUT, NROLES };

typedef struct T {
    ApiCtx ctx;
    ApiUser tmp[2];
    int ntmp;
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
        "owner", "facilitator", "contributor", "viewer", "outsider"};
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
    return 0;
}

static ApiUser *anon(void **state)
{
    T *t = *state;
    ApiUser *u = &t->tmp[t->ntmp++];
    api_user_init(u, &t->ctx.srv);
    u->ctx = &t->ctx;
    return u;
}

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

/* ---- the engine, directly ---------------------------------------------- */

/* Runs models/NAME.xmile with one value set (name NULL: none); the
 * results of the variable var, as saved. */
static SdResults *engine_run(const char *model, const char *name, double v)
{
    char path[256];
    snprintf(path, sizeof path, "models/%s.xmile", model);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    assert_int_equal(sd_model_load(path, &m, &d), T_OK);
    if (name)
        assert_int_equal(sd_model_set(m, name, v, &d), T_OK);
    assert_int_equal(sd_compile(m, &p, &d), T_OK);
    SdRunOpts o = {0};
    assert_int_equal(sd_run(p, &o, &r, &d), T_OK);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return r;
}

/* Fails unless the JSON series equals column var of r (to rounding). */
static void same_series(const ApiResp *resp, json_t *series, const SdResults *r,
                        const char *var)
{
    int col = sd_results_find(r, var);
    assert_true(col > 0);
    if (json_array_size(series) != (size_t)r->nrows)
        API_FAIL(resp, "%zu values of '%s', the engine saved %d\n",
                 json_array_size(series), var, r->nrows);
    for (int t = 0; t < r->nrows; t++) {
        double want = r->data[(size_t)t * (size_t)r->ncols + (size_t)col];
        double got = json_number_value(json_array_get(series, (size_t)t));
        if (fabs(got - want) > 1e-9 * fmax(1, fabs(want)))
            API_FAIL(resp, "'%s' at row %d: %.17g over HTTP, %.17g direct\n",
                     var, t, got, want);
    }
}

/* ---- the library ------------------------------------------------------- */

static void test_list_and_get(void **state)
{
    ApiUser *v = U(state, VIEW), *a = anon(state);
    API_ERROR(api_req(a, "GET", NULL, "/api/models"), 401, "unauthenticated",
              NULL);
    const ApiResp *r = api_req(v, "GET", NULL, "/api/models");
    API_STATUS(r, 200);
    json_t *models = API_ARR(r, "models");
    assert_int_equal(json_array_size(models), 3);
    json_t *ds = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(models, i, m)
    {
        assert_true(json_is_string(json_object_get(m, "title")));
        assert_true(json_string_length(json_object_get(m, "purpose")) > 10);
        if (!strcmp(json_string_value(json_object_get(m, "name")),
                    "demand-spend"))
            ds = m;
    }
    assert_non_null(ds);
    /* the title is the document's heading */
    assert_string_equal(json_string_value(json_object_get(ds, "title")),
                        "The demand–spend cycle of a council");
    json_t *var = NULL;
    json_array_foreach(json_object_get(ds, "variables"), i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "name")),
                    "budget cut rate"))
            var = m;
        if (!strcmp(json_string_value(json_object_get(m, "name")),
                    "Crisis Cases")) {
            assert_false(json_is_true(json_object_get(m, "constant")));
            assert_string_equal(json_string_value(json_object_get(m, "kind")),
                                "stock");
        }
    }
    assert_non_null(var);
    assert_true(json_is_true(json_object_get(var, "constant")));
    assert_true(json_is_number(json_object_get(var, "value")));
    assert_true(json_is_string(json_object_get(var, "units")));

    r = api_req(v, "GET", NULL, "/api/models/demand-spend");
    API_STATUS(r, 200);
    assert_non_null(strstr(API_STR(r, "document"), "**Purpose.**"));
    json_t *sc = API_ARR(r, "scenarios");
    assert_true(json_array_size(sc) >= 2);
    assert_string_equal(API_STR(r, "scenarios.0.name"), "protect prevention");
    assert_true(json_is_array(api_at(r->json, "variables")));
    API_ERROR(api_req(v, "GET", NULL, "/api/models/no-such-model"), 404,
              "not_found", NULL);
    API_ERROR(api_req(v, "GET", NULL, "/api/models/..%%2fetc"), 404,
              "not_found", NULL);
}

/* ---- run and compare ---------------------------------------------------- */

static void test_run(void **state)
{
    ApiUser *v = U(state, VIEW);
    const ApiResp *r =
        api_json(v, "POST",
                 json_pack("{s:{s:f}, s:[s]}", "set", "budget cut rate", 0.05,
                           "vars", "Crisis Cases"),
                 "/api/models/demand-spend/run");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "vars")), 1);
    assert_string_equal(API_STR(r, "vars.0.name"), "Crisis Cases");
    SdResults *want = engine_run("demand-spend", "budget cut rate", 0.05);
    same_series(r, api_at(r->json, "vars.0.series.0"), want, "Crisis Cases");
    assert_int_equal(json_array_size(API_ARR(r, "time")), want->nrows);
    sd_results_free(want);
    /* no body: the model as it is, every variable */
    r = api_req(v, "POST", NULL, "/api/models/demand-spend/run");
    API_STATUS(r, 200);
    assert_true(json_array_size(API_ARR(r, "vars")) > 10);
    /* errors name the field */
    r = api_json(v, "POST", json_pack("{s:{s:i}}", "set", "budgt cut rate", 1),
                 "/api/models/demand-spend/run");
    API_ERROR(r, 400, "bad_field", "set.budgt cut rate");
    r = api_json(v, "POST",
                 json_pack("{s:{s:s}}", "set", "budget cut rate", "x"),
                 "/api/models/demand-spend/run");
    API_ERROR(r, 400, "bad_field", "set.budget cut rate");
    r = api_json(v, "POST", json_pack("{s:[s,s]}", "vars", "budget", "nope"),
                 "/api/models/demand-spend/run");
    API_ERROR(r, 400, "bad_field", "vars[1]");
    r = api_json(v, "POST", json_pack("{}"), "/api/models/nothing/run");
    API_ERROR(r, 404, "not_found", NULL);
    /* CSRF: a POST without the token is refused */
    r = api_send(v, "POST", "/api/models/demand-spend/run", "{}",
                 &(ApiOpt){.no_csrf = 1});
    API_ERROR(r, 403, "csrf", NULL);
}

static void test_compare(void **state)
{
    ApiUser *v = U(state, VIEW);
    const ApiResp *r = api_json(
        v, "POST",
        json_pack("{s:[{s:s, s:{s:f}}, {s:s, s:{s:f}}], s:[s, s]}", "scenarios",
                  "name", "deeper", "set", "budget cut rate", 0.05, "name",
                  "slower", "set", "budget cut rate", 0.01, "vars",
                  "Crisis Cases", "budget"),
        "/api/models/demand-spend/compare");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 3);
    assert_string_equal(API_STR(r, "scenarios.0.name"), "baseline");
    assert_string_equal(API_STR(r, "scenarios.2.name"), "slower");
    assert_int_equal(json_array_size(API_ARR(r, "vars.0.series")), 3);
    assert_int_equal(json_array_size(API_ARR(r, "table")), 2);
    SdResults *base = engine_run("demand-spend", NULL, 0);
    SdResults *slow = engine_run("demand-spend", "budget cut rate", 0.01);
    same_series(r, api_at(r->json, "vars.0.series.0"), base, "Crisis Cases");
    same_series(r, api_at(r->json, "vars.1.series.2"), slow, "budget");
    /* the table holds the final values */
    double last = json_number_value(api_at(r->json, "table.0.values.2"));
    int col = sd_results_find(slow, "Crisis Cases");
    assert_true(
        fabs(last - slow->data[(size_t)(slow->nrows - 1) * (size_t)slow->ncols +
                               (size_t)col]) < 1e-6);
    sd_results_free(base);
    sd_results_free(slow);
    /* a shipped scenario with a graph, without the baseline */
    r = api_req(v, "GET", NULL, "/api/models/demand-spend");
    json_t *weaker = NULL;
    size_t i;
    json_t *s;
    json_array_foreach(api_at(r->json, "scenarios"), i, s)
    {
        if (json_object_get(s, "graphs"))
            weaker = json_incref(s);
    }
    assert_non_null(weaker);
    r = api_json(v, "POST",
                 json_pack("{s:[o], s:b, s:[s]}", "scenarios", weaker,
                           "baseline", 0, "vars", "prevention coverage"),
                 "/api/models/demand-spend/compare");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 1);
    /* errors */
    r = api_json(v, "POST",
                 json_pack("{s:[{s:s}, {s:s, s:{s:i}}]}", "scenarios", "name",
                           "a", "name", "b", "set", "nope", 1),
                 "/api/models/demand-spend/compare");
    API_ERROR(r, 400, "bad_field", "scenarios[1].set.nope");
    r = api_json(v, "POST",
                 json_pack("{s:[{s:s, s:{s:[[i,i],[i,i]]}}]}", "scenarios",
                           "name", "a", "graphs", "prevention coverage", 1, 0,
                           0, 1),
                 "/api/models/demand-spend/compare");
    API_ERROR(r, 400, "bad_field", "scenarios[0].graphs.prevention coverage");
    r = api_json(
        v, "POST",
        json_pack("{s:[{s:s}, {s:s}]}", "scenarios", "name", "a", "name", "a"),
        "/api/models/demand-spend/compare");
    API_ERROR(r, 400, "bad_field", "scenarios[1].name");
    r = api_json(v, "POST", json_pack("{s:[]}", "scenarios"),
                 "/api/models/demand-spend/compare");
    API_ERROR(r, 400, "bad_field", "scenarios");
    API_ERROR(api_json(v, "POST", json_pack("{}"),
                       "/api/models/demand-spend/compare"),
              400, "missing_field", "scenarios");
    json_t *many = json_array();
    for (int k = 0; k < 21; k++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", k);
        json_array_append_new(many, json_pack("{s:s}", "name", name));
    }
    r = api_json(v, "POST", json_pack("{s:o}", "scenarios", many),
                 "/api/models/demand-spend/compare");
    API_ERROR(r, 400, "bad_field", "scenarios");
}

/* ---- ensembles ---------------------------------------------------------- */

static void test_ensemble(void **state)
{
    ApiUser *v = U(state, VIEW);
    const char *spec = "budget cut rate=uniform(0.01, 0.05)";
    const ApiResp *r =
        api_json(v, "POST",
                 json_pack("{s:i, s:i, s:[s], s:[s]}", "runs", 200, "seed", 7,
                           "vary", spec, "vars", "Crisis Cases"),
                 "/api/models/demand-spend/ensemble");
    API_STATUS(r, 200);
    assert_int_equal(API_INT(r, "runs"), 200);
    assert_int_equal(API_INT(r, "seed"), 7);
    assert_string_equal(API_STR(r, "vary.0.dist"), "uniform");
    assert_int_equal(json_array_size(API_ARR(r, "vars")), 1);
    json_t *p5 = API_ARR(r, "vars.0.p5"), *p50 = API_ARR(r, "vars.0.p50"),
           *p95 = API_ARR(r, "vars.0.p95");
    size_t n = json_array_size(API_ARR(r, "time"));
    assert_int_equal(json_array_size(p50), n);
    /* the same ensemble run directly */
    TDiags d = {0};
    Arena a;
    arena_init(&a);
    SdModel *m = NULL;
    SdVary vary;
    SdEnsemble *e = NULL;
    assert_int_equal(sd_vary_parse(&a, spec, &vary, &d), T_OK);
    assert_int_equal(sd_model_load("models/demand-spend.xmile", &m, &d), T_OK);
    const char *names[] = {"Crisis Cases"};
    SdEnsembleOpts o = {.runs = 200,
                        .seed = 7,
                        .threads = 1,
                        .vary = &vary,
                        .nvary = 1,
                        .names = names,
                        .nnames = 1};
    assert_int_equal(sd_ensemble_run(m, &o, &e, &d), T_OK);
    assert_int_equal(e->nrows, (int)n);
    bool spread = false;
    for (size_t t = 0; t < n; t++) {
        double lo = json_number_value(json_array_get(p5, t));
        double mid = json_number_value(json_array_get(p50, t));
        double hi = json_number_value(json_array_get(p95, t));
        assert_true(lo <= mid && mid <= hi);
        spread |= hi > lo;
        double want = e->q[t * SD_ENSEMBLE_NQ + 2];
        if (fabs(mid - want) > 1e-9 * fmax(1, fabs(want)))
            API_FAIL(r, "median at %zu: %.17g over HTTP, %.17g direct\n", t,
                     mid, want);
    }
    assert_true(spread);
    sd_ensemble_free(e);
    sd_model_free(m);
    arena_free(&a);
    diags_free(&d);
    /* errors, with the field */
    r = api_json(v, "POST",
                 json_pack("{s:i, s:[s, s], s:[s]}", "runs", 10, "vary", spec,
                           "time to escalate=unifrom(1, 2)", "vars", "budget"),
                 "/api/models/demand-spend/ensemble");
    API_ERROR(r, 400, "bad_field", "vary[1]");
    assert_non_null(strstr(API_STR(r, "error.message"),
                           "vary[1]: unknown distribution 'unifrom'"));
    r = api_json(v, "POST",
                 json_pack("{s:i, s:[s], s:[s]}", "runs", 10, "vary",
                           "nothing=uniform(1, 2)", "vars", "budget"),
                 "/api/models/demand-spend/ensemble");
    API_ERROR(r, 400, "bad_field", "vary[0]");
    r = api_json(v, "POST",
                 json_pack("{s:i, s:[s], s:[s]}", "runs", 5001, "vary", spec,
                           "vars", "budget"),
                 "/api/models/demand-spend/ensemble");
    API_ERROR(r, 400, "bad_field", "runs");
    API_ERROR(api_json(v, "POST", json_pack("{s:[s]}", "vary", spec),
                       "/api/models/demand-spend/ensemble"),
              400, "missing_field", "runs");
    json_t *vars = json_array();
    for (int k = 0; k < 21; k++)
        json_array_append_new(vars, json_string("budget"));
    r = api_json(
        v, "POST",
        json_pack("{s:i, s:[s], s:o}", "runs", 10, "vary", spec, "vars", vars),
        "/api/models/demand-spend/ensemble");
    API_ERROR(r, 400, "bad_field", "vars");
    /* the work cap: 5000 runs of the largest model are too many */
    r = api_json(v, "POST",
                 json_pack("{s:i, s:[s], s:[s]}", "runs", 5000, "vary",
                           "locality start=uniform(1, 50)", "vars",
                           "total demand"),
                 "/api/models/failure-demand/ensemble");
    API_ERROR(r, 400, "bad_field", "runs");
    assert_non_null(strstr(API_STR(r, "error.message"), "cap"));
    /* without vars a model with more than 20 variables is refused */
    r = api_json(v, "POST",
                 json_pack("{s:i, s:[s]}", "runs", 10, "vary",
                           "locality start=uniform(1, 50)"),
                 "/api/models/failure-demand/ensemble");
    API_ERROR(r, 400, "missing_field", "vars");
}

/* ---- dominance ---------------------------------------------------------- */

static void test_dominance(void **state)
{
    ApiUser *v = U(state, VIEW);
    const ApiResp *r =
        api_req(v, "GET", NULL, "/api/models/demand-spend/dominance");
    API_STATUS(r, 200);
    size_t n = json_array_size(API_ARR(r, "time"));
    json_t *loops = API_ARR(r, "loops");
    assert_true(n > 2);
    assert_true(json_array_size(loops) >= 2);
    assert_string_equal(API_STR(r, "method"), "all"); /* 7 loops fit */
    assert_int_equal(json_array_size(API_ARR(r, "dominant")), n);
    assert_true(json_array_size(API_ARR(r, "periods")) >= 1);
    size_t i;
    json_t *l;
    json_array_foreach(loops, i, l)
    {
        assert_int_equal(json_array_size(json_object_get(l, "relative")), n);
        const char *pol = json_string_value(json_object_get(l, "polarity"));
        assert_non_null(strchr("RB?", pol[0]));
        assert_non_null(
            strstr(json_string_value(json_object_get(l, "loop")), " -> "));
    }
    /* relative scores add up to one in absolute value when any loop
     * is active */
    for (size_t t = 1; t < n; t++) {
        double sum = 0;
        json_array_foreach(loops, i, l)
        {
            sum += fabs(json_number_value(
                json_array_get(json_object_get(l, "relative"), t)));
        }
        assert_true(sum < 1e-12 || fabs(sum - 1) < 1e-6);
    }
    API_ERROR(api_req(v, "GET", NULL,
                      "/api/models/demand-spend/dominance"
                      "?max=0"),
              400, "bad_field", "max");
    /* Strongest-path on request. */
    r = api_req(v, "GET", NULL,
                "/api/models/demand-spend/dominance?loops=strongest&max=2");
    API_STATUS(r, 200);
    assert_string_equal(API_STR(r, "method"), "strongest");
    assert_true(API_INT(r, "listed") >= 2);
    assert_true(API_INT(r, "scored") >= API_INT(r, "listed"));
    API_ERROR(api_req(v, "GET", NULL,
                      "/api/models/demand-spend/dominance?loops=fast"),
              400, "bad_field", "loops");
}

/* ---- saved scenarios ---------------------------------------------------- */

static void test_saved(void **state)
{
    ApiUser *o = U(state, OWNER), *f = U(state, FAC), *c = U(state, CON),
            *v = U(state, VIEW), *x = U(state, OUT);
    const char *slug = "scen";
    const ApiResp *r = api_json(
        o, "POST", json_pack("{s:s, s:s}", "name", "Scenarios", "slug", slug),
        "/api/workspaces");
    API_STATUS(r, 201);
    join(state, f, slug, "facilitator");
    join(state, c, slug, "contributor");
    join(state, v, slug, "viewer");
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:{s:f}}", "model", "demand-spend", "name",
                  "measured cut", "description", API_XSS, "set",
                  "budget cut rate", 0.042);
    r = api_json(c, "POST", json_incref(body), "/api/w/%s/scenarios", slug);
    API_STATUS(r, 201);
    long long id = API_INT(r, "scenario.id");
    assert_string_equal(API_STR(r, "scenario.model"), "demand-spend");
    assert_true(json_number_value(
                    api_at(r->json, "scenario.set.budget cut rate")) == 0.042);
    /* the same name again is a conflict; a viewer and an outsider may not
     * add */
    API_ERROR(
        api_json(c, "POST", json_incref(body), "/api/w/%s/scenarios", slug),
        409, "conflict", "name");
    API_STATUS(
        api_json(v, "POST", json_incref(body), "/api/w/%s/scenarios", slug),
        403);
    API_STATUS(
        api_json(x, "POST", json_incref(body), "/api/w/%s/scenarios", slug),
        404);
    json_decref(body);
    /* bad fields */
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:s, s:{s:i}}", "model", "nothing",
                                 "name", "n", "set", "a", 1),
                       "/api/w/%s/scenarios", slug),
              400, "bad_field", "model");
    API_ERROR(api_json(c, "POST",
                       json_pack("{s:s, s:s, s:{s:i}}", "model", "demand-spend",
                                 "name", "n", "set", "nope", 1),
                       "/api/w/%s/scenarios", slug),
              400, "bad_field", "set.nope");
    API_ERROR(
        api_json(c, "POST",
                 json_pack("{s:s, s:s}", "model", "demand-spend", "name", "n"),
                 "/api/w/%s/scenarios", slug),
        400, "missing_field", "set");
    /* everyone reads */
    r = api_req(v, "GET", NULL, "/api/w/%s/scenarios?model=demand-spend", slug);
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 1);
    assert_string_equal(API_STR(r, "scenarios.0.description"), API_XSS);
    r = api_req(v, "GET", NULL, "/api/w/%s/scenarios?model=failure-demand",
                slug);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 0);
    /* a facilitator's own scenario: the contributor may not change it */
    r = api_json(f, "POST",
                 json_pack("{s:s, s:s, s:{s:i}}", "model", "failure-demand",
                           "name", "early locality", "set", "locality start",
                           10),
                 "/api/w/%s/scenarios", slug);
    API_STATUS(r, 201);
    long long fid = API_INT(r, "scenario.id");
    API_ERROR(api_json(c, "PATCH", json_pack("{s:s}", "name", "mine"),
                       "/api/w/%s/scenarios/%lld", slug, fid),
              403, "forbidden", NULL);
    API_ERROR(api_req(c, "DELETE", NULL, "/api/w/%s/scenarios/%lld", slug, fid),
              403, "forbidden", NULL);
    API_STATUS(api_req(v, "DELETE", NULL, "/api/w/%s/scenarios/%lld", slug, id),
               403);
    /* the author edits, the facilitator edits anyone's */
    r = api_json(c, "PATCH",
                 json_pack("{s:{s:f}}", "set", "budget cut rate", 0.045),
                 "/api/w/%s/scenarios/%lld", slug, id);
    API_STATUS(r, 200);
    assert_true(json_number_value(
                    api_at(r->json, "scenario.set.budget cut rate")) == 0.045);
    assert_string_equal(API_STR(r, "scenario.name"), "measured cut");
    r = api_json(f, "PATCH", json_pack("{s:s}", "name", "measured cut 2025"),
                 "/api/w/%s/scenarios/%lld", slug, id);
    API_STATUS(r, 200);
    API_ERROR(api_json(f, "PATCH", json_pack("{s:{s:i}}", "set", "nope", 1),
                       "/api/w/%s/scenarios/%lld", slug, id),
              400, "bad_field", "set.nope");
    API_ERROR(api_json(f, "PATCH", json_pack("{s:s}", "name", "x"),
                       "/api/w/%s/scenarios/999999", slug),
              404, "not_found", NULL);
    /* events */
    r = api_req(v, "GET", NULL, "/api/w/%s/events", slug);
    API_STATUS(r, 200);
    int adds = 0, edits = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(api_at(r->json, "events"), i, ev)
    {
        const char *act = json_string_value(json_object_get(ev, "action"));
        adds += !strcmp(act, "scenario.add");
        edits += !strcmp(act, "scenario.edit");
    }
    assert_int_equal(adds, 2);
    assert_int_equal(edits, 2);
    /* export and import keep them */
    r = api_req(o, "GET", NULL, "/api/w/%s/export.json", slug);
    API_STATUS(r, 200);
    json_t *doc = json_deep_copy(r->json);
    assert_int_equal(json_array_size(json_object_get(doc, "scenarios")), 2);
    json_object_set_new(doc, "slug", json_string("scen-copy"));
    r = api_json(o, "POST", doc, "/api/workspaces/import");
    API_STATUS(r, 201);
    r = api_req(o, "GET", NULL, "/api/w/scen-copy/scenarios");
    API_STATUS(r, 200);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 2);
    assert_string_equal(API_STR(r, "scenarios.0.name"), "measured cut 2025");
    assert_true(json_number_value(api_at(
                    r->json, "scenarios.0.set.budget cut rate")) == 0.045);
    /* a bad scenario in a document names its place */
    r = api_send(o, "POST", "/api/workspaces/import",
                 "{\"format\":\"territory-workspace\",\"version\":1,"
                 "\"slug\":\"scen-bad\",\"name\":\"Bad\",\"scenarios\":"
                 "[{\"model\":\"demand-spend\",\"name\":\"a\",\"set\":"
                 "{\"x\":\"y\"}}]}",
                 NULL);
    API_ERROR(r, 400, "bad_field", "scenarios[0].set.x");
    /* delete */
    /* renamed by the facilitator, it is still the contributor's */
    API_STATUS(api_req(c, "DELETE", NULL, "/api/w/%s/scenarios/%lld", slug, id),
               204);
    r = api_req(v, "GET", NULL, "/api/w/%s/scenarios", slug);
    assert_int_equal(json_array_size(API_ARR(r, "scenarios")), 1);
    r = api_req(v, "GET", NULL, "/api/w/%s/events?limit=1", slug);
    assert_string_equal(API_STR(r, "events.0.action"), "scenario.delete");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_list_and_get, test_teardown),
        cmocka_unit_test_teardown(test_run, test_teardown),
        cmocka_unit_test_teardown(test_compare, test_teardown),
        cmocka_unit_test_teardown(test_ensemble, test_teardown),
        cmocka_unit_test_teardown(test_dominance, test_teardown),
        cmocka_unit_test_teardown(test_saved, test_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
