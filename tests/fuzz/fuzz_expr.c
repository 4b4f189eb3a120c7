/*
 * fuzz_expr.c - libFuzzer target for the equation parser. The input bytes
 * are one equation: it is parsed with sd_parse_expr and canonicalised with
 * sd_canon_name; then it is wrapped as the equation of an aux in a tiny
 * XMILE model (one stock, one flow reading the aux) that is loaded,
 * compiled and run for at most a few steps, so the resolver, the compiler
 * and the VM see every equation the parser accepts.
 *
 * Ownership: every object made for one input (arena, diagnostics, model,
 * program, results, buffers) is freed before the function returns, so
 * LeakSanitizer reports any leak in the engine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sd/sd.h"

#define FUZZ_MAX_STEPS 1000 /* a run longer than this is refused */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Appends s with the characters XML gives meaning to escaped. */
static int put_escaped(TBuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        switch (s[i]) {
        case '&':
            rc = tbuf_puts(b, "&amp;");
            break;
        case '<':
            rc = tbuf_puts(b, "&lt;");
            break;
        case '>':
            rc = tbuf_puts(b, "&gt;");
            break;
        default:
            rc = tbuf_putc(b, s[i]);
            break;
        }
        if (rc)
            return rc;
    }
    return T_OK;
}

/* Loads, compiles and runs a model whose aux x has eqn as its equation. */
static void run_in_model(const char *eqn, size_t n)
{
    TBuf x = {0};
    int rc = tbuf_puts(
        &x, "<xmile version=\"1.0\" "
            "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">"
            "<sim_specs><start>0</start><stop>5</stop><dt>1</dt>"
            "</sim_specs><model><variables>"
            "<stock name=\"s\"><eqn>1</eqn><inflow>f</inflow>"
            "</stock><flow name=\"f\"><eqn>x</eqn></flow>"
            "<aux name=\"x\"><eqn>");
    if (!rc)
        rc = put_escaped(&x, eqn, n);
    if (!rc)
        rc = tbuf_puts(&x, "</eqn></aux></variables></model></xmile>");
    if (rc) {
        tbuf_free(&x);
        return;
    }
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *res = NULL;
    if (sd_model_from_xmile(x.data, x.len, "fuzz.xmile", &m, &d) == T_OK &&
        sd_compile(m, &p, &d) == T_OK) {
        SdRunOpts o = {.max_steps = FUZZ_MAX_STEPS};
        sd_run(p, &o, &res, &d);
    }
    sd_results_free(res);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    tbuf_free(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* The parser alone, with a source location so sd_report runs too. */
    Arena a;
    arena_init(&a);
    TDiags d = {0};
    SdSrcLoc loc = {
        .file = "fuzz", .src = text, .src_len = size, .line = 1, .col = 1};
    SdExpr *e = NULL;
    sd_parse_expr(&a, text, &loc, &e, &d);
    if (d.len) {
        TBuf msg = {0};
        diags_format(&d, &msg);
        tbuf_free(&msg);
    }
    diags_free(&d);

    char *canon = sd_canon_name(&a, (const char *)data, size);
    (void)canon;
    arena_free(&a);

    /* The whole pipeline. XML cannot carry NUL and most control bytes, so
     * stop at the first NUL as the parser did. */
    run_in_model(text, strlen(text));
    free(text);
    return 0;
}
