/*
 * arrays.c - arrays at compile time. Owns three things:
 *   1. the dimensions of a model, indexed, with Vensim's subranges (the
 *      widest range holding a range's elements gives their positions when
 *      a range is used as a number) and mappings (`a -> b`);
 *   2. the layout of every variable: how many elements, and which of its
 *      equations defines each (XMILE <element>, Vensim per-slice equations
 *      with :EXCEPT:, lists of numbers);
 *   3. instantiation: the scalar form of an equation for one element.
 *      Subscripted references become references to single elements (by
 *      element, by dimension through the element the equation is being
 *      defined for, through mappings, by position `@n`, or by a number);
 *      dimension names used as numbers become positions; array functions
 *      (SUM, MEAN, VMAX, VECTOR SELECT, ALLOCATE BY PRIORITY, ...) become
 *      one array operation over the elements they read.
 * So the compiler, the VM and loop analysis only ever see scalars: each
 * element is a variable of its own, and an arrayed variable's elements sit
 * in consecutive slots, which dynamic subscripts index at run time.
 */
#include "sd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BIND 64     /* dimensions bound at once (nested reductions) */
#define MAX_FREE 16     /* dimensions one array function iterates over */
#define INST_DEPTH 2000 /* recursion while instantiating */

/* ---- messages ----------------------------------------------------------- */

/* Reports at (line, col) of the model's file, with the line for a caret. */
static void err_lc(SdArr *ar, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err_lc(SdArr *ar, int line, int col, const char *fmt, ...)
{
    const SdModel *m = ar->m;
    char *ctx = str_line_dup(m->src, m->src_len, line);
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(ar->d, DIAG_ERROR, m->file, line, col, ctx, fmt, ap);
    va_end(ap);
    free(ctx);
}

/* ---- numbers ------------------------------------------------------------ */

static int number_list(Arena *a, const char *s, double **out, bool spaces)
{
    VEC(double) v = {0};
    const char *p = s;
    bool sep = true; /* a separator came before: a number may follow */
    int rc = -1;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (*p == ',' || *p == ';') {
            if (spaces || (sep && *p == ','))
                goto done;
            sep = true;
            p++;
            continue;
        }
        if (!sep && !spaces)
            goto done;
        char *end;
        double x = strtod(p, &end);
        if (end == p || !isfinite(x))
            goto done;
        /* strtod reads hex and inf; a list holds decimals only */
        for (const char *q = p; q < end; q++)
            if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' ||
                  *q == 'E' || *q == '+' || *q == '-'))
                goto done;
        if (vec_push(&v, x))
            goto done;
        sep = false;
        p = end;
    }
    if (v.len > 0) {
        double *r = arena_alloc(a, sizeof(double) * (size_t)v.len);
        if (r) {
            memcpy(r, v.items, sizeof(double) * (size_t)v.len);
            *out = r;
            rc = v.len;
        }
    }
done:
    vec_free(&v);
    return rc;
}

int sd_number_list(Arena *a, const char *s, double **out)
{
    return number_list(a, s, out, false);
}

int sd_number_list_ws(Arena *a, const char *s, double **out)
{
    return number_list(a, s, out, true);
}

/* ---- dimensions ---------------------------------------------------------- */

static int dim_find(const SdArr *ar, const char *ident)
{
    int i;
    return ident && thash_get(&ar->dim_index, ident, &i) ? i : -1;
}

static int elem_pos(const SdArrDim *d, const char *ident)
{
    int i;
    return thash_get(&d->index, ident, &i) ? i : -1;
}

static const char *dim_name(const SdArr *ar, int d)
{
    return ar->dims[d].src->name;
}

static bool superset(const SdArrDim *big, const SdArrDim *small)
{
    if (big->n < small->n)
        return false;
    for (int i = 0; i < small->n; i++)
        if (elem_pos(big, small->src->elem_ids[i]) < 0)
            return false;
    return true;
}

static bool init_dims(SdArr *ar)
{
    const SdModel *m = ar->m;
    bool ok = true;
    ar->ndims = m->ndims;
    ar->dims = arena_alloc(ar->a, sizeof(SdArrDim) * (size_t)(m->ndims + 1));
    if (!ar->dims)
        return false;
    for (int i = 0; i < m->ndims; i++) {
        SdArrDim *d = &ar->dims[i];
        d->src = &m->dims[i];
        d->n = m->dims[i].n;
        d->root = i;
        for (int k = 0; k < d->n; k++)
            thash_put(&d->index, d->src->elem_ids[k], k);
        int j;
        if (thash_get(&ar->dim_index, d->src->ident, &j)) {
            err_lc(ar, d->src->line, d->src->col,
                   "dimension '%s' is defined twice (first on line %d)",
                   d->src->name, m->dims[j].line);
            ok = false;
        } else {
            thash_put(&ar->dim_index, d->src->ident, i);
        }
    }
    /* Vensim: a range whose elements all belong to a wider (or an equal,
     * earlier) range takes that range's positions. The chain ends: each
     * step grows the set or moves to an earlier range of the same size. */
    if ((m->vensim || m->vensim_rules) && m->ndims <= 5000) {
        int *parent = malloc(sizeof(int) * (size_t)(m->ndims + 1));
        if (!parent)
            return false;
        for (int i = 0; i < m->ndims; i++) {
            parent[i] = -1;
            for (int j = 0; j < m->ndims && parent[i] < 0; j++) {
                if (j == i)
                    continue;
                const SdArrDim *a = &ar->dims[j], *b = &ar->dims[i];
                if ((a->n > b->n || (a->n == b->n && j < i)) && superset(a, b))
                    parent[i] = j;
            }
        }
        for (int i = 0; i < m->ndims; i++) {
            int r = i;
            for (int guard = 0; parent[r] >= 0 && guard < m->ndims; guard++)
                r = parent[r];
            ar->dims[i].root = r;
        }
        free(parent);
    }
    for (int i = 0; i < m->ndims; i++) {
        SdArrDim *d = &ar->dims[i];
        d->root_pos = arena_alloc(ar->a, sizeof(int) * (size_t)(d->n + 1));
        if (!d->root_pos)
            return false;
        for (int k = 0; k < d->n; k++) {
            int p = elem_pos(&ar->dims[d->root], d->src->elem_ids[k]);
            d->root_pos[k] = p >= 0 ? p : k;
        }
        /* Mappings: position by position, or element by element. */
        const SdDim *s = d->src;
        d->nmaps = s->nmaps;
        d->map_to = arena_alloc(ar->a, sizeof(int) * (size_t)(s->nmaps + 1));
        d->map_pos = arena_alloc(ar->a, sizeof(int *) * (size_t)(s->nmaps + 1));
        if (!d->map_to || !d->map_pos)
            return false;
        for (int k = 0; k < s->nmaps; k++) {
            int t = dim_find(ar, s->map_to[k]);
            d->map_to[k] = t;
            d->map_pos[k] =
                arena_alloc(ar->a, sizeof(int) * (size_t)(d->n + 1));
            if (!d->map_pos[k])
                return false;
            if (t < 0) {
                err_lc(ar, s->line, s->col,
                       "range '%s' maps to '%s', which is not a range", s->name,
                       s->map_to[k]);
                ok = false;
                continue;
            }
            const SdArrDim *td = &ar->dims[t];
            if (!s->map_elems || !s->map_elems[k]) {
                if (td->n != d->n) {
                    err_lc(ar, s->line, s->col,
                           "range '%s' has %d elements and maps to '%s', "
                           "which has %d",
                           s->name, d->n, td->src->name, td->n);
                    ok = false;
                    continue;
                }
                for (int e = 0; e < d->n; e++)
                    d->map_pos[k][e] = e;
                continue;
            }
            for (int e = 0; e < d->n; e++) {
                d->map_pos[k][e] = elem_pos(td, s->map_elems[k][e]);
                if (d->map_pos[k][e] < 0) {
                    err_lc(ar, s->line, s->col,
                           "range '%s' maps '%s' to '%s', which is not an "
                           "element of '%s'",
                           s->name, s->elems[e], s->map_elems[k][e],
                           td->src->name);
                    ok = false;
                    break;
                }
            }
        }
    }
    return ok;
}

