/*
 * compile.c - from SdModel to SdProgram. Four stages, in order:
 *   1. parse every equation (parse.c) and resolve names to variables;
 *   2. lower stateful builtins (SMTH1, DELAY3, TREND, INIT, PREVIOUS, ...)
 *      into hidden stocks and slots, so the simulation loop knows only
 *      stocks, auxiliaries and a few history buffers;
 *   3. order the variables twice: for the initial values and for the
 *      values each step, reporting algebraic loops by name;
 *   4. emit bytecode for three programs: init, flow (per evaluation) and
 *      post (after each step). Constants are computed once, in init.
 * Everything allocated while compiling lives in one arena freed at the end;
 * the SdProgram owns plain malloc'd arrays.
 */
#include "sd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compiled variables ----------------------------------------------- */

typedef enum { CV_NORMAL, CV_SPECIAL } CvClass;

typedef struct CVar {
    const char *name;      /* display name */
    const char *ident;     /* canonical name, or a hidden one */
    SdKind kind;           /* stock, flow or aux */
    bool hidden;           /* made by lowering; not reported */
    bool special;          /* time, dt, starttime, stoptime */
    int src;               /* index of the SdVar, or of the owner for hidden */
    SdSrcLoc loc;          /* where its equation is, for messages */
    const char *text;      /* the equation text */
    SdExpr *init;          /* value at the start */
    SdExpr *flow;          /* value at each evaluation, or NULL (kept) */
    SdExpr *rate;          /* stocks: the rate of change */
    SdExpr *post;          /* value stored after each step, or NULL */
    bool nonneg;           /* stock kept at or above zero */
    int graph;             /* index in the graph table, or -1 */
    int slot;              /* value slot */
    int rate_slot;         /* stocks: slot of the rate */
    bool is_const;         /* flow value never changes after init */
    int mark;              /* DFS state while ordering */
    const char *scope;     /* macro instance its names resolve in first */
    const char *rate_text; /* stocks from .mdl: the rate's equation text */
    SdSrcLoc rate_loc;     /* and where it is */
    int elem;              /* element of an arrayed variable (0 scalar) */
    bool undefined;        /* an element no equation defines (Vensim) */
    bool has_val;          /* its value is val, from a list of numbers */
    double val;            /* that value */
} CVar;

typedef struct DelayRec {
    SdExpr *input; /* what is pushed each step */
} DelayRec;

typedef struct Ctx {
    Arena a;              /* everything below that is not the program */
    const SdModel *m;     /* the model */
    TDiags *d;            /* where errors go */
    VEC(CVar) v;          /* all variables, hidden ones after users */
    THash names;          /* ident -> index of user variables */
    VEC(SdGraph) graphs;  /* graph table */
    VEC(DelayRec) delays; /* DELAY calls */
    VEC(double) consts;   /* constant pool */
    VEC(SdIns) code;      /* code being emitted */
    int depth, max_depth; /* operand stack while emitting */
    int cur;              /* variable being lowered */
    VEC(int) order;       /* scratch for ordering */
    VEC(int) path;        /* DFS path for cycle messages */
    bool cycle_reported;  /* one message per cycle search */
    bool too_big;         /* the code outgrew its vector */
    SdArr ar;             /* dimensions and the layout of arrays */
    VEC(SdAop) aops;      /* array operations */
    VEC(SdXref) xrefs;    /* index tables */
    int aop_scratch;      /* scratch the largest operation needs */
    int nsites;           /* random calls numbered so far */
} Ctx;

/* ---- builtins --------------------------------------------------------- */

typedef enum {
    B_FN1,
    B_MIN,
    B_MAX,
    B_LOG,
    B_MOD,
    B_PI,
    B_SAFEDIV,
    B_XIDZ,
    B_ZIDZ,
    B_STEP,
    B_RAMP,
    B_PULSE,
    B_TIME,
    B_DT,
    B_START,
    B_STOP,
    B_INIT,
    B_PREVIOUS,
    B_DELAY,
    B_DELAY1,
    B_DELAY3,
    B_DELAYN,
    B_SMTH1,
    B_SMTH3,
    B_SMTHN,
    B_TREND,
    B_FORECAST,
    B_LOOKUP,
    B_IF,
    B_FMOD,
    B_POWER,
    B_QUANTUM,
    B_GAME,
    B_VPULSE,
    B_PULSE_TRAIN,
    B_VSMOOTHN,
    B_VDELAYN,
    B_DELAY_FIXED,
    B_SAMPLE,
    B_ACTIVE_INIT,
    B_GET_TIME,
    B_PICK,
    B_AOP,
    B_RANDOM
} BuiltinKind;

/* Which equation syntax a builtin belongs to: some names mean different
 * things in XMILE and in Vensim (PULSE, INTEGER). */
enum { D_BOTH, D_XMILE, D_VENSIM };

typedef struct Builtin {
    const char *name; /* canonical name */
    BuiltinKind kind; /* how it compiles */
    int fn;           /* B_FN1: which SdMathFn; B_RANDOM: SdRandKind */
    int min, max;     /* argument counts */
    int dialect;      /* D_BOTH, D_XMILE or D_VENSIM */
} Builtin;

static const Builtin builtins[] = {
    {"abs", B_FN1, SD_FN_ABS, 1, 1, D_BOTH},
    {"sqrt", B_FN1, SD_FN_SQRT, 1, 1, D_BOTH},
    {"exp", B_FN1, SD_FN_EXP, 1, 1, D_BOTH},
    {"ln", B_FN1, SD_FN_LN, 1, 1, D_BOTH},
    {"log10", B_FN1, SD_FN_LOG10, 1, 1, D_BOTH},
    {"log", B_LOG, 0, 1, 2, D_BOTH},
    {"int", B_FN1, SD_FN_INT, 1, 1, D_BOTH},
    {"integer", B_FN1, SD_FN_INT, 1, 1, D_XMILE},
    {"round", B_FN1, SD_FN_ROUND, 1, 1, D_BOTH},
    {"sign", B_FN1, SD_FN_SIGN, 1, 1, D_BOTH},
    {"sin", B_FN1, SD_FN_SIN, 1, 1, D_BOTH},
    {"cos", B_FN1, SD_FN_COS, 1, 1, D_BOTH},
    {"tan", B_FN1, SD_FN_TAN, 1, 1, D_BOTH},
    {"arcsin", B_FN1, SD_FN_ASIN, 1, 1, D_BOTH},
    {"arccos", B_FN1, SD_FN_ACOS, 1, 1, D_BOTH},
    {"arctan", B_FN1, SD_FN_ATAN, 1, 1, D_BOTH},
    {"asin", B_FN1, SD_FN_ASIN, 1, 1, D_BOTH},
    {"acos", B_FN1, SD_FN_ACOS, 1, 1, D_BOTH},
    {"atan", B_FN1, SD_FN_ATAN, 1, 1, D_BOTH},
    {"sinh", B_FN1, SD_FN_SINH, 1, 1, D_BOTH},
    {"cosh", B_FN1, SD_FN_COSH, 1, 1, D_BOTH},
    {"tanh", B_FN1, SD_FN_TANH, 1, 1, D_BOTH},
    {"min", B_MIN, 0, 2, 64, D_BOTH},
    {"max", B_MAX, 0, 2, 64, D_BOTH},
    {"mod", B_MOD, 0, 2, 2, D_BOTH},
    {"pi", B_PI, 0, 0, 0, D_BOTH},
    {"safediv", B_SAFEDIV, 0, 2, 3, D_BOTH},
    {"xidz", B_XIDZ, 0, 3, 3, D_BOTH},
    {"zidz", B_ZIDZ, 0, 2, 2, D_BOTH},
    {"step", B_STEP, 0, 2, 2, D_BOTH},
    {"ramp", B_RAMP, 0, 2, 3, D_BOTH},
    {"pulse", B_PULSE, 0, 1, 3, D_XMILE},
    {"time", B_TIME, 0, 0, 0, D_BOTH},
    {"dt", B_DT, 0, 0, 0, D_BOTH},
    {"starttime", B_START, 0, 0, 0, D_BOTH},
    {"stoptime", B_STOP, 0, 0, 0, D_BOTH},
    {"init", B_INIT, 0, 1, 1, D_BOTH},
    {"initial", B_INIT, 0, 1, 1, D_BOTH},
    {"previous", B_PREVIOUS, 0, 1, 2, D_BOTH},
    {"delay", B_DELAY, 0, 2, 3, D_BOTH},
    {"delay1", B_DELAY1, 0, 2, 3, D_BOTH},
    {"delay3", B_DELAY3, 0, 2, 3, D_BOTH},
    {"delayn", B_DELAYN, 0, 3, 4, D_BOTH},
    {"smth1", B_SMTH1, 0, 2, 3, D_BOTH},
    {"smth3", B_SMTH3, 0, 2, 3, D_BOTH},
    {"smthn", B_SMTHN, 0, 3, 4, D_BOTH},
    {"trend", B_TREND, 0, 2, 3, D_BOTH},
    {"forecast", B_FORECAST, 0, 3, 4, D_BOTH},
    /* B_LOOKUP: the first argument names a graph; fn is the opcode */
    {"lookup", B_LOOKUP, SD_I_LOOKUP, 2, 2, D_BOTH},
    {"if_then_else", B_IF, 0, 3, 3, D_BOTH},
    /* Vensim's own, and its argument orders */
    {"integer", B_FN1, SD_FN_TRUNC, 1, 1, D_VENSIM},
    {"modulo", B_FMOD, 0, 2, 2, D_VENSIM},
    {"power", B_POWER, 0, 2, 2, D_VENSIM},
    {"quantum", B_QUANTUM, 0, 2, 2, D_VENSIM},
    {"game", B_GAME, 0, 1, 1, D_VENSIM},
    {"pulse", B_VPULSE, 0, 2, 2, D_VENSIM},
    {"pulse_train", B_PULSE_TRAIN, 0, 4, 4, D_VENSIM},
    {"smooth", B_SMTH1, 0, 2, 2, D_VENSIM},
    {"smoothi", B_SMTH1, 0, 3, 3, D_VENSIM},
    {"smooth3", B_SMTH3, 0, 2, 2, D_VENSIM},
    {"smooth3i", B_SMTH3, 0, 3, 3, D_VENSIM},
    {"smooth_n", B_VSMOOTHN, 0, 4, 4, D_VENSIM},
    {"delay1i", B_DELAY1, 0, 3, 3, D_VENSIM},
    {"delay3i", B_DELAY3, 0, 3, 3, D_VENSIM},
    {"delay_n", B_VDELAYN, 0, 4, 4, D_VENSIM},
    {"delay_fixed", B_DELAY_FIXED, 0, 3, 3, D_VENSIM},
    {"sample_if_true", B_SAMPLE, 0, 3, 3, D_VENSIM},
    {"active_initial", B_ACTIVE_INIT, 0, 2, 2, D_VENSIM},
    {"get_time_value", B_GET_TIME, 0, 3, 3, D_VENSIM},
    {"lookup_extrapolate", B_LOOKUP, SD_I_LOOKUP_X, 2, 2, D_VENSIM},
    {"lookup_forward", B_LOOKUP, SD_I_LOOKUP_FWD, 2, 2, D_VENSIM},
    {"lookup_backward", B_LOOKUP, SD_I_LOOKUP_BWD, 2, 2, D_VENSIM},
    {"lookup_invert", B_LOOKUP, SD_I_LOOKUP_INV, 2, 2, D_VENSIM},
    {"lookup_area", B_LOOKUP, SD_I_LOOKUP_AREA, 3, 3, D_VENSIM},
    /* B_RANDOM: draws reproducible per run (random.c) */
    {"random_uniform", B_RANDOM, SD_RAND_UNIFORM, 3, 3, D_VENSIM},
    {"random_normal", B_RANDOM, SD_RAND_NORMAL, 5, 5, D_VENSIM},
    {"random_exponential", B_RANDOM, SD_RAND_EXPONENTIAL, 5, 5, D_VENSIM},
    {"random_poisson", B_RANDOM, SD_RAND_POISSON, 6, 6, D_VENSIM},
    {"random_triangular", B_RANDOM, SD_RAND_TRIANGULAR, 6, 6, D_VENSIM},
    {"random_0_1", B_RANDOM, SD_RAND_UNIFORM, 0, 0, D_VENSIM},
    {"random", B_RANDOM, SD_RAND_UNIFORM, 2, 3, D_XMILE},
    {"normal", B_RANDOM, SD_RAND_NORMAL, 2, 3, D_XMILE},
    {"lognormal", B_RANDOM, SD_RAND_LOGNORMAL, 2, 3, D_XMILE},
    {"exprnd", B_RANDOM, SD_RAND_EXPONENTIAL, 1, 2, D_XMILE},
    {"poisson", B_RANDOM, SD_RAND_POISSON, 1, 2, D_XMILE},
    /* made by arrays.c: an element chosen during the run, and an array
     * operation; '#' keeps them out of reach of equations */
    {"#pick", B_PICK, 0, 2, 1 << 30, D_BOTH},
    {"#aop", B_AOP, 0, 3, 1 << 30, D_BOTH},
};
#define NBUILTINS ((int)(sizeof builtins / sizeof builtins[0]))

