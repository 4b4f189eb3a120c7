/*
 * api_models.c - the model library in the browser: the models compiled
 * into the binary (web/assets.txt's @models/NAME.xmile, .md and
 * .scenarios.json), runs, scenario comparisons, ensembles and loop
 * dominance computed on request (never inside a database transaction,
 * and capped in work), and a workspace's saved scenarios
 * (/api/w/:slug/scenarios). Also the pure parsers of these requests'
 * bodies, for the fuzz target.
 */
#include "web_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/map.h"
#include "sd/sd.h"
#include "web/assets.h"

/* ---- the library ------------------------------------------------------- */

/* The asset @models/NAME.EXT, or NULL. */
static const WebAsset *lib_asset(const char *name, const char *ext)
{
    char path[200];
    if (!store_model_name_ok(name))
        return NULL;
    snprintf(path, sizeof path, "@models/%s.%s", name, ext);
    return web_asset_find(path);
}

/* Reads library model name; ENOTFOUND when there is none. */
static int lib_load(const char *name, SdModel **m, StoreErr *e)
{
    *m = NULL;
    const WebAsset *x = lib_asset(name, "xmile");
    if (!x) {
        web_field_err(e, "not_found", NULL, "no model '%.64s' in the library",
                      name);
        e->rc = STORE_ENOTFOUND;
        return STORE_ENOTFOUND;
    }
    TDiags d = {0};
    char file[200];
    snprintf(file, sizeof file, "%s.xmile", name);
    int rc = sd_model_from_xmile((const char *)x->data, x->len, file, m, &d);
    diags_free(&d);
    if (rc != T_OK)
        return web_field_err(e, "internal", NULL,
                             "the library model '%s' does not load", name);
    return STORE_OK;
}

/* The first line of the document that starts with "# ", without it. */
static json_t *doc_title(const char *md, const char *dflt)
{
    for (const char *p = md; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (n > 2 && p[0] == '#' && p[1] == ' ')
            return json_stringn(p + 2, n - 2);
        p = eol ? eol + 1 : NULL;
    }
    return json_string(dflt);
}

/* The document's purpose: the first sentence after "**Purpose.**", else
 * of the first paragraph that is not a heading; lines joined. */
static json_t *doc_purpose(const char *md)
{
    const char *p = md ? strstr(md, "**Purpose.**") : NULL;
    if (p)
        p += strlen("**Purpose.**");
    else
        for (p = md; p && *p && (*p == '#' || *p == '\n');) {
            const char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : NULL;
        }
    char out[400];
    size_t n = 0;
    for (; p && *p && n < sizeof out - 1; p++) {
        char ch = *p == '\n' ? ' ' : *p;
        if (ch == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        if (*p == '\n' && p[1] == '\n')
            break;
        out[n++] = ch;
        if (ch == '.' && (p[1] == ' ' || p[1] == '\n' || !p[1]))
            break;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    return json_stringn(out, n);
}

/* A JSON number, or null when it is not finite. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v == 0 ? 0 : v) : json_null();
}

/* Whether an equation is a plain number (into *v). */
static bool const_value(const SdVar *v, double *out)
{
    if (v->kind != SD_AUX || v->gf || !v->eqn || v->ndims)
        return false;
    char buf[64];
    const char *s = v->eqn;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return str_to_double(buf, out);
}

/* [{name, kind, units, constant, value?, graph?, doc?}] of the model's
 * visible variables, in file order. */
static json_t *vars_json(const SdModel *m)
{
    json_t *list = json_array();
    static const char *const kinds[] = {"stock", "flow", "aux"};
    for (int i = 0; i < m->nvars; i++) {
        const SdVar *v = &m->vars[i];
        if (v->hidden)
            continue;
        double val = 0;
        bool c = const_value(v, &val);
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", v->name, "kind",
                              kinds[v->kind], "units", v->units ? v->units : "",
                              "constant", c);
        if (c)
            json_object_set_new(o, "value", num(val));
        if (v->gf) {
            json_t *pts = json_array();
            for (int k = 0; k < v->gf->n; k++)
                json_array_append_new(pts, json_pack("[o, o]", num(v->gf->x[k]),
                                                     num(v->gf->y[k])));
            json_object_set_new(o, "graph", pts);
        }
        if (v->doc)
            json_object_set_new(o, "doc", json_string(v->doc));
        json_array_append_new(list, o);
    }
    return list;
}

/* The shipped scenarios of a library model (the file's array), or []. */
static json_t *shipped(const char *name)
{
    const WebAsset *s = lib_asset(name, "scenarios.json");
    json_t *root =
        s ? json_loadb((const char *)s->data, s->len, 0, NULL) : NULL;
    json_t *list = json_object_get(root, "scenarios");
    json_t *out = json_is_array(list) ? json_incref(list) : json_array();
    json_decref(root);
    return out;
}

static json_t *time_json(const SdModel *m)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:s}", "start", num(m->start),
                     "stop", num(m->stop), "dt", num(m->dt), "saveper",
                     num(m->saveper), "units",
                     m->time_units ? m->time_units : "");
}

