/*
 * test_arrays.c - arrays in the engine: XMILE dimensions, apply-to-all and
 * per-element equations, subscripts of every form, array functions,
 * transposition, up-dimensioning, arrayed stocks, flows, graphical
 * functions and delays; Vensim subscript ranges, subranges, mappings,
 * equivalences, :EXCEPT:, lists of numbers, lookups per element and the
 * vector and allocation functions; modules. Every number here can be
 * checked by hand; error messages are pinned with their place.
 */
#include "unit.h"

/* An XMILE document with the given <dimensions> and <variables>. */
static char *xmile_dims(double stop, const char *dims, const char *vars)
{
    TBuf b = {0};
    tbuf_printf(&b,
                "<xmile version=\"1.0\" "
                "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\n"
                "<sim_specs><start>0</start><stop>%g</stop><dt>1</dt>"
                "</sim_specs>\n"
                "<dimensions>\n%s\n</dimensions>\n"
                "<model><variables>\n%s\n</variables></model>\n</xmile>\n",
                stop, dims, vars);
    return b.data;
}

static SdResults *run_dims(double stop, const char *dims, const char *vars)
{
    char *x = xmile_dims(stop, dims, vars);
    SdResults *r = u_run_text(x, NULL);
    free(x);
    assert_non_null(r);
    return r;
}

static int errors_dims(const char *dims, const char *vars, char *out, size_t n)
{
    char *x = xmile_dims(1, dims, vars);
    int rc = u_errors_text(x, out, n);
    free(x);
    return rc;
}

/* A Vensim model: the body, then the time controls. */
static char *mdl_text(const char *body, double stop)
{
    TBuf b = {0};
    tbuf_printf(&b,
                "{UTF-8}\n%s\nINITIAL TIME = 0 ~~|\nFINAL TIME = %g ~~|\n"
                "TIME STEP = 1 ~~|\n",
                body, stop);
    return b.data;
}

static SdResults *run_mdl(const char *body, double stop)
{
    char *t = mdl_text(body, stop);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int rc = sd_model_from_mdl(t, strlen(t), "t.mdl", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_model_free(m);
    }
    if (rc == T_OK) {
        rc = sd_run(p, NULL, &r, &d);
        sd_program_free(p);
    }
    if (rc != T_OK) {
        char msg[4096];
        u_format(&d, msg, sizeof msg);
        print_error("model failed:\n%s", msg);
    }
    diags_free(&d);
    free(t);
    assert_non_null(r);
    return r;
}

static int errors_mdl(const char *body, char *out, size_t n)
{
    char *t = mdl_text(body, 1);
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    int rc = sd_model_from_mdl(t, strlen(t), "t.mdl", &m, &d);
    if (rc == T_OK) {
        rc = sd_compile(m, &p, &d);
        sd_program_free(p);
    }
    sd_model_free(m);
    u_format(&d, out, n);
    diags_free(&d);
    free(t);
    return rc;
}

#define ABC                                                                    \
    "<dim name=\"D\"><elem name=\"a\"/><elem name=\"b\"/>"                     \
    "<elem name=\"c\"/></dim>"
#define XY "<dim name=\"E\"><elem name=\"x\"/><elem name=\"y\"/></dim>"

/* ---- XMILE ----------------------------------------------------------------
 */

static void test_xmile_apply_to_all(void **state)
{
    (void)state;
    SdResults *r =
        run_dims(2, ABC,
                 "<aux name=\"k\"><dimensions><dim name=\"D\"/></dimensions>"
                 "<eqn>10 * D</eqn></aux>\n"
                 "<flow name=\"f\"><dimensions><dim name=\"D\"/></dimensions>"
                 "<eqn>k + 1</eqn></flow>\n"
                 "<stock name=\"s\"><dimensions><dim name=\"D\"/></dimensions>"
                 "<eqn>k[D]</eqn><inflow>f</inflow></stock>\n"
                 "<aux name=\"scalar\"><eqn>s[b] + s[3]</eqn></aux>\n");
    /* k = 10, 20, 30 (a dimension as a number is its position) */
    assert_close(u_at(r, "k[a]", 0), 10);
    assert_close(u_at(r, "k[c]", 0), 30);
    /* s starts at k and grows by k + 1 a step */
    assert_close(u_at(r, "s[a]", 0), 10);
    assert_close(u_at(r, "s[a]", 2), 10 + 2 * 11);
    assert_close(u_at(r, "s[b]", 1), 20 + 21);
    assert_close(u_at(r, "scalar", 1), (20 + 21) + (30 + 31));
    /* columns are named name[element] */
    assert_int_equal(sd_results_find(r, "S[B]"), sd_results_find(r, "s[b]"));
    sd_results_free(r);
}