/* ---- layout of variables ------------------------------------------------ */

int sd_arr_find_var(const SdArr *ar, const char *scope, const char *ident)
{
    int i;
    if (scope) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "%s.%s", scope, ident);
        if (n > 0 && (size_t)n < sizeof buf &&
            thash_get(&ar->var_index, buf, &i))
            return i;
    }
    return thash_get(&ar->var_index, ident, &i) ? i : -1;
}

/* Element positions of a row-major index k of variable v. */
static void unflat(const SdArr *ar, const SdArrVar *av, long k, int *pos)
{
    for (int d = av->ndims - 1; d >= 0; d--) {
        int n = ar->dims[av->dims[d]].n;
        pos[d] = (int)(k % n);
        k /= n;
    }
}

static long flat(const SdArr *ar, const SdArrVar *av, const int *pos)
{
    long k = 0;
    for (int d = 0; d < av->ndims; d++)
        k = k * ar->dims[av->dims[d]].n + pos[d];
    return k;
}

const char *sd_arr_elem_name(SdArr *ar, int v, int k, bool canonical)
{
    const SdVar *sv = &ar->m->vars[v];
    const SdArrVar *av = &ar->vars[v];
    if (!av->ndims)
        return canonical ? sv->ident : sv->name;
    int pos[SD_MAX_DIMS];
    unflat(ar, av, k, pos);
    TBuf b = {0};
    tbuf_puts(&b, canonical ? sv->ident : sv->name);
    tbuf_putc(&b, '[');
    for (int d = 0; d < av->ndims; d++) {
        const SdDim *dm = ar->dims[av->dims[d]].src;
        if (d)
            tbuf_putc(&b, ',');
        tbuf_puts(&b, canonical ? dm->elem_ids[pos[d]] : dm->elems[pos[d]]);
    }
    tbuf_putc(&b, ']');
    const char *res = arena_strdup(ar->a, tbuf_cstr(&b));
    tbuf_free(&b);
    return res;
}

/* The positions in dimension e that subscript s of a definition covers
 * (an element of e, or a dimension whose elements e holds); count, or -1
 * after a message. */
static int covered(SdArr *ar, const SdVar *sv, const SdEqn *q, int e,
                   const char *s, int *out)
{
    const SdArrDim *E = &ar->dims[e];
    int p = elem_pos(E, s);
    if (p >= 0) {
        out[0] = p;
        return 1;
    }
    int d = dim_find(ar, s);
    if (d < 0) {
        err_lc(ar, q->decl_line, q->decl_col,
               "'%s' is neither a dimension nor an element of '%s' (in an "
               "equation of '%s')",
               s, E->src->name, sv->name);
        return -1;
    }
    const SdArrDim *D = &ar->dims[d];
    for (int i = 0; i < D->n; i++) {
        out[i] = elem_pos(E, D->src->elem_ids[i]);
        if (out[i] < 0) {
            err_lc(ar, q->decl_line, q->decl_col,
                   "element '%s' of '%s' is not in dimension '%s' of '%s'",
                   D->src->elems[i], D->src->name, E->src->name, sv->name);
            return -1;
        }
    }
    return D->n;
}

/* Does a Vensim :EXCEPT: list name the element at pos of dimension e? */
static bool except_has(const SdArr *ar, const char *s, int e, int pos)
{
    const SdArrDim *E = &ar->dims[e];
    const char *id = E->src->elem_ids[pos];
    if (!strcmp(s, id))
        return true;
    int d = dim_find(ar, s);
    return d >= 0 && elem_pos(&ar->dims[d], id) >= 0;
}

static bool layout_var(SdArr *ar, int vi, long *total)
{
    const SdModel *m = ar->m;
    const SdVar *sv = &m->vars[vi];
    SdArrVar *av = &ar->vars[vi];
    av->n = 1;
    if (sv->ndims > SD_MAX_DIMS) {
        err_lc(ar, sv->decl_line, 0,
               "'%s' has %d dimensions; at most %d are supported", sv->name,
               sv->ndims, SD_MAX_DIMS);
        return false;
    }
    av->ndims = sv->ndims;
    for (int d = 0; d < sv->ndims; d++) {
        av->dims[d] = dim_find(ar, sv->dims[d]);
        if (av->dims[d] < 0) {
            bool at = sv->dims_line > 0;
            err_lc(ar, at ? sv->dims_line : sv->decl_line,
                   at ? sv->dims_col : 0, "'%s' has unknown dimension '%s'",
                   sv->name, sv->dims[d]);
            return false;
        }
        av->n *= ar->dims[av->dims[d]].n;
        if (av->n > SD_MAX_ELEMS) {
            err_lc(ar, sv->decl_line, 0, "'%s' has more than %d elements",
                   sv->name, SD_MAX_ELEMS);
            return false;
        }
    }
    *total += av->n;
    if (*total > SD_MAX_ELEMS) {
        err_lc(ar, sv->decl_line, 0,
               "the model's arrays have more than %d elements in all",
               SD_MAX_ELEMS);
        return false;
    }
    av->def = arena_alloc(ar->a, sizeof(int) * (size_t)av->n);
    av->val = arena_alloc(ar->a, sizeof(int) * (size_t)av->n);
    if (!av->def || !av->val)
        return false;
    for (int k = 0; k < av->n; k++)
        av->def[k] = sv->neqns ? -2 : -1;
    if (!sv->neqns)
        return true;
    bool ok = true;
    for (int j = 0; j < sv->neqns && ok; j++) {
        const SdEqn *q = &sv->eqns[j];
        if (q->nsubs != av->ndims) {
            err_lc(ar, q->decl_line, q->decl_col,
                   "an equation of '%s' has %d subscript%s; the variable has "
                   "%d dimension%s",
                   sv->name, q->nsubs, q->nsubs == 1 ? "" : "s", av->ndims,
                   av->ndims == 1 ? "" : "s");
            return false;
        }
        /* The positions each subscript covers. */
        int *cov[SD_MAX_DIMS], ncov[SD_MAX_DIMS];
        long count = 1, nlist = 1;
        for (int d = 0; d < av->ndims; d++) {
            const SdArrDim *E = &ar->dims[av->dims[d]];
            cov[d] = arena_alloc(ar->a, sizeof(int) * (size_t)(E->n + 1));
            if (!cov[d])
                return false;
            ncov[d] = covered(ar, sv, q, av->dims[d], q->subs[d], cov[d]);
            if (ncov[d] < 0)
                return false;
            count *= ncov[d];
            if (dim_find(ar, q->subs[d]) >= 0 &&
                elem_pos(&ar->dims[av->dims[d]], q->subs[d]) < 0)
                nlist *= ncov[d];
        }
        if (q->nvals && q->nvals != nlist) {
            err_lc(ar, q->line, q->col,
                   "'%s' lists %d number%s where its subscripts need %ld",
                   sv->name, q->nvals, q->nvals == 1 ? "" : "s", nlist);
            return false;
        }
        int idx[SD_MAX_DIMS] = {0};
        for (long c = 0; c < count; c++) {
            int pos[SD_MAX_DIMS];
            for (int d = 0; d < av->ndims; d++)
                pos[d] = cov[d][idx[d]];
            bool excluded = false;
            for (int x = 0; x < q->nexcept && !excluded; x++) {
                bool all = true;
                for (int d = 0; d < av->ndims && all; d++)
                    all = except_has(ar, q->except[x * q->nsubs + d],
                                     av->dims[d], pos[d]);
                excluded = all;
            }
            if (!excluded) {
                long k = flat(ar, av, pos);
                if (av->def[k] >= 0) {
                    const SdEqn *o = &sv->eqns[av->def[k]];
                    err_lc(ar, q->decl_line, q->decl_col,
                           "element %s is defined twice (first on line %d)",
                           sd_arr_elem_name(ar, vi, (int)k, false),
                           o->decl_line);
                    return false;
                }
                av->def[k] = j;
                av->val[k] = (int)(c % (nlist > 0 ? nlist : 1));
                if (q->nvals) {
                    /* row-major over the subscripts that are ranges */
                    long vi2 = 0;
                    for (int d = 0; d < av->ndims; d++)
                        if (dim_find(ar, q->subs[d]) >= 0 &&
                            elem_pos(&ar->dims[av->dims[d]], q->subs[d]) < 0)
                            vi2 = vi2 * ncov[d] + idx[d];
                    av->val[k] = (int)vi2;
                }
            }
            for (int d = av->ndims - 1; d >= 0; d--) {
                if (++idx[d] < ncov[d])
                    break;
                idx[d] = 0;
            }
        }
    }
    if (!m->vensim && !m->vensim_rules) {
        for (int k = 0; k < av->n && ok; k++)
            if (av->def[k] == -2 && !sv->eqn) {
                err_lc(ar, sv->decl_line, 0, "element %s has no equation",
                       sd_arr_elem_name(ar, vi, k, false));
                ok = false;
            } else if (av->def[k] == -2) {
                av->def[k] = -1; /* the variable's equation covers the rest */
            }
    }
    return ok;
}