void web_models_list(WebCtx *c)
{
    json_t *list = json_array();
    for (size_t i = 0; i < web_nassets; i++) {
        const char *p = web_assets[i].path;
        size_t n = strlen(p);
        if (strncmp(p, "@models/", 8) || n < 14 || strcmp(p + n - 6, ".xmile"))
            continue;
        char name[STORE_SLUG_MAX + 8];
        snprintf(name, sizeof name, "%.*s", (int)(n - 14), p + 8);
        SdModel *m = NULL;
        StoreErr e = {0};
        if (lib_load(name, &m, &e) != STORE_OK)
            continue;
        const WebAsset *md = lib_asset(name, "md");
        const char *text = md ? (const char *)md->data : "";
        json_array_append_new(
            list, json_pack("{s:s, s:o, s:o, s:o, s:o}", "name", name, "title",
                            doc_title(text, name), "purpose", doc_purpose(text),
                            "time", time_json(m), "variables", vars_json(m)));
        sd_model_free(m);
    }
    web_json(c, 200, json_pack("{s:o}", "models", list));
}

void web_model_get(WebCtx *c)
{
    SdModel *m = NULL;
    StoreErr e = {0};
    if (lib_load(c->m.token, &m, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    const WebAsset *md = lib_asset(c->m.token, "md");
    const char *text = md ? (const char *)md->data : "";
    json_t *out =
        json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "name", c->m.token,
                  "title", doc_title(text, c->m.token), "purpose",
                  doc_purpose(text), "document", text, "time", time_json(m),
                  "variables", vars_json(m), "scenarios", shipped(c->m.token));
    sd_model_free(m);
    web_json(c, 200, out);
}

/* ---- request bodies ---------------------------------------------------- */

/* A list of variable names at key (NULL when absent). */
static int parse_names(json_t *b, const char *key, int max, Arena *a,
                       const char ***out, int *n, StoreErr *e)
{
    *out = NULL;
    *n = 0;
    json_t *v = json_object_get(b, key);
    if (!v || json_is_null(v))
        return STORE_OK;
    size_t len = json_array_size(v);
    if (!json_is_array(v) || len == 0 || len > (size_t)max)
        return web_field_err(e, "bad_field", key,
                             "%s: must be a list of 1 to %d variable names",
                             key, max);
    *out = arena_alloc(a, sizeof(char *) * len);
    if (!*out)
        return web_field_err(e, "internal", NULL, "out of memory");
    for (size_t i = 0; i < len; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        char field[32];
        snprintf(field, sizeof field, "%s[%zu]", key, i);
        if (!s || !store_text_ok(s, 1, STORE_SCEN_VAR_MAX))
            return web_field_err(e, "bad_field", field,
                                 "%s: must be a variable name (1 to %d "
                                 "characters)",
                                 field, STORE_SCEN_VAR_MAX);
        (*out)[(*n)++] = s;
    }
    return STORE_OK;
}

/* A scenario's set (and graphs) checked; path prefixes the fields. */
static int parse_spec(json_t *o, const char *path, StoreErr *e)
{
    char field[128], msg[384];
    if (!store_scenario_spec_ok(json_object_get(o, "set"),
                                json_object_get(o, "graphs"), path, field,
                                sizeof field, msg, sizeof msg))
        return web_field_err(e, "bad_field", field, "%s: %s", field, msg);
    return STORE_OK;
}

/* A diagnostic "FIELD: message" of sd_scenarios_parse as a field error. */
static int diag_field_err(const TDiags *d, StoreErr *e)
{
    const char *msg = d->len ? d->items[0].message : "bad scenarios";
    const char *colon = strstr(msg, ": ");
    char field[128] = "scenarios";
    if (colon && (size_t)(colon - msg) < sizeof field &&
        !memchr(msg, ' ', (size_t)(colon - msg)))
        snprintf(field, sizeof field, "%.*s", (int)(colon - msg), msg);
    return web_field_err(e, "bad_field", field, "%s", msg);
}

int web_parse_model_req(json_t *b, int kind, Arena *a, WebModelReq *out,
                        StoreErr *e)
{
    memset(out, 0, sizeof *out);
    out->baseline = true;
    out->seed = 1;
    int rc = parse_names(b, "vars", kind == WEB_MODEL_ENSEMBLE ? 20 : 200, a,
                         &out->vars, &out->nvars, e);
    if (rc == STORE_OK && kind != WEB_MODEL_COMPARE)
        rc = parse_spec(b, "", e);
    if (rc == STORE_OK && kind != WEB_MODEL_COMPARE) {
        /* the set as a scenario of its own */
        json_t *set = json_object_get(b, "set");
        SdScenario *s = arena_alloc(a, sizeof *s);
        size_t n = json_object_size(set);
        if (!s)
            return web_field_err(e, "internal", NULL, "out of memory");
        memset(s, 0, sizeof *s);
        s->name = "run";
        s->set_names = arena_alloc(a, sizeof(char *) * (n + 1));
        s->set_values = arena_alloc(a, sizeof(double) * (n + 1));
        if (!s->set_names || !s->set_values)
            return web_field_err(e, "internal", NULL, "out of memory");
        const char *key;
        json_t *v;
        json_object_foreach(set, key, v)
        {
            s->set_names[s->nset] = key;
            s->set_values[s->nset++] = json_number_value(v);
        }
        out->scen = s;
        out->nscen = 1;
    }
    if (rc == STORE_OK && kind == WEB_MODEL_COMPARE) {
        json_t *list = json_object_get(b, "scenarios");
        json_t *base = json_object_get(b, "baseline");
        if (base && !json_is_null(base) && !json_is_boolean(base))
            return web_field_err(e, "bad_field", "baseline",
                                 "baseline: must be true or false");
        out->baseline = !json_is_false(base);
        size_t n = json_array_size(list);
        if (!list)
            return web_field_err(e, "missing_field", "scenarios",
                                 "missing 'scenarios'");
        if (!json_is_array(list) || n == 0 || n > WEB_MODELS_SCENARIOS)
            return web_field_err(e, "bad_field", "scenarios",
                                 "scenarios: must be a list of 1 to %d "
                                 "scenarios",
                                 WEB_MODELS_SCENARIOS);
        size_t i;
        json_t *o;
        json_array_foreach(list, i, o)
        {
            char path[40];
            snprintf(path, sizeof path, "scenarios[%zu]", i);
            if (json_is_object(o) && (rc = parse_spec(o, path, e)) != STORE_OK)
                return rc;
        }
        json_t *wrap = json_pack("{s:O}", "scenarios", list);
        char *text = wrap ? json_dumps(wrap, JSON_COMPACT) : NULL;
        json_decref(wrap);
        if (!text)
            return web_field_err(e, "internal", NULL, "out of memory");
        TDiags d = {0};
        int r = sd_scenarios_parse(a, text, strlen(text), NULL, &out->scen,
                                   &out->nscen, &d);
        free(text);
        if (r == T_EINTERNAL)
            rc = web_field_err(e, "internal", NULL, "out of memory");
        else if (r != T_OK)
            rc = diag_field_err(&d, e);
        diags_free(&d);
        if (rc != STORE_OK)
            return rc;
        for (int k = 0; k < out->nscen; k++)
            if (!strcmp(out->scen[k].name, "baseline") && out->baseline)
                return web_field_err(e, "bad_field", "scenarios",
                                     "scenarios[%d].name: 'baseline' names "
                                     "the model as it is; pick another name",
                                     k);
    }
    if (rc == STORE_OK && kind == WEB_MODEL_ENSEMBLE) {
        json_t *runs = json_object_get(b, "runs");
        json_t *seed = json_object_get(b, "seed");
        json_t *vary = json_object_get(b, "vary");
        if (!runs)
            return web_field_err(e, "missing_field", "runs", "missing 'runs'");
        if (!json_is_integer(runs) || json_integer_value(runs) < 1 ||
            json_integer_value(runs) > WEB_MODELS_RUNS)
            return web_field_err(e, "bad_field", "runs",
                                 "runs: must be a whole number from 1 to %d",
                                 WEB_MODELS_RUNS);
        out->runs = (long)json_integer_value(runs);
        if (seed && !json_is_null(seed)) {
            if (!json_is_integer(seed) || json_integer_value(seed) < 0)
                return web_field_err(e, "bad_field", "seed",
                                     "seed: must be a whole number from 0");
            out->seed = (unsigned long long)json_integer_value(seed);
        }
        size_t n = json_array_size(vary);
        if (!vary)
            return web_field_err(e, "missing_field", "vary", "missing 'vary'");
        if (!json_is_array(vary) || n == 0 || n > WEB_MODELS_VARY)
            return web_field_err(e, "bad_field", "vary",
                                 "vary: must be a list of 1 to %d "
                                 "'NAME=DIST(ARGS)'",
                                 WEB_MODELS_VARY);
        out->vary = arena_alloc(a, sizeof(SdVary) * n);
        if (!out->vary)
            return web_field_err(e, "internal", NULL, "out of memory");
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(vary, i));
            char field[32];
            snprintf(field, sizeof field, "vary[%zu]", i);
            if (!s || !store_text_ok(s, 1, 400))
                return web_field_err(e, "bad_field", field,
                                     "%s: must be 'NAME=DIST(ARGS)'", field);
            TDiags d = {0};
            int r = sd_vary_parse(a, s, &out->vary[i], &d);
            if (r != T_OK)
                rc = web_field_err(e, "bad_field", field, "%s: %s", field,
                                   d.len ? d.items[0].message : "bad");
            diags_free(&d);
            if (rc != STORE_OK)
                return rc;
            out->nvary++;
        }
    }
    return rc;
}