static void test_xmile_indexed_and_elements(void **state)
{
    (void)state;
    SdResults *r = run_dims(
        0, "<dim name=\"N\" size=\"3\"/>",
        "<aux name=\"v\"><dimensions><dim name=\"N\"/></dimensions>"
        "<element subscript=\"1\"><eqn>5</eqn></element>"
        "<element subscript=\"2\"><eqn>v[1] * 2</eqn></element>"
        "<element subscript=\"3\"><eqn>v[2] + v[1]</eqn></element></aux>\n"
        "<aux name=\"w\"><dimensions><dim name=\"N\"/></dimensions>"
        "<eqn>v[N] - N</eqn></aux>\n"
        "<aux name=\"at\"><dimensions><dim name=\"N\"/></dimensions>"
        "<eqn>v[@1] + v[N - 1 + (N = 1)]</eqn></aux>\n");
    assert_close(u_at(r, "v[1]", 0), 5);
    assert_close(u_at(r, "v[2]", 0), 10);
    assert_close(u_at(r, "v[3]", 0), 15);
    assert_close(u_at(r, "w[3]", 0), 12);
    /* @1 is the element's own position; N - 1 the one before (1 for 1) */
    assert_close(u_at(r, "at[1]", 0), 5 + 5);
    assert_close(u_at(r, "at[3]", 0), 15 + 10);
    sd_results_free(r);
}

static void test_xmile_array_functions(void **state)
{
    (void)state;
    SdResults *r = run_dims(
        0, ABC,
        "<aux name=\"a\"><dimensions><dim name=\"D\"/></dimensions>"
        "<element subscript=\"a\"><eqn>4</eqn></element>"
        "<element subscript=\"b\"><eqn>1</eqn></element>"
        "<element subscript=\"c\"><eqn>7</eqn></element></aux>\n"
        "<aux name=\"total\"><eqn>SUM(a[*])</eqn></aux>\n"
        "<aux name=\"avg\"><eqn>MEAN(a[*])</eqn></aux>\n"
        "<aux name=\"lo\"><eqn>MIN(a[*])</eqn></aux>\n"
        "<aux name=\"hi\"><eqn>MAX(a)</eqn></aux>\n"
        "<aux name=\"two\"><eqn>MAX(a[b], 2)</eqn></aux>\n"
        "<aux name=\"sd\"><eqn>STDDEV(a[*])</eqn></aux>\n"
        "<aux name=\"p\"><eqn>PROD(a[*])</eqn></aux>\n"
        "<aux name=\"n\"><eqn>SIZE(a[*])</eqn></aux>\n"
        "<aux name=\"r1\"><eqn>RANK(a[*], 1)</eqn></aux>\n"
        "<aux name=\"rl\"><eqn>RANK(a[*], -1)</eqn></aux>\n"
        "<aux name=\"sq\"><eqn>SUM(a[*] * a[*])</eqn></aux>\n"
        "<aux name=\"share\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>a / SUM(a[*])</eqn></aux>\n");
    assert_close(u_at(r, "total", 0), 12);
    assert_close(u_at(r, "avg", 0), 4);
    assert_close(u_at(r, "lo", 0), 1);
    assert_close(u_at(r, "hi", 0), 7);
    assert_close(u_at(r, "two", 0), 2); /* two arguments: the scalar MAX */
    /* population standard deviation: deviations 0, -3, 3 */
    assert_close(u_at(r, "sd", 0), sqrt(18.0 / 3));
    assert_close(u_at(r, "p", 0), 28);
    assert_close(u_at(r, "n", 0), 3);
    assert_close(u_at(r, "r1", 0), 2); /* the smallest is element 2 */
    assert_close(u_at(r, "rl", 0), 3); /* the largest is element 3 */
    assert_close(u_at(r, "sq", 0), 16 + 1 + 49);
    assert_close(u_at(r, "share[c]", 0), 7.0 / 12);
    sd_results_free(r);
}

