/*
 * territory.c - the public C API (include/territory.h) over the engine's
 * internal interface (src/sd/sd.h): opaque handles, names instead of
 * indices, and diagnostics handed over as formatted text.
 */
#include "territory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sd/sd.h"

struct TerritoryModel {
    SdModel *model;     /* the model as read (kept for territory_model_set) */
    SdProgram *program; /* compiled from it */
};

struct TerritoryTable {
    SdResults *r; /* the engine's results */
};

const char *territory_version(void)
{
    return TERRITORY_VERSION;
}

/* Hands the diagnostics to the caller as text; returns rc. */
static int give_errors(TDiags *d, char **errors, int rc)
{
    if (errors) {
        *errors = NULL;
        if (d->len) {
            TBuf b = {0};
            diags_format(d, &b);
            *errors = b.data;
        }
    }
    diags_free(d);
    return rc;
}

static int finish_open(SdModel *sm, int rc, TDiags *d, TerritoryModel **out,
                       char **errors)
{
    SdProgram *p = NULL;
    if (rc == T_OK)
        rc = sd_compile(sm, &p, d);
    TerritoryModel *m = rc == T_OK ? calloc(1, sizeof *m) : NULL;
    if (rc == T_OK && !m)
        rc = T_EINTERNAL;
    if (rc != T_OK) {
        sd_program_free(p);
        sd_model_free(sm);
        return give_errors(d, errors, rc);
    }
    m->model = sm;
    m->program = p;
    *out = m;
    return give_errors(d, errors, T_OK);
}

int territory_model_open(const char *path, TerritoryModel **out, char **errors)
{
    TDiags d = {0};
    SdModel *sm = NULL;
    if (!out || !path)
        return give_errors(&d, errors, T_EUSAGE);
    *out = NULL;
    int rc = sd_model_load(path, &sm, &d);
    return finish_open(sm, rc, &d, out, errors);
}

int territory_model_from_xmile(const char *text, size_t len, const char *name,
                               TerritoryModel **out, char **errors)
{
    TDiags d = {0};
    SdModel *sm = NULL;
    if (!out || !text)
        return give_errors(&d, errors, T_EUSAGE);
    *out = NULL;
    int rc = sd_model_from_xmile(text, len, name ? name : "<model>", &sm, &d);
    return finish_open(sm, rc, &d, out, errors);
}

void territory_model_free(TerritoryModel *m)
{
    if (!m)
        return;
    sd_program_free(m->program);
    sd_model_free(m->model);
    free(m);
}

int territory_model_nvars(const TerritoryModel *m)
{
    return m ? sd_program_nvars(m->program) : 0;
}

const char *territory_model_var(const TerritoryModel *m, int i)
{
    return m ? sd_program_var_name(m->program, i) : NULL;
}

int territory_model_set(TerritoryModel *m, const char *var, double value,
                        char **errors)
{
    TDiags d = {0};
    if (!m || !var)
        return give_errors(&d, errors, T_EUSAGE);
    if (!isfinite(value)) {
        diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "the value for '%s' is not a finite number", var);
        return give_errors(&d, errors, T_EINPUT);
    }
    int rc = sd_model_set(m->model, var, value, &d);
    SdProgram *p = NULL;
    if (rc == T_OK)
        rc = sd_compile(m->model, &p, &d);
    if (rc == T_OK) {
        sd_program_free(m->program);
        m->program = p;
    }
    return give_errors(&d, errors, rc);
}

int territory_simulate(TerritoryModel *m, const TerritoryRunOptions *opts,
                       TerritoryTable **out, char **errors)
{
    TDiags d = {0};
    if (!m || !out || (opts && opts->nvars > 0 && !opts->vars))
        return give_errors(&d, errors, T_EUSAGE);
    *out = NULL;
    SdRunOpts o = {0};
    int *idx = NULL;
    if (opts) {
        static const SdMethod methods[] = {SD_EULER, SD_EULER, SD_RK2, SD_RK4};
        if ((unsigned)opts->method > TERRITORY_METHOD_RK4)
            return give_errors(&d, errors, T_EUSAGE);
        o.method_given = opts->method != TERRITORY_METHOD_MODEL;
        o.method = methods[opts->method];
        if (opts->vars) {
            idx = malloc(sizeof(int) * (size_t)(opts->nvars + 1));
            if (!idx)
                return give_errors(&d, errors, T_EINTERNAL);
            for (int i = 0; i < opts->nvars; i++) {
                idx[i] = sd_program_find(m->program, opts->vars[i]);
                if (idx[i] < 0)
                    diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                              "unknown variable '%s'", opts->vars[i]);
            }
            if (d.errors) {
                free(idx);
                return give_errors(&d, errors, T_EINPUT);
            }
            o.vars = idx;
            o.nvars = opts->nvars;
        }
    }
    SdResults *r = NULL;
    int rc = sd_run(m->program, &o, &r, &d);
    free(idx);
    TerritoryTable *t = rc == T_OK ? calloc(1, sizeof *t) : NULL;
    if (rc == T_OK && !t) {
        sd_results_free(r);
        rc = T_EINTERNAL;
    }
    if (t) {
        t->r = r;
        *out = t;
    }
    return give_errors(&d, errors, rc);
}

int territory_table_ncols(const TerritoryTable *t)
{
    return t ? t->r->ncols : 0;
}

int territory_table_nrows(const TerritoryTable *t)
{
    return t ? t->r->nrows : 0;
}

const char *territory_table_name(const TerritoryTable *t, int col)
{
    if (!t || col < 0 || col >= t->r->ncols)
        return NULL;
    return t->r->names[col];
}

double territory_table_value(const TerritoryTable *t, int row, int col)
{
    if (!t || row < 0 || row >= t->r->nrows || col < 0 || col >= t->r->ncols)
        return NAN;
    return t->r->data[(size_t)row * (size_t)t->r->ncols + (size_t)col];
}

int territory_table_find(const TerritoryTable *t, const char *name)
{
    return t && name ? sd_results_find(t->r, name) : -1;
}

void territory_table_free(TerritoryTable *t)
{
    if (!t)
        return;
    sd_results_free(t->r);
    free(t);
}
