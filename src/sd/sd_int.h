/*
 * sd_int.h - what the files of the sd module share with each other and
 * nobody else: the equation lexer and the bytecode program layout.
 */
#ifndef TERRITORY_SD_INT_H
#define TERRITORY_SD_INT_H

#include "sd.h"

/* ---- lexer (lex.c) ---------------------------------------------------- */

typedef enum {
    TK_EOF,
    TK_NUM,
    TK_NAME,
    TK_LP,
    TK_RP,
    TK_COMMA,
    TK_LBRACK,
    TK_RBRACK,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_CARET,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_AND,
    TK_OR,
    TK_NOT,
    TK_MOD,
    TK_IF,
    TK_THEN,
    TK_ELSE,
    TK_BANG,  /* Vensim `d!` in subscripts */
    TK_AT,    /* XMILE `@n`, a dimension by position */
    TK_COLON, /* `a:b`, a range of elements */
    TK_QUOTE, /* XMILE `x'`, transposition */
    TK_ERROR
} SdTok;

typedef struct SdLexer {
    const char *text; /* the equation */
    size_t len;       /* its length */
    size_t pos;       /* next byte to read */
    SdTok tok;        /* current token */
    size_t start;     /* byte offset where it starts */
    size_t end;       /* byte offset just past it */
    double num;       /* TK_NUM: the value */
    bool quoted;      /* TK_NAME: written in double quotes */
    const char *err;  /* TK_ERROR: what is wrong */
    bool vensim;      /* Vensim syntax: names are words joined by spaces,
                         :AND: :OR: :NOT: :NA:, no keywords */
} SdLexer;

/* Vensim's :NA:, the value it gives a missing number. */
#define SD_VENSIM_NA (-1.298074214633707e33)

void sd_lex_init(SdLexer *lx, const char *text, size_t len);
SdTok sd_lex_next(SdLexer *lx);
const char *sd_tok_name(SdTok t);

#endif

/* ---- bytecode (compile.c emits, vm.c executes) ------------------------- */

/* X(name, pops, pushes, meaning). The operand `a` is a slot, a constant
 * index, a jump target, a function id, a graph or a delay index. */
