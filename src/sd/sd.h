/*
 * sd.h - the system-dynamics engine: read a model (XMILE or Vensim .mdl),
 * check it, compile it once into bytecode, and simulate it.
 *
 * Pipeline: xmile.c or mdl.c reads the file into an SdModel (variables with
 * their equation text); parse.c turns each equation into an SdExpr tree;
 * compile.c resolves names, expands stateful builtins into hidden stocks,
 * orders the variables and emits SdProgram bytecode; vm.c executes it and
 * sim.c drives the integration loop and fills SdResults.
 *
 * Ownership: an SdModel owns everything in it through its arena; an
 * SdProgram is independent of the model it came from (the model can be freed
 * after sd_compile); SdResults are owned by the caller of sd_run.
 */
#ifndef TERRITORY_SD_H
#define TERRITORY_SD_H

#include "../core/core.h"

/* ---- the model as read ------------------------------------------------ */

typedef enum {
    SD_STOCK, /* integrates its flows; eqn is the initial value */
    SD_FLOW,  /* a rate; eqn computed every step */
    SD_AUX    /* an auxiliary (converter); a bare graphical function too */
} SdKind;

typedef enum {
    SD_GF_CONTINUOUS,  /* linear interpolation, clamped at the ends */
    SD_GF_EXTRAPOLATE, /* linear interpolation, extended past the ends */
    SD_GF_DISCRETE     /* step function: the y of the last x not above */
} SdGfType;

typedef struct SdGraph {
    SdGfType type; /* how values between and beyond points are found */
    int n;         /* number of points (>= 1) */
    double *x;     /* n ascending x values */
    double *y;     /* n y values */
} SdGraph;

/* A dimension (XMILE `<dim>`, a Vensim subscript range). Every element
 * list is final as read: a Vensim range that names other ranges or
 * numeric sequences (`(a1-a5)`) holds their elements, and an equivalence
 * (`b <-> a`) holds the elements of the range it copies. */
typedef struct SdDim {
    const char *name;        /* as written */
    const char *ident;       /* canonical */
    int n;                   /* number of elements (>= 1) */
    const char **elems;      /* element names as written */
    const char **elem_ids;   /* their canonical forms */
    bool indexed;            /* XMILE `size=`: elements are 1..n */
    const char *alias_of;    /* Vensim `<->`: ident of the range it copies */
    int nmaps;               /* Vensim `->` mappings to other ranges */
    const char **map_to;     /* ident of each range mapped to */
    const char ***map_elems; /* per mapping: for each element of this
                                range the ident of the element it maps to,
                                or NULL for position by position */
    int line, col;           /* where it is defined */
} SdDim;

/* One equation of part of an arrayed variable: XMILE `<element
 * subscript="a, b">`, or a Vensim `x[d, e] :EXCEPT: [d1, e1] = ...`. */
typedef struct SdEqn {
    const char **subs;       /* canonical subscript per dimension: an element,
                                a dimension or a Vensim subrange */
    int nsubs;               /* how many (the variable's ndims) */
    const char **except;     /* Vensim :EXCEPT: lists, nexcept * nsubs */
    int nexcept;             /* how many lists */
    const char *eqn;         /* equation text, or NULL (vals or a bare gf) */
    int line, col;           /* where eqn starts in the file */
    const int *adj;          /* as SdVar.adj, for eqn */
    int nadj;                /* number of (offset, extra) pairs */
    const char *rate;        /* a Vensim INTEG's rate, or NULL */
    int rate_line, rate_col; /* where rate starts */
    SdGraph *gf;             /* graphical function of these elements, or NULL */
    const double *vals;      /* a list of numbers for the elements, in row-major
                                order of the subscripts that are dimensions */
    int nvals;               /* how many (0: eqn is an equation) */
    int decl_line, decl_col; /* where the subscripts are, for messages */
} SdEqn;

/* How a data variable reads between the times of its data (Vensim's
 * keyword after its name). */
typedef enum {
    SD_DATA_NONE,        /* not a data variable waiting for its data */
    SD_DATA_INTERPOLATE, /* :INTERPOLATE: (the default) linear between */
    SD_DATA_RAW,         /* :RAW: the value at a data time, else missing */
    SD_DATA_HOLD,        /* :HOLD BACKWARD: the last value given */
    SD_DATA_FORWARD      /* :LOOK FORWARD: the next value given */
} SdDataMode;

