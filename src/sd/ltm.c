/*
 * ltm.c - loop dominance by Loops That Matter (Schoenberg, Davidsen and
 * Eberlein, "Understanding model behavior using the Loops that Matter
 * method", System Dynamics Review 36(2), 2020). The model runs once;
 * at every step each link in the loops asked about is scored by
 * re-evaluating its target's equation with only its source moved to the
 * new value (the node code compile.c emits for exactly this), so no
 * derivative is approximated by perturbation. A stock's value here is its
 * net rate, so a flow's link to its stock scores the change in the flow
 * over the change in the net flow: the corrected flow-to-stock score of
 * Schoenberg, Hayward and Eberlein ("Improving Loops that Matter", 2023).
 *
 * Also the strongest-path loop discovery of Eberlein and Schoenberg
 * ("Finding the loops that matter", 2020), for models with too many loops
 * to score them all: every link is scored at (a sample of) the saved
 * times, and from each stock a depth-first search follows the strongest
 * links first, going on from a variable only when the path reaches it
 * stronger than any path before it in that search; each path that closes
 * on the stock is a loop. It finds the loops that matter at the times it
 * looks, not every loop.
 */
#include "sd_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIND_MAX_LOOPS 10000     /* distinct loops kept by default */
#define FIND_MAX_TIMES 1000      /* saved times searched by default */
#define FIND_MAX_WORK 100000000L /* links followed in all, by default */
#define FIND_MIN_SEARCH_WORK 256 /* links one search may always follow */
#define FIND_HOLD 4              /* loops held between times: 4 max_loops */
#define FIND_MAX_NODES 4000000   /* nodes of the loops held, in all */

/* ---- scoring links ------------------------------------------------------ */

/* What scoring a link needs: the values at the previous step and each
 * node's code, to re-evaluate one equation with one input moved. */
typedef struct Scorer {
    SdProgram *p;    /* the program */
    SdVm vm;         /* evaluates node code over prev[] */
    double *prev;    /* every slot at the previous step (+ the result) */
    int *value_slot; /* per node: its value, or a stock's rate slot */
    SdIns *code;     /* every node's code, jumps counted from its start */
    int *code_start; /* per node: where its code starts in code, or -1 */
    double *stack;   /* the VM's operand stack */
    double *scratch; /* the VM's array-operation scratch */
} Scorer;

static void scorer_free(Scorer *s)
{
    free(s->prev);
    free(s->value_slot);
    free(s->code);
    free(s->code_start);
    free(s->stack);
    free(s->scratch);
}

/* The node code compile.c emits is one buffer whose jump targets count
 * from its start; the VM counts them from the code it is given, so each
 * node's code is copied with its jumps moved to count from its own
 * start. */
static int scorer_init(Scorer *s, SdProgram *p)
{
    *s = (Scorer){.p = p};
    size_t total = 0;
    for (int z = 0; z < p->nnodes; z++) {
        if (p->node_start[z] < 0)
            continue;
        const SdIns *c = p->node_code + p->node_start[z];
        size_t n = 1;
        while (c[n - 1].op != SD_I_END)
            n++;
        total += n;
    }
    s->prev = calloc((size_t)p->nslots + 1, sizeof(double));
    s->value_slot = malloc(sizeof(int) * (size_t)(p->nnodes + 1));
    s->code = malloc(sizeof(SdIns) * (total + 1));
    s->code_start = malloc(sizeof(int) * (size_t)(p->nnodes + 1));
    s->stack = malloc(sizeof(double) * (size_t)(p->max_stack + 1));
    s->scratch = calloc((size_t)p->aop_scratch + 1, sizeof(double));
    if (!s->prev || !s->value_slot || !s->code || !s->code_start || !s->stack ||
        !s->scratch)
        return T_EINTERNAL;
    for (int v = 0; v < p->nnodes; v++)
        s->value_slot[v] = v;
    for (int k = 0; k < p->nstocks; k++)
        s->value_slot[p->stock_slot[k]] = p->rate_slot[k];
    size_t at = 0;
    for (int z = 0; z < p->nnodes; z++) {
        s->code_start[z] = -1;
        int start = p->node_start[z];
        if (start < 0)
            continue;
        s->code_start[z] = (int)at;
        for (const SdIns *c = p->node_code + start;; c++) {
            SdIns in = *c;
            if (in.op == SD_I_JZ || in.op == SD_I_JMP)
                in.a -= start;
            s->code[at++] = in;
            if (in.op == SD_I_END)
                break;
        }
    }
    s->vm = (SdVm){.slots = s->prev,
                   .consts = p->consts,
                   .graphs = p->graphs,
                   .stack = s->stack,
                   .start = p->start,
                   .dt = p->dt,
                   .aops = p->aops,
                   .xrefs = p->xrefs,
                   .scratch = s->scratch};
    return T_OK;
}