#define SD_OPCODES(X)                                                          \
    X(CONST, 0, 1, "push consts[a]")                                           \
    X(LOAD, 0, 1, "push slot a")                                               \
    X(STORE, 1, 0, "pop into slot a")                                          \
    X(ADD, 2, 1, "x + y")                                                      \
    X(SUB, 2, 1, "x - y")                                                      \
    X(MUL, 2, 1, "x * y")                                                      \
    X(DIV, 2, 1, "x / y (IEEE: inf or nan on zero)")                           \
    X(POW, 2, 1, "x ^ y")                                                      \
    X(MOD, 2, 1, "x mod y, result has the sign of y")                          \
    X(NEG, 1, 1, "-x")                                                         \
    X(EQ, 2, 1, "x = y as 1 or 0")                                             \
    X(NE, 2, 1, "x <> y")                                                      \
    X(LT, 2, 1, "x < y")                                                       \
    X(LE, 2, 1, "x <= y")                                                      \
    X(GT, 2, 1, "x > y")                                                       \
    X(GE, 2, 1, "x >= y")                                                      \
    X(AND, 2, 1, "both non-zero")                                              \
    X(OR, 2, 1, "either non-zero")                                             \
    X(NOT, 1, 1, "1 if zero else 0")                                           \
    X(JZ, 1, 0, "pop; jump to a if zero")                                      \
    X(JMP, 0, 0, "jump to a")                                                  \
    X(FN1, 1, 1, "math function a of one argument")                            \
    X(MIN, 2, 1, "smaller of x and y")                                         \
    X(MAX, 2, 1, "larger of x and y")                                          \
    X(LOG2, 2, 1, "log of x in base y")                                        \
    X(SAFEDIV, 3, 1, "x / y, or z when y is 0")                                \
    X(LOOKUP, 1, 1, "graphical function a at x")                               \
    X(STEP, 2, 1, "STEP(height, start) at the current time")                   \
    X(RAMP, 3, 1, "RAMP(slope, start, end) at the current time")               \
    X(PULSE, 3, 1, "PULSE(volume, first, interval) at the current time")       \
    X(DELAY, 2, 1, "DELAY a: input at time - x, or y before the start")        \
    X(DPUSH, 1, 0, "append x to the history of DELAY a")                       \
    X(LOADC_ADD, 1, 1, "x + slot a (fused)")                                   \
    X(LOADC_MUL, 1, 1, "x * slot a (fused)")                                   \
    X(LOADC_SUB, 1, 1, "x - slot a (fused)")                                   \
    X(LOADC_DIV, 1, 1, "x / slot a (fused)")                                   \
    X(KADD, 1, 1, "x + consts[a] (fused)")                                     \
    X(KMUL, 1, 1, "x * consts[a] (fused)")                                     \
    X(KSUB, 1, 1, "x - consts[a] (fused)")                                     \
    X(KDIV, 1, 1, "x / consts[a] (fused)")                                     \
    X(FMOD, 2, 1, "x modulo y, result has the sign of x (Vensim MODULO)")      \
    X(QUANTUM, 2, 1, "y * x/y truncated, or x when y <= 0 (Vensim QUANTUM)")   \
    X(VPULSE, 2, 1, "1 from time x for y (Vensim PULSE(start, width))")        \
    X(PULSE_TRAIN, 4, 1, "PULSE TRAIN(start, width, interval, end)")           \
    X(LOADX, 1, 1, "push the x-th slot (1-based) of index table a, or NaN")    \
    X(AOP, 0, 1, "array operation a over the values on the stack")             \
    X(LOOKUP_X, 1, 1, "graph a at x, extrapolated past the ends")              \
    X(LOOKUP_FWD, 1, 1, "y of graph a's first point at or after x")            \
    X(LOOKUP_BWD, 1, 1, "y of graph a's last point at or before x")            \
    X(LOOKUP_INV, 1, 1, "smallest x at which graph a is y, or :NA:")           \
    X(LOOKUP_AREA, 2, 1, "area under graph a from x to y, ends held")          \
    X(RANDOM, 0, 1, "draw of kind a&15 at site a>>4 from its args (random.c)") \
    SD_FUSED_OPCODES(X)                                                        \
    X(END, 0, 0, "stop")

/* Superinstructions (vm.c, sd_code_fuse): each replaces a run of the
 * instructions above, which stay in place as its operand words; it
 * executes them in one dispatch and skips them. Named after what they
 * replace: L load, K constant, S store, J compare-and-jump. */
#define SD_FUSED_OPCODES(X)                                                    \
    X(LL_ADD, 0, 1, "LOAD a; LOADC_ADD b")                                     \
    X(LL_SUB, 0, 1, "LOAD a; LOADC_SUB b")                                     \
    X(LL_MUL, 0, 1, "LOAD a; LOADC_MUL b")                                     \
    X(LL_DIV, 0, 1, "LOAD a; LOADC_DIV b")                                     \
    X(LK_ADD, 0, 1, "LOAD a; KADD b")                                          \
    X(LK_SUB, 0, 1, "LOAD a; KSUB b")                                          \
    X(LK_MUL, 0, 1, "LOAD a; KMUL b")                                          \
    X(LK_DIV, 0, 1, "LOAD a; KDIV b")                                          \
    X(LLS_ADD, 0, 0, "LOAD a; LOADC_ADD b; STORE c")                           \
    X(LLS_SUB, 0, 0, "LOAD a; LOADC_SUB b; STORE c")                           \
    X(LLS_MUL, 0, 0, "LOAD a; LOADC_MUL b; STORE c")                           \
    X(LLS_DIV, 0, 0, "LOAD a; LOADC_DIV b; STORE c")                           \
    X(LKS_ADD, 0, 0, "LOAD a; KADD b; STORE c")                                \
    X(LKS_SUB, 0, 0, "LOAD a; KSUB b; STORE c")                                \
    X(LKS_MUL, 0, 0, "LOAD a; KMUL b; STORE c")                                \
    X(LKS_DIV, 0, 0, "LOAD a; KDIV b; STORE c")                                \
    X(SL_ADD, 1, 0, "LOADC_ADD a; STORE b")                                    \
    X(SL_SUB, 1, 0, "LOADC_SUB a; STORE b")                                    \
    X(SL_MUL, 1, 0, "LOADC_MUL a; STORE b")                                    \
    X(SL_DIV, 1, 0, "LOADC_DIV a; STORE b")                                    \
    X(SK_ADD, 1, 0, "KADD a; STORE b")                                         \
    X(SK_SUB, 1, 0, "KSUB a; STORE b")                                         \
    X(SK_MUL, 1, 0, "KMUL a; STORE b")                                         \
    X(SK_DIV, 1, 0, "KDIV a; STORE b")                                         \
    X(S_ADD, 2, 0, "ADD; STORE b")                                             \
    X(S_SUB, 2, 0, "SUB; STORE b")                                             \
    X(S_MUL, 2, 0, "MUL; STORE b")                                             \
    X(S_DIV, 2, 0, "DIV; STORE b")                                             \
    X(MOVE, 0, 0, "LOAD a; STORE b")                                           \
    X(LOOKUP_S, 1, 0, "LOOKUP a; STORE b")                                     \
    X(LDIV_LOOKUP, 0, 1, "LOAD a; LOADC_DIV b; LOOKUP c")                      \
    X(LDIV_LOOKUP_S, 0, 0, "LOAD a; LOADC_DIV b; LOOKUP c; STORE d")           \
    X(J_GE, 0, 0, "LOAD a; LOAD b; GE; JZ d")                                  \
    X(J_GT, 0, 0, "LOAD a; LOAD b; GT; JZ d")                                  \
    X(J_LE, 0, 0, "LOAD a; LOAD b; LE; JZ d")                                  \
    X(J_LT, 0, 0, "LOAD a; LOAD b; LT; JZ d")                                  \
    X(LOAD_JMP, 0, 1, "LOAD a; JMP b")

