/*
 * xmile.c - the XMILE reader: an expat stream over the file that fills an
 * SdModel with the simulation specs and each variable's equation text,
 * flows, options, graphical function, units and documentation. Equations
 * are not parsed here (compile.c does it); this file only knows the XML.
 */
#include "sd_int.h"

#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XMILE_MAX_BYTES                                                        \
    ((size_t)256 << 20) /* refuse files over 256 MiB (.mdl too) */
#define STACK_MAX 64

typedef enum {
    X_OTHER,
    X_XMILE,
    X_HEADER,
    X_HNAME,
    X_SIMSPECS,
    X_START,
    X_STOP,
    X_DT,
    X_SAVESTEP,
    X_BEHAVIOR,
    X_BSTOCK,
    X_BFLOW,
    X_BNONNEG,
    X_MODEL,
    X_VARIABLES,
    X_VAR,
    X_EQN,
    X_INFLOW,
    X_OUTFLOW,
    X_NONNEG,
    X_UNITS,
    X_DOC,
    X_GF,
    X_XSCALE,
    X_YSCALE,
    X_XPTS,
    X_YPTS,
    X_DIMS
} XKind;

typedef struct XmlGf {
    double xmin, xmax; /* xscale */
    bool has_xscale;   /* an <xscale> was seen */
    char *xpts, *ypts; /* the point lists as text */
    char xsep, ysep;   /* separators */
    SdGfType type;     /* interpolation */
    int line;          /* where the <gf> starts */
} XmlGf;

typedef struct Reader {
    XML_Parser xp;            /* expat */
    SdModel *m;               /* what we fill */
    TDiags *d;                /* where errors go */
    XKind stack[STACK_MAX];   /* open elements, innermost last */
    int depth;                /* number of open elements */
    TBuf text;                /* character data of the current element */
    long text_off;            /* byte offset where that data starts */
    SdVar *var;               /* the variable being read, or NULL */
    XmlGf gf;                 /* the graphical function being read */
    bool in_gf;               /* inside a <gf> */
    bool gf_seen;             /* the current variable has a <gf> */
    int models;               /* <model> elements seen */
    bool skip_model;          /* inside a second (module) model */
    bool has_start, has_stop; /* sim specs seen */
    bool has_simspecs;        /* <sim_specs> seen */
    bool dt_reciprocal;       /* <dt reciprocal="true"> */
    int nonneg_stock;         /* behavior default: 1 on, 0 off */
    int nonneg_flow;          /* behavior default: 1 on, 0 off */
    struct NameVec {
        const char **items;
        int len, cap;
    } in, out;           /* inflows, outflows of the current stock */
    VEC(int) nonneg_set; /* per var: -1 default, 0 off, 1 on */
    long loc_off;        /* locate(): offset scanned up to */
    int loc_line;        /* locate(): its line number */
    int loc_chars;       /* locate(): characters from line start to loc_off */
    VEC(int) adj;        /* entity widths in the current <eqn> */
} Reader;

static int cur_line(Reader *r)
{
    return (int)XML_GetCurrentLineNumber(r->xp);
}

