/*
 * xmile.c - the XMILE reader: an expat stream over the file that fills an
 * SdModel with the simulation specs, the dimensions, and each variable's
 * equation text, flows, options, graphical function, units, documentation,
 * dimensions and per-element equations. Equations are not parsed here
 * (compile.c does it); this file only knows the XML.
 *
 * Modules: every <model> is read; the root model (the one without a name)
 * is then flattened, each <module> instance becoming copies of its model's
 * variables named `instance.name` in a scope of their own, and each
 * <connect> turning the instance's input into a reference to the variable
 * it is connected from. Stella's older layout (variables directly under
 * <model>, no <variables>) is read the same way.
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
#define MODULE_DEPTH 32     /* modules inside modules */
#define DIM_MAX_SIZE 100000 /* elements of one `size=` dimension */

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
    X_DIMS,    /* top-level <dimensions> */
    X_DIMDEF,  /* <dim> in it */
    X_ELEM,    /* <elem> of a <dim> */
    X_VDIMS,   /* a variable's <dimensions> */
    X_VDIM,    /* <dim> in it */
    X_ELEMENT, /* a variable's <element subscript="..."> */
    X_MODULE,  /* <module> */
    X_CONNECT, /* <connect> in a module */
    X_OPTIONS  /* <options> in the header */
} XKind;

typedef struct XmlGf {
    double xmin, xmax; /* xscale */
    bool has_xscale;   /* an <xscale> was seen */
    char *xpts, *ypts; /* the point lists as text */
    char xsep, ysep;   /* separators */
    SdGfType type;     /* interpolation */
    int line;          /* where the <gf> starts */
} XmlGf;

/* A <model>: its variables (indices into the model's var list, in file
 * order) and module instances. */
typedef struct XModel {
    const char *name; /* the name attribute, or NULL (the root) */
    int line;         /* where it starts */
} XModel;

typedef struct XModule {
    const char *inst;  /* instance name as written */
    const char *model; /* the model it instantiates (canonical) */
    int owner;         /* index of the model it is in */
    int first, n;      /* its connections: conns[first .. first+n) */
    int line;          /* where it is */
} XModule;

typedef struct XConnect {
    const char *to;   /* the instance's variable, as written */
    const char *from; /* what it reads, in the owner's names */
    int line;         /* where it is */
} XConnect;

/* One <eqn> of an arrayed variable that has several (the SDXorg tests
 * write one per element, in element order). */
typedef struct XEqnText {
    int var;         /* the variable */
    const char *eqn; /* its text */
    int line, col;   /* where */
} XEqnText;

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
    bool has_start, has_stop; /* sim specs seen */
    bool has_simspecs;        /* <sim_specs> seen */
    bool dt_reciprocal;       /* <dt reciprocal="true"> */
    int nonneg_stock;         /* behavior default: 1 on, 0 off */
    int nonneg_flow;          /* behavior default: 1 on, 0 off */
    struct NameVec {
        const char **items;
        int len, cap;
    } in, out;                    /* inflows, outflows of the current stock */
    VEC(int) nonneg_set;          /* per var: -1 default, 0 off, 1 on */
    VEC(int) var_model;           /* per var: the model it is in */
    long loc_off;                 /* locate(): offset scanned up to */
    int loc_line;                 /* locate(): its line number */
    int loc_chars;                /* locate(): characters from line start */
    VEC(int) adj;                 /* entity widths in the current <eqn> */
    VEC(XModel) models;           /* every <model> */
    int cur_model;                /* the one being read, or -1 */
    VEC(XModule) modules;         /* every <module> */
    VEC(XConnect) conns;          /* every <connect> */
    VEC(SdDim) dims;              /* top-level dimensions */
    SdDim dim;                    /* the <dim> being read */
    struct NameVec elems;         /* its <elem> names */
    struct NameVec vdims;         /* dimensions of the current variable */
    bool vdims_nested;            /* a <dimensions> inside <dimensions> */
    VEC(SdEqn) veqns;             /* <element> equations of the variable */
    SdEqn *elem;                  /* the <element> being read, or NULL */
    int neqn;                     /* <eqn> elements of the current variable */
    VEC(XEqnText) extra;          /* second and later <eqn> of arrayed vars */
    struct NameVec maps;          /* tt:map of the <dim>: ranges mapped to */
    VEC(const char **) map_elems; /* and their element lists, or NULL */
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

