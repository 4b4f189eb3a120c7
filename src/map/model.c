/*
 * model.c - the causal graph of a system-dynamics model. Each variable is
 * a node; a variable an equation reads links to the variable it defines;
 * inflows link to their stock with +, outflows with -. The polarity of an
 * equation link is what sign analysis can prove from the equation's form
 * (sums, products and quotients with constants of known sign, monotone
 * functions, graphical functions that only rise or only fall); anything
 * it cannot prove is '?', never a guess.
 */
#include "map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D_NONE 2       /* the expression does not read the variable */
#define D_NOT_LOOKUP 3 /* lookup_deriv: not a lookup function */

typedef struct Ctx {
    const SdModel *m; /* the model */
    THash index;      /* ident -> variable index */
    SdExpr **ast;     /* parsed equation per variable, or NULL */
    int *node;        /* variable -> graph node, -1 for bare functions */
} Ctx;

static int var_of(const Ctx *c, const char *ident)
{
    int i;
    return thash_get(&c->index, ident, &i) ? i : -1;
}

static int comb(int a, int b)
{
    if (a == D_NONE)
        return b;
    if (b == D_NONE)
        return a;
    return a == b ? a : 0;
}

static int flip(int d)
{
    return d == D_NONE ? D_NONE : -d;
}

/* d * s, where s is a sign (0 unknown) and d a derivative sign. */
static int scale(int d, int s)
{
    return d == D_NONE ? D_NONE : d * s;
}

/* Rising (+1), falling (-1) or neither (0) graphical function. */
static int gf_trend(const SdGraph *g)
{
    bool up = false, down = false;
    for (int i = 1; g && i < g->n; i++) {
        up |= g->y[i] > g->y[i - 1];
        down |= g->y[i] < g->y[i - 1];
    }
    return up && !down ? 1 : down && !up ? -1 : 0;
}

/* Interval analysis: the range an expression's value can take, as far as
 * its form shows; [-inf, inf] when nothing is known. A derivative's sign
 * is then known wherever a factor's range does not cross zero. */
typedef struct Range {
    double lo, hi; /* bounds, inclusive */
} Range;

static const Range ANY = {-INFINITY, INFINITY};

static Range range_of(const Ctx *c, const SdExpr *e, int depth);

static Range var_range(const Ctx *c, int v, int depth)
{
    const SdVar *sv = &c->m->vars[v];
    if (sv->gf) { /* a graphical function's output stays within its ys */
        Range r = {INFINITY, -INFINITY};
        for (int i = 0; i < sv->gf->n; i++) {
            r.lo = fmin(r.lo, sv->gf->y[i]);
            r.hi = fmax(r.hi, sv->gf->y[i]);
        }
        if (sv->gf->type == SD_GF_EXTRAPOLATE)
            return ANY;
        return r;
    }
    if (sv->non_negative)
        return (Range){0, INFINITY}; /* non-negative stock or uniflow */
    if (sv->kind != SD_STOCK && c->ast[v])
        return range_of(c, c->ast[v], depth + 1);
    return ANY;
}