int sd_arr_init(SdArr *ar, const SdModel *m, Arena *a, TDiags *d)
{
    memset(ar, 0, sizeof *ar);
    ar->m = m;
    ar->a = a;
    ar->d = d;
    int errors = d->errors;
    if (!init_dims(ar))
        return d->errors > errors ? T_EINPUT : T_EINTERNAL;
    ar->vars = arena_alloc(a, sizeof(SdArrVar) * (size_t)(m->nvars + 1));
    if (!ar->vars)
        return T_EINTERNAL;
    long total = 0;
    for (int i = 0; i < m->nvars; i++) {
        thash_put(&ar->var_index, m->vars[i].ident, i);
        if (!layout_var(ar, i, &total) && d->errors == errors)
            return T_EINTERNAL;
    }
    return d->errors > errors ? T_EINPUT : T_OK;
}

void sd_arr_free(SdArr *ar)
{
    for (int i = 0; ar->dims && i < ar->ndims; i++)
        thash_free(&ar->dims[i].index);
    thash_free(&ar->dim_index);
    thash_free(&ar->var_index);
}

/* ---- instantiation ------------------------------------------------------ */

typedef struct Bind {
    int dim;   /* a dimension */
    int pos;   /* the element it stands for */
    bool iter; /* bound by an array function walking it (`d!`, `*`) */
} Bind;

typedef struct Inst {
    SdArr *ar;            /* the layout */
    int var;              /* variable being defined */
    const char *scope;    /* its scope (macro or module instance) */
    Bind bind[MAX_BIND];  /* dimensions bound, innermost last */
    int nbind;            /* how many */
    int lhs[SD_MAX_DIMS]; /* the element's position in each dimension */
    int nlhs;             /* the variable's dimensions */
    const SdSrcLoc *loc;  /* for messages */
    const char *text;     /* the equation */
    bool failed;          /* an error was reported */
    int depth;            /* recursion */
} Inst;

static void ierr(Inst *in, const SdExpr *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ierr(Inst *in, const SdExpr *e, const char *fmt, ...)
{
    if (in->failed)
        return;
    in->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sd_report(in->ar->d, in->loc, in->text, e ? e->off : 0, "%s", msg);
}

static bool vensim(const Inst *in)
{
    return in->ar->m->vensim || in->ar->m->vensim_rules;
}

/* The element dimension d is bound to. An array function walking d binds
 * it for the subscripts that say so (`d!`, `*`); a plain `d` means the
 * element the equation is defined for when the equation is over d, and
 * the walked one otherwise. */
static int bound_as(const Inst *in, int d, bool iter)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = in->nbind - 1; i >= 0; i--)
            if (in->bind[i].dim == d &&
                in->bind[i].iter == (pass ? !iter : iter))
                return in->bind[i].pos;
    return -1;
}

static int bound(const Inst *in, int d)
{
    return bound_as(in, d, false);
}

static SdExpr *node(Inst *in, SdExprKind k, int nargs, const SdExpr *like)
{
    /* A sum over a large range in an equation over another large range
     * grows as their product: refuse before memory runs out. */
    in->ar->terms += 1 + nargs;
    if (in->ar->terms > SD_MAX_TERMS) {
        if (in->ar->too_big) { /* the first equation over has the message */
            in->failed = true;
            return NULL;
        }
        in->ar->too_big = true;
        ierr(in, like,
             "the model's arrays expand to more than %d terms (an array "
             "function over a large range in an equation over another)",
             SD_MAX_TERMS);
        return NULL;
    }
    SdExpr *e = arena_alloc(in->ar->a, sizeof *e);
    if (!e) {
        ierr(in, like, "out of memory");
        return NULL;
    }
    e->kind = k;
    e->ref = -1;
    e->nargs = nargs;
    if (like) {
        e->off = like->off;
        e->op = like->op;
        e->num = like->num;
        e->name = like->name;
        e->text = like->text;
        e->height = like->height;
    }
    if (nargs) {
        e->args = arena_alloc(in->ar->a, sizeof(SdExpr *) * (size_t)nargs);
        if (!e->args) {
            ierr(in, like, "out of memory");
            return NULL;
        }
    }
    return e;
}

static SdExpr *num(Inst *in, double v, const SdExpr *like)
{
    SdExpr *e = node(in, SD_E_NUM, 0, like);
    if (e) {
        e->num = v;
        e->name = e->text = NULL;
    }
    return e;
}

/* A reference to element k of model variable v. */
static SdExpr *elem_ref(Inst *in, int v, long k, const SdExpr *like)
{
    SdExpr *e = node(in, SD_E_VAR, 0, like);
    if (!e)
        return NULL;
    e->name = in->ar->m->vars[v].ident;
    if (!e->text)
        e->text = in->ar->m->vars[v].name;
    e->ref = in->ar->vars[v].first + (int)k;
    e->flags = SD_EF_RESOLVED;
    e->height = 0;
    return e;
}

/* Position of element dp of dimension D in dimension E: the same element
 * by name, or through a mapping between them; XMILE's indexed dimensions
 * of the same size match position by position. -1 when none. */
static int match(const Inst *in, int D, int dp, int E)
{
    const SdArr *ar = in->ar;
    if (D == E)
        return dp;
    const SdArrDim *dd = &ar->dims[D], *ed = &ar->dims[E];
    int p = elem_pos(ed, dd->src->elem_ids[dp]);
    if (p >= 0)
        return p;
    for (int k = 0; k < dd->nmaps; k++)
        if (dd->map_to[k] == E)
            return dd->map_pos[k][dp];
    for (int k = 0; k < ed->nmaps; k++)
        if (ed->map_to[k] == D)
            for (int i = 0; i < ed->n; i++)
                if (ed->map_pos[k][i] == dp)
                    return i;
    if (!vensim(in) && (dd->src->indexed || ed->src->indexed) && dd->n == ed->n)
        return dp;
    return -1;
}

/* The element dimension D stands for here, as a position in D: bound
 * directly, or through a mapping from or to a bound dimension, or (a
 * subrange or equivalent range) the bound element of the same name. */
