/*
 * sim.c - the integration loop: Euler, RK2 (Heun) and RK4 over the
 * compiled program, saving one row every save interval. The loop touches
 * only the slot array and the three bytecode programs.
 */
#include "sd_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SD_MAX_SAVED ((size_t)1 << 28) /* values kept in one result */

static void integrate_euler(const SdProgram *p, double *s, double dt)
{
    for (int i = 0; i < p->nstocks; i++) {
        double v = s[p->stock_slot[i]] + dt * s[p->rate_slot[i]];
        if (p->stock_nonneg[i] && v < 0)
            v = 0;
        s[p->stock_slot[i]] = v;
    }
}

/* Runge-Kutta: the rates at the start of the step are in the rate slots;
 * y0 and k hold the stocks and the weighted sum of rates. */
static void integrate_rk(const SdProgram *p, SdVm *vm, double t, double dt,
                         bool rk4, double *y0, double *acc)
{
    double *s = vm->slots;
    int n = p->nstocks;
    for (int i = 0; i < n; i++) {
        y0[i] = s[p->stock_slot[i]];
        acc[i] = s[p->rate_slot[i]];
    }
    if (!rk4) { /* Heun: average of the rates at both ends */
        for (int i = 0; i < n; i++)
            s[p->stock_slot[i]] = y0[i] + dt * acc[i];
        s[SD_SLOT_TIME] = t + dt;
        sd_vm_exec(vm, p->flow_code);
        for (int i = 0; i < n; i++)
            s[p->stock_slot[i]] =
                y0[i] + dt / 2 * (acc[i] + s[p->rate_slot[i]]);
    } else {
        static const double frac[3] = {0.5, 0.5, 1.0};
        static const double weight[3] = {2, 2, 1};
        for (int stage = 0; stage < 3; stage++) {
            for (int i = 0; i < n; i++)
                s[p->stock_slot[i]] =
                    y0[i] + frac[stage] * dt * s[p->rate_slot[i]];
            s[SD_SLOT_TIME] = t + frac[stage] * dt;
            sd_vm_exec(vm, p->flow_code);
            for (int i = 0; i < n; i++)
                acc[i] += weight[stage] * s[p->rate_slot[i]];
        }
        for (int i = 0; i < n; i++)
            s[p->stock_slot[i]] = y0[i] + dt / 6 * acc[i];
    }
    for (int i = 0; i < n; i++)
        if (p->stock_nonneg[i] && s[p->stock_slot[i]] < 0)
            s[p->stock_slot[i]] = 0;
}

long sd_save_every(const SdProgram *p, long nsteps)
{
    double every = floor(p->saveper / p->dt + 0.5);
    return !(every >= 1)            ? 1 /* NaN too */
           : every > (double)nsteps ? nsteps + 1
                                    : (long)every;
}

int sd_run(SdProgram *p, const SdRunOpts *o, SdResults **out, TDiags *d)
{
    *out = NULL;
    if (p->dynamic_time)
        return sd_run_dynamic(p, o, out, d);
    SdMethod method = o && o->method_given ? o->method : p->method;
    long max_steps = o && o->max_steps > 0 ? o->max_steps : 1000000000L;
    double span = p->stop - p->start;
    if (!isfinite(span) || !(p->dt > 0) || !isfinite(p->dt) || span < 0 ||
        !(p->saveper > 0)) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "bad simulation specs: start %g, stop %g, dt %g", p->start,
                  p->stop, p->dt);
        return T_EINPUT;
    }
    double steps_f = floor(span / p->dt + 1e-6);
    if (steps_f > (double)max_steps) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "the run would take %.0f steps, more than the limit of %ld",
                  steps_f, max_steps);
        return T_EINPUT;
    }
    long nsteps = (long)steps_f;
    long every = sd_save_every(p, nsteps);
    long nrows = nsteps / every + 1;
    SdRunState st;
    int rc = sd_run_state_init(&st, p, o, d);
    if (rc) {
        sd_run_state_free(&st, p);
        return rc;
    }
    SdResults *r = st.r;
    int ncols = r->ncols, nsave = st.nsave;
    const int *save_slot = st.save_slot;
    double *slots = st.slots;
    if ((size_t)nrows * (size_t)ncols > SD_MAX_SAVED) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "the run would save %ld rows of %d values, too many; "
                  "raise the save interval",
                  nrows, ncols);
        sd_run_state_free(&st, p);
        return T_EINPUT;
    }
    /* Streamed rows (on_row) need room for one. */
    bool stream = o && o->on_row;
    double *y0 = calloc((size_t)p->nstocks + 1, sizeof(double));
    double *acc = calloc((size_t)p->nstocks + 1, sizeof(double));
    r->data =
        malloc(sizeof(double) * (size_t)(stream ? 1 : nrows) * (size_t)ncols);
    if (!y0 || !acc || !r->data) {
        rc = T_EINTERNAL;
        goto done;
    }
    SdVm vm = st.vm;
    vm.start = p->start;
    vm.dt = p->dt;
    slots[SD_SLOT_TIME] = p->start;
    slots[SD_SLOT_DT] = p->dt;
    slots[SD_SLOT_START] = p->start;
    slots[SD_SLOT_STOP] = p->stop;
    sd_vm_exec(&vm, p->init_code);
    for (long step = 0;; step++) {
        double t = p->start + (double)step * p->dt;
        slots[SD_SLOT_TIME] = t;
        vm.step = step; /* RK stages keep it: one draw per step */
        sd_vm_exec(&vm, p->flow_code);
        if (o && o->on_step)
            o->on_step(o->ud, step, slots);
        if (step % every == 0 && r->nrows < nrows) {
            double *row =
                r->data + (stream ? 0 : (size_t)r->nrows * (size_t)ncols);
            row[0] = t;
            for (int i = 0; i < nsave; i++)
                row[i + 1] = slots[save_slot[i]];
            r->nrows++;
            if (stream && o->on_row(o->row_ud, r, row))
                break;
        }
        if (step >= nsteps)
            break;
        sd_vm_exec(&vm, p->post_code);
        if (method == SD_EULER)
            integrate_euler(p, slots, p->dt);
        else
            integrate_rk(p, &vm, t, p->dt, method == SD_RK4, y0, acc);
    }