int web_parse_scenario(json_t *b, bool create, StoreScenario *out, StoreErr *e)
{
    memset(out, 0, sizeof *out);
    json_t *model = json_object_get(b, "model");
    json_t *name = json_object_get(b, "name");
    json_t *desc = json_object_get(b, "description");
    if (create && !model)
        return web_field_err(e, "missing_field", "model", "missing 'model'");
    if (model && !store_model_name_ok(json_string_value(model)))
        return web_field_err(e, "bad_field", "model",
                             "model: must be the name of a library model");
    if (create && !name)
        return web_field_err(e, "missing_field", "name", "missing 'name'");
    if (name &&
        (!json_is_string(name) ||
         !store_text_ok(json_string_value(name), 1, STORE_SCEN_NAME_MAX)))
        return web_field_err(e, "bad_field", "name",
                             "name: must be 1 to %d characters",
                             STORE_SCEN_NAME_MAX);
    if (desc && !json_is_null(desc) &&
        (!json_is_string(desc) ||
         !store_text_ok(json_string_value(desc), 0, STORE_SCEN_DESC_MAX)))
        return web_field_err(e, "bad_field", "description",
                             "description: must be 0 to %d characters",
                             STORE_SCEN_DESC_MAX);
    json_t *set = json_object_get(b, "set"),
           *graphs = json_object_get(b, "graphs");
    if (create && !set)
        return web_field_err(e, "missing_field", "set", "missing 'set'");
    int rc = parse_spec(b, "", e);
    if (rc != STORE_OK)
        return rc;
    out->model = json_string_value(model);
    out->name = json_string_value(name);
    out->description = json_string_value(desc);
    out->set = set && !json_is_null(set) ? set : NULL;
    out->graphs = graphs && !json_is_null(graphs) ? graphs : NULL;
    return STORE_OK;
}

