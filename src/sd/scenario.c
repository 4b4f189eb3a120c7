/*
 * scenario.c - quantitative scenarios: a named set of parameter values and
 * graphical-function overrides applied to a model, read from a JSON file
 * (docs/scenarios.md):
 *
 *   {"name": "Locality working", "description": "...",
 *    "set": {"first contact resolution": 0.6},
 *    "graphs": {"effect of workload": [[0, 1], [1, 0.8], [2, 0.5]]}}
 *
 * or {"scenarios": [ ...such objects... ]} for several in one file.
 *
 * Ownership: parsed scenarios and their strings live in the caller's arena;
 * sd_scenario_apply copies what it puts into the model into the model's
 * own arena.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sd.h"

#define SCENARIOS_MAX 1000 /* scenarios in one file */
#define SET_MAX 10000      /* values or graphs in one scenario */
#define POINTS_MAX 100000  /* points in one graph */

static void field_error(TDiags *d, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void field_error(TDiags *d, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(d, DIAG_ERROR, file, 0, 0, NULL, fmt, ap);
    va_end(ap);
}

static void json_syntax_error(TDiags *d, const char *file, const char *text,
                              size_t len, const json_error_t *je)
{
    char *ctx = str_line_dup(text, len, je->line);
    diags_add(d, DIAG_ERROR, file, je->line > 0 ? je->line : 0,
              je->column > 0 ? je->column : 0, ctx, "malformed JSON: %s",
              je->text);
    free(ctx);
}

/* One scenario object; where is its field path ("scenarios[2]", or ""). */
static void parse_one(Arena *a, json_t *o, const char *file, const char *where,
                      SdScenario *s, TDiags *d)
{
    const char *dot = *where ? "." : "";
    if (!json_is_object(o)) {
        field_error(d, file, "%s: a scenario must be an object",
                    *where ? where : "(top level)");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "name") && strcmp(key, "description") &&
            strcmp(key, "set") && strcmp(key, "graphs") &&
            strcmp(key, "format") && strcmp(key, "version"))
            field_error(d, file,
                        "%s%s%s: unknown field (name, description, set, "
                        "graphs)",
                        where, dot, key);
    }
    json_t *name = json_object_get(o, "name");
    if (!json_is_string(name) || !json_string_length(name))
        field_error(d, file, "%s%sname: missing or not a non-empty string",
                    where, dot);
    else
        s->name = arena_strdup(a, json_string_value(name));
    json_t *desc = json_object_get(o, "description");
    if (desc && !json_is_string(desc))
        field_error(d, file, "%s%sdescription: not a string", where, dot);
    else if (desc)
        s->description = arena_strdup(a, json_string_value(desc));

    json_t *set = json_object_get(o, "set");
    if (set && !json_is_object(set)) {
        field_error(d, file, "%s%sset: not an object of name: number", where,
                    dot);
    } else if (set) {
        size_t n = json_object_size(set);
        if (n > SET_MAX) {
            field_error(d, file, "%s%sset: more than %d values", where, dot,
                        SET_MAX);
            return;
        }
        s->set_names = arena_alloc(a, sizeof(char *) * (n + 1));
        s->set_values = arena_alloc(a, sizeof(double) * (n + 1));
        if (!s->set_names || !s->set_values)
            return;
        json_object_foreach(set, key, v)
        {
            if (!json_is_number(v) || !isfinite(json_number_value(v))) {
                field_error(d, file, "%s%sset.%s: not a number", where, dot,
                            key);
                continue;
            }
            s->set_names[s->nset] = arena_strdup(a, key);
            s->set_values[s->nset++] = json_number_value(v);
        }
    }

    json_t *graphs = json_object_get(o, "graphs");
    if (graphs && !json_is_object(graphs)) {
        field_error(d, file, "%s%sgraphs: not an object of name: points", where,
                    dot);
        return;
    }
    if (!graphs)
        return;
    size_t n = json_object_size(graphs);
    if (n > SET_MAX) {
        field_error(d, file, "%s%sgraphs: more than %d graphs", where, dot,
                    SET_MAX);
        return;
    }
    s->graph_names = arena_alloc(a, sizeof(char *) * (n + 1));
    s->graphs = arena_alloc(a, sizeof(SdGraph) * (n + 1));
    if (!s->graph_names || !s->graphs)
        return;
    json_object_foreach(graphs, key, v)
    {
        size_t np = json_array_size(v);
        if (!json_is_array(v) || np == 0 || np > POINTS_MAX) {
            field_error(d, file,
                        "%s%sgraphs.%s: not a list of 1 to %d [x, y] points",
                        where, dot, key, POINTS_MAX);
            continue;
        }
        SdGraph *g = &s->graphs[s->ngraphs];
        g->type = SD_GF_CONTINUOUS;
        g->n = (int)np;
        g->x = arena_alloc(a, sizeof(double) * np);
        g->y = arena_alloc(a, sizeof(double) * np);
        if (!g->x || !g->y)
            return;
        bool ok = true;
        for (size_t i = 0; i < np && ok; i++) {
            json_t *pt = json_array_get(v, i);
            json_t *x = json_array_get(pt, 0), *y = json_array_get(pt, 1);
            if (!json_is_array(pt) || json_array_size(pt) != 2 ||
                !json_is_number(x) || !json_is_number(y) ||
                !isfinite(json_number_value(x)) ||
                !isfinite(json_number_value(y))) {
                field_error(d, file,
                            "%s%sgraphs.%s[%zu]: not an [x, y] pair of "
                            "numbers",
                            where, dot, key, i);
                ok = false;
            } else {
                g->x[i] = json_number_value(x);
                g->y[i] = json_number_value(y);
                if (i > 0 && !(g->x[i] > g->x[i - 1])) {
                    field_error(d, file,
                                "%s%sgraphs.%s[%zu]: x values must increase",
                                where, dot, key, i);
                    ok = false;
                }
            }
        }
        if (ok)
            s->graph_names[s->ngraphs++] = arena_strdup(a, key);
    }
}