typedef enum {
#define X(name, pops, pushes, doc) SD_I_##name,
    SD_OPCODES(X)
#undef X
        SD_NOPS
} SdOpcode;

typedef struct SdIns {
    int32_t op; /* SdOpcode */
    int32_t a;  /* operand */
} SdIns;

/* Math functions of one argument, for SD_OP_FN1. */
typedef enum {
    SD_FN_ABS,
    SD_FN_SQRT,
    SD_FN_EXP,
    SD_FN_LN,
    SD_FN_LOG10,
    SD_FN_INT,
    SD_FN_ROUND,
    SD_FN_SIN,
    SD_FN_COS,
    SD_FN_TAN,
    SD_FN_ASIN,
    SD_FN_ACOS,
    SD_FN_ATAN,
    SD_FN_SINH,
    SD_FN_COSH,
    SD_FN_TANH,
    SD_FN_SIGN,
    SD_FN_TRUNC /* toward zero: Vensim's INTEGER */
} SdMathFn;

/* The history of one DELAY: input values at each saved dt step. */
typedef struct SdDelayBuf {
    double *v; /* v[i] is the input at start + i*dt */
    long len;  /* values pushed */
    long cap;  /* allocated */
} SdDelayBuf;

/* Array operations (opcode AOP): each reads nargs values off the stack,
 * the last n of them (n*n, n*4 for some) the elements of an array, and
 * pushes one value. k is the element of the result the code wants. */
typedef enum {
    SD_AOP_SUM,         /* sum */
    SD_AOP_PROD,        /* product */
    SD_AOP_MIN,         /* smallest */
    SD_AOP_MAX,         /* largest */
    SD_AOP_MEAN,        /* mean */
    SD_AOP_STDDEV,      /* population standard deviation */
    SD_AOP_RANK,        /* XMILE RANK(a, r): 1-based index of the r-th
                           smallest (from the largest when r < 0) */
    SD_AOP_VSELECT,     /* Vensim VECTOR SELECT: missing, action, n
                           selections, n values */
    SD_AOP_SORT_ORDER,  /* Vensim VECTOR SORT ORDER: direction, n values;
                           the 0-based index of the k-th in sorted order */
    SD_AOP_VRANK,       /* Vensim VECTOR RANK: direction, n values; the
                           1-based rank of element k */
    SD_AOP_ALLOC_PRIO,  /* ALLOCATE BY PRIORITY: width, supply, n requests,
                           n priorities; the allocation of k */
    SD_AOP_ALLOC_AVAIL, /* ALLOCATE AVAILABLE: supply, n requests, n rows of
                           4 priority profile values; the allocation of k */
    SD_AOP_INVERT       /* INVERT MATRIX: n*n values; element k of the
                           inverse, row-major */
} SdAopKind;

