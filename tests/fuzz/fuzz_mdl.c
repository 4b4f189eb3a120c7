/*
 * fuzz_mdl.c - libFuzzer target for the Vensim .mdl reader. The input bytes
 * are a model file: sd_model_from_mdl reads it (equations, macros, lookup
 * tables, time controls, sketch); a model that loads has its sketch read
 * back, is compiled and, when its run is short enough, run, so hostile
 * equations reach the Vensim lexer, the compiler's Vensim builtins and the
 * integration loop.
 *
 * Ownership: every object made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak in the engine.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/core.h"
#include "sd/sd.h"

#define FUZZ_MAX_STEPS 10000 /* longer runs are skipped (and refused) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every sketch field, so a bad pointer shows under ASan. */
static long touch_sketch(const SdModel *m)
{
    long sum = 0;
    for (int i = 0; i < m->nviews; i++) {
        const SdView *v = &m->views[i];
        sum += v->name ? (long)v->name[0] : 0;
        for (int k = 0; k < v->nelems; k++)
            sum += v->elems[k].x + v->elems[k].y + v->elems[k].type +
                   (v->elems[k].name ? (long)v->elems[k].name[0] : 0);
        for (int k = 0; k < v->narrows; k++)
            sum += v->arrows[k].from + v->arrows[k].to;
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *res = NULL;
    if (sd_model_from_mdl((const char *)data, size, "fuzz.mdl", &m, &d) ==
        T_OK) {
        volatile long sink = touch_sketch(m);
        (void)sink;
        if (sd_compile(m, &p, &d) == T_OK) {
            /* Skip runs the step limit would refuse anyway, without
             * relying on the engine to refuse them. */
            double steps = (m->stop - m->start) / m->dt;
            if (isfinite(steps) && steps <= FUZZ_MAX_STEPS) {
                SdRunOpts o = {.max_steps = FUZZ_MAX_STEPS};
                sd_run(p, &o, &res, &d);
            }
        }
    }
    if (d.len) {
        TBuf msg = {0};
        diags_format(&d, &msg);
        tbuf_free(&msg);
    }
    sd_results_free(res);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return 0;
}