static int dim_here(const Inst *in, int D)
{
    int b = bound(in, D);
    if (b >= 0)
        return b;
    const SdArr *ar = in->ar;
    const SdArrDim *dd = &ar->dims[D];
    for (int i = in->nbind - 1; i >= 0; i--) {
        int B = in->bind[i].dim, bp = in->bind[i].pos;
        const SdArrDim *bd = &ar->dims[B];
        for (int k = 0; k < bd->nmaps; k++)
            if (bd->map_to[k] == D)
                return bd->map_pos[k][bp];
        for (int k = 0; k < dd->nmaps; k++)
            if (dd->map_to[k] == B)
                for (int e = 0; e < dd->n; e++)
                    if (dd->map_pos[k][e] == bp)
                        return e;
    }
    for (int i = in->nbind - 1; i >= 0; i--) {
        const SdArrDim *bd = &ar->dims[in->bind[i].dim];
        int p = elem_pos(dd, bd->src->elem_ids[in->bind[i].pos]);
        if (p >= 0 && (vensim(in) || dd->root == bd->root))
            return p;
    }
    return -1;
}

static bool const_eval(const Inst *in, const SdExpr *e, double *out);

/* A dimension used as a number: its element's position, 1-based (in
 * Vensim the position in the widest range that holds it). */
static double dim_value(const Inst *in, int D, int pos)
{
    const SdArrDim *d = &in->ar->dims[D];
    return vensim(in) ? d->root_pos[pos] + 1 : pos + 1;
}

static bool const_eval(const Inst *in, const SdExpr *e, double *out)
{
    double a, b;
    switch (e->kind) {
    case SD_E_NUM:
        if (e->flags & SD_EF_POS) {
            int n = (int)e->num;
            if (n < 1 || n > in->nlhs)
                return false;
            *out = in->lhs[n - 1] + 1;
            return true;
        }
        *out = e->num;
        return true;
    case SD_E_VAR: {
        if (e->nsubs || sd_arr_find_var(in->ar, in->scope, e->name) >= 0)
            return false;
        int D = dim_find(in->ar, e->name);
        int p = D >= 0 ? dim_here(in, D) : -1;
        if (p < 0)
            return false;
        *out = dim_value(in, D, p);
        return true;
    }
    case SD_E_NEG:
        if (!const_eval(in, e->args[0], &a))
            return false;
        *out = -a;
        return true;
    case SD_E_BIN:
        if (!const_eval(in, e->args[0], &a) || !const_eval(in, e->args[1], &b))
            return false;
        switch (e->op) {
        case SD_OP_ADD:
            *out = a + b;
            return true;
        case SD_OP_SUB:
            *out = a - b;
            return true;
        case SD_OP_MUL:
            *out = a * b;
            return true;
        case SD_OP_DIV:
            *out = a / b;
            return true;
        default:
            return false;
        }
    default:
        return false;
    }
}

static SdExpr *inst(Inst *in, const SdExpr *e);

/* Position in dimension E (position j of variable v) that subscript s
 * selects; -1 after a message, -2 when it changes during the run (a
 * variable or an expression of variables). */
static int sub_pos(Inst *in, int v, int j, const SdExpr *s)
{
    SdArr *ar = in->ar;
    const SdArrVar *av = &ar->vars[v];
    int E = av->dims[j];
    const SdArrDim *ed = &ar->dims[E];
    const char *vname = ar->m->vars[v].name;
    if (s->flags & SD_EF_RANGE) {
        ierr(in, s,
             "a range of elements (a:b) is not supported; use '*' "
             "or a dimension");
        return -1;
    }
    if (s->kind == SD_E_NUM && (s->flags & SD_EF_POS)) {
        int n = (int)s->num;
        if (n < 1 || n > in->nlhs) {
            ierr(in, s,
                 "'@%d' names dimension %d of the variable being "
                 "defined, which has %d",
                 n, n, in->nlhs);
            return -1;
        }
        int p = in->lhs[n - 1];
        if (p >= ed->n) {
            ierr(in, s,
                 "'@%d' is element %d, past the end of dimension "
                 "'%s' of '%s'",
                 n, p + 1, ed->src->name, vname);
            return -1;
        }
        return p;
    }
    if (s->kind == SD_E_VAR && !s->nsubs) {
        const char *name = s->name;
        if ((s->flags & SD_EF_STAR) && !strcmp(name, "*"))
            name = ed->src->ident;
        int D = dim_find(ar, name);
        if (D >= 0) {
            int dp = (s->flags & (SD_EF_BANG | SD_EF_STAR))
                         ? bound_as(in, D, true)
                         : -1;
            if (dp < 0)
                dp = dim_here(in, D);
            if (dp < 0) {
                ierr(in, s,
                     "dimension '%s' does not vary in this equation, so "
                     "'%s[%s]' names no single element; use an element, or "
                     "an array function",
                     dim_name(ar, D), vname, s->text);
                return -1;
            }
            int p = match(in, D, dp, E);
            if (p < 0)
                ierr(in, s,
                     "element '%s' of '%s' is not in dimension '%s' of '%s'",
                     ar->dims[D].src->elems[dp], dim_name(ar, D), ed->src->name,
                     vname);
            return p < 0 ? -1 : p;
        }
        int p = elem_pos(ed, name);
        if (p >= 0)
            return p;
        const char *dot = strrchr(name, '.');
        if (dot && !vensim(in)) { /* Dim.elem */
            char dn[256];
            size_t l = (size_t)(dot - name);
            if (l < sizeof dn) {
                memcpy(dn, name, l);
                dn[l] = 0;
                int q = dim_find(ar, dn);
                if (q >= 0) {
                    int qp = elem_pos(&ar->dims[q], dot + 1);
                    int mp = qp >= 0 ? match(in, q, qp, E) : -1;
                    if (mp >= 0)
                        return mp;
                }
            }
        }
        if (!vensim(in) && sd_arr_find_var(ar, in->scope, name) >= 0)
            return -2; /* a variable as index: chosen during the run */
        ierr(in, s,
             "'%s' is not an element of dimension '%s' (subscript %d "
             "of '%s')",
             s->text, ed->src->name, j + 1, vname);
        return -1;
    }
    double x;
    if (const_eval(in, s, &x)) {
        double r = floor(x + 0.5);
        if (!(r >= 1 && r <= ed->n)) {
            ierr(in, s,
                 "subscript %g is outside dimension '%s' (1 to %d) of "
                 "'%s'",
                 x, ed->src->name, ed->n, vname);
            return -1;
        }
        return (int)r - 1;
    }
    if (vensim(in)) {
        ierr(in, s, "subscript %d of '%s' must be an element or a range", j + 1,
             vname);
        return -1;
    }
    return -2;
}

/* Flat index of the element a reference selects; -1 after a message. For
 * a subscript chosen during the run, *dyn is its position and *dyn_e its
 * expression. force_j >= 0 sets that position to force_p, whatever is
 * written (array functions that walk a dimension). */