typedef struct SdAop {
    int kind;  /* SdAopKind */
    int n;     /* elements in the array */
    int k;     /* the result's element */
    int nargs; /* values popped */
} SdAop;

/* The extra scalars before the elements, by kind. */
int sd_aop_extra(int kind);
/* Scratch doubles an operation needs (sim.c sizes the VM's buffer). */
int sd_aop_scratch(const SdAop *op);
double sd_aop_eval(const SdAop *op, const double *args, double *scratch);

/* An index table (opcode LOADX): n slots from base, stride apart. */
typedef struct SdXref {
    int base;   /* slot of the first */
    int stride; /* slots between neighbours */
    int n;      /* how many */
} SdXref;

/* Random draws (opcode RANDOM, random.c): the kind, in the operand's
 * low 4 bits, says what arguments are on the stack; the last is always
 * the seed argument (0 when the call has none). */
typedef enum {
    SD_RAND_UNIFORM,     /* min, max, seed */
    SD_RAND_NORMAL,      /* min, max, mean, sd, seed: truncated */
    SD_RAND_EXPONENTIAL, /* min, max, shift, stretch, seed: truncated */
    SD_RAND_LOGNORMAL,   /* min, max (unused), mean, sd of the value, seed */
    SD_RAND_POISSON,     /* min, max, mean, shift, stretch, seed */
    SD_RAND_TRIANGULAR   /* min, max, start, peak, end, seed */
} SdRandKind;

#define SD_RAND_MAX_SITES (1 << 26) /* call sites one program may have */

/* Values popped by a draw of kind. */
int sd_random_nargs(int kind);
/* The draw of kind at call site site and step step of a run seeded seed,
 * from its arguments x. */
double sd_random_draw(int kind, uint32_t site, uint64_t seed, long step,
                      const double *x);
/* The j-th uniform double in (0, 1) of those words. */
double sd_random_u01(uint64_t seed, uint32_t site, long step, double arg,
                     uint32_t j);
/* The standard normal quantile of p: -inf at 0, inf at 1 (random.c; the
 * ensembles' normal and lognormal draws too). */
double sd_norm_quantile(double p);

/* Everything the VM reads while it runs. */
typedef struct SdVm {
    double *slots;         /* variable values, time in slot 0 */
    const double *consts;  /* constant pool */
    const SdGraph *graphs; /* graphical functions */
    SdDelayBuf *delays;    /* DELAY histories */
    double *stack;         /* operand stack, max_stack deep */
    double start;          /* start time */
    double dt;             /* time step */
    const SdAop *aops;     /* array operations */
    const SdXref *xrefs;   /* index tables */
    double *scratch;       /* aop_scratch doubles for array operations */
    int *gseg;             /* per graphical function: the segment of its
                              last lookup in this run (-1: never kept), or
                              NULL to search every time */
    uint64_t seed;         /* random draws: the run's seed (0 default) */
    long step;             /* random draws: the step being computed */
} SdVm;

/* Slots with a fixed meaning. */
enum { SD_SLOT_TIME, SD_SLOT_DT, SD_SLOT_START, SD_SLOT_STOP, SD_SLOT_FIRST };

void sd_vm_exec(SdVm *vm, const SdIns *code);
/* Rewrites the n instructions of code (END included) with
 * superinstructions where it can, in place: offsets and jump targets stay
 * as they are, and no run that a jump lands inside is fused. */
void sd_code_fuse(SdIns *code, int n);
/* Words an instruction takes: 1, or the run a superinstruction replaced. */
int sd_op_len(int op);
/* Steps between saved rows (sim.c). */
long sd_save_every(const SdProgram *p, long nsteps);
/* What one run holds (sim.c): its slots, stack, DELAY histories, array
 * scratch, remembered lookup segments, the VM over them, and the results'
 * columns (Time, then the saved variables: o's vars or all). */