typedef struct SdVar {
    const char *name;        /* display name: as written, `\n` read as space */
    const char *ident;       /* canonical: case-folded, spaces/_ runs as '_' */
    SdKind kind;             /* stock, flow or aux */
    const char *eqn;         /* equation text; NULL for a bare gf */
    int line, col;           /* where eqn starts in the file (1-based) */
    int decl_line;           /* line of the variable's element */
    const char **inflows;    /* stock: inflow names as written */
    int n_inflows;           /* number of inflows */
    const char **outflows;   /* stock: outflow names as written */
    int n_outflows;          /* number of outflows */
    bool non_negative;       /* stock: never below 0; flow: uniflow (>= 0) */
    SdGraph *gf;             /* graphical function, or NULL */
    const int *adj;          /* (offset, extra bytes) where the file spells
                                a character longer, as &lt;, in eqn */
    int nadj;                /* number of such pairs */
    const char *units;       /* units as written, or NULL */
    const char *doc;         /* documentation, or NULL */
    const char *rate;        /* stock: its net rate as an expression (a
                                Vensim INTEG), or NULL when the inflows and
                                outflows make the rate */
    int rate_line, rate_col; /* where rate starts in the file */
    const char *scope;       /* macro instance the variable belongs to: its
                                names are looked up as `scope.name` first;
                                NULL at the top level */
    bool hidden;             /* made by the reader (a macro's insides):
                                computed but not reported */
    const char **dims;       /* arrayed: canonical names of its dimensions,
                                in order; NULL for a scalar */
    int ndims;               /* how many */
    int dims_line, dims_col; /* where they are named, for messages */
    SdEqn *eqns;             /* arrayed: equations of parts of it, in file
                                order; NULL when eqn (or vals) applies to
                                every element */
    int neqns;               /* how many */
    SdDataMode run_data;     /* a Vensim data variable with no equation,
                                its values given at run time: how it reads
                                between their times until
                                sd_model_attach_data fills it (then
                                SD_DATA_NONE); its own equations have no
                                eqn until then */
} SdVar;

typedef enum { SD_EULER, SD_RK2, SD_RK4 } SdMethod;

/* The diagram of a model as its file draws it (Vensim's sketch), kept for
 * the map view. Coordinates are the file's, in its own units. */
typedef struct SdSketchElem {
    int id;           /* number the file gives it, unique in its view */
    int type;         /* Vensim object type: 10 variable, 11 valve,
                         12 comment or cloud, others as written */
    const char *name; /* variable name as written (type 10), the text of
                         a comment (12), else NULL */
    int x, y;         /* centre */
    int w, h;         /* half width and half height */
} SdSketchElem;

typedef struct SdSketchArrow {
    int id;       /* number the file gives it */
    int from, to; /* ids of the elements it joins */
} SdSketchArrow;

typedef struct SdView {
    const char *name;      /* as the file titles it (`View 1`) */
    SdSketchElem *elems;   /* variables, valves, clouds, comments */
    int nelems;            /* how many */
    SdSketchArrow *arrows; /* causal links and flow pipes */
    int narrows;           /* how many */
} SdView;

typedef struct SdModel {
    Arena arena;            /* owns every string and array below */
    const char *file;       /* path used in diagnostics */
    const char *src;        /* the whole file text, for caret display */
    size_t src_len;         /* its length */
    const char *name;       /* model name from the header, or NULL */
    double start, stop, dt; /* simulation specs */
    double saveper;         /* save interval; dt when not given */
    SdMethod method;        /* integration method from the file */
    const char *time_units; /* as written, or NULL */
    SdVar *vars;            /* the variables in file order */
    int nvars;              /* number of variables */
    int cap;                /* allocated */
    bool vensim;            /* read from .mdl: Vensim syntax and builtins */
    SdView *views;          /* the sketch, or NULL */
    int nviews;             /* number of views */
    SdDim *dims;            /* dimensions (array subscripts), in file order */
    int ndims;              /* how many */
    bool vensim_rules;      /* XMILE written from a .mdl (its <options> name
                               the vensim namespace): Vensim's builtins and
                               array rules in XMILE's syntax */
    bool dynamic_time;      /* the time controls are equations computed
                               during the run (a PySD extension): the
                               variables INITIAL TIME, FINAL TIME, TIME STEP
                               and SAVEPER hold them; the numbers above
                               are their values where known */
} SdModel;

