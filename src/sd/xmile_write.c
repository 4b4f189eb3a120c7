/*
 * xmile_write.c - writes any model Territory reads (XMILE, Stella's
 * files, Vensim .mdl) as XMILE 1.0 that Territory reads back to the same
 * numbers. Equations are parsed and printed again in XMILE's syntax, every
 * name as the identifier it resolves to (so macro instances and modules
 * come out flattened), operators parenthesised. What XMILE cannot say is
 * kept in its own namespace (`tt:`), as the standard allows for vendors:
 * the save interval, Vensim's range mappings and :EXCEPT: lists; and a
 * model read from .mdl declares the `vensim` function namespace in its
 * <options>, so its builtins (SMOOTH N, DELAY N, SAMPLE IF TRUE, ...) and
 * its array rules keep their meaning. A Vensim stock whose rate is an
 * expression rather than a sum of flows gets a flow of its own, `<stock>
 * rate`, as XMILE stocks change only through flows.
 */
#include "sd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TT_NS "urn:territory:xmile"

typedef struct Writer {
    const SdModel *m; /* the model */
    TBuf *out;        /* where the XML goes */
    TDiags *d;        /* where errors go */
    Arena a;          /* parse trees */
    THash idents;     /* variable ident -> index */
    bool failed;      /* an equation did not parse */
} Writer;

static void esc(Writer *w, const char *s)
{
    tbuf_put_xml_escaped(w->out, s ? s : "");
}

/* A name as an equation writes it: in double quotes, \ and " escaped. */
static void put_quoted(Writer *w, const char *s)
{
    tbuf_putc(w->out, '"');
    for (const char *p = s; *p; p++) {
        /* A blank in an identifier came from an escape (`\ `): it stays
         * one, as separators would fold into '_'. */
        if (*p == '"' || *p == '\\' || *p == ' ' || *p == '\t' || *p == '\n' ||
            *p == '\r')
            tbuf_putc(w->out, '\\');
        if (*p == '<')
            tbuf_puts(w->out, "&lt;");
        else if (*p == '>')
            tbuf_puts(w->out, "&gt;");
        else if (*p == '&')
            tbuf_puts(w->out, "&amp;");
        else
            tbuf_putc(w->out, *p);
    }
    tbuf_putc(w->out, '"');
}

/* The variable a name means in scope (`scope.name` first), or -1. */
static int find(const Writer *w, const char *scope, const char *ident)
{
    int i;
    if (scope) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "%s.%s", scope, ident);
        if (n > 0 && (size_t)n < sizeof buf && thash_get(&w->idents, buf, &i))
            return i;
    }
    return thash_get(&w->idents, ident, &i) ? i : -1;
}

static void put_expr(Writer *w, const SdExpr *e, const char *scope);

static void put_name(Writer *w, const SdExpr *e, const char *scope)
{
    int v = find(w, scope, e->name);
    put_quoted(w, v >= 0 ? w->m->vars[v].ident : e->name);
}

static void put_subs(Writer *w, const SdExpr *e, const char *scope)
{
    if (!e->nsubs)
        return;
    tbuf_putc(w->out, '[');
    for (int i = 0; i < e->nsubs; i++) {
        const SdExpr *s = e->subs[i];
        if (i)
            tbuf_puts(w->out, ", ");
        if (s->kind == SD_E_VAR && (s->flags & (SD_EF_STAR | SD_EF_BANG))) {
            tbuf_putc(w->out, '*');
            if (strcmp(s->name, "*") != 0) {
                tbuf_putc(w->out, ':');
                put_quoted(w, s->name);
            }
        } else if (s->kind == SD_E_NUM && (s->flags & SD_EF_POS)) {
            tbuf_printf(w->out, "@%d", (int)s->num);
        } else if (s->kind == SD_E_VAR && !s->nsubs) {
            /* an element or a dimension, or (XMILE) a variable as index */
            int v = find(w, scope, s->name);
            put_quoted(w, v >= 0 ? w->m->vars[v].ident : s->name);
        } else {
            put_expr(w, s, scope);
        }
    }
    tbuf_putc(w->out, ']');
}