typedef struct SdRunState {
    SdResults *r;       /* names and ncols set; no rows yet */
    int nsave;          /* saved variables (ncols - 1) */
    int *save_slot;     /* the slot of each */
    double *slots;      /* every value */
    double *stack;      /* the VM's operand stack */
    SdDelayBuf *delays; /* DELAY histories */
    double *scratch;    /* array operations' scratch */
    int *gseg;          /* per graphical function, its last segment */
    SdVm vm;            /* over all of the above; start and dt unset */
} SdRunState;

/* T_OK, or T_EUSAGE (a bad variable number) / T_EINTERNAL with a message
 * in d; st is freed either way by sd_run_state_free. */
int sd_run_state_init(SdRunState *st, SdProgram *p, const SdRunOpts *o,
                      TDiags *d);
/* Frees all but the results (st->r is the caller's once taken: set it to
 * NULL, else it goes too). */
void sd_run_state_free(SdRunState *st, const SdProgram *p);
/* sd_run of a program whose time controls change during the run
 * (simtime.c). */
int sd_run_dynamic(SdProgram *p, const SdRunOpts *o, SdResults **out,
                   TDiags *d);
double sd_graph_eval(const SdGraph *g, double x);
/* Vensim's lookup functions on a graph's points, whatever its type (x
 * values ascending; NaN in gives NaN out). LOOKUP EXTRAPOLATE: linear
 * between the points and along the first (last) two beyond the ends.
 * LOOKUP FORWARD: the y of the first point at or after x. LOOKUP
 * BACKWARD: the y of the last point at or before x. Both hold the end
 * values beyond the ends. */
double sd_graph_extrapolate(const SdGraph *g, double x);
double sd_graph_forward(const SdGraph *g, double x);
double sd_graph_backward(const SdGraph *g, double x);
/* LOOKUP INVERT: the smallest x at which the linear interpolation of the
 * points equals y (ends held, so x below the first point never counts:
 * the first point's x stands for them), or SD_VENSIM_NA when y is outside
 * the range of the y values. */
double sd_graph_invert(const SdGraph *g, double y);
/* LOOKUP AREA: the integral of the linear interpolation of the points
 * from x1 to x2, end values held outside the points; negative when x2 <
 * x1. */
double sd_graph_area(const SdGraph *g, double x1, double x2);
/* The first SdVm.gseg value for g: 0, or -1 when its x values are not
 * ascending (or too few), so lookups always search. */
int sd_graph_seg_init(const SdGraph *g);
const char *sd_op_name(int op);

struct SdProgram {
    int nslots;         /* value slots, SD_SLOT_FIRST and up for variables */
    double *consts;     /* constant pool */
    int nconsts;        /* its size */
    SdGraph *graphs;    /* graphical functions (points copied) */
    int ngraphs;        /* how many */
    SdIns *init_code;   /* computes every slot's value at the start */
    SdIns *flow_code;   /* computes auxiliaries, flows and stock rates */
    SdIns *post_code;   /* after each step: PREVIOUS and DELAY histories */
    int max_stack;      /* deepest operand stack any code needs */
    int nstocks;        /* number of stocks */
    int *stock_slot;    /* slot of each stock */
    int *rate_slot;     /* slot its rate is computed into */
    bool *stock_nonneg; /* whether it is kept at or above zero */
    int ndelays;        /* DELAY calls */
    int nout;           /* reported variables */
    int *out_slot;      /* slot of each */
    char **out_name;    /* display name of each */
    double start, stop, dt, saveper; /* simulation specs */
    SdMethod method;                 /* the model's integration method */
    bool dynamic_time;               /* SdModel.dynamic_time: sd_run hands
                                        the run to sd_run_dynamic */
    int nnodes;       /* structure nodes: one per variable slot */
    SdNode *nodes;    /* their names and kinds */
    int nedges;       /* causal links between dynamic nodes */
    SdEdge *edges;    /* sorted by target, then source */
    SdIns *node_code; /* per node: its value (a stock: its rate) into
                         slot nslots, then END */
    int *node_start;  /* offset of each node's code, -1 when none */
    SdAop *aops;      /* array operations */
    int naops;        /* how many */
    SdXref *xrefs;    /* index tables */
    int nxrefs;       /* how many */
    int aop_scratch;  /* scratch doubles the largest operation needs */
};