/* Reads a model file (XMILE/.stmx/.itmx, or Vensim .mdl, by extension or
 * content). On error returns T_EINPUT with diagnostics in d and *out
 * NULL. */
int sd_model_load(const char *path, SdModel **out, TDiags *d);
/* Reads XMILE text; file names the source in diagnostics. */
int sd_model_from_xmile(const char *text, size_t len, const char *file,
                        SdModel **out, TDiags *d);
/* Reads Vensim .mdl text (mdl.c); file names the source in diagnostics.
 * Arrays (subscripts) are refused with a message at their place. */
int sd_model_from_mdl(const char *text, size_t len, const char *file,
                      SdModel **out, TDiags *d);
void sd_model_free(SdModel *m);
/* Writes m as XMILE 1.0 (xmile_write.c) that sd_model_from_xmile reads back
 * to the same numbers. T_EINPUT when an equation does not parse. */
int sd_model_to_xmile(const SdModel *m, TBuf *out, TDiags *d);
/* Finds a variable by any spelling of its name, or NULL. */
SdVar *sd_model_find(SdModel *m, const char *name);
/* Replaces a variable's equation by a constant (the CLI's --set). */
int sd_model_set(SdModel *m, const char *name, double value, TDiags *d);
/* Gives a Vensim model's data variables that have no equation (values
 * given at run time) their series from data files: .tab (tabs) or .csv,
 * `Time` then names (`name[a,b]` for an element) across the first row and
 * one row per time, or transposed (names down the first column, times
 * across the row `Time` heads). The first file with a variable's column
 * gives it; blank cells are missing values; other columns are ignored.
 * Errors (file:line:col) in d. */
int sd_model_attach_data(SdModel *m, const char *const *paths, int npaths,
                         TDiags *d);

/* Canonical form of a variable name: trimmed, case-folded, every run of
 * spaces, underscores and `\n` escapes turned into one '_', surrounding
 * quotes removed. Returned in a, or malloc'd when a is NULL. */
char *sd_canon_name(Arena *a, const char *name, size_t len);
/* sd_canon_name of a name that may end in subscripts, `Stock A[Entry 1,
 * b]`: the name and each element canonical on their own, joined as
 * `stock_a[entry_1,b]`, so a space after a comma does not matter. */
char *sd_canon_ref(Arena *a, const char *name);

/* ---- equations -------------------------------------------------------- */

typedef enum {
    SD_E_NUM,  /* a number */
    SD_E_VAR,  /* a variable reference */
    SD_E_CALL, /* a function call */
    SD_E_NEG,  /* unary minus */
    SD_E_NOT,  /* logical not */
    SD_E_BIN,  /* binary operator; args[0] op args[1] */
    SD_E_IF    /* IF args[0] THEN args[1] ELSE args[2] */
} SdExprKind;

typedef enum {
    SD_OP_ADD,
    SD_OP_SUB,
    SD_OP_MUL,
    SD_OP_DIV,
    SD_OP_POW,
    SD_OP_MOD,
    SD_OP_EQ,
    SD_OP_NE,
    SD_OP_LT,
    SD_OP_LE,
    SD_OP_GT,
    SD_OP_GE,
    SD_OP_AND,
    SD_OP_OR
} SdBinOp;

typedef struct SdExpr SdExpr;
struct SdExpr {
    SdExprKind kind;  /* what this node is */
    SdBinOp op;       /* SD_E_BIN: the operator */
    double num;       /* SD_E_NUM: the value */
    const char *name; /* VAR/CALL: canonical identifier */
    const char *text; /* VAR/CALL: as written, for messages */
    SdExpr **args;    /* operands or call arguments */
    int nargs;        /* how many */
    int off;          /* byte offset in the equation text */
    int ref;          /* set by compile: VAR's variable, CALL's builtin */
    int height;       /* longest path to a leaf (a leaf is 0) */
    SdExpr **subs;    /* VAR/CALL: subscripts `a[x, y]`, or NULL */
    int nsubs;        /* how many */
    int flags;        /* SD_EF_*: how a subscript or reference is written */
};

