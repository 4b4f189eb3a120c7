/*
 * mdl.c - the Vensim .mdl reader: splits the file into its equations (each
 * `lhs = rhs ~ units ~ comment |`), macros and sketch, and fills the same
 * SdModel the XMILE reader fills. Equation text is kept as written and
 * parsed later by parse.c in Vensim mode (lex.c reads the tokens that
 * differ), so every message points into the .mdl. What is decided here:
 * stocks (`INTEG(rate, initial)`), lookups in all their written forms
 * (definitions, `WITH LOOKUP`), the time-control variables, macro
 * expansion (each call becomes hidden variables in a scope of their own),
 * subscript ranges, data equations and the GET functions (once the ranges
 * are known, the files they name are read through data.c: a data
 * variable becomes a graphical function of Time, constants numbers, a
 * lookup a graphical function), time controls that change during the run
 * (marked dynamic for simtime.c), and the sketch (views, elements,
 * arrows).
 */
#include "sd_int.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MDL_MAX_INSTANCES 10000 /* macro calls expanded: stops self-calls */
#define MDL_MAX_ARGS 64         /* arguments of INTEG, WITH LOOKUP, macros */
#define MDL_MAX_POINTS 100000   /* points in one lookup table */
#define MDL_EVAL_DEPTH 8        /* control variables referring to others */
#define DIM_MAX 1000000         /* elements of one subscript range */

typedef struct Span {
    size_t a, b; /* byte range [a, b) of the text */
} Span;

typedef struct Macro {
    const char *name;    /* as written */
    const char *ident;   /* canonical */
    const char **params; /* canonical parameter names */
    int nparams;         /* how many */
    int first, n;        /* its equations: tmpl[first .. first + n) */
    size_t off;          /* where `:MACRO:` is, for messages */
} Macro;

typedef VEC(const char *) NameList;

/* A subscript range as written; resolved once every range is read. */
typedef struct XRange {
    const char *name;             /* as written */
    const char *ident;            /* canonical */
    NameList items;               /* elements or other ranges, as written */
    const char *alias_of;         /* `a <-> b`: b's ident */
    NameList maps;                /* ranges mapped to (canonical) */
    VEC(const char **) map_elems; /* per mapping: listed elements, or NULL */
    VEC(int) map_n;               /* per mapping: how many listed */
    size_t at;                    /* where it is defined */
} XRange;

typedef VEC(XRange) RangeList;

/* How a data variable reads between its data's times (the keyword after
 * its name; interpolation when there is none). */
typedef SdDataMode DataMode;
#define DATA_INTERPOLATE SD_DATA_INTERPOLATE /* linear between times */

typedef enum { GET_DATA, GET_CONSTANTS, GET_LOOKUPS } GetKind;

#define GET_MAX_ARGS 5 /* GET DIRECT SUBSCRIPT's five */

/* A GET function that is a whole equation, read once the ranges are. */
typedef struct GetCall {
    const char *eqn;                /* the equation text it stands as: its
                                       address names the equation */
    GetKind kind;                   /* what it reads */
    DataMode mode;                  /* GET_DATA: between the times */
    const char *fn;                 /* the function as written */
    const char *args[GET_MAX_ARGS]; /* its texts, quotes removed */
    size_t at[GET_MAX_ARGS];        /* where each is, for messages */
    int nargs;                      /* how many */
} GetCall;

typedef struct Reader {
    SdModel *m;        /* what we fill */
    TDiags *d;         /* where errors go */
    char *s;           /* the file with line continuations blanked */
    size_t n;          /* its length */
    VEC(size_t) lines; /* byte offset of each line's start */
    VEC(Macro) macros; /* macros defined so far */
    VEC(SdVar) tmpl;   /* the equations inside macros */
    int in_macro;      /* index of the macro being read, or -1 */
    int instances;     /* macro calls expanded */
    RangeList ranges;  /* subscript ranges as written */
    VEC(GetCall) gets; /* GET functions, read after the ranges */
    SdBook book;       /* the data files they read */
} Reader;

/* ---- places and messages ---------------------------------------------- */