done:
    free(y0);
    free(acc);
    if (rc) {
        sd_run_state_free(&st, p);
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return rc;
    }
    if (stream) {
        free(r->data); /* the rows went to on_row */
        r->data = NULL;
    }
    st.r = NULL;
    sd_run_state_free(&st, p);
    *out = r;
    return T_OK;
}

int sd_run_state_init(SdRunState *st, SdProgram *p, const SdRunOpts *o,
                      TDiags *d)
{
    *st = (SdRunState){0};
    /* The slots saved in each row, after Time: the chosen variables or all
     * of them. Only these are stored, so a large model can be run for a
     * few variables without holding every value it computes. */
    int nsave = p->nout;
    const int *pick = NULL;
    if (o && o->vars) {
        for (int i = 0; i < o->nvars; i++)
            if (o->vars[i] < 0 || o->vars[i] >= p->nout) {
                diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "no variable number %d to save", o->vars[i]);
                return T_EUSAGE;
            }
        nsave = o->nvars;
        pick = o->vars;
    }
    st->nsave = nsave;
    st->r = calloc(1, sizeof *st->r);
    st->save_slot = malloc(sizeof(int) * (size_t)(nsave + 1));
    st->slots = calloc((size_t)p->nslots + 1, sizeof(double));
    st->stack = calloc((size_t)p->max_stack + 1, sizeof(double));
    st->delays = calloc((size_t)p->ndelays + 1, sizeof(SdDelayBuf));
    st->scratch = calloc((size_t)p->aop_scratch + 1, sizeof(double));
    st->gseg = malloc(sizeof(int) * (size_t)(p->ngraphs + 1));
    if (st->r)
        st->r->names = calloc((size_t)nsave + 1, sizeof(char *));
    if (!st->r || !st->r->names || !st->save_slot || !st->slots || !st->stack ||
        !st->delays || !st->scratch || !st->gseg) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return T_EINTERNAL;
    }
    for (int g = 0; g < p->ngraphs; g++)
        st->gseg[g] = sd_graph_seg_init(&p->graphs[g]);
    SdResults *r = st->r;
    r->ncols = nsave + 1;
    r->names[0] = strdup("Time");
    for (int i = 0; i < nsave; i++) {
        int v = pick ? pick[i] : i;
        st->save_slot[i] = p->out_slot[v];
        r->names[i + 1] = strdup(p->out_name[v]);
    }
    st->vm = (SdVm){.slots = st->slots,
                    .consts = p->consts,
                    .graphs = p->graphs,
                    .delays = st->delays,
                    .stack = st->stack,
                    .aops = p->aops,
                    .xrefs = p->xrefs,
                    .scratch = st->scratch,
                    .gseg = st->gseg,
                    .seed = o ? o->seed : 0};
    return T_OK;
}

void sd_run_state_free(SdRunState *st, const SdProgram *p)
{
    free(st->gseg);
    free(st->scratch);
    free(st->save_slot);
    free(st->slots);
    free(st->stack);
    for (int i = 0; st->delays && i < p->ndelays; i++)
        free(st->delays[i].v);
    free(st->delays);
    sd_results_free(st->r);
    *st = (SdRunState){0};
}

void sd_results_free(SdResults *r)
{
    if (!r)
        return;
    for (int i = 0; r->names && i < r->ncols; i++)
        free(r->names[i]);
    free(r->names);
    free(r->data);
    free(r);
}

int sd_results_find(const SdResults *r, const char *name)
{
    char *id = sd_canon_ref(NULL, name);
    int found = -1;
    for (int i = 0; id && i < r->ncols && found < 0; i++) {
        char *c = sd_canon_ref(NULL, r->names[i]);
        if (c && !strcmp(c, id))
            found = i;
        free(c);
    }
    free(id);
    return found;
}