static Range mul_range(Range a, Range b)
{
    double p[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
    Range r = {INFINITY, -INFINITY};
    for (int i = 0; i < 4; i++) {
        if (isnan(p[i]))
            return ANY; /* 0 * inf */
        r.lo = fmin(r.lo, p[i]);
        r.hi = fmax(r.hi, p[i]);
    }
    return r;
}

static Range range_of(const Ctx *c, const SdExpr *e, int depth)
{
    if (depth > 40)
        return ANY;
    Range a, b;
    switch (e->kind) {
    case SD_E_NUM:
        return (Range){e->num, e->num};
    case SD_E_VAR: {
        int v = var_of(c, e->name);
        if (v >= 0)
            return var_range(c, v, depth);
        if (!strcmp(e->name, "time"))
            return (Range){c->m->start, c->m->stop};
        if (!strcmp(e->name, "dt"))
            return (Range){c->m->dt, c->m->dt};
        return ANY;
    }
    case SD_E_NEG:
        a = range_of(c, e->args[0], depth + 1);
        return (Range){-a.hi, -a.lo};
    case SD_E_BIN:
        a = range_of(c, e->args[0], depth + 1);
        b = range_of(c, e->args[1], depth + 1);
        switch (e->op) {
        case SD_OP_ADD:
            return (Range){a.lo + b.lo, a.hi + b.hi};
        case SD_OP_SUB:
            return (Range){a.lo - b.hi, a.hi - b.lo};
        case SD_OP_MUL:
            return mul_range(a, b);
        case SD_OP_DIV:
            if (b.lo <= 0 && b.hi >= 0)
                return ANY;
            return mul_range(a, (Range){1 / b.hi, 1 / b.lo});
        default:
            return ANY;
        }
    case SD_E_CALL:
        if (!strcmp(e->name, "exp"))
            return (Range){0, INFINITY};
        if ((!strcmp(e->name, "min") || !strcmp(e->name, "max")) &&
            e->nargs >= 1) {
            bool mn = e->name[1] == 'i';
            Range r = range_of(c, e->args[0], depth + 1);
            for (int i = 1; i < e->nargs; i++) {
                Range x = range_of(c, e->args[i], depth + 1);
                r.lo = mn ? fmin(r.lo, x.lo) : fmax(r.lo, x.lo);
                r.hi = mn ? fmin(r.hi, x.hi) : fmax(r.hi, x.hi);
            }
            return r;
        }
        return ANY;
    default:
        return ANY;
    }
}

/* +1 when the value is never negative (and can be positive), -1 when
 * never positive, 0 when it may take either sign. */
static int sign_of(const Ctx *c, const SdExpr *e, int depth)
{
    Range r = range_of(c, e, depth);
    if (r.lo >= 0 && r.hi > 0)
        return 1;
    if (r.hi <= 0 && r.lo < 0)
        return -1;
    return 0;
}

/* Functions that rise with their first argument (and the argument that
 * matters); delay-like ones also set *delay. */
static bool monotone_first(const char *fn, bool *delay)
{
    static const char *rising[] = {"exp",    "ln",   "log10",   "sqrt",
                                   "arctan", "tanh", "sinh",    "int",
                                   "round",  "init", "initial", "previous"};
    static const char *delays[] = {"smth1",  "smth3",  "smthn",  "delay",
                                   "delay1", "delay3", "delayn", "forecast"};
    for (size_t i = 0; i < sizeof rising / sizeof rising[0]; i++)
        if (!strcmp(fn, rising[i]))
            return true;
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++)
        if (!strcmp(fn, delays[i])) {
            *delay = true;
            return true;
        }
    return false;
}

/* +1 when a graph's y values are never negative (and one is positive),
 * -1 when never positive, else 0. */
static int gf_sign(const SdGraph *g)
{
    bool pos = false, neg = false;
    for (int i = 0; i < g->n; i++) {
        pos |= g->y[i] > 0;
        neg |= g->y[i] < 0;
    }
    return pos && !neg ? 1 : neg && !pos ? -1 : 0;
}

static int deriv(const Ctx *c, const SdExpr *e, int x, bool *delay, int depth);

/* Vensim's lookup functions of a graphical function g, their first
 * argument, or D_NOT_LOOKUP when e is not one. EXTRAPOLATE, FORWARD and
 * BACKWARD rise and fall with x as g does. AREA(g, x1, x2) grows with x2
 * and shrinks with x1 by g's value there, so its sign is that of g's
 * values. INVERT is unknown: its :NA: outside g's range is no trend. */
static int lookup_deriv(const Ctx *c, const SdExpr *e, int x, bool *delay,
                        int depth)
{
    static const char *follow[] = {"lookup_extrapolate", "lookup_forward",
                                   "lookup_backward"};
    const SdExpr *g0 = e->nargs >= 2 ? e->args[0] : NULL;
    int g = g0 && g0->kind == SD_E_VAR ? var_of(c, g0->name) : -1;
    if (g < 0 || !c->m->vars[g].gf)
        return D_NOT_LOOKUP;
    const SdGraph *gf = c->m->vars[g].gf;
    for (size_t i = 0; i < sizeof follow / sizeof follow[0]; i++)
        if (!strcmp(e->name, follow[i]) && e->nargs == 2)
            return scale(deriv(c, e->args[1], x, delay, depth + 1),
                         gf_trend(gf));
    if (!strcmp(e->name, "lookup_area") && e->nargs == 3) {
        int s = gf_sign(gf);
        return comb(scale(flip(deriv(c, e->args[1], x, delay, depth + 1)), s),
                    scale(deriv(c, e->args[2], x, delay, depth + 1), s));
    }
    return D_NOT_LOOKUP;
}