/* The change z would have had if only x had changed since the last step,
 * over the change it had: |dz_x / dz| * sign(dz_x / dx). */
static double link_score(Scorer *s, int x, int z, const double *cur)
{
    int zs = s->value_slot[z];
    double dz = cur[zs] - s->prev[zs];
    double dx = cur[x] - s->prev[x];
    if (dz == 0 || dx == 0 || !isfinite(dz) || !isfinite(dx) ||
        s->code_start[z] < 0)
        return 0;
    double keep = s->prev[x];
    s->prev[x] = cur[x];
    sd_vm_exec(&s->vm, s->code + s->code_start[z]);
    s->prev[x] = keep;
    double dzx = s->prev[s->p->nslots] - s->prev[zs];
    double r = dzx / dz;
    if (!isfinite(r) || dzx == 0)
        return 0;
    return fabs(r) * (dzx / dx > 0 ? 1 : -1);
}

/* Links out of each node: out_edge[out_start[v] .. out_start[v + 1]) are
 * indices into p->edges, in edge order. */
static int out_index(const SdProgram *p, int **out_start, int **out_edge)
{
    int *st = calloc((size_t)p->nnodes + 2, sizeof(int));
    int *ed = malloc(sizeof(int) * (size_t)(p->nedges + 1));
    int *fill = calloc((size_t)p->nnodes + 1, sizeof(int));
    if (!st || !ed || !fill) {
        free(st);
        free(ed);
        free(fill);
        return T_EINTERNAL;
    }
    for (int e = 0; e < p->nedges; e++)
        st[p->edges[e].from + 1]++;
    for (int v = 0; v < p->nnodes; v++)
        st[v + 1] += st[v];
    for (int e = 0; e < p->nedges; e++) {
        int v = p->edges[e].from;
        ed[st[v] + fill[v]++] = e;
    }
    free(fill);
    *out_start = st;
    *out_edge = ed;
    return T_OK;
}

/* Rows a run of p saves, and the steps between them (as sim.c does). */
static long saved_rows(const SdProgram *p, long *every)
{
    double steps = floor((p->stop - p->start) / p->dt + 1e-6);
    long n = steps > 0 && steps < 1e15 ? (long)steps : 0;
    *every = sd_save_every(p, n);
    return n / *every + 1;
}

/* ---- scoring loops ------------------------------------------------------ */

typedef struct Ltm {
    Scorer s;         /* link scoring */
    int nlinks;       /* distinct links used by the loops */
    int *lfrom, *lto; /* their ends */
    double *lscore;   /* their scores at this step */
    int nloops;       /* loops */
    int **loop_link;  /* per loop: indices into the link arrays */
    const int *lens;  /* loop lengths */
    long every;       /* steps between saved rows */
    SdLtm *out;       /* rows filled as the run goes */
    long cap;         /* rows allocated */
    bool failed;      /* out of memory on the way */
} Ltm;