static void xerr(Reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void xerr(Reader *r, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_vadd(r->d, DIAG_ERROR, r->m->file, line, 0, NULL, fmt, ap);
    va_end(ap);
}

static const char *attr(const XML_Char **atts, const char *name)
{
    for (int i = 0; atts[i]; i += 2) {
        const char *a = atts[i];
        const char *colon = strchr(a, ':');
        if (colon && strcmp(name, colon + 1) == 0 &&
            strncmp(a, "xmlns", 5) != 0)
            return atts[i + 1];
        if (strcmp(a, name) == 0)
            return atts[i + 1];
    }
    return NULL;
}

static XKind classify(Reader *r, const char *el)
{
    XKind parent = r->depth ? r->stack[r->depth - 1] : X_OTHER;
    if (strchr(el, ':'))
        return X_OTHER; /* vendor extensions (isee:...) */
    switch (parent) {
    case X_OTHER:
        if (r->depth == 0 && strcmp(el, "xmile") == 0)
            return X_XMILE;
        return X_OTHER;
    case X_XMILE:
        if (!strcmp(el, "header"))
            return X_HEADER;
        if (!strcmp(el, "sim_specs"))
            return X_SIMSPECS;
        if (!strcmp(el, "behavior"))
            return X_BEHAVIOR;
        if (!strcmp(el, "model"))
            return X_MODEL;
        if (!strcmp(el, "dimensions"))
            return X_DIMS;
        return X_OTHER;
    case X_HEADER:
        return !strcmp(el, "name") ? X_HNAME : X_OTHER;
    case X_SIMSPECS:
        if (!strcmp(el, "start"))
            return X_START;
        if (!strcmp(el, "stop"))
            return X_STOP;
        if (!strcmp(el, "dt"))
            return X_DT;
        if (!strcmp(el, "save_step") || !strcmp(el, "savestep"))
            return X_SAVESTEP;
        return X_OTHER;
    case X_BEHAVIOR:
        if (!strcmp(el, "stock"))
            return X_BSTOCK;
        if (!strcmp(el, "flow"))
            return X_BFLOW;
        if (!strcmp(el, "non_negative"))
            return X_BNONNEG;
        return X_OTHER;
    case X_BSTOCK:
    case X_BFLOW:
        return !strcmp(el, "non_negative") ? X_BNONNEG : X_OTHER;
    case X_MODEL:
        return !strcmp(el, "variables") ? X_VARIABLES : X_OTHER;
    case X_VARIABLES:
        if (!strcmp(el, "stock") || !strcmp(el, "flow") || !strcmp(el, "aux") ||
            !strcmp(el, "gf"))
            return X_VAR;
        return X_OTHER;
    case X_VAR:
        if (!strcmp(el, "eqn"))
            return X_EQN;
        if (!strcmp(el, "inflow"))
            return X_INFLOW;
        if (!strcmp(el, "outflow"))
            return X_OUTFLOW;
        if (!strcmp(el, "non_negative"))
            return X_NONNEG;
        if (!strcmp(el, "uniflow"))
            return X_NONNEG;
        if (!strcmp(el, "units"))
            return X_UNITS;
        if (!strcmp(el, "doc"))
            return X_DOC;
        if (!strcmp(el, "gf"))
            return X_GF;
        if (!strcmp(el, "dimensions"))
            return X_DIMS;
        /* fallthrough */
    case X_GF:
        if (!strcmp(el, "xscale"))
            return X_XSCALE;
        if (!strcmp(el, "yscale"))
            return X_YSCALE;
        if (!strcmp(el, "xpts"))
            return X_XPTS;
        if (!strcmp(el, "ypts"))
            return X_YPTS;
        return X_OTHER;
    default:
        return X_OTHER;
    }
}

static void gf_begin(Reader *r, const XML_Char **atts)
{
    memset(&r->gf, 0, sizeof r->gf);
    r->in_gf = true;
    r->gf_seen = true;
    r->gf.xsep = r->gf.ysep = ',';
    r->gf.line = cur_line(r);
    const char *t = attr(atts, "type");
    const char *disc = attr(atts, "discrete");
    if (t && !strcasecmp(t, "extrapolate"))
        r->gf.type = SD_GF_EXTRAPOLATE;
    else if ((t && !strcasecmp(t, "discrete")) ||
             (disc && !strcasecmp(disc, "true")))
        r->gf.type = SD_GF_DISCRETE;
    else if (t && strcasecmp(t, "continuous"))
        xerr(r, r->gf.line, "unknown graphical function type '%s'", t);
}

static SdVar *new_var(Reader *r, SdKind kind, const char *name)
{
    SdModel *m = r->m;
    if (m->nvars == m->cap) {
        int cap = m->cap ? m->cap * 2 : 32;
        SdVar *v = realloc(m->vars, sizeof(SdVar) * (size_t)cap);
        if (!v)
            return NULL;
        m->vars = v;
        m->cap = cap;
    }
    if (vec_push(&r->nonneg_set, -1))
        return NULL;
    SdVar *v = &m->vars[m->nvars++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->decl_line = cur_line(r);
    /* Display name: the `\n` escape XMILE uses for line breaks reads as a
     * space. */
    TBuf disp = {0};
    for (const char *p = name; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            tbuf_putc(&disp, ' ');
            p++;
        } else if (*p == '\n' || *p == '\r') {
            tbuf_putc(&disp, ' ');
        } else {
            tbuf_putc(&disp, *p);
        }
    }
    v->name = arena_strdup(&m->arena, tbuf_cstr(&disp));
    tbuf_free(&disp);
    v->ident = sd_canon_name(&m->arena, name, strlen(name));
    return v;
}

static void XMLCALL on_start(void *ud, const XML_Char *el,
                             const XML_Char **atts)
{
    Reader *r = ud;
    XKind k = r->skip_model ? X_OTHER : classify(r, el);
    if (r->depth < STACK_MAX)
        r->stack[r->depth] = k;
    r->depth++;
    if (r->depth > STACK_MAX) {
        if (r->depth == STACK_MAX + 1)
            xerr(r, cur_line(r), "XML nested too deeply");
        return;
    }
    tbuf_free(&r->text);
    r->adj.len = 0;
    r->text_off = XML_GetCurrentByteIndex(r->xp);
    const char *v;
    switch (k) {
    case X_SIMSPECS:
        r->has_simspecs = true;
        if ((v = attr(atts, "method"))) {
            if (!strcasecmp(v, "euler"))
                r->m->method = SD_EULER;
            else if (!strcasecmp(v, "rk4"))
                r->m->method = SD_RK4;
            else if (!strcasecmp(v, "rk2"))
                r->m->method = SD_RK2;
            else
                xerr(r, cur_line(r), "unknown integration method '%s'", v);
        }
        if ((v = attr(atts, "time_units")))
            r->m->time_units = arena_strdup(&r->m->arena, v);
        if ((v = attr(atts, "save_interval")) ||
            (v = attr(atts, "save_step"))) {
            if (!str_to_double(v, &r->m->saveper) || !isfinite(r->m->saveper))
                xerr(r, cur_line(r), "save interval '%s' is not a number", v);
        }
        break;
    case X_DT:
        v = attr(atts, "reciprocal");
        r->dt_reciprocal = v && !strcasecmp(v, "true");
        break;
    case X_MODEL:
        if (++r->models > 1) {
            /* A second model is a module definition; modules come later. */
            r->skip_model = true;
            r->stack[r->depth - 1] = X_OTHER;
            xerr(r, cur_line(r), "modules are not supported yet (model '%s')",
                 (v = attr(atts, "name")) ? v : "?");
        }
        break;
    case X_VAR: {
        const char *name = attr(atts, "name");
        if (!name || !*name) {
            xerr(r, cur_line(r), "<%s> without a name", el);
            r->var = NULL;
            break;
        }
        SdKind kind = !strcmp(el, "stock")  ? SD_STOCK
                      : !strcmp(el, "flow") ? SD_FLOW
                                            : SD_AUX;
        r->var = new_var(r, kind, name);
        r->in.len = r->out.len = 0;
        r->gf_seen = false;
        if (r->var && !strcmp(el, "gf"))
            gf_begin(r, atts);
        break;
    }
    case X_GF:
        gf_begin(r, atts);
        break;
    case X_XSCALE:
    case X_YSCALE:
        if (k == X_XSCALE) {
            const char *mn = attr(atts, "min"), *mx = attr(atts, "max");
            if (!mn || !mx || !str_to_double(mn, &r->gf.xmin) ||
                !str_to_double(mx, &r->gf.xmax))
                xerr(r, cur_line(r), "<xscale> needs numeric min and max");
            else
                r->gf.has_xscale = true;
        }
        break;
    case X_XPTS:
    case X_YPTS:
        if ((v = attr(atts, "sep")) && *v) {
            if (k == X_XPTS)
                r->gf.xsep = v[0];
            else
                r->gf.ysep = v[0];
        }
        break;
    case X_DIMS:
        if (r->stack[r->depth - 2] == X_VAR && r->var)
            xerr(r, cur_line(r), "arrays are not supported yet (variable '%s')",
                 r->var->name);
        break;
    case X_OTHER:
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_VARIABLES) {
            if (!strcmp(el, "module"))
                xerr(r, cur_line(r),
                     "modules are not supported yet (module '%s')",
                     (v = attr(atts, "name")) ? v : "?");
        }
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_VAR &&
            (!strcmp(el, "conveyor") || !strcmp(el, "queue")))
            xerr(r, cur_line(r), "%ss are not supported", el);
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_XMILE &&
            !strcmp(el, "macro"))
            xerr(r, cur_line(r), "macros are not supported yet (macro '%s')",
                 (v = attr(atts, "name")) ? v : "?");
        break;
    default:
        break;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    Reader *r = ud;
    if (r->depth < 1 || r->depth > STACK_MAX)
        return;
    XKind k = r->stack[r->depth - 1];
    if (k == X_OTHER || k == X_XMILE || k == X_MODEL || k == X_VARIABLES)
        return;
    if (r->text.len == 0)
        r->text_off = XML_GetCurrentByteIndex(r->xp);
    if (r->text.len + (size_t)len > ((size_t)16 << 20)) {
        xerr(r, cur_line(r), "element text longer than 16 MiB");
        XML_StopParser(r->xp, XML_FALSE);
        return;
    }
    if (k == X_EQN) {
        /* An entity (&lt;) or character reference is longer in the file
         * than in the text; remember where, so columns stay true. */
        int count = XML_GetCurrentByteCount(r->xp);
        if (count > len) {
            vec_push(&r->adj, (int)r->text.len);
            vec_push(&r->adj, count - len);
        }
    }
    tbuf_append(&r->text, s, (size_t)len);
}

