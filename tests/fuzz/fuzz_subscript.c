/*
 * fuzz_subscript.c - libFuzzer target for subscripts and dimensions, in
 * both of their forms. The input bytes are used twice:
 *   1. as Vensim entries after a few fixed ranges (with a subrange, a
 *      mapping and an equivalence) and arrays, so the reader's range
 *      definitions, subscripted left-hand sides, :EXCEPT: lists and lists
 *      of numbers, and the compiler's subscript resolution and vector
 *      functions, see hostile text;
 *   2. split at the first newline, as the subscripts of an XMILE
 *      <element> and as the apply-to-all equation of an arrayed XMILE
 *      auxiliary over fixed dimensions (XML-escaped), so `a[*]`, `a[@1]`,
 *      `a[D.x]`, transposition and the array functions are reached.
 * A model that loads is compiled and run with a step limit.
 *
 * Ownership: every object made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak in the engine.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sd/sd.h"

#define FUZZ_MAX_STEPS 200 /* runs are short: the input is the subscripts */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run_model(SdModel *m, TDiags *d)
{
    SdProgram *p = NULL;
    SdResults *res = NULL;
    if (sd_compile(m, &p, d) == T_OK) {
        double steps = (m->stop - m->start) / m->dt;
        if (isfinite(steps) && steps <= FUZZ_MAX_STEPS) {
            SdRunOpts o = {.max_steps = FUZZ_MAX_STEPS};
            sd_run(p, &o, &res, d);
        }
        /* and the model written as XMILE must read back */
        TBuf x = {0};
        SdModel *m2 = NULL;
        if (sd_model_to_xmile(m, &x, d) == T_OK &&
            sd_model_from_xmile(x.data, x.len, "back.xmile", &m2, d) == T_OK) {
            SdProgram *p2 = NULL;
            sd_compile(m2, &p2, d);
            sd_program_free(p2);
        }
        sd_model_free(m2);
        tbuf_free(&x);
    }
    sd_results_free(res);
    sd_program_free(p);
}

static void finish(TDiags *d)
{
    if (d->len) {
        TBuf msg = {0};
        diags_format(d, &msg);
        tbuf_free(&msg);
    }
    diags_free(d);
}

static void as_mdl(const char *s, size_t n)
{
    TBuf t = {0};
    tbuf_puts(&t, "{UTF-8}\n"
                  "d: a, b, c -> e ~~|\n"
                  "e: x, y, z ~~|\n"
                  "sub: b, c ~~|\n"
                  "copy <-> d ~~|\n"
                  "n: (n1-n4) ~~|\n"
                  "v[d] = 1, 2, 3 ~~|\n"
                  "m[d, e] = 1, 2, 3; 4, 5, 6; 7, 8, 9; ~~|\n"
                  "k[n] = TIME ~~|\n");
    tbuf_append(&t, s, n);
    tbuf_puts(&t, "\n~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 3 ~~|\n"
                  "TIME STEP = 1 ~~|\n");
    TDiags d = {0};
    SdModel *m = NULL;
    if (sd_model_from_mdl(t.data, t.len, "fuzz.mdl", &m, &d) == T_OK)
        run_model(m, &d);
    sd_model_free(m);
    finish(&d);
    tbuf_free(&t);
}

static void as_xmile(const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    size_t n1 = nl ? (size_t)(nl - s) : n;
    TBuf sub = {0}, eqn = {0}, t = {0};
    tbuf_append(&sub, s, n1);
    if (nl)
        tbuf_append(&eqn, nl + 1, n - n1 - 1);
    tbuf_puts(&t, "<xmile version=\"1.0\">\n"
                  "<sim_specs><start>0</start><stop>3</stop><dt>1</dt>"
                  "</sim_specs>\n"
                  "<dimensions><dim name=\"D\"><elem name=\"x\"/>"
                  "<elem name=\"y\"/></dim><dim name=\"N\" size=\"3\"/>"
                  "</dimensions>\n<model><variables>\n"
                  "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                  "<dim name=\"N\"/></dimensions><eqn>N + TIME</eqn></aux>\n"
                  "<aux name=\"i\"><eqn>TIME</eqn></aux>\n"
                  "<aux name=\"b\"><dimensions><dim name=\"D\"/>"
                  "<dim name=\"N\"/></dimensions><element subscript=\"");
    tbuf_put_xml_escaped(&t, tbuf_cstr(&sub));
    tbuf_puts(&t, "\"><eqn>1</eqn></element><eqn>");
    tbuf_put_xml_escaped(&t, tbuf_cstr(&eqn));
    tbuf_puts(&t, "</eqn></aux>\n"
                  "<aux name=\"c\"><dimensions><dim name=\"N\"/><dim "
                  "name=\"D\"/></dimensions><eqn>");
    tbuf_put_xml_escaped(&t, tbuf_cstr(&eqn));
    tbuf_puts(&t, "</eqn></aux>\n</variables></model></xmile>\n");
    TDiags d = {0};
    SdModel *m = NULL;
    if (sd_model_from_xmile(t.data, t.len, "fuzz.xmile", &m, &d) == T_OK)
        run_model(m, &d);
    sd_model_free(m);
    finish(&d);
    tbuf_free(&t);
    tbuf_free(&sub);
    tbuf_free(&eqn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Only the text before a NUL byte: both readers stop there too. */
    const char *s = (const char *)data;
    const char *z = memchr(s, 0, size);
    size_t n = z ? (size_t)(z - s) : size;
    as_mdl(s, n);
    as_xmile(s, n);
    return 0;
}
