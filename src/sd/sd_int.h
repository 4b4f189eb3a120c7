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
    X(END, 0, 0, "stop")

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

/* Everything the VM reads while it runs. */
typedef struct SdVm {
    double *slots;         /* variable values, time in slot 0 */
    const double *consts;  /* constant pool */
    const SdGraph *graphs; /* graphical functions */
    SdDelayBuf *delays;    /* DELAY histories */
    double *stack;         /* operand stack, max_stack deep */
    double start;          /* start time */
    double dt;             /* time step */
} SdVm;

/* Slots with a fixed meaning. */
enum { SD_SLOT_TIME, SD_SLOT_DT, SD_SLOT_START, SD_SLOT_STOP, SD_SLOT_FIRST };

void sd_vm_exec(SdVm *vm, const SdIns *code);
/* Steps between saved rows (sim.c). */
long sd_save_every(const SdProgram *p, long nsteps);
double sd_graph_eval(const SdGraph *g, double x);
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
    int nnodes;       /* structure nodes: one per variable slot */
    SdNode *nodes;    /* their names and kinds */
    int nedges;       /* causal links between dynamic nodes */
    SdEdge *edges;    /* sorted by target, then source */
    SdIns *node_code; /* per node: its value (a stock: its rate) into
                         slot nslots, then END */
    int *node_start;  /* offset of each node's code, -1 when none */
};