static bool is_var_element(const char *el)
{
    return !strcmp(el, "stock") || !strcmp(el, "flow") || !strcmp(el, "aux") ||
           !strcmp(el, "gf");
}

static void locate(Reader *r, long off, int *line, int *col);

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
    case X_DIMS:
        return !strcmp(el, "dim") ? X_DIMDEF : X_OTHER;
    case X_DIMDEF:
        return !strcmp(el, "elem") ? X_ELEM : X_OTHER;
    case X_HEADER:
        if (!strcmp(el, "options"))
            return X_OPTIONS;
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
        if (!strcmp(el, "variables"))
            return X_VARIABLES;
        /* Stella's older files put the variables right under <model>. */
        if (is_var_element(el))
            return X_VAR;
        if (!strcmp(el, "module"))
            return X_MODULE;
        return X_OTHER;
    case X_VARIABLES:
        if (is_var_element(el))
            return X_VAR;
        if (!strcmp(el, "module"))
            return X_MODULE;
        return X_OTHER;
    case X_MODULE:
        return !strcmp(el, "connect") ? X_CONNECT : X_OTHER;
    case X_VDIMS:
        if (!strcmp(el, "dim"))
            return X_VDIM;
        if (!strcmp(el, "dimensions"))
            return X_VDIMS;
        return X_OTHER;
    case X_ELEMENT:
        if (!strcmp(el, "eqn"))
            return X_EQN;
        if (!strcmp(el, "gf"))
            return X_GF;
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
            return X_VDIMS;
        if (!strcmp(el, "element"))
            return X_ELEMENT;
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

/* The display form of a name: the `\n` escape XMILE uses for line breaks
 * reads as a space. */