const char *sd_builtin_name(int i)
{
    return i >= 0 && i < NBUILTINS ? builtins[i].name : NULL;
}

static bool in_dialect(const Ctx *c, const Builtin *b)
{
    return b->dialect == D_BOTH ||
           b->dialect ==
               (c->m->vensim || c->m->vensim_rules ? D_VENSIM : D_XMILE);
}

static const Builtin *builtin_find(const Ctx *c, const char *name)
{
    for (int i = 0; i < NBUILTINS; i++)
        if (!strcmp(builtins[i].name, name) && in_dialect(c, &builtins[i]))
            return &builtins[i];
    return NULL;
}

/* A builtin that may be written without parentheses: TIME, DT,
 * STARTTIME, STOPTIME, PI. */
static bool bare_builtin(const Ctx *c, const char *ident)
{
    const Builtin *b = builtin_find(c, ident);
    return b && (b->kind == B_TIME || b->kind == B_DT || b->kind == B_START ||
                 b->kind == B_STOP || b->kind == B_PI);
}

/* ---- helpers ---------------------------------------------------------- */

static void report(Ctx *c, int var, const SdExpr *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(Ctx *c, int var, const SdExpr *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const CVar *v = &c->v.items[var];
    if (v->text && e)
        sd_report(c->d, &v->loc, v->text, e->off, "%s", msg);
    else
        diags_add(c->d, DIAG_ERROR, c->m->file,
                  v->src >= 0 ? c->m->vars[v->src].decl_line : 0, 0, NULL, "%s",
                  msg);
}

static SdExpr *mk(Ctx *c, SdExprKind k, int nargs, int off)
{
    SdExpr *e = arena_alloc(&c->a, sizeof *e);
    if (!e)
        return NULL;
    e->kind = k;
    e->nargs = nargs;
    e->off = off;
    e->ref = -1;
    if (nargs)
        e->args = arena_alloc(&c->a, sizeof(SdExpr *) * (size_t)nargs);
    return e;
}

static SdExpr *mk_num(Ctx *c, double v)
{
    SdExpr *e = mk(c, SD_E_NUM, 0, 0);
    if (e)
        e->num = v;
    return e;
}

static SdExpr *mk_ref(Ctx *c, int var)
{
    SdExpr *e = mk(c, SD_E_VAR, 0, 0);
    if (e) {
        e->ref = var;
        e->name = c->v.items[var].ident;
    }
    return e;
}

static SdExpr *mk_bin(Ctx *c, SdBinOp op, SdExpr *l, SdExpr *r)
{
    SdExpr *e = mk(c, SD_E_BIN, 2, l ? l->off : 0);
    if (e && e->args) {
        e->op = op;
        e->args[0] = l;
        e->args[1] = r;
    }
    return e;
}

static int add_hidden(Ctx *c, SdKind kind, const char *what);

/* An expression used more than once by a lowered builtin: anything but a
 * number or a variable gets a hidden auxiliary of its own, so it is
 * computed once and nesting (FORECAST of FORECAST ...) cannot make the
 * emitted code grow exponentially. */
static SdExpr *share(Ctx *c, SdExpr *e, const char *what)
{
    if (!e || e->kind == SD_E_NUM || e->kind == SD_E_VAR)
        return e;
    int h = add_hidden(c, SD_AUX, what);
    if (h < 0)
        return NULL;
    c->v.items[h].init = c->v.items[h].flow = e;
    return mk_ref(c, h);
}

static SdExpr *mk_call(Ctx *c, const char *name, int n, SdExpr **args)
{
    SdExpr *e = mk(c, SD_E_CALL, n, args && n ? args[0]->off : 0);
    if (!e)
        return NULL;
    e->name = name;
    e->text = name;
    const Builtin *b = builtin_find(c, name);
    e->ref = b ? (int)(b - builtins) : -1;
    for (int i = 0; i < n; i++)
        e->args[i] = args[i];
    return e;
}

static int add_var(Ctx *c, CVar v)
{
    if (vec_push(&c->v, v))
        return -1;
    return c->v.len - 1;
}

/* A hidden variable owned by the variable being lowered. */
static int add_hidden(Ctx *c, SdKind kind, const char *what)
{
    const CVar *owner = &c->v.items[c->cur];
    CVar h = {0};
    h.kind = kind;
    h.hidden = true;
    h.src = owner->src;
    h.loc = owner->loc;
    h.text = owner->text;
    h.name = arena_printf(&c->a, "%s in '%s'", what, owner->name);
    h.ident = arena_printf(&c->a, "#%d#%s", c->v.len, what);
    h.graph = -1;
    return add_var(c, h);
}

static bool const_value(Ctx *c, const SdExpr *e, double *out, int depth);

/* ---- stage 2: resolving names and lowering builtins -------------------- */

static SdExpr *lower(Ctx *c, SdExpr *e);

static const char *suggest_var(Ctx *c, const char *ident)
{
    const char *best = NULL;
    int bestd = (int)strlen(ident) / 3 + 1;
    if (bestd > 3)
        bestd = 3;
    for (int i = 0; i < c->v.len; i++) {
        const CVar *v = &c->v.items[i];
        if (v->hidden || v->special)
            continue;
        int dd = str_edit_distance(ident, v->ident, bestd);
        if (dd <= bestd && (dd < bestd || !best)) {
            best = v->name;
            bestd = dd;
        }
    }
    return best;
}

static const char *suggest_fn(const Ctx *c, const char *ident)
{
    const char *best = NULL;
    int bestd = 2;
    for (int i = 0; i < NBUILTINS; i++) {
        if (!in_dialect(c, &builtins[i]))
            continue;
        int dd = str_edit_distance(ident, builtins[i].name, bestd);
        if (dd <= bestd && (dd < bestd || !best)) {
            best = builtins[i].name;
            bestd = dd;
        }
    }
    return best;
}

static int find_var(Ctx *c, const char *ident)
{
    int i;
    return thash_get(&c->names, ident, &i) ? i : -1;
}

/* A name as the variable being lowered reads it: inside a macro instance
 * its own variables (`scope.name`) come first. */
static int resolve(Ctx *c, const char *ident)
{
    const char *scope = c->v.items[c->cur].scope;
    if (scope) {
        char *full = arena_printf(&c->a, "%s.%s", scope, ident);
        int i = full ? find_var(c, full) : -1;
        if (i >= 0)
            return i;
    }
    return find_var(c, ident);
}

/* Stages of a smoothing or delay chain. Rolled (Vensim's DELAY N): stage
 * k divides by the delay time of k steps before, so a change of the delay
 * time travels down the chain with the material. */
static SdExpr *chain_at(Ctx *c, bool material, SdExpr *input, SdExpr *time,
                        int n, SdExpr *init, const char *what, bool rolled)
{
    input = share(c, input, "input");
    time = share(c, time, "time");
    init = share(c, init, "initial");
    if (!input || !time)
        return NULL;
    SdExpr *stage_time =
        n == 1 ? time : mk_bin(c, SD_OP_DIV, time, mk_num(c, n));
    SdExpr *in = input, *out = NULL, *tk = time;
    for (int k = 0; k < n; k++) {
        if (rolled && k > 0) {
            int h = add_hidden(c, SD_AUX, "delay time");
            if (h < 0)
                return NULL;
            c->v.items[h].init = time;
            c->v.items[h].post = tk;
            tk = mk_ref(c, h);
            stage_time = n == 1 ? tk : mk_bin(c, SD_OP_DIV, tk, mk_num(c, n));
        }
        int s = add_hidden(c, SD_STOCK, what);
        if (s < 0)
            return NULL;
        CVar *v = &c->v.items[s];
        SdExpr *ref = mk_ref(c, s);
        if (material) {
            /* The stock holds material in transit; its outflow is
             * level / stage time. */
            v->init = mk_bin(c, SD_OP_MUL, init ? init : input, stage_time);
            out = mk_bin(c, SD_OP_DIV, ref, stage_time);
            v->rate = mk_bin(c, SD_OP_SUB, in, out);
        } else {
            v->init = init ? init : input;
            out = ref;
            v->rate =
                mk_bin(c, SD_OP_DIV, mk_bin(c, SD_OP_SUB, in, ref), stage_time);
        }
        in = out;
    }
    return out;
}

static SdExpr *chain(Ctx *c, bool material, SdExpr *input, SdExpr *time, int n,
                     SdExpr *init, const char *what)
{
    return chain_at(c, material, input, time, n, init, what, false);
}

static bool order_arg(Ctx *c, SdExpr *e, SdExpr *arg, int *n)
{
    double v;
    if (!const_value(c, arg, &v, 0)) {
        report(c, c->cur, arg, "the order of '%s' must be a constant", e->text);
        return false;
    }
    if (!(v >= 1 && v <= 1000)) {
        report(c, c->cur, arg,
               "the order of '%s' must be between 1 and 1000, "
               "not %g",
               e->text, v);
        return false;
    }
    *n = (int)floor(v + 0.5);
    return true;
}

static SdExpr *lower_call_at(Ctx *c, SdExpr *e);

/* A DELAY of input by dtime (a value, read each step) with init before
 * the start; the history of input is pushed after each step. */
static SdExpr *delay_node(Ctx *c, const SdExpr *e, SdExpr *input, SdExpr *dtime,
                          SdExpr *init)
{
    DelayRec r = {input};
    if (vec_push(&c->delays, r))
        return NULL;
    SdExpr *f = mk(c, SD_E_CALL, 2, e->off);
    if (!f)
        return NULL;
    f->name = "delay";
    f->text = e->text;
    f->ref = (int)(builtin_find(c, "delay") - builtins);
    f->args[0] = dtime;
    f->args[1] = init;
    f->num = c->delays.len - 1;
    return f;
}

/* Lowers a call; what replaces it keeps its place for messages. */
static SdExpr *lower_call(Ctx *c, SdExpr *e)
{
    int off = e->off;
    SdExpr *r = lower_call_at(c, e);
    if (r && r != e && r->off == 0)
        r->off = off;
    return r;
}

static SdExpr *lower_call_at(Ctx *c, SdExpr *e)
{
    /* A graphical function called by name (arrays.c resolved an
     * element of an arrayed one). */
    int gv = (e->flags & SD_EF_RESOLVED) ? e->ref : resolve(c, e->name);
    if (gv >= 0) {
        /* An index, not a pointer: lowering the argument can add hidden
         * variables and move the table. */
        int graph = c->v.items[gv].graph;
        if (graph < 0) {
            report(c, c->cur, e,
                   "'%s' is a variable, not a function; only "
                   "graphical functions can be called",
                   e->text);
            return NULL;
        }
        if (e->nargs != 1) {
            report(c, c->cur, e,
                   "graphical function '%s' takes 1 argument, "
                   "not %d",
                   e->text, e->nargs);
            return NULL;
        }
        SdExpr *x = lower(c, e->args[0]);
        if (!x)
            return NULL;
        SdExpr *l = mk(c, SD_E_CALL, 1, e->off);
        l->name = "lookup";
        l->text = e->text;
        l->ref = (int)(builtin_find(c, "lookup") - builtins);
        l->args[0] = x;
        l->num = graph; /* which graph */
        return l;
    }
    const Builtin *b = builtin_find(c, e->name);
    if (!b) {
        const char *s = suggest_fn(c, e->name);
        if (s)
            report(c, c->cur, e, "unknown function '%s'; did you mean '%s'?",
                   e->text, s);
        else
            report(c, c->cur, e, "unknown function '%s'", e->text);
        return NULL;
    }
    if (e->nargs < b->min || e->nargs > b->max) {
        if (b->min == b->max)
            report(c, c->cur, e, "'%s' takes %d argument%s, not %d", e->text,
                   b->min, b->min == 1 ? "" : "s", e->nargs);
        else
            report(c, c->cur, e, "'%s' takes %d to %d arguments, not %d",
                   e->text, b->min, b->max, e->nargs);
        return NULL;
    }
    e->ref = (int)(b - builtins);
    if (b->kind == B_LOOKUP) {
        SdExpr *g = e->args[0];
        int gi = g->kind != SD_E_VAR         ? -1
                 : g->flags & SD_EF_RESOLVED ? g->ref
                                             : resolve(c, g->name);
        if (gi < 0 || c->v.items[gi].graph < 0) {
            /* XMILE's LOOKUP by its name; Vensim's as written */
            report(c, c->cur, g,
                   "the first argument of '%s' must name "
                   "a graphical function",
                   b->fn == SD_I_LOOKUP ? b->name : e->text);
            return NULL;
        }
        /* The graph becomes the operand; the rest are the arguments. */
        for (int i = 1; i < e->nargs; i++) {
            SdExpr *x = lower(c, e->args[i]);
            if (!x)
                return NULL;
            e->args[i - 1] = x;
        }
        e->nargs--;
        e->num = c->v.items[gi].graph;
        return e;
    }
    SdExpr **args = e->args;
    for (int i = 0; i < e->nargs; i++) {
        args[i] = lower(c, e->args[i]);
        if (!args[i])
            return NULL;
    }
    int n;
    switch (b->kind) {
    case B_RANDOM:
        /* Its call site, numbered once here, so the init, flow and node
         * code of this call draw the same numbers. */
        if (c->nsites >= SD_RAND_MAX_SITES) {
            report(c, c->cur, e, "too many random calls: more than %d",
                   SD_RAND_MAX_SITES);
            return NULL;
        }
        e->num = c->nsites++;
        return e;
    case B_PI:
        return mk_num(c, M_PI);
    case B_TIME:
        return mk_ref(c, SD_SLOT_TIME);
    case B_DT:
        return mk_ref(c, SD_SLOT_DT);
    case B_START:
        return mk_ref(c, SD_SLOT_START);
    case B_STOP:
        return mk_ref(c, SD_SLOT_STOP);
    case B_IF: {
        SdExpr *f = mk(c, SD_E_IF, 3, e->off);
        for (int i = 0; i < 3; i++)
            f->args[i] = args[i];
        return f;
    }
    case B_INIT: {
        int h = add_hidden(c, SD_AUX, "init");
        if (h < 0)
            return NULL;
        c->v.items[h].init = args[0];
        return mk_ref(c, h);
    }
    case B_PREVIOUS: {
        int h = add_hidden(c, SD_AUX, "previous");
        if (h < 0)
            return NULL;
        c->v.items[h].init = e->nargs > 1 ? args[1] : args[0];
        c->v.items[h].post = args[0];
        return mk_ref(c, h);
    }
    case B_DELAY: {
        SdExpr *init = e->nargs > 2 ? args[2] : NULL;
        if (!init) {
            /* Without an initial value the output starts at the input's
             * initial value, kept in a slot of its own so the delay does
             * not depend on its input during the run. */
            int h = add_hidden(c, SD_AUX, "delay initial");
            if (h < 0)
                return NULL;
            c->v.items[h].init = args[0];
            init = mk_ref(c, h);
        }
        return delay_node(c, e, args[0], args[1], init);
    }
    case B_DELAY_FIXED: {
        /* Vensim fixes the delay time at the start, as a whole number of
         * time steps and at least one. */
        int h = add_hidden(c, SD_AUX, "delay fixed time");
        if (h < 0)
            return NULL;
        SdExpr *q[1] = {mk_bin(c, SD_OP_DIV, args[1], mk_ref(c, SD_SLOT_DT))};
        SdExpr *mx[2] = {mk_num(c, 1), mk_call(c, "round", 1, q)};
        c->v.items[h].init = mk_bin(c, SD_OP_MUL, mk_call(c, "max", 2, mx),
                                    mk_ref(c, SD_SLOT_DT));
        return delay_node(c, e, args[0], mk_ref(c, h), args[2]);
    }
    case B_SAMPLE: {
        /* out = IF cond THEN input ELSE last; last starts at the initial
         * value and takes out after each step. */
        int last = add_hidden(c, SD_AUX, "sample if true");
        if (last < 0)
            return NULL;
        SdExpr *f = mk(c, SD_E_IF, 3, e->off);
        if (!f)
            return NULL;
        f->args[0] = args[0];
        f->args[1] = args[1];
        f->args[2] = mk_ref(c, last);
        int o = add_hidden(c, SD_AUX, "sample if true output");
        if (o < 0)
            return NULL;
        c->v.items[o].init = c->v.items[o].flow = f;
        c->v.items[last].init = args[2];
        c->v.items[last].post = mk_ref(c, o);
        return mk_ref(c, o);
    }
    case B_GAME: /* a gaming input: the model runs without a player */
        return args[0];
    case B_GET_TIME: {
        /* GET TIME VALUE(relative to, offset, measure): the model's time
         * (0) or its start (1), plus the offset. */
        double rel, measure;
        if (!const_value(c, args[0], &rel, 0) ||
            !const_value(c, args[2], &measure, 0)) {
            report(c, c->cur, e,
                   "the first and last arguments of '%s' must be constants",
                   e->text);
            return NULL;
        }
        if (measure != 0) {
            report(c, c->cur, args[2],
                   "'%s' in calendar units (measure %g) is not supported; "
                   "only measure 0, the model's own time units",
                   e->text, measure);
            return NULL;
        }
        if (rel != 0 && rel != 1) {
            report(c, c->cur, args[0],
                   "'%s' relative to %g is not supported: only 0 (the "
                   "current time) and 1 (the start); the computer's clock "
                   "(2) would change the results from run to run",
                   e->text, rel);
            return NULL;
        }
        return mk_bin(c, SD_OP_ADD,
                      mk_ref(c, rel == 0 ? SD_SLOT_TIME : SD_SLOT_START),
                      args[1]);
    }
    case B_POWER:
        return mk_bin(c, SD_OP_POW, args[0], args[1]);
    case B_VSMOOTHN:
        if (!order_arg(c, e, args[3], &n))
            return NULL;
        return chain(c, false, args[0], args[1], n, args[2], "smooth n");
    case B_VDELAYN: {
        if (!order_arg(c, e, args[3], &n))
            return NULL;
        /* Vensim lowers the order until a stage lasts a time step at
         * least (when the delay time is known at the start). */
        double t;
        if (const_value(c, args[1], &t, 0) && t > 0 && t / n < c->m->dt) {
            double most = floor(t / c->m->dt + 1e-9);
            n = most < 1 ? 1 : (int)most;
        }
        return chain_at(c, true, args[0], args[1], n, args[2], "delay n", true);
    }
    case B_DELAY1:
        return chain(c, true, args[0], args[1], 1,
                     e->nargs > 2 ? args[2] : NULL, "delay1");
    case B_DELAY3:
        return chain(c, true, args[0], args[1], 3,
                     e->nargs > 2 ? args[2] : NULL, "delay3");
    case B_DELAYN:
        if (!order_arg(c, e, args[2], &n))
            return NULL;
        return chain(c, true, args[0], args[1], n,
                     e->nargs > 3 ? args[3] : NULL, "delayn");
    case B_SMTH1:
        return chain(c, false, args[0], args[1], 1,
                     e->nargs > 2 ? args[2] : NULL, "smth1");
    case B_SMTH3:
        return chain(c, false, args[0], args[1], 3,
                     e->nargs > 2 ? args[2] : NULL, "smth3");
    case B_SMTHN:
        if (!order_arg(c, e, args[2], &n))
            return NULL;
        return chain(c, false, args[0], args[1], n,
                     e->nargs > 3 ? args[3] : NULL, "smthn");
    case B_TREND:
    case B_FORECAST: {
        /* average = SMTH1(input, avg time, input / (1 + initial trend *
         * avg time)); trend = (input - average) / (average * avg time). */
        SdExpr *input = share(c, args[0], "input");
        SdExpr *avg = share(c, args[1], "time");
        if (!input || !avg)
            return NULL;
        int it = b->kind == B_TREND ? 2 : 3;
        SdExpr *itrend = e->nargs > it ? args[it] : mk_num(c, 0);
        SdExpr *init = mk_bin(c, SD_OP_DIV, input,
                              mk_bin(c, SD_OP_ADD, mk_num(c, 1),
                                     mk_bin(c, SD_OP_MUL, itrend, avg)));
        SdExpr *average = chain(c, false, input, avg, 1, init,
                                b->kind == B_TREND ? "trend" : "forecast");
        if (!average)
            return NULL;
        SdExpr *da[2] = {mk_bin(c, SD_OP_SUB, input, average),
                         mk_bin(c, SD_OP_MUL, average, avg)};
        SdExpr *trend = mk_call(c, "zidz", 2, da);
        if (b->kind == B_TREND)
            return trend;
        return mk_bin(c, SD_OP_MUL, input,
                      mk_bin(c, SD_OP_ADD, mk_num(c, 1),
                             mk_bin(c, SD_OP_MUL, trend, args[2])));
    }
    default:
        return e;
    }
}

static SdExpr *lower(Ctx *c, SdExpr *e)
{
    if (!e)
        return NULL;
    switch (e->kind) {
    case SD_E_NUM:
        return e;
    case SD_E_VAR: {
        int i = (e->flags & SD_EF_RESOLVED) ? e->ref : resolve(c, e->name);
        if (i >= 0 && c->v.items[i].undefined) {
            report(c, c->cur, e, "element '%s' has no equation",
                   c->v.items[i].name);
            return NULL;
        }
        if (i < 0) {
            const Builtin *b = builtin_find(c, e->name);
            if (b && bare_builtin(c, e->name)) {
                e->kind = SD_E_CALL;
                e->nargs = 0;
                return lower_call(c, e);
            }
            const char *s = suggest_var(c, e->name);
            if (s)
                report(c, c->cur, e,
                       "unknown variable '%s'; did you mean "
                       "'%s'?",
                       e->text, s);
            else
                report(c, c->cur, e, "unknown variable '%s'", e->text);
            return NULL;
        }
        if (c->v.items[i].graph >= 0 && !c->v.items[i].flow &&
            !c->v.items[i].init) {
            report(c, c->cur, e,
                   "graphical function '%s' needs an argument: "
                   "'%s(x)'",
                   e->text, e->text);
            return NULL;
        }
        e->ref = i;
        return e;
    }
    case SD_E_CALL:
        return lower_call(c, e);
    default:
        for (int k = 0; k < e->nargs; k++) {
            e->args[k] = lower(c, e->args[k]);
            if (!e->args[k])
                return NULL;
        }
        return e;
    }
}

/* Evaluates an expression made of numbers, operators and constant
 * variables at compile time (for the order of DELAYN and SMTHN). */
static bool const_value(Ctx *c, const SdExpr *e, double *out, int depth)
{
    if (!e || depth > 50)
        return false;
    double a, b;
    switch (e->kind) {
    case SD_E_NUM:
        *out = e->num;
        return true;
    case SD_E_VAR: {
        /* By name: an equation not lowered yet has no refs. Hidden
         * variables are not in the name table and go by ref. */
        int i = (e->flags & SD_EF_RESOLVED) ? e->ref
                : e->name                   ? resolve(c, e->name)
                                            : -1;
        if (i < 0)
            i = e->ref;
        if (i < 0 || i >= c->v.len)
            return false;
        const CVar *v = &c->v.items[i];
        if (v->special) {
            if (i == SD_SLOT_TIME)
                return false;
            *out = i == SD_SLOT_DT      ? c->m->dt
                   : i == SD_SLOT_START ? c->m->start
                                        : c->m->stop;
            return true;
        }
        const SdExpr *x = v->flow ? v->flow : v->init;
        if (v->kind == SD_STOCK || !x)
            return false;
        return const_value(c, x, out, depth + 1);
    }
    case SD_E_CALL: {
        /* STEP at the start: Vensim evaluates a delay's order once. */
        const Builtin *fn = e->name ? builtin_find(c, e->name) : NULL;
        if (!fn || fn->kind != B_STEP || e->nargs != 2 ||
            !const_value(c, e->args[0], &a, depth + 1) ||
            !const_value(c, e->args[1], &b, depth + 1))
            return false;
        *out = c->m->start + c->m->dt / 2 > b ? a : 0;
        return true;
    }
    case SD_E_NEG:
        if (!const_value(c, e->args[0], &a, depth + 1))
            return false;
        *out = -a;
        return true;
    case SD_E_BIN:
        if (!const_value(c, e->args[0], &a, depth + 1) ||
            !const_value(c, e->args[1], &b, depth + 1))
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
    default:
        return false;
    }
}

/* ---- stage 3: ordering ------------------------------------------------ */

typedef enum { PH_INIT, PH_FLOW } Phase;

static SdExpr *phase_expr(const CVar *v, Phase ph)
{
    return ph == PH_INIT ? v->init : v->flow;
}

/* Calls fn for every variable e reads in the given phase. */
static void each_dep(Ctx *c, const SdExpr *e, Phase ph,
                     void (*fn)(Ctx *, int, void *), void *ud)
{
    if (!e)
        return;
    if (e->kind == SD_E_VAR) {
        if (e->ref >= 0)
            fn(c, e->ref, ud);
        return;
    }
    if (e->kind == SD_E_CALL && e->ref >= 0 &&
        builtins[e->ref].kind == B_DELAY && ph == PH_INIT) {
        each_dep(c, e->args[1], ph, fn, ud); /* only the initial value */
        return;
    }
    if (e->kind == SD_E_CALL && e->ref >= 0 &&
        builtins[e->ref].kind == B_ACTIVE_INIT) {
        /* the initial value at the start, the expression after */
        each_dep(c, e->args[ph == PH_INIT ? 1 : 0], ph, fn, ud);
        return;
    }
    for (int k = 0; k < e->nargs; k++)
        each_dep(c, e->args[k], ph, fn, ud);
}

typedef struct OrderState {
    Phase ph; /* which program */
    bool ok;  /* no cycle so far */
} OrderState;

static void visit(Ctx *c, int i, void *ud);

static void report_cycle(Ctx *c, int i, Phase ph)
{
    if (c->cycle_reported)
        return;
    c->cycle_reported = true;
    TBuf names = {0};
    int start = c->path.len - 1;
    while (start > 0 && c->path.items[start] != i)
        start--;
    for (int k = start; k < c->path.len; k++)
        tbuf_printf(&names, "'%s' -> ", c->v.items[c->path.items[k]].name);
    tbuf_printf(&names, "'%s'", c->v.items[i].name);
    const CVar *v = &c->v.items[i];
    diags_add(c->d, DIAG_ERROR, c->m->file,
              v->src >= 0 ? c->m->vars[v->src].decl_line : 0, 0, NULL,
              "%s among variables: %s",
              ph == PH_INIT ? "circular initial values" : "algebraic loop",
              tbuf_cstr(&names));
    tbuf_free(&names);
}

static void visit(Ctx *c, int i, void *ud)
{
    OrderState *st = ud;
    CVar *v = &c->v.items[i];
    if (!st->ok || v->special || !phase_expr(v, st->ph))
        return;
    if (v->mark == 2)
        return;
    if (v->mark == 1) {
        report_cycle(c, i, st->ph);
        st->ok = false;
        return;
    }
    v->mark = 1;
    vec_push(&c->path, i);
    each_dep(c, phase_expr(v, st->ph), st->ph, visit, ud);
    c->path.len--;
    v = &c->v.items[i];
    v->mark = 2;
    vec_push(&c->order, i);
}

static bool order(Ctx *c, Phase ph)
{
    c->order.len = 0;
    c->path.len = 0;
    c->cycle_reported = false;
    for (int i = 0; i < c->v.len; i++)
        c->v.items[i].mark = 0;
    OrderState st = {ph, true};
    for (int i = 0; i < c->v.len && st.ok; i++)
        visit(c, i, &st);
    return st.ok;
}

/* ---- stage 4: emitting bytecode ---------------------------------------- */

static void emit(Ctx *c, SdOpcode op, int a)
{
    static const signed char delta[] = {
#define X(name, pops, pushes, doc) (pushes) - (pops),
        SD_OPCODES(X)
#undef X
    };
    SdIns ins = {(int32_t)op, a};
    if (vec_push(&c->code, ins))
        c->too_big = true;
    c->depth += delta[op];
    if (c->depth > c->max_depth)
        c->max_depth = c->depth;
}

static int konst(Ctx *c, double v)
{
    for (int i = c->consts.len - 1; i >= 0 && i >= c->consts.len - 64; i--)
        if (c->consts.items[i] == v &&
            signbit(c->consts.items[i]) == signbit(v))
            return i;
    vec_push(&c->consts, v);
    return c->consts.len - 1;
}

static void emit_expr(Ctx *c, const SdExpr *e, Phase ph);

/* x op slot, fused when the right operand is a plain variable. */
static void emit_bin(Ctx *c, const SdExpr *e, Phase ph)
{
    static const SdOpcode ops[] = {
        [SD_OP_ADD] = SD_I_ADD, [SD_OP_SUB] = SD_I_SUB, [SD_OP_MUL] = SD_I_MUL,
        [SD_OP_DIV] = SD_I_DIV, [SD_OP_POW] = SD_I_POW, [SD_OP_MOD] = SD_I_MOD,
        [SD_OP_EQ] = SD_I_EQ,   [SD_OP_NE] = SD_I_NE,   [SD_OP_LT] = SD_I_LT,
        [SD_OP_LE] = SD_I_LE,   [SD_OP_GT] = SD_I_GT,   [SD_OP_GE] = SD_I_GE,
        [SD_OP_AND] = SD_I_AND, [SD_OP_OR] = SD_I_OR};
    /* Fused forms for the four arithmetic operators when one operand is
     * a variable or a number: one instruction instead of two. + and * are
     * commutative in IEEE arithmetic, so a leaf on the left can move. */
    static const SdOpcode by_slot[] = {[SD_OP_ADD] = SD_I_LOADC_ADD,
                                       [SD_OP_SUB] = SD_I_LOADC_SUB,
                                       [SD_OP_MUL] = SD_I_LOADC_MUL,
                                       [SD_OP_DIV] = SD_I_LOADC_DIV};
    static const SdOpcode by_const[] = {[SD_OP_ADD] = SD_I_KADD,
                                        [SD_OP_SUB] = SD_I_KSUB,
                                        [SD_OP_MUL] = SD_I_KMUL,
                                        [SD_OP_DIV] = SD_I_KDIV};
    const SdExpr *l = e->args[0], *r = e->args[1];
    bool arith = e->op <= SD_OP_DIV;
    bool leaf_r = r->kind == SD_E_NUM || (r->kind == SD_E_VAR && r->ref >= 0);
    bool leaf_l = l->kind == SD_E_NUM || (l->kind == SD_E_VAR && l->ref >= 0);
    if (arith && !leaf_r && leaf_l &&
        (e->op == SD_OP_ADD || e->op == SD_OP_MUL)) {
        const SdExpr *t = l;
        l = r;
        r = t;
        leaf_r = true;
    }
    emit_expr(c, l, ph);
    if (arith && leaf_r) {
        if (r->kind == SD_E_NUM)
            emit(c, by_const[e->op], konst(c, r->num));
        else
            emit(c, by_slot[e->op], c->v.items[r->ref].slot);
        return;
    }
    emit_expr(c, r, ph);
    emit(c, ops[e->op], 0);
}

/* A random draw: every distribution's arguments in the order the kind
 * takes them (SdRandKind), the ones XMILE leaves out filled in. */
static void emit_random(Ctx *c, const SdExpr *e, const Builtin *b, Phase ph)
{
    if (b->dialect == D_XMILE) {
        int seed = 2; /* the argument that is the seed, when given */
        if (b->fn != SD_RAND_UNIFORM) {
            emit(c, SD_I_CONST, konst(c, -INFINITY)); /* unbounded */
            emit(c, SD_I_CONST, konst(c, INFINITY));
        }
        if (b->fn == SD_RAND_EXPONENTIAL) { /* shift 0, stretch the mean */
            emit(c, SD_I_CONST, konst(c, 0));
            emit_expr(c, e->args[0], ph);
            seed = 1;
        } else if (b->fn == SD_RAND_POISSON) { /* shift 0, stretch 1 */
            emit_expr(c, e->args[0], ph);
            emit(c, SD_I_CONST, konst(c, 0));
            emit(c, SD_I_CONST, konst(c, 1));
            seed = 1;
        } else { /* min and max, or mean and sd */
            emit_expr(c, e->args[0], ph);
            emit_expr(c, e->args[1], ph);
        }
        if (e->nargs > seed)
            emit_expr(c, e->args[seed], ph);
        else
            emit(c, SD_I_CONST, konst(c, 0));
    } else if (e->nargs == 0) { /* RANDOM 0 1(): RANDOM UNIFORM(0, 1, 0) */
        emit(c, SD_I_CONST, konst(c, 0));
        emit(c, SD_I_CONST, konst(c, 1));
        emit(c, SD_I_CONST, konst(c, 0));
    } else {
        for (int i = 0; i < e->nargs; i++)
            emit_expr(c, e->args[i], ph);
    }
    emit(c, SD_I_RANDOM, (int)e->num * 16 + b->fn);
    c->depth -= sd_random_nargs(b->fn);
}

static void emit_call(Ctx *c, const SdExpr *e, Phase ph)
{
    const Builtin *b = &builtins[e->ref];
    switch (b->kind) {
    case B_FN1:
        emit_expr(c, e->args[0], ph);
        emit(c, SD_I_FN1, b->fn);
        return;
    case B_MIN:
    case B_MAX:
        emit_expr(c, e->args[0], ph);
        for (int k = 1; k < e->nargs; k++) {
            emit_expr(c, e->args[k], ph);
            emit(c, b->kind == B_MIN ? SD_I_MIN : SD_I_MAX, 0);
        }
        return;
    case B_LOG:
        emit_expr(c, e->args[0], ph);
        if (e->nargs == 1) {
            emit(c, SD_I_FN1, SD_FN_LOG10);
        } else {
            emit_expr(c, e->args[1], ph);
            emit(c, SD_I_LOG2, 0);
        }
        return;
    case B_MOD:
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        emit(c, SD_I_MOD, 0);
        return;
    case B_SAFEDIV:
    case B_XIDZ:
    case B_ZIDZ:
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        if (e->nargs == 3)
            emit_expr(c, e->args[2], ph);
        else
            emit(c, SD_I_CONST, konst(c, 0));
        emit(c, SD_I_SAFEDIV, 0);
        return;
    case B_STEP:
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        emit(c, SD_I_STEP, 0);
        return;
    case B_RAMP:
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        if (e->nargs == 3)
            emit_expr(c, e->args[2], ph);
        else
            emit(c, SD_I_CONST, konst(c, INFINITY));
        emit(c, SD_I_RAMP, 0);
        return;
    case B_PULSE:
        emit_expr(c, e->args[0], ph);
        if (e->nargs >= 2)
            emit_expr(c, e->args[1], ph);
        else
            emit(c, SD_I_LOAD, SD_SLOT_START);
        if (e->nargs == 3)
            emit_expr(c, e->args[2], ph);
        else
            emit(c, SD_I_CONST, konst(c, 0));
        emit(c, SD_I_PULSE, 0);
        return;
    case B_LOOKUP:
        for (int i = 0; i < e->nargs; i++)
            emit_expr(c, e->args[i], ph);
        emit(c, b->fn, (int)e->num);
        return;
    case B_ACTIVE_INIT:
        emit_expr(c, e->args[ph == PH_INIT ? 1 : 0], ph);
        return;
    case B_RANDOM:
        emit_random(c, e, b, ph);
        return;
    case B_PICK: {
        /* The elements are consecutive slots, stride apart (arrays.c
         * builds them so). */
        int n = e->nargs - 1;
        int base = c->v.items[e->args[1]->ref].slot;
        int stride = n > 1 ? c->v.items[e->args[2]->ref].slot - base : 1;
        for (int i = 1; i <= n; i++)
            if (e->args[i]->kind != SD_E_VAR ||
                c->v.items[e->args[i]->ref].slot != base + (i - 1) * stride)
                c->too_big = true; /* cannot happen: refuse, never guess */
        SdXref x = {base, stride, n};
        if (vec_push(&c->xrefs, x))
            c->too_big = true;
        emit_expr(c, e->args[0], ph);
        emit(c, SD_I_LOADX, c->xrefs.len - 1);
        return;
    }
    case B_AOP: {
        SdAop op = {(int)e->args[0]->num, (int)e->args[2]->num,
                    (int)e->args[1]->num, e->nargs - 3};
        for (int i = 3; i < e->nargs; i++)
            emit_expr(c, e->args[i], ph);
        if (vec_push(&c->aops, op))
            c->too_big = true;
        int need = sd_aop_scratch(&op);
        if (need > c->aop_scratch)
            c->aop_scratch = need;
        emit(c, SD_I_AOP, c->aops.len - 1);
        c->depth -= op.nargs;
        return;
    }
    case B_FMOD:
    case B_QUANTUM:
    case B_VPULSE:
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        emit(c,
             b->kind == B_FMOD      ? SD_I_FMOD
             : b->kind == B_QUANTUM ? SD_I_QUANTUM
                                    : SD_I_VPULSE,
             0);
        return;
    case B_PULSE_TRAIN:
        for (int k = 0; k < 4; k++)
            emit_expr(c, e->args[k], ph);
        emit(c, SD_I_PULSE_TRAIN, 0);
        return;
    case B_DELAY:
        if (ph == PH_INIT) {
            emit_expr(c, e->args[1], ph);
            return;
        }
        emit_expr(c, e->args[0], ph);
        emit_expr(c, e->args[1], ph);
        emit(c, SD_I_DELAY, (int)e->num);
        return;
    default:
        /* Every other builtin was lowered away in stage 2. */
        emit(c, SD_I_CONST, konst(c, NAN));
        return;
    }
}

static void emit_expr(Ctx *c, const SdExpr *e, Phase ph)
{
    switch (e->kind) {
    case SD_E_NUM:
        emit(c, SD_I_CONST, konst(c, e->num));
        return;
    case SD_E_VAR:
        emit(c, SD_I_LOAD, c->v.items[e->ref].slot);
        return;
    case SD_E_NEG:
        emit_expr(c, e->args[0], ph);
        emit(c, SD_I_NEG, 0);
        return;
    case SD_E_NOT:
        emit_expr(c, e->args[0], ph);
        emit(c, SD_I_NOT, 0);
        return;
    case SD_E_BIN:
        emit_bin(c, e, ph);
        return;
    case SD_E_IF: {
        /* Only the branch taken is evaluated, so IF guards a division. */
        emit_expr(c, e->args[0], ph);
        int jz = c->code.len;
        emit(c, SD_I_JZ, 0);
        emit_expr(c, e->args[1], ph);
        int jmp = c->code.len;
        emit(c, SD_I_JMP, 0);
        c->depth--; /* the two branches leave one value between them */
        c->code.items[jz].a = c->code.len;
        emit_expr(c, e->args[2], ph);
        c->code.items[jmp].a = c->code.len;
        return;
    }
    case SD_E_CALL:
        emit_call(c, e, ph);
        return;
    }
}

/* The code emitted so far, ended; with superinstructions when fuse. */
static SdIns *finish_code(Ctx *c, bool fuse)
{
    emit(c, SD_I_END, 0);
    SdIns *code = malloc(sizeof(SdIns) * (size_t)c->code.len);
    if (code)
        memcpy(code, c->code.items, sizeof(SdIns) * (size_t)c->code.len);
    if (code && fuse)
        sd_code_fuse(code, c->code.len);
    c->code.len = 0;
    c->depth = 0;
    return code;
}

/* A variable's value never changes after the initial values: its flow
 * expression reads only constants. Computed in flow order. */
static bool expr_const(Ctx *c, const SdExpr *e)
{
    switch (e->kind) {
    case SD_E_NUM:
        return true;
    case SD_E_VAR: {
        const CVar *v = &c->v.items[e->ref];
        if (v->special)
            return e->ref != SD_SLOT_TIME;
        if (v->kind == SD_STOCK || v->post)
            return false;
        if (!v->flow)
            return true; /* INIT-style slot: fixed after the start */
        return v->is_const;
    }
    case SD_E_CALL: {
        const Builtin *b = &builtins[e->ref];
        if (b->kind == B_STEP || b->kind == B_RAMP || b->kind == B_PULSE ||
            b->kind == B_DELAY || b->kind == B_VPULSE ||
            b->kind == B_PULSE_TRAIN || b->kind == B_ACTIVE_INIT ||
            b->kind == B_RANDOM)
            return false;
        break;
    }
    default:
        break;
    }
    for (int k = 0; k < e->nargs; k++)
        if (!expr_const(c, e->args[k]))
            return false;
    return true;
}

/* ---- driver ----------------------------------------------------------- */

static int add_graph(Ctx *c, const SdGraph *g)
{
    if (vec_push(&c->graphs, *g))
        return -1;
    return c->graphs.len - 1;
}

static SdSrcLoc loc_of(const SdModel *m, int line, int col, const int *adj,
                       int nadj)
{
    return (SdSrcLoc){m->file, m->src, m->src_len, line, col, adj, nadj};
}

/* Creates the compiled variables: the four specials, then every model
 * variable, an arrayed one as one variable per element (row-major, in
 * consecutive slots). */
static bool make_vars(Ctx *c)
{
    static const char *special[] = {"time", "dt", "starttime", "stoptime"};
    /* Room for every element and some hidden variables at once: doubling
     * from 8 would leave up to half of a large model's table unused. */
    long want = SD_SLOT_FIRST;
    for (int i = 0; i < c->m->nvars; i++)
        want += c->ar.vars[i].n;
    want += want / 8 + 16;
    if (want < (1 << 28) &&
        vec_grow_((void **)&c->v.items, &c->v.cap, sizeof(CVar), (int)want))
        return false;
    for (int i = 0; i < SD_SLOT_FIRST; i++) {
        CVar s = {0};
        s.name = s.ident = special[i];
        s.special = true;
        s.kind = SD_AUX;
        s.src = -1;
        s.graph = -1;
        add_var(c, s);
    }
    const SdModel *m = c->m;
    for (int i = 0; i < m->nvars; i++) {
        const SdVar *sv = &m->vars[i];
        SdArrVar *av = &c->ar.vars[i];
        av->first = c->v.len;
        int vgraph = sv->gf ? add_graph(c, sv->gf) : -1;
        int *dgraph = NULL; /* per equation: its graph, added once */
        if (sv->neqns) {
            dgraph = arena_alloc(&c->a, sizeof(int) * (size_t)sv->neqns);
            if (!dgraph)
                return false;
            for (int j = 0; j < sv->neqns; j++)
                dgraph[j] = -2;
        }
        for (int k = 0; k < av->n; k++) {
            CVar v = {0};
            int def = av->def[k];
            v.name =
                av->ndims ? sd_arr_elem_name(&c->ar, i, k, false) : sv->name;
            v.ident =
                av->ndims ? sd_arr_elem_name(&c->ar, i, k, true) : sv->ident;
            v.kind = sv->kind;
            v.src = i;
            v.elem = k;
            v.hidden = sv->hidden;
            v.scope = sv->scope;
            v.nonneg = sv->non_negative;
            v.graph = -1;
            if (def >= 0) {
                const SdEqn *q = &sv->eqns[def];
                v.text = q->eqn;
                v.loc = loc_of(m, q->line, q->col, q->adj, q->nadj);
                if (q->rate) {
                    v.rate_text = q->rate;
                    v.rate_loc = loc_of(m, q->rate_line, q->rate_col, NULL, 0);
                }
                if (q->gf && dgraph[def] == -2)
                    dgraph[def] = add_graph(c, q->gf);
                v.graph = q->gf ? dgraph[def] : vgraph;
                if (q->nvals) {
                    v.has_val = true;
                    v.val = q->vals[av->val[k]];
                    v.text = NULL;
                }
            } else if (def == -1) {
                v.text = sv->eqn;
                v.loc = loc_of(m, sv->line, sv->col, sv->adj, sv->nadj);
                if (sv->kind == SD_STOCK && sv->rate) {
                    v.rate_text = sv->rate;
                    v.rate_loc =
                        loc_of(m, sv->rate_line, sv->rate_col, NULL, 0);
                }
                v.graph = vgraph;
            } else {
                v.undefined = true;
            }
            int idx = add_var(c, v);
            if (idx < 0)
                return false;
            thash_put(&c->names, c->v.items[idx].ident, idx);
        }
    }
    return true;
}

static bool setup_vars(Ctx *c)
{
    SdSyntax syntax = c->m->vensim ? SD_SYNTAX_VENSIM : SD_SYNTAX_XMILE;
    const SdModel *m = c->m;
    if (sd_arr_init(&c->ar, m, &c->a, c->d) != T_OK || !make_vars(c))
        return false;
    bool ok = true;
    /* Parse every equation once (an array's equation serves all the
     * elements it defines); report all parse errors, not only the first;
     * then instantiate it for each element. */
    for (int i = 0; i < m->nvars; i++) {
        const SdArrVar *av = &c->ar.vars[i];
        const char *last_text = NULL, *last_rate = NULL;
        SdExpr *tree = NULL, *rtree = NULL;
        bool failed = false, rfailed = false;
        for (int k = 0; k < av->n; k++) {
            int ci = av->first + k;
            CVar *v = &c->v.items[ci];
            if (v->has_val) {
                SdExpr *n = mk_num(c, v->val);
                if (!n)
                    return false;
                n->off = 0;
                v->init = n;
            }
            if (v->text && v->text != last_text) {
                last_text = v->text;
                failed = sd_parse_expr_as(&c->a, v->text, &v->loc, syntax,
                                          &tree, c->d) != T_OK;
                v = &c->v.items[ci];
            }
            if (v->rate_text && v->rate_text != last_rate) {
                last_rate = v->rate_text;
                rfailed = sd_parse_expr_as(&c->a, v->rate_text, &v->rate_loc,
                                           syntax, &rtree, c->d) != T_OK;
                v = &c->v.items[ci];
            }
            if (v->text) {
                /* A scalar's tree serves one element: resolved where it
                 * is when it can be, which saves copying every equation
                 * of a large model. */
                SdExpr *e = failed ? NULL
                            : av->n == 1
                                ? sd_arr_instantiate_in_place(
                                      &c->ar, i, k, tree, &v->loc, v->text)
                                : sd_arr_instantiate(&c->ar, i, k, tree,
                                                     &v->loc, v->text);
                v = &c->v.items[ci];
                if (!e) {
                    failed = true; /* one message per equation */
                    ok = false;
                } else {
                    v->init = e;
                }
            }
            if (v->rate_text) {
                SdExpr *e =
                    rfailed ? NULL
                    : av->n == 1
                        ? sd_arr_instantiate_in_place(
                              &c->ar, i, k, rtree, &v->rate_loc, v->rate_text)
                        : sd_arr_instantiate(&c->ar, i, k, rtree, &v->rate_loc,
                                             v->rate_text);
                v = &c->v.items[ci];
                if (!e) {
                    rfailed = true;
                    ok = false;
                } else {
                    v->rate = e;
                }
            }
        }
    }
    return ok;
}

static bool lower_all(Ctx *c)
{
    bool ok = true;
    int nuser = c->v.len;
    const char *bad_text = NULL; /* an array's equation that failed */
    for (int i = SD_SLOT_FIRST; i < nuser; i++) {
        CVar *v = &c->v.items[i];
        if (!v->init)
            continue;
        c->cur = i;
        /* The elements an equation defines fail alike: one message. */
        SdExpr *e = v->text && v->text == bad_text ? NULL : lower(c, v->init);
        v = &c->v.items[i];
        if (!e) {
            ok = false;
            bad_text = v->text;
            v->init = NULL;
            continue;
        }
        if (v->graph >= 0) { /* an auxiliary with a graph: gf(eqn) */
            SdExpr *l = mk(c, SD_E_CALL, 1, 0);
            l->name = "lookup";
            l->text = "lookup";
            l->ref = (int)(builtin_find(c, "lookup") - builtins);
            l->args[0] = e;
            l->num = v->graph;
            e = l;
        }
        if (v->kind == SD_FLOW && v->nonneg) { /* uniflow */
            SdExpr *args[2] = {mk_num(c, 0), e};
            e = mk_call(c, "max", 2, args);
        }
        v->init = e;
        if (v->kind != SD_STOCK)
            v->flow = e;
    }
    /* Stock rates from their inflows and outflows. */
    for (int i = SD_SLOT_FIRST; i < nuser && ok; i++) {
        CVar *v = &c->v.items[i];
        if (v->kind != SD_STOCK)
            continue;
        const SdVar *sv = &c->m->vars[v->src];
        if (v->rate) {
            /* An INTEG rate: lowered like an equation, with its messages
             * placed in its own text. */
            const char *text = v->text;
            SdSrcLoc loc = v->loc;
            v->text = v->rate_text;
            v->loc = v->rate_loc;
            c->cur = i;
            SdExpr *e = lower(c, v->rate);
            v = &c->v.items[i];
            v->text = text;
            v->loc = loc;
            v->rate = e;
            if (!e)
                ok = false;
            continue;
        }
        SdExpr *rate = NULL;
        for (int k = 0; k < sv->n_inflows + sv->n_outflows; k++) {
            bool in = k < sv->n_inflows;
            const char *fname =
                in ? sv->inflows[k] : sv->outflows[k - sv->n_inflows];
            char *id = sd_canon_name(&c->a, fname, strlen(fname));
            /* The flow's element for this element of the stock (or the
             * flow itself), in the stock's scope. */
            SdSrcLoc at = loc_of(c->m, sv->decl_line, 1, NULL, 0);
            int errs = c->d->errors;
            SdExpr *fr =
                id ? sd_arr_ref(&c->ar, v->src, v->elem, fname, &at) : NULL;
            if (!fr && c->d->errors > errs) {
                ok = false;
                continue;
            }
            int f = fr && fr->kind == SD_E_VAR && (fr->flags & SD_EF_RESOLVED)
                        ? fr->ref
                        : -1;
            if (f < 0 || c->v.items[f].kind == SD_STOCK) {
                const char *s = id ? suggest_var(c, id) : NULL;
                diags_add(c->d, DIAG_ERROR, c->m->file, sv->decl_line, 0, NULL,
                          "stock '%s' has %s '%s', which is %s%s%s%s", sv->name,
                          in ? "inflow" : "outflow", fname,
                          f < 0 ? "not a variable" : "a stock",
                          s && f < 0 ? "; did you mean '" : "",
                          s && f < 0 ? s : "", s && f < 0 ? "'?" : "");
                ok = false;
                continue;
            }
            SdExpr *r = mk_ref(c, f);
            if (!rate)
                rate = in ? r : mk(c, SD_E_NEG, 1, 0);
            else
                rate = mk_bin(c, in ? SD_OP_ADD : SD_OP_SUB, rate, r);
            if (!rate)
                return false; /* out of memory */
            if (rate->kind == SD_E_NEG)
                rate->args[0] = r; /* the first flow is an outflow */
            v = &c->v.items[i];
        }
        v = &c->v.items[i];
        v->rate = rate ? rate : mk_num(c, 0);
    }
    return ok;
}

static void emit_stores(Ctx *c, Phase ph)
{
    for (int k = 0; k < c->order.len; k++) {
        const CVar *v = &c->v.items[c->order.items[k]];
        if (ph == PH_FLOW && v->is_const)
            continue;
        emit_expr(c, phase_expr(v, ph), ph);
        emit(c, SD_I_STORE, v->slot);
    }
}

/* A value that changes during the run and is computed by an equation or
 * integrated: the ends of causal links. */
static bool dynamic(const CVar *v)
{
    return !v->special && (v->kind == SD_STOCK || (v->flow && !v->is_const));
}

/* Collects the links into one node from its expression; false when it
 * reads a DELAY (whose history cannot be replayed step by step). */
static bool node_refs(Ctx *c, const SdExpr *e, int to, char *seen)
{
    if (e->kind == SD_E_VAR) {
        const CVar *x = &c->v.items[e->ref];
        if (dynamic(x) && !seen[e->ref]) {
            seen[e->ref] = 1;
            vec_push(&c->order, e->ref);
        }
        return true;
    }
    if (e->kind == SD_E_CALL && builtins[e->ref].kind == B_DELAY)
        return false;
    bool ok = true;
    for (int k = 0; k < e->nargs; k++)
        ok &= node_refs(c, e->args[k], to, seen);
    return ok;
}

static bool structure_edges(Ctx *c, SdProgram *p)
{
    char *seen = calloc((size_t)c->v.len + 1, 1);
    VEC(SdEdge) edges = {0};
    if (!seen)
        return false;
    for (int z = 0; z < c->v.len; z++) {
        const CVar *v = &c->v.items[z];
        const SdExpr *e = v->kind == SD_STOCK ? v->rate : v->flow;
        if (!dynamic(v) || !e)
            continue;
        c->order.len = 0;
        bool ok = node_refs(c, e, z, seen);
        for (int k = 0; k < c->order.len; k++) {
            int x = c->order.items[k];
            seen[x] = 0;
            if (ok) {
                SdEdge ed = {x, z};
                vec_push(&edges, ed);
            }
        }
    }
    free(seen);
    p->edges = edges.items;
    p->nedges = edges.len;
    return edges.len == 0 || edges.items;
}

int sd_compile(const SdModel *m, SdProgram **out, TDiags *d)
{
    *out = NULL;
    Ctx c = {.m = m, .d = d};
    arena_init(&c.a);
    int errors = d->errors;
    SdProgram *p = NULL;
    if (sd_model_check_data(m, d) || !setup_vars(&c) | !lower_all(&c))
        goto done;
    /* Slots: specials first, then variables, then stock rates. */
    for (int i = 0; i < c.v.len; i++)
        c.v.items[i].slot = i;
    int nslots = c.v.len;
    int nstocks = 0;
    for (int i = 0; i < c.v.len; i++)
        if (c.v.items[i].kind == SD_STOCK) {
            c.v.items[i].rate_slot = nslots++;
            nstocks++;
        }
    /* A loop among auxiliaries shows in both orderings; order the one per
     * step first so it is reported as the algebraic loop it is. */
    if (!order(&c, PH_FLOW))
        goto done;
    p = calloc(1, sizeof *p);
    if (!p)
        goto done;
    for (int k = 0; k < c.order.len; k++) {
        CVar *v = &c.v.items[c.order.items[k]];
        v->is_const = expr_const(&c, v->flow);
    }
    emit_stores(&c, PH_FLOW);
    for (int i = 0; i < c.v.len; i++) {
        const CVar *v = &c.v.items[i];
        if (v->kind == SD_STOCK) {
            emit_expr(&c, v->rate, PH_FLOW);
            emit(&c, SD_I_STORE, v->rate_slot);
        }
    }
    p->flow_code = finish_code(&c, true);
    if (!order(&c, PH_INIT))
        goto done;
    emit_stores(&c, PH_INIT);
    p->init_code = finish_code(&c, true);
    /* Post: compute every new value first, then store, so PREVIOUS of a
     * PREVIOUS sees the old value. */
    for (int i = 0; i < c.v.len; i++)
        if (c.v.items[i].post)
            emit_expr(&c, c.v.items[i].post, PH_FLOW);
    for (int k = 0; k < c.delays.len; k++) {
        emit_expr(&c, c.delays.items[k].input, PH_FLOW);
        emit(&c, SD_I_DPUSH, k);
    }
    for (int i = c.v.len - 1; i >= 0; i--)
        if (c.v.items[i].post)
            emit(&c, SD_I_STORE, c.v.items[i].slot);
    p->post_code = finish_code(&c, true);
    /* Each node's own code, for loop dominance: a node's value (a stock:
     * its rate) computed alone from whatever values the slots hold. */
    p->node_start = malloc(sizeof(int) * (size_t)(c.v.len + 1));
    p->nodes = calloc((size_t)c.v.len + 1, sizeof(SdNode));
    if (!p->node_start || !p->nodes)
        goto done;
    for (int i = 0; i < c.v.len; i++) {
        const CVar *v = &c.v.items[i];
        const SdExpr *e = v->kind == SD_STOCK ? v->rate : v->flow;
        p->nodes[i].name = strdup(v->name);
        p->nodes[i].hidden = v->hidden;
        p->nodes[i].stock = v->kind == SD_STOCK;
        p->node_start[i] = -1;
        if (v->special || !e)
            continue;
        p->node_start[i] = c.code.len;
        emit_expr(&c, e, PH_FLOW);
        emit(&c, SD_I_STORE, nslots);
        emit(&c, SD_I_END, 0);
    }
    p->nnodes = c.v.len;
    p->node_code = finish_code(&c, false);
    if (!structure_edges(&c, p))
        goto done;
    p->max_stack = c.max_depth + 1; /* emit() tracked every program */
    p->nslots = nslots; /* the VM's arrays have one more: node code's */
    p->nconsts = c.consts.len;
    p->consts = malloc(sizeof(double) * (size_t)(c.consts.len + 1));
    if (p->consts && c.consts.len)
        memcpy(p->consts, c.consts.items,
               sizeof(double) * (size_t)c.consts.len);
    p->ngraphs = c.graphs.len;
    p->graphs = calloc((size_t)c.graphs.len + 1, sizeof(SdGraph));
    for (int g = 0; p->graphs && g < c.graphs.len; g++) {
        const SdGraph *src = &c.graphs.items[g];
        SdGraph *dst = &p->graphs[g];
        *dst = *src;
        dst->x = malloc(sizeof(double) * (size_t)src->n);
        dst->y = malloc(sizeof(double) * (size_t)src->n);
        if (dst->x && dst->y) {
            memcpy(dst->x, src->x, sizeof(double) * (size_t)src->n);
            memcpy(dst->y, src->y, sizeof(double) * (size_t)src->n);
        } else {
            dst->n = 0;
        }
    }
    p->nstocks = nstocks;
    p->stock_slot = malloc(sizeof(int) * (size_t)(nstocks + 1));
    p->rate_slot = malloc(sizeof(int) * (size_t)(nstocks + 1));
    p->stock_nonneg = malloc(sizeof(bool) * (size_t)(nstocks + 1));
    int s = 0;
    for (int i = 0;
         p->stock_slot && p->rate_slot && p->stock_nonneg && i < c.v.len; i++) {
        const CVar *v = &c.v.items[i];
        if (v->kind != SD_STOCK)
            continue;
        p->stock_slot[s] = v->slot;
        p->rate_slot[s] = v->rate_slot;
        p->stock_nonneg[s] = v->nonneg;
        s++;
    }
    p->ndelays = c.delays.len;
    p->naops = c.aops.len;
    p->aops = malloc(sizeof(SdAop) * (size_t)(c.aops.len + 1));
    if (p->aops && c.aops.len)
        memcpy(p->aops, c.aops.items, sizeof(SdAop) * (size_t)c.aops.len);
    p->nxrefs = c.xrefs.len;
    p->xrefs = malloc(sizeof(SdXref) * (size_t)(c.xrefs.len + 1));
    if (p->xrefs && c.xrefs.len)
        memcpy(p->xrefs, c.xrefs.items, sizeof(SdXref) * (size_t)c.xrefs.len);
    p->aop_scratch = c.aop_scratch;
    p->out_slot = malloc(sizeof(int) * (size_t)(c.v.len + 1));
    p->out_name = calloc((size_t)c.v.len + 1, sizeof(char *));
    for (int i = SD_SLOT_FIRST; p->out_slot && p->out_name && i < c.v.len;
         i++) {
        const CVar *v = &c.v.items[i];
        if (v->hidden || v->undefined || (!v->init && v->graph >= 0))
            continue; /* bare graphical functions have no value */
        p->out_slot[p->nout] = v->slot;
        p->out_name[p->nout] = strdup(v->name);
        p->nout++;
    }
    p->start = m->start;
    p->stop = m->stop;
    p->dt = m->dt;
    p->saveper = m->saveper;
    p->method = m->method;
    p->dynamic_time = m->dynamic_time;
    if (c.too_big)
        diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL,
                  "the model is too large to compile");
    else if (!p->init_code || !p->flow_code || !p->post_code || !p->consts ||
             !p->graphs || !p->stock_slot || !p->rate_slot ||
             !p->stock_nonneg || !p->out_slot || !p->out_name || !p->aops ||
             !p->xrefs) {
        diags_add(d, DIAG_ERROR, m->file, 0, 0, NULL, "out of memory");
    }
done:
    vec_free(&c.v);
    thash_free(&c.names);
    vec_free(&c.graphs);
    vec_free(&c.delays);
    vec_free(&c.consts);
    vec_free(&c.code);
    vec_free(&c.order);
    vec_free(&c.path);
    vec_free(&c.aops);
    vec_free(&c.xrefs);
    sd_arr_free(&c.ar);
    arena_free(&c.a);
    if (d->errors > errors || !p) {
        sd_program_free(p);
        return d->errors > errors ? T_EINPUT : T_EINTERNAL;
    }
    *out = p;
    return T_OK;
}