static char *trimmed(Reader *r)
{
    const char *s = tbuf_cstr(&r->text);
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                 s[n - 1] == '\n'))
        n--;
    return arena_strndup(&r->m->arena, s, n);
}

/* Line and 1-based column (in characters) of a byte offset in the file.
 * Offsets arrive in file order, so the scan resumes where the last ended
 * and the whole file is read once, not once per equation. */
static void locate(Reader *r, long off, int *line, int *col)
{
    const SdModel *m = r->m;
    if (off < 0 || (size_t)off > m->src_len)
        off = 0;
    if (off < r->loc_off) {
        r->loc_off = 0;
        r->loc_line = 1;
        r->loc_chars = 0;
    }
    long from = r->loc_off;
    for (long i = r->loc_off; i < off; i++)
        if (m->src[i] == '\n') {
            r->loc_line++;
            from = i + 1;
            r->loc_chars = 0;
        }
    r->loc_chars += str_utf8_count(m->src + from, (size_t)(off - from));
    r->loc_off = off;
    *line = r->loc_line;
    *col = 1 + r->loc_chars;
}

static double number(Reader *r, const char *what)
{
    double v = 0;
    char *t = trimmed(r);
    if (!t || !str_to_double(t, &v) || !isfinite(v)) {
        xerr(r, cur_line(r), "%s '%s' is not a number", what, t ? t : "");
        return NAN;
    }
    return v;
}