/* The builtins the compiler knows (compile.c) and the array functions
 * (arrays.c), by canonical name: NULL past the last. Names starting with
 * '#' are the compiler's own. For tests that keep the docs true. */
const char *sd_builtin_name(int i);
const char *sd_array_fn_name(int i);

/* ---- arrays (arrays.c) ------------------------------------------------- */

#define SD_MAX_DIMS 16       /* dimensions of one variable */
#define SD_MAX_ELEMS 2000000 /* elements of all arrays of one model */
#define SD_MAX_TERMS 5000000 /* expression nodes arrays expand into */

/* Parses a list of numbers (`1, 2, 3`, rows ending in `;`) into a;
 * returns the count, or -1 when s is anything else. The _ws form reads
 * numbers apart by white space, as Vensim's TABBED ARRAY writes them. */
int sd_number_list(Arena *a, const char *s, double **out);
int sd_number_list_ws(Arena *a, const char *s, double **out);

/* A dimension with its elements indexed and its relations resolved. */
typedef struct SdArrDim {
    const SdDim *src; /* as read */
    int n;            /* elements */
    THash index;      /* element ident -> position */
    int root;         /* Vensim: the range whose positions the elements
                         take when the range is used as a number (the
                         widest range holding them); itself otherwise */
    int *root_pos;    /* position of each element in root */
    int nmaps;        /* mappings to other ranges */
    int *map_to;      /* the range of each mapping */
    int **map_pos;    /* per mapping, per element: position in map_to */
} SdArrDim;

/* How a model variable is laid out in value slots. */
typedef struct SdArrVar {
    int ndims;             /* 0 for a scalar */
    int dims[SD_MAX_DIMS]; /* dimension of each position */
    int n;                 /* elements, 1 for a scalar */
    int first;             /* compile: the compiled variable of element 0;
                              the others follow in row-major order */
    int *def;              /* per element: the SdEqn that defines it, -1
                              the variable's own equation, -2 none */
    int *val;              /* per element: its index in the SdEqn's vals */
} SdArrVar;

typedef struct SdArr {
    const SdModel *m; /* the model */
    Arena *a;         /* everything below lives here */
    TDiags *d;        /* where errors go */
    SdArrDim *dims;   /* one per SdModel dimension */
    int ndims;        /* how many */
    THash dim_index;  /* dimension ident -> index */
    SdArrVar *vars;   /* one per SdModel variable */
    THash var_index;  /* variable ident -> index */
    long terms;       /* expression nodes made so far (SD_MAX_TERMS) */
    bool too_big;     /* said so once */
} SdArr;

/* Builds the layout of every variable; reports unknown dimensions and
 * elements, elements defined twice or not at all. */
int sd_arr_init(SdArr *ar, const SdModel *m, Arena *a, TDiags *d);
void sd_arr_free(SdArr *ar);
/* `name[a,b]` for element k of variable v: display or canonical form. */
const char *sd_arr_elem_name(SdArr *ar, int v, int k, bool canonical);
/* A model variable by identifier, looked up in scope first; -1. */
int sd_arr_find_var(const SdArr *ar, const char *scope, const char *ident);
/* The scalar form of expression e (parsed from text at loc) for element k
 * of variable v: subscripts resolved to single elements (VAR nodes with
 * SD_EF_RESOLVED and ref the compiled variable), dimensions used as
 * numbers replaced by positions, array functions expanded. NULL after an
 * error is reported. */
SdExpr *sd_arr_instantiate(SdArr *ar, int v, int k, const SdExpr *e,
                           const SdSrcLoc *loc, const char *text);
/* The same, but in a model without dimensions it resolves the names of e
 * itself and returns it, copying nothing: e is not to be used again. */
SdExpr *sd_arr_instantiate_in_place(SdArr *ar, int v, int k, SdExpr *e,
                                    const SdSrcLoc *loc, const char *text);
/* A flow of a stock the same way: the flow's element (or the flow) that
 * element k of stock v reads, by the flow's name as written; NULL when the
 * name is not a variable, or after a message placed at loc. */
SdExpr *sd_arr_ref(SdArr *ar, int v, int k, const char *name,
                   const SdSrcLoc *loc);

/* Gives v the n equations e, copied into the model's arena (xmile.c);
 * false when out of memory (v is then left as it was). */
