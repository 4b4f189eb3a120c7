/*
 * ltm.c - loop dominance by Loops That Matter (Schoenberg, Davidsen and
 * Eberlein, "Understanding model behavior using the Loops that Matter
 * method", System Dynamics Review 36(2), 2020). The model runs once;
 * at every step each link in the loops asked about is scored by
 * re-evaluating its target's equation with only its source moved to the
 * new value (the node code compile.c emits for exactly this), so no
 * derivative is approximated by perturbation.
 */
#include "sd_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Ltm {
    SdProgram *p;     /* the program */
    SdVm vm;          /* evaluates node code over prev[] */
    double *prev;     /* every slot at the previous step (+ scratch) */
    int *value_slot;  /* per node: its value, or a stock's rate slot */
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

/* The change z would have had if only x had changed since the last step,
 * over the change it had: |dz_x / dz| * sign(dz_x / dx). */
static double link_score(Ltm *l, int x, int z, const double *cur)
{
    int zs = l->value_slot[z];
    double dz = cur[zs] - l->prev[zs];
    double dx = cur[x] - l->prev[x];
    if (dz == 0 || dx == 0 || !isfinite(dz) || !isfinite(dx))
        return 0;
    double keep = l->prev[x];
    l->prev[x] = cur[x];
    sd_vm_exec(&l->vm, l->p->node_code + l->p->node_start[z]);
    l->prev[x] = keep;
    double dzx = l->prev[l->p->nslots] - l->prev[zs];
    double r = dzx / dz;
    if (!isfinite(r) || dzx == 0)
        return 0;
    return fabs(r) * (dzx / dx > 0 ? 1 : -1);
}

static void on_step(void *ud, long step, const double *cur)
{
    Ltm *l = ud;
    SdProgram *p = l->p;
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
    } else {
        for (int k = 0; k < l->nlinks; k++)
            l->lscore[k] = link_score(l, l->lfrom[k], l->lto[k], cur);
        double total = 0;
        for (int i = 0; save && i < l->nloops; i++) {
            double sc = 1;
            for (int j = 0; j < l->lens[i]; j++)
                sc *= l->lscore[l->loop_link[i][j]];
            row_score[i] = sc;
            total += fabs(sc);
        }
        for (int i = 0; save && i < l->nloops; i++)
            row_rel[i] = total > 0 ? row_score[i] / total : 0;
    }
    memcpy(l->prev, cur, sizeof(double) * (size_t)p->nslots);
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
    Ltm l = {.p = p, .nloops = nloops, .lens = lens};
    int total = 0;
    for (int i = 0; i < nloops; i++)
        total += lens[i];
    l.prev = calloc((size_t)p->nslots + 1, sizeof(double));
    l.value_slot = malloc(sizeof(int) * (size_t)(p->nnodes + 1));
    l.lfrom = malloc(sizeof(int) * (size_t)(total + 1));
    l.lto = malloc(sizeof(int) * (size_t)(total + 1));
    l.lscore = malloc(sizeof(double) * (size_t)(total + 1));
    l.loop_link = calloc((size_t)nloops + 1, sizeof(int *));
    l.out = calloc(1, sizeof(SdLtm));
    double *stack = malloc(sizeof(double) * (size_t)(p->max_stack + 1));
    double *scratch = calloc((size_t)p->aop_scratch + 1, sizeof(double));
    int rc = T_OK;
    if (!l.prev || !l.value_slot || !l.lfrom || !l.lto || !l.lscore ||
        !l.loop_link || !l.out || !stack || !scratch) {
        rc = T_EINTERNAL;
        goto done;
    }
    for (int v = 0; v < p->nnodes; v++)
        l.value_slot[v] = v;
    for (int s = 0; s < p->nstocks; s++)
        l.value_slot[p->stock_slot[s]] = p->rate_slot[s];
    /* Each loop's links, shared between loops that have them in common. */
    for (int i = 0; i < nloops && rc == T_OK; i++) {
        l.loop_link[i] = malloc(sizeof(int) * (size_t)(lens[i] + 1));
        if (!l.loop_link[i]) {
            rc = T_EINTERNAL;
            break;
        }
        for (int j = 0; j < lens[i]; j++) {
            int a = loops[i][j], b = loops[i][(j + 1) % lens[i]];
            bool edge = false;
            for (int e = 0; e < p->nedges && !edge; e++)
                edge = p->edges[e].from == a && p->edges[e].to == b;
            if (!edge || a < 0 || b < 0 || a >= p->nnodes || b >= p->nnodes) {
                diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "loop %d has no link from node %d to node %d", i + 1,
                          a, b);
                rc = T_EUSAGE;
                break;
            }
            int k = 0;
            while (k < l.nlinks && !(l.lfrom[k] == a && l.lto[k] == b))
                k++;
            if (k == l.nlinks) {
                l.lfrom[k] = a;
                l.lto[k] = b;
                l.nlinks++;
            }
            l.loop_link[i][j] = k;
        }
    }
    if (rc)
        goto done;
    l.out->nloops = nloops;
    l.vm = (SdVm){.slots = l.prev,
                  .consts = p->consts,
                  .graphs = p->graphs,
                  .stack = stack,
                  .start = p->start,
                  .dt = p->dt,
                  .aops = p->aops,
                  .xrefs = p->xrefs,
                  .scratch = scratch};
    double steps = floor((p->stop - p->start) / p->dt + 1e-6);
    l.every = sd_save_every(p, steps > 0 && steps < 1e15 ? (long)steps : 0);
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
    free(l.prev);
    free(l.value_slot);
    free(l.lfrom);
    free(l.lto);
    free(l.lscore);
    free(stack);
    free(scratch);
    if (rc) {
        sd_ltm_free(l.out);
        if (rc == T_EINTERNAL)
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return rc;
    }
    *out = l.out;
    return T_OK;
}