static int parse_points(Reader *r, const char *s, char sep, double **out)
{
    int n = 1;
    for (const char *p = s; *p; p++)
        n += *p == sep;
    double *v = arena_alloc(&r->m->arena, sizeof(double) * (size_t)n);
    if (!v)
        return -1;
    int k = 0;
    const char *p = s;
    for (;;) {
        const char *q = strchr(p, sep);
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char buf[64];
        if (len >= sizeof buf)
            return -1;
        memcpy(buf, p, len);
        buf[len] = 0;
        if (!str_to_double(buf, &v[k]) || !isfinite(v[k]))
            return -1;
        k++;
        if (!q)
            break;
        p = q + 1;
    }
    *out = v;
    return k;
}

static void gf_end(Reader *r)
{
    r->in_gf = false;
    if (!r->var)
        return;
    XmlGf *g = &r->gf;
    SdGraph *gr = arena_alloc(&r->m->arena, sizeof *gr);
    if (!gr)
        return;
    gr->type = g->type;
    if (!g->ypts) {
        xerr(r, g->line, "graphical function of '%s' has no <ypts>",
             r->var->name);
        return;
    }
    int ny = parse_points(r, g->ypts, g->ysep, &gr->y);
    if (ny < 1) {
        xerr(r, g->line, "graphical function of '%s': bad number in <ypts>",
             r->var->name);
        return;
    }
    if (g->xpts) {
        int nx = parse_points(r, g->xpts, g->xsep, &gr->x);
        if (nx < 1) {
            xerr(r, g->line, "graphical function of '%s': bad number in <xpts>",
                 r->var->name);
            return;
        }
        if (nx != ny) {
            xerr(r, g->line,
                 "graphical function of '%s' has %d x values and %d y values",
                 r->var->name, nx, ny);
            return;
        }
        for (int i = 1; i < nx; i++)
            if (gr->x[i] < gr->x[i - 1]) {
                xerr(r, g->line,
                     "graphical function of '%s': x values must ascend "
                     "(%g after %g)",
                     r->var->name, gr->x[i], gr->x[i - 1]);
                return;
            }
    } else if (g->has_xscale) {
        if (g->xmax < g->xmin) {
            xerr(r, g->line,
                 "graphical function of '%s': <xscale> max %g is below min %g",
                 r->var->name, g->xmax, g->xmin);
            return;
        }
        gr->x = arena_alloc(&r->m->arena, sizeof(double) * (size_t)ny);
        if (!gr->x)
            return;
        for (int i = 0; i < ny; i++)
            gr->x[i] = ny == 1 ? g->xmin
                               : g->xmin + (g->xmax - g->xmin) * i / (ny - 1);
    } else {
        xerr(r, g->line, "graphical function of '%s' needs <xpts> or <xscale>",
             r->var->name);
        return;
    }
    gr->n = ny;
    r->var->gf = gr;
}