static const char *display(Reader *r, const char *name)
{
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
    const char *res = arena_strdup(&r->m->arena, tbuf_cstr(&disp));
    tbuf_free(&disp);
    return res;
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
    if (vec_push(&r->nonneg_set, -1) || vec_push(&r->var_model, r->cur_model))
        return NULL;
    SdVar *v = &m->vars[m->nvars++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->decl_line = cur_line(r);
    v->name = display(r, name);
    v->ident = sd_canon_name(&m->arena, name, strlen(name));
    return v;
}

/* Splits "a, b" at commas into canonical names; the count, or -1. */
static int split_subscripts(Reader *r, const char *s, const char ***out)
{
    int n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    const char **v = arena_alloc(&r->m->arena, sizeof(char *) * (size_t)n);
    if (!v)
        return -1;
    int k = 0;
    for (const char *p = s;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        v[k] = sd_canon_name(&r->m->arena, p, len);
        if (!v[k] || !*v[k])
            return -1;
        k++;
        if (!q)
            break;
        p = q + 1;
    }
    *out = v;
    return k;
}

static void XMLCALL on_start(void *ud, const XML_Char *el,
                             const XML_Char **atts)
{
    Reader *r = ud;
    XKind k = classify(r, el);
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
        /* Territory's own: the time controls are the variables INITIAL
         * TIME, FINAL TIME, TIME STEP and SAVEPER, computed in the run */
        if ((v = attr(atts, "dynamic_time")))
            r->m->dynamic_time = !strcasecmp(v, "true");
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
    case X_MODEL: {
        XModel xm = {0};
        v = attr(atts, "name");
        xm.name = v ? sd_canon_name(&r->m->arena, v, strlen(v)) : NULL;
        xm.line = cur_line(r);
        for (int i = 0; xm.name && i < r->models.len; i++)
            if (r->models.items[i].name &&
                !strcmp(r->models.items[i].name, xm.name))
                xerr(r, xm.line,
                     "model '%s' is defined twice (first on line "
                     "%d)",
                     v, r->models.items[i].line);
        if (vec_push(&r->models, xm) == 0)
            r->cur_model = r->models.len - 1;
        break;
    }
    case X_MODULE: {
        XModule mo = {0};
        v = attr(atts, "name");
        if (!v || !*v) {
            xerr(r, cur_line(r), "<module> without a name");
            break;
        }
        mo.inst = arena_strdup(&r->m->arena, v);
        const char *mn = attr(atts, "model");
        if (!mn)
            mn = v;
        mo.model = sd_canon_name(&r->m->arena, mn, strlen(mn));
        mo.owner = r->cur_model;
        mo.first = r->conns.len;
        mo.line = cur_line(r);
        vec_push(&r->modules, mo);
        break;
    }
    case X_CONNECT: {
        const char *to = attr(atts, "to"), *from = attr(atts, "from");
        if (!to || !from || !*to || !*from) {
            xerr(r, cur_line(r), "<connect> needs both 'to' and 'from'");
            break;
        }
        XConnect c = {arena_strdup(&r->m->arena, to),
                      arena_strdup(&r->m->arena, from), cur_line(r)};
        if (r->modules.len && vec_push(&r->conns, c) == 0)
            r->modules.items[r->modules.len - 1].n++;
        break;
    }
    case X_OPTIONS:
        /* Territory's own XMILE from a .mdl names the vensim function
         * namespace: Vensim's builtins and array rules apply. */
        if ((v = attr(atts, "namespace")) && strstr(v, "vensim"))
            r->m->vensim_rules = true;
        break;
    case X_DIMDEF: {
        memset(&r->dim, 0, sizeof r->dim);
        r->elems.len = 0;
        r->maps.len = 0;
        r->map_elems.len = 0;
        v = attr(atts, "name");
        if (!v || !*v) {
            xerr(r, cur_line(r), "<dim> without a name");
            break;
        }
        r->dim.name = arena_strdup(&r->m->arena, v);
        r->dim.ident = sd_canon_name(&r->m->arena, v, strlen(v));
        r->dim.line = cur_line(r);
        const char *size = attr(atts, "size");
        long n = 0;
        if (size && !str_to_int(size, 1, DIM_MAX_SIZE, &n))
            xerr(r, cur_line(r),
                 "dimension '%s': size '%s' is not a whole number from 1 to "
                 "%d",
                 v, size, DIM_MAX_SIZE);
        r->dim.n = (int)n; /* 0 when elements follow */
        r->dim.indexed = n > 0;
        break;
    }
    case X_ELEM:
        v = attr(atts, "name");
        if (!v || !*v)
            xerr(r, cur_line(r), "<elem> without a name in dimension '%s'",
                 r->dim.name ? r->dim.name : "?");
        else
            vec_push(&r->elems, arena_strdup(&r->m->arena, v));
        break;
    case X_VDIMS:
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_VDIMS)
            r->vdims_nested = true;
        else if (r->var)
            locate(r, XML_GetCurrentByteIndex(r->xp), &r->var->dims_line,
                   &r->var->dims_col);
        break;
    case X_VDIM:
        v = attr(atts, "name");
        if (!v || !*v)
            xerr(r, cur_line(r), "<dim> without a name");
        else if (r->var)
            vec_push(&r->vdims, sd_canon_name(&r->m->arena, v, strlen(v)));
        break;
    case X_ELEMENT: {
        v = attr(atts, "subscript");
        SdEqn e = {0};
        e.decl_line = cur_line(r);
        if (!r->var)
            break;
        if (!v || (e.nsubs = split_subscripts(r, v, &e.subs)) < 0) {
            xerr(r, cur_line(r), "<element> of '%s' needs a subscript",
                 r->var->name);
            break;
        }
        if ((v = attr(atts, "except"))) {
            /* Territory's XMILE of a Vensim :EXCEPT: `a,b;c,d` */
            int nx = 1;
            for (const char *p = v; *p; p++)
                nx += *p == ';';
            e.except = arena_alloc(&r->m->arena,
                                   sizeof(char *) * (size_t)(nx * e.nsubs + 1));
            for (const char *p = v; e.except && *p;) {
                const char *q = strchr(p, ';');
                size_t l = q ? (size_t)(q - p) : strlen(p);
                const char **part;
                char *one = arena_strndup(&r->m->arena, p, l);
                if (!one || split_subscripts(r, one, &part) != e.nsubs) {
                    xerr(r, cur_line(r),
                         "tt:except of '%s' needs %d "
                         "subscripts in each list",
                         r->var->name, e.nsubs);
                    break;
                }
                memcpy(e.except + e.nexcept * e.nsubs, part,
                       sizeof(char *) * (size_t)e.nsubs);
                e.nexcept++;
                p = q ? q + 1 : p + l;
            }
        }
        if (vec_push(&r->veqns, e) == 0)
            r->elem = &r->veqns.items[r->veqns.len - 1];
        break;
    }
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
        r->vdims.len = 0;
        r->vdims_nested = false;
        r->veqns.len = 0;
        r->elem = NULL;
        r->neqn = 0;
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
    case X_OTHER:
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_DIMDEF &&
            strstr(el, ":map") && (v = attr(atts, "to"))) {
            /* Territory's XMILE of a Vensim mapping `d -> e` */
            vec_push(&r->maps, sd_canon_name(&r->m->arena, v, strlen(v)));
            const char *els = attr(atts, "elements");
            const char **list = NULL;
            if (els) {
                char *copy = arena_strdup(&r->m->arena, els);
                if (!copy || split_subscripts(r, copy, &list) < 0)
                    list = NULL;
            }
            vec_push(&r->map_elems, list);
        }
        if (r->depth >= 2 && r->stack[r->depth - 2] == X_VAR &&
            (!strcmp(el, "conveyor") || !strcmp(el, "queue")))
            xerr(r, cur_line(r),
                 "%ss are not supported (stock '%s' is one); a conveyor or "
                 "queue moves material in batches, which needs its own "
                 "integration",
                 el, r->var ? r->var->name : "?");
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
    if (k == X_OTHER || k == X_XMILE || k == X_MODEL || k == X_VARIABLES ||
        k == X_DIMS || k == X_DIMDEF || k == X_VDIMS || k == X_ELEMENT ||
        k == X_MODULE)
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
    if (r->elem)
        r->elem->gf = gr;
    else
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