int sd_scenarios_parse(Arena *a, const char *text, size_t len, const char *file,
                       SdScenario **out, int *n, TDiags *d)
{
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        json_syntax_error(d, file, text, len, &je);
        return T_EINPUT;
    }
    int errors = d->errors;
    json_t *list = json_object_get(root, "scenarios");
    size_t count = list ? json_array_size(list) : 1;
    if (list && (!json_is_array(list) || count == 0)) {
        field_error(d, file, "scenarios: not a non-empty list");
    } else if (count > SCENARIOS_MAX) {
        field_error(d, file, "scenarios: more than %d", SCENARIOS_MAX);
    } else {
        SdScenario *s = arena_alloc(a, sizeof(SdScenario) * count);
        if (!s) {
            json_decref(root);
            return T_EINTERNAL;
        }
        for (size_t i = 0; i < count; i++) {
            char where[40] = "";
            if (list)
                snprintf(where, sizeof where, "scenarios[%zu]", i);
            parse_one(a, list ? json_array_get(list, i) : root, file, where,
                      &s[i], d);
            for (size_t j = 0; j < i && s[i].name; j++)
                if (s[j].name && !strcmp(s[j].name, s[i].name))
                    field_error(d, file, "%s%sname: '%s' is used twice", where,
                                *where ? "." : "", s[i].name);
        }
        *out = s;
        *n = (int)count;
    }
    json_decref(root);
    if (d->errors > errors) {
        *out = NULL;
        *n = 0;
        return T_EINPUT;
    }
    return T_OK;
}

int sd_scenario_apply(SdModel *m, const SdScenario *s, TDiags *d)
{
    int rc = T_OK;
    for (int i = 0; i < s->nset; i++)
        if (sd_model_set(m, s->set_names[i], s->set_values[i], d))
            rc = T_EINPUT;
    for (int i = 0; i < s->ngraphs; i++) {
        SdVar *v = sd_model_find(m, s->graph_names[i]);
        if (!v) {
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "scenario '%s': unknown variable '%s'", s->name,
                      s->graph_names[i]);
            rc = T_EINPUT;
            continue;
        }
        if (!v->gf) {
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "scenario '%s': '%s' has no graphical function to "
                      "replace",
                      s->name, v->name);
            rc = T_EINPUT;
            continue;
        }
        const SdGraph *src = &s->graphs[i];
        SdGraph *g = arena_alloc(&m->arena, sizeof *g);
        double *x = arena_alloc(&m->arena, sizeof(double) * (size_t)src->n);
        double *y = arena_alloc(&m->arena, sizeof(double) * (size_t)src->n);
        if (!g || !x || !y)
            return T_EINTERNAL;
        memcpy(x, src->x, sizeof(double) * (size_t)src->n);
        memcpy(y, src->y, sizeof(double) * (size_t)src->n);
        /* The new points keep the old function's way between points. */
        *g = (SdGraph){.type = v->gf->type, .n = src->n, .x = x, .y = y};
        v->gf = g;
    }
    return rc;
}