/* The sign of d e / d x: +1, -1, 0 (unknown) or D_NONE. */
static int deriv(const Ctx *c, const SdExpr *e, int x, bool *delay, int depth)
{
    if (depth > SD_MAX_HEIGHT + 10)
        return 0;
    int a, b;
    switch (e->kind) {
    case SD_E_NUM:
        return D_NONE;
    case SD_E_VAR:
        return var_of(c, e->name) == x ? 1 : D_NONE;
    case SD_E_NEG:
        return flip(deriv(c, e->args[0], x, delay, depth + 1));
    case SD_E_NOT:
        return deriv(c, e->args[0], x, delay, depth + 1) == D_NONE ? D_NONE : 0;
    case SD_E_BIN:
        a = deriv(c, e->args[0], x, delay, depth + 1);
        b = deriv(c, e->args[1], x, delay, depth + 1);
        if (a == D_NONE && b == D_NONE)
            return D_NONE;
        switch (e->op) {
        case SD_OP_ADD:
            return comb(a, b);
        case SD_OP_SUB:
            return comb(a, flip(b));
        case SD_OP_MUL:
            return comb(scale(a, sign_of(c, e->args[1], 0)),
                        scale(b, sign_of(c, e->args[0], 0)));
        case SD_OP_DIV:
            return comb(scale(a, sign_of(c, e->args[1], 0)),
                        scale(flip(b), sign_of(c, e->args[0], 0)));
        default:
            return 0;
        }
    case SD_E_IF:
        if (deriv(c, e->args[0], x, delay, depth + 1) != D_NONE)
            return 0;
        return comb(deriv(c, e->args[1], x, delay, depth + 1),
                    deriv(c, e->args[2], x, delay, depth + 1));
    case SD_E_CALL: {
        int g = var_of(c, e->name);
        bool dl = false;
        if (g >= 0 && c->m->vars[g].gf && e->nargs == 1)
            return scale(deriv(c, e->args[0], x, delay, depth + 1),
                         gf_trend(c->m->vars[g].gf));
        int lk = lookup_deriv(c, e, x, delay, depth);
        if (lk != D_NOT_LOOKUP)
            return lk;
        if (!strcmp(e->name, "min") || !strcmp(e->name, "max")) {
            int r = D_NONE;
            for (int i = 0; i < e->nargs; i++)
                r = comb(r, deriv(c, e->args[i], x, delay, depth + 1));
            return r;
        }
        if (e->nargs >= 1 && monotone_first(e->name, &dl)) {
            int r = deriv(c, e->args[0], x, delay, depth + 1);
            if (r != D_NONE && dl)
                *delay = true;
            for (int i = 1; i < e->nargs; i++)
                if (deriv(c, e->args[i], x, delay, depth + 1) != D_NONE)
                    r = 0;
            return r;
        }
        int r = D_NONE;
        for (int i = 0; i < e->nargs; i++)
            if (deriv(c, e->args[i], x, delay, depth + 1) != D_NONE)
                r = 0;
        return r;
    }
    }
    return 0;
}

/* Collects the model variables an expression reads, once each. */
static void refs(const Ctx *c, const SdExpr *e, int *out, int *n, char *seen)
{
    if (e->kind == SD_E_VAR) {
        int v = var_of(c, e->name);
        if (v >= 0 && !seen[v]) {
            seen[v] = 1;
            out[(*n)++] = v;
        }
        return;
    }
    for (int i = 0; i < e->nargs; i++)
        refs(c, e->args[i], out, n, seen);
}