static int flag_value(Reader *r)
{
    char *t = trimmed(r);
    if (!t || !*t || !strcasecmp(t, "true"))
        return 1;
    if (!strcasecmp(t, "false"))
        return 0;
    xerr(r, cur_line(r), "expected true or false, found '%s'", t);
    return 1;
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
    Reader *r = ud;
    r->depth--;
    if (r->depth >= STACK_MAX)
        return;
    XKind k = r->stack[r->depth];
    XKind parent = r->depth ? r->stack[r->depth - 1] : X_OTHER;
    SdModel *m = r->m;
    switch (k) {
    case X_HNAME:
        m->name = trimmed(r);
        break;
    case X_START:
        m->start = number(r, "start time");
        r->has_start = true;
        break;
    case X_STOP:
        m->stop = number(r, "stop time");
        r->has_stop = true;
        break;
    case X_DT:
        m->dt = number(r, "dt");
        if (r->dt_reciprocal && m->dt != 0)
            m->dt = 1.0 / m->dt;
        if (!isnan(m->dt) && !isfinite(m->dt))
            xerr(r, cur_line(r),
                 "dt is too large (reciprocal of a tiny number)");
        break;
    case X_SAVESTEP:
        m->saveper = number(r, "save step");
        break;
    case X_BNONNEG: {
        int on = flag_value(r);
        if (parent == X_BSTOCK)
            r->nonneg_stock = on;
        else if (parent == X_BFLOW)
            r->nonneg_flow = on;
        else
            r->nonneg_stock = r->nonneg_flow = on;
        break;
    }
    case X_EQN:
        if (r->var && parent == X_VAR) {
            r->var->eqn = arena_strdup(&m->arena, tbuf_cstr(&r->text));
            if (r->adj.len) {
                int *adj =
                    arena_alloc(&m->arena, sizeof(int) * (size_t)r->adj.len);
                if (adj) {
                    memcpy(adj, r->adj.items, sizeof(int) * (size_t)r->adj.len);
                    r->var->adj = adj;
                    r->var->nadj = r->adj.len / 2;
                }
            }
            locate(r, r->text_off, &r->var->line, &r->var->col);
        }
        break;
    case X_INFLOW:
    case X_OUTFLOW:
        if (r->var && r->var->kind == SD_STOCK) {
            struct NameVec *nv = k == X_INFLOW ? &r->in : &r->out;
            vec_push(nv, trimmed(r));
        }
        break;
    case X_NONNEG:
        if (r->var)
            r->nonneg_set.items[r->var - m->vars] = flag_value(r);
        break;
    case X_UNITS:
        if (r->var)
            r->var->units = trimmed(r);
        break;
    case X_DOC:
        if (r->var)
            r->var->doc = trimmed(r);
        break;
    case X_XPTS:
        r->gf.xpts = trimmed(r);
        break;
    case X_YPTS:
        r->gf.ypts = trimmed(r);
        break;
    case X_GF:
        gf_end(r);
        break;
    case X_VAR:
        if (r->var) {
            if (r->in_gf)
                gf_end(r);
            SdVar *v = r->var;
            v->n_inflows = r->in.len;
            v->n_outflows = r->out.len;
            v->inflows = arena_alloc(&m->arena,
                                     sizeof(char *) * (size_t)(r->in.len + 1));
            v->outflows = arena_alloc(&m->arena, sizeof(char *) *
                                                     (size_t)(r->out.len + 1));
            if (v->inflows && r->in.len)
                memcpy(v->inflows, r->in.items,
                       sizeof(char *) * (size_t)r->in.len);
            if (v->outflows && r->out.len)
                memcpy(v->outflows, r->out.items,
                       sizeof(char *) * (size_t)r->out.len);
            if (!v->eqn && !v->gf && v->kind != SD_AUX)
                xerr(r, v->decl_line, "%s '%s' has no equation",
                     v->kind == SD_STOCK ? "stock" : "flow", v->name);
            else if (!v->eqn && !v->gf && !r->gf_seen) /* else gf said why */
                xerr(r, v->decl_line, "variable '%s' has no equation", v->name);
        }
        r->var = NULL;
        break;
    case X_MODEL:
        r->skip_model = false;
        break;
    case X_OTHER:
        if (r->skip_model && !strcmp(el, "model") && r->depth >= 1 &&
            r->stack[r->depth - 1] == X_XMILE)
            r->skip_model = false;
        break;
    default:
        break;
    }
    tbuf_free(&r->text);
}