bool sd_var_set_eqns(SdModel *m, SdVar *v, const SdEqn *e, int n);

/* ---- data files of the GET functions (data.c) --------------------------- */

typedef struct SdCell {
    int row, col;     /* 0-based: A1 is (0, 0) */
    const char *text; /* trimmed, never empty */
} SdCell;

/* The non-empty cells of a CSV file or of one sheet of a workbook. */
typedef struct SdSheet {
    Arena arena;       /* owns label and every cell's text */
    const char *label; /* `'file.csv'` or `'book.xlsx' sheet 'S'` */
    SdCell *cells;     /* sorted by row, then column (malloc) */
    int n, cap;        /* cells used and allocated */
    int nrows, ncols;  /* one past the last row and column with a cell */
} SdSheet;

/* The sheets one model reads, by file and tab, paths resolved against the
 * model's folder. */
/* libzip's functions, loaded (dlopen) when an .xlsx is first read. */
typedef struct SdZip SdZip;
/* Loads libzip; on failure a message naming label (the file) is in err. */
int sd_zip_load(SdZip **out, const char *label, char *err, size_t en);
void sd_zip_free(SdZip *z);

typedef struct SdBook {
    char *dir;             /* the model's folder with its '/', or "" */
    VEC(SdSheet *) sheets; /* read so far */
    VEC(char *) keys;      /* "file\ntab" of each */
    SdZip *zip;            /* libzip, once an .xlsx is read, or NULL */
} SdBook;

void sd_book_init(SdBook *b, const char *model_file);
void sd_book_free(SdBook *b);
/* The sheet tab of file (.xlsx, .xls: a sheet name; any other file is CSV
 * and tab its delimiter: one character or `\t`), read once and kept. On error
 * a message naming the file is in err. */
int sd_book_sheet(SdBook *b, const char *file, const char *tab,
                  const SdSheet **out, char *err, size_t en);
/* The readers under it; label names the file in messages (an .xlsx
 * sheet's cells are named as `label sheet 'name'`). */
int sd_sheet_from_csv(const char *text, size_t len, char delim,
                      const char *label, SdSheet **out, char *err, size_t en);
int sd_sheet_from_xlsx(const SdZip *zl, const void *data, size_t len,
                       const char *sheet, const char *label, SdSheet **out,
                       char *err, size_t en);
/* An .xls workbook is read from its path (FreeXL has no other way). */
int sd_sheet_from_xls(const char *path, const char *sheet, const char *label,
                      SdSheet **out, char *err, size_t en);
void sd_sheet_free(SdSheet *s);
/* Series g as the graphical function of Time a data variable reads in
 * mode (look forward: steps just after each time; raw: missing, NaN,
 * between its times). In a. */
SdGraph *sd_data_graph(Arena *a, const SdGraph *g, SdDataMode mode);
/* An error in d for each data variable still waiting for its data
 * (sd_compile refuses them); T_OK when there is none. */
int sd_model_check_data(const SdModel *m, TDiags *d);
/* The text of a cell, or NULL when it is empty. */
const char *sd_sheet_at(const SdSheet *s, int row, int col);
/* 'B2' (letters, then a row number) as a 0-based row and column. */
bool sd_cell_parse(const char *ref, int *row, int *col);
/* The Excel name of a cell ('B2'). */
void sd_cell_name(int row, int col, char out[16]);
/* The k-th series from cell first: times down column axis ('A') or across
 * row axis ('1'), values k columns right of first (or k rows below it);
 * rows without a time or a value are passed over (interpolated). out gets
 * x and y in a, type continuous. */
int sd_sheet_series(const SdSheet *s, const char *axis, const char *first,
                    int k, Arena *a, SdGraph *out, char *err, size_t en);
/* rows x cols numbers from cell first, row-major into out; first ending
 * in '*' reads the block transposed (its rows run across the sheet). */
int sd_sheet_block(const SdSheet *s, const char *first, int rows, int cols,
                   double *out, char *err, size_t en);
/* The texts from cell first to cell last (row-major), each after prefix;
 * last empty: across first's row to its first empty cell. */
int sd_sheet_names(const SdSheet *s, const char *first, const char *last,
                   const char *prefix, Arena *a, const char ***out, int *n,
                   char *err, size_t en);