static const char *op_text(SdBinOp op)
{
    static const char *ops[] = {
        [SD_OP_ADD] = "+",    [SD_OP_SUB] = "-",       [SD_OP_MUL] = "*",
        [SD_OP_DIV] = "/",    [SD_OP_POW] = "^",       [SD_OP_MOD] = "MOD",
        [SD_OP_EQ] = "=",     [SD_OP_NE] = "&lt;&gt;", [SD_OP_LT] = "&lt;",
        [SD_OP_LE] = "&lt;=", [SD_OP_GT] = "&gt;",     [SD_OP_GE] = "&gt;=",
        [SD_OP_AND] = "AND",  [SD_OP_OR] = "OR"};
    return (unsigned)op < sizeof ops / sizeof ops[0] ? ops[op] : "?";
}

static void put_expr(Writer *w, const SdExpr *e, const char *scope)
{
    TBuf *o = w->out;
    switch (e->kind) {
    case SD_E_NUM:
        if (e->num < 0 || signbit(e->num))
            tbuf_printf(o, "(%.17g)", e->num);
        else
            tbuf_printf(o, "%.17g", e->num);
        break;
    case SD_E_VAR:
        put_name(w, e, scope);
        put_subs(w, e, scope);
        break;
    case SD_E_NEG:
        tbuf_puts(o, "(-");
        put_expr(w, e->args[0], scope);
        tbuf_putc(o, ')');
        break;
    case SD_E_NOT:
        tbuf_puts(o, "(NOT ");
        put_expr(w, e->args[0], scope);
        tbuf_putc(o, ')');
        break;
    case SD_E_BIN:
        tbuf_putc(o, '(');
        put_expr(w, e->args[0], scope);
        tbuf_printf(o, " %s ", op_text(e->op));
        put_expr(w, e->args[1], scope);
        tbuf_putc(o, ')');
        break;
    case SD_E_IF:
        tbuf_puts(o, "(IF ");
        put_expr(w, e->args[0], scope);
        tbuf_puts(o, " THEN ");
        put_expr(w, e->args[1], scope);
        tbuf_puts(o, " ELSE ");
        put_expr(w, e->args[2], scope);
        tbuf_putc(o, ')');
        break;
    case SD_E_CALL:
        if (!strcmp(e->name, "if_then_else") && e->nargs == 3) {
            tbuf_puts(o, "(IF ");
            put_expr(w, e->args[0], scope);
            tbuf_puts(o, " THEN ");
            put_expr(w, e->args[1], scope);
            tbuf_puts(o, " ELSE ");
            put_expr(w, e->args[2], scope);
            tbuf_putc(o, ')');
            break;
        }
        if (e->flags & SD_EF_RANGE) {
            put_expr(w, e->args[0], scope);
            tbuf_putc(o, ':');
            put_expr(w, e->args[1], scope);
            break;
        }
        if (find(w, scope, e->name) >= 0) {
            /* a graphical function called by name (maybe subscripted) */
            tbuf_puts(o, "LOOKUP(");
            put_name(w, e, scope);
            put_subs(w, e, scope);
            for (int i = 0; i < e->nargs; i++) {
                tbuf_puts(o, ", ");
                put_expr(w, e->args[i], scope);
            }
            tbuf_putc(o, ')');
            break;
        }
        tbuf_puts(o, e->name);
        tbuf_putc(o, '(');
        for (int i = 0; i < e->nargs; i++) {
            if (i)
                tbuf_puts(o, ", ");
            put_expr(w, e->args[i], scope);
        }
        tbuf_putc(o, ')');
        break;
    }
}

