/*
 * simtime.c - the run loop of a model whose time controls change during
 * the run (PySD's extension of Vensim: INITIAL TIME, FINAL TIME, TIME
 * STEP and SAVEPER given by equations that may read Time and other
 * variables). sd_run hands such a program here.
 *
 * The controls are the model's own variables, computed with the others
 * at each time t. The run starts at INITIAL TIME as computed at Time 0;
 * at each t a row is saved when t has reached the next save time (which
 * then moves on by SAVEPER as computed at t); the run ends at the first t
 * not before FINAL TIME (as computed at t), and otherwise steps to t +
 * TIME STEP (as computed at t). This is PySD's loop. Euler only: the
 * other methods assume a fixed step; and a TIME STEP that changes stops
 * the run with a message when the model has DELAY histories.
 *
 * Ownership: the results are the caller's; everything else is freed here.
 */
#include "sd_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TIME_MAX_SAVED ((size_t)1 << 28) /* values kept in one result */

/* The slot of a time control's variable, or -1. */
static int control_slot(const SdProgram *p, const char *name)
{
    int i = sd_program_find(p, name);
    return i < 0 ? -1 : p->out_slot[i];
}

/* Appends a row of the saved slots at time t; false when out of memory
 * or past the limit. */
static bool save_row(SdResults *r, long *cap, const double *slots,
                     const int *save_slot, int nsave, double t)
{
    if (r->nrows == *cap) {
        long ncap = *cap ? *cap * 2 : 256;
        if ((size_t)ncap * (size_t)r->ncols > TIME_MAX_SAVED)
            return false;
        double *d =
            realloc(r->data, sizeof(double) * (size_t)ncap * (size_t)r->ncols);
        if (!d)
            return false;
        r->data = d;
        *cap = ncap;
    }
    double *row = r->data + (size_t)r->nrows * (size_t)r->ncols;
    row[0] = t;
    for (int i = 0; i < nsave; i++)
        row[i + 1] = slots[save_slot[i]];
    r->nrows++;
    return true;
}

int sd_run_dynamic(SdProgram *p, const SdRunOpts *o, SdResults **out, TDiags *d)
{
    *out = NULL;
    SdMethod method = o && o->method_given ? o->method : p->method;
    long max_steps = o && o->max_steps > 0 ? o->max_steps : 1000000000L;
    if (method != SD_EULER) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "time controls that change during the run are integrated "
                  "with Euler only");
        return T_EUSAGE;
    }
    int c_start = control_slot(p, "initial time");
    int c_stop = control_slot(p, "final time");
    int c_dt = control_slot(p, "time step");
    int c_save = control_slot(p, "saveper");
    if (c_start < 0 || c_stop < 0 || c_dt < 0) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "the model's time controls change during the run but it "
                  "has no INITIAL TIME, FINAL TIME or TIME STEP variable");
        return T_EINPUT;
    }
    SdRunState st;
    int rc = sd_run_state_init(&st, p, o, d);
    if (rc) {
        sd_run_state_free(&st, p);
        return rc;
    }
    SdResults *r = st.r;
    int nsave = st.nsave;
    const int *save_slot = st.save_slot;
    double *slots = st.slots;
    SdDelayBuf *delays = st.delays;
    SdVm vm = st.vm;
    const char *why = "out of memory";
    /* INITIAL TIME and TIME STEP as computed at Time 0 (a probe run of
     * the start values and one step's equations), then the start values
     * again, from scratch, at INITIAL TIME */
    slots[SD_SLOT_DT] = vm.dt = p->dt;
    slots[SD_SLOT_STOP] = p->stop;
    sd_vm_exec(&vm, p->init_code);
    sd_vm_exec(&vm, p->flow_code);
    double t = slots[c_start], dt0 = slots[c_dt];
    if (!isfinite(t) || !(dt0 > 0) || !isfinite(dt0)) {
        rc = T_EINPUT;
        why = "INITIAL TIME and TIME STEP must be numbers, TIME STEP "
              "positive, at the start";
        goto done;
    }
    for (int i = 0; i < p->ndelays; i++)
        free(delays[i].v);
    memset(delays, 0, sizeof(SdDelayBuf) * (size_t)p->ndelays);
    memset(slots, 0, sizeof(double) * (size_t)p->nslots);
    slots[SD_SLOT_TIME] = slots[SD_SLOT_START] = vm.start = t;
    slots[SD_SLOT_DT] = vm.dt = dt0;
    slots[SD_SLOT_STOP] = p->stop;
    sd_vm_exec(&vm, p->init_code);
    double next_save = t;
    long cap = 0;
    for (long step = 0;; step++) {
        slots[SD_SLOT_TIME] = t;
        vm.step = step;
        sd_vm_exec(&vm, p->flow_code);
        double stop = slots[c_stop], dt = slots[c_dt];
        double saveper = c_save >= 0 ? slots[c_save] : dt;
        slots[SD_SLOT_STOP] = stop;
        if (o && o->on_step)
            o->on_step(o->ud, step, slots);
        double eps = 1e-9 * fmax(1, fabs(t));
        if (t >= next_save - eps) {
            if (!save_row(r, &cap, slots, save_slot, nsave, t)) {
                rc = T_EINPUT;
                why = "the run saves too many values; raise SAVEPER";
                goto done;
            }
            if (!(saveper > 0) || !isfinite(saveper)) {
                rc = T_EINPUT;
                why = c_save >= 0 ? "SAVEPER must be positive during the run"
                                  : "TIME STEP (and so SAVEPER) must be "
                                    "positive during the run";
                goto done;
            }
            next_save += saveper;
        }
        if (!(t < stop - eps))
            break; /* NaN too */
        if (!(dt > 0) || !isfinite(dt)) {
            rc = T_EINPUT;
            why = "TIME STEP must be positive during the run";
            goto done;
        }
        if (dt != dt0 && p->ndelays > 0) {
            /* their histories are kept per step of the first TIME STEP */
            rc = T_EINPUT;
            why = "DELAY and DELAY FIXED cannot follow a TIME STEP that "
                  "changes during the run";
            goto done;
        }
        if (step >= max_steps) {
            rc = T_EINPUT;
            why = "the run takes more steps than the limit";
            goto done;
        }
        slots[SD_SLOT_DT] = dt;
        vm.dt = dt;
        sd_vm_exec(&vm, p->post_code);
        for (int i = 0; i < p->nstocks; i++) {
            double v = slots[p->stock_slot[i]] + dt * slots[p->rate_slot[i]];
            if (p->stock_nonneg[i] && v < 0)
                v = 0;
            slots[p->stock_slot[i]] = v;
        }
        if (t + dt == t) {
            rc = T_EINPUT;
            why = "TIME STEP is too small to move Time on";
            goto done;
        }
        t += dt;
    }
done:
    if (rc) {
        sd_run_state_free(&st, p);
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "%s", why);
        return rc;
    }
    st.r = NULL;
    sd_run_state_free(&st, p);
    *out = r;
    return T_OK;
}