static long element_of(Inst *in, const SdExpr *e, int v, int force_j,
                       int force_p, int *pos, int *dyn, const SdExpr **dyn_e)
{
    SdArr *ar = in->ar;
    const SdArrVar *av = &ar->vars[v];
    const char *vname = ar->m->vars[v].name;
    *dyn = -1;
    if (!av->ndims) {
        if (e->nsubs)
            ierr(in, e, "'%s' is not an array; it takes no subscripts", vname);
        return e->nsubs ? -1 : 0;
    }
    if (e->nsubs && e->nsubs != av->ndims) {
        ierr(in, e, "'%s' has %d dimension%s, not %d subscript%s", vname,
             av->ndims, av->ndims == 1 ? "" : "s", e->nsubs,
             e->nsubs == 1 ? "" : "s");
        return -1;
    }
    bool trans = (e->flags & SD_EF_TRANSPOSE) != 0;
    for (int j = 0; j < av->ndims; j++) {
        if (j == force_j) {
            pos[j] = force_p;
            continue;
        }
        if (e->nsubs) {
            int p = sub_pos(in, v, j, e->subs[j]);
            if (p == -1)
                return -1;
            if (p == -2) {
                if (*dyn >= 0) {
                    ierr(in, e->subs[j],
                         "only one subscript of '%s' may "
                         "change during the run",
                         vname);
                    return -1;
                }
                *dyn = j;
                *dyn_e = e->subs[j];
                p = 0;
            }
            pos[j] = p;
            continue;
        }
        /* No subscripts: each dimension as the equation binds it, else
         * (XMILE) the equation's dimension at the same place, reversed
         * for a transposition. */
        int E = av->dims[j];
        int p = dim_here(in, E);
        if (p < 0 && !vensim(in) && in->nlhs == av->ndims) {
            int li = trans ? av->ndims - 1 - j : j;
            const SdArrVar *lv = &ar->vars[in->var];
            if (li < lv->ndims && ar->dims[lv->dims[li]].n == ar->dims[E].n)
                p = in->lhs[li];
        }
        if (p < 0) {
            ierr(in, e,
                 "'%s' is an array over '%s', which does not vary in this "
                 "equation; give it subscripts or use an array function",
                 vname, dim_name(ar, E));
            return -1;
        }
        pos[j] = p;
    }
    return flat(ar, av, pos);
}

/* A reference to a variable, scalar or element, or a dimension or
 * (Vensim) an element used as a number. */
static SdExpr *inst_var(Inst *in, const SdExpr *e)
{
    SdArr *ar = in->ar;
    int v = sd_arr_find_var(ar, in->scope, e->name);
    if (v < 0) {
        if (e->nsubs) {
            ierr(in, e, "unknown variable '%s'", e->text);
            return NULL;
        }
        int D = dim_find(ar, e->name);
        if (D >= 0) {
            int p = dim_here(in, D);
            if (p < 0) {
                ierr(in, e,
                     "dimension '%s' is used as a number outside an equation "
                     "over it",
                     e->text);
                return NULL;
            }
            return num(in, dim_value(in, D, p), e);
        }
        if (vensim(in)) {
            /* An element name as a number: its position in its range. */
            for (int d = 0; d < ar->ndims; d++) {
                if (ar->dims[d].root != d)
                    continue;
                int p = elem_pos(&ar->dims[d], e->name);
                if (p >= 0)
                    return num(in, p + 1, e);
            }
        }
        SdExpr *c = node(in, SD_E_VAR, 0, e); /* a builtin or unknown */
        return c;
    }
    int pos[SD_MAX_DIMS], dyn;
    const SdExpr *dyn_e = NULL;
    long k = element_of(in, e, v, -1, 0, pos, &dyn, &dyn_e);
    if (k < 0)
        return NULL;
    if (dyn < 0)
        return elem_ref(in, v, k, e);
    /* A subscript chosen during the run: pick among the elements along
     * that dimension. */
    const SdArrVar *av = &ar->vars[v];
    int n = ar->dims[av->dims[dyn]].n;
    SdExpr *pick = node(in, SD_E_CALL, n + 1, e);
    if (!pick)
        return NULL;
    pick->name = pick->text = "#pick";
    pick->args[0] = inst(in, dyn_e);
    if (!pick->args[0])
        return NULL;
    for (int i = 0; i < n; i++) {
        pos[dyn] = i;
        pick->args[i + 1] = elem_ref(in, v, flat(ar, av, pos), e);
        if (!pick->args[i + 1])
            return NULL;
    }
    return pick;
}

/* ---- array functions ---------------------------------------------------- */

typedef enum {
    F_NONE,
    F_SUM,
    F_PROD,
    F_MIN,
    F_MAX,
    F_MEAN,
    F_STDDEV,
    F_SIZE,
    F_RANK,
    F_ELMCOUNT,
    F_VSELECT,
    F_ELM_MAP,
    F_SORT_ORDER,
    F_VRANK,
    F_REORDER,
    F_ALLOC_PRIO,
    F_ALLOC_AVAIL,
    F_INVERT
} ArrFn;

static const struct ArrFnName {
    const char *name;
    ArrFn fn;
    int dialect; /* 0 both, 1 XMILE, 2 Vensim */
    int nargs;   /* -1 any */
} fns[] = {
    {"sum", F_SUM, 0, 1},
    {"prod", F_PROD, 0, 1},
    {"mean", F_MEAN, 1, 1},
    {"stddev", F_STDDEV, 1, 1},
    {"size", F_SIZE, 1, 1},
    {"rank", F_RANK, 1, -1},
    {"min", F_MIN, 1, 1},
    {"max", F_MAX, 1, 1},
    /* Stella's older names */
    {"arraysum", F_SUM, 1, 1},
    {"arrayprod", F_PROD, 1, 1},
    {"arraymean", F_MEAN, 1, 1},
    {"arraystddev", F_STDDEV, 1, 1},
    {"arraysize", F_SIZE, 1, 1},
    {"arraymin", F_MIN, 1, 1},
    {"arraymax", F_MAX, 1, 1},
    {"arrayrank", F_RANK, 1, -1},
    /* Vensim */
    {"vmin", F_MIN, 2, 1},
    {"vmax", F_MAX, 2, 1},
    {"elmcount", F_ELMCOUNT, 2, 1},
    {"vector_select", F_VSELECT, 2, 5},
    {"vector_elm_map", F_ELM_MAP, 2, 2},
    {"vector_sort_order", F_SORT_ORDER, 2, 2},
    {"vector_rank", F_VRANK, 2, 2},
    {"vector_reorder", F_REORDER, 2, 2},
    {"allocate_by_priority", F_ALLOC_PRIO, 2, 5},
    {"allocate_available", F_ALLOC_AVAIL, 2, 3},
    {"invert_matrix", F_INVERT, 2, 2},
};

const char *sd_array_fn_name(int i)
{
    return i >= 0 && (size_t)i < sizeof fns / sizeof fns[0] ? fns[i].name
                                                            : NULL;
}

static ArrFn array_fn(const Inst *in, const SdExpr *e)
{
    int dialect = vensim(in) ? 2 : 1;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (strcmp(fns[i].name, e->name) != 0)
            continue;
        if (fns[i].dialect && fns[i].dialect != dialect)
            continue;
        /* XMILE MIN and MAX of two or more values are not array functions */
        if (fns[i].nargs == 1 && (fns[i].fn == F_MIN || fns[i].fn == F_MAX) &&
            !vensim(in) && e->nargs != 1)
            continue;
        return fns[i].fn;
    }
    return F_NONE;
}

typedef struct FreeDims {
    int dim[MAX_FREE]; /* dimensions iterated, in first-seen order */
    int n;             /* how many */
} FreeDims;

static bool add_free(Inst *in, FreeDims *f, int d, const SdExpr *at)
{
    for (int i = 0; i < f->n; i++)
        if (f->dim[i] == d)
            return true;
    if (f->n == MAX_FREE) {
        ierr(in, at, "an array function over more than %d dimensions",
             MAX_FREE);
        return false;
    }
    f->dim[f->n++] = d;
    return true;
}

/* The dimensions an array function's argument runs over: Vensim's `d!`,
 * XMILE's `*`, and any dimension of a reference that the equation does not
 * bind. */