/* Parses an equation of the model and writes it in XMILE syntax. */
static void put_eqn(Writer *w, const char *text, int line, int col,
                    const int *adj, int nadj, const char *scope)
{
    const SdModel *m = w->m;
    SdSrcLoc loc = {m->file, m->src, m->src_len, line, col, adj, nadj};
    SdExpr *e;
    if (sd_parse_expr_as(&w->a, text, &loc,
                         m->vensim ? SD_SYNTAX_VENSIM : SD_SYNTAX_XMILE, &e,
                         w->d) != T_OK) {
        w->failed = true;
        return;
    }
    tbuf_puts(w->out, "<eqn>");
    put_expr(w, e, scope);
    tbuf_puts(w->out, "</eqn>");
}

static void put_gf(Writer *w, const SdVar *v, const SdGraph *g)
{
    TBuf *o = w->out;
    for (int i = 0; i < g->n; i++)
        if (!isfinite(g->y[i]) || !isfinite(g->x[i])) {
            /* a Vensim :RAW: data variable: missing between its times */
            diags_add(w->d, DIAG_ERROR, w->m->file, v->decl_line, 0, NULL,
                      "'%s' is missing (NaN) between the times of its data "
                      "(:RAW:), which an XMILE graphical function cannot "
                      "hold",
                      v->name);
            w->failed = true;
            return;
        }
    tbuf_printf(o, "<gf type=\"%s\"><xpts>",
                g->type == SD_GF_EXTRAPOLATE ? "extrapolate"
                : g->type == SD_GF_DISCRETE  ? "discrete"
                                             : "continuous");
    for (int i = 0; i < g->n; i++)
        tbuf_printf(o, "%s%.17g", i ? "," : "", g->x[i]);
    tbuf_puts(o, "</xpts><ypts>");
    for (int i = 0; i < g->n; i++)
        tbuf_printf(o, "%s%.17g", i ? "," : "", g->y[i]);
    tbuf_puts(o, "</ypts></gf>");
}

/* The name a variable is written under: its display name when that reads
 * back as its identifier, else the identifier itself. */
static const char *var_name(Writer *w, const SdVar *v)
{
    char *c = sd_canon_name(&w->a, v->name, strlen(v->name));
    return c && !strcmp(c, v->ident) && !v->hidden ? v->name : v->ident;
}

static void put_subscript_attr(Writer *w, const SdEqn *q)
{
    TBuf *o = w->out;
    tbuf_puts(o, "<element subscript=\"");
    for (int i = 0; i < q->nsubs; i++) {
        if (i)
            tbuf_puts(o, ", ");
        esc(w, q->subs[i]);
    }
    tbuf_putc(o, '"');
    if (q->nexcept) {
        tbuf_puts(o, " tt:except=\"");
        for (int x = 0; x < q->nexcept; x++) {
            if (x)
                tbuf_putc(o, ';');
            for (int i = 0; i < q->nsubs; i++) {
                if (i)
                    tbuf_putc(o, ',');
                esc(w, q->except[x * q->nsubs + i]);
            }
        }
        tbuf_putc(o, '"');
    }
    tbuf_putc(o, '>');
}

/* The equations of a variable: one, or one per <element>; rate selects
 * the Vensim INTEG rates instead (for the flow made for them). */