/* SdExpr.flags. */
enum {
    SD_EF_STAR = 1,       /* subscript `*`, or `*:sub` (name is sub) */
    SD_EF_BANG = 2,       /* Vensim subscript `d!`: every element of d */
    SD_EF_POS = 4,        /* subscript `@n`: num is n */
    SD_EF_RANGE = 8,      /* subscript `a:b`: a CALL ":" of the two ends */
    SD_EF_TRANSPOSE = 16, /* `x'`: the array's dimensions reversed */
    SD_EF_RESOLVED = 32   /* set by compile: ref is already the variable */
};

#define SD_MAX_HEIGHT 1000 /* deeper trees are refused: no stack overflow */

/* Parses one equation. Errors are reported against file at the equation's
 * place (line, col of its first character; src for the context line). */
typedef struct SdSrcLoc {
    const char *file; /* file name for messages */
    const char *src;  /* whole file text, or NULL */
    size_t src_len;   /* its length */
    int line, col;    /* where the equation text starts */
    const int *adj;   /* SdVar.adj: entity widths, or NULL */
    int nadj;         /* number of (offset, extra) pairs */
} SdSrcLoc;
int sd_parse_expr(Arena *a, const char *text, const SdSrcLoc *loc, SdExpr **out,
                  TDiags *d);

/* The equation syntaxes: XMILE's, and Vensim's (.mdl), which differs in
 * its tokens only (lex.c). */
typedef enum { SD_SYNTAX_XMILE, SD_SYNTAX_VENSIM } SdSyntax;
/* sd_parse_expr in the given syntax. */
int sd_parse_expr_as(Arena *a, const char *text, const SdSrcLoc *loc,
                     SdSyntax syntax, SdExpr **out, TDiags *d);
