/*
 * vm.c - the bytecode interpreter. A stack machine over an array of value
 * slots; names were resolved at compile time, so a run does no look-ups and
 * no allocation. Dispatch is computed goto under GCC and clang, a switch
 * elsewhere.
 */
#include "sd_int.h"

#include <math.h>
#include <stdlib.h>

const char *sd_op_name(int op)
{
    static const char *names[] = {
#define X(name, pops, pushes, doc) #name,
        SD_OPCODES(X)
#undef X
    };
    return op >= 0 && op < SD_NOPS ? names[op] : "?";
}

/* The graphical function g at x; *seg (when seg is not NULL) is the
 * segment the last lookup fell in, tried first, and updated. Inputs move
 * little from step to step, so the binary search is rarely needed. A
 * negative *seg means never remember (x values not ascending). */
static double graph_at(const SdGraph *g, double x, int *seg)
{
    const double *xs = g->x, *ys = g->y;
    int lo, hi;
    if (seg && *seg >= 0) {
        lo = *seg;
        /* The same segment the search below would find: xs[lo] <= x <
         * xs[lo + 1], strictly inside the ends. NaN fails every test. */
        if (x > xs[0] && xs[lo] <= x && x < xs[lo + 1]) {
            hi = lo + 1;
            goto found;
        }
    }
    int n = g->n;
    if (n <= 0 || isnan(x))
        return NAN;
    if (n == 1)
        return ys[0];
    if (x <= xs[0]) {
        if (g->type == SD_GF_EXTRAPOLATE && x < xs[0] && xs[1] != xs[0])
            return ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0]);
        return ys[0];
    }
    if (x >= xs[n - 1]) {
        if (g->type == SD_GF_EXTRAPOLATE && x > xs[n - 1] &&
            xs[n - 1] != xs[n - 2])
            return ys[n - 1] + (x - xs[n - 1]) * (ys[n - 1] - ys[n - 2]) /
                                   (xs[n - 1] - xs[n - 2]);
        return ys[n - 1];
    }
    /* Binary search for the segment xs[lo] <= x < xs[hi]. */
    lo = 0;
    hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (xs[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (seg && *seg >= 0)
        *seg = lo;
found:
    if (g->type == SD_GF_DISCRETE)
        return ys[lo];
    double dx = xs[hi] - xs[lo];
    if (dx == 0)
        return ys[hi];
    return ys[lo] + (x - xs[lo]) * (ys[hi] - ys[lo]) / dx;
}

double sd_graph_eval(const SdGraph *g, double x)
{
    return graph_at(g, x, NULL);
}

double sd_graph_extrapolate(const SdGraph *g, double x)
{
    SdGraph e = *g;
    e.type = SD_GF_EXTRAPOLATE;
    return graph_at(&e, x, NULL);
}

/* The index of the last point whose x is at or below x: -1 below the
 * first point. Binary search; the points' x values ascend. */
static int last_at_or_below(const SdGraph *g, double x)
{
    int lo = -1, hi = g->n; /* x[lo] <= x < x[hi], with sentinels */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (g->x[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

double sd_graph_backward(const SdGraph *g, double x)
{
    if (g->n <= 0 || isnan(x))
        return NAN;
    int i = last_at_or_below(g, x);
    return g->y[i < 0 ? 0 : i];
}

double sd_graph_forward(const SdGraph *g, double x)
{
    if (g->n <= 0 || isnan(x))
        return NAN;
    int i = last_at_or_below(g, x);
    if (i >= 0 && g->x[i] == x) /* on a point: its own y */
        return g->y[i];
    return g->y[i + 1 < g->n ? i + 1 : g->n - 1];
}

double sd_graph_invert(const SdGraph *g, double y)
{
    if (g->n <= 0 || isnan(y))
        return NAN;
    const double *xs = g->x, *ys = g->y;
    if (ys[0] == y)
        return xs[0];
    for (int i = 1; i < g->n; i++) {
        double a = ys[i - 1], b = ys[i];
        if (y == b && a == b)
            return xs[i - 1]; /* a flat stretch at y: its start */
        if ((a < y && y <= b) || (b <= y && y < a))
            return xs[i - 1] + (y - a) * (xs[i] - xs[i - 1]) / (b - a);
    }
    return SD_VENSIM_NA;
}

/* The integral of the held, interpolated points from the first point's x
 * to x (negative left of it). */
static double area_to(const SdGraph *g, double x)
{
    const double *xs = g->x, *ys = g->y;
    int n = g->n;
    if (x <= xs[0])
        return (x - xs[0]) * ys[0];
    double sum = 0;
    for (int i = 1; i < n; i++) {
        if (x <= xs[i]) {
            /* part of segment i-1..i: a trapezoid up to x */
            double dx = xs[i] - xs[i - 1];
            double yx =
                dx > 0 ? ys[i - 1] + (x - xs[i - 1]) * (ys[i] - ys[i - 1]) / dx
                       : ys[i];
            return sum + (x - xs[i - 1]) * (ys[i - 1] + yx) / 2;
        }
        sum += (xs[i] - xs[i - 1]) * (ys[i - 1] + ys[i]) / 2;
    }
    return sum + (x - xs[n - 1]) * ys[n - 1];
}

double sd_graph_area(const SdGraph *g, double x1, double x2)
{
    if (g->n <= 0 || isnan(x1) || isnan(x2))
        return NAN;
    if (x1 == x2)
        return 0;
    return area_to(g, x2) - area_to(g, x1);
}

int sd_graph_seg_init(const SdGraph *g)
{
    for (int i = 1; i < g->n; i++)
        if (!(g->x[i - 1] <= g->x[i]))
            return -1;
    return g->n >= 2 ? 0 : -1;
}

static double math1(int fn, double x)
{
    switch (fn) {
    case SD_FN_ABS:
        return fabs(x);
    case SD_FN_SQRT:
        return sqrt(x);
    case SD_FN_EXP:
        return exp(x);
    case SD_FN_LN:
        return log(x);
    case SD_FN_LOG10:
        return log10(x);
    case SD_FN_INT:
        return floor(x);
    case SD_FN_ROUND:
        return round(x);
    case SD_FN_SIN:
        return sin(x);
    case SD_FN_COS:
        return cos(x);
    case SD_FN_TAN:
        return tan(x);
    case SD_FN_ASIN:
        return asin(x);
    case SD_FN_ACOS:
        return acos(x);
    case SD_FN_ATAN:
        return atan(x);
    case SD_FN_SINH:
        return sinh(x);
    case SD_FN_COSH:
        return cosh(x);
    case SD_FN_TANH:
        return tanh(x);
    case SD_FN_SIGN:
        return x > 0 ? 1 : x < 0 ? -1 : 0;
    case SD_FN_TRUNC:
        return trunc(x);
    default:
        return NAN;
    }
}

static double pulse(double t, double dt, double volume, double first,
                    double interval)
{
    double half = dt / 2;
    if (t < first - half)
        return 0;
    double at = first;
    if (interval > 0)
        at = first + interval * floor((t - first + half) / interval);
    return (t >= at - half && t < at + half) ? volume / dt : 0;
}

/* Vensim's PULSE and PULSE TRAIN: 1 while the time is in [start, start +
 * width), each interval until end. Times are compared half a step early,
 * as STEP does, so a pulse at a step's time is not lost to rounding. A
 * width of 0 lasts one step. */
static double vpulse(double t, double dt, double start, double width)
{
    double tt = t + dt / 2;
    if (width <= 0)
        width = dt;
    return tt > start && tt < start + width ? 1 : 0;
}

static double pulse_train(double t, double dt, double start, double width,
                          double interval, double end)
{
    double tt = t + dt / 2;
    if (!(tt > start) || t - dt / 2 > end)
        return 0;
    if (width <= 0)
        width = dt;
    double k = tt - start;
    if (interval > 0)
        k = fmod(k, interval);
    return k < width ? 1 : 0;
}

static double delay_read(const SdDelayBuf *b, double start, double dt, double t,
                         double dtime, double init)
{
    double target = t - dtime;
    if (b->len == 0 || !(target >= start - dt * 1e-9)) /* NaN too */
        return init;
    double idx = (target - start) / dt;
    double fl = floor(idx + 1e-9);
    if (!(fl < (double)(b->len - 1))) /* also an infinite delay time */
        return b->v[b->len - 1];
    long i0 = fl < 0 ? 0 : (long)fl;
    double frac = idx - (double)i0;
    if (frac < 1e-9)
        return b->v[i0];
    return b->v[i0] + frac * (b->v[i0 + 1] - b->v[i0]);
}

static void delay_push(SdDelayBuf *b, double x)
{
    if (b->len == b->cap) {
        long cap = b->cap ? b->cap * 2 : 256;
        double *v = realloc(b->v, sizeof(double) * (size_t)cap);
        if (!v)
            return; /* history stops growing; reads hold the last value */
        b->v = v;
        b->cap = cap;
    }
    b->v[b->len++] = x;
}

void sd_vm_exec(SdVm *vm, const SdIns *code)
{
    double *restrict s = vm->slots;
    const double *restrict k = vm->consts;
    double *sp = vm->stack; /* points at the next free cell */
    const SdIns *ip = code;
    double x, y, z;

#if defined(__GNUC__) && !defined(__CPPCHECK__)
    static const void *labels[] = {
#define X(name, pops, pushes, doc) &&L_##name,
        SD_OPCODES(X)
#undef X
    };
#define CASE(name) L_##name:
#define NEXT goto *labels[(ip++)->op]
#define DISPATCH NEXT;
#else
#define CASE(name) case SD_I_##name:
#define NEXT break
#define DISPATCH                                                               \
    for (;;)                                                                   \
        switch ((ip++)->op)
#endif
#define A (ip[-1].a)

    DISPATCH
    {
        CASE(CONST)
        {
            *sp++ = k[A];
            NEXT;
        }
        CASE(LOAD)
        {
            *sp++ = s[A];
            NEXT;
        }
        CASE(STORE)
        {
            s[A] = *--sp;
            NEXT;
        }
        CASE(ADD)
        {
            sp--;
            sp[-1] += sp[0];
            NEXT;
        }
        CASE(SUB)
        {
            sp--;
            sp[-1] -= sp[0];
            NEXT;
        }
        CASE(MUL)
        {
            sp--;
            sp[-1] *= sp[0];
            NEXT;
        }
        CASE(DIV)
        {
            sp--;
            sp[-1] /= sp[0];
            NEXT;
        }
        CASE(POW)
        {
            sp--;
            sp[-1] = pow(sp[-1], sp[0]);
            NEXT;
        }
        CASE(MOD)
        {
            sp--;
            x = sp[-1], y = sp[0];
            sp[-1] = y == 0 ? NAN : x - y * floor(x / y);
            NEXT;
        }
        CASE(NEG)
        {
            sp[-1] = -sp[-1];
            NEXT;
        }
        CASE(EQ)
        {
            sp--;
            sp[-1] = sp[-1] == sp[0];
            NEXT;
        }
        CASE(NE)
        {
            sp--;
            sp[-1] = sp[-1] != sp[0];
            NEXT;
        }
        CASE(LT)
        {
            sp--;
            sp[-1] = sp[-1] < sp[0];
            NEXT;
        }
        CASE(LE)
        {
            sp--;
            sp[-1] = sp[-1] <= sp[0];
            NEXT;
        }
        CASE(GT)
        {
            sp--;
            sp[-1] = sp[-1] > sp[0];
            NEXT;
        }
        CASE(GE)
        {
            sp--;
            sp[-1] = sp[-1] >= sp[0];
            NEXT;
        }
        CASE(AND)
        {
            sp--;
            sp[-1] = sp[-1] != 0 && sp[0] != 0;
            NEXT;
        }
        CASE(OR)
        {
            sp--;
            sp[-1] = sp[-1] != 0 || sp[0] != 0;
            NEXT;
        }
        CASE(NOT)
        {
            sp[-1] = sp[-1] == 0;
            NEXT;
        }
        CASE(JZ)
        {
            if (*--sp == 0)
                ip = code + A;
            NEXT;
        }
        CASE(JMP)
        {
            ip = code + A;
            NEXT;
        }
        CASE(FN1)
        {
            sp[-1] = math1(A, sp[-1]);
            NEXT;
        }
        CASE(MIN)
        { /* NaN in either argument gives NaN */
            sp--;
            sp[-1] = sp[0] < sp[-1] || isnan(sp[0]) ? sp[0] : sp[-1];
            NEXT;
        }
        CASE(MAX)
        {
            sp--;
            sp[-1] = sp[0] > sp[-1] || isnan(sp[0]) ? sp[0] : sp[-1];
            NEXT;
        }
        CASE(LOG2)
        {
            sp--;
            sp[-1] = log(sp[-1]) / log(sp[0]);
            NEXT;
        }
        CASE(SAFEDIV)
        {
            sp -= 2;
            x = sp[-1], y = sp[0], z = sp[1];
            sp[-1] = y == 0 ? z : x / y;
            NEXT;
        }
        CASE(LOOKUP)
        {
            sp[-1] = graph_at(&vm->graphs[A], sp[-1],
                              vm->gseg ? &vm->gseg[A] : NULL);
            NEXT;
        }
        CASE(LOOKUP_X)
        {
            sp[-1] = sd_graph_extrapolate(&vm->graphs[A], sp[-1]);
            NEXT;
        }
        CASE(LOOKUP_FWD)
        {
            sp[-1] = sd_graph_forward(&vm->graphs[A], sp[-1]);
            NEXT;
        }
        CASE(LOOKUP_BWD)
        {
            sp[-1] = sd_graph_backward(&vm->graphs[A], sp[-1]);
            NEXT;
        }
        CASE(LOOKUP_INV)
        {
            sp[-1] = sd_graph_invert(&vm->graphs[A], sp[-1]);
            NEXT;
        }
        CASE(LOOKUP_AREA)
        {
            sp--;
            sp[-1] = sd_graph_area(&vm->graphs[A], sp[-1], sp[0]);
            NEXT;
        }
        CASE(STEP)
        {
            sp--;
            x = sp[-1], y = sp[0]; /* height, start */
            sp[-1] = s[SD_SLOT_TIME] + vm->dt / 2 > y ? x : 0;
            NEXT;
        }
        CASE(RAMP)
        {
            sp -= 2;
            x = sp[-1], y = sp[0], z = sp[1]; /* slope, start, end */
            {
                double t = s[SD_SLOT_TIME];
                if (t > z)
                    t = z;
                sp[-1] = t > y ? x * (t - y) : 0;
            }
            NEXT;
        }
        CASE(PULSE)
        {
            sp -= 2;
            sp[-1] = pulse(s[SD_SLOT_TIME], vm->dt, sp[-1], sp[0], sp[1]);
            NEXT;
        }
        CASE(DELAY)
        {
            sp--;
            sp[-1] = delay_read(&vm->delays[A], vm->start, vm->dt,
                                s[SD_SLOT_TIME], sp[-1], sp[0]);
            NEXT;
        }
        CASE(DPUSH)
        {
            delay_push(&vm->delays[A], *--sp);
            NEXT;
        }
        CASE(LOADC_ADD)
        {
            sp[-1] += s[A];
            NEXT;
        }
        CASE(LOADC_MUL)
        {
            sp[-1] *= s[A];
            NEXT;
        }
        CASE(LOADC_SUB)
        {
            sp[-1] -= s[A];
            NEXT;
        }
        CASE(LOADC_DIV)
        {
            sp[-1] /= s[A];
            NEXT;
        }
        CASE(KADD)
        {
            sp[-1] += k[A];
            NEXT;
        }
        CASE(KMUL)
        {
            sp[-1] *= k[A];
            NEXT;
        }
        CASE(KSUB)
        {
            sp[-1] -= k[A];
            NEXT;
        }
        CASE(KDIV)
        {
            sp[-1] /= k[A];
            NEXT;
        }
        CASE(FMOD)
        {
            sp--;
            x = sp[-1], y = sp[0];
            sp[-1] = y == 0 ? NAN : fmod(x, y);
            NEXT;
        }
        CASE(QUANTUM)
        {
            sp--;
            x = sp[-1], y = sp[0];
            sp[-1] = y > 0 ? y * trunc(x / y) : x;
            NEXT;
        }
        CASE(VPULSE)
        {
            sp--;
            sp[-1] = vpulse(s[SD_SLOT_TIME], vm->dt, sp[-1], sp[0]);
            NEXT;
        }
        CASE(PULSE_TRAIN)
        {
            sp -= 3;
            sp[-1] = pulse_train(s[SD_SLOT_TIME], vm->dt, sp[-1], sp[0], sp[1],
                                 sp[2]);
            NEXT;
        }
        CASE(LOADX)
        {
            const SdXref *xr = &vm->xrefs[A];
            x = floor(sp[-1] + 0.5);
            sp[-1] = x >= 1 && x <= xr->n
                         ? s[xr->base + ((long)x - 1) * xr->stride]
                         : NAN;
            NEXT;
        }
        CASE(RANDOM)
        {
            int kind = (int)((uint32_t)A & 15);
            sp -= sd_random_nargs(kind);
            x = sd_random_draw(kind, (uint32_t)A >> 4, vm->seed, vm->step, sp);
            *sp++ = x;
            NEXT;
        }
        CASE(AOP)
        {
            const SdAop *op = &vm->aops[A];
            sp -= op->nargs;
            x = sd_aop_eval(op, sp, vm->scratch);
            *sp++ = x;
            NEXT;
        }
        /* Superinstructions: A is the first word's operand, W(i) that of
         * word i; SKIP(n) steps over the n words after the first. */
#define W(i) (ip[(i)-1].a)
#define SKIP(n) (ip += (n))
#define FUSED_ARITH(OP, op)                                                    \
    CASE(LL_##OP)                                                              \
    {                                                                          \
        *sp++ = s[A] op s[W(1)];                                               \
        SKIP(1);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(LK_##OP)                                                              \
    {                                                                          \
        *sp++ = s[A] op k[W(1)];                                               \
        SKIP(1);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(LLS_##OP)                                                             \
    {                                                                          \
        s[W(2)] = s[A] op s[W(1)];                                             \
        SKIP(2);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(LKS_##OP)                                                             \
    {                                                                          \
        s[W(2)] = s[A] op k[W(1)];                                             \
        SKIP(2);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(SL_##OP)                                                              \
    {                                                                          \
        sp--;                                                                  \
        s[W(1)] = sp[0] op s[A];                                               \
        SKIP(1);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(SK_##OP)                                                              \
    {                                                                          \
        sp--;                                                                  \
        s[W(1)] = sp[0] op k[A];                                               \
        SKIP(1);                                                               \
        NEXT;                                                                  \
    }                                                                          \
    CASE(S_##OP)                                                               \
    {                                                                          \
        sp -= 2;                                                               \
        s[W(1)] = sp[0] op sp[1];                                              \
        SKIP(1);                                                               \
        NEXT;                                                                  \
    }
        FUSED_ARITH(ADD, +)
        FUSED_ARITH(SUB, -)
        FUSED_ARITH(MUL, *)
        FUSED_ARITH(DIV, /)
#undef FUSED_ARITH
        CASE(MOVE)
        {
            s[W(1)] = s[A];
            SKIP(1);
            NEXT;
        }
        CASE(LOOKUP_S)
        {
            sp--;
            s[W(1)] =
                graph_at(&vm->graphs[A], sp[0], vm->gseg ? &vm->gseg[A] : NULL);
            SKIP(1);
            NEXT;
        }
        CASE(LDIV_LOOKUP)
        {
            int g = W(2);
            *sp++ = graph_at(&vm->graphs[g], s[A] / s[W(1)],
                             vm->gseg ? &vm->gseg[g] : NULL);
            SKIP(2);
            NEXT;
        }
        CASE(LDIV_LOOKUP_S)
        {
            int g = W(2);
            s[W(3)] = graph_at(&vm->graphs[g], s[A] / s[W(1)],
                               vm->gseg ? &vm->gseg[g] : NULL);
            SKIP(3);
            NEXT;
        }
#define FUSED_JUMP(OP, op)                                                     \
    CASE(J_##OP)                                                               \
    {                                                                          \
        if (!(s[A] op s[W(1)]))                                                \
            ip = code + W(3);                                                  \
        else                                                                   \
            SKIP(3);                                                           \
        NEXT;                                                                  \
    }
        FUSED_JUMP(GE, >=)
        FUSED_JUMP(GT, >)
        FUSED_JUMP(LE, <=)
        FUSED_JUMP(LT, <)
#undef FUSED_JUMP
        CASE(LOAD_JMP)
        {
            *sp++ = s[A];
            ip = code + W(1);
            NEXT;
        }
#undef W
#undef SKIP
        CASE(END)
        {
            return;
        }
    }
#undef A
#undef CASE
#undef NEXT
#undef DISPATCH
}

/* ---- superinstructions ------------------------------------------------- */

/* The runs each superinstruction replaces, longest first, as the fusing
 * pass tries them. */
typedef struct Fusion {
    int op;      /* the superinstruction */
    int len;     /* instructions it replaces */
    int runs[4]; /* their opcodes */
} Fusion;

static const Fusion fusions[] = {
    {SD_I_LDIV_LOOKUP_S,
     4,
     {SD_I_LOAD, SD_I_LOADC_DIV, SD_I_LOOKUP, SD_I_STORE}},
    {SD_I_J_GE, 4, {SD_I_LOAD, SD_I_LOAD, SD_I_GE, SD_I_JZ}},
    {SD_I_J_GT, 4, {SD_I_LOAD, SD_I_LOAD, SD_I_GT, SD_I_JZ}},
    {SD_I_J_LE, 4, {SD_I_LOAD, SD_I_LOAD, SD_I_LE, SD_I_JZ}},
    {SD_I_J_LT, 4, {SD_I_LOAD, SD_I_LOAD, SD_I_LT, SD_I_JZ}},
    {SD_I_LDIV_LOOKUP, 3, {SD_I_LOAD, SD_I_LOADC_DIV, SD_I_LOOKUP, 0}},
    {SD_I_LLS_ADD, 3, {SD_I_LOAD, SD_I_LOADC_ADD, SD_I_STORE, 0}},
    {SD_I_LKS_ADD, 3, {SD_I_LOAD, SD_I_KADD, SD_I_STORE, 0}},
    {SD_I_LL_ADD, 2, {SD_I_LOAD, SD_I_LOADC_ADD, 0, 0}},
    {SD_I_LK_ADD, 2, {SD_I_LOAD, SD_I_KADD, 0, 0}},
    {SD_I_SL_ADD, 2, {SD_I_LOADC_ADD, SD_I_STORE, 0, 0}},
    {SD_I_SK_ADD, 2, {SD_I_KADD, SD_I_STORE, 0, 0}},
    {SD_I_S_ADD, 2, {SD_I_ADD, SD_I_STORE, 0, 0}},
    {SD_I_LLS_SUB, 3, {SD_I_LOAD, SD_I_LOADC_SUB, SD_I_STORE, 0}},
    {SD_I_LKS_SUB, 3, {SD_I_LOAD, SD_I_KSUB, SD_I_STORE, 0}},
    {SD_I_LL_SUB, 2, {SD_I_LOAD, SD_I_LOADC_SUB, 0, 0}},
    {SD_I_LK_SUB, 2, {SD_I_LOAD, SD_I_KSUB, 0, 0}},
    {SD_I_SL_SUB, 2, {SD_I_LOADC_SUB, SD_I_STORE, 0, 0}},
    {SD_I_SK_SUB, 2, {SD_I_KSUB, SD_I_STORE, 0, 0}},
    {SD_I_S_SUB, 2, {SD_I_SUB, SD_I_STORE, 0, 0}},
    {SD_I_LLS_MUL, 3, {SD_I_LOAD, SD_I_LOADC_MUL, SD_I_STORE, 0}},
    {SD_I_LKS_MUL, 3, {SD_I_LOAD, SD_I_KMUL, SD_I_STORE, 0}},
    {SD_I_LL_MUL, 2, {SD_I_LOAD, SD_I_LOADC_MUL, 0, 0}},
    {SD_I_LK_MUL, 2, {SD_I_LOAD, SD_I_KMUL, 0, 0}},
    {SD_I_SL_MUL, 2, {SD_I_LOADC_MUL, SD_I_STORE, 0, 0}},
    {SD_I_SK_MUL, 2, {SD_I_KMUL, SD_I_STORE, 0, 0}},
    {SD_I_S_MUL, 2, {SD_I_MUL, SD_I_STORE, 0, 0}},
    {SD_I_LLS_DIV, 3, {SD_I_LOAD, SD_I_LOADC_DIV, SD_I_STORE, 0}},
    {SD_I_LKS_DIV, 3, {SD_I_LOAD, SD_I_KDIV, SD_I_STORE, 0}},
    {SD_I_LL_DIV, 2, {SD_I_LOAD, SD_I_LOADC_DIV, 0, 0}},
    {SD_I_LK_DIV, 2, {SD_I_LOAD, SD_I_KDIV, 0, 0}},
    {SD_I_SL_DIV, 2, {SD_I_LOADC_DIV, SD_I_STORE, 0, 0}},
    {SD_I_SK_DIV, 2, {SD_I_KDIV, SD_I_STORE, 0, 0}},
    {SD_I_S_DIV, 2, {SD_I_DIV, SD_I_STORE, 0, 0}},
    {SD_I_MOVE, 2, {SD_I_LOAD, SD_I_STORE, 0, 0}},
    {SD_I_LOOKUP_S, 2, {SD_I_LOOKUP, SD_I_STORE, 0, 0}},
    {SD_I_LOAD_JMP, 2, {SD_I_LOAD, SD_I_JMP, 0, 0}},
};

int sd_op_len(int op)
{
    for (size_t f = 0; f < sizeof fusions / sizeof fusions[0]; f++)
        if (fusions[f].op == op)
            return fusions[f].len;
    return 1;
}

void sd_code_fuse(SdIns *code, int n)
{
    /* Where jumps land: no fused run may have one inside it. */
    unsigned char *target = calloc((size_t)n + 1, 1);
    if (!target)
        return; /* the plain code runs as well, only slower */
    for (int i = 0; i < n; i++)
        if ((code[i].op == SD_I_JZ || code[i].op == SD_I_JMP) &&
            code[i].a >= 0 && code[i].a <= n)
            target[code[i].a] = 1;
    for (int i = 0; i < n;) {
        int len = 1;
        for (size_t f = 0; f < sizeof fusions / sizeof fusions[0]; f++) {
            const Fusion *fu = &fusions[f];
            if (i + fu->len > n)
                continue;
            bool ok = true;
            for (int j = 0; j < fu->len && ok; j++)
                ok =
                    code[i + j].op == fu->runs[j] && (j == 0 || !target[i + j]);
            if (ok) {
                code[i].op = fu->op;
                len = fu->len;
                break;
            }
        }
        i += len;
    }
    free(target);
}

static void disasm(TBuf *out, const char *title, const SdIns *code,
                   const double *consts)
{
    tbuf_printf(out, "%s:\n", title);
    for (int i = 0; code[i].op != SD_I_END;) {
        int len = sd_op_len(code[i].op);
        for (int j = 0; j < len; j++, i++) {
            /* A superinstruction's operand words keep the instructions
             * it replaced: shown after a bar. */
            tbuf_printf(out, j ? "  %4d | %-8s %d" : "  %4d %-10s %d", i,
                        sd_op_name(code[i].op), code[i].a);
            if (code[i].op == SD_I_CONST)
                tbuf_printf(out, "  (%g)", consts[code[i].a]);
            tbuf_putc(out, '\n');
        }
    }
}

void sd_program_disasm(const SdProgram *p, TBuf *out)
{
    disasm(out, "init", p->init_code, p->consts);
    disasm(out, "flow", p->flow_code, p->consts);
    disasm(out, "post", p->post_code, p->consts);
}