static void test_xmile_stella_names(void **state)
{
    (void)state;
    /* Stella's older names of the array functions, and the short names
     * of the inverse trigonometric functions */
    SdResults *r = run_dims(
        0, ABC,
        "<aux name=\"a\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>D * D</eqn></aux>\n"
        "<aux name=\"s\"><eqn>ARRAYSUM(a[*])</eqn></aux>\n"
        "<aux name=\"p\"><eqn>ARRAYPROD(a[*])</eqn></aux>\n"
        "<aux name=\"m\"><eqn>ARRAYMEAN(a[*])</eqn></aux>\n"
        "<aux name=\"sd\"><eqn>ARRAYSTDDEV(a[*])</eqn></aux>\n"
        "<aux name=\"n\"><eqn>ARRAYSIZE(a[*])</eqn></aux>\n"
        "<aux name=\"lo\"><eqn>ARRAYMIN(a[*])</eqn></aux>\n"
        "<aux name=\"hi\"><eqn>ARRAYMAX(a[*])</eqn></aux>\n"
        "<aux name=\"r\"><eqn>ARRAYRANK(a[*], 2)</eqn></aux>\n"
        "<aux name=\"trig\"><eqn>ASIN(1) + ACOS(1) + ATAN(1)</eqn></aux>\n");
    assert_close(u_at(r, "s", 0), 14);
    assert_close(u_at(r, "p", 0), 36);
    assert_close(u_at(r, "m", 0), 14.0 / 3);
    double mean = 14.0 / 3;
    assert_close(u_at(r, "sd", 0),
                 sqrt(((1 - mean) * (1 - mean) + (4 - mean) * (4 - mean) +
                       (9 - mean) * (9 - mean)) /
                      3));
    assert_close(u_at(r, "n", 0), 3);
    assert_close(u_at(r, "lo", 0), 1);
    assert_close(u_at(r, "hi", 0), 9);
    assert_close(u_at(r, "r", 0), 2);
    assert_close(u_at(r, "trig", 0), M_PI / 2 + 0 + M_PI / 4);
    sd_results_free(r);
}

static void test_xmile_two_dims(void **state)
{
    (void)state;
    SdResults *r = run_dims(
        0, ABC XY,
        "<aux name=\"m\"><dimensions><dim name=\"D\"/><dim name=\"E\"/>"
        "</dimensions><eqn>10 * D + E</eqn></aux>\n"
        /* up-dimensioning: a one-dimensional and a scalar value */
        "<aux name=\"u\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>D</eqn></aux>\n"
        "<aux name=\"k\"><eqn>100</eqn></aux>\n"
        "<aux name=\"up\"><dimensions><dim name=\"D\"/><dim name=\"E\"/>"
        "</dimensions><eqn>u + k + m</eqn></aux>\n"
        /* one element of one dimension, all of the other */
        "<aux name=\"col\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>m[D, y]</eqn></aux>\n"
        "<aux name=\"rowsum\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>SUM(m[D, *])</eqn></aux>\n"
        /* the same array, its dimensions the other way round */
        "<aux name=\"t\"><dimensions><dim name=\"E\"/><dim name=\"D\"/>"
        "</dimensions><eqn>m</eqn></aux>\n");
    assert_close(u_at(r, "m[b,y]", 0), 22);
    assert_close(u_at(r, "up[c,x]", 0), 3 + 100 + 31);
    assert_close(u_at(r, "col[a]", 0), 12);
    assert_close(u_at(r, "rowsum[c]", 0), 31 + 32);
    assert_close(u_at(r, "t[y,a]", 0), 12);
    sd_results_free(r);
    /* Dim.elem: an element named with its dimension (written in either
     * order) */
    r = run_dims(0, ABC XY,
                 "<aux name=\"m\"><dimensions><dim name=\"D\"/>"
                 "<dim name=\"E\"/></dimensions><eqn>10 * D + E</eqn></aux>\n"
                 "<aux name=\"q\"><eqn>m[D.b, E.y]</eqn></aux>\n");
    assert_close(u_at(r, "q", 0), 22);
    sd_results_free(r);
}

static void test_xmile_transpose_by_position(void **state)
{
    (void)state;
    /* Indexed dimensions match by position: b[P, Q] = a' takes a[q, p]. */
    SdResults *r = run_dims(
        0,
        "<dim name=\"X\" size=\"2\"/><dim name=\"Y\" size=\"3\"/>"
        "<dim name=\"P\" size=\"3\"/><dim name=\"Q\" size=\"2\"/>",
        "<aux name=\"a\"><dimensions><dim name=\"X\"/><dim name=\"Y\"/>"
        "</dimensions><eqn>10 * X + Y</eqn></aux>\n"
        "<aux name=\"b\"><dimensions><dim name=\"P\"/><dim name=\"Q\"/>"
        "</dimensions><eqn>a'</eqn></aux>\n");
    assert_close(u_at(r, "b[3,1]", 0), 13);
    assert_close(u_at(r, "b[1,2]", 0), 21);
    sd_results_free(r);
}