/* Reports a message at byte offset off of an equation. */
void sd_report(TDiags *d, const SdSrcLoc *loc, const char *text, int off,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- compiled program and simulation ---------------------------------- */

typedef struct SdProgram SdProgram;

int sd_compile(const SdModel *m, SdProgram **out, TDiags *d);
void sd_program_free(SdProgram *p);
/* Number of variables the program reports, and their display names. */
int sd_program_nvars(const SdProgram *p);
/* Writes a listing of the program's bytecode (for tests and debugging). */
void sd_program_disasm(const SdProgram *p, TBuf *out);
const char *sd_program_var_name(const SdProgram *p, int i);
/* Index of a reported variable by any spelling of its name, or -1. */
int sd_program_find(const SdProgram *p, const char *name);

struct SdResults; /* below */

typedef struct SdRunOpts {
    SdMethod method;   /* integration method */
    bool method_given; /* false: use the model's own */
    long max_steps;    /* refuse runs longer than this (0: 10^9) */
    const int *vars;   /* variables to save (sd_program_find), or NULL */
    int nvars;         /* how many; only these are stored per row */
    /* Called at every step once the values at time t are computed, with
     * every value slot (for loop dominance); NULL for none. */
    void (*on_step)(void *ud, long step, const double *slots);
    void *ud; /* passed to on_step */
    /* Called with each saved row (Time, then the saved variables, as the
     * results' columns, named in cols->names) instead of storing it: the
     * results come back with their names, nrows the rows passed, and no
     * data. A nonzero return ends the run there. NULL: rows are stored.
     * (A model whose time controls change during the run stores its rows
     * whatever this says; its results have data.) */
    int (*on_row)(void *ud, const struct SdResults *cols, const double *row);
    void *row_ud;  /* passed to on_row */
    uint64_t seed; /* random draws: same seed, same numbers (0: default) */
} SdRunOpts;

typedef struct SdResults {
    int ncols;    /* columns, Time first */
    char **names; /* column names (display names) */
    int nrows;    /* saved times */
    double *data; /* nrows * ncols values, row-major */
} SdResults;

int sd_run(SdProgram *p, const SdRunOpts *o, SdResults **out, TDiags *d);

/* ---- structure and loop dominance ------------------------------------- */

/* The program's causal structure: a node per value slot (variables and
 * the hidden stocks and auxiliaries builtins were lowered into), and a
 * link from each dynamic value an equation reads to the value it defines
 * (for a stock: to the stock from what its rate reads). Constants, TIME
 * and INIT/PREVIOUS slots carry no links. */
typedef struct SdNode {
    const char *name; /* display name; hidden ones say what they are in */
    bool hidden;      /* made by lowering a builtin, not in the model */
    bool stock;       /* integrates its rate */
} SdNode;

typedef struct SdEdge {
    int from, to; /* node indices */
} SdEdge;

int sd_program_nnodes(const SdProgram *p);
const SdNode *sd_program_node(const SdProgram *p, int i);
/* The links; *out points into the program. */
int sd_program_edges(const SdProgram *p, const SdEdge **out);

/* Loops That Matter (Schoenberg, Davidsen and Eberlein 2020). Each link
 * x -> z gets, at every step, the score |dz_x / dz| * sign(dz_x / dx),
 * where dz_x is the change z would have had if only x had changed since
 * the previous step (for a stock, z is its net rate). A loop's score is
 * the product of its links' scores; its relative score divides by the sum
 * of the absolute scores of all loops given. Rows are the saved times. */
typedef struct SdLtm {
    int nloops;       /* loops scored */
    int nrows;        /* saved times */
    double *time;     /* nrows times */
    double *score;    /* nrows * nloops loop scores, row-major */
    double *relative; /* nrows * nloops relative loop scores */
} SdLtm;

/* loops[i] is a node sequence of length lens[i] (each consecutive pair,
 * and last to first, must be a link). */
int sd_ltm(SdProgram *p, const SdRunOpts *o, int nloops,
           const int *const *loops, const int *lens, SdLtm **out, TDiags *d);
void sd_ltm_free(SdLtm *l);

/* Strongest-path loop discovery (Eberlein and Schoenberg, "Finding the
 * loops that matter", 2020), for models with too many loops to score
 * them all: every link is scored at up to max_times saved times spread
 * over the run, and from each stock a depth-first search follows the
 * strongest links first, within the stock's strongly connected component,
 * entering a variable again only by a stronger path; each path back to
 * the stock is a loop. It finds the loops that matter at the times
 * searched, not every loop. Bounded: max_work links followed in all,
 * shared evenly by the searches (fewer times when there are very many
 * stocks), and at most max_loops loops kept: after each time, the loops
 * weakest against the strongest loop found at the same time are dropped.
 * Deterministic: the same program gives the same loops. */
typedef struct SdLtmFindOpts {
    int max_loops; /* loops kept (0: 10000) */
    int max_times; /* saved times searched, evenly spread (0: 1000) */
    long max_work; /* links followed in all searches (0: 10^8) */
} SdLtmFindOpts;

typedef struct SdLtmLoops {
    int nloops;        /* distinct loops found */
    const int **nodes; /* per loop: its node sequence, lowest node first
                          (the form sd_ltm takes); shortest loops first,
                          then by node sequence */
    int *lens;         /* per loop: its length */
    int ntimes;        /* saved times searched */
    bool complete;     /* false: a bound on loops or work was reached */
    int *store;        /* the nodes of every loop (owned) */
} SdLtmLoops;

int sd_ltm_discover(SdProgram *p, const SdRunOpts *o, const SdLtmFindOpts *fo,
                    SdLtmLoops **out, TDiags *d);
void sd_ltm_loops_free(SdLtmLoops *l);
/* Chooses the loops of t to show when there are more than max: every
 * loop that dominates (largest |relative score|) at some saved time,
 * then the rest by their peak |relative score|, up to max in all (more
 * only when more than max loops dominate). Writes their indices to keep
 * (t->nloops long) in ascending order; returns how many, or -1 when out
 * of memory. */
int sd_ltm_pick(const SdLtm *t, int max, int *keep);
void sd_results_free(SdResults *r);
/* Column index of a variable (any spelling), or -1. */
int sd_results_find(const SdResults *r, const char *name);

/* ---- ensembles (ensemble.c) ------------------------------------------- */

typedef enum {
    SD_DIST_UNIFORM,    /* uniform(low, high) */
    SD_DIST_NORMAL,     /* normal(mean, sd) */
    SD_DIST_TRIANGULAR, /* triangular(low, mode, high) */
    SD_DIST_LOGNORMAL   /* lognormal(mu, sigma) of the logarithm */
} SdDistKind;

/* One varied parameter: a variable and the distribution it is drawn from. */
typedef struct SdVary {
    const char *name; /* the variable, as written */
    SdDistKind dist;  /* its distribution */
    double p[3];      /* the distribution's parameters, in the order above */
} SdVary;

/* Parses `NAME=DIST(ARGS)` (the CLI's --vary); errors carry the column.
 * The name is copied into a. */
int sd_vary_parse(Arena *a, const char *spec, SdVary *out, TDiags *d);
/* The value at cumulative probability u, 0 < u < 1. */
double sd_vary_quantile(const SdVary *v, double u);
const char *sd_dist_name(SdDistKind k);
int sd_dist_nargs(SdDistKind k);

#define SD_ENSEMBLE_NQ 5 /* percentiles kept: 5, 25, 50, 75, 95 */
extern const double sd_ensemble_pct[SD_ENSEMBLE_NQ];

typedef struct SdEnsembleOpts {
    long runs;                /* how many runs */
    uint64_t seed;            /* same seed, same samples and bands */
    int threads;              /* worker threads; 0: one per core */
    const SdVary *vary;       /* the varied parameters */
    int nvary;                /* how many */
    const char *const *names; /* variables to summarise, or NULL for all */
    int nnames;               /* how many names */
    SdMethod method;          /* integration method */
    bool method_given;        /* false: the model's own */
    long max_steps;           /* per run, as SdRunOpts */
    /* Called after each run (serialised), for a progress bar; or NULL. */
    void (*progress)(void *ud, long done, long total);
    void *ud; /* passed to progress */
} SdEnsembleOpts;

typedef struct SdEnsemble {
    long runs;       /* runs made */
    int nvary;       /* varied parameters */
    double *samples; /* runs * nvary drawn values, one row per run */
    int nvars;       /* variables summarised */
    char **names;    /* their display names */
    int nrows;       /* saved times */
    double *time;    /* the saved times */
    double *q;       /* [var][time][SD_ENSEMBLE_NQ] percentiles */
    double *mean;    /* [var][time] means (non-finite values left out) */
} SdEnsemble;

/* Runs the model o->runs times, the varied parameters drawn by Latin
 * hypercube sampling, and summarises every chosen variable at every saved
 * time. The model is only read. */
int sd_ensemble_run(const SdModel *m, const SdEnsembleOpts *o, SdEnsemble **out,
                    TDiags *d);
void sd_ensemble_free(SdEnsemble *e);
/* The seed of run k of an ensemble seeded seed (its random draws). */
uint64_t sd_ensemble_run_seed(uint64_t seed, long k);

/* ---- scenarios (scenario.c) ------------------------------------------- */

/* A named set of parameter values and graphical-function overrides. */
typedef struct SdScenario {
    const char *name;         /* shown in charts and tables */
    const char *description;  /* or NULL */
    int nset;                 /* values set */
    const char **set_names;   /* the variables, as written */
    double *set_values;       /* their values */
    int ngraphs;              /* graphical functions replaced */
    const char **graph_names; /* the variables whose function is replaced */
    SdGraph *graphs;          /* the new points (x ascending) */
} SdScenario;

/* Reads a scenario file: one scenario object, or {"scenarios": [...]}.
 * Errors name the JSON line and column or the field path. Everything is
 * allocated in a. */
int sd_scenarios_parse(Arena *a, const char *text, size_t len, const char *file,
                       SdScenario **out, int *n, TDiags *d);
/* Applies a scenario to a model: each value as sd_model_set, each graph
 * replacing the variable's graphical function. */
int sd_scenario_apply(SdModel *m, const SdScenario *s, TDiags *d);

#endif
