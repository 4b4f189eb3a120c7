/*
 * unit.h - helpers shared by the unit tests: float comparison with a
 * relative tolerance and an absolute floor, XMILE documents built from a
 * few lines of variables, and one call that loads, compiles and runs a
 * model (or collects the diagnostics it fails with).
 *
 * Ownership: u_xmile() returns a malloc'd string the caller frees; u_run()
 * returns SdResults the caller frees with sd_results_free(); u_errors()
 * writes into the caller's buffer and keeps nothing, so a failing assertion
 * after it leaks nothing.
 */
#ifndef TERRITORY_TEST_UNIT_H
#define TERRITORY_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "sd/sd.h"

/* Built with -DUNIT_NOSKIP, the tests skipped for known engine bugs run,
 * to check that they still fail (and pass once the bug is fixed). */
#ifdef UNIT_NOSKIP
#undef skip
#define skip() ((void)0)
#endif

#define U_REL 1e-12 /* default relative tolerance */
#define U_ABS 1e-12 /* default absolute floor */

/* Fails unless |got - want| <= max(abs, rel * |want|); NaN never passes. */
#define assert_close_tol(got, want, rel, abs)                                  \
    do {                                                                       \
        double g_ = (got), w_ = (want);                                        \
        double tol_ = fmax((abs), (rel)*fabs(w_));                             \
        if (!(fabs(g_ - w_) <= tol_)) {                                        \
            print_error("%s:%d: got %.17g, want %.17g (tolerance %g)\n",       \
                        __FILE__, __LINE__, g_, w_, tol_);                     \
            fail();                                                            \
        }                                                                      \
    } while (0)
#define assert_close(got, want) assert_close_tol(got, want, U_REL, U_ABS)

/* Appends s to b with the XML special characters escaped. */
static inline void u_escape(TBuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            tbuf_puts(b, "&lt;");
        else if (*s == '>')
            tbuf_puts(b, "&gt;");
        else if (*s == '&')
            tbuf_puts(b, "&amp;");
        else
            tbuf_putc(b, *s);
    }
}

/* An XMILE document: sim specs (method NULL for the default) around the
 * given <variables> body, which is copied as it is. */
static inline char *u_xmile(double start, double stop, double dt,
                            const char *method, const char *vars)
{
    TBuf b = {0};
    tbuf_puts(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<xmile version=\"1.0\" "
              "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\n");
    if (method)
        tbuf_printf(&b, "<sim_specs method=\"%s\">\n", method);
    else
        tbuf_puts(&b, "<sim_specs>\n");
    tbuf_printf(&b,
                "<start>%.17g</start><stop>%.17g</stop><dt>%.17g</dt>\n"
                "</sim_specs>\n<model>\n<variables>\n%s\n</variables>\n"
                "</model>\n</xmile>\n",
                start, stop, dt, vars);
    return b.data;
}

/* Formats d into out (truncated to n bytes). */
static inline void u_format(const TDiags *d, char *out, size_t n)
{
    TBuf b = {0};
    diags_format(d, &b);
    snprintf(out, n, "%s", tbuf_cstr(&b));
    tbuf_free(&b);
}

/* Loads, compiles and runs an XMILE text; NULL (and the diagnostics
 * printed) when any stage fails. */
static inline SdResults *u_run_text(const char *xml, const SdRunOpts *o)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_model_free(m);
    }
    if (rc == T_OK) {
        rc = sd_run(p, o, &r, &d);
        sd_program_free(p);
    }
    if (rc != T_OK) {
        char msg[4096];
        u_format(&d, msg, sizeof msg);
        print_error("model failed:\n%s", msg);
    }
    diags_free(&d);
    return r;
}

/* u_run_text over u_xmile(start, stop, dt, method, vars). */
static inline SdResults *u_run(double start, double stop, double dt,
                               const char *method, const char *vars)
{
    char *xml = u_xmile(start, stop, dt, method, vars);
    SdResults *r = u_run_text(xml, NULL);
    free(xml);
    return r;
}

/* Loads and compiles (no run) an XMILE text that should fail; writes the
 * formatted diagnostics into out and returns the status. */
static inline int u_errors_text(const char *xml, char *out, size_t n)
{
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    int rc = sd_model_from_xmile(xml, strlen(xml), "t.xmile", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_model_free(m);
        sd_program_free(p);
    }
    u_format(&d, out, n);
    diags_free(&d);
    return rc;
}

static inline int u_errors(const char *vars, char *out, size_t n)
{
    char *xml = u_xmile(0, 10, 1, NULL, vars);
    int rc = u_errors_text(xml, out, n);
    free(xml);
    return rc;
}

/* Row whose time is t (within 1e-9), or -1. */
static inline int u_row(const SdResults *r, double t)
{
    for (int i = 0; i < r->nrows; i++)
        if (fabs(r->data[(size_t)i * (size_t)r->ncols] - t) <= 1e-9)
            return i;
    return -1;
}

/* Value of a column (any spelling) at row i; NaN when either is missing. */
static inline double u_get(const SdResults *r, const char *name, int i)
{
    int c = sd_results_find(r, name);
    if (c < 0 || i < 0 || i >= r->nrows)
        return NAN;
    return r->data[(size_t)i * (size_t)r->ncols + (size_t)c];
}

/* Value of a column at time t; NaN when missing. */
static inline double u_at(const SdResults *r, const char *name, double t)
{
    return u_get(r, name, u_row(r, t));
}

/* An auxiliary element with an escaped equation. */
static inline void u_aux(TBuf *b, const char *name, const char *eqn)
{
    tbuf_printf(b, "<aux name=\"%s\"><eqn>", name);
    u_escape(b, eqn);
    tbuf_puts(b, "</eqn></aux>\n");
}

/* Runs a model with a single auxiliary `y = eqn` (plus extra variables,
 * may be NULL) and returns its results. */
static inline SdResults *u_run_eqn(double start, double stop, double dt,
                                   const char *eqn, const char *extra)
{
    TBuf b = {0};
    u_aux(&b, "y", eqn);
    if (extra)
        tbuf_puts(&b, extra);
    SdResults *r = u_run(start, stop, dt, NULL, tbuf_cstr(&b));
    tbuf_free(&b);
    return r;
}

/* The value of a constant equation at the start of a one-step run; NaN
 * when the model fails. */
static inline double u_eval(const char *eqn)
{
    SdResults *r = u_run_eqn(0, 1, 1, eqn, NULL);
    double v = r ? u_get(r, "y", 0) : NAN;
    sd_results_free(r);
    return v;
}

#endif