/* ---- checks against the model ------------------------------------------ */

/* Every variable a scenario sets or whose graph it replaces is in the
 * model; path names the scenario's fields ("" or "scenarios[2]"). */
static int check_scenario(SdModel *m, const char *model, const SdScenario *s,
                          const char *path, StoreErr *e)
{
    const char *dot = *path ? "." : "";
    for (int i = 0; i < s->nset; i++)
        if (!sd_model_find(m, s->set_names[i])) {
            char field[STORE_SCEN_VAR_MAX * 4 + 64];
            snprintf(field, sizeof field, "%s%sset.%s", path, dot,
                     s->set_names[i]);
            return web_field_err(e, "bad_field", field,
                                 "%s: no variable '%s' in model '%s'", field,
                                 s->set_names[i], model);
        }
    for (int i = 0; i < s->ngraphs; i++) {
        SdVar *v = sd_model_find(m, s->graph_names[i]);
        char field[STORE_SCEN_VAR_MAX * 4 + 64];
        snprintf(field, sizeof field, "%s%sgraphs.%s", path, dot,
                 s->graph_names[i]);
        if (!v || !v->gf)
            return web_field_err(e, "bad_field", field,
                                 "%s: no graphical function '%s' in model "
                                 "'%s'",
                                 field, s->graph_names[i], model);
    }
    return STORE_OK;
}

/* The model's time steps and the work of one run (steps x variables). */
static double run_work(const SdModel *m)
{
    double steps = m->dt > 0 ? (m->stop - m->start) / m->dt + 1 : 1;
    return steps * (m->nvars > 0 ? m->nvars : 1);
}

/* Answers a parse or check failure. */
static void fail(WebCtx *c, const StoreErr *e)
{
    web_store_error(c, e);
}

/* Reads the body and loads the model for a computation. */
static bool begin(WebCtx *c, int kind, Arena *a, WebModelReq *rq, SdModel **m)
{
    StoreErr e = {0};
    *m = NULL;
    if (lib_load(c->m.token, m, &e) != STORE_OK ||
        web_parse_model_req(c->body, kind, a, rq, &e) != STORE_OK) {
        fail(c, &e);
        sd_model_free(*m);
        *m = NULL;
        return false;
    }
    return true;
}

