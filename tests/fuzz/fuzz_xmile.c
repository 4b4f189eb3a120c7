/*
 * fuzz_xmile.c - libFuzzer target for the XMILE reader. The input bytes are
 * a model file: sd_model_from_xmile reads it; a model that loads is compiled
 * and, when its run is short enough, run, so hostile sim specs, graphical
 * functions and flow lists reach the compiler and the integration loop.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *res = NULL;
    if (sd_model_from_xmile((const char *)data, size, "fuzz.xmile", &m, &d) ==
            T_OK &&
        sd_compile(m, &p, &d) == T_OK) {
        /* Skip runs the step limit would refuse anyway, without relying on
         * the engine to refuse them (the limit is what is under test). */
        double steps = (m->stop - m->start) / m->dt;
        if (isfinite(steps) && steps <= FUZZ_MAX_STEPS) {
            SdRunOpts o = {.max_steps = FUZZ_MAX_STEPS};
            sd_run(p, &o, &res, &d);
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