static void put_eqns(Writer *w, const SdVar *v, bool rate)
{
    TBuf *o = w->out;
    if (!v->neqns) {
        if (rate)
            put_eqn(w, v->rate, v->rate_line, v->rate_col, NULL, 0, v->scope);
        else if (v->eqn)
            put_eqn(w, v->eqn, v->line, v->col, v->adj, v->nadj, v->scope);
        if (v->gf && !rate)
            put_gf(w, v, v->gf);
        return;
    }
    for (int j = 0; j < v->neqns; j++) {
        const SdEqn *q = &v->eqns[j];
        put_subscript_attr(w, q);
        if (rate) {
            put_eqn(w, q->rate, q->rate_line, q->rate_col, NULL, 0, v->scope);
        } else if (q->nvals) {
            tbuf_puts(o, "<eqn>");
            for (int i = 0; i < q->nvals; i++)
                tbuf_printf(o, "%s%.17g", i ? ", " : "", q->vals[i]);
            tbuf_puts(o, "</eqn>");
        } else if (q->eqn) {
            put_eqn(w, q->eqn, q->line, q->col, q->adj, q->nadj, v->scope);
        }
        if (q->gf && !rate)
            put_gf(w, v, q->gf);
        tbuf_puts(o, "</element>");
    }
    if (v->eqn && !rate) { /* XMILE: the equation of the other elements */
        put_eqn(w, v->eqn, v->line, v->col, v->adj, v->nadj, v->scope);
    }
    if (v->gf && !rate)
        put_gf(w, v, v->gf);
}

static void put_dims(Writer *w, const SdVar *v)
{
    if (!v->ndims)
        return;
    tbuf_puts(w->out, "<dimensions>");
    for (int i = 0; i < v->ndims; i++) {
        tbuf_puts(w->out, "<dim name=\"");
        esc(w, v->dims[i]);
        tbuf_puts(w->out, "\"/>");
    }
    tbuf_puts(w->out, "</dimensions>");
}

static bool has_rate(const SdVar *v)
{
    if (v->kind != SD_STOCK)
        return false;
    if (v->rate)
        return true;
    for (int j = 0; j < v->neqns; j++)
        if (v->eqns[j].rate)
            return true;
    return false;
}

/* A name for the flow made for a stock's rate, not taken already. */
static const char *rate_name(Writer *w, const SdVar *v)
{
    for (int k = 1;; k++) {
        const char *n =
            k == 1 ? arena_printf(&w->a, "%s rate", var_name(w, v))
                   : arena_printf(&w->a, "%s rate %d", var_name(w, v), k);
        if (!n)
            return NULL;
        char *id = sd_canon_name(&w->a, n, strlen(n));
        int i;
        if (id && !thash_get(&w->idents, id, &i))
            return n;
    }
}

static void put_var(Writer *w, const SdVar *v)
{
    TBuf *o = w->out;
    const char *kind = v->kind == SD_STOCK  ? "stock"
                       : v->kind == SD_FLOW ? "flow"
                                            : "aux";
    tbuf_printf(o, "<%s name=\"", kind);
    esc(w, var_name(w, v));
    tbuf_puts(o, "\">");
    put_dims(w, v);
    put_eqns(w, v, false);
    const char *made = has_rate(v) ? rate_name(w, v) : NULL;
    if (made) {
        tbuf_puts(o, "<inflow>");
        esc(w, made);
        tbuf_puts(o, "</inflow>");
    }
    for (int k = 0;
         v->kind == SD_STOCK && !made && k < v->n_inflows + v->n_outflows;
         k++) {
        bool in = k < v->n_inflows;
        const char *f = in ? v->inflows[k] : v->outflows[k - v->n_inflows];
        char *id = sd_canon_name(&w->a, f, strlen(f));
        int fv = id ? find(w, v->scope, id) : -1;
        tbuf_puts(o, in ? "<inflow>" : "<outflow>");
        esc(w, fv >= 0 ? var_name(w, &w->m->vars[fv]) : f);
        tbuf_puts(o, in ? "</inflow>" : "</outflow>");
    }
    if (v->non_negative)
        tbuf_puts(o, "<non_negative/>");
    if (v->units) {
        tbuf_puts(o, "<units>");
        esc(w, v->units);
        tbuf_puts(o, "</units>");
    }
    if (v->doc) {
        tbuf_puts(o, "<doc>");
        esc(w, v->doc);
        tbuf_puts(o, "</doc>");
    }
    tbuf_printf(o, "</%s>\n", kind);
    if (made) {
        tbuf_puts(o, "<flow name=\"");
        esc(w, made);
        tbuf_puts(o, "\">");
        put_dims(w, v);
        put_eqns(w, v, true);
        tbuf_puts(o, "</flow>\n");
    }
}