static bool collect_free(Inst *in, const SdExpr *e, FreeDims *f, int depth)
{
    if (depth > INST_DEPTH) {
        ierr(in, e, "equation nested too deeply");
        return false;
    }
    SdArr *ar = in->ar;
    if (e->kind == SD_E_CALL && array_fn(in, e) != F_NONE)
        return true; /* a nested array function runs on its own */
    if (e->kind == SD_E_VAR || (e->kind == SD_E_CALL && e->nsubs)) {
        int v = sd_arr_find_var(ar, in->scope, e->name);
        const SdArrVar *av = v >= 0 ? &ar->vars[v] : NULL;
        if (av && av->ndims && e->nsubs == av->ndims) {
            for (int j = 0; j < av->ndims; j++) {
                const SdExpr *s = e->subs[j];
                if (s->kind != SD_E_VAR || s->nsubs)
                    continue;
                const char *name = s->name;
                if ((s->flags & SD_EF_STAR) && !strcmp(name, "*"))
                    name = ar->dims[av->dims[j]].src->ident;
                int D = dim_find(ar, name);
                if (D < 0)
                    continue;
                if ((s->flags & (SD_EF_STAR | SD_EF_BANG)) ||
                    dim_here(in, D) < 0)
                    if (!add_free(in, f, D, s))
                        return false;
            }
        } else if (av && av->ndims && !e->nsubs) {
            for (int j = 0; j < av->ndims; j++)
                if (dim_here(in, av->dims[j]) < 0 &&
                    !add_free(in, f, av->dims[j], e))
                    return false;
        }
    }
    for (int i = 0; i < e->nargs; i++)
        if (!collect_free(in, e->args[i], f, depth + 1))
            return false;
    return true;
}

typedef VEC(SdExpr *) ExprVec;

/* Instantiates each of args[0..nargs) once per element of the dimensions
 * they run over, appending the results to out (all of args[0]'s, then
 * args[1]'s ...). The count per argument goes to *n. */
static bool expand(Inst *in, const SdExpr *const *args, int nargs, ExprVec *out,
                   long *n)
{
    FreeDims f = {0};
    for (int i = 0; i < nargs; i++)
        if (!collect_free(in, args[i], &f, 0))
            return false;
    long total = 1;
    for (int i = 0; i < f.n; i++) {
        total *= in->ar->dims[f.dim[i]].n;
        if (total > SD_MAX_ELEMS) {
            ierr(in, args[0], "an array function over more than %d elements",
                 SD_MAX_ELEMS);
            return false;
        }
    }
    if (in->nbind + f.n > MAX_BIND) {
        ierr(in, args[0], "array functions nested too deeply");
        return false;
    }
    *n = total;
    int save = in->nbind;
    for (int a = 0; a < nargs; a++) {
        int idx[MAX_FREE] = {0};
        for (long t = 0; t < total; t++) {
            in->nbind = save;
            for (int i = 0; i < f.n; i++)
                in->bind[in->nbind++] = (Bind){f.dim[i], idx[i], true};
            SdExpr *x = inst(in, args[a]);
            in->nbind = save;
            if (!x || vec_push(out, x)) {
                if (x)
                    ierr(in, args[a], "out of memory");
                return false;
            }
            for (int i = f.n - 1; i >= 0; i--) {
                if (++idx[i] < in->ar->dims[f.dim[i]].n)
                    break;
                idx[i] = 0;
            }
        }
    }
    return true;
}

/* The call `#aop(kind, k, n, extra..., elements...)` compile turns into
 * one AOP instruction. */
static SdExpr *aop_call(Inst *in, const SdExpr *like, int kind, int k, long n,
                        SdExpr **extra, int nextra, ExprVec *elems)
{
    SdExpr *c = node(in, SD_E_CALL, 3 + nextra + elems->len, like);
    if (!c)
        return NULL;
    c->name = c->text = "#aop";
    c->args[0] = num(in, kind, like);
    c->args[1] = num(in, k, like);
    c->args[2] = num(in, (double)n, like);
    for (int i = 0; i < nextra; i++)
        c->args[3 + i] = extra[i];
    for (int i = 0; i < elems->len; i++)
        c->args[3 + nextra + i] = elems->items[i];
    for (int i = 0; i < 3; i++)
        if (!c->args[i])
            return NULL;
    return c;
}

/* The argument of a Vensim vector function must name a variable: its
 * model variable, or -1 after a message. */
static int vector_var(Inst *in, const SdExpr *fn, const SdExpr *a, int mindims)
{
    int v =
        a->kind == SD_E_VAR ? sd_arr_find_var(in->ar, in->scope, a->name) : -1;
    if (v < 0 || in->ar->vars[v].ndims < mindims) {
        ierr(in, a,
             "the first argument of '%s' must be a variable with %d "
             "dimension%s or more",
             fn->text, mindims, mindims == 1 ? "" : "s");
        return -1;
    }
    return v;
}

/* Each element of variable v's last dimension, the other subscripts as
 * written (or as the equation binds them). */
static bool walk_last(Inst *in, const SdExpr *a, int v, ExprVec *out, int *n)
{
    SdArr *ar = in->ar;
    const SdArrVar *av = &ar->vars[v];
    int last = av->ndims - 1;
    *n = ar->dims[av->dims[last]].n;
    for (int j = 0; j < *n; j++) {
        int pos[SD_MAX_DIMS], dyn;
        const SdExpr *dyn_e;
        long k = element_of(in, a, v, last, j, pos, &dyn, &dyn_e);
        if (k < 0)
            return false;
        if (dyn >= 0) {
            ierr(in, a,
                 "'%s' cannot take a subscript that changes during "
                 "the run here",
                 ar->m->vars[v].name);
            return false;
        }
        SdExpr *x = elem_ref(in, v, k, a);
        if (!x || vec_push(out, x))
            return false;
    }
    return true;
}

/* Resolves every subscript but the walked ones: a subscript written at a
 * walked position may be anything (ALLOCATE AVAILABLE's profile is often
 * written as its first element, `ptype`). */
static bool walk_tail(Inst *in, const SdExpr *a, int v, int ntail, ExprVec *out,
                      int *n)
{
    SdArr *ar = in->ar;
    const SdArrVar *av = &ar->vars[v];
    if (a->nsubs && a->nsubs != av->ndims) {
        ierr(in, a, "'%s' has %d dimensions, not %d subscripts",
             ar->m->vars[v].name, av->ndims, a->nsubs);
        return false;
    }
    if (ntail == 1)
        return walk_last(in, a, v, out, n);
    int last = av->ndims - 1;
    int pos[SD_MAX_DIMS] = {0};
    for (int j = 0; j < last - 1; j++) {
        SdExpr one = *a;
        if (a->nsubs) {
            int p = sub_pos(in, v, j, a->subs[j]);
            if (p < 0) {
                if (p == -2)
                    ierr(in, a,
                         "'%s' cannot take a subscript that changes "
                         "during the run here",
                         ar->m->vars[v].name);
                return false;
            }
            pos[j] = p;
        } else {
            int p = dim_here(in, av->dims[j]);
            if (p < 0) {
                ierr(in, &one,
                     "'%s' is an array over '%s', which does not "
                     "vary in this equation",
                     ar->m->vars[v].name, dim_name(ar, av->dims[j]));
                return false;
            }
            pos[j] = p;
        }
    }
    int n1 = ar->dims[av->dims[last - 1]].n, n2 = ar->dims[av->dims[last]].n;
    *n = n1;
    for (int i = 0; i < n1; i++)
        for (int j = 0; j < n2; j++) {
            pos[last - 1] = i;
            pos[last] = j;
            SdExpr *x = elem_ref(in, v, flat(ar, av, pos), a);
            if (!x || vec_push(out, x))
                return false;
        }
    return true;
}

/* The position of the result's element along the variable's last (or
 * last-but-one) dimension. */
static int lhs_at(const Inst *in, int from_end)
{
    int i = in->nlhs - 1 - from_end;
    return i >= 0 ? in->lhs[i] : 0;
}