/* Line and 1-based column (in characters) of byte offset off. */
static void where(const Reader *r, size_t off, int *line, int *col)
{
    int lo = 0, hi = r->lines.len - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (r->lines.items[mid] <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t ls = r->lines.items[lo];
    *line = lo + 1;
    *col = 1 + str_utf8_count(r->m->src + ls, off - ls);
}

/* Reports at (line, col) with that line of the file for the caret. */
static void verr_lc(Reader *r, int line, int col, const char *fmt, va_list ap)
{
    char *ctx = NULL;
    if (line >= 1 && line <= r->lines.len) {
        size_t ls = r->lines.items[line - 1], le = ls;
        while (le < r->n && r->m->src[le] != '\n' && r->m->src[le] != '\r')
            le++;
        ctx = arena_strndup(&r->m->arena, r->m->src + ls, le - ls);
    }
    diags_vadd(r->d, DIAG_ERROR, r->m->file, line, col, ctx, fmt, ap);
}

static void err_lc(Reader *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err_lc(Reader *r, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr_lc(r, line, col, fmt, ap);
    va_end(ap);
}

static void err_at(Reader *r, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void err_at(Reader *r, size_t off, const char *fmt, ...)
{
    int line, col;
    if (off > r->n)
        off = r->n;
    where(r, off, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    verr_lc(r, line, col, fmt, ap);
    va_end(ap);
}

/* Where byte off of an equation that starts at (line, col) is. */
static void advance_loc(const char *text, size_t off, int *line, int *col)
{
    size_t ls = 0;
    bool moved = false;
    for (size_t i = 0; i < off && text[i]; i++)
        if (text[i] == '\n') {
            (*line)++;
            ls = i + 1;
            moved = true;
        }
    if (moved)
        *col = 1 + str_utf8_count(text + ls, off - ls);
    else
        *col += str_utf8_count(text, off);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_blank(const Reader *r, size_t p, size_t end)
{
    while (p < end && is_blank(r->s[p]))
        p++;
    return p;
}

static size_t trim_end(const Reader *r, size_t a, size_t b)
{
    while (b > a && is_blank(r->s[b - 1]))
        b--;
    return b;
}

static bool starts_ci(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if ((s[i] | 0x20) != (word[i] | 0x20))
            return false;
    return true;
}

/* A copy of [a, b) trimmed, or NULL when nothing is left. */
static const char *text_of(Reader *r, Span sp)
{
    size_t a = skip_blank(r, sp.a, sp.b), b = trim_end(r, a, sp.b);
    return b > a ? arena_strndup(&r->m->arena, r->s + a, b - a) : NULL;
}

/* The name as shown: without its quotes, white space runs as one space. */
static const char *display_name(Reader *r, size_t a, size_t b)
{
    if (b - a >= 2 && r->s[a] == '"' && r->s[b - 1] == '"')
        return arena_strndup(&r->m->arena, r->s + a + 1, b - a - 2);
    TBuf t = {0};
    bool space = false;
    for (size_t i = a; i < b; i++) {
        if (is_blank(r->s[i])) {
            space = true;
            continue;
        }
        if (space)
            tbuf_putc(&t, ' ');
        space = false;
        tbuf_putc(&t, r->s[i]);
    }
    const char *res = arena_strdup(&r->m->arena, tbuf_cstr(&t));
    tbuf_free(&t);
    return res;
}

static void lex_at(const Reader *r, SdLexer *lx, size_t a, size_t b)
{
    sd_lex_init(lx, r->s + a, b - a);
    lx->vensim = true;
}

/* ---- variables --------------------------------------------------------- */

/* A new variable at the end of the model, or of the current macro's
 * equations. The pointer is good until the next call. */
static SdVar *new_var(Reader *r, bool in_macro)
{
    SdVar blank = {0};
    if (in_macro) {
        if (vec_push(&r->tmpl, blank))
            return NULL;
        return &r->tmpl.items[r->tmpl.len - 1];
    }
    SdModel *m = r->m;
    if (m->nvars == m->cap) {
        int cap = m->cap ? m->cap * 2 : 32;
        SdVar *v = realloc(m->vars, sizeof(SdVar) * (size_t)cap);
        if (!v)
            return NULL;
        m->vars = v;
        m->cap = cap;
    }
    SdVar *v = &m->vars[m->nvars++];
    *v = blank;
    return v;
}

/* Fills eqn, line and col from a span of the text; false when empty. */
static bool set_eqn(Reader *r, const char **eqn, int *line, int *col, Span sp)
{
    size_t a = skip_blank(r, sp.a, sp.b), b = trim_end(r, a, sp.b);
    if (b <= a)
        return false;
    *eqn = arena_strndup(&r->m->arena, r->s + a, b - a);
    where(r, a, line, col);
    return true;
}

/* ---- argument lists and lookup tables ---------------------------------- */

/* Splits the parenthesised list that starts at the '(' at byte lp of
 * text into top-level arguments (offsets into text). *close is the offset
 * just past the matching ')'. Returns the count, or -1 with *bad the
 * offset of the problem. */
static int split_args(const char *text, size_t len, size_t lp, Span *args,
                      int max, size_t *close, size_t *bad)
{
    SdLexer lx;
    sd_lex_init(&lx, text, len);
    lx.vensim = true;
    lx.pos = lp;
    int depth = 0, n = 0;
    size_t from = lp + 1;
    for (;;) {
        SdTok t = sd_lex_next(&lx);
        if (t == TK_EOF || t == TK_ERROR) {
            *bad = t == TK_EOF ? lp : lx.start;
            return -1;
        }
        if (t == TK_LP || t == TK_LBRACK) {
            depth++;
        } else if (t == TK_RP || t == TK_RBRACK) {
            if (--depth == 0) {
                if (t != TK_RP) {
                    *bad = lx.start;
                    return -1;
                }
                if (n == max) {
                    *bad = lx.start;
                    return -1;
                }
                /* `f()` has no arguments, not one empty one */
                size_t k = from;
                while (k < lx.start && is_blank(text[k]))
                    k++;
                if (k < lx.start || n > 0)
                    args[n++] = (Span){from, lx.start};
                *close = lx.end;
                return n;
            }
        } else if (t == TK_COMMA && depth == 1) {
            if (n == max) {
                *bad = lx.start;
                return -1;
            }
            args[n++] = (Span){from, lx.start};
            from = lx.end;
        }
    }
}

typedef struct TableParser {
    Reader *r;      /* for messages */
    SdLexer lx;     /* over the table text */
    size_t base;    /* offset of the table text in the file */
    const char *of; /* the variable's name, for messages */
    bool failed;    /* an error was reported */
} TableParser;

static void table_error(TableParser *t, const char *what)
{
    if (t->failed)
        return;
    t->failed = true;
    if (t->lx.tok == TK_EOF)
        err_at(t->r, t->base + t->lx.start,
               "lookup table of '%s': expected %s, found the end", t->of, what);
    else
        err_at(
            t->r, t->base + t->lx.start,
            "lookup table of '%s': expected %s, found '%.*s'", t->of, what,
            (int)(t->lx.end - t->lx.start > 40 ? 40 : t->lx.end - t->lx.start),
            t->lx.text + t->lx.start);
}

static void table_next(TableParser *t)
{
    if (sd_lex_next(&t->lx) == TK_ERROR && !t->failed) {
        t->failed = true;
        err_at(t->r, t->base + t->lx.start, "lookup table of '%s': %s", t->of,
               t->lx.err);
    }
}

static bool table_expect(TableParser *t, SdTok tok, const char *what)
{
    if (t->failed)
        return false;
    if (t->lx.tok != tok) {
        table_error(t, what);
        return false;
    }
    table_next(t);
    return !t->failed;
}

/* num ::= [ '+' | '-' ] NUMBER */
static bool table_num(TableParser *t, double *out)
{
    if (t->failed)
        return false;
    double sign = 1;
    if (t->lx.tok == TK_PLUS || t->lx.tok == TK_MINUS) {
        sign = t->lx.tok == TK_MINUS ? -1 : 1;
        table_next(t);
    }
    if (t->lx.tok != TK_NUM || !isfinite(t->lx.num)) {
        table_error(t, "a number");
        return false;
    }
    *out = sign * t->lx.num;
    table_next(t);
    return !t->failed;
}

/* point ::= '(' num ',' num ')' */
static bool table_point(TableParser *t, double *x, double *y)
{
    return table_expect(t, TK_LP, "'('") && table_num(t, x) &&
           table_expect(t, TK_COMMA, "','") && table_num(t, y) &&
           table_expect(t, TK_RP, "')'");
}

/* table ::= '(' [ '[' point '-' point { ',' point } ']' [ ','] ]
 *               ( point { ',' point } | num { ',' num } ) ')'
 * The bracket holds the axes' ranges (and reference points), which only
 * the drawing uses. A list of numbers is all the x values, then all the
 * y values. */
static SdGraph *parse_table(Reader *r, size_t a, size_t b, const char *of)
{
    TableParser t = {.r = r, .base = a, .of = of};
    lex_at(r, &t.lx, a, b);
    table_next(&t);
    if (!table_expect(&t, TK_LP, "'('"))
        return NULL;
    double x, y;
    if (t.lx.tok == TK_LBRACK) {
        table_next(&t);
        if (!table_point(&t, &x, &y) || !table_expect(&t, TK_MINUS, "'-'") ||
            !table_point(&t, &x, &y))
            return NULL;
        while (!t.failed && t.lx.tok == TK_COMMA) {
            table_next(&t);
            table_point(&t, &x, &y);
        }
        if (!table_expect(&t, TK_RBRACK, "']'"))
            return NULL;
        if (t.lx.tok == TK_COMMA)
            table_next(&t);
    }
    VEC(double) xs = {0};
    VEC(double) ys = {0};
    bool pairs = t.lx.tok == TK_LP;
    while (!t.failed) {
        if (xs.len + ys.len >= MDL_MAX_POINTS) {
            err_at(r, a + t.lx.start, "lookup table of '%s' has over %d points",
                   of, MDL_MAX_POINTS);
            t.failed = true;
            break;
        }
        if (pairs) {
            if (!table_point(&t, &x, &y))
                break;
            if (vec_push(&xs, x) || vec_push(&ys, y))
                t.failed = true;
        } else {
            if (!table_num(&t, &x))
                break;
            if (vec_push(&xs, x))
                t.failed = true;
        }
        if (t.lx.tok != TK_COMMA)
            break;
        table_next(&t);
    }
    table_expect(&t, TK_RP, "',' or ')'");
    if (!t.failed && t.lx.tok != TK_EOF)
        table_error(&t, "the end of the table");
    SdGraph *g = NULL;
    if (!t.failed && !pairs) {
        /* x values, then as many y values */
        if (xs.len % 2) {
            err_at(r, a,
                   "lookup table of '%s' lists %d numbers; x and y values "
                   "need an even count",
                   of, xs.len);
            t.failed = true;
        } else {
            int k = xs.len / 2;
            for (int i = 0; i < k && !t.failed; i++)
                if (vec_push(&ys, xs.items[k + i]))
                    t.failed = true;
            xs.len = k;
        }
    }
    if (!t.failed && xs.len == 0) {
        err_at(r, a, "lookup table of '%s' has no points", of);
        t.failed = true;
    }
    /* Vensim sorts a table's points by x (a stable insertion sort: tables
     * are short and mostly in order already). */
    for (int i = 1; !t.failed && i < xs.len; i++)
        for (int j = i; j > 0 && xs.items[j] < xs.items[j - 1]; j--) {
            double tx = xs.items[j], ty = ys.items[j];
            xs.items[j] = xs.items[j - 1];
            ys.items[j] = ys.items[j - 1];
            xs.items[j - 1] = tx;
            ys.items[j - 1] = ty;
        }
    if (!t.failed) {
        g = arena_alloc(&r->m->arena, sizeof *g);
        double *gx = arena_alloc(&r->m->arena, sizeof(double) * (size_t)xs.len);
        double *gy = arena_alloc(&r->m->arena, sizeof(double) * (size_t)xs.len);
        if (g && gx && gy) {
            memcpy(gx, xs.items, sizeof(double) * (size_t)xs.len);
            memcpy(gy, ys.items, sizeof(double) * (size_t)xs.len);
            g->type = SD_GF_CONTINUOUS; /* Vensim clamps at the ends */
            g->n = xs.len;
            g->x = gx;
            g->y = gy;
        } else {
            g = NULL;
        }
    }
    vec_free(&xs);
    vec_free(&ys);
    return g;
}

/* ---- one equation ------------------------------------------------------ */

/* Functions Territory cannot run yet, and why. */
static const char *unsupported(const char *ident)
{
    static const struct {
        const char *prefix; /* canonical name, or its start with '*' */
        const char *why;
    } list[] = {
        {"get_time_value", NULL}, /* supported: the model's own time */
        {"get_direct_data", "is read only as the whole equation of a variable"},
        {"get_xls_data", "is read only as the whole equation of a variable"},
        {"get_direct_constants", "is read only as the whole equation of a "
                                 "variable"},
        {"get_xls_constants", "is read only as the whole equation of a "
                              "variable"},
        {"get_direct_lookups", "is read only as the whole equation of a "
                               "variable"},
        {"get_xls_lookups", "is read only as the whole equation of a "
                            "variable"},
        {"get_data_*", "reads a data variable at another time, which is not "
                       "written yet"},
        {"get_*", "reads data from a file in a way not written yet"},
        {"vector_lookup", "is a vector function not written yet"},
        {"find_market_price", "is an allocation function not written yet"},
        /* supported: reproducible draws of our own (random.c) */
        {"random_uniform", NULL},
        {"random_normal", NULL},
        {"random_exponential", NULL},
        {"random_poisson", NULL},
        {"random_triangular", NULL},
        {"random_0_1", NULL},
        {"random_*", "is a random distribution not written yet"},
        {"a_function_of", "is a placeholder Vensim writes for an unfinished "
                          "equation"},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        const char *p = list[i].prefix;
        size_t k = strlen(p);
        if (p[k - 1] == '*' ? strncmp(ident, p, k - 1) == 0
                            : strcmp(ident, p) == 0)
            return list[i].why;
    }
    return NULL;
}

/* Reports each call of a function that is not supported yet; false when
 * there was one. */
static bool check_calls(Reader *r, size_t a, size_t b)
{
    SdLexer lx;
    lex_at(r, &lx, a, b);
    bool ok = true;
    SdTok prev = TK_EOF;
    size_t ps = 0, pe = 0;
    bool pq = false;
    for (;;) {
        SdTok t = sd_lex_next(&lx);
        if (t == TK_EOF || t == TK_ERROR)
            break;
        if (t == TK_LP && prev == TK_NAME && !pq) {
            char *id = sd_canon_name(&r->m->arena, r->s + a + ps, pe - ps);
            const char *why = id ? unsupported(id) : NULL;
            if (why) {
                /* placeholders are refused for good, the rest for now */
                bool never = !strcmp(id, "a_function_of");
                err_at(r, a + ps, "'%.*s' is not supported%s (it %s)",
                       (int)(pe - ps), r->s + a + ps, never ? "" : " yet", why);
                ok = false;
            }
        }
        prev = t;
        ps = lx.start;
        pe = lx.end;
        pq = lx.quoted;
    }
    return ok;
}

/* If [a, b) is `NAME ( args )` for the canonical name fn, the arguments;
 * -1 when it is not such a call, -2 after an error was reported. */
static int whole_call(Reader *r, size_t a, size_t b, const char *fn, Span *args)
{
    SdLexer lx;
    lex_at(r, &lx, a, b);
    if (sd_lex_next(&lx) != TK_NAME || lx.quoted)
        return -1;
    size_t ns = lx.start, ne = lx.end; /* the name, from a */
    char *id = sd_canon_name(&r->m->arena, r->s + a + ns, ne - ns);
    if (!id || strcmp(id, fn) != 0)
        return -1;
    if (sd_lex_next(&lx) != TK_LP)
        return -1;
    size_t close, bad;
    int n =
        split_args(r->s + a, b - a, lx.start, args, MDL_MAX_ARGS, &close, &bad);
    if (n < 0) {
        err_at(r, a + bad, "unbalanced parentheses in the arguments of '%.*s'",
               (int)(ne - ns), r->s + a + ns);
        return -2;
    }
    size_t rest = skip_blank(r, a + close, b);
    if (rest < b) {
        err_at(r, rest, "'%.*s' must be the whole equation", (int)(ne - ns),
               r->s + a + ns);
        return -2;
    }
    for (int i = 0; i < n; i++) {
        args[i].a += a;
        args[i].b += a;
    }
    return n;
}

/* ---- the GET functions -------------------------------------------------- */

/* The GET functions read here, by canonical name. */
static const struct {
    const char *ident;
    GetKind kind;
    int nargs; /* file, tab or delimiter, [time row or column,] cell */
} get_fns[] = {
    {"get_direct_data", GET_DATA, 4},
    {"get_xls_data", GET_DATA, 4},
    {"get_direct_constants", GET_CONSTANTS, 3},
    {"get_xls_constants", GET_CONSTANTS, 3},
    {"get_direct_lookups", GET_LOOKUPS, 4},
    {"get_xls_lookups", GET_LOOKUPS, 4},
};

/* Splits the arguments of a GET function, `( 'text', "text", ... )`
 * from the '(' at lp, commas in quotes being part of the text; each
 * argument's text goes to g with its place. Returns the offset after ')',
 * or 0 after a message. */
static size_t get_args(Reader *r, size_t lp, size_t end, GetCall *g)
{
    size_t p = lp + 1;
    g->nargs = 0;
    for (;;) {
        p = skip_blank(r, p, end);
        if (p >= end || (r->s[p] != '\'' && r->s[p] != '"')) {
            err_at(r, p < end ? p : lp,
                   "argument %d of '%s' must be text in quotes ('...')",
                   g->nargs + 1, g->fn);
            return 0;
        }
        char qc = r->s[p];
        size_t q = p + 1;
        while (q < end && r->s[q] != qc)
            q++;
        if (q >= end) {
            err_at(r, p, "unterminated text in the arguments of '%s'", g->fn);
            return 0;
        }
        if (g->nargs == GET_MAX_ARGS) {
            err_at(r, p, "'%s' takes at most %d arguments", g->fn,
                   GET_MAX_ARGS);
            return 0;
        }
        g->at[g->nargs] = p;
        g->args[g->nargs++] =
            arena_strndup(&r->m->arena, r->s + p + 1, q - p - 1);
        p = skip_blank(r, q + 1, end);
        if (p < end && r->s[p] == ',') {
            p++;
            continue;
        }
        if (p < end && r->s[p] == ')')
            return p + 1;
        err_at(r, p < end ? p : q,
               "expected ',' or ')' in the arguments of '%s'", g->fn);
        return 0;
    }
}

/* If [a, b) is a whole call of a GET function that reads into a variable,
 * fills g and returns 1; 0 when it is not; -1 after a message. The
 * functions of subscript ranges are not looked for here. */
static int get_call(Reader *r, size_t a, size_t b, GetCall *g)
{
    SdLexer lx;
    lex_at(r, &lx, a, b);
    if (sd_lex_next(&lx) != TK_NAME || lx.quoted)
        return 0;
    size_t ns = a + lx.start, ne = a + lx.end;
    char *id = sd_canon_name(&r->m->arena, r->s + ns, ne - ns);
    int k = -1;
    for (size_t i = 0; id && i < sizeof get_fns / sizeof get_fns[0]; i++)
        if (!strcmp(id, get_fns[i].ident))
            k = (int)i;
    if (k < 0)
        return 0;
    memset(g, 0, sizeof *g);
    g->kind = get_fns[k].kind;
    g->fn = display_name(r, ns, ne);
    size_t lp = skip_blank(r, ne, b);
    if (lp >= b || r->s[lp] != '(') {
        err_at(r, ne, "expected '(' after '%s'", g->fn);
        return -1;
    }
    size_t after = get_args(r, lp, b, g);
    if (!after)
        return -1;
    after = skip_blank(r, after, b);
    if (after < b) {
        err_at(r, after, "'%s' must be the whole equation", g->fn);
        return -1;
    }
    if (g->nargs != get_fns[k].nargs) {
        err_at(r, ns, "'%s' takes %d arguments (%s), not %d", g->fn,
               get_fns[k].nargs,
               get_fns[k].nargs == 3
                   ? "file, sheet or delimiter, first cell"
                   : "file, sheet or delimiter, time row or column, first "
                     "cell",
               g->nargs);
        return -1;
    }
    return 1;
}

static void set_doc(Reader *r, SdVar *v, Span units, Span doc)
{
    v->units = text_of(r, units);
    /* A comment may end with `~ :SUPPLEMENTARY` and such flags. */
    size_t e = doc.a;
    while (e < doc.b && r->s[e] != '~')
        e++;
    v->doc = text_of(r, (Span){doc.a, e});
}

/* ---- subscripts --------------------------------------------------------- */

/* The subscripts of a left-hand side, `x[a, b] :EXCEPT: [c, d]`. */
typedef struct Lhs {
    const char **subs;   /* canonical, one per position */
    int nsubs;           /* how many */
    const char **except; /* :EXCEPT: lists, nexcept * nsubs */
    int nexcept;         /* how many lists */
    size_t at;           /* where the '[' is */
} Lhs;

/* list ::= '[' NAME { ',' NAME } ']' at byte p; the names (canonical) go
 * to out, and the offset after ']' is returned, or 0 after a message. */
static size_t sub_list(Reader *r, size_t p, size_t end, const char *of,
                       NameList *out)
{
    SdLexer lx;
    lex_at(r, &lx, p, end);
    if (sd_lex_next(&lx) != TK_LBRACK) {
        err_at(r, p + lx.start, "expected '[' and subscripts of '%s'", of);
        return 0;
    }
    for (;;) {
        SdTok t = sd_lex_next(&lx);
        if (t != TK_NAME) {
            err_at(r, p + lx.start, "expected a subscript of '%s'%s", of,
                   t == TK_NUM ? " (a range's element or name, not a number)"
                               : "");
            return 0;
        }
        const char *id =
            sd_canon_name(&r->m->arena, r->s + p + lx.start, lx.end - lx.start);
        if (!id || vec_push(out, id))
            return 0;
        t = sd_lex_next(&lx);
        if (t == TK_RBRACK)
            return p + lx.end;
        if (t != TK_COMMA) {
            err_at(r, p + lx.start,
                   "expected ',' or ']' in the subscripts of "
                   "'%s'",
                   of);
            return 0;
        }
    }
}

/* Reads `[subs] [:EXCEPT: [subs] {, [subs]}]` from p; returns the offset
 * after it, or 0 after a message. */
static size_t read_lhs(Reader *r, size_t p, size_t end, const char *of,
                       Lhs *lhs)
{
    NameList subs = {0};
    NameList ex = {0};
    size_t q = sub_list(r, p, end, of, &subs);
    lhs->at = p;
    if (q) {
        lhs->nsubs = subs.len;
        q = skip_blank(r, q, end);
        if (q < end && starts_ci(r->s + q, end - q, ":EXCEPT:")) {
            q += strlen(":EXCEPT:");
            for (;;) {
                int before = ex.len;
                q = skip_blank(r, q, end);
                size_t at = q;
                q = sub_list(r, q, end, of, &ex);
                if (!q)
                    break;
                if (ex.len - before != subs.len) {
                    err_at(r, at, ":EXCEPT: lists of '%s' need %d subscripts",
                           of, subs.len);
                    q = 0;
                    break;
                }
                lhs->nexcept++;
                size_t c = skip_blank(r, q, end);
                if (c < end && r->s[c] == ',') {
                    q = c + 1;
                    continue;
                }
                break;
            }
        }
    }
    if (q) {
        lhs->subs =
            arena_alloc(&r->m->arena, sizeof(char *) * (size_t)(subs.len + 1));
        lhs->except =
            arena_alloc(&r->m->arena, sizeof(char *) * (size_t)(ex.len + 1));
        if (!lhs->subs || !lhs->except)
            q = 0;
        else {
            memcpy(lhs->subs, subs.items, sizeof(char *) * (size_t)subs.len);
            if (ex.len)
                memcpy(lhs->except, ex.items, sizeof(char *) * (size_t)ex.len);
        }
    }
    vec_free(&subs);
    vec_free(&ex);
    return q;
}

/* A new variable; a subscripted one holds its equation in eqns[0] (the
 * equations of one variable are merged once the file is read). */
static SdVar *lhs_var(Reader *r, Span name, const Lhs *lhs, SdEqn **eq)
{
    *eq = NULL;
    if (lhs && r->in_macro >= 0) {
        err_at(r, lhs->at, "subscripts inside a macro are not supported");
        return NULL;
    }
    SdEqn *q = NULL;
    if (lhs) {
        q = arena_alloc(&r->m->arena, sizeof *q);
        if (!q)
            return NULL;
        q->subs = lhs->subs;
        q->nsubs = lhs->nsubs;
        q->except = lhs->except;
        q->nexcept = lhs->nexcept;
        where(r, lhs->at, &q->decl_line, &q->decl_col);
    }
    SdVar *v = new_var(r, r->in_macro >= 0);
    if (!v)
        return NULL;
    v->name = display_name(r, name.a, name.b);
    v->ident = sd_canon_name(&r->m->arena, r->s + name.a, name.b - name.a);
    int col;
    where(r, name.a, &v->decl_line, &col);
    if (q) {
        v->eqns = q;
        v->neqns = 1;
    }
    *eq = q;
    return v;
}

/* lhs = GET ...(...): the variable holds the call as its equation until
 * read_gets reads the file, once the ranges are known. */
static void define_get(Reader *r, Span name, const Lhs *lhs, Span rhs,
                       GetCall *g, DataMode mode, Span units, Span doc)
{
    if (r->in_macro >= 0) {
        err_at(r, rhs.a, "'%s' inside a macro is not supported", g->fn);
        return;
    }
    if (lhs && lhs->nexcept) {
        err_at(r, rhs.a, "'%s' in an equation with :EXCEPT: is not supported",
               g->fn);
        return;
    }
    g->mode = mode;
    SdEqn *q;
    SdVar *v = lhs_var(r, name, lhs, &q);
    if (!v)
        return;
    v->kind = SD_AUX;
    set_doc(r, v, units, doc);
    const char **pe = q ? &q->eqn : &v->eqn;
    set_eqn(r, pe, q ? &q->line : &v->line, q ? &q->col : &v->col, rhs);
    g->eqn = *pe;
    if (g->eqn)
        vec_push(&r->gets, *g);
}

/* `lhs :MODE:` with no equation: a data variable whose values are given
 * at run time (Vensim's .vdf; sd_model_attach_data reads them from a
 * file). Until then it has no equation and sd_compile refuses it. */
static void define_data(Reader *r, Span name, const Lhs *lhs, DataMode mode,
                        Span units, Span doc)
{
    if (r->in_macro >= 0) {
        err_at(r, name.a, "a data variable inside a macro is not supported");
        return;
    }
    if (lhs && lhs->nexcept) {
        err_at(r, name.a,
               "a data variable with :EXCEPT: and no equation is not "
               "supported");
        return;
    }
    SdEqn *q;
    SdVar *v = lhs_var(r, name, lhs, &q);
    if (!v)
        return;
    v->kind = SD_AUX;
    v->run_data = mode;
    set_doc(r, v, units, doc);
    where(r, name.a, &v->line, &v->col);
    if (q) {
        q->line = v->line;
        q->col = v->col;
    }
}

/* lhs = rhs: a stock (INTEG), an auxiliary with a lookup (WITH LOOKUP), a
 * list of numbers for the elements (or a TABBED ARRAY), or a plain
 * auxiliary. */
static void define(Reader *r, Span name, const Lhs *lhs, Span rhs, Span units,
                   Span doc, DataMode mode)
{
    const char *disp = display_name(r, name.a, name.b);
    rhs.a = skip_blank(r, rhs.a, rhs.b);
    rhs.b = trim_end(r, rhs.a, rhs.b);
    if (rhs.a >= rhs.b) {
        err_at(r, rhs.a, "the equation of '%s' is empty", disp);
        return;
    }
    GetCall g;
    int got = get_call(r, rhs.a, rhs.b, &g);
    if (got < 0)
        return;
    if (got) {
        define_get(r, name, lhs, rhs, &g, mode, units, doc);
        return;
    }
    if (!check_calls(r, rhs.a, rhs.b))
        return;
    Span args[MDL_MAX_ARGS];
    SdKind kind = SD_AUX;
    SdGraph *gf = NULL;
    Span eqn = rhs, rate = {0, 0};
    double *vals = NULL;
    int nvals = 0;
    int n = whole_call(r, rhs.a, rhs.b, "integ", args);
    if (n == -2)
        return;
    if (n >= 0) {
        if (n != 2) {
            err_at(r, rhs.a,
                   "'INTEG' takes 2 arguments (rate, initial "
                   "value), not %d",
                   n);
            return;
        }
        kind = SD_STOCK;
        rate = args[0];
        eqn = args[1];
    } else if ((n = whole_call(r, rhs.a, rhs.b, "with_lookup", args)) >= 0) {
        if (n != 2) {
            err_at(r, rhs.a,
                   "'WITH LOOKUP' takes 2 arguments (input, table), "
                   "not %d",
                   n);
            return;
        }
        size_t ta = skip_blank(r, args[1].a, args[1].b);
        gf = parse_table(r, ta, trim_end(r, ta, args[1].b), disp);
        if (!gf)
            return;
        eqn = args[0];
    } else if (n == -2) {
        return;
    } else if ((n = whole_call(r, rhs.a, rhs.b, "tabbed_array", args)) != -1) {
        if (n == -2)
            return;
        const char *t = n == 1 ? arena_strndup(&r->m->arena, r->s + args[0].a,
                                               args[0].b - args[0].a)
                               : NULL;
        nvals = t ? sd_number_list_ws(&r->m->arena, t, &vals) : -1;
        if (!lhs || nvals < 1) {
            err_at(r, rhs.a,
                   "'TABBED ARRAY' takes numbers apart by spaces, for a "
                   "subscripted variable");
            return;
        }
    } else if (lhs) {
        const char *t =
            arena_strndup(&r->m->arena, r->s + rhs.a, rhs.b - rhs.a);
        nvals = t ? sd_number_list(&r->m->arena, t, &vals) : -1;
        if (nvals < 2)
            nvals = 0; /* one number is an ordinary equation */
    }
    SdEqn *q;
    SdVar *v = lhs_var(r, name, lhs, &q);
    if (!v)
        return;
    v->kind = kind;
    set_doc(r, v, units, doc);
    if (q && nvals > 0) {
        q->vals = vals;
        q->nvals = nvals;
        where(r, rhs.a, &q->line, &q->col);
        return;
    }
    const char **pe = q ? &q->eqn : &v->eqn;
    int *pl = q ? &q->line : &v->line, *pc = q ? &q->col : &v->col;
    if (q)
        q->gf = gf;
    else
        v->gf = gf;
    if (!set_eqn(r, pe, pl, pc, eqn))
        err_at(r, eqn.a, "'%s' has an empty %s", disp,
               kind == SD_STOCK ? "initial value" : "input");
    if (kind == SD_STOCK &&
        !set_eqn(r, q ? &q->rate : &v->rate, q ? &q->rate_line : &v->rate_line,
                 q ? &q->rate_col : &v->rate_col, rate))
        err_at(r, rate.a, "stock '%s' has an empty rate", disp);
}

/* name( table ): a lookup defined on its own, called like a function;
 * name[subs]( table ) defines it for those elements. */
static void define_lookup(Reader *r, Span name, const Lhs *lhs, Span table,
                          Span units, Span doc)
{
    const char *disp = display_name(r, name.a, name.b);
    SdGraph *gf = parse_table(r, table.a, table.b, disp);
    if (!gf)
        return;
    SdEqn *q;
    SdVar *v = lhs_var(r, name, lhs, &q);
    if (!v)
        return;
    v->kind = SD_AUX;
    if (q)
        q->gf = gf;
    else
        v->gf = gf;
    set_doc(r, v, units, doc);
}

/* item ::= NAME | NUMBER | '(' NAME '-' NAME ')' : adds the element(s). */
static bool range_item(Reader *r, SdLexer *lx, size_t base, XRange *x)
{
    Arena *a = &r->m->arena;
    SdTok t = lx->tok;
    if (t == TK_NAME || t == TK_NUM) {
        vec_push(&x->items, display_name(r, base + lx->start, base + lx->end));
        sd_lex_next(lx);
        return true;
    }
    if (t != TK_LP) {
        err_at(r, base + lx->start, "expected an element of range '%s'",
               x->name);
        return false;
    }
    /* a numeric range: (a1-a5) */
    SdTok t1 = sd_lex_next(lx);
    size_t s1 = lx->start, e1 = lx->end;
    SdTok tm = sd_lex_next(lx);
    SdTok t2 = sd_lex_next(lx);
    size_t s2 = lx->start, e2 = lx->end;
    SdTok tr = sd_lex_next(lx);
    if ((t1 != TK_NAME && t1 != TK_NUM) || tm != TK_MINUS ||
        (t2 != TK_NAME && t2 != TK_NUM) || tr != TK_RP) {
        err_at(r, base + s1,
               "expected a numbered sequence like '(a1-a9)' "
               "in range '%s'",
               x->name);
        return false;
    }
    const char *lo = r->s + base + s1, *hi = r->s + base + s2;
    size_t nl = e1 - s1, nh = e2 - s2, dl = nl, dh = nh;
    while (dl > 0 && lo[dl - 1] >= '0' && lo[dl - 1] <= '9')
        dl--;
    while (dh > 0 && hi[dh - 1] >= '0' && hi[dh - 1] <= '9')
        dh--;
    long from = 0, to = 0;
    char buf[32];
    bool ok = dl == dh && !memcmp(lo, hi, dl) && nl > dl && nh > dh &&
              nl - dl < 10 && nh - dh < 10;
    if (ok) {
        snprintf(buf, sizeof buf, "%.*s", (int)(nl - dl), lo + dl);
        ok = str_to_int(buf, 0, 999999999, &from);
        snprintf(buf, sizeof buf, "%.*s", (int)(nh - dh), hi + dh);
        ok = ok && str_to_int(buf, 0, 999999999, &to);
    }
    if (!ok || to < from || to - from >= DIM_MAX) {
        err_at(r, base + s1,
               "'(%.*s-%.*s)' is not a numbered sequence (same prefix, "
               "ascending numbers, at most %d)",
               (int)nl, lo, (int)nh, hi, DIM_MAX);
        return false;
    }
    int width = lo[dl] == '0' && nl - dl > 1 ? (int)(nl - dl) : 0;
    for (long k = from; k <= to; k++)
        vec_push(&x->items,
                 arena_printf(a, "%.*s%0*ld", (int)dl, lo, width, k));
    sd_lex_next(lx);
    return true;
}

/* range ::= NAME ':' GET DIRECT SUBSCRIPT('file', 'tab', 'first cell',
 * 'last cell', 'prefix'): the elements are the cells' texts, each after
 * the prefix. [ns, ne) is the function's name, end the entry's end. */
static void range_from_file(Reader *r, XRange *x, size_t ns, size_t ne,
                            size_t end, RangeList *ranges)
{
    GetCall g = {.fn = display_name(r, ns, ne)};
    size_t lp = skip_blank(r, ne, end);
    if (lp >= end || r->s[lp] != '(') {
        err_at(r, ne, "expected '(' after '%s'", g.fn);
        return;
    }
    size_t after = get_args(r, lp, end, &g);
    if (!after)
        return;
    after = skip_blank(r, after, end);
    if (after < end) {
        err_at(r, after, "'%s' must be the whole definition of range '%s'",
               g.fn, x->name);
        return;
    }
    if (g.nargs != 5) {
        err_at(r, ns,
               "'%s' takes 5 arguments (file, sheet or delimiter, first "
               "cell, last cell, prefix), not %d",
               g.fn, g.nargs);
        return;
    }
    char err[512];
    const SdSheet *sh;
    const char **names;
    int n;
    if (sd_book_sheet(&r->book, g.args[0], g.args[1], &sh, err, sizeof err) ||
        sd_sheet_names(sh, g.args[2], g.args[3], g.args[4], &r->m->arena,
                       &names, &n, err, sizeof err)) {
        err_at(r, g.at[0], "%s", err);
        return;
    }
    for (int i = 0; i < n; i++)
        vec_push(&x->items, names[i]);
    if (vec_push(ranges, *x))
        vec_free(&x->items);
}

/* range ::= NAME ':' item { ',' item } [ '->' map { ',' map } ]
 * map ::= NAME | '(' NAME ':' item { ',' item } ')' */
static void define_range(Reader *r, Span name, size_t p, size_t end,
                         RangeList *ranges)
{
    XRange x = {0};
    x.name = display_name(r, name.a, name.b);
    x.ident = sd_canon_name(&r->m->arena, r->s + name.a, name.b - name.a);
    x.at = name.a;
    SdLexer lx;
    lex_at(r, &lx, p, end);
    sd_lex_next(&lx);
    if (lx.tok == TK_NAME) {
        char *id =
            sd_canon_name(&r->m->arena, r->s + p + lx.start, lx.end - lx.start);
        if (id && (!strcmp(id, "get_direct_subscript") ||
                   !strcmp(id, "get_xls_subscript"))) {
            range_from_file(r, &x, p + lx.start, p + lx.end, end, ranges);
            return;
        }
        if (id && !strncmp(id, "get_", 4)) {
            err_at(r, p + lx.start,
                   "range '%s' is read by '%.*s', which is not supported",
                   x.name, (int)(lx.end - lx.start), r->s + p + lx.start);
            return;
        }
    }
    bool ok = true;
    for (;;) {
        if (!range_item(r, &lx, p, &x)) {
            ok = false;
            break;
        }
        if (lx.tok == TK_COMMA) {
            sd_lex_next(&lx);
            continue;
        }
        break;
    }
    if (ok && lx.tok == TK_MINUS) { /* -> mappings */
        if (sd_lex_next(&lx) != TK_GT) {
            err_at(r, p + lx.start, "expected '->' in range '%s'", x.name);
            ok = false;
        }
        sd_lex_next(&lx);
        while (ok) {
            if (lx.tok == TK_NAME) {
                vec_push(&x.maps,
                         sd_canon_name(&r->m->arena, r->s + p + lx.start,
                                       lx.end - lx.start));
                vec_push(&x.map_elems, NULL);
                vec_push(&x.map_n, 0);
                sd_lex_next(&lx);
            } else if (lx.tok == TK_LP && sd_lex_next(&lx) == TK_NAME) {
                const char *to = sd_canon_name(
                    &r->m->arena, r->s + p + lx.start, lx.end - lx.start);
                XRange tmp = {.name = x.name};
                if (sd_lex_next(&lx) != TK_COLON) {
                    err_at(r, p + lx.start,
                           "expected ':' in a mapping of "
                           "range '%s'",
                           x.name);
                    ok = false;
                    break;
                }
                sd_lex_next(&lx);
                for (;;) {
                    if (!range_item(r, &lx, p, &tmp)) {
                        ok = false;
                        break;
                    }
                    if (lx.tok != TK_COMMA)
                        break;
                    sd_lex_next(&lx);
                }
                if (ok && lx.tok != TK_RP) {
                    err_at(r, p + lx.start,
                           "expected ')' in a mapping of "
                           "range '%s'",
                           x.name);
                    ok = false;
                }
                const char **el = arena_alloc(
                    &r->m->arena, sizeof(char *) * (size_t)(tmp.items.len + 1));
                for (int i = 0; el && i < tmp.items.len; i++)
                    el[i] = sd_canon_name(&r->m->arena, tmp.items.items[i],
                                          strlen(tmp.items.items[i]));
                vec_push(&x.maps, to);
                vec_push(&x.map_elems, el);
                vec_push(&x.map_n, tmp.items.len);
                vec_free(&tmp.items);
                sd_lex_next(&lx);
            } else {
                err_at(r, p + lx.start,
                       "expected a range after '->' in range "
                       "'%s'",
                       x.name);
                ok = false;
            }
            if (!ok || lx.tok != TK_COMMA)
                break;
            sd_lex_next(&lx);
        }
    }
    if (ok && lx.tok != TK_EOF) {
        err_at(r, p + lx.start, "expected ',' or the end of range '%s'",
               x.name);
        ok = false;
    }
    if (!ok || vec_push(ranges, x)) {
        vec_free(&x.items);
        vec_free(&x.maps);
        vec_free(&x.map_elems);
        vec_free(&x.map_n);
    }
}

/* One entry `equation ~ units ~ comment`: [a, b) is the equation part. */
static void read_entry(Reader *r, Span eq, Span units, Span doc)
{
    size_t a = skip_blank(r, eq.a, eq.b), b = trim_end(r, a, eq.b);
    if (a >= b) {
        err_at(r, eq.a, "an entry without an equation");
        return;
    }
    if (r->s[a] == '*')
        return; /* a group heading: ****** .Control ****** */
    SdLexer lx;
    lex_at(r, &lx, a, b);
    SdTok t = sd_lex_next(&lx);
    if (t == TK_ERROR) {
        err_at(r, a + lx.start, "%s", lx.err);
        return;
    }
    if (t != TK_NAME) {
        err_at(r, a + lx.start, "expected a variable name, found '%.*s'",
               (int)(lx.end - lx.start > 40 ? 40 : lx.end - lx.start),
               r->s + a + lx.start);
        return;
    }
    Span name = {a + lx.start, a + lx.end};
    char nm[200];
    snprintf(nm, sizeof nm, "%.*s", (int)(name.b - name.a), r->s + name.a);
    size_t p = skip_blank(r, name.b, b);
    const char *s = r->s;
    Lhs lhs = {0};
    bool sub = p < b && s[p] == '[';
    if (sub) {
        p = read_lhs(r, p, b, nm, &lhs);
        if (!p)
            return;
        p = skip_blank(r, p, b);
    }
    /* Reality checks (`:THE CONDITION:`, `:TEST INPUT:`) are tests of the
     * model, not part of it; data variables and equations are read from
     * files Vensim is given at run time. */
    static const char *const checks[] = {":THE CONDITION:", ":TEST INPUT:"};
    static const char *const data[] = {
        /* in SdDataMode's order, after SD_DATA_NONE */
        ":INTERPOLATE:", ":RAW:", ":HOLD BACKWARD:", ":LOOK FORWARD:"};
    for (size_t i = 0; p < b && i < sizeof checks / sizeof checks[0]; i++)
        if (starts_ci(s + p, b - p, checks[i]))
            return;
    DataMode mode = DATA_INTERPOLATE;
    bool keyword = false;
    for (size_t i = 0; p < b && i < sizeof data / sizeof data[0]; i++)
        if (starts_ci(s + p, b - p, data[i])) {
            mode = (DataMode)(i + 1);
            keyword = true;
            p = skip_blank(r, p + strlen(data[i]), b);
            break;
        }
    if (p >= b) {
        define_data(r, name, sub ? &lhs : NULL, mode, units, doc);
    } else if (s[p] == '(' && !keyword) {
        /* name( GET XLS LOOKUPS(...) ), or a table */
        size_t e = trim_end(r, p, b);
        GetCall g;
        int got = e > p + 1 && s[e - 1] == ')'
                      ? get_call(r, skip_blank(r, p + 1, e - 1),
                                 trim_end(r, p + 1, e - 1), &g)
                      : 0;
        if (got > 0 && g.kind != GET_LOOKUPS)
            err_at(r, p + 1, "'%s' cannot define a lookup", g.fn);
        else if (got > 0)
            define_get(r, name, sub ? &lhs : NULL, (Span){p + 1, e - 1}, &g,
                       mode, units, doc);
        else if (got == 0)
            define_lookup(r, name, sub ? &lhs : NULL, (Span){p, b}, units, doc);
    } else if (s[p] == ':' && p + 1 < b && s[p + 1] == '=') {
        /* a data equation: GET ... DATA, or arithmetic on other data */
        define(r, name, sub ? &lhs : NULL, (Span){p + 2, b}, units, doc, mode);
    } else if (keyword && s[p] != '=') {
        err_at(r, p, "expected ':=' after '%s'", data[mode - 1]);
    } else if (s[p] == ':' && !sub) {
        if (r->in_macro >= 0)
            err_at(r, p, "subscript ranges inside a macro are not supported");
        else
            define_range(r, name, p + 1, b, &r->ranges);
    } else if (s[p] == '<' && p + 2 < b && s[p + 1] == '-' && s[p + 2] == '>' &&
               !sub) {
        size_t q = skip_blank(r, p + 3, b);
        SdLexer l2;
        lex_at(r, &l2, q, b);
        if (sd_lex_next(&l2) != TK_NAME || sd_lex_next(&l2) != TK_EOF) {
            err_at(r, q, "expected a range name after '<->'");
            return;
        }
        XRange x = {0};
        x.name = display_name(r, name.a, name.b);
        x.ident = sd_canon_name(&r->m->arena, s + name.a, name.b - name.a);
        x.alias_of = sd_canon_name(&r->m->arena, s + q, trim_end(r, q, b) - q);
        x.at = name.a;
        vec_push(&r->ranges, x);
    } else if (s[p] == '=') {
        size_t q = p + 1;
        if (q < b && s[q] == '=')
            q++; /* `==`: a constant Vensim's user interface cannot change */
        define(r, name, sub ? &lhs : NULL, (Span){q, b}, units, doc, mode);
    } else {
        err_at(r, p, "expected '=' after '%s', found '%c'", nm, s[p]);
    }
}

/* :MACRO: NAME(param, ...) */
static size_t macro_begin(Reader *r, size_t p, size_t end)
{
    size_t at = p;
    p += strlen(":MACRO:");
    if (r->in_macro >= 0) {
        err_at(r, at, "a macro cannot be defined inside another");
        return p;
    }
    size_t eol = p;
    while (eol < end && r->s[eol] != '\n')
        eol++;
    SdLexer lx;
    lex_at(r, &lx, p, end);
    if (sd_lex_next(&lx) != TK_NAME) {
        err_at(r, p + lx.start, "expected the macro's name after ':MACRO:'");
        return eol;
    }
    Macro mc = {.off = at};
    mc.name = display_name(r, p + lx.start, p + lx.end);
    mc.ident =
        sd_canon_name(&r->m->arena, r->s + p + lx.start, lx.end - lx.start);
    VEC(const char *) params = {0};
    if (sd_lex_next(&lx) != TK_LP) {
        err_at(r, p + lx.start, "expected '(' and the parameters of macro '%s'",
               mc.name);
        return eol;
    }
    bool ok = true;
    for (;;) {
        SdTok t = sd_lex_next(&lx);
        if (t == TK_RP && params.len == 0)
            break;
        if (t != TK_NAME) {
            if (r->s[p + lx.start] == ':')
                err_at(r, p + lx.start,
                       "macros with more than one output are not supported "
                       "yet (macro '%s')",
                       mc.name);
            else
                err_at(r, p + lx.start,
                       "expected a parameter name in macro '%s'", mc.name);
            ok = false;
            break;
        }
        vec_push(&params, sd_canon_name(&r->m->arena, r->s + p + lx.start,
                                        lx.end - lx.start));
        t = sd_lex_next(&lx);
        if (t == TK_RP)
            break;
        if (t != TK_COMMA) {
            if (r->s[p + lx.start] == ':')
                err_at(r, p + lx.start,
                       "macros with more than one output are not supported "
                       "yet (macro '%s')",
                       mc.name);
            else
                err_at(r, p + lx.start, "expected ',' or ')' in macro '%s'",
                       mc.name);
            ok = false;
            break;
        }
    }
    size_t after = p + lx.end;
    if (ok) {
        mc.nparams = params.len;
        mc.params = arena_alloc(&r->m->arena,
                                sizeof(char *) * (size_t)(params.len + 1));
        if (mc.params && params.len)
            memcpy(mc.params, params.items,
                   sizeof(char *) * (size_t)params.len);
        mc.first = r->tmpl.len;
        for (int i = 0; i < r->macros.len; i++)
            if (!strcmp(r->macros.items[i].ident, mc.ident)) {
                err_at(r, at, "macro '%s' is defined twice", mc.name);
                ok = false;
            }
    }
    vec_free(&params);
    /* Read the body even after an error, so its equations are not taken
     * for the model's own. */
    if (vec_push(&r->macros, mc) == 0)
        r->in_macro = r->macros.len - 1;
    if (!ok && r->in_macro >= 0)
        r->macros.items[r->in_macro].ident = ""; /* never matches a call */
    return ok ? after : eol;
}

static void macro_end(Reader *r, size_t at)
{
    if (r->in_macro < 0) {
        err_at(r, at, "':END OF MACRO:' without ':MACRO:'");
        return;
    }
    Macro *mc = &r->macros.items[r->in_macro];
    mc->n = r->tmpl.len - mc->first;
    bool has_output = false;
    for (int i = mc->first; i < r->tmpl.len; i++)
        has_output = has_output || !strcmp(r->tmpl.items[i].ident, mc->ident);
    if (!has_output && *mc->ident)
        err_at(r, mc->off, "macro '%s' does not define '%s', its output",
               mc->name, mc->name);
    r->in_macro = -1;
}

/* The equations: entries up to the sketch, macros, comments. */
static void read_equations(Reader *r, size_t end)
{
    const char *s = r->s;
    size_t p = 0;
    for (;;) {
        p = skip_blank(r, p, end);
        if (p >= end)
            break;
        if (s[p] == '{') { /* {UTF-8}, or a comment between equations */
            size_t q = p;
            while (q < end && s[q] != '}')
                q++;
            if (q >= end)
                err_at(r, p, "unterminated comment");
            p = q < end ? q + 1 : end;
            continue;
        }
        if (starts_ci(s + p, end - p, ":MACRO:")) {
            p = macro_begin(r, p, end);
            continue;
        }
        if (starts_ci(s + p, end - p, ":END OF MACRO:")) {
            macro_end(r, p);
            p += strlen(":END OF MACRO:");
            continue;
        }
        /* The equation runs to the first '~' or '|' outside quotes; the
         * units and the comment (which may hold any quote) follow. */
        size_t q = p;
        bool quote = false;
        size_t quote_at = p;
        while (q < end) {
            char c = s[q];
            if (quote) {
                if (c == '\\' && q + 1 < end)
                    q++;
                else if (c == '"')
                    quote = false;
            } else if (c == '"') {
                quote = true;
                quote_at = q;
            } else if (c == '~' || c == '|') {
                break;
            }
            q++;
        }
        if (quote) {
            err_at(r, quote_at, "unterminated quoted name");
            break;
        }
        Span eq = {p, q}, units = {q, q}, doc = {q, q};
        if (q < end && s[q] == '~') {
            units.a = ++q;
            while (q < end && s[q] != '~' && s[q] != '|')
                q++;
            units.b = q;
            doc.a = doc.b = q;
            if (q < end && s[q] == '~') {
                doc.a = ++q;
                while (q < end && s[q] != '|')
                    q++;
                doc.b = q;
            }
        }
        if (q >= end) {
            err_at(r, p, "equation does not end with '|'");
            break;
        }
        read_entry(r, eq, units, doc);
        p = q + 1;
    }
    if (r->in_macro >= 0) {
        err_at(r, r->macros.items[r->in_macro].off,
               "macro '%s' has no ':END OF MACRO:'",
               r->macros.items[r->in_macro].name);
        r->in_macro = -1;
    }
}

/* ---- macro expansion --------------------------------------------------- */

static int find_macro(const Reader *r, const char *ident)
{
    for (int i = 0; i < r->macros.len; i++)
        if (!strcmp(r->macros.items[i].ident, ident))
            return i;
    return -1;
}

/* The equation text a macro call is looked for in: variable vi's own
 * equation (or INTEG rate) when eq < 0, else that of its equation eq. */
static const char **field(Reader *r, int vi, int eq, bool rate, int **line,
                          int **col)
{
    SdVar *v = &r->m->vars[vi];
    if (eq < 0) {
        *line = rate ? &v->rate_line : &v->line;
        *col = rate ? &v->rate_col : &v->col;
        return rate ? &v->rate : &v->eqn;
    }
    SdEqn *q = &v->eqns[eq];
    *line = rate ? &q->rate_line : &q->line;
    *col = rate ? &q->rate_col : &q->col;
    return rate ? &q->rate : &q->eqn;
}

/* A macro called in an equation of part of an array works element by
 * element: its variables get the caller's dimensions, defined for the same
 * elements as the caller's equation. */
static void make_arrayed(Reader *r, SdVar *nv, int vi, int eq)
{
    const SdVar *caller = &r->m->vars[vi];
    SdEqn *q = arena_alloc(&r->m->arena, sizeof *q);
    if (!q)
        return;
    *q = caller->eqns[eq];
    q->eqn = nv->eqn;
    q->line = nv->line;
    q->col = nv->col;
    q->rate = nv->rate;
    q->rate_line = nv->rate_line;
    q->rate_col = nv->rate_col;
    q->gf = nv->gf;
    q->vals = NULL;
    q->nvals = 0;
    nv->eqn = nv->rate = NULL;
    nv->gf = NULL;
    nv->eqns = q;
    nv->neqns = 1;
    nv->dims = caller->dims;
    nv->ndims = caller->ndims;
}

/* Expands the first macro call in one equation text of variable vi (see
 * field): its arguments and the macro's equations become hidden variables
 * in a new scope, and the call becomes a reference to the scope's output.
 * Returns true when it expanded one (look again), false when there was
 * none or an error. */
static bool expand_one(Reader *r, int vi, int eq, bool rate)
{
    int *pline, *pcol;
    const char *text = *field(r, vi, eq, rate, &pline, &pcol);
    if (!text || !r->macros.len)
        return false;
    size_t len = strlen(text);
    SdLexer lx;
    sd_lex_init(&lx, text, len);
    lx.vensim = true;
    int mi = -1;
    size_t call = 0;
    for (SdTok prev = TK_EOF;;) {
        bool pq = lx.quoted;
        size_t ps = lx.start, pe = lx.end;
        SdTok t = sd_lex_next(&lx);
        if (t == TK_EOF || t == TK_ERROR)
            return false;
        if (t == TK_LP && prev == TK_NAME && !pq) {
            char *id = sd_canon_name(&r->m->arena, text + ps, pe - ps);
            if (id && (mi = find_macro(r, id)) >= 0) {
                call = ps;
                break;
            }
        }
        prev = t;
    }
    int line = *pline, col = *pcol;
    int cl = line, cc = col;
    advance_loc(text, call, &cl, &cc);
    const Macro *mc = &r->macros.items[mi];
    Span args[MDL_MAX_ARGS];
    size_t close, bad;
    int n = split_args(text, len, lx.start, args, MDL_MAX_ARGS, &close, &bad);
    if (n < 0 || n != mc->nparams || r->instances >= MDL_MAX_INSTANCES) {
        if (n < 0)
            err_lc(r, cl, cc,
                   "unbalanced parentheses in the call of macro '%s'",
                   mc->name);
        else if (n != mc->nparams)
            err_lc(r, cl, cc, "macro '%s' takes %d argument%s, not %d",
                   mc->name, mc->nparams, mc->nparams == 1 ? "" : "s", n);
        else
            err_lc(r, cl, cc,
                   "more than %d macro calls (does macro '%s' call "
                   "itself?)",
                   MDL_MAX_INSTANCES, mc->name);
        return false;
    }
    int k = ++r->instances;
    Arena *ar = &r->m->arena;
    const char *scope = arena_printf(ar, "#%d", k);
    const char *caller_scope = r->m->vars[vi].scope;
    int decl = r->m->vars[vi].decl_line;
    /* The arguments, computed in the caller's scope. */
    for (int i = 0; i < n; i++) {
        size_t a = args[i].a, b = args[i].b;
        while (a < b && is_blank(text[a]))
            a++;
        while (b > a && is_blank(text[b - 1]))
            b--;
        SdVar *pv = new_var(r, false);
        if (!pv)
            return false;
        text = *field(r, vi, eq, rate, &pline, &pcol);
        pv->kind = SD_AUX;
        pv->name =
            arena_printf(ar, "%s in %s call %d", mc->params[i], mc->name, k);
        pv->ident = arena_printf(ar, "%s.%s", scope, mc->params[i]);
        pv->eqn = b > a ? arena_strndup(ar, text + a, b - a) : NULL;
        pv->line = line;
        pv->col = col;
        advance_loc(text, a, &pv->line, &pv->col);
        pv->decl_line = decl;
        pv->scope = caller_scope;
        pv->hidden = true;
        if (!pv->eqn)
            err_lc(r, pv->line, pv->col, "argument %d of macro '%s' is empty",
                   i + 1, mc->name);
        if (eq >= 0)
            make_arrayed(r, pv, vi, eq);
    }
    /* The macro's own equations, in the new scope. */
    for (int i = 0; i < mc->n; i++) {
        SdVar *bv = new_var(r, false);
        if (!bv)
            return false;
        *bv = r->tmpl.items[mc->first + i];
        bv->name = arena_printf(ar, "%s in %s call %d", bv->name, mc->name, k);
        bv->ident = arena_printf(ar, "%s.%s", scope, bv->ident);
        bv->scope = scope;
        bv->hidden = true;
        if (eq >= 0)
            make_arrayed(r, bv, vi, eq);
    }
    /* The call becomes a quoted reference to the output, padded to the
     * call's length so later columns stay true. */
    const char **slot = field(r, vi, eq, rate, &pline, &pcol);
    text = *slot;
    char *ref = arena_printf(ar, "\"%s.%s\"", scope, mc->ident);
    size_t rl = ref ? strlen(ref) : 0, span = close - call;
    TBuf nb = {0};
    tbuf_append(&nb, text, call);
    tbuf_append(&nb, ref ? ref : "", rl);
    for (size_t i = rl; i < span; i++)
        tbuf_putc(&nb, text[call + i] == '\n' ? '\n' : ' ');
    tbuf_puts(&nb, text + close);
    const char *repl = arena_strdup(ar, tbuf_cstr(&nb));
    tbuf_free(&nb);
    if (!repl || !ref)
        return false;
    *slot = repl;
    return true;
}

static void expand_macros(Reader *r)
{
    /* Variables added by an expansion are looked at in turn, so calls in
     * arguments and in macro bodies are expanded too. */
    for (int i = 0; i < r->m->nvars; i++) {
        for (int eq = -1; eq < r->m->vars[i].neqns; eq++) {
            while (expand_one(r, i, eq, false))
                ;
            while (expand_one(r, i, eq, true))
                ;
        }
    }
}

/* ---- arrays: ranges, equations of a variable, its dimensions ------------ */

typedef struct RangeState {
    RangeList *ranges; /* as written */
    THash index;       /* range ident -> index */
    char *state;       /* per range: 0 not yet, 1 resolving, 2 done */
    SdDim *dims;       /* the result, one per range */
} RangeState;

static bool resolve_range(Reader *r, RangeState *rs, int i, int depth)
{
    XRange *x = &rs->ranges->items[i];
    SdDim *dm = &rs->dims[i];
    Arena *a = &r->m->arena;
    if (rs->state[i] == 2)
        return dm->n > 0;
    if (rs->state[i] == 1 || depth > 64) {
        err_at(r, x->at, "range '%s' includes itself", x->name);
        return false;
    }
    rs->state[i] = 1;
    NameList el = {0};
    bool ok = true;
    int j;
    if (x->alias_of) {
        if (!thash_get(&rs->index, x->alias_of, &j) || j == i) {
            err_at(r, x->at,
                   "'%s' is an equivalent of '%s', which is not a "
                   "range",
                   x->name, x->alias_of);
            ok = false;
        } else if ((ok = resolve_range(r, rs, j, depth + 1))) {
            for (int k = 0; k < rs->dims[j].n; k++)
                vec_push(&el, rs->dims[j].elems[k]);
        }
    }
    for (int k = 0; ok && k < x->items.len; k++) {
        const char *it = x->items.items[k];
        char *id = sd_canon_name(a, it, strlen(it));
        if (id && thash_get(&rs->index, id, &j) && j != i) {
            /* a range named in a range stands for its elements */
            if (!(ok = resolve_range(r, rs, j, depth + 1)))
                break;
            for (int e = 0; e < rs->dims[j].n; e++)
                vec_push(&el, rs->dims[j].elems[e]);
        } else {
            vec_push(&el, it);
        }
    }
    if (ok && el.len > DIM_MAX) {
        err_at(r, x->at, "range '%s' has more than %d elements", x->name,
               DIM_MAX);
        ok = false;
    }
    if (ok) {
        dm->name = x->name;
        dm->ident = x->ident;
        dm->n = el.len;
        dm->elems = arena_alloc(a, sizeof(char *) * (size_t)(el.len + 1));
        dm->elem_ids = arena_alloc(a, sizeof(char *) * (size_t)(el.len + 1));
        ok = dm->elems && dm->elem_ids;
        THash seen = {0};
        for (int k = 0; ok && k < el.len; k++) {
            dm->elems[k] = el.items[k];
            dm->elem_ids[k] =
                sd_canon_name(a, el.items[k], strlen(el.items[k]));
            if (thash_get(&seen, dm->elem_ids[k], &j)) {
                err_at(r, x->at, "range '%s' lists element '%s' twice", x->name,
                       el.items[k]);
                ok = false;
            } else {
                thash_put(&seen, dm->elem_ids[k], k);
            }
        }
        thash_free(&seen);
        dm->alias_of = x->alias_of;
        dm->nmaps = x->maps.len;
        dm->map_to = arena_alloc(a, sizeof(char *) * (size_t)(x->maps.len + 1));
        dm->map_elems =
            arena_alloc(a, sizeof(char **) * (size_t)(x->maps.len + 1));
        for (int k = 0; ok && dm->map_to && dm->map_elems && k < x->maps.len;
             k++) {
            dm->map_to[k] = x->maps.items[k];
            dm->map_elems[k] = x->map_elems.items[k];
            if (dm->map_elems[k] && x->map_n.items[k] != dm->n) {
                err_at(r, x->at,
                       "range '%s' has %d elements but its mapping to '%s' "
                       "lists %d",
                       x->name, dm->n, x->maps.items[k], x->map_n.items[k]);
                ok = false;
            }
        }
        where(r, x->at, &dm->line, &dm->col);
    }
    vec_free(&el);
    if (!ok)
        dm->n = 0;
    rs->state[i] = 2;
    return ok;
}

/* Every range with its elements final: ranges named inside others
 * expanded, equivalents copied. */
static void resolve_ranges(Reader *r)
{
    SdModel *m = r->m;
    int n = r->ranges.len;
    if (!n)
        return;
    RangeState rs = {&r->ranges,
                     {0},
                     calloc((size_t)n, 1),
                     arena_alloc(&m->arena, sizeof(SdDim) * (size_t)n)};
    if (!rs.state || !rs.dims) {
        free(rs.state);
        return;
    }
    bool ok = true;
    for (int i = 0; i < n; i++) {
        int j;
        if (thash_get(&rs.index, r->ranges.items[i].ident, &j)) {
            err_at(r, r->ranges.items[i].at,
                   "range '%s' is defined twice (first at line %d)",
                   r->ranges.items[i].name, rs.dims[j].line);
            ok = false;
        } else {
            thash_put(&rs.index, r->ranges.items[i].ident, i);
            where(r, r->ranges.items[i].at, &rs.dims[i].line, &rs.dims[i].col);
        }
    }
    for (int i = 0; ok && i < n; i++)
        ok = resolve_range(r, &rs, i, 0);
    if (ok) {
        m->dims = rs.dims;
        m->ndims = n;
    }
    thash_free(&rs.index);
    free(rs.state);
}

/* The equations of one subscripted variable are separate entries in the
 * file (`x[a] = 1`, `x[b] = 2`): they become one variable whose eqns are
 * all of them, at the place of the first. */
static void merge_arrays(Reader *r)
{
    SdModel *m = r->m;
    THash first = {0};
    VEC(SdVar) out = {0};
    typedef VEC(SdEqn) EqnList;
    VEC(EqnList) lists = {0}; /* per out variable */
    for (int i = 0; i < m->nvars; i++) {
        SdVar *v = &m->vars[i];
        int j;
        EqnList none = {0};
        if (!thash_get(&first, v->ident, &j)) {
            if (vec_push(&out, *v) || vec_push(&lists, none))
                break;
            thash_put(&first, v->ident, out.len - 1);
            if (v->neqns)
                vec_push(&lists.items[lists.len - 1], v->eqns[0]);
            continue;
        }
        SdVar *o = &out.items[j];
        if (!o->neqns || !v->neqns) {
            if (!o->neqns && !v->neqns) {
                vec_push(&out, *v); /* reported as a duplicate later */
                vec_push(&lists, none);
            } else {
                err_lc(r, v->decl_line, v->neqns ? v->eqns[0].decl_col : 0,
                       "'%s' is defined both with and without subscripts "
                       "(first on line %d)",
                       v->name, o->decl_line);
            }
            continue;
        }
        if (o->kind != v->kind) {
            err_lc(r, v->decl_line, v->neqns ? v->eqns[0].decl_col : 0,
                   "'%s' is a stock (INTEG) in one equation and not in "
                   "another (line %d)",
                   v->name, o->decl_line);
            continue;
        }
        if (v->run_data && o->run_data && v->run_data != o->run_data) {
            err_lc(r, v->decl_line, v->eqns[0].decl_col,
                   "'%s' reads its data in one way here and in another on "
                   "line %d, which is not supported",
                   v->name, o->decl_line);
            continue;
        }
        if (v->run_data)
            o->run_data = v->run_data;
        vec_push(&lists.items[j], v->eqns[0]);
        if (!o->units)
            o->units = v->units;
        if (!o->doc)
            o->doc = v->doc;
    }
    for (int j = 0; j < out.len && j < lists.len; j++) {
        SdVar *o = &out.items[j];
        EqnList *l = &lists.items[j];
        if (o->neqns && l->len) {
            o->eqns = arena_alloc(&m->arena, sizeof(SdEqn) * (size_t)l->len);
            if (o->eqns)
                memcpy(o->eqns, l->items, sizeof(SdEqn) * (size_t)l->len);
            o->neqns = o->eqns ? l->len : 0;
        }
        vec_free(l);
    }
    vec_free(&lists);
    thash_free(&first);
    free(m->vars);
    m->vars = out.items;
    m->nvars = out.len;
    m->cap = out.cap;
}

static int dim_index(const SdModel *m, const char *ident)
{
    for (int i = 0; i < m->ndims; i++)
        if (!strcmp(m->dims[i].ident, ident))
            return i;
    return -1;
}

static bool dim_has(const SdDim *d, const char *id)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->elem_ids[i], id))
            return true;
    return false;
}

/* The dimensions of each subscripted variable: per position, the
 * smallest range that holds every element its equations use there (a
 * range named there counts as all its elements; when one such range holds
 * exactly those elements, it is the one). */
static void infer_dims(Reader *r)
{
    SdModel *m = r->m;
    for (int i = 0; i < m->nvars; i++) {
        SdVar *v = &m->vars[i];
        if (!v->neqns)
            continue;
        int nd = v->eqns[0].nsubs;
        bool ok = true;
        for (int j = 1; j < v->neqns && ok; j++)
            if (v->eqns[j].nsubs != nd) {
                err_lc(r, v->eqns[j].decl_line, v->eqns[j].decl_col,
                       "'%s' has %d subscripts here and %d on line %d", v->name,
                       v->eqns[j].nsubs, nd, v->eqns[0].decl_line);
                ok = false;
            }
        if (!ok)
            continue;
        v->dims = arena_alloc(&m->arena, sizeof(char *) * (size_t)(nd + 1));
        v->ndims = nd;
        v->dims_line = v->eqns[0].decl_line;
        v->dims_col = v->eqns[0].decl_col;
        if (!v->dims)
            return;
        for (int p = 0; p < nd && ok; p++) {
            THash used = {0};
            int nused = 0, named = -1;
            for (int j = 0; j < v->neqns && ok; j++) {
                const char *s = v->eqns[j].subs[p];
                int d = dim_index(m, s);
                if (d >= 0) {
                    for (int k = 0; k < m->dims[d].n; k++) {
                        int dummy;
                        if (!thash_get(&used, m->dims[d].elem_ids[k], &dummy))
                            thash_put(&used, m->dims[d].elem_ids[k], nused++);
                    }
                    if (named < 0)
                        named = d;
                    continue;
                }
                bool found = false;
                for (int k = 0; k < m->ndims && !found; k++)
                    found = dim_has(&m->dims[k], s);
                if (!found) {
                    err_lc(r, v->eqns[j].decl_line, v->eqns[j].decl_col,
                           "'%s' is neither a range nor an element of one "
                           "(subscript %d of '%s')",
                           s, p + 1, v->name);
                    ok = false;
                    break;
                }
                int dummy;
                if (!thash_get(&used, s, &dummy))
                    thash_put(&used, s, nused++);
            }
            int best = -1;
            bool exact = ok && named >= 0 && m->dims[named].n == nused;
            if (exact)
                best = named;
            for (int d = 0; ok && !exact && d < m->ndims; d++) {
                const SdDim *dm = &m->dims[d];
                if (dm->n < nused)
                    continue;
                int have = 0;
                for (int k = 0; k < dm->n; k++) {
                    int dummy;
                    have += thash_get(&used, dm->elem_ids[k], &dummy);
                }
                if (have == nused && (best < 0 || dm->n < m->dims[best].n))
                    best = d;
            }
            thash_free(&used);
            if (ok && best < 0) {
                err_lc(r, v->eqns[0].decl_line, v->eqns[0].decl_col,
                       "no range holds every element '%s' is defined for "
                       "at subscript %d",
                       v->name, p + 1);
                ok = false;
            }
            if (ok)
                v->dims[p] = m->dims[best].ident;
        }
        if (!ok) {
            v->dims = NULL;
            v->ndims = 0;
        }
    }
}

/* ---- reading the GET functions' files ------------------------------------ */

#define GET_MAX_ELEMS 1000000 /* elements one GET equation reads */

typedef VEC(SdEqn) EqnVec;

static int get_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const GetCall *)a)->eqn;
    uintptr_t y = (uintptr_t)((const GetCall *)b)->eqn;
    return x < y ? -1 : x > y;
}