static void on_step(void *ud, long step, const double *cur)
{
    Ltm *l = ud;
    SdProgram *p = l->s.p;
    SdLtm *o = l->out;
    if (l->failed)
        return;
    bool save = step % l->every == 0;
    double *row_score = NULL, *row_rel = NULL;
    if (save) {
        if (o->nrows == l->cap) {
            long cap = l->cap ? l->cap * 2 : 256;
            double *t = realloc(o->time, sizeof(double) * (size_t)cap);
            double *s = t ? realloc(o->score, sizeof(double) *
                                                  (size_t)(cap * l->nloops + 1))
                          : NULL;
            double *r =
                s ? realloc(o->relative,
                            sizeof(double) * (size_t)(cap * l->nloops + 1))
                  : NULL;
            if (t)
                o->time = t;
            if (s)
                o->score = s;
            if (!r) {
                l->failed = true;
                return;
            }
            o->relative = r;
            l->cap = cap;
        }
        o->time[o->nrows] = cur[SD_SLOT_TIME];
        row_score = o->score + (size_t)o->nrows * (size_t)l->nloops;
        row_rel = o->relative + (size_t)o->nrows * (size_t)l->nloops;
        o->nrows++;
    }
    if (step == 0) {
        for (int i = 0; save && i < l->nloops; i++)
            row_score[i] = row_rel[i] = 0; /* nothing has changed yet */
    } else if (save) {
        /* Only saved rows are reported, so only they are scored. The
         * values in prev are the previous step's: so are its draws. */
        l->s.vm.step = step - 1;
        for (int k = 0; k < l->nlinks; k++)
            l->lscore[k] = link_score(&l->s, l->lfrom[k], l->lto[k], cur);
        double total = 0;
        for (int i = 0; i < l->nloops; i++) {
            double sc = 1;
            for (int j = 0; j < l->lens[i]; j++)
                sc *= l->lscore[l->loop_link[i][j]];
            row_score[i] = sc;
            total += fabs(sc);
        }
        for (int i = 0; i < l->nloops; i++)
            row_rel[i] = total > 0 ? row_score[i] / total : 0;
    }
    memcpy(l->s.prev, cur, sizeof(double) * (size_t)p->nslots);
}

void sd_ltm_free(SdLtm *l)
{
    if (!l)
        return;
    free(l->time);
    free(l->score);
    free(l->relative);
    free(l);
}

int sd_ltm(SdProgram *p, const SdRunOpts *o, int nloops,
           const int *const *loops, const int *lens, SdLtm **out, TDiags *d)
{
    *out = NULL;
    Ltm l = {.nloops = nloops, .lens = lens};
    int total = 0;
    for (int i = 0; i < nloops; i++)
        total += lens[i];
    int *ostart = NULL, *oedge = NULL;
    int *edge_link = malloc(sizeof(int) * (size_t)(p->nedges + 1));
    int rc = scorer_init(&l.s, p);
    l.s.vm.seed = o ? o->seed : 0;
    if (rc == T_OK)
        rc = out_index(p, &ostart, &oedge);
    l.lfrom = malloc(sizeof(int) * (size_t)(total + 1));
    l.lto = malloc(sizeof(int) * (size_t)(total + 1));
    l.lscore = malloc(sizeof(double) * (size_t)(total + 1));
    l.loop_link = calloc((size_t)nloops + 1, sizeof(int *));
    l.out = calloc(1, sizeof(SdLtm));
    if (rc || !edge_link || !l.lfrom || !l.lto || !l.lscore || !l.loop_link ||
        !l.out) {
        rc = T_EINTERNAL;
        goto done;
    }
    for (int e = 0; e < p->nedges; e++)
        edge_link[e] = -1;
    /* Each loop's links, shared between loops that have them in common. */
    for (int i = 0; i < nloops && rc == T_OK; i++) {
        l.loop_link[i] = malloc(sizeof(int) * (size_t)(lens[i] + 1));
        if (!l.loop_link[i]) {
            rc = T_EINTERNAL;
            break;
        }
        for (int j = 0; j < lens[i]; j++) {
            int a = loops[i][j], b = loops[i][(j + 1) % lens[i]];
            int e = -1;
            if (a >= 0 && b >= 0 && a < p->nnodes && b < p->nnodes)
                for (int k = ostart[a]; k < ostart[a + 1] && e < 0; k++)
                    if (p->edges[oedge[k]].to == b)
                        e = oedge[k];
            if (e < 0) {
                diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "loop %d has no link from node %d to node %d", i + 1,
                          a, b);
                rc = T_EUSAGE;
                break;
            }
            if (edge_link[e] < 0) {
                edge_link[e] = l.nlinks;
                l.lfrom[l.nlinks] = a;
                l.lto[l.nlinks] = b;
                l.nlinks++;
            }
            l.loop_link[i][j] = edge_link[e];
        }
    }
    if (rc)
        goto done;
    l.out->nloops = nloops;
    saved_rows(p, &l.every);
    SdRunOpts ro = o ? *o : (SdRunOpts){0};
    int none = 0;
    ro.vars = &none; /* the run's own table is not needed */
    ro.nvars = 0;
    ro.on_step = on_step;
    ro.ud = &l;
    SdResults *r = NULL;
    rc = sd_run(p, &ro, &r, d);
    sd_results_free(r);
    if (rc == T_OK && l.failed)
        rc = T_EINTERNAL;