static SdExpr *inst_array_fn(Inst *in, const SdExpr *e, ArrFn fn)
{
    SdArr *ar = in->ar;
    ExprVec elems = {0};
    SdExpr *res = NULL;
    long n = 0;
    int ni;
    switch (fn) {
    case F_SUM:
    case F_PROD:
    case F_MIN:
    case F_MAX:
    case F_MEAN:
    case F_STDDEV:
    case F_SIZE: {
        if (e->nargs != 1) {
            ierr(in, e, "'%s' takes 1 argument, not %d", e->text, e->nargs);
            break;
        }
        if (!expand(in, (const SdExpr *const *)e->args, 1, &elems, &n))
            break;
        if (fn == F_SIZE) {
            res = num(in, (double)n, e);
            break;
        }
        int kind = fn == F_SUM    ? SD_AOP_SUM
                   : fn == F_PROD ? SD_AOP_PROD
                   : fn == F_MIN  ? SD_AOP_MIN
                   : fn == F_MAX  ? SD_AOP_MAX
                   : fn == F_MEAN ? SD_AOP_MEAN
                                  : SD_AOP_STDDEV;
        res = aop_call(in, e, kind, 0, n, NULL, 0, &elems);
        break;
    }
    case F_RANK: {
        if (e->nargs < 2 || e->nargs > 3) {
            ierr(in, e, "'%s' takes 2 or 3 arguments, not %d", e->text,
                 e->nargs);
            break;
        }
        SdExpr *r = inst(in, e->args[1]);
        if (!r || !expand(in, (const SdExpr *const *)e->args, 1, &elems, &n))
            break;
        res = aop_call(in, e, SD_AOP_RANK, 0, n, &r, 1, &elems);
        break;
    }
    case F_ELMCOUNT: {
        const SdExpr *a = e->nargs == 1 ? e->args[0] : NULL;
        int D = a && a->kind == SD_E_VAR ? dim_find(ar, a->name) : -1;
        if (D < 0) {
            ierr(in, a ? a : e, "'%s' takes the name of a subscript range",
                 e->text);
            break;
        }
        res = num(in, ar->dims[D].n, e);
        break;
    }
    case F_VSELECT: {
        if (!expand(in, (const SdExpr *const *)e->args, 2, &elems, &n))
            break;
        SdExpr *extra[2] = {inst(in, e->args[2]), inst(in, e->args[3])};
        if (!extra[0] || !extra[1])
            break;
        res = aop_call(in, e, SD_AOP_VSELECT, 0, n, extra, 2, &elems);
        break;
    }
    case F_ELM_MAP: {
        const SdExpr *a = e->args[0];
        int v = vector_var(in, e, a, 1);
        if (v < 0)
            break;
        int pos[SD_MAX_DIMS], dyn;
        const SdExpr *dyn_e;
        long k = element_of(in, a, v, -1, 0, pos, &dyn, &dyn_e);
        if (k < 0)
            break;
        SdExpr *off = inst(in, e->args[1]);
        if (!off)
            break;
        const SdArrVar *av = &ar->vars[v];
        SdExpr *pick = node(in, SD_E_CALL, av->n + 1, e);
        SdExpr *idx = node(in, SD_E_BIN, 2, e);
        if (!pick || !idx)
            break;
        idx->op = SD_OP_ADD;
        idx->args[0] = num(in, (double)k + 1, e);
        idx->args[1] = off;
        pick->name = pick->text = "#pick";
        pick->args[0] = idx;
        for (int i = 0; i < av->n; i++)
            if (!(pick->args[i + 1] = elem_ref(in, v, i, a)))
                return NULL;
        res = pick;
        break;
    }
    case F_SORT_ORDER:
    case F_VRANK: {
        int v = vector_var(in, e, e->args[0], 1);
        if (v < 0 || !walk_tail(in, e->args[0], v, 1, &elems, &ni))
            break;
        SdExpr *dir = inst(in, e->args[1]);
        if (!dir)
            break;
        int k = lhs_at(in, 0);
        if (k >= ni) {
            ierr(in, e,
                 "the result of '%s' has more elements than its "
                 "argument",
                 e->text);
            break;
        }
        res = aop_call(in, e,
                       fn == F_SORT_ORDER ? SD_AOP_SORT_ORDER : SD_AOP_VRANK, k,
                       ni, &dir, 1, &elems);
        break;
    }
    case F_REORDER: {
        int v = vector_var(in, e, e->args[0], 1);
        if (v < 0 || !walk_tail(in, e->args[0], v, 1, &elems, &ni))
            break;
        SdExpr *order = inst(in, e->args[1]);
        SdExpr *pick = node(in, SD_E_CALL, ni + 1, e);
        SdExpr *idx = node(in, SD_E_BIN, 2, e);
        if (!order || !pick || !idx)
            break;
        idx->op = SD_OP_ADD; /* the order is 0-based */
        idx->args[0] = order;
        idx->args[1] = num(in, 1, e);
        pick->name = pick->text = "#pick";
        pick->args[0] = idx;
        for (int i = 0; i < ni; i++)
            pick->args[i + 1] = elems.items[i];
        res = pick;
        break;
    }
    case F_ALLOC_PRIO: {
        int v1 = vector_var(in, e, e->args[0], 1);
        int v2 = v1 >= 0 ? vector_var(in, e, e->args[1], 1) : -1;
        int n1, n2;
        if (v2 < 0 || !walk_tail(in, e->args[0], v1, 1, &elems, &n1) ||
            !walk_tail(in, e->args[1], v2, 1, &elems, &n2))
            break;
        if (n1 != n2) {
            ierr(in, e,
                 "the requests and priorities of '%s' differ in size "
                 "(%d and %d)",
                 e->text, n1, n2);
            break;
        }
        SdExpr *extra[2] = {inst(in, e->args[3]), inst(in, e->args[4])};
        if (!extra[0] || !extra[1])
            break;
        int k = lhs_at(in, 0);
        if (k >= n1) {
            ierr(in, e,
                 "the result of '%s' has more elements than its "
                 "requests",
                 e->text);
            break;
        }
        res = aop_call(in, e, SD_AOP_ALLOC_PRIO, k, n1, extra, 2, &elems);
        break;
    }
    case F_ALLOC_AVAIL: {
        int v1 = vector_var(in, e, e->args[0], 1);
        int v2 = v1 >= 0 ? vector_var(in, e, e->args[1], 2) : -1;
        int n1, n2;
        if (v2 < 0 || !walk_tail(in, e->args[0], v1, 1, &elems, &n1) ||
            !walk_tail(in, e->args[1], v2, 2, &elems, &n2))
            break;
        const SdArrVar *pv = &ar->vars[v2];
        if (n1 != n2 || ar->dims[pv->dims[pv->ndims - 1]].n != 4) {
            ierr(in, e,
                 "'%s' needs a priority profile of 4 values (type, "
                 "priority, width, extra) per request",
                 e->text);
            break;
        }
        SdExpr *avail = inst(in, e->args[2]);
        if (!avail)
            break;
        int k = lhs_at(in, 0);
        if (k >= n1) {
            ierr(in, e,
                 "the result of '%s' has more elements than its "
                 "requests",
                 e->text);
            break;
        }
        res = aop_call(in, e, SD_AOP_ALLOC_AVAIL, k, n1, &avail, 1, &elems);
        break;
    }
    case F_INVERT: {
        int v = vector_var(in, e, e->args[0], 2);
        if (v < 0 || !walk_tail(in, e->args[0], v, 2, &elems, &ni))
            break;
        const SdArrVar *av = &ar->vars[v];
        if (ar->dims[av->dims[av->ndims - 1]].n != ni) {
            ierr(in, e, "'%s' needs a square matrix", e->text);
            break;
        }
        int i = lhs_at(in, 1), j = lhs_at(in, 0);
        if (i >= ni || j >= ni) {
            ierr(in, e, "the result of '%s' is larger than the matrix",
                 e->text);
            break;
        }
        res = aop_call(in, e, SD_AOP_INVERT, i * ni + j, ni, NULL, 0, &elems);
        break;
    }
    case F_NONE:
        break;
    }
    vec_free(&elems);
    if (!res && !in->failed)
        ierr(in, e, "out of memory");
    return res;
}