static const int *copy_adj(Reader *r, int *nadj)
{
    *nadj = 0;
    if (!r->adj.len)
        return NULL;
    int *adj = arena_alloc(&r->m->arena, sizeof(int) * (size_t)r->adj.len);
    if (!adj)
        return NULL;
    memcpy(adj, r->adj.items, sizeof(int) * (size_t)r->adj.len);
    *nadj = r->adj.len / 2;
    return adj;
}

static void end_eqn(Reader *r, XKind parent)
{
    SdModel *m = r->m;
    const char *text = arena_strdup(&m->arena, tbuf_cstr(&r->text));
    int line, col;
    locate(r, r->text_off, &line, &col);
    const char *t = text ? text : "";
    while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n')
        t++;
    if (!strncmp(t, "???", 3) && r->var) {
        /* what xmutil writes for an equation it could not translate */
        diags_add(r->d, DIAG_ERROR, m->file, line, col + (int)(t - text), NULL,
                  "the equation of '%s' is '?\?\?', a placeholder a "
                  "converter writes for an equation it could not translate",
                  r->var->name);
    }
    if (parent == X_ELEMENT) {
        if (!r->elem)
            return;
        r->elem->eqn = text;
        r->elem->line = line;
        r->elem->col = col;
        r->elem->adj = copy_adj(r, &r->elem->nadj);
        return;
    }
    if (!r->var || parent != X_VAR)
        return;
    if (r->neqn++ > 0) {
        /* Several <eqn> in one variable: one per element, as the SDXorg
         * tests write arrays (read once the dimensions are known). */
        XEqnText x = {(int)(r->var - m->vars), text, line, col};
        vec_push(&r->extra, x);
        return;
    }
    r->var->eqn = text;
    r->var->adj = copy_adj(r, &r->var->nadj);
    r->var->line = line;
    r->var->col = col;
}