static void put_dim(Writer *w, const SdDim *dm)
{
    TBuf *o = w->out;
    tbuf_puts(o, "<dim name=\"");
    esc(w, dm->name);
    tbuf_putc(o, '"');
    if (dm->indexed) {
        tbuf_printf(o, " size=\"%d\"/>\n", dm->n);
        return;
    }
    tbuf_putc(o, '>');
    for (int i = 0; i < dm->n; i++) {
        tbuf_puts(o, "<elem name=\"");
        esc(w, dm->elems[i]);
        tbuf_puts(o, "\"/>");
    }
    for (int k = 0; k < dm->nmaps; k++) {
        tbuf_puts(o, "<tt:map to=\"");
        esc(w, dm->map_to[k]);
        tbuf_putc(o, '"');
        if (dm->map_elems && dm->map_elems[k]) {
            tbuf_puts(o, " elements=\"");
            for (int i = 0; i < dm->n; i++) {
                if (i)
                    tbuf_putc(o, ',');
                esc(w, dm->map_elems[k][i]);
            }
            tbuf_putc(o, '"');
        }
        tbuf_puts(o, "/>");
    }
    tbuf_puts(o, "</dim>\n");
}

int sd_model_to_xmile(const SdModel *m, TBuf *out, TDiags *d)
{
    Writer w = {.m = m, .out = out, .d = d};
    arena_init(&w.a);
    int errors = d->errors;
    for (int i = 0; i < m->nvars; i++)
        thash_put(&w.idents, m->vars[i].ident, i);
    tbuf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<xmile version=\"1.0\" "
                   "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\" "
                   "xmlns:tt=\"" TT_NS "\">\n<header>\n");
    if (m->vensim || m->vensim_rules)
        tbuf_puts(out, "<options namespace=\"std, vensim\"/>\n");
    tbuf_puts(out,
              "<vendor>Territory</vendor>\n"
              "<product version=\"1.0\" lang=\"en\">Territory</product>\n");
    if (m->name) {
        tbuf_puts(out, "<name>");
        esc(&w, m->name);
        tbuf_puts(out, "</name>\n");
    }
    tbuf_puts(out, "</header>\n<sim_specs method=\"");
    tbuf_puts(out, m->method == SD_RK4   ? "RK4"
                   : m->method == SD_RK2 ? "RK2"
                                         : "Euler");
    tbuf_putc(out, '"');
    if (m->time_units) {
        tbuf_puts(out, " time_units=\"");
        esc(&w, m->time_units);
        tbuf_putc(out, '"');
    }
    if (m->saveper != m->dt)
        tbuf_printf(out, " tt:save_interval=\"%.17g\"", m->saveper);
    if (m->dynamic_time) /* the variables INITIAL TIME ... hold them */
        tbuf_puts(out, " tt:dynamic_time=\"true\"");
    tbuf_printf(out,
                ">\n<start>%.17g</start>\n<stop>%.17g</stop>\n<dt>%.17g</dt>\n"
                "</sim_specs>\n",
                m->start, m->stop, m->dt);
    if (m->ndims) {
        tbuf_puts(out, "<dimensions>\n");
        for (int i = 0; i < m->ndims; i++)
            put_dim(&w, &m->dims[i]);
        tbuf_puts(out, "</dimensions>\n");
    }
    tbuf_puts(out, "<model>\n<variables>\n");
    for (int i = 0; i < m->nvars; i++)
        put_var(&w, &m->vars[i]);
    tbuf_puts(out, "</variables>\n</model>\n</xmile>\n");
    thash_free(&w.idents);
    arena_free(&w.a);
    if (d->errors > errors || w.failed)
        return T_EINPUT;
    return out->len < TBUF_MAX ? T_OK : T_EINTERNAL;
}