/* ---- runs and comparisons ---------------------------------------------- */

typedef struct Run {
    const SdScenario *sc; /* NULL: the model as it is */
    SdResults *r;         /* its results */
} Run;

/* Runs the model under each scenario (and the baseline); the answer is
 * `territory compare --format json`'s shape, its table at the final
 * time. */
static void compare(WebCtx *c, int kind)
{
    Arena a;
    arena_init(&a);
    WebModelReq rq;
    SdModel *m0 = NULL;
    if (!begin(c, kind, &a, &rq, &m0)) {
        arena_free(&a);
        return;
    }
    StoreErr e = {0};
    int rc = STORE_OK;
    for (int i = 0; rc == STORE_OK && i < rq.nscen; i++) {
        char path[40] = "";
        if (kind == WEB_MODEL_COMPARE)
            snprintf(path, sizeof path, "scenarios[%d]", i);
        rc = check_scenario(m0, c->m.token, &rq.scen[i], path, &e);
    }
    bool base = kind == WEB_MODEL_COMPARE && rq.baseline;
    int nruns = rq.nscen + (base ? 1 : 0);
    Run *runs = calloc((size_t)nruns + 1, sizeof *runs);
    int *save = rq.nvars ? calloc((size_t)rq.nvars, sizeof *save) : NULL;
    if (rc == STORE_OK && (!runs || (rq.nvars && !save)))
        rc = web_field_err(&e, "internal", NULL, "out of memory");
    for (int i = 0; runs && i < rq.nscen; i++)
        runs[i + (base ? 1 : 0)].sc = &rq.scen[i];
    TDiags d = {0};
    for (int i = 0; rc == STORE_OK && i < nruns; i++) {
        SdModel *m = NULL;
        SdProgram *p = NULL;
        StoreErr le = {0};
        int r = lib_load(c->m.token, &m, &le);
        if (r == STORE_OK && runs[i].sc)
            r = sd_scenario_apply(m, runs[i].sc, &d);
        if (r == STORE_OK)
            r = sd_compile(m, &p, &d);
        for (int k = 0; r == STORE_OK && i == 0 && k < rq.nvars; k++)
            if ((save[k] = sd_program_find(p, rq.vars[k])) < 0) {
                char field[32];
                snprintf(field, sizeof field, "vars[%d]", k);
                rc = web_field_err(&e, "bad_field", field,
                                   "%s: no variable '%s' to report", field,
                                   rq.vars[k]);
                r = T_EINPUT;
            }
        if (r == STORE_OK) {
            SdRunOpts ro = {.vars = save,
                            .nvars = save ? rq.nvars : 0,
                            .max_steps = WEB_MODELS_STEPS};
            r = sd_run(p, &ro, &runs[i].r, &d);
        }
        if (r != STORE_OK && rc == STORE_OK)
            rc = web_field_err(
                &e, "bad_field",
                kind == WEB_MODEL_COMPARE ? "scenarios" : "set",
                "the run%s%s%s failed: %s", runs[i].sc ? " of '" : "",
                runs[i].sc ? runs[i].sc->name : "", runs[i].sc ? "'" : "",
                d.len ? d.items[0].message : "an error");
        sd_program_free(p);
        sd_model_free(m);
    }
    diags_free(&d);
    json_t *out = NULL;
    if (rc == STORE_OK) {
        const SdResults *r0 = runs[0].r;
        size_t nc = (size_t)r0->ncols;
        json_t *scs = json_array(), *time = json_array(), *vars = json_array(),
               *table = json_array();
        for (int s = 0; s < nruns; s++) {
            const SdScenario *sc = runs[s].sc;
            json_t *set = json_object();
            for (int k = 0; sc && k < sc->nset; k++)
                json_object_set_new(set, sc->set_names[k],
                                    num(sc->set_values[k]));
            json_t *o = json_pack("{s:s, s:o}", "name",
                                  sc ? sc->name : "baseline", "set", set);
            if (sc && sc->description)
                json_object_set_new(o, "description",
                                    json_string(sc->description));
            json_array_append_new(scs, o);
        }
        for (int t = 0; t < r0->nrows; t++)
            json_array_append_new(time, num(r0->data[(size_t)t * nc]));
        size_t last = (size_t)(r0->nrows - 1);
        for (size_t col = 1; col < nc; col++) {
            json_t *series = json_array(), *vals = json_array();
            for (int s = 0; s < nruns; s++) {
                const SdResults *r = runs[s].r;
                json_t *line = json_array();
                for (int t = 0; t < r->nrows && (size_t)r->ncols == nc; t++)
                    json_array_append_new(line,
                                          num(r->data[(size_t)t * nc + col]));
                json_array_append_new(series, line);
                json_array_append_new(vals, (size_t)r->nrows == last + 1
                                                ? num(r->data[last * nc + col])
                                                : json_null());
            }
            json_array_append_new(vars,
                                  json_pack("{s:s, s:o}", "name",
                                            r0->names[col], "series", series));
            json_array_append_new(table, json_pack("{s:s, s:o, s:o}", "var",
                                                   r0->names[col], "time",
                                                   num(r0->data[last * nc]),
                                                   "values", vals));
        }
        out = json_pack("{s:s, s:o, s:o, s:o, s:o}", "model", c->m.token,
                        "scenarios", scs, "time", time, "vars", vars, "table",
                        table);
    }
    for (int i = 0; runs && i < nruns; i++)
        sd_results_free(runs[i].r);
    free(runs);
    free(save);
    sd_model_free(m0);
    arena_free(&a);
    if (rc == STORE_OK)
        web_json(c, 200, out);
    else
        fail(c, &e);
}