/* The GET call an equation text is, or NULL (gets sorted by eqn). */
static const GetCall *find_get(const Reader *r, const char *eqn)
{
    if (!eqn || !r->gets.len)
        return NULL;
    GetCall key = {.eqn = eqn};
    return bsearch(&key, r->gets.items, (size_t)r->gets.len, sizeof key,
                   get_cmp);
}

/* Reads what call g names: element k's series (GET_DATA, GET_LOOKUPS),
 * or rows x cols constants into vals. Messages go to the call's file
 * argument. */
static bool get_read(Reader *r, const GetCall *g, int k, SdGraph **gf, int rows,
                     int cols, double *vals)
{
    char err[512];
    const SdSheet *sh;
    if (sd_book_sheet(&r->book, g->args[0], g->args[1], &sh, err, sizeof err)) {
        err_at(r, g->at[0], "%s", err);
        return false;
    }
    if (g->kind == GET_CONSTANTS) {
        if (sd_sheet_block(sh, g->args[2], rows, cols, vals, err, sizeof err)) {
            err_at(r, g->at[2], "%s", err);
            return false;
        }
        return true;
    }
    SdGraph series;
    if (sd_sheet_series(sh, g->args[2], g->args[3], k, &r->m->arena, &series,
                        err, sizeof err)) {
        err_at(r, g->at[3], "%s", err);
        return false;
    }
    *gf = g->kind == GET_DATA
              ? sd_data_graph(&r->m->arena, &series, g->mode)
              : sd_data_graph(&r->m->arena, &series, DATA_INTERPOLATE);
    return *gf != NULL;
}