void sd_model_free(SdModel *m)
{
    if (!m)
        return;
    free(m->vars);
    arena_free(&m->arena);
    free(m);
}

int sd_model_from_xmile(const char *text, size_t len, const char *file,
                        SdModel **out, TDiags *d)
{
    *out = NULL;
    SdModel *m = calloc(1, sizeof *m);
    if (!m)
        return T_EINTERNAL;
    arena_init(&m->arena);
    m->file = arena_strdup(&m->arena, file ? file : "<model>");
    m->src = arena_strndup(&m->arena, text, len);
    m->src_len = len;
    m->dt = 1;
    m->saveper = NAN;
    m->method = SD_EULER;
    Reader r = {.m = m, .d = d, .loc_line = 1};
    int errors_before = d->errors;
    r.xp = XML_ParserCreate("UTF-8");
    if (!r.xp || !m->file || !m->src) {
        sd_model_free(m);
        if (r.xp)
            XML_ParserFree(r.xp);
        return T_EINTERNAL;
    }
    XML_SetUserData(r.xp, &r);
    XML_SetElementHandler(r.xp, on_start, on_end);
    XML_SetCharacterDataHandler(r.xp, on_text);
    if (len > INT32_MAX ||
        XML_Parse(r.xp, text, (int)len, XML_TRUE) == XML_STATUS_ERROR) {
        enum XML_Error e = XML_GetErrorCode(r.xp);
        if (e != XML_ERROR_ABORTED)
            diags_add(d, DIAG_ERROR, m->file,
                      (int)XML_GetCurrentLineNumber(r.xp),
                      (int)XML_GetCurrentColumnNumber(r.xp) + 1, NULL,
                      "malformed XML: %s", XML_ErrorString(e));
    } else if (r.models == 0 && !r.has_simspecs) {
        diags_add(d, DIAG_ERROR, m->file, 1, 0, NULL,
                  "not an XMILE model (no <model> or <sim_specs>)");
    } else {
        if (!r.has_simspecs)
            diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                      "missing <sim_specs>: the model needs start, stop and "
                      "dt");
        else if (!r.has_start || !r.has_stop)
            diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                      "<sim_specs> needs both <start> and <stop>");
        else if (isfinite(m->start) && isfinite(m->stop) && isfinite(m->dt)) {
            if (!(m->dt > 0))
                diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                          "dt must be positive, not %g", m->dt);
            if (m->stop < m->start)
                diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                          "stop time %g is before start time %g", m->stop,
                          m->start);
        }
        if (isnan(m->saveper))
            m->saveper = m->dt;
        else if (!(m->saveper > 0))
            diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                      "save interval must be positive, not %g", m->saveper);
        /* Non-negative defaults from <behavior>, then per variable. */
        for (int i = 0; i < m->nvars; i++) {
            SdVar *v = &m->vars[i];
            int set = r.nonneg_set.items[i];
            int def = v->kind == SD_STOCK  ? r.nonneg_stock
                      : v->kind == SD_FLOW ? r.nonneg_flow
                                           : 0;
            v->non_negative = (set < 0 ? def : set) && v->kind != SD_AUX;
        }
        /* Duplicate names. */
        THash seen = {0};
        for (int i = 0; i < m->nvars; i++) {
            int j;
            if (thash_get(&seen, m->vars[i].ident, &j))
                diags_add(d, DIAG_ERROR, m->file, m->vars[i].decl_line, 0, NULL,
                          "duplicate variable '%s' (first defined on line "
                          "%d)",
                          m->vars[i].name, m->vars[j].decl_line);
            else
                thash_put(&seen, m->vars[i].ident, i);
        }
        thash_free(&seen);
    }
    XML_ParserFree(r.xp);
    tbuf_free(&r.text);
    vec_free(&r.in);
    vec_free(&r.out);
    vec_free(&r.nonneg_set);
    vec_free(&r.adj);
    if (d->errors > errors_before) {
        sd_model_free(m);
        return T_EINPUT;
    }
    *out = m;
    return T_OK;
}