done:
    for (int i = 0; l.loop_link && i < nloops; i++)
        free(l.loop_link[i]);
    free(l.loop_link);
    free(l.lfrom);
    free(l.lto);
    free(l.lscore);
    free(edge_link);
    free(ostart);
    free(oedge);
    scorer_free(&l.s);
    if (rc) {
        sd_ltm_free(l.out);
        if (rc == T_EINTERNAL)
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return rc;
    }
    *out = l.out;
    return T_OK;
}

/* ---- strongest-path discovery -------------------------------------------- */

/* A link as the search walks it: where it goes and how strong it is now. */
typedef struct Arc {
    double w; /* log |link score| at this time; -INFINITY when 0 */
    int to;   /* the node it leads to */
} Arc;

typedef struct Find {
    Scorer s;            /* link scoring */
    int *ostart;         /* per node: its first arc (CSR, nnodes + 1) */
    int *oedge;          /* per arc slot: the edge, in edge order */
    int *comp;           /* per node: its strongly connected component */
    Arc *arcs;           /* per node's slots: its arcs, strongest first */
    double *best;        /* per node: the strongest path to it this search */
    unsigned *seen;      /* per node: the search best[] was set in */
    unsigned search;     /* searches so far */
    char *on_path;       /* per node: on the current path */
    int *path;           /* the current path, from the stock */
    int *next;           /* per depth: the next arc slot to try */
    double *pscore;      /* per depth: log score of the path to it */
    int *rot;            /* a found loop rotated to its lowest node */
    int *flat;           /* every loop's nodes, one after another */
    size_t nflat, cflat; /* used and allocated */
    size_t *off;         /* per loop: where its nodes start in flat */
    int *len;            /* per loop: how many nodes */
    double *peak;        /* per loop: its strongest log score less that of
                            the strongest loop found at the same time */
    double *now;         /* per loop: its log score at this time, or
                            -INFINITY when not found at this time */
    int *touched;        /* loops found at this time */
    int ntouched;        /* how many */
    int nloops, cloops;  /* loops held and allocated */
    int *table;          /* hash set of loop indices, -1 for empty */
    size_t ctable;       /* its size, a power of two */
    int max_loops;       /* loops kept after each time */
    long every;          /* steps between saved rows */
    long sample;         /* saved rows between searched rows */
    long search_work;    /* links one search may follow */
    int ntimes;          /* saved times searched */
    bool evicted;        /* weak loops were dropped to keep max_loops */
    bool capped;         /* new loops were not kept: memory bound */
    bool cut;            /* some search ran out of work */
    bool failed;         /* out of memory on the way */
} Find;

/* Strongly connected components of the program's links (Tarjan,
 * iterative): a loop through a stock stays inside its component, so the
 * search never leaves it. */