void sd_program_free(SdProgram *p)
{
    if (!p)
        return;
    for (int i = 0; p->nodes && i < p->nnodes; i++)
        free((char *)p->nodes[i].name);
    free(p->nodes);
    free(p->edges);
    free(p->node_code);
    free(p->node_start);
    free(p->init_code);
    free(p->flow_code);
    free(p->post_code);
    free(p->consts);
    for (int g = 0; p->graphs && g < p->ngraphs; g++) {
        free(p->graphs[g].x);
        free(p->graphs[g].y);
    }
    free(p->graphs);
    free(p->stock_slot);
    free(p->rate_slot);
    free(p->stock_nonneg);
    free(p->out_slot);
    for (int i = 0; p->out_name && i < p->nout; i++)
        free(p->out_name[i]);
    free(p->out_name);
    free(p->aops);
    free(p->xrefs);
    free(p);
}

int sd_program_nvars(const SdProgram *p)
{
    return p->nout;
}

int sd_program_find(const SdProgram *p, const char *name)
{
    char *id = sd_canon_ref(NULL, name);
    int found = -1;
    for (int i = 0; id && i < p->nout && found < 0; i++) {
        char *c = sd_canon_ref(NULL, p->out_name[i]);
        if (c && !strcmp(c, id))
            found = i;
        free(c);
    }
    free(id);
    return found;
}

int sd_program_nnodes(const SdProgram *p)
{
    return p->nnodes;
}

const SdNode *sd_program_node(const SdProgram *p, int i)
{
    return i >= 0 && i < p->nnodes ? &p->nodes[i] : NULL;
}

int sd_program_edges(const SdProgram *p, const SdEdge **out)
{
    *out = p->edges;
    return p->nedges;
}

const char *sd_program_var_name(const SdProgram *p, int i)
{
    return i >= 0 && i < p->nout ? p->out_name[i] : NULL;
}