/* A call: an array function, a graphical function (possibly
 * subscripted: Vensim's `f[d](x)`), or anything else, whose arguments are
 * instantiated. */
static SdExpr *inst_call(Inst *in, const SdExpr *e)
{
    SdArr *ar = in->ar;
    ArrFn fn = array_fn(in, e);
    if (fn != F_NONE && !e->nsubs) {
        static const int want[] = {
            [F_VSELECT] = 5,     [F_ELM_MAP] = 2, [F_SORT_ORDER] = 2,
            [F_VRANK] = 2,       [F_REORDER] = 2, [F_ALLOC_PRIO] = 5,
            [F_ALLOC_AVAIL] = 3, [F_INVERT] = 2};
        if (fn >= F_VSELECT && fn <= F_INVERT && e->nargs != want[fn]) {
            ierr(in, e, "'%s' takes %d arguments, not %d", e->text, want[fn],
                 e->nargs);
            return NULL;
        }
        return inst_array_fn(in, e, fn);
    }
    SdExpr *c = node(in, SD_E_CALL, e->nargs, e);
    if (!c)
        return NULL;
    for (int i = 0; i < e->nargs; i++)
        if (!(c->args[i] = inst(in, e->args[i])))
            return NULL;
    int v = sd_arr_find_var(ar, in->scope, e->name);
    if (v >= 0 && (e->nsubs || ar->vars[v].ndims)) {
        int pos[SD_MAX_DIMS], dyn;
        const SdExpr *dyn_e;
        long k = element_of(in, e, v, -1, 0, pos, &dyn, &dyn_e);
        if (k < 0)
            return NULL;
        if (dyn >= 0) {
            ierr(in, e,
                 "a graphical function cannot take a subscript that "
                 "changes during the run");
            return NULL;
        }
        c->ref = ar->vars[v].first + (int)k;
        c->flags = SD_EF_RESOLVED;
    } else if (e->nsubs) {
        ierr(in, e, "'%s' is not a variable, so it takes no subscripts",
             e->text);
        return NULL;
    }
    return c;
}

static SdExpr *inst(Inst *in, const SdExpr *e)
{
    if (in->failed)
        return NULL;
    if (++in->depth > INST_DEPTH) {
        ierr(in, e, "equation nested too deeply");
        return NULL;
    }
    SdExpr *r = NULL;
    switch (e->kind) {
    case SD_E_NUM:
        if (e->flags & SD_EF_POS) {
            ierr(in, e, "'@%g' is only allowed as a subscript", e->num);
            break;
        }
        r = num(in, e->num, e);
        break;
    case SD_E_VAR:
        if (e->flags & (SD_EF_STAR | SD_EF_BANG)) {
            ierr(in, e, "'%s' is only allowed as a subscript", e->text);
            break;
        }
        r = inst_var(in, e);
        break;
    case SD_E_CALL:
        if (e->flags & SD_EF_RANGE) {
            ierr(in, e, "a range of elements is only allowed as a subscript");
            break;
        }
        r = inst_call(in, e);
        break;
    default:
        r = node(in, e->kind, e->nargs, e);
        for (int i = 0; r && i < e->nargs; i++)
            if (!(r->args[i] = inst(in, e->args[i])))
                r = NULL;
        break;
    }
    in->depth--;
    return r;
}

static void setup(Inst *in, SdArr *ar, int v, int k, const SdSrcLoc *loc,
                  const char *text)
{
    memset(in, 0, sizeof *in);
    in->ar = ar;
    in->var = v;
    in->scope = ar->m->vars[v].scope;
    in->loc = loc;
    in->text = text;
    const SdArrVar *av = &ar->vars[v];
    in->nlhs = av->ndims;
    unflat(ar, av, k, in->lhs);
    /* The definition's own subscripts (Vensim subranges) bind first, then
     * the variable's dimensions. */
    int def = av->def ? av->def[k] : -1;
    if (def >= 0) {
        const SdEqn *q = &ar->m->vars[v].eqns[def];
        for (int d = 0; d < av->ndims && d < q->nsubs; d++) {
            int D = dim_find(ar, q->subs[d]);
            if (D < 0 || D == av->dims[d])
                continue;
            const SdArrDim *E = &ar->dims[av->dims[d]];
            int p = elem_pos(&ar->dims[D], E->src->elem_ids[in->lhs[d]]);
            if (p >= 0 && in->nbind < MAX_BIND)
                in->bind[in->nbind++] = (Bind){D, p, false};
        }
    }
    for (int d = 0; d < av->ndims && in->nbind < MAX_BIND; d++)
        in->bind[in->nbind++] = (Bind){av->dims[d], in->lhs[d], false};
}

SdExpr *sd_arr_instantiate(SdArr *ar, int v, int k, const SdExpr *e,
                           const SdSrcLoc *loc, const char *text)
{
    Inst in;
    setup(&in, ar, v, k, loc, text);
    SdExpr *r = inst(&in, e);
    return in.failed ? NULL : r;
}

/* Whether inst() would only copy e and resolve its names: a model without
 * dimensions, nothing subscripted, no array function. */
static bool plain(Inst *in, const SdExpr *e, int depth)
{
    if (depth > INST_DEPTH || e->flags || e->nsubs)
        return false;
    if (e->kind == SD_E_CALL && array_fn(in, e) != F_NONE)
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!plain(in, e->args[i], depth + 1))
            return false;
    return true;
}

/* What inst() makes of a plain(e) tree, done to e itself. */
static void resolve_in_place(Inst *in, SdExpr *e)
{
    e->ref = -1;
    if (e->kind == SD_E_NUM) {
        e->name = e->text = NULL;
    } else if (e->kind == SD_E_VAR) {
        int v = sd_arr_find_var(in->ar, in->scope, e->name);
        if (v >= 0) { /* as elem_ref(): every variable is a scalar */
            e->name = in->ar->m->vars[v].ident;
            if (!e->text)
                e->text = in->ar->m->vars[v].name;
            e->ref = in->ar->vars[v].first;
            e->flags = SD_EF_RESOLVED;
            e->height = 0;
        }
    }
    for (int i = 0; i < e->nargs; i++)
        resolve_in_place(in, e->args[i]);
}

SdExpr *sd_arr_instantiate_in_place(SdArr *ar, int v, int k, SdExpr *e,
                                    const SdSrcLoc *loc, const char *text)
{
    if (ar->ndims == 0) {
        Inst in;
        setup(&in, ar, v, k, loc, text);
        if (plain(&in, e, 0)) {
            resolve_in_place(&in, e);
            return e;
        }
    }
    return sd_arr_instantiate(ar, v, k, e, loc, text);
}

SdExpr *sd_arr_ref(SdArr *ar, int v, int k, const char *name,
                   const SdSrcLoc *loc)
{
    Inst in;
    setup(&in, ar, v, k, loc, "");
    SdExpr ref = {0};
    ref.kind = SD_E_VAR;
    ref.name = sd_canon_name(ar->a, name, strlen(name));
    ref.text = name;
    if (!ref.name)
        return NULL;
    if (sd_arr_find_var(ar, in.scope, ref.name) < 0)
        return NULL;
    SdExpr *r = inst(&in, &ref);
    return in.failed ? NULL : r;
}