static int components(const SdProgram *p, const int *st, const int *oe,
                      int *comp)
{
    int n = p->nnodes;
    int *index = malloc(sizeof(int) * (size_t)(n + 1));
    int *low = malloc(sizeof(int) * (size_t)(n + 1));
    int *stack = malloc(sizeof(int) * (size_t)(n + 1));
    int *call = malloc(sizeof(int) * (size_t)(n + 1));
    int *next = malloc(sizeof(int) * (size_t)(n + 1));
    char *on = calloc((size_t)n + 1, 1);
    if (!index || !low || !stack || !call || !next || !on) {
        free(index);
        free(low);
        free(stack);
        free(call);
        free(next);
        free(on);
        return T_EINTERNAL;
    }
    for (int v = 0; v < n; v++)
        index[v] = -1;
    int idx = 0, sp = 0, ncomp = 0;
    for (int r = 0; r < n; r++) {
        if (index[r] >= 0)
            continue;
        int depth = 0;
        call[0] = r;
        next[0] = st[r];
        index[r] = low[r] = idx++;
        stack[sp++] = r;
        on[r] = 1;
        while (depth >= 0) {
            int v = call[depth];
            if (next[depth] < st[v + 1]) {
                int w = p->edges[oe[next[depth]++]].to;
                if (index[w] < 0) {
                    call[++depth] = w;
                    next[depth] = st[w];
                    index[w] = low[w] = idx++;
                    stack[sp++] = w;
                    on[w] = 1;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                int w;
                do {
                    w = stack[--sp];
                    on[w] = 0;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            if (--depth >= 0 && low[v] < low[call[depth]])
                low[call[depth]] = low[v];
        }
    }
    free(index);
    free(low);
    free(stack);
    free(call);
    free(next);
    free(on);
    return T_OK;
}

static uint64_t loop_hash(const int *n, int len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int k = 0; k < len; k++) {
        h ^= (uint32_t)n[k];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Fills a table of cap slots (a power of two) with the loops held. */
static bool table_build(Find *f, size_t cap)
{
    int *t = cap == f->ctable ? f->table : malloc(sizeof(int) * cap);
    if (!t)
        return false;
    for (size_t k = 0; k < cap; k++)
        t[k] = -1;
    for (int i = 0; i < f->nloops; i++) {
        size_t h = (size_t)loop_hash(f->flat + f->off[i], f->len[i]);
        while (t[h & (cap - 1)] >= 0)
            h++;
        t[h & (cap - 1)] = i;
    }
    if (t != f->table)
        free(f->table);
    f->table = t;
    f->ctable = cap;
    return true;
}

/* Room for one more loop of n nodes; false when out of memory. */
static bool loop_room(Find *f, int n)
{
    if ((size_t)(f->nloops + 1) * 2 > f->ctable &&
        !table_build(f, f->ctable ? f->ctable * 2 : 1024))
        return false;
    if (f->nloops == f->cloops) {
        size_t c = f->cloops ? (size_t)f->cloops * 2 : 256;
        size_t *o = realloc(f->off, sizeof(size_t) * c);
        if (o)
            f->off = o;
        int *l = o ? realloc(f->len, sizeof(int) * c) : NULL;
        if (l)
            f->len = l;
        double *pk = l ? realloc(f->peak, sizeof(double) * c) : NULL;
        if (pk)
            f->peak = pk;
        double *nw = pk ? realloc(f->now, sizeof(double) * c) : NULL;
        if (nw)
            f->now = nw;
        int *tc = nw ? realloc(f->touched, sizeof(int) * c) : NULL;
        if (!tc)
            return false;
        f->touched = tc;
        f->cloops = (int)c;
    }
    if (f->nflat + (size_t)n > f->cflat) {
        size_t c = f->cflat ? f->cflat * 2 : 4096;
        while (c < f->nflat + (size_t)n)
            c *= 2;
        int *fl = realloc(f->flat, sizeof(int) * c);
        if (!fl)
            return false;
        f->flat = fl;
        f->cflat = c;
    }
    return true;
}

/* Notes the loop path[0 .. n), of log score s, found at this time: added
 * unless known, rotated to start at its lowest node so every rotation is
 * the same loop. */
static void add_loop(Find *f, const int *path, int n, double s)
{
    int m = 0;
    for (int k = 1; k < n; k++)
        if (path[k] < path[m])
            m = k;
    for (int k = 0; k < n; k++)
        f->rot[k] = path[(m + k) % n];
    size_t h = (size_t)loop_hash(f->rot, n);
    int i = -1;
    for (size_t k = h; f->ctable; k++) {
        int j = f->table[k & (f->ctable - 1)];
        if (j < 0)
            break;
        if (f->len[j] == n &&
            !memcmp(f->flat + f->off[j], f->rot, sizeof(int) * (size_t)n)) {
            i = j;
            break;
        }
    }
    if (i < 0) {
        /* Between times more than max_loops may be held, within bounds. */
        if (f->nloops >= FIND_HOLD * (long)f->max_loops ||
            f->nflat + (size_t)n > FIND_MAX_NODES) {
            f->capped = true;
            return;
        }
        if (!loop_room(f, n)) {
            f->failed = true;
            return;
        }
        i = f->nloops++;
        memcpy(f->flat + f->nflat, f->rot, sizeof(int) * (size_t)n);
        f->off[i] = f->nflat;
        f->len[i] = n;
        f->peak[i] = f->now[i] = -INFINITY;
        f->nflat += (size_t)n;
        size_t k = h;
        while (f->table[k & (f->ctable - 1)] >= 0)
            k++;
        f->table[k & (f->ctable - 1)] = i;
    }
    if (f->now[i] == -INFINITY)
        f->touched[f->ntouched++] = i;
    if (s > f->now[i])
        f->now[i] = s;
}

typedef struct Rank {
    double peak; /* the loop's peak relative strength */
    int i;       /* the loop */
} Rank;

static int rank_cmp(const void *a, const void *b)
{
    const Rank *x = a, *y = b;
    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Keeps the max_loops loops with the highest peak, in the order held. */
static void evict(Find *f)
{
    Rank *r = malloc(sizeof(Rank) * (size_t)f->nloops);
    char *keep = calloc((size_t)f->nloops, 1);
    if (!r || !keep) {
        free(r);
        free(keep);
        f->failed = true;
        return;
    }
    for (int i = 0; i < f->nloops; i++)
        r[i] = (Rank){f->peak[i], i};
    qsort(r, (size_t)f->nloops, sizeof *r, rank_cmp);
    for (int k = 0; k < f->max_loops; k++)
        keep[r[k].i] = 1;
    int n = 0;
    size_t at = 0;
    for (int i = 0; i < f->nloops; i++) {
        if (!keep[i])
            continue;
        memmove(f->flat + at, f->flat + f->off[i],
                sizeof(int) * (size_t)f->len[i]);
        f->off[n] = at;
        f->len[n] = f->len[i];
        f->peak[n] = f->peak[i];
        f->now[n] = -INFINITY;
        at += (size_t)f->len[i];
        n++;
    }
    f->nloops = n;
    f->nflat = at;
    f->evicted = true;
    free(r);
    free(keep);
    if (!table_build(f, f->ctable))
        f->failed = true;
}

/* After every stock is searched at a time: each loop found scores against
 * the strongest found then, and the weakest go when too many are held. */
static void end_time(Find *f)
{
    double best = -INFINITY;
    for (int k = 0; k < f->ntouched; k++)
        if (f->now[f->touched[k]] > best)
            best = f->now[f->touched[k]];
    for (int k = 0; k < f->ntouched; k++) {
        int i = f->touched[k];
        if (f->now[i] - best > f->peak[i])
            f->peak[i] = f->now[i] - best;
        f->now[i] = -INFINITY;
    }
    f->ntouched = 0;
    if (f->nloops > f->max_loops)
        evict(f);
}

/* Strongest first; equal strengths by the node they lead to. */
static int arc_cmp(const void *a, const void *b)
{
    const Arc *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

/* One depth-first search from the stock t (the paper's Appendix I, made
 * iterative): scores are sums of log |link score|, so no product
 * overflows; a node is entered again only by a path strictly stronger
 * than any before it in this search. */
static void search_from(Find *f, int t)
{
    const int *st = f->ostart;
    int ct = f->comp[t];
    f->search++;
    long work = 0;
    int depth = 0;
    f->path[0] = t;
    f->next[0] = st[t];
    f->pscore[0] = 0;
    f->on_path[t] = 1;
    while (depth >= 0 && !f->failed) {
        int v = f->path[depth];
        int k = f->next[depth];
        if (k == st[v + 1] || f->arcs[k].w == -INFINITY) {
            f->on_path[v] = 0; /* every live arc tried */
            depth--;
            continue;
        }
        if (++work > f->search_work) {
            f->cut = true;
            break;
        }
        f->next[depth] = k + 1;
        const Arc *a = &f->arcs[k];
        double s = f->pscore[depth] + a->w;
        if (f->comp[a->to] != ct)
            continue; /* no way back to t from there */
        if (f->on_path[a->to]) {
            if (a->to == t)
                add_loop(f, f->path, depth + 1, s);
            continue; /* a loop not through t: found from its own stock */
        }
        if (f->seen[a->to] == f->search && s <= f->best[a->to])
            continue;
        f->seen[a->to] = f->search;
        f->best[a->to] = s;
        depth++;
        f->path[depth] = a->to;
        f->next[depth] = st[a->to];
        f->pscore[depth] = s;
        f->on_path[a->to] = 1;
    }
    for (; depth >= 0; depth--)
        f->on_path[f->path[depth]] = 0;
}

static void find_step(void *ud, long step, const double *cur)
{
    Find *f = ud;
    SdProgram *p = f->s.p;
    long row = step / f->every;
    if (step > 0 && step % f->every == 0 && (row - 1) % f->sample == 0 &&
        !f->failed) {
        f->s.vm.step = step - 1; /* prev's step, and its draws */
        for (int v = 0; v < p->nnodes; v++) {
            for (int k = f->ostart[v]; k < f->ostart[v + 1]; k++) {
                const SdEdge *e = &p->edges[f->oedge[k]];
                double sc = f->comp[e->from] == f->comp[e->to]
                                ? link_score(&f->s, e->from, e->to, cur)
                                : 0; /* on no loop */
                f->arcs[k] = (Arc){sc != 0 ? log(fabs(sc)) : -INFINITY, e->to};
            }
            int n = f->ostart[v + 1] - f->ostart[v];
            if (n > 1)
                qsort(f->arcs + f->ostart[v], (size_t)n, sizeof(Arc), arc_cmp);
        }
        f->ntimes++;
        for (int v = 0; v < p->nnodes; v++)
            if (p->nodes[v].stock && f->ostart[v + 1] > f->ostart[v])
                search_from(f, v);
        end_time(f);
    }
    memcpy(f->s.prev, cur, sizeof(double) * (size_t)p->nslots);
}

/* Loops in the house order: shortest first, then by node sequence. */
typedef struct LoopRef {
    const int *n; /* its nodes */
    int len;      /* how many */
} LoopRef;

static int loopref_cmp(const void *a, const void *b)
{
    const LoopRef *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    for (int k = 0; k < x->len; k++)
        if (x->n[k] != y->n[k])
            return x->n[k] < y->n[k] ? -1 : 1;
    return 0;
}

void sd_ltm_loops_free(SdLtmLoops *l)
{
    if (!l)
        return;
    free(l->nodes);
    free(l->lens);
    free(l->store);
    free(l);
}

int sd_ltm_discover(SdProgram *p, const SdRunOpts *o, const SdLtmFindOpts *fo,
                    SdLtmLoops **out, TDiags *d)
{
    *out = NULL;
    SdLtmFindOpts opt = fo ? *fo : (SdLtmFindOpts){0};
    Find f = {.max_loops = opt.max_loops > 0 ? opt.max_loops : FIND_MAX_LOOPS};
    int n = p->nnodes;
    int rc = scorer_init(&f.s, p);
    f.s.vm.seed = o ? o->seed : 0;
    if (rc == T_OK)
        rc = out_index(p, &f.ostart, &f.oedge);
    f.comp = malloc(sizeof(int) * (size_t)(n + 1));
    if (rc == T_OK && f.comp)
        rc = components(p, f.ostart, f.oedge, f.comp);
    f.arcs = malloc(sizeof(Arc) * (size_t)(p->nedges + 1));
    f.best = malloc(sizeof(double) * (size_t)(n + 1));
    f.seen = calloc((size_t)n + 1, sizeof(unsigned));
    f.on_path = calloc((size_t)n + 1, 1);
    f.path = malloc(sizeof(int) * (size_t)(n + 1));
    f.next = malloc(sizeof(int) * (size_t)(n + 1));
    f.pscore = malloc(sizeof(double) * (size_t)(n + 1));
    f.rot = malloc(sizeof(int) * (size_t)(n + 1));
    SdLtmLoops *res = calloc(1, sizeof *res);
    if (rc || !f.comp || !f.arcs || !f.best || !f.seen || !f.on_path ||
        !f.path || !f.next || !f.pscore || !f.rot || !res) {
        rc = T_EINTERNAL;
        goto done;
    }
    /* Which saved rows to search, and how much work each search gets:
     * the whole budget shared evenly, so no time is starved. */
    long rows = saved_rows(p, &f.every) - 1; /* row 0 has no scores */
    long stocks = 0;
    for (int v = 0; v < n; v++)
        stocks += p->nodes[v].stock;
    double work = opt.max_work > 0 ? (double)opt.max_work : FIND_MAX_WORK;
    /* Fewer times when there are so many stocks that each search would
     * get less than the least useful share. */
    double fit = stocks ? work / ((double)stocks * FIND_MIN_SEARCH_WORK) : 1;
    long times = opt.max_times > 0 ? opt.max_times : FIND_MAX_TIMES;
    if (fit < (double)times)
        times = fit > 1 ? (long)fit : 1;
    f.sample = rows > times ? (rows + times - 1) / times : 1;
    long planned = rows > 0 ? (rows + f.sample - 1) / f.sample : 0;
    double each = planned * stocks > 0 ? work / (double)(planned * stocks) : 0;
    f.search_work = each > FIND_MIN_SEARCH_WORK ? (long)fmin(each, 1e15)
                                                : FIND_MIN_SEARCH_WORK;
    SdRunOpts ro = o ? *o : (SdRunOpts){0};
    int none = 0;
    ro.vars = &none;
    ro.nvars = 0;
    ro.on_step = find_step;
    ro.ud = &f;
    SdResults *r = NULL;
    rc = sd_run(p, &ro, &r, d);
    sd_results_free(r);
    if (rc)
        goto done;
    if (f.failed) {
        rc = T_EINTERNAL;
        goto done;
    }
    LoopRef *refs = malloc(sizeof(LoopRef) * (size_t)(f.nloops + 1));
    res->nodes = malloc(sizeof(int *) * (size_t)(f.nloops + 1));
    res->lens = malloc(sizeof(int) * (size_t)(f.nloops + 1));
    if (!refs || !res->nodes || !res->lens) {
        free(refs);
        rc = T_EINTERNAL;
        goto done;
    }
    for (int i = 0; i < f.nloops; i++)
        refs[i] = (LoopRef){f.flat + f.off[i], f.len[i]};
    if (f.nloops > 1)
        qsort(refs, (size_t)f.nloops, sizeof *refs, loopref_cmp);
    for (int i = 0; i < f.nloops; i++) {
        res->nodes[i] = refs[i].n;
        res->lens[i] = refs[i].len;
    }
    free(refs);
    res->nloops = f.nloops;
    res->store = f.flat;
    f.flat = NULL;
    res->ntimes = f.ntimes;
    res->complete = !f.evicted && !f.capped && !f.cut;
done:
    scorer_free(&f.s);
    free(f.ostart);
    free(f.oedge);
    free(f.comp);
    free(f.arcs);
    free(f.best);
    free(f.seen);
    free(f.on_path);
    free(f.path);
    free(f.next);
    free(f.pscore);
    free(f.rot);
    free(f.flat);
    free(f.off);
    free(f.len);
    free(f.peak);
    free(f.now);
    free(f.touched);
    free(f.table);
    if (rc) {
        sd_ltm_loops_free(res);
        if (rc == T_EINTERNAL)
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return rc;
    }
    *out = res;
    return T_OK;
}

/* ---- choosing the loops to show ------------------------------------------ */

typedef struct Pick {
    int i;       /* the loop */
    bool dom;    /* it dominates at some saved time */
    double peak; /* its largest |relative score| */
} Pick;

static int pick_cmp(const void *a, const void *b)
{
    const Pick *x = a, *y = b;
    if (x->dom != y->dom)
        return x->dom ? -1 : 1;
    if (x->peak != y->peak)
        return x->peak > y->peak ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int sd_ltm_pick(const SdLtm *t, int max, int *keep)
{
    Pick *pk = malloc(sizeof(Pick) * (size_t)(t->nloops + 1));
    if (!pk)
        return -1;
    for (int i = 0; i < t->nloops; i++)
        pk[i] = (Pick){i, false, 0};
    for (int r = 0; r < t->nrows; r++) {
        const double *rel = t->relative + (size_t)r * (size_t)t->nloops;
        int b = -1;
        for (int i = 0; i < t->nloops; i++) {
            double v = fabs(rel[i]);
            if (v > pk[i].peak)
                pk[i].peak = v;
            if (v > 0 && (b < 0 || v > fabs(rel[b])))
                b = i;
        }
        if (b >= 0)
            pk[b].dom = true;
    }
    if (t->nloops > 1)
        qsort(pk, (size_t)t->nloops, sizeof *pk, pick_cmp);
    int n = 0;
    for (int i = 0; i < t->nloops; i++)
        if (pk[i].dom || n < max)
            keep[n++] = pk[i].i;
    free(pk);
    if (n > 1) /* back in the loops' own order */
        qsort(keep, (size_t)n, sizeof *keep, int_cmp);
    return n;
}