/* A scalar variable whose equation is a GET call. */
static void get_scalar(Reader *r, SdVar *v, const GetCall *g)
{
    if (g->kind == GET_CONSTANTS) {
        double x;
        if (get_read(r, g, 0, NULL, 1, 1, &x))
            v->eqn = arena_printf(&r->m->arena, "%.17g", x);
        return;
    }
    SdGraph *gf;
    if (!get_read(r, g, 0, &gf, 0, 0, NULL))
        return;
    v->gf = gf;
    v->eqn = g->kind == GET_DATA ? "Time" : NULL;
}

/* Equation q of arrayed variable v is a GET call: constants become its
 * list of numbers (the last subscript that is a range runs across the
 * sheet, the others down it); series become one equation per element,
 * element k reading the k-th column (or row) of data. Appends what
 * replaces q to out. */
static bool get_arrayed(Reader *r, const SdEqn *q, const GetCall *g,
                        EqnVec *out)
{
    SdModel *m = r->m;
    const char *const *el[SD_MAX_DIMS];
    int cnt[SD_MAX_DIMS];
    long total = 1;
    int last = 1; /* elements of the last subscript that is a range */
    if (q->nsubs > SD_MAX_DIMS)
        return false;
    for (int p = 0; p < q->nsubs; p++) {
        int d = dim_index(m, q->subs[p]);
        el[p] = d >= 0 ? m->dims[d].elem_ids : &q->subs[p];
        cnt[p] = d >= 0 ? m->dims[d].n : 1;
        if (d >= 0)
            last = cnt[p];
        total *= cnt[p];
        if (total > GET_MAX_ELEMS) {
            err_lc(r, q->line, q->col, "'%s' would read more than %d values",
                   g->fn, GET_MAX_ELEMS);
            return false;
        }
    }
    SdEqn e = *q;
    if (g->kind == GET_CONSTANTS) {
        double *vals = arena_alloc(&m->arena, sizeof(double) * (size_t)total);
        if (!vals || !get_read(r, g, 0, NULL, (int)(total / last), last, vals))
            return false;
        if (total == 1 && last == 1) {
            e.eqn = arena_printf(&m->arena, "%.17g", vals[0]);
        } else {
            e.eqn = NULL;
            e.vals = vals;
            e.nvals = (int)total;
        }
        return vec_push(out, e) == 0;
    }
    int idx[SD_MAX_DIMS] = {0};
    for (long k = 0; k < total; k++) {
        SdGraph *gf;
        if (!get_read(r, g, (int)k, &gf, 0, 0, NULL))
            return false;
        e = *q;
        e.gf = gf;
        e.eqn = g->kind == GET_DATA ? "Time" : NULL;
        if (total > 1) {
            const char **subs =
                arena_alloc(&m->arena, sizeof(char *) * (size_t)q->nsubs);
            if (!subs)
                return false;
            for (int p = 0; p < q->nsubs; p++)
                subs[p] = el[p][idx[p]];
            e.subs = subs;
            for (int p = q->nsubs - 1; p >= 0; p--) { /* row-major */
                if (++idx[p] < cnt[p])
                    break;
                idx[p] = 0;
            }
        }
        if (vec_push(out, e))
            return false;
    }
    return true;
}