static const char **copy_names(Reader *r, const struct NameVec *nv)
{
    const char **v =
        arena_alloc(&r->m->arena, sizeof(char *) * (size_t)(nv->len + 1));
    if (v && nv->len)
        memcpy(v, nv->items, sizeof(char *) * (size_t)nv->len);
    return v;
}

static void end_var(Reader *r)
{
    SdModel *m = r->m;
    if (r->in_gf)
        gf_end(r);
    SdVar *v = r->var;
    v->n_inflows = r->in.len;
    v->n_outflows = r->out.len;
    v->inflows = copy_names(r, &r->in);
    v->outflows = copy_names(r, &r->out);
    if (r->vdims.len) {
        /* xmutil writes <dimensions><dimensions> with each dimension
         * twice; read that as each once. */
        int n = r->vdims.len;
        bool pairs = r->vdims_nested && n % 2 == 0;
        for (int i = 0; pairs && i < n; i += 2)
            pairs = !strcmp(r->vdims.items[i], r->vdims.items[i + 1]);
        if (pairs) {
            for (int i = 0; i < n / 2; i++)
                r->vdims.items[i] = r->vdims.items[2 * i];
            r->vdims.len = n / 2;
        }
        v->dims = copy_names(r, &r->vdims);
        v->ndims = r->vdims.len;
    }
    if (r->veqns.len) {
        v->eqns = arena_alloc(&m->arena, sizeof(SdEqn) * (size_t)r->veqns.len);
        if (v->eqns)
            memcpy(v->eqns, r->veqns.items,
                   sizeof(SdEqn) * (size_t)r->veqns.len);
        v->neqns = r->veqns.len;
        for (int i = 0; i < v->neqns; i++) {
            SdEqn *e = &v->eqns[i];
            if (!v->ndims)
                xerr(r, e->decl_line,
                     "'%s' has an <element> but no <dimensions>", v->name);
            else if (e->nsubs != v->ndims)
                xerr(r, e->decl_line,
                     "<element> of '%s' has %d subscript%s; the variable has "
                     "%d dimension%s",
                     v->name, e->nsubs, e->nsubs == 1 ? "" : "s", v->ndims,
                     v->ndims == 1 ? "" : "s");
            else if (!e->eqn && !e->gf && v->kind != SD_AUX)
                xerr(r, e->decl_line, "<element> of '%s' has no equation",
                     v->name);
        }
    }
    bool has = v->eqn || v->gf || v->neqns;
    if (!has && v->kind != SD_AUX)
        xerr(r, v->decl_line, "%s '%s' has no equation",
             v->kind == SD_STOCK ? "stock" : "flow", v->name);
    else if (!has && !r->gf_seen) /* else gf said why */
        xerr(r, v->decl_line, "variable '%s' has no equation", v->name);
}