void web_model_run(WebCtx *c)
{
    compare(c, WEB_MODEL_RUN);
}

void web_model_compare(WebCtx *c)
{
    compare(c, WEB_MODEL_COMPARE);
}

/* ---- ensembles --------------------------------------------------------- */

void web_model_ensemble(WebCtx *c)
{
    Arena a;
    arena_init(&a);
    WebModelReq rq;
    SdModel *m = NULL;
    if (!begin(c, WEB_MODEL_ENSEMBLE, &a, &rq, &m)) {
        arena_free(&a);
        return;
    }
    StoreErr e = {0};
    int rc = check_scenario(m, c->m.token, rq.scen, "", &e);
    for (int i = 0; rc == STORE_OK && i < rq.nvary; i++)
        if (!sd_model_find(m, rq.vary[i].name)) {
            char field[32];
            snprintf(field, sizeof field, "vary[%d]", i);
            rc = web_field_err(&e, "bad_field", field,
                               "%s: no variable '%s' in model '%s'", field,
                               rq.vary[i].name, c->m.token);
        }
    for (int i = 0; rc == STORE_OK && i < rq.nvars; i++)
        if (!sd_model_find(m, rq.vars[i])) {
            char field[32];
            snprintf(field, sizeof field, "vars[%d]", i);
            rc = web_field_err(&e, "bad_field", field,
                               "%s: no variable '%s' to report", field,
                               rq.vars[i]);
        }
    int shown = 0;
    for (int i = 0; i < m->nvars; i++)
        shown += !m->vars[i].hidden;
    if (rc == STORE_OK && !rq.nvars && shown > WEB_MODELS_ENSEMBLE_VARS)
        rc = web_field_err(&e, "missing_field", "vars",
                           "vars: model '%s' has %d variables; name at most "
                           "%d to summarise",
                           c->m.token, shown, WEB_MODELS_ENSEMBLE_VARS);
    double work = (double)rq.runs * run_work(m);
    if (rc == STORE_OK && work > WEB_MODELS_WORK) {
        long most = (long)(WEB_MODELS_WORK / run_work(m));
        rc = web_field_err(&e, "bad_field", "runs",
                           "runs: %ld runs of '%s' would take %.3g "
                           "variable-steps, over the server's cap of %.3g; "
                           "ask for at most %ld",
                           rq.runs, c->m.token, work, WEB_MODELS_WORK, most);
    }
    TDiags d = {0};
    SdEnsemble *ens = NULL;
    if (rc == STORE_OK) {
        TDiags sd = {0};
        for (int i = 0; i < rq.scen->nset; i++)
            sd_model_set(m, rq.scen->set_names[i], rq.scen->set_values[i], &sd);
        diags_free(&sd);
        SdEnsembleOpts o = {.runs = rq.runs,
                            .seed = rq.seed,
                            .threads = WEB_MODELS_THREADS,
                            .vary = rq.vary,
                            .nvary = rq.nvary,
                            .names = rq.vars,
                            .nnames = rq.nvars,
                            .max_steps = WEB_MODELS_STEPS};
        int r = sd_ensemble_run(m, &o, &ens, &d);
        if (r != T_OK)
            rc = web_field_err(&e, r == T_EINTERNAL ? "internal" : "bad_field",
                               r == T_EINTERNAL ? NULL : "vary",
                               "the ensemble failed: %s",
                               d.len ? d.items[0].message : "an error");
    }
    diags_free(&d);
    json_t *out = NULL;
    if (rc == STORE_OK) {
        json_t *vary = json_array(), *time = json_array(), *vars = json_array();
        for (int j = 0; j < rq.nvary; j++) {
            json_t *ps = json_array();
            for (int k = 0; k < sd_dist_nargs(rq.vary[j].dist); k++)
                json_array_append_new(ps, num(rq.vary[j].p[k]));
            json_array_append_new(vary, json_pack("{s:s, s:s, s:o}", "name",
                                                  rq.vary[j].name, "dist",
                                                  sd_dist_name(rq.vary[j].dist),
                                                  "params", ps));
        }
        for (int t = 0; t < ens->nrows; t++)
            json_array_append_new(time, num(ens->time[t]));
        static const char *const key[] = {"p5",  "p25", "p50",
                                          "p75", "p95", "mean"};
        for (int v = 0; v < ens->nvars; v++) {
            json_t *o = json_pack("{s:s}", "name", ens->names[v]);
            for (int k = 0; k <= SD_ENSEMBLE_NQ; k++) {
                json_t *line = json_array();
                for (int t = 0; t < ens->nrows; t++) {
                    size_t at = (size_t)v * (size_t)ens->nrows + (size_t)t;
                    json_array_append_new(
                        line, num(k < SD_ENSEMBLE_NQ
                                      ? ens->q[at * SD_ENSEMBLE_NQ + (size_t)k]
                                      : ens->mean[at]));
                }
                json_object_set_new(o, key[k], line);
            }
            json_array_append_new(vars, o);
        }
        out =
            json_pack("{s:s, s:I, s:I, s:o, s:[i,i,i,i,i], s:o, s:o}", "model",
                      c->m.token, "runs", (json_int_t)ens->runs, "seed",
                      (json_int_t)rq.seed, "vary", vary, "percentiles", 5, 25,
                      50, 75, 95, "time", time, "vars", vars);
    }
    sd_ensemble_free(ens);
    sd_model_free(m);
    arena_free(&a);
    if (rc == STORE_OK)
        web_json(c, 200, out);
    else
        fail(c, &e);
}