/* Reads the files of every GET call, now that the ranges are known: a
 * variable's GET equation becomes numbers, a lookup, or a data variable
 * (a graphical function of Time). */
static void read_gets(Reader *r)
{
    if (!r->gets.len)
        return;
    qsort(r->gets.items, (size_t)r->gets.len, sizeof *r->gets.items, get_cmp);
    SdModel *m = r->m;
    for (int i = 0; i < m->nvars; i++) {
        SdVar *v = &m->vars[i];
        if (!v->neqns) {
            const GetCall *g = find_get(r, v->eqn);
            if (g)
                get_scalar(r, v, g);
            continue;
        }
        bool any = false;
        for (int j = 0; j < v->neqns && !any; j++)
            any = find_get(r, v->eqns[j].eqn) != NULL;
        if (!any)
            continue;
        EqnVec out = {0};
        bool ok = true;
        for (int j = 0; j < v->neqns && ok; j++) {
            const GetCall *g = find_get(r, v->eqns[j].eqn);
            ok = g ? get_arrayed(r, &v->eqns[j], g, &out)
                   : vec_push(&out, v->eqns[j]) == 0;
        }
        if (ok)
            sd_var_set_eqns(m, v, out.items, out.len);
        vec_free(&out);
    }
}

/* ---- stocks, flows and the time controls ------------------------------- */