static void end_dim(Reader *r)
{
    SdDim *dm = &r->dim;
    if (!dm->ident)
        return;
    SdModel *m = r->m;
    if (dm->indexed && r->elems.len) {
        xerr(r, dm->line, "dimension '%s' has both a size and <elem>s",
             dm->name);
        return;
    }
    if (!dm->indexed) {
        if (!r->elems.len) {
            xerr(r, dm->line, "dimension '%s' has no elements", dm->name);
            return;
        }
        dm->n = r->elems.len;
        dm->elems = copy_names(r, &r->elems);
    } else {
        const char **el =
            arena_alloc(&m->arena, sizeof(char *) * (size_t)(dm->n + 1));
        if (!el)
            return;
        for (int i = 0; i < dm->n; i++)
            el[i] = arena_printf(&m->arena, "%d", i + 1);
        dm->elems = el;
    }
    const char **ids =
        arena_alloc(&m->arena, sizeof(char *) * (size_t)(dm->n + 1));
    if (!ids)
        return;
    THash seen = {0};
    for (int i = 0; i < dm->n; i++) {
        ids[i] = sd_canon_name(&m->arena, dm->elems[i], strlen(dm->elems[i]));
        int j;
        if (ids[i] && thash_get(&seen, ids[i], &j))
            xerr(r, dm->line, "dimension '%s' lists element '%s' twice",
                 dm->name, dm->elems[i]);
        else if (ids[i])
            thash_put(&seen, ids[i], i);
    }
    thash_free(&seen);
    dm->elem_ids = ids;
    if (r->maps.len) {
        dm->nmaps = r->maps.len;
        dm->map_to = copy_names(r, &r->maps);
        dm->map_elems =
            arena_alloc(&m->arena, sizeof(char **) * (size_t)r->maps.len);
        if (dm->map_elems)
            memcpy(dm->map_elems, r->map_elems.items,
                   sizeof(char **) * (size_t)r->maps.len);
    }
    for (int i = 0; i < r->dims.len; i++)
        if (!strcmp(r->dims.items[i].ident, dm->ident)) {
            xerr(r, dm->line,
                 "dimension '%s' is defined twice (first on line "
                 "%d)",
                 dm->name, r->dims.items[i].line);
            return;
        }
    vec_push(&r->dims, *dm);
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
        end_eqn(r, parent);
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
    case X_ELEMENT:
        r->elem = NULL;
        break;
    case X_DIMDEF:
        end_dim(r);
        break;
    case X_VAR:
        if (r->var)
            end_var(r);
        r->var = NULL;
        break;
    case X_MODEL:
        r->cur_model = -1;
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

/* ---- after the file: dimensions, lists of equations, modules ---------- */

static const SdDim *find_dim(const SdModel *m, const char *ident)
{
    for (int i = 0; i < m->ndims; i++)
        if (!strcmp(m->dims[i].ident, ident))
            return &m->dims[i];
    return NULL;
}

/* The dimensions of v, in dm; false when one is not defined. */
static bool var_elements(const SdModel *m, const SdVar *v, const SdDim **dm)
{
    for (int i = 0; i < v->ndims; i++) {
        dm[i] = find_dim(m, v->dims[i]);
        if (!dm[i])
            return false;
    }
    return true;
}

/* The SDXorg tests write arrays as several <eqn> (one per element, in
 * order) or as a list of numbers (`1, 2, 3` or rows ending in `;`): both
 * become per-element equations of the variable. */
static void element_lists(Reader *r)
{
    SdModel *m = r->m;
    for (int vi = 0; vi < m->nvars; vi++) {
        SdVar *v = &m->vars[vi];
        for (int j = 0; j < v->neqns; j++) {
            /* a list of numbers for the elements an <element> covers */
            SdEqn *q = &v->eqns[j];
            double *vals;
            int n = q->eqn ? sd_number_list(&m->arena, q->eqn, &vals) : -1;
            if (n >= 2) {
                q->vals = vals;
                q->nvals = n;
                q->eqn = NULL;
            }
        }
        if (!v->ndims || v->neqns)
            continue;
        const SdDim *dm[SD_MAX_DIMS];
        if (v->ndims > SD_MAX_DIMS || !var_elements(m, v, dm))
            continue; /* compile reports the unknown dimension */
        long total = 1;
        for (int i = 0; i < v->ndims; i++)
            total *= dm[i]->n;
        int nextra = 0;
        for (int i = 0; i < r->extra.len; i++)
            nextra += r->extra.items[i].var == vi;
        if (nextra > 0) {
            if (nextra + 1 != total) {
                xerr(r, v->decl_line, "'%s' has %d equations for %ld elements",
                     v->name, nextra + 1, total);
                continue;
            }
            SdEqn *eq = arena_alloc(&m->arena, sizeof(SdEqn) * (size_t)total);
            if (!eq)
                continue;
            int k = 0;
            for (int i = -1; i < r->extra.len; i++) {
                if (i >= 0 && r->extra.items[i].var != vi)
                    continue;
                SdEqn *e = &eq[k];
                e->nsubs = v->ndims;
                e->subs =
                    arena_alloc(&m->arena, sizeof(char *) * (size_t)v->ndims);
                if (!e->subs)
                    return;
                long rest = k;
                for (int d = v->ndims - 1; d >= 0; d--) {
                    e->subs[d] = dm[d]->elem_ids[rest % dm[d]->n];
                    rest /= dm[d]->n;
                }
                if (i < 0) {
                    e->eqn = v->eqn;
                    e->line = v->line;
                    e->col = v->col;
                    e->adj = v->adj;
                    e->nadj = v->nadj;
                } else {
                    e->eqn = r->extra.items[i].eqn;
                    e->line = r->extra.items[i].line;
                    e->col = r->extra.items[i].col;
                }
                e->decl_line = v->decl_line;
                k++;
            }
            v->eqns = eq;
            v->neqns = (int)total;
            v->eqn = NULL;
            continue;
        }
        double *vals;
        int n = v->eqn ? sd_number_list(&m->arena, v->eqn, &vals) : -1;
        if (n < 2)
            continue;
        SdEqn *e = arena_alloc(&m->arena, sizeof(SdEqn));
        if (!e)
            return;
        e->subs = v->dims;
        e->nsubs = v->ndims;
        e->vals = vals;
        e->nvals = n;
        e->line = v->line;
        e->col = v->col;
        e->decl_line = v->decl_line;
        v->eqns = e;
        v->neqns = 1;
        v->eqn = NULL;
    }
    for (int i = 0; i < r->extra.len; i++)
        if (!m->vars[r->extra.items[i].var].ndims)
            xerr(r, m->vars[r->extra.items[i].var].decl_line,
                 "'%s' has more than one <eqn>",
                 m->vars[r->extra.items[i].var].name);
}

typedef VEC(SdVar) VarVec;

static int find_model(const Reader *r, const char *ident)
{
    for (int i = 0; i < r->models.len; i++)
        if (r->models.items[i].name && !strcmp(r->models.items[i].name, ident))
            return i;
    return -1;
}

/* A name written in a connection: leading dots dropped (".area" is the
 * parent's area), canonical. */
static const char *conn_name(Reader *r, const char *s)
{
    while (*s == '.')
        s++;
    return sd_canon_name(&r->m->arena, s, strlen(s));
}

/* Quotes an identifier for an equation: `"a.b"` with \ and " escaped. */
static const char *quoted_ref(Reader *r, const char *ident)
{
    TBuf b = {0};
    tbuf_putc(&b, '"');
    for (const char *p = ident; *p; p++) {
        if (*p == '"' || *p == '\\')
            tbuf_putc(&b, '\\');
        tbuf_putc(&b, *p);
    }
    tbuf_putc(&b, '"');
    const char *res = arena_strdup(&r->m->arena, tbuf_cstr(&b));
    tbuf_free(&b);
    return res;
}

/* Copies model mi's variables into out, names prefixed (`hares.` for the
 * instance hares), then its module instances, recursively; then connects
 * each instance's inputs. */
static bool flatten(Reader *r, int mi, const char *pident, const char *pname,
                    const char *scope, int depth, VarVec *out)
{
    SdModel *m = r->m;
    Arena *a = &m->arena;
    if (depth > MODULE_DEPTH) {
        xerr(r, r->models.items[mi].line,
             "modules nested more than %d deep (does model '%s' contain "
             "itself?)",
             MODULE_DEPTH, r->models.items[mi].name);
        return false;
    }
    for (int i = 0; i < m->nvars; i++) {
        if (r->var_model.items[i] != mi)
            continue;
        SdVar v = m->vars[i];
        if (*pident) {
            v.name = arena_printf(a, "%s%s", pname, v.name);
            v.ident = arena_printf(a, "%s%s", pident, v.ident);
            v.scope = scope;
        }
        if (vec_push(out, v))
            return false;
    }
    for (int k = 0; k < r->modules.len; k++) {
        const XModule *mo = &r->modules.items[k];
        if (mo->owner != mi)
            continue;
        int sub = find_model(r, mo->model);
        if (sub < 0) {
            xerr(r, mo->line,
                 "module '%s' instantiates model '%s', which the file does "
                 "not define",
                 mo->inst, mo->model);
            continue;
        }
        const char *iid = sd_canon_name(a, mo->inst, strlen(mo->inst));
        const char *sid = arena_printf(a, "%s%s.", pident, iid);
        const char *sname =
            arena_printf(a, "%s%s.", pname, display(r, mo->inst));
        const char *sscope = arena_printf(a, "%s%s", pident, iid);
        int first = out->len;
        if (!flatten(r, sub, sid, sname, sscope, depth + 1, out))
            return false;
        for (int c = mo->first; c < mo->first + mo->n; c++) {
            const XConnect *cn = &r->conns.items[c];
            const char *to = cn->to;
            size_t il = strlen(mo->inst);
            if (!strncmp(to, mo->inst, il) && to[il] == '.')
                to += il + 1; /* Stella writes `hares.area` */
            const char *tid = arena_printf(a, "%s%s", sid, conn_name(r, to));
            SdVar *tv = NULL;
            for (int j = first; j < out->len && !tv; j++)
                if (!strcmp(out->items[j].ident, tid))
                    tv = &out->items[j];
            if (!tv) {
                xerr(r, cn->line,
                     "module '%s' has no variable '%s' to connect to", mo->inst,
                     cn->to);
                continue;
            }
            const char *fid =
                arena_printf(a, "%s%s", pident, conn_name(r, cn->from));
            /* The input reads the variable in the owner's names: its
             * equation is resolved in the owner's scope. */
            tv->eqn = quoted_ref(r, fid);
            tv->line = cn->line;
            tv->col = 0;
            tv->adj = NULL;
            tv->nadj = 0;
            tv->scope = scope;
            tv->kind = SD_AUX;
            tv->n_inflows = tv->n_outflows = 0;
            tv->non_negative = false;
            tv->gf = NULL;
            tv->rate = NULL;
        }
    }
    return true;
}

static void flatten_modules(Reader *r)
{
    SdModel *m = r->m;
    if (r->models.len <= 1 && r->modules.len == 0)
        return;
    int root = -1;
    for (int i = 0; i < r->models.len && root < 0; i++)
        if (!r->models.items[i].name)
            root = i;
    if (root < 0)
        root = 0;
    VarVec out = {0};
    if (flatten(r, root, "", "", NULL, 0, &out)) {
        free(m->vars);
        m->vars = out.items;
        m->nvars = out.len;
        m->cap = out.cap;
    } else {
        vec_free(&out);
    }
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
    Reader r = {.m = m, .d = d, .loc_line = 1, .cur_model = -1};
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
    } else if (r.models.len == 0 && !r.has_simspecs) {
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
        if (r.dims.len) {
            m->dims =
                arena_alloc(&m->arena, sizeof(SdDim) * (size_t)r.dims.len);
            if (m->dims) {
                memcpy(m->dims, r.dims.items,
                       sizeof(SdDim) * (size_t)r.dims.len);
                m->ndims = r.dims.len;
            }
        }
        element_lists(&r);
        flatten_modules(&r);
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
    vec_free(&r.var_model);
    vec_free(&r.adj);
    vec_free(&r.models);
    vec_free(&r.modules);
    vec_free(&r.conns);
    vec_free(&r.dims);
    vec_free(&r.elems);
    vec_free(&r.vdims);
    vec_free(&r.veqns);
    vec_free(&r.extra);
    vec_free(&r.maps);
    vec_free(&r.map_elems);
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

bool sd_var_set_eqns(SdModel *m, SdVar *v, const SdEqn *e, int n)
{
    SdEqn *copy = n ? arena_alloc(&m->arena, sizeof(SdEqn) * (size_t)n) : NULL;
    if (n && !copy)
        return false;
    if (n)
        memcpy(copy, e, sizeof(SdEqn) * (size_t)n);
    v->eqns = copy;
    v->neqns = n;
    return true;
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
    v->adj = NULL;
    v->nadj = 0;
    v->eqns = NULL; /* every element of an array takes the value */
    v->neqns = 0;
    if (v->gf && v->kind == SD_AUX)
        v->gf = NULL;
    return v->eqn ? T_OK : T_EINTERNAL;
}