/* ---- loop dominance ---------------------------------------------------- */

void web_model_dominance(WebCtx *c)
{
    StoreErr e = {0};
    long long max = 0;
    /* loops=all|strongest; by default every loop when they fit in max,
     * else strongest-path discovery (as `territory dominance`). */
    const char *meth = web_arg(c, WEB_QUERY, "loops");
    if (meth && strcmp(meth, "all") && strcmp(meth, "strongest")) {
        web_field_err(&e, "bad_field", "loops",
                      "'loops' must be all or strongest");
        fail(c, &e);
        return;
    }
    if (web_parse_count(web_arg(c, WEB_QUERY, "max"), "max", 1, 1000, 100, &max,
                        &e) != STORE_OK) {
        fail(c, &e);
        return;
    }
    SdModel *m = NULL;
    if (lib_load(c->m.token, &m, &e) != STORE_OK) {
        fail(c, &e);
        return;
    }
    TDiags d = {0};
    SdProgram *p = NULL;
    MapDominance *dm = NULL;
    int rc = sd_compile(m, &p, &d);
    if (rc == T_OK) {
        MapDominanceOpts o = {(int)max,
                              WEB_LOOPS_BUDGET,
                              !meth                        ? MAP_DOM_AUTO
                              : !strcmp(meth, "strongest") ? MAP_DOM_STRONGEST
                                                           : MAP_DOM_ALL,
                              {.max_steps = WEB_MODELS_STEPS}};
        rc = map_dominance(p, &o, &dm, &d);
    }
    json_t *out = NULL;
    if (rc == T_OK) {
        const SdLtm *t = dm->ltm;
        const MapGraph *g = dm->graph;
        json_t *loops = json_array(), *time = json_array(), *dom = json_array(),
               *periods = json_array();
        for (int j = 0; j < dm->listed; j++) {
            const MapDomLoop *lp = &dm->loops[j];
            TBuf lab = {0};
            map_dominance_label(dm, j, &lab);
            json_t *vars = json_array(), *rel = json_array();
            for (int q = 0; q < lp->length; q++)
                json_array_append_new(vars,
                                      json_string(g->names[lp->nodes[q]]));
            for (int r = 0; r < t->nrows; r++)
                json_array_append_new(
                    rel, num(t->relative[(size_t)r * (size_t)t->nloops +
                                         (size_t)lp->scored]));
            char ps[2] = {lp->polarity, 0};
            json_array_append_new(
                loops,
                json_pack("{s:s, s:s, s:i, s:s, s:o, s:o}", "id", lp->id,
                          "polarity", ps, "length", lp->length, "loop",
                          tbuf_cstr(&lab), "variables", vars, "relative", rel));
            tbuf_free(&lab);
        }
        /* Runs of the same dominant loop (always listed: sd_ltm_pick keeps
         * every loop that dominates). */
        int from = 0;
        for (int r = 0; r < t->nrows; r++) {
            int b = dm->dominant[r];
            json_array_append_new(time, num(t->time[r]));
            json_array_append_new(dom, b < 0 ? json_null()
                                             : json_string(dm->loops[b].id));
            if (r == t->nrows - 1 || dm->dominant[r + 1] != b) {
                json_array_append_new(
                    periods,
                    json_pack("{s:o, s:o, s:o}", "from", num(t->time[from]),
                              "to", num(t->time[r]), "loop",
                              b < 0 ? json_null()
                                    : json_string(dm->loops[b].id)));
                from = r + 1;
            }
        }
        out =
            json_pack("{s:s, s:s, s:I, s:b, s:i, s:i, s:o, s:o, s:o, s:o}",
                      "model", c->m.token, "method", dm->method, "count",
                      (json_int_t)dm->all->count, "exact", dm->all->exact,
                      "scored", dm->scored, "listed", dm->listed, "loops",
                      loops, "time", time, "dominant", dom, "periods", periods);
    }
    map_dominance_free(dm);
    sd_program_free(p);
    sd_model_free(m);
    if (rc == T_OK)
        web_json(c, 200, out);
    else
        web_error(c, 500, "internal", NULL, "the loop analysis failed: %s",
                  d.len ? d.items[0].message : "an error");
    diags_free(&d);
}