/* Collects the terms of a rate that is a sum of flows; false for anything
 * else. */
static bool flow_terms(const SdExpr *e, bool neg, const SdExpr **terms,
                       bool *negs, int *n, int max)
{
    switch (e->kind) {
    case SD_E_VAR:
        if (*n == max)
            return false;
        terms[*n] = e;
        negs[(*n)++] = neg;
        return true;
    case SD_E_NEG:
        return flow_terms(e->args[0], !neg, terms, negs, n, max);
    case SD_E_BIN:
        if (e->op != SD_OP_ADD && e->op != SD_OP_SUB)
            return false;
        return flow_terms(e->args[0], neg, terms, negs, n, max) &&
               flow_terms(e->args[1], e->op == SD_OP_SUB ? !neg : neg, terms,
                          negs, n, max);
    default:
        return false;
    }
}

/* A stock whose INTEG rate adds and subtracts plain auxiliaries gets them
 * as inflows and outflows, and they become flows: the model then has the
 * shape an XMILE model has, which the map's loop analysis reads. Any
 * other rate stays an expression. */
static void find_flows(Reader *r, const THash *index)
{
    SdModel *m = r->m;
    for (int i = 0; i < m->nvars; i++) {
        SdVar *v = &m->vars[i];
        if (v->kind != SD_STOCK || !v->rate || v->scope)
            continue;
        Arena a;
        arena_init(&a);
        TDiags quiet = {0}; /* compile reports parse errors in place */
        SdSrcLoc loc = {.file = m->file};
        SdExpr *e;
        const SdExpr *terms[MDL_MAX_ARGS];
        bool negs[MDL_MAX_ARGS];
        int n = 0;
        int idx[MDL_MAX_ARGS];
        bool ok = sd_parse_expr_as(&a, v->rate, &loc, SD_SYNTAX_VENSIM, &e,
                                   &quiet) == T_OK &&
                  flow_terms(e, false, terms, negs, &n, MDL_MAX_ARGS);
        for (int k = 0; ok && k < n; k++) {
            ok = thash_get(index, terms[k]->name, &idx[k]) &&
                 m->vars[idx[k]].kind != SD_STOCK && m->vars[idx[k]].eqn &&
                 !m->vars[idx[k]].scope;
            for (int j = 0; ok && j < k; j++)
                ok = idx[j] != idx[k];
        }
        if (ok) {
            int nin = 0, nout = 0;
            for (int k = 0; k < n; k++)
                nin += !negs[k];
            nout = n - nin;
            const char **in =
                arena_alloc(&m->arena, sizeof(char *) * (size_t)(nin + 1));
            const char **out =
                arena_alloc(&m->arena, sizeof(char *) * (size_t)(nout + 1));
            if (in && out) {
                int ki = 0, ko = 0;
                for (int k = 0; k < n; k++) {
                    const char *nm = arena_strdup(&m->arena, terms[k]->text);
                    if (negs[k])
                        out[ko++] = nm;
                    else
                        in[ki++] = nm;
                    m->vars[idx[k]].kind = SD_FLOW;
                }
                v->inflows = in;
                v->n_inflows = nin;
                v->outflows = out;
                v->n_outflows = nout;
                v->rate = NULL;
            }
        }
        diags_free(&quiet);
        arena_free(&a);
    }
}