static void test_xmile_stateful_and_gf(void **state)
{
    (void)state;
    SdResults *r =
        run_dims(3, XY,
                 "<aux name=\"in\"><dimensions><dim name=\"E\"/></dimensions>"
                 "<element subscript=\"x\"><eqn>10</eqn></element>"
                 "<element subscript=\"y\"><eqn>20</eqn></element></aux>\n"
                 /* a smooth per element: each starts at its input */
                 "<aux name=\"sm\"><dimensions><dim name=\"E\"/></dimensions>"
                 "<eqn>SMTH1(in + STEP(10, 1), 2)</eqn></aux>\n"
                 /* one graphical function for all elements, and one each */
                 "<aux name=\"g\"><dimensions><dim name=\"E\"/></dimensions>"
                 "<eqn>in</eqn><gf><xscale min=\"0\" max=\"20\"/>"
                 "<ypts>0,100</ypts></gf></aux>\n"
                 "<aux name=\"h\"><dimensions><dim name=\"E\"/></dimensions>"
                 "<element subscript=\"x\"><eqn>TIME</eqn><gf>"
                 "<xpts>0,10</xpts><ypts>0,1</ypts></gf></element>"
                 "<element subscript=\"y\"><eqn>TIME</eqn><gf>"
                 "<xpts>0,10</xpts><ypts>0,-1</ypts></gf></element></aux>\n");
    assert_close(u_at(r, "sm[x]", 1), 10);
    /* at time 1 the input steps up by 10: half of it arrives a step later */
    assert_close(u_at(r, "sm[x]", 2), 15);
    assert_close(u_at(r, "sm[y]", 2), 25);
    assert_close(u_at(r, "g[x]", 0), 50);
    assert_close(u_at(r, "g[y]", 0), 100);
    assert_close(u_at(r, "h[x]", 2), 0.2);
    assert_close(u_at(r, "h[y]", 2), -0.2);
    sd_results_free(r);
}

static void test_xmile_dynamic_subscript(void **state)
{
    (void)state;
    /* The element chosen by a value that changes during the run; out of
     * range gives NaN. */
    SdResults *r =
        run_dims(3, ABC,
                 "<aux name=\"a\"><dimensions><dim name=\"D\"/></dimensions>"
                 "<eqn>100 * D</eqn></aux>\n"
                 "<aux name=\"i\"><eqn>TIME + 1</eqn></aux>\n"
                 "<aux name=\"pick\"><eqn>a[i]</eqn></aux>\n");
    assert_close(u_at(r, "pick", 0), 100);
    assert_close(u_at(r, "pick", 2), 300);
    assert_true(isnan(u_at(r, "pick", 3)));
    sd_results_free(r);
}

static void test_xmile_lists_of_numbers(void **state)
{
    (void)state;
    /* as the SDXorg tests write arrays: a list, or one <eqn> each */
    SdResults *r = run_dims(
        0, ABC XY,
        "<aux name=\"v\"><dimensions><dim name=\"D\"/></dimensions>"
        "<eqn>1, 2, 3</eqn></aux>\n"
        "<aux name=\"m\"><dimensions><dim name=\"D\"/><dim name=\"E\"/>"
        "</dimensions><eqn>1, 2; 3, 4; 5, 6;</eqn></aux>\n"
        "<aux name=\"e\"><dimensions><dim name=\"E\"/></dimensions>"
        "<eqn>TIME + 7</eqn><eqn>8</eqn></aux>\n");
    assert_close(u_at(r, "v[c]", 0), 3);
    assert_close(u_at(r, "m[b,y]", 0), 4);
    assert_close(u_at(r, "m[c,x]", 0), 5);
    assert_close(u_at(r, "e[x]", 0), 7);
    assert_close(u_at(r, "e[y]", 0), 8);
    sd_results_free(r);
}