int sd_model_load(const char *path, SdModel **out, TDiags *d)
{
    TBuf b = {0};
    *out = NULL;
    int rc = tbuf_read_file(&b, path, XMILE_MAX_BYTES);
    if (rc) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read: %s",
                  errno == EFBIG ? "file larger than 256 MiB"
                                 : strerror(errno));
        tbuf_free(&b);
        return T_EINPUT;
    }
    const char *ext = strrchr(path, '.');
    const char *s = tbuf_cstr(&b);
    /* The extension decides; without one we know, the content: XMILE has
     * its root element, Vensim starts with {UTF-8} or has its sketch
     * separator. */
    bool mdl_ext = ext && !strcasecmp(ext, ".mdl");
    bool xml =
        !mdl_ext &&
        ((ext && (!strcasecmp(ext, ".xmile") || !strcasecmp(ext, ".stmx") ||
                  !strcasecmp(ext, ".itmx") || !strcasecmp(ext, ".xml"))) ||
         strstr(s, "<xmile") != NULL);
    const char *t = s;
    while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
        t++;
    bool mdl = mdl_ext || (!xml && (!strncmp(t, "{UTF-8}", 7) ||
                                    strstr(s, "\\\\---///") != NULL));
    if (!xml && !mdl) {
        diags_add(d, DIAG_ERROR, path, 0, 0, NULL,
                  "not a model Territory can read (expected XMILE or Vensim "
                  ".mdl)");
        tbuf_free(&b);
        return T_EINPUT;
    }
    if (mdl)
        rc = sd_model_from_mdl(s, b.len, path, out, d);
    else
        rc = sd_model_from_xmile(s, b.len, path, out, d);
    tbuf_free(&b);
    return rc;
}

SdVar *sd_model_find(SdModel *m, const char *name)
{
    char *id = sd_canon_name(NULL, name, strlen(name));
    SdVar *found = NULL;
    for (int i = 0; id && i < m->nvars && !found; i++)
        if (!strcmp(m->vars[i].ident, id))
            found = &m->vars[i];
    free(id);
    return found;
}

int sd_model_set(SdModel *m, const char *name, double value, TDiags *d)
{
    SdVar *v = sd_model_find(m, name);
    if (!v) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "unknown variable '%s'",
                  name);
        return T_EINPUT;
    }
    v->eqn = arena_printf(&m->arena, "%.17g", value);
    v->line = v->col = 0;
    if (v->gf && v->kind == SD_AUX)
        v->gf = NULL;
    return v->eqn ? T_OK : T_EINTERNAL;
}