/* ---- saved scenarios --------------------------------------------------- */

void web_scenarios_list(WebCtx *c)
{
    StoreErr e = {0};
    json_t *list = NULL;
    const char *model = web_arg(c, WEB_QUERY, "model");
    if (store_scenarios_list(c->db, &c->actor, model, &list, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "scenarios", list));
}

/* Checks a scenario's set and graphs against its library model. */
static int check_saved(const char *model, const StoreScenario *s, StoreErr *e)
{
    SdModel *m = NULL;
    int rc = lib_load(model, &m, e);
    if (rc == STORE_ENOTFOUND)
        return web_field_err(e, "bad_field", "model",
                             "model: no model '%.64s' in the library", model);
    const char *key;
    json_t *v;
    json_object_foreach(s->set, key, v)
    {
        if (rc == STORE_OK && !sd_model_find(m, key)) {
            char field[STORE_SCEN_VAR_MAX * 4 + 16];
            snprintf(field, sizeof field, "set.%s", key);
            rc = web_field_err(e, "bad_field", field,
                               "%s: no variable '%s' in model '%s'", field, key,
                               model);
        }
    }
    json_object_foreach(s->graphs, key, v)
    {
        SdVar *var = rc == STORE_OK ? sd_model_find(m, key) : NULL;
        if (rc == STORE_OK && (!var || !var->gf)) {
            char field[STORE_SCEN_VAR_MAX * 4 + 16];
            snprintf(field, sizeof field, "graphs.%s", key);
            rc = web_field_err(e, "bad_field", field,
                               "%s: no graphical function '%s' in model '%s'",
                               field, key, model);
        }
    }
    sd_model_free(m);
    return rc;
}

void web_scenario_add(WebCtx *c)
{
    StoreErr e = {0};
    StoreScenario s;
    long long id = 0;
    json_t *sc = NULL;
    if (web_parse_scenario(c->body, true, &s, &e) != STORE_OK ||
        check_saved(s.model, &s, &e) != STORE_OK ||
        store_scenario_add(c->db, &c->actor, &s, &id, &e) != STORE_OK ||
        store_scenario_get(c->db, &c->actor, id, &sc, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 201, json_pack("{s:o}", "scenario", sc));
}

void web_scenario_edit(WebCtx *c)
{
    StoreErr e = {0};
    StoreScenario s;
    json_t *sc = NULL;
    if (web_parse_scenario(c->body, false, &s, &e) != STORE_OK ||
        store_scenario_get(c->db, &c->actor, c->m.id, &sc, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    const char *model = json_string_value(json_object_get(sc, "model"));
    int rc = check_saved(model ? model : "", &s, &e);
    json_decref(sc);
    sc = NULL;
    if (rc != STORE_OK ||
        store_scenario_edit(c->db, &c->actor, c->m.id, &s, &e) != STORE_OK ||
        store_scenario_get(c->db, &c->actor, c->m.id, &sc, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_json(c, 200, json_pack("{s:o}", "scenario", sc));
}

void web_scenario_delete(WebCtx *c)
{
    StoreErr e = {0};
    if (store_scenario_delete(c->db, &c->actor, c->m.id, &e) != STORE_OK) {
        web_store_error(c, &e);
        return;
    }
    web_no_content(c);
}