static void test_xmile_array_errors(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(errors_dims(ABC,
                                 "<aux name=\"a\"><dimensions><dim name=\"Q\"/>"
                                 "</dimensions><eqn>1</eqn></aux>",
                                 out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.xmile:7:15: 'a' has unknown dimension 'q'\n"
                             "  <aux name=\"a\"><dimensions><dim name=\"Q\"/>"
                             "</dimensions><eqn>1</eqn></aux>\n"
                             "                ^\n");
    /* an unknown element, with its column */
    assert_int_equal(errors_dims(ABC,
                                 "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                                 "</dimensions><eqn>1</eqn></aux>\n"
                                 "<aux name=\"b\"><eqn>a[zz] + 1</eqn></aux>",
                                 out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out,
                        "t.xmile:8:22: 'zz' is not an element of dimension "
                        "'D' (subscript 1 of 'a')\n"
                        "  <aux name=\"b\"><eqn>a[zz] + 1</eqn></aux>\n"
                        "                       ^\n");
    /* too many subscripts */
    assert_int_equal(errors_dims(ABC,
                                 "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                                 "</dimensions><eqn>1</eqn></aux>\n"
                                 "<aux name=\"b\"><eqn>2 * a[a, b]</eqn></aux>",
                                 out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.xmile:8:24: 'a' has 1 dimension, not 2 "
                             "subscripts\n"
                             "  <aux name=\"b\"><eqn>2 * a[a, b]</eqn></aux>\n"
                             "                         ^\n");
    /* an array where a single value is needed (mismatched dimensions) */
    assert_int_equal(errors_dims(ABC XY,
                                 "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                                 "</dimensions><eqn>1</eqn></aux>\n"
                                 "<aux name=\"b\"><dimensions><dim name=\"E\"/>"
                                 "</dimensions><eqn>a + 1</eqn></aux>",
                                 out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out,
                        "t.xmile:8:60: 'a' is an array over 'D', which does "
                        "not vary in this equation; give it subscripts or "
                        "use an array function\n"
                        "  <aux name=\"b\"><dimensions><dim name=\"E\"/>"
                        "</dimensions><eqn>a + 1</eqn></aux>\n"
                        "                                                  "
                        "           ^\n");
    /* a subscript out of range */
    assert_int_equal(errors_dims(ABC,
                                 "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                                 "</dimensions><eqn>1</eqn></aux>\n"
                                 "<aux name=\"b\"><eqn>a[4]</eqn></aux>",
                                 out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.xmile:8:22: subscript 4 is outside dimension "
                             "'D' (1 to 3) of 'a'\n"
                             "  <aux name=\"b\"><eqn>a[4]</eqn></aux>\n"
                             "                       ^\n");
    /* an element with no equation */
    assert_int_equal(
        errors_dims(ABC,
                    "<aux name=\"a\"><dimensions><dim name=\"D\"/>"
                    "</dimensions><element subscript=\"a\"><eqn>1</eqn>"
                    "</element></aux>",
                    out, sizeof out),
        T_EINPUT);
    assert_string_equal(out, "t.xmile:7: element a[b] has no equation\n");
}

/* ---- modules ---------------------------------------------------------------
 */

static void test_xmile_modules(void **state)
{
    (void)state;
    const char *xml =
        "<xmile version=\"1.0\" "
        "xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\n"
        "<sim_specs><start>0</start><stop>2</stop><dt>1</dt></sim_specs>\n"
        "<model><variables>\n"
        "<aux name=\"rate\"><eqn>0.5</eqn></aux>\n"
        "<module name=\"one\"><connect to=\"r\" from=\".rate\"/></module>\n"
        "<module name=\"two\" model=\"growth\">"
        "<connect to=\"two.r\" from=\"one.out\"/></module>\n"
        "<aux name=\"sum\"><eqn>one.s + two.s</eqn></aux>\n"
        "</variables></model>\n"
        "<model name=\"growth\"><variables>\n"
        "<aux name=\"r\"><eqn>{unconnected}</eqn></aux>\n"
        "<stock name=\"s\"><eqn>10</eqn><inflow>g</inflow></stock>\n"
        "<flow name=\"g\"><eqn>s * r</eqn></flow>\n"
        "<aux name=\"out\"><eqn>r * 2</eqn></aux>\n"
        "</variables></model>\n"
        "<model name=\"one\"><variables>\n"
        "<module name=\"inner\" model=\"growth\">"
        "<connect to=\"r\" from=\"r\"/></module>\n"
        "<aux name=\"r\"><eqn>0</eqn></aux>\n"
        "<stock name=\"s\"><eqn>inner.s</eqn></stock>\n"
        "<aux name=\"out\"><eqn>r + inner.out</eqn></aux>\n"
        "</variables></model>\n</xmile>\n";
    SdResults *r = u_run_text(xml, NULL);
    assert_non_null(r);
    /* one.r = 0.5, one.inner.r = 0.5, one.out = 0.5 + 1 */
    assert_close(u_at(r, "one.r", 0), 0.5);
    assert_close(u_at(r, "one.inner.out", 0), 1);
    assert_close(u_at(r, "one.out", 0), 1.5);
    /* two.r = one.out = 1.5: two.s grows by 150% a step */
    assert_close(u_at(r, "two.s", 1), 25);
    assert_close(u_at(r, "one.inner.s", 1), 15);
    assert_close(u_at(r, "sum", 0), 20);
    sd_results_free(r);

    char out[4096];
    const char *bad =
        "<xmile version=\"1.0\">\n"
        "<sim_specs><start>0</start><stop>2</stop><dt>1</dt></sim_specs>\n"
        "<model><variables>\n"
        "<module name=\"m\" model=\"nope\"/>\n"
        "<module name=\"k\" model=\"sub\"><connect to=\"zz\" from=\".a\"/>"
        "</module>\n"
        "<aux name=\"a\"><eqn>1</eqn></aux>\n"
        "</variables></model>\n"
        "<model name=\"sub\"><variables><aux name=\"b\"><eqn>1</eqn></aux>"
        "</variables></model>\n</xmile>\n";
    assert_int_equal(u_errors_text(bad, out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.xmile:4: module 'm' instantiates model 'nope', "
                             "which the file does not define\n"
                             "t.xmile:5: module 'k' has no variable 'zz' to "
                             "connect to\n");
}

/* ---- Vensim ----------------------------------------------------------------
 */

static void test_mdl_ranges(void **state)
{
    (void)state;
    SdResults *r = run_mdl("d: (p1-p3), q ~~|\n"
                           "sub: p2, q ~~|\n"
                           "copy <-> d ~~|\n"
                           "x[d] = 1, 2, 3, 4 ~~|\n"
                           "y[sub] = x[sub] * 10 ~~|\n"
                           "n = ELMCOUNT(d) + ELMCOUNT(sub) ~~|\n"
                           "pos[sub] = sub ~~|\n"
                           "z[copy] = x[copy] + 100 ~~|\n",
                           0);
    assert_close(u_at(r, "x[p3]", 0), 3);
    assert_close(u_at(r, "y[p2]", 0), 20);
    assert_close(u_at(r, "y[q]", 0), 40);
    assert_close(u_at(r, "n", 0), 6);
    /* a subrange as a number: positions in the range that holds it */
    assert_close(u_at(r, "pos[p2]", 0), 2);
    assert_close(u_at(r, "pos[q]", 0), 4);
    assert_close(u_at(r, "z[q]", 0), 104);
    sd_results_free(r);
}

static void test_mdl_definitions_and_except(void **state)
{
    (void)state;
    SdResults *r = run_mdl("r: r1, r2 ~~|\n"
                           "c: c1, c2, c3 ~~|\n"
                           "m[r, c] :EXCEPT: [r2, c3] = 1 ~~|\n"
                           "m[r2, c3] = 9 ~~|\n"
                           "t[r, c1] = 5, 6 ~~|\n"
                           "t[r, c2] = TABBED ARRAY(7 8) ~~|\n"
                           "t[r1, c3] = 0 ~~|\n"
                           "t[r2, c3] = t[r2, c1] + m[r2, c3] ~~|\n"
                           "s[r] = INTEG(1, r) ~~|\n",
                           2);
    assert_close(u_at(r, "m[r1,c3]", 0), 1);
    assert_close(u_at(r, "m[r2,c3]", 0), 9);
    assert_close(u_at(r, "t[r2,c1]", 0), 6);
    assert_close(u_at(r, "t[r1,c2]", 0), 7);
    assert_close(u_at(r, "t[r2,c3]", 0), 15);
    assert_close(u_at(r, "s[r2]", 2), 4);
    sd_results_free(r);
}

static void test_mdl_mappings(void **state)
{
    (void)state;
    SdResults *r = run_mdl("age: young, mid, old ~~|\n"
                           "older: mid, old ~~|\n"
                           "younger: young, mid -> older ~~|\n"
                           "skill: s1, s2 -> (prod: p2, p1) ~~|\n"
                           "prod: p1, p2 ~~|\n"
                           "n[age] = 1, 2, 3 ~~|\n"
                           "moved[older] = n[younger] ~~|\n"
                           "w[skill] = 10, 20 ~~|\n"
                           "out[prod] = w[skill] ~~|\n",
                           0);
    /* each older age takes the younger one before it */
    assert_close(u_at(r, "moved[mid]", 0), 1);
    assert_close(u_at(r, "moved[old]", 0), 2);
    /* s1 maps to p2, s2 to p1 */
    assert_close(u_at(r, "out[p2]", 0), 10);
    assert_close(u_at(r, "out[p1]", 0), 20);
    sd_results_free(r);
}

static void test_mdl_sums_and_lookups(void **state)
{
    (void)state;
    SdResults *r = run_mdl("a: a1, a2 ~~|\n"
                           "b: b1, b2, b3 ~~|\n"
                           "m[a, b] = 1, 2, 3; 4, 5, 6; ~~|\n"
                           "rows[a] = SUM(m[a, b!]) ~~|\n"
                           "all = SUM(m[a!, b!]) ~~|\n"
                           "p = PROD(m[a2, b!]) ~~|\n"
                           "lo[b] = VMIN(m[a!, b]) ~~|\n"
                           "hi = VMAX(m[a!, b!]) ~~|\n"
                           "f[a1]((0, 0), (10, 10)) ~~|\n"
                           "f[a2]((0, 0), (10, -10)) ~~|\n"
                           "g[a] = f[a](Time) ~~|\n",
                           2);
    assert_close(u_at(r, "rows[a2]", 0), 15);
    assert_close(u_at(r, "all", 0), 21);
    assert_close(u_at(r, "p", 0), 120);
    assert_close(u_at(r, "lo[b3]", 0), 3);
    assert_close(u_at(r, "hi", 0), 6);
    assert_close(u_at(r, "g[a1]", 2), 2);
    assert_close(u_at(r, "g[a2]", 2), -2);
    sd_results_free(r);
}

static void test_mdl_vector_functions(void **state)
{
    (void)state;
    SdResults *r =
        run_mdl("d: d1, d2, d3, d4 ~~|\n"
                "v[d] = 30, 10, 40, 20 ~~|\n"
                "sel[d] = 1, 0, 1, 0 ~~|\n"
                "picked = VECTOR SELECT(sel[d!], v[d!], -1, 0, 0) ~~|\n"
                "none = VECTOR SELECT(sel[d!] * 0, v[d!], -1, 0, 0) ~~|\n"
                "biggest = VECTOR SELECT(sel[d!], v[d!], -1, 3, 0) ~~|\n"
                "order[d] = VECTOR SORT ORDER(v[d], 1) ~~|\n"
                "rank[d] = VECTOR RANK(v[d], 1) ~~|\n"
                "sorted[d] = VECTOR REORDER(v[d], order[d]) ~~|\n"
                "next[d] = VECTOR ELM MAP(v[d1], Time) ~~|\n",
                2);
    assert_close(u_at(r, "picked", 0), 70);
    assert_close(u_at(r, "none", 0), -1);
    assert_close(u_at(r, "biggest", 0), 40);
    /* ascending: 10 (d2), 20 (d4), 30 (d1), 40 (d3); 0-based positions */
    assert_close(u_at(r, "order[d1]", 0), 1);
    assert_close(u_at(r, "order[d4]", 0), 2);
    assert_close(u_at(r, "rank[d1]", 0), 3);
    assert_close(u_at(r, "rank[d2]", 0), 1);
    assert_close(u_at(r, "sorted[d1]", 0), 10);
    assert_close(u_at(r, "sorted[d4]", 0), 40);
    /* VECTOR ELM MAP: d1's element moved on by Time */
    assert_close(u_at(r, "next[d1]", 0), 30);
    assert_close(u_at(r, "next[d2]", 2), 40);
    sd_results_free(r);
}

static void test_mdl_allocation_and_matrix(void **state)
{
    (void)state;
    SdResults *r = run_mdl(
        "t: t1, t2 ~~|\n"
        "req[t] = 10, 10 ~~|\n"
        "pri[t] = 5, 1 ~~|\n"
        /* the gap is wider than the width: the first is served first */
        "alloc[t] = ALLOCATE BY PRIORITY(req[t], pri[t], 2, 1, 12) ~~|\n"
        /* equal priorities share in proportion to the requests */
        "p3[t] = 3, 3 ~~|\n"
        "same[t] = ALLOCATE BY PRIORITY(req[t], p3[t], 2, 1, 12) ~~|\n"
        "plenty[t] = ALLOCATE BY PRIORITY(req[t], pri[t], 2, 1, 50) ~~|\n"
        "pp: ptype, ppriority, pwidth, pextra ~~|\n"
        "prof[t, pp] = 1, 5, 2, 0; 1, 5, 2, 0; ~~|\n"
        "avail[t] = ALLOCATE AVAILABLE(req[t], prof[t, ptype], 8) ~~|\n"
        "i: i1, i2 ~~|\n"
        "j: j1, j2 ~~|\n"
        "mat[i, j] = 4, 7; 2, 6; ~~|\n"
        "inv[i, j] = INVERT MATRIX(mat[i, j], 2) ~~|\n",
        0);
    assert_close(u_at(r, "alloc[t1]", 0), 10);
    assert_close(u_at(r, "alloc[t2]", 0), 2);
    assert_close_tol(u_at(r, "same[t1]", 0), 6, 1e-9, 1e-9);
    assert_close(u_at(r, "plenty[t2]", 0), 10);
    /* the same rectangular profile for both: an even split */
    assert_close_tol(u_at(r, "avail[t1]", 0), 4, 1e-9, 1e-9);
    /* inverse of [[4,7],[2,6]] is [[0.6,-0.7],[-0.2,0.4]] */
    assert_close_tol(u_at(r, "inv[i1,j1]", 0), 0.6, 1e-12, 1e-12);
    assert_close_tol(u_at(r, "inv[i1,j2]", 0), -0.7, 1e-12, 1e-12);
    assert_close_tol(u_at(r, "inv[i2,j1]", 0), -0.2, 1e-12, 1e-12);
    sd_results_free(r);
}

static void test_mdl_subscripted_delays(void **state)
{
    (void)state;
    SdResults *r = run_mdl("d: d1, d2 ~~|\n"
                           "time[d] = 1, 2 ~~|\n"
                           "out[d] = DELAY1I(STEP(10, 1), time[d], 0) ~~|\n",
                           3);
    /* after the step, out moves a 1/time share of the gap each step */
    assert_close(u_at(r, "out[d1]", 2), 10);
    assert_close(u_at(r, "out[d2]", 2), 5);
    sd_results_free(r);
}

static void test_mdl_array_errors(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(errors_mdl("d: a, b ~~|\n"
                                "x[d] = 1, 2, 3 ~~|\n",
                                out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.mdl:3:8: 'x' lists 3 numbers where its "
                             "subscripts need 2\n"
                             "  x[d] = 1, 2, 3 ~~|\n"
                             "         ^\n");
    assert_int_equal(errors_mdl("d: a, b ~~|\n"
                                "e: a, b, c ~~|\n"
                                "x[d] = 1 ~~|\n"
                                "y[e] = x[e] ~~|\n",
                                out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.mdl:5:10: element 'c' of 'e' is not in "
                             "dimension 'd' of 'x'\n"
                             "  y[e] = x[e] ~~|\n"
                             "           ^\n");
    assert_int_equal(errors_mdl("d: a, b -> zz ~~|\n"
                                "x[d] = 1 ~~|\n",
                                out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.mdl:2:1: range 'd' maps to 'zz', which is not "
                             "a range\n"
                             "  d: a, b -> zz ~~|\n"
                             "  ^\n");
    assert_int_equal(errors_mdl("d: (a1-b3) ~~|\n", out, sizeof out), T_EINPUT);
    assert_string_equal(out, "t.mdl:2:5: '(a1-b3)' is not a numbered sequence "
                             "(same prefix, ascending numbers, at most "
                             "1000000)\n"
                             "  d: (a1-b3) ~~|\n"
                             "      ^\n");
    /* found by fuzz_subscript: a huge position overflowed an int */
    assert_int_equal(errors_mdl("d: a, b ~~|\n"
                                "x[d] = 1 ~~|\n"
                                "y[d] = x[@1e40] ~~|\n",
                                out, sizeof out),
                     T_EINPUT);
    assert_string_equal(out, "t.mdl:4:11: expected a dimension position (a "
                             "whole number 1 to 16) after '@', found '1e40'\n"
                             "  y[d] = x[@1e40] ~~|\n"
                             "            ^\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmile_apply_to_all),
        cmocka_unit_test(test_xmile_indexed_and_elements),
        cmocka_unit_test(test_xmile_array_functions),
        cmocka_unit_test(test_xmile_stella_names),
        cmocka_unit_test(test_xmile_two_dims),
        cmocka_unit_test(test_xmile_transpose_by_position),
        cmocka_unit_test(test_xmile_stateful_and_gf),
        cmocka_unit_test(test_xmile_dynamic_subscript),
        cmocka_unit_test(test_xmile_lists_of_numbers),
        cmocka_unit_test(test_xmile_array_errors),
        cmocka_unit_test(test_xmile_modules),
        cmocka_unit_test(test_mdl_ranges),
        cmocka_unit_test(test_mdl_definitions_and_except),
        cmocka_unit_test(test_mdl_mappings),
        cmocka_unit_test(test_mdl_sums_and_lookups),
        cmocka_unit_test(test_mdl_vector_functions),
        cmocka_unit_test(test_mdl_allocation_and_matrix),
        cmocka_unit_test(test_mdl_subscripted_delays),
        cmocka_unit_test(test_mdl_array_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