int map_graph_from_model(const SdModel *m, MapGraph **out, TDiags *d)
{
    *out = NULL;
    int nv = m->nvars, errors = d->errors;
    Ctx c = {.m = m};
    Arena a;
    arena_init(&a);
    c.ast = calloc((size_t)nv + 1, sizeof(SdExpr *));
    SdExpr **rate = calloc((size_t)nv + 1, sizeof(SdExpr *));
    SdSyntax syn = m->vensim ? SD_SYNTAX_VENSIM : SD_SYNTAX_XMILE;
    c.node = malloc(sizeof(int) * (size_t)(nv + 1));
    int *list = malloc(sizeof(int) * (size_t)(nv + 1));
    char *seen = calloc((size_t)nv + 1, 1);
    MapGraph *g = map_graph_new();
    int rc = T_OK;
    if (!c.ast || !rate || !c.node || !list || !seen || !g) {
        rc = T_EINTERNAL;
        goto done;
    }
    for (int i = 0; i < nv; i++) {
        const SdVar *v = &m->vars[i];
        thash_put(&c.index, v->ident, i);
        if (v->eqn) {
            SdSrcLoc loc = {m->file, m->src, m->src_len, v->line,
                            v->col,  v->adj, v->nadj};
            sd_parse_expr_as(&a, v->eqn, &loc, syn, &c.ast[i], d);
        }
        if (v->rate) { /* a Vensim INTEG: the net rate is an expression */
            SdSrcLoc loc = {m->file,     m->src, m->src_len, v->rate_line,
                            v->rate_col, NULL,   0};
            sd_parse_expr_as(&a, v->rate, &loc, syn, &rate[i], d);
        }
        /* A graphical function with no equation is a function, not a
         * quantity: it is not a factor of the map. */
        c.node[i] =
            v->eqn || !v->gf ? map_graph_add_node(g, v->ident, v->name) : -1;
    }
    if (d->errors > errors) {
        rc = T_EINPUT;
        goto done;
    }
    for (int i = 0; i < nv; i++) {
        const SdVar *v = &m->vars[i];
        if (v->kind == SD_STOCK && rate[i]) {
            /* Each variable the rate reads drives the stock, with the sign
             * of the rate's dependence on it. */
            int n = 0;
            refs(&c, rate[i], list, &n, seen);
            for (int k = 0; k < n; k++) {
                int x = list[k];
                seen[x] = 0;
                bool delay = false;
                int dsign = x == i ? D_NONE : deriv(&c, rate[i], x, &delay, 0);
                if (c.node[x] < 0 || dsign == D_NONE)
                    continue;
                map_graph_add_link(g, c.node[x], c.node[i],
                                   dsign > 0   ? MAP_POS
                                   : dsign < 0 ? MAP_NEG
                                               : MAP_UNKNOWN,
                                   delay);
            }
            continue;
        }
        if (v->kind == SD_STOCK) {
            for (int k = 0; k < v->n_inflows + v->n_outflows; k++) {
                bool in = k < v->n_inflows;
                const char *f =
                    in ? v->inflows[k] : v->outflows[k - v->n_inflows];
                char *id = sd_canon_name(&a, f, strlen(f));
                int fv = id ? var_of(&c, id) : -1;
                if (fv >= 0 && c.node[fv] >= 0)
                    map_graph_add_link(g, c.node[fv], c.node[i],
                                       in ? MAP_POS : MAP_NEG, false);
            }
            continue; /* the initial value is not a causal link */
        }
        if (!c.ast[i] || c.node[i] < 0)
            continue;
        int n = 0;
        refs(&c, c.ast[i], list, &n, seen);
        int trend = v->gf ? gf_trend(v->gf) : 1;
        for (int k = 0; k < n; k++) {
            int x = list[k];
            seen[x] = 0;
            if (c.node[x] < 0)
                continue; /* a graphical function called by name */
            bool delay = false;
            int dsign = deriv(&c, c.ast[i], x, &delay, 0);
            if (dsign == D_NONE)
                continue;
            dsign *= trend;
            map_graph_add_link(g, c.node[x], c.node[i],
                               dsign > 0   ? MAP_POS
                               : dsign < 0 ? MAP_NEG
                                           : MAP_UNKNOWN,
                               delay);
        }
    }
done:
    thash_free(&c.index);
    free(c.ast);
    free(rate);
    free(c.node);
    free(list);
    free(seen);
    arena_free(&a);
    if (rc) {
        map_graph_free(g);
        return rc;
    }
    *out = g;
    return T_OK;
}

int map_graph_from_program(const SdProgram *p, MapGraph **out)
{
    *out = NULL;
    MapGraph *g = map_graph_new();
    if (!g)
        return T_EINTERNAL;
    for (int i = 0; i < sd_program_nnodes(p); i++) {
        char id[32];
        snprintf(id, sizeof id, "%d", i);
        if (map_graph_add_node(g, id, sd_program_node(p, i)->name) < 0) {
            map_graph_free(g);
            return T_EINTERNAL;
        }
    }
    const SdEdge *e;
    int ne = sd_program_edges(p, &e);
    for (int k = 0; k < ne; k++)
        if (map_graph_add_link(g, e[k].from, e[k].to, MAP_UNKNOWN, false)) {
            map_graph_free(g);
            return T_EINTERNAL;
        }
    *out = g;
    return T_OK;
}