/* Evaluates a time control's equation: numbers, arithmetic, and the other
 * time controls. */
static bool eval_control(Reader *r, const SdExpr *e, const THash *index,
                         int depth, double *out)
{
    double a, b;
    switch (e->kind) {
    case SD_E_NUM:
        *out = e->num;
        return true;
    case SD_E_NEG:
        if (!eval_control(r, e->args[0], index, depth, &a))
            return false;
        *out = -a;
        return true;
    case SD_E_BIN:
        if (!eval_control(r, e->args[0], index, depth, &a) ||
            !eval_control(r, e->args[1], index, depth, &b))
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
        case SD_OP_POW:
            *out = pow(a, b);
            return true;
        default:
            return false;
        }
    case SD_E_VAR: {
        static const char *const controls[] = {"initial_time", "final_time",
                                               "time_step", "saveper"};
        int i;
        bool control = false;
        for (size_t k = 0; k < sizeof controls / sizeof controls[0]; k++)
            control = control || !strcmp(e->name, controls[k]);
        if (!control || depth > MDL_EVAL_DEPTH ||
            !thash_get(index, e->name, &i))
            return false;
        const SdVar *v = &r->m->vars[i];
        if (!v->eqn)
            return false;
        Arena ar;
        arena_init(&ar);
        TDiags quiet = {0}; /* its own equation reports its errors */
        SdSrcLoc loc = {.file = r->m->file};
        SdExpr *x;
        bool ok = sd_parse_expr_as(&ar, v->eqn, &loc, SD_SYNTAX_VENSIM, &x,
                                   &quiet) == T_OK &&
                  eval_control(r, x, index, depth + 1, out);
        diags_free(&quiet);
        arena_free(&ar);
        return ok;
    }
    default:
        return false;
    }
}

/* INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER: model variables like
 * any other, whose values also set the simulation specs. One that reads
 * Time or another variable (a PySD extension Vensim refuses) makes the
 * controls dynamic: computed during the run (simtime.c). */
static void read_controls(Reader *r, const THash *index)
{
    static const struct {
        const char *ident, *shown;
        bool required;
    } ctl[] = {{"initial_time", "INITIAL TIME", true},
               {"final_time", "FINAL TIME", true},
               {"time_step", "TIME STEP", false},
               {"saveper", "SAVEPER", false}};
    double val[4] = {0, 0, 1, NAN};
    bool ok = true, known[4] = {true, true, true, true};
    for (int k = 0; k < 4; k++) {
        int i;
        if (!thash_get(index, ctl[k].ident, &i)) {
            if (ctl[k].required) {
                diags_add(r->d, DIAG_ERROR, r->m->file, 0, 0, NULL,
                          "the model has no %s", ctl[k].shown);
                ok = false;
            }
            continue;
        }
        const SdVar *v = &r->m->vars[i];
        if (!v->eqn || v->kind != SD_AUX)
            continue; /* reported as it is */
        Arena ar;
        arena_init(&ar);
        SdSrcLoc loc = {r->m->file, r->m->src, r->m->src_len, v->line, v->col,
                        NULL,       0};
        SdExpr *e;
        int before = r->d->errors;
        if (sd_parse_expr_as(&ar, v->eqn, &loc, SD_SYNTAX_VENSIM, &e, r->d) ==
            T_OK) {
            double x;
            if (!eval_control(r, e, index, 0, &x)) {
                r->m->dynamic_time = true;
                known[k] = false;
            } else if (!isfinite(x)) {
                sd_report(r->d, &loc, v->eqn, 0, "%s is not a number",
                          ctl[k].shown);
            } else {
                val[k] = x;
            }
        }
        ok = ok && r->d->errors == before;
        arena_free(&ar);
    }
    SdModel *m = r->m;
    m->start = val[0];
    m->stop = val[1];
    m->dt = val[2];
    m->saveper = isnan(val[3]) ? val[2] : val[3];
    if (m->dynamic_time && (!known[1] || m->stop < m->start))
        m->stop = m->start; /* known during the run */
    if (!ok || m->dynamic_time)
        return;
    if (!(m->dt > 0))
        diags_add(r->d, DIAG_ERROR, m->file, 0, 0, NULL,
                  "TIME STEP must be positive, not %g", m->dt);
    if (m->stop < m->start)
        diags_add(r->d, DIAG_ERROR, m->file, 0, 0, NULL,
                  "FINAL TIME %g is before INITIAL TIME %g", m->stop, m->start);
    if (!(m->saveper > 0))
        diags_add(r->d, DIAG_ERROR, m->file, 0, 0, NULL,
                  "SAVEPER must be positive, not %g", m->saveper);
}

/* ---- the sketch -------------------------------------------------------- */

/* Splits one sketch line at commas (a quoted field may hold commas). */
static int sketch_fields(const char *s, size_t n, Span *f, int max)
{
    int k = 0;
    size_t p = 0, from = 0;
    bool quote = false;
    for (; p <= n; p++) {
        if (p < n && quote) {
            if (s[p] == '\\' && p + 1 < n)
                p++;
            else if (s[p] == '"')
                quote = false;
            continue;
        }
        if (p < n && s[p] == '"') {
            quote = true;
            continue;
        }
        if (p == n || s[p] == ',') {
            if (k == max)
                return k;
            f[k++] = (Span){from, p};
            from = p + 1;
        }
    }
    return k;
}

static long field_int(const char *s, Span f)
{
    char buf[32];
    size_t n = f.b - f.a;
    long v = 0;
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, s + f.a, n);
    buf[n] = 0;
    return str_to_int(buf, -1000000000L, 1000000000L, &v) ? v : 0;
}

/* The sketch, from the line after `\\\---///` to `///---\\\`. */
static void read_sketch(Reader *r, size_t p)
{
    SdModel *m = r->m;
    VEC(SdView) views = {0};
    VEC(SdSketchElem) elems = {0};
    VEC(SdSketchArrow) arrows = {0};
    const char *s = r->s;
    bool failed = false;
    /* Views are closed in turn: their elements are copied into the arena
     * when the next starts. */
    for (;;) {
        size_t e = p;
        while (e < r->n && s[e] != '\n' && s[e] != '\r')
            e++;
        bool end = p >= r->n || (e - p >= 9 && !strncmp(s + p, "///---", 6));
        bool view = !end && s[p] == '*';
        if ((end || view) && views.len > 0) {
            SdView *vw = &views.items[views.len - 1];
            vw->elems = arena_alloc(&m->arena, sizeof(SdSketchElem) *
                                                   (size_t)(elems.len + 1));
            vw->arrows = arena_alloc(&m->arena, sizeof(SdSketchArrow) *
                                                    (size_t)(arrows.len + 1));
            if (vw->elems && vw->arrows) {
                if (elems.len)
                    memcpy(vw->elems, elems.items,
                           sizeof(SdSketchElem) * (size_t)elems.len);
                if (arrows.len)
                    memcpy(vw->arrows, arrows.items,
                           sizeof(SdSketchArrow) * (size_t)arrows.len);
                vw->nelems = elems.len;
                vw->narrows = arrows.len;
            }
            elems.len = arrows.len = 0;
        }
        if (end)
            break;
        if (view) {
            SdView v = {0};
            v.name = arena_strndup(&m->arena, s + p + 1, e - p - 1);
            failed |= vec_push(&views, v) != 0;
        } else if (views.len > 0 && p < e && s[p] >= '0' && s[p] <= '9') {
            Span f[8];
            int nf = sketch_fields(s + p, e - p, f, 8);
            long type = nf > 0 ? field_int(s + p, f[0]) : 0;
            if (type == 1 && nf >= 4) {
                SdSketchArrow a = {(int)field_int(s + p, f[1]),
                                   (int)field_int(s + p, f[2]),
                                   (int)field_int(s + p, f[3])};
                failed |= vec_push(&arrows, a) != 0;
            } else if (type >= 10 && nf >= 7) {
                SdSketchElem el = {0};
                el.id = (int)field_int(s + p, f[1]);
                el.type = (int)type;
                if (type == 10 || type == 12) {
                    Span nm = f[2];
                    el.name = nm.b > nm.a ? display_name(r, p + nm.a, p + nm.b)
                                          : NULL;
                }
                el.x = (int)field_int(s + p, f[3]);
                el.y = (int)field_int(s + p, f[4]);
                el.w = (int)field_int(s + p, f[5]);
                el.h = (int)field_int(s + p, f[6]);
                failed |= vec_push(&elems, el) != 0;
            }
        }
        p = e;
        while (p < r->n && (s[p] == '\n' || s[p] == '\r'))
            p++;
    }
    if (!failed && views.len) {
        m->views = arena_alloc(&m->arena, sizeof(SdView) * (size_t)views.len);
        if (m->views) {
            memcpy(m->views, views.items, sizeof(SdView) * (size_t)views.len);
            m->nviews = views.len;
        }
    }
    vec_free(&views);
    vec_free(&elems);
    vec_free(&arrows);
}

/* ---- the whole file ---------------------------------------------------- */

/* Start of the sketch separator line (`\\\---///`), or n. */
static size_t sketch_start(const char *s, size_t n)
{
    for (size_t p = 0; p < n; p++) {
        if ((p == 0 || s[p - 1] == '\n') && s[p] == '\\') {
            size_t q = p;
            while (q < n && s[q] == '\\')
                q++;
            if (q - p >= 2 && n - q >= 6 && !strncmp(s + q, "---///", 6))
                return p;
        }
    }
    return n;
}

int sd_model_from_mdl(const char *text, size_t len, const char *file,
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
    m->method = SD_EULER; /* Vensim's default */
    m->vensim = true;
    Reader r = {.m = m, .d = d, .in_macro = -1, .n = len};
    sd_book_init(&r.book, m->file);
    r.s = malloc(len + 1);
    int errors_before = d->errors;
    if (!m->file || !m->src || !r.s || vec_push(&r.lines, 0)) {
        free(r.s);
        vec_free(&r.lines);
        sd_book_free(&r.book);
        sd_model_free(m);
        return T_EINTERNAL;
    }
    /* Continuations (a backslash ending a line) become blanks, and NUL
     * bytes too; every byte stays where it was, so places are true. */
    memcpy(r.s, text, len);
    r.s[len] = 0;
    for (size_t i = 0; i < len; i++) {
        if (r.s[i] == 0)
            r.s[i] = ' ';
        if (r.s[i] == '\n' && vec_push(&r.lines, i + 1))
            goto oom;
        if (r.s[i] == '\\') {
            size_t q = i + 1;
            while (q < len && (r.s[q] == ' ' || r.s[q] == '\t'))
                q++;
            if (q < len && (r.s[q] == '\n' || r.s[q] == '\r'))
                r.s[i] = ' ';
        }
    }
    if (len >= 3 && !memcmp(r.s, "\xEF\xBB\xBF", 3))
        memset(r.s, ' ', 3); /* a byte-order mark */
    size_t sk = sketch_start(r.s, len);
    read_equations(&r, sk);
    if (sk < len) {
        size_t p = sk;
        while (p < len && r.s[p] != '\n')
            p++;
        read_sketch(&r, p);
    }
    THash index = {0};
    if (d->errors == errors_before) {
        resolve_ranges(&r);
        merge_arrays(&r);
        if (d->errors == errors_before)
            infer_dims(&r);
        if (d->errors == errors_before)
            read_gets(&r);
    }
    if (d->errors == errors_before) {
        expand_macros(&r);
        for (int i = 0; i < m->nvars; i++) {
            int j;
            if (thash_get(&index, m->vars[i].ident, &j))
                diags_add(d, DIAG_ERROR, m->file, m->vars[i].decl_line, 0, NULL,
                          "duplicate variable '%s' (first defined on line %d)",
                          m->vars[i].name, m->vars[j].decl_line);
            else
                thash_put(&index, m->vars[i].ident, i);
        }
        read_controls(&r, &index);
        find_flows(&r, &index);
    }
    thash_free(&index);
    free(r.s);
    vec_free(&r.lines);
    vec_free(&r.macros);
    vec_free(&r.tmpl);
    for (int i = 0; i < r.ranges.len; i++) {
        vec_free(&r.ranges.items[i].items);
        vec_free(&r.ranges.items[i].maps);
        vec_free(&r.ranges.items[i].map_elems);
        vec_free(&r.ranges.items[i].map_n);
    }
    vec_free(&r.ranges);
    vec_free(&r.gets);
    sd_book_free(&r.book);
    if (d->errors > errors_before) {
        sd_model_free(m);
        return T_EINPUT;
    }
    *out = m;
    return T_OK;
oom:
    free(r.s);
    vec_free(&r.lines);
    sd_book_free(&r.book);
    sd_model_free(m);
    return T_EINTERNAL;
}
